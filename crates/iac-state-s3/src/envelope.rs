//! The bytes of the objects this backend writes, and their verification.
//!
//! A snapshot object is one header line and the snapshot bytes:
//!
//! ```text
//! {"format":"iac-s3-state/1","lineage":"…","serial":7,"created":"…","size":1234,"sha256":"…"}\n
//! <size bytes of snapshot, opaque>
//! ```
//!
//! A journal object holds one `append` batch:
//!
//! ```text
//! {"format":"iac-s3-journal/1","lengths":[12,0,40],"sha256":"…"}\n
//! <the records' bytes, concatenated>
//! ```
//!
//! In both, `sha256` covers the header's other values and the body, so a
//! changed byte, a truncation or an edited serial is reported as damage.

use iac_core::backend::SnapshotMeta;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const STATE_FORMAT: &str = "iac-s3-state/1";
const JOURNAL_FORMAT: &str = "iac-s3-journal/1";
/// A header longer than this is not a header.
const MAX_HEADER: usize = 64 * 1024;

/// Why an object's bytes were refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Damage(pub String);

#[derive(Debug, Serialize, Deserialize)]
struct StateHeader {
    format: String,
    lineage: String,
    serial: u64,
    created: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalHeader {
    format: String,
    lengths: Vec<u64>,
    sha256: String,
}

fn digest(fields: &impl Serialize, body: &[u8]) -> String {
    let mut h = Sha256::new();
    // Serializing strings and integers cannot fail.
    h.update(serde_json::to_vec(fields).unwrap_or_default());
    h.update(body);
    hex::encode(h.finalize())
}

fn split(bytes: &[u8]) -> Result<(&[u8], &[u8]), Damage> {
    let nl = bytes.iter().take(MAX_HEADER).position(|&b| b == b'\n').ok_or_else(|| Damage("no header line".into()))?;
    Ok((&bytes[..nl], &bytes[nl + 1..]))
}

/// A verified snapshot object.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub meta: SnapshotMeta,
    pub created: String,
    pub body: Vec<u8>,
}

pub fn encode_snapshot(meta: &SnapshotMeta, created: &str, body: &[u8]) -> Vec<u8> {
    let sha256 = digest(&(STATE_FORMAT, &meta.lineage, meta.serial, created, body.len() as u64), body);
    let h = StateHeader {
        format: STATE_FORMAT.into(),
        lineage: meta.lineage.clone(),
        serial: meta.serial,
        created: created.into(),
        size: body.len() as u64,
        sha256,
    };
    // JSON escapes newlines inside strings, so the header stays on one line.
    let mut out = serde_json::to_vec(&h).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

pub fn decode_snapshot(bytes: &[u8]) -> Result<Snapshot, Damage> {
    let (line, body) = split(bytes)?;
    let h: StateHeader = serde_json::from_slice(line).map_err(|e| Damage(format!("snapshot header is not valid: {e}")))?;
    if h.format != STATE_FORMAT {
        return Err(Damage(format!("unknown snapshot format {:?} (this iac reads {STATE_FORMAT:?})", h.format)));
    }
    if body.len() as u64 != h.size {
        return Err(Damage(format!("snapshot is {} bytes, its header says {}", body.len(), h.size)));
    }
    let want = digest(&(STATE_FORMAT, &h.lineage, h.serial, &h.created, h.size), body);
    if want != h.sha256 {
        return Err(Damage(format!("snapshot checksum mismatch (header {}, content {want})", h.sha256)));
    }
    Ok(Snapshot { meta: SnapshotMeta { lineage: h.lineage, serial: h.serial }, created: h.created, body: body.to_vec() })
}

pub fn encode_batch(records: &[Vec<u8>]) -> Vec<u8> {
    let lengths: Vec<u64> = records.iter().map(|r| r.len() as u64).collect();
    let body: Vec<u8> = records.concat();
    let sha256 = digest(&(JOURNAL_FORMAT, &lengths), &body);
    let mut out = serde_json::to_vec(&JournalHeader { format: JOURNAL_FORMAT.into(), lengths, sha256 }).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(&body);
    out
}

pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Damage> {
    let (line, body) = split(bytes)?;
    let h: JournalHeader = serde_json::from_slice(line).map_err(|e| Damage(format!("journal batch header is not valid: {e}")))?;
    if h.format != JOURNAL_FORMAT {
        return Err(Damage(format!("unknown journal format {:?} (this iac reads {JOURNAL_FORMAT:?})", h.format)));
    }
    let total: u64 = h.lengths.iter().sum();
    if total != body.len() as u64 {
        return Err(Damage(format!("journal batch is {} bytes, its header says {total}", body.len())));
    }
    let want = digest(&(JOURNAL_FORMAT, &h.lengths), body);
    if want != h.sha256 {
        return Err(Damage(format!("journal batch checksum mismatch (header {}, content {want})", h.sha256)));
    }
    let mut out = Vec::with_capacity(h.lengths.len());
    let mut at = 0usize;
    for len in h.lengths {
        let end = at + len as usize;
        out.push(body[at..end].to_vec());
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> SnapshotMeta {
        SnapshotMeta { lineage: "L\n\"x".into(), serial: 7 }
    }

    #[test]
    fn snapshots_round_trip_any_bytes() {
        for body in [&b""[..], b"{\"a\":1}\n", &[0u8, 10, 13, 255, 10][..]] {
            let enc = encode_snapshot(&meta(), "2024-01-01T00:00:00Z", body);
            assert_eq!(decode_snapshot(&enc), Ok(Snapshot { meta: meta(), created: "2024-01-01T00:00:00Z".into(), body: body.to_vec() }));
        }
    }

    #[test]
    fn any_damage_to_a_snapshot_is_detected() {
        let enc = encode_snapshot(&meta(), "t", b"the state body");
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0x01;
            assert!(decode_snapshot(&bad).is_err(), "flipping byte {i} went unnoticed");
        }
        for cut in 0..enc.len() {
            assert!(decode_snapshot(&enc[..cut]).is_err(), "a cut at {cut} went unnoticed");
        }
    }

    #[test]
    fn batches_round_trip_and_damage_is_detected() {
        let records = vec![b"one".to_vec(), Vec::new(), b"two\nlines".to_vec(), vec![0, 255]];
        let enc = encode_batch(&records);
        assert_eq!(decode_batch(&enc), Ok(records));
        assert_eq!(decode_batch(&encode_batch(&[])), Ok(vec![]));
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0x02;
            assert!(decode_batch(&bad).is_err(), "flipping byte {i} went unnoticed");
        }
        assert!(decode_batch(&enc[..enc.len() - 1]).is_err());
    }
}
