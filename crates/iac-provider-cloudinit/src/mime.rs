//! The multi-part MIME document cloud-init reads, laid out as the upstream
//! plugin lays it out with Go's `mime/multipart`: a `Content-Type` line
//! ending in a bare `\n`, `MIME-Version: 1.0` and a blank line ending in
//! `\r\n`, then each part's headers in Go's canonical spelling
//! (`Mime-Version`) sorted by name, its content, and the closing boundary.

use base64::Engine as _;

use crate::gzip::GoGzip;

/// One part of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its `Content-Type` (the caller's default is `text/plain`).
    pub content_type: String,
    /// Its body.
    pub content: String,
    /// A `Content-Disposition` file name; empty for none.
    pub filename: String,
    /// An `X-Merge-Type` header; empty for none.
    pub merge_type: String,
}

/// How the document is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Gzip the document.
    pub gzip: bool,
    /// Base64-encode the (possibly gzipped) document.
    pub base64_encode: bool,
    /// The boundary between parts.
    pub boundary: String,
}

/// Checks a boundary as Go's `multipart.Writer.SetBoundary` does (RFC 2046
/// 5.1.1): 1 to 70 characters from a small set, not ending in a space.
pub fn check_boundary(boundary: &str) -> Result<(), String> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err("mime: invalid boundary length".into());
    }
    let last = boundary.len() - 1;
    for (i, b) in boundary.bytes().enumerate() {
        let ok = b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b) || (b == b' ' && i != last);
        if !ok {
            return Err("mime: invalid boundary character".into());
        }
    }
    Ok(())
}

/// The pieces Go's writers receive, in order: the document header, then
/// per part its headers and its content, then the closing boundary. Gzip
/// output depends on how the input is split, so the split is Go's.
fn pieces(boundary: &str, parts: &[Part]) -> Vec<Vec<u8>> {
    let mut out = vec![format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\n").into_bytes(), b"MIME-Version: 1.0\r\n\r\n".to_vec()];
    for (i, part) in parts.iter().enumerate() {
        let mut headers =
            vec![("Content-Transfer-Encoding", "7bit".to_string()), ("Content-Type", part.content_type.clone()), ("Mime-Version", "1.0".to_string())];
        if !part.filename.is_empty() {
            headers.push(("Content-Disposition", format!("attachment; filename=\"{}\"", part.filename)));
        }
        if !part.merge_type.is_empty() {
            headers.push(("X-Merge-Type", part.merge_type.clone()));
        }
        headers.sort_by(|a, b| a.0.cmp(b.0));
        let mut head = if i == 0 { format!("--{boundary}\r\n") } else { format!("\r\n--{boundary}\r\n") };
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.push(head.into_bytes());
        out.push(part.content.as_bytes().to_vec());
    }
    out.push(format!("\r\n--{boundary}--\r\n").into_bytes());
    out
}

/// The rendered document: MIME text, gzipped and/or base64-encoded as asked.
pub fn render(options: &Options, parts: &[Part]) -> Result<String, String> {
    check_boundary(&options.boundary)?;
    let pieces = pieces(&options.boundary, parts);
    let bytes = if options.gzip {
        let mut z = GoGzip::new();
        for p in &pieces {
            z.write(p);
        }
        z.finish()
    } else {
        pieces.concat()
    };
    Ok(if options.base64_encode {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    } else {
        // Not gzipped (validation forbids gzip without base64): the text is
        // the configuration's own strings.
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The `id` upstream gives a rendering: its CRC-32 in decimal.
pub fn id_of(rendered: &str) -> String {
    crc32fast::hash(rendered.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_rfc_2046() {
        assert!(check_boundary("MIMEBOUNDARY").is_ok());
        assert!(check_boundary("//").is_ok());
        assert!(check_boundary("a b").is_ok());
        assert_eq!(check_boundary("ab ").unwrap_err(), "mime: invalid boundary character");
        assert_eq!(check_boundary("a\"b").unwrap_err(), "mime: invalid boundary character");
        assert_eq!(check_boundary(&"x".repeat(71)).unwrap_err(), "mime: invalid boundary length");
    }
}
