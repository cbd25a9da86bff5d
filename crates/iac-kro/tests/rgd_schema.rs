//! The platform's ResourceGraphDefinition against kro's own CRD for it, from
//! the vendored kro 0.9.3 chart (beside the repository, in
//! shared/fixtures/charts): the schema the API server checks it with when
//! Argo CD applies it, including the CRD's CEL rules.

use std::path::{Path, PathBuf};

use iac_kro::openapi;
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn one(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    iac_kro::yaml_documents(&text).unwrap().remove(0)
}

fn kro_crd() -> Value {
    one(&repo().join("../shared/fixtures/charts/kro-0.9.3/crds/kro.run_resourcegraphdefinitions.yaml"))
}

fn webapp_rgd() -> Value {
    one(&repo().join("gitops/platform/webapp-rgd.yaml"))
}

#[test]
fn the_webapp_rgd_is_valid_under_kros_crd() {
    let crd = kro_crd();
    assert_eq!(crd["metadata"]["name"], "resourcegraphdefinitions.kro.run");
    let schema = openapi::crd_schema(&crd).expect("the CRD has a schema");
    let rgd = webapp_rgd();
    let (admitted, problems) = openapi::admit(schema, &rgd);
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(admitted["spec"]["schema"]["scope"], "Namespaced", "defaulted by the CRD, as the API server does");
    assert_eq!(openapi::validate(schema, &rgd), vec!["spec.schema.scope: Required value"], "required, with a default");
    // And kro's own checks (what its controller does before it accepts one).
    let parsed = iac_kro::Rgd::from_object(&rgd).expect("kro would accept it");
    assert_eq!(parsed.kind, "WebApp");
    let order: Vec<&str> = parsed.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["deployment", "service", "serviceMonitor", "dashboard", "scaledObject"]);
}

#[test]
fn kros_crd_refuses_broken_definitions() {
    let crd = kro_crd();
    let schema = openapi::crd_schema(&crd).unwrap();
    let mut rgd = webapp_rgd();
    // A resource both templated and referenced (the CRD's CEL rule), an
    // unknown field, a kind that is not PascalCase, a scope out of its enum.
    rgd["spec"]["resources"][0]["externalRef"] = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    rgd["spec"]["resources"][1]["includeIf"] = json!(["${true}"]);
    rgd["spec"]["schema"]["kind"] = json!("webApp");
    rgd["spec"]["schema"]["scope"] = json!("Global");
    let (_, mut problems) = openapi::admit(schema, &rgd);
    problems.sort();
    assert_eq!(
        problems,
        vec![
            "spec.resources[0]: Invalid value: \"object\": exactly one of template or externalRef must be provided",
            "spec.resources[1].includeIf: unknown field \"includeIf\"",
            "spec.schema.kind: Invalid value: \"webApp\": spec.schema.kind in body should match '^[A-Z][a-zA-Z0-9]{0,62}$'",
            "spec.schema.scope: Unsupported value: \"Global\": supported values: \"Namespaced\", \"Cluster\"",
        ]
    );
    let mut no_schema = webapp_rgd();
    no_schema["spec"].as_object_mut().unwrap().remove("schema");
    assert_eq!(openapi::admit(schema, &no_schema).1, vec!["spec.schema: Required value"]);
}

#[test]
fn kros_own_checks_name_what_is_wrong() {
    let mut rgd = webapp_rgd();
    rgd["spec"]["resources"][1]["template"]["spec"]["ports"][0]["port"] = json!("${schema.spec.prot}");
    rgd["spec"]["resources"][2]["template"]["metadata"]["name"] = json!("${service.metadata.name.upper()}");
    rgd["spec"]["resources"][0]["template"]["metadata"]["name"] = json!("${scaledObject.metadata.name}");
    let e = iac_kro::Rgd::from_object(&rgd).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("spec.resources[1].template.spec.ports[0].port: schema.spec.prot is not a field of the schema's spec"), "{text}");
    assert!(text.contains("method calls (.upper(...)) are not supported"), "{text}");
    let mut cyclic = webapp_rgd();
    cyclic["spec"]["resources"][0]["template"]["metadata"]["name"] = json!("${scaledObject.metadata.name}");
    let e = iac_kro::Rgd::from_object(&cyclic).unwrap_err().to_string();
    assert!(e.contains("refer to each other in a cycle"), "{e}");
}
