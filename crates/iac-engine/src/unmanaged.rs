//! Unmanaged cloud objects (`iac drift -unmanaged`), the way driftctl
//! reported them: objects that providers list in their scope, minus those
//! any checked stack's state knows, minus those a filter file ignores.

use std::collections::BTreeSet;

use iac_core::provider::CloudObject;

/// One rule of a filter file: `TYPE PATTERN`, where the pattern matches an
/// object's id or its name and `*` stands for any run of characters.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    type_: String,
    pattern: String,
}

/// A line of a filter file that is not `TYPE PATTERN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {text:?} is not `TYPE ID-OR-NAME` (e.g. `digitalocean_vpc default-*`)")]
pub struct IgnoreParseError {
    pub line: usize,
    pub text: String,
}

/// The objects to leave out of the report (a `.iacignore`-like file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoreList {
    rules: Vec<Rule>,
}

impl IgnoreList {
    /// Parses lines of `TYPE PATTERN` (`*` as TYPE matches every type);
    /// blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<IgnoreList, IgnoreParseError> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(t), Some(p), None) => rules.push(Rule { type_: t.to_string(), pattern: p.to_string() }),
                _ => return Err(IgnoreParseError { line: n + 1, text: line.to_string() }),
            }
        }
        Ok(IgnoreList { rules })
    }

    pub fn ignores(&self, o: &CloudObject) -> bool {
        self.rules.iter().any(|r| glob(&r.type_, &o.type_) && (glob(&r.pattern, &o.id) || (!o.name.is_empty() && glob(&r.pattern, &o.name))))
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// What the checked stacks' state knows: each managed object by its type and
/// id, and the ids of objects nested in them (a DOKS cluster's inline node
/// pool) by the name of the block that holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownIds {
    typed: BTreeSet<(String, String)>,
    nested: BTreeSet<(String, String)>,
}

impl KnownIds {
    /// Records a managed object of `type_` with its state attributes.
    pub fn add(&mut self, type_: &str, attributes: &serde_json::Value) {
        if let Some(id) = attributes.get("id").and_then(|v| v.as_str()) {
            self.typed.insert((type_.to_string(), id.to_string()));
        }
        if let serde_json::Value::Object(m) = attributes {
            for (k, v) in m {
                nested_ids(k, v, &mut self.nested);
            }
        }
    }

    pub fn extend(&mut self, other: &KnownIds) {
        self.typed.extend(other.typed.iter().cloned());
        self.nested.extend(other.nested.iter().cloned());
    }

    /// Whether state knows the object. Ids are matched with their type, since
    /// on AWS a name is an id (a bucket and a role may both be `logs`); a
    /// nested id counts only for the type named after its block (`node_pool`
    /// for `digitalocean_kubernetes_node_pool`), so a lifecycle rule's `id`
    /// hides no role of that name.
    pub fn knows(&self, o: &CloudObject) -> bool {
        self.typed.contains(&(o.type_.clone(), o.id.clone()))
            || self.nested.iter().any(|(block, id)| *id == o.id && (o.type_ == *block || o.type_.ends_with(&format!("_{block}"))))
    }
}

/// Every string under an `id` key below the attribute `block`, at any depth,
/// recorded with the innermost block name that holds it.
fn nested_ids(block: &str, v: &serde_json::Value, out: &mut BTreeSet<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("id", serde_json::Value::String(s)) => {
                        out.insert((block.to_string(), s.clone()));
                    }
                    _ => nested_ids(k, v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| nested_ids(block, v, out)),
        _ => {}
    }
}

/// Keeps the listed objects that no state knows and no rule ignores, each
/// once (in the first listing that found it).
pub fn unmanaged<'a>(listings: impl IntoIterator<Item = &'a mut Vec<CloudObject>>, known: &KnownIds, ignore: &IgnoreList) {
    let mut reported = BTreeSet::new();
    for list in listings {
        list.retain(|o| !known.knows(o) && !ignore.ignores(o) && reported.insert((o.type_.clone(), o.id.clone())));
        list.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(t: &str, id: &str, name: &str) -> CloudObject {
        CloudObject { type_: t.into(), id: id.into(), name: name.into() }
    }

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abc", true),
            ("a*c", "ab", false),
            ("*", "", true),
            ("x", "x", true),
            ("x", "xy", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
        ] {
            assert_eq!(glob(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn filter_files_parse_and_match_id_or_name() {
        let list = IgnoreList::parse("# ours\ndigitalocean_vpc default-*\n* 1234 # by id\n").unwrap();
        assert!(list.ignores(&obj("digitalocean_vpc", "u-1", "default-nyc1")));
        assert!(list.ignores(&obj("digitalocean_kubernetes_cluster", "1234", "x")));
        assert!(!list.ignores(&obj("digitalocean_kubernetes_cluster", "9", "default-x")));
        assert_eq!(IgnoreList::parse("# c\nonly-one-word").unwrap_err(), IgnoreParseError { line: 2, text: "only-one-word".into() });
    }

    #[test]
    fn known_and_ignored_objects_are_not_reported_and_duplicates_once() {
        let mut known = KnownIds::default();
        known.add("digitalocean_vpc", &serde_json::json!({"id": "v1"}));
        let ignore = IgnoreList::parse("digitalocean_vpc keep-*").unwrap();
        let mut a = vec![obj("digitalocean_vpc", "v1", "net"), obj("digitalocean_vpc", "v2", "other"), obj("digitalocean_vpc", "v3", "keep-me")];
        let mut b = vec![obj("digitalocean_vpc", "v2", "other"), obj("digitalocean_kubernetes_cluster", "c1", "k")];
        unmanaged([&mut a, &mut b], &known, &ignore);
        assert_eq!(a, vec![obj("digitalocean_vpc", "v2", "other")]);
        assert_eq!(b, vec![obj("digitalocean_kubernetes_cluster", "c1", "k")]);
    }

    #[test]
    fn ids_match_with_their_type_and_nested_ids_with_their_block() {
        let mut known = KnownIds::default();
        known.add("aws_s3_bucket", &serde_json::json!({"id": "logs", "rule": [{"id": "uploads"}]}));
        known.add("digitalocean_kubernetes_cluster", &serde_json::json!({"id": "c1", "node_pool": [{"id": "p1", "nodes": [{"id": "n1"}]}]}));
        assert!(known.knows(&obj("aws_s3_bucket", "logs", "")));
        assert!(!known.knows(&obj("aws_iam_role", "logs", "")), "a role named like a managed bucket is not managed");
        assert!(!known.knows(&obj("aws_iam_role", "uploads", "")), "a lifecycle rule's id hides no role");
        assert!(known.knows(&obj("digitalocean_kubernetes_node_pool", "p1", "")), "the cluster's inline pool is managed");
        assert!(!known.knows(&obj("digitalocean_vpc", "p1", "")));
    }
}
