//! What a change to the repository's GitOps tree does, as `iac plan` shows
//! it in a pull request: a new application is the WebApp and the five
//! objects kro makes of it; an edit changes the objects it touches; a
//! removal deletes them; a bad file is an error naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iac_kro::app::{new_app, render, AppParams};
use iac_kro::gitops::{plan, Action, ObjectKey};

fn tree() -> BTreeMap<String, String> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &r, out);
            } else {
                out.insert(r, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../gitops"), "", &mut out);
    out
}

fn summary(changes: &[iac_kro::gitops::Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let k = ObjectKey::of(c.after.as_ref().or(c.before.as_ref()).unwrap());
            format!("{:?} {} {}/{}", c.action, k.kind, k.namespace, k.name)
        })
        .collect()
}

#[test]
fn a_new_application_is_its_webapp_and_what_kro_makes_of_it() {
    let base = tree();
    let app = new_app(&base, "WebApp", &AppParams::new("checkout", "ghcr.io/example/checkout:2.1.0")).unwrap();
    assert_eq!(app.path, "apps/checkout.yaml");
    assert_eq!(app.objects.len(), 5);
    let mut head = base.clone();
    head.insert(app.path.clone(), app.text.clone());
    assert_eq!(
        summary(&plan(&base, &head).unwrap()),
        [
            "Create WebApp apps/checkout",
            "Create Deployment apps/checkout",
            "Create Service apps/checkout",
            "Create ServiceMonitor apps/checkout",
            "Create ConfigMap apps/checkout-dashboard",
            "Create ScaledObject apps/checkout",
        ]
    );
    let origin = &plan(&base, &head).unwrap()[1].origin;
    assert_eq!(origin.file, "apps/checkout.yaml");
    assert_eq!(origin.expansion, Some(("WebApp".into(), "checkout".into(), "deployment".into())));
}

#[test]
fn edits_and_removals() {
    let base = tree();
    let mut head = base.clone();
    let p = AppParams {
        replicas: 5,
        metric: "storefront_orders_pending".into(),
        metric_target: 50,
        ..AppParams::new("storefront", "ghcr.io/example/storefront:1.0.0")
    };
    head.insert("apps/storefront.yaml".into(), render(&p));
    assert_eq!(
        summary(&plan(&base, &head).unwrap()),
        ["Update WebApp apps/storefront", "Update Deployment apps/storefront", "Update ScaledObject apps/storefront"]
    );
    head.remove("apps/storefront.yaml");
    let changes = plan(&base, &head).unwrap();
    assert!(changes.iter().all(|c| c.action == Action::Delete));
    assert_eq!(changes.len(), 6);
    assert!(plan(&base, &base).unwrap().is_empty());
}

#[test]
fn problems_name_the_file() {
    let base = tree();
    let mut head = base.clone();
    head.insert("apps/bad.yaml".into(), "apiVersion: kro.run/v1alpha1\nkind: WebApp\nmetadata: {name: bad, namespace: apps}\nspec: {image: x}\n".into());
    head.insert("apps/notes.md".into(), "not a manifest".into());
    let e = plan(&base, &head).unwrap_err().to_string();
    assert!(e.contains("apps/bad.yaml: WebApp \"bad\": spec.metric: Required value"), "{e}");
    head.insert("apps/bad.yaml".into(), "a: [".into());
    assert!(plan(&base, &head).unwrap_err().to_string().contains("apps/bad.yaml"));
    let e = new_app(&base, "WebApp", &AppParams::new("Bad", "")).unwrap_err().to_string();
    assert!(e.contains("must be a DNS label") && e.contains("image \"\""), "{e}");
    assert!(new_app(&base, "Database", &AppParams::new("db", "x:1")).unwrap_err().to_string().contains("defines: WebApp"));
}

#[test]
fn the_applications_in_the_tree_are_files_the_command_writes() {
    // Every file in gitops/apps/ is exactly what `iac app new` makes of its values.
    for (path, text) in tree().iter().filter(|(p, _)| p.starts_with("apps/") && p.ends_with(".yaml")) {
        let doc = iac_kro::yaml_documents(text).unwrap().remove(0);
        let s = &doc["spec"];
        let n = |k: &str| s[k].as_u64().unwrap() as u32;
        let p = AppParams {
            name: doc["metadata"]["name"].as_str().unwrap().into(),
            namespace: doc["metadata"]["namespace"].as_str().unwrap().into(),
            image: s["image"].as_str().unwrap().into(),
            port: n("port"),
            replicas: n("replicas"),
            max_replicas: n("maxReplicas"),
            metric: s["metric"].as_str().unwrap().into(),
            metric_target: n("metricTarget"),
        };
        assert_eq!(&render(&p), text, "{path}");
    }
}
