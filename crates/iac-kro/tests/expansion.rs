//! The expansion of the platform's WebApp template, compared with objects
//! written out by hand (tests/fixtures/expansion/), and checked against the
//! CRDs of the kinds it yields (KEDA's ScaledObject from the vendored KEDA
//! chart, the ServiceMonitor from kube-prometheus-stack's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iac_kro::{openapi, yaml_documents, Rgd};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn docs(path: &Path) -> Vec<Value> {
    yaml_documents(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn rgd() -> Rgd {
    Rgd::from_object(&docs(&repo().join("gitops/platform/webapp-rgd.yaml"))[0]).unwrap()
}

/// A CRD of a vendored chart; chart templates' `{{ ... }}` lines (labels
/// and annotations in the CRD's metadata) are left out.
fn chart_crd(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join("../shared/fixtures/charts").join(rel)).unwrap();
    let plain: String = text.lines().filter(|l| !l.contains("{{")).map(|l| format!("{l}\n")).collect();
    yaml_documents(&plain).unwrap().into_iter().find(|d| d["kind"] == "CustomResourceDefinition").unwrap()
}

fn expand(instance: &Value) -> Vec<Value> {
    rgd().expand(instance, &mut |e| Ok(e.object.clone())).unwrap().into_iter().map(|e| e.object).collect()
}

#[test]
fn storefront_expands_into_the_objects_written_by_hand() {
    let instance = docs(&repo().join("gitops/apps/storefront.yaml")).remove(0);
    let got = expand(&instance);
    let want = docs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/expansion/storefront.yaml"));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{} {}", w["kind"], w["metadata"]["name"]);
    }
    // The dashboard is JSON Grafana can load.
    let dashboard: Value = serde_json::from_str(got[3]["data"]["dashboard.json"].as_str().unwrap()).expect("the dashboard is JSON");
    assert_eq!(dashboard["panels"].as_array().unwrap().len(), 5);
}

#[test]
fn the_expansion_is_valid_under_the_crds_of_its_kinds() {
    let crds: BTreeMap<&str, Value> = [
        ("ScaledObject", chart_crd("keda-2.20.2/templates/crds/crd-scaledobjects.yaml")),
        ("ServiceMonitor", chart_crd("kube-prometheus-stack-88.5.3/charts/crds/crds/crd-servicemonitors.yaml")),
    ]
    .into_iter()
    .collect();
    let instance = docs(&repo().join("gitops/apps/storefront.yaml")).remove(0);
    for obj in expand(&instance) {
        if let Some(crd) = crds.get(obj["kind"].as_str().unwrap()) {
            let schema = openapi::crd_schema(crd).unwrap();
            assert_eq!(openapi::validate(schema, &obj), Vec::<String>::new(), "{}", obj["kind"]);
        }
    }
    // The check has teeth: KEDA's threshold is a string, a number is refused.
    let mut so = expand(&instance).remove(4);
    so["spec"]["triggers"][0]["metadata"]["threshold"] = json!(50);
    let problems = openapi::validate(openapi::crd_schema(&crds["ScaledObject"]).unwrap(), &so);
    assert_eq!(
        problems,
        vec!["spec.triggers[0].metadata.threshold: Invalid value: \"integer\": spec.triggers[0].metadata.threshold in body must be of type string"]
    );
}

#[test]
fn defaults_give_three_replicas() {
    let minimal = json!({"apiVersion": "kro.run/v1alpha1", "kind": "WebApp", "metadata": {"name": "tiny", "namespace": "apps"},
        "spec": {"image": "ghcr.io/example/tiny:1", "metric": "tiny_jobs_queued"}});
    let objs = expand(&minimal);
    assert_eq!(objs[0]["spec"]["replicas"], 3);
    assert_eq!(objs[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 8080);
    assert_eq!(objs[4]["spec"]["minReplicaCount"], 3);
    assert_eq!(objs[4]["spec"]["maxReplicaCount"], 10);
    assert_eq!(objs[4]["spec"]["triggers"][0]["metadata"]["threshold"], "100");
}

#[test]
fn instances_are_checked_against_the_generated_schema() {
    let bad = json!({"apiVersion": "kro.run/v1alpha1", "kind": "WebApp", "metadata": {"name": "Bad_Name"},
        "spec": {"port": 70000, "replicas": "three", "metric": "orders pending", "colour": "blue"}});
    let e = rgd().validate_instance(&bad).unwrap_err();
    let mut p = e.problems.clone();
    p.sort();
    assert_eq!(
        p,
        vec![
            "metadata.name: Invalid value: \"Bad_Name\": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)",
            "spec.colour: unknown field \"colour\"",
            "spec.image: Required value",
            "spec.metric: Invalid value: \"orders pending\": spec.metric in body should match '^[a-zA-Z_:][a-zA-Z0-9_:]*$'",
            "spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535",
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer",
        ]
    );
}

#[test]
fn the_trees_other_manifests_are_valid_under_their_crds() {
    let argocd = std::fs::read_to_string(repo().join("../shared/fixtures/argocd/install-v3.5.1.yaml")).unwrap();
    let application = yaml_documents(&argocd).unwrap().into_iter().find(|d| d["metadata"]["name"] == "applications.argoproj.io").unwrap();
    let rule = chart_crd("kube-prometheus-stack-88.5.3/charts/crds/crds/crd-prometheusrules.yaml");
    for (file, crd) in [("root/platform.yaml", &application), ("root/apps.yaml", &application), ("platform/drift-alerts.yaml", &rule)] {
        let obj = docs(&repo().join("gitops").join(file)).remove(0);
        let (_, problems) = openapi::admit(openapi::crd_schema(crd).unwrap(), &obj);
        assert_eq!(problems, Vec::<String>::new(), "{file}");
    }
}
