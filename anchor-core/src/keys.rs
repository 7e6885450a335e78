//! Stellar keys as the framework uses them: the anchor's `SIGNING_SEED` (one key that signs SEP-10
//! challenges, SEP-3 messages and SEP-12 callbacks, published as `SIGNING_KEY`), the
//! `SERVER_JWT_KEY`, and generation of fresh development keys.

use std::fmt;

use ed25519_dalek::Signer as _;

use crate::sensitive::Sensitive;

/// The anchor's ed25519 signing key, parsed from a Stellar secret seed (`S…`).
///
/// `Debug` shows only the public key.
#[derive(Clone)]
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: String,
}

impl SigningKey {
    /// Parses a Stellar secret seed (`S…`, 56 characters, checksum validated).
    pub fn from_seed(seed: &str) -> Result<Self, InvalidSeed> {
        let private =
            stellar_strkey::ed25519::PrivateKey::from_string(seed.trim()).map_err(|_| InvalidSeed)?;
        Ok(Self::from_bytes(private.0))
    }

    /// Builds a key from its 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&bytes);
        let public =
            stellar_strkey::ed25519::PublicKey(key.verifying_key().to_bytes()).to_string().to_string();
        SigningKey { key, public }
    }

    /// Generates a fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let bytes = random_bytes()?;
        Ok(Self::from_bytes(bytes))
    }

    /// The public key as a Stellar account id (`G…`): the `SIGNING_KEY` of stellar.toml.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The raw 32-byte public key.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The secret seed (`S…`). Only `keys generate` and `.env` writing should need this.
    pub fn seed(&self) -> Sensitive<String> {
        Sensitive::new(format!(
            "{}",
            stellar_strkey::ed25519::PrivateKey(self.key.to_bytes()).as_unredacted()
        ))
    }

    /// Signs a message with ed25519.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The underlying ed25519 key, for crates that build Stellar signatures.
    pub fn ed25519(&self) -> &ed25519_dalek::SigningKey {
        &self.key
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public_key", &self.public).finish_non_exhaustive()
    }
}

/// The seed was not a valid Stellar secret seed. Carries no part of the input on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Stellar secret seed")]
pub struct InvalidSeed;

/// Generates a random `SERVER_JWT_KEY`: 64 hex characters (32 random bytes).
pub fn generate_jwt_key() -> Result<Sensitive<String>, RandomnessUnavailable> {
    let bytes = random_bytes()?;
    Ok(Sensitive::new(crate::hex::encode(&bytes)))
}

/// The operating system's random number generator failed; no key was made.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessUnavailable(String);

fn random_bytes() -> Result<[u8; 32], RandomnessUnavailable> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| RandomnessUnavailable(err.to_string()))?;
    Ok(bytes)
}

/// Whether `account` is a syntactically valid Stellar account id (`G…`, checksum validated).
pub fn is_account_id(account: &str) -> bool {
    stellar_strkey::ed25519::PublicKey::from_string(account).is_ok()
}

#[cfg(test)]
mod tests;
