//! Provider `time`: `time_sleep` waits `create_duration` on create and
//! `destroy_duration` on delete ("30s", "1m", "500ms"), as in Terraform's
//! time provider.

use std::collections::BTreeMap;
use std::time::Duration;

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use crate::error::Error;

/// The configured `time` provider: nothing to configure.
pub struct Time;

impl Configured for Time {
    type Error = Error;
    const NAME: &'static str = "time";
}

#[async_trait]
impl Configure for Time {
    fn types() -> Types<Time> {
        Types::new().resource(TimeSleep)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Time, ProviderError> {
        Ok(Time)
    }
}

/// Parses Go-style durations: "1h2m3s", "500ms", "1.5s".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.trim().chars().peekable();
    if s.trim().is_empty() {
        return Err("empty duration".into());
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().expect("peeked"));
        }
        let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(format!("invalid unit {unit:?} in duration {s:?}")),
        };
    }
    if !num.is_empty() {
        return Err(format!("duration {s:?} needs a unit (s, m, h, ms)"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// `time_sleep`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TimeSleepModel {
    /// When the sleep ended (seconds since the epoch).
    #[sdk(computed)]
    id: Option<String>,
    /// How long a create waits.
    #[sdk(optional, force_new)]
    create_duration: Option<String>,
    /// How long a delete waits.
    #[sdk(optional, force_new)]
    destroy_duration: Option<String>,
    /// Arbitrary values whose change replaces the object.
    #[sdk(optional, force_new)]
    triggers: Option<BTreeMap<String, String>>,
}

fn duration_of(d: &Option<String>) -> Result<Duration, Error> {
    d.as_deref().map(parse_duration).transpose().map(Option::unwrap_or_default).map_err(Error::Invalid)
}

/// The `time_sleep` resource type.
pub struct TimeSleep;

#[async_trait]
impl Resource<Time> for TimeSleep {
    type Model = TimeSleepModel;
    const TYPE: &'static str = "time_sleep";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        ["create_duration", "destroy_duration"]
            .into_iter()
            .filter_map(|k| Some((k, parse_duration(config.get(k)?.as_str()?).err()?)))
            .map(|(k, e)| (AttrPath::attr(k), e))
            .collect()
    }

    async fn create(&self, _cx: &Ctx<'_, Time>, mut planned: TimeSleepModel) -> Result<TimeSleepModel, Error> {
        tokio::time::sleep(duration_of(&planned.create_duration)?).await;
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        planned.id = Some(secs.to_string());
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Time>, current: TimeSleepModel) -> Result<Option<TimeSleepModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Time>, prior: TimeSleepModel) -> Result<(), Error> {
        tokio::time::sleep(duration_of(&prior.destroy_duration)?).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5x").is_err());
    }
}
