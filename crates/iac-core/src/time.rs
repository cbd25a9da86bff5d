//! Time vocabulary, one implementation for every crate: RFC 3339 formatting
//! of a timestamp the caller supplies (this crate reads no clock), and
//! durations in Terraform's grammar (Go's `time.ParseDuration`), which the
//! CLI's `-lock-timeout`, `timeouts` blocks, `time_sleep` and `timeadd` all
//! use.

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration that is not in Terraform's grammar; the message is Go's
/// (`time: unknown unit "d" in duration "1d"`), as Terraform reports it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a sequence of numbers with units (or out of Go's range, about 292 years).
    #[error("time: invalid duration {}", go_quote(.0))]
    Invalid(String),
    /// A number without its unit (`"5"`; only `"0"` may stand alone).
    #[error("time: missing unit in duration {}", go_quote(.0))]
    MissingUnit(String),
    /// A unit other than ns, us, µs, μs, ms, s, m, h.
    #[error("time: unknown unit {} in duration {}", go_quote(.unit), go_quote(.text))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration as written.
        text: String,
    },
    /// A negative duration where only a length of time makes sense (a timeout).
    #[error("duration {} is negative", go_quote(.0))]
    Negative(String),
}

/// Parses a duration in Terraform's grammar, which is Go's
/// `time.ParseDuration`: an optional sign, then one or more decimal numbers,
/// each with an optional fraction and a unit (`ns`, `us` or `µs`/`μs`, `ms`,
/// `s`, `m`, `h`), such as `1h30m`, `1.5s`, `-300ms`; `0` may stand alone.
/// Returns signed nanoseconds within Go's range (an `i64`).
pub fn parse_go_duration(text: &str) -> Result<i64, DurationError> {
    const LIMIT: u128 = 1 << 63; // |i64::MIN|: the largest magnitude Go accepts (negative only)
    let invalid = || DurationError::Invalid(text.to_string());
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        // The number: digits, then optionally '.' and more digits; at least one digit in all.
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(f) => f.split_at(f.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        // The unit: everything up to the next number.
        let unit_len = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(text.to_string()));
        }
        let nanos_per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(DurationError::UnknownUnit { unit: unit.to_string(), text: text.to_string() }),
        };
        let mut whole_value: u128 = 0;
        for d in whole.bytes() {
            whole_value = whole_value * 10 + u128::from(d - b'0');
            if whole_value > LIMIT {
                return Err(invalid());
            }
        }
        // The fraction as Go computes it, so that results agree to the
        // nanosecond: digits while they fit in 63 bits, then a float product.
        let (mut numerator, mut scale) = (0u128, 1f64);
        for d in fraction.bytes() {
            let next = numerator * 10 + u128::from(d - b'0');
            if next > LIMIT {
                break;
            }
            numerator = next;
            scale *= 10.0;
        }
        let fraction_nanos = (numerator as f64 * (nanos_per_unit as f64 / scale)) as u128;
        total += whole_value * nanos_per_unit + fraction_nanos;
        if whole_value * nanos_per_unit + fraction_nanos > LIMIT || total > LIMIT {
            return Err(invalid());
        }
        rest = after;
    }
    match negative {
        true => Ok((total as i128).wrapping_neg() as i64),
        false if total < LIMIT => Ok(total as i64),
        false => Err(invalid()),
    }
}

/// A length of time in Terraform's grammar ([`parse_go_duration`]), for
/// timeouts and waits: a negative duration is refused.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let nanos = parse_go_duration(text)?;
    u64::try_from(nanos).map(std::time::Duration::from_nanos).map_err(|_| DurationError::Negative(text.to_string()))
}

/// Quotes text as Go's time package does in its messages: ASCII as is (with
/// `"` and `\` escaped), other bytes as `\xNN`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(1_795_312_800), "2026-11-22T02:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn durations_in_gos_grammar() {
        const S: i64 = 1_000_000_000;
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("+0", 0),
            ("0s", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0.5s", -S / 2),
            ("1.5s", 3 * S / 2),
            ("1.s", S),
            (".5s", S / 2),
            ("1.0004s", S + 400_000),
            ("100.00100s", 100 * S + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("300ms", 300_000_000),
            ("14s", 14 * S),
            ("15m", 15 * 60 * S),
            ("16h", 16 * 3600 * S),
            ("1h30m", 5400 * S),
            ("3h30m", 3 * 3600 * S + 30 * 60 * S),
            ("10.5s4m", 4 * 60 * S + 10 * S + S / 2),
            ("-2m3.4s", -(2 * 60 * S + 3 * S + 2 * S / 5)),
            ("1h2m3s4ms5us6ns", 3600 * S + 2 * 60 * S + 3 * S + 4_000_000 + 5_000 + 6),
            ("39h9m14.425s", 39 * 3600 * S + 9 * 60 * S + 14 * S + 425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * 60 * S),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("0.100000000000000000000h", 6 * 60 * S),
            ("0.830103483285477580700h", 49 * 60 * S + 48 * S + 372_539_827),
        ];
        for (text, want) in ok {
            assert_eq!(parse_go_duration(text), Ok(*want), "{text}");
        }
        let bad: &[(&str, &str)] = &[
            ("", r#"time: invalid duration """#),
            ("3", r#"time: missing unit in duration "3""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (".", r#"time: invalid duration ".""#),
            ("-.", r#"time: invalid duration "-.""#),
            (".s", r#"time: invalid duration ".s""#),
            ("+.s", r#"time: invalid duration "+.s""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("1h 30m", r#"time: unknown unit "h " in duration "1h 30m""#),
            (" 1h", r#"time: invalid duration " 1h""#),
            ("10 minutes", r#"time: unknown unit " minutes" in duration "10 minutes""#),
            ("1hr", r#"time: unknown unit "hr" in duration "1hr""#),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            ("9223372036854775808ns", r#"time: invalid duration "9223372036854775808ns""#),
            ("9223372036854775.808us", r#"time: invalid duration "9223372036854775.808us""#),
            ("-9223372036854775809ns", r#"time: invalid duration "-9223372036854775809ns""#),
            ("1é", r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#),
        ];
        for (text, message) in bad {
            assert_eq!(parse_go_duration(text).map_err(|e| e.to_string()), Err(message.to_string()), "{text:?}");
        }
    }

    #[test]
    fn lengths_of_time_are_not_negative() {
        assert_eq!(parse_duration("1h30m"), Ok(std::time::Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(std::time::Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(std::time::Duration::ZERO));
        assert_eq!(parse_duration("-1s").map_err(|e| e.to_string()), Err(r#"duration "-1s" is negative"#.to_string()));
        assert!(parse_duration("30").is_err(), "a unit is required, as in Terraform");
    }
}
