//! `aws_eks_addon`: version, service-account role and configuration values
//! update in place (UpdateAddon, followed through DescribeUpdate); the
//! cluster and add-on name force replacement. `preserve` keeps the add-on's
//! Kubernetes objects when it is deleted.

use aws_sdk_eks::types::{AddonStatus, ResolveConflicts};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::{timeout, Timeouts};
use crate::values::set;
use crate::{wait, Aws};

#[derive(Model, Debug, Clone, Default)]
pub struct AddonModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    cluster_name: String,
    #[sdk(required, force_new)]
    addon_name: String,
    #[sdk(optional, computed)]
    addon_version: Option<String>,
    #[sdk(optional)]
    service_account_role_arn: Option<String>,
    #[sdk(optional, computed)]
    configuration_values: Option<String>,
    /// NONE or OVERWRITE
    #[sdk(optional, local)]
    resolve_conflicts_on_create: Option<String>,
    /// NONE, OVERWRITE or PRESERVE
    #[sdk(optional, local)]
    resolve_conflicts_on_update: Option<String>,
    #[sdk(optional, local)]
    preserve: Option<bool>,
    #[sdk(computed)]
    created_at: Option<String>,
    #[sdk(computed)]
    modified_at: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

impl AddonModel {
    fn from_aws(a: &aws_sdk_eks::types::Addon) -> AddonModel {
        let cluster = a.cluster_name().unwrap_or_default();
        let name = a.addon_name().unwrap_or_default();
        AddonModel {
            id: Some(format!("{cluster}:{name}")),
            arn: a.addon_arn().map(str::to_string),
            cluster_name: cluster.to_string(),
            addon_name: name.to_string(),
            addon_version: a.addon_version().map(str::to_string),
            service_account_role_arn: a.service_account_role_arn().map(str::to_string),
            configuration_values: a.configuration_values().filter(|c| !c.is_empty()).map(str::to_string),
            created_at: date(a.created_at()),
            modified_at: date(a.modified_at()),
            tags: tags_of(a.tags()),
            ..AddonModel::default()
        }
    }
}

pub struct Addon;

async fn describe(cx: &Cx<'_>, cluster: &str, name: &str) -> Result<Option<aws_sdk_eks::types::Addon>, AwsError> {
    Ok(absent(cx.c().eks.describe_addon().cluster_name(cluster).addon_name(name).send().await.map_err(sdk(cx.addr)))?.and_then(|o| o.addon().cloned()))
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

#[async_trait]
impl Resource<Aws> for Addon {
    type Model = AddonModel;
    const TYPE: &'static str = "aws_eks_addon";

    async fn modify_plan(&self, _cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        let changed = |p: &Value, k: &str| p.get(k) != planned.get(k);
        if prior.is_some_and(|p| changed(p, "addon_version") || changed(p, "configuration_values") || changed(p, "service_account_role_arn")) {
            set(planned, "modified_at", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: AddonModel) -> Result<AddonModel, AwsError> {
        cx.c()
            .eks
            .create_addon()
            .cluster_name(&p.cluster_name)
            .addon_name(&p.addon_name)
            .set_addon_version(p.addon_version.clone())
            .set_service_account_role_arn(p.service_account_role_arn.clone())
            .set_configuration_values(p.configuration_values.clone())
            .set_resolve_conflicts(p.resolve_conflicts_on_create.as_deref().map(ResolveConflicts::from))
            .set_tags(Some(eks_tags(cx, &p.tags)))
            .client_request_token(request_token(&cx.owner()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        Ok(AddonModel::from_aws(&wait_active(cx, &p.cluster_name, &p.addon_name, timeout(&p.timeouts, "create", ADDON_WAIT)).await?))
    }

    async fn update(&self, cx: &Cx<'_>, prior: AddonModel, p: AddonModel) -> Result<AddonModel, AwsError> {
        let (cluster, name) = (&prior.cluster_name, &prior.addon_name);
        if prior.addon_version != p.addon_version
            || prior.service_account_role_arn != p.service_account_role_arn
            || prior.configuration_values != p.configuration_values
        {
            let out = cx
                .c()
                .eks
                .update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(p.addon_version.clone())
                .service_account_role_arn(p.service_account_role_arn.as_deref().unwrap_or(""))
                .set_configuration_values(p.configuration_values.clone())
                .set_resolve_conflicts(p.resolve_conflicts_on_update.as_deref().map(ResolveConflicts::from))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
            let limit = timeout(&p.timeouts, "update", ADDON_WAIT);
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, cluster, None, Some(name), id, limit).await?;
            }
            wait_active(cx, cluster, name, limit).await?;
        }
        if let Some(arn) = &prior.arn {
            update_tags(cx, arn, &prior.tags, &p.tags).await?;
        }
        let a = describe(cx, cluster, name).await?.ok_or_else(|| cx.invalid(format!("add-on {name} vanished during its update")))?;
        Ok(AddonModel::from_aws(&a))
    }

    async fn read(&self, cx: &Cx<'_>, current: AddonModel) -> Result<Option<AddonModel>, AwsError> {
        let (cluster, name) = split_id(cx, current.id.as_deref().unwrap_or_default())?;
        Ok(describe(cx, cluster, name).await?.filter(|a| a.status() != Some(&AddonStatus::Deleting)).map(|a| AddonModel::from_aws(&a)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: AddonModel) -> Result<(), AwsError> {
        let (cluster, name) = (&prior.cluster_name, &prior.addon_name);
        let req = cx.c().eks.delete_addon().cluster_name(cluster).addon_name(name).set_preserve(prior.preserve);
        if absent(req.send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, &format!("add-on {name} to be deleted"), cx.poll(), timeout(&prior.timeouts, "delete", ADDON_WAIT), || async {
            match describe(cx, cluster, name).await? {
                None => Ok(Some(())),
                Some(a) if a.status() == Some(&AddonStatus::DeleteFailed) => {
                    Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("add-on {name} failed to delete") })
                }
                Some(_) => Ok(None),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: AddonModel) -> Result<Option<AddonModel>, AwsError> {
        let (cluster, name) = (&planned.cluster_name, &planned.addon_name);
        let Some(a) = describe(cx, cluster, name).await? else { return Ok(None) };
        if !owned(cx, a.tags()) {
            return Ok(None);
        }
        Ok(Some(AddonModel::from_aws(&wait_active(cx, cluster, name, timeout(&planned.timeouts, "create", ADDON_WAIT)).await?)))
    }
}
