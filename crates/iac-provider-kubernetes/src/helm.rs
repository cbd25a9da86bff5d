//! The real `helm` program, which carries out `helm_release`: releases are
//! installed, upgraded and uninstalled by `helm upgrade --install` and
//! `helm uninstall`, so they are stored where Helm stores them (Secrets
//! `sh.helm.release.v1.NAME.vN`), hooks run in Helm's order with their
//! delete policies, `atomic` rolls back, and `helm list/history/rollback`
//! work on them. Plans use `helm upgrade --install --dry-run=server`, which
//! renders as the upgrade will (the cluster's version and APIs, reused
//! values, the next revision).
//!
//! The executable comes from `helm_binary` or PATH (missing: a clear error,
//! raised when planning); its major version picks the flags (Helm 4 renamed
//! `--atomic` and `--force`). Each run gets a kubeconfig of its own in a
//! private temporary directory, removed when it ends.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{KubeError, Result};

/// The helm executable: `explicit` when given (it must exist), else `helm` on PATH.
pub fn find_helm(explicit: Option<&str>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(KubeError::Helm(format!("helm_binary {} does not exist", p.display()))) };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("helm"))
        .find(|p| p.is_file())
        .ok_or_else(|| KubeError::Helm("helm was not found on PATH: install helm, or set helm_binary in the provider \"helm\" block (or HELM_BINARY)".into()))
}

/// A chart that exists on disk (relative paths from the stack directory):
/// it is used from there, whatever `repository` says, so an offline run
/// points a module's chart at a vendored copy without unsetting its
/// repository.
pub fn local_chart(chart: &str, stack_dir: &Path) -> Option<PathBuf> {
    if chart.contains("://") {
        return None;
    }
    let p = Path::new(chart);
    let p = if p.is_relative() { stack_dir.join(p) } else { p.to_path_buf() };
    p.exists().then_some(p)
}

/// The helm program and its major version.
#[derive(Clone, Debug)]
pub struct HelmCli {
    pub path: PathBuf,
    pub major: u32,
}

/// What a helm run needs besides its arguments.
pub struct RunEnv<'a> {
    /// The kubeconfig (YAML) for the cluster.
    pub kubeconfig: &'a str,
    /// Where relative paths (charts, values files) are read from.
    pub cwd: &'a Path,
    /// HELM_PLUGINS for the run (a post-renderer iac wraps as a plugin
    /// for helm 4, then the user's plugins); None: helm's own.
    pub plugins: Option<&'a OsStr>,
    /// More environment variables: the private repository and registry
    /// configuration files that hold a release's repository credentials
    /// (HELM_REPOSITORY_CONFIG, HELM_REPOSITORY_CACHE, HELM_REGISTRY_CONFIG).
    pub vars: &'a [(&'static str, OsString)],
}

impl<'a> RunEnv<'a> {
    /// A run against the cluster `kubeconfig` describes, from `cwd`, with
    /// helm's own plugins and configuration.
    pub fn new(kubeconfig: &'a str, cwd: &'a Path) -> RunEnv<'a> {
        RunEnv { kubeconfig, cwd, plugins: None, vars: &[] }
    }
}

impl HelmCli {
    /// Finds helm and asks it its version.
    pub async fn detect(explicit: Option<&str>) -> Result<HelmCli> {
        let path = find_helm(explicit)?;
        let out = tokio::process::Command::new(&path)
            .args(["version", "--template", "{{.Version}}"])
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| KubeError::Helm(format!("running {}: {e}", path.display())))?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let major = parse_major(&version)
            .ok_or_else(|| KubeError::Helm(format!("{} version printed {version:?}, not a version (helm 3 or 4 is needed)", path.display())))?;
        if major < 3 {
            return Err(KubeError::Helm(format!("{} is helm {version}: helm 3 or 4 is needed", path.display())));
        }
        tracing::debug!(helm = %path.display(), %version, "helm found");
        Ok(HelmCli { path, major })
    }

    /// Runs helm with `args`; its stdout, or an error with what it printed.
    pub async fn run(&self, what: &str, args: &[OsString], env: &RunEnv<'_>) -> Result<Vec<u8>> {
        self.run_with_input(what, args, env, None).await
    }

    /// Runs helm with `args` and `input` on its stdin (a password for
    /// `--password-stdin`: a secret never goes on a command line, which
    /// every user of the machine can read in /proc).
    pub async fn run_with_input(&self, what: &str, args: &[OsString], env: &RunEnv<'_>, input: Option<&[u8]>) -> Result<Vec<u8>> {
        let dir = tempfile::tempdir().map_err(|e| KubeError::Helm(format!("a directory for helm's kubeconfig: {e}")))?;
        let kubeconfig = dir.path().join("kubeconfig");
        write_private(&kubeconfig, env.kubeconfig)?;
        let mut cmd = tokio::process::Command::new(&self.path);
        cmd.args(args).arg("--kubeconfig").arg(&kubeconfig).env_remove("KUBECONFIG").current_dir(env.cwd).kill_on_drop(true);
        cmd.stdin(if input.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() });
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        if let Some(plugins) = env.plugins {
            cmd.env("HELM_PLUGINS", plugins);
        }
        cmd.envs(env.vars.iter().map(|(k, v)| (k, v)));
        tracing::debug!(%what, "helm {}", args.first().map(|a| a.to_string_lossy().into_owned()).unwrap_or_default());
        let running = |e: std::io::Error| KubeError::Helm(format!("running {}: {e}", self.path.display()));
        let mut child = cmd.spawn().map_err(running)?;
        if let (Some(input), Some(stdin)) = (input, child.stdin.take()) {
            // A password is far smaller than a pipe's buffer: the write
            // does not wait for helm. Dropping the file closes the pipe,
            // and helm reads to its end.
            use std::io::Write as _;
            let mut pipe = std::fs::File::from(stdin.into_owned_fd().map_err(running)?);
            pipe.write_all(input).map_err(running)?;
        }
        let out = child.wait_with_output().await.map_err(running)?;
        if !out.status.success() {
            // Some commands (lint) print their findings on stdout and only a summary on stderr.
            let (stderr, stdout) = (String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
            let said: Vec<&str> = [stdout.trim(), stderr.trim()].into_iter().filter(|t| !t.is_empty()).collect();
            return Err(KubeError::Helm(format!("{what}: {}", said.join("\n"))));
        }
        Ok(out.stdout)
    }

    /// Runs helm with `args` and reads its stdout as JSON.
    pub async fn run_json(&self, what: &str, args: &[OsString], env: &RunEnv<'_>) -> Result<Json> {
        let out = self.run(what, args, env).await?;
        serde_json::from_slice(&out).map_err(|e| KubeError::Helm(format!("{what}: helm printed something that is not JSON: {e}")))
    }

    /// The release, or None when helm has no release by that name.
    pub async fn release(&self, name: &str, namespace: &str, env: &RunEnv<'_>) -> Result<Option<Release>> {
        let base = |cmd: &[&str]| -> Vec<OsString> {
            let mut a: Vec<OsString> = cmd.iter().map(OsString::from).collect();
            a.extend([name, "--namespace", namespace, "--output", "json"].map(OsString::from));
            a
        };
        let what = format!("helm release {namespace}/{name}");
        let status = match self.run_json(&what, &base(&["status"]), env).await {
            Ok(s) => s,
            Err(KubeError::Helm(m)) if m.contains("release: not found") => return Ok(None),
            Err(e) => return Err(e),
        };
        let (meta_args, values_args) = (base(&["get", "metadata"]), base(&["get", "values"]));
        let (meta, values) = tokio::try_join!(self.run_json(&what, &meta_args, env), self.run_json(&what, &values_args, env))?;
        Ok(Some(Release::from_status(&status, &meta, values)))
    }
}

/// Writes a file only its owner may read (it holds credentials).
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(|e| KubeError::Helm(format!("writing {}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| KubeError::Helm(format!("writing {}: {e}", path.display())))
}

/// `v4.1.4` → 4.
fn parse_major(version: &str) -> Option<u32> {
    version.trim().trim_start_matches('v').split('.').next()?.parse().ok()
}

/// What helm says about a release.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub status: String,
    pub chart: String,
    pub chart_version: String,
    pub app_version: String,
    /// The values given to this revision (not the chart's defaults).
    pub values: Json,
    /// The rendered objects (hooks and the chart's crds/ left out), YAML.
    pub manifest: String,
    pub first_deployed: i64,
    pub last_deployed: i64,
    pub notes: String,
    pub description: String,
}

impl Release {
    /// From the release JSON `helm upgrade --output json` prints.
    pub fn from_upgrade(j: &Json) -> Release {
        let info = &j["info"];
        let meta = &j["chart"]["metadata"];
        Release {
            name: text(&j["name"]),
            namespace: text(&j["namespace"]),
            revision: j["version"].as_i64().unwrap_or(0),
            status: text(&info["status"]),
            chart: text(&meta["name"]),
            chart_version: text(&meta["version"]),
            app_version: text(&meta["appVersion"]),
            values: non_null(&j["config"]),
            manifest: text(&j["manifest"]),
            first_deployed: unix_seconds(&info["first_deployed"]),
            last_deployed: unix_seconds(&info["last_deployed"]),
            notes: text(&info["notes"]),
            description: text(&info["description"]),
        }
    }

    /// From `helm status`, `helm get metadata` and `helm get values`.
    fn from_status(status: &Json, meta: &Json, values: Json) -> Release {
        let info = &status["info"];
        Release {
            name: text(&status["name"]),
            namespace: text(&status["namespace"]),
            revision: status["version"].as_i64().unwrap_or(0),
            status: text(&info["status"]),
            chart: text(&meta["chart"]),
            chart_version: text(&meta["version"]),
            app_version: text(&meta["appVersion"]),
            values: non_null(&values),
            manifest: text(&status["manifest"]),
            first_deployed: unix_seconds(&info["first_deployed"]),
            last_deployed: unix_seconds(&info["last_deployed"]),
            notes: text(&info["notes"]),
            description: text(&info["description"]),
        }
    }
}

fn text(j: &Json) -> String {
    j.as_str().unwrap_or_default().to_string()
}

fn non_null(j: &Json) -> Json {
    if j.is_null() {
        Json::Object(Default::default())
    } else {
        j.clone()
    }
}

fn unix_seconds(j: &Json) -> i64 {
    j.as_str().and_then(crate::exec::parse_rfc3339).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The values object as a values document (JSON is YAML).
pub fn values_document(v: &Json) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_helm_is_a_clear_error() {
        let e = find_helm(Some("/nonexistent/helm")).unwrap_err().to_string();
        assert!(e.contains("helm_binary") && e.contains("/nonexistent/helm"), "{e}");
    }

    #[test]
    fn local_charts_are_found_from_the_stack() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("charts/x")).unwrap();
        assert_eq!(local_chart("charts/x", d.path()), Some(d.path().join("charts/x")));
        assert_eq!(local_chart("keda", d.path()), None, "a chart name in a repository");
        assert_eq!(local_chart("oci://public.ecr.aws/karpenter/karpenter", d.path()), None);
    }

    #[test]
    fn versions_give_their_major() {
        assert_eq!(parse_major("v4.1.4"), Some(4));
        assert_eq!(parse_major("v3.16.2+g13654a5"), Some(3));
        assert_eq!(parse_major("nonsense"), None);
    }

    #[test]
    fn an_upgrade_result_reads_as_a_release() {
        let j = serde_json::json!({
            "name": "demo", "namespace": "apps", "version": 3, "config": {"replicas": 2}, "manifest": "---\nkind: ConfigMap\n",
            "info": {"status": "deployed", "first_deployed": "2026-01-02T03:04:05.123Z", "last_deployed": "2026-01-02T03:04:06Z", "notes": "hi"},
            "chart": {"metadata": {"name": "hooked", "version": "0.1.0", "appVersion": "1.0"}}
        });
        let r = Release::from_upgrade(&j);
        assert_eq!((r.name.as_str(), r.namespace.as_str(), r.revision, r.status.as_str()), ("demo", "apps", 3, "deployed"));
        assert_eq!((r.chart.as_str(), r.chart_version.as_str(), r.app_version.as_str()), ("hooked", "0.1.0", "1.0"));
        assert_eq!(r.values, serde_json::json!({"replicas": 2}));
        assert_eq!(r.last_deployed - r.first_deployed, 1);
        assert_eq!(r.notes, "hi");
    }
}
