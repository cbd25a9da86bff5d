//! `digitalocean_kubernetes_cluster` with its inline `node_pool`.
//!
//! Name, tags, maintenance policy and the upgrade/HA flags go through PUT;
//! a version change goes through POST `/upgrade` along DigitalOcean's path
//! (latest patch of the current minor first), and a downgrade fails the
//! plan. Region, VPC and subnets force replacement. Changing the inline
//! pool's size never replaces the cluster: a new pool is rolled in and the
//! old one out. `kube_config` is fetched on every read. DigitalOcean's own
//! tags and an automatic upgrade (with `auto_upgrade`) are not drift.

use std::cmp::Ordering;

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::Value;
use serde_json::{json, Map, Value as Json};

use super::create_or_adopt;
use crate::api::Api;
use crate::error::DoError;
use crate::values::*;
use crate::{schema, versions, wait};

/// Booleans with DigitalOcean's defaults, so an omitted one is not a diff.
fn with_defaults(config: Value) -> Value {
    let c = default_to(config, "ha", Value::Bool(false));
    let c = default_to(c, "auto_upgrade", Value::Bool(false));
    let c = default_to(c, "surge_upgrade", Value::Bool(false));
    let mut c = default_to(c, "registry_integration", Value::Bool(false));
    c = empty_to_null(c, &["tags"]);
    with_first_pool(&mut c, |p| {
        let q = default_to(std::mem::take(p), "auto_scale", Value::Bool(false));
        *p = empty_to_null(q, &["tags", "labels"]);
    });
    c
}

pub async fn plan(api: &Api, req: &PlanChangeRequest) -> Result<PlanChangeResponse, DoError> {
    let addr = req.addr.to_string();
    let sc = schema::cluster();
    let config = with_defaults(req.config.clone());
    let mut r = default_plan(&sc, req.prior.as_ref(), &config);
    let prior = req.prior.as_ref();
    let planned = &mut r.planned;

    // The maintenance window: DigitalOcean picks one when none is configured.
    if config.get("maintenance_policy").and_then(Value::as_list).is_none_or(|l| l.is_empty()) {
        set(planned, "maintenance_policy", prior.and_then(|p| p.get("maintenance_policy")).cloned().unwrap_or(Value::Unknown));
    }

    // Version: upgrades only; an automatic upgrade is not drift.
    if let (Some(want), Some(have)) = (config.get("version").and_then(Value::as_str), prior.and_then(|p| get_str(p, "version"))) {
        let auto = planned.get("auto_upgrade").and_then(Value::as_bool) == Some(true);
        match versions::compare(want, have) {
            Ordering::Less if auto => set(planned, "version", Value::from(have)),
            Ordering::Less => {
                return Err(DoError::Invalid { addr, message: format!("version {want} is older than the cluster's {have}: DigitalOcean cannot downgrade a cluster (turn on auto_upgrade or set version to {have} or newer)") });
            }
            _ => {}
        }
    }
    if let Some(want) = planned.get("version").and_then(Value::as_str).map(str::to_string) {
        let changed = prior.and_then(|p| get_str(p, "version")) != Some(want.as_str());
        if changed {
            let offered = api.versions().await.map_err(DoError::api(&addr))?;
            if !offered.contains(&want) {
                return Err(DoError::Invalid { addr, message: format!("version {want:?} is not offered by DigitalOcean (offered: {})", offered.join(", ")) });
            }
        }
    }

    // The inline pool.
    let prior_pool = prior.and_then(first_pool).cloned();
    let mut pool_error = None;
    with_first_pool(planned, |p| {
        plan_pool(p, prior_pool.as_ref(), &mut pool_error);
    });
    if let Some(m) = pool_error {
        return Err(DoError::Invalid { addr, message: m });
    }

    if !r.requires_replace.is_empty() {
        r.planned = unknown_computed(&sc.block, r.planned);
        let configured = config.get("maintenance_policy").and_then(Value::as_list).is_some_and(|l| !l.is_empty());
        let mp = r.planned.get("maintenance_policy").filter(|m| configured && !m.is_unknown()).cloned().unwrap_or(Value::Unknown);
        set(&mut r.planned, "maintenance_policy", mp);
    } else if let Some(p) = prior {
        if &r.planned != p {
            set(&mut r.planned, "updated_at", Value::Unknown);
        }
    }
    Ok(r)
}

/// Plans a pool (inline or standalone) against its prior: a size change
/// rolls a new pool (new id), a count change leaves the nodes unknown.
pub fn plan_pool(p: &mut Value, prior: Option<&Value>, error: &mut Option<String>) {
    let auto = p.get("auto_scale").and_then(Value::as_bool) == Some(true);
    let count_null = p.get("node_count").is_none_or(|c| c.is_null());
    if prior.is_none() && !auto && count_null {
        *error = Some("node_count is required unless auto_scale is on".into());
        return;
    }
    if auto {
        let (min, max) = (p.get("min_nodes").and_then(Value::as_f64), p.get("max_nodes").and_then(Value::as_f64));
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                *error = Some(format!("min_nodes ({a}) exceeds max_nodes ({b})"));
                return;
            }
        }
        // The autoscaler owns the count.
        if let Some(pc) = prior.and_then(|q| q.get("node_count")) {
            set(p, "node_count", pc.clone());
        }
    }
    let Some(prior) = prior else { return };
    let size_changed = p.get("size") != prior.get("size");
    if size_changed {
        for k in ["id", "actual_node_count", "nodes"] {
            set(p, k, Value::Unknown);
        }
    } else if p.get("node_count") != prior.get("node_count") {
        let c = p.get("node_count").cloned().unwrap_or(Value::Unknown);
        set(p, "actual_node_count", c);
        set(p, "nodes", Value::Unknown);
    }
}

fn create_body(p: &Value) -> Json {
    let mut m = Map::new();
    for k in ["name", "region", "version"] {
        m.insert(k.into(), json!(get_str(p, k)));
    }
    for k in ["vpc_uuid", "cluster_subnet", "service_subnet"] {
        if let Some(v) = get_str(p, k) {
            m.insert(k.into(), json!(v));
        }
    }
    m.insert("tags".into(), json!(tag_list(p)));
    for k in ["ha", "auto_upgrade", "surge_upgrade"] {
        m.insert(k.into(), json!(p.get(k).and_then(Value::as_bool).unwrap_or(false)));
    }
    if let Some(mp) = maintenance_body(p) {
        m.insert("maintenance_policy".into(), mp);
    }
    m.insert("node_pools".into(), json!([pool_body(first_pool(p).unwrap_or(&Value::Null), true, true)]));
    Json::Object(m)
}

fn tag_list(p: &Value) -> Vec<String> {
    p.get("tags").and_then(Value::as_list).unwrap_or(&[]).iter().filter_map(|t| t.as_str().map(str::to_string)).collect()
}

fn maintenance_body(p: &Value) -> Option<Json> {
    let mp = p.get("maintenance_policy").and_then(Value::as_list).and_then(|l| l.first())?;
    let mut m = Map::new();
    for k in ["start_time", "day"] {
        if let Some(v) = get_str(mp, k) {
            m.insert(k.into(), json!(v));
        }
    }
    Some(Json::Object(m))
}

fn update_body(p: &Value) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(get_str(p, "name")));
    m.insert("tags".into(), json!(tag_list(p)));
    for k in ["ha", "auto_upgrade", "surge_upgrade"] {
        m.insert(k.into(), json!(p.get(k).and_then(Value::as_bool).unwrap_or(false)));
    }
    if let Some(mp) = maintenance_body(p) {
        m.insert("maintenance_policy".into(), mp);
    }
    Json::Object(m)
}

/// Waits until the cluster runs and every node of `pool` (when given) runs.
async fn wait_running(api: &Api, addr: &str, id: &str, pool: Option<&str>) -> Result<Json, DoError> {
    wait::until(&api.waits, addr, "the cluster to be running", || async {
        let c = api
            .cluster(id)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("cluster {id} disappeared while waiting for it") })?;
        let state = c["status"]["state"].as_str().unwrap_or("");
        if state == "error" {
            return Err(DoError::Failed {
                addr: addr.to_string(),
                message: format!("cluster {id} is in state error: {}", c["status"]["message"].as_str().unwrap_or("")),
            });
        }
        let pools_ready = c["node_pools"].as_array().into_iter().flatten().filter(|p| pool.is_none_or(|id| p["id"] == id)).all(pool_ready);
        Ok((state == "running" && pools_ready).then_some(c))
    })
    .await
}

/// All of a pool's nodes run, and as many as it should have.
pub fn pool_ready(p: &Json) -> bool {
    let nodes: Vec<&Json> = p["nodes"].as_array().into_iter().flatten().filter(|n| n["status"]["state"] != "deleting").collect();
    nodes.len() as u64 == p["count"].as_u64().unwrap_or(0) && nodes.iter().all(|n| n["status"]["state"] == "running")
}

async fn value_of(api: &Api, addr: &str, c: &Json, pool_hint: Option<&str>) -> Result<Value, DoError> {
    let id = c["id"].as_str().unwrap_or_default();
    let state = c["status"]["state"].as_str().unwrap_or("");
    let kube = if matches!(state, "running" | "upgrading" | "degraded") {
        let (raw, creds) = api.access(id).await.map_err(DoError::api(&addr))?;
        kube_config(&raw, &creds)
    } else {
        Value::List(Vec::new())
    };
    Ok(cluster_value(c, inline_pool(c, pool_hint), kube))
}

pub async fn apply(api: &Api, req: &ApplyChangeRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    let p = &req.planned;
    let Some(prior) = &req.prior else {
        let body = create_body(p);
        let name = get_str(p, "name").unwrap_or_default().to_string();
        let region = get_str(p, "region").unwrap_or_default().to_string();
        let created = create_or_adopt(
            &addr,
            &api.waits,
            api.client_retries(),
            || api.create_cluster(&body),
            || async { Ok(api.clusters_named(&name).await?.into_iter().find(|c| c["region"] == region.as_str())) },
        )
        .await?;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        if p.get("registry_integration").and_then(Value::as_bool) == Some(true) {
            api.set_registry(&id, true).await.map_err(DoError::api(&addr))?;
        }
        let pool_id = inline_pool(&created, None).and_then(|p| p["id"].as_str()).map(str::to_string);
        let c = wait_running(api, &addr, &id, None).await?;
        return value_of(api, &addr, &c, pool_id.as_deref()).await;
    };
    let id = get_str(prior, "id").unwrap_or_default().to_string();
    let changed = |k: &str| p.get(k) != prior.get(k);
    if ["name", "tags", "ha", "auto_upgrade", "surge_upgrade", "maintenance_policy"].iter().any(|k| changed(k)) {
        api.update_cluster(&id, &update_body(p)).await.map_err(DoError::api(&addr))?;
    }
    if changed("registry_integration") {
        api.set_registry(&id, p.get("registry_integration").and_then(Value::as_bool) == Some(true)).await.map_err(DoError::api(&addr))?;
    }
    if let (Some(want), Some(have)) = (get_str(p, "version"), get_str(prior, "version")) {
        if versions::compare(want, have) == Ordering::Greater {
            upgrade(api, &addr, &id, have, want).await?;
        }
    }
    let prior_pool = first_pool(prior).cloned().unwrap_or(Value::Null);
    let want_pool = first_pool(p).cloned().unwrap_or(Value::Null);
    let pool_id = roll_or_update_pool(api, &addr, &id, &prior_pool, &want_pool, true).await?;
    let c = wait_running(api, &addr, &id, pool_id.as_deref()).await?;
    value_of(api, &addr, &c, pool_id.as_deref()).await
}

/// Upgrades step by step along the available path.
async fn upgrade(api: &Api, addr: &str, id: &str, from: &str, to: &str) -> Result<(), DoError> {
    let mut current = from.to_string();
    for _ in 0..16 {
        if current == to {
            return Ok(());
        }
        let available = api.upgrades(id).await.map_err(DoError::api(&addr))?;
        let Some(step) = versions::next_step(&current, to, &available) else {
            return Err(DoError::Failed {
                addr: addr.to_string(),
                message: format!("no upgrade path from {current} to {to} (available: {})", available.join(", ")),
            });
        };
        tracing::info!(addr, from = %current, to = %step, "upgrading the cluster");
        api.upgrade(id, &step).await.map_err(DoError::api(&addr))?;
        let c = wait_running(api, addr, id, None).await?;
        current = c["version"].as_str().unwrap_or(&step).to_string();
    }
    Err(DoError::Failed { addr: addr.to_string(), message: format!("the upgrade from {from} to {to} did not converge") })
}

/// Brings a pool from `prior` to `want`: a new size rolls a new pool in and
/// the old one out; anything else is a PUT. Returns the pool's id.
pub async fn roll_or_update_pool(api: &Api, addr: &str, cluster: &str, prior: &Value, want: &Value, default_pool: bool) -> Result<Option<String>, DoError> {
    let old_id = get_str(prior, "id").map(str::to_string);
    if want.get("size") != prior.get("size") || old_id.is_none() {
        let body = pool_body(want, true, default_pool);
        let name = get_str(want, "name").unwrap_or_default().to_string();
        let size = get_str(want, "size").unwrap_or_default().to_string();
        let old = old_id.clone();
        let created = create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_pool(cluster, &body),
            || async {
                Ok(api
                    .pools(cluster)
                    .await?
                    .into_iter()
                    .find(|p| p["name"] == name.as_str() && p["size"] == size.as_str() && p["id"].as_str() != old.as_deref()))
            },
        )
        .await?;
        let new_id = created["id"].as_str().unwrap_or_default().to_string();
        wait_pool(api, addr, cluster, &new_id).await?;
        if let Some(old) = old_id {
            tracing::info!(addr, old = %old, new = %new_id, "new pool running: removing the old one");
            api.delete_pool(cluster, &old).await.map_err(DoError::api(&addr))?;
        }
        return Ok(Some(new_id));
    }
    let id = old_id.unwrap_or_default();
    let fields = ["name", "node_count", "auto_scale", "min_nodes", "max_nodes", "labels", "tags", "taint"];
    if fields.iter().any(|k| want.get(k) != prior.get(k)) {
        api.update_pool(cluster, &id, &pool_body(want, false, default_pool)).await.map_err(DoError::api(&addr))?;
        wait_pool(api, addr, cluster, &id).await?;
    }
    Ok(Some(id))
}

pub async fn wait_pool(api: &Api, addr: &str, cluster: &str, pool: &str) -> Result<Json, DoError> {
    wait::until(&api.waits, addr, "the node pool's nodes to be running", || async {
        let p = api
            .pool(cluster, pool)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("node pool {pool} disappeared while waiting for it") })?;
        Ok(pool_ready(&p).then_some(p))
    })
    .await
}

pub async fn read(api: &Api, req: &ReadRequest) -> Result<Option<Value>, DoError> {
    let addr = req.addr.to_string();
    let Some(id) = get_str(&req.current, "id") else { return Ok(None) };
    let Some(c) = api.cluster_cached(id).await.map_err(DoError::api(&addr))? else { return Ok(None) };
    if c["status"]["state"] == "deleted" {
        return Ok(None);
    }
    let hint = first_pool(&req.current).and_then(|p| get_str(p, "id"));
    value_of(api, &addr, &c, hint).await.map(Some)
}

pub async fn delete(api: &Api, req: &DeleteRequest) -> Result<(), DoError> {
    let addr = req.addr.to_string();
    let Some(id) = get_str(&req.prior, "id") else { return Ok(()) };
    api.delete_cluster(id).await.map_err(DoError::api(&addr))?;
    wait::until(&api.waits, &addr, "the cluster to be deleted", || async {
        Ok(match api.cluster(id).await.map_err(DoError::api(&addr))? {
            None => Some(()),
            Some(c) if c["status"]["state"] == "deleted" => Some(()),
            Some(_) => None,
        })
    })
    .await
}

pub async fn import(api: &Api, req: &ImportRequest) -> Result<Value, DoError> {
    let addr = req.addr.to_string();
    match api.cluster(&req.id).await.map_err(DoError::api(&addr))? {
        Some(c) => value_of(api, &addr, &c, None).await,
        None => Err(DoError::Invalid { addr, message: format!("no Kubernetes cluster with id {:?}", req.id) }),
    }
}

pub async fn recover(api: &Api, req: &RecoverRequest) -> Result<Option<Value>, DoError> {
    let addr = req.addr.to_string();
    let (Some(name), region) = (get_str(&req.planned, "name"), get_str(&req.planned, "region")) else { return Ok(None) };
    let found = api.clusters_named(name).await.map_err(DoError::api(&addr))?.into_iter().find(|c| region.is_none_or(|r| c["region"] == r));
    match found {
        Some(c) => {
            let c = wait_running(api, &addr, c["id"].as_str().unwrap_or_default(), None).await?;
            value_of(api, &addr, &c, None).await.map(Some)
        }
        None => Ok(None),
    }
}
