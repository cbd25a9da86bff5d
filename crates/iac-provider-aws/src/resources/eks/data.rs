//! Data sources `aws_eks_cluster` (the cluster's endpoint, CA and OIDC
//! issuer) and `aws_eks_cluster_auth` (a token for the Kubernetes API, made
//! fresh on every read, sensitive).

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;

use super::cluster::{describe, AccessConfig, CertificateAuthority, ClusterModel, Identity, NetworkConfig, VpcConfig};
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
    cluster_id: Option<String>,
    #[sdk(computed, set)]
    enabled_cluster_log_types: Vec<String>,
    #[sdk(computed)]
    kubernetes_network_config: Vec<NetworkConfig>,
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
            cluster_id: c.cluster_id,
            enabled_cluster_log_types: c.enabled_cluster_log_types.unwrap_or_default(),
            kubernetes_network_config: c.kubernetes_network_config,
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

#[derive(Model, Debug, Clone, Default)]
pub struct AddonVersionModel {
    /// the add-on's name
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(required)]
    addon_name: String,
    #[sdk(required)]
    kubernetes_version: String,
    /// the newest version, not the default one
    #[sdk(optional)]
    most_recent: Option<bool>,
    #[sdk(computed)]
    version: Option<String>,
}

/// `data.aws_eks_addon_version`: the default (or newest) version of an
/// add-on for a Kubernetes version.
pub struct AddonVersionData;

#[async_trait]
impl DataSource<Aws> for AddonVersionData {
    type Model = AddonVersionModel;
    const TYPE: &'static str = "aws_eks_addon_version";

    async fn read(&self, cx: &Cx<'_>, c: AddonVersionModel) -> Result<AddonVersionModel, AwsError> {
        let most_recent = c.most_recent == Some(true);
        let mut token = None;
        loop {
            let out = cx
                .c()
                .eks
                .describe_addon_versions()
                .addon_name(&c.addon_name)
                .kubernetes_version(&c.kubernetes_version)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(crate::error::sdk(cx.addr))?;
            for info in out.addons() {
                // The newest version comes first.
                for v in info.addon_versions() {
                    let default = v.compatibilities().iter().any(|c| c.default_version());
                    if most_recent || default {
                        return Ok(AddonVersionModel { id: Some(c.addon_name.clone()), version: v.addon_version().map(str::to_string), ..c });
                    }
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Err(cx.invalid(format!("reading EKS Add-On version info ({}, {}): couldn't find EKS Add-On version", c.addon_name, c.kubernetes_version)))
    }
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct ClusterVersion {
    #[sdk(computed)]
    cluster_type: Option<String>,
    #[sdk(computed)]
    cluster_version: Option<String>,
    #[sdk(computed)]
    default_platform_version: Option<String>,
    #[sdk(computed)]
    default_version: Option<bool>,
    #[sdk(computed)]
    end_of_extended_support_date: Option<String>,
    #[sdk(computed)]
    end_of_standard_support_date: Option<String>,
    #[sdk(computed)]
    kubernetes_patch_version: Option<String>,
    #[sdk(computed)]
    release_date: Option<String>,
    #[sdk(computed)]
    version_status: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct ClusterVersionsModel {
    /// eks or eks-local-outposts
    #[sdk(optional)]
    cluster_type: Option<String>,
    #[sdk(optional)]
    cluster_versions_only: Option<Vec<String>>,
    #[sdk(optional)]
    default_only: Option<bool>,
    #[sdk(optional)]
    include_all: Option<bool>,
    /// UNSUPPORTED, STANDARD_SUPPORT or EXTENDED_SUPPORT
    #[sdk(optional)]
    version_status: Option<String>,
    #[sdk(computed)]
    cluster_versions: Vec<ClusterVersion>,
}

/// `data.aws_eks_cluster_versions`: the Kubernetes versions EKS offers.
pub struct ClusterVersionsData;

#[async_trait]
impl DataSource<Aws> for ClusterVersionsData {
    type Model = ClusterVersionsModel;
    const TYPE: &'static str = "aws_eks_cluster_versions";

    async fn read(&self, cx: &Cx<'_>, c: ClusterVersionsModel) -> Result<ClusterVersionsModel, AwsError> {
        let date = |d: Option<&aws_smithy_types::DateTime>| d.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
        let mut versions = Vec::new();
        let mut token = None;
        loop {
            let out = cx
                .c()
                .eks
                .describe_cluster_versions()
                .set_cluster_type(c.cluster_type.clone())
                .set_default_only(c.default_only)
                .set_include_all(c.include_all)
                .set_cluster_versions(c.cluster_versions_only.clone().filter(|v| !v.is_empty()))
                .set_version_status(c.version_status.as_deref().map(aws_sdk_eks::types::VersionStatus::from))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(crate::error::sdk(cx.addr))?;
            versions.extend(out.cluster_versions().iter().map(|v| ClusterVersion {
                cluster_type: v.cluster_type().map(str::to_string),
                cluster_version: v.cluster_version().map(str::to_string),
                default_platform_version: v.default_platform_version().map(str::to_string),
                default_version: Some(v.default_version()),
                end_of_extended_support_date: date(v.end_of_extended_support_date()),
                end_of_standard_support_date: date(v.end_of_standard_support_date()),
                kubernetes_patch_version: v.kubernetes_patch_version().map(str::to_string),
                release_date: date(v.release_date()),
                version_status: v.version_status().map(|s| s.as_str().to_string()),
            }));
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(ClusterVersionsModel { cluster_versions: versions, ..c })
    }
}
