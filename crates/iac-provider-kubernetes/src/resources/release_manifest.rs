//! `helm_release.manifest`, which the helm provider fills only when its
//! `experiments { manifest = true }` (3.x: `experiments = { manifest = true }`)
//! asks: the release's rendered objects as one JSON document, keyed as the
//! upstream provider keys them (`[namespace/]kind.group/apiVersion/name`,
//! kind and group lowercased; the namespace as the chart rendered it), each
//! object with its keys sorted. What must not be stored is hashed as
//! upstream shows it, `(sensitive value <16 hex digits of SHAKE256>)`: the
//! values of Secrets, and every `set_sensitive` value wherever it appears.

use base64::Engine as _;
use serde_json::{Map, Value as Json};
use sha3::digest::{ExtendableOutput, Update, XofReader};

use crate::error::Result;
use crate::object::parse_documents;

/// How a value that must not be stored is shown.
pub fn hashed(value: &str) -> String {
    let mut h = sha3::Shake256::default();
    h.update(value.as_bytes());
    let mut out = [0u8; 8];
    h.finalize_xof().read(&mut out);
    format!("(sensitive value {})", hex::encode(out))
}

/// Keys sorted at every level (as Go writes a map), for a stable text.
fn sorted(j: Json) -> Json {
    match j {
        Json::Object(m) => {
            let mut entries: Vec<(String, Json)> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().collect::<Map<String, Json>>())
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// A Secret's values hashed: `data` (base64 of the hash of the decoded
/// value, as upstream writes it) and `stringData`.
fn redact_secret(o: &mut Json) {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(data) = o.get_mut("data").and_then(Json::as_object_mut) {
        for v in data.values_mut() {
            let plain = v.as_str().and_then(|s| b64.decode(s).ok()).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            *v = Json::String(b64.encode(hashed(&plain)));
        }
    }
    if let Some(data) = o.get_mut("stringData").and_then(Json::as_object_mut) {
        for v in data.values_mut() {
            *v = Json::String(hashed(v.as_str().unwrap_or_default()));
        }
    }
}

fn key_of(o: &Json) -> String {
    let text = |j: &Json| j.as_str().unwrap_or_default().to_string();
    let api_version = text(&o["apiVersion"]);
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default();
    let kind = text(&o["kind"]);
    let group_kind = if group.is_empty() { kind } else { format!("{kind}.{group}") };
    let key = format!("{}/{api_version}/{}", group_kind.to_lowercase(), text(&o["metadata"]["name"]));
    match o["metadata"]["namespace"].as_str().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}/{key}"),
        None => key,
    }
}

/// The `manifest` text of a release's rendered objects (YAML documents).
pub fn manifest_json(rendered: &str, sensitive: &[&str]) -> Result<String> {
    let mut all = Map::new();
    for mut o in parse_documents(rendered, "the release's manifest")? {
        if o["kind"] == "Secret" {
            redact_secret(&mut o);
        }
        all.insert(key_of(&o), sorted(o));
    }
    let mut text = sorted(Json::Object(all)).to_string();
    for v in sensitive.iter().filter(|v| !v.is_empty()) {
        text = text.replace(*v, &hashed(v));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_keyed_as_upstream_and_secrets_hashed() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  replicas: 2\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: czNjcmV0\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  token: abc-123\n";
        let text = manifest_json(yaml, &["abc-123"]).unwrap();
        let j: Json = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["apps/deployment.apps/apps/v1/web", "configmap/v1/settings", "secret/v1/creds"]);
        assert_eq!(j["apps/deployment.apps/apps/v1/web"]["spec"]["replicas"], 2);
        let password = j["secret/v1/creds"]["data"]["password"].as_str().unwrap();
        let shown = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(password).unwrap()).unwrap();
        assert_eq!(shown, hashed("s3cret"));
        assert!(!text.contains("abc-123") && text.contains(&hashed("abc-123")), "set_sensitive values are hashed: {text}");
        assert_eq!(hashed("x").len(), "(sensitive value )".len() + 16);
    }
}
