//! `aws_route_table` with inline `route` blocks (routes are added, replaced
//! and deleted one by one to match), and `aws_route_table_association`
//! (moving a subnet's association to another table replaces it in place and
//! takes the new association id).

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, Route};
use iac_core::schema::{set_normalize, Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct RouteTable;
pub struct Association;

/// The targets a route may name, as attribute names.
const TARGETS: &[&str] = &["gateway_id", "nat_gateway_id", "network_interface_id", "transit_gateway_id", "vpc_peering_connection_id", "egress_only_gateway_id"];
const DESTINATIONS: &[&str] = &["cidr_block", "ipv6_cidr_block"];

fn route_block() -> Block {
    let mut b = Block::default();
    for a in DESTINATIONS.iter().chain(TARGETS) {
        b = b.attr(a, Attribute::optional(Str));
    }
    b
}

fn route_value(r: &Route) -> Value {
    Value::map([
        ("cidr_block", opt(r.destination_cidr_block())),
        ("egress_only_gateway_id", opt(r.egress_only_internet_gateway_id())),
        ("gateway_id", opt(r.gateway_id())),
        ("ipv6_cidr_block", opt(r.destination_ipv6_cidr_block())),
        ("nat_gateway_id", opt(r.nat_gateway_id())),
        // A NAT gateway's or instance's interface is reported too; only a route to an interface names it.
        ("network_interface_id", if r.nat_gateway_id().is_some() || r.instance_id().is_some() { Value::Null } else { opt(r.network_interface_id()) }),
        ("transit_gateway_id", opt(r.transit_gateway_id())),
        ("vpc_peering_connection_id", opt(r.vpc_peering_connection_id())),
    ])
}

fn destination(r: &Value) -> String {
    get_str(r, "cidr_block").or_else(|| get_str(r, "ipv6_cidr_block")).unwrap_or_default().to_string()
}

fn routes(v: &Value) -> Vec<Value> {
    v.get("route").and_then(Value::as_list).map(<[Value]>::to_vec).unwrap_or_default()
}

macro_rules! route_call {
    ($b:expr, $r:expr) => {
        $b.set_destination_cidr_block(get_str($r, "cidr_block").map(str::to_string))
            .set_destination_ipv6_cidr_block(get_str($r, "ipv6_cidr_block").map(str::to_string))
            .set_gateway_id(get_str($r, "gateway_id").map(str::to_string))
            .set_nat_gateway_id(get_str($r, "nat_gateway_id").map(str::to_string))
            .set_network_interface_id(get_str($r, "network_interface_id").map(str::to_string))
            .set_transit_gateway_id(get_str($r, "transit_gateway_id").map(str::to_string))
            .set_vpc_peering_connection_id(get_str($r, "vpc_peering_connection_id").map(str::to_string))
            .set_egress_only_internet_gateway_id(get_str($r, "egress_only_gateway_id").map(str::to_string))
    };
}

async fn sync_routes(cx: &Cx<'_>, id: &str, old: &[Value], new: &[Value]) -> Result<(), AwsError> {
    for r in old {
        if !new.iter().any(|n| destination(n) == destination(r)) {
            let d = cx.c.ec2.delete_route().route_table_id(id);
            let d = d
                .set_destination_cidr_block(get_str(r, "cidr_block").map(str::to_string))
                .set_destination_ipv6_cidr_block(get_str(r, "ipv6_cidr_block").map(str::to_string));
            absent(d.send().await.map_err(sdk(cx.addr)))?;
        }
    }
    for r in new {
        match old.iter().find(|o| destination(o) == destination(r)) {
            Some(o) if o == r => {}
            Some(_) => {
                route_call!(cx.c.ec2.replace_route().route_table_id(id), r).send().await.map_err(sdk(cx.addr))?;
            }
            None => {
                route_call!(cx.c.ec2.create_route().route_table_id(id), r).send().await.map_err(sdk(cx.addr))?;
            }
        }
    }
    Ok(())
}

#[async_trait]
impl Resource for RouteTable {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("vpc_id", Attribute::required(Str).force_new())
                .attr("owner_id", Attribute::computed(Str))
                .block("route", set_block(route_block())),
        }
    }

    fn refine(&self, addr: &str, _prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        for r in routes(planned) {
            if DESTINATIONS.iter().filter(|d| get_str(&r, d).is_some()).count() != 1 {
                return Err(AwsError::invalid(addr, "each route needs exactly one of cidr_block or ipv6_cidr_block"));
            }
            if TARGETS.iter().filter(|t| r.get(t).is_some_and(|v| !v.is_null())).count() != 1 {
                return Err(AwsError::invalid(addr, format!("route {}: needs exactly one target ({})", destination(&r), TARGETS.join(", "))));
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .create_route_table()
                .vpc_id(get_str(p, "vpc_id").unwrap_or_default())
                .tag_specifications(tag_spec(cx, ResourceType::RouteTable, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.route_table().and_then(|r| r.route_table_id()).ok_or_else(|| cx.invalid("CreateRouteTable returned no id"))?.to_string();
        sync_routes(cx, &id, &[], &routes(p)).await?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("route table {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        sync_routes(cx, id, &routes(prior), &routes(p)).await?;
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("route table {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_route_tables().route_table_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(t) = out.route_tables().first() else { return Ok(None) };
        let owner = t.owner_id().unwrap_or_default();
        let routes: Vec<Value> = t
            .routes()
            .iter()
            .filter(|r| r.gateway_id() != Some("local") && r.origin().is_none_or(|o| o.as_str() != "CreateRouteTable"))
            .map(route_value)
            .collect();
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", arn(cx, owner, "route-table", id)),
            ("vpc_id", opt(t.vpc_id())),
            ("owner_id", Value::from(owner)),
            ("route", Value::List(set_normalize(routes))),
            ("tags_all", tags_value(t.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        crate::wait::retry_while(cx.addr, "the route table's associations to go", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.delete_route_table().route_table_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_route_tables().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.route_tables().first().and_then(|r| r.route_table_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}

impl Association {
    /// The association matching `f` (by id, or subnet/gateway and table).
    async fn find(
        &self,
        cx: &Cx<'_>,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        pick: impl Fn(&aws_sdk_ec2::types::RouteTableAssociation) -> bool,
    ) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_route_tables().set_filters(Some(filters)).send().await.map_err(sdk(cx.addr))?;
        for t in out.route_tables() {
            for a in t.associations() {
                let live = a.association_state().and_then(|s| s.state()).is_none_or(|s| s.as_str() == "associated");
                if live && !a.main().unwrap_or(false) && pick(a) {
                    return Ok(Some(Value::map([
                        ("id", opt(a.route_table_association_id())),
                        ("subnet_id", opt(a.subnet_id())),
                        ("gateway_id", opt(a.gateway_id())),
                        ("route_table_id", opt(a.route_table_id())),
                    ])));
                }
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl Resource for Association {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: id()
                .attr("subnet_id", Attribute::optional(Str).force_new())
                .attr("gateway_id", Attribute::optional(Str).force_new())
                .attr("route_table_id", Attribute::required(Str)),
        }
    }

    fn refine(&self, addr: &str, _prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        let n = ["subnet_id", "gateway_id"].iter().filter(|k| planned.get(k).is_some_and(|v| !v.is_null())).count();
        if n != 1 {
            return Err(AwsError::invalid(addr, "exactly one of subnet_id or gateway_id is required"));
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .associate_route_table()
                .route_table_id(get_str(p, "route_table_id").unwrap_or_default())
                .set_subnet_id(get_str(p, "subnet_id").map(str::to_string))
                .set_gateway_id(get_str(p, "gateway_id").map(str::to_string))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.association_id().ok_or_else(|| cx.invalid("AssociateRouteTable returned no id"))?;
        self.read(cx, &Value::map([("id", Value::from(id))])).await?.ok_or_else(|| cx.invalid(format!("association {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        let out =
            cx.c.ec2
                .replace_route_table_association()
                .association_id(id)
                .route_table_id(get_str(p, "route_table_id").unwrap_or_default())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let new_id = out.new_association_id().unwrap_or(id);
        self.read(cx, &Value::map([("id", Value::from(new_id))])).await?.ok_or_else(|| cx.invalid(format!("association {new_id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        if let Some((target, table)) = id.split_once('/') {
            // An import id: SUBNET_OR_GATEWAY/ROUTE_TABLE.
            return self.find(cx, vec![filter("route-table-id", table)], |a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target)).await;
        }
        self.find(cx, vec![filter("association.route-table-association-id", id)], |a| a.route_table_association_id() == Some(id)).await
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        absent(cx.c.ec2.disassociate_route_table().association_id(id).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let table = get_str(planned, "route_table_id").unwrap_or_default().to_string();
        let target = get_str(planned, "subnet_id").or_else(|| get_str(planned, "gateway_id")).unwrap_or_default().to_string();
        self.find(cx, vec![filter("route-table-id", table)], |a| a.subnet_id() == Some(target.as_str()) || a.gateway_id() == Some(target.as_str())).await
    }
}
