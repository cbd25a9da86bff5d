//! The journal file: framing, scanning, append (group commit) and clearing.
//!
//! Each record is one frame, `<len> <crc32> <payload>\n`: `len` is the payload
//! length in canonical decimal, `crc32` is eight lowercase hex digits over the
//! payload, and the payload is opaque bytes (it may contain `\n`; the length
//! prefix, not the newline, delimits it). The trailing `\n` only keeps the
//! file readable with `less`, and catches a frame whose length was damaged.
//!
//! Scanning classifies the first bad frame: if no valid frame can be found
//! anywhere after it, it is a torn tail (a crash mid-append, never
//! acknowledged) and is dropped; if a valid frame follows, something in the
//! middle of the journal was damaged, and that is `Corrupt`.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use iac_core::backend::StateError;

use crate::atomic::{fsync_dir, io_err, open_append};
use crate::crc32::{crc32, crc32_hex};

/// Longest length field accepted (u64::MAX has 20 digits).
const MAX_LEN_DIGITS: usize = 20;

/// Appends one frame for `payload` to `out`.
pub(crate) fn encode_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(crc32_hex(payload).as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out.push(b'\n');
}

/// Frames a batch of records into one buffer, written with one call.
pub(crate) fn encode_batch(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 32).sum());
    for r in records {
        encode_frame(&mut out, r);
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum FrameError {
    /// The bytes end before the frame does.
    Truncated,
    /// The frame is malformed or its checksum does not match.
    Invalid(String),
}

/// Parses the frame starting at `at`; returns the payload range and the
/// offset just past the frame.
fn parse_frame(buf: &[u8], at: usize) -> Result<(std::ops::Range<usize>, usize), FrameError> {
    let byte = |i: usize| buf.get(i).copied().ok_or(FrameError::Truncated);
    let mut i = at;
    while byte(i)?.is_ascii_digit() {
        i += 1;
        if i - at > MAX_LEN_DIGITS {
            return Err(FrameError::Invalid("length field is too long".into()));
        }
    }
    let digits = &buf[at..i];
    if digits.is_empty() {
        return Err(FrameError::Invalid("frame does not start with a length".into()));
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return Err(FrameError::Invalid("length has leading zeros".into()));
    }
    let len: usize = std::str::from_utf8(digits).ok().and_then(|s| s.parse().ok()).ok_or_else(|| FrameError::Invalid("length does not fit".into()))?;
    if byte(i)? != b' ' {
        return Err(FrameError::Invalid("no space after the length".into()));
    }
    i += 1;
    let crc_start = i;
    for _ in 0..8 {
        let b = byte(i)?;
        if !matches!(b, b'0'..=b'9' | b'a'..=b'f') {
            return Err(FrameError::Invalid("checksum is not eight lowercase hex digits".into()));
        }
        i += 1;
    }
    let crc_text = std::str::from_utf8(&buf[crc_start..i]).map_err(|_| FrameError::Invalid("checksum is not text".into()))?;
    let want = u32::from_str_radix(crc_text, 16).map_err(|_| FrameError::Invalid("checksum is not hex".into()))?;
    if byte(i)? != b' ' {
        return Err(FrameError::Invalid("no space after the checksum".into()));
    }
    i += 1;
    let end = i.checked_add(len).ok_or_else(|| FrameError::Invalid("length overflows".into()))?;
    if end >= buf.len() {
        // The payload or its terminating newline is missing.
        return Err(FrameError::Truncated);
    }
    if buf[end] != b'\n' {
        return Err(FrameError::Invalid("payload is not followed by a newline".into()));
    }
    let got = crc32(&buf[i..end]);
    if got != want {
        return Err(FrameError::Invalid(format!("checksum mismatch (recorded {want:08x}, computed {got:08x})")));
    }
    Ok((i..end, end + 1))
}

/// What a scan of the whole journal found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Payload ranges of the valid records, in order.
    pub records: Vec<std::ops::Range<usize>>,
    /// The offset just past the last valid record.
    pub clean_end: usize,
    /// Whether bytes after `clean_end` (a torn final record) were dropped.
    pub torn_tail: bool,
}

/// A damaged record with valid records after it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MiddleDamage {
    pub offset: usize,
    pub detail: String,
}

pub(crate) fn scan(buf: &[u8]) -> Result<Scan, MiddleDamage> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        match parse_frame(buf, at) {
            Ok((payload, next)) => {
                records.push(payload);
                at = next;
            }
            Err(e) => {
                if let Some(q) = (at + 1..buf.len()).find(|&q| parse_frame(buf, q).is_ok()) {
                    let why = match e {
                        FrameError::Truncated => "its length runs past the end of the file".to_string(),
                        FrameError::Invalid(d) => d,
                    };
                    return Err(MiddleDamage {
                        offset: at,
                        detail: format!("record {} at byte {at} is damaged ({why}) and a valid record follows at byte {q}", records.len() + 1),
                    });
                }
                return Ok(Scan { records, clean_end: at, torn_tail: true });
            }
        }
    }
    Ok(Scan { records, clean_end: at, torn_tail: false })
}

fn corrupt(path: &Path, d: MiddleDamage) -> StateError {
    StateError::Corrupt { what: path.display().to_string(), detail: d.detail }
}

/// Reads every record; a torn tail is dropped and reported, not repaired
/// (loading never writes).
pub(crate) fn load(path: &Path) -> Result<(Vec<Vec<u8>>, bool), StateError> {
    let buf = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), false)),
        Err(e) => return Err(io_err("reading journal", path, e)),
    };
    let s = scan(&buf).map_err(|d| corrupt(path, d))?;
    if s.torn_tail {
        tracing::warn!(journal = %path.display(), dropped_bytes = buf.len() - s.clean_end, "dropping a torn final journal record (a crash mid-append)");
    }
    Ok((s.records.into_iter().map(|r| buf[r].to_vec()).collect(), s.torn_tail))
}

/// Appends an already framed batch with one write and fsyncs it.
///
/// `clean_end` caches the journal length this handle last knew to end on a
/// record boundary. If the file's length differs (another handle appended,
/// or a crash left a torn tail), the journal is rescanned first and a torn
/// tail is cut off, so that new records never land after garbage (which
/// would turn a harmless torn tail into corruption in the middle).
pub(crate) fn append(path: &Path, dir: &Path, batch: &[u8], clean_end: &mut Option<u64>) -> Result<(), StateError> {
    let existed = path.exists();
    let mut f = open_append(path).map_err(|e| io_err("opening journal", path, e))?;
    if !existed {
        fsync_dir(dir)?;
    }
    let len = f.metadata().map_err(|e| io_err("reading size of", path, e))?.len();
    if *clean_end != Some(len) {
        let buf = fs::read(path).map_err(|e| io_err("reading journal", path, e))?;
        let s = scan(&buf).map_err(|d| corrupt(path, d))?;
        if s.torn_tail {
            tracing::warn!(journal = %path.display(), dropped_bytes = buf.len() - s.clean_end, "cutting a torn final journal record before appending");
            f.set_len(s.clean_end as u64).map_err(|e| io_err("cutting torn tail of", path, e))?;
        }
        *clean_end = Some(s.clean_end as u64);
    }
    if batch.is_empty() {
        return Ok(());
    }
    // Forget the boundary until the write is durable: after a failed write
    // the file may end in a partial frame.
    let start = clean_end.take().unwrap_or(0);
    f.write_all(batch).map_err(|e| io_err("appending to journal", path, e))?;
    f.sync_data().map_err(|e| io_err("syncing journal", path, e))?;
    *clean_end = Some(start + batch.len() as u64);
    Ok(())
}

/// Empties the journal (after a new snapshot has been committed).
pub(crate) fn clear(path: &Path) -> Result<(), StateError> {
    match fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => {
            f.set_len(0).map_err(|e| io_err("truncating journal", path, e))?;
            f.sync_all().map_err(|e| io_err("syncing journal", path, e))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("opening journal", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(buf: &[u8], s: &Scan) -> Vec<Vec<u8>> {
        s.records.iter().map(|r| buf[r.clone()].to_vec()).collect()
    }

    fn sample() -> Vec<Vec<u8>> {
        vec![b"{\"op\":\"begin\"}".to_vec(), b"line one\nline two\n".to_vec(), Vec::new(), (0u8..=255).collect(), b"12 00000000 fake frame\n".to_vec()]
    }

    #[test]
    fn frame_layout_is_length_checksum_payload_newline() {
        let mut out = Vec::new();
        encode_frame(&mut out, b"123456789");
        assert_eq!(out, b"9 cbf43926 123456789\n");
        let mut empty = Vec::new();
        encode_frame(&mut empty, b"");
        assert_eq!(empty, b"0 00000000 \n");
    }

    #[test]
    fn batches_round_trip_including_newlines_and_binary() {
        let recs = sample();
        let buf = encode_batch(&recs);
        let s = scan(&buf).expect("scan");
        assert!(!s.torn_tail);
        assert_eq!(s.clean_end, buf.len());
        assert_eq!(payloads(&buf, &s), recs);
    }

    #[test]
    fn every_truncation_is_a_torn_tail_or_a_boundary() {
        let recs = sample();
        let buf = encode_batch(&recs);
        let mut boundaries = vec![0];
        let mut acc = Vec::new();
        for r in &recs {
            encode_frame(&mut acc, r);
            boundaries.push(acc.len());
        }
        for cut in 0..=buf.len() {
            let s = scan(&buf[..cut]).unwrap_or_else(|e| panic!("cut at {cut}: {e:?}"));
            let whole = boundaries.iter().filter(|&&b| b <= cut).count() - 1;
            assert_eq!(payloads(&buf, &s), recs[..whole].to_vec(), "cut at {cut}");
            assert_eq!(s.torn_tail, !boundaries.contains(&cut), "cut at {cut}");
            assert_eq!(s.clean_end, boundaries[whole]);
        }
    }

    #[test]
    fn zeroed_tail_is_torn() {
        let mut buf = encode_batch(&sample());
        let end = buf.len();
        buf.extend_from_slice(&[0u8; 64]);
        let s = scan(&buf).expect("scan");
        assert!(s.torn_tail);
        assert_eq!(s.clean_end, end);
        assert_eq!(s.records.len(), 5);
    }

    #[test]
    fn damaged_last_record_is_torn() {
        let recs = vec![b"aaaa".to_vec(), b"bbbb".to_vec()];
        let mut buf = encode_batch(&recs);
        let n = buf.len();
        buf[n - 2] ^= 1; // last payload byte
        let s = scan(&buf).expect("scan");
        assert!(s.torn_tail);
        assert_eq!(payloads(&buf, &s), vec![b"aaaa".to_vec()]);
    }

    #[test]
    fn damage_in_the_middle_is_detected_wherever_it_hits() {
        let recs = vec![b"first record".to_vec(), b"second record".to_vec(), b"third record".to_vec()];
        let buf = encode_batch(&recs);
        let mut first = Vec::new();
        encode_frame(&mut first, &recs[0]);
        let second_start = first.len();
        let mut second = Vec::new();
        encode_frame(&mut second, &recs[1]);
        // Flip each byte of the second frame in turn (length, checksum,
        // separators, payload, newline): the third frame is intact, so every
        // case must be reported as damage in the middle at the second frame.
        for i in second_start..second_start + second.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut bad = buf.clone();
                bad[i] ^= flip;
                match scan(&bad) {
                    Err(d) => assert_eq!(d.offset, second_start, "byte {i} ^ {flip:#x}"),
                    Ok(s) => panic!("byte {i} ^ {flip:#x} not detected: {s:?}"),
                }
            }
        }
    }

    #[test]
    fn length_damaged_to_run_past_the_end_is_still_middle_damage() {
        let recs = vec![b"x".to_vec(), b"y".to_vec()];
        let mut buf = encode_batch(&recs);
        buf[0] = b'9'; // "1 ..." becomes "9 ...": runs past the end of the file
        assert!(scan(&buf).is_err());
    }

    #[test]
    fn garbage_is_never_a_panic() {
        for g in [&b"\n"[..], b" ", b"99999999999999999999999999 x", b"18446744073709551615 00000000 ", b"1 zzzzzzzz x\n", b"01 00000000 x\n"] {
            let s = scan(g).expect("garbage alone is a torn tail");
            assert!(s.torn_tail);
            assert!(s.records.is_empty());
        }
    }
}
