//! `time_rotating`: a timestamp (`rfc3339`, else the time of creation) and
//! its rotation time. Once the rotation time has passed, a read reports the
//! object gone and a plan replaces it (as upstream: reads drop it from
//! state, and a plan against a prior state finds it outdated). Changing the
//! rotation updates it in place; a change of `rfc3339` or `triggers`
//! replaces it.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::timestamp::Timestamp;
use super::{known_str, optional_int, parse, validate_timestamps, Calendar, Time};
use crate::error::Error;

const ROTATIONS: [&str; 6] = ["rotation_days", "rotation_hours", "rotation_minutes", "rotation_months", "rotation_rfc3339", "rotation_years"];

/// `time_rotating`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TimeRotatingModel {
    /// RFC3339 format of the base timestamp, e.g. `2020-02-12T06:36:13Z`.
    #[sdk(computed)]
    id: Option<String>,
    /// Base timestamp in RFC3339 format (`YYYY-MM-DDTHH:MM:SSZ`). Defaults to the current time.
    #[sdk(optional, computed, force_new)]
    rfc3339: Option<String>,
    /// Number of days to add to the base timestamp to configure the rotation timestamp.
    #[sdk(optional)]
    rotation_days: Option<i64>,
    /// Number of hours to add to the base timestamp to configure the rotation timestamp.
    #[sdk(optional)]
    rotation_hours: Option<i64>,
    /// Number of minutes to add to the base timestamp to configure the rotation timestamp.
    #[sdk(optional)]
    rotation_minutes: Option<i64>,
    /// Number of months to add to the base timestamp to configure the rotation timestamp.
    #[sdk(optional)]
    rotation_months: Option<i64>,
    /// Configure the rotation timestamp with an RFC3339 format of the offset timestamp.
    #[sdk(optional, computed)]
    rotation_rfc3339: Option<String>,
    /// Number of years to add to the base timestamp to configure the rotation timestamp.
    #[sdk(optional)]
    rotation_years: Option<i64>,
    /// Arbitrary map of values that, when changed, will trigger a new base timestamp value to be saved.
    #[sdk(optional, force_new)]
    triggers: Option<BTreeMap<String, Option<String>>>,
    #[sdk(flatten)]
    calendar: Calendar,
}

/// The model with its rotation computed from `base`. Each rotation argument
/// counts from the base and a later one wins, in upstream's order (days,
/// hours, minutes, months, `rotation_rfc3339`, years).
fn computed(mut m: TimeRotatingModel, base: Timestamp, base_text: Option<String>) -> Result<TimeRotatingModel, Error> {
    let mut rotation = Timestamp::from_unix(-62_135_596_800); // Go's zero time, when nothing is set
    let set = |v: Option<i64>| v.filter(|n| *n != 0);
    if let Some(n) = set(m.rotation_days) {
        rotation = base.add_date(0, 0, n);
    }
    if let Some(n) = set(m.rotation_hours) {
        rotation = base.add_secs(n.saturating_mul(3600));
    }
    if let Some(n) = set(m.rotation_minutes) {
        rotation = base.add_secs(n.saturating_mul(60));
    }
    if let Some(n) = set(m.rotation_months) {
        rotation = base.add_date(0, n, 0);
    }
    if let Some(t) = parse(m.rotation_rfc3339.as_deref())? {
        rotation = t;
    }
    if let Some(n) = set(m.rotation_years) {
        rotation = base.add_date(n, 0, 0);
    }
    m.id = Some(base.to_rfc3339());
    m.rfc3339 = Some(base_text.unwrap_or_else(|| base.to_rfc3339()));
    m.rotation_rfc3339 = Some(rotation.to_rfc3339());
    m.calendar = Calendar::of(&rotation);
    Ok(m)
}

fn rotation_changed(prior: &Value, planned: &Value) -> bool {
    ROTATIONS.iter().any(|k| prior.get(k) != planned.get(k))
}

/// Whether the rotation time a value records has passed.
fn outdated(v: &Value) -> bool {
    let rotation = v.get("rotation_rfc3339").and_then(|r| r.unmarked().as_str()).and_then(|r| Timestamp::parse(r).ok());
    rotation.is_some_and(|r| Timestamp::now().after(&r))
}

/// The `time_rotating` resource type.
pub struct TimeRotating;

#[async_trait]
impl Resource<Time> for TimeRotating {
    type Model = TimeRotatingModel;
    const TYPE: &'static str = "time_rotating";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = validate_timestamps(config, &["rfc3339", "rotation_rfc3339"]);
        if ROTATIONS.iter().all(|k| config.get(k).is_none_or(Value::is_null)) {
            problems.push((AttrPath::attr("rotation_days"), format!("at least one of {} must be set", ROTATIONS.join(", "))));
        }
        for k in ROTATIONS.iter().filter(|k| !k.ends_with("rfc3339")) {
            if config.get(k).and_then(|v| v.unmarked().as_f64()).is_some_and(|n| n < 1.0) {
                problems.push((AttrPath::attr(k), "must be at least 1".into()));
            }
        }
        problems
    }

    /// An outdated rotation replaces the object; a changed one is planned
    /// with its new values.
    async fn modify_plan(&self, _cx: &Ctx<'_, Time>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        if let Some(prior) = prior {
            if outdated(prior) {
                replace.push(AttrPath::attr("rotation_rfc3339"));
                return Ok(());
            }
            if !rotation_changed(prior, planned) {
                return Ok(());
            }
        }
        let mut model = TimeRotatingModel::from_value(&planned.clone().unmark_deep().0)?;
        // As upstream, where a computed value the configuration leaves out is
        // unknown during an update: the rotation time carried over from the
        // prior state is not a rotation argument when others are set.
        let others = [model.rotation_days, model.rotation_hours, model.rotation_minutes, model.rotation_months, model.rotation_years];
        if prior.is_some_and(|p| p.get("rotation_rfc3339") == planned.get("rotation_rfc3339")) && others.iter().any(Option::is_some) {
            model.rotation_rfc3339 = None;
        }
        let Value::Map(m) = planned else { return Ok(()) };
        let base_text = known_str(m, "rfc3339").map(str::to_string);
        let known = ROTATIONS.iter().all(|k| m.get(*k).is_none_or(|v| !v.is_unknown()));
        match parse(base_text.as_deref())? {
            Some(base) if known => {
                let done = computed(model, base, base_text)?.to_value();
                for k in ["id", "rotation_rfc3339", "year", "month", "day", "hour", "minute", "second", "unix"] {
                    m.insert(k.into(), done.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            _ => {
                for k in ["rotation_rfc3339", "year", "month", "day", "hour", "minute", "second", "unix"] {
                    m.insert(k.into(), Value::Unknown);
                }
                if base_text.is_none() {
                    m.insert("id".into(), Value::Unknown);
                }
            }
        }
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Time>, planned: TimeRotatingModel) -> Result<TimeRotatingModel, Error> {
        let base = parse(planned.rfc3339.as_deref())?;
        let text = base.is_some().then(|| planned.rfc3339.clone()).flatten();
        computed(planned, base.unwrap_or_else(Timestamp::now), text)
    }

    /// The plan computed the new rotation, unless its base was unknown then.
    async fn update(&self, _cx: &Ctx<'_, Time>, prior: TimeRotatingModel, planned: TimeRotatingModel) -> Result<TimeRotatingModel, Error> {
        if planned.rotation_rfc3339.is_some() && planned.calendar.unix.is_some() {
            return Ok(planned);
        }
        let text = planned.rfc3339.clone().or(prior.rfc3339);
        let base = parse(text.as_deref())?.ok_or_else(|| Error::Invalid("time_rotating: no base timestamp".into()))?;
        computed(planned, base, text)
    }

    /// Gone once the rotation time has passed: the next plan creates a new one.
    async fn read(&self, _cx: &Ctx<'_, Time>, current: TimeRotatingModel) -> Result<Option<TimeRotatingModel>, Error> {
        Ok(if outdated(&current.to_value()) { None } else { Some(current) })
    }

    async fn delete(&self, _cx: &Ctx<'_, Time>, _prior: TimeRotatingModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by `BASE_RFC3339,ROTATION_RFC3339` or
    /// `BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES`.
    async fn import(&self, _cx: &Ctx<'_, Time>, id: &str) -> Result<Option<TimeRotatingModel>, Error> {
        let parts: Vec<&str> = id.split(',').collect();
        let bad = || {
            Error::Invalid(format!(
                "unexpected format of ID ({id:?}), expected BASETIMESTAMP,YEARS,MONTHS,DAYS,HOURS,MINUTES or BASETIMESTAMP,ROTATIONTIMESTAMP"
            ))
        };
        let base = Timestamp::parse(parts[0]).map_err(Error::Invalid)?;
        let m = match parts.len() {
            2 if !parts[1].is_empty() => {
                TimeRotatingModel { rotation_rfc3339: Some(Timestamp::parse(parts[1]).map_err(Error::Invalid)?.to_rfc3339()), ..Default::default() }
            }
            6 if parts[1..].iter().any(|p| !p.is_empty()) => TimeRotatingModel {
                rotation_years: optional_int(parts[1], "rotation_years")?,
                rotation_months: optional_int(parts[2], "rotation_months")?,
                rotation_days: optional_int(parts[3], "rotation_days")?,
                rotation_hours: optional_int(parts[4], "rotation_hours")?,
                rotation_minutes: optional_int(parts[5], "rotation_minutes")?,
                ..Default::default()
            },
            _ => return Err(bad()),
        };
        computed(m, base, None).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_count_from_the_base_and_the_last_wins() {
        let base = Timestamp::parse("2021-01-31T10:00:00Z").unwrap();
        let m = TimeRotatingModel { rotation_days: Some(1), rotation_months: Some(1), ..Default::default() };
        let done = computed(m, base, None).unwrap();
        assert_eq!(done.rotation_rfc3339.as_deref(), Some("2021-03-03T10:00:00Z"), "months win over days, from the base");
        assert_eq!(done.rfc3339.as_deref(), Some("2021-01-31T10:00:00Z"));
        assert_eq!((done.calendar.month, done.calendar.day), (Some(3), Some(3)), "the calendar fields are the rotation's");
        let m = TimeRotatingModel { rotation_hours: Some(2), rotation_years: Some(1), ..Default::default() };
        assert_eq!(computed(m, base, None).unwrap().rotation_rfc3339.as_deref(), Some("2022-01-31T10:00:00Z"));
        assert!(outdated(&Value::map([("rotation_rfc3339", Value::from("2000-01-01T00:00:00Z"))])));
        assert!(!outdated(&Value::map([("rotation_rfc3339", Value::from("2999-01-01T00:00:00Z"))])));
    }
}
