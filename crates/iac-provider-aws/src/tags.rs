//! Tags: the configured `tags` merged with the provider's `default_tags`
//! into `tags_all`, and the ownership tag (stack and address) that lets
//! `recover` find an object whose create was interrupted. The ownership tag
//! is kept out of `tags` and `tags_all`.

use std::collections::BTreeMap;

use iac_core::Value;

pub const OWNER_TAG: &str = "iac:owner";

/// The ownership tag's value: `<stack>/<address>`, with characters IAM and S3
/// refuse in tag values (brackets, quotes) written as `+XX`.
pub fn owner_value(stack_id: &str, addr: &str) -> String {
    let raw = format!("{stack_id}/{addr}");
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if ch.is_alphanumeric() || " _.:/=-@".contains(ch) {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("+{b:02X}"));
            }
        }
    }
    out
}

/// The string entries of a map value (none when it is not a map).
pub fn map_of(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_map).map(|m| m.iter().filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_string()))).collect()).unwrap_or_default()
}

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect())
}

/// `tags_all` as planned: default tags overlaid by the configured ones;
/// unknown while the configured tags are.
pub fn planned_all(defaults: &BTreeMap<String, String>, tags: &Value) -> Value {
    if !tags.is_wholly_known() {
        return Value::Unknown;
    }
    let mut all = defaults.clone();
    all.extend(map_of(Some(tags)));
    map_value(&all)
}

/// `tags` and `tags_all` from the object's tags as AWS reports them (the
/// ownership tag left out); `tags` is null when empty. A default tag is
/// part of `tags` only when the configuration (`current`) set it too.
pub fn from_aws(current: &Value, aws: &BTreeMap<String, String>, defaults: &BTreeMap<String, String>) -> (Value, Value) {
    let configured = map_of(current.get("tags"));
    let all: BTreeMap<String, String> = aws.iter().filter(|(k, _)| *k != OWNER_TAG).map(|(k, v)| (k.clone(), v.clone())).collect();
    let own: BTreeMap<String, String> =
        all.iter().filter(|(k, v)| configured.contains_key(*k) || defaults.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    (if own.is_empty() { Value::Null } else { map_value(&own) }, map_value(&all))
}

/// What to add or change, and which keys to remove, to go from `old` to `new`.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<String>) {
    let set = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn owner_values_are_valid_tag_values_and_distinct_per_address() {
        let a = owner_value("eks-platform", "aws_subnet.private[\"a\"]");
        assert_eq!(a, "eks-platform/aws_subnet.private+5B+22a+22+5D");
        assert_ne!(a, owner_value("eks-platform", "aws_subnet.private[\"b\"]"));
        assert_ne!(owner_value("s1", "aws_vpc.main"), owner_value("s2", "aws_vpc.main"));
    }

    #[test]
    fn default_tags_merge_and_split_back() {
        let defaults = m(&[("team", "platform"), ("env", "dev")]);
        let tags = Value::map([("Name", Value::from("main")), ("env", Value::from("prod"))]);
        let all = planned_all(&defaults, &tags);
        assert_eq!(all, map_value(&m(&[("Name", "main"), ("env", "prod"), ("team", "platform")])));
        assert_eq!(planned_all(&defaults, &Value::Unknown), Value::Unknown);
        let current = Value::map([("tags", tags.clone())]);
        let aws = m(&[("Name", "main"), ("env", "prod"), ("team", "platform"), (OWNER_TAG, "s/aws_vpc.main")]);
        let (own, all2) = from_aws(&current, &aws, &defaults);
        assert_eq!(own, tags, "the default tag is not part of tags; the owner tag is in neither");
        assert_eq!(all2, all);
        // A tag added out of band shows in tags (as drift to undo).
        let mut drifted = aws.clone();
        drifted.insert("added".into(), "by hand".into());
        assert_eq!(from_aws(&current, &drifted, &defaults).0.get("added"), Some(&Value::from("by hand")));
    }

    #[test]
    fn tag_diffs() {
        let (set, remove) = diff(&m(&[("a", "1"), ("b", "2")]), &m(&[("a", "1"), ("b", "3"), ("c", "4")]));
        assert_eq!(set, m(&[("b", "3"), ("c", "4")]));
        assert!(remove.is_empty());
        let (set, remove) = diff(&m(&[("a", "1"), ("b", "2")]), &m(&[("a", "1")]));
        assert!(set.is_empty());
        assert_eq!(remove, vec!["b".to_string()]);
    }
}
