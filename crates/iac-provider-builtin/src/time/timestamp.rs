//! RFC 3339 timestamps with a fixed UTC offset, and the calendar arithmetic
//! the time provider's types do on them, with Go's rules (the upstream
//! provider is written in Go, and its results are what state holds):
//! adding months or years keeps the day of the month and lets an impossible
//! date roll over (January 31 plus one month is March 2 or 3), and a
//! timestamp prints without fractional seconds, `Z` for a zero offset.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time and the UTC offset it is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    secs: i64,
    /// Seconds east of UTC.
    offset: i32,
}

/// The calendar fields of a timestamp, in its own offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

const DAY: i64 = 86_400;

/// Days from 1970-01-01 to the given proleptic Gregorian date (month 1..=12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Count from March, so that the leap day ends a (400-year) cycle's year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(s: &str, at: usize, n: usize, what: &str, text: &str) -> Result<i64, String> {
    let part = s.get(at..at + n).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
    part.and_then(|p| p.parse().ok()).ok_or_else(|| format!("{text:?} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ): bad {what}"))
}

impl Timestamp {
    /// The current time, in UTC.
    pub fn now() -> Timestamp {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Timestamp { secs, offset: 0 }
    }

    /// A timestamp from seconds since the epoch, in UTC.
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, offset: 0 }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; a fraction
    /// is accepted and dropped.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let s = text;
        let bad = |what: &str| format!("{text:?} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ): bad {what}");
        let year = digits(s, 0, 4, "year", text)?;
        if s.get(4..5) != Some("-") || s.get(7..8) != Some("-") || s.get(10..11) != Some("T") || s.get(13..14) != Some(":") || s.get(16..17) != Some(":") {
            return Err(bad("separators"));
        }
        let month = digits(s, 5, 2, "month", text)?;
        let day = digits(s, 8, 2, "day", text)?;
        let hour = digits(s, 11, 2, "hour", text)?;
        let minute = digits(s, 14, 2, "minute", text)?;
        let second = digits(s, 17, 2, "second", text)?;
        if !(1..=12).contains(&month) {
            return Err(bad("month"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(bad("day"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad("time of day"));
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Err(bad("fraction"));
            }
            rest = &frac[n..];
        }
        let offset = match rest {
            "Z" => 0,
            _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && &rest[3..4] == ":" => {
                let h = digits(rest, 1, 2, "offset", text)?;
                let m = digits(rest, 4, 2, "offset", text)?;
                if h > 23 || m > 59 {
                    return Err(bad("offset"));
                }
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                sign * (h * 3600 + m * 60) as i32
            }
            _ => return Err(bad("offset")),
        };
        let local = days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
        Ok(Timestamp { secs: local - i64::from(offset), offset })
    }

    /// Seconds since the epoch.
    pub fn unix(&self) -> i64 {
        self.secs
    }

    fn local(&self) -> i64 {
        self.secs + i64::from(self.offset)
    }

    /// The calendar fields in the timestamp's own offset.
    pub fn fields(&self) -> Fields {
        let local = self.local();
        let (year, month, day) = civil_from_days(local.div_euclid(DAY));
        let tod = local.rem_euclid(DAY);
        Fields { year, month, day, hour: tod / 3600, minute: tod % 3600 / 60, second: tod % 60 }
    }

    /// RFC 3339 text, without fractional seconds; `Z` for a zero offset.
    pub fn to_rfc3339(self) -> String {
        let f = self.fields();
        let zone = match self.offset {
            0 => "Z".to_string(),
            o => format!("{}{:02}:{:02}", if o < 0 { '-' } else { '+' }, o.abs() / 3600, o.abs() % 3600 / 60),
        };
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}", f.year, f.month, f.day, f.hour, f.minute, f.second)
    }

    /// This timestamp plus `secs` seconds (which may be negative).
    pub fn add_secs(self, secs: i64) -> Timestamp {
        Timestamp { secs: self.secs.saturating_add(secs), ..self }
    }

    /// This timestamp with years, months and days added to its date in its
    /// own offset, the time of day kept; an impossible date rolls over into
    /// the next month.
    pub fn add_date(self, years: i64, months: i64, days: i64) -> Timestamp {
        let local = self.local();
        let (year, month, day) = civil_from_days(local.div_euclid(DAY));
        let months0 = month - 1 + months;
        let year = year + years + months0.div_euclid(12);
        let month = months0.rem_euclid(12) + 1;
        let date = days_from_civil(year, month, 1) + day - 1 + days;
        Timestamp { secs: date * DAY + local.rem_euclid(DAY) - i64::from(self.offset), offset: self.offset }
    }

    /// Whether this timestamp is after `other`.
    pub fn after(&self, other: &Timestamp) -> bool {
        self.secs > other.secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_rfc3339() {
        let t = ts("2020-02-12T06:36:13Z");
        assert_eq!(t.unix(), 1_581_489_373);
        assert_eq!(t.to_rfc3339(), "2020-02-12T06:36:13Z");
        let f = t.fields();
        assert_eq!((f.year, f.month, f.day, f.hour, f.minute, f.second), (2020, 2, 12, 6, 36, 13));
        let east = ts("2020-02-12T08:36:13.250+02:00");
        assert_eq!(east.unix(), t.unix(), "the same instant");
        assert_eq!(east.to_rfc3339(), "2020-02-12T08:36:13+02:00", "the offset is kept, the fraction dropped");
        assert_eq!(east.fields().hour, 8, "fields are in the timestamp's own offset");
        assert_eq!(ts("2020-02-12T06:36:13+00:00").to_rfc3339(), "2020-02-12T06:36:13Z");
        assert_eq!(ts("1969-12-31T23:59:59Z").unix(), -1);
        for bad in [
            "2020-02-12",
            "2020-02-30T00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-02-12T24:00:00Z",
            "2020-02-12T06:36:13",
            "2020-02-12 06:36:13Z",
            "2020-02-12T06:36:13+0200",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} must not parse");
        }
    }

    #[test]
    fn calendar_arithmetic_rolls_over_as_go_does() {
        let jan31 = ts("2021-01-31T12:00:00Z");
        assert_eq!(jan31.add_date(0, 1, 0).to_rfc3339(), "2021-03-03T12:00:00Z", "February has 28 days in 2021");
        assert_eq!(ts("2020-01-31T12:00:00Z").add_date(0, 1, 0).to_rfc3339(), "2020-03-02T12:00:00Z", "and 29 in 2020");
        assert_eq!(ts("2020-02-29T00:00:00Z").add_date(1, 0, 0).to_rfc3339(), "2021-03-01T00:00:00Z");
        assert_eq!(jan31.add_date(0, -2, 0).to_rfc3339(), "2020-12-01T12:00:00Z", "November 31 is December 1");
        assert_eq!(jan31.add_date(0, 0, 1).to_rfc3339(), "2021-02-01T12:00:00Z");
        assert_eq!(jan31.add_date(0, 0, -366).to_rfc3339(), "2020-01-31T12:00:00Z");
        assert_eq!(jan31.add_date(0, 23, 0).to_rfc3339(), "2022-12-31T12:00:00Z");
        let east = ts("2021-01-31T23:30:00+02:00");
        assert_eq!(east.add_date(0, 0, 1).to_rfc3339(), "2021-02-01T23:30:00+02:00", "dates move in the timestamp's own offset");
        assert_eq!(jan31.add_secs(12 * 3600).to_rfc3339(), "2021-02-01T00:00:00Z");
        assert_eq!(jan31.add_secs(-3600 * 24 * 31).to_rfc3339(), "2020-12-31T12:00:00Z");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -719_468, -1, 0, 1, 59, 60, 365, 10_957, 18_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
