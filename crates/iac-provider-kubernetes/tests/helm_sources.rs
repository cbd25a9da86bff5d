//! Where `helm_release` charts come from, and what helm checks on the way,
//! with the real helm against the fake API server and a chart server of
//! the test's own (`common::chart_server`): an HTTP chart repository that
//! requires basic authentication (`repository_username`/`password`), an
//! OCI registry over https with credentials (`oci://`, `helm push`ed to,
//! `repository_ca_file`), a signed chart with its provenance file
//! (`verify`, `keyring`), a post-renderer program (`postrender`) and
//! `lint` (of local and repository charts). A helm that logs its command
//! lines proves repository passwords never appear on them. The chart is
//! tests/fixtures/charts/plain (one ConfigMap).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::chart_server::ChartServer;
use common::*;
use iac_core::plan::PlanMode;

const CONFIGMAP: Kind = ("v1", "ConfigMap", "configmaps");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts").join(name)
}

/// Runs the real helm with its own HOME (no repositories or logins of the
/// machine's); its output, or a failure with it.
fn helm_cmd(home: &Path, args: &[&str]) -> String {
    std::fs::create_dir_all(home).unwrap();
    let out = Command::new(iac_testkit::tools::tool("helm")).args(args).env("HOME", home).env_remove("HELM_BINARY").output().expect("helm runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "helm {args:?} failed: {text}");
    text
}

/// `helm package` of a fixture chart into `dir`: the archive's path.
fn package(home: &Path, chart: &str, dir: &Path, extra: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = fixture(chart);
    let mut args = vec!["package", src.to_str().unwrap(), "--destination", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    helm_cmd(home, &args);
    dir.join(format!("{chart}-0.1.0.tgz"))
}

fn helm_provider(url: &str, helm: &Path) -> String {
    format!(
        "provider \"helm\" {{\n  helm_binary      = \"{}\"\n  poll_interval_ms = 20\n  kubernetes {{\n    host  = \"{url}\"\n    token = \"test-token\"\n  }}\n}}\n",
        helm.display()
    )
}

/// A release of the plain chart with these extra arguments.
fn release(url: &str, args: &str) -> String {
    release_via(&iac_testkit::tools::tool("helm"), url, args)
}

/// The same, with the provider running `helm`.
fn release_via(helm: &Path, url: &str, args: &str) -> String {
    format!(
        "{}\nresource \"helm_release\" \"plain\" {{\n  name             = \"plain\"\n  namespace        = \"apps\"\n  create_namespace = true\n  timeout          = 30\n{args}}}\n",
        helm_provider(url, helm)
    )
}

/// A helm that appends each command line it is given to a log, then runs
/// the real helm: what any user of the machine sees in /proc/*/cmdline.
/// Its cache is its own, so charts are fetched, not found in helm 4's
/// content cache. Returns the program and its log.
fn logging_helm(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("helm-command-lines.log");
    let wrapper = dir.join("logging-helm.sh");
    let real = iac_testkit::tools::tool("helm");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexport HELM_CACHE_HOME='{}'\nexec '{}' \"$@\"\n",
            log.display(),
            dir.join("helm-cache").display(),
            real.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (wrapper, log)
}

/// The command lines the logging helm ran; none may hold `password`.
fn command_lines_without(log: &Path, password: &str) -> String {
    let lines = std::fs::read_to_string(log).expect("the provider ran the logging helm");
    assert!(!lines.contains(password), "the repository password is on helm's command line:\n{lines}");
    lines
}

fn message(cm: &serde_json::Value) -> &str {
    cm["data"]["message"].as_str().unwrap_or_default()
}

#[test]
fn a_chart_from_an_http_repository_that_requires_a_password() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let server = ChartServer::start(Some(("reader", "s3cret")));
        let repo = tmp.path().join("repo");
        package(&home, "plain", &repo, &[]);
        package(&home, "lint-fails", &repo, &[]);
        helm_cmd(&home, &["repo", "index", repo.to_str().unwrap(), "--url", &server.repo_url()]);
        server.serve_dir(&repo);
        let env = env(tmp.path());
        let (helm, log) = logging_helm(tmp.path());
        let source = format!("  repository = \"{}\"\n  chart      = \"plain\"\n  version    = \"0.1.0\"\n", server.repo_url());

        // Without the password the repository refuses, and the plan says so.
        let st = write_stack(tmp.path(), &release(&url, &source));
        let err = try_plan(&st, &env, PlanMode::Normal).await.expect_err("the repository wants credentials");
        assert!(err.contains("401") || err.contains("Unauthorized"), "{err}");

        // The chart is pulled and linted (lint = true) with the credentials too.
        let creds = format!("{source}  repository_username = \"reader\"\n  repository_password = \"s3cret\"\n  lint                = true\n");
        let st = write_stack(tmp.path(), &release_via(&helm, &url, &creds));
        converge(&st, &env).await;
        let lines = command_lines_without(&log, "s3cret");
        assert!(lines.lines().any(|l| l.starts_with("repo add") && l.contains("--password-stdin")), "the password went to helm repo add on stdin:\n{lines}");
        assert!(lines.lines().any(|l| l.starts_with("pull ") && l.contains("--untar")), "the chart was pulled for lint:\n{lines}");
        let kube = Actor::new(&url).await;
        let cm = kube.get(CONFIGMAP, Some("apps"), "plain-config").await.expect("the chart from the repository is installed");
        assert_eq!(message(&cm), "hello");
        let seen = server.seen();
        for file in ["/charts/index.yaml", "/charts/plain-0.1.0.tgz"] {
            assert!(seen.iter().any(|s| s.path == file && s.authorized), "{file} fetched with the credentials: {seen:?}");
        }
        assert!(changes(&plan(&st, &env).await).is_empty(), "the installed release plans no change");

        // A repository chart that fails lint stops the plan with lint's findings.
        let failing = creds.replace("\"plain\"", "\"lint-fails\"");
        let st = write_stack(tmp.path(), &release_via(&helm, &url, &failing));
        let err = try_plan(&st, &env, PlanMode::Normal).await.expect_err("lint fails");
        assert!(err.contains("helm lint") && err.contains("invalid icon URL"), "{err}");
        command_lines_without(&log, "s3cret");
        sim.stop().await;
    });
}

#[test]
fn a_chart_from_an_oci_registry_over_https_with_credentials() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let server = ChartServer::start_tls(Some(("pusher", "t0ken")));
        let ca = tmp.path().join("ca.pem");
        std::fs::write(&ca, server.ca_pem().unwrap()).unwrap();
        let archive = package(&home, "plain", &tmp.path().join("dist"), &[]);
        let registry = format!("oci://{}/charts", server.host());
        helm_cmd(
            &home,
            &["push", archive.to_str().unwrap(), &registry, "--ca-file", ca.to_str().unwrap(), "--username", "pusher", "--password", "t0ken"],
        );

        let env = env(tmp.path());
        let source = format!(
            "  repository          = \"{registry}\"\n  chart               = \"plain\"\n  version             = \"0.1.0\"\n  repository_ca_file  = \"{}\"\n  repository_username = \"pusher\"\n  repository_password = \"t0ken\"\n  set = [{{ name = \"message\", value = \"from the registry\" }}]\n",
            ca.display()
        );
        let (helm, log) = logging_helm(tmp.path());
        let st = write_stack(tmp.path(), &release_via(&helm, &url, &source));
        converge(&st, &env).await;
        let lines = command_lines_without(&log, "t0ken");
        assert!(lines.lines().any(|l| l.starts_with("registry login") && l.contains("--password-stdin")), "the password went to helm registry login on stdin:\n{lines}");
        let kube = Actor::new(&url).await;
        let cm = kube.get(CONFIGMAP, Some("apps"), "plain-config").await.expect("the chart from the registry is installed");
        assert_eq!(message(&cm), "from the registry");
        let seen = server.seen();
        assert!(seen.iter().any(|s| s.method == "GET" && s.path == "/v2/charts/plain/manifests/0.1.0" && s.authorized), "helm pulled the pushed chart: {seen:?}");
        assert!(changes(&plan(&st, &env).await).is_empty(), "the installed release plans no change");
        sim.stop().await;
    });
}

/// Stops the daemons (gpg-agent) a GnuPG home started, when the test ends.
struct Agent(PathBuf);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").arg("--homedir").arg(&self.0).args(["--kill", "all"]).output();
    }
}

/// A GnuPG home with one signing key (no passphrase); returns the public
/// and secret keyrings in the binary form helm reads, and the guard that
/// stops its agent.
fn keyrings(dir: &Path, name: &str) -> (PathBuf, PathBuf, Agent) {
    let gnupg = dir.join(format!("gnupg-{name}"));
    let agent = Agent(gnupg.clone());
    std::fs::create_dir_all(&gnupg).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str], input: Option<&str>| {
        let mut c = Command::new("gpg");
        c.arg("--homedir").arg(&gnupg).args(["--batch", "--yes"]).args(args);
        let out = match input {
            Some(text) => {
                let spec = gnupg.join("spec");
                std::fs::write(&spec, text).unwrap();
                c.arg(&spec).output()
            }
            None => c.output(),
        }
        .expect("gpg runs (GnuPG is needed to sign the test chart)");
        assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    gpg(
        &["--gen-key"],
        Some(&format!("Key-Type: RSA\nKey-Length: 2048\nName-Real: {name}\nName-Email: {name}@example.com\nExpire-Date: 0\n%no-protection\n%commit\n")),
    );
    let public = dir.join(format!("{name}-pubring.gpg"));
    let secret = dir.join(format!("{name}-secring.gpg"));
    std::fs::write(&public, gpg(&["--export", name], None)).unwrap();
    std::fs::write(&secret, gpg(&["--export-secret-keys", name], None)).unwrap();
    (public, secret, agent)
}

#[test]
fn verify_checks_the_charts_provenance_against_the_keyring() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("helm-home");
        let (public, secret, _signer) = keyrings(tmp.path(), "chartsigner");
        let (stranger, _, _other) = keyrings(tmp.path(), "stranger");
        let archive = package(&home, "plain", &tmp.path().join("dist"), &["--sign", "--key", "chartsigner", "--keyring", secret.to_str().unwrap()]);
        assert!(archive.with_extension("tgz.prov").exists(), "helm wrote the provenance file");
        let env = env(tmp.path());
        let signed = |keyring: &Path| format!("  chart   = \"{}\"\n  verify  = true\n  keyring = \"{}\"\n", archive.display(), keyring.display());

        let st = write_stack(tmp.path(), &release(&url, &signed(&stranger)));
        let err = try_plan(&st, &env, PlanMode::Normal).await.expect_err("a signature by a key not in the keyring is refused");
        assert!(err.contains("helm_release.plain") && err.contains("signature made by unknown entity"), "{err}");

        let st = write_stack(tmp.path(), &release(&url, &signed(&public)));
        converge(&st, &env).await;
        let kube = Actor::new(&url).await;
        assert!(kube.get(CONFIGMAP, Some("apps"), "plain-config").await.is_some(), "the verified chart is installed");
        assert!(changes(&plan(&st, &env).await).is_empty());
        sim.stop().await;
    });
}

#[test]
fn postrender_runs_the_program_with_its_arguments() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("add-label.sh");
        // Adds a label to every object and a ConfigMap holding its arguments.
        std::fs::write(
            &script,
            "#!/bin/sh\nsed 's/^metadata:$/metadata:\\n  labels:\\n    postrendered: \"yes\"/'\nprintf -- '---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: postrender-args\\ndata:\\n  args: \"%s\"\\n' \"$*\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let env = env(tmp.path());
        let args = format!(
            "  chart      = \"{}\"\n  postrender = {{\n    binary_path = \"{}\"\n    args        = [\"--team\", \"platform\"]\n  }}\n",
            fixture("plain").display(),
            script.display()
        );
        let st = write_stack(tmp.path(), &release(&url, &args));
        let p = plan(&st, &env).await;
        let keys = object_keys(&change(&p, "helm_release.plain").after);
        assert!(keys.iter().any(|k| k == "v1/ConfigMap/apps/postrender-args"), "the plan shows what the post-renderer made: {keys:?}");
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        let cm = kube.get(CONFIGMAP, Some("apps"), "plain-config").await.expect("the chart's ConfigMap");
        assert_eq!(cm["metadata"]["labels"]["postrendered"], "yes", "{cm}");
        let args = kube.get(CONFIGMAP, Some("apps"), "postrender-args").await.expect("the post-renderer's ConfigMap");
        assert_eq!(args["data"]["args"], "--team platform");
        assert!(changes(&plan(&st, &env).await).is_empty());
        sim.stop().await;
    });
}

#[test]
fn lint_failures_stop_the_plan_with_helms_findings() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let chart = format!("  chart = \"{}\"\n", fixture("lint-fails").display());
        // The chart installs (its fault is one only lint finds)...
        let st = write_stack(tmp.path(), &release(&url, &chart));
        plan(&st, &env).await;
        // ...but with lint = true the plan stops, with what lint found.
        let st = write_stack(tmp.path(), &release(&url, &format!("{chart}  lint  = true\n")));
        let err = try_plan(&st, &env, PlanMode::Normal).await.expect_err("lint fails");
        assert!(err.contains("helm lint") && err.contains("invalid icon URL"), "{err}");
        sim.stop().await;
    });
}

/// `experiments { manifest = true }` (the 2.x block; 3.x writes
/// `experiments = { manifest = true }`): `manifest` holds the rendered
/// objects as JSON, keyed as upstream keys them, `set_sensitive` values
/// hashed; without the experiment it stays null, as upstream.
#[test]
fn the_manifest_experiment_keeps_the_rendered_objects_as_json() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let args = format!("  chart         = \"{}\"\n  set_sensitive = [{{ name = \"message\", value = \"hunter2\" }}]\n", fixture("plain").display());
        let with_experiment = release(&url, &args).replace("  poll_interval_ms = 20\n", "  poll_interval_ms = 20\n  experiments {\n    manifest = true\n  }\n");
        assert!(with_experiment.contains("experiments {"), "{with_experiment}");
        let st = write_stack(tmp.path(), &with_experiment);
        let p = plan(&st, &env).await;
        let manifest =
            change(&p, "helm_release.plain").after.get("manifest").and_then(|m| m.unmarked().as_str().map(str::to_string)).expect("a known manifest at plan");
        let j: serde_json::Value = serde_json::from_str(&manifest).expect("JSON");
        let cm = &j["configmap/v1/plain-config"];
        assert_eq!(cm["kind"], "ConfigMap", "{manifest}");
        let shown = cm["data"]["message"].as_str().unwrap();
        assert!(shown.starts_with("(sensitive value ") && !manifest.contains("hunter2"), "the set_sensitive value is hashed: {manifest}");
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        assert_eq!(message(&kube.get(CONFIGMAP, Some("apps"), "plain-config").await.unwrap()), "hunter2", "helm got the real value");
        assert!(changes(&plan(&st, &env).await).is_empty(), "the stored manifest equals the next plan's");

        let st = write_stack(tmp.path(), &release(&url, &args));
        let p = plan(&st, &env).await;
        assert!(change(&p, "helm_release.plain").after.get("manifest").is_some_and(iac_core::Value::is_null), "no experiment, no manifest");
        sim.stop().await;
    });
}
