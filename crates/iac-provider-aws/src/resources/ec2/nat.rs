//! `aws_nat_gateway`: created in a subnet with an Elastic IP, then waited
//! for until `available` (a `failed` one is reported with AWS's reason);
//! deleting waits until it is `deleted`. Tags update in place.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;
use crate::wait;

pub struct NatGateway;

const WAIT: Duration = Duration::from_secs(10 * 60);

impl NatGateway {
    async fn describe(&self, cx: &Cx<'_>, id: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, AwsError> {
        let out = absent(cx.c.ec2.describe_nat_gateways().nat_gateway_ids(id).send().await.map_err(sdk(cx.addr)))?;
        Ok(out.and_then(|o| o.nat_gateways().first().cloned()))
    }

    async fn wait_available(&self, cx: &Cx<'_>, id: &str, limit: Duration) -> Result<(), AwsError> {
        wait::until(cx.addr, "the NAT gateway to become available", cx.poll(), limit, || async {
            let g = self.describe(cx, id).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished while being created")))?;
            match g.state() {
                Some(NatGatewayState::Available) => Ok(Some(())),
                Some(NatGatewayState::Failed) => Err(AwsError::Failed {
                    addr: cx.addr.to_string(),
                    message: format!("NAT gateway {id} failed: {}: {}", g.failure_code().unwrap_or("?"), g.failure_message().unwrap_or("")),
                }),
                _ => Ok(None),
            }
        })
        .await
    }
}

#[async_trait]
impl Resource for NatGateway {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: timeouts(
                tagged(id())
                    .attr("allocation_id", Attribute::optional(Str).force_new())
                    .attr("subnet_id", Attribute::required(Str).force_new())
                    .attr("connectivity_type", Attribute::optional_computed(Str).force_new())
                    .attr("private_ip", Attribute::optional_computed(Str).force_new())
                    .attr("public_ip", Attribute::computed(Str))
                    .attr("network_interface_id", Attribute::computed(Str)),
                &["create", "update", "delete"],
            ),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("connectivity_type", Value::from("public"))]
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .create_nat_gateway()
                .subnet_id(get_str(p, "subnet_id").unwrap_or_default())
                .set_allocation_id(get_str(p, "allocation_id").map(str::to_string))
                .connectivity_type(ConnectivityType::from(get_str(p, "connectivity_type").unwrap_or("public")))
                .set_private_ip_address(get_str(p, "private_ip").map(str::to_string))
                .tag_specifications(tag_spec(cx, ResourceType::Natgateway, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.nat_gateway().and_then(|g| g.nat_gateway_id()).ok_or_else(|| cx.invalid("CreateNatGateway returned no id"))?.to_string();
        self.wait_available(cx, &id, wait::timeout(p, "create", WAIT)).await?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(g) = self.describe(cx, id).await? else { return Ok(None) };
        if matches!(g.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting)) {
            return Ok(None);
        }
        let a = g.nat_gateway_addresses().first();
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("allocation_id", opt(a.and_then(|a| a.allocation_id()))),
            ("subnet_id", opt(g.subnet_id())),
            ("connectivity_type", opt(g.connectivity_type().map(|c| c.as_str()))),
            ("private_ip", opt(a.and_then(|a| a.private_ip()))),
            ("public_ip", opt(a.and_then(|a| a.public_ip()))),
            ("network_interface_id", opt(a.and_then(|a| a.network_interface_id()))),
            ("tags_all", tags_value(g.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        if absent(cx.c.ec2.delete_nat_gateway().nat_gateway_id(id).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, "the NAT gateway to be deleted", cx.poll(), wait::timeout(prior, "delete", WAIT), || async {
            Ok(match self.describe(cx, id).await? {
                None => Some(()),
                Some(g) if g.state() == Some(&NatGatewayState::Deleted) => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out =
            cx.c.ec2
                .describe_nat_gateways()
                .filter(owner_filter(cx))
                .filter(aws_sdk_ec2::types::Filter::builder().name("state").values("pending").values("available").build())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        match out.nat_gateways().first().and_then(|g| g.nat_gateway_id()) {
            Some(id) => {
                self.wait_available(cx, id, wait::timeout(planned, "create", WAIT)).await?;
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
