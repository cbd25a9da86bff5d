//! Time functions (formatdate, timeadd, timecmp, timestamp, plantimestamp)
//! over RFC 3339 strings, with Go's parsing and duration rules and
//! Terraform's messages. Civil dates are computed here (proleptic Gregorian
//! calendar), so no time library is needed.

use iac_core::Value;

use crate::args::{arg_err, fail, string, Fail, FnResult};
use crate::FunctionContext;

/// A parsed RFC 3339 timestamp: seconds since the epoch (UTC), nanoseconds,
/// and the offset it was written with (kept for formatting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    secs: i64,
    nanos: u32,
    /// Offset from UTC in seconds; None when written as `Z`.
    offset: Option<i32>,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses RFC 3339 as Go's `time.Parse(time.RFC3339, s)` does, with its
/// messages after Terraform's "not a valid RFC3339 timestamp: " prefix.
pub(crate) fn parse_rfc3339(s: &str) -> Result<Stamp, String> {
    let wrap = |m: String| format!("not a valid RFC3339 timestamp: {m}");
    // Go reports the first field that does not parse, quoting the rest of the input.
    let field = |start: usize, len: usize, what: &str| -> Result<i64, String> {
        let rest = s.get(start..).unwrap_or("");
        let part = s.get(start..start + len).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        part.and_then(|p| p.parse().ok()).ok_or_else(|| wrap(format!("cannot use {rest:?} as {what}")))
    };
    let sep = |at: usize, c: u8, what: &str| -> Result<(), String> {
        if s.as_bytes().get(at) == Some(&c) {
            Ok(())
        } else {
            let rest = s.get(at..).unwrap_or("");
            Err(wrap(format!("cannot use {rest:?} as {what}")))
        }
    };
    let year = field(0, 4, "year")?;
    sep(4, b'-', "-")?;
    let month = field(5, 2, "month")?;
    if !(1..=12).contains(&month) {
        return Err(wrap("month out of range".into()));
    }
    sep(7, b'-', "-")?;
    let day = field(8, 2, "day")?;
    if s.as_bytes().get(10) != Some(&b'T') {
        return Err(wrap("missing required time introducer 'T'".into()));
    }
    let hour = field(11, 2, "hour")?;
    sep(13, b':', ":")?;
    let minute = field(14, 2, "minute")?;
    sep(16, b':', ":")?;
    let second = field(17, 2, "second")?;
    if hour > 23 {
        return Err(wrap("hour must be between 0 and 23 inclusive".into()));
    }
    if minute > 59 {
        return Err(wrap("minute must be between 0 and 59 inclusive".into()));
    }
    if second > 59 {
        return Err(wrap("second must be between 0 and 59 inclusive".into()));
    }
    if day < 1 || day as u32 > days_in_month(year, month as u32) {
        return Err(wrap("day out of range".into()));
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if s.as_bytes().get(i) == Some(&b'.') {
        let digits: String = s[i + 1..].chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(wrap(format!("cannot use {:?} as Z07:00", &s[i..])));
        }
        let padded = format!("{:0<9}", &digits[..digits.len().min(9)]);
        nanos = padded.parse().unwrap_or(0);
        i += 1 + digits.len();
    }
    let rest = &s[i..];
    let offset = match rest {
        "Z" => None,
        _ => {
            let b = rest.as_bytes();
            let ok = b.len() == 6 && (b[0] == b'+' || b[0] == b'-') && b[3] == b':' && [1, 2, 4, 5].iter().all(|&j| b[j].is_ascii_digit());
            if !ok {
                return Err(wrap(format!("cannot use {rest:?} as Z07:00")));
            }
            let h: i32 = rest[1..3].parse().unwrap_or(0);
            let m: i32 = rest[4..6].parse().unwrap_or(0);
            if h > 23 || m > 59 {
                return Err(wrap("time zone offset out of range".into()));
            }
            let off = h * 3600 + m * 60;
            Some(if b[0] == b'-' { -off } else { off })
        }
    };
    let local = days_from_civil(year, month as u32, day as u32) * 86_400 + hour * 3600 + minute * 60 + second;
    Ok(Stamp { secs: local - offset.unwrap_or(0) as i64, nanos, offset })
}

/// The broken-down local time of a stamp in its own offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: u32, // 0 = Sunday
}

fn civil(t: &Stamp) -> Civil {
    let local = t.secs + t.offset.unwrap_or(0) as i64;
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil { year, month, day, hour: sod / 3600, minute: sod / 60 % 60, second: sod % 60, weekday: (days + 4).rem_euclid(7) as u32 }
}

fn offset_text(t: &Stamp, colon: bool) -> String {
    let off = t.offset.unwrap_or(0);
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
    }
}

/// Go's RFC 3339 layout (no fractional seconds), in the stamp's own offset.
pub(crate) fn format_rfc3339(t: &Stamp) -> String {
    let c = civil(t);
    let zone = if t.offset.is_none() { "Z".to_string() } else { offset_text(t, true) };
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// formatdate(spec, timestamp): runs of one letter are verbs, `'...'` is
/// literal text (`''` a quote), anything else is copied.
pub(crate) fn formatdate(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let spec = string(&args, 0)?;
    let t = parse_rfc3339(&string(&args, 1)?).map_err(|m| Fail::Arg(1, m))?;
    let c = civil(&t);
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let bad = |verb: &str, why: &str| -> Result<(), Fail> {
        let tail = if why.is_empty() { String::new() } else { format!(": {why}") };
        Err(Fail::Arg(0, format!("invalid date format verb {verb:?}{tail}")))
    };
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\'' {
            // A quoted literal; '' inside or alone is one quote.
            let mut j = i + 1;
            let mut lit = String::new();
            loop {
                match chars.get(j) {
                    None => return arg_err(0, "unterminated literal '"),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        lit.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(c) => {
                        lit.push(*c);
                        j += 1;
                    }
                }
            }
            out.push_str(if j == i + 1 { "'" } else { &lit });
            i = j + 1;
            continue;
        }
        if !ch.is_ascii_alphabetic() {
            out.push(ch);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j] == ch {
            j += 1;
        }
        let verb: String = chars[i..j].iter().collect();
        let n = j - i;
        let h12 = if c.hour.is_multiple_of(12) { 12 } else { c.hour % 12 };
        match (ch, n) {
            ('Y', 4) => out.push_str(&format!("{:04}", c.year)),
            ('Y', 2) => out.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            ('Y', _) => bad(&verb, "year must either be \"YY\" or \"YYYY\"")?,
            ('M', 1) => out.push_str(&c.month.to_string()),
            ('M', 2) => out.push_str(&format!("{:02}", c.month)),
            ('M', 3) => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            ('M', 4) => out.push_str(MONTHS[c.month as usize - 1]),
            ('M', _) => bad(&verb, "month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")?,
            ('D', 1) => out.push_str(&c.day.to_string()),
            ('D', 2) => out.push_str(&format!("{:02}", c.day)),
            ('D', _) => bad(&verb, "day of month must either be \"D\" or \"DD\"")?,
            ('E', 3) => out.push_str(&DAYS[c.weekday as usize][..3]),
            ('E', 4) => out.push_str(DAYS[c.weekday as usize]),
            ('E', _) => bad(&verb, "day of week must either be \"EEE\" or \"EEEE\"")?,
            ('h', 1) => out.push_str(&c.hour.to_string()),
            ('h', 2) => out.push_str(&format!("{:02}", c.hour)),
            ('h', _) => bad(&verb, "24-hour must either be \"h\" or \"hh\"")?,
            ('H', 1) => out.push_str(&h12.to_string()),
            ('H', 2) => out.push_str(&format!("{h12:02}")),
            ('H', _) => bad(&verb, "12-hour must either be \"H\" or \"HH\"")?,
            ('A', 2) => out.push_str(if c.hour < 12 { "AM" } else { "PM" }),
            ('a', 2) => out.push_str(if c.hour < 12 { "am" } else { "pm" }),
            ('A', _) => bad(&verb, "must be \"AA\"")?,
            ('a', _) => bad(&verb, "must be \"aa\"")?,
            ('m', 1) => out.push_str(&c.minute.to_string()),
            ('m', 2) => out.push_str(&format!("{:02}", c.minute)),
            ('m', _) => bad(&verb, "minute must either be \"m\" or \"mm\"")?,
            ('s', 1) => out.push_str(&c.second.to_string()),
            ('s', 2) => out.push_str(&format!("{:02}", c.second)),
            ('s', _) => bad(&verb, "second must either be \"s\" or \"ss\"")?,
            ('Z', 1) => out.push_str(&if t.offset.is_none() { "Z".to_string() } else { offset_text(&t, true) }),
            ('Z', 3) => out.push_str(&if t.offset.is_none() { "UTC".to_string() } else { offset_text(&t, false) }),
            ('Z', 4) => out.push_str(&offset_text(&t, false)),
            ('Z', 5) => out.push_str(&offset_text(&t, true)),
            ('Z', _) => bad(&verb, "timezone must be Z, ZZZZ, or ZZZZZ")?,
            _ => bad(&verb, "")?,
        }
        i = j;
    }
    Ok(Value::String(out))
}

pub(crate) fn timeadd(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let t = parse_rfc3339(&string(&args, 0)?).or_else(fail)?;
    // Terraform's durations are Go's (`1h30m`, `-300ms`), parsed where every crate parses them.
    let d = iac_core::time::parse_go_duration(&string(&args, 1)?).map(i128::from).or_else(|e| fail(e.to_string()))?;
    let total = t.secs as i128 * 1_000_000_000 + t.nanos as i128 + d;
    let secs = total.div_euclid(1_000_000_000) as i64;
    let nanos = total.rem_euclid(1_000_000_000) as u32;
    Ok(Value::String(format_rfc3339(&Stamp { secs, nanos, offset: t.offset })))
}

pub(crate) fn timecmp(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let a = parse_rfc3339(&string(&args, 0)?).map_err(|m| Fail::Arg(0, m))?;
    let b = parse_rfc3339(&string(&args, 1)?).map_err(|m| Fail::Arg(1, m))?;
    let ord = (a.secs, a.nanos).cmp(&(b.secs, b.nanos));
    Ok(Value::Number(i64::from(ord as i8).into()))
}

/// Now, as a stamp in UTC.
fn now() -> Stamp {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Stamp { secs: d.as_secs() as i64, nanos: d.subsec_nanos(), offset: None }
}

/// timestamp(): the current time, known only when applying (Terraform
/// makes it unknown during plan so that a plan does not pin a time).
pub(crate) fn timestamp(_: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    if ctx.planning {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(format_rfc3339(&now())))
}

/// plantimestamp(): the time the plan was made, known during plan too.
pub(crate) fn plantimestamp(_: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    Ok(Value::String(ctx.plan_timestamp.to_string()))
}

/// The current time as `plantimestamp()` gives it: RFC 3339 in UTC, to the
/// second (Terraform's plan timestamp).
pub fn now_rfc3339() -> String {
    let t = now();
    format_rfc3339(&Stamp { nanos: 0, ..t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 17_533, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn rfc3339_parse_and_format() {
        let t = parse_rfc3339("2017-11-22T00:00:00+05:00").unwrap();
        assert_eq!(format_rfc3339(&t), "2017-11-22T00:00:00+05:00");
        assert!(parse_rfc3339("2018-01-02").unwrap_err().contains("missing required time introducer 'T'"));
        assert!(parse_rfc3339("bad").unwrap_err().contains("cannot use \"bad\" as year"));
        assert!(parse_rfc3339("2018-02-30T00:00:00Z").is_err());
        assert_eq!(parse_rfc3339("2018-01-02T23:12:01.5Z").unwrap().nanos, 500_000_000);
    }
}
