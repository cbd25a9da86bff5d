//! What the provider's tests share: an engine environment with the
//! provider (and the builtin `terraform` provider, whose `terraform_data`
//! carries data source values into state), and a plan-and-apply of a stack.

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::PlanMode;
use iac_core::state::State;
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;

pub fn env(dir: &Path) -> Env {
    let mut registry = Registry::new();
    registry.register(iac_provider_http::factory());
    for f in iac_provider_builtin::factories() {
        registry.register(f);
    }
    Env {
        registry,
        backend: Arc::new(iac_state_local::LocalBackend::new(dir.join("state"))),
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// A fresh stack directory and its environment.
pub fn stack() -> (tempfile::TempDir, std::path::PathBuf, Env) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    std::fs::create_dir_all(&dir).expect("stack dir");
    let env = env(tmp.path());
    (tmp, dir, env)
}

/// Writes `main_tf`, plans and applies it; the state after, or the plan's
/// or apply's error.
pub async fn apply(dir: &Path, env: &Env, main_tf: &str) -> Result<State, String> {
    std::fs::write(dir.join("main.tf"), main_tf).expect("writing main.tf");
    let req = PlanRequest { vars: Vec::new(), run: RunOptions { mode: PlanMode::Normal, ..RunOptions::default() } };
    let plan = ops::plan(dir, env, req).await.map_err(|e| format!("{e}: {e:?}"))?.plan;
    ops::apply(dir, env, plan, 4).await.map_err(|e| format!("{e}: {e:?}"))?;
    ops::read_state(env.backend.as_ref()).await.map_err(|e| format!("{e}: {e:?}"))
}

/// An output's value after [`apply`].
pub fn output(state: &State, name: &str) -> serde_json::Value {
    state.outputs.get(name).unwrap_or_else(|| panic!("no output {name}: {:?}", state.outputs.keys().collect::<Vec<_>>())).value.to_json()
}

/// A request the test server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names as sent (case kept), with values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A response: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply { status, headers: Vec::new(), body: body.into(), delay: std::time::Duration::ZERO }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port), over TLS when
/// given a configuration; `handler` gets each request and how many came
/// before it. Returns the base URL and the requests seen.
pub fn serve(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> (String, Arc<std::sync::Mutex<Vec<Seen>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let seen: Arc<std::sync::Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let scheme = if tls.is_some() { "https" } else { "http" };
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let (handler, log, tls) = (handler.clone(), log.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(config) => {
                            if let Ok(s) = tokio_rustls::TlsAcceptor::from(config).accept(stream).await {
                                exchange(s, handler, log).await;
                            }
                        }
                        None => exchange(stream, handler, log).await,
                    }
                });
            }
        });
    });
    (format!("{scheme}://127.0.0.1:{port}"), seen)
}

async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S, handler: Handler, log: Arc<std::sync::Mutex<Vec<Seen>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, path) = (first.next().unwrap_or("").to_string(), first.next().unwrap_or("").to_string());
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let len = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let req = Seen { method, path, headers, body };
    let n = {
        let mut l = log.lock().expect("log");
        l.push(req.clone());
        l.len() - 1
    };
    let reply = handler(&req, n);
    tokio::time::sleep(reply.delay).await;
    let mut out = format!("HTTP/1.1 {} X\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&reply.body);
    let _ = s.write_all(&bytes).await;
    let _ = s.shutdown().await;
}

/// A test CA and a server certificate for 127.0.0.1 it signed: the CA's
/// PEM and the server's TLS configuration.
pub fn test_tls() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "iac http test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]))];
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let der_key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a private key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der_key)
        .expect("server TLS configuration");
    (ca_cert.pem(), Arc::new(config))
}

/// A CA, a server configuration for 127.0.0.1 that demands a client
/// certificate from that CA, and such a client certificate and key (PEM).
pub fn test_mutual_tls() -> (String, Arc<rustls::ServerConfig>, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "iac mTLS test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]))];
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let client_key = KeyPair::generate().expect("client key");
    let mut client = CertificateParams::default();
    client.distinguished_name.push(DnType::CommonName, "client");
    client.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client.signed_by(&client_key, &issuer).expect("client certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).expect("CA");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().expect("client verifier");
    let der_key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a private key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert.der().clone()], der_key)
        .expect("server TLS configuration");
    (ca_cert.pem(), Arc::new(config), client_cert.pem(), client_key.serialize_pem())
}
