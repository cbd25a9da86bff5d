//! Go's spelling of things a response or an error shows: canonical header
//! names and durations.

/// `textproto.CanonicalMIMEHeaderKey`: the first letter and each letter
/// after a hyphen upper case, the rest lower case; a name with a character
/// outside the token set is left as it is.
pub fn canonical_header_key(name: &str) -> String {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if !name.bytes().all(token) {
        return name.to_string();
    }
    let mut upper = true;
    name.bytes()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            upper = c == b'-';
            out as char
        })
        .collect()
}

/// `time.Duration.String` of a whole number of milliseconds: `5ms`,
/// `1.5s`, `2m0s`, `1h0m0s`.
pub fn duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s_ms) = (ms / 3_600_000, ms / 60_000 % 60, ms % 60_000);
    let mut secs = format!("{}.{:03}", s_ms / 1000, s_ms % 1000);
    while secs.ends_with('0') {
        secs.pop();
    }
    if secs.ends_with('.') {
        secs.pop();
    }
    match (h, m) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_as_go() {
        assert_eq!(canonical_header_key("content-type"), "Content-Type");
        assert_eq!(canonical_header_key("x-amz-request-id"), "X-Amz-Request-Id");
        assert_eq!(canonical_header_key("ETAG"), "Etag");
        assert_eq!(canonical_header_key("bad header"), "bad header");
    }

    #[test]
    fn durations_as_go() {
        assert_eq!(duration(5), "5ms");
        assert_eq!(duration(1000), "1s");
        assert_eq!(duration(1500), "1.5s");
        assert_eq!(duration(120_000), "2m0s");
        assert_eq!(duration(3_723_400), "1h2m3.4s");
    }
}
