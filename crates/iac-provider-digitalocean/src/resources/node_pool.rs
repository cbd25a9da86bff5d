//! `digitalocean_kubernetes_node_pool`: a pool of an existing cluster.
//! Name, count, autoscaling, labels, tags and taints go through PUT. A size
//! change is a create-before-destroy roll done by the provider (a new pool
//! with a new id, then the old one removed), so the cluster never loses its
//! capacity whatever the resource's lifecycle says.
//!
//! The pool's attributes ([`Pool`]) are also the cluster's inline
//! `node_pool` block and the elements of the cluster data source's
//! `node_pools`.

use std::collections::{BTreeMap, BTreeSet};

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::create_or_adopt;
use super::timeouts::{waits_within, CreateDeleteTimeouts};
use crate::error::DoError;
use crate::settings::Waits;
use crate::values::*;
use crate::DigitalOcean;

/// A node pool's attributes, inline in a cluster or on their own.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Pool {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub name: String,
    /// changing it rolls a new pool in and the old one out
    #[sdk(required)]
    pub size: String,
    #[sdk(optional, computed)]
    pub node_count: Option<i64>,
    #[sdk(optional, default = false)]
    pub auto_scale: bool,
    #[sdk(optional, computed)]
    pub min_nodes: Option<i64>,
    #[sdk(optional, computed)]
    pub max_nodes: Option<i64>,
    #[sdk(optional)]
    pub labels: Option<BTreeMap<String, String>>,
    /// DigitalOcean's own tags (k8s, k8s:ID, k8s-worker) are left out
    #[sdk(optional)]
    pub tags: Option<BTreeSet<String>>,
    #[sdk(computed)]
    pub actual_node_count: Option<i64>,
    #[sdk(computed)]
    pub nodes: Option<Vec<Node>>,
    /// a set, as upstream's
    #[sdk(block, set)]
    pub taint: Vec<Taint>,
}

/// A taint on a pool's nodes.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Taint {
    #[sdk(required)]
    pub key: String,
    #[sdk(required)]
    pub value: String,
    /// NoSchedule, PreferNoSchedule or NoExecute
    #[sdk(required)]
    pub effect: String,
}

/// One node of a pool, as DigitalOcean reports it.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Node {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(computed)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(computed)]
    pub droplet_id: Option<String>,
    #[sdk(computed)]
    pub created_at: Option<String>,
    #[sdk(computed)]
    pub updated_at: Option<String>,
}

impl Pool {
    /// From the API's pool object.
    pub fn from_api(p: &Json) -> Pool {
        let nodes: Vec<&Json> = p["nodes"].as_array().into_iter().flatten().filter(|n| n["status"]["state"] != "deleting").collect();
        Pool {
            id: s(&p["id"]),
            name: text(&p["name"]),
            size: text(&p["size"]),
            node_count: n(&p["count"]),
            auto_scale: p["auto_scale"].as_bool().unwrap_or(false),
            min_nodes: n(&p["min_nodes"]),
            max_nodes: n(&p["max_nodes"]),
            labels: labels(&p["labels"]),
            tags: user_tags(&p["tags"]),
            actual_node_count: Some(nodes.len() as i64),
            nodes: Some(
                nodes
                    .iter()
                    .map(|n| Node {
                        id: s(&n["id"]),
                        name: s(&n["name"]),
                        status: s(&n["status"]["state"]),
                        droplet_id: s(&n["droplet_id"]),
                        created_at: s(&n["created_at"]),
                        updated_at: s(&n["updated_at"]),
                    })
                    .collect(),
            ),
            taint: p["taints"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| Taint { key: text(&t["key"]), value: text(&t["value"]), effect: text(&t["effect"]) })
                .collect(),
        }
    }

    /// The fields of a create or update request.
    pub fn body(&self, create: bool, default_pool: bool) -> Json {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        if create {
            m.insert("size".into(), json!(self.size));
        }
        let count = self.node_count.or(if self.auto_scale { self.min_nodes.map(|m| m.max(1)) } else { None });
        if let Some(c) = count {
            m.insert("count".into(), json!(c as u64));
        } else if !create {
            m.insert("count".into(), json!(1));
        }
        let mut tags: Vec<String> = self.tags.iter().flatten().cloned().collect();
        if default_pool {
            tags.push(DEFAULT_POOL_TAG.into());
        }
        m.insert("tags".into(), json!(tags));
        m.insert("labels".into(), json!(self.labels.clone().unwrap_or_default()));
        let taints: Vec<Json> = self.taint.iter().map(|t| json!({"key": t.key, "value": t.value, "effect": t.effect})).collect();
        m.insert("taints".into(), json!(taints));
        m.insert("auto_scale".into(), json!(self.auto_scale));
        if self.auto_scale {
            if let Some(x) = self.min_nodes {
                m.insert("min_nodes".into(), json!(x as u64));
            }
            if let Some(x) = self.max_nodes {
                m.insert("max_nodes".into(), json!(x as u64));
            }
        }
        Json::Object(m)
    }

    /// Whether a PUT has something to change.
    fn differs_in_place(&self, prior: &Pool) -> bool {
        (&self.name, self.node_count, self.auto_scale, self.min_nodes, self.max_nodes, &self.labels, &self.tags, &self.taint)
            != (&prior.name, prior.node_count, prior.auto_scale, prior.min_nodes, prior.max_nodes, &prior.labels, &prior.tags, &prior.taint)
    }
}

/// Plans a pool (inline or standalone) against its prior: a size change
/// rolls a new pool (new id), a count change leaves the nodes unknown.
pub fn plan_pool(p: &mut Value, prior: Option<&Value>) -> Result<(), String> {
    empty_to_null(p, &["tags", "labels"]);
    let auto = p.get("auto_scale").and_then(Value::as_bool) == Some(true);
    let count_null = p.get("node_count").is_none_or(|c| c.is_null());
    if prior.is_none() && !auto && count_null {
        return Err("node_count is required unless auto_scale is on".into());
    }
    if auto {
        let (min, max) = (p.get("min_nodes").and_then(Value::as_f64), p.get("max_nodes").and_then(Value::as_f64));
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                return Err(format!("min_nodes ({a}) exceeds max_nodes ({b})"));
            }
        }
        // The autoscaler owns the count.
        if let Some(pc) = prior.and_then(|q| q.get("node_count")) {
            set(p, "node_count", pc.clone());
        }
    }
    let Some(prior) = prior else { return Ok(()) };
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
    Ok(())
}

/// Brings a pool from `prior` to `want`: a new size rolls a new pool in and
/// the old one out; anything else is a PUT. Returns the pool's id.
pub async fn roll_or_update_pool(
    api: &crate::api::Api,
    waits: &Waits,
    addr: &str,
    cluster: &str,
    prior: Option<&Pool>,
    want: &Pool,
    default_pool: bool,
) -> Result<String, DoError> {
    let old_id = prior.and_then(|p| p.id.clone());
    let (Some(prior), Some(id)) = (prior.filter(|p| p.size == want.size), old_id.clone()) else {
        let body = want.body(true, default_pool);
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
                    .find(|p| p["name"] == want.name.as_str() && p["size"] == want.size.as_str() && p["id"].as_str() != old.as_deref()))
            },
        )
        .await?;
        let new_id = text(&created["id"]);
        wait_pool(api, waits, addr, cluster, &new_id).await?;
        if let Some(old) = old_id {
            tracing::info!(addr, old = %old, new = %new_id, "new pool running: removing the old one");
            api.delete_pool(cluster, &old).await.map_err(DoError::api(&addr))?;
        }
        return Ok(new_id);
    };
    if want.differs_in_place(prior) {
        api.update_pool(cluster, &id, &want.body(false, default_pool)).await.map_err(DoError::api(&addr))?;
        wait_pool(api, waits, addr, cluster, &id).await?;
    }
    Ok(id)
}

/// Waits (within `waits`) until every node of the pool runs.
pub async fn wait_pool(api: &crate::api::Api, waits: &Waits, addr: &str, cluster: &str, pool: &str) -> Result<Json, DoError> {
    crate::wait::until(waits, addr, "the node pool's nodes to be running", || async {
        let p = api
            .pool(cluster, pool)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("node pool {pool} disappeared while waiting for it") })?;
        Ok(pool_ready(&p).then_some(p))
    })
    .await
}

/// All of a pool's nodes run, and as many as it should have.
pub fn pool_ready(p: &Json) -> bool {
    let nodes: Vec<&Json> = p["nodes"].as_array().into_iter().flatten().filter(|n| n["status"]["state"] != "deleting").collect();
    nodes.len() as u64 == p["count"].as_u64().unwrap_or(0) && nodes.iter().all(|n| n["status"]["state"] == "running")
}

/// `digitalocean_kubernetes_node_pool`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct NodePoolModel {
    #[sdk(flatten)]
    pub pool: Pool,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    #[sdk(block, local)]
    pub timeouts: Option<CreateDeleteTimeouts>,
}

impl NodePoolModel {
    fn from_api(cluster_id: &str, p: &Json) -> NodePoolModel {
        NodePoolModel { pool: Pool::from_api(p), cluster_id: cluster_id.to_string(), timeouts: None }
    }
}

/// The `digitalocean_kubernetes_node_pool` resource type.
pub struct NodePool;

#[async_trait]
impl Resource<DigitalOcean> for NodePool {
    type Model = NodePoolModel;
    const TYPE: &'static str = "digitalocean_kubernetes_node_pool";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        plan_pool(planned, prior).map_err(|message| DoError::Invalid { addr: cx.addr.to_string(), message })
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: NodePoolModel) -> Result<NodePoolModel, DoError> {
        self.apply(cx, None, planned).await
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: NodePoolModel, planned: NodePoolModel) -> Result<NodePoolModel, DoError> {
        self.apply(cx, Some(&prior.pool), planned).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: NodePoolModel) -> Result<Option<NodePoolModel>, DoError> {
        let (Some(cluster), Some(id)) = (Some(&current.cluster_id).filter(|c| !c.is_empty()), &current.pool.id) else { return Ok(None) };
        let found = cx.provider.api.pool_cached(cluster, id).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|p| NodePoolModel::from_api(cluster, &p)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: NodePoolModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let (Some(cluster), Some(id)) = (Some(&prior.cluster_id).filter(|c| !c.is_empty()), &prior.pool.id) else { return Ok(()) };
        api.delete_pool(cluster, id).await.map_err(DoError::api(&addr))?;
        let waits = waits_within(api, prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()));
        crate::wait::until(&waits, addr, "the node pool to be deleted", || async {
            Ok(api.pool(cluster, id).await.map_err(DoError::api(&addr))?.is_none().then_some(()))
        })
        .await
    }

    /// `CLUSTER_ID:POOL_ID`, or a pool id alone (searched in every cluster).
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<NodePoolModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let not_found = || DoError::Invalid { addr: addr.to_string(), message: format!("no node pool with id {id:?}") };
        if let Some((c, p)) = id.split_once(':') {
            return api.pool(c, p).await.map_err(DoError::api(&addr))?.map(|j| Some(NodePoolModel::from_api(c, &j))).ok_or_else(not_found);
        }
        for c in api.list_clusters().await.map_err(DoError::api(&addr))? {
            if let Some(p) = c["node_pools"].as_array().and_then(|ps| ps.iter().find(|p| p["id"] == id)) {
                return Ok(Some(NodePoolModel::from_api(&text(&c["id"]), p)));
            }
        }
        Err(not_found())
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: NodePoolModel) -> Result<Option<NodePoolModel>, DoError> {
        let (cluster, want) = (&planned.cluster_id, &planned.pool);
        if cluster.is_empty() || want.name.is_empty() {
            return Ok(None);
        }
        let pools = match cx.provider.api.pools(cluster).await {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(DoError::Api { addr: cx.addr.to_string(), source: Box::new(e) }),
        };
        let found = pools.iter().find(|p| p["name"] == want.name.as_str() && (want.size.is_empty() || p["size"] == want.size.as_str()));
        Ok(found.map(|p| NodePoolModel::from_api(cluster, p)))
    }
}

impl NodePool {
    async fn apply(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Pool>, planned: NodePoolModel) -> Result<NodePoolModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        // `timeouts.create` bounds a create; an update waits as long as the provider does.
        let limit = if prior.is_none() { planned.timeouts.as_ref().and_then(|t| t.create.as_deref()) } else { None };
        let waits = waits_within(api, limit);
        let id = roll_or_update_pool(api, &waits, addr, cluster, prior, &planned.pool, false).await?;
        let p = wait_pool(api, &waits, addr, cluster, &id).await?;
        Ok(NodePoolModel { timeouts: planned.timeouts.clone(), ..NodePoolModel::from_api(cluster, &p) })
    }
}
