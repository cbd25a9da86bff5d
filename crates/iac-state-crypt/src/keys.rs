//! Keys: a raw 256-bit key or a passphrase stretched by argon2id, each
//! known by a key id that is safe to print and store (a hash, never the key).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::CryptError;

/// A 256-bit AES key, wiped from memory when dropped.
pub(crate) type KeyBytes = Zeroizing<[u8; 32]>;

/// argon2id's cost, stored with every ciphertext sealed under a passphrase
/// so that it can be raised later without breaking old state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    /// Memory, in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes (parallelism).
    pub p: u32,
}

impl KdfParams {
    /// OWASP's recommended argon2id minimum (19 MiB, 2 passes, 1 lane).
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 19 * 1024, t: 2, p: 1 };
}

/// Where a key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// The key itself (`IAC_STATE_KEY`).
    Raw(KeyBytes),
    /// A passphrase the key is derived from with argon2id (`IAC_STATE_PASSPHRASE`).
    Passphrase(Zeroizing<String>),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Raw(_) => f.write_str("KeySource::Raw(<redacted>)"),
            KeySource::Passphrase(_) => f.write_str("KeySource::Passphrase(<redacted>)"),
        }
    }
}

/// The printable id of a key: `k-` and 16 hex digits of a domain-separated
/// SHA-256 of the key itself.
pub(crate) fn key_id(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"iac-state-key-id\0");
    h.update(key);
    format!("k-{}", &hex::encode(h.finalize())[..16])
}

/// Parses `IAC_STATE_KEY`-style text: 32 bytes as base64 or as 64 hex digits.
pub fn parse_key(name: &str, text: &str) -> Result<KeyBytes, CryptError> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    };
    let bytes = Zeroizing::new(bytes.unwrap_or_default());
    let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        CryptError::BadKey(format!("{name} must be a 256-bit key: 32 bytes as base64 or 64 hex digits (make one with `openssl rand -base64 32`)"))
    })?;
    Ok(Zeroizing::new(arr))
}

pub(crate) fn derive(passphrase: &str, salt: &[u8], params: KdfParams) -> Result<KeyBytes, CryptError> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(|e| CryptError::BadKey(format!("argon2 parameters {params:?}: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(passphrase.as_bytes(), salt, out.as_mut()).map_err(|e| CryptError::BadKey(format!("deriving a key from the passphrase: {e}")))?;
    Ok(out)
}

/// A passphrase's derived keys by salt, so each salt is stretched once.
#[derive(Default)]
pub(crate) struct DerivedCache(Mutex<HashMap<(Vec<u8>, KdfParams), KeyBytes>>);

impl DerivedCache {
    pub(crate) fn get(&self, passphrase: &str, salt: &[u8], params: KdfParams) -> Result<KeyBytes, CryptError> {
        let k = (salt.to_vec(), params);
        if let Some(found) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&k) {
            return Ok(found.clone());
        }
        let derived = derive(passphrase, salt, params)?;
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(k, derived.clone());
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_base64_or_hex_only_at_256_bits() {
        let hex64 = "00".repeat(31) + "ff";
        assert_eq!(parse_key("K", &hex64).expect("hex")[31], 0xff);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(*parse_key("K", &format!(" {b64}\n")).expect("base64"), [7u8; 32]);
        for bad in ["", "abc", &"00".repeat(16), &base64::engine::general_purpose::STANDARD.encode([7u8; 31])] {
            let e = parse_key("IAC_STATE_KEY", bad).expect_err(bad);
            assert!(e.to_string().contains("IAC_STATE_KEY"), "{e}");
        }
    }

    #[test]
    fn key_ids_differ_per_key_and_hide_it() {
        let (a, b) = (key_id(&[1; 32]), key_id(&[2; 32]));
        assert_ne!(a, b);
        assert!(a.starts_with("k-") && a.len() == 18, "{a}");
        assert!(!a.contains(&hex::encode([1u8; 8])), "the id must not be the key");
    }
}
