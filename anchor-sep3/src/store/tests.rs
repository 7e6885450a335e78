//! Group commit of authorised payments (`AuthorizedWriter`): payments stored together give
//! each request the answer it would get alone (nonce rules, idempotent re-sends, pending records),
//! and failures reach every request of the group. Groups form from whatever is queued, so these
//! tests queue many payments at once (on one thread, so in a known order) and check every answer
//! and the stored rows, on every backend.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::sync::Arc;

use crate::store::{self, Authorized, AuthorizedWriter, NonceCheck};
use anchor_core::db::schema::{sep3_authorized_transactions, sep3_pending_requests};
use anchor_core::Database;
use diesel::prelude::*;

use anchor_core::testing::test_databases;

fn payment(domain: &str, nonce: &str, fingerprint: &str, transaction_id: &str) -> Authorized {
    Authorized {
        transaction_id: transaction_id.to_string(),
        sender_domain: domain.to_string(),
        nonce: nonce.to_string(),
        request_sha256: fingerprint.to_string(),
        memo: format!("memo-{transaction_id}"),
        transaction_xdr: "AAAA".to_string(),
        data: format!("{{\"nonce\":\"{nonce}\"}}"),
        authorized_at: 1_700_000_000,
    }
}

/// Stores every payment at once through one writer; the answers in the payments' order.
async fn store_together(
    writer: &Arc<AuthorizedWriter>,
    payments: Vec<Authorized>,
) -> Vec<Result<NonceCheck, String>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, payment) in payments.into_iter().enumerate() {
        let writer = Arc::clone(writer);
        tasks.spawn(async move { (index, writer.store(payment).await.map_err(|err| err.to_string())) });
    }
    let mut answers: Vec<(usize, Result<NonceCheck, String>)> = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    answers.sort_by_key(|(index, _)| *index);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

async fn stored(database: &Database) -> Vec<(String, String, String, String)> {
    database
        .run(|conn| {
            sep3_authorized_transactions::table
                .select((
                    sep3_authorized_transactions::transaction_id,
                    sep3_authorized_transactions::sender_domain,
                    sep3_authorized_transactions::nonce,
                    sep3_authorized_transactions::request_sha256,
                ))
                .order(sep3_authorized_transactions::transaction_id)
                .load(conn)
                .map_err(Into::into)
        })
        .await
        .unwrap()
}

async fn pending_count(database: &Database) -> i64 {
    database
        .run(|conn| sep3_pending_requests::table.count().get_result(conn).map_err(Into::into))
        .await
        .unwrap()
}

#[tokio::test]
async fn payments_stored_together_get_the_answers_they_would_get_alone_on_every_backend() {
    for test_database in test_databases() {
        let backend = test_database.name;
        let database = test_database.database();
        let writer = Arc::new(AuthorizedWriter::new(database.clone()));

        // Many distinct payments at once: every one is stored.
        let distinct: Vec<Authorized> = (0..60)
            .map(|n| payment("bank-a.example", &format!("n{n}"), &format!("f{n}"), &format!("t{n:03}")))
            .collect();
        let answers = store_together(&writer, distinct).await;
        assert!(answers.iter().all(|answer| answer == &Ok(NonceCheck::Fresh)), "{backend}: {answers:?}");
        assert_eq!(stored(&database).await.len(), 60, "{backend}");

        // A re-send of a stored payment, the same request twice in one group, a nonce reused by a
        // different request (stored before, and within the group), the same nonce from another
        // domain, and a fresh payment.
        let answers = store_together(
            &writer,
            vec![
                payment("bank-a.example", "n1", "f1", "t001"),
                payment("bank-a.example", "twice", "f-twice", "t-twice"),
                payment("bank-a.example", "twice", "f-twice", "t-twice"),
                payment("bank-a.example", "n2", "another request", "t-other"),
                payment("bank-a.example", "race", "first", "t-race-1"),
                payment("bank-a.example", "race", "second", "t-race-2"),
                payment("bank-c.example", "n3", "f3-from-c", "t-c3"),
                payment("bank-a.example", "fresh", "f-fresh", "t-fresh"),
            ],
        )
        .await;
        assert_eq!(
            answers,
            vec![
                Ok(NonceCheck::Fresh),
                Ok(NonceCheck::Fresh),
                Ok(NonceCheck::Fresh),
                Ok(NonceCheck::Reused),
                Ok(NonceCheck::Fresh),
                Ok(NonceCheck::Reused),
                Ok(NonceCheck::Fresh),
                Ok(NonceCheck::Fresh),
            ],
            "{backend}"
        );
        let rows = stored(&database).await;
        assert_eq!(rows.len(), 64, "{backend}: t-twice, t-race-1, t-c3 and t-fresh were added");
        let fingerprint_of = |nonce: &str| {
            rows.iter()
                .filter(|(_, domain, stored_nonce, _)| domain == "bank-a.example" && stored_nonce == nonce)
                .map(|(_, _, _, fingerprint)| fingerprint.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(fingerprint_of("race"), vec!["first".to_string()], "{backend}");
        assert_eq!(fingerprint_of("n2"), vec!["f2".to_string()], "{backend}");

        // Pending records: the same request is approved (and its pending record goes); a
        // different request with a pending nonce is refused.
        for (nonce, fingerprint) in [("was-pending", "f-pending"), ("other-pending", "f-original")] {
            store::record_pending(
                &database,
                "bank-a.example".into(),
                nonce.into(),
                fingerprint.into(),
                format!("t-{nonce}"),
                1_700_000_000,
            )
            .await
            .unwrap();
        }
        let answers = store_together(
            &writer,
            vec![
                payment("bank-a.example", "was-pending", "f-pending", "t-was-pending"),
                payment("bank-a.example", "other-pending", "f-changed", "t-other-pending"),
                payment("bank-a.example", "after-pending", "f-after", "t-after-pending"),
            ],
        )
        .await;
        assert_eq!(
            answers,
            vec![Ok(NonceCheck::Fresh), Ok(NonceCheck::Reused), Ok(NonceCheck::Fresh)],
            "{backend}"
        );
        assert_eq!(pending_count(&database).await, 1, "{backend}: only the refused request's record stays");
        assert_eq!(stored(&database).await.len(), 66, "{backend}");
    }
}

#[tokio::test]
async fn a_group_that_fails_as_a_whole_is_retried_payment_by_payment_on_every_backend() {
    for test_database in test_databases() {
        let backend = test_database.name;
        let database = test_database.database();
        let writer = Arc::new(AuthorizedWriter::new(database.clone()));
        store_together(&writer, vec![payment("bank-a.example", "first", "f-first", "t-shared")]).await;

        // The same transaction from another domain collides on the transaction id (the primary
        // key), which fails the group's insert; each payment is then stored alone, so the others
        // in the group are still stored.
        let answers = store_together(
            &writer,
            vec![
                payment("bank-a.example", "g1", "f-g1", "t-g1"),
                payment("bank-b.example", "first", "f-copy", "t-shared"),
                payment("bank-a.example", "g2", "f-g2", "t-g2"),
            ],
        )
        .await;
        assert!(answers.iter().all(|answer| answer == &Ok(NonceCheck::Fresh)), "{backend}: {answers:?}");
        let ids: Vec<String> = stored(&database).await.into_iter().map(|(id, ..)| id).collect();
        assert_eq!(ids, vec!["t-g1", "t-g2", "t-shared"], "{backend}");
        let owner: Vec<(String, String, String, String)> =
            stored(&database).await.into_iter().filter(|(id, ..)| id == "t-shared").collect();
        assert_eq!(owner[0].1, "bank-a.example", "{backend}: the first sender keeps the transaction");
    }
}

#[tokio::test]
async fn a_database_failure_reaches_every_request_of_the_group() {
    // A database without the SEP-3 tables: every insert fails.
    let test_database = anchor_core::testing::sqlite_database();
    let database = Database::connect(test_database.url()).unwrap();
    let writer = Arc::new(AuthorizedWriter::new(database));
    let answers = store_together(
        &writer,
        (0..5).map(|n| payment("bank-a.example", &format!("e{n}"), "f", &format!("t-e{n}"))).collect(),
    )
    .await;
    assert_eq!(answers.len(), 5);
    for answer in answers {
        let err = answer.unwrap_err();
        assert!(err.contains("sep3_"), "{err}");
    }
}
