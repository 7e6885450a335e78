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
