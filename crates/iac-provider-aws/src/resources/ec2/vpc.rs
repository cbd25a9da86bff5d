//! `aws_vpc`: DNS support and hostnames and tags update in place; the CIDR
//! block and tenancy force replacement.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Tenancy, VpcAttributeName};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct VpcModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    cidr_block: String,
    #[sdk(optional, computed, force_new, default = "default")]
    instance_tenancy: Option<String>,
    #[sdk(optional, computed, default = true)]
    enable_dns_support: Option<bool>,
    #[sdk(optional, computed, default = false)]
    enable_dns_hostnames: Option<bool>,
    #[sdk(computed)]
    main_route_table_id: Option<String>,
    #[sdk(computed)]
    default_route_table_id: Option<String>,
    #[sdk(computed)]
    default_security_group_id: Option<String>,
    /// the ACL EC2 made with the VPC
    #[sdk(computed)]
    default_network_acl_id: Option<String>,
    #[sdk(computed)]
    dhcp_options_id: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct Vpc;

async fn set_dns(cx: &Cx<'_>, id: &str, support: Option<bool>, hostnames: Option<bool>) -> Result<(), AwsError> {
    if let Some(b) = support {
        cx.c()
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
    }
    if let Some(b) = hostnames {
        cx.c()
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
    }
    Ok(())
}

async fn attribute(cx: &Cx<'_>, id: &str, name: VpcAttributeName) -> Result<Option<bool>, AwsError> {
    let out = cx.c().ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(sdk(cx.addr))?;
    Ok(match name {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames().and_then(|a| a.value()),
        _ => out.enable_dns_support().and_then(|a| a.value()),
    })
}

#[async_trait]
impl Resource<Aws> for Vpc {
    type Model = VpcModel;
    const TYPE: &'static str = "aws_vpc";

    async fn create(&self, cx: &Cx<'_>, p: VpcModel) -> Result<VpcModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_vpc()
            .cidr_block(&p.cidr_block)
            .instance_tenancy(Tenancy::from(p.instance_tenancy.as_deref().unwrap_or("default")))
            .tag_specifications(tag_spec(cx, ResourceType::Vpc, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.vpc().and_then(|v| v.vpc_id()).ok_or_else(|| cx.invalid("CreateVpc returned no id"))?.to_string();
        // AWS creates VPCs with DNS support on and hostnames off.
        set_dns(cx, &id, p.enable_dns_support.filter(|b| !b), p.enable_dns_hostnames.filter(|b| *b)).await?;
        self.read(cx, VpcModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("VPC {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: VpcModel, p: VpcModel) -> Result<VpcModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        let changed = |old: Option<bool>, new: Option<bool>| if old != new { new } else { None };
        set_dns(cx, id, changed(prior.enable_dns_support, p.enable_dns_support), changed(prior.enable_dns_hostnames, p.enable_dns_hostnames)).await?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("VPC {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: VpcModel) -> Result<Option<VpcModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_vpcs().vpc_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(vpc) = out.vpcs().first() else { return Ok(None) };
        let owner = vpc.owner_id().unwrap_or_default();
        let main_rt =
            cx.c().ec2.describe_route_tables().filters(filter("vpc-id", id)).filters(filter("association.main", "true")).send().await.map_err(sdk(cx.addr))?;
        let main_rt = main_rt.route_tables().first().and_then(|r| r.route_table_id()).map(str::to_string);
        let sg =
            cx.c().ec2.describe_security_groups().filters(filter("vpc-id", id)).filters(filter("group-name", "default")).send().await.map_err(sdk(cx.addr))?;
        let acl = cx.c().ec2.describe_network_acls().filters(filter("vpc-id", id)).filters(filter("default", "true")).send().await.map_err(sdk(cx.addr))?;
        Ok(Some(VpcModel {
            id: Some(id.to_string()),
            arn: Some(arn(cx, owner, "vpc", id)),
            cidr_block: vpc.cidr_block().unwrap_or_default().to_string(),
            instance_tenancy: vpc.instance_tenancy().map(|t| t.as_str().to_string()),
            enable_dns_support: attribute(cx, id, VpcAttributeName::EnableDnsSupport).await?,
            enable_dns_hostnames: attribute(cx, id, VpcAttributeName::EnableDnsHostnames).await?,
            main_route_table_id: main_rt.clone(),
            default_route_table_id: main_rt,
            default_security_group_id: sg.security_groups().first().and_then(|g| g.group_id()).map(str::to_string),
            default_network_acl_id: acl.network_acls().first().and_then(|a| a.network_acl_id()).map(str::to_string),
            dhcp_options_id: vpc.dhcp_options_id().map(str::to_string),
            owner_id: Some(owner.to_string()),
            tags: tags_of(vpc.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: VpcModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        delete_retrying(cx, "the VPC's dependencies to go", || async { cx.c().ec2.delete_vpc().vpc_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ()) })
            .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: VpcModel) -> Result<Option<VpcModel>, AwsError> {
        let out = cx.c().ec2.describe_vpcs().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.vpcs().first().and_then(|v| v.vpc_id()) {
            Some(id) => self.read(cx, VpcModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
