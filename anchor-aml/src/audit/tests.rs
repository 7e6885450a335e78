//! The audit trail's verification: a trail longer than one page is verified whole, and an edit deep
//! in it is named by its sequence number.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_core::testing::test_databases;

use super::*;

#[test]
fn a_trail_longer_than_one_page_is_verified_whole_and_a_late_edit_is_found() {
    let database = test_databases().into_iter().next().unwrap().database();
    let records = 10_050_i64;
    database
        .run_blocking(|conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                for n in 0..records {
                    append_in(conn, "screening", &format!("{{\"subject_id\":{n}}}"), 1_000 + n)?;
                }
                Ok(())
            })
        })
        .unwrap();
    let trail = AuditTrail::new(database.clone());
    match trail.verify().unwrap() {
        AuditVerdict::Intact { records: checked, head, .. } => {
            assert_eq!(checked, records);
            assert_eq!(head, trail.head().unwrap());
        }
        broken => panic!("{broken:?}"),
    }
    database
        .run_blocking(|conn| {
            diesel::update(log::aml_audit_log.filter(log::seq.eq(10_020_i64)))
                .set(log::payload.eq("{\"subject_id\":1}"))
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
    match trail.verify().unwrap() {
        AuditVerdict::Broken { seq, problem } => {
            assert_eq!(seq, 10_020);
            assert!(problem.contains("edited"), "{problem}");
        }
        intact => panic!("the edit was not found: {intact:?}"),
    }
}
