//! Data sources `aws_availability_zones` (by state, `filter {}` blocks,
//! with exclusions by name or zone id) and `aws_caller_identity` (the EKS
//! ones are in `eks::data`, the EC2 lookups in `ec2::lookup`).

use iac_provider_sdk::prelude::*;

use super::ec2::lookup::{filters, FilterBlock, ReadTimeout};
use super::{AwsCx, Cx};
use crate::error::{sdk, AwsError};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct AvailabilityZonesModel {
    /// the region
    #[sdk(optional, computed)]
    id: Option<String>,
    /// Local Zones and Wavelength Zones too, whatever their opt-in status
    #[sdk(optional)]
    all_availability_zones: Option<bool>,
    #[sdk(optional, set)]
    exclude_names: Option<Vec<String>>,
    #[sdk(optional, set)]
    exclude_zone_ids: Option<Vec<String>>,
    /// available, information, impaired or unavailable
    #[sdk(optional)]
    state: Option<String>,
    #[sdk(computed)]
    names: Vec<String>,
    #[sdk(computed)]
    zone_ids: Vec<String>,
    #[sdk(computed, set)]
    group_names: Vec<String>,
    #[sdk(block, set)]
    filter: Vec<FilterBlock>,
    #[sdk(block)]
    timeouts: Option<ReadTimeout>,
}

pub struct AvailabilityZones;

#[async_trait]
impl DataSource<Aws> for AvailabilityZones {
    type Model = AvailabilityZonesModel;
    const TYPE: &'static str = "aws_availability_zones";

    async fn read(&self, cx: &Cx<'_>, config: AvailabilityZonesModel) -> Result<AvailabilityZonesModel, AwsError> {
        let named = [("state", config.state.clone())];
        let out = cx
            .c()
            .ec2
            .describe_availability_zones()
            .set_all_availability_zones(config.all_availability_zones)
            .set_filters(filters(&named, &config.filter, None))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let excluded =
            |name: &str, id: &str| config.exclude_names.iter().flatten().any(|n| n == name) || config.exclude_zone_ids.iter().flatten().any(|z| z == id);
        let mut zones: Vec<_> = out
            .availability_zones()
            .iter()
            .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id().unwrap_or("").to_string(), z.group_name().unwrap_or("").to_string())))
            .filter(|(name, id, _)| !excluded(name, id))
            .collect();
        zones.sort();
        Ok(AvailabilityZonesModel {
            id: Some(cx.c().region.clone()),
            names: zones.iter().map(|z| z.0.clone()).collect(),
            zone_ids: zones.iter().map(|z| z.1.clone()).collect(),
            group_names: zones.iter().map(|z| z.2.clone()).collect(),
            ..config
        })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct CallerIdentityModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    account_id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    user_id: Option<String>,
}

pub struct CallerIdentity;

#[async_trait]
impl DataSource<Aws> for CallerIdentity {
    type Model = CallerIdentityModel;
    const TYPE: &'static str = "aws_caller_identity";

    async fn read(&self, cx: &Cx<'_>, _config: CallerIdentityModel) -> Result<CallerIdentityModel, AwsError> {
        let out = cx.c().sts.get_caller_identity().send().await.map_err(sdk(cx.addr))?;
        let s = |x: Option<&str>| x.map(str::to_string);
        Ok(CallerIdentityModel { id: s(out.account()), account_id: s(out.account()), arn: s(out.arn()), user_id: s(out.user_id()) })
    }
}
