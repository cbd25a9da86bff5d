//! `aws_internet_gateway`: attached to `vpc_id` (moving it detaches and
//! attaches); tags update in place.

use aws_sdk_ec2::types::ResourceType;
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct InternetGatewayModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional)]
    vpc_id: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct InternetGateway;

async fn attach(cx: &Cx<'_>, id: &str, vpc: &str) -> Result<(), AwsError> {
    cx.c().ec2.attach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map_err(sdk(cx.addr)).map(|_| ())
}

async fn detach(cx: &Cx<'_>, id: &str, vpc: &str) -> Result<(), AwsError> {
    // A detach waits out public addresses still mapped in the VPC.
    delete_retrying(cx, "the gateway to be detachable", || async {
        cx.c().ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await.map_err(sdk(cx.addr)).map(|_| ())
    })
    .await
}

#[async_trait]
impl Resource<Aws> for InternetGateway {
    type Model = InternetGatewayModel;
    const TYPE: &'static str = "aws_internet_gateway";

    async fn create(&self, cx: &Cx<'_>, p: InternetGatewayModel) -> Result<InternetGatewayModel, AwsError> {
        let out =
            cx.c().ec2.create_internet_gateway().tag_specifications(tag_spec(cx, ResourceType::InternetGateway, &p.tags)).send().await.map_err(sdk(cx.addr))?;
        let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).ok_or_else(|| cx.invalid("CreateInternetGateway returned no id"))?.to_string();
        if let Some(vpc) = &p.vpc_id {
            attach(cx, &id, vpc).await?;
        }
        self.read(cx, InternetGatewayModel { id: Some(id.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("internet gateway {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: InternetGatewayModel, p: InternetGatewayModel) -> Result<InternetGatewayModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        if prior.vpc_id != p.vpc_id {
            if let Some(o) = &prior.vpc_id {
                detach(cx, id, o).await?;
            }
            if let Some(n) = &p.vpc_id {
                attach(cx, id, n).await?;
            }
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("internet gateway {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: InternetGatewayModel) -> Result<Option<InternetGatewayModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_internet_gateways().internet_gateway_ids(id).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let Some(g) = out.internet_gateways().first() else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        let vpc = g.attachments().iter().find(|a| a.state().is_some_and(|s| s.as_str() == "available" || s.as_str() == "attached")).and_then(|a| a.vpc_id());
        Ok(Some(InternetGatewayModel {
            id: Some(id.to_string()),
            arn: Some(arn(cx, owner, "internet-gateway", id)),
            vpc_id: vpc.map(str::to_string),
            owner_id: Some(owner.to_string()),
            tags: tags_of(g.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: InternetGatewayModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        if let Some(cur) = self.read(cx, prior.clone()).await? {
            if let Some(vpc) = &cur.vpc_id {
                detach(cx, id, vpc).await?;
            }
        }
        delete_retrying(cx, "the gateway's dependencies to go", || async {
            cx.c().ec2.delete_internet_gateway().internet_gateway_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: InternetGatewayModel) -> Result<Option<InternetGatewayModel>, AwsError> {
        let out = cx.c().ec2.describe_internet_gateways().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.internet_gateways().first().and_then(|g| g.internet_gateway_id()) {
            Some(id) => self.read(cx, InternetGatewayModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
