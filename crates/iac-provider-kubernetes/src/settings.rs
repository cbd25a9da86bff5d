//! The connection: Terraform's `provider "kubernetes"` arguments (and the
//! `kubernetes` block of `provider "helm"`), turned into a kube-rs
//! [`kube::Config`]. Explicit arguments (`host`, `token`,
//! `cluster_ca_certificate`, client certificate and key) win over a
//! kubeconfig file (`config_path`, `config_context`); the environment
//! (`KUBE_HOST`, `KUBE_TOKEN`, `KUBE_CONFIG_PATH`, `KUBE_CTX`) fills what
//! the block leaves out. Credentials are used as given on every run and
//! never logged.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use iac_core::Value;
use iac_provider_sdk::Model;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{KubeError, Result};
use crate::exec::{Credential, ExecConfig, ExecCredentials};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The environment variables the providers read.
pub const ENV_KEYS: [&str; 6] = ["KUBE_HOST", "KUBE_TOKEN", "KUBE_CONFIG_PATH", "KUBE_CONFIG_PATHS", "KUBE_CTX", "KUBE_INSECURE"];

/// The connection arguments of `provider "kubernetes"` and of helm's
/// `kubernetes` block.
#[derive(Model, Default)]
pub struct ConnectionConfig {
    /// the API server URL, e.g. digitalocean_kubernetes_cluster.x.kube_config[0].host; or KUBE_HOST
    #[sdk(optional)]
    host: Option<String>,
    /// PEM, or base64 of PEM as DigitalOcean and EKS hand it out
    #[sdk(optional)]
    cluster_ca_certificate: Option<String>,
    /// PEM or base64 of PEM
    #[sdk(optional)]
    client_certificate: Option<String>,
    /// PEM or base64 of PEM
    #[sdk(optional, sensitive)]
    client_key: Option<String>,
    /// bearer token; or KUBE_TOKEN
    #[sdk(optional, sensitive)]
    token: Option<String>,
    /// skip verifying the server's certificate
    #[sdk(optional)]
    insecure: Option<bool>,
    #[sdk(optional)]
    tls_server_name: Option<String>,
    /// a kubeconfig file, used when host is not set; or KUBE_CONFIG_PATH
    #[sdk(optional)]
    config_path: Option<String>,
    /// kubeconfig files merged in order (the first file's entries win), used when host and config_path are not set; or KUBE_CONFIG_PATHS (a PATH-style list)
    #[sdk(optional)]
    config_paths: Vec<String>,
    /// the kubeconfig context (default: its current context); or KUBE_CTX
    #[sdk(optional)]
    config_context: Option<String>,
    /// a client.authentication.k8s.io credential plugin (e.g. aws eks get-token): run when a credential is needed, its token kept in memory until its expirationTimestamp, never stored
    #[sdk(block, max_items = 1)]
    exec: Option<ExecConfig>,
}

/// The tuning arguments both providers take.
#[derive(Model, Default)]
pub struct TuningConfig {
    /// how often readiness and deletion waits look again (default 1000)
    #[sdk(optional)]
    poll_interval_ms: Option<f64>,
    /// objects of one set applied at once (default 8)
    #[sdk(optional)]
    apply_concurrency: Option<f64>,
}

/// The `provider "kubernetes"` block.
#[derive(Model, Default)]
pub struct KubernetesConfig {
    #[sdk(flatten)]
    pub connection: ConnectionConfig,
    #[sdk(flatten)]
    pub tuning: TuningConfig,
    /// regular expressions: annotations of the typed resources that other systems manage (kept as state has them)
    #[sdk(optional)]
    pub ignore_annotations: Vec<String>,
    /// regular expressions: labels of the typed resources that other systems manage (kept as state has them)
    #[sdk(optional)]
    pub ignore_labels: Vec<String>,
}

/// The `provider "helm"` block.
#[derive(Model, Default)]
pub struct HelmConfig {
    #[sdk(flatten)]
    pub tuning: TuningConfig,
    /// the helm executable (default: HELM_BINARY, else helm on PATH)
    #[sdk(optional)]
    pub helm_binary: Option<String>,
    /// the cluster: `kubernetes = { ... }` as the helm provider 3.x declares it (a nested attribute), or a `kubernetes { ... }` block as 2.x did (its `exec` likewise), not both
    #[sdk(optional, block_form)]
    pub kubernetes: Option<ConnectionConfig>,
    /// experimental features: `experiments = { manifest = true }` as the helm provider 3.x declares it, or an `experiments { ... }` block as 2.x did
    #[sdk(optional, block_form)]
    pub experiments: Option<Experiments>,
}

/// The helm provider's `experiments`.
#[derive(Model, Default)]
pub struct Experiments {
    /// keep each release's rendered objects in `helm_release.manifest` (as JSON)
    #[sdk(optional)]
    pub manifest: Option<bool>,
}

/// Where the cluster is and who we are, as configured.
#[derive(Clone, Default)]
pub struct Connection {
    pub host: Option<String>,
    pub cluster_ca_certificate: Option<String>,
    pub client_certificate: Option<String>,
    pub client_key: Option<String>,
    pub token: Option<String>,
    pub insecure: bool,
    pub tls_server_name: Option<String>,
    pub config_path: Option<String>,
    pub config_paths: Vec<String>,
    pub config_context: Option<String>,
    /// The credential plugin, shared by every client of this connection.
    pub exec: Option<Arc<ExecCredentials>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token or the key.
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("config_path", &self.config_path)
            .field("config_paths", &self.config_paths)
            .field("config_context", &self.config_context)
            .field("exec", &self.exec)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

fn text(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

impl Connection {
    /// From a `provider "kubernetes"` block (or helm's `kubernetes` block),
    /// falling back on `env` for what it leaves out.
    pub fn from_config(v: &Value, env: &[(String, String)]) -> Connection {
        Connection::from_model(ConnectionConfig::from_value(v).unwrap_or_default(), env)
    }

    /// From the decoded block, falling back on `env` for what it leaves out.
    pub fn from_model(c: ConnectionConfig, env: &[(String, String)]) -> Connection {
        let from_env = |k: &str| env.iter().find(|(n, x)| n == k && !x.is_empty()).map(|(_, x)| x.clone());
        Connection {
            host: text(c.host).or_else(|| from_env("KUBE_HOST")),
            cluster_ca_certificate: text(c.cluster_ca_certificate),
            client_certificate: text(c.client_certificate),
            client_key: text(c.client_key),
            token: text(c.token).or_else(|| from_env("KUBE_TOKEN")),
            insecure: c.insecure.or_else(|| from_env("KUBE_INSECURE").map(|s| s == "true")).unwrap_or(false),
            tls_server_name: text(c.tls_server_name),
            config_path: text(c.config_path).or_else(|| from_env("KUBE_CONFIG_PATH")),
            config_paths: if c.config_paths.is_empty() {
                from_env("KUBE_CONFIG_PATHS").map(|p| std::env::split_paths(&p).map(|p| p.display().to_string()).collect()).unwrap_or_default()
            } else {
                c.config_paths
            },
            config_context: text(c.config_context).or_else(|| from_env("KUBE_CTX")),
            exec: c.exec.filter(|e| !e.command.is_empty()).map(|e| Arc::new(ExecCredentials::new(e))),
        }
    }

    /// What a message about this cluster calls it.
    pub fn describe(&self) -> String {
        match (&self.host, &self.config_path) {
            (Some(h), _) => h.clone(),
            (None, Some(p)) => format!("{p} (context {})", self.config_context.as_deref().unwrap_or("current")),
            (None, None) if !self.config_paths.is_empty() => {
                format!("{} (context {})", self.config_paths.join(", "), self.config_context.as_deref().unwrap_or("current"))
            }
            (None, None) => "no cluster".into(),
        }
    }

    /// The kubeconfig this connection amounts to.
    pub fn kubeconfig(&self, stack_dir: &std::path::Path) -> Result<(Kubeconfig, KubeConfigOptions)> {
        self.kubeconfig_with(stack_dir, None)
    }

    /// The kubeconfig, with the credential an exec plugin handed out: its
    /// client certificate (always), its token (only for helm, which is
    /// given the token instead of the plugin; kube-rs requests get it from
    /// `Cluster`).
    fn kubeconfig_with(&self, stack_dir: &std::path::Path, exec: Option<&Credential>) -> Result<(Kubeconfig, KubeConfigOptions)> {
        if let Some(host) = &self.host {
            return Ok((self.explicit_kubeconfig(host, exec)?, KubeConfigOptions::default()));
        }
        let paths: Vec<&String> = match &self.config_path {
            Some(p) => vec![p],
            None => self.config_paths.iter().filter(|p| !p.is_empty()).collect(),
        };
        if paths.is_empty() {
            return Err(KubeError::Config("no cluster to talk to: set `host` (with `token`, a client certificate or `exec`, and `cluster_ca_certificate`), `config_path` or `config_paths` in the provider block, or KUBE_HOST / KUBE_CONFIG_PATH / KUBE_CONFIG_PATHS".into()));
        }
        let mut merged: Option<Kubeconfig> = None;
        for path in paths {
            let path = expand_home(path);
            let path = if path.is_relative() { stack_dir.join(path) } else { path };
            let kc = Kubeconfig::read_from(&path).map_err(|e| KubeError::Config(format!("reading kubeconfig {}: {e}", path.display())))?;
            merged = Some(match merged {
                None => kc,
                Some(m) => m.merge(kc).map_err(|e| KubeError::Config(format!("merging kubeconfig {}: {e}", path.display())))?,
            });
        }
        let kc = merged.unwrap_or_default();
        let opts = KubeConfigOptions { context: self.config_context.clone(), ..KubeConfigOptions::default() };
        Ok((kc, opts))
    }

    fn explicit_kubeconfig(&self, host: &str, exec: Option<&Credential>) -> Result<Kubeconfig> {
        if !(host.starts_with("https://") || host.starts_with("http://")) {
            return Err(KubeError::Config(format!("host {host:?} must be an http(s) URL")));
        }
        let mut cluster = serde_json::json!({ "server": host });
        // Plain HTTP (a local test API) has no TLS to verify.
        if host.starts_with("https://") {
            if let Some(ca) = &self.cluster_ca_certificate {
                cluster["certificate-authority-data"] = serde_json::json!(pem_as_base64(ca, "cluster_ca_certificate")?);
            }
            if self.insecure {
                cluster["insecure-skip-tls-verify"] = serde_json::json!(true);
            }
            if let Some(n) = &self.tls_server_name {
                cluster["tls-server-name"] = serde_json::json!(n);
            }
        }
        let mut user = serde_json::Map::new();
        // An exec plugin's token goes on each request (see `Cluster`), or
        // here for helm.
        match (exec, &self.exec) {
            (Some(Credential::Token(t)), _) => {
                user.insert("token".into(), serde_json::json!(t));
            }
            (_, None) => {
                if let Some(t) = &self.token {
                    user.insert("token".into(), serde_json::json!(t));
                }
            }
            _ => {}
        }
        let (cert, key) = match exec {
            Some(Credential::Certificate { certificate, key }) => (Some(certificate.clone()), Some(key.clone())),
            _ => (self.client_certificate.clone(), self.client_key.clone()),
        };
        match (&cert, &key) {
            (Some(c), Some(k)) => {
                user.insert("client-certificate-data".into(), serde_json::json!(pem_as_base64(c, "client_certificate")?));
                user.insert("client-key-data".into(), serde_json::json!(pem_as_base64(k, "client_key")?));
            }
            (None, None) => {}
            _ => return Err(KubeError::Config("client_certificate and client_key go together".into())),
        }
        let kc = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{ "name": "iac", "cluster": cluster }],
            "users": [{ "name": "iac", "user": user }],
            "contexts": [{ "name": "iac", "context": { "cluster": "iac", "user": "iac" } }],
            "current-context": "iac",
        });
        serde_json::from_value(kc).map_err(|e| KubeError::Config(format!("building the connection: {e}")))
    }

    /// A kube-rs configuration for this connection.
    pub async fn kube_config(&self, stack_dir: &std::path::Path) -> Result<kube::Config> {
        // A plugin that hands out a client certificate is run now: the
        // certificate is part of the TLS setup.
        let exec_cert = match &self.exec {
            Some(e) => Some(e.credential().await?).filter(|c| matches!(c, Credential::Certificate { .. })),
            None => None,
        };
        let (kc, opts) = self.kubeconfig_with(stack_dir, exec_cert.as_ref())?;
        let mut cfg =
            kube::Config::from_custom_kubeconfig(kc, &opts).await.map_err(|e| KubeError::Config(format!("connecting to {}: {e}", self.describe())))?;
        cfg.connect_timeout = Some(Duration::from_secs(30));
        cfg.read_timeout = Some(Duration::from_secs(120));
        Ok(cfg)
    }
}

impl Connection {
    /// The kubeconfig (YAML) the helm program is given: this connection's
    /// cluster and credentials, an exec plugin's current credential in
    /// place of the plugin (so the plugin runs once per expiry, not once
    /// per helm run), and the chosen context as the current one.
    pub async fn helm_kubeconfig(&self, stack_dir: &std::path::Path) -> Result<String> {
        let exec = match &self.exec {
            Some(e) => Some(e.credential().await?),
            None => None,
        };
        let (mut kc, opts) = self.kubeconfig_with(stack_dir, exec.as_ref())?;
        if let Some(ctx) = opts.context {
            kc.current_context = Some(ctx);
        }
        serde_norway::to_string(&kc).map_err(|e| KubeError::Config(format!("writing the kubeconfig for helm: {e}")))
    }
}

fn expand_home(p: &str) -> std::path::PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(p),
    }
}

/// Terraform takes PEM text (`base64decode(...kube_config[0].cluster_ca_certificate)`);
/// DigitalOcean and EKS hand out base64 of the PEM. Both are accepted; the
/// kubeconfig wants base64.
pub fn pem_as_base64(s: &str, what: &str) -> Result<String> {
    let s = s.trim();
    if s.starts_with("-----BEGIN") {
        return Ok(B64.encode(s.as_bytes()));
    }
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    match B64.decode(&compact) {
        Ok(bytes) if bytes.starts_with(b"-----BEGIN") => Ok(compact),
        _ => Err(KubeError::Config(format!("{what} is neither PEM nor base64-encoded PEM"))),
    }
}

/// The provider's own settings beyond the connection.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// How often waits look again.
    pub poll: Duration,
    /// How many objects of one set are applied at once.
    pub apply_concurrency: usize,
}

impl Tuning {
    pub fn from_config(v: &Value) -> Tuning {
        Tuning::from_model(&TuningConfig::from_value(v).unwrap_or_default())
    }

    pub fn from_model(c: &TuningConfig) -> Tuning {
        Tuning {
            poll: Duration::from_millis(c.poll_interval_ms.unwrap_or(1000.0).max(10.0) as u64),
            apply_concurrency: c.apply_concurrency.map(|n| n.max(1.0) as usize).unwrap_or(8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))))
    }

    #[test]
    fn ca_is_accepted_as_pem_or_base64_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let b = pem_as_base64(pem, "ca").unwrap();
        assert_eq!(pem_as_base64(&b, "ca").unwrap(), b);
        let err = pem_as_base64("not a certificate", "cluster_ca_certificate").unwrap_err();
        assert!(err.to_string().contains("cluster_ca_certificate"), "{err}");
    }

    #[tokio::test]
    async fn explicit_host_and_token_make_the_config() {
        let c = Connection::from_config(
            &cfg(&[("host", "http://127.0.0.1:6443"), ("token", "secret-token"), ("cluster_ca_certificate", "garbage ignored over http")]),
            &[],
        );
        let k = c.kube_config(std::path::Path::new(".")).await.unwrap();
        assert_eq!(k.cluster_url.to_string(), "http://127.0.0.1:6443/");
        assert!(k.auth_info.token.is_some());
        assert!(!format!("{c:?}").contains("secret-token"), "Debug never shows the token");
    }

    #[test]
    fn environment_fills_what_the_block_leaves_out_and_nothing_is_an_error() {
        let env = vec![("KUBE_HOST".to_string(), "https://k.example:6443".to_string()), ("KUBE_TOKEN".to_string(), "t".to_string())];
        let c = Connection::from_config(&cfg(&[]), &env);
        assert_eq!(c.host.as_deref(), Some("https://k.example:6443"));
        let c = Connection::from_config(&cfg(&[("host", "https://block:6443")]), &env);
        assert_eq!(c.host.as_deref(), Some("https://block:6443"));
        let none = Connection::from_config(&cfg(&[]), &[]);
        let err = none.kubeconfig(std::path::Path::new(".")).err().unwrap();
        assert!(err.to_string().contains("config_path"), "{err}");
        let bad = Connection::from_config(&cfg(&[("host", "k.example")]), &[]);
        assert!(bad.kubeconfig(std::path::Path::new(".")).is_err());
    }
}
