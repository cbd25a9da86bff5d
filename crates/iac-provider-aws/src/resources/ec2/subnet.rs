//! `aws_subnet`: the launch settings (public IPs, IPv6 addresses, DNS64,
//! resource-name DNS records, hostname type, customer-owned IPs, the LNI
//! device index), the IPv6 block and tags update in place; the VPC, CIDR
//! block, availability zone (by name or id), IPv6-native and Outpost force
//! replacement.

use aws_sdk_ec2::types::{AttributeBooleanValue, HostnameType, ResourceType, Subnet as AwsSubnet};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, timeout, Timeouts};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct SubnetModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    vpc_id: String,
    #[sdk(optional, force_new)]
    cidr_block: Option<String>,
    #[sdk(optional, computed, force_new)]
    availability_zone: Option<String>,
    #[sdk(optional, computed, force_new)]
    availability_zone_id: Option<String>,
    #[sdk(optional, computed, default = false)]
    map_public_ip_on_launch: Option<bool>,
    #[sdk(optional, computed, default = false)]
    assign_ipv6_address_on_creation: Option<bool>,
    #[sdk(optional)]
    customer_owned_ipv4_pool: Option<String>,
    #[sdk(optional, computed, default = false)]
    enable_dns64: Option<bool>,
    #[sdk(optional, computed)]
    enable_lni_at_device_index: Option<i64>,
    #[sdk(optional, computed, default = false)]
    enable_resource_name_dns_a_record_on_launch: Option<bool>,
    #[sdk(optional, computed, default = false)]
    enable_resource_name_dns_aaaa_record_on_launch: Option<bool>,
    #[sdk(optional)]
    ipv6_cidr_block: Option<String>,
    #[sdk(computed)]
    ipv6_cidr_block_association_id: Option<String>,
    #[sdk(optional, computed, force_new, default = false)]
    ipv6_native: Option<bool>,
    #[sdk(optional)]
    map_customer_owned_ip_on_launch: Option<bool>,
    #[sdk(optional, force_new)]
    outpost_arn: Option<String>,
    /// ip-name or resource-name
    #[sdk(optional, computed)]
    private_dns_hostname_type_on_launch: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

/// What a subnet reports beyond its identity, as upstream stores it
/// (empty strings and zeros where AWS says nothing).
pub struct Facts {
    pub assign_ipv6_address_on_creation: bool,
    pub customer_owned_ipv4_pool: String,
    pub enable_dns64: bool,
    pub enable_lni_at_device_index: i64,
    pub dns_a: bool,
    pub dns_aaaa: bool,
    pub ipv6_cidr_block: String,
    pub ipv6_cidr_block_association_id: String,
    pub ipv6_native: bool,
    pub map_customer_owned_ip_on_launch: bool,
    pub outpost_arn: String,
    pub private_dns_hostname_type_on_launch: String,
}

impl Facts {
    pub fn of(s: &AwsSubnet) -> Facts {
        let dns = s.private_dns_name_options_on_launch();
        let ipv6 = s
            .ipv6_cidr_block_association_set()
            .iter()
            .find(|a| a.ipv6_cidr_block_state().and_then(|st| st.state()).is_none_or(|st| matches!(st.as_str(), "associated" | "associating")));
        Facts {
            assign_ipv6_address_on_creation: s.assign_ipv6_address_on_creation().unwrap_or(false),
            customer_owned_ipv4_pool: s.customer_owned_ipv4_pool().unwrap_or_default().to_string(),
            enable_dns64: s.enable_dns64().unwrap_or(false),
            enable_lni_at_device_index: i64::from(s.enable_lni_at_device_index().unwrap_or(0)),
            dns_a: dns.and_then(|d| d.enable_resource_name_dns_a_record()).unwrap_or(false),
            dns_aaaa: dns.and_then(|d| d.enable_resource_name_dns_aaaa_record()).unwrap_or(false),
            ipv6_cidr_block: ipv6.and_then(|a| a.ipv6_cidr_block()).unwrap_or_default().to_string(),
            ipv6_cidr_block_association_id: ipv6.and_then(|a| a.association_id()).unwrap_or_default().to_string(),
            ipv6_native: s.ipv6_native().unwrap_or(false),
            map_customer_owned_ip_on_launch: s.map_customer_owned_ip_on_launch().unwrap_or(false),
            outpost_arn: s.outpost_arn().unwrap_or_default().to_string(),
            private_dns_hostname_type_on_launch: dns.and_then(|d| d.hostname_type()).map(|h| h.as_str().to_string()).unwrap_or_else(|| "ip-name".into()),
        }
    }
}

pub struct Subnet;

fn flag(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

/// Sets each launch setting that differs from `prior` (all of them on a create).
async fn set_attributes(cx: &Cx<'_>, id: &str, prior: Option<&SubnetModel>, p: &SubnetModel) -> Result<(), AwsError> {
    let ec2 = &cx.c().ec2;
    let changed_bool = |new: Option<bool>, old: Option<bool>, default: bool| match prior {
        Some(_) => new.filter(|n| Some(*n) != old),
        None => new.filter(|n| *n != default),
    };
    let modify = || ec2.modify_subnet_attribute().subnet_id(id);
    let get = |f: fn(&SubnetModel) -> Option<bool>| prior.and_then(f);
    if let Some(b) = changed_bool(p.map_public_ip_on_launch, get(|m| m.map_public_ip_on_launch), false) {
        modify().map_public_ip_on_launch(flag(b)).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = changed_bool(p.assign_ipv6_address_on_creation, get(|m| m.assign_ipv6_address_on_creation), false) {
        modify().assign_ipv6_address_on_creation(flag(b)).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = changed_bool(p.enable_dns64, get(|m| m.enable_dns64), false) {
        modify().enable_dns64(flag(b)).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = changed_bool(p.enable_resource_name_dns_a_record_on_launch, get(|m| m.enable_resource_name_dns_a_record_on_launch), false) {
        modify().enable_resource_name_dns_a_record_on_launch(flag(b)).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = changed_bool(p.enable_resource_name_dns_aaaa_record_on_launch, get(|m| m.enable_resource_name_dns_aaaa_record_on_launch), false) {
        modify().enable_resource_name_dns_aaaa_record_on_launch(flag(b)).send().await.map_err(sdk(cx.addr))?;
    }
    if let Some(b) = changed_bool(p.map_customer_owned_ip_on_launch, get(|m| m.map_customer_owned_ip_on_launch), false) {
        modify()
            .map_customer_owned_ip_on_launch(flag(b))
            .set_customer_owned_ipv4_pool(p.customer_owned_ipv4_pool.clone())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
    }
    if let Some(h) = p.private_dns_hostname_type_on_launch.as_ref().filter(|h| prior.is_none_or(|o| o.private_dns_hostname_type_on_launch.as_ref() != Some(*h)))
    {
        if prior.is_some() || h.as_str() != "ip-name" {
            modify().private_dns_hostname_type_on_launch(HostnameType::from(h.as_str())).send().await.map_err(sdk(cx.addr))?;
        }
    }
    if let Some(n) = p.enable_lni_at_device_index.filter(|n| *n > 0 && prior.is_none_or(|o| o.enable_lni_at_device_index != Some(*n))) {
        modify().enable_lni_at_device_index(n as i32).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Subnet {
    type Model = SubnetModel;
    const TYPE: &'static str = "aws_subnet";
    const VERSION: u64 = 1;

    async fn create(&self, cx: &Cx<'_>, p: SubnetModel) -> Result<SubnetModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_subnet()
            .vpc_id(&p.vpc_id)
            .set_cidr_block(p.cidr_block.clone())
            .set_availability_zone(p.availability_zone.clone())
            .set_availability_zone_id(p.availability_zone_id.clone())
            .set_ipv6_cidr_block(p.ipv6_cidr_block.clone())
            .set_ipv6_native(p.ipv6_native.filter(|b| *b))
            .set_outpost_arn(p.outpost_arn.clone())
            .tag_specifications(tag_spec(cx, ResourceType::Subnet, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.subnet().and_then(|s| s.subnet_id()).ok_or_else(|| cx.invalid("CreateSubnet returned no id"))?.to_string();
        let limit = timeout(&p.timeouts, "create", std::time::Duration::from_secs(10 * 60));
        crate::wait::until(cx.addr, "the subnet to become available", cx.poll(), limit, || async {
            let out = absent(cx.c().ec2.describe_subnets().subnet_ids(&id).send().await.map_err(sdk(cx.addr)))?;
            Ok(out.and_then(|o| o.subnets().first().map(|s| s.state().is_none_or(|st| st.as_str() == "available"))).filter(|a| *a).map(|_| ()))
        })
        .await?;
        // Set what differs from the subnet as created (an emulator may not start from AWS's defaults).
        let created = self
            .read(cx, SubnetModel { id: Some(id.clone()), ..p.clone() })
            .await?
            .ok_or_else(|| cx.invalid(format!("subnet {id} vanished after its create")))?;
        set_attributes(cx, &id, Some(&created), &p).await?;
        self.read(cx, SubnetModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: SubnetModel, p: SubnetModel) -> Result<SubnetModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        if prior.ipv6_cidr_block != p.ipv6_cidr_block {
            if let Some(a) = prior.ipv6_cidr_block_association_id.as_deref().filter(|a| !a.is_empty()) {
                cx.c().ec2.disassociate_subnet_cidr_block().association_id(a).send().await.map_err(sdk(cx.addr))?;
            }
            if let Some(b) = &p.ipv6_cidr_block {
                cx.c().ec2.associate_subnet_cidr_block().subnet_id(id).ipv6_cidr_block(b).send().await.map_err(sdk(cx.addr))?;
            }
        }
        set_attributes(cx, id, Some(&prior), &p).await?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("subnet {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: SubnetModel) -> Result<Option<SubnetModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_subnets().subnet_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(s) = out.subnets().first() else { return Ok(None) };
        let owner = s.owner_id().unwrap_or_default();
        let f = Facts::of(s);
        let some = |v: String| Some(v).filter(|v| !v.is_empty());
        Ok(Some(SubnetModel {
            id: Some(id.to_string()),
            arn: Some(s.subnet_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "subnet", id))),
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            cidr_block: s.cidr_block().map(str::to_string),
            availability_zone: s.availability_zone().map(str::to_string),
            availability_zone_id: s.availability_zone_id().map(str::to_string),
            map_public_ip_on_launch: Some(s.map_public_ip_on_launch().unwrap_or(false)),
            assign_ipv6_address_on_creation: Some(f.assign_ipv6_address_on_creation),
            customer_owned_ipv4_pool: some(f.customer_owned_ipv4_pool),
            enable_dns64: Some(f.enable_dns64),
            enable_lni_at_device_index: Some(f.enable_lni_at_device_index),
            enable_resource_name_dns_a_record_on_launch: Some(f.dns_a),
            enable_resource_name_dns_aaaa_record_on_launch: Some(f.dns_aaaa),
            ipv6_cidr_block: some(f.ipv6_cidr_block),
            ipv6_cidr_block_association_id: Some(f.ipv6_cidr_block_association_id),
            ipv6_native: Some(f.ipv6_native),
            // Without a customer-owned pool the setting is always off: as configured.
            map_customer_owned_ip_on_launch: current.map_customer_owned_ip_on_launch.map(|_| f.map_customer_owned_ip_on_launch),
            outpost_arn: some(f.outpost_arn),
            private_dns_hostname_type_on_launch: Some(f.private_dns_hostname_type_on_launch),
            owner_id: Some(owner.to_string()),
            tags: tags_of(s.tags()),
            timeouts: current.timeouts,
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
