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
