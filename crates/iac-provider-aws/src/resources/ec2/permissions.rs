//! Security group permissions as the legacy rule shapes see them: the
//! inline `ingress`/`egress` rules of `aws_security_group` and
//! `aws_security_group_rule`. A rule is cut into atoms (one source each:
//! an IPv4 or IPv6 range, a prefix list, a group), so that rules AWS
//! aggregates by protocol and ports can be matched back to the rules the
//! configuration wrote, and updates revoke and authorize only what changed.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use iac_provider_sdk::prelude::*;

/// The protocol as upstream stores it: `-1` for all, a name for the
/// numbers it knows (`6` is `tcp`), else as written, lower-cased.
pub fn protocol_for_value(v: &str) -> String {
    const KNOWN: &[(&str, i32)] = &[("icmp", 1), ("tcp", 6), ("udp", 17), ("icmpv6", 58)];
    let p = v.to_ascii_lowercase();
    if p == "-1" || p == "all" {
        return "-1".into();
    }
    if KNOWN.iter().any(|(n, _)| *n == p) {
        return p;
    }
    match p.parse::<i32>() {
        Ok(n) => KNOWN.iter().find(|(_, k)| *k == n).map(|(name, _)| name.to_string()).unwrap_or(p),
        Err(_) => p,
    }
}

/// One inline rule of `aws_security_group` (`ingress` or `egress`), with
/// the zero values upstream stores for what the configuration leaves out.
#[derive(Model, Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SgRule {
    #[sdk(optional)]
    pub cidr_blocks: Vec<String>,
    #[sdk(optional)]
    pub description: String,
    #[sdk(required)]
    pub from_port: i64,
    #[sdk(optional)]
    pub ipv6_cidr_blocks: Vec<String>,
    #[sdk(optional)]
    pub prefix_list_ids: Vec<String>,
    #[sdk(required)]
    pub protocol: String,
    #[sdk(optional, set)]
    pub security_groups: Vec<String>,
    #[sdk(optional, name = "self")]
    pub self_: bool,
    #[sdk(required)]
    pub to_port: i64,
}

/// An inline rule's configured value in the form upstream stores: nulls
/// as zero values, the protocol canonical. Elements not yet known stay.
pub fn canonical_rule(v: &mut Value) {
    let Value::Map(m) = v else { return };
    for k in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"] {
        if m.get(k).is_none_or(Value::is_null) {
            m.insert(k.into(), Value::List(Vec::new().into()));
        }
    }
    if m.get("description").is_none_or(Value::is_null) {
        m.insert("description".into(), Value::from(""));
    }
    if m.get("self").is_none_or(Value::is_null) {
        m.insert("self".into(), Value::Bool(false));
    }
    if let Some(p) = m.get("protocol").and_then(Value::as_str).map(protocol_for_value) {
        m.insert("protocol".into(), Value::from(p));
    }
}

/// What a permission lets through besides protocol and ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    /// `[OWNER/]GROUP_ID`.
    Group(String),
}

/// One source of one permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Atom {
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub source: Source,
    pub description: String,
}

impl SgRule {
    /// The rule's atoms; `self` is the group `own`.
    pub fn atoms(&self, own: &str) -> Vec<Atom> {
        let protocol = protocol_for_value(&self.protocol);
        let (from, to) = if protocol == "-1" { (0, 0) } else { (self.from_port, self.to_port) };
        let mut sources: Vec<Source> = Vec::new();
        sources.extend(self.cidr_blocks.iter().cloned().map(Source::Cidr));
        sources.extend(self.ipv6_cidr_blocks.iter().cloned().map(Source::Ipv6));
        sources.extend(self.prefix_list_ids.iter().cloned().map(Source::PrefixList));
        sources.extend(self.security_groups.iter().cloned().map(Source::Group));
        if self.self_ {
            sources.push(Source::Group(own.to_string()));
        }
        sources.into_iter().map(|source| Atom { protocol: protocol.clone(), from, to, source, description: self.description.clone() }).collect()
    }
}

/// The atoms of permissions as AWS reports them; groups of the owner
/// `owner` are named by id alone.
pub fn gather(perms: &[IpPermission], owner: &str) -> Vec<Atom> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = protocol_for_value(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if protocol == "-1" { (0, 0) } else { (i64::from(p.from_port().unwrap_or(0)), i64::from(p.to_port().unwrap_or(0))) };
        let mut push = |source: Source, d: Option<&str>| {
            out.push(Atom { protocol: protocol.clone(), from, to, source, description: d.unwrap_or_default().to_string() });
        };
        for r in p.ip_ranges() {
            push(Source::Cidr(r.cidr_ip().unwrap_or_default().to_string()), r.description());
        }
        for r in p.ipv6_ranges() {
            push(Source::Ipv6(r.cidr_ipv6().unwrap_or_default().to_string()), r.description());
        }
        for r in p.prefix_list_ids() {
            push(Source::PrefixList(r.prefix_list_id().unwrap_or_default().to_string()), r.description());
        }
        for g in p.user_id_group_pairs() {
            let id = g.group_id().unwrap_or_default();
            let name = match g.user_id().filter(|u| !u.is_empty() && *u != owner) {
                Some(u) => format!("{u}/{id}"),
                None => id.to_string(),
            };
            push(Source::Group(name), g.description());
        }
    }
    out
}

/// The inline rules the group's permissions make: each rule of `known`
/// (the rules as last written) whose every atom AWS has, as written; what
/// is left grouped by protocol, ports and description, as upstream does.
pub fn rules_of(mut remote: Vec<Atom>, known: &[SgRule], own: &str) -> Vec<SgRule> {
    let mut out = Vec::new();
    for rule in known {
        let atoms = rule.atoms(own);
        if atoms.is_empty() || !atoms.iter().all(|a| remote.contains(a)) {
            continue;
        }
        remote.retain(|a| !atoms.contains(a));
        out.push(rule.clone());
    }
    let mut grouped: Vec<SgRule> = Vec::new();
    for a in remote {
        let i = match grouped.iter().position(|r| r.protocol == a.protocol && r.from_port == a.from && r.to_port == a.to && r.description == a.description) {
            Some(i) => i,
            None => {
                grouped.push(SgRule {
                    protocol: a.protocol.clone(),
                    from_port: a.from,
                    to_port: a.to,
                    description: a.description.clone(),
                    ..SgRule::default()
                });
                grouped.len() - 1
            }
        };
        let r = &mut grouped[i];
        match a.source {
            Source::Cidr(c) => r.cidr_blocks.push(c),
            Source::Ipv6(c) => r.ipv6_cidr_blocks.push(c),
            Source::PrefixList(p) => r.prefix_list_ids.push(p),
            Source::Group(g) if g == own => r.self_ = true,
            Source::Group(g) => r.security_groups.push(g),
        }
    }
    out.extend(grouped);
    for r in &mut out {
        r.security_groups = r.security_groups.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    }
    out
}

/// One permission per atom, for AuthorizeSecurityGroup*/Revoke*.
pub fn permission(a: &Atom) -> IpPermission {
    let d = Some(a.description.clone()).filter(|d| !d.is_empty());
    let mut b = IpPermission::builder().ip_protocol(&a.protocol);
    if a.protocol != "-1" {
        b = b.from_port(a.from as i32).to_port(a.to as i32);
    }
    match &a.source {
        Source::Cidr(c) => b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build()),
        Source::Ipv6(c) => b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build()),
        Source::PrefixList(p) => b = b.prefix_list_ids(PrefixListId::builder().prefix_list_id(p).set_description(d).build()),
        Source::Group(g) => {
            let pair = match g.split_once('/') {
                Some((owner, id)) => UserIdGroupPair::builder().user_id(owner).group_id(id),
                None => UserIdGroupPair::builder().group_id(g),
            };
            b = b.user_id_group_pairs(pair.set_description(d).build());
        }
    }
    b.build()
}

/// The atoms to revoke and to authorize to go from `old` rules to `new`.
pub fn changes(old: &[SgRule], new: &[SgRule], own: &str) -> (Vec<Atom>, Vec<Atom>) {
    let o: BTreeSet<Atom> = old.iter().flat_map(|r| r.atoms(own)).collect();
    let n: BTreeSet<Atom> = new.iter().flat_map(|r| r.atoms(own)).collect();
    (o.difference(&n).cloned().collect(), n.difference(&o).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, from: i64, cidrs: &[&str]) -> SgRule {
        SgRule { protocol: protocol.into(), from_port: from, to_port: from, cidr_blocks: cidrs.iter().map(|c| c.to_string()).collect(), ..SgRule::default() }
    }

    #[test]
    fn protocols_are_upstreams_spelling() {
        assert_eq!(protocol_for_value("6"), "tcp");
        assert_eq!(protocol_for_value("TCP"), "tcp");
        assert_eq!(protocol_for_value("all"), "-1");
        assert_eq!(protocol_for_value("50"), "50");
        assert_eq!(protocol_for_value("58"), "icmpv6");
    }

    #[test]
    fn rules_aws_aggregates_are_matched_back_and_the_rest_grouped() {
        let known = vec![rule("tcp", 443, &["10.0.0.0/16"]), rule("tcp", 443, &["10.1.0.0/16"])];
        let perm = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(443)
            .to_port(443)
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/16").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.1.0.0/16").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.9.0.0/16").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-own").user_id("111").build())
            .build();
        let rules = rules_of(gather(&[perm], "111"), &known, "sg-own");
        assert_eq!(&rules[..2], &known[..], "what was written comes back as written");
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[2].cidr_blocks, vec!["10.9.0.0/16".to_string()], "the rest in one rule per ports and description");
        assert!(rules[2].self_, "the group's own id is `self`");
    }

    #[test]
    fn changes_touch_only_what_differs() {
        let old = vec![rule("tcp", 443, &["10.0.0.0/16", "10.1.0.0/16"])];
        let new = vec![rule("tcp", 443, &["10.0.0.0/16"]), rule("udp", 53, &["10.0.0.0/16"])];
        let (revoke, authorize) = changes(&old, &new, "sg-x");
        assert_eq!(revoke.len(), 1);
        assert_eq!(revoke[0].source, Source::Cidr("10.1.0.0/16".into()));
        assert_eq!(authorize.len(), 1);
        assert_eq!(authorize[0].protocol, "udp");
    }

    #[test]
    fn configured_rules_take_upstreams_zero_values() {
        let mut v = Value::map([("protocol", Value::from("6")), ("from_port", Value::from(1)), ("to_port", Value::from(1)), ("cidr_blocks", Value::Null)]);
        canonical_rule(&mut v);
        assert_eq!(v.get("protocol"), Some(&Value::from("tcp")));
        assert_eq!(v.get("cidr_blocks"), Some(&Value::List(Vec::new().into())));
        assert_eq!(v.get("self"), Some(&Value::Bool(false)));
        assert_eq!(v.get("description"), Some(&Value::from("")));
    }
}
