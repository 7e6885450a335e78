//! Security review L8 against the real example-anchor binary, on every backend: an attacker who
//! can write the database cuts the audit trail's tail, re-hashes it after an edit or forges a
//! checkpoint, and `audit verify` names it; a holder of the machine's `ADMIN_API_KEY` cannot
//! decide a case, an officer's token decides in that officer's name whatever the body says, and
//! a revoked token or a disabled officer's token decides nothing.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

mod support;

use std::process::Output;

use anchor_aml::{record_hash, verify_export, AuditRecord, AuditVerdict, CHECKPOINT_KIND, GENESIS_HASH};
use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::testing::{self, TestDatabase};
use anchor_core::Database;
use diesel::connection::SimpleConnection as _;
use serde_json::{json, Value};
use support::{command, internal_json, officer_post, officer_token, run_cli, start_bank, Bank};

const LIST: &str = "id,name,kind\na,Ivan Petrovich Sidorov,person\n";

fn account(n: u8) -> String {
    stellar_strkey::ed25519::PublicKey([n; 32]).to_string().as_str().to_owned()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The attacker's direct access to the database.
fn tamper(database: &Database, sql: &str) {
    database.run_blocking(|conn| Ok(conn.batch_execute(sql)?)).unwrap();
}

/// An anchor's working directory and environment with a migrated database holding a few audit
/// records (list imports) and a checkpoint written by `audit export`: what the CLI sees.
struct Trail {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    public_key: String,
    database: TestDatabase,
}

impl Trail {
    fn new(database: TestDatabase) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (env, key, ..) = support::bank_env(&database, "sep-1", &[]);
        let trail = Trail { dir, env, public_key: key.public_key().to_string(), database };
        assert!(trail.cli(&["migrate"]).status.success());
        for (n, list) in [LIST, "id,name,kind\nb,Maria Gonzalez Ruiz,person\n"].iter().enumerate() {
            let file = format!("list{n}.csv");
            std::fs::write(trail.dir.path().join(&file), list).unwrap();
            let source = format!("custom:list{n}");
            let imported = trail.cli(&["lists", "import", "--source", &source, "--file", &file]);
            assert!(imported.status.success(), "{}", text(&imported));
        }
        trail
    }

    fn cli(&self, args: &[&str]) -> Output {
        command(self.dir.path(), &self.env).args(args).output().unwrap()
    }

    /// `audit export --format json`: the records, ending with the export's checkpoint.
    fn export(&self) -> Vec<AuditRecord> {
        let exported = self.cli(&["audit", "export", "--format", "json"]);
        assert!(exported.status.success(), "{}", text(&exported));
        let records: Vec<Value> = serde_json::from_slice(&exported.stdout).unwrap();
        records
            .into_iter()
            .map(|record| AuditRecord {
                seq: record["seq"].as_i64().unwrap(),
                recorded_at: record["recorded_at"].as_i64().unwrap(),
                kind: record["kind"].as_str().unwrap().to_string(),
                payload: record["payload"].as_str().unwrap().to_string(),
                prev_hash: record["prev_hash"].as_str().unwrap().to_string(),
                hash: record["hash"].as_str().unwrap().to_string(),
            })
            .collect()
    }

    /// `audit verify`: `Ok(stdout)` when intact, `Err(stderr)` when broken.
    fn verify(&self) -> Result<String, String> {
        let verified = self.cli(&["audit", "verify"]);
        if verified.status.success() {
            Ok(String::from_utf8_lossy(&verified.stdout).to_string())
        } else {
            Err(String::from_utf8_lossy(&verified.stderr).to_string())
        }
    }

    /// Exports (checkpoint of the head), then appends more records after it (another import).
    fn exported_then_extended(&self) -> Vec<AuditRecord> {
        let export = self.export();
        let last = export.last().unwrap();
        assert_eq!(last.kind, CHECKPOINT_KIND, "an export ends with its checkpoint");
        let AuditVerdict::Intact { checkpoints, .. } = verify_export(&export, &self.public_key) else {
            panic!("the export does not verify with the anchor's public key")
        };
        assert_eq!(checkpoints, 1);
        std::fs::write(self.dir.path().join("list9.csv"), "id,name,kind\nc,Peter Quentin Novak,person\n")
            .unwrap();
        let imported = self.cli(&["lists", "import", "--source", "custom:list9", "--file", "list9.csv"]);
        assert!(imported.status.success(), "{}", text(&imported));
        let verified = self.verify().unwrap();
        assert!(verified.contains("1 signed checkpoint(s) verified"), "{verified}");
        export
    }
}

/// The position the export's checkpoint signed (the record before its own).
fn signed_seq(export: &[AuditRecord]) -> i64 {
    let signed = export.last().unwrap().seq - 1;
    assert!(signed >= 2, "the trail needs a few records before the checkpoint: {export:?}");
    signed
}

#[test]
fn audit_verify_detects_deleted_tail_after_checkpoint() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let trail = Trail::new(test_db);
        let signed = signed_seq(&trail.exported_then_extended());
        // The attacker cuts the newest records, down to before the signed one: the chain that is
        // left is internally whole.
        tamper(&trail.database.database(), &format!("DELETE FROM aml_audit_log WHERE seq >= {signed}"));
        let problem = trail.verify().unwrap_err();
        let kept = signed - 1;
        assert!(
            problem.contains(&format!("the trail ends at record {kept} but the checkpoint of"))
                && problem
                    .contains(&format!("signed record {signed}: records {signed}..{signed} are missing")),
            "{backend}: {problem}"
        );
    }
}

#[test]
fn audit_verify_detects_rehashed_chain() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let trail = Trail::new(test_db);
        let database = trail.database.database();
        let signed = signed_seq(&trail.exported_then_extended());
        // The attacker edits the first record and recomputes every hash from there on.
        tamper(
            &database,
            "UPDATE aml_audit_log SET payload = REPLACE(payload, 'custom:list0', 'custom:other') WHERE seq = 1",
        );
        let mut prev = GENESIS_HASH.to_string();
        for record in anchor_aml::AuditTrail::new(database.clone()).records(None, None).unwrap() {
            let hash = record_hash(&prev, record.seq, record.recorded_at, &record.kind, &record.payload);
            tamper(
                &database,
                &format!(
                    "UPDATE aml_audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
                    record.seq
                ),
            );
            prev = hash;
        }
        let problem = trail.verify().unwrap_err();
        assert!(
            problem.contains(&format!("BROKEN at record {signed}")) && problem.contains("re-hashed"),
            "{backend}: {problem}"
        );
    }
}

#[test]
fn audit_verify_detects_forged_checkpoint() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let trail = Trail::new(test_db);
        let database = trail.database.database();
        let export = trail.exported_then_extended();
        // The attacker cuts the tail and moves the checkpoint down to the new head; the signature
        // cannot follow without the anchor's SIGNING_SEED.
        let head = &export[0];
        tamper(&database, &format!("DELETE FROM aml_audit_log WHERE seq > {}", head.seq));
        tamper(
            &database,
            &format!("UPDATE aml_audit_checkpoints SET seq = {}, hash = '{}'", head.seq, head.hash),
        );
        let problem = trail.verify().unwrap_err();
        assert!(problem.contains("forged") && problem.contains(&trail.public_key), "{backend}: {problem}");
    }
}

fn sep10_token(bank: &Bank, n: u8) -> String {
    let settings = testing::settings(&[("HOST_URL", &bank.public)]);
    let now = chrono::Utc::now().timestamp();
    let claims = Sep10Claims {
        iss: token_issuer(&settings),
        sub: account(n),
        iat: now,
        exp: now + 600,
        jti: "8".repeat(64),
        client_domain: None,
        home_domain: None,
    };
    encode_token(&settings, &claims).unwrap()
}

/// A running anchor with one listed customer (frozen, an open case); answers the case id.
async fn bank_with_a_case(database: TestDatabase) -> (Bank, i64) {
    let bank = start_bank(database, "sep-1,sep-10,sep-12", LIST, &[]).await;
    let response = reqwest::Client::new()
        .put(format!("{}/kyc/customer", bank.public))
        .bearer_auth(sep10_token(&bank, 2))
        .json(&json!({"first_name": "Ivan", "last_name": "Petrovich Sidorov"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let (status, cases) =
        internal_json(&bank, reqwest::Method::GET, "/admin/aml/cases?status=open", None).await;
    assert_eq!(status, 200, "{cases}");
    let id = cases[0]["id"].as_i64().unwrap();
    (bank, id)
}

async fn case_status(bank: &Bank, id: i64) -> Value {
    let (status, case) =
        internal_json(bank, reqwest::Method::GET, &format!("/admin/aml/cases/{id}"), None).await;
    assert_eq!(status, 200, "{case}");
    case["status"].clone()
}

#[tokio::test]
async fn admin_key_cannot_decide_a_case() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let (bank, id) = bank_with_a_case(test_db).await;
        for (path, body) in [
            (format!("/admin/aml/cases/{id}/clear"), json!({"officer": "alice", "reason": "namesake"})),
            (format!("/admin/aml/cases/{id}/confirm"), json!({"officer": "alice", "reason": "match"})),
            (format!("/admin/aml/cases/{id}/notes"), json!({"officer": "alice", "text": "note"})),
            (
                "/admin/aml/unfreeze".to_string(),
                json!({"account": account(2), "officer": "alice", "reason": "x"}),
            ),
        ] {
            let (status, body) = internal_json(&bank, reqwest::Method::POST, &path, Some(body)).await;
            assert_eq!(status, 403, "{backend} {path}: {body}");
            let message = body["error"].as_str().unwrap();
            assert!(message.contains("officer's API token"), "{backend}: {message}");
        }
        assert_eq!(case_status(&bank, id).await, "open", "{backend}");
        // Machine routes still take the key.
        let (status, _) = internal_json(&bank, reqwest::Method::GET, "/admin/aml/stats", None).await;
        assert_eq!(status, 200, "{backend}");
        // And nothing in the scope is open without a credential.
        let anonymous = reqwest::Client::new()
            .post(format!("{}/admin/aml/cases/{id}/clear", bank.internal))
            .json(&json!({"reason": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status().as_u16(), 401, "{backend}");
        let unknown = reqwest::get(format!("{}/admin/aml/no-such-route", bank.internal)).await.unwrap();
        assert_eq!(unknown.status().as_u16(), 401, "{backend}");
    }
}

#[tokio::test]
async fn officer_token_decision_names_the_officer_not_the_body() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let (bank, id) = bank_with_a_case(test_db).await;
        let alice = officer_token(&bank, "alice", "Alice Officer");
        assert!(alice.starts_with("aot_") && alice.len() == 68, "{alice}");
        let clear = format!("/admin/aml/cases/{id}/clear");
        // Claiming to be someone else is refused, and nothing is decided.
        let (status, body) =
            officer_post(&bank, &alice, &clear, json!({"officer": "Mallory Chief (mallory)", "reason": "x"}))
                .await;
        assert_eq!(status, 400, "{backend}: {body}");
        assert_eq!(case_status(&bank, id).await, "open", "{backend}");
        // The decision is recorded in the token officer's name, as the console records it.
        let (status, body) =
            officer_post(&bank, &alice, &clear, json!({"reason": "born 1991, not 1958"})).await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert_eq!(body["decided_by"], "Alice Officer (alice)", "{backend}");
        let exported = run_cli(&bank, &["audit", "export", "--format", "json"]);
        assert!(exported.status.success(), "{}", text(&exported));
        let records: Vec<Value> = serde_json::from_slice(&exported.stdout).unwrap();
        let decision = records.iter().find(|record| record["kind"] == "case_decision").unwrap();
        let payload: Value = serde_json::from_str(decision["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["officer"], "Alice Officer (alice)", "{backend}");
        let everything = String::from_utf8_lossy(&exported.stdout);
        assert!(!everything.contains(&alice), "{backend}: the token is in the audit trail");
        let listed = run_cli(&bank, &["officers", "token", "list"]);
        assert!(!text(&listed).contains(&alice[4..]), "{backend}: `token list` shows the secret");
    }
}

#[tokio::test]
async fn revoked_or_disabled_officer_token_is_refused() {
    for test_db in testing::test_databases() {
        let backend = test_db.name;
        let (bank, id) = bank_with_a_case(test_db).await;
        let note = format!("/admin/aml/cases/{id}/notes");
        let alice = officer_token(&bank, "alice", "Alice Officer");
        let (status, body) = officer_post(&bank, &alice, &note, json!({"text": "first look"})).await;
        assert_eq!(status, 201, "{backend}: {body}");
        let revoked = run_cli(&bank, &["officers", "token", "revoke", "alice"]);
        assert!(revoked.status.success(), "{}", text(&revoked));
        let (status, body) = officer_post(&bank, &alice, &note, json!({"text": "after revocation"})).await;
        assert_eq!(status, 401, "{backend}: {body}");

        let second = run_cli(&bank, &["officers", "token", "create", "alice"]);
        assert!(second.status.success(), "{}", text(&second));
        let second = String::from_utf8(second.stdout).unwrap().trim().to_string();
        let (status, _) = officer_post(&bank, &second, &note, json!({"text": "second token"})).await;
        assert_eq!(status, 201, "{backend}");
        let disabled = run_cli(&bank, &["officers", "disable", "alice"]);
        assert!(disabled.status.success(), "{}", text(&disabled));
        let (status, body) = officer_post(&bank, &second, &note, json!({"text": "while disabled"})).await;
        assert_eq!(status, 401, "{backend}: {body}");
        let enabled = run_cli(&bank, &["officers", "enable", "alice"]);
        assert!(enabled.status.success(), "{}", text(&enabled));
        let (status, _) = officer_post(&bank, &second, &note, json!({"text": "re-enabled"})).await;
        assert_eq!(status, 401, "{backend}: disabling deleted the officer's tokens for good");
        let (_, case) =
            internal_json(&bank, reqwest::Method::GET, &format!("/admin/aml/cases/{id}"), None).await;
        let notes: Vec<&str> =
            case["notes"].as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap()).collect();
        assert_eq!(notes.len(), 2, "{backend}: {notes:?}");
    }
}
