//! A provider registry on `127.0.0.1:<free port>` speaking Terraform's
//! provider registry protocol: service discovery (`providers.v1`),
//! `NS/TYPE/versions`, `NS/TYPE/VERSION/download/OS/ARCH`, and the files
//! those answers point at (the zip packages, `SHA256SUMS`, its signature).
//! The test builds each release (packages, signed sums, keys, even a wrong
//! stated checksum), so the server holds no policy of its own and serves
//! damaged releases as faithfully as good ones. It records every request,
//! and stops when dropped, or by itself after 30 minutes, like the module
//! registry ([`crate::registry`]).
//!
//! Started with [`ProviderRegistry::start_tls`], it serves over https with a
//! certificate for 127.0.0.1 signed by a CA it makes ([`ProviderRegistry::ca_pem`],
//! for `SSL_CERT_FILE`), and also speaks the provider network mirror
//! protocol under `/mirror/` ([`ProviderRegistry::mirror_url`]):
//! `HOST/NS/TYPE/index.json`, `HOST/NS/TYPE/VERSION.json` (each package's
//! URL relative to that document, its hashes `zh:` of the stated shasum),
//! and the zips beside them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::recorder::Request;

/// The package bytes' type, for tests building releases.
pub use hyper::body::Bytes;

/// One package of a release: the zip for one platform.
#[derive(Clone)]
pub struct PlatformPackage {
    pub os: String,
    pub arch: String,
    pub filename: String,
    /// Held as `Bytes` so a 150 MB package is shared, not copied, per request.
    pub zip: Bytes,
    /// What the download answer states as `shasum` (normally the zip's SHA-256).
    pub shasum: String,
}

/// One version of one provider, as the test wants it served.
#[derive(Clone)]
pub struct Release {
    pub namespace: String,
    pub type_: String,
    pub version: String,
    pub protocols: Vec<String>,
    /// Platforms the `versions` answer lists (those with a package, plus any
    /// the test adds to list a platform it does not serve).
    pub listed_platforms: Vec<(String, String)>,
    pub packages: Vec<PlatformPackage>,
    pub shasums: Vec<u8>,
    pub signature: Vec<u8>,
    /// ASCII-armored public keys returned in `signing_keys`.
    pub keys: Vec<String>,
}

#[derive(Default)]
struct State {
    releases: Vec<Release>,
    requests: Vec<Request>,
    /// A directory served as static files under `/dir/` (a mirror written
    /// by `providers mirror`, published as a network mirror).
    dir: Option<std::path::PathBuf>,
}

pub struct ProviderRegistry {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The CA's PEM certificate when serving https.
    ca_pem: Option<String>,
}

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it.
fn test_tls() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "iac test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])), SanType::DnsName("localhost".try_into().expect("a DNS name"))];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let der_key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a private key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der_key)
        .expect("server TLS configuration");
    (ca_cert.pem(), Arc::new(config))
}

impl ProviderRegistry {
    pub fn start() -> ProviderRegistry {
        ProviderRegistry::start_with(None)
    }

    /// The same server over https (see the module documentation).
    pub fn start_tls() -> ProviderRegistry {
        let (ca, config) = test_tls();
        let mut r = ProviderRegistry::start_with(Some(config));
        r.ca_pem = Some(ca);
        r
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> ProviderRegistry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let tls = tls.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let shared = shared.clone();
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| answer(req, shared.clone()));
                            match tls {
                                Some(config) => {
                                    let Ok(stream) = tokio_rustls::TlsAcceptor::from(config).accept(stream).await else { return };
                                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                                }
                                None => {
                                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                                }
                            }
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                    _ = tokio::time::sleep(Duration::from_secs(1800)) => {}
                }
            });
        });
        ProviderRegistry { addr, state, stop: Some(stop), ca_pem: None }
    }

    /// "http://127.0.0.1:PORT" (https when started with TLS)
    pub fn url(&self) -> String {
        format!("{}://{}", if self.ca_pem.is_some() { "https" } else { "http" }, self.addr)
    }

    /// The network mirror's base URL, for a `network_mirror` block.
    pub fn mirror_url(&self) -> String {
        format!("{}/mirror/", self.url())
    }

    /// The CA certificate (PEM) the https server's certificate is signed by.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The `providers.v1` base URL, for a CLI configuration `host` block.
    pub fn providers_url(&self) -> String {
        format!("{}/v1/providers/", self.url())
    }

    pub fn publish(&self, release: Release) {
        let mut st = self.lock();
        st.releases.retain(|r| !(r.namespace == release.namespace && r.type_ == release.type_ && r.version == release.version));
        st.releases.push(release);
    }

    /// Serves the files below `dir` under `/dir/` ([`ProviderRegistry::dir_url`]).
    pub fn serve_dir(&self, dir: &std::path::Path) {
        self.lock().dir = Some(dir.to_path_buf());
    }

    /// The base URL of the directory [`ProviderRegistry::serve_dir`] serves.
    pub fn dir_url(&self) -> String {
        format!("{}/dir/", self.url())
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ProviderRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn respond(status: u16, content_type: &str, body: Bytes) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder().status(status).header("content-type", content_type).body(Full::new(body)).expect("a response")
}

fn not_found() -> hyper::Response<Full<Bytes>> {
    respond(404, "application/json", Bytes::from_static(b"{\"errors\":[\"Not Found\"]}"))
}

async fn answer(req: hyper::Request<Incoming>, state: Arc<Mutex<State>>) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_string();
    let headers: Vec<(String, String)> =
        req.headers().iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    st.requests.push(Request {
        method: req.method().as_str().to_string(),
        path: req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default(),
        headers,
        body: Vec::new(),
    });
    let json = |v: serde_json::Value| respond(200, "application/json", Bytes::from(v.to_string()));
    if path == "/.well-known/terraform.json" {
        return Ok(json(serde_json::json!({"providers.v1": "/v1/providers/"})));
    }
    if let Some(rest) = path.strip_prefix("/v1/providers/") {
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [ns, ty, "versions"] => {
                let list: Vec<serde_json::Value> = st
                    .releases
                    .iter()
                    .filter(|r| r.namespace == *ns && r.type_ == *ty)
                    .map(|r| {
                        serde_json::json!({
                            "version": r.version,
                            "protocols": r.protocols,
                            "platforms": r.listed_platforms.iter().map(|(os, arch)| serde_json::json!({"os": os, "arch": arch})).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                if list.is_empty() {
                    return Ok(not_found());
                }
                return Ok(json(serde_json::json!({"id": format!("{ns}/{ty}"), "versions": list, "warnings": null})));
            }
            [ns, ty, version, "download", os, arch] => {
                let Some(r) = st.releases.iter().find(|r| r.namespace == *ns && r.type_ == *ty && r.version == *version) else { return Ok(not_found()) };
                let Some(p) = r.packages.iter().find(|p| p.os == *os && p.arch == *arch) else { return Ok(not_found()) };
                let files = format!("/files/{ns}/{ty}/{version}");
                return Ok(json(serde_json::json!({
                    "protocols": r.protocols,
                    "os": p.os,
                    "arch": p.arch,
                    "filename": p.filename,
                    "download_url": format!("{files}/{}", p.filename),
                    "shasums_url": format!("{files}/SHA256SUMS"),
                    "shasums_signature_url": format!("{files}/SHA256SUMS.sig"),
                    "shasum": p.shasum,
                    "signing_keys": {"gpg_public_keys": r.keys.iter().map(|k| serde_json::json!({"key_id": "", "ascii_armor": k, "trust_signature": "", "source": "test", "source_url": null})).collect::<Vec<_>>()},
                })));
            }
            _ => return Ok(not_found()),
        }
    }
    if let (Some(rest), Some(dir)) = (path.strip_prefix("/dir/"), st.dir.clone()) {
        if rest.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Ok(not_found());
        }
        // A test mirror: reading it while holding the state is fine.
        return Ok(match std::fs::read(dir.join(rest)) {
            Ok(b) => respond(200, if rest.ends_with(".json") { "application/json" } else { "application/zip" }, Bytes::from(b)),
            Err(_) => not_found(),
        });
    }
    if let Some(rest) = path.strip_prefix("/mirror/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let [_host, ns, ty, file] = parts.as_slice() else { return Ok(not_found()) };
        let releases: Vec<&Release> = st.releases.iter().filter(|r| r.namespace == *ns && r.type_ == *ty).collect();
        if *file == "index.json" {
            if releases.is_empty() {
                return Ok(not_found());
            }
            let versions: serde_json::Map<String, serde_json::Value> = releases.iter().map(|r| (r.version.clone(), serde_json::json!({}))).collect();
            return Ok(json(serde_json::json!({"versions": versions})));
        }
        if let Some(version) = file.strip_suffix(".json") {
            let Some(r) = releases.iter().find(|r| r.version == version) else { return Ok(not_found()) };
            let archives: serde_json::Map<String, serde_json::Value> = r
                .packages
                .iter()
                .map(|p| (format!("{}_{}", p.os, p.arch), serde_json::json!({"url": p.filename, "hashes": [format!("zh:{}", p.shasum)]})))
                .collect();
            return Ok(json(serde_json::json!({"archives": archives})));
        }
        if let Some(p) = releases.iter().flat_map(|r| r.packages.iter()).find(|p| p.filename == *file) {
            return Ok(respond(200, "application/zip", p.zip.clone()));
        }
        return Ok(not_found());
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if let [ns, ty, version, file] = parts.as_slice() {
            if let Some(r) = st.releases.iter().find(|r| r.namespace == *ns && r.type_ == *ty && r.version == *version) {
                let body = match *file {
                    "SHA256SUMS" => Some(Bytes::from(r.shasums.clone())),
                    "SHA256SUMS.sig" => Some(Bytes::from(r.signature.clone())),
                    f => r.packages.iter().find(|p| p.filename == f).map(|p| p.zip.clone()),
                };
                if let Some(b) = body {
                    return Ok(respond(200, "application/octet-stream", b));
                }
            }
        }
    }
    Ok(not_found())
}
