//! PEM (RFC 1421/7468) as Go's `encoding/pem` writes and reads it: 64
//! base64 characters a line, each line ending in `\n`, the block ending in
//! a newline; reading skips anything before `-----BEGIN` and any headers.

use base64::Engine as _;

/// A block of `der` under `label` (`CERTIFICATE`, `RSA PRIVATE KEY`).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Every block in `text`, in order: (label, contents).
pub fn decode_all(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((block, after)) = next_block(rest) {
        if let Some(b) = block {
            out.push(b);
        }
        rest = after;
    }
    out
}

/// The first block that decodes.
pub fn decode_first(text: &str) -> Option<(String, Vec<u8>)> {
    decode_all(text).into_iter().next()
}

/// The next `-----BEGIN` and what follows its block; the block is None
/// when it does not decode (reading goes on after its start line).
#[allow(clippy::type_complexity)]
fn next_block(text: &str) -> Option<(Option<(String, Vec<u8>)>, &str)> {
    let start = text.find("-----BEGIN ")?;
    let after_begin = &text[start + 11..];
    let Some(label_end) = after_begin.find("-----") else { return Some((None, &after_begin[after_begin.len()..])) };
    let label = &after_begin[..label_end];
    let body_start = &after_begin[label_end + 5..];
    let skip_on_fail = body_start;
    let Some(line_end) = body_start.find('\n') else { return Some((None, &body_start[body_start.len()..])) };
    if !body_start[..line_end].trim().is_empty() || label.contains('\n') {
        return Some((None, skip_on_fail));
    }
    let body = &body_start[line_end + 1..];
    let end_marker = format!("-----END {label}-----");
    let Some(end) = body.find(&end_marker) else { return Some((None, skip_on_fail)) };
    let inner = &body[..end];
    // Headers ("Proc-Type: ...") come first, ended by a blank line.
    let payload: String = if inner.lines().next().is_some_and(|l| l.contains(':')) {
        inner.split_once("\n\n").map(|(_, b)| b).unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        inner.chars().filter(|c| !c.is_whitespace()).collect()
    };
    let rest = &body[end + end_marker.len()..];
    match base64::engine::general_purpose::STANDARD.decode(payload.as_bytes()) {
        Ok(der) => Some((Some((label.to_string(), der)), rest)),
        Err(_) => Some((None, skip_on_fail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_go_line_length() {
        let der: Vec<u8> = (0..100u8).collect();
        let text = encode("TEST", &der);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN TEST-----");
        assert_eq!(lines[1].len(), 64);
        assert!(text.ends_with("-----END TEST-----\n"));
        assert_eq!(decode_first(&format!("junk\n{text}")), Some(("TEST".into(), der)));
        assert_eq!(decode_first("-----BEGIN X-----\nnot base64!\n-----END X-----\n"), None);
    }
}
