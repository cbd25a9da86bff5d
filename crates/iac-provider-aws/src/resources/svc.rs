//! What the types on the JSON-protocol services (CloudWatch Logs, SQS,
//! EventBridge, KMS, SSM, ECR Public) share: the call through
//! [`crate::json_api`], names generated as Terraform generates them
//! (`name_prefix` plus a 26-hex-digit suffix, `terraform-` without a
//! prefix; here the suffix is derived from the object's ownership tag, so
//! that a retried or recovered create picks the same name), and tags as the
//! services spell them.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::{AwsCx, Cx};
use crate::error::AwsError;
use crate::json_api::Service;

/// Calls `operation` of `svc` for the object `cx` works on.
pub async fn call(cx: &Cx<'_>, svc: &Service, operation: &str, input: Json) -> Result<Json, AwsError> {
    cx.c().json.call(cx.addr, svc, operation, &input).await
}

/// How many hex digits Terraform's generated names end with.
pub const UNIQUE_SUFFIX_LEN: usize = 26;

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A 26-hex-digit suffix, the same for the same owner on every run.
pub fn unique_suffix(owner: &str) -> String {
    let (a, b) = (fnv(owner), fnv(&format!("{owner}#2")));
    format!("{a:016x}{:010x}", b & 0xff_ffff_ffff)
}

/// The configured name; else the prefix (`default_prefix` when none is
/// configured) with the owner's suffix; then `suffix` (`.fifo`).
pub fn generated_name(cx: &Cx<'_>, name: &Option<String>, prefix: &Option<String>, default_prefix: &str, suffix: &str) -> String {
    match name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => {
            let p = prefix.as_deref().filter(|p| !p.is_empty()).unwrap_or(default_prefix);
            format!("{p}{}{suffix}", unique_suffix(&cx.owner()))
        }
    }
}

/// `name_prefix` as Terraform reads it back from a name: what precedes a
/// generated 26-hex-digit suffix (and `suffix`), else "".
pub fn prefix_from_name(name: &str, suffix: &str) -> String {
    let Some(stem) = name.strip_suffix(suffix) else { return String::new() };
    if stem.len() <= UNIQUE_SUFFIX_LEN || !stem.is_char_boundary(stem.len() - UNIQUE_SUFFIX_LEN) {
        return String::new();
    }
    let (head, tail) = stem.split_at(stem.len() - UNIQUE_SUFFIX_LEN);
    if tail.chars().all(|c| c.is_ascii_hexdigit()) {
        head.to_string()
    } else {
        String::new()
    }
}

/// Tags as a list of `{ <key>: k, <value>: v }` objects.
pub fn tag_list(tags: &BTreeMap<String, String>, key: &str, value: &str) -> Json {
    Json::Array(tags.iter().map(|(k, v)| json!({ key: k, value: v })).collect())
}

/// Tags from a list of `{ <key>: k, <value>: v }` objects.
pub fn tags_from_list(v: Option<&Json>, key: &str, value: &str) -> BTreeMap<String, String> {
    v.and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t.get(key)?.as_str()?.to_string(), t.get(value).and_then(Json::as_str).unwrap_or("").to_string())))
        .collect()
}

/// Tags from a JSON object of strings.
pub fn tags_from_object(v: Option<&Json>) -> BTreeMap<String, String> {
    v.and_then(Json::as_object).into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect()
}

/// A string field that is present and not empty.
pub fn non_empty(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A number field (JSON number or numeric string).
pub fn number(v: &Json, key: &str) -> Option<i64> {
    match v.get(key)? {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_read_back_their_prefix() {
        let s = unique_suffix("stack/aws_sqs_queue.q");
        assert_eq!(s.len(), UNIQUE_SUFFIX_LEN);
        assert_eq!(s, unique_suffix("stack/aws_sqs_queue.q"), "stable");
        assert_ne!(s, unique_suffix("stack/aws_sqs_queue.r"));
        assert_eq!(prefix_from_name(&format!("jobs-{s}"), ""), "jobs-");
        assert_eq!(prefix_from_name(&format!("jobs-{s}.fifo"), ".fifo"), "jobs-");
        // Terraform's own generated names (a timestamp and a counter) too.
        assert_eq!(prefix_from_name("/b-20261206032113649500000002", ""), "/b-");
        assert_eq!(prefix_from_name("terraform-20261206032139391400000003", ""), "terraform-");
        assert_eq!(prefix_from_name("q", ""), "");
        assert_eq!(prefix_from_name(&s, ""), "", "a suffix alone has no prefix");
        assert_eq!(prefix_from_name("plain.fifo", ".fifo"), "");
    }

    #[test]
    fn tags_convert_both_ways() {
        let t: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into_iter().collect();
        let l = tag_list(&t, "TagKey", "TagValue");
        assert_eq!(l, json!([{ "TagKey": "a", "TagValue": "1" }]));
        assert_eq!(tags_from_list(Some(&l), "TagKey", "TagValue"), t);
        assert_eq!(tags_from_object(Some(&json!({ "a": "1" }))), t);
    }
}
