//! `aws_vpc_endpoint`: a Gateway (S3, DynamoDB: routes in route tables)
//! or Interface endpoint (ENIs in subnets, security groups, private DNS).
//! Route tables, subnets, security groups, the policy and private DNS
//! change in place (ModifyVpcEndpoint); the VPC, service and type force
//! replacement. Creates and deletes wait for `available` and gone.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_ec2::types::{DnsOptionsSpecification, DnsRecordIpType, IpAddressType, ResourceType, SubnetConfiguration, VpcEndpointType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, timeout, Timeouts};
use crate::values::keep_equivalent_json;
use crate::{wait, Aws};

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct DnsEntry {
    #[sdk(computed)]
    dns_name: Option<String>,
    #[sdk(computed)]
    hosted_zone_id: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct DnsOptions {
    /// ipv4, dualstack, service-defined or ipv6
    #[sdk(optional, computed)]
    dns_record_ip_type: Option<String>,
    #[sdk(optional)]
    private_dns_only_for_inbound_resolver_endpoint: Option<bool>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct SubnetConfig {
    #[sdk(optional)]
    ipv4: Option<String>,
    #[sdk(optional)]
    ipv6: Option<String>,
    #[sdk(optional)]
    subnet_id: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct VpcEndpointModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    vpc_id: String,
    #[sdk(optional, force_new)]
    service_name: Option<String>,
    /// Gateway (the default), Interface, GatewayLoadBalancer, Resource or ServiceNetwork
    #[sdk(optional, force_new, default = "Gateway")]
    vpc_endpoint_type: Option<String>,
    #[sdk(optional)]
    auto_accept: Option<bool>,
    #[sdk(computed)]
    cidr_blocks: Vec<String>,
    #[sdk(computed)]
    dns_entry: Vec<DnsEntry>,
    #[sdk(optional, computed, force_new)]
    ip_address_type: Option<String>,
    #[sdk(computed, set)]
    network_interface_ids: Vec<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    /// compared as JSON; left out, the service's full-access policy
    #[sdk(optional, computed, json)]
    policy: Option<String>,
    #[sdk(computed)]
    prefix_list_id: Option<String>,
    #[sdk(optional, computed)]
    private_dns_enabled: Option<bool>,
    #[sdk(computed)]
    requester_managed: Option<bool>,
    #[sdk(optional, force_new)]
    resource_configuration_arn: Option<String>,
    #[sdk(optional, computed, set)]
    route_table_ids: Option<Vec<String>>,
    #[sdk(optional, computed, set)]
    security_group_ids: Option<Vec<String>>,
    #[sdk(optional, force_new)]
    service_network_arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    service_region: Option<String>,
    #[sdk(computed)]
    state: Option<String>,
    #[sdk(optional, computed, set)]
    subnet_ids: Option<Vec<String>>,
    #[sdk(block, max_items = 1)]
    dns_options: Vec<DnsOptions>,
    #[sdk(block, set)]
    subnet_configuration: Vec<SubnetConfig>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct VpcEndpoint;

const WAIT: Duration = Duration::from_secs(10 * 60);

async fn describe(cx: &Cx<'_>, id: &str) -> Result<Option<aws_sdk_ec2::types::VpcEndpoint>, AwsError> {
    let out = absent(cx.c().ec2.describe_vpc_endpoints().vpc_endpoint_ids(id).send().await.map_err(sdk(cx.addr)))?;
    Ok(out.and_then(|o| o.vpc_endpoints().first().cloned()).filter(|e| !matches!(e.state().map(|s| s.as_str()), Some("deleted" | "Deleted"))))
}

fn dns_spec(o: &DnsOptions) -> DnsOptionsSpecification {
    DnsOptionsSpecification::builder()
        .set_dns_record_ip_type(o.dns_record_ip_type.as_deref().map(DnsRecordIpType::from))
        .set_private_dns_only_for_inbound_resolver_endpoint(o.private_dns_only_for_inbound_resolver_endpoint)
        .build()
}

fn subnet_configs(m: &VpcEndpointModel) -> Option<Vec<SubnetConfiguration>> {
    let v: Vec<SubnetConfiguration> = m
        .subnet_configuration
        .iter()
        .map(|c| SubnetConfiguration::builder().set_ipv4(c.ipv4.clone()).set_ipv6(c.ipv6.clone()).set_subnet_id(c.subnet_id.clone()).build())
        .collect();
    Some(v).filter(|v| !v.is_empty())
}

/// What to add and remove to go from one set of ids to another.
fn delta(old: &Option<Vec<String>>, new: &Option<Vec<String>>) -> Option<(Vec<String>, Vec<String>)> {
    let new: BTreeSet<&String> = new.as_ref()?.iter().collect();
    let old: BTreeSet<&String> = old.iter().flatten().collect();
    let add: Vec<String> = new.difference(&old).map(|s| s.to_string()).collect();
    let remove: Vec<String> = old.difference(&new).map(|s| s.to_string()).collect();
    Some((add, remove)).filter(|(a, r)| !a.is_empty() || !r.is_empty())
}

async fn wait_available(cx: &Cx<'_>, id: &str, limit: Duration) -> Result<(), AwsError> {
    wait::until(cx.addr, "the VPC endpoint to become available", cx.poll(), limit, || async {
        let e = describe(cx, id).await?.ok_or_else(|| cx.invalid(format!("VPC endpoint {id} vanished while being created")))?;
        match e.state().map(|s| s.as_str().to_ascii_lowercase()).as_deref() {
            Some("available") | Some("pendingacceptance") | None => Ok(Some(())),
            Some("failed") | Some("rejected") => {
                Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("VPC endpoint {id} is {}", e.state().map(|s| s.as_str()).unwrap_or("")) })
            }
            _ => Ok(None),
        }
    })
    .await
}

#[async_trait]
impl Resource<Aws> for VpcEndpoint {
    type Model = VpcEndpointModel;
    const TYPE: &'static str = "aws_vpc_endpoint";

    async fn create(&self, cx: &Cx<'_>, p: VpcEndpointModel) -> Result<VpcEndpointModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_vpc_endpoint()
            .vpc_id(&p.vpc_id)
            .set_service_name(p.service_name.clone())
            .vpc_endpoint_type(VpcEndpointType::from(p.vpc_endpoint_type.as_deref().unwrap_or("Gateway")))
            .set_policy_document(p.policy.clone())
            .set_route_table_ids(p.route_table_ids.clone().filter(|v| !v.is_empty()))
            .set_subnet_ids(p.subnet_ids.clone().filter(|v| !v.is_empty()))
            .set_security_group_ids(p.security_group_ids.clone().filter(|v| !v.is_empty()))
            .set_private_dns_enabled(p.private_dns_enabled)
            .set_ip_address_type(p.ip_address_type.as_deref().map(IpAddressType::from))
            .set_dns_options(p.dns_options.first().map(dns_spec))
            .set_subnet_configurations(subnet_configs(&p))
            .set_service_network_arn(p.service_network_arn.clone())
            .set_resource_configuration_arn(p.resource_configuration_arn.clone())
            .set_service_region(p.service_region.clone())
            .tag_specifications(tag_spec(cx, ResourceType::VpcEndpoint, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()).ok_or_else(|| cx.invalid("CreateVpcEndpoint returned no id"))?.to_string();
        if p.auto_accept == Some(true) && out.vpc_endpoint().and_then(|e| e.state()).is_some_and(|s| s.as_str().eq_ignore_ascii_case("pendingAcceptance")) {
            tracing::warn!(addr = cx.addr, "auto_accept: the endpoint waits for its service's owner to accept it");
        }
        wait_available(cx, &id, timeout(&p.timeouts, "create", WAIT)).await?;
        self.read(cx, VpcEndpointModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("VPC endpoint {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: VpcEndpointModel, p: VpcEndpointModel) -> Result<VpcEndpointModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        let mut req = cx.c().ec2.modify_vpc_endpoint().vpc_endpoint_id(id);
        let mut changed = false;
        if let Some((add, remove)) = delta(&prior.route_table_ids, &p.route_table_ids) {
            req = req.set_add_route_table_ids(Some(add).filter(|v| !v.is_empty())).set_remove_route_table_ids(Some(remove).filter(|v| !v.is_empty()));
            changed = true;
        }
        if let Some((add, remove)) = delta(&prior.subnet_ids, &p.subnet_ids) {
            req = req.set_add_subnet_ids(Some(add).filter(|v| !v.is_empty())).set_remove_subnet_ids(Some(remove).filter(|v| !v.is_empty()));
            changed = true;
        }
        if let Some((add, remove)) = delta(&prior.security_group_ids, &p.security_group_ids) {
            req = req.set_add_security_group_ids(Some(add).filter(|v| !v.is_empty())).set_remove_security_group_ids(Some(remove).filter(|v| !v.is_empty()));
            changed = true;
        }
        if prior.policy != p.policy {
            req = match &p.policy {
                Some(doc) => req.policy_document(doc),
                None => req.reset_policy(true),
            };
            changed = true;
        }
        if p.private_dns_enabled.is_some() && prior.private_dns_enabled != p.private_dns_enabled {
            req = req.set_private_dns_enabled(p.private_dns_enabled);
            changed = true;
        }
        if prior.dns_options != p.dns_options {
            if let Some(o) = p.dns_options.first() {
                req = req.dns_options(dns_spec(o));
                changed = true;
            }
        }
        if changed {
            req.send().await.map_err(sdk(cx.addr))?;
            wait_available(cx, id, timeout(&p.timeouts, "update", WAIT)).await?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("VPC endpoint {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: VpcEndpointModel) -> Result<Option<VpcEndpointModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(e) = describe(cx, id).await? else { return Ok(None) };
        let owner = e.owner_id().unwrap_or_default();
        let kind = e.vpc_endpoint_type().map(|t| t.as_str().to_string()).unwrap_or_else(|| "Gateway".into());
        let service = e.service_name().unwrap_or_default().to_string();
        let (mut prefix_list_id, mut cidr_blocks) = (None, Vec::new());
        if kind == "Gateway" && !service.is_empty() {
            let pl = cx.c().ec2.describe_prefix_lists().filters(filter("prefix-list-name", &service)).send().await.map_err(sdk(cx.addr))?;
            if let Some(l) = pl.prefix_lists().first() {
                prefix_list_id = l.prefix_list_id().map(str::to_string);
                cidr_blocks = l.cidrs().to_vec();
            }
        }
        let policy = e.policy_document().map(|doc| keep_equivalent_json(current.policy.as_deref(), doc));
        let s = |x: Option<&str>| Some(x.unwrap_or_default().to_string());
        Ok(Some(VpcEndpointModel {
            id: Some(id.to_string()),
            arn: Some(arn(cx, owner, "vpc-endpoint", id)),
            vpc_id: e.vpc_id().unwrap_or_default().to_string(),
            service_name: Some(service),
            vpc_endpoint_type: Some(kind),
            auto_accept: current.auto_accept,
            cidr_blocks,
            dns_entry: e.dns_entries().iter().map(|d| DnsEntry { dns_name: s(d.dns_name()), hosted_zone_id: s(d.hosted_zone_id()) }).collect(),
            ip_address_type: s(e.ip_address_type().map(|t| t.as_str())),
            network_interface_ids: e.network_interface_ids().to_vec(),
            owner_id: Some(owner.to_string()),
            policy,
            prefix_list_id,
            private_dns_enabled: Some(e.private_dns_enabled().unwrap_or(false)),
            requester_managed: Some(e.requester_managed().unwrap_or(false)),
            resource_configuration_arn: e.resource_configuration_arn().map(str::to_string).or(current.resource_configuration_arn),
            route_table_ids: Some(e.route_table_ids().to_vec()),
            security_group_ids: Some(e.groups().iter().filter_map(|g| g.group_id()).map(str::to_string).collect()),
            service_network_arn: e.service_network_arn().map(str::to_string).or(current.service_network_arn),
            service_region: s(e.service_region()),
            state: e.state().map(|st| st.as_str().to_ascii_lowercase()),
            subnet_ids: Some(e.subnet_ids().to_vec()),
            dns_options: e
                .dns_options()
                .map(|o| DnsOptions {
                    dns_record_ip_type: o.dns_record_ip_type().map(|t| t.as_str().to_string()),
                    private_dns_only_for_inbound_resolver_endpoint: o.private_dns_only_for_inbound_resolver_endpoint(),
                })
                .into_iter()
                .collect(),
            subnet_configuration: current.subnet_configuration,
            tags: tags_of(e.tags()),
            timeouts: current.timeouts,
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: VpcEndpointModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        absent(cx.c().ec2.delete_vpc_endpoints().vpc_endpoint_ids(id).send().await.map_err(sdk(cx.addr)))?;
        wait::until(cx.addr, "the VPC endpoint to be deleted", cx.poll(), timeout(&prior.timeouts, "delete", WAIT), || async {
            Ok(describe(cx, id).await?.is_none().then_some(()))
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: VpcEndpointModel) -> Result<Option<VpcEndpointModel>, AwsError> {
        let out = cx.c().ec2.describe_vpc_endpoints().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.vpc_endpoints().iter().find(|e| !matches!(e.state().map(|s| s.as_str()), Some("deleted" | "Deleted"))).and_then(|e| e.vpc_endpoint_id()) {
            Some(id) => self.read(cx, VpcEndpointModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
