//! `aws_eks_node_group`: scaling, labels, taints and the update settings
//! change in place (UpdateNodegroupConfig), the Kubernetes version through
//! UpdateNodegroupVersion, tags through TagResource; instance types,
//! subnets, the role, capacity and AMI types force replacement. A
//! `desired_size` an autoscaler moves is left alone with
//! `lifecycle { ignore_changes = [scaling_config[0].desired_size] }`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, NodegroupScalingConfig, NodegroupStatus, NodegroupUpdateConfig, Taint, TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};
use iac_core::schema::{set_normalize, Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::Resource;
use crate::schema_util::*;
use crate::values::*;
use crate::wait;

pub struct NodeGroup;

fn scaling_block() -> Block {
    Block::default()
        .attr("desired_size", Attribute::required(Number))
        .attr("min_size", Attribute::required(Number))
        .attr("max_size", Attribute::required(Number))
}

fn taint_block() -> Block {
    Block::default()
        .attr("key", Attribute::required(Str))
        .attr("value", Attribute::optional(Str))
        .attr("effect", Attribute::required(Str).describe("NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE"))
}

fn update_config_block() -> Block {
    Block::default().attr("max_unavailable", Attribute::optional(Number)).attr("max_unavailable_percentage", Attribute::optional(Number))
}

fn scaling(v: &Value) -> NodegroupScalingConfig {
    let s = block0(v, "scaling_config").cloned().unwrap_or(Value::Null);
    NodegroupScalingConfig::builder()
        .set_desired_size(get_i32(&s, "desired_size"))
        .set_min_size(get_i32(&s, "min_size"))
        .set_max_size(get_i32(&s, "max_size"))
        .build()
}

fn taints(v: &Value) -> Vec<Taint> {
    v.get("taint")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .map(|t| {
            Taint::builder()
                .set_key(get_str(t, "key").map(str::to_string))
                .set_value(get_str(t, "value").map(str::to_string))
                .set_effect(get_str(t, "effect").map(TaintEffect::from))
                .build()
        })
        .collect()
}

fn update_config(v: &Value) -> Option<NodegroupUpdateConfig> {
    block0(v, "update_config").filter(|u| u.is_wholly_known()).map(|u| {
        NodegroupUpdateConfig::builder()
            .set_max_unavailable(get_i32(u, "max_unavailable"))
            .set_max_unavailable_percentage(get_i32(u, "max_unavailable_percentage"))
            .build()
    })
}

fn node_group_value(n: &aws_sdk_eks::types::Nodegroup) -> Value {
    let s = n.scaling_config();
    let labels: BTreeMap<String, String> = n.labels().map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let taints: Vec<Value> =
        n.taints().iter().map(|t| Value::map([("key", opt(t.key())), ("value", opt(t.value())), ("effect", opt(t.effect().map(|e| e.as_str())))])).collect();
    let cluster = n.cluster_name().unwrap_or_default();
    let name = n.nodegroup_name().unwrap_or_default();
    Value::map([
        ("id", Value::String(format!("{cluster}:{name}"))),
        ("arn", opt(n.nodegroup_arn())),
        ("cluster_name", Value::from(cluster)),
        ("node_group_name", Value::from(name)),
        ("node_role_arn", opt(n.node_role())),
        ("subnet_ids", str_set(n.subnets().iter().cloned())),
        ("instance_types", str_list(n.instance_types().iter().cloned())),
        ("capacity_type", opt(n.capacity_type().map(|c| c.as_str()))),
        ("ami_type", opt(n.ami_type().map(|c| c.as_str()))),
        ("disk_size", num(n.disk_size())),
        ("labels", str_map_or_null(&labels)),
        ("version", opt(n.version())),
        ("release_version", opt(n.release_version())),
        ("status", opt(n.status().map(|s| s.as_str()))),
        (
            "scaling_config",
            Value::List(vec![Value::map([
                ("desired_size", num(s.and_then(|s| s.desired_size()))),
                ("max_size", num(s.and_then(|s| s.max_size()))),
                ("min_size", num(s.and_then(|s| s.min_size()))),
            ])]),
        ),
        ("taint", Value::List(set_normalize(taints))),
        (
            "update_config",
            Value::List(
                n.update_config()
                    .map(|u| Value::map([("max_unavailable", num(u.max_unavailable())), ("max_unavailable_percentage", num(u.max_unavailable_percentage()))]))
                    .into_iter()
                    .collect(),
            ),
        ),
        ("tags_all", tags_value(n.tags())),
    ])
}

fn health(n: &aws_sdk_eks::types::Nodegroup) -> String {
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

async fn describe(cx: &Cx<'_>, cluster: &str, name: &str) -> Result<Option<aws_sdk_eks::types::Nodegroup>, AwsError> {
    Ok(absent(cx.c.eks.describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map_err(sdk(cx.addr)))?
        .and_then(|o| o.nodegroup().cloned()))
}

async fn wait_active(cx: &Cx<'_>, cluster: &str, name: &str, limit: std::time::Duration) -> Result<aws_sdk_eks::types::Nodegroup, AwsError> {
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

fn names(v: &Value) -> (String, String) {
    (get_str(v, "cluster_name").unwrap_or_default().to_string(), get_str(v, "node_group_name").unwrap_or_default().to_string())
}

#[async_trait]
impl Resource for NodeGroup {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: timeouts(
                tagged(id())
                    .attr("arn", Attribute::computed(Str))
                    .attr("cluster_name", Attribute::required(Str).force_new())
                    .attr("node_group_name", Attribute::optional_computed(Str).force_new())
                    .attr("node_role_arn", Attribute::required(Str).force_new())
                    .attr("subnet_ids", Attribute::required(set_of(Str)).force_new())
                    .attr("instance_types", Attribute::optional_computed(list_of(Str)).force_new())
                    .attr("capacity_type", Attribute::optional_computed(Str).force_new())
                    .attr("ami_type", Attribute::optional_computed(Str).force_new())
                    .attr("disk_size", Attribute::optional_computed(Number).force_new())
                    .attr("labels", Attribute::optional(map_of(Str)))
                    .attr("version", Attribute::optional_computed(Str))
                    .attr("release_version", Attribute::optional_computed(Str))
                    .attr("status", Attribute::computed(Str))
                    .block("scaling_config", one_required(scaling_block()))
                    .block("taint", set_block(taint_block()))
                    .block("update_config", one(update_config_block())),
                &["create", "update", "delete"],
            ),
        }
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        if let Value::Map(m) = planned {
            if m.get("labels").and_then(Value::as_map).is_some_and(|l| l.is_empty()) {
                m.insert("labels".into(), Value::Null);
            }
        }
        if planned.get("update_config").and_then(Value::as_list).is_some_and(|l| l.is_empty()) {
            set(planned, "update_config", prior.and_then(|p| p.get("update_config")).cloned().unwrap_or(Value::Unknown));
        }
        if let Some(s) = block0(planned, "scaling_config") {
            if let (Some(d), Some(lo), Some(hi)) = (get_i32(s, "desired_size"), get_i32(s, "min_size"), get_i32(s, "max_size")) {
                if lo > hi || d < lo || d > hi {
                    return Err(AwsError::invalid(addr, format!("scaling_config: need min_size <= desired_size <= max_size (got {lo} <= {d} <= {hi})")));
                }
            }
        }
        if get_str(planned, "node_group_name").is_none() && prior.is_none() && !planned.get("node_group_name").is_some_and(Value::is_unknown) {
            set(planned, "node_group_name", Value::Unknown);
        }
        if prior.is_some_and(|p| p.get("version") != planned.get("version")) {
            set(planned, "release_version", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let cluster = get_str(p, "cluster_name").unwrap_or_default().to_string();
        let name = get_str(p, "node_group_name").map(str::to_string).unwrap_or_else(|| crate::resources::stable_name(&cx.owner));
        let instance_types = p.get("instance_types").filter(|v| v.is_wholly_known() && !v.is_null()).map(|_| get_strs(p, "instance_types"));
        cx.c.eks
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .node_role(get_str(p, "node_role_arn").unwrap_or_default())
            .set_subnets(Some(get_strs(p, "subnet_ids")))
            .scaling_config(scaling(p))
            .set_instance_types(instance_types)
            .set_capacity_type(get_str(p, "capacity_type").map(CapacityTypes::from))
            .set_ami_type(get_str(p, "ami_type").map(AmiTypes::from))
            .set_disk_size(get_i32(p, "disk_size"))
            .set_labels(Some(get_str_map(p, "labels").into_iter().collect()))
            .set_taints(Some(taints(p)))
            .set_update_config(update_config(p))
            .set_version(get_str(p, "version").map(str::to_string))
            .set_release_version(get_str(p, "release_version").map(str::to_string))
            .set_tags(Some(eks_tags(p, &cx.owner)))
            .client_request_token(request_token(&cx.owner))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let n = wait_active(cx, &cluster, &name, wait::timeout(p, "create", NODE_GROUP_WAIT)).await?;
        Ok(node_group_value(&n))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let (cluster, name) = names(prior);
        let limit = wait::timeout(p, "update", NODE_GROUP_WAIT);
        let (old_labels, new_labels) = (get_str_map(prior, "labels"), get_str_map(p, "labels"));
        let labels_changed = old_labels != new_labels;
        let taints_changed = prior.get("taint") != p.get("taint");
        let scaling_changed = prior.get("scaling_config") != p.get("scaling_config");
        let update_config_changed = prior.get("update_config") != p.get("update_config") && update_config(p).is_some();
        if labels_changed || taints_changed || scaling_changed || update_config_changed {
            let mut req = cx.c.eks.update_nodegroup_config().cluster_name(&cluster).nodegroup_name(&name);
            if scaling_changed {
                req = req.scaling_config(scaling(p));
            }
            if labels_changed {
                let remove: Vec<String> = old_labels.keys().filter(|k| !new_labels.contains_key(*k)).cloned().collect();
                let put: std::collections::HashMap<String, String> =
                    new_labels.iter().filter(|(k, v)| old_labels.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
                req = req.labels(UpdateLabelsPayload::builder().set_add_or_update_labels(Some(put)).set_remove_labels(Some(remove)).build());
            }
            if taints_changed {
                let (old, new) = (taints(prior), taints(p));
                let remove: Vec<Taint> = old.iter().filter(|t| !new.iter().any(|n| n.key() == t.key() && n.effect() == t.effect())).cloned().collect();
                let put: Vec<Taint> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
                req = req.taints(UpdateTaintsPayload::builder().set_add_or_update_taints(Some(put)).set_remove_taints(Some(remove)).build());
            }
            if update_config_changed {
                req = req.set_update_config(update_config(p));
            }
            let out = req.send().await.map_err(sdk(cx.addr))?;
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, &cluster, Some(&name), None, id, limit).await?;
            }
            wait_active(cx, &cluster, &name, limit).await?;
        }
        if let Some(v) = get_str(p, "version").filter(|v| Some(*v) != get_str(prior, "version")) {
            let out = cx.c.eks.update_nodegroup_version().cluster_name(&cluster).nodegroup_name(&name).version(v).send().await.map_err(sdk(cx.addr))?;
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, &cluster, Some(&name), None, id, limit).await?;
            }
            wait_active(cx, &cluster, &name, limit).await?;
        }
        if let Some(arn) = get_str(prior, "arn") {
            update_tags(cx, arn, prior, p).await?;
        }
        let n = describe(cx, &cluster, &name).await?.ok_or_else(|| cx.invalid(format!("node group {name} vanished during its update")))?;
        Ok(node_group_value(&n))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = get_str(current, "id").unwrap_or_default();
        let (cluster, name) = split_id(cx, id)?;
        Ok(describe(cx, cluster, name).await?.filter(|n| n.status() != Some(&NodegroupStatus::Deleting)).map(|n| node_group_value(&n)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let (cluster, name) = names(prior);
        if absent(cx.c.eks.delete_nodegroup().cluster_name(&cluster).nodegroup_name(&name).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, &format!("node group {name} to be deleted"), cx.poll(), wait::timeout(prior, "delete", NODE_GROUP_WAIT), || async {
            match describe(cx, &cluster, &name).await? {
                None => Ok(Some(())),
                Some(n) if n.status() == Some(&NodegroupStatus::DeleteFailed) => {
                    Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("node group {name} failed to delete: {}", health(&n)) })
                }
                Some(_) => Ok(None),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let (cluster, name) = names(planned);
        let name = if name.is_empty() { crate::resources::stable_name(&cx.owner) } else { name };
        let Some(n) = describe(cx, &cluster, &name).await? else { return Ok(None) };
        if n.tags().is_none_or(|t| t.get(crate::tags::OWNER_TAG) != Some(&cx.owner)) {
            return Ok(None);
        }
        let n = wait_active(cx, &cluster, &name, wait::timeout(planned, "create", NODE_GROUP_WAIT)).await?;
        Ok(Some(node_group_value(&n)))
    }
}
