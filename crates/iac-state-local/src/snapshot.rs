//! The snapshot envelope: one file holding a header line and the snapshot
//! bytes, so that a snapshot and its meta are replaced together by a single
//! rename. `history/` entries use the same envelope.
//!
//! ```text
//! {"format":"iac-local-state/1","lineage":"…","serial":7,"created":"…","size":1234,"crc32":"…"}\n
//! <size bytes of snapshot, opaque>
//! ```
//!
//! `size` counts the snapshot bytes; `crc32` covers the header's values and
//! the snapshot bytes, so truncation, or damage anywhere in the file (a
//! changed serial as much as a changed byte of state), is detected on load.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use iac_core::backend::{SnapshotMeta, StateError};
use serde::{Deserialize, Serialize};

use crate::atomic::{io_err, read_optional};
use crate::crc32::Crc32;

const FORMAT: &str = "iac-local-state/1";
/// A header longer than this is not a header.
const MAX_HEADER: u64 = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub format: String,
    pub lineage: String,
    pub serial: u64,
    pub created: String,
    pub size: u64,
    pub crc32: String,
}

/// The checksum over a header's values (all but itself) and the body.
fn checksum(format: &str, lineage: &str, serial: u64, created: &str, body: &[u8]) -> String {
    let fields = serde_json::to_vec(&(format, lineage, serial, created, body.len() as u64)).unwrap_or_default();
    format!("{:08x}", Crc32::new().update(&fields).update(body).finish())
}

impl Header {
    pub(crate) fn meta(&self) -> SnapshotMeta {
        SnapshotMeta { lineage: self.lineage.clone(), serial: self.serial }
    }
}

/// A snapshot file read and verified.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub header: Header,
    pub body: Vec<u8>,
}

pub(crate) fn encode(meta: &SnapshotMeta, created: String, body: &[u8]) -> Vec<u8> {
    let crc32 = checksum(FORMAT, &meta.lineage, meta.serial, &created, body);
    let h = Header { format: FORMAT.into(), lineage: meta.lineage.clone(), serial: meta.serial, created, size: body.len() as u64, crc32 };
    // Serializing a struct of strings and integers cannot fail; JSON escapes
    // any newline inside the strings, so the header stays on one line.
    let mut out = serde_json::to_vec(&h).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn corrupt(path: &Path, detail: impl Into<String>) -> StateError {
    StateError::Corrupt { what: path.display().to_string(), detail: detail.into() }
}

fn parse_header(path: &Path, line: &[u8]) -> Result<Header, StateError> {
    let h: Header = serde_json::from_slice(line).map_err(|e| corrupt(path, format!("snapshot header is not valid: {e}")))?;
    if h.format != FORMAT {
        return Err(corrupt(path, format!("unknown snapshot format {:?} (this iac reads {FORMAT:?})", h.format)));
    }
    Ok(h)
}

/// Splits and verifies a snapshot file's contents.
pub(crate) fn decode(path: &Path, mut file: Vec<u8>) -> Result<Snapshot, StateError> {
    let nl = file
        .iter()
        .take(MAX_HEADER as usize)
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt(path, "no snapshot header line (file is truncated or not an iac state file)"))?;
    let header = parse_header(path, &file[..nl])?;
    let body = file.split_off(nl + 1);
    if body.len() as u64 != header.size {
        return Err(corrupt(path, format!("snapshot is {} bytes, its header says {} (truncated or extended)", body.len(), header.size)));
    }
    let crc = checksum(&header.format, &header.lineage, header.serial, &header.created, &body);
    if crc != header.crc32 {
        return Err(corrupt(path, format!("snapshot checksum mismatch (recorded {}, computed {crc})", header.crc32)));
    }
    Ok(Snapshot { header, body })
}

/// Reads and verifies a snapshot file; `None` if it does not exist.
pub(crate) fn read(path: &Path) -> Result<Option<Snapshot>, StateError> {
    match read_optional(path)? {
        Some(bytes) => decode(path, bytes).map(Some),
        None => Ok(None),
    }
}

/// Reads only the header line (for listing history without reading bodies).
pub(crate) fn read_header(path: &Path) -> Result<Option<Header>, StateError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("opening", path, e)),
    };
    let mut line = Vec::new();
    BufReader::new(f.take(MAX_HEADER)).read_until(b'\n', &mut line).map_err(|e| io_err("reading", path, e))?;
    if line.pop() != Some(b'\n') {
        return Err(corrupt(path, "no snapshot header line (file is truncated or not an iac state file)"));
    }
    parse_header(path, &line).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> SnapshotMeta {
        SnapshotMeta { lineage: "line\nage \"quoted\"".into(), serial: 7 }
    }

    #[test]
    fn round_trips_meta_and_opaque_bytes() {
        let body: Vec<u8> = (0u8..=255).chain(b"\n{}\n".iter().copied()).collect();
        let file = encode(&meta(), "2024-01-01T00:00:00Z".into(), &body);
        assert_eq!(file.iter().position(|&b| b == b'\n').map(|p| file[..p].contains(&b'\n')), Some(false));
        let s = decode(Path::new("s"), file).expect("decode");
        assert_eq!(s.header.meta(), meta());
        assert_eq!(s.header.created, "2024-01-01T00:00:00Z");
        assert_eq!(s.body, body);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_corrupt() {
        let body = br#"{"version":1,"lineage":"L","serial":7,"resources":{}}"#;
        let file = encode(&meta(), "t".into(), body);
        for cut in 0..file.len() {
            let r = decode(Path::new("s"), file[..cut].to_vec());
            assert!(matches!(r, Err(StateError::Corrupt { .. })), "cut at {cut}");
        }
        let extended = [file.clone(), b"x".to_vec()].concat();
        assert!(matches!(decode(Path::new("s"), extended), Err(StateError::Corrupt { .. })));
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            let r = decode(Path::new("s"), bad);
            assert!(matches!(r, Err(StateError::Corrupt { .. })), "flip at {i}: {r:?}");
        }
    }

    #[test]
    fn unknown_format_is_corrupt_not_guessed() {
        let file = b"{\"format\":\"iac-local-state/9\",\"lineage\":\"L\",\"serial\":1,\"created\":\"\",\"size\":0,\"crc32\":\"00000000\"}\n".to_vec();
        let e = decode(Path::new("s"), file).expect_err("must refuse");
        assert!(e.to_string().contains("unknown snapshot format"), "{e}");
    }
}
