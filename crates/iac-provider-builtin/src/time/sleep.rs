//! `time_sleep`: waits `create_duration` on create and `destroy_duration`
//! on destroy ("30s", "5m", "500ms", "1.5h"). As upstream, changing a
//! duration updates the object in place without waiting (the new
//! `destroy_duration` applies to the eventual destroy); only a change of
//! `triggers` replaces it, waiting again.

use std::collections::BTreeMap;
use std::time::Duration;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::timestamp::Timestamp;
use super::Time;
use crate::error::Error;

/// Parses Go-style durations: "1h2m3s", "500ms", "1.5s".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    iac_core::time::parse_duration(s).map_err(|e| e.to_string())
}

/// The form upstream accepts: one number and one unit ("30s", "1.5h").
fn check_duration(s: &str) -> Result<(), String> {
    let unit_at = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(unit_at);
    let mut halves = num.splitn(2, '.');
    let whole_ok = halves.next().is_some_and(|w| !w.is_empty());
    let frac_ok = halves.next().is_none_or(|f| !f.is_empty() && !f.contains('.'));
    if whole_ok && frac_ok && matches!(unit, "ms" | "s" | "m" | "h") {
        Ok(())
    } else {
        Err(format!(
            "{s:?}: must be a number immediately followed by ms (milliseconds), s (seconds), m (minutes), or h (hours). For example, \"30s\" for 30 seconds."
        ))
    }
}

/// `time_sleep`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TimeSleepModel {
    /// RFC3339 format of the time the create ended, e.g. `2020-02-12T06:36:13Z`.
    #[sdk(computed)]
    id: Option<String>,
    /// Time duration to delay resource creation, e.g. `30s` or `5m`. Updating it by itself does not delay.
    #[sdk(optional)]
    create_duration: Option<String>,
    /// Time duration to delay resource destroy, e.g. `30s` or `5m`. Updating it by itself does not delay.
    #[sdk(optional)]
    destroy_duration: Option<String>,
    /// Arbitrary map of values that, when changed, will run any creation or destroy delays again.
    #[sdk(optional, force_new)]
    triggers: Option<BTreeMap<String, Option<String>>>,
}

fn duration_of(d: &Option<String>) -> Result<Duration, Error> {
    d.as_deref().filter(|d| !d.is_empty()).map(parse_duration).transpose().map(Option::unwrap_or_default).map_err(Error::Invalid)
}

/// The `time_sleep` resource type.
pub struct TimeSleep;

#[async_trait]
impl Resource<Time> for TimeSleep {
    type Model = TimeSleepModel;
    const TYPE: &'static str = "time_sleep";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let keys = ["create_duration", "destroy_duration"];
        let mut problems: Vec<(AttrPath, String)> = keys
            .into_iter()
            .filter_map(|k| Some((k, check_duration(config.get(k)?.unmarked().as_str()?).err()?)))
            .map(|(k, e)| (AttrPath::attr(k), e))
            .collect();
        if keys.iter().all(|k| config.get(k).is_none_or(Value::is_null)) {
            problems.push((AttrPath::attr("create_duration"), "at least one of create_duration, destroy_duration must be set".into()));
        }
        problems
    }

    async fn create(&self, _cx: &Ctx<'_, Time>, mut planned: TimeSleepModel) -> Result<TimeSleepModel, Error> {
        tokio::time::sleep(duration_of(&planned.create_duration)?).await;
        planned.id = Some(Timestamp::now().to_rfc3339());
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Time>, current: TimeSleepModel) -> Result<Option<TimeSleepModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Time>, prior: TimeSleepModel) -> Result<(), Error> {
        tokio::time::sleep(duration_of(&prior.destroy_duration)?).await;
        Ok(())
    }

    /// Imported by `CREATE_DURATION,DESTROY_DURATION` (one may be empty).
    async fn import(&self, _cx: &Ctx<'_, Time>, id: &str) -> Result<Option<TimeSleepModel>, Error> {
        let parts: Vec<&str> = id.split(',').collect();
        if parts.len() != 2 || parts.iter().all(|p| p.is_empty()) {
            return Err(Error::Invalid(format!(
                "unexpected format of ID ({id:?}), expected CREATEDURATION,DESTROYDURATION where at least one value is non-empty"
            )));
        }
        let duration = |p: &str| -> Result<Option<String>, Error> {
            if p.is_empty() {
                return Ok(None);
            }
            parse_duration(p).map_err(Error::Invalid)?;
            Ok(Some(p.to_string()))
        };
        Ok(Some(TimeSleepModel {
            id: Some(Timestamp::now().to_rfc3339()),
            create_duration: duration(parts[0])?,
            destroy_duration: duration(parts[1])?,
            triggers: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_duration, parse_duration};
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5x").is_err());
        for ok in ["30s", "1.5h", "500ms", "0s", "2m"] {
            assert!(check_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["1m30s", "10", "s", ".5s", "1.s", "5x", "-1s"] {
            assert!(check_duration(bad).is_err(), "{bad} is not upstream's form");
        }
    }
}
