//! Times as the upstream plugin writes them: RFC 3339 with Go's trimmed
//! nanoseconds (`validity_start_time`), plain RFC 3339 (a certificate's
//! `not_before`), and ASN.1 UTCTime/GeneralizedTime inside certificates.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as seconds since the epoch and nanoseconds.
pub fn now() -> (i64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    }
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, hour, minute, second) of a UTC time.
pub fn parts(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    (y, mo, d, (s / 3600) as u32, (s / 60 % 60) as u32, (s % 60) as u32)
}

/// RFC 3339 in UTC, without fractions (`time.RFC3339`).
pub fn rfc3339(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's
/// `time.Time.MarshalText`).
pub fn rfc3339_nano(secs: i64, nanos: u32) -> String {
    let base = rfc3339(secs);
    if nanos == 0 {
        return base;
    }
    let frac = format!("{nanos:09}");
    format!("{}.{}Z", &base[..base.len() - 1], frac.trim_end_matches('0'))
}

/// Parses RFC 3339 (`Z` or a numeric offset, optional fraction): seconds
/// since the epoch (fractions dropped).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// A certificate validity time: UTCTime for 1950 to 2049, else
/// GeneralizedTime, as Go encodes it.
pub fn asn1_time(secs: i64) -> Vec<u8> {
    let (y, mo, d, h, mi, s) = parts(secs);
    if (1950..2050).contains(&y) {
        crate::der::tlv(crate::der::UTC_TIME, format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100).as_bytes())
    } else {
        crate::der::tlv(crate::der::GENERALIZED_TIME, format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z").as_bytes())
    }
}

/// Reads a UTCTime or GeneralizedTime (UTC, optional fraction).
pub fn parse_asn1_time(tag: u8, content: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(content).ok()?;
    let s = s.strip_suffix('Z')?;
    let (y, rest) = match tag {
        crate::der::UTC_TIME => {
            let yy: i64 = s.get(0..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
        }
        crate::der::GENERALIZED_TIME => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let rest = rest.split('.').next()?;
    let num = |r: std::ops::Range<usize>| rest.get(r)?.parse::<i64>().ok();
    let (mo, d, h, mi) = (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?);
    let sec = if rest.len() >= 10 { num(8..10)? } else { 0 };
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_go() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_nano(1_700_000_000, 120_000_000), "2023-11-14T22:13:20.12Z");
        assert_eq!(rfc3339_nano(1_700_000_000, 0), "2023-11-14T22:13:20Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.123456789Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(asn1_time(1_700_000_000), crate::der::tlv(crate::der::UTC_TIME, b"231114221320Z"));
        let far = days_from_civil(2050, 1, 1) * 86_400;
        assert_eq!(asn1_time(far), crate::der::tlv(crate::der::GENERALIZED_TIME, b"20500101000000Z"));
        assert_eq!(parse_asn1_time(crate::der::UTC_TIME, b"231114221320Z"), Some(1_700_000_000));
        assert_eq!(parse_asn1_time(crate::der::GENERALIZED_TIME, b"20500101000000Z"), Some(far));
        assert_eq!(civil(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }
}
