//! Provider `time`, after hashicorp/time: `time_static` (a timestamp kept
//! in state), `time_offset` (a timestamp offset from a base), `time_rotating`
//! (a timestamp that is replaced once its rotation time has passed) and
//! `time_sleep` (waits on create and on destroy). Timestamps are RFC 3339
//! text; see [`timestamp`] for the arithmetic.

mod offset;
mod rotating;
mod sleep;
mod static_;
pub mod timestamp;

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::ValueMap;

use crate::error::Error;
use timestamp::Timestamp;

/// The configured `time` provider: nothing to configure.
pub struct Time;

impl Configured for Time {
    type Error = Error;
    const NAME: &'static str = "time";
}

#[async_trait]
impl Configure for Time {
    fn types() -> Types<Time> {
        Types::new().resource(static_::TimeStatic).resource(offset::TimeOffset).resource(rotating::TimeRotating).resource(sleep::TimeSleep)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Time, ProviderError> {
        Ok(Time)
    }
}

/// The calendar attributes `time_static`, `time_offset` and `time_rotating`
/// share: the fields of their timestamp.
#[derive(Model, Debug, Clone, Default)]
pub struct Calendar {
    /// Number year of the timestamp.
    #[sdk(computed)]
    year: Option<i64>,
    /// Number month of the timestamp.
    #[sdk(computed)]
    month: Option<i64>,
    /// Number day of the timestamp.
    #[sdk(computed)]
    day: Option<i64>,
    /// Number hour of the timestamp.
    #[sdk(computed)]
    hour: Option<i64>,
    /// Number minute of the timestamp.
    #[sdk(computed)]
    minute: Option<i64>,
    /// Number second of the timestamp.
    #[sdk(computed)]
    second: Option<i64>,
    /// Number of seconds since the epoch, e.g. `1581489373`.
    #[sdk(computed)]
    unix: Option<i64>,
}

impl Calendar {
    /// The fields of `t`.
    fn of(t: &Timestamp) -> Calendar {
        let f = t.fields();
        Calendar {
            year: Some(f.year),
            month: Some(f.month),
            day: Some(f.day),
            hour: Some(f.hour),
            minute: Some(f.minute),
            second: Some(f.second),
            unix: Some(t.unix()),
        }
    }

    /// Sets the fields of `t` in a planned value, or makes them unknown.
    fn plan(m: &mut ValueMap, t: Option<&Timestamp>) {
        let v = t.map(Calendar::of).unwrap_or_default().to_value();
        let Value::Map(fields) = v else { return };
        for (k, x) in fields.iter() {
            m.insert(k.clone(), if t.is_some() { x.clone() } else { Value::Unknown });
        }
    }
}

/// Parses an optional timestamp argument.
fn parse(text: Option<&str>) -> Result<Option<Timestamp>, Error> {
    text.filter(|t| !t.is_empty()).map(Timestamp::parse).transpose().map_err(Error::Invalid)
}

/// A known string attribute of a planned value.
fn known_str<'a>(m: &'a ValueMap, k: &str) -> Option<&'a str> {
    m.get(k).and_then(|v| v.unmarked().as_str())
}

/// Checks that the timestamp arguments of a configuration parse.
fn validate_timestamps(config: &Value, names: &[&str]) -> Vec<(iac_provider_sdk::AttrPath, String)> {
    names
        .iter()
        .filter_map(|k| {
            let text = config.get(k)?.unmarked().as_str()?;
            Some((iac_provider_sdk::AttrPath::attr(k), Timestamp::parse(text).err()?))
        })
        .collect()
}

/// Parses an import id's optional whole number ("" is none).
fn optional_int(part: &str, what: &str) -> Result<Option<i64>, Error> {
    if part.is_empty() {
        return Ok(None);
    }
    part.parse().map(Some).map_err(|_| Error::Invalid(format!("{what} {part:?} is not a whole number")))
}
