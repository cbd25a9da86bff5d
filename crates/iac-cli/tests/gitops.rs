//! The GitOps commands of the binary on a copy of the repository's GitOps
//! tree in a git repository: `iac app new` writes the file the Backstage
//! template writes (the template's skeleton rendered with the parameters
//! the portal would send), `iac plan` shows the change as the objects kro
//! makes, and mistakes are refused with what is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("iac-gitops-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A git repository holding a copy of the GitOps tree, committed.
fn platform_repo(tag: &str) -> Scratch {
    let s = Scratch::new(tag);
    copy(&repo_root().join("gitops"), &s.0.join("gitops"));
    git(&s.0, &["init", "-q", "-b", "main"]);
    commit(&s.0, "the GitOps tree");
    s
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", message]);
}

fn iac(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iac")).current_dir(dir).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// What Backstage's `fetch:template` writes for these form values: the
/// step's `values` (each `${{ parameters.X }}`, the form's value or the
/// parameter's default) substituted into the skeleton's names and contents.
/// The skeleton and the step may only use plain `${{ values.X }}` and
/// `${{ parameters.X }}` substitutions, which this checks, so rendering
/// them here gives what Backstage's nunjucks gives.
fn backstage_render(form: &[(&str, &str)]) -> BTreeMap<String, String> {
    let dir = repo_root().join("backstage/templates/webapp");
    let template = iac_kro::yaml_documents(&std::fs::read_to_string(dir.join("template.yaml")).unwrap()).unwrap().remove(0);
    assert_eq!(template["apiVersion"], "scaffolder.backstage.io/v1beta3");
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for page in template["spec"]["parameters"].as_array().unwrap() {
        for (k, p) in page["properties"].as_object().unwrap() {
            if let Some(d) = p.get("default") {
                params.insert(k.clone(), d.as_str().map(str::to_string).unwrap_or_else(|| d.to_string()));
            }
        }
    }
    for (k, v) in form {
        params.insert(k.to_string(), v.to_string());
    }
    let step = template["spec"]["steps"].as_array().unwrap().iter().find(|s| s["action"] == "fetch:template").unwrap();
    let substitute = |s: &str, scope: &str, vars: &BTreeMap<String, String>| -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").expect("closed") + at;
            let expr = rest[at + 3..end].trim();
            let name = expr.strip_prefix(&format!("{scope}.")).unwrap_or_else(|| panic!("only {scope}.NAME substitutions are rendered here, not {expr:?}"));
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{expr:?} is not a plain substitution");
            out.push_str(vars.get(name).unwrap_or_else(|| panic!("no value for {expr}")));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        assert!(!out.contains("{{") && !out.contains("{%"), "other nunjucks syntax in {s:?}");
        out
    };
    let values: BTreeMap<String, String> =
        step["input"]["values"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), substitute(v.as_str().unwrap(), "parameters", &params))).collect();
    let target = step["input"]["targetPath"].as_str().unwrap().trim_start_matches("./").to_string();
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir.join(step["input"]["url"].as_str().unwrap())).unwrap() {
        let e = e.unwrap();
        let name = substitute(&e.file_name().to_string_lossy(), "values", &values);
        out.insert(format!("{target}/{name}"), substitute(&std::fs::read_to_string(e.path()).unwrap(), "values", &values));
    }
    out
}

#[test]
fn the_command_and_the_backstage_template_write_the_same_file() {
    let repo = platform_repo("same-file");
    let o = iac(&repo.0, &["app", "new", "checkout", "-image", "ghcr.io/example/checkout:2.1.0", "-metric", "checkout_orders_pending"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("Wrote gitops/apps/checkout.yaml") && out.contains("ScaledObject    apps/checkout"), "{out}");
    let written = std::fs::read_to_string(repo.0.join("gitops/apps/checkout.yaml")).unwrap();
    let portal = backstage_render(&[("name", "checkout"), ("image", "ghcr.io/example/checkout:2.1.0"), ("metric", "checkout_orders_pending")]);
    assert_eq!(portal.keys().collect::<Vec<_>>(), ["gitops/apps/checkout.yaml"]);
    assert_eq!(portal["gitops/apps/checkout.yaml"], written, "the portal's file differs from the command's");

    // Every value given, on both sides.
    let o = iac(
        &repo.0,
        &[
            "app",
            "new",
            "orders",
            "-image",
            "registry.example.com/orders@sha256:0123",
            "-metric",
            "orders_backlog",
            "-port",
            "9090",
            "-replicas",
            "5",
            "-max-replicas",
            "20",
            "-metric-target",
            "7",
            "-namespace",
            "shop",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let portal = backstage_render(&[
        ("name", "orders"),
        ("image", "registry.example.com/orders@sha256:0123"),
        ("metric", "orders_backlog"),
        ("port", "9090"),
        ("replicas", "5"),
        ("maxReplicas", "20"),
        ("metricTarget", "7"),
        ("namespace", "shop"),
    ]);
    assert_eq!(portal["gitops/apps/orders.yaml"], std::fs::read_to_string(repo.0.join("gitops/apps/orders.yaml")).unwrap());
}

#[test]
fn the_backstage_form_has_the_templates_defaults_and_checks() {
    let template = iac_kro::yaml_documents(&std::fs::read_to_string(repo_root().join("backstage/templates/webapp/template.yaml")).unwrap()).unwrap().remove(0);
    let rgd =
        iac_kro::Rgd::from_object(&iac_kro::yaml_documents(&std::fs::read_to_string(repo_root().join("gitops/platform/webapp-rgd.yaml")).unwrap()).unwrap()[0])
            .unwrap();
    let mut form: BTreeMap<String, Value> = BTreeMap::new();
    for page in template["spec"]["parameters"].as_array().unwrap() {
        form.extend(page["properties"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    // Each WebApp field is in the form with the schema's default, bounds and pattern.
    for (field, schema) in rgd.spec_schema["properties"].as_object().unwrap() {
        let p = form.get(field).unwrap_or_else(|| panic!("the form has no {field}"));
        for k in ["default", "minimum", "maximum", "pattern"] {
            assert_eq!(p.get(k), schema.get(k), "{field}.{k}");
        }
    }
    assert_eq!(form["namespace"]["default"], iac_kro::app::defaults::NAMESPACE);
    assert_eq!(form["replicas"]["default"], 3);
}

#[test]
fn plan_shows_what_the_gitops_change_creates() {
    let repo = platform_repo("plan");
    let o = iac(&repo.0, &["plan", "gitops"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("No changes."), "{}", text(&o).0);
    assert!(iac(&repo.0, &["app", "new", "checkout", "-image", "ghcr.io/example/checkout:2.1.0"]).status.success());
    let o = iac(&repo.0, &["plan", "-detailed-exitcode", "gitops"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    for addr in [
        "module.apps.kubernetes_manifest.webapp[\"apps/checkout\"] will be created",
        "module.apps.kubernetes_manifest.deployment[\"apps/checkout\"] will be created",
        "module.apps.kubernetes_manifest.service[\"apps/checkout\"] will be created",
        "module.apps.kubernetes_manifest.serviceMonitor[\"apps/checkout\"] will be created",
        "module.apps.kubernetes_manifest.dashboard[\"apps/checkout-dashboard\"] will be created",
        "module.apps.kubernetes_manifest.scaledObject[\"apps/checkout\"] will be created",
    ] {
        assert!(out.contains(addr), "{addr} missing from:\n{out}");
    }
    assert!(out.contains("OTEL_EXPORTER_OTLP_ENDPOINT") && out.contains("checkout_requests_in_flight"), "{out}");
    assert!(out.contains("Plan: 6 to add, 0 to change, 0 to destroy."), "{out}");
    let md = text(&iac(&repo.0, &["plan", "-format", "markdown", "gitops"])).0;
    assert!(md.starts_with("<!-- iac-plan part 1/1 -->") && md.contains("**Plan:** 6 to add"), "{md}");
    let json: Value = serde_json::from_str(&text(&iac(&repo.0, &["plan", "-format", "json", "gitops"])).0).unwrap();
    assert_eq!(json["resource_changes"].as_array().unwrap().len(), 6);

    // Merged: nothing left to show. Against an older base, the change again.
    commit(&repo.0, "checkout");
    assert_eq!(iac(&repo.0, &["plan", "-detailed-exitcode", "gitops"]).status.code(), Some(0));
    let o = iac(&repo.0, &["plan", "-detailed-exitcode", "-gitops-base", "HEAD~1", "gitops"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).0.contains("against HEAD~1"));
    // An edit shows as changes to the objects it touches.
    assert!(iac(&repo.0, &["app", "new", "checkout", "-image", "ghcr.io/example/checkout:2.2.0", "-force"]).status.success());
    let out = text(&iac(&repo.0, &["plan", "gitops"])).0;
    assert!(out.contains("Plan: 0 to add, 2 to change, 0 to destroy."), "{out}");
    assert!(out.contains("~ image") || out.contains("image") && out.contains("->"), "{out}");
}

#[test]
fn mistakes_are_refused_with_the_reason() {
    let repo = platform_repo("mistakes");
    let refuse = |args: &[&str], why: &str| {
        let o = iac(&repo.0, args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}{err}");
        assert!(err.contains(why), "{args:?}: expected {why:?} in:\n{err}");
    };
    refuse(&["app", "new", "Check_Out", "-image", "x:1"], "must be a DNS label");
    refuse(
        &["app", "new", "checkout", "-image", "x:1", "-replicas", "0"],
        "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
    );
    refuse(&["app", "new", "checkout", "-image", "x:1", "-metric", "orders-pending"], "metric \"orders-pending\"");
    refuse(&["app", "new", "checkout", "-image", "x:1", "-kind", "Database"], "no ResourceGraphDefinition in the tree defines the kind Database");
    refuse(&["app", "new", "storefront", "-image", "x:1"], "exists already");
    std::fs::write(
        repo.0.join("gitops/apps/broken.yaml"),
        "apiVersion: kro.run/v1alpha1\nkind: WebApp\nmetadata: {name: broken, namespace: apps}\nspec: {image: x}\n",
    )
    .unwrap();
    refuse(&["plan", "gitops"], "apps/broken.yaml: WebApp \"broken\": spec.metric: Required value");
}
