//! What the account holds, for `iac drift -unmanaged`: VPCs, DOKS clusters
//! and their node pools, listed in full pages, and database clusters. A region's default VPC is
//! DigitalOcean's own (it cannot be deleted), so it is never reported.

use iac_core::provider::CloudObject;
use iac_provider_sdk::Resource;
use serde_json::Value as Json;

use crate::api::Api;
use crate::error::DoError;
use crate::resources::database::cluster::DatabaseCluster;
use crate::resources::{cluster::Cluster, node_pool::NodePool, vpc::Vpc};
use crate::DigitalOcean;

pub const VPC: &str = <Vpc as Resource<DigitalOcean>>::TYPE;
pub const CLUSTER: &str = <Cluster as Resource<DigitalOcean>>::TYPE;
pub const NODE_POOL: &str = <NodePool as Resource<DigitalOcean>>::TYPE;
pub const DATABASE_CLUSTER: &str = <DatabaseCluster as Resource<DigitalOcean>>::TYPE;

fn object(type_: &str, j: &Json) -> Option<CloudObject> {
    let id = j.get("id").and_then(Json::as_str)?;
    Some(CloudObject { type_: type_.into(), id: id.into(), name: j.get("name").and_then(Json::as_str).unwrap_or("").into() })
}

/// The objects of the given types (every type above when `types` is empty).
pub async fn list(api: &Api, types: &[String]) -> Result<Vec<CloudObject>, DoError> {
    let want = |t: &str| types.is_empty() || types.iter().any(|x| x == t);
    let mut out = Vec::new();
    if want(VPC) {
        let vpcs = api.list_vpcs().await.map_err(DoError::api(&"listing VPCs"))?;
        out.extend(vpcs.iter().filter(|v| v.get("default").and_then(Json::as_bool) != Some(true)).filter_map(|v| object(VPC, v)));
    }
    if want(CLUSTER) || want(NODE_POOL) {
        let clusters = api.list_clusters().await.map_err(DoError::api(&"listing Kubernetes clusters"))?;
        for c in &clusters {
            if want(CLUSTER) {
                out.extend(object(CLUSTER, c));
            }
            if want(NODE_POOL) {
                // Pools come inside their cluster's listing: no request per cluster.
                let pools = c.get("node_pools").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]);
                out.extend(pools.iter().filter_map(|p| object(NODE_POOL, p)));
            }
        }
    }
    if want(DATABASE_CLUSTER) {
        // The whole account's clusters in one answer (the list has no pages).
        let dbs = api.list_databases().await.map_err(DoError::api(&"listing database clusters"))?;
        out.extend(dbs.iter().filter_map(|d| object(DATABASE_CLUSTER, d)));
    }
    out.sort();
    Ok(out)
}
