//! `/v2/kubernetes/*`: clusters, node pools, access, upgrades, options.

use serde_json::{json, Value};

use super::{method_not_allowed, Body, Reply, Req};
use crate::catalog;
use crate::error::ApiError;
use crate::kube;
use crate::model::ClusterState;
use crate::pagination;
use crate::store::Store;

pub fn route(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    let (now, cfg) = (req.now, req.cfg);
    match (req.method, segs) {
        ("GET", ["options"]) => Ok(Reply::json(200, catalog::options_json())),
        ("POST" | "DELETE", ["registry"]) => {
            let ids: Vec<String> = req
                .body
                .get("cluster_uuids")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            store.set_registry(&ids, req.method == "POST")?;
            Ok(Reply::empty(204))
        }
        ("GET", ["clusters"]) => {
            let items = store.clusters.iter().map(|c| c.to_json()).collect();
            Ok(Reply::json(200, pagination::page("kubernetes_clusters", items, req.query, req.base, "/v2/kubernetes/clusters")))
        }
        ("POST", ["clusters"]) => Ok(Reply::json(201, json!({"kubernetes_cluster": store.create_cluster(req.body, now, cfg)?}))),
        ("GET", ["clusters", id]) => Ok(Reply::json(200, json!({"kubernetes_cluster": store.cluster(id)?.to_json()}))),
        ("PUT", ["clusters", id]) => Ok(Reply::json(202, json!({"kubernetes_cluster": store.update_cluster(id, req.body)?}))),
        ("DELETE", ["clusters", id]) => store.delete_cluster(id, now, cfg).map(|_| Reply::empty(204)),
        ("GET", ["clusters", id, "kubeconfig"]) => {
            let c = ready(store, id)?;
            Ok(Reply { status: 200, body: Body::Yaml(kube::kubeconfig(c, &cfg.kube_api_address)) })
        }
        ("GET", ["clusters", id, "credentials"]) => Ok(Reply::json(200, kube::credentials(ready(store, id)?, &cfg.kube_api_address))),
        ("GET", ["clusters", id, "upgrades"]) => {
            let c = store.cluster(id)?;
            let v: Vec<Value> = catalog::upgrades_from(&c.version).into_iter().map(catalog::version_json).collect();
            Ok(Reply::json(200, json!({"available_upgrade_versions": v})))
        }
        ("POST", ["clusters", id, "upgrade"]) => store.upgrade_cluster(id, req.body, now, cfg).map(|_| Reply::empty(202)),
        ("GET", ["clusters", id, "node_pools"]) => {
            let c = store.cluster(id)?;
            Ok(Reply::json(200, json!({"node_pools": c.node_pools.iter().map(|p| p.to_json(&c.id)).collect::<Vec<_>>()})))
        }
        ("POST", ["clusters", id, "node_pools"]) => Ok(Reply::json(201, json!({"node_pool": store.create_pool(id, req.body, now, cfg)?}))),
        ("GET", ["clusters", id, "node_pools", pid]) => Ok(Reply::json(200, json!({"node_pool": store.pool(id, pid)?}))),
        ("PUT", ["clusters", id, "node_pools", pid]) => Ok(Reply::json(202, json!({"node_pool": store.update_pool(id, pid, req.body, now, cfg)?}))),
        ("DELETE", ["clusters", id, "node_pools", pid]) => store.delete_pool(id, pid).map(|_| Reply::empty(204)),
        (_, ["options"] | ["registry"] | ["clusters"] | ["clusters", _] | ["clusters", _, _] | ["clusters", _, "node_pools", _]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

/// Access details exist once the control plane is up.
fn ready<'s>(store: &'s Store, id: &str) -> Result<&'s crate::model::Cluster, ApiError> {
    let c = store.cluster(id)?;
    if c.state == ClusterState::Provisioning {
        return Err(ApiError::not_found());
    }
    Ok(c)
}
