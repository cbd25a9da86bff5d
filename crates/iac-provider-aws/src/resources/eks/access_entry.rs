//! `aws_eks_access_entry`: Kubernetes groups and user name update in place;
//! the cluster, principal and type force replacement.

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::values::set;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct AccessEntryModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    access_entry_arn: Option<String>,
    #[sdk(required, force_new)]
    cluster_name: String,
    #[sdk(required, force_new)]
    principal_arn: String,
    #[sdk(optional, computed, set)]
    kubernetes_groups: Option<Vec<String>>,
    #[sdk(optional, computed, force_new, default = "STANDARD", name = "type")]
    kind: Option<String>,
    #[sdk(optional, computed)]
    user_name: Option<String>,
    #[sdk(computed)]
    created_at: Option<String>,
    #[sdk(computed)]
    modified_at: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

impl AccessEntryModel {
    fn from_aws(e: &aws_sdk_eks::types::AccessEntry) -> AccessEntryModel {
        let cluster = e.cluster_name().unwrap_or_default();
        let principal = e.principal_arn().unwrap_or_default();
        AccessEntryModel {
            id: Some(format!("{cluster}:{principal}")),
            access_entry_arn: e.access_entry_arn().map(str::to_string),
            cluster_name: cluster.to_string(),
            principal_arn: principal.to_string(),
            kubernetes_groups: Some(e.kubernetes_groups().to_vec()),
            kind: e.r#type().map(str::to_string),
            user_name: e.username().map(str::to_string),
            created_at: date(e.created_at()),
            modified_at: date(e.modified_at()),
            tags: tags_of(e.tags()),
        }
    }
}

pub struct AccessEntry;

async fn describe(cx: &Cx<'_>, cluster: &str, principal: &str) -> Result<Option<aws_sdk_eks::types::AccessEntry>, AwsError> {
    Ok(absent(cx.c().eks.describe_access_entry().cluster_name(cluster).principal_arn(principal).send().await.map_err(sdk(cx.addr)))?
        .and_then(|o| o.access_entry().cloned()))
}

#[async_trait]
impl Resource<Aws> for AccessEntry {
    type Model = AccessEntryModel;
    const TYPE: &'static str = "aws_eks_access_entry";

    async fn modify_plan(&self, _cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        if prior.is_some_and(|p| p.get("kubernetes_groups") != planned.get("kubernetes_groups") || p.get("user_name") != planned.get("user_name")) {
            set(planned, "modified_at", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: AccessEntryModel) -> Result<AccessEntryModel, AwsError> {
        let out = cx
            .c()
            .eks
            .create_access_entry()
            .cluster_name(&p.cluster_name)
            .principal_arn(&p.principal_arn)
            .set_kubernetes_groups(p.kubernetes_groups.clone())
            .set_username(p.user_name.clone())
            .set_type(p.kind.clone())
            .set_tags(Some(eks_tags(cx, &p.tags)))
            .client_request_token(request_token(&cx.owner()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        out.access_entry().map(AccessEntryModel::from_aws).ok_or_else(|| cx.invalid("CreateAccessEntry returned no entry"))
    }

    async fn update(&self, cx: &Cx<'_>, prior: AccessEntryModel, p: AccessEntryModel) -> Result<AccessEntryModel, AwsError> {
        let (cluster, principal) = (&prior.cluster_name, &prior.principal_arn);
        if prior.kubernetes_groups != p.kubernetes_groups || prior.user_name != p.user_name {
            cx.c()
                .eks
                .update_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .set_kubernetes_groups(Some(p.kubernetes_groups.clone().unwrap_or_default()))
                .set_username(p.user_name.clone())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        if let Some(arn) = &prior.access_entry_arn {
            update_tags(cx, arn, &prior.tags, &p.tags).await?;
        }
        describe(cx, cluster, principal).await?.map(|e| AccessEntryModel::from_aws(&e)).ok_or_else(|| cx.invalid("the access entry vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: AccessEntryModel) -> Result<Option<AccessEntryModel>, AwsError> {
        let (cluster, principal) = split_id(cx, current.id.as_deref().unwrap_or_default())?;
        Ok(describe(cx, cluster, principal).await?.map(|e| AccessEntryModel::from_aws(&e)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: AccessEntryModel) -> Result<(), AwsError> {
        absent(cx.c().eks.delete_access_entry().cluster_name(&prior.cluster_name).principal_arn(&prior.principal_arn).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: AccessEntryModel) -> Result<Option<AccessEntryModel>, AwsError> {
        Ok(describe(cx, &planned.cluster_name, &planned.principal_arn).await?.filter(|e| owned(cx, e.tags())).map(|e| AccessEntryModel::from_aws(&e)))
    }
}
