//! EKS: clusters, managed node groups, add-ons, access entries and their
//! access policies, Pod Identity associations, the
//! waiters (CREATING → ACTIVE, DELETING → gone, bounded by `timeouts`,
//! FAILED reported with the health issues), updates followed through
//! DescribeUpdate, and the data sources `aws_eks_cluster`,
//! `aws_eks_cluster_auth`, `aws_eks_addon_version` and
//! `aws_eks_cluster_versions`.

pub mod access_entry;
pub mod access_policy;
pub mod addon;
pub mod cluster;
pub mod data;
pub mod node_group;
pub mod pod_identity;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_eks::types::UpdateStatus;

use super::{AwsCx, Cx, Tags};
use crate::error::{sdk, AwsError};

pub const CLUSTER_CREATE: Duration = Duration::from_secs(30 * 60);
pub const CLUSTER_UPDATE: Duration = Duration::from_secs(60 * 60);
pub const CLUSTER_DELETE: Duration = Duration::from_secs(15 * 60);
pub const NODE_GROUP_WAIT: Duration = Duration::from_secs(60 * 60);
pub const ADDON_WAIT: Duration = Duration::from_secs(20 * 60);

/// A client request token: one per create call, so the SDK's retries of that
/// call are idempotent (a repeat after a crash is caught by `recover`).
pub fn request_token(owner: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    owner.hash(&mut h);
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0).hash(&mut h);
    format!("iac-{:016x}", h.finish())
}

pub fn eks_tags(cx: &Cx<'_>, tags: &Tags) -> HashMap<String, String> {
    tags.desired(&cx.owner()).into_iter().collect()
}

/// The raw tags of an object, as reads report them.
pub fn tags_of(t: Option<&HashMap<String, String>>) -> Tags {
    Tags::from_aws(t.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>()).unwrap_or_default())
}

/// Whether an object's tags say this instance made it.
pub fn owned(cx: &Cx<'_>, t: Option<&HashMap<String, String>>) -> bool {
    t.is_some_and(|t| t.get(crate::tags::OWNER_TAG) == Some(&cx.owner()))
}

/// Brings an EKS object's tags from `prior` to `planned`.
pub async fn update_tags(cx: &Cx<'_>, arn: &str, prior: &Tags, planned: &Tags) -> Result<(), AwsError> {
    let (put, remove) = planned.diff(prior, &cx.owner());
    if !remove.is_empty() {
        cx.c().eks.untag_resource().resource_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
    }
    if !put.is_empty() {
        cx.c().eks.tag_resource().resource_arn(arn).set_tags(Some(put.into_iter().collect())).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

/// Follows an update (of a cluster, or of a node group or add-on when
/// named) until it succeeds; a failed or cancelled update is an error with
/// EKS's reasons.
pub async fn wait_update(cx: &Cx<'_>, cluster: &str, nodegroup: Option<&str>, addon: Option<&str>, id: &str, limit: Duration) -> Result<(), AwsError> {
    crate::wait::until(cx.addr, &format!("update {id} to finish"), cx.poll(), limit, || async {
        let out = cx
            .c()
            .eks
            .describe_update()
            .name(cluster)
            .update_id(id)
            .set_nodegroup_name(nodegroup.map(str::to_string))
            .set_addon_name(addon.map(str::to_string))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let Some(u) = out.update() else { return Ok(Some(())) };
        match u.status() {
            Some(UpdateStatus::Successful) | None => Ok(Some(())),
            Some(UpdateStatus::Failed | UpdateStatus::Cancelled) => {
                let reasons: Vec<String> =
                    u.errors().iter().map(|e| format!("{}: {}", e.error_code().map(|c| c.as_str()).unwrap_or("?"), e.error_message().unwrap_or(""))).collect();
                Err(AwsError::Failed {
                    addr: cx.addr.to_string(),
                    message: format!("update {id} {}: {}", u.status().map(|s| s.as_str()).unwrap_or(""), reasons.join("; ")),
                })
            }
            _ => Ok(None),
        }
    })
    .await
}

/// `a:b` ids (cluster:node group, cluster:add-on).
pub fn split_id<'a>(cx: &Cx<'_>, id: &'a str) -> Result<(&'a str, &'a str), AwsError> {
    id.split_once(':').ok_or_else(|| cx.invalid(format!("{id:?} is not CLUSTER:NAME")))
}

/// A time as upstream stores EKS's: RFC 3339, whole seconds.
pub fn date(d: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    d.map(crate::values::rfc3339)
}
