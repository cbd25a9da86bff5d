//! The sealed format: a marker, one header line, then the AES-256-GCM
//! ciphertext with its tag.
//!
//! ```text
//! \0iac-sealed/1\n
//! {"alg":"AES-256-GCM","key_id":"k-…","nonce":"<b64>","kdf":null | {"alg":"argon2id","salt":"<b64>","m_kib":…,"t":…,"p":…}}\n
//! <ciphertext + 16-byte tag>
//! ```
//!
//! The marker starts with a NUL byte, which no JSON state, journal record or
//! plan begins with, so sealed and plain bytes are told apart without a key.
//! The additional authenticated data is the marker, the header line and the
//! purpose (snapshot, journal record, plan), so a header cannot be edited and
//! a journal record cannot be passed off as a snapshot.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::keys::KdfParams;

pub(crate) const MARKER: &[u8] = b"\0iac-sealed/1\n";
pub(crate) const ALG: &str = "AES-256-GCM";
pub(crate) const TAG_LEN: usize = 16;

/// What sealed bytes are for; part of what the tag authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A state snapshot.
    Snapshot,
    /// One record of the state journal.
    JournalRecord,
    /// A saved plan file.
    Plan,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Snapshot => b"iac state snapshot",
            Purpose::JournalRecord => b"iac state journal record",
            Purpose::Plan => b"iac saved plan",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Kdf {
    pub alg: String,
    pub salt: String,
    #[serde(flatten)]
    pub params: KdfParams,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub alg: String,
    pub key_id: String,
    pub nonce: String,
    pub kdf: Option<Kdf>,
}

/// Sealed bytes split into their parts (not yet decrypted).
pub(crate) struct Parsed<'a> {
    pub header: Header,
    pub header_line: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// Whether `bytes` are sealed (start with the sealed-value marker).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MARKER)
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

pub(crate) fn aad(header_line: &[u8], purpose: Purpose) -> Vec<u8> {
    [MARKER, header_line, b"\n", purpose.label()].concat()
}

pub(crate) fn encode(header: &Header, ciphertext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    // A struct of strings and integers always serializes, on one line.
    let line = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(MARKER.len() + line.len() + 1 + ciphertext.len());
    out.extend_from_slice(MARKER);
    out.extend_from_slice(&line);
    out.push(b'\n');
    out.extend_from_slice(ciphertext);
    (out, line)
}

/// Splits sealed bytes; Err says why they are not well formed.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed<'_>, String> {
    let rest = bytes.strip_prefix(MARKER).ok_or("not sealed")?;
    let nl = rest.iter().take(4096).position(|&b| b == b'\n').ok_or("the sealed header line is missing")?;
    let (header_line, ciphertext) = (&rest[..nl], &rest[nl + 1..]);
    let header: Header = serde_json::from_slice(header_line).map_err(|e| format!("the sealed header is not valid: {e}"))?;
    if header.alg != ALG {
        return Err(format!("sealed with {:?}; this iac knows {ALG}", header.alg));
    }
    if ciphertext.len() < TAG_LEN {
        return Err("the ciphertext is shorter than its tag".into());
    }
    Ok(Parsed { header, header_line, ciphertext })
}

/// The length of what `bytes` hold once opened, read without a key.
pub fn plaintext_len(bytes: &[u8]) -> usize {
    match parse(bytes) {
        Ok(p) => p.ciphertext.len() - TAG_LEN,
        Err(_) => bytes.len(),
    }
}
