//! Names and ids the way upstream makes them: `name_prefix` plus a unique
//! suffix (a UTC timestamp with four fractional digits and an 8-hex-digit
//! counter, 26 characters), the prefix read back from such a name, and the
//! CRC-32 "hashcode" that legacy ids (`sgrule-…`, `r-rtb-…`) are built from.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{name_or_stable, Cx};

/// The length of the unique suffix upstream appends to a `name_prefix`.
pub const UNIQUE_SUFFIX_LEN: usize = 26;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh unique suffix: `YYYYMMDDhhmmss` + four digits of the second's
/// fraction + an 8-hex-digit counter, as upstream's `id.UniqueId`.
pub fn unique_suffix() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let frac = now.subsec_nanos() / 100_000;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}{frac:04}{n:08x}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + i64::from(m <= 2), m, d)
}

/// The name to create an object with: the configured name, else the prefix
/// and a unique suffix, else the stable name of this instance.
pub fn name_from(cx: &Cx<'_>, name: &Option<String>, prefix: &Option<String>) -> String {
    match (name.as_deref().filter(|n| !n.is_empty()), prefix.as_deref().filter(|p| !p.is_empty())) {
        (Some(n), _) => n.to_string(),
        (None, Some(p)) => format!("{p}{}", unique_suffix()),
        (None, None) => name_or_stable(cx, &None),
    }
}

/// The `name_prefix` a name was made from: what precedes a unique suffix,
/// else "" (upstream's `NamePrefixFromName`).
pub fn prefix_of(name: &str) -> String {
    if name.len() < UNIQUE_SUFFIX_LEN || !name.is_char_boundary(name.len() - UNIQUE_SUFFIX_LEN) {
        return String::new();
    }
    let (prefix, suffix) = name.split_at(name.len() - UNIQUE_SUFFIX_LEN);
    let (stamp, counter) = suffix.split_at(18);
    if stamp.bytes().all(|b| b.is_ascii_digit()) && counter.bytes().all(|b| b.is_ascii_hexdigit()) {
        prefix.to_string()
    } else {
        String::new()
    }
}

/// CRC-32 (IEEE) of a text, as upstream's `create.StringHashcode`.
pub fn hashcode(s: &str) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in s.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_suffixes_read_back_as_prefixes() {
        let s = unique_suffix();
        assert_eq!(s.len(), UNIQUE_SUFFIX_LEN, "{s}");
        assert_ne!(s, unique_suffix(), "the counter makes each one new");
        assert_eq!(prefix_of(&format!("node-{s}")), "node-");
        assert_eq!(prefix_of("node-20261206033006558800000001"), "node-", "a name upstream made");
        assert_eq!(prefix_of("node"), "");
        assert_eq!(prefix_of("web-server-name-that-is-long-enough-x"), "");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
    }

    #[test]
    fn hashcodes_are_upstreams() {
        // r-rtb-daa8415d9e0364df31080289494: a route to 0.0.0.0/0 upstream made.
        assert_eq!(hashcode("0.0.0.0/0"), 1_080_289_494);
        assert_eq!(hashcode(""), 0);
    }
}
