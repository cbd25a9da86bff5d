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

/// Keeps the listed objects whose id no state knows and no rule ignores,
/// each once (in the first listing that found it). Ids are matched without
/// their type: state knows an id also when it is nested (a cluster's inline
/// node pool), and cloud ids are unique across types.
pub fn unmanaged<'a>(listings: impl IntoIterator<Item = &'a mut Vec<CloudObject>>, known: &BTreeSet<String>, ignore: &IgnoreList) {
    let mut reported = BTreeSet::new();
    for list in listings {
        list.retain(|o| !known.contains(&o.id) && !ignore.ignores(o) && reported.insert((o.type_.clone(), o.id.clone())));
        list.sort();
    }
}

/// Every string under an `id` key, at any depth, of a state object's attributes.
pub fn ids_in(attributes: &serde_json::Value, out: &mut BTreeSet<String>) {
    match attributes {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("id", serde_json::Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => ids_in(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        _ => {}
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
        for (p, t, want) in [("a*", "abc", true), ("*c", "abc", true), ("a*c", "abc", true), ("a*c", "ab", false), ("*", "", true), ("x", "x", true), ("x", "xy", false), ("a*b*c", "aXbYc", true), ("a*b*c", "acb", false), ("ab*ba", "aba", false)] {
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
        let known: BTreeSet<String> = ["v1".to_string()].into_iter().collect();
        let ignore = IgnoreList::parse("digitalocean_vpc keep-*").unwrap();
        let mut a = vec![obj("digitalocean_vpc", "v1", "net"), obj("digitalocean_vpc", "v2", "other"), obj("digitalocean_vpc", "v3", "keep-me")];
        let mut b = vec![obj("digitalocean_vpc", "v2", "other"), obj("digitalocean_kubernetes_cluster", "c1", "k")];
        unmanaged([&mut a, &mut b], &known, &ignore);
        assert_eq!(a, vec![obj("digitalocean_vpc", "v2", "other")]);
        assert_eq!(b, vec![obj("digitalocean_kubernetes_cluster", "c1", "k")]);
    }
}
