//! `aws_vpc_security_group_ingress_rule` and `_egress_rule`: one rule each,
//! with its own id (`sgr-...`) and tags. Everything but the group updates in
//! place (ModifySecurityGroupRules). With `ip_protocol = "-1"` AWS reports
//! ports as -1; they stay null, as configured.

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct Rule {
    egress: bool,
}

pub static INGRESS: Rule = Rule { egress: false };
pub static EGRESS: Rule = Rule { egress: true };

const PEERS: &[&str] = &["cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"];

fn all_protocols(p: &Value) -> bool {
    matches!(get_str(p, "ip_protocol"), Some("-1" | "all"))
}

fn permission(p: &Value) -> IpPermission {
    let desc = get_str(p, "description").map(str::to_string);
    let mut b = IpPermission::builder().ip_protocol(get_str(p, "ip_protocol").map(|s| if s == "all" { "-1" } else { s }).unwrap_or("-1"));
    if !all_protocols(p) {
        b = b.set_from_port(get_i32(p, "from_port")).set_to_port(get_i32(p, "to_port"));
    }
    if let Some(c) = get_str(p, "cidr_ipv4") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc.clone()).build());
    }
    if let Some(c) = get_str(p, "cidr_ipv6") {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(desc.clone()).build());
    }
    if let Some(c) = get_str(p, "prefix_list_id") {
        b = b.prefix_list_ids(PrefixListId::builder().prefix_list_id(c).set_description(desc.clone()).build());
    }
    if let Some(g) = get_str(p, "referenced_security_group_id") {
        b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(desc).build());
    }
    b.build()
}

#[async_trait]
impl Resource for Rule {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("security_group_rule_id", Attribute::computed(Str))
                .attr("security_group_id", Attribute::required(Str).force_new())
                .attr("ip_protocol", Attribute::required(Str))
                .attr("from_port", Attribute::optional(Number))
                .attr("to_port", Attribute::optional(Number))
                .attr("cidr_ipv4", Attribute::optional(Str))
                .attr("cidr_ipv6", Attribute::optional(Str))
                .attr("prefix_list_id", Attribute::optional(Str))
                .attr("referenced_security_group_id", Attribute::optional(Str))
                .attr("description", Attribute::optional(Str)),
        }
    }

    fn refine(&self, addr: &str, _prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        if PEERS.iter().filter(|k| planned.get(k).is_some_and(|v| !v.is_null())).count() != 1 {
            return Err(AwsError::invalid(addr, format!("exactly one of {} is required", PEERS.join(", "))));
        }
        if all_protocols(planned) && (get_i32(planned, "from_port").is_some() || get_i32(planned, "to_port").is_some()) {
            return Err(AwsError::invalid(addr, "from_port and to_port must be left out when ip_protocol is \"-1\" (all protocols)"));
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let group = get_str(p, "security_group_id").unwrap_or_default();
        let spec = tag_spec(cx, ResourceType::SecurityGroupRule, p);
        let rules = if self.egress {
            cx.c.ec2
                .authorize_security_group_egress()
                .group_id(group)
                .ip_permissions(permission(p))
                .tag_specifications(spec)
                .send()
                .await
                .map_err(sdk(cx.addr))?
                .security_group_rules()
                .to_vec()
        } else {
            cx.c.ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .ip_permissions(permission(p))
                .tag_specifications(spec)
                .send()
                .await
                .map_err(sdk(cx.addr))?
                .security_group_rules()
                .to_vec()
        };
        let id = rules.first().and_then(|r| r.security_group_rule_id()).ok_or_else(|| cx.invalid("the authorize call returned no rule id"))?.to_string();
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        let rule_fields = ["ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id", "description"];
        if rule_fields.iter().any(|k| prior.get(k) != p.get(k)) {
            let mut r = SecurityGroupRuleRequest::builder().ip_protocol(get_str(p, "ip_protocol").unwrap_or("-1"));
            if !all_protocols(p) {
                r = r.set_from_port(get_i32(p, "from_port")).set_to_port(get_i32(p, "to_port"));
            }
            let r = r
                .set_cidr_ipv4(get_str(p, "cidr_ipv4").map(str::to_string))
                .set_cidr_ipv6(get_str(p, "cidr_ipv6").map(str::to_string))
                .set_prefix_list_id(get_str(p, "prefix_list_id").map(str::to_string))
                .set_referenced_group_id(get_str(p, "referenced_security_group_id").map(str::to_string))
                .set_description(get_str(p, "description").map(str::to_string))
                .build();
            let upd = SecurityGroupRuleUpdate::builder().security_group_rule_id(id).security_group_rule(r).build();
            cx.c.ec2
                .modify_security_group_rules()
                .group_id(get_str(prior, "security_group_id").unwrap_or_default())
                .security_group_rules(upd)
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_security_group_rules().security_group_rule_ids(id).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let Some(r) = out.security_group_rules().iter().find(|r| r.security_group_rule_id() == Some(id) && r.is_egress() == Some(self.egress)) else {
            return Ok(None);
        };
        let protocol = r.ip_protocol().unwrap_or("-1");
        let all = protocol == "-1";
        // Keep the configured spelling of "all protocols".
        let protocol = if all && get_str(current, "ip_protocol") == Some("all") { "all" } else { protocol };
        let owner = r.group_owner_id().unwrap_or_default();
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", r.security_group_rule_arn().map(Value::from).unwrap_or_else(|| arn(cx, owner, "security-group-rule", id))),
            ("security_group_rule_id", Value::from(id)),
            ("security_group_id", opt(r.group_id())),
            ("ip_protocol", Value::from(protocol)),
            ("from_port", if all { Value::Null } else { num(r.from_port()) }),
            ("to_port", if all { Value::Null } else { num(r.to_port()) }),
            ("cidr_ipv4", opt(r.cidr_ipv4())),
            ("cidr_ipv6", opt(r.cidr_ipv6())),
            ("prefix_list_id", opt(r.prefix_list_id())),
            ("referenced_security_group_id", opt(r.referenced_group_info().and_then(|g| g.group_id()))),
            ("description", opt(r.description().filter(|d| !d.is_empty()))),
            ("tags_all", tags_value(r.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        let group = get_str(prior, "security_group_id").unwrap_or_default();
        let r = if self.egress {
            cx.c.ec2.revoke_security_group_egress().group_id(group).security_group_rule_ids(id).send().await.map(|_| ()).map_err(sdk(cx.addr))
        } else {
            cx.c.ec2.revoke_security_group_ingress().group_id(group).security_group_rule_ids(id).send().await.map(|_| ()).map_err(sdk(cx.addr))
        };
        absent(r).map(|_| ())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_security_group_rules().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.security_group_rules().iter().find(|r| r.is_egress() == Some(self.egress)).and_then(|r| r.security_group_rule_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
