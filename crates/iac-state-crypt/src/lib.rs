//! Encryption at rest for state and saved plans, for every backend.
//!
//! It owns: the sealed format (AES-256-GCM, a fresh random nonce per
//! message, the key id and any KDF salt in a header the tag authenticates),
//! keys (a raw 256-bit key, or a passphrase stretched by argon2id), the
//! [`Keyring`] that seals with one key and opens with any it holds, and
//! [`EncryptedBackend`], a [`StateBackend`](iac_core::backend::StateBackend) decorator that seals every
//! snapshot and journal record of the backend it wraps. Plain (never
//! encrypted) state stays readable, so existing state can be migrated; a
//! sealed value that no key opens is an error naming its key id.
//!
//! Lineage, serial and lock records stay readable by the backend (it needs
//! them to refuse stale writes and name lock holders); nothing else does.
//!
//! Architecture Invariant: this crate depends on `iac-core` and crypto
//! libraries only; it must not depend on the engine, a concrete backend, or
//! the CLI, and it reads no environment itself (the CLI passes keys in).

#![deny(missing_docs)]

mod backend;
mod keys;
mod sealed;

use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use zeroize::Zeroizing;

pub use backend::EncryptedBackend;
pub use keys::{parse_key, KdfParams, KeySource};
pub use sealed::{is_sealed, plaintext_len, Purpose};

use keys::{key_id, DerivedCache, KeyBytes};
use sealed::{Header, Kdf};

/// Why a value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// A key or passphrase that cannot be used (the message says why).
    #[error("{0}")]
    BadKey(String),
    /// No configured key has the id the value was sealed with.
    #[error("{what} is encrypted with key id {key_id}; {have}")]
    MissingKey {
        /// What was being opened ("the state snapshot").
        what: String,
        /// The id it was sealed under.
        key_id: String,
        /// Which keys are configured, if any.
        have: String,
    },
    /// The key id matched but the tag did not: the bytes were changed.
    #[error("{what} (key id {key_id}) does not decrypt: it was altered or damaged")]
    Tampered {
        /// What was being opened.
        what: String,
        /// The id it was sealed under.
        key_id: String,
    },
    /// The bytes start like a sealed value but are not one.
    #[error("{what} is not a valid sealed value: {detail}")]
    Malformed {
        /// What was being opened.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
}

/// A key ready to seal with: its bytes, id, and (for a passphrase) the salt
/// and cost that produced it.
#[derive(Clone)]
struct SealingKey {
    key: KeyBytes,
    id: String,
    kdf: Option<(Vec<u8>, KdfParams)>,
}

/// One way of opening sealed values.
struct Opener {
    source: KeySource,
    /// Raw keys: their id, computed once.
    raw_id: Option<String>,
}

/// The keys a run seals with and opens with.
pub struct Keyring {
    /// What new values are sealed with; None: written in plain.
    seal: Option<KeySource>,
    /// For a passphrase, the derived key in use (adopted from state already
    /// sealed under the same passphrase, so its key id stays the same).
    sealing: Mutex<Option<SealingKey>>,
    open: Vec<Opener>,
    derived: DerivedCache,
    kdf: KdfParams,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("seals", &self.seal.is_some()).field("opens", &self.open.len()).finish()
    }
}

fn opener(source: KeySource) -> Opener {
    let raw_id = match &source {
        KeySource::Raw(k) => Some(key_id(k)),
        KeySource::Passphrase(_) => None,
    };
    Opener { source, raw_id }
}

impl Keyring {
    /// Seals with `seal` (None: writes stay plain) and opens with it and
    /// every key in `also_open` (older keys, during a rekey).
    pub fn new(seal: Option<KeySource>, also_open: Vec<KeySource>) -> Keyring {
        let open = seal.iter().cloned().chain(also_open).map(opener).collect();
        Keyring { seal, sealing: Mutex::new(None), open, derived: DerivedCache::default(), kdf: KdfParams::DEFAULT }
    }

    /// The same, with a different argon2 cost for passphrases (tests use a cheap one).
    pub fn with_kdf_params(mut self, kdf: KdfParams) -> Keyring {
        self.kdf = kdf;
        self
    }

    /// No keys: writes plain, reads plain, and names the key id of anything sealed.
    pub fn none() -> Keyring {
        Keyring::new(None, Vec::new())
    }

    /// Whether new values are sealed (a key is configured), or written plain.
    pub fn seals(&self) -> bool {
        self.seal.is_some()
    }

    /// The id new values are sealed under, if known yet (a passphrase's id
    /// depends on its salt, chosen at the first seal or adopted at the first open).
    pub fn sealing_key_id(&self) -> Option<String> {
        if let Some(s) = self.sealing.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Some(s.id.clone());
        }
        match &self.seal {
            Some(KeySource::Raw(k)) => Some(key_id(k)),
            _ => None,
        }
    }

    fn sealing_key(&self) -> Result<Option<SealingKey>, CryptError> {
        let mut cur = self.sealing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = cur.as_ref() {
            return Ok(Some(k.clone()));
        }
        let made = match &self.seal {
            None => return Ok(None),
            Some(KeySource::Raw(k)) => SealingKey { key: k.clone(), id: key_id(k), kdf: None },
            Some(KeySource::Passphrase(p)) => {
                let salt = <[u8; 16]>::generate().to_vec();
                let key = self.derived.get(p, &salt, self.kdf)?;
                SealingKey { id: key_id(&key), key, kdf: Some((salt, self.kdf)) }
            }
        };
        *cur = Some(made.clone());
        Ok(Some(made))
    }

    /// Seals `plain` for `purpose`, or returns it unchanged when this keyring has no sealing key.
    pub fn seal(&self, purpose: Purpose, plain: &[u8]) -> Result<Vec<u8>, CryptError> {
        let Some(k) = self.sealing_key()? else {
            return Ok(plain.to_vec());
        };
        let nonce = <[u8; 12]>::generate();
        let header = Header {
            alg: sealed::ALG.into(),
            key_id: k.id.clone(),
            nonce: sealed::b64(&nonce),
            kdf: k.kdf.as_ref().map(|(salt, params)| Kdf { alg: "argon2id".into(), salt: sealed::b64(salt), params: *params }),
        };
        let line = serde_json::to_vec(&header).unwrap_or_default();
        let cipher = Aes256Gcm::new(&(*k.key).into());
        let ct = cipher
            .encrypt(&nonce.into(), Payload { msg: plain, aad: &sealed::aad(&line, purpose) })
            .map_err(|_| CryptError::BadKey("AES-256-GCM refused to encrypt (message too long)".into()))?;
        let (out, written_line) = sealed::encode(&header, &ct);
        debug_assert_eq!(written_line, line);
        Ok(out)
    }

    /// Opens `bytes` sealed for `purpose`; plain bytes come back as they are.
    /// `what` names the value in errors ("s3 state at …, version 3").
    pub fn open(&self, purpose: Purpose, bytes: &[u8], what: &str) -> Result<Vec<u8>, CryptError> {
        if !sealed::is_sealed(bytes) {
            return Ok(bytes.to_vec());
        }
        let parsed = sealed::parse(bytes).map_err(|detail| CryptError::Malformed { what: what.into(), detail })?;
        let h = &parsed.header;
        let nonce: [u8; 12] =
            sealed::unb64(&h.nonce).and_then(|n| n.try_into().ok()).ok_or_else(|| CryptError::Malformed { what: what.into(), detail: "bad nonce".into() })?;
        let key = self.key_for(h, what)?;
        let cipher = Aes256Gcm::new(&(*key).into());
        let plain = cipher
            .decrypt(&nonce.into(), Payload { msg: parsed.ciphertext, aad: &sealed::aad(parsed.header_line, purpose) })
            .map_err(|_| CryptError::Tampered { what: what.into(), key_id: h.key_id.clone() })?;
        Ok(plain)
    }

    /// The key that opens values sealed under `h`, or an error naming its id.
    fn key_for(&self, h: &Header, what: &str) -> Result<KeyBytes, CryptError> {
        for o in &self.open {
            match (&o.source, &h.kdf) {
                (KeySource::Raw(k), None) if o.raw_id.as_deref() == Some(h.key_id.as_str()) => return Ok(k.clone()),
                (KeySource::Passphrase(p), Some(kdf)) => {
                    let salt = sealed::unb64(&kdf.salt).ok_or_else(|| CryptError::Malformed { what: what.into(), detail: "bad salt".into() })?;
                    if kdf.alg != "argon2id" {
                        return Err(CryptError::Malformed { what: what.into(), detail: format!("unknown key derivation {:?}", kdf.alg) });
                    }
                    let key = self.derived.get(p, &salt, kdf.params)?;
                    if key_id(&key) == h.key_id {
                        self.adopt(p, &key, &h.key_id, salt, kdf.params);
                        return Ok(key);
                    }
                }
                _ => {}
            }
        }
        Err(CryptError::MissingKey { what: what.into(), key_id: h.key_id.clone(), have: self.describe_keys(h) })
    }

    /// Keeps sealing under the salt of state this passphrase already opened.
    fn adopt(&self, passphrase: &str, key: &KeyBytes, id: &str, salt: Vec<u8>, params: KdfParams) {
        let Some(KeySource::Passphrase(seal)) = &self.seal else {
            return;
        };
        if seal.as_str() != passphrase {
            return;
        }
        let mut cur = self.sealing.lock().unwrap_or_else(|p| p.into_inner());
        if cur.is_none() {
            *cur = Some(SealingKey { key: key.clone(), id: id.to_string(), kdf: Some((salt, params)) });
        }
    }

    fn describe_keys(&self, h: &Header) -> String {
        let passphrase = h.kdf.is_some();
        if self.open.is_empty() {
            return if passphrase { "set IAC_STATE_PASSPHRASE to its passphrase".into() } else { "set IAC_STATE_KEY to that key".into() };
        }
        let raw: Vec<&str> = self.open.iter().filter_map(|o| o.raw_id.as_deref()).collect();
        let has_pass = self.open.iter().any(|o| matches!(o.source, KeySource::Passphrase(_)));
        match (passphrase, has_pass) {
            (true, true) => "the passphrase given is not the one it was sealed with".into(),
            (true, false) => format!("it was sealed with a passphrase (set IAC_STATE_PASSPHRASE); the keys given are {}", raw.join(", ")),
            (false, _) if raw.is_empty() => "it was sealed with a key (set IAC_STATE_KEY), not a passphrase".into(),
            (false, _) => format!("the keys given are {}", raw.join(", ")),
        }
    }
}

/// A keyring shared by a backend decorator and plan sealing.
pub type SharedKeyring = Arc<Keyring>;

/// Wraps passphrase text for [`KeySource::Passphrase`].
pub fn passphrase(text: &str) -> Result<KeySource, CryptError> {
    if text.is_empty() {
        return Err(CryptError::BadKey("the state passphrase is empty".into()));
    }
    Ok(KeySource::Passphrase(Zeroizing::new(text.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    fn raw(b: u8) -> KeySource {
        KeySource::Raw(Zeroizing::new([b; 32]))
    }

    #[test]
    fn seal_then_open_round_trips_for_each_purpose_and_is_not_plain() {
        let k = Keyring::new(Some(raw(1)), vec![]);
        for purpose in [Purpose::Snapshot, Purpose::JournalRecord, Purpose::Plan] {
            for plain in [&b""[..], b"{\"secret\":\"hunter2\"}", &[0u8, 255, 10][..]] {
                let s = k.seal(purpose, plain).expect("seal");
                assert!(is_sealed(&s));
                assert!(!s.windows(7).any(|w| w == b"hunter2"), "plaintext leaked");
                assert_eq!(plaintext_len(&s), plain.len());
                assert_eq!(k.open(purpose, &s, "x").expect("open"), plain);
            }
        }
        let a = k.seal(Purpose::Snapshot, b"same").expect("seal");
        let b = k.seal(Purpose::Snapshot, b"same").expect("seal");
        assert_ne!(a, b, "each seal uses a fresh nonce");
    }

    #[test]
    fn the_purpose_and_every_byte_are_authenticated() {
        let k = Keyring::new(Some(raw(1)), vec![]);
        let s = k.seal(Purpose::JournalRecord, b"record").expect("seal");
        assert!(matches!(k.open(Purpose::Snapshot, &s, "x"), Err(CryptError::Tampered { .. })));
        for i in sealed::MARKER.len()..s.len() {
            let mut bad = s.clone();
            bad[i] ^= 0x01;
            assert!(k.open(Purpose::JournalRecord, &bad, "x").is_err(), "byte {i} changed unnoticed");
        }
    }

    #[test]
    fn a_missing_or_wrong_key_is_named_by_id() {
        let sealer = Keyring::new(Some(raw(1)), vec![]);
        let id = sealer.sealing_key_id().expect("raw keys have an id");
        let s = sealer.seal(Purpose::Snapshot, b"x").expect("seal");
        for (ring, hint) in [(Keyring::none(), "IAC_STATE_KEY"), (Keyring::new(Some(raw(2)), vec![]), &key_id(&[2; 32])[..])] {
            match ring.open(Purpose::Snapshot, &s, "the state") {
                Err(e @ CryptError::MissingKey { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.contains(&id) && msg.contains(hint) && msg.contains("the state"), "{msg}");
                }
                other => panic!("expected MissingKey, got {other:?}"),
            }
        }
        // The old key opens it during a rekey; new values use the new key.
        let rekey = Keyring::new(Some(raw(2)), vec![raw(1)]);
        assert_eq!(rekey.open(Purpose::Snapshot, &s, "x").expect("old key opens"), b"x");
        let resealed = rekey.seal(Purpose::Snapshot, b"x").expect("seal");
        assert!(matches!(sealer.open(Purpose::Snapshot, &resealed, "x"), Err(CryptError::MissingKey { .. })));
    }

    #[test]
    fn passphrases_derive_keys_and_keep_their_key_id() {
        let first = Keyring::new(Some(passphrase("correct horse").expect("pass")), vec![]).with_kdf_params(CHEAP);
        let s = first.seal(Purpose::Snapshot, b"state").expect("seal");
        let id = first.sealing_key_id().expect("known after sealing");

        let later = Keyring::new(Some(passphrase("correct horse").expect("pass")), vec![]).with_kdf_params(CHEAP);
        assert_eq!(later.open(Purpose::Snapshot, &s, "x").expect("open"), b"state");
        let s2 = later.seal(Purpose::Snapshot, b"next").expect("seal");
        assert_eq!(later.sealing_key_id().as_deref(), Some(id.as_str()), "a later run keeps the salt, hence the key id");
        assert_eq!(first.open(Purpose::Snapshot, &s2, "x").expect("open"), b"next");

        let wrong = Keyring::new(Some(passphrase("battery staple").expect("pass")), vec![]).with_kdf_params(CHEAP);
        let e = wrong.open(Purpose::Snapshot, &s, "the state").expect_err("wrong passphrase");
        assert!(e.to_string().contains(&id) && e.to_string().contains("passphrase"), "{e}");
        assert!(passphrase("").is_err());
    }

    #[test]
    fn plain_bytes_pass_through_and_a_keyless_ring_writes_plain() {
        let k = Keyring::new(Some(raw(1)), vec![]);
        assert_eq!(k.open(Purpose::Snapshot, b"{\"plain\":true}", "x").expect("plain"), b"{\"plain\":true}");
        assert_eq!(Keyring::none().seal(Purpose::Plan, b"p").expect("plain"), b"p");
        let mut bad = sealed::MARKER.to_vec();
        bad.extend_from_slice(b"{not json\n");
        assert!(matches!(k.open(Purpose::Snapshot, &bad, "x"), Err(CryptError::Malformed { .. })));
    }
}
