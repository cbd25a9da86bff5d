//! The simulator's HTTP API as kube-rs clients use it: server-side apply
//! requests as kube writes them, `Status` errors, lists and selectors,
//! watches, deletion, CRDs, simulated controllers and injected faults.

use std::time::Duration;

use iac_kube_sim::{RunningSim, SimOptions};
use serde_json::{json, Value};

const APPLY: &str = "application/apply-patch+yaml";

struct Api {
    sim: RunningSim,
    http: reqwest::Client,
}

async fn sim() -> Api {
    let sim = iac_kube_sim::start(SimOptions {
        rollout_delay_ms: 30,
        delete_delay_ms: 30,
        load_balancer_delay_ms: 30,
        application_delay_ms: 30,
        ..SimOptions::default()
    })
    .await
    .expect("starts");
    Api { sim, http: reqwest::Client::new() }
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.url())
    }
    async fn send(&self, method: reqwest::Method, path: &str, content_type: Option<&str>, body: Option<String>) -> (u16, Value) {
        let mut r = self.http.request(method, self.url(path));
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        if let Some(b) = body {
            r = r.body(b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }
    /// Server-side apply exactly as kube-rs sends it (`?&force=...&fieldManager=...`, a JSON body).
    async fn apply(&self, path: &str, manager: &str, force: bool, obj: &Value) -> (u16, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let q = if force { format!("{sep}&force=true&fieldManager={manager}") } else { format!("{sep}&fieldManager={manager}") };
        self.send(reqwest::Method::PATCH, &format!("{path}{q}"), Some(APPLY), Some(obj.to_string())).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, Some("application/json"), Some(json!({"propagationPolicy": "Background"}).to_string())).await
    }
    /// Polls until `done` holds for the object (controllers run on their own clock).
    async fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1500 {
            let (code, v) = self.get(path).await;
            if code == 200 && done(&v) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{path} never reached the expected state: {}", self.get(path).await.1);
    }
    async fn config(&self, patch: Value) {
        let (code, _) = self.send(reqwest::Method::POST, "/_sim/config", Some("application/json"), Some(patch.to_string())).await;
        assert_eq!(code, 200);
    }
}

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

fn deployment(name: &str, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": image}]}}
    }})
}

const CM: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn apply_creates_updates_and_leaves_unchanged_objects_alone() {
    let api = sim().await;
    let (code, created) = api.apply(&format!("{CM}/c"), "iac", false, &cm("c", json!({"a": "1"}))).await;
    assert_eq!(code, 201, "{created}");
    let m = &created["metadata"];
    assert!(m["uid"].is_string() && m["creationTimestamp"].is_string());
    assert_eq!(m["namespace"], "default");
    assert_eq!(
        m["managedFields"],
        json!([{"manager": "iac", "operation": "Apply", "apiVersion": "v1", "time": m["managedFields"][0]["time"], "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}}])
    );

    let (code, same) = api.apply(&format!("{CM}/c"), "iac", false, &cm("c", json!({"a": "1"}))).await;
    assert_eq!(code, 200);
    assert_eq!(same["metadata"]["resourceVersion"], m["resourceVersion"], "a no-op apply keeps the resourceVersion");

    let (code, changed) = api.apply(&format!("{CM}/c"), "iac", false, &cm("c", json!({"b": "2"}))).await;
    assert_eq!(code, 200);
    assert_eq!(changed["data"], json!({"b": "2"}), "a field no longer applied is removed");
    assert_ne!(changed["metadata"]["resourceVersion"], m["resourceVersion"]);

    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n";
    let (code, from_yaml) = api.send(reqwest::Method::PATCH, &format!("{CM}/y?fieldManager=kubectl"), Some(APPLY), Some(yaml.into())).await;
    assert_eq!((code, &from_yaml["data"]["k"]), (201, &json!("v")), "YAML bodies are accepted too");

    let (code, dry) = api.apply(&format!("{CM}/dry?dryRun=All"), "iac", false, &cm("dry", json!({}))).await;
    assert_eq!(code, 201, "{dry}");
    assert_eq!(api.get(&format!("{CM}/dry")).await.0, 404, "a dry run stores nothing");
}

#[tokio::test]
async fn conflicts_come_back_as_status_with_field_manager_causes() {
    let api = sim().await;
    api.apply(&format!("{CM}/c"), "iac", false, &cm("c", json!({"a": "1"}))).await;
    let (code, status) = api.apply(&format!("{CM}/c"), "other", false, &cm("c", json!({"a": "2"}))).await;
    assert_eq!(code, 409);
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(status["message"], "Apply failed with 1 conflict: conflict with \"iac\" using v1: .data.a");
    assert_eq!(status["details"]["causes"], json!([{"reason": "FieldManagerConflict", "message": "conflict with \"iac\" using v1", "field": ".data.a"}]));
    let (code, forced) = api.apply(&format!("{CM}/c"), "other", true, &cm("c", json!({"a": "2"}))).await;
    assert_eq!((code, &forced["data"]["a"]), (200, &json!("2")));

    let (code, status) = api.send(reqwest::Method::PATCH, &format!("{CM}/c"), Some(APPLY), Some(cm("c", json!({})).to_string())).await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")), "apply needs a field manager: {status}");
}

#[tokio::test]
async fn errors_are_status_objects() {
    let api = sim().await;
    let (code, s) = api.apply("/api/v1/namespaces/nowhere/configmaps/c", "iac", false, &cm("c", json!({}))).await;
    assert_eq!(code, 404);
    assert_eq!(
        s,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "namespaces \"nowhere\" not found", "reason": "NotFound", "code": 404, "details": {"name": "nowhere", "kind": "namespaces"}})
    );
    let (code, s) = api.get("/apis/apps/v1/namespaces/default/deployments/none").await;
    assert_eq!((code, s["message"].as_str()), (404, Some("deployments.apps \"none\" not found")));
    let (code, s) = api.apply(&format!("{CM}/c"), "iac", false, &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}})).await;
    assert_eq!((code, s["reason"].as_str()), (400, Some("BadRequest")));
    let (code, s) = api.apply(&format!("{CM}/Bad_Name"), "iac", false, &cm("Bad_Name", json!({}))).await;
    assert_eq!((code, s["reason"].as_str()), (422, Some("Invalid")), "{s}");
    assert_eq!(api.get("/apis/nothing.example.com/v1/things").await.0, 404);
}

#[tokio::test]
async fn lists_carry_their_kind_version_and_honour_selectors() {
    let api = sim().await;
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
        let mut o = cm(name, json!({}));
        o["metadata"]["labels"] = json!({"tier": tier});
        api.apply(&format!("{CM}/{name}"), "iac", false, &o).await;
    }
    let names = |v: &Value| v["items"].as_array().unwrap().iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (_, all) = api.get(CM).await;
    assert_eq!(all["kind"], "ConfigMapList");
    assert_eq!(all["apiVersion"], "v1");
    assert!(all["metadata"]["resourceVersion"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(names(&all), ["a", "b", "c"]);
    assert_eq!(names(&api.get(&format!("{CM}?labelSelector=tier%3Dweb")).await.1), ["a", "c"]);
    assert_eq!(names(&api.get(&format!("{CM}?fieldSelector=metadata.name%3Db")).await.1), ["b"]);
    assert_eq!(names(&api.get("/api/v1/configmaps?labelSelector=tier%21%3Dweb").await.1), ["b"], "cluster-wide lists cross namespaces");
}

#[tokio::test]
async fn deletes_answer_the_object_and_respect_finalizers() {
    let api = sim().await;
    api.apply(&format!("{CM}/plain"), "iac", false, &cm("plain", json!({"a": "1"}))).await;
    let (code, gone) = api.delete(&format!("{CM}/plain")).await;
    assert_eq!((code, &gone["metadata"]["name"]), (200, &json!("plain")));
    assert_eq!(api.get(&format!("{CM}/plain")).await.0, 404);

    let mut held = cm("held", json!({}));
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    api.apply(&format!("{CM}/held"), "iac", false, &held).await;
    let (code, marked) = api.delete(&format!("{CM}/held")).await;
    assert_eq!(code, 200);
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(api.get(&format!("{CM}/held")).await.0, 200, "kept while a finalizer remains");
    held["metadata"]["finalizers"] = json!([]);
    api.apply(&format!("{CM}/held"), "iac", false, &held).await;
    assert_eq!(api.get(&format!("{CM}/held")).await.0, 404);
}

#[tokio::test]
async fn a_deleted_namespace_terminates_and_takes_its_objects() {
    let api = sim().await;
    api.apply("/api/v1/namespaces/team", "iac", false, &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})).await;
    api.apply("/api/v1/namespaces/team/configmaps/c", "iac", false, &cm("c", json!({}))).await;
    let (_, ns) = api.delete("/api/v1/namespaces/team").await;
    assert_eq!(ns["status"]["phase"], "Terminating");
    let (code, s) = api.apply("/api/v1/namespaces/team/configmaps/new", "iac", false, &cm("new", json!({}))).await;
    assert_eq!((code, s["reason"].as_str()), (403, Some("Forbidden")), "no new content in a terminating namespace");
    assert_eq!(api.get("/api/v1/namespaces/team/configmaps/c").await.0, 404);
    for _ in 0..1500 {
        if api.get("/api/v1/namespaces/team").await.0 == 404 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the namespace never went away");
}

#[tokio::test]
async fn a_crd_serves_its_kind_at_once() {
    let api = sim().await;
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"}, "spec": {
        "group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}, "subresources": {"status": {}}}]
    }});
    let (code, stored) = api.apply("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", "iac", false, &crd).await;
    assert_eq!(code, 201);
    let conditions: Vec<(&str, &str)> =
        stored["status"]["conditions"].as_array().unwrap().iter().map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap())).collect();
    assert_eq!(conditions, [("NamesAccepted", "True"), ("Established", "True")]);

    let (_, groups) = api.get("/apis").await;
    assert!(groups["groups"].as_array().unwrap().iter().any(|g| g["name"] == "example.com"));
    let (_, res) = api.get("/apis/example.com/v1").await;
    assert_eq!(
        res["resources"][0],
        json!({"name": "widgets", "singularName": "widget", "namespaced": true, "kind": "Widget", "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], "storageVersionHash": "", "shortNames": ["wd"]})
    );
    let (_, doc) = api.get("/openapi/v3/apis/example.com/v1").await;
    assert!(doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Widget");

    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}});
    assert_eq!(api.apply("/apis/example.com/v1/namespaces/default/widgets/w", "iac", false, &widget).await.0, 201);
    api.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").await;
    assert_eq!(api.get("/apis/example.com/v1").await.0, 404, "deleting the CRD removes its kind and objects");
}

#[tokio::test]
async fn workloads_roll_out_and_watches_see_it() {
    let api = sim().await;
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    let (code, d) = api.apply(path, "iac", false, &deployment("web", "nginx:1")).await;
    assert_eq!(code, 201);
    assert_eq!(d["status"]["updatedReplicas"], 0, "not rolled out yet");
    let rv = d["metadata"]["resourceVersion"].as_str().unwrap().to_string();

    let watch =
        api.http
            .get(api.url(&format!(
                "/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dweb&timeoutSeconds=30"
            )))
            .send()
            .await
            .unwrap();
    let mut watch = watch;
    let mut buf = String::new();
    let event = loop {
        let chunk = watch.chunk().await.unwrap().expect("the watch stays open until the rollout event");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().next().filter(|_| buf.contains('\n')) {
            break serde_json::from_str::<Value>(line).unwrap();
        }
    };
    assert_eq!(event["type"], "MODIFIED");
    let status = &event["object"]["status"];
    assert_eq!((status["readyReplicas"].as_i64(), status["availableReplicas"].as_i64(), status["observedGeneration"].as_i64()), (Some(2), Some(2), Some(1)));
    let available = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Available").unwrap();
    assert_eq!(available["status"], "True");
    let controller = event["object"]["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "kube-controller-manager")
        .expect("the controller owns status");
    assert_eq!(controller["subresource"], "status");

    let (_, updated) = api.apply(path, "iac", false, &deployment("web", "nginx:2")).await;
    assert_eq!(updated["metadata"]["generation"], 2);
    let done = api.wait_for(path, |d| d["status"]["observedGeneration"] == 2 && d["status"]["updatedReplicas"] == 2).await;
    assert_eq!(done["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
}

#[tokio::test]
async fn jobs_complete_load_balancers_get_addresses_and_applications_sync() {
    let api = sim().await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox"}]}}}});
    api.apply("/apis/batch/v1/namespaces/default/jobs/migrate", "iac", false, &job).await;
    let done = api.wait_for("/apis/batch/v1/namespaces/default/jobs/migrate", |j| j["status"]["succeeded"] == 1).await;
    assert!(done["status"]["conditions"].as_array().unwrap().iter().any(|c| c["type"] == "Complete" && c["status"] == "True"));

    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}});
    let (_, s) = api.apply("/api/v1/namespaces/default/services/lb", "iac", false, &svc).await;
    assert!(s["spec"]["clusterIP"].as_str().unwrap().starts_with("10.96."));
    let s = api.wait_for("/api/v1/namespaces/default/services/lb", |s| s.pointer("/status/loadBalancer/ingress/0/ip").is_some()).await;
    assert!(s["status"]["loadBalancer"]["ingress"][0]["ip"].as_str().unwrap().starts_with("203.0.113."));
    let (_, again) = api.apply("/api/v1/namespaces/default/services/lb", "iac", false, &svc).await;
    assert_eq!(again["metadata"]["resourceVersion"], s["metadata"]["resourceVersion"], "controller-set fields are no drift for the applier");

    api.apply("/api/v1/namespaces/argocd", "iac", false, &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})).await;
    let crd_yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/argocd/install-v3.5.1.yaml")).unwrap();
    let app_crd = crd_yaml.split("\n---\n").find(|d| d.contains("name: applications.argoproj.io")).expect("the Application CRD");
    let (code, _) = api
        .send(
            reqwest::Method::PATCH,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.argoproj.io?fieldManager=iac",
            Some(APPLY),
            Some(app_crd.to_string()),
        )
        .await;
    assert_eq!(code, 201);
    let app = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "root"}, "spec": {
        "project": "default", "source": {"repoURL": "https://example.com/gitops.git", "path": "apps", "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    }});
    api.apply("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/root", "iac", false, &app).await;
    let synced = api.wait_for("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/root", |a| a["status"]["health"]["status"] == "Healthy").await;
    assert_eq!(synced["status"]["sync"]["status"], "Synced");
    assert_eq!(synced["status"]["sync"]["revision"], "main");
}

#[tokio::test]
async fn injected_faults_stall_fail_and_deny() {
    let api = sim().await;
    api.config(json!({"faults": {
        "never_ready": [{"kind": "Deployment", "name": "stuck"}],
        "write_errors": [{"kind": "Secret", "code": 500, "message": "etcd is on fire"}],
        "admission_denials": [{"kind": "ConfigMap", "name": "forbidden", "webhook": "policy.example.com", "message": "no such config allowed"}]
    }}))
    .await;
    let (_, cfg) = api.get("/_sim/config").await;
    assert_eq!(cfg["rollout_delay_ms"], 30, "a partial configuration keeps the other settings");

    let path = "/apis/apps/v1/namespaces/default/deployments/stuck";
    api.apply(path, "iac", false, &deployment("stuck", "nginx")).await;
    let stalled =
        api.wait_for(path, |d| d["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["reason"] == "ProgressDeadlineExceeded"))).await;
    assert_eq!(stalled["status"]["availableReplicas"], 0);

    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}});
    let (code, s) = api.apply("/api/v1/namespaces/default/secrets/s", "iac", false, &secret).await;
    assert_eq!((code, s["message"].as_str(), s["reason"].as_str()), (500, Some("etcd is on fire"), Some("InternalError")));

    let (code, s) = api.apply(&format!("{CM}/forbidden"), "iac", false, &cm("forbidden", json!({}))).await;
    assert_eq!(code, 400);
    assert_eq!(s["message"], "admission webhook \"policy.example.com\" denied the request: no such config allowed");
    assert_eq!(api.apply(&format!("{CM}/allowed"), "iac", false, &cm("allowed", json!({}))).await.0, 201);
}

#[tokio::test]
async fn discovery_and_version_answer_as_a_cluster_does() {
    let api = sim().await;
    let (_, v) = api.get("/version").await;
    assert_eq!((v["major"].as_str(), v["minor"].as_str(), v["gitVersion"].as_str()), (Some("1"), Some("32"), Some("v1.32.2")));
    let (_, core) = api.get("/api").await;
    assert_eq!(core["versions"], json!(["v1"]));
    let (_, res) = api.get("/api/v1").await;
    assert_eq!(res["groupVersion"], "v1");
    let (_, idx) = api.get("/openapi/v3").await;
    assert!(idx["paths"]["api/v1"]["serverRelativeURL"].is_string());
    let (_, apps) = api.get("/apis/apps").await;
    assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
}

#[test]
fn the_binary_prints_its_url_serves_and_stops_by_itself() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_iac-kube-sim"))
        .args(["--listen", "127.0.0.1:0", "--exit-after-seconds", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let version: Value = rt.block_on(async { reqwest::get(format!("{url}/version")).await.unwrap().json().await.unwrap() });
    assert_eq!(version["gitVersion"], "v1.32.2");
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().ok();
    panic!("the simulator did not stop after --exit-after-seconds");
}

#[tokio::test]
async fn the_status_subresource_has_its_own_owners_and_preconditions_hold() {
    let api = sim().await;
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    let (_, d) = api.apply(path, "iac", false, &deployment("web", "nginx")).await;
    let status = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "status": {"replicas": 9}});
    let (code, s) = api.apply(&format!("{path}/status"), "my-controller", false, &status).await;
    assert_eq!(code, 200, "{s}");
    assert_eq!(s["status"]["replicas"], 9);
    assert_eq!(s["spec"], d["spec"], "a status write leaves spec alone");
    let entry = s["metadata"]["managedFields"].as_array().unwrap().iter().find(|e| e["manager"] == "my-controller").unwrap().clone();
    assert_eq!((entry["subresource"].as_str(), &entry["fieldsV1"]), (Some("status"), &json!({"f:status": {"f:replicas": {}}})));

    let mut stale = deployment("web", "nginx:2");
    stale["metadata"]["resourceVersion"] = json!("1");
    let (code, s) = api.apply(path, "iac", false, &stale).await;
    assert_eq!((code, s["reason"].as_str()), (409, Some("Conflict")), "a stale resourceVersion is refused: {s}");

    let mut put = api.get(path).await.1;
    put["metadata"]["resourceVersion"] = json!("1");
    let (code, _) = api.send(reqwest::Method::PUT, path, Some("application/json"), Some(put.to_string())).await;
    assert_eq!(code, 409);

    let (_, nodes) = api.get("/api/v1/nodes").await;
    assert_eq!(nodes["items"][0]["status"]["conditions"][0]["type"], "Ready");
}

#[tokio::test]
async fn a_watch_from_a_resource_version_replays_what_followed_it() {
    let api = sim().await;
    let (_, first) = api.apply(&format!("{CM}/a"), "iac", false, &cm("a", json!({}))).await;
    api.apply(&format!("{CM}/b"), "iac", false, &cm("b", json!({}))).await;
    api.delete(&format!("{CM}/a")).await;
    let rv = first["metadata"]["resourceVersion"].as_str().unwrap();
    let mut resp = api.http.get(api.url(&format!("{CM}?watch=1&resourceVersion={rv}&timeoutSeconds=1"))).send().await.unwrap();
    let mut text = String::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let events: Vec<(String, String)> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|e| (e["type"].as_str().unwrap().to_string(), e["object"]["metadata"]["name"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(events, [("ADDED".to_string(), "b".to_string()), ("DELETED".to_string(), "a".to_string())], "the watch ends at timeoutSeconds");
}

#[tokio::test]
async fn aggregated_discovery_is_served_to_clients_that_ask_for_it_first() {
    let api = sim().await;
    let kubectl_accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    let resp = api.http.get(api.url("/apis")).header("accept", kubectl_accept).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["kind"], "APIGroupDiscoveryList");
    let apps = doc["items"].as_array().unwrap().iter().find(|g| g["metadata"]["name"] == "apps").unwrap();
    let deployments = apps["versions"][0]["resources"].as_array().unwrap().iter().find(|r| r["resource"] == "deployments").unwrap();
    assert_eq!(deployments["scope"], "Namespaced");
    assert_eq!(deployments["responseKind"], json!({"group": "apps", "version": "v1", "kind": "Deployment"}));
    let subs: Vec<&str> = deployments["subresources"].as_array().unwrap().iter().map(|s| s["subresource"].as_str().unwrap()).collect();
    assert_eq!(subs, ["status", "scale"]);

    let core: Value = api.http.get(api.url("/api")).header("accept", kubectl_accept).send().await.unwrap().json().await.unwrap();
    assert_eq!(core["items"][0]["metadata"]["name"], "");
    let plain = api.http.get(api.url("/apis")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
    assert_eq!(plain.json::<Value>().await.unwrap()["kind"], "APIGroupList", "legacy discovery otherwise");
}
