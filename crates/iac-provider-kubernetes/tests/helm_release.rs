//! `helm_release` as Helm's own release, with the real helm
//! (`scripts/install-tools` puts it in .tools/bin) against the fake API
//! server, on a test chart with hooks (tests/fixtures/charts/hooked):
//! a release iac makes is stored as Helm stores it, so `helm list` and
//! `helm history` see it and `helm rollback` rolls it back (which the next
//! plan shows as a change back); hooks run in weight order with their
//! delete policies; a release made by `helm install` is imported and then
//! upgraded by iac; an `atomic` upgrade whose rollout fails is rolled back;
//! `set_wo` values reach the release but never plans or state; `replace`
//! and `recreate_pods` behave as the helm provider's.
//! The stacks use the helm provider 3.x syntax (`set = [{ ... }]`), and
//! the 2.x block form of the same arguments.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use futures::StreamExt;
use iac_core::plan::Action;
use kube::api::{ApiResource, DynamicObject, WatchEvent, WatchParams};
use serde_json::Value as Json;

const CONFIGMAP: Kind = ("v1", "ConfigMap", "configmaps");
const DEPLOYMENT: Kind = ("apps/v1", "Deployment", "deployments");
const JOB: Kind = ("batch/v1", "Job", "jobs");
const SECRET: Kind = ("v1", "Secret", "secrets");

fn chart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts/hooked").display().to_string()
}

fn helm_bin() -> PathBuf {
    iac_testkit::tools::tool("helm")
}

struct Release<'a> {
    name: &'a str,
    replicas: u32,
    image: &'a str,
    /// `set` in the helm provider 3.x form, else 2.x blocks.
    v3_syntax: bool,
    atomic: bool,
}

impl Default for Release<'_> {
    fn default() -> Self {
        Release { name: "demo", replicas: 1, image: "registry.example/app:1.0", v3_syntax: true, atomic: false }
    }
}

/// The helm provider block: the installed helm, against the simulator.
fn helm_provider(url: &str) -> String {
    format!(
        "provider \"helm\" {{\n  helm_binary      = \"{}\"\n  poll_interval_ms = 20\n  kubernetes {{\n    host  = \"{url}\"\n    token = \"test-token\"\n  }}\n}}\n",
        helm_bin().display()
    )
}

fn stack(url: &str, r: &Release<'_>) -> String {
    let set = if r.v3_syntax {
        format!("  set = [\n    {{ name = \"replicas\", value = \"{}\" }},\n    {{ name = \"image\", value = \"{}\", type = \"string\" }},\n  ]\n  set_list = [{{ name = \"extra\", value = [\"a\", \"b,c\"] }}]\n", r.replicas, r.image)
    } else {
        format!("  set {{\n    name  = \"replicas\"\n    value = \"{}\"\n  }}\n  set {{\n    name  = \"image\"\n    value = \"{}\"\n    type  = \"string\"\n  }}\n  set_list {{\n    name  = \"extra\"\n    value = [\"a\", \"b,c\"]\n  }}\n", r.replicas, r.image)
    };
    format!(
        r#"{provider}
resource "helm_release" "app" {{
  name             = "{name}"
  chart            = "{chart}"
  namespace        = "apps"
  create_namespace = true
  wait_for_jobs    = true
  atomic           = {atomic}
  timeout          = 20
  values           = [yamlencode({{ message = "from iac" }})]
{set}}}

output "revision" {{
  value = helm_release.app.metadata.revision
}}
"#,
        provider = helm_provider(url),
        name = r.name,
        chart = chart(),
        atomic = r.atomic,
    )
}

/// Runs the real helm against the simulator (its own HOME and kubeconfig).
fn helm(url: &str, home: &Path, args: &[&str]) -> (bool, String) {
    let kubeconfig = home.join("kubeconfig");
    if !kubeconfig.exists() {
        std::fs::create_dir_all(home).unwrap();
        let kc = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {url}\nusers:\n- name: u\n  user:\n    token: test-token\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: u\ncurrent-context: sim\n"
        );
        std::fs::write(&kubeconfig, kc).unwrap();
    }
    let out = std::process::Command::new(helm_bin())
        .args(args)
        .env("HOME", home)
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("HELM_BINARY")
        .output()
        .expect("helm runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn helm_json(url: &str, home: &Path, args: &[&str]) -> Json {
    let (ok, text) = helm(url, home, args);
    assert!(ok, "helm {args:?} failed: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("helm {args:?} printed no JSON ({e}): {text}"))
}

fn revisions(url: &str, home: &Path, name: &str) -> Vec<(i64, String, String)> {
    let h = helm_json(url, home, &["history", name, "--namespace", "apps", "--output", "json"]);
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["revision"].as_i64().unwrap(), r["status"].as_str().unwrap().to_string(), r["description"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The plan's changes, each with the attributes it changes (what a failure shows).
fn explained(p: &iac_core::plan::Plan) -> String {
    let mut out = Vec::new();
    for c in p.changes.iter().filter(|c| c.action != Action::NoOp) {
        let (b, a) = (c.before.to_json(), c.after.to_json());
        let keys: Vec<String> = a
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| b.get(k.as_str()) != Some(*v))
            .map(|(k, v)| format!("{k}: {} -> {v}", b.get(k.as_str()).cloned().unwrap_or(Json::Null)))
            .collect();
        out.push(format!("{:?} {}: {}", c.action, c.addr, keys.join("; ")));
    }
    out.join("\n")
}

fn assert_no_changes(p: &iac_core::plan::Plan, what: &str) {
    assert!(changes(p).is_empty(), "{what}: {}", explained(p));
}

fn rv(o: &Json) -> u64 {
    o["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse().ok()).expect("a resourceVersion")
}

async fn output(env: &iac_engine::ops::Env, name: &str) -> Json {
    let state = iac_engine::ops::read_state(env.backend.as_ref()).await.expect("the state reads");
    state.outputs.get(name).map(|o| o.value.to_json()).unwrap_or(Json::Null)
}

/// Merges fault rules into the running simulator.
fn configure(sim: &iac_kube_sim::RunningSim, faults: Json) {
    let mut opts = sim.options();
    opts.faults = serde_json::from_value(faults).expect("fault rules");
    sim.set_options(opts);
}

/// The Job events a watch has seen: (type, resourceVersion, succeeded).
type JobEvents = std::sync::Arc<std::sync::Mutex<Vec<(String, u64, i64)>>>;

/// Every event of the Jobs in `ns`, collected until the task is aborted.
fn watch_jobs(url: String, ns: &'static str) -> (tokio::task::JoinHandle<()>, JobEvents) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = seen.clone();
    let task = tokio::spawn(async move {
        let kube = Actor::new(&url).await;
        let ar = ApiResource { group: "batch".into(), version: "v1".into(), api_version: "batch/v1".into(), kind: "Job".into(), plural: "jobs".into() };
        let api: kube::Api<DynamicObject> = kube::Api::namespaced_with(kube.client.clone(), ns, &ar);
        let mut stream = api.watch(&WatchParams::default().timeout(290), "0").await.expect("a watch on Jobs").boxed();
        while let Some(ev) = stream.next().await {
            let (kind, o) = match ev {
                Ok(WatchEvent::Added(o)) => ("ADDED", o),
                Ok(WatchEvent::Modified(o)) => ("MODIFIED", o),
                Ok(WatchEvent::Deleted(o)) => ("DELETED", o),
                _ => continue,
            };
            let j = serde_json::to_value(o).unwrap();
            let succeeded = j["status"]["succeeded"].as_i64().unwrap_or(0);
            out.lock().unwrap().push((kind.to_string(), rv(&j), succeeded));
        }
    });
    (task, seen)
}

#[test]
fn a_release_made_by_iac_is_helms_own_with_hooks_in_order_and_rollback_seen() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let env = env(tmp.path());
        let kube = Actor::new(&url).await;
        let (watcher, jobs) = watch_jobs(url.clone(), "apps");

        let st = write_stack(tmp.path(), &stack(&url, &Release::default()));
        let p = plan(&st, &env).await;
        let keys = object_keys(&change(&p, "helm_release.app").after);
        assert_eq!(keys, vec!["apps/v1/Deployment/apps/demo-app", "v1/ConfigMap/apps/demo-config"], "the release's objects, hooks left out");
        apply(&st, &env, p).await;

        // Helm's own record: the release Secret, helm list, helm status.
        let secret = kube.get(SECRET, Some("apps"), "sh.helm.release.v1.demo.v1").await.expect("the release is stored as Helm stores it");
        assert_eq!(secret["type"], "helm.sh/release.v1");
        assert_eq!(secret["metadata"]["labels"]["owner"], "helm");
        let list = helm_json(&url, &home, &["list", "--namespace", "apps", "--output", "json"]);
        assert_eq!(list[0]["name"], "demo", "{list}");
        assert_eq!(list[0]["status"], "deployed");
        assert_eq!(list[0]["chart"], "hooked-0.1.0");
        let values = helm_json(&url, &home, &["get", "values", "demo", "--namespace", "apps", "--output", "json"]);
        assert_eq!(values["message"], "from iac");
        assert_eq!(values["extra"], serde_json::json!(["a", "b,c"]), "set_list items keep their commas");
        assert_eq!(output(&env, "revision").await, 1);

        // Hooks: in weight order around the release's objects, each delete policy honoured.
        let first = kube.get(CONFIGMAP, Some("apps"), "demo-pre-first").await.expect("a kept pre-install hook");
        let last = kube.get(CONFIGMAP, Some("apps"), "demo-pre-last").await.expect("a kept pre-install hook");
        let config = kube.get(CONFIGMAP, Some("apps"), "demo-config").await.expect("the release's ConfigMap");
        let post = kube.get(CONFIGMAP, Some("apps"), "demo-post").await.expect("the post-install hook");
        assert!(rv(&first) < rv(&last) && rv(&last) < rv(&config) && rv(&config) < rv(&post), "pre hooks by weight, then the release, then post hooks");
        assert!(kube.get(JOB, Some("apps"), "demo-pre-migrate").await.is_none(), "hook-succeeded: the Job is deleted once it succeeded");
        {
            let seen = jobs.lock().unwrap().clone();
            let added = seen.iter().find(|e| e.0 == "ADDED").expect("the hook Job was created").1;
            let done = seen.iter().find(|e| e.2 > 0).expect("the hook Job succeeded").1;
            assert!(seen.iter().any(|e| e.0 == "DELETED"), "{seen:?}");
            assert!(rv(&first) < added && done < rv(&last), "the Job ran between the hooks of lower and higher weight, and finished first: {seen:?}");
        }
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap()["status"]["availableReplicas"], 1, "the apply waited for the rollout");
        assert_no_changes(&plan(&st, &env).await, "an applied release plans no change");

        // An upgrade (2.x block syntax this time): one object changes, a new revision.
        let st = write_stack(tmp.path(), &stack(&url, &Release { replicas: 2, v3_syntax: false, ..Release::default() }));
        let p = plan(&st, &env).await;
        let c = change(&p, "helm_release.app");
        assert_eq!(c.action, Action::Update);
        let (before, after) = (c.before.get("objects").unwrap().as_map().unwrap(), c.after.get("objects").unwrap().as_map().unwrap());
        let changed: Vec<&String> = after.iter().filter(|(k, v)| before.get(k.as_str()) != Some(*v)).map(|(k, _)| k).collect();
        assert_eq!(changed, vec!["apps/v1/Deployment/apps/demo-app"]);
        apply(&st, &env, p).await;
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap()["spec"]["replicas"], 2);
        let post2 = kube.get(CONFIGMAP, Some("apps"), "demo-post").await.unwrap();
        assert_ne!(post2["metadata"]["uid"], post["metadata"]["uid"], "before-hook-creation: the hook was replaced");
        assert_eq!(post2["data"]["revision"], "2");
        assert_eq!(revisions(&url, &home, "demo").iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["superseded", "deployed"]);
        assert_no_changes(&plan(&st, &env).await, "after the upgrade");

        // helm rollback outside iac: Helm does it, and the next plan puts the configuration back.
        let (ok, text) = helm(&url, &home, &["rollback", "demo", "1", "--namespace", "apps", "--wait"]);
        assert!(ok, "{text}");
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap()["spec"]["replicas"], 1, "helm rolled the release back");
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update helm_release.app"], "the rollback is seen");
        apply(&st, &env, p).await;
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap()["spec"]["replicas"], 2);
        assert_eq!(revisions(&url, &home, "demo").last().unwrap().0, 4);

        // Destroy: helm uninstall, pre-delete hook and all.
        destroy(&st, &env).await;
        let list = helm_json(&url, &home, &["list", "--namespace", "apps", "--output", "json"]);
        assert_eq!(list, serde_json::json!([]), "the release is gone");
        assert!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.is_none());
        assert!(kube.get(SECRET, Some("apps"), "sh.helm.release.v1.demo.v1").await.is_none());
        watcher.abort();
        sim.stop().await;
    });
}

#[test]
fn a_release_made_by_helm_install_is_imported_then_upgraded_by_iac() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let env = env(tmp.path());
        let (ok, text) = helm(&url, &home, &["install", "legacy", &chart(), "--namespace", "apps", "--create-namespace", "--wait", "--set", "replicas=3"]);
        assert!(ok, "{text}");

        let st = write_stack(tmp.path(), &stack(&url, &Release { name: "legacy", ..Release::default() }));
        // Without import, creating over it is refused, naming the way out.
        let err = try_apply(&st, &env, plan(&st, &env).await).await.unwrap_err();
        assert!(err.contains("already exists") && err.contains("apps/legacy"), "{err}");

        iac_engine::ops::import(&st, &env, "helm_release.app".parse().unwrap(), "apps/legacy".into(), Vec::new()).await.expect("import");
        let p = plan(&st, &env).await;
        let c = change(&p, "helm_release.app");
        assert_eq!(c.action, Action::Update, "the configuration's values differ from helm's");
        assert_eq!(c.before.to_json()["metadata"]["revision"], 1, "the release helm made, read");
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "legacy-app").await.unwrap()["spec"]["replicas"], 1, "iac's values now");
        let revs = revisions(&url, &home, "legacy");
        assert_eq!(revs.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(), [(1, "superseded"), (2, "deployed")]);
        assert_no_changes(&plan(&st, &env).await, "after the upgrade");
        sim.stop().await;
    });
}

#[test]
fn an_atomic_upgrade_whose_rollout_fails_is_rolled_back() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &stack(&url, &Release { atomic: true, ..Release::default() }));
        converge(&st, &env).await;

        // The new image never becomes ready; the old one still does.
        configure(&sim, serde_json::json!({"never_ready": [{"kind": "Deployment", "image": "registry.example/app:broken"}]}));
        let st = write_stack(tmp.path(), &stack(&url, &Release { atomic: true, image: "registry.example/app:broken", ..Release::default() }));
        let err = try_apply(&st, &env, plan(&st, &env).await).await.unwrap_err();
        assert!(err.contains("demo-app"), "the failure names the workload: {err}");
        let kube = Actor::new(&url).await;
        let d = kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap();
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example/app:1.0", "rolled back to the working image");
        let revs = revisions(&url, &home, "demo");
        let last = revs.last().unwrap();
        assert_eq!((last.0, last.1.as_str()), (3, "deployed"), "{revs:?}");
        assert!(last.2.contains("Rollback to 1"), "{revs:?}");
        assert_eq!(revs[1].1, "failed", "{revs:?}");
        // The configuration still asks for the new image: the next plan tries again.
        assert_eq!(changes(&plan(&st, &env).await), vec!["Update helm_release.app"]);
        sim.stop().await;
    });
}

/// helm gets the exec plugin's token (cached by the provider), never the
/// plugin: one run of the plugin serves the plan, the apply and every helm
/// run in them.
#[test]
fn helm_runs_with_the_exec_plugins_cached_token() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("plugin.sh");
        let calls = tmp.path().join("calls");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho run >> \"{}\"\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"exec-token\"}}}}'\n",
                calls.display()
            ),
        )
        .unwrap();
        let text = stack(&url, &Release::default()).replace(
            "    token = \"test-token\"\n",
            &format!("    exec {{\n      api_version = \"client.authentication.k8s.io/v1beta1\"\n      command     = \"/bin/sh\"\n      args        = [\"{}\"]\n    }}\n", script.display()),
        );
        assert!(text.contains("exec {"), "{text}");
        let st = write_stack(tmp.path(), &text);
        let env = env(tmp.path());
        let p = plan(&st, &env).await;
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        assert!(kube.get(SECRET, Some("apps"), "sh.helm.release.v1.demo.v1").await.is_some(), "helm installed the release with the plugin's token");
        let runs = std::fs::read_to_string(&calls).unwrap().lines().count();
        assert!(runs <= 2, "the plugin ran once per provider configuration (plan, apply), not once per helm run: {runs}");
        sim.stop().await;
    });
}

/// The helm provider 3.x writes its connection as an attribute,
/// `kubernetes = { ..., exec = { ... } }` (the documented EKS pattern); 2.x
/// as a `kubernetes { exec { ... } }` block. A release made through the
/// first is unchanged under the second (the same configuration), and a
/// block giving both is refused with a message naming them.
#[test]
fn the_connection_in_the_3x_attribute_form_and_the_2x_block_form() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("plugin.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\"}}'\n",
        )
        .unwrap();
        // Over plain HTTP the CA is not used; it is here as EKS stacks write it.
        let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let v3 = format!(
            "  kubernetes = {{\n    host                   = \"{url}\"\n    cluster_ca_certificate = {ca:?}\n    exec = {{\n      api_version = \"client.authentication.k8s.io/v1beta1\"\n      command     = \"/bin/sh\"\n      args        = [\"{}\"]\n    }}\n  }}\n",
            script.display()
        );
        let v2 = format!(
            "  kubernetes {{\n    host                   = \"{url}\"\n    cluster_ca_certificate = {ca:?}\n    exec {{\n      api_version = \"client.authentication.k8s.io/v1beta1\"\n      command     = \"/bin/sh\"\n      args        = [\"{}\"]\n    }}\n  }}\n",
            script.display()
        );
        let block_2x = format!("  kubernetes {{\n    host  = \"{url}\"\n    token = \"test-token\"\n  }}\n");
        let base = stack(&url, &Release::default());
        assert!(base.contains(&block_2x), "{base}");
        let env = env(tmp.path());

        let st = write_stack(tmp.path(), &base.replace(&block_2x, &v3));
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Create helm_release.app"]);
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        assert!(kube.get(SECRET, Some("apps"), "sh.helm.release.v1.demo.v1").await.is_some(), "helm installed the release through the 3.x connection");
        assert_no_changes(&plan(&st, &env).await, "after the apply (3.x form)");

        let st = write_stack(tmp.path(), &base.replace(&block_2x, &v2));
        assert_no_changes(&plan(&st, &env).await, "the same connection in the 2.x block form");

        let st = write_stack(tmp.path(), &base.replace(&block_2x, &format!("{v3}{block_2x}")));
        let err = try_plan(&st, &env, iac_core::plan::PlanMode::Normal).await.expect_err("both forms at once are refused");
        assert!(err.contains("kubernetes") && err.contains("is set both as an argument") && err.contains("write one of them"), "{err}");
        sim.stop().await;
    });
}

/// A chart whose templates make objects of a kind its own `crds/` folder
/// defines (kube-prometheus-stack's ServiceMonitors on a fresh cluster): the
/// server cannot check them before the CRD exists, so the first plan leaves
/// the release's objects unknown instead of failing, and the apply installs
/// the CRD, then the objects.
#[test]
fn a_chart_bringing_its_own_crds_plans_and_installs_on_a_fresh_cluster() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts/with-crds");
        let src = format!(
            "{}\nresource \"helm_release\" \"widgets\" {{\n  name             = \"widgets\"\n  chart            = \"{}\"\n  namespace        = \"apps\"\n  create_namespace = true\n  timeout          = 20\n}}\n",
            helm_provider(&url),
            chart.display()
        );
        let st = write_stack(tmp.path(), &src);
        let p = plan(&st, &env).await;
        let c = change(&p, "helm_release.widgets");
        assert_eq!(c.action, Action::Create, "{}", explained(&p));
        assert!(c.after.get("objects").is_some_and(iac_core::Value::is_unknown), "objects are known only after the CRD exists: {}", explained(&p));
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        let widget = kube.get(("example.com/v1", "Widget", "widgets"), Some("apps"), "widgets-widget").await.expect("the chart's Widget exists");
        assert_eq!(widget["spec"]["size"], 3);
        assert_no_changes(&plan(&st, &env).await, "after the install");
        sim.stop().await;
    });
}

/// The files under `dir`, read as text (state, snapshots, journals).
fn texts_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(texts_under(&p));
        } else {
            out.push((p.clone(), String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()));
        }
    }
    out
}

/// `set_wo` (write-only, helm provider 3.x) from an ephemeral variable:
/// the value reaches the release (the rendered ConfigMap, `helm get
/// values`), while the plan, its JSON and every state file hold neither
/// the value nor a copy of it in `objects` or `metadata.values` (shown as
/// "(write-only value)"), also after a refresh. A new value alone plans
/// nothing (state cannot tell); a `set_wo_revision` bump upgrades the
/// release with it.
#[test]
fn write_only_values_reach_the_release_but_never_plans_or_state() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts/plain");
        let stack = |revision: u32| {
            format!(
                "{}\nvariable \"token\" {{\n  type      = string\n  ephemeral = true\n}}\n\nresource \"helm_release\" \"plain\" {{\n  name             = \"plain\"\n  namespace        = \"apps\"\n  create_namespace = true\n  timeout          = 30\n  chart            = \"{}\"\n  set_wo           = [{{ name = \"message\", value = var.token }}]\n  set_wo_revision  = {revision}\n}}\n",
                helm_provider(&url),
                chart.display()
            )
        };
        let env_with_token = |token: &str| {
            let mut e = env(tmp.path());
            e.env_vars = vec![("TF_VAR_token".to_string(), token.to_string())];
            e
        };
        let kube = Actor::new(&url).await;
        let message = |cm: Option<Json>| cm.expect("the chart's ConfigMap")["data"]["message"].as_str().unwrap_or_default().to_string();
        let assert_hidden = |p: &iac_core::plan::Plan, token: &str, when: &str| {
            let text = serde_json::to_string(p).unwrap();
            if let Some(at) = text.find(token) {
                panic!("{when}: the plan holds the write-only value: ...{}...", &text[at.saturating_sub(300)..(at + 100).min(text.len())]);
            }
            for (file, text) in texts_under(&tmp.path().join("state")) {
                assert!(!text.contains(token), "{when}: {} holds the write-only value", file.display());
            }
        };

        let first = "wo-first-5c1f9e";
        let env1 = env_with_token(first);
        let st = write_stack(tmp.path(), &stack(1));
        let p = plan(&st, &env1).await;
        let after = &change(&p, "helm_release.plain").after;
        assert!(after.get("set_wo").is_some_and(iac_core::Value::is_null), "set_wo is null in the plan");
        let objects = after.get("objects").and_then(|o| o.unmarked().as_map().cloned()).expect("the dry run's objects");
        let cm = objects.get("v1/ConfigMap/apps/plain-config").and_then(|y| y.unmarked().as_str().map(str::to_string)).unwrap();
        assert!(cm.contains("(write-only value)"), "the rendered value is shown as write-only: {cm}");
        assert_hidden(&p, first, "the first plan");
        apply(&st, &env1, p).await;
        assert_eq!(message(kube.get(CONFIGMAP, Some("apps"), "plain-config").await), first, "helm got the value");
        let values = helm_json(&url, &home, &["get", "values", "plain", "--namespace", "apps", "--output", "json"]);
        assert_eq!(values["message"], first, "helm keeps it with the release");
        let p = plan(&st, &env1).await;
        assert_no_changes(&p, "after the install (a refresh read the release back)");
        assert_hidden(&p, first, "after the install");

        // Another value without a revision bump: nothing to plan, as Terraform.
        let second = "wo-second-77ad02";
        let env2 = env_with_token(second);
        assert_no_changes(&plan(&st, &env2).await, "a new write-only value alone");

        // The revision bump upgrades the release with the current value.
        let st = write_stack(tmp.path(), &stack(2));
        let p = plan(&st, &env2).await;
        assert_eq!(changes(&p), vec!["Update helm_release.plain"], "{}", explained(&p));
        apply(&st, &env2, p).await;
        assert_eq!(message(kube.get(CONFIGMAP, Some("apps"), "plain-config").await), second, "the bump re-sent set_wo");
        assert_eq!(revisions(&url, &home, "plain").last().map(|r| r.0), Some(2));
        let p = plan(&st, &env2).await;
        assert_no_changes(&p, "after the bump");
        assert_hidden(&p, first, "after the bump");
        assert_hidden(&p, second, "after the bump");

        // Upstream's rules: literal is not a set_wo type, revisions start at 1.
        let bad = stack(0).replace("value = var.token }", "value = var.token, type = \"literal\" }");
        let st = write_stack(tmp.path(), &bad);
        let err = try_plan(&st, &env2, iac_core::plan::PlanMode::Normal).await.expect_err("invalid set_wo");
        assert!(err.contains("set_wo_revision must be at least 1") && err.contains("literal"), "{err}");
        sim.stop().await;
    });
}

/// `replace` and `recreate_pods` as the helm provider does them: a
/// release uninstalled with its history kept blocks a create until
/// `replace = true` re-uses its name (`helm install --replace`); with
/// `recreate_pods = true` an upgrade deletes the Pods its updated
/// Deployment selects (Helm's library still recreates; the CLI lost the
/// flag), and without it they stay.
#[test]
fn replace_reuses_an_uninstalled_name_and_recreate_pods_restarts_pods() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let env = env(tmp.path());
        let kube = Actor::new(&url).await;
        let (ok, text) = helm(&url, &home, &["install", "demo", &chart(), "--namespace", "apps", "--create-namespace", "--wait"]);
        assert!(ok, "{text}");
        let (ok, text) = helm(&url, &home, &["uninstall", "demo", "--namespace", "apps", "--keep-history", "--wait"]);
        assert!(ok, "{text}");

        let with = |r: &Release<'_>, extra: &str| stack(&url, r).replace("  wait_for_jobs    = true\n", &format!("  wait_for_jobs    = true\n{extra}"));
        let st = write_stack(tmp.path(), &with(&Release::default(), ""));
        let err = try_apply(&st, &env, plan(&st, &env).await).await.expect_err("the name is taken by the kept history");
        assert!(err.contains("already exists") && err.contains("uninstalled") && err.contains("replace = true"), "{err}");
        let st = write_stack(tmp.path(), &with(&Release::default(), "  replace          = true\n"));
        converge(&st, &env).await;
        let list = helm_json(&url, &home, &["list", "--namespace", "apps", "--output", "json"]);
        assert_eq!((list[0]["name"].as_str(), list[0]["status"].as_str()), (Some("demo"), Some("deployed")), "{list}");
        assert_no_changes(&plan(&st, &env).await, "after the replacing install");

        // Pods as the Deployment's controller would have made them (the simulator makes none).
        const POD: Kind = ("v1", "Pod", "pods");
        let pod = |name: &str| serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "demo"}}, "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}});
        kube.create(POD, Some("apps"), pod("demo-app-kept")).await;
        let st = write_stack(tmp.path(), &with(&Release { replicas: 2, ..Release::default() }, "  replace          = true\n"));
        converge(&st, &env).await;
        assert!(kube.get(POD, Some("apps"), "demo-app-kept").await.is_some(), "without recreate_pods the Pods stay");

        kube.create(POD, Some("apps"), pod("demo-app-old")).await;
        let st = write_stack(tmp.path(), &with(&Release { replicas: 3, ..Release::default() }, "  replace          = true\n  recreate_pods    = true\n"));
        converge(&st, &env).await;
        assert_eq!(kube.get(DEPLOYMENT, Some("apps"), "demo-app").await.unwrap()["spec"]["replicas"], 3);
        for name in ["demo-app-kept", "demo-app-old"] {
            assert!(kube.get(POD, Some("apps"), name).await.is_none(), "recreate_pods deleted {name}");
        }
        sim.stop().await;
    });
}
