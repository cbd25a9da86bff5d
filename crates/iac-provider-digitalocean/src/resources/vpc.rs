//! `digitalocean_vpc`: name and description update in place; region and
//! ip_range force replacement. Deleting waits out the 403/409 DigitalOcean
//! answers while a just-deleted cluster still holds the VPC.

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::Value;
use serde_json::{json, Map, Value as Json};

use super::create_or_adopt;
use crate::api::Api;
use crate::error::DoError;
use crate::schema;
use crate::values::*;
use crate::wait;

pub fn value(v: &Json) -> Value {
    let desc = v["description"].as_str().filter(|d| !d.is_empty()).map(Value::from).unwrap_or(Value::Null);
    Value::map([
        ("id", s(&v["id"])),
        ("urn", s(&v["urn"])),
        ("name", s(&v["name"])),
        ("region", s(&v["region"])),
        ("ip_range", s(&v["ip_range"])),
        ("description", desc),
        ("default", b(&v["default"])),
        ("created_at", s(&v["created_at"])),
    ])
}

pub fn plan(req: &PlanChangeRequest) -> Result<PlanChangeResponse, DoError> {
    let sc = schema::vpc();
    let config = req.config.clone();
    let config = match config.get("description").and_then(Value::as_str) {
        Some("") => {
            let mut c = config;
            set(&mut c, "description", Value::Null);
            c
        }
        _ => config,
    };
    let mut r = default_plan(&sc, req.prior.as_ref(), &config);
    if !r.requires_replace.is_empty() {
        r.planned = unknown_computed(&sc.block, r.planned);
    }
    Ok(r)
}

pub async fn apply(api: &Api, req: &ApplyChangeRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let p = &req.planned;
    let name = get_str(p, "name").unwrap_or_default().to_string();
    match &req.prior {
        None => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            body.insert("region".into(), json!(get_str(p, "region")));
            if let Some(r) = get_str(p, "ip_range") {
                body.insert("ip_range".into(), json!(r));
            }
            if let Some(d) = get_str(p, "description") {
                body.insert("description".into(), json!(d));
            }
            let body = Json::Object(body);
            let created = create_or_adopt(&addr, &api.waits, api.client_retries(), || api.create_vpc(&body), || api.vpc_by_name(&name)).await?;
            Ok(value(&created))
        }
        Some(prior) => {
            let id = get_str(prior, "id").unwrap_or_default();
            let body = json!({"name": name, "description": get_str(p, "description").unwrap_or("")});
            let updated = api.update_vpc(id, &body).await.map_err(DoError::api(&addr))?;
            Ok(value(&updated))
        }
    }
}

pub async fn read(api: &Api, req: &ReadRequest) -> Result<Option<Value>, DoError> {
    let Some(id) = get_str(&req.current, "id") else { return Ok(None) };
    Ok(api.vpc_cached(id).await.map_err(DoError::api(&req.addr))?.as_ref().map(value))
}

pub async fn delete(api: &Api, req: &DeleteRequest) -> Result<(), DoError> {
    let addr = req.addr.to_string();
    let Some(id) = get_str(&req.prior, "id") else { return Ok(()) };
    wait::until(&api.waits, &addr, "the VPC to be released by its members", || async {
        match api.delete_vpc(id).await {
            Ok(()) => Ok(Some(())),
            Err(e) if matches!(e.status(), Some(403 | 409)) => {
                tracing::info!(addr = %addr, error = %e, "VPC still in use; retrying");
                Ok(None)
            }
            Err(e) => Err(DoError::Api { addr: addr.clone(), source: Box::new(e) }),
        }
    })
    .await
}

pub async fn import(api: &Api, req: &ImportRequest) -> Result<Value, DoError> {
    match api.vpc(&req.id).await.map_err(DoError::api(&req.addr))? {
        Some(v) => Ok(value(&v)),
        None => Err(DoError::Invalid { addr: req.addr.to_string(), message: format!("no VPC with id {:?}", req.id) }),
    }
}

pub async fn recover(api: &Api, req: &RecoverRequest) -> Result<Option<Value>, DoError> {
    let Some(name) = get_str(&req.planned, "name") else { return Ok(None) };
    Ok(api.vpc_by_name(name).await.map_err(DoError::api(&req.addr))?.as_ref().map(value))
}
