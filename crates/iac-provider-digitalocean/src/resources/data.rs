//! Data sources: `digitalocean_kubernetes_versions` (version_prefix →
//! latest_version, valid_versions) and `digitalocean_kubernetes_cluster`
//! (by name).

use iac_core::provider::ReadDataRequest;
use iac_core::Value;

use crate::api::Api;
use crate::error::DoError;
use crate::values::*;
use crate::versions;

pub async fn versions(api: &Api, req: &ReadDataRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let prefix = get_str(&req.config, "version_prefix").unwrap_or("").to_string();
    let mut valid: Vec<String> = api.versions().await.map_err(DoError::api(&addr))?.into_iter().filter(|v| v.starts_with(&prefix)).collect();
    valid.sort_by(|a, b| versions::compare(b, a));
    let latest =
        valid.first().cloned().ok_or_else(|| DoError::Invalid { addr: addr.clone(), message: format!("no Kubernetes version starts with {prefix:?}") })?;
    Ok(Value::map([
        ("id", Value::String(if prefix.is_empty() { "all".into() } else { prefix.clone() })),
        ("version_prefix", if prefix.is_empty() { Value::Null } else { Value::String(prefix) }),
        ("latest_version", Value::String(latest)),
        ("valid_versions", Value::List(valid.into_iter().map(Value::String).collect())),
    ]))
}

pub async fn cluster(api: &Api, req: &ReadDataRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let name = get_str(&req.config, "name").unwrap_or_default();
    let mut found = api.clusters_named(name).await.map_err(DoError::api(&addr))?;
    let c = match found.len() {
        0 => return Err(DoError::Invalid { addr, message: format!("no Kubernetes cluster named {name:?}") }),
        1 => found.remove(0),
        n => return Err(DoError::Invalid { addr, message: format!("{n} Kubernetes clusters are named {name:?}") }),
    };
    let id = c["id"].as_str().unwrap_or_default();
    let kube = if c["status"]["state"] == "running" {
        let (raw, creds) = api.access(id).await.map_err(DoError::api(&addr))?;
        kube_config(&raw, &creds)
    } else {
        Value::List(Vec::new())
    };
    let Value::Map(mut m) = cluster_value(&c, None, kube) else { return Ok(Value::Null) };
    m.remove("node_pool");
    let pools = c["node_pools"].as_array().into_iter().flatten().map(pool_value).collect();
    m.insert("node_pools".into(), Value::List(pools));
    Ok(Value::Map(m))
}
