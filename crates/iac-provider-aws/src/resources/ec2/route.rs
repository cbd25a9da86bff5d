//! `aws_route`: one route of a route table, by its destination (an IPv4 or
//! IPv6 CIDR block or a prefix list); its target (a gateway, NAT gateway,
//! VPC endpoint, transit gateway, peering connection, interface, ...)
//! changes in place through ReplaceRoute. The id is upstream's
//! `r-<table><CRC-32 of the destination>`; an import takes
//! `TABLE_DESTINATION`.

use aws_sdk_ec2::types::Route as AwsRoute;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::naming::hashcode;
use crate::resources::{timeout, Timeouts};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct RouteModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    route_table_id: String,
    #[sdk(optional, force_new)]
    destination_cidr_block: Option<String>,
    #[sdk(optional, force_new)]
    destination_ipv6_cidr_block: Option<String>,
    #[sdk(optional, force_new)]
    destination_prefix_list_id: Option<String>,
    #[sdk(optional)]
    carrier_gateway_id: Option<String>,
    #[sdk(optional)]
    core_network_arn: Option<String>,
    #[sdk(optional)]
    egress_only_gateway_id: Option<String>,
    #[sdk(optional)]
    gateway_id: Option<String>,
    #[sdk(optional)]
    local_gateway_id: Option<String>,
    #[sdk(optional)]
    nat_gateway_id: Option<String>,
    #[sdk(optional, computed)]
    network_interface_id: Option<String>,
    #[sdk(optional)]
    transit_gateway_id: Option<String>,
    #[sdk(optional)]
    vpc_endpoint_id: Option<String>,
    #[sdk(optional)]
    vpc_peering_connection_id: Option<String>,
    #[sdk(computed)]
    instance_id: Option<String>,
    #[sdk(computed)]
    instance_owner_id: Option<String>,
    #[sdk(computed)]
    origin: Option<String>,
    #[sdk(computed)]
    state: Option<String>,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

const DESTINATIONS: &[&str] = &["destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"];
const TARGETS: &[&str] = &[
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

impl RouteModel {
    fn destination(&self) -> &str {
        self.destination_cidr_block
            .as_deref()
            .or(self.destination_ipv6_cidr_block.as_deref())
            .or(self.destination_prefix_list_id.as_deref())
            .unwrap_or_default()
    }

    fn route_id(&self) -> String {
        format!("r-{}{}", self.route_table_id, hashcode(self.destination()))
    }

    fn matches(&self, r: &AwsRoute) -> bool {
        let d = self.destination();
        !d.is_empty() && (r.destination_cidr_block() == Some(d) || r.destination_ipv6_cidr_block() == Some(d) || r.destination_prefix_list_id() == Some(d))
    }
}

macro_rules! target_call {
    ($b:expr, $r:expr) => {
        $b.set_destination_cidr_block($r.destination_cidr_block.clone())
            .set_destination_ipv6_cidr_block($r.destination_ipv6_cidr_block.clone())
            .set_destination_prefix_list_id($r.destination_prefix_list_id.clone())
            .set_carrier_gateway_id($r.carrier_gateway_id.clone())
            .set_core_network_arn($r.core_network_arn.clone())
            .set_egress_only_internet_gateway_id($r.egress_only_gateway_id.clone())
            .set_gateway_id($r.gateway_id.clone())
            .set_vpc_endpoint_id($r.vpc_endpoint_id.clone())
            .set_local_gateway_id($r.local_gateway_id.clone())
            .set_nat_gateway_id($r.nat_gateway_id.clone())
            .set_network_interface_id($r.network_interface_id.clone())
            .set_transit_gateway_id($r.transit_gateway_id.clone())
            .set_vpc_peering_connection_id($r.vpc_peering_connection_id.clone())
    };
}

pub struct Route;

async fn find(cx: &Cx<'_>, m: &RouteModel) -> Result<Option<AwsRoute>, AwsError> {
    let Some(out) = absent(cx.c().ec2.describe_route_tables().route_table_ids(&m.route_table_id).send().await.map_err(sdk(cx.addr)))? else {
        return Ok(None);
    };
    Ok(out.route_tables().first().and_then(|t| t.routes().iter().find(|r| m.matches(r)).cloned()))
}

#[async_trait]
impl Resource<Aws> for Route {
    type Model = RouteModel;
    const TYPE: &'static str = "aws_route";

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        let set = |k: &str| planned.get(k).is_some_and(|v| !v.is_null());
        if DESTINATIONS.iter().filter(|k| set(k)).count() != 1 {
            return Err(cx.invalid("exactly one of destination_cidr_block, destination_ipv6_cidr_block or destination_prefix_list_id is required"));
        }
        // network_interface_id is also reported for routes to NAT gateways and instances.
        let targets = TARGETS.iter().filter(|t| **t != "network_interface_id").filter(|k| set(k)).count();
        let interface = planned.get("network_interface_id").is_some_and(|v| !v.is_null() && !v.is_unknown());
        if targets + usize::from(interface && targets == 0) != 1 {
            return Err(cx.invalid(format!("exactly one target is required ({})", TARGETS.join(", "))));
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: RouteModel) -> Result<RouteModel, AwsError> {
        target_call!(cx.c().ec2.create_route().route_table_id(&p.route_table_id), p).send().await.map_err(sdk(cx.addr))?;
        let limit = timeout(&p.timeouts, "create", std::time::Duration::from_secs(5 * 60));
        let m = crate::wait::until(cx.addr, "the route to appear", cx.poll(), limit, || async { self.read(cx, p.clone()).await }).await?;
        Ok(m)
    }

    async fn update(&self, cx: &Cx<'_>, _prior: RouteModel, p: RouteModel) -> Result<RouteModel, AwsError> {
        target_call!(cx.c().ec2.replace_route().route_table_id(&p.route_table_id), p).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the route vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: RouteModel) -> Result<Option<RouteModel>, AwsError> {
        let Some(r) = find(cx, &current).await? else { return Ok(None) };
        let s = |x: Option<&str>| x.filter(|v| !v.is_empty()).map(str::to_string);
        // An endpoint's route names the endpoint as its gateway.
        let gateway = s(r.gateway_id());
        let (gateway_id, vpc_endpoint_id) = match gateway {
            Some(g) if g.starts_with("vpce-") => (None, Some(g)),
            g => (g, None),
        };
        Ok(Some(RouteModel {
            id: Some(current.route_id()),
            destination_cidr_block: s(r.destination_cidr_block()),
            destination_ipv6_cidr_block: s(r.destination_ipv6_cidr_block()),
            destination_prefix_list_id: s(r.destination_prefix_list_id()),
            carrier_gateway_id: s(r.carrier_gateway_id()),
            core_network_arn: s(r.core_network_arn()),
            egress_only_gateway_id: s(r.egress_only_internet_gateway_id()),
            gateway_id,
            local_gateway_id: s(r.local_gateway_id()),
            nat_gateway_id: s(r.nat_gateway_id()),
            network_interface_id: s(r.network_interface_id()),
            transit_gateway_id: s(r.transit_gateway_id()),
            vpc_endpoint_id,
            vpc_peering_connection_id: s(r.vpc_peering_connection_id()),
            instance_id: Some(r.instance_id().unwrap_or_default().to_string()),
            instance_owner_id: Some(r.instance_owner_id().unwrap_or_default().to_string()),
            origin: r.origin().map(|o| o.as_str().to_string()),
            state: r.state().map(|st| st.as_str().to_string()),
            ..current
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RouteModel) -> Result<(), AwsError> {
        let d = cx
            .c()
            .ec2
            .delete_route()
            .route_table_id(&prior.route_table_id)
            .set_destination_cidr_block(prior.destination_cidr_block.clone())
            .set_destination_ipv6_cidr_block(prior.destination_ipv6_cidr_block.clone())
            .set_destination_prefix_list_id(prior.destination_prefix_list_id.clone());
        absent(d.send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn import(&self, cx: &Cx<'_>, id: &str) -> Result<Option<RouteModel>, AwsError> {
        let (table, destination) =
            id.split_once('_').ok_or_else(|| cx.invalid(format!("unexpected format of ID ({id:?}), expected ROUTETABLEID_DESTINATION")))?;
        let mut m = RouteModel { route_table_id: table.to_string(), ..RouteModel::default() };
        if destination.starts_with("pl-") {
            m.destination_prefix_list_id = Some(destination.to_string());
        } else if destination.contains(':') {
            m.destination_ipv6_cidr_block = Some(destination.to_string());
        } else {
            m.destination_cidr_block = Some(destination.to_string());
        }
        self.read(cx, m).await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RouteModel) -> Result<Option<RouteModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_upstreams() {
        let r = RouteModel { route_table_id: "rtb-daa8415d9e0364df3".into(), destination_cidr_block: Some("0.0.0.0/0".into()), ..RouteModel::default() };
        assert_eq!(r.route_id(), "r-rtb-daa8415d9e0364df31080289494");
    }
}
