//! POST/GET /customer/files: stored by the framework, owner-only, size and content checks, and
//! references from PUT /customer.

use reqwest::Method;
use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn files_are_stored_listed_and_referenced_by_their_owner_only() {
    for h in harnesses(&[("SEP12_MAX_FILE_BYTES", "4096")]) {
        let owner = h.as_(G1);
        let uploaded =
            owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]).await;
        assert_eq!(uploaded.status, 200, "{}: {}", h.backend, uploaded.body);
        let file_id = uploaded.body["file_id"].as_str().unwrap().to_string();
        assert_eq!(uploaded.body["content_type"], "image/png");
        assert_eq!(uploaded.body["size"], PNG.len());
        assert!(uploaded.body["customer_id"].is_null());
        assert!(uploaded.body["expires_at"].as_str().unwrap().ends_with('Z'));

        let listed = owner.get(&format!("/customer/files?file_id={file_id}")).await;
        assert_eq!(listed.body["files"][0]["file_id"], file_id.as_str());
        let stranger = h.as_(G2);
        let hidden = stranger.get(&format!("/customer/files?file_id={file_id}")).await;
        assert_eq!(hidden.status, 200);
        assert_eq!(hidden.body, json!({"files": []}));

        // Another account cannot reference it.
        let stolen = stranger.put_json(json!({"first_name": "M", "photo_id_front_file_id": file_id})).await;
        assert_eq!(stolen.status, 400);
        assert_eq!(stolen.error(), "`photo_id_front_file_id` names no file uploaded by this account");

        let put = owner.put_json(json!({"first_name": "Jane", "photo_id_front_file_id": file_id})).await;
        assert_eq!(put.status, 202, "{}", put.body);
        let customer_id = put.body["id"].as_str().unwrap().to_string();
        let record = h.customers.record(&customer_id).unwrap();
        assert_eq!(
            record.fields[&anchor_core::integrations::customer::Sep9Field::PhotoIdFront],
            format!("file:image/png:{}", PNG.len())
        );
        let by_customer = owner.get(&format!("/customer/files?customer_id={customer_id}")).await;
        assert_eq!(by_customer.body["files"][0]["file_id"], file_id.as_str());
        assert_eq!(by_customer.body["files"][0]["customer_id"], customer_id.as_str());
        assert!(by_customer.body["files"][0].get("expires_at").is_none());

        // Bad uploads.
        for (answer, status, message) in [
            (
                owner
                    .multipart(Method::POST, "/customer/files", &[], &[("file", "text/plain", b"hello")])
                    .await,
                400,
                "has content type `text/plain`",
            ),
            (
                owner
                    .multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", b"GIF89a....")])
                    .await,
                400,
                "declared `image/png` but its content is not",
            ),
            (
                owner
                    .multipart(
                        Method::POST,
                        "/customer/files",
                        &[],
                        &[("file", "image/png", &[PNG, &[0u8; 5000]].concat())],
                    )
                    .await,
                413,
                "larger than the 4096-byte limit",
            ),
            (
                owner.json(Method::POST, "/customer/files", json!({"file": "aGVsbG8="})).await,
                400,
                "multipart/form-data",
            ),
            (
                owner.multipart(Method::POST, "/customer/files", &[("file", "x")], &[]).await,
                400,
                "`file` must be a file part",
            ),
            (owner.get("/customer/files").await, 400, "exactly one of"),
            (
                owner.get(&format!("/customer/files?file_id={file_id}&customer_id={customer_id}")).await,
                400,
                "exactly one of",
            ),
        ] {
            assert_eq!(answer.status, status, "{}: {}", h.backend, answer.body);
            assert!(answer.error().contains(message), "{} should contain {message}", answer.error());
        }

        // Deleting the customer deletes its files.
        assert_eq!(owner.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await.status, 200);
        let gone = owner.get(&format!("/customer/files?file_id={file_id}")).await;
        assert_eq!(gone.body, json!({"files": []}));
    }
}

/// The ids of the files stored for `owner` (the SEP-10 `sub`), expired or not, read from the
/// framework's table.
async fn stored_files(h: &Harness, owner: &str) -> Vec<String> {
    use anchor_core::db::schema::sep12_files;
    use diesel::prelude::*;
    let owner = owner.to_string();
    h.database()
        .run(move |conn| {
            Ok(sep12_files::table
                .filter(sep12_files::owner.eq(owner))
                .select(sep12_files::file_id)
                .order(sep12_files::file_id.asc())
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// A PNG of `len` bytes.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = PNG.to_vec();
    bytes.resize(len, 7);
    bytes
}

#[actix_web::test]
async fn uploads_past_the_customer_quota_are_refused_and_store_nothing() {
    let quota = [
        ("SEP12_MAX_FILE_BYTES", "4096"),
        ("SEP12_MAX_FILES_PER_CUSTOMER", "4"),
        ("SEP12_MAX_FILE_BYTES_PER_CUSTOMER", "10000"),
    ];
    for h in harnesses(&quota) {
        // The file count: four files fit, the fifth is refused, by POST and by PUT.
        let owner = h.as_(G1);
        for _ in 0..4 {
            let uploaded =
                owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]).await;
            assert_eq!(uploaded.status, 200, "{}: {}", h.backend, uploaded.body);
        }
        let stored = stored_files(&h, G1).await;
        assert_eq!(stored.len(), 4, "{}", h.backend);
        let refused =
            owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]).await;
        assert_eq!(refused.status, 413, "{}: {}", h.backend, refused.body);
        assert!(
            refused.error().contains("at most 4 files per customer (SEP12_MAX_FILES_PER_CUSTOMER)"),
            "{}",
            refused.error()
        );
        let put = owner
            .multipart(
                Method::PUT,
                "/customer",
                &[("first_name", "Jane")],
                &[("photo_id_front", "image/png", PNG)],
            )
            .await;
        assert_eq!(put.status, 413, "{}: {}", h.backend, put.body);
        assert!(put.error().contains("SEP12_MAX_FILES_PER_CUSTOMER"), "{}", put.error());
        assert_eq!(h.customers.count(), 0, "{}: the integration saw a PUT past the quota", h.backend);
        assert_eq!(stored_files(&h, G1).await, stored, "{}", h.backend);

        // The bytes: 3 × 3,000 fit in 10,000, a fourth 3,000 does not; a 500 still does.
        let other = h.as_(G2);
        let big = png(3000);
        let small = png(500);
        assert_eq!(
            other
                .multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", &big)])
                .await
                .status,
            200
        );
        let two_parts = other
            .multipart(
                Method::PUT,
                "/customer",
                &[("first_name", "Joe")],
                &[("photo_id_front", "image/png", &big), ("photo_id_back", "image/png", &big)],
            )
            .await;
        assert_eq!(two_parts.status, 202, "{}: {}", h.backend, two_parts.body);
        let refused =
            other.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", &big)]).await;
        assert_eq!(refused.status, 413, "{}: {}", h.backend, refused.body);
        assert!(
            refused
                .error()
                .contains("at most 10000 bytes of files per customer (SEP12_MAX_FILE_BYTES_PER_CUSTOMER)"),
            "{}",
            refused.error()
        );
        assert_eq!(stored_files(&h, G2).await.len(), 3, "{}", h.backend);
        let fits =
            other.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", &small)]).await;
        assert_eq!(fits.status, 200, "{}: {}", h.backend, fits.body);

        // The quota is per identity: a memo customer of the same account has its own.
        let memo_owner = h.as_(&format!("{G1}:42"));
        let uploaded =
            memo_owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]).await;
        assert_eq!(uploaded.status, 200, "{}: {}", h.backend, uploaded.body);
    }
}

#[actix_web::test]
async fn concurrent_uploads_cannot_pass_the_quota() {
    for h in harnesses(&[("SEP12_MAX_FILES_PER_CUSTOMER", "3")]) {
        let owner = h.as_(G1);
        let uploads = (0..12)
            .map(|_| owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]));
        let answers = futures_util::future::join_all(uploads).await;
        let accepted = answers.iter().filter(|answer| answer.status == 200).count();
        let refused = answers.iter().filter(|answer| answer.status == 413).count();
        assert_eq!(
            (accepted, refused),
            (3, 9),
            "{}: {:?}",
            h.backend,
            answers.iter().map(|a| &a.body).collect::<Vec<_>>()
        );
        assert_eq!(stored_files(&h, G1).await.len(), 3, "{}", h.backend);
    }
}

#[actix_web::test]
async fn an_unattached_file_is_purged_after_its_expiry() {
    for h in harnesses(&[("SEP12_FILE_EXPIRY", "1")]) {
        let owner = h.as_(G1);
        let uploaded =
            owner.multipart(Method::POST, "/customer/files", &[], &[("file", "image/png", PNG)]).await;
        assert_eq!(uploaded.status, 200, "{}: {}", h.backend, uploaded.body);
        let unattached = uploaded.body["file_id"].as_str().unwrap().to_string();
        // A file a customer references never expires.
        let put = owner
            .multipart(
                Method::PUT,
                "/customer",
                &[("first_name", "Jane")],
                &[("photo_id_front", "image/png", PNG)],
            )
            .await;
        assert_eq!(put.status, 202, "{}: {}", h.backend, put.body);
        let customer_id = put.body["id"].as_str().unwrap().to_string();
        let attached = owner.get(&format!("/customer/files?customer_id={customer_id}")).await.body["files"]
            [0]["file_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(stored_files(&h, G1).await.len(), 2, "{}", h.backend);

        // Only the server's background task deletes rows: poll the table itself.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut stored = stored_files(&h, G1).await;
        while stored.contains(&unattached) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: the expired file was never purged",
                h.backend
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            stored = stored_files(&h, G1).await;
        }
        assert_eq!(stored, vec![attached.clone()], "{}", h.backend);
        let gone = owner.get(&format!("/customer/files?file_id={unattached}")).await;
        assert_eq!(gone.body, json!({"files": []}));
        let kept = owner.get(&format!("/customer/files?file_id={attached}")).await;
        assert_eq!(kept.body["files"][0]["customer_id"], customer_id.as_str());
    }
}
