//! The one hash the operator stores in AWS and in status: SHA-256 in lower-case hex.
//! Its outputs must never change (golden tests beside each user pin them): a changed
//! hash would register new revisions, redeploy Services and recreate scaling policies
//! across every estate on upgrade.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, 64 hex characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 128 bits of the SHA-256 of `bytes`, 32 hex characters.
pub fn short_hex(bytes: &[u8]) -> String {
    let mut hex = sha256_hex(bytes);
    hex.truncate(32);
    hex
}

/// The JSON of `value`, for hashing. Serialising the operator's own types to JSON
/// cannot fail (their map keys are strings); should it ever, every value hashes alike,
/// which at worst sends one extra update.
pub fn json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// A 64-bit fingerprint of `value`, for in-memory change detection (watch predicates).
pub fn fingerprint(value: &impl Serialize) -> u64 {
    let digest = Sha256::digest(json(value));
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256_in_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(short_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    }

    #[test]
    fn fingerprints_follow_the_value() {
        assert_eq!(fingerprint(&("a", 1)), fingerprint(&("a", 1)));
        assert_ne!(fingerprint(&("a", 1)), fingerprint(&("a", 2)));
    }
}
