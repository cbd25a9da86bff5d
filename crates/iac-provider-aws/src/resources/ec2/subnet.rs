//! `aws_subnet`: `map_public_ip_on_launch` and tags update in place; the
//! VPC, CIDR block and availability zone force replacement.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct Subnet;

async fn set_public_ip(cx: &Cx<'_>, id: &str, b: bool) -> Result<(), AwsError> {
    cx.c.ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
        .send()
        .await
        .map_err(sdk(cx.addr))
        .map(|_| ())
}

#[async_trait]
impl Resource for Subnet {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("vpc_id", Attribute::required(Str).force_new())
                .attr("cidr_block", Attribute::required(Str).force_new())
                .attr("availability_zone", Attribute::optional_computed(Str).force_new())
                .attr("availability_zone_id", Attribute::computed(Str))
                .attr("map_public_ip_on_launch", Attribute::optional_computed(Bool))
                .attr("owner_id", Attribute::computed(Str)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("map_public_ip_on_launch", Value::Bool(false))]
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .create_subnet()
                .vpc_id(get_str(p, "vpc_id").unwrap_or_default())
                .cidr_block(get_str(p, "cidr_block").unwrap_or_default())
                .set_availability_zone(get_str(p, "availability_zone").map(str::to_string))
                .tag_specifications(tag_spec(cx, ResourceType::Subnet, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.subnet().and_then(|s| s.subnet_id()).ok_or_else(|| cx.invalid("CreateSubnet returned no id"))?.to_string();
        if get_bool(p, "map_public_ip_on_launch") == Some(true) {
            set_public_ip(cx, &id, true).await?;
        }
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        if let Some(b) = get_bool(p, "map_public_ip_on_launch").filter(|b| Some(*b) != get_bool(prior, "map_public_ip_on_launch")) {
            set_public_ip(cx, id, b).await?;
        }
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_subnets().subnet_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(s) = out.subnets().first() else { return Ok(None) };
        let owner = s.owner_id().unwrap_or_default();
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", s.subnet_arn().map(Value::from).unwrap_or_else(|| arn(cx, owner, "subnet", id))),
            ("vpc_id", opt(s.vpc_id())),
            ("cidr_block", opt(s.cidr_block())),
            ("availability_zone", opt(s.availability_zone())),
            ("availability_zone_id", opt(s.availability_zone_id())),
            ("map_public_ip_on_launch", Value::Bool(s.map_public_ip_on_launch().unwrap_or(false))),
            ("owner_id", Value::from(owner)),
            ("tags_all", tags_value(s.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        crate::wait::retry_while(cx.addr, "the subnet's dependencies to go", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.delete_subnet().subnet_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_subnets().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.subnets().first().and_then(|s| s.subnet_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
