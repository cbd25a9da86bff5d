//! `time_static`: a timestamp taken once (the current time, or `rfc3339`)
//! and kept in state, so that configurations do not see `timestamp()`
//! change on every run. A change of `rfc3339` or `triggers` replaces it.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::timestamp::Timestamp;
use super::{known_str, parse, validate_timestamps, Calendar, Time};
use crate::error::Error;

/// `time_static`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TimeStaticModel {
    /// RFC3339 format of the timestamp, e.g. `2020-02-12T06:36:13Z`.
    #[sdk(computed)]
    id: Option<String>,
    /// Base timestamp in RFC3339 format (`YYYY-MM-DDTHH:MM:SSZ`). Defaults to the current time.
    #[sdk(optional, computed, force_new)]
    rfc3339: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger a new base timestamp value to be saved.
    #[sdk(optional, force_new)]
    triggers: Option<BTreeMap<String, Option<String>>>,
    #[sdk(flatten)]
    calendar: Calendar,
}

/// The `time_static` resource type.
pub struct TimeStatic;

fn at(t: &Timestamp, text: Option<String>, triggers: Option<BTreeMap<String, Option<String>>>) -> TimeStaticModel {
    TimeStaticModel { id: Some(t.to_rfc3339()), rfc3339: Some(text.unwrap_or_else(|| t.to_rfc3339())), triggers, calendar: Calendar::of(t) }
}

#[async_trait]
impl Resource<Time> for TimeStatic {
    type Model = TimeStaticModel;
    const TYPE: &'static str = "time_static";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_timestamps(config, &["rfc3339"])
    }

    /// A configured timestamp's fields are known while planning.
    async fn modify_plan(&self, _cx: &Ctx<'_, Time>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        let Value::Map(m) = planned else { return Ok(()) };
        if prior.is_none() {
            if let Some(t) = parse(known_str(m, "rfc3339"))? {
                m.insert("id".into(), Value::from(t.to_rfc3339()));
                Calendar::plan(m, Some(&t));
            }
        }
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Time>, planned: TimeStaticModel) -> Result<TimeStaticModel, Error> {
        let t = parse(planned.rfc3339.as_deref())?.unwrap_or_else(Timestamp::now);
        Ok(at(&t, planned.rfc3339, planned.triggers))
    }

    async fn read(&self, _cx: &Ctx<'_, Time>, current: TimeStaticModel) -> Result<Option<TimeStaticModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Time>, _prior: TimeStaticModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by its RFC 3339 timestamp.
    async fn import(&self, _cx: &Ctx<'_, Time>, id: &str) -> Result<Option<TimeStaticModel>, Error> {
        let t = Timestamp::parse(id).map_err(Error::Invalid)?;
        Ok(Some(at(&t, None, None)))
    }
}
