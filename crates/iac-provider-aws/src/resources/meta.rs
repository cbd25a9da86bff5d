//! Data sources that need no API call: `aws_partition`, `aws_region`,
//! `aws_service_principal` (facts in `crate::partition`) and
//! `aws_iam_policy_document` (computed in `crate::policy_document`).

use iac_provider_sdk::prelude::*;

use super::{AwsCx, Cx};
use crate::error::AwsError;
use crate::partition::{ec2_endpoint, partition_of, region_description, region_of_endpoint, service_principal_suffix};
use crate::policy_document::{render, PolicyDocumentModel};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct PartitionModel {
    /// The partition's id.
    #[sdk(computed)]
    id: Option<String>,
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    #[sdk(computed)]
    partition: Option<String>,
    /// The DNS suffix of the partition's endpoints.
    #[sdk(computed)]
    dns_suffix: Option<String>,
    /// The reverse DNS prefix (`com.amazonaws`).
    #[sdk(computed)]
    reverse_dns_prefix: Option<String>,
}

/// `data.aws_partition`: the partition of the provider's region.
pub struct PartitionData;

#[async_trait]
impl DataSource<Aws> for PartitionData {
    type Model = PartitionModel;
    const TYPE: &'static str = "aws_partition";

    async fn read(&self, cx: &Cx<'_>, _config: PartitionModel) -> Result<PartitionModel, AwsError> {
        let p = partition_of(cx.provider.region());
        let s = |v: &str| Some(v.to_string());
        Ok(PartitionModel { id: s(p.id), partition: s(p.id), dns_suffix: s(p.dns_suffix), reverse_dns_prefix: s(p.reverse_dns_prefix) })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct RegionModel {
    /// The region's name.
    #[sdk(computed)]
    id: Option<String>,
    /// The region to describe; the provider's region when left out.
    #[sdk(optional, computed)]
    name: Option<String>,
    /// The region's EC2 endpoint host, to find a region by.
    #[sdk(optional, computed)]
    endpoint: Option<String>,
    /// AWS's name for the region (`US East (N. Virginia)`).
    #[sdk(computed)]
    description: Option<String>,
}

/// `data.aws_region`: a region by name or EC2 endpoint, else the provider's.
pub struct RegionData;

#[async_trait]
impl DataSource<Aws> for RegionData {
    type Model = RegionModel;
    const TYPE: &'static str = "aws_region";

    async fn read(&self, cx: &Cx<'_>, config: RegionModel) -> Result<RegionModel, AwsError> {
        let by_endpoint = match &config.endpoint {
            Some(e) => Some(region_of_endpoint(e).ok_or_else(|| cx.invalid(format!("region not found for endpoint: {e}")))?.to_string()),
            None => None,
        };
        let name = match (&config.name, by_endpoint) {
            (Some(n), Some(e)) if *n != e => return Err(cx.invalid(format!("region {n} does not have the endpoint {}", config.endpoint.unwrap_or_default()))),
            (Some(n), _) => n.clone(),
            (None, Some(e)) => e,
            (None, None) => cx.provider.region().to_string(),
        };
        let description = region_description(&name).ok_or_else(|| cx.invalid(format!("region not found for name: {name}")))?;
        Ok(RegionModel { id: Some(name.clone()), endpoint: Some(ec2_endpoint(&name)), description: Some(description.to_string()), name: Some(name) })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct ServicePrincipalModel {
    /// `SERVICE.REGION.SUFFIX`.
    #[sdk(computed)]
    id: Option<String>,
    /// The principal (`ec2.amazonaws.com`).
    #[sdk(computed)]
    name: Option<String>,
    /// The service (`ec2`).
    #[sdk(required)]
    service_name: String,
    /// The region; the provider's when left out.
    #[sdk(optional, computed)]
    region: Option<String>,
    /// The principal's DNS suffix.
    #[sdk(computed)]
    suffix: Option<String>,
}

/// `data.aws_service_principal`: a service's principal name in a region.
pub struct ServicePrincipalData;

#[async_trait]
impl DataSource<Aws> for ServicePrincipalData {
    type Model = ServicePrincipalModel;
    const TYPE: &'static str = "aws_service_principal";

    async fn read(&self, cx: &Cx<'_>, config: ServicePrincipalModel) -> Result<ServicePrincipalModel, AwsError> {
        let region = config.region.clone().unwrap_or_else(|| cx.provider.region().to_string());
        if region_description(&region).is_none() {
            return Err(cx.invalid(format!("finding Region by name ({region}): region not found")));
        }
        let suffix = service_principal_suffix(&config.service_name, &region);
        Ok(ServicePrincipalModel {
            id: Some(format!("{}.{region}.{suffix}", config.service_name)),
            name: Some(format!("{}.{suffix}", config.service_name)),
            suffix: Some(suffix.to_string()),
            region: Some(region),
            service_name: config.service_name,
        })
    }
}

/// `data.aws_iam_policy_document`.
pub struct PolicyDocumentData;

#[async_trait]
impl DataSource<Aws> for PolicyDocumentData {
    type Model = PolicyDocumentModel;
    const TYPE: &'static str = "aws_iam_policy_document";

    async fn read(&self, cx: &Cx<'_>, mut config: PolicyDocumentModel) -> Result<PolicyDocumentModel, AwsError> {
        render(&mut config).map_err(|e| cx.invalid(e.to_string()))?;
        Ok(config)
    }
}
