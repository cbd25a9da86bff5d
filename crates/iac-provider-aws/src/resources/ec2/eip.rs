//! `aws_eip`: an Elastic IP in the VPC domain (`domain = "vpc"`, or the
//! deprecated `vpc = true`), optionally associated with an instance or a
//! network interface (changed in place: disassociate, associate); tags
//! update in place. An association the configuration does not name (a NAT
//! gateway's) stays out of `instance`/`network_interface` (null), so it is
//! no drift. Releasing waits while a NAT gateway being deleted
//! still holds it.

use aws_sdk_ec2::types::{DomainType, ResourceType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, Timeouts};
use crate::values::set;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct EipModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    /// a specific address from an address pool
    #[sdk(optional, force_new)]
    address: Option<String>,
    #[sdk(computed)]
    allocation_id: Option<String>,
    #[sdk(optional)]
    associate_with_private_ip: Option<String>,
    #[sdk(computed)]
    association_id: Option<String>,
    #[sdk(computed)]
    carrier_ip: Option<String>,
    #[sdk(computed)]
    customer_owned_ip: Option<String>,
    #[sdk(optional, force_new)]
    customer_owned_ipv4_pool: Option<String>,
    #[sdk(optional, computed, force_new)]
    domain: Option<String>,
    #[sdk(optional, computed)]
    instance: Option<String>,
    #[sdk(optional, force_new)]
    ipam_pool_id: Option<String>,
    #[sdk(optional, computed, force_new)]
    network_border_group: Option<String>,
    #[sdk(optional, computed)]
    network_interface: Option<String>,
    #[sdk(computed)]
    private_dns: Option<String>,
    #[sdk(computed)]
    private_ip: Option<String>,
    #[sdk(computed)]
    ptr_record: Option<String>,
    #[sdk(computed)]
    public_dns: Option<String>,
    #[sdk(computed)]
    public_ip: Option<String>,
    #[sdk(optional, computed, force_new)]
    public_ipv4_pool: Option<String>,
    /// deprecated: `domain = "vpc"`
    #[sdk(optional, computed, force_new)]
    vpc: Option<bool>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct Eip;

/// `ec2-1-2-3-4.compute-1.amazonaws.com` (us-east-1), else with the region.
fn public_dns(region: &str, ip: &str) -> String {
    let host = format!("ec2-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.compute-1.amazonaws.com")
    } else {
        format!("{host}.{region}.compute.amazonaws.com")
    }
}

fn private_dns(region: &str, ip: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    }
}

async fn associate(cx: &Cx<'_>, id: &str, p: &EipModel) -> Result<(), AwsError> {
    if p.instance.is_none() && p.network_interface.is_none() {
        return Ok(());
    }
    cx.c()
        .ec2
        .associate_address()
        .allocation_id(id)
        .set_instance_id(p.instance.clone().filter(|i| !i.is_empty()))
        .set_network_interface_id(p.network_interface.clone().filter(|i| !i.is_empty()))
        .set_private_ip_address(p.associate_with_private_ip.clone())
        .allow_reassociation(true)
        .send()
        .await
        .map_err(sdk(cx.addr))?;
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Eip {
    type Model = EipModel;
    const TYPE: &'static str = "aws_eip";

    /// An import reads the address's association too.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("instance", Value::from("")), ("network_interface", Value::from(""))])
    }

    async fn modify_plan(
        &self,
        cx: &Cx<'_>,
        _prior: Option<&Value>,
        planned: &mut Value,
        _replace: &mut Vec<iac_provider_sdk::AttrPath>,
    ) -> Result<(), AwsError> {
        // `vpc = true` is `domain = "vpc"`, and each follows the other.
        match (planned.get("vpc").and_then(Value::as_bool), planned.get("domain").and_then(Value::as_str)) {
            (Some(false), Some("vpc")) => return Err(cx.invalid("vpc = false conflicts with domain = \"vpc\"")),
            (Some(true), None) => set(planned, "domain", Value::from("vpc")),
            (None, Some(d)) => {
                let vpc = Value::Bool(d == "vpc");
                set(planned, "vpc", vpc)
            }
            _ => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: EipModel) -> Result<EipModel, AwsError> {
        let domain = match (p.domain.as_deref(), p.vpc) {
            (Some(d), _) => d.to_string(),
            (None, Some(false)) => "standard".into(),
            _ => "vpc".into(),
        };
        let out = cx
            .c()
            .ec2
            .allocate_address()
            .domain(DomainType::from(domain.as_str()))
            .set_address(p.address.clone())
            .set_network_border_group(p.network_border_group.clone())
            .set_public_ipv4_pool(p.public_ipv4_pool.clone())
            .set_customer_owned_ipv4_pool(p.customer_owned_ipv4_pool.clone())
            .set_ipam_pool_id(p.ipam_pool_id.clone())
            .tag_specifications(tag_spec(cx, ResourceType::ElasticIp, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.allocation_id().ok_or_else(|| cx.invalid("AllocateAddress returned no allocation id"))?.to_string();
        associate(cx, &id, &p).await?;
        self.read(cx, EipModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: EipModel, p: EipModel) -> Result<EipModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        let moved =
            prior.instance != p.instance || prior.network_interface != p.network_interface || prior.associate_with_private_ip != p.associate_with_private_ip;
        if moved {
            if let Some(a) = prior.association_id.as_deref().filter(|a| !a.is_empty()) {
                absent(cx.c().ec2.disassociate_address().association_id(a).send().await.map_err(sdk(cx.addr)))?;
            }
            associate(cx, id, &p).await?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: EipModel) -> Result<Option<EipModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_addresses().allocation_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(a) = out.addresses().first() else { return Ok(None) };
        let region = cx.c().region.clone();
        let e = |x: Option<&str>| Some(x.unwrap_or_default().to_string());
        let public = a.public_ip().unwrap_or_default();
        let private = a.private_ip_address().unwrap_or_default();
        let domain = a.domain().map(|d| d.as_str().to_string());
        Ok(Some(EipModel {
            id: Some(id.to_string()),
            arn: Some(format!("arn:aws:ec2:{region}:{}:elastic-ip/{id}", a.network_interface_owner_id().unwrap_or_default())),
            allocation_id: a.allocation_id().map(str::to_string),
            association_id: e(a.association_id()),
            carrier_ip: e(a.carrier_ip()),
            customer_owned_ip: e(a.customer_owned_ip()),
            customer_owned_ipv4_pool: a.customer_owned_ipv4_pool().map(str::to_string).or(current.customer_owned_ipv4_pool),
            vpc: Some(domain.as_deref() == Some("vpc")),
            domain,
            // Where the configuration names no association (null in state),
            // one made by another resource (a NAT gateway's) is no drift.
            instance: current.instance.as_ref().and(e(a.instance_id())),
            // Not every API reports it: then the known current value stays.
            network_border_group: a.network_border_group().map(str::to_string).or(current.network_border_group).or(Some(String::new())),
            network_interface: current.network_interface.as_ref().and(e(a.network_interface_id())),
            private_dns: Some(private).filter(|p| !p.is_empty()).map(|p| private_dns(&region, p)),
            private_ip: Some(private.to_string()),
            ptr_record: Some(current.ptr_record.unwrap_or_default()),
            public_dns: Some(public).filter(|p| !p.is_empty()).map(|p| public_dns(&region, p)),
            public_ip: Some(public.to_string()),
            public_ipv4_pool: Some(a.public_ipv4_pool().unwrap_or_default().to_string()),
            tags: tags_of(a.tags()),
            ..current
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: EipModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        if let Some(a) = prior.association_id.as_deref().filter(|a| !a.is_empty()) {
            absent(cx.c().ec2.disassociate_address().association_id(a).send().await.map_err(sdk(cx.addr)))?;
        }
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
