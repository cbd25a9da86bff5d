//! `aws_eks_addon`: version, service-account role and configuration values
//! update in place (UpdateAddon, followed through DescribeUpdate); the
//! cluster and add-on name force replacement. `preserve` keeps the add-on's
//! Kubernetes objects when it is deleted.

use async_trait::async_trait;
use aws_sdk_eks::types::{AddonStatus, ResolveConflicts};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::Resource;
use crate::schema_util::*;
use crate::values::*;
use crate::wait;

pub struct Addon;

fn value(a: &aws_sdk_eks::types::Addon) -> Value {
    let cluster = a.cluster_name().unwrap_or_default();
    let name = a.addon_name().unwrap_or_default();
    Value::map([
        ("id", Value::String(format!("{cluster}:{name}"))),
        ("arn", opt(a.addon_arn())),
        ("cluster_name", Value::from(cluster)),
        ("addon_name", Value::from(name)),
        ("addon_version", opt(a.addon_version())),
        ("service_account_role_arn", opt(a.service_account_role_arn())),
        ("configuration_values", opt(a.configuration_values().filter(|c| !c.is_empty()))),
        ("created_at", date(a.created_at())),
        ("modified_at", date(a.modified_at())),
        ("tags_all", tags_value(a.tags())),
    ])
}

async fn describe(cx: &Cx<'_>, cluster: &str, name: &str) -> Result<Option<aws_sdk_eks::types::Addon>, AwsError> {
    Ok(absent(cx.c.eks.describe_addon().cluster_name(cluster).addon_name(name).send().await.map_err(sdk(cx.addr)))?.and_then(|o| o.addon().cloned()))
}

async fn wait_active(cx: &Cx<'_>, cluster: &str, name: &str, limit: std::time::Duration) -> Result<aws_sdk_eks::types::Addon, AwsError> {
    wait::until(cx.addr, &format!("add-on {name} to become ACTIVE"), cx.poll(), limit, || async {
        let a = describe(cx, cluster, name).await?.ok_or_else(|| cx.invalid(format!("add-on {name} vanished while being waited for")))?;
        match a.status() {
            Some(AddonStatus::Active) => Ok(Some(a)),
            Some(AddonStatus::CreateFailed | AddonStatus::UpdateFailed | AddonStatus::Degraded) => {
                let issues: Vec<String> = a
                    .health()
                    .map(|h| h.issues().iter().map(|i| format!("{}: {}", i.code().map(|c| c.as_str()).unwrap_or("?"), i.message().unwrap_or(""))).collect())
                    .unwrap_or_default();
                Err(AwsError::Failed {
                    addr: cx.addr.to_string(),
                    message: format!("add-on {name} is {}: {}", a.status().map(|s| s.as_str()).unwrap_or(""), issues.join("; ")),
                })
            }
            _ => Ok(None),
        }
    })
    .await
}

fn names(v: &Value) -> (String, String) {
    (get_str(v, "cluster_name").unwrap_or_default().to_string(), get_str(v, "addon_name").unwrap_or_default().to_string())
}

#[async_trait]
impl Resource for Addon {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: timeouts(
                tagged(id())
                    .attr("arn", Attribute::computed(Str))
                    .attr("cluster_name", Attribute::required(Str).force_new())
                    .attr("addon_name", Attribute::required(Str).force_new())
                    .attr("addon_version", Attribute::optional_computed(Str))
                    .attr("service_account_role_arn", Attribute::optional(Str))
                    .attr("configuration_values", Attribute::optional_computed(Str))
                    .attr("resolve_conflicts_on_create", Attribute::optional(Str).describe("NONE or OVERWRITE"))
                    .attr("resolve_conflicts_on_update", Attribute::optional(Str).describe("NONE, OVERWRITE or PRESERVE"))
                    .attr("preserve", Attribute::optional(Bool))
                    .attr("created_at", Attribute::computed(Str))
                    .attr("modified_at", Attribute::computed(Str)),
                &["create", "update", "delete"],
            ),
        }
    }

    fn local_attrs(&self) -> &'static [&'static str] {
        &["resolve_conflicts_on_create", "resolve_conflicts_on_update", "preserve"]
    }

    fn refine(&self, _addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        if prior.is_some_and(|p| {
            p.get("addon_version") != planned.get("addon_version")
                || p.get("configuration_values") != planned.get("configuration_values")
                || p.get("service_account_role_arn") != planned.get("service_account_role_arn")
        }) {
            set(planned, "modified_at", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let (cluster, name) = names(p);
        cx.c.eks
            .create_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .set_addon_version(get_str(p, "addon_version").map(str::to_string))
            .set_service_account_role_arn(get_str(p, "service_account_role_arn").map(str::to_string))
            .set_configuration_values(get_str(p, "configuration_values").map(str::to_string))
            .set_resolve_conflicts(get_str(p, "resolve_conflicts_on_create").map(ResolveConflicts::from))
            .set_tags(Some(eks_tags(p, &cx.owner)))
            .client_request_token(request_token(&cx.owner))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        Ok(value(&wait_active(cx, &cluster, &name, wait::timeout(p, "create", ADDON_WAIT)).await?))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let (cluster, name) = names(prior);
        let changed = |k: &str| prior.get(k) != p.get(k);
        if changed("addon_version") || changed("service_account_role_arn") || changed("configuration_values") {
            let out =
                cx.c.eks
                    .update_addon()
                    .cluster_name(&cluster)
                    .addon_name(&name)
                    .set_addon_version(get_str(p, "addon_version").map(str::to_string))
                    .service_account_role_arn(get_str(p, "service_account_role_arn").unwrap_or(""))
                    .set_configuration_values(get_str(p, "configuration_values").map(str::to_string))
                    .set_resolve_conflicts(get_str(p, "resolve_conflicts_on_update").map(ResolveConflicts::from))
                    .send()
                    .await
                    .map_err(sdk(cx.addr))?;
            let limit = wait::timeout(p, "update", ADDON_WAIT);
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, &cluster, None, Some(&name), id, limit).await?;
            }
            wait_active(cx, &cluster, &name, limit).await?;
        }
        if let Some(arn) = get_str(prior, "arn") {
            update_tags(cx, arn, prior, p).await?;
        }
        let a = describe(cx, &cluster, &name).await?.ok_or_else(|| cx.invalid(format!("add-on {name} vanished during its update")))?;
        Ok(value(&a))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = get_str(current, "id").unwrap_or_default();
        let (cluster, name) = split_id(cx, id)?;
        Ok(describe(cx, cluster, name).await?.filter(|a| a.status() != Some(&AddonStatus::Deleting)).map(|a| value(&a)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let (cluster, name) = names(prior);
        if absent(
            cx.c.eks.delete_addon().cluster_name(&cluster).addon_name(&name).set_preserve(get_bool(prior, "preserve")).send().await.map_err(sdk(cx.addr)),
        )?
        .is_none()
        {
            return Ok(());
        }
        wait::until(cx.addr, &format!("add-on {name} to be deleted"), cx.poll(), wait::timeout(prior, "delete", ADDON_WAIT), || async {
            match describe(cx, &cluster, &name).await? {
                None => Ok(Some(())),
                Some(a) if a.status() == Some(&AddonStatus::DeleteFailed) => {
                    Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("add-on {name} failed to delete") })
                }
                Some(_) => Ok(None),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let (cluster, name) = names(planned);
        let Some(a) = describe(cx, &cluster, &name).await? else { return Ok(None) };
        if a.tags().is_none_or(|t| t.get(crate::tags::OWNER_TAG) != Some(&cx.owner)) {
            return Ok(None);
        }
        Ok(Some(value(&wait_active(cx, &cluster, &name, wait::timeout(planned, "create", ADDON_WAIT)).await?)))
    }
}
