//! Server-side printing: the `meta.k8s.io/v1` `Table` kubectl asks for on
//! `kubectl get` (`Accept: application/json;as=Table;...`).

use serde_json::{json, Value};

use crate::catalog::ResourceType;

fn column(name: &str, format: &str) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": "", "priority": 0})
}

/// `45s`, `3m12s`, `2h5m`, `4d`: the API server's human durations.
pub fn human_age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..120 => format!("{s}s"),
        120..600 => format!("{}m{}s", s / 60, s % 60),
        600..10_800 => format!("{}m", s / 60),
        10_800..172_800 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

fn age(obj: &Value) -> String {
    let created = obj.pointer("/metadata/creationTimestamp").and_then(Value::as_str).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    match created {
        Some(t) => human_age(jiff::Timestamp::now().as_second() - t.as_second()),
        None => "<unknown>".into(),
    }
}

fn s(obj: &Value, pointer: &str) -> String {
    match obj.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

fn n(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Computes one cell of a row.
type Cell = fn(&Value) -> Value;

/// The columns between Name and Age for a kind.
fn columns(rt: &ResourceType) -> Vec<(&'static str, Cell)> {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => vec![
            ("Ready", |o| json!(format!("{}/{}", n(o, "/status/readyReplicas"), o.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)))),
            ("Up-to-date", |o| json!(n(o, "/status/updatedReplicas"))),
            ("Available", |o| json!(n(o, "/status/availableReplicas"))),
        ],
        ("apps", "StatefulSet") => {
            vec![("Ready", |o| json!(format!("{}/{}", n(o, "/status/readyReplicas"), o.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1))))]
        }
        ("", "Namespace") => vec![("Status", |o| json!(s(o, "/status/phase")))],
        ("", "Service") => vec![
            ("Type", |o| json!(o.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP"))),
            ("Cluster-IP", |o| json!(s(o, "/spec/clusterIP"))),
            ("External-IP", |o| {
                let ip = s(o, "/status/loadBalancer/ingress/0/ip");
                json!(if ip.is_empty() {
                    if s(o, "/spec/type") == "LoadBalancer" {
                        "<pending>".to_string()
                    } else {
                        "<none>".to_string()
                    }
                } else {
                    ip
                })
            }),
        ],
        ("", "ConfigMap") => vec![("Data", |o| json!(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())))],
        ("", "Secret") => vec![("Type", |o| json!(s(o, "/type"))), ("Data", |o| json!(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())))],
        ("batch", "Job") => vec![("Status", |o| {
            let done = o
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|c| c.iter().find(|c| c["status"] == "True" && (c["type"] == "Complete" || c["type"] == "Failed")).map(|c| c["type"].clone()));
            done.unwrap_or(json!("Running"))
        })],
        _ => Vec::new(),
    }
}

fn partial_metadata(obj: &Value) -> Value {
    let mut m = obj.get("metadata").cloned().unwrap_or(json!({}));
    if let Some(o) = m.as_object_mut() {
        o.remove("managedFields");
    }
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": m})
}

/// A CRD's `additionalPrinterColumns` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    pub json_path: String,
    pub kind: String,
    pub priority: i64,
}

/// The printer columns a CRD declares for one version.
pub fn printer_columns(crd: &Value, version: &str) -> Vec<PrinterColumn> {
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array).into_iter().flatten();
    let Some(v) = versions.into_iter().find(|v| v["name"] == version) else {
        return Vec::new();
    };
    v.get("additionalPrinterColumns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(PrinterColumn {
                name: c.get("name")?.as_str()?.to_string(),
                json_path: c.get("jsonPath")?.as_str()?.to_string(),
                kind: c.get("type").and_then(Value::as_str).unwrap_or("string").to_string(),
                priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
            })
        })
        .collect()
}

/// A simple JSONPath (`.status.sync.status`, `.spec.ports[0].port`,
/// `.status.conditions[?(@.type=="Ready")].status`) as a cell.
fn json_path_cell(obj: &Value, path: &str, kind: &str) -> Value {
    let mut cur = Some(obj);
    let mut rest = path.trim_start_matches('.');
    while !rest.is_empty() && cur.is_some() {
        if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            let inner = &r[..end];
            cur = match inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                // A filter: the first item whose field equals the quoted value.
                Some(filter) => filter.split_once("==").and_then(|(field, want)| {
                    let want = want.trim().trim_matches(|c| c == '"' || c == '\'');
                    cur?.as_array()?.iter().find(|item| item.get(field.trim()).and_then(Value::as_str) == Some(want))
                }),
                None => inner.parse::<usize>().ok().and_then(|i| cur?.get(i)),
            };
            rest = r[end + 1..].trim_start_matches('.');
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            cur = cur.and_then(|c| c.get(&rest[..end]));
            rest = rest[end..].trim_start_matches('.');
        }
    }
    match (cur, kind) {
        (Some(Value::String(t)), "date") => {
            json!(t.parse::<jiff::Timestamp>().map(|t| human_age(jiff::Timestamp::now().as_second() - t.as_second())).unwrap_or_else(|_| t.clone()))
        }
        (Some(Value::String(t)), _) => json!(t),
        (Some(Value::Null) | None, _) => json!(""),
        (Some(v), _) => json!(v.to_string()),
    }
}

pub fn table(rt: &ResourceType, objects: &[Value], resource_version: &str) -> Value {
    table_with(rt, &[], objects, resource_version)
}

/// The table of a kind; a custom kind's printer columns replace the built-in ones.
pub fn table_with(rt: &ResourceType, custom: &[PrinterColumn], objects: &[Value], resource_version: &str) -> Value {
    let cols = columns(rt);
    let mut defs = vec![column("Name", "name")];
    defs.extend(cols.iter().map(|(name, _)| column(name, "")));
    for c in custom {
        let mut d = column(&c.name, "");
        d["priority"] = json!(c.priority);
        defs.push(d);
    }
    // As the API server: a CRD that declares printer columns gets no implicit Age.
    let with_age = custom.is_empty();
    if with_age {
        defs.push(column("Age", ""));
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut cells = vec![json!(s(o, "/metadata/name"))];
            cells.extend(cols.iter().map(|(_, f)| f(o)));
            cells.extend(custom.iter().map(|c| json_path_cell(o, &c.json_path, &c.kind)));
            if with_age {
                cells.push(json!(age(o)));
            }
            json!({"cells": cells, "object": partial_metadata(o)})
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version}, "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crd_s_printer_columns_fill_the_table() {
        let crd = json!({"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
            {"name": "Sync Status", "type": "string", "jsonPath": ".status.sync.status"},
            {"name": "First Port", "type": "integer", "jsonPath": ".spec.ports[0].port", "priority": 10}
        ]}]}});
        let cols = printer_columns(&crd, "v1");
        assert_eq!(cols.len(), 2);
        assert!(printer_columns(&crd, "v2").is_empty());
        let rt = crate::catalog::Catalog::default().find("", "v1", "configmaps").cloned().unwrap();
        let app = json!({"metadata": {"name": "root"}, "status": {"sync": {"status": "Synced"}}, "spec": {"ports": [{"port": 80}]}});
        let t = table_with(&rt, &cols, &[app], "1");
        assert_eq!(t["columnDefinitions"][3]["priority"], 10);
        assert_eq!(t["rows"][0]["cells"].as_array().unwrap()[..4], [json!("root"), json!(0), json!("Synced"), json!("80")]);
        assert_eq!(t["columnDefinitions"].as_array().unwrap().len(), 4, "no implicit Age beside declared columns");
    }

    #[test]
    fn json_path_filters_pick_the_matching_item() {
        let o = json!({"status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}, "spec": {"ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(json_path_cell(&o, ".status.conditions[?(@.type==\"Ready\")].status", "string"), json!("True"));
        assert_eq!(json_path_cell(&o, ".status.conditions[?(@.type=='Gone')].status", "string"), json!(""));
        assert_eq!(json_path_cell(&o, ".spec.ports[1].port", "integer"), json!("443"));
        assert_eq!(json_path_cell(&o, ".spec.missing.x", "string"), json!(""));
    }

    #[test]
    fn ages_read_like_kubectl_s() {
        for (secs, want) in [(5, "5s"), (119, "119s"), (125, "2m5s"), (1800, "30m"), (7200 + 600 + 3600, "3h10m"), (3 * 86_400, "3d")] {
            assert_eq!(human_age(secs), want);
        }
    }

    #[test]
    fn a_deployment_row_shows_its_readiness() {
        let rt = crate::catalog::Catalog::default().find("apps", "v1", "deployments").cloned().unwrap();
        let d = json!({"metadata": {"name": "web", "managedFields": []}, "spec": {"replicas": 2}, "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}});
        let t = table(&rt, &[d], "7");
        let names: Vec<&str> = t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Name", "Ready", "Up-to-date", "Available", "Age"]);
        assert_eq!(t["rows"][0]["cells"].as_array().unwrap()[..4], [json!("web"), json!("1/2"), json!(2), json!(1)]);
        assert!(t["rows"][0]["object"]["metadata"].get("managedFields").is_none());
    }
}
