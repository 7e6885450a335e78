//! Diesel table definitions of the framework's own tables. Kept in step with `migrations/` by
//! hand (one definition serves the three backends).

diesel::table! {
    /// Challenges that have produced a SEP-10 token (single use).
    sep10_used_challenges (challenge_hash) {
        /// Hex SHA-256 of the challenge transaction (the token's `jti`).
        challenge_hash -> Varchar,
        /// Unix seconds after which the record may be purged.
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// Imported sanctions-list versions (anchor-aml).
    aml_list_versions (id) {
        /// Row id.
        id -> BigInt,
        /// List code (`ofac-sdn`, `un`, `custom:NAME`, …).
        source -> Varchar,
        /// `active`, `superseded` or `refused`.
        status -> Varchar,
        /// SHA-256 of the decompressed input.
        sha256 -> Varchar,
        /// Publication date stated in the file.
        published_on -> Nullable<Varchar>,
        /// Unix seconds.
        imported_at -> BigInt,
        /// Entities.
        entity_count -> BigInt,
        /// Entities added since the previous version.
        added_count -> BigInt,
        /// Entities removed since the previous version.
        removed_count -> BigInt,
        /// Entities changed since the previous version.
        changed_count -> BigInt,
        /// Name, address and skipped-record counts and the parser version (JSON).
        details_json -> Text,
        /// The source ids added, removed and changed (JSON).
        diff_json -> Nullable<Text>,
        /// Why an import was refused.
        refusal_reason -> Nullable<Text>,
        /// zlib-compressed JSON of the entities; NULL for refused imports.
        entities -> Nullable<Binary>,
    }
}

diesel::table! {
    /// SEP-12: the SEP-10 identity that created each customer id.
    sep12_customer_owners (customer_id) {
        /// The anchor's customer id.
        customer_id -> Varchar,
        /// `G…` or `M…` account of the token that created it.
        account -> Varchar,
        /// The memo's key (`id:5`, `text:…`, `hash:…`), or empty.
        memo -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
        /// The customer's screening fields merged over every accepted `PUT` (JSON), erased with
        /// the customer.
        screening_json -> Nullable<Text>,
    }
}

diesel::table! {
    /// SEP-12 status-callback registrations.
    sep12_callbacks (customer_id) {
        /// The anchor's customer id.
        customer_id -> Varchar,
        /// The checked callback URL.
        url -> Text,
        /// The `type` the registration watches (`""` for none).
        customer_type -> Varchar,
        /// The status last seen (`NEEDS_INFO`, …): a callback fires only when it changes.
        last_status -> Varchar,
        /// Unix seconds.
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-12 uploaded files.
    sep12_files (file_id) {
        /// Random id.
        file_id -> Varchar,
        /// The SEP-10 `sub` that uploaded it; only it may read or reference the file.
        owner -> Varchar,
        /// The customer referencing it, once a `PUT /customer` did.
        customer_id -> Nullable<Varchar>,
        /// Checked media type.
        content_type -> Varchar,
        /// Bytes.
        size -> BigInt,
        /// The file.
        data -> Binary,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds after which an unreferenced file is purged.
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// SEP-12 file quotas: one row per SEP-10 `sub` that uploaded files. An upload updates its
    /// owner's row first, so one owner's uploads are counted against the quota one at a time.
    sep12_file_quotas (owner) {
        /// The SEP-10 `sub`.
        owner -> Varchar,
        /// Unix seconds of the owner's last upload; rows idle longer than the file expiry are purged.
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-3: payments this anchor approved (stored only when it answered 200).
    sep3_authorized_transactions (transaction_id) {
        /// Hex transaction hash on this anchor's network.
        transaction_id -> Varchar,
        /// The sending institution's domain.
        sender_domain -> Varchar,
        /// The attachment's nonce.
        nonce -> Varchar,
        /// Hex fingerprint of the request (sender, need_info, transaction, attachment).
        request_sha256 -> Varchar,
        /// Base64 of the 32-byte memo hash, as Horizon reports it.
        memo -> Varchar,
        /// Base64 XDR of the unsigned transaction.
        transaction_xdr -> Text,
        /// The `data` JSON as received.
        data -> Text,
        /// Unix seconds.
        authorized_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-3: requests answered 202, keyed by sending domain and nonce.
    sep3_pending_requests (sender_domain, nonce) {
        /// The sending institution's domain.
        sender_domain -> Varchar,
        /// The attachment's nonce.
        nonce -> Varchar,
        /// Hex fingerprint of the request (sender, need_info, transaction, attachment).
        request_sha256 -> Varchar,
        /// Hex transaction hash.
        transaction_id -> Varchar,
        /// Unix seconds.
        first_seen_at -> BigInt,
        /// Unix seconds.
        last_seen_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-3 sending side: the data sent for each `/send` id.
    sep3_auth_data (request_id) {
        /// The caller's idempotency key.
        request_id -> Varchar,
        /// The receiving institution's domain.
        domain -> Varchar,
        /// Its `AUTH_SERVER`.
        auth_server -> Text,
        /// The `data` JSON.
        data -> Text,
        /// Unix seconds.
        created_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-3 consent: institutions allowed to receive our customers' data.
    sep3_allowed_fi (domain) {
        /// The institution's domain.
        domain -> Varchar,
        /// Its name.
        name -> Varchar,
        /// Its `SIGNING_KEY`.
        public_key -> Varchar,
        /// Unix seconds.
        allowed_at -> BigInt,
    }
}

diesel::table! {
    /// SEP-3 consent: single customers of another institution.
    sep3_allowed_users (fi_domain, user_id) {
        /// The institution's domain.
        fi_domain -> Varchar,
        /// The customer's name part of `name*domain`.
        user_id -> Varchar,
        /// The institution's name.
        fi_name -> Varchar,
        /// Its `SIGNING_KEY`.
        fi_public_key -> Varchar,
        /// Unix seconds.
        allowed_at -> BigInt,
    }
}

diesel::table! {
    /// The hash-chained compliance audit trail (anchor-aml).
    aml_audit_log (seq) {
        /// 1, 2, 3, … without gaps.
        seq -> BigInt,
        /// Unix seconds.
        recorded_at -> BigInt,
        /// What happened (`list_import`, `list_import_refused`, …).
        kind -> Varchar,
        /// The record's content (JSON).
        payload -> Text,
        /// The previous record's hash (64 zeros for the first).
        prev_hash -> Varchar,
        /// SHA-256 over this record and `prev_hash`, hex.
        hash -> Varchar,
    }
}

diesel::table! {
    /// Everyone the AML monitor screens: customers, authenticated accounts, SEP-3 counterparties.
    aml_subjects (id) {
        /// Row id; scans walk subjects in id order.
        id -> BigInt,
        /// Stable key given by the caller (`sep12:…`, `sep10:G…`, `sep3:…`).
        subject_key -> Varchar,
        /// `sep12`, `sep10`, `sep3` or `manual`.
        origin -> Varchar,
        /// Names (JSON array); NULL once erased.
        names_json -> Nullable<Text>,
        /// `YYYY-MM-DD` (or partial); NULL once erased.
        date_of_birth -> Nullable<Varchar>,
        /// ISO country code; NULL once erased.
        country -> Nullable<Varchar>,
        /// Stellar accounts (JSON array of `G…`).
        accounts_json -> Text,
        /// SHA-256 of the screening fields (kept after erasure).
        fingerprint -> Varchar,
        /// `clear`, `unscreened`, `review`, `frozen` or `erased`.
        status -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds.
        updated_at -> BigInt,
        /// Unix seconds of the last screening.
        screened_at -> Nullable<BigInt>,
        /// Organisation names (JSON array), screened as organisations.
        organizations_json -> Nullable<Text>,
        /// `person` or `organization`: the kind of `names_json`; NULL when unknown.
        names_kind -> Nullable<Varchar>,
    }
}

diesel::table! {
    /// Accounts refused on every SEP route.
    aml_frozen_accounts (account) {
        /// The frozen identity: `G…` (the whole account) or `G…:<memo key>` (one memo or muxed
        /// customer of a shared account).
        account -> Varchar,
        /// The subject it belongs to.
        subject_id -> Nullable<BigInt>,
        /// The case that froze it.
        case_id -> Nullable<BigInt>,
        /// Unix seconds.
        frozen_at -> BigInt,
        /// Why (for officers; never shown to clients).
        reason -> Text,
    }
}

diesel::table! {
    /// Screening cases: one per subject and list entry.
    aml_cases (id) {
        /// Case number.
        id -> BigInt,
        /// The subject.
        subject_id -> BigInt,
        /// List code.
        list_source -> Varchar,
        /// Entry id in that list.
        entry_id -> Varchar,
        /// The entry's primary name.
        entry_name -> Text,
        /// Best score.
        score -> Float,
        /// `match` (frozen at once) or `review`.
        decision -> Varchar,
        /// `open`, `cleared` or `confirmed`.
        status -> Varchar,
        /// The hit with its explanation and the list version (JSON).
        details_json -> Text,
        /// Unix seconds.
        opened_at -> BigInt,
        /// The scan that found it (NULL: found on arrival).
        scan_id -> Nullable<BigInt>,
        /// Unix seconds.
        decided_at -> Nullable<BigInt>,
        /// The officer.
        decided_by -> Nullable<Varchar>,
        /// The officer's written reason.
        decision_reason -> Nullable<Text>,
        /// Notes (JSON array of {at, by, text}).
        notes_json -> Text,
        /// What the case holds (JSON `{"freeze_targets": [...], "snapshot": null | {...}}`): the
        /// identities it freezes on a match or a confirmation, fixed when it opens, and the
        /// subject's screened fields once the customer was erased. NULL for older cases.
        hold_json -> Nullable<Text>,
    }
}

diesel::table! {
    /// Cleared false positives, per subject and list entry, until they expire.
    aml_allowlist (id) {
        /// Row id.
        id -> BigInt,
        /// The subject.
        subject_id -> BigInt,
        /// List code.
        list_source -> Varchar,
        /// Entry id.
        entry_id -> Varchar,
        /// Unix seconds.
        expires_at -> BigInt,
        /// The officer's reason.
        reason -> Text,
        /// The officer.
        created_by -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Screening scans (full, delta, on demand), resumable and claimed by one instance at a time.
    aml_scans (id) {
        /// Scan number.
        id -> BigInt,
        /// Unique key (`full:<period>`, `delta:<list version>`, `manual:<n>`).
        scan_key -> Varchar,
        /// `full`, `delta` or `manual`.
        kind -> Varchar,
        /// `queued`, `running`, `completed` or `failed`.
        status -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds.
        started_at -> Nullable<BigInt>,
        /// Unix seconds.
        finished_at -> Nullable<BigInt>,
        /// Resume point: every subject up to this id is done.
        last_subject_id -> BigInt,
        /// Subjects to screen when the scan started.
        subjects_total -> BigInt,
        /// Subjects screened so far.
        screened -> BigInt,
        /// Hits found so far.
        hits -> BigInt,
        /// The instance working on it.
        lease_owner -> Nullable<Varchar>,
        /// Unix seconds until which the claim holds.
        lease_until -> BigInt,
        /// Lists, thresholds, and for a delta scan the list version and entries (JSON).
        details_json -> Text,
        /// Why it failed.
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    /// The committed batches of each scan.
    aml_scan_batches (scan_id, first_subject_id) {
        /// The scan.
        scan_id -> BigInt,
        /// First subject id of the batch.
        first_subject_id -> BigInt,
        /// Last subject id of the batch.
        last_subject_id -> BigInt,
        /// Subjects screened.
        screened -> BigInt,
        /// Hits found.
        hits -> BigInt,
        /// The instance that committed it.
        owner -> Varchar,
        /// Unix seconds.
        committed_at -> BigInt,
    }
}

diesel::table! {
    /// The compliance officer's notification outbox (anchor-aml): one row per notification and
    /// channel.
    aml_notifications (id) {
        /// Row id.
        id -> BigInt,
        /// Random id sent as `X-Anchor-Delivery` and in the email's `Message-ID`; the same on
        /// every retry.
        delivery_id -> Varchar,
        /// `email` or `webhook`.
        channel -> Varchar,
        /// `new_hit`, `freeze`, `unfreeze`, `case_decision`, `scan_failed`,
        /// `list_update_failed` or `weekly_summary`.
        kind -> Varchar,
        /// The subject line.
        subject -> Text,
        /// The plain-text body.
        body -> Text,
        /// Structured details (JSON).
        details -> Text,
        /// A key that makes a second enqueue of the same notification a no-op (per channel).
        dedupe_key -> Nullable<Varchar>,
        /// `pending`, `sent` or `failed`.
        status -> Varchar,
        /// Delivery attempts made.
        attempts -> BigInt,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds before which the row is not tried (backoff).
        next_attempt_at -> BigInt,
        /// Unix seconds until which a worker holds the row (0 when nobody does).
        claimed_until -> BigInt,
        /// The claiming worker's random token.
        claim_token -> Nullable<Varchar>,
        /// Unix seconds of the last attempt (of the delivery, for a `sent` row).
        last_attempt_at -> Nullable<BigInt>,
        /// Why the latest failed attempt failed (kept after a later success).
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    /// Named compliance officers who sign in to the console (anchor-aml).
    aml_officers (id) {
        /// Row id.
        id -> BigInt,
        /// Sign-in name, unique.
        username -> Varchar,
        /// The name shown in the console and written in the audit trail with each decision.
        display_name -> Varchar,
        /// argon2id PHC string.
        password_hash -> Varchar,
        /// A disabled officer cannot sign in and loses every session.
        active -> Bool,
        /// Failed sign-ins since the last success.
        failed_logins -> Integer,
        /// Unix seconds until which sign-in is refused after repeated failures (0: not locked).
        locked_until -> BigInt,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds of the last change (password, name, active).
        updated_at -> BigInt,
        /// Unix seconds of the last successful sign-in.
        last_login_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Console sessions: the SHA-256 of the cookie's token, never the token itself.
    aml_officer_sessions (token_hash) {
        /// Hex SHA-256 of the session token.
        token_hash -> Varchar,
        /// The officer.
        officer_id -> BigInt,
        /// The token every form of this session must carry.
        csrf_token -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds after which the session is refused.
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// Freezes owned by cases: a target is frozen while an open or confirmed match case holds it.
    aml_freeze_holds (target, case_id) {
        /// `G…` or `G…:<memo key>`.
        target -> Varchar,
        /// The case that holds the freeze.
        case_id -> BigInt,
        /// That case's subject.
        subject_id -> BigInt,
        /// Unix seconds.
        created_at -> BigInt,
    }
}

// Joined by the officer console: a session with its officer, a scan batch with its scan.
diesel::allow_tables_to_appear_in_same_query!(aml_officers, aml_officer_sessions);
diesel::allow_tables_to_appear_in_same_query!(aml_scans, aml_scan_batches);

diesel::table! {
    /// SEP-12 status callbacks waiting for delivery (anchor-sep12's outbox): written in the
    /// transaction that records a status change on `sep12_callbacks`, delivered by the module's
    /// background worker, signed at delivery time.
    sep12_callback_outbox (id) {
        /// Row id.
        id -> BigInt,
        /// The customer whose status changed (for erasure and superseding).
        customer_id -> Varchar,
        /// The registered callback URL.
        url -> Varchar,
        /// The `GET /customer` JSON body to POST.
        body -> Text,
        /// `pending`, `delivered`, `failed` or `superseded`.
        state -> Varchar,
        /// Delivery attempts made.
        attempts -> BigInt,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds before which the row is not tried (backoff).
        next_attempt_at -> BigInt,
        /// Unix seconds until which the worker that leased the row is sending it.
        lease_until -> BigInt,
        /// The random token of the lease holder.
        lease_owner -> Nullable<Varchar>,
        /// Unix seconds of the last attempt.
        last_attempt_at -> Nullable<BigInt>,
        /// Why the last attempt failed (never a URL or a body).
        last_error -> Nullable<Text>,
        /// Unix seconds the row left `pending`; purged 7 days later.
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Signed heads of the AML audit trail (anchor-aml): a key outside the database vouches for
    /// the newest record's position and hash, so truncation and re-hashing are detected.
    aml_audit_checkpoints (id) {
        /// Row id.
        id -> BigInt,
        /// The position of the signed record (0 for an empty trail).
        seq -> BigInt,
        /// That record's hash.
        hash -> Varchar,
        /// Unix seconds, part of the signed message.
        signed_at -> BigInt,
        /// Why it was written: `daily`, `records`, `export (cli)`, …
        reason -> Varchar,
        /// The `G…` key that signed it (the anchor's `SIGNING_KEY`).
        public_key -> Varchar,
        /// Hex ed25519 signature over the checkpoint message.
        signature -> Varchar,
    }
}

diesel::table! {
    /// Officers' admin API tokens (anchor-aml): the SHA-256 of each token, never the token.
    aml_officer_tokens (id) {
        /// Row id (what `officers token list` shows and `officers token revoke` takes).
        id -> BigInt,
        /// The officer the token acts for.
        officer_id -> BigInt,
        /// Hex SHA-256 of the token.
        token_hash -> Varchar,
        /// The officer's label for the token (where it is used).
        label -> Varchar,
        /// Unix seconds.
        created_at -> BigInt,
        /// Unix seconds of the last use (updated at most once a minute).
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(aml_officers, aml_officer_tokens);
