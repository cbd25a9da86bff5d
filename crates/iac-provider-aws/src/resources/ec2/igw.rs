//! `aws_internet_gateway`: attached to `vpc_id` (moving it detaches and
//! attaches); tags update in place.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct InternetGateway;

async fn attach(cx: &Cx<'_>, id: &str, vpc: &str) -> Result<(), AwsError> {
    cx.c.ec2.attach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map_err(sdk(cx.addr)).map(|_| ())
}

async fn detach(cx: &Cx<'_>, id: &str, vpc: &str) -> Result<(), AwsError> {
    // A detach waits out public addresses still mapped in the VPC.
    crate::wait::retry_while(cx.addr, "the gateway to be detachable", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
        cx.c.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map_err(sdk(cx.addr)).map(|_| ())
    })
    .await
}

#[async_trait]
impl Resource for InternetGateway {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id()).attr("arn", Attribute::computed(Str)).attr("vpc_id", Attribute::optional(Str)).attr("owner_id", Attribute::computed(Str)),
        }
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out = cx.c.ec2.create_internet_gateway().tag_specifications(tag_spec(cx, ResourceType::InternetGateway, p)).send().await.map_err(sdk(cx.addr))?;
        let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).ok_or_else(|| cx.invalid("CreateInternetGateway returned no id"))?.to_string();
        if let Some(vpc) = get_str(p, "vpc_id") {
            attach(cx, &id, vpc).await?;
        }
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("internet gateway {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        let (old, new) = (get_str(prior, "vpc_id"), get_str(p, "vpc_id"));
        if old != new {
            if let Some(o) = old {
                detach(cx, id, o).await?;
            }
            if let Some(n) = new {
                attach(cx, id, n).await?;
            }
        }
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("internet gateway {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_internet_gateways().internet_gateway_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(g) = out.internet_gateways().first() else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        let vpc = g.attachments().iter().find(|a| a.state().is_some_and(|s| s.as_str() == "available" || s.as_str() == "attached")).and_then(|a| a.vpc_id());
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", arn(cx, owner, "internet-gateway", id)),
            ("vpc_id", opt(vpc)),
            ("owner_id", Value::from(owner)),
            ("tags_all", tags_value(g.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        if let Some(cur) = self.read(cx, prior).await? {
            if let Some(vpc) = get_str(&cur, "vpc_id") {
                detach(cx, id, vpc).await?;
            }
        }
        crate::wait::retry_while(cx.addr, "the gateway's dependencies to go", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.delete_internet_gateway().internet_gateway_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_internet_gateways().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.internet_gateways().first().and_then(|g| g.internet_gateway_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
