//! `terraform_data`: stores `input` and mirrors it into `output` (unknown
//! while planning, as in Terraform, unless `input` is unchanged); a change of
//! `triggers_replace` replaces it; `id` is a random UUID. No side effects.

use std::sync::Arc;

use async_trait::async_trait;
use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::schema::{AttrType, Attribute, Block, ProviderSchema, ResourceSchema};
use iac_core::{AttrPath, Value};

pub struct TerraformProvider {
    schema: ProviderSchema,
}

impl TerraformProvider {
    pub fn new() -> TerraformProvider {
        let mut schema = ProviderSchema::default();
        schema.resources.insert(
            "terraform_data".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("id", Attribute::computed(AttrType::String))
                    .attr("input", Attribute::optional(AttrType::Any))
                    .attr("output", Attribute::computed(AttrType::Any))
                    .attr("triggers_replace", Attribute::optional(AttrType::Any)),
            },
        );
        TerraformProvider { schema }
    }
}

impl Default for TerraformProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl ProviderFactory for TerraformProvider {
    fn name(&self) -> &str {
        "terraform"
    }
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, _req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(TerraformData { schema: self.schema.resources["terraform_data"].clone() }))
    }
}

struct TerraformData {
    schema: ResourceSchema,
}

fn check_type(t: &str) -> Result<(), ProviderError> {
    if t == "terraform_data" {
        Ok(())
    } else {
        Err(ProviderError::Unsupported(format!("resource type {t}")))
    }
}

#[async_trait]
impl Provider for TerraformData {
    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        check_type(&req.type_)?;
        let mut resp = default_plan(&self.schema, req.prior.as_ref(), &req.config);
        let input = req.config.get("input").cloned().unwrap_or(Value::Null);
        let Value::Map(mut planned) = resp.planned else { unreachable!("default_plan returns an object") };
        // As Terraform: `output` is known only after apply, unless `input` is unchanged.
        let mut output = Value::Unknown;
        if let Some(prior) = &req.prior {
            let old = prior.get("triggers_replace").cloned().unwrap_or(Value::Null);
            let new = req.config.get("triggers_replace").cloned().unwrap_or(Value::Null);
            if old != new || !new.is_wholly_known() {
                resp.requires_replace.push(AttrPath::attr("triggers_replace"));
                planned.insert("id".into(), Value::Unknown);
            } else if prior.get("input").cloned().unwrap_or(Value::Null) == input && input.is_wholly_known() {
                output = prior.get("output").cloned().unwrap_or(Value::Null);
            }
        }
        planned.insert("output".into(), output);
        resp.planned = Value::Map(planned);
        Ok(resp)
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        check_type(&req.type_)?;
        let Value::Map(mut m) = req.planned else { return Err(ProviderError::Other("planned state is not an object".into())) };
        if matches!(m.get("id"), Some(Value::Unknown) | None) {
            m.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        }
        if matches!(m.get("output"), Some(Value::Unknown) | None) {
            let input = m.get("input").cloned().unwrap_or(Value::Null);
            m.insert("output".into(), input);
        }
        Ok(ApplyChangeResponse { new_state: Value::Map(m), private: None })
    }

    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        Ok(Some(req.current))
    }

    async fn delete(&self, _req: DeleteRequest) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        // As in Terraform: the id becomes the object's id, with no input.
        Ok(Value::map([("id", Value::String(req.id)), ("input", Value::Null), ("output", Value::Null), ("triggers_replace", Value::Null)]))
    }

    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        Err(ProviderError::Unsupported(format!("data source {}", req.type_)))
    }
}
