//! `aws_subnet`: `map_public_ip_on_launch` and tags update in place; the
//! VPC, CIDR block and availability zone force replacement.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct SubnetModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    vpc_id: String,
    #[sdk(required, force_new)]
    cidr_block: String,
    #[sdk(optional, computed, force_new)]
    availability_zone: Option<String>,
    #[sdk(computed)]
    availability_zone_id: Option<String>,
    #[sdk(optional, computed, default = false)]
    map_public_ip_on_launch: Option<bool>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct Subnet;

async fn set_public_ip(cx: &Cx<'_>, id: &str, b: bool) -> Result<(), AwsError> {
    cx.c()
        .ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
        .send()
        .await
        .map_err(sdk(cx.addr))
        .map(|_| ())
}

#[async_trait]
impl Resource<Aws> for Subnet {
    type Model = SubnetModel;
    const TYPE: &'static str = "aws_subnet";

    async fn create(&self, cx: &Cx<'_>, p: SubnetModel) -> Result<SubnetModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_subnet()
            .vpc_id(&p.vpc_id)
            .cidr_block(&p.cidr_block)
            .set_availability_zone(p.availability_zone.clone())
            .tag_specifications(tag_spec(cx, ResourceType::Subnet, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.subnet().and_then(|s| s.subnet_id()).ok_or_else(|| cx.invalid("CreateSubnet returned no id"))?.to_string();
        if p.map_public_ip_on_launch == Some(true) {
            set_public_ip(cx, &id, true).await?;
        }
        self.read(cx, SubnetModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: SubnetModel, p: SubnetModel) -> Result<SubnetModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        if let Some(b) = p.map_public_ip_on_launch.filter(|b| Some(*b) != prior.map_public_ip_on_launch) {
            set_public_ip(cx, id, b).await?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: SubnetModel) -> Result<Option<SubnetModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_subnets().subnet_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(s) = out.subnets().first() else { return Ok(None) };
        let owner = s.owner_id().unwrap_or_default();
        Ok(Some(SubnetModel {
            id: Some(id.to_string()),
            arn: Some(s.subnet_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "subnet", id))),
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr_block: s.cidr_block().unwrap_or_default().to_string(),
            availability_zone: s.availability_zone().map(str::to_string),
            availability_zone_id: s.availability_zone_id().map(str::to_string),
            map_public_ip_on_launch: Some(s.map_public_ip_on_launch().unwrap_or(false)),
            owner_id: Some(owner.to_string()),
            tags: tags_of(s.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: SubnetModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        delete_retrying(cx, "the subnet's dependencies to go", || async {
            cx.c().ec2.delete_subnet().subnet_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: SubnetModel) -> Result<Option<SubnetModel>, AwsError> {
        let out = cx.c().ec2.describe_subnets().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.subnets().first().and_then(|s| s.subnet_id()) {
            Some(id) => self.read(cx, SubnetModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
