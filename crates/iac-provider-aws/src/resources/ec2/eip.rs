//! `aws_eip`: an Elastic IP in the VPC domain; tags update in place.
//! Releasing waits while a NAT gateway being deleted still holds it.

use aws_sdk_ec2::types::{DomainType, ResourceType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct EipModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    allocation_id: Option<String>,
    #[sdk(computed)]
    association_id: Option<String>,
    #[sdk(computed)]
    public_ip: Option<String>,
    #[sdk(optional, computed, force_new, default = "vpc")]
    domain: Option<String>,
    #[sdk(optional, computed, force_new)]
    network_border_group: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct Eip;

#[async_trait]
impl Resource<Aws> for Eip {
    type Model = EipModel;
    const TYPE: &'static str = "aws_eip";

    async fn create(&self, cx: &Cx<'_>, p: EipModel) -> Result<EipModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .allocate_address()
            .domain(DomainType::from(p.domain.as_deref().unwrap_or("vpc")))
            .set_network_border_group(p.network_border_group.clone())
            .tag_specifications(tag_spec(cx, ResourceType::ElasticIp, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.allocation_id().ok_or_else(|| cx.invalid("AllocateAddress returned no allocation id"))?.to_string();
        self.read(cx, EipModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: EipModel, p: EipModel) -> Result<EipModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: EipModel) -> Result<Option<EipModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_addresses().allocation_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(a) = out.addresses().first() else { return Ok(None) };
        Ok(Some(EipModel {
            id: Some(id.to_string()),
            allocation_id: a.allocation_id().map(str::to_string),
            association_id: a.association_id().map(str::to_string),
            public_ip: a.public_ip().map(str::to_string),
            domain: a.domain().map(|d| d.as_str().to_string()),
            // Not every API reports it: then the known current value stays.
            network_border_group: a.network_border_group().map(str::to_string).or(current.network_border_group),
            tags: tags_of(a.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: EipModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        delete_retrying(cx, "the address to be released by its NAT gateway", || async {
            cx.c().ec2.release_address().allocation_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: EipModel) -> Result<Option<EipModel>, AwsError> {
        let out = cx.c().ec2.describe_addresses().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.addresses().first().and_then(|a| a.allocation_id()) {
            Some(id) => self.read(cx, EipModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
