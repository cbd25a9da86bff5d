//! The module registry protocol: service discovery
//! (`/.well-known/terraform.json` → `modules.v1`, or a `host` block of the
//! CLI configuration), `GET <base>NS/NAME/PROVIDER/versions` and
//! `GET <base>NS/NAME/PROVIDER/VERSION/download` (the package address in the
//! `X-Terraform-Get` header, or a JSON `location`). A token for the host is
//! sent as a bearer token and never logged.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ModuleError;
use crate::cliconfig::{CliConfig, Token};
use crate::version::Version;

/// A blocking HTTP client: `iac init` installs one module at a time, and
/// the CLI runs installation off its async runtime.
pub(crate) struct Http {
    client: reqwest::blocking::Client,
}

pub(crate) struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Http {
    /// A client trusting the built-in web roots plus, as Terraform (Go) on
    /// Linux does, the PEM certificates of the file `SSL_CERT_FILE` names
    /// (a private mirror's or registry's CA). An unreadable file is logged
    /// and ignored.
    pub fn new() -> Result<Http, ModuleError> {
        let mut builder = reqwest::blocking::Client::builder();
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
            match std::fs::read(&file).map_err(|e| e.to_string()).and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())) {
                Ok(certs) => {
                    tracing::debug!(file = %std::path::Path::new(&file).display(), count = certs.len(), "trusting the certificates of SSL_CERT_FILE");
                    for c in certs {
                        builder = builder.add_root_certificate(c);
                    }
                }
                Err(why) => tracing::warn!(file = %std::path::Path::new(&file).display(), %why, "SSL_CERT_FILE is unreadable; ignored"),
            }
        }
        let client = builder
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("iac/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ModuleError::Unreachable { host: "(client)".into(), why: root_cause(&e) })?;
        Ok(Http { client })
    }

    pub fn get(&self, url: &str, token: Option<&Token>) -> Result<Response, ModuleError> {
        match token {
            Some(t) => self.get_with(url, &[("authorization", format!("Bearer {}", t.0))]),
            None => self.get_with(url, &[]),
        }
    }

    /// A GET with extra headers (a signature, a bearer token), whose values
    /// are never logged.
    pub fn get_with(&self, url: &str, headers: &[(&str, String)]) -> Result<Response, ModuleError> {
        tracing::debug!(url, authenticated = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")), "GET");
        let mut req = self.client.get(url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().map_err(|e| ModuleError::Unreachable { host: host_of(url).unwrap_or_else(|| url.to_string()), why: root_cause(&e) })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().map_err(|e| ModuleError::Unreachable { host: host_of(url).unwrap_or_else(|| url.to_string()), why: root_cause(&e) })?.to_vec();
        Ok(Response { status, headers, body })
    }

    /// The body of a successful GET; other statuses are errors.
    pub fn get_bytes(&self, url: &str, token: Option<&Token>) -> Result<Vec<u8>, ModuleError> {
        let r = self.get(url, token)?;
        if !(200..300).contains(&r.status) {
            return Err(http_error(url, &r));
        }
        Ok(r.body)
    }

    /// Streams a successful GET into `out` (a provider package is hundreds
    /// of megabytes: never held in memory), returning the body's SHA-256 in
    /// lowercase hex.
    pub fn download_to(&self, url: &str, token: Option<&Token>, out: &mut impl std::io::Write) -> Result<String, ModuleError> {
        use sha2::Digest as _;
        tracing::debug!(url, authenticated = token.is_some(), "GET (download)");
        let unreachable =
            |e: &(dyn std::error::Error + 'static)| ModuleError::Unreachable { host: host_of(url).unwrap_or_else(|| url.to_string()), why: root_cause(e) };
        let mut req = self.client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(&t.0);
        }
        let mut resp = req.send().map_err(|e| unreachable(&e))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let headers = resp.headers().clone();
            let mut body = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::Read::take(resp, 4096), &mut body);
            return Err(http_error(url, &Response { status, headers, body }));
        }
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut resp, &mut buf).map_err(|e| unreachable(&e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| unreachable(&e))?;
        }
        Ok(hex::encode(hasher.finalize()))
    }
}

pub(crate) fn http_error(url: &str, r: &Response) -> ModuleError {
    let body: String = String::from_utf8_lossy(&r.body).chars().take(200).collect();
    ModuleError::Http { url: url.to_string(), status: r.status, body: body.trim().to_string() }
}

/// The innermost cause of a client error ("Connection refused (os error
/// 111)"), which is what a person can act on; reqwest's outer messages
/// repeat the URL.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `host[:port]` of a URL.
pub(crate) fn host_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_string();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// The base URL of the host's `modules.v1` service, ending in `/`.
pub(super) fn discover(http: &Http, cli: &CliConfig, env: &BTreeMap<String, String>, host: &str) -> Result<String, ModuleError> {
    discover_service(http, cli, env, host, "modules.v1")
}

/// The base URL of one of the host's services (`modules.v1`,
/// `providers.v1`), ending in `/`: from a `host` block of the CLI
/// configuration, else from the host's discovery document.
pub(crate) fn discover_service(http: &Http, cli: &CliConfig, env: &BTreeMap<String, String>, host: &str, service: &str) -> Result<String, ModuleError> {
    let missing = |why: String| ModuleError::NoRegistryService { host: host.to_string(), service: service.to_string(), why };
    let (doc_url, url) = match cli.hosts.get(&host.to_ascii_lowercase()).and_then(|s| s.get(service)) {
        // A host block answers discovery locally (Terraform's ForceHostServices).
        Some(u) => (format!("https://{host}/.well-known/terraform.json"), u.clone()),
        None => {
            let doc_url = format!("https://{host}/.well-known/terraform.json");
            let r = http.get(&doc_url, cli.token_for(host, env).as_ref())?;
            if r.status == 404 {
                return Err(missing(": not found".into()));
            }
            if r.status != 200 {
                return Err(http_error(&doc_url, &r));
            }
            let doc: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| missing(format!("; the document is not JSON: {e}")))?;
            let Some(u) = doc.get(service).and_then(|v| v.as_str()) else {
                return Err(missing(String::new()));
            };
            (doc_url, u.to_string())
        }
    };
    // The service URL may be relative to the discovery document.
    let base = url::Url::parse(&doc_url).and_then(|d| d.join(&url)).map_err(|e| missing(format!("; {service} {url:?} is not a URL: {e}")))?;
    let mut base = base.to_string();
    if !base.ends_with('/') {
        base.push('/');
    }
    tracing::debug!(host, service, base = %base, "registry service found");
    Ok(base)
}

pub(super) fn versions(http: &Http, base: &str, addr: &str, host: &str, token: Option<&Token>) -> Result<Vec<Version>, ModuleError> {
    let url = format!("{base}{addr}/versions");
    let r = http.get(&url, token)?;
    if r.status == 404 {
        return Err(ModuleError::ModuleNotFound { addr: addr.to_string(), host: host.to_string() });
    }
    if r.status != 200 {
        return Err(http_error(&url, &r));
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&r.body).map_err(|e| ModuleError::Http { url: url.clone(), status: r.status, body: format!("not a version list: {e}") })?;
    let mut out = Vec::new();
    for m in doc.get("modules").and_then(|m| m.as_array()).into_iter().flatten() {
        for v in m.get("versions").and_then(|v| v.as_array()).into_iter().flatten() {
            // A version the registry lists but that is not semver is skipped, as Terraform does.
            if let Some(parsed) = v.get("version").and_then(|s| s.as_str()).and_then(|s| Version::parse(s).ok()) {
                out.push(parsed);
            }
        }
    }
    Ok(out)
}

/// The package address of one version, resolved against the download URL.
pub(super) fn download_location(http: &Http, base: &str, addr: &str, version: &Version, token: Option<&Token>) -> Result<String, ModuleError> {
    let url = format!("{base}{addr}/{version}/download");
    let r = http.get(&url, token)?;
    if !(200..300).contains(&r.status) {
        return Err(http_error(&url, &r));
    }
    let location = match r.headers.get("x-terraform-get").and_then(|v| v.to_str().ok()) {
        Some(l) => l.to_string(),
        None => serde_json::from_slice::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|v| v.get("location").and_then(|l| l.as_str()).map(str::to_string))
            .ok_or_else(|| ModuleError::NoDownloadLocation { url: url.clone() })?,
    };
    // Relative locations (`./pkg.tar.gz`, `/archives/x.tar.gz`) are relative
    // to the download URL; addresses with a getter (`git::`) are taken as given.
    if location.contains("::") || location.contains("://") {
        return Ok(location);
    }
    let joined = url::Url::parse(&url).and_then(|u| u.join(&location)).map_err(|_| ModuleError::NoDownloadLocation { url: url.clone() })?;
    Ok(joined.to_string())
}
