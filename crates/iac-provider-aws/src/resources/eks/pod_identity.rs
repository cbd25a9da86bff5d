//! `aws_eks_pod_identity_association`: a Kubernetes service account of a
//! cluster assuming an IAM role through EKS Pod Identity. The role changes
//! in place; the cluster, namespace and service account force replacement.
//! The id is the association id; an import takes `CLUSTER,ASSOCIATION_ID`.

use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct PodIdentityModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    association_arn: Option<String>,
    #[sdk(computed)]
    association_id: Option<String>,
    #[sdk(required, force_new)]
    cluster_name: String,
    #[sdk(required, force_new)]
    namespace: String,
    #[sdk(required, force_new)]
    service_account: String,
    #[sdk(required)]
    role_arn: String,
    #[sdk(flatten)]
    tags: Tags,
}

impl PodIdentityModel {
    fn from_aws(a: &aws_sdk_eks::types::PodIdentityAssociation) -> PodIdentityModel {
        let s = |x: Option<&str>| x.map(str::to_string);
        PodIdentityModel {
            id: s(a.association_id()),
            association_arn: s(a.association_arn()),
            association_id: s(a.association_id()),
            cluster_name: a.cluster_name().unwrap_or_default().to_string(),
            namespace: a.namespace().unwrap_or_default().to_string(),
            service_account: a.service_account().unwrap_or_default().to_string(),
            role_arn: a.role_arn().unwrap_or_default().to_string(),
            tags: tags_of(a.tags()),
        }
    }
}

pub struct PodIdentity;

async fn describe(cx: &Cx<'_>, cluster: &str, id: &str) -> Result<Option<aws_sdk_eks::types::PodIdentityAssociation>, AwsError> {
    let req = cx.c().eks.describe_pod_identity_association().cluster_name(cluster).association_id(id);
    Ok(absent(req.send().await.map_err(sdk(cx.addr)))?.and_then(|o| o.association().cloned()))
}

#[async_trait]
impl Resource<Aws> for PodIdentity {
    type Model = PodIdentityModel;
    const TYPE: &'static str = "aws_eks_pod_identity_association";

    fn import_stub(&self, id: &str) -> Value {
        let (cluster, association) = id.split_once(',').unwrap_or(("", id));
        Value::map([("id", Value::from(association)), ("association_id", Value::from(association)), ("cluster_name", Value::from(cluster))])
    }

    async fn create(&self, cx: &Cx<'_>, p: PodIdentityModel) -> Result<PodIdentityModel, AwsError> {
        let out = cx
            .c()
            .eks
            .create_pod_identity_association()
            .cluster_name(&p.cluster_name)
            .namespace(&p.namespace)
            .service_account(&p.service_account)
            .role_arn(&p.role_arn)
            .set_tags(Some(eks_tags(cx, &p.tags)))
            .client_request_token(request_token(&cx.owner()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        out.association().map(PodIdentityModel::from_aws).ok_or_else(|| cx.invalid("CreatePodIdentityAssociation returned no association"))
    }

    async fn update(&self, cx: &Cx<'_>, prior: PodIdentityModel, p: PodIdentityModel) -> Result<PodIdentityModel, AwsError> {
        let id = prior.association_id.clone().unwrap_or_default();
        if prior.role_arn != p.role_arn {
            cx.c()
                .eks
                .update_pod_identity_association()
                .cluster_name(&prior.cluster_name)
                .association_id(&id)
                .role_arn(&p.role_arn)
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        if let Some(arn) = &prior.association_arn {
            update_tags(cx, arn, &prior.tags, &p.tags).await?;
        }
        describe(cx, &prior.cluster_name, &id)
            .await?
            .map(|a| PodIdentityModel::from_aws(&a))
            .ok_or_else(|| cx.invalid("the association vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: PodIdentityModel) -> Result<Option<PodIdentityModel>, AwsError> {
        let id = current.association_id.clone().or(current.id.clone()).unwrap_or_default();
        Ok(describe(cx, &current.cluster_name, &id).await?.map(|a| PodIdentityModel::from_aws(&a)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: PodIdentityModel) -> Result<(), AwsError> {
        let id = prior.association_id.clone().unwrap_or_default();
        absent(cx.c().eks.delete_pod_identity_association().cluster_name(&prior.cluster_name).association_id(&id).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: PodIdentityModel) -> Result<Option<PodIdentityModel>, AwsError> {
        let out = cx
            .c()
            .eks
            .list_pod_identity_associations()
            .cluster_name(&planned.cluster_name)
            .namespace(&planned.namespace)
            .service_account(&planned.service_account)
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        for s in out.associations() {
            if let Some(a) = describe(cx, &planned.cluster_name, s.association_id().unwrap_or_default()).await? {
                if owned(cx, a.tags()) {
                    return Ok(Some(PodIdentityModel::from_aws(&a)));
                }
            }
        }
        Ok(None)
    }
}
