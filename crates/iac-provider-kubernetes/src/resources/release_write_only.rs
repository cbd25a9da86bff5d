//! `helm_release.set_wo` values kept out of what state and plans hold.
//! The engine nulls `set_wo` itself, but the release renders the values
//! into its objects, and `helm get values` returns them: `objects`,
//! `metadata.values` and `manifest` would store them. Every value that is
//! exactly a set_wo value (a string in the rendered objects; any scalar in
//! the release's values) is shown as [`SHOWN`] instead. The release is
//! read again on refresh, when the configuration is not at hand, so the
//! values are recognised by their digests (SHAKE256, as `manifest` shows
//! sensitive values), which the apply keeps in the object's private data.
//! A value the chart embeds in a longer string is not recognised.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::release_manifest::hashed;
use crate::error::Result;
use crate::helm::Release;
use crate::object::{parse_documents, to_yaml};

/// What stands for a write-only value in state.
pub const SHOWN: &str = "(write-only value)";

/// The digests of the values (empty ones left out: they give nothing away).
pub fn digests<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    values.into_iter().filter(|v| !v.is_empty()).map(hashed).collect()
}

/// The digests an apply kept in the object's private data.
pub fn kept_digests(private: Option<&Json>) -> BTreeSet<String> {
    private.and_then(|p| p["write_only"].as_array()).map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// The private data that keeps `digests` for refreshes.
pub fn private_data(digests: &BTreeSet<String>) -> Json {
    serde_json::json!({ "write_only": digests })
}

/// Replaces the leaves whose text has one of `digests`: strings only, or
/// numbers and booleans too (`--set a=3` gives the number 3).
fn redact(j: &mut Json, digests: &BTreeSet<String>, scalars: bool) {
    match j {
        Json::Object(m) => m.values_mut().for_each(|v| redact(v, digests, scalars)),
        Json::Array(a) => a.iter_mut().for_each(|v| redact(v, digests, scalars)),
        Json::String(s) if digests.contains(&hashed(s)) => *j = Json::String(SHOWN.to_string()),
        Json::Number(_) | Json::Bool(_) if scalars && digests.contains(&hashed(&j.to_string())) => *j = Json::String(SHOWN.to_string()),
        _ => {}
    }
}

/// The release as state may show it: its values and rendered objects
/// without the write-only values. Unchanged when there are none.
pub fn redacted(r: &Release, digests: &BTreeSet<String>) -> Result<Release> {
    if digests.is_empty() {
        return Ok(r.clone());
    }
    let mut out = r.clone();
    redact(&mut out.values, digests, true);
    let mut docs = Vec::new();
    for mut o in parse_documents(&r.manifest, &format!("release {}", r.name))? {
        redact(&mut o, digests, false);
        docs.push(format!("---\n{}", to_yaml(&o)));
    }
    out.manifest = docs.concat();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_only_values_are_replaced_wherever_they_are_a_whole_value() {
        let r = Release {
            name: "demo".into(),
            values: serde_json::json!({"auth": {"token": "tok-123", "port": 8080}, "other": "kept", "retries": 3}),
            manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: tok-123\n  url: http://x/tok-123\n  port: \"3\"\n".into(),
            ..Release::default()
        };
        let d = digests(["tok-123", "3", ""]);
        assert_eq!(d.len(), 2, "an empty value is not kept");
        let kept = kept_digests(Some(&private_data(&d)));
        assert_eq!(kept, d, "the digests survive the private data");
        let out = redacted(&r, &kept).unwrap();
        assert_eq!(out.values, serde_json::json!({"auth": {"token": SHOWN, "port": 8080}, "other": "kept", "retries": SHOWN}));
        let o = &parse_documents(&out.manifest, "t").unwrap()[0];
        assert_eq!(o["data"]["token"], SHOWN);
        assert_eq!(o["data"]["port"], SHOWN, "a string that is the value");
        assert_eq!(o["data"]["url"], "http://x/tok-123", "a value inside a longer string is not recognised");
        assert_eq!(o["metadata"]["name"], "c");
        assert_eq!(redacted(&r, &BTreeSet::new()).unwrap(), r, "no write-only values, no change");
    }
}
