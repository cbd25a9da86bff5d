//! Data sources: `aws_availability_zones`, `aws_caller_identity`,
//! `aws_eks_cluster`, `aws_eks_cluster_auth`.

use async_trait::async_trait;
use iac_core::schema::{Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::Cx;
use crate::error::{sdk, AwsError};
use crate::schema_util::*;
use crate::values::*;

#[async_trait]
pub trait DataSource: Send + Sync {
    fn schema(&self) -> ResourceSchema;
    async fn read(&self, cx: &Cx<'_>, config: &Value) -> Result<Value, AwsError>;
}

pub fn data_source(type_: &str) -> Option<&'static dyn DataSource> {
    Some(match type_ {
        "aws_availability_zones" => &AvailabilityZones,
        "aws_caller_identity" => &CallerIdentity,
        _ => return super::eks::data_source(type_),
    })
}

pub const DATA_TYPES: &[&str] = &["aws_availability_zones", "aws_caller_identity", "aws_eks_cluster", "aws_eks_cluster_auth"];

pub struct AvailabilityZones;
pub struct CallerIdentity;

#[async_trait]
impl DataSource for AvailabilityZones {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("id", Attribute::computed(Str))
                .attr("state", Attribute::optional(Str).describe("available, information, impaired or unavailable"))
                .attr("names", Attribute::computed(list_of(Str)))
                .attr("zone_ids", Attribute::computed(list_of(Str)))
                .attr("group_names", Attribute::computed(set_of(Str))),
        }
    }

    async fn read(&self, cx: &Cx<'_>, config: &Value) -> Result<Value, AwsError> {
        let mut req = cx.c.ec2.describe_availability_zones();
        if let Some(s) = get_str(config, "state") {
            req = req.filters(crate::resources::ec2::filter("state", s));
        }
        let out = req.send().await.map_err(sdk(cx.addr))?;
        let mut zones: Vec<_> = out
            .availability_zones()
            .iter()
            .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id().unwrap_or("").to_string(), z.group_name().unwrap_or("").to_string())))
            .collect();
        zones.sort();
        Ok(Value::map([
            ("id", Value::from(cx.c.region.as_str())),
            ("state", config.get("state").cloned().unwrap_or(Value::Null)),
            ("names", str_list(zones.iter().map(|z| z.0.clone()))),
            ("zone_ids", str_list(zones.iter().map(|z| z.1.clone()))),
            ("group_names", str_set(zones.iter().map(|z| z.2.clone()).filter(|g| !g.is_empty()))),
        ]))
    }
}

#[async_trait]
impl DataSource for CallerIdentity {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("id", Attribute::computed(Str))
                .attr("account_id", Attribute::computed(Str))
                .attr("arn", Attribute::computed(Str))
                .attr("user_id", Attribute::computed(Str)),
        }
    }

    async fn read(&self, cx: &Cx<'_>, _config: &Value) -> Result<Value, AwsError> {
        let out = cx.c.sts.get_caller_identity().send().await.map_err(sdk(cx.addr))?;
        Ok(Value::map([("id", opt(out.account())), ("account_id", opt(out.account())), ("arn", opt(out.arn())), ("user_id", opt(out.user_id()))]))
    }
}
