//! Rendering a chart with the real `helm template`: the executable from
//! `helm_binary` or PATH (missing: a clear error, raised when planning),
//! values documents and `set` values passed as helm takes them, and the
//! output parsed into objects.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{KubeError, Result};

/// What to render.
#[derive(Clone, Debug, Default)]
pub struct ChartRequest {
    pub release: String,
    pub chart: String,
    pub repository: Option<String>,
    pub version: Option<String>,
    pub namespace: String,
    /// Values documents (YAML), in order.
    pub values: Vec<String>,
    /// `--set` (auto-typed) or `--set-string` values, in order.
    pub set: Vec<(String, String, bool)>,
    pub include_crds: bool,
    pub kube_version: Option<String>,
}

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
/// it is rendered from there, whatever `repository` says, so an offline run
/// points a module's chart at a vendored copy without unsetting its
/// repository.
fn local_chart(chart: &str, stack_dir: &Path) -> Option<PathBuf> {
    if chart.contains("://") {
        return None;
    }
    let p = Path::new(chart);
    let p = if p.is_relative() { stack_dir.join(p) } else { p.to_path_buf() };
    p.exists().then_some(p)
}

/// Runs `helm template` and returns the rendered YAML.
pub async fn template(helm: &Path, req: &ChartRequest, stack_dir: &Path) -> Result<String> {
    let files = tempfile::tempdir().map_err(|e| KubeError::Helm(format!("a directory for the values files: {e}")))?;
    let mut cmd = tokio::process::Command::new(helm);
    let local = local_chart(&req.chart, stack_dir);
    cmd.arg("template").arg(&req.release);
    match &local {
        Some(p) => cmd.arg(p),
        None => cmd.arg(&req.chart),
    };
    cmd.arg("--namespace").arg(&req.namespace).arg("--skip-tests");
    if local.is_none() {
        if let Some(r) = &req.repository {
            cmd.arg("--repo").arg(r);
        }
        if let Some(v) = &req.version {
            cmd.arg("--version").arg(v);
        }
    }
    if req.include_crds {
        cmd.arg("--include-crds");
    }
    if let Some(k) = &req.kube_version {
        cmd.arg("--kube-version").arg(k);
    }
    for (i, doc) in req.values.iter().enumerate() {
        let f = files.path().join(format!("values-{i}.yaml"));
        std::fs::write(&f, doc).map_err(|e| KubeError::Helm(format!("writing values: {e}")))?;
        cmd.arg("--values").arg(f);
    }
    for (name, value, as_string) in &req.set {
        cmd.arg(if *as_string { "--set-string" } else { "--set" }).arg(format!("{name}={value}"));
    }
    cmd.current_dir(stack_dir).kill_on_drop(true);
    tracing::debug!(release = %req.release, chart = %req.chart, "helm template");
    let out = cmd.output().await.map_err(|e| KubeError::Helm(format!("running {}: {e}", helm.display())))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(KubeError::Helm(format!("helm template of {} ({}) failed: {}", req.release, req.chart, stderr.trim())));
    }
    String::from_utf8(out.stdout).map_err(|_| KubeError::Helm("helm template printed something that is not UTF-8".into()))
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
}
