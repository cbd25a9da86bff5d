//! Data sources `aws_eks_cluster` (the cluster's endpoint, CA and OIDC
//! issuer) and `aws_eks_cluster_auth` (a token for the Kubernetes API, made
//! fresh on every read, sensitive).

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;

use super::cluster::{describe, AccessConfig, CertificateAuthority, ClusterModel, Identity, VpcConfig};
use super::{AwsCx, AwsError, Cx};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct ClusterDataModel {
    #[sdk(required)]
    name: String,
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    role_arn: Option<String>,
    #[sdk(computed)]
    version: Option<String>,
    #[sdk(computed)]
    platform_version: Option<String>,
    #[sdk(computed)]
    status: Option<String>,
    #[sdk(computed)]
    endpoint: Option<String>,
    #[sdk(computed)]
    created_at: Option<String>,
    #[sdk(computed)]
    certificate_authority: Vec<CertificateAuthority>,
    #[sdk(computed)]
    identity: Vec<Identity>,
    #[sdk(computed)]
    vpc_config: Vec<VpcConfig>,
    #[sdk(computed)]
    access_config: Vec<AccessConfig>,
    #[sdk(computed)]
    tags: BTreeMap<String, String>,
}

pub struct ClusterData;

#[async_trait]
impl DataSource<Aws> for ClusterData {
    type Model = ClusterDataModel;
    const TYPE: &'static str = "aws_eks_cluster";

    async fn read(&self, cx: &Cx<'_>, config: ClusterDataModel) -> Result<ClusterDataModel, AwsError> {
        let name = config.name.as_str();
        let c = describe(cx, name).await?.ok_or_else(|| cx.invalid(format!("no EKS cluster named {name:?}")))?;
        let c = ClusterModel::from_aws(&c, &ClusterModel::default());
        let mut tags = c.tags.tags_all.unwrap_or_default();
        tags.remove(crate::tags::OWNER_TAG);
        Ok(ClusterDataModel {
            name: c.name,
            id: c.id,
            arn: c.arn,
            role_arn: Some(c.role_arn).filter(|r| !r.is_empty()),
            version: c.version,
            platform_version: c.platform_version,
            status: c.status,
            endpoint: c.endpoint,
            created_at: c.created_at,
            certificate_authority: c.certificate_authority,
            identity: c.identity,
            vpc_config: c.vpc_config,
            access_config: c.access_config,
            tags,
        })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct ClusterAuthModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required)]
    name: String,
    /// valid for 15 minutes; made fresh on every run and never stored
    #[sdk(computed, ephemeral)]
    token: Option<String>,
}

pub struct ClusterAuth;

#[async_trait]
impl DataSource<Aws> for ClusterAuth {
    type Model = ClusterAuthModel;
    const TYPE: &'static str = "aws_eks_cluster_auth";

    async fn read(&self, cx: &Cx<'_>, config: ClusterAuthModel) -> Result<ClusterAuthModel, AwsError> {
        let name = config.name;
        let creds = cx.c().credentials(cx.addr).await?;
        let token = crate::eks_token::token(&cx.c().sts_url(), &cx.c().region, &name, creds, std::time::SystemTime::now())
            .map_err(|e| cx.invalid(format!("could not sign the token: {e}")))?;
        Ok(ClusterAuthModel { id: Some(name.clone()), name, token: Some(token) })
    }
}
