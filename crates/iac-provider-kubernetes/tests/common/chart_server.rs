//! A chart server for the helm_release tests, on 127.0.0.1 and a free
//! port: a Helm HTTP repository (the files of a directory under
//! `/charts/`, an `index.yaml` that `helm repo index` wrote among them) and
//! an OCI registry (the distribution API's blob uploads, manifests and tag
//! lists under `/v2/`, enough for `helm push` and for helm pulling a
//! chart), optionally over https (a certificate for 127.0.0.1 signed by a
//! CA it makes, for `--ca-file`) and behind basic authentication. It
//! records every request and stops when dropped (or after 30 minutes).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Digest as _;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Whether it carried the expected credentials (true when none are required).
    pub authorized: bool,
}

#[derive(Default)]
struct State {
    dir: Option<PathBuf>,
    /// `Basic ...`, when the server requires credentials.
    auth: Option<String>,
    blobs: BTreeMap<String, Bytes>,
    /// (repository, tag or digest) → (media type, manifest).
    manifests: BTreeMap<(String, String), (String, Bytes)>,
    uploads: BTreeMap<u64, Vec<u8>>,
    next_upload: u64,
    seen: Vec<Seen>,
}

pub struct ChartServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    ca_pem: Option<String>,
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn test_tls() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "iac chart server test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]))];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let der_key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a private key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der_key)
        .expect("server TLS configuration");
    (ca_cert.pem(), Arc::new(config))
}

impl ChartServer {
    /// Plain http; `credentials` (user, password) when it requires them.
    pub fn start(credentials: Option<(&str, &str)>) -> ChartServer {
        ChartServer::start_with(None, credentials)
    }

    /// Over https (see [`ChartServer::ca_pem`]).
    pub fn start_tls(credentials: Option<(&str, &str)>) -> ChartServer {
        let (ca, config) = test_tls();
        let mut s = ChartServer::start_with(Some(config), credentials);
        s.ca_pem = Some(ca);
        s
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>, credentials: Option<(&str, &str)>) -> ChartServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let auth = credentials.map(|(u, p)| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))));
        let state = Arc::new(Mutex::new(State { auth, ..State::default() }));
        let shared = state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
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
        ChartServer { addr, state, stop: Some(stop), ca_pem: None }
    }

    /// "127.0.0.1:PORT"
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The HTTP repository's URL (`/charts`).
    pub fn repo_url(&self) -> String {
        format!("{}://{}/charts", if self.ca_pem.is_some() { "https" } else { "http" }, self.addr)
    }

    /// Serves the files of `dir` under `/charts/`.
    pub fn serve_dir(&self, dir: &Path) {
        self.lock().dir = Some(dir.to_path_buf());
    }

    /// The CA certificate (PEM) of the https server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ChartServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type Answer = hyper::Response<Full<Bytes>>;

fn respond(status: u16, headers: &[(&str, String)], body: Bytes) -> Answer {
    let mut b = hyper::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(body)).expect("a response")
}

fn not_found() -> Answer {
    respond(404, &[("content-type", "application/json".into())], Bytes::from_static(b"{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"not found\"}]}"))
}

fn digest_of(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(b)))
}

async fn answer(req: hyper::Request<Incoming>, state: Arc<Mutex<State>>) -> Result<Answer, hyper::Error> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let header = |k: &str| req.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (authorization, content_type) = (header("authorization"), header("content-type"));
    let body = req.into_body().collect().await?.to_bytes();
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    let authorized = st.auth.is_none() || st.auth == authorization;
    st.seen.push(Seen { method: method.clone(), path: path.clone(), authorized });
    if !authorized {
        return Ok(respond(401, &[("www-authenticate", "Basic realm=\"iac-test\"".into())], Bytes::from_static(b"unauthorized")));
    }
    if let Some(file) = path.strip_prefix("/charts/") {
        let Some(dir) = st.dir.clone() else { return Ok(not_found()) };
        if file.contains("..") {
            return Ok(not_found());
        }
        return Ok(match std::fs::read(dir.join(file)) {
            Ok(b) => respond(200, &[("content-type", "application/octet-stream".into())], Bytes::from(b)),
            Err(_) => not_found(),
        });
    }
    let Some(rest) = path.strip_prefix("/v2/") else { return Ok(not_found()) };
    if rest.is_empty() {
        return Ok(respond(200, &[("content-type", "application/json".into())], Bytes::from_static(b"{}")));
    }
    Ok(registry(&mut st, &method, rest, &query, content_type, body))
}

/// The distribution API for `rest` (the path after `/v2/`).
fn registry(st: &mut State, method: &str, rest: &str, query: &str, content_type: Option<String>, body: Bytes) -> Answer {
    let digest_param = form_value(query, "digest");
    if let Some((name, id)) = rest.split_once("/blobs/uploads") {
        let id = id.trim_start_matches('/');
        return match (method, id) {
            ("POST", "") => match digest_param {
                Some(d) => store_blob(st, name, &d, body.to_vec()),
                None => {
                    st.next_upload += 1;
                    let n = st.next_upload;
                    st.uploads.insert(n, Vec::new());
                    respond(
                        202,
                        &[("location", format!("/v2/{name}/blobs/uploads/{n}")), ("range", "0-0".into()), ("docker-upload-uuid", n.to_string())],
                        Bytes::new(),
                    )
                }
            },
            ("PATCH" | "PUT", id) => {
                let Some(n) = id.parse::<u64>().ok().filter(|n| st.uploads.contains_key(n)) else { return not_found() };
                let buf = st.uploads.get_mut(&n).expect("an upload");
                buf.extend_from_slice(&body);
                if method == "PATCH" {
                    let end = buf.len().saturating_sub(1);
                    return respond(202, &[("location", format!("/v2/{name}/blobs/uploads/{n}")), ("range", format!("0-{end}"))], Bytes::new());
                }
                let data = st.uploads.remove(&n).unwrap_or_default();
                match digest_param {
                    Some(d) => store_blob(st, name, &d, data),
                    None => respond(400, &[], Bytes::from_static(b"digest missing")),
                }
            }
            _ => not_found(),
        };
    }
    if let Some((_, digest)) = rest.split_once("/blobs/") {
        return match st.blobs.get(digest) {
            Some(b) => respond(200, &[("content-type", "application/octet-stream".into()), ("docker-content-digest", digest.to_string())], b.clone()),
            None => not_found(),
        };
    }
    if let Some((name, reference)) = rest.split_once("/manifests/") {
        let key = (name.to_string(), reference.to_string());
        if method == "PUT" {
            let digest = digest_of(&body);
            let media = content_type.unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
            st.manifests.insert(key, (media.clone(), body.clone()));
            st.manifests.insert((name.to_string(), digest.clone()), (media, body));
            return respond(201, &[("location", format!("/v2/{name}/manifests/{digest}")), ("docker-content-digest", digest)], Bytes::new());
        }
        return match st.manifests.get(&key) {
            Some((media, b)) => respond(200, &[("content-type", media.clone()), ("docker-content-digest", digest_of(b))], b.clone()),
            None => not_found(),
        };
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        let tags: Vec<&String> = st.manifests.keys().filter(|(n, r)| n == name && !r.starts_with("sha256:")).map(|(_, r)| r).collect();
        let body = serde_json::json!({ "name": name, "tags": tags }).to_string();
        return respond(200, &[("content-type", "application/json".into())], Bytes::from(body));
    }
    not_found()
}

fn store_blob(st: &mut State, name: &str, digest: &str, data: Vec<u8>) -> Answer {
    if digest_of(&data) != digest {
        return respond(400, &[], Bytes::from(format!("digest {digest} does not match the content")));
    }
    st.blobs.insert(digest.to_string(), Bytes::from(data));
    respond(201, &[("location", format!("/v2/{name}/blobs/{digest}")), ("docker-content-digest", digest.to_string())], Bytes::new())
}

fn form_value(query: &str, key: &str) -> Option<String> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v.replace("%3A", ":").replace("%3a", ":"))
}
