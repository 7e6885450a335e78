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
