//! `exec {}` credentials: a client.authentication.k8s.io credential plugin
//! (e.g. `aws eks get-token`). The program is run when a credential is
//! first needed; its ExecCredential (`status.token`, or
//! `status.clientCertificateData` + `status.clientKeyData`, with an optional
//! `status.expirationTimestamp`) is kept in memory only, until it expires,
//! then the program runs again. Credentials never reach state, plans or logs.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use iac_provider_sdk::Model;

use crate::error::{KubeError, Result};

/// The `exec` block (or object) of a connection.
#[derive(Model, Default, Clone)]
pub struct ExecConfig {
    /// the ExecCredential API version the plugin speaks, e.g. client.authentication.k8s.io/v1beta1
    #[sdk(optional)]
    pub api_version: Option<String>,
    /// the program to run, e.g. aws
    #[sdk(required)]
    pub command: String,
    /// its arguments, e.g. ["eks", "get-token", "--cluster-name", "x"]
    #[sdk(optional)]
    pub args: Vec<String>,
    /// environment variables for it
    #[sdk(optional)]
    pub env: BTreeMap<String, String>,
}

/// What a plugin handed out.
#[derive(Clone)]
pub enum Credential {
    Token(String),
    /// PEM client certificate and key.
    Certificate {
        certificate: String,
        key: String,
    },
}

struct Cached {
    credential: Credential,
    expires: Option<SystemTime>,
}

/// A plugin and its cached credential.
pub struct ExecCredentials {
    config: ExecConfig,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for ExecCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credential.
        f.debug_struct("ExecCredentials").field("command", &self.config.command).finish_non_exhaustive()
    }
}

/// How long before its expiry a credential is fetched again.
const MARGIN: Duration = Duration::from_secs(5);

impl ExecCredentials {
    pub fn new(config: ExecConfig) -> ExecCredentials {
        ExecCredentials { config, cache: tokio::sync::Mutex::new(None) }
    }

    /// The cached credential while it is valid, else the plugin's fresh one.
    pub async fn credential(&self) -> Result<Credential> {
        let mut cache = self.cache.lock().await;
        let valid = cache.as_ref().filter(|c| c.expires.is_none_or(|t| SystemTime::now() + MARGIN < t));
        if let Some(c) = valid {
            return Ok(c.credential.clone());
        }
        let fresh = self.run().await?;
        let credential = fresh.credential.clone();
        *cache = Some(fresh);
        Ok(credential)
    }

    /// The bearer token, or None when the plugin hands out a client certificate.
    pub async fn token(&self) -> Result<Option<String>> {
        Ok(match self.credential().await? {
            Credential::Token(t) => Some(t),
            Credential::Certificate { .. } => None,
        })
    }

    async fn run(&self) -> Result<Cached> {
        let c = &self.config;
        let fail = |why: String| KubeError::Config(format!("exec credential plugin {:?}: {why}", c.command));
        let api_version = c.api_version.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "client.authentication.k8s.io/v1beta1".into());
        let info = serde_json::json!({ "apiVersion": api_version, "kind": "ExecCredential", "spec": { "interactive": false } });
        let out = tokio::process::Command::new(&c.command)
            .args(&c.args)
            .envs(&c.env)
            .env("KUBERNETES_EXEC_INFO", info.to_string())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| fail(format!("could not be run: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(fail(format!("failed ({}): {}", out.status, stderr.trim())));
        }
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| fail(format!("did not print an ExecCredential (JSON): {e}")))?;
        let status = &doc["status"];
        let expires = match status["expirationTimestamp"].as_str() {
            Some(t) => Some(parse_rfc3339(t).ok_or_else(|| fail(format!("malformed expirationTimestamp {t:?}")))?),
            None => None,
        };
        let credential = match (status["token"].as_str(), status["clientCertificateData"].as_str(), status["clientKeyData"].as_str()) {
            (_, Some(cert), Some(key)) => Credential::Certificate { certificate: cert.to_string(), key: key.to_string() },
            (Some(t), _, _) if !t.is_empty() => Credential::Token(t.to_string()),
            _ => return Err(fail("its ExecCredential has neither status.token nor status.clientCertificateData and clientKeyData".into())),
        };
        tracing::debug!(command = %c.command, "exec credential plugin ran");
        Ok(Cached { credential, expires })
    }
}

/// RFC 3339 (`2026-01-02T03:04:05Z`, fractional seconds and offsets allowed).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (y, mo, da): (i64, i64, i64) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let (time, offset) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else {
        let i = rest.rfind(['+', '-'])?;
        let (t, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':')?;
        (t, sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60))
    };
    let time = time.split('.').next()?;
    let mut t = time.split(':');
    let (h, mi, se): (i64, i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
    if secs >= 0 {
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs((-secs) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses() {
        let t = parse_rfc3339("1970-01-02T00:00:01Z").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 86401);
        let t = parse_rfc3339("2024-03-01T12:00:00.123+02:00").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 1709287200);
        assert!(parse_rfc3339("yesterday").is_none());
    }

    /// A plugin (a shell script) that counts its runs in `dir/calls` and
    /// prints a token expiring at `$EXPIRY`.
    fn plugin(dir: &std::path::Path, body: &str) -> ExecConfig {
        let script = dir.join("plugin.sh");
        std::fs::write(&script, format!("#!/bin/sh\necho run >> \"{}/calls\"\n{body}\n", dir.display())).unwrap();
        ExecConfig {
            api_version: Some("client.authentication.k8s.io/v1beta1".into()),
            command: "/bin/sh".into(),
            args: vec![script.display().to_string()],
            env: BTreeMap::new(),
        }
    }

    fn calls(dir: &std::path::Path) -> usize {
        std::fs::read_to_string(dir.join("calls")).map(|s| s.lines().count()).unwrap_or(0)
    }

    const PRINT: &str = r#"printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"%s"}}' "$TOKEN" "$EXPIRY""#;

    #[tokio::test]
    async fn token_is_cached_until_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = plugin(dir.path(), PRINT);
        cfg.env.insert("EXPIRY".into(), "2999-01-01T00:00:00Z".into());
        cfg.env.insert("TOKEN".into(), "a".into());
        let creds = ExecCredentials::new(cfg);
        assert_eq!(creds.token().await.unwrap().as_deref(), Some("tok-a"));
        assert_eq!(creds.token().await.unwrap().as_deref(), Some("tok-a"));
        assert_eq!(calls(dir.path()), 1, "two uses within the expiry run the plugin once");
        assert!(!format!("{creds:?}").contains("tok-a"));
    }

    #[tokio::test]
    async fn expired_token_runs_the_plugin_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = plugin(dir.path(), PRINT);
        // Expires in 6 s: within the margin of 5 s after one second.
        let at = SystemTime::now() + Duration::from_secs(7);
        let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
        cfg.env.insert("EXPIRY".into(), rfc3339(secs));
        cfg.env.insert("TOKEN".into(), "b".into());
        let creds = ExecCredentials::new(cfg);
        creds.token().await.unwrap();
        creds.token().await.unwrap();
        assert_eq!(calls(dir.path()), 1);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        creds.token().await.unwrap();
        assert_eq!(calls(dir.path()), 2, "after expiry the plugin runs again");
    }

    #[tokio::test]
    async fn no_expiry_means_cached_for_the_run_and_certificates_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = plugin(dir.path(), r#"echo '{"kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}}'"#);
        let creds = ExecCredentials::new(cfg);
        assert!(creds.token().await.unwrap().is_none());
        match creds.credential().await.unwrap() {
            Credential::Certificate { certificate, key } => assert_eq!((certificate.as_str(), key.as_str()), ("CERT", "KEY")),
            Credential::Token(_) => panic!("a certificate"),
        }
        assert_eq!(calls(dir.path()), 1);
    }

    #[tokio::test]
    async fn failing_plugin_error_carries_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = plugin(dir.path(), "echo 'You must be logged in to the server' >&2\nexit 3");
        let err = ExecCredentials::new(cfg).token().await.unwrap_err().to_string();
        assert!(err.contains("You must be logged in to the server") && err.contains("exec credential plugin"), "{err}");
        let cfg = plugin(dir.path(), "echo not json");
        let err = ExecCredentials::new(cfg).token().await.unwrap_err().to_string();
        assert!(err.contains("ExecCredential"), "{err}");
    }

    fn rfc3339(secs: i64) -> String {
        let days = secs.div_euclid(86400);
        let rem = secs.rem_euclid(86400);
        // Civil date from days (Howard Hinnant's algorithm).
        let z = days + 719468;
        let era = z.div_euclid(146097);
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
    }
}
