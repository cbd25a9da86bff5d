//! What clients learn before they act: `/version`, the legacy discovery
//! documents (`/api`, `/apis`, `/api/v1`, `/apis/G/V`) and the OpenAPI v3
//! index and per-group-version documents.
//!
//! Both forms of discovery are served: the aggregated `apidiscovery.k8s.io/v2`
//! documents when the client asks for them first (kubectl does: two
//! requests instead of one per group version), the legacy ones otherwise
//! (kube-rs reads those). The OpenAPI
//! documents carry what kubectl checks before using server-side field
//! validation: a PATCH operation per kind with `x-kubernetes-group-version-kind`
//! and the `fieldValidation` query parameter. Schemas are left open (so
//! `kubectl explain` has nothing to show).

use serde_json::{json, Value};

use crate::catalog::{Catalog, ResourceType};

/// The kinds `kubectl get all` lists (the `all` category).
const IN_ALL: &[&str] =
    &["Pod", "Service", "ReplicationController", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "HorizontalPodAutoscaler"];

const VERBS: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

pub fn version(git_version: &str) -> Value {
    let v = git_version.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    json!({
        "major": major, "minor": minor, "gitVersion": git_version, "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64"
    })
}

pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs[0]})
}

pub fn groups(catalog: &Catalog) -> Value {
    let groups: Vec<Value> = catalog.groups().iter().map(|(g, vs)| group_entry(g, vs)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(catalog: &Catalog, name: &str) -> Option<Value> {
    let (g, vs) = catalog.groups().into_iter().find(|(g, _)| g == name)?;
    let mut e = group_entry(&g, &vs);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

/// The APIResourceList of one group version, with the status subresources.
pub fn resources(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let types: Vec<&ResourceType> = catalog.in_group_version(group, version).collect();
    if types.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for t in types {
        let mut r = json!({"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind, "verbs": VERBS, "storageVersionHash": ""});
        if !t.short_names.is_empty() {
            r["shortNames"] = json!(t.short_names);
        }
        if t.crd.is_none() && IN_ALL.contains(&t.kind.as_str()) {
            r["categories"] = json!(["all"]);
        }
        list.push(r);
        if has_scale(t) {
            list.push(json!({"name": format!("{}/scale", t.plural), "singularName": "", "namespaced": t.namespaced, "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]}));
        }
        if t.has_status {
            list.push(json!({"name": format!("{}/status", t.plural), "singularName": "", "namespaced": t.namespaced, "kind": t.kind, "verbs": ["get", "patch", "update"]}));
        }
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}))
}

/// Whether the type has a `scale` subresource (`kubectl scale`).
pub fn has_scale(t: &ResourceType) -> bool {
    t.group == "apps" && ["Deployment", "StatefulSet", "ReplicaSet"].contains(&t.kind.as_str())
}

/// The media type of aggregated discovery answers.
pub const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether an `Accept` header prefers aggregated discovery (v2) over plain JSON.
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| first.contains("as=APIGroupDiscoveryList") && first.contains("v=v2"))
}

/// Aggregated discovery of the core group (`/api`) or the named groups (`/apis`).
pub fn aggregated(catalog: &Catalog, core: bool) -> Value {
    let groups: Vec<(String, Vec<String>)> = if core { vec![(String::new(), vec!["v1".to_string()])] } else { catalog.groups() };
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = catalog
                        .in_group_version(g, v)
                        .map(|t| {
                            let kind = json!({"group": t.group, "version": t.version, "kind": t.kind});
                            let mut subresources = Vec::new();
                            if t.has_status {
                                subresources.push(json!({"subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]}));
                            }
                            if has_scale(t) {
                                subresources.push(json!({"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]}));
                            }
                            let mut r = json!({"resource": t.plural, "responseKind": kind, "scope": if t.namespaced { "Namespaced" } else { "Cluster" }, "singularResource": t.singular, "verbs": VERBS});
                            if !t.short_names.is_empty() {
                                r["shortNames"] = json!(t.short_names);
                            }
                            if t.crd.is_none() && IN_ALL.contains(&t.kind.as_str()) {
                                r["categories"] = json!(["all"]);
                            }
                            if !subresources.is_empty() {
                                r["subresources"] = json!(subresources);
                            }
                            r
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// The OpenAPI v3 index: one entry per group version.
pub fn openapi_index(catalog: &Catalog) -> Value {
    let mut paths = serde_json::Map::new();
    paths.insert("api/v1".into(), json!({"serverRelativeURL": format!("/openapi/v3/api/v1?hash={}", hash(catalog, "", "v1"))}));
    for (g, vs) in catalog.groups() {
        for v in vs {
            paths.insert(format!("apis/{g}/{v}"), json!({"serverRelativeURL": format!("/openapi/v3/apis/{g}/{v}?hash={}", hash(catalog, &g, &v))}));
        }
    }
    json!({"paths": paths})
}

/// Changes whenever the group version's types do, so clients refetch.
fn hash(catalog: &Catalog, group: &str, version: &str) -> String {
    let names: String = catalog.in_group_version(group, version).map(|t| format!("{}:{};", t.plural, t.kind)).collect();
    let h = names.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016X}")
}

fn query_param(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
}

/// The OpenAPI v3 document of one group version.
pub fn openapi_group_version(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let types: Vec<&ResourceType> = catalog.in_group_version(group, version).collect();
    if types.is_empty() {
        return None;
    }
    let prefix = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    for t in types {
        let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
        let schema_name = format!("{}.{}.{}", if t.group.is_empty() { "io.k8s.api.core" } else { &t.group }, t.version, t.kind);
        let reference = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        let body = json!({"content": {"application/json": {"schema": reference}}});
        let ok = json!({"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}});
        let item = if t.namespaced { format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural) } else { format!("{prefix}/{}/{{name}}", t.plural) };
        let collection = item.trim_end_matches("/{name}").to_string();
        paths.insert(
            item,
            json!({
                "get": {"operationId": format!("read{}", t.kind), "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk, "responses": ok},
                "put": {"operationId": format!("replace{}", t.kind), "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk, "requestBody": body, "parameters": [query_param("dryRun"), query_param("fieldManager"), query_param("fieldValidation")], "responses": ok},
                "patch": {
                    "operationId": format!("patch{}", t.kind), "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                    "parameters": [query_param("dryRun"), query_param("fieldManager"), query_param("fieldValidation"), query_param("force")],
                    "requestBody": {"content": {"application/apply-patch+yaml": {"schema": {"type": "object"}}, "application/merge-patch+json": {"schema": {"type": "object"}}, "application/strategic-merge-patch+json": {"schema": {"type": "object"}}, "application/json-patch+json": {"schema": {"type": "object"}}}},
                    "responses": ok
                },
                "delete": {"operationId": format!("delete{}", t.kind), "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk, "responses": ok},
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}]
            }),
        );
        paths.insert(
            collection,
            json!({
                "get": {"operationId": format!("list{}", t.kind), "x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk, "responses": {"200": {"description": "OK"}}},
                "post": {"operationId": format!("create{}", t.kind), "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk, "requestBody": body, "parameters": [query_param("dryRun"), query_param("fieldManager"), query_param("fieldValidation")], "responses": ok}
            }),
        );
        // No `x-kubernetes-group-version-kind` here: kubectl would then compute
        // client-side apply patches from this open schema and warn; without
        // it, it uses its compiled-in types (and JSON merge for custom kinds).
        schemas.insert(schema_name, json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    }
    Some(json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"}, "paths": paths, "components": {"schemas": schemas}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patch_operation_names_its_kind_and_takes_field_validation() {
        let c = Catalog::default();
        let doc = openapi_group_version(&c, "apps", "v1").unwrap();
        let patches: Vec<&Value> = doc["paths"].as_object().unwrap().values().filter_map(|p| p.get("patch")).collect();
        assert_eq!(patches.len(), c.in_group_version("apps", "v1").count());
        for p in patches {
            assert!(p["x-kubernetes-group-version-kind"]["kind"].is_string());
            assert!(p["parameters"].as_array().unwrap().iter().any(|q| q["name"] == "fieldValidation" && q["in"] == "query"));
        }
        assert!(openapi_index(&c)["paths"]["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap().starts_with("/openapi/v3/apis/apps/v1?hash="));
    }

    #[test]
    fn discovery_lists_status_subresources_and_scopes() {
        let c = Catalog::default();
        let r = resources(&c, "apps", "v1").unwrap();
        let names: Vec<&str> = r["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"deployments") && names.contains(&"deployments/status"));
        let core = resources(&c, "", "v1").unwrap();
        let ns = core["resources"].as_array().unwrap().iter().find(|r| r["name"] == "namespaces").unwrap();
        assert_eq!(ns["namespaced"], false);
        assert_eq!(ns["shortNames"], json!(["ns"]));
        let g = groups(&c);
        let autoscaling = g["groups"].as_array().unwrap().iter().find(|g| g["name"] == "autoscaling").unwrap();
        assert_eq!(autoscaling["preferredVersion"]["version"], "v2");
    }
}
