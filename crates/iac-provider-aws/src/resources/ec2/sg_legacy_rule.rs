//! `aws_security_group_rule`, the legacy rule resource: one permission
//! (a protocol, a port range and its sources) of one direction of a group,
//! found again among the group's permissions, which AWS aggregates. Only the
//! description updates in place; everything else replaces. The id is
//! upstream's `sgrule-<CRC-32>` of the group, ports, protocol, direction
//! and sources, so state moves between this and the upstream plugin; an
//! import takes upstream's `SG_TYPE_PROTOCOL_FROM_TO_SOURCE[_SOURCE]…`.

use aws_sdk_ec2::types::IpPermission;
use iac_provider_sdk::prelude::*;

use super::permissions::{gather, permission, protocol_for_value, Atom, SgRule, Source};
use super::*;
use crate::error::absent;
use crate::resources::naming::hashcode;
use crate::resources::Timeouts;
use crate::values::set;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct LegacyRuleModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional, force_new)]
    cidr_blocks: Option<Vec<String>>,
    #[sdk(optional)]
    description: Option<String>,
    #[sdk(required, force_new)]
    from_port: i64,
    #[sdk(optional, force_new)]
    ipv6_cidr_blocks: Option<Vec<String>>,
    #[sdk(optional, force_new)]
    prefix_list_ids: Option<Vec<String>>,
    /// a name (tcp, udp, icmp, icmpv6), a number, or -1/all
    #[sdk(required, force_new)]
    protocol: String,
    #[sdk(required, force_new)]
    security_group_id: String,
    #[sdk(computed)]
    security_group_rule_id: Option<String>,
    #[sdk(optional, force_new, default = false, name = "self")]
    self_: Option<bool>,
    #[sdk(optional, computed, force_new)]
    source_security_group_id: Option<String>,
    #[sdk(required, force_new)]
    to_port: i64,
    /// ingress or egress
    #[sdk(required, force_new, name = "type")]
    kind: String,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

impl LegacyRuleModel {
    fn egress(&self) -> bool {
        self.kind == "egress"
    }

    /// The rule as an inline rule of its group (for its atoms).
    fn as_rule(&self) -> SgRule {
        SgRule {
            cidr_blocks: self.cidr_blocks.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
            from_port: self.from_port,
            ipv6_cidr_blocks: self.ipv6_cidr_blocks.clone().unwrap_or_default(),
            prefix_list_ids: self.prefix_list_ids.clone().unwrap_or_default(),
            protocol: self.protocol.clone(),
            security_groups: self.source_security_group_id.iter().filter(|s| **s != self.security_group_id).cloned().collect(),
            self_: self.self_ == Some(true) || self.source_security_group_id.as_deref() == Some(self.security_group_id.as_str()),
            to_port: self.to_port,
        }
    }

    fn atoms(&self) -> Vec<Atom> {
        self.as_rule().atoms(&self.security_group_id)
    }

    /// Upstream's id: `sgrule-` and the CRC-32 of the permission's text.
    fn rule_id(&self) -> String {
        let protocol = protocol_for_value(&self.protocol);
        let mut buf = format!("{}-", self.security_group_id);
        if protocol != "-1" {
            if self.from_port > 0 {
                buf.push_str(&format!("{}-", self.from_port));
            }
            if self.to_port > 0 {
                buf.push_str(&format!("{}-", self.to_port));
            }
        }
        buf.push_str(&format!("{protocol}-{}-", self.kind));
        for list in [&self.cidr_blocks, &self.ipv6_cidr_blocks, &self.prefix_list_ids] {
            let mut v = list.clone().unwrap_or_default();
            v.sort();
            v.iter().for_each(|x| buf.push_str(&format!("{x}-")));
        }
        let mut groups: Vec<String> = self
            .atoms()
            .into_iter()
            .filter_map(|a| match a.source {
                Source::Group(g) => Some(g.rsplit('/').next().unwrap_or_default().to_string()),
                _ => None,
            })
            .collect();
        groups.sort();
        groups.iter().for_each(|g| buf.push_str(&format!("{g}--")));
        format!("sgrule-{}", hashcode(&buf))
    }
}

/// Parses upstream's import id `SG_TYPE_PROTOCOL_FROM_TO_SOURCE[_SOURCE]…`.
fn parse_import(id: &str) -> Result<LegacyRuleModel, String> {
    let parts: Vec<&str> = id.split('_').collect();
    if parts.len() < 6 {
        return Err(format!("unexpected format for ID ({id:?}), expected SECURITYGROUPID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE[_SOURCE]*"));
    }
    if !parts[0].starts_with("sg-") || !matches!(parts[1], "ingress" | "egress") {
        return Err(format!("unexpected format for ID ({id:?}): a security group id, then ingress or egress"));
    }
    let port = |s: &str| s.parse::<i64>().map_err(|_| format!("unexpected format for ID ({id:?}): invalid port {s:?}"));
    let mut m = LegacyRuleModel {
        security_group_id: parts[0].into(),
        kind: parts[1].into(),
        protocol: protocol_for_value(parts[2]),
        from_port: port(parts[3])?,
        to_port: port(parts[4])?,
        self_: Some(false),
        ..LegacyRuleModel::default()
    };
    let (mut cidrs, mut ipv6, mut prefixes) = (Vec::new(), Vec::new(), Vec::new());
    for s in &parts[5..] {
        match *s {
            "self" => m.self_ = Some(true),
            s if s.contains("sg-") => m.source_security_group_id = Some(s.into()),
            s if s.contains(':') => ipv6.push(s.to_string()),
            s if s.contains("pl-") => prefixes.push(s.to_string()),
            s => cidrs.push(s.to_string()),
        }
    }
    let some = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
    (m.cidr_blocks, m.ipv6_cidr_blocks, m.prefix_list_ids) = (some(cidrs), some(ipv6), some(prefixes));
    Ok(m)
}

pub struct LegacyRule;

async fn group(cx: &Cx<'_>, id: &str) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
    let out = absent(cx.c().ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))?;
    Ok(out.and_then(|o| o.security_groups().first().cloned()))
}

#[async_trait]
impl Resource<Aws> for LegacyRule {
    type Model = LegacyRuleModel;
    const TYPE: &'static str = "aws_security_group_rule";
    const VERSION: u64 = 2;

    fn canonical_config(&self, config: &mut Value) {
        let Some(p) = config.get("protocol").and_then(Value::as_str).map(protocol_for_value) else { return };
        if p == "-1" {
            // AWS keeps no ports for all protocols; upstream stores 0.
            set(config, "from_port", Value::from(0));
            set(config, "to_port", Value::from(0));
        }
        set(config, "protocol", Value::from(p));
    }

    fn validate(&self, config: &Value) -> Vec<(iac_provider_sdk::AttrPath, String)> {
        let given = |k: &str| config.get(k).is_some_and(|v| !v.is_null() && v.as_list().is_none_or(|l| !l.is_empty()) && v != &Value::Bool(false));
        let mut out = Vec::new();
        if !["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "self", "source_security_group_id"].iter().any(|k| given(k)) {
            out.push((
                iac_provider_sdk::AttrPath::root(),
                "one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, self or source_security_group_id is required".to_string(),
            ));
        }
        if given("source_security_group_id") && (given("cidr_blocks") || given("ipv6_cidr_blocks") || given("self")) {
            out.push((iac_provider_sdk::AttrPath::root(), "source_security_group_id conflicts with cidr_blocks, ipv6_cidr_blocks and self".to_string()));
        }
        if config.get("type").and_then(Value::as_str).is_some_and(|t| t != "ingress" && t != "egress") {
            out.push((iac_provider_sdk::AttrPath::root(), "type must be ingress or egress".to_string()));
        }
        out
    }

    async fn create(&self, cx: &Cx<'_>, p: LegacyRuleModel) -> Result<LegacyRuleModel, AwsError> {
        let perms: Vec<IpPermission> = merged(&p.atoms());
        let ec2 = &cx.c().ec2;
        let rule_ids: Vec<String> = if p.egress() {
            let out =
                ec2.authorize_security_group_egress().group_id(&p.security_group_id).set_ip_permissions(Some(perms)).send().await.map_err(sdk(cx.addr))?;
            out.security_group_rules().iter().filter_map(|r| r.security_group_rule_id()).map(str::to_string).collect()
        } else {
            let out =
                ec2.authorize_security_group_ingress().group_id(&p.security_group_id).set_ip_permissions(Some(perms)).send().await.map_err(sdk(cx.addr))?;
            out.security_group_rules().iter().filter_map(|r| r.security_group_rule_id()).map(str::to_string).collect()
        };
        let id = p.rule_id();
        let mut got =
            self.read(cx, LegacyRuleModel { id: Some(id.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished after its create")))?;
        if got.security_group_rule_id.is_none() && rule_ids.len() == 1 {
            got.security_group_rule_id = rule_ids.into_iter().next();
        }
        Ok(got)
    }

    async fn update(&self, cx: &Cx<'_>, prior: LegacyRuleModel, p: LegacyRuleModel) -> Result<LegacyRuleModel, AwsError> {
        if prior.description != p.description {
            let perms = merged(&p.atoms());
            let ec2 = &cx.c().ec2;
            if p.egress() {
                ec2.update_security_group_rule_descriptions_egress()
                    .group_id(&p.security_group_id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(sdk(cx.addr))?;
            } else {
                ec2.update_security_group_rule_descriptions_ingress()
                    .group_id(&p.security_group_id)
                    .set_ip_permissions(Some(perms))
                    .send()
                    .await
                    .map_err(sdk(cx.addr))?;
            }
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the rule vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: LegacyRuleModel) -> Result<Option<LegacyRuleModel>, AwsError> {
        let Some(g) = group(cx, &current.security_group_id).await? else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        let remote = gather(if current.egress() { g.ip_permissions_egress() } else { g.ip_permissions() }, owner);
        let wanted = current.atoms();
        let same = |a: &Atom, b: &Atom| a.protocol == b.protocol && a.from == b.from && a.to == b.to && a.source == b.source;
        if wanted.is_empty() || !wanted.iter().all(|w| remote.iter().any(|r| same(r, w))) {
            return Ok(None);
        }
        let description = wanted.iter().find_map(|w| remote.iter().find(|r| same(r, w)).map(|r| r.description.clone()).filter(|d| !d.is_empty()));
        let rules = cx.c().ec2.describe_security_group_rules().filters(filter("group-id", &current.security_group_id)).send().await.map_err(sdk(cx.addr))?;
        let rule_id = match wanted.as_slice() {
            [only] => rules
                .security_group_rules()
                .iter()
                .filter(|r| r.is_egress() == Some(current.egress()))
                .find(|r| {
                    let source = match (r.cidr_ipv4(), r.cidr_ipv6(), r.prefix_list_id(), r.referenced_group_info().and_then(|g| g.group_id())) {
                        (Some(c), ..) => Source::Cidr(c.into()),
                        (_, Some(c), ..) => Source::Ipv6(c.into()),
                        (_, _, Some(p), _) => Source::PrefixList(p.into()),
                        (_, _, _, Some(g)) => Source::Group(g.into()),
                        _ => return false,
                    };
                    let protocol = protocol_for_value(r.ip_protocol().unwrap_or("-1"));
                    let (from, to) = if protocol == "-1" { (0, 0) } else { (i64::from(r.from_port().unwrap_or(0)), i64::from(r.to_port().unwrap_or(0))) };
                    let wanted = match &only.source {
                        Source::Group(g) => Source::Group(g.rsplit('/').next().unwrap_or_default().to_string()),
                        other => other.clone(),
                    };
                    protocol == only.protocol && from == only.from && to == only.to && source == wanted
                })
                .and_then(|r| r.security_group_rule_id())
                .map(str::to_string),
            _ => None,
        };
        let id = current.rule_id();
        Ok(Some(LegacyRuleModel {
            id: Some(id),
            description: description.or(current.description.clone()),
            security_group_rule_id: rule_id.or(current.security_group_rule_id.clone()),
            protocol: protocol_for_value(&current.protocol),
            ..current
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: LegacyRuleModel) -> Result<(), AwsError> {
        let perms = merged(&prior.atoms());
        let ec2 = &cx.c().ec2;
        let r = if prior.egress() {
            ec2.revoke_security_group_egress().group_id(&prior.security_group_id).set_ip_permissions(Some(perms)).send().await.map(|_| ()).map_err(sdk(cx.addr))
        } else {
            ec2.revoke_security_group_ingress()
                .group_id(&prior.security_group_id)
                .set_ip_permissions(Some(perms))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk(cx.addr))
        };
        match r {
            Err(e) if e.has_code(&["InvalidPermission.NotFound"]) => Ok(()),
            other => absent(other).map(|_| ()),
        }
    }

    async fn import(&self, cx: &Cx<'_>, id: &str) -> Result<Option<LegacyRuleModel>, AwsError> {
        let m = parse_import(id).map_err(|e| cx.invalid(e))?;
        self.read(cx, m).await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: LegacyRuleModel) -> Result<Option<LegacyRuleModel>, AwsError> {
        self.read(cx, planned).await
    }
}

/// The atoms of one rule as one permission per source kind, descriptions on each.
fn merged(atoms: &[Atom]) -> Vec<IpPermission> {
    let Some(first) = atoms.first() else { return Vec::new() };
    let head = permission(first);
    let mut b = IpPermission::builder().set_ip_protocol(head.ip_protocol().map(str::to_string)).set_from_port(head.from_port()).set_to_port(head.to_port());
    for a in atoms {
        let p = permission(a);
        for r in p.ip_ranges() {
            b = b.ip_ranges(r.clone());
        }
        for r in p.ipv6_ranges() {
            b = b.ipv6_ranges(r.clone());
        }
        for r in p.prefix_list_ids() {
            b = b.prefix_list_ids(r.clone());
        }
        for r in p.user_id_group_pairs() {
            b = b.user_id_group_pairs(r.clone());
        }
    }
    vec![b.build()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_upstreams() {
        // Ids the hashicorp/aws plugin gave these rules against moto.
        let out = LegacyRuleModel {
            security_group_id: "sg-4efb84ab993843d6d".into(),
            kind: "egress".into(),
            protocol: "-1".into(),
            cidr_blocks: Some(vec!["0.0.0.0/0".into()]),
            ..LegacyRuleModel::default()
        };
        assert_eq!(out.rule_id(), "sgrule-2839318894");
        let from_group = LegacyRuleModel {
            security_group_id: "sg-4efb84ab993843d6d".into(),
            kind: "ingress".into(),
            protocol: "tcp".into(),
            from_port: 5432,
            to_port: 5432,
            source_security_group_id: Some("sg-de4d61242f224b33b".into()),
            ..LegacyRuleModel::default()
        };
        assert_eq!(from_group.rule_id(), "sgrule-1535330790");
    }

    #[test]
    fn import_ids_name_the_rule() {
        let m = parse_import("sg-09a093729ef9382a6_ingress_tcp_8000_8000_10.0.3.0/24_10.0.4.0/24").unwrap();
        assert_eq!((m.kind.as_str(), m.protocol.as_str(), m.from_port, m.to_port), ("ingress", "tcp", 8000, 8000));
        assert_eq!(m.cidr_blocks, Some(vec!["10.0.3.0/24".to_string(), "10.0.4.0/24".to_string()]));
        let g = parse_import("sg-1_egress_all_0_0_sg-2").unwrap();
        assert_eq!((g.protocol.as_str(), g.source_security_group_id.as_deref()), ("-1", Some("sg-2")));
        assert!(parse_import("sg-1_sideways_tcp_1_1_10.0.0.0/8").is_err());
    }
}
