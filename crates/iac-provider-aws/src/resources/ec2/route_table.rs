//! `aws_route_table` with inline `route` rules (upstream's attribute
//! written as blocks: `route = []` removes every route; left out, the
//! table's routes stay as they are, e.g. those `aws_route` manages).
//! Routes are added, replaced and deleted one by one to match. And
//! `aws_route_table_association` (moving a subnet's association to another
//! table replaces it in place and takes the new association id).

use aws_sdk_ec2::types::{ResourceType, Route as AwsRoute, RouteTableAssociation};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, Timeouts};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct RouteTableModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    vpc_id: String,
    #[sdk(computed)]
    owner_id: Option<String>,
    /// the routes (blocks or a list); left out, the table's routes as they are
    #[sdk(optional, computed, set)]
    route: Option<Vec<Route>>,
    #[sdk(optional, computed, set)]
    propagating_vgws: Option<Vec<String>>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

/// One route: a destination and exactly one target; "" where unset, as
/// upstream stores it.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Route {
    #[sdk(optional)]
    carrier_gateway_id: String,
    #[sdk(optional)]
    cidr_block: String,
    #[sdk(optional)]
    core_network_arn: String,
    #[sdk(optional)]
    destination_prefix_list_id: String,
    #[sdk(optional)]
    egress_only_gateway_id: String,
    #[sdk(optional)]
    gateway_id: String,
    #[sdk(optional)]
    ipv6_cidr_block: String,
    #[sdk(optional)]
    local_gateway_id: String,
    #[sdk(optional)]
    nat_gateway_id: String,
    #[sdk(optional)]
    network_interface_id: String,
    #[sdk(optional)]
    transit_gateway_id: String,
    #[sdk(optional)]
    vpc_endpoint_id: String,
    #[sdk(optional)]
    vpc_peering_connection_id: String,
}

/// The targets a route may name, as attribute names.
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
const DESTINATIONS: &[&str] = &["cidr_block", "ipv6_cidr_block", "destination_prefix_list_id"];

fn opt(s: &str) -> Option<String> {
    Some(s.to_string()).filter(|s| !s.is_empty())
}

impl Route {
    fn from_aws(r: &AwsRoute) -> Route {
        let s = |x: Option<&str>| x.unwrap_or_default().to_string();
        let gateway = s(r.gateway_id());
        let (gateway_id, vpc_endpoint_id) = if gateway.starts_with("vpce-") { (String::new(), gateway) } else { (gateway, String::new()) };
        Route {
            carrier_gateway_id: s(r.carrier_gateway_id()),
            cidr_block: s(r.destination_cidr_block()),
            core_network_arn: s(r.core_network_arn()),
            destination_prefix_list_id: s(r.destination_prefix_list_id()),
            egress_only_gateway_id: s(r.egress_only_internet_gateway_id()),
            gateway_id,
            ipv6_cidr_block: s(r.destination_ipv6_cidr_block()),
            local_gateway_id: s(r.local_gateway_id()),
            nat_gateway_id: s(r.nat_gateway_id()),
            // A NAT gateway's or instance's interface is reported too; only a route to an interface names it.
            network_interface_id: if r.nat_gateway_id().is_some() || r.instance_id().is_some() { String::new() } else { s(r.network_interface_id()) },
            transit_gateway_id: s(r.transit_gateway_id()),
            vpc_endpoint_id,
            vpc_peering_connection_id: s(r.vpc_peering_connection_id()),
        }
    }

    fn destination(&self) -> &str {
        [&self.cidr_block, &self.ipv6_cidr_block, &self.destination_prefix_list_id].into_iter().find(|d| !d.is_empty()).map(String::as_str).unwrap_or_default()
    }
}

macro_rules! route_call {
    ($b:expr, $r:expr) => {
        $b.set_destination_cidr_block(opt(&$r.cidr_block))
            .set_destination_ipv6_cidr_block(opt(&$r.ipv6_cidr_block))
            .set_destination_prefix_list_id(opt(&$r.destination_prefix_list_id))
            .set_carrier_gateway_id(opt(&$r.carrier_gateway_id))
            .set_core_network_arn(opt(&$r.core_network_arn))
            .set_gateway_id(opt(&$r.gateway_id))
            .set_local_gateway_id(opt(&$r.local_gateway_id))
            .set_nat_gateway_id(opt(&$r.nat_gateway_id))
            .set_network_interface_id(opt(&$r.network_interface_id))
            .set_transit_gateway_id(opt(&$r.transit_gateway_id))
            .set_vpc_endpoint_id(opt(&$r.vpc_endpoint_id))
            .set_vpc_peering_connection_id(opt(&$r.vpc_peering_connection_id))
            .set_egress_only_internet_gateway_id(opt(&$r.egress_only_gateway_id))
    };
}

async fn sync_routes(cx: &Cx<'_>, id: &str, old: &[Route], new: &[Route]) -> Result<(), AwsError> {
    for r in old {
        if !new.iter().any(|n| n.destination() == r.destination()) {
            let d = cx.c().ec2.delete_route().route_table_id(id);
            let d = d
                .set_destination_cidr_block(opt(&r.cidr_block))
                .set_destination_ipv6_cidr_block(opt(&r.ipv6_cidr_block))
                .set_destination_prefix_list_id(opt(&r.destination_prefix_list_id));
            absent(d.send().await.map_err(sdk(cx.addr)))?;
        }
    }
    for r in new {
        match old.iter().find(|o| o.destination() == r.destination()) {
            Some(o) if o == r => {}
            Some(_) => {
                route_call!(cx.c().ec2.replace_route().route_table_id(id), r).send().await.map_err(sdk(cx.addr))?;
            }
            None => {
                route_call!(cx.c().ec2.create_route().route_table_id(id), r).send().await.map_err(sdk(cx.addr))?;
            }
        }
    }
    Ok(())
}

pub struct RouteTable;

/// Turns route propagation from virtual private gateways on and off to match.
async fn sync_vgws(cx: &Cx<'_>, id: &str, old: &Option<Vec<String>>, new: &Option<Vec<String>>) -> Result<(), AwsError> {
    let Some(new) = new else { return Ok(()) };
    let old = old.clone().unwrap_or_default();
    for g in old.iter().filter(|g| !new.contains(g)) {
        cx.c().ec2.disable_vgw_route_propagation().route_table_id(id).gateway_id(g).send().await.map_err(sdk(cx.addr))?;
    }
    for g in new.iter().filter(|g| !old.contains(g)) {
        cx.c().ec2.enable_vgw_route_propagation().route_table_id(id).gateway_id(g).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for RouteTable {
    type Model = RouteTableModel;
    const TYPE: &'static str = "aws_route_table";

    fn canonical_config(&self, config: &mut Value) {
        let Value::Map(m) = config else { return };
        if let Some(Value::List(items)) = m.get_mut("route") {
            for r in items.iter_mut() {
                if let Value::Map(r) = r {
                    for k in TARGETS.iter().chain(DESTINATIONS) {
                        if r.get(*k).is_none_or(Value::is_null) {
                            r.insert(k.to_string(), Value::from(""));
                        }
                    }
                }
            }
            *items = iac_provider_sdk::schema::set_normalize(std::mem::take(items)).into();
        }
    }

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        for r in planned.get("route").and_then(Value::as_list).unwrap_or(&[]) {
            let set = |k: &str| r.get(k).is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
            if DESTINATIONS.iter().filter(|k| set(k)).count() != 1 {
                return Err(cx.invalid("each route needs exactly one of cidr_block, ipv6_cidr_block or destination_prefix_list_id"));
            }
            if TARGETS.iter().filter(|k| set(k)).count() != 1 {
                let destination = DESTINATIONS.iter().find_map(|d| r.get(d).and_then(Value::as_str).filter(|s| !s.is_empty())).unwrap_or_default();
                return Err(cx.invalid(format!("route {destination}: needs exactly one target ({})", TARGETS.join(", "))));
            }
        }
        Ok(())
    }

    /// An import reads the table's routes too.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("route", Value::List(Vec::new().into()))])
    }

    async fn create(&self, cx: &Cx<'_>, p: RouteTableModel) -> Result<RouteTableModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .create_route_table()
            .vpc_id(&p.vpc_id)
            .tag_specifications(tag_spec(cx, ResourceType::RouteTable, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.route_table().and_then(|r| r.route_table_id()).ok_or_else(|| cx.invalid("CreateRouteTable returned no id"))?.to_string();
        sync_routes(cx, &id, &[], p.route.as_deref().unwrap_or_default()).await?;
        sync_vgws(cx, &id, &None, &p.propagating_vgws).await?;
        self.read(cx, RouteTableModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("route table {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: RouteTableModel, p: RouteTableModel) -> Result<RouteTableModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        if let Some(new) = &p.route {
            // Routes the configuration starts to manage are made exactly the
            // written ones: what the table has now is what they change from.
            let old = match &prior.route {
                Some(old) => old.clone(),
                None => self.read(cx, RouteTableModel { route: Some(Vec::new()), ..prior.clone() }).await?.and_then(|t| t.route).unwrap_or_default(),
            };
            sync_routes(cx, id, &old, new).await?;
        }
        sync_vgws(cx, id, &prior.propagating_vgws, &p.propagating_vgws).await?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("route table {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: RouteTableModel) -> Result<Option<RouteTableModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_route_tables().route_table_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(t) = out.route_tables().first() else { return Ok(None) };
        let owner = t.owner_id().unwrap_or_default();
        let route = t
            .routes()
            .iter()
            .filter(|r| {
                r.gateway_id() != Some("local") && r.origin().is_none_or(|o| o.as_str() != "CreateRouteTable" && o.as_str() != "EnableVgwRoutePropagation")
            })
            // A gateway endpoint's routes belong to the endpoint.
            .filter(|r| !(r.destination_prefix_list_id().is_some() && r.gateway_id().is_some_and(|g| g.starts_with("vpce-"))))
            .map(Route::from_aws)
            .collect();
        let vgws = t.propagating_vgws().iter().filter_map(|v| v.gateway_id()).map(str::to_string).collect();
        Ok(Some(RouteTableModel {
            id: Some(id.to_string()),
            arn: Some(arn(cx, owner, "route-table", id)),
            vpc_id: t.vpc_id().unwrap_or_default().to_string(),
            owner_id: Some(owner.to_string()),
            // Reported only where the configuration manages them (a list,
            // even empty, in state): left out, they are other resources'
            // (aws_route), and their changes are no drift of the table.
            route: current.route.as_ref().map(|_| route),
            propagating_vgws: Some(vgws),
            tags: tags_of(t.tags()),
            timeouts: current.timeouts,
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RouteTableModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        delete_retrying(cx, "the route table's associations to go", || async {
            cx.c().ec2.delete_route_table().route_table_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RouteTableModel) -> Result<Option<RouteTableModel>, AwsError> {
        let out = cx.c().ec2.describe_route_tables().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.route_tables().first().and_then(|r| r.route_table_id()) {
            Some(id) => self.read(cx, RouteTableModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct AssociationModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional, force_new)]
    subnet_id: Option<String>,
    #[sdk(optional, force_new)]
    gateway_id: Option<String>,
    #[sdk(required)]
    route_table_id: String,
}

pub struct Association;

/// The live, non-main association that `pick` chooses among the tables `filters` finds.
async fn find_association(cx: &Cx<'_>, filters: Vec<Filter>, pick: impl Fn(&RouteTableAssociation) -> bool) -> Result<Option<AssociationModel>, AwsError> {
    let out = cx.c().ec2.describe_route_tables().set_filters(Some(filters)).send().await.map_err(sdk(cx.addr))?;
    for t in out.route_tables() {
        for a in t.associations() {
            let live = a.association_state().and_then(|s| s.state()).is_none_or(|s| s.as_str() == "associated");
            if live && !a.main().unwrap_or(false) && pick(a) {
                return Ok(Some(AssociationModel {
                    id: a.route_table_association_id().map(str::to_string),
                    subnet_id: a.subnet_id().map(str::to_string),
                    gateway_id: a.gateway_id().map(str::to_string),
                    route_table_id: a.route_table_id().unwrap_or_default().to_string(),
                }));
            }
        }
    }
    Ok(None)
}

fn by_id(id: &str) -> AssociationModel {
    AssociationModel { id: Some(id.to_string()), ..AssociationModel::default() }
}

#[async_trait]
impl Resource<Aws> for Association {
    type Model = AssociationModel;
    const TYPE: &'static str = "aws_route_table_association";

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        let n = ["subnet_id", "gateway_id"].iter().filter(|k| planned.get(k).is_some_and(|v| !v.is_null())).count();
        if n != 1 {
            return Err(cx.invalid("exactly one of subnet_id or gateway_id is required"));
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: AssociationModel) -> Result<AssociationModel, AwsError> {
        let out = cx
            .c()
            .ec2
            .associate_route_table()
            .route_table_id(&p.route_table_id)
            .set_subnet_id(p.subnet_id.clone())
            .set_gateway_id(p.gateway_id.clone())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.association_id().ok_or_else(|| cx.invalid("AssociateRouteTable returned no id"))?;
        self.read(cx, by_id(id)).await?.ok_or_else(|| cx.invalid(format!("association {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: AssociationModel, p: AssociationModel) -> Result<AssociationModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        let out = cx.c().ec2.replace_route_table_association().association_id(id).route_table_id(&p.route_table_id).send().await.map_err(sdk(cx.addr))?;
        let new_id = out.new_association_id().unwrap_or(id);
        self.read(cx, by_id(new_id)).await?.ok_or_else(|| cx.invalid(format!("association {new_id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: AssociationModel) -> Result<Option<AssociationModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        if let Some((target, table)) = id.split_once('/') {
            // An import id: SUBNET_OR_GATEWAY/ROUTE_TABLE.
            return find_association(cx, vec![filter("route-table-id", table)], |a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target)).await;
        }
        find_association(cx, vec![filter("association.route-table-association-id", id)], |a| a.route_table_association_id() == Some(id)).await
    }

    async fn delete(&self, cx: &Cx<'_>, prior: AssociationModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        absent(cx.c().ec2.disassociate_route_table().association_id(id).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: AssociationModel) -> Result<Option<AssociationModel>, AwsError> {
        let target = planned.subnet_id.or(planned.gateway_id).unwrap_or_default();
        find_association(cx, vec![filter("route-table-id", planned.route_table_id)], |a| {
            a.subnet_id() == Some(target.as_str()) || a.gateway_id() == Some(target.as_str())
        })
        .await
    }
}
