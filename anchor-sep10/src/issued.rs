//! Memory of the server signatures this process handed out recently, so that rule 7 on
//! `POST /auth` can compare a challenge's server signature against the one issued with it instead
//! of computing it again (an ed25519 signature costs a fixed-base scalar multiplication).
//!
//! It is a cache and nothing else: ed25519 signing is deterministic (RFC 8032), so the signature
//! remembered for a transaction hash is byte for byte the one rule 7 would recompute; a miss (the
//! challenge came from another instance, before a restart, or its slot was reused by a later
//! challenge) recomputes it. Nothing a client sends is stored: only what `GET /auth` signed. The
//! table is direct-mapped by the transaction hash, fixed in size and never grows.

use std::sync::Mutex;

/// Number of challenges remembered (each slot holds one; a later challenge with the same slot
/// replaces it). 32,768 slots use about 4.5 MiB and cover the whole `SEP10_AUTH_TIMEOUT` at
/// up to ~36 challenges per second, and the usual seconds between `GET` and `POST` at any rate.
pub const SLOTS: usize = 1 << 15;

#[derive(Clone, Copy)]
struct Issued {
    hash: [u8; 32],
    server_key: [u8; 32],
    signature: [u8; 64],
}

/// Server signatures of recently issued challenges, keyed by transaction hash and server key.
pub struct IssuedSignatures {
    slots: Box<[Mutex<Option<Issued>>]>,
}

impl std::fmt::Debug for IssuedSignatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSignatures").field("slots", &self.slots.len()).finish()
    }
}

impl Default for IssuedSignatures {
    fn default() -> Self {
        IssuedSignatures::with_slots(SLOTS)
    }
}

impl IssuedSignatures {
    /// A table of `slots` entries (at least one).
    pub fn with_slots(slots: usize) -> Self {
        IssuedSignatures { slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect() }
    }

    fn slot(&self, hash: &[u8; 32]) -> &Mutex<Option<Issued>> {
        let index =
            u64::from_le_bytes([hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7]]);
        &self.slots[(index % self.slots.len() as u64) as usize]
    }

    /// Remembers that `server_key` signed `hash` with `signature`.
    pub fn remember(&self, hash: [u8; 32], server_key: [u8; 32], signature: [u8; 64]) {
        // A poisoned slot only ever held plain bytes; overwrite it.
        let mut slot = self.slot(&hash).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Some(Issued { hash, server_key, signature });
    }

    /// The signature `server_key` gave `hash`, if it is still remembered.
    pub fn signature(&self, hash: &[u8; 32], server_key: &[u8; 32]) -> Option<[u8; 64]> {
        let slot = self.slot(hash).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.filter(|issued| issued.hash == *hash && issued.server_key == *server_key)
            .map(|issued| issued.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_hash_and_key_and_forgets_on_reuse_of_the_slot() {
        let issued = IssuedSignatures::with_slots(1);
        issued.remember([1; 32], [7; 32], [9; 64]);
        assert_eq!(issued.signature(&[1; 32], &[7; 32]), Some([9; 64]));
        assert_eq!(issued.signature(&[1; 32], &[8; 32]), None, "another server key");
        assert_eq!(issued.signature(&[2; 32], &[7; 32]), None, "another hash");
        issued.remember([2; 32], [7; 32], [3; 64]);
        assert_eq!(issued.signature(&[1; 32], &[7; 32]), None, "the slot was reused");
        assert_eq!(issued.signature(&[2; 32], &[7; 32]), Some([3; 64]));
    }
}
