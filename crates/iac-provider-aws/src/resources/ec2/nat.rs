//! `aws_nat_gateway`: created in a subnet with an Elastic IP, then waited
//! for until `available` (a `failed` one is reported with AWS's reason);
//! deleting waits until it is `deleted`. Tags update in place.

use std::time::Duration;

use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, timeout, Timeouts};
use crate::{wait, Aws};

#[derive(Model, Debug, Clone, Default)]
pub struct NatGatewayModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional, force_new)]
    allocation_id: Option<String>,
    #[sdk(required, force_new)]
    subnet_id: String,
    #[sdk(optional, computed, force_new, default = "public")]
    connectivity_type: Option<String>,
    #[sdk(optional, computed, force_new)]
    private_ip: Option<String>,
    #[sdk(computed)]
    public_ip: Option<String>,
    #[sdk(computed)]
    network_interface_id: Option<String>,
    /// the Elastic IP's association with the gateway
    #[sdk(computed)]
    association_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct NatGateway;

const WAIT: Duration = Duration::from_secs(10 * 60);

async fn describe(cx: &Cx<'_>, id: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, AwsError> {
    let out = absent(cx.c().ec2.describe_nat_gateways().nat_gateway_ids(id).send().await.map_err(sdk(cx.addr)))?;
    Ok(out.and_then(|o| o.nat_gateways().first().cloned()))
}

async fn wait_available(cx: &Cx<'_>, id: &str, limit: Duration) -> Result<(), AwsError> {
    wait::until(cx.addr, "the NAT gateway to become available", cx.poll(), limit, || async {
        let g = describe(cx, id).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished while being created")))?;
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

#[async_trait]
impl Resource<Aws> for NatGateway {
    type Model = NatGatewayModel;
    const TYPE: &'static str = "aws_nat_gateway";

    async fn create(&self, cx: &Cx<'_>, p: NatGatewayModel) -> Result<NatGatewayModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_nat_gateway()
            .subnet_id(&p.subnet_id)
            .set_allocation_id(p.allocation_id.clone())
            .connectivity_type(ConnectivityType::from(p.connectivity_type.as_deref().unwrap_or("public")))
            .set_private_ip_address(p.private_ip.clone())
            .tag_specifications(tag_spec(cx, ResourceType::Natgateway, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.nat_gateway().and_then(|g| g.nat_gateway_id()).ok_or_else(|| cx.invalid("CreateNatGateway returned no id"))?.to_string();
        wait_available(cx, &id, timeout(&p.timeouts, "create", WAIT)).await?;
        self.read(cx, NatGatewayModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: NatGatewayModel, p: NatGatewayModel) -> Result<NatGatewayModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("NAT gateway {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: NatGatewayModel) -> Result<Option<NatGatewayModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(g) = describe(cx, id).await? else { return Ok(None) };
        if matches!(g.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting)) {
            return Ok(None);
        }
        // The primary address (upstream reads that one), else the first.
        let addresses = g.nat_gateway_addresses();
        let a = addresses.iter().find(|a| a.is_primary() == Some(true)).or(addresses.first());
        Ok(Some(NatGatewayModel {
            id: Some(id.to_string()),
            allocation_id: a.and_then(|a| a.allocation_id()).map(str::to_string),
            subnet_id: g.subnet_id().unwrap_or_default().to_string(),
            connectivity_type: g.connectivity_type().map(|c| c.as_str().to_string()),
            private_ip: a.and_then(|a| a.private_ip()).map(str::to_string),
            public_ip: a.and_then(|a| a.public_ip()).map(str::to_string),
            network_interface_id: a.and_then(|a| a.network_interface_id()).map(str::to_string),
            association_id: a.and_then(|a| a.association_id()).map(str::to_string),
            tags: tags_of(g.tags()),
            timeouts: None,
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: NatGatewayModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        if absent(cx.c().ec2.delete_nat_gateway().nat_gateway_id(id).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, "the NAT gateway to be deleted", cx.poll(), timeout(&prior.timeouts, "delete", WAIT), || async {
            Ok(match describe(cx, id).await? {
                None => Some(()),
                Some(g) if g.state() == Some(&NatGatewayState::Deleted) => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: NatGatewayModel) -> Result<Option<NatGatewayModel>, AwsError> {
        let out = cx
            .c()
            .ec2
            .describe_nat_gateways()
            .filter(owner_filter(cx))
            .filter(aws_sdk_ec2::types::Filter::builder().name("state").values("pending").values("available").build())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        match out.nat_gateways().first().and_then(|g| g.nat_gateway_id()) {
            Some(id) => {
                wait_available(cx, id, timeout(&planned.timeouts, "create", WAIT)).await?;
                self.read(cx, NatGatewayModel { id: Some(id.to_string()), ..planned }).await
            }
            None => Ok(None),
        }
    }
}
