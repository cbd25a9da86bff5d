//! `digitalocean_kubernetes_node_pool`: a pool of an existing cluster.
//! Name, count, autoscaling, labels, tags and taints go through PUT. A size
//! change is a create-before-destroy roll done by the provider (a new pool
//! with a new id, then the old one removed), so the cluster never loses its
//! capacity whatever the resource's lifecycle says.

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::Value;
use serde_json::Value as Json;

use super::cluster::{plan_pool, roll_or_update_pool, wait_pool};
use crate::api::Api;
use crate::error::DoError;
use crate::schema;
use crate::values::*;

pub fn value(cluster_id: &str, p: &Json) -> Value {
    let mut v = pool_value(p);
    set(&mut v, "cluster_id", Value::from(cluster_id));
    v
}

pub fn plan(req: &PlanChangeRequest) -> Result<PlanChangeResponse, DoError> {
    let sc = schema::node_pool();
    let config = empty_to_null(default_to(req.config.clone(), "auto_scale", Value::Bool(false)), &["tags", "labels"]);
    let mut r = default_plan(&sc, req.prior.as_ref(), &config);
    if !r.requires_replace.is_empty() {
        r.planned = unknown_computed(&sc.block, r.planned);
        return Ok(r);
    }
    let mut err = None;
    plan_pool(&mut r.planned, req.prior.as_ref(), &mut err);
    match err {
        Some(message) => Err(DoError::Invalid { addr: req.addr.to_string(), message }),
        None => Ok(r),
    }
}

pub async fn apply(api: &Api, req: &ApplyChangeRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let cluster = get_str(&req.planned, "cluster_id").unwrap_or_default().to_string();
    let prior = req.prior.clone().unwrap_or(Value::Null);
    let id = roll_or_update_pool(api, &addr, &cluster, &prior, &req.planned, false).await?.unwrap_or_default();
    let p = wait_pool(api, &addr, &cluster, &id).await?;
    Ok(value(&cluster, &p))
}

pub async fn read(api: &Api, req: &ReadRequest) -> Result<Option<Value>, DoError> {
    let (Some(cluster), Some(id)) = (get_str(&req.current, "cluster_id"), get_str(&req.current, "id")) else { return Ok(None) };
    Ok(api.pool_cached(cluster, id).await.map_err(DoError::api(&req.addr))?.map(|p| value(cluster, &p)))
}

pub async fn delete(api: &Api, req: &DeleteRequest) -> Result<(), DoError> {
    let addr = req.addr.to_string();
    let (Some(cluster), Some(id)) = (get_str(&req.prior, "cluster_id"), get_str(&req.prior, "id")) else { return Ok(()) };
    api.delete_pool(cluster, id).await.map_err(DoError::api(&addr))?;
    crate::wait::until(&api.waits, &addr, "the node pool to be deleted", || async {
        Ok(api.pool(cluster, id).await.map_err(DoError::api(&addr))?.is_none().then_some(()))
    })
    .await
}

/// `CLUSTER_ID:POOL_ID`, or a pool id alone (searched in every cluster).
pub async fn import(api: &Api, req: &ImportRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let not_found = || DoError::Invalid { addr: addr.clone(), message: format!("no node pool with id {:?}", req.id) };
    if let Some((c, p)) = req.id.split_once(':') {
        return api.pool(c, p).await.map_err(DoError::api(&addr))?.map(|j| value(c, &j)).ok_or_else(not_found);
    }
    for c in api.client.list_all("/v2/kubernetes/clusters", "kubernetes_clusters").await.map_err(DoError::api(&addr))? {
        if let Some(p) = c["node_pools"].as_array().and_then(|ps| ps.iter().find(|p| p["id"] == req.id.as_str())) {
            return Ok(value(c["id"].as_str().unwrap_or_default(), p));
        }
    }
    Err(not_found())
}

pub async fn recover(api: &Api, req: &RecoverRequest) -> Result<Option<Value>, DoError> {
    let (Some(cluster), Some(name)) = (get_str(&req.planned, "cluster_id"), get_str(&req.planned, "name")) else { return Ok(None) };
    let pools = match api.pools(cluster).await {
        Ok(p) => p,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(DoError::Api { addr: req.addr.to_string(), source: Box::new(e) }),
    };
    let size = get_str(&req.planned, "size");
    Ok(pools.iter().find(|p| p["name"] == name && size.is_none_or(|s| p["size"] == s)).map(|p| value(cluster, p)))
}
