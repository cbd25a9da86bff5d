//! `aws_vpc`: DNS support and hostnames and tags update in place; the CIDR
//! block and tenancy force replacement.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Tenancy, VpcAttributeName};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct Vpc;

async fn set_dns(cx: &Cx<'_>, id: &str, support: Option<bool>, hostnames: Option<bool>) -> Result<(), AwsError> {
    if let Some(b) = support {
        cx.c.ec2.modify_vpc_attribute().vpc_id(id).enable_dns_support(AttributeBooleanValue::builder().value(b).build()).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = hostnames {
        cx.c.ec2
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
    let out = cx.c.ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(sdk(cx.addr))?;
    Ok(match name {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames().and_then(|a| a.value()),
        _ => out.enable_dns_support().and_then(|a| a.value()),
    })
}

#[async_trait]
impl Resource for Vpc {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("cidr_block", Attribute::required(Str).force_new())
                .attr("instance_tenancy", Attribute::optional_computed(Str).force_new())
                .attr("enable_dns_support", Attribute::optional_computed(Bool))
                .attr("enable_dns_hostnames", Attribute::optional_computed(Bool))
                .attr("main_route_table_id", Attribute::computed(Str))
                .attr("default_route_table_id", Attribute::computed(Str))
                .attr("default_security_group_id", Attribute::computed(Str))
                .attr("dhcp_options_id", Attribute::computed(Str))
                .attr("owner_id", Attribute::computed(Str)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("instance_tenancy", Value::from("default")), ("enable_dns_support", Value::Bool(true)), ("enable_dns_hostnames", Value::Bool(false))]
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .create_vpc()
                .cidr_block(get_str(p, "cidr_block").unwrap_or_default())
                .instance_tenancy(Tenancy::from(get_str(p, "instance_tenancy").unwrap_or("default")))
                .tag_specifications(tag_spec(cx, ResourceType::Vpc, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.vpc().and_then(|v| v.vpc_id()).ok_or_else(|| cx.invalid("CreateVpc returned no id"))?.to_string();
        // AWS creates VPCs with DNS support on and hostnames off.
        let support = get_bool(p, "enable_dns_support").filter(|b| !b);
        let hostnames = get_bool(p, "enable_dns_hostnames").filter(|b| *b);
        set_dns(cx, &id, support, hostnames).await?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("VPC {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        let changed = |k: &str| if get_bool(prior, k) != get_bool(p, k) { get_bool(p, k) } else { None };
        set_dns(cx, id, changed("enable_dns_support"), changed("enable_dns_hostnames")).await?;
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("VPC {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_vpcs().vpc_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(vpc) = out.vpcs().first() else { return Ok(None) };
        let owner = vpc.owner_id().unwrap_or_default();
        let main_rt =
            cx.c.ec2.describe_route_tables().filters(filter("vpc-id", id)).filters(filter("association.main", "true")).send().await.map_err(sdk(cx.addr))?;
        let main_rt = main_rt.route_tables().first().and_then(|r| r.route_table_id()).map(str::to_string);
        let sg =
            cx.c.ec2.describe_security_groups().filters(filter("vpc-id", id)).filters(filter("group-name", "default")).send().await.map_err(sdk(cx.addr))?;
        let sg = sg.security_groups().first().and_then(|g| g.group_id()).map(str::to_string);
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", arn(cx, owner, "vpc", id)),
            ("cidr_block", opt(vpc.cidr_block())),
            ("instance_tenancy", opt(vpc.instance_tenancy().map(|t| t.as_str()))),
            ("enable_dns_support", boolean(attribute(cx, id, VpcAttributeName::EnableDnsSupport).await?)),
            ("enable_dns_hostnames", boolean(attribute(cx, id, VpcAttributeName::EnableDnsHostnames).await?)),
            ("main_route_table_id", opt_string(main_rt.clone())),
            ("default_route_table_id", opt_string(main_rt)),
            ("default_security_group_id", opt_string(sg)),
            ("dhcp_options_id", opt(vpc.dhcp_options_id())),
            ("owner_id", Value::from(owner)),
            ("tags_all", tags_value(vpc.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        crate::wait::retry_while(cx.addr, "the VPC's dependencies to go", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.delete_vpc().vpc_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_vpcs().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.vpcs().first().and_then(|v| v.vpc_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
