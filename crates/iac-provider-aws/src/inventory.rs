//! What the account holds in the provider's scope, for `iac drift
//! -unmanaged`: EKS clusters and their node groups, S3 buckets, VPCs,
//! subnets and IAM roles, each listed through every page. Ids are the ones
//! the resources record as `id` (a node group is `CLUSTER:NODEGROUP`), so
//! the engine can match them against state. Objects AWS makes by itself are
//! never reported: the default VPC and its default subnets, and
//! service-linked roles (path `/aws-service-role/`). EKS and EC2 are
//! regional; S3 buckets are listed for the provider's region only; IAM is
//! global, so roles are listed whatever the region.

use aws_sdk_ec2::types::Tag;
use iac_core::provider::CloudObject;

use crate::clients::Clients;
use crate::error::{sdk, AwsError};

pub const EKS_CLUSTER: &str = "aws_eks_cluster";
pub const EKS_NODE_GROUP: &str = "aws_eks_node_group";
pub const S3_BUCKET: &str = "aws_s3_bucket";
pub const VPC: &str = "aws_vpc";
pub const SUBNET: &str = "aws_subnet";
pub const IAM_ROLE: &str = "aws_iam_role";

/// The path IAM gives the roles AWS services create for themselves.
const SERVICE_LINKED_PATH: &str = "/aws-service-role/";

fn object(type_: &str, id: impl Into<String>, name: impl Into<String>) -> CloudObject {
    CloudObject { type_: type_.into(), id: id.into(), name: name.into() }
}

/// An EC2 object's `Name` tag (its name in the console), or empty.
fn name_tag(tags: &[Tag]) -> String {
    tags.iter().find(|t| t.key() == Some("Name")).and_then(Tag::value).unwrap_or_default().to_string()
}

/// The objects of the given types (every type above when `types` is empty;
/// types this provider cannot list are skipped).
pub async fn list(c: &Clients, types: &[String]) -> Result<Vec<CloudObject>, AwsError> {
    let want = |t: &str| types.is_empty() || types.iter().any(|x| x == t);
    let mut out = Vec::new();
    if want(EKS_CLUSTER) || want(EKS_NODE_GROUP) {
        out.extend(eks(c, want(EKS_CLUSTER), want(EKS_NODE_GROUP)).await?);
    }
    if want(S3_BUCKET) {
        out.extend(buckets(c).await?);
    }
    if want(VPC) {
        out.extend(vpcs(c).await?);
    }
    if want(SUBNET) {
        out.extend(subnets(c).await?);
    }
    if want(IAM_ROLE) {
        out.extend(roles(c).await?);
    }
    out.sort();
    tracing::debug!(region = %c.region, objects = out.len(), "listed the account's objects");
    Ok(out)
}

async fn eks(c: &Clients, clusters: bool, node_groups: bool) -> Result<Vec<CloudObject>, AwsError> {
    let what = "listing EKS clusters";
    let names = c.eks.list_clusters().into_paginator().items().send().try_collect().await.map_err(sdk(what))?;
    let mut out = Vec::new();
    for cluster in names {
        if node_groups {
            let what = format!("listing the node groups of EKS cluster {cluster}");
            let groups = c.eks.list_nodegroups().cluster_name(&cluster).into_paginator().items().send().try_collect().await.map_err(sdk(&what))?;
            out.extend(groups.into_iter().map(|g| object(EKS_NODE_GROUP, format!("{cluster}:{g}"), g)));
        }
        if clusters {
            out.push(object(EKS_CLUSTER, cluster.clone(), cluster));
        }
    }
    Ok(out)
}

async fn buckets(c: &Clients) -> Result<Vec<CloudObject>, AwsError> {
    let what = "listing S3 buckets";
    let all = c.s3.list_buckets().bucket_region(&c.region).into_paginator().items().send().try_collect().await.map_err(sdk(what))?;
    // The region filter is applied again in case an S3-compatible endpoint ignores it.
    Ok(all.iter().filter(|b| b.bucket_region().is_none_or(|r| r == c.region)).filter_map(|b| b.name()).map(|n| object(S3_BUCKET, n, n)).collect())
}

async fn vpcs(c: &Clients) -> Result<Vec<CloudObject>, AwsError> {
    let all = c.ec2.describe_vpcs().into_paginator().items().send().try_collect().await.map_err(sdk("listing VPCs"))?;
    Ok(all.iter().filter(|v| v.is_default() != Some(true)).filter_map(|v| Some(object(VPC, v.vpc_id()?, name_tag(v.tags())))).collect())
}

async fn subnets(c: &Clients) -> Result<Vec<CloudObject>, AwsError> {
    let all = c.ec2.describe_subnets().into_paginator().items().send().try_collect().await.map_err(sdk("listing subnets"))?;
    Ok(all.iter().filter(|s| s.default_for_az() != Some(true)).filter_map(|s| Some(object(SUBNET, s.subnet_id()?, name_tag(s.tags())))).collect())
}

async fn roles(c: &Clients) -> Result<Vec<CloudObject>, AwsError> {
    let all = c.iam.list_roles().into_paginator().items().send().try_collect().await.map_err(sdk("listing IAM roles"))?;
    Ok(all.iter().filter(|r| !r.path().starts_with(SERVICE_LINKED_PATH)).map(|r| object(IAM_ROLE, r.role_name(), r.role_name())).collect())
}
