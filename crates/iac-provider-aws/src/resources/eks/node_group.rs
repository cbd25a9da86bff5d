//! `aws_eks_node_group`: scaling, labels, taints and the update settings
//! change in place (UpdateNodegroupConfig), the Kubernetes version through
//! UpdateNodegroupVersion, tags through TagResource; instance types,
//! subnets, the role, capacity and AMI types force replacement. A
//! `desired_size` an autoscaler moves is left alone with
//! `lifecycle { ignore_changes = [scaling_config[0].desired_size] }`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup, NodegroupScalingConfig, NodegroupStatus, NodegroupUpdateConfig, Taint as AwsTaint, TaintEffect, UpdateLabelsPayload,
    UpdateTaintsPayload,
};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::{stable_name, timeout, Timeouts};
use crate::values::{get_str, set};
use crate::{wait, Aws};

#[derive(Model, Debug, Clone, Default)]
pub struct NodeGroupModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    cluster_name: String,
    #[sdk(optional, computed, force_new)]
    node_group_name: Option<String>,
    /// a name made of this prefix and a unique suffix
    #[sdk(optional, computed, force_new)]
    node_group_name_prefix: Option<String>,
    /// update the version even where pods cannot be drained
    #[sdk(optional, local)]
    force_update_version: Option<bool>,
    #[sdk(required, force_new)]
    node_role_arn: String,
    #[sdk(required, force_new, set)]
    subnet_ids: Vec<String>,
    #[sdk(optional, computed, force_new)]
    instance_types: Option<Vec<String>>,
    #[sdk(optional, computed, force_new)]
    capacity_type: Option<String>,
    #[sdk(optional, computed, force_new)]
    ami_type: Option<String>,
    #[sdk(optional, computed, force_new)]
    disk_size: Option<i32>,
    #[sdk(optional)]
    labels: Option<BTreeMap<String, String>>,
    #[sdk(optional, computed)]
    version: Option<String>,
    #[sdk(optional, computed)]
    release_version: Option<String>,
    #[sdk(computed)]
    status: Option<String>,
    #[sdk(computed)]
    resources: Vec<NodeResources>,
    #[sdk(block, min_items = 1, max_items = 1)]
    scaling_config: Vec<Scaling>,
    /// the EC2 launch template the nodes start from; a new version updates the group in place
    #[sdk(block, max_items = 1)]
    launch_template: Vec<LaunchTemplateSpec>,
    #[sdk(block, max_items = 1, force_new)]
    remote_access: Vec<RemoteAccess>,
    #[sdk(block, set)]
    taint: Vec<Taint>,
    #[sdk(block, max_items = 1)]
    update_config: Vec<UpdateConfig>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct LaunchTemplateSpec {
    #[sdk(optional, computed, force_new)]
    id: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(required)]
    version: String,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct RemoteAccess {
    #[sdk(optional)]
    ec2_ssh_key: Option<String>,
    #[sdk(optional, set)]
    source_security_group_ids: Option<Vec<String>>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct NodeResources {
    #[sdk(computed)]
    autoscaling_groups: Vec<AutoscalingGroup>,
    #[sdk(computed)]
    remote_access_security_group_id: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct AutoscalingGroup {
    #[sdk(computed)]
    name: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Scaling {
    #[sdk(required)]
    desired_size: i32,
    #[sdk(required)]
    min_size: i32,
    #[sdk(required)]
    max_size: i32,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Taint {
    #[sdk(required)]
    key: String,
    #[sdk(optional)]
    value: Option<String>,
    /// NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE
    #[sdk(required)]
    effect: String,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct UpdateConfig {
    #[sdk(optional)]
    max_unavailable: Option<i32>,
    #[sdk(optional)]
    max_unavailable_percentage: Option<i32>,
}

pub struct NodeGroup;

impl NodeGroupModel {
    fn scaling(&self) -> NodegroupScalingConfig {
        let s = self.scaling_config.first();
        NodegroupScalingConfig::builder()
            .set_desired_size(s.map(|s| s.desired_size))
            .set_min_size(s.map(|s| s.min_size))
            .set_max_size(s.map(|s| s.max_size))
            .build()
    }

    fn taints(&self) -> Vec<AwsTaint> {
        self.taint.iter().map(|t| AwsTaint::builder().key(&t.key).set_value(t.value.clone()).effect(TaintEffect::from(t.effect.as_str())).build()).collect()
    }

    fn launch_template_spec(&self) -> Option<aws_sdk_eks::types::LaunchTemplateSpecification> {
        self.launch_template.first().map(|l| {
            let (id, name) = match (&l.id, &l.name) {
                // The id wins when both are known (EKS wants one).
                (Some(id), _) => (Some(id.clone()), None),
                (None, name) => (None, name.clone()),
            };
            aws_sdk_eks::types::LaunchTemplateSpecification::builder().set_id(id).set_name(name).version(&l.version).build()
        })
    }

    fn update_config(&self) -> Option<NodegroupUpdateConfig> {
        self.update_config.first().map(|u| {
            NodegroupUpdateConfig::builder().set_max_unavailable(u.max_unavailable).set_max_unavailable_percentage(u.max_unavailable_percentage).build()
        })
    }

    fn from_aws(n: &Nodegroup, current: &NodeGroupModel) -> NodeGroupModel {
        let s = |x: Option<&str>| x.map(str::to_string);
        let scaling = n.scaling_config();
        let labels: BTreeMap<String, String> = n.labels().map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        let cluster = n.cluster_name().unwrap_or_default();
        let name = n.nodegroup_name().unwrap_or_default();
        NodeGroupModel {
            id: Some(format!("{cluster}:{name}")),
            arn: s(n.nodegroup_arn()),
            cluster_name: cluster.to_string(),
            node_group_name: Some(name.to_string()),
            node_role_arn: n.node_role().unwrap_or_default().to_string(),
            subnet_ids: n.subnets().to_vec(),
            instance_types: Some(n.instance_types().to_vec()),
            capacity_type: n.capacity_type().map(|c| c.as_str().to_string()),
            ami_type: n.ami_type().map(|c| c.as_str().to_string()),
            disk_size: n.disk_size(),
            labels: if labels.is_empty() { None } else { Some(labels) },
            version: s(n.version()),
            release_version: s(n.release_version()),
            status: n.status().map(|st| st.as_str().to_string()),
            node_group_name_prefix: Some(crate::resources::naming::prefix_of(name)),
            force_update_version: current.force_update_version,
            resources: n
                .resources()
                .map(|r| NodeResources {
                    autoscaling_groups: r.auto_scaling_groups().iter().map(|g| AutoscalingGroup { name: s(g.name()) }).collect(),
                    remote_access_security_group_id: Some(r.remote_access_security_group().unwrap_or_default().to_string()),
                })
                .into_iter()
                .collect(),
            launch_template: n
                .launch_template()
                .map(|l| LaunchTemplateSpec { id: s(l.id()), name: s(l.name()), version: l.version().unwrap_or_default().to_string() })
                .into_iter()
                .collect(),
            remote_access: n
                .remote_access()
                .map(|r| RemoteAccess {
                    ec2_ssh_key: s(r.ec2_ssh_key()),
                    source_security_group_ids: Some(r.source_security_groups().to_vec()).filter(|v| !v.is_empty()),
                })
                .into_iter()
                .collect(),
            scaling_config: vec![Scaling {
                desired_size: scaling.and_then(|s| s.desired_size()).unwrap_or_default(),
                max_size: scaling.and_then(|s| s.max_size()).unwrap_or_default(),
                min_size: scaling.and_then(|s| s.min_size()).unwrap_or_default(),
            }],
            taint: n
                .taints()
                .iter()
                .map(|t| Taint {
                    key: t.key().unwrap_or_default().to_string(),
                    value: s(t.value()),
                    effect: t.effect().map(|e| e.as_str()).unwrap_or_default().to_string(),
                })
                .collect(),
            update_config: n
                .update_config()
                .map(|u| UpdateConfig { max_unavailable: u.max_unavailable(), max_unavailable_percentage: u.max_unavailable_percentage() })
                .into_iter()
                .collect(),
            tags: tags_of(n.tags()),
            timeouts: current.timeouts.clone(),
        }
    }
}

fn health(n: &Nodegroup) -> String {
    let issues: Vec<String> = n
        .health()
        .map(|h| {
            h.issues()
                .iter()
                .map(|i| format!("{}: {} ({})", i.code().map(|c| c.as_str()).unwrap_or("?"), i.message().unwrap_or(""), i.resource_ids().join(", ")))
                .collect()
        })
        .unwrap_or_default();
    if issues.is_empty() {
        "no health issues reported".into()
    } else {
        issues.join("; ")
    }
}

async fn describe(cx: &Cx<'_>, cluster: &str, name: &str) -> Result<Option<Nodegroup>, AwsError> {
    Ok(absent(cx.c().eks.describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map_err(sdk(cx.addr)))?
        .and_then(|o| o.nodegroup().cloned()))
}

async fn wait_active(cx: &Cx<'_>, cluster: &str, name: &str, limit: std::time::Duration) -> Result<Nodegroup, AwsError> {
    wait::until(cx.addr, &format!("node group {name} to become ACTIVE"), cx.poll(), limit, || async {
        let n = describe(cx, cluster, name).await?.ok_or_else(|| cx.invalid(format!("node group {name} vanished while being waited for")))?;
        match n.status() {
            Some(NodegroupStatus::Active) => Ok(Some(n)),
            Some(NodegroupStatus::CreateFailed | NodegroupStatus::Degraded) => Err(AwsError::Failed {
                addr: cx.addr.to_string(),
                message: format!("node group {name} is {}: {}", n.status().map(|s| s.as_str()).unwrap_or(""), health(&n)),
            }),
            _ => Ok(None),
        }
    })
    .await
}

/// Follows a node group update, then waits until the group is ACTIVE again.
async fn settle(cx: &Cx<'_>, cluster: &str, name: &str, update: Option<&aws_sdk_eks::types::Update>, limit: std::time::Duration) -> Result<(), AwsError> {
    if let Some(id) = update.and_then(|u| u.id()) {
        wait_update(cx, cluster, Some(name), None, id, limit).await?;
    }
    wait_active(cx, cluster, name, limit).await.map(|_| ())
}

#[async_trait]
impl Resource<Aws> for NodeGroup {
    type Model = NodeGroupModel;
    const TYPE: &'static str = "aws_eks_node_group";

    async fn modify_plan(&self, cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        if planned.get("labels").and_then(Value::as_map).is_some_and(|l| l.is_empty()) {
            set(planned, "labels", Value::Null);
        }
        if planned.get("update_config").and_then(Value::as_list).is_some_and(|l| l.is_empty()) {
            set(planned, "update_config", prior.and_then(|p| p.get("update_config")).cloned().unwrap_or(Value::Unknown));
        }
        if let Some(s) = planned.get("scaling_config").and_then(Value::as_list).and_then(|l| l.first()) {
            let size = |k: &str| s.get(k).and_then(Value::as_f64).map(|n| n as i32);
            if let (Some(d), Some(lo), Some(hi)) = (size("desired_size"), size("min_size"), size("max_size")) {
                if lo > hi || d < lo || d > hi {
                    return Err(cx.invalid(format!("scaling_config: need min_size <= desired_size <= max_size (got {lo} <= {d} <= {hi})")));
                }
            }
        }
        if get_str(planned, "node_group_name").is_none() && prior.is_none() && !planned.get("node_group_name").is_some_and(Value::is_unknown) {
            set(planned, "node_group_name", Value::Unknown);
        }
        // A new launch template version changes what the nodes run.
        let lt_version = |v: &Value| v.get("launch_template").and_then(Value::as_list).and_then(|l| l.first()).and_then(|l| l.get("version")).cloned();
        if prior.is_some_and(|p| lt_version(p) != lt_version(planned)) {
            set(planned, "release_version", Value::Unknown);
        }
        if prior.is_some_and(|p| p.get("version") != planned.get("version")) {
            set(planned, "release_version", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: NodeGroupModel) -> Result<NodeGroupModel, AwsError> {
        let name = crate::resources::naming::name_from(cx, &p.node_group_name, &p.node_group_name_prefix);
        let remote = p.remote_access.first().map(|r| {
            aws_sdk_eks::types::RemoteAccessConfig::builder()
                .set_ec2_ssh_key(r.ec2_ssh_key.clone())
                .set_source_security_groups(r.source_security_group_ids.clone())
                .build()
        });
        cx.c()
            .eks
            .create_nodegroup()
            .set_launch_template(p.launch_template_spec())
            .set_remote_access(remote)
            .cluster_name(&p.cluster_name)
            .nodegroup_name(&name)
            .node_role(&p.node_role_arn)
            .set_subnets(Some(p.subnet_ids.clone()))
            .scaling_config(p.scaling())
            .set_instance_types(p.instance_types.clone())
            .set_capacity_type(p.capacity_type.as_deref().map(CapacityTypes::from))
            .set_ami_type(p.ami_type.as_deref().map(AmiTypes::from))
            .set_disk_size(p.disk_size)
            .set_labels(Some(p.labels.clone().unwrap_or_default().into_iter().collect()))
            .set_taints(Some(p.taints()))
            .set_update_config(p.update_config())
            .set_version(p.version.clone())
            .set_release_version(p.release_version.clone())
            .set_tags(Some(eks_tags(cx, &p.tags)))
            .client_request_token(request_token(&cx.owner()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let n = wait_active(cx, &p.cluster_name, &name, timeout(&p.timeouts, "create", NODE_GROUP_WAIT)).await?;
        Ok(NodeGroupModel::from_aws(&n, &p))
    }

    async fn update(&self, cx: &Cx<'_>, prior: NodeGroupModel, p: NodeGroupModel) -> Result<NodeGroupModel, AwsError> {
        let (cluster, name) = (prior.cluster_name.as_str(), prior.node_group_name.as_deref().unwrap_or_default());
        let eks = &cx.c().eks;
        let limit = timeout(&p.timeouts, "update", NODE_GROUP_WAIT);
        let (old_labels, new_labels) = (prior.labels.clone().unwrap_or_default(), p.labels.clone().unwrap_or_default());
        let labels_changed = old_labels != new_labels;
        let taints_changed = prior.taint != p.taint;
        let scaling_changed = prior.scaling_config != p.scaling_config;
        let update_config_changed = prior.update_config != p.update_config && p.update_config().is_some();
        if labels_changed || taints_changed || scaling_changed || update_config_changed {
            let mut req = eks.update_nodegroup_config().cluster_name(cluster).nodegroup_name(name);
            if scaling_changed {
                req = req.scaling_config(p.scaling());
            }
            if labels_changed {
                let remove: Vec<String> = old_labels.keys().filter(|k| !new_labels.contains_key(*k)).cloned().collect();
                let put: HashMap<String, String> =
                    new_labels.iter().filter(|(k, v)| old_labels.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
                req = req.labels(UpdateLabelsPayload::builder().set_add_or_update_labels(Some(put)).set_remove_labels(Some(remove)).build());
            }
            if taints_changed {
                let (old, new) = (prior.taints(), p.taints());
                let remove: Vec<AwsTaint> = old.iter().filter(|t| !new.iter().any(|n| n.key() == t.key() && n.effect() == t.effect())).cloned().collect();
                let put: Vec<AwsTaint> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
                req = req.taints(UpdateTaintsPayload::builder().set_add_or_update_taints(Some(put)).set_remove_taints(Some(remove)).build());
            }
            if update_config_changed {
                req = req.set_update_config(p.update_config());
            }
            let out = req.send().await.map_err(sdk(cx.addr))?;
            settle(cx, cluster, name, out.update(), limit).await?;
        }
        let lt_version = |m: &NodeGroupModel| m.launch_template.first().map(|l| l.version.clone());
        let version_changed = p.version.as_deref().is_some_and(|v| Some(v) != prior.version.as_deref());
        let template_changed = lt_version(&p) != lt_version(&prior);
        if version_changed || template_changed {
            let mut req = eks.update_nodegroup_version().cluster_name(cluster).nodegroup_name(name).set_force(p.force_update_version);
            if template_changed {
                req = req.set_launch_template(p.launch_template_spec());
            } else {
                req = req.set_version(p.version.clone());
            }
            let out = req.send().await.map_err(sdk(cx.addr))?;
            settle(cx, cluster, name, out.update(), limit).await?;
        }
        if let Some(arn) = &prior.arn {
            update_tags(cx, arn, &prior.tags, &p.tags).await?;
        }
        let n = describe(cx, cluster, name).await?.ok_or_else(|| cx.invalid(format!("node group {name} vanished during its update")))?;
        Ok(NodeGroupModel::from_aws(&n, &p))
    }

    async fn read(&self, cx: &Cx<'_>, current: NodeGroupModel) -> Result<Option<NodeGroupModel>, AwsError> {
        let (cluster, name) = split_id(cx, current.id.as_deref().unwrap_or_default())?;
        Ok(describe(cx, cluster, name).await?.filter(|n| n.status() != Some(&NodegroupStatus::Deleting)).map(|n| NodeGroupModel::from_aws(&n, &current)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: NodeGroupModel) -> Result<(), AwsError> {
        let (cluster, name) = (prior.cluster_name.as_str(), prior.node_group_name.as_deref().unwrap_or_default());
        if absent(cx.c().eks.delete_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, &format!("node group {name} to be deleted"), cx.poll(), timeout(&prior.timeouts, "delete", NODE_GROUP_WAIT), || async {
            match describe(cx, cluster, name).await? {
                None => Ok(Some(())),
                Some(n) if n.status() == Some(&NodegroupStatus::DeleteFailed) => {
                    Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("node group {name} failed to delete: {}", health(&n)) })
                }
                Some(_) => Ok(None),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: NodeGroupModel) -> Result<Option<NodeGroupModel>, AwsError> {
        let cluster = planned.cluster_name.as_str();
        if planned.node_group_name.is_none() && planned.node_group_name_prefix.is_some() {
            // A prefixed name is new on every try: nothing to find by name.
            return Ok(None);
        }
        let name = planned.node_group_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| stable_name(&cx.owner()));
        let Some(n) = describe(cx, cluster, &name).await? else { return Ok(None) };
        if !owned(cx, n.tags()) {
            return Ok(None);
        }
        let n = wait_active(cx, cluster, &name, timeout(&planned.timeouts, "create", NODE_GROUP_WAIT)).await?;
        Ok(Some(NodeGroupModel::from_aws(&n, &planned)))
    }
}
