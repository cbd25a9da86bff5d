//! `aws_vpc_security_group_ingress_rule` and `_egress_rule`: one rule each,
//! with its own id (`sgr-...`) and tags. Everything but the group updates in
//! place (ModifySecurityGroupRules). With `ip_protocol = "-1"` AWS reports
//! ports as -1; they stay null, as configured.

use std::marker::PhantomData;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct RuleModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    security_group_rule_id: Option<String>,
    #[sdk(required, force_new)]
    security_group_id: String,
    #[sdk(required)]
    ip_protocol: String,
    #[sdk(optional)]
    from_port: Option<i32>,
    #[sdk(optional)]
    to_port: Option<i32>,
    #[sdk(optional)]
    cidr_ipv4: Option<String>,
    #[sdk(optional)]
    cidr_ipv6: Option<String>,
    #[sdk(optional)]
    prefix_list_id: Option<String>,
    #[sdk(optional)]
    referenced_security_group_id: Option<String>,
    #[sdk(optional)]
    description: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

impl RuleModel {
    fn all_protocols(&self) -> bool {
        matches!(self.ip_protocol.as_str(), "-1" | "all")
    }

    /// The protocol as AWS takes it ("all" is "-1").
    fn protocol(&self) -> &str {
        match self.ip_protocol.as_str() {
            "all" | "" => "-1",
            p => p,
        }
    }

    /// Whether any of the rule's settings (all but its group and tags) differ.
    fn settings_differ(&self, other: &RuleModel) -> bool {
        (self.ip_protocol != other.ip_protocol)
            || (self.from_port, self.to_port) != (other.from_port, other.to_port)
            || (&self.cidr_ipv4, &self.cidr_ipv6, &self.prefix_list_id) != (&other.cidr_ipv4, &other.cidr_ipv6, &other.prefix_list_id)
            || (&self.referenced_security_group_id, &self.description) != (&other.referenced_security_group_id, &other.description)
    }

    fn permission(&self) -> IpPermission {
        let desc = self.description.clone();
        let mut b = IpPermission::builder().ip_protocol(self.protocol());
        if !self.all_protocols() {
            b = b.set_from_port(self.from_port).set_to_port(self.to_port);
        }
        if let Some(c) = &self.cidr_ipv4 {
            b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc.clone()).build());
        }
        if let Some(c) = &self.cidr_ipv6 {
            b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(desc.clone()).build());
        }
        if let Some(c) = &self.prefix_list_id {
            b = b.prefix_list_ids(PrefixListId::builder().prefix_list_id(c).set_description(desc.clone()).build());
        }
        if let Some(g) = &self.referenced_security_group_id {
            b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(desc).build());
        }
        b.build()
    }
}

/// Which way a rule type's rules go.
pub trait Direction: Send + Sync + 'static {
    const TYPE: &'static str;
    const EGRESS: bool;
}

pub struct In;
pub struct Out;

impl Direction for In {
    const TYPE: &'static str = "aws_vpc_security_group_ingress_rule";
    const EGRESS: bool = false;
}

impl Direction for Out {
    const TYPE: &'static str = "aws_vpc_security_group_egress_rule";
    const EGRESS: bool = true;
}

pub struct Rule<D>(PhantomData<D>);

pub const INGRESS: Rule<In> = Rule(PhantomData);
pub const EGRESS: Rule<Out> = Rule(PhantomData);

const PEERS: &[&str] = &["cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"];

#[async_trait]
impl<D: Direction> Resource<Aws> for Rule<D> {
    type Model = RuleModel;
    const TYPE: &'static str = D::TYPE;

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        if PEERS.iter().filter(|k| planned.get(k).is_some_and(|v| !v.is_null())).count() != 1 {
            return Err(cx.invalid(format!("exactly one of {} is required", PEERS.join(", "))));
        }
        let all = matches!(planned.get("ip_protocol").and_then(Value::as_str), Some("-1" | "all"));
        let port = |k: &str| planned.get(k).and_then(Value::as_f64).is_some();
        if all && (port("from_port") || port("to_port")) {
            return Err(cx.invalid("from_port and to_port must be left out when ip_protocol is \"-1\" (all protocols)"));
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: RuleModel) -> Result<RuleModel, AwsError> {
        let spec = tag_spec(cx, ResourceType::SecurityGroupRule, &p.tags);
        let rules = if D::EGRESS {
            cx.c()
                .ec2
                .authorize_security_group_egress()
                .group_id(&p.security_group_id)
                .ip_permissions(p.permission())
                .tag_specifications(spec)
                .send()
                .await
                .map_err(sdk(cx.addr))?
                .security_group_rules()
                .to_vec()
        } else {
            cx.c()
                .ec2
                .authorize_security_group_ingress()
                .group_id(&p.security_group_id)
                .ip_permissions(p.permission())
                .tag_specifications(spec)
                .send()
                .await
                .map_err(sdk(cx.addr))?
                .security_group_rules()
                .to_vec()
        };
        let id = rules.first().and_then(|r| r.security_group_rule_id()).ok_or_else(|| cx.invalid("the authorize call returned no rule id"))?.to_string();
        self.read(cx, RuleModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: RuleModel, p: RuleModel) -> Result<RuleModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        if prior.settings_differ(&p) {
            let mut r = SecurityGroupRuleRequest::builder().ip_protocol(if p.ip_protocol.is_empty() { "-1" } else { p.ip_protocol.as_str() });
            if !p.all_protocols() {
                r = r.set_from_port(p.from_port).set_to_port(p.to_port);
            }
            let r = r
                .set_cidr_ipv4(p.cidr_ipv4.clone())
                .set_cidr_ipv6(p.cidr_ipv6.clone())
                .set_prefix_list_id(p.prefix_list_id.clone())
                .set_referenced_group_id(p.referenced_security_group_id.clone())
                .set_description(p.description.clone())
                .build();
            let upd = SecurityGroupRuleUpdate::builder().security_group_rule_id(id).security_group_rule(r).build();
            cx.c().ec2.modify_security_group_rules().group_id(&prior.security_group_id).security_group_rules(upd).send().await.map_err(sdk(cx.addr))?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: RuleModel) -> Result<Option<RuleModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_security_group_rules().security_group_rule_ids(id).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let Some(r) = out.security_group_rules().iter().find(|r| r.security_group_rule_id() == Some(id) && r.is_egress() == Some(D::EGRESS)) else {
            return Ok(None);
        };
        let protocol = r.ip_protocol().unwrap_or("-1");
        let all = protocol == "-1";
        // Keep the configured spelling of "all protocols".
        let protocol = if all && current.ip_protocol == "all" { "all" } else { protocol };
        let owner = r.group_owner_id().unwrap_or_default();
        let s = |x: Option<&str>| x.map(str::to_string);
        Ok(Some(RuleModel {
            id: Some(id.to_string()),
            arn: Some(r.security_group_rule_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "security-group-rule", id))),
            security_group_rule_id: Some(id.to_string()),
            security_group_id: r.group_id().unwrap_or_default().to_string(),
            ip_protocol: protocol.to_string(),
            from_port: if all { None } else { r.from_port() },
            to_port: if all { None } else { r.to_port() },
            cidr_ipv4: s(r.cidr_ipv4()),
            cidr_ipv6: s(r.cidr_ipv6()),
            prefix_list_id: s(r.prefix_list_id()),
            referenced_security_group_id: s(r.referenced_group_info().and_then(|g| g.group_id())),
            description: s(r.description().filter(|d| !d.is_empty())),
            tags: tags_of(r.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RuleModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        let group = prior.security_group_id.as_str();
        let r = if D::EGRESS {
            cx.c().ec2.revoke_security_group_egress().group_id(group).security_group_rule_ids(id).send().await.map(|_| ()).map_err(sdk(cx.addr))
        } else {
            cx.c().ec2.revoke_security_group_ingress().group_id(group).security_group_rule_ids(id).send().await.map(|_| ()).map_err(sdk(cx.addr))
        };
        absent(r).map(|_| ())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RuleModel) -> Result<Option<RuleModel>, AwsError> {
        let out = cx.c().ec2.describe_security_group_rules().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.security_group_rules().iter().find(|r| r.is_egress() == Some(D::EGRESS)).and_then(|r| r.security_group_rule_id()) {
            Some(id) => self.read(cx, RuleModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
