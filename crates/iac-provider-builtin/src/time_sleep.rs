//! `time_sleep`: waits `create_duration` on create and `destroy_duration` on
//! delete ("30s", "1m", "500ms"), as in Terraform's time provider.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::schema::{AttrType, Attribute, Block, ProviderSchema, ResourceSchema};
use iac_core::Value;

pub struct TimeProvider {
    schema: ProviderSchema,
}

impl TimeProvider {
    pub fn new() -> TimeProvider {
        let mut schema = ProviderSchema::default();
        schema.resources.insert(
            "time_sleep".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("id", Attribute::computed(AttrType::String))
                    .attr("create_duration", Attribute::optional(AttrType::String).force_new())
                    .attr("destroy_duration", Attribute::optional(AttrType::String).force_new())
                    .attr("triggers", Attribute::optional(AttrType::Map(Box::new(AttrType::String))).force_new()),
            },
        );
        TimeProvider { schema }
    }
}

impl Default for TimeProvider {
    fn default() -> Self {
        Self::new()
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

#[async_trait]
impl ProviderFactory for TimeProvider {
    fn name(&self) -> &str {
        "time"
    }
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, _req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(TimeSleep { schema: self.schema.resources["time_sleep"].clone() }))
    }
}

struct TimeSleep {
    schema: ResourceSchema,
}

fn duration_of(v: &Value, key: &str) -> Result<Duration, ProviderError> {
    match v.get(key).and_then(Value::as_str) {
        Some(s) => parse_duration(s).map_err(ProviderError::InvalidConfig),
        None => Ok(Duration::ZERO),
    }
}

#[async_trait]
impl Provider for TimeSleep {
    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        if req.config.get("create_duration").is_some_and(|v| v.is_wholly_known()) {
            duration_of(&req.config, "create_duration")?;
        }
        Ok(default_plan(&self.schema, req.prior.as_ref(), &req.config))
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        tokio::time::sleep(duration_of(&req.planned, "create_duration")?).await;
        let Value::Map(mut m) = req.planned else { return Err(ProviderError::Other("planned state is not an object".into())) };
        m.insert("id".into(), Value::String(crate_time_id()));
        Ok(ApplyChangeResponse { new_state: Value::Map(m), private: None })
    }

    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        Ok(Some(req.current))
    }

    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError> {
        tokio::time::sleep(duration_of(&req.prior, "destroy_duration")?).await;
        Ok(())
    }

    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        Ok(Value::map([("id", Value::String(req.id)), ("create_duration", Value::Null), ("destroy_duration", Value::Null), ("triggers", Value::Null)]))
    }

    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        Err(ProviderError::Unsupported(format!("data source {}", req.type_)))
    }
}

fn crate_time_id() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    secs.to_string()
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
