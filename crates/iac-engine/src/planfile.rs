//! The saved plan file (`iac plan -out FILE`): a one-line header carrying a
//! SHA-256 checksum of everything after it, then the plan as JSON.
//!
//! ```text
//! iac-plan 1 sha256:<64 lowercase hex digits>\n
//! {"format_version":"1.0",...}
//! ```
//!
//! The header has one exact form, so a changed byte anywhere in the file is
//! caught: in the header it breaks the form or the recorded digest, after it
//! the digest. A plan is the exact set of operations apply carries out, so a
//! damaged one is refused (a changed address would otherwise create objects
//! nobody reviewed). With a state key set, the CLI seals the whole file with
//! AES-256-GCM as well (`iac-state-crypt`), which authenticates it too.
//! Plans without the header (from before it existed) are refused.

use std::io::{self, Seek, SeekFrom, Write};

use iac_core::plan::Plan;
use sha2::{Digest, Sha256};

const MAGIC: &str = "iac-plan";
const FILE_VERSION: u32 = 1;
/// `iac-plan 1 sha256:` + 64 hex digits + `\n`.
const HEADER_LEN: usize = MAGIC.len() + 3 + 7 + 64 + 1;

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("not a saved iac plan, or one saved by an iac without plan checksums: make a new plan with `iac plan -out`")]
    NotAPlan,
    #[error("the saved plan is damaged: its header is malformed ({0}); make a new plan")]
    BadHeader(String),
    #[error("the saved plan file format {0} is not supported by this iac (it reads format {FILE_VERSION})")]
    Version(String),
    #[error("the saved plan is damaged: its content does not match its SHA-256 checksum (recorded {recorded}, computed {computed}); make a new plan")]
    Checksum { recorded: String, computed: String },
    #[error("the saved plan is damaged: its checksum matches but it cannot be read ({0})")]
    Json(#[source] serde_json::Error),
    #[error("cannot write the plan: {0}")]
    Io(#[from] io::Error),
}

fn header(digest: &[u8]) -> String {
    let mut h = format!("{MAGIC} {FILE_VERSION} sha256:");
    for b in digest {
        h.push_str(&format!("{b:02x}"));
    }
    h.push('\n');
    h
}

/// Passes writes through while hashing them.
struct Hashing<'a, W: Write> {
    inner: &'a mut W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Streams `plan` into `w` (a file, at its start): a placeholder header,
/// the JSON, then the header with the checksum over the JSON. The plan is
/// never held twice in memory.
pub fn write<W: Write + Seek>(w: &mut W, plan: &Plan) -> Result<(), PlanFileError> {
    let start = w.stream_position()?;
    w.write_all(&[b' '; HEADER_LEN])?;
    let mut h = Hashing { inner: &mut *w, hash: Sha256::new() };
    {
        let mut buf = io::BufWriter::with_capacity(256 * 1024, &mut h);
        serde_json::to_writer(&mut buf, plan).map_err(|e| PlanFileError::Io(e.into()))?;
        buf.flush()?;
    }
    let digest = h.hash.finalize();
    let end = w.stream_position()?;
    w.seek(SeekFrom::Start(start))?;
    w.write_all(header(&digest).as_bytes())?;
    w.seek(SeekFrom::Start(end))?;
    w.flush()?;
    Ok(())
}

/// The whole file in memory (for sealing).
pub fn encode(plan: &Plan) -> Result<Vec<u8>, PlanFileError> {
    let mut c = io::Cursor::new(Vec::new());
    write(&mut c, plan)?;
    Ok(c.into_inner())
}

/// Checks the header and checksum, then reads the plan.
pub fn decode(bytes: &[u8]) -> Result<Plan, PlanFileError> {
    let body = verify(bytes)?;
    serde_json::from_slice(body).map_err(PlanFileError::Json)
}

/// The JSON after a valid header whose checksum matches it.
pub fn verify(bytes: &[u8]) -> Result<&[u8], PlanFileError> {
    if !bytes.starts_with(MAGIC.as_bytes()) {
        // One changed byte in the magic is damage, not another format.
        let near = bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()].iter().zip(MAGIC.bytes()).filter(|(a, b)| *a != b).count() == 1;
        return Err(if near { PlanFileError::BadHeader("it does not start with \"iac-plan\"".into()) } else { PlanFileError::NotAPlan });
    }
    let Some(nl) = bytes.iter().take(HEADER_LEN + 16).position(|&b| b == b'\n') else {
        return Err(PlanFileError::BadHeader("no end of line".into()));
    };
    let line = std::str::from_utf8(&bytes[..nl]).map_err(|_| PlanFileError::BadHeader("not text".into()))?;
    let mut parts = line.split(' ');
    let (Some(_magic), Some(version), Some(sum), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(PlanFileError::BadHeader(format!("{line:?} does not have three fields")));
    };
    if version != FILE_VERSION.to_string() {
        return Err(if version.bytes().all(|b| b.is_ascii_digit()) && !version.is_empty() {
            PlanFileError::Version(version.into())
        } else {
            PlanFileError::BadHeader(format!("version {version:?}"))
        });
    }
    let Some(recorded) = sum.strip_prefix("sha256:").filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))) else {
        return Err(PlanFileError::BadHeader(format!("checksum {sum:?} is not sha256: and 64 lowercase hex digits")));
    };
    let body = &bytes[nl + 1..];
    let computed = header(&Sha256::digest(body));
    if format!("{line}\n") != computed {
        return Err(PlanFileError::Checksum { recorded: recorded.to_string(), computed: computed[MAGIC.len() + 10..MAGIC.len() + 74].to_string() });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_core::address::InstanceAddr;
    use iac_core::plan::{PlanMode, PLAN_FORMAT_VERSION};
    use iac_core::state::State;

    fn plan() -> Plan {
        let state = State::new("lineage-1".into());
        let mut p: Plan = serde_json::from_value(serde_json::json!({
            "format_version": PLAN_FORMAT_VERSION, "mode": PlanMode::Normal, "stack_digest": "d1", "prior_lineage": "lineage-1", "prior_serial": 3,
            "variables": {}, "changes": [], "outputs": [], "drift": [], "prior_state": state,
        }))
        .expect("a plan");
        p.targets = vec![InstanceAddr::managed("terraform_data", "alpha").to_string()];
        p
    }

    #[test]
    fn round_trips_and_starts_with_the_header() {
        let bytes = encode(&plan()).expect("encode");
        assert!(bytes.starts_with(b"iac-plan 1 sha256:"));
        assert_eq!(bytes[HEADER_LEN - 1], b'\n');
        assert_eq!(bytes[HEADER_LEN], b'{');
        let back = decode(&bytes).expect("decode");
        assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(plan()).unwrap());
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let bytes = encode(&plan()).expect("encode");
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                assert!(decode(&bad).is_err(), "byte {i} ^ {flip:#x} ({:?}) was not caught", bytes[i] as char);
            }
        }
    }

    #[test]
    fn a_checksum_mismatch_names_both_digests() {
        let mut bytes = encode(&plan()).expect("encode");
        let at = bytes.windows(5).position(|w| w == b"alpha").expect("address");
        bytes[at] = b'b'; // still valid JSON: only the checksum can tell
        match decode(&bytes) {
            Err(PlanFileError::Checksum { recorded, computed }) => assert_ne!(recorded, computed),
            other => panic!("expected a checksum error, got {other:?}"),
        }
    }

    #[test]
    fn plans_without_the_header_and_truncated_plans_are_refused() {
        let json = serde_json::to_vec(&plan()).unwrap();
        assert!(matches!(decode(&json), Err(PlanFileError::NotAPlan)));
        let bytes = encode(&plan()).expect("encode");
        for cut in [0, 5, HEADER_LEN - 1, HEADER_LEN, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(b' ');
        assert!(decode(&longer).is_err(), "appended bytes are damage too");
    }
}
