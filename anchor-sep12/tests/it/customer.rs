//! GET/PUT/DELETE /customer and PUT /customer/verification: the identity rules and every bad
//! input, on every backend.

use reqwest::Method;
use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn unknown_customers_need_info_without_an_id() {
    for h in harnesses(&[]) {
        let client = h.as_(G1);
        let answer = client.get("/customer").await;
        assert_eq!(answer.status, 200, "{}", h.backend);
        assert_eq!(answer.body["status"], "NEEDS_INFO");
        assert!(answer.body.get("id").is_none());
        assert_eq!(answer.body["fields"]["first_name"]["type"], "string");
        assert_eq!(answer.body["fields"]["email_address"]["description"], "your email_address");
        assert!(answer.body["fields"].get("bank_account_number").is_none());

        let receiver = client.get("/customer?type=sep31-receiver").await;
        assert_eq!(receiver.body["fields"]["bank_account_number"]["type"], "string");

        let unknown = client.get("/customer?type=sep99").await;
        assert_eq!(unknown.status, 400);
        assert!(unknown.error().contains("sep99"));

        let answer = client.get("/customer?transaction_id=abc").await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.error(), "`transaction_id` requires `type`");
    }
}

#[actix_web::test]
async fn create_update_get_and_delete_in_every_shape() {
    for h in harnesses(&[]) {
        let client = h.as_(G1);
        // JSON, partial.
        let created = client.put_json(json!({"first_name": "Jane", "type": "default"})).await;
        assert_eq!(created.status, 202, "{}: {}", h.backend, created.body);
        let id = created.body["id"].as_str().unwrap().to_string();

        let by_token = client.get("/customer").await;
        assert_eq!(by_token.body["id"], id.as_str());
        assert_eq!(by_token.body["status"], "NEEDS_INFO");
        assert_eq!(by_token.body["provided_fields"]["first_name"]["status"], "ACCEPTED");
        assert!(by_token.body["fields"].get("first_name").is_none());

        // Form, by id: same customer.
        let updated = client
            .raw(
                Method::PUT,
                "/customer",
                "application/x-www-form-urlencoded",
                format!("id={id}&family_name=Doe").into_bytes(),
            )
            .await;
        assert_eq!(updated.status, 202, "{}", updated.body);
        assert_eq!(updated.body["id"], id.as_str());

        // Multipart with a file part.
        let multipart = client
            .multipart(
                Method::PUT,
                "/customer",
                &[("account", G1), ("email_address", "jane@example.com")],
                &[("photo_id_front", "image/png", PNG)],
            )
            .await;
        assert_eq!(multipart.status, 202, "{}", multipart.body);
        assert_eq!(multipart.body["id"], id.as_str());
        let record = h.customers.record(&id).unwrap();
        assert_eq!(
            record.fields[&anchor_core::integrations::customer::Sep9Field::PhotoIdFront],
            format!("file:image/png:{}", PNG.len())
        );
        assert_eq!(record.fields[&anchor_core::integrations::customer::Sep9Field::LastName], "Doe");

        for query in [format!("/customer?id={id}"), format!("/customer?account={G1}"), "/customer".into()] {
            let answer = client.get(&query).await;
            assert_eq!(answer.status, 200, "{query}");
            assert_eq!(answer.body["id"], id.as_str(), "{query}");
            assert_eq!(answer.body["status"], "ACCEPTED", "{query}");
        }
        assert_eq!(h.customers.count(), 1);

        // Delete: then unknown again, and the old id is gone.
        let deleted = client.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        let after = client.get("/customer").await;
        assert_eq!(after.body["status"], "NEEDS_INFO");
        assert!(after.body.get("id").is_none());
        let old = client.get(&format!("/customer?id={id}")).await;
        assert_eq!(old.status, 404);
        assert_eq!(old.error(), format!("customer not found for id: {id}"));
        let again = client.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(again.status, 404);
    }
}

#[actix_web::test]
async fn memos_of_one_account_never_see_each_other() {
    for h in harnesses(&[]) {
        let sender = h.as_(G1);
        let one = sender.put_json(json!({"memo": "1", "first_name": "One"})).await;
        let two = sender.put_json(json!({"memo": 2, "memo_type": "id", "first_name": "Two"})).await;
        let one = one.body["id"].as_str().unwrap().to_string();
        let two = two.body["id"].as_str().unwrap().to_string();
        assert_ne!(one, two, "{}", h.backend);
        // The memo-less customer of the same account does not exist.
        assert!(sender.get("/customer").await.body.get("id").is_none());
        assert_eq!(sender.get("/customer?memo=2").await.body["id"], two.as_str());
        // The plain account reaches both by id.
        assert_eq!(sender.get(&format!("/customer?id={one}")).await.status, 200);
        assert_eq!(sender.get(&format!("/customer?id={one}&memo=2")).await.status, 404);

        let memo_one = h.as_(&format!("{G1}:1"));
        assert_eq!(memo_one.get("/customer").await.body["id"], one.as_str());
        let foreign = memo_one.get(&format!("/customer?id={two}")).await;
        assert_eq!(foreign.status, 404);
        assert_eq!(memo_one.get("/customer?memo=2").await.status, 403);
        let put = memo_one.put_json(json!({"id": two, "first_name": "Mallory"})).await;
        assert_eq!(put.status, 404);
        // Text and id memos are different customers.
        let text = sender.put_json(json!({"memo": "1", "memo_type": "text", "first_name": "T"})).await;
        assert_ne!(text.body["id"], one.as_str());
        // DELETE without a memo must not wipe the memo customers.
        let none = sender.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(none.status, 404);
        let deleted = memo_one.json(Method::DELETE, &format!("/customer/{G1}"), json!({"memo": "1"})).await;
        assert_eq!(deleted.status, 200);
        assert_eq!(sender.get(&format!("/customer?id={two}")).await.status, 200);
        assert_eq!(sender.get(&format!("/customer?id={one}")).await.status, 404);
    }
}

#[actix_web::test]
async fn muxed_accounts_never_see_each_other() {
    for h in harnesses(&[]) {
        let (m1, m2) = (muxed(G1, 1), muxed(G1, 2));
        let first = h.as_(&m1);
        let second = h.as_(&m2);
        let a = first.put_json(json!({"first_name": "A"})).await.body["id"].as_str().unwrap().to_string();
        let b = second.put_json(json!({"first_name": "B"})).await.body["id"].as_str().unwrap().to_string();
        assert_ne!(a, b, "{}", h.backend);
        assert_eq!(first.get("/customer").await.body["id"], a.as_str());
        assert_eq!(first.get(&format!("/customer?id={b}")).await.status, 404);
        assert_eq!(first.get(&format!("/customer?account={m2}")).await.status, 403);
        assert_eq!(first.get(&format!("/customer?account={G1}")).await.status, 403);
        assert_eq!(first.get("/customer?memo=2").await.status, 403);
        assert_eq!(first.get(&format!("/customer?account={m1}&memo=1")).await.status, 200);
        // The base account does not reach muxed customers either.
        assert_eq!(h.as_(G1).get(&format!("/customer?id={a}")).await.status, 404);
        assert_eq!(first.json(Method::DELETE, &format!("/customer/{m2}"), json!({})).await.status, 404);
        assert_eq!(first.json(Method::DELETE, &format!("/customer/{m1}"), json!({})).await.status, 200);
        assert_eq!(second.get("/customer").await.body["id"], b.as_str());
    }
}

#[actix_web::test]
async fn other_accounts_are_refused() {
    for h in harnesses(&[]) {
        let owner = h.as_(G1);
        let id = owner.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        let intruder = h.as_(G2);
        let answer = intruder.get(&format!("/customer?id={id}")).await;
        assert_eq!(answer.status, 404, "{}", h.backend);
        assert_eq!(answer.error(), format!("customer not found for id: {id}"));
        let answer = intruder.put_json(json!({"id": id, "first_name": "Mallory"})).await;
        assert_eq!(answer.status, 404);
        let answer = intruder.get(&format!("/customer?account={G1}")).await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.error(), "`account` does not match the account of the SEP-10 token");
        let answer = intruder.put_json(json!({"account": G1, "first_name": "Mallory"})).await;
        assert_eq!(answer.status, 403);
        let answer = intruder.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(answer.status, 404);
        assert_eq!(h.customers.record(&id).unwrap().fields.len(), 1);
        let missing = intruder.get("/customer?id=no-such-id").await;
        assert_eq!(missing.status, 404);
    }
}

#[actix_web::test]
async fn bad_inputs_get_their_status_and_message() {
    for h in harnesses(&[("SEP12_MAX_FILE_BYTES", "2048"), ("MAX_REQUEST_BODY_BYTES", "4096")]) {
        let client = h.as_(G1);
        let cases: Vec<(Answer, u16, &str)> = vec![
            (
                client.raw(Method::PUT, "/customer", "text/plain", b"first_name=Jane".to_vec()).await,
                400,
                "unsupported Content-Type",
            ),
            (
                client.put_json(json!({"favourite_colour": "blue"})).await,
                400,
                "unknown field `favourite_colour`: not a SEP-9 field name",
            ),
            (
                client.put_json(json!({"birth_date": "1990-02-30"})).await,
                400,
                "field `birth_date` must be a calendar date written YYYY-MM-DD",
            ),
            (
                client.put_json(json!({"email_address": "jane"})).await,
                400,
                "field `email_address` must be an email address",
            ),
            (
                client.put_json(json!({"address_country_code": "XX"})).await,
                400,
                "field `address_country_code` must be an ISO 3166-1 alpha-3",
            ),
            (
                client.put_json(json!({"photo_id_front": "aGVsbG8="})).await,
                400,
                "`photo_id_front` is a binary field",
            ),
            (
                client.put_json(json!({"organization": {"name": "x"}})).await,
                400,
                "must be a string or a number",
            ),
            (
                client.raw(Method::PUT, "/customer", "application/json", b"{not json".to_vec()).await,
                400,
                "invalid JSON body",
            ),
            (
                client.put_json(json!({"memo": "abc", "first_name": "x"})).await,
                400,
                "`memo` must be an integer",
            ),
            (
                client.put_json(json!({"type": "sep99", "first_name": "x"})).await,
                400,
                "unknown customer type `sep99`",
            ),
            (
                client.put_json(json!({"first_name": "x", "first_name_verification": "1"})).await,
                400,
                "no field of this customer awaits verification",
            ),
            (
                client
                    .multipart(
                        Method::PUT,
                        "/customer",
                        &[],
                        &[("photo_id_front", "image/png", &[PNG, &[0u8; 4096]].concat())],
                    )
                    .await,
                413,
                "file `photo_id_front` is larger than the 2048-byte limit",
            ),
            (
                client.put_json(json!({"address": "x".repeat(5000)})).await,
                413,
                "request body is larger than the 4096-byte limit",
            ),
            (
                client
                    .multipart(Method::PUT, "/customer", &[], &[("photo_id_front", "image/jpeg", PNG)])
                    .await,
                400,
                "file `photo_id_front` is declared `image/jpeg` but its content is not",
            ),
            (
                client.multipart(Method::PUT, "/customer", &[], &[("first_name", "image/png", PNG)]).await,
                400,
                "`first_name` is a string field, not a file",
            ),
            (h.anonymous().get("/customer").await, 403, "missing `Authorization: Bearer <token>` header"),
        ];
        for (answer, status, message) in cases {
            assert_eq!(answer.status, status, "{}: {} ({message})", h.backend, answer.body);
            assert!(answer.error().contains(message), "{:?} should contain {message:?}", answer.error());
        }
        let expired = h.with_token(token_for(&h.settings, G1, -60));
        let answer = expired.get("/customer").await;
        assert_eq!(answer.status, 403);
        assert!(answer.error().contains("expired"), "{}", answer.error());
        // Nothing of the refused requests was written.
        assert_eq!(h.customers.count(), 0, "{}", h.backend);
        assert!(h.screening.recorded.lock().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn verification_is_501_when_the_anchor_does_not_implement_it() {
    for h in harnesses(&[]) {
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        let answer = client
            .json(
                Method::PUT,
                "/customer/verification",
                json!({"id": id, "mobile_number_verification": "123"}),
            )
            .await;
        assert_eq!(answer.status, 501, "{}", h.backend);
        let answer = client
            .json(Method::PUT, "/customer/verification", json!({"id": id, "colour_verification": "1"}))
            .await;
        assert_eq!(answer.status, 400);
        assert!(answer.error().contains("colour_verification"));
        let answer = h
            .as_(G2)
            .json(Method::PUT, "/customer/verification", json!({"id": id, "mobile_number_verification": "1"}))
            .await;
        assert_eq!(answer.status, 404);
    }
}

#[actix_web::test]
async fn screening_gets_every_accepted_put_and_every_delete() {
    for h in harnesses(&[]) {
        let client = h.as_(G1);
        let answer = client
            .put_json(json!({"first_name": "Jane", "last_name": "Doe", "birth_date": "1990-01-02",
                             "address_country_code": "DEU"}))
            .await;
        assert_eq!(answer.status, 202);
        {
            let recorded = h.screening.recorded.lock().unwrap();
            assert_eq!(recorded.len(), 1, "{}", h.backend);
            let (key, subject) = &recorded[0];
            assert_eq!(key, &format!("sep12:{G1}:"));
            assert_eq!(subject.names[0].expose(), "Jane Doe");
            assert_eq!(subject.date_of_birth.as_ref().unwrap().expose(), "1990-01-02");
            assert_eq!(subject.country.as_deref(), Some("DEU"));
            assert_eq!(subject.stellar_accounts, vec![G1.to_string()]);
        }
        assert_eq!(client.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await.status, 200);
        assert_eq!(*h.screening.erased.lock().unwrap(), vec![format!("sep12:{G1}:")]);

        h.screening.frozen.lock().unwrap().push(G1.to_string());
        let answer = client.get("/customer").await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.error(), "this account cannot be served");
    }
}

/// An integration that answers every account with the same customer (the anchor-platform#1930
/// class of bug): the framework must refuse to serve that customer to anyone but its creator.
struct OneCustomerForEveryone;

#[anchor_core::async_trait]
impl anchor_core::CustomerIntegration for OneCustomerForEveryone {
    async fn get(
        &self,
        _: &anchor_core::Sep10Token,
        _: anchor_core::integrations::customer::CustomerQuery,
    ) -> Result<anchor_core::integrations::customer::CustomerStatus, anchor_core::IntegrationError> {
        Ok(anchor_core::integrations::customer::CustomerStatus::Processing {
            id: anchor_core::integrations::customer::CustomerId("shared".into()),
            message: Some("secret review note".into()),
            provided_fields: Vec::new(),
        })
    }
    async fn put(
        &self,
        _: &anchor_core::Sep10Token,
        _: anchor_core::integrations::customer::CustomerUpdate,
    ) -> Result<anchor_core::integrations::customer::CustomerId, anchor_core::IntegrationError> {
        Ok(anchor_core::integrations::customer::CustomerId("shared".into()))
    }
    async fn delete(
        &self,
        _: &anchor_core::Sep10Token,
        _: anchor_core::integrations::customer::CustomerRef,
    ) -> Result<(), anchor_core::IntegrationError> {
        Ok(())
    }
}

#[actix_web::test]
async fn issue_anchor_platform_1930_a_customer_id_is_never_served_to_another_account() {
    for database in anchor_core::testing::test_databases() {
        let h = harness_with(database, &[], OneCustomerForEveryone);
        let owner = h.as_(G1);
        assert_eq!(owner.put_json(json!({"first_name": "Jane"})).await.status, 202, "{}", h.backend);
        assert_eq!(owner.get("/customer").await.body["message"], "secret review note");
        for intruder in [h.as_(G2), h.as_(&format!("{G1}:5")), h.as_(&muxed(G1, 3))] {
            let answer = intruder.get("/customer").await;
            assert_eq!(answer.status, 500, "{}", h.backend);
            assert_eq!(answer.body, json!({"error": "internal server error"}));
            let answer = intruder.put_json(json!({"first_name": "Mallory"})).await;
            assert_eq!(answer.status, 500);
            assert_eq!(intruder.get("/customer?id=shared").await.status, 404);
            let answer = intruder
                .json(Method::PUT, "/customer/callback", json!({"url": "http://127.0.0.1:9/hook"}))
                .await;
            assert_eq!(answer.status, 500, "a callback must not watch another account's customer");
        }
        // The anchor did not implement put_callback: 501.
        let answer =
            owner.json(Method::PUT, "/customer/callback", json!({"url": "http://127.0.0.1:9/hook"})).await;
        assert_eq!(answer.status, 501);
    }
}

#[actix_web::test]
async fn a_failing_screening_registry_fails_closed_without_details() {
    for h in harnesses(&[]) {
        let client = h.as_(G1);
        let id =
            client.put_json(json!({"first_name": "Jane"})).await.body["id"].as_str().unwrap().to_string();
        *h.screening.failing.lock().unwrap() = true;
        let answer = client.put_json(json!({"last_name": "Doe"})).await;
        assert_eq!(answer.status, 503, "{}", h.backend);
        assert!(answer.error().contains("send the same PUT again"), "{}", answer.error());
        assert!(!answer.error().contains("secret-detail"));
        let answer = client.json(Method::DELETE, &format!("/customer/{G1}"), json!({})).await;
        assert_eq!(answer.status, 503);
        assert!(answer.error().contains("nothing was deleted"));
        *h.screening.failing.lock().unwrap() = false;
        assert_eq!(client.get(&format!("/customer?id={id}")).await.status, 200);
        assert_eq!(client.put_json(json!({"last_name": "Doe"})).await.status, 202);
    }
}
