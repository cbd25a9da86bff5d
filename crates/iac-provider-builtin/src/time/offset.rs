//! `time_offset`: a timestamp offset from a base (`base_rfc3339`, else the
//! time of creation). Changing an offset or the base updates it in place,
//! the new values shown in the plan; a change of `triggers` replaces it.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::timestamp::Timestamp;
use super::{known_str, optional_int, parse, validate_timestamps, Calendar, Time};
use crate::error::Error;

const OFFSETS: [&str; 6] = ["offset_years", "offset_months", "offset_days", "offset_hours", "offset_minutes", "offset_seconds"];

/// `time_offset`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TimeOffsetModel {
    /// RFC3339 format of the base timestamp, e.g. `2020-02-12T06:36:13Z`.
    #[sdk(computed)]
    id: Option<String>,
    /// Base timestamp in RFC3339 format (`YYYY-MM-DDTHH:MM:SSZ`). Defaults to the current time.
    #[sdk(optional, computed)]
    base_rfc3339: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger a new base timestamp value to be saved.
    #[sdk(optional, force_new)]
    triggers: Option<BTreeMap<String, Option<String>>>,
    /// Number of years to offset the base timestamp.
    #[sdk(optional)]
    offset_years: Option<i64>,
    /// Number of months to offset the base timestamp.
    #[sdk(optional)]
    offset_months: Option<i64>,
    /// Number of days to offset the base timestamp.
    #[sdk(optional)]
    offset_days: Option<i64>,
    /// Number of hours to offset the base timestamp.
    #[sdk(optional)]
    offset_hours: Option<i64>,
    /// Number of minutes to offset the base timestamp.
    #[sdk(optional)]
    offset_minutes: Option<i64>,
    /// Number of seconds to offset the base timestamp.
    #[sdk(optional)]
    offset_seconds: Option<i64>,
    /// RFC3339 format of the offset timestamp, e.g. `2020-02-12T06:36:13Z`.
    #[sdk(computed)]
    rfc3339: Option<String>,
    #[sdk(flatten)]
    calendar: Calendar,
}

/// The offsets of a model, in the order upstream applies them.
struct Offsets {
    years: i64,
    months: i64,
    days: i64,
    hours: i64,
    minutes: i64,
    seconds: i64,
}

impl Offsets {
    fn of(m: &TimeOffsetModel) -> Offsets {
        let n = |v: Option<i64>| v.unwrap_or(0);
        Offsets {
            years: n(m.offset_years),
            months: n(m.offset_months),
            days: n(m.offset_days),
            hours: n(m.offset_hours),
            minutes: n(m.offset_minutes),
            seconds: n(m.offset_seconds),
        }
    }

    /// The offset timestamp. The order (days, hours, minutes, months,
    /// seconds, years) is upstream's: it decides where a month-end date
    /// rolls over.
    fn apply(&self, base: Timestamp) -> Timestamp {
        base.add_date(0, 0, self.days)
            .add_secs(self.hours.saturating_mul(3600))
            .add_secs(self.minutes.saturating_mul(60))
            .add_date(0, self.months, 0)
            .add_secs(self.seconds)
            .add_date(self.years, 0, 0)
    }
}

/// The model with every value computed from `base` (whose text is kept
/// when the configuration wrote it).
fn computed(mut m: TimeOffsetModel, base: Timestamp, base_text: Option<String>) -> TimeOffsetModel {
    let t = Offsets::of(&m).apply(base);
    m.id = Some(base.to_rfc3339());
    m.base_rfc3339 = Some(base_text.unwrap_or_else(|| base.to_rfc3339()));
    m.rfc3339 = Some(t.to_rfc3339());
    m.calendar = Calendar::of(&t);
    m
}

/// The `time_offset` resource type.
pub struct TimeOffset;

#[async_trait]
impl Resource<Time> for TimeOffset {
    type Model = TimeOffsetModel;
    const TYPE: &'static str = "time_offset";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = validate_timestamps(config, &["base_rfc3339"]);
        if OFFSETS.iter().all(|k| config.get(k).is_none_or(Value::is_null)) {
            problems.push((AttrPath::attr("offset_days"), format!("at least one of {} must be set", OFFSETS.join(", "))));
        }
        problems
    }

    /// Values follow from the base and the offsets: known in the plan when
    /// both are (a create with no base takes the time of apply).
    async fn modify_plan(&self, _cx: &Ctx<'_, Time>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        if let Some(prior) = prior {
            let same = |k: &str| prior.get(k) == planned.get(k);
            if OFFSETS.iter().all(|k| same(k)) && same("base_rfc3339") {
                return Ok(());
            }
        }
        let Value::Map(m) = &*planned else { return Ok(()) };
        let base_text = known_str(m, "base_rfc3339").map(str::to_string);
        let offsets_known = OFFSETS.iter().all(|k| m.get(*k).is_none_or(|v| !v.is_unknown()));
        let model = TimeOffsetModel::from_value(&planned.clone().unmark_deep().0)?;
        let Value::Map(m) = planned else { return Ok(()) };
        match parse(base_text.as_deref())? {
            Some(base) if offsets_known => {
                let done = computed(model, base, base_text).to_value();
                for k in ["id", "rfc3339", "year", "month", "day", "hour", "minute", "second", "unix"] {
                    m.insert(k.into(), done.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            _ => {
                for k in ["rfc3339", "year", "month", "day", "hour", "minute", "second", "unix"] {
                    m.insert(k.into(), Value::Unknown);
                }
                if base_text.is_none() {
                    m.insert("id".into(), Value::Unknown);
                }
            }
        }
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Time>, planned: TimeOffsetModel) -> Result<TimeOffsetModel, Error> {
        let base = parse(planned.base_rfc3339.as_deref())?;
        let text = base.is_some().then(|| planned.base_rfc3339.clone()).flatten();
        Ok(computed(planned, base.unwrap_or_else(Timestamp::now), text))
    }

    async fn update(&self, _cx: &Ctx<'_, Time>, prior: TimeOffsetModel, planned: TimeOffsetModel) -> Result<TimeOffsetModel, Error> {
        let text = planned.base_rfc3339.clone().or(prior.base_rfc3339);
        let base = parse(text.as_deref())?.ok_or_else(|| Error::Invalid("time_offset: no base timestamp to offset".into()))?;
        Ok(computed(planned, base, text))
    }

    async fn read(&self, _cx: &Ctx<'_, Time>, current: TimeOffsetModel) -> Result<Option<TimeOffsetModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Time>, _prior: TimeOffsetModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by `BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS`
    /// (empty for an offset not set; at least one set).
    async fn import(&self, _cx: &Ctx<'_, Time>, id: &str) -> Result<Option<TimeOffsetModel>, Error> {
        let parts: Vec<&str> = id.split(',').collect();
        if parts.len() != 7 || parts[0].is_empty() || parts[1..].iter().all(|p| p.is_empty()) {
            return Err(Error::Invalid(format!(
                "unexpected format of ID ({id:?}), expected BASETIMESTAMP,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS where at least one offset value is non-empty"
            )));
        }
        let base = Timestamp::parse(parts[0]).map_err(Error::Invalid)?;
        let m = TimeOffsetModel {
            offset_years: optional_int(parts[1], "offset_years")?,
            offset_months: optional_int(parts[2], "offset_months")?,
            offset_days: optional_int(parts[3], "offset_days")?,
            offset_hours: optional_int(parts[4], "offset_hours")?,
            offset_minutes: optional_int(parts[5], "offset_minutes")?,
            offset_seconds: optional_int(parts[6], "offset_seconds")?,
            ..TimeOffsetModel::default()
        };
        Ok(Some(computed(m, base, None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_apply_in_upstreams_order() {
        let base = Timestamp::parse("2021-01-31T00:00:00Z").unwrap();
        let m = TimeOffsetModel { offset_months: Some(1), offset_days: Some(1), ..TimeOffsetModel::default() };
        // Days first: Feb 1, then a month: Mar 1 (months first would give Mar 3 + 1 day).
        assert_eq!(Offsets::of(&m).apply(base).to_rfc3339(), "2021-03-01T00:00:00Z");
        let m = TimeOffsetModel { offset_years: Some(1), offset_hours: Some(-1), offset_seconds: Some(30), ..TimeOffsetModel::default() };
        assert_eq!(Offsets::of(&m).apply(base).to_rfc3339(), "2022-01-30T23:00:30Z");
        let done = computed(m, base, Some("2021-01-31T00:00:00+00:00".into()));
        assert_eq!(done.id.as_deref(), Some("2021-01-31T00:00:00Z"), "the id is the base");
        assert_eq!(done.base_rfc3339.as_deref(), Some("2021-01-31T00:00:00+00:00"), "the configured text is kept");
        assert_eq!((done.calendar.year, done.calendar.day, done.calendar.unix), (Some(2022), Some(30), Some(1_643_583_630)));
    }
}
