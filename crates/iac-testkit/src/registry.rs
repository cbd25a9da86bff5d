//! A module registry on `127.0.0.1:<free port>` speaking Terraform's module
//! registry protocol (service discovery, `versions`, `download` with
//! `X-Terraform-Get`) and serving the packages as tar.gz archives made by
//! the system's `tar` program from directories the test writes. It can
//! demand a bearer token and records every request, so tests check what
//! was sent. Hyper on a thread and runtime of its own, like the recorder;
//! it stops when dropped, or by itself after 30 minutes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::recorder::Request;

#[derive(Default)]
struct State {
    /// "NS/NAME/PROVIDER" → version → tar.gz bytes.
    modules: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    token: Option<String>,
    requests: Vec<Request>,
}

pub struct ModuleRegistry {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ModuleRegistry {
    pub fn start() -> ModuleRegistry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| answer(req, shared.clone()));
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
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
        ModuleRegistry { addr, state, stop: Some(stop) }
    }

    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `modules.v1` base URL, for a CLI configuration `host` block.
    pub fn modules_url(&self) -> String {
        format!("{}/v1/modules/", self.url())
    }

    /// Publishes `dir` as version `version` of `addr` ("NS/NAME/PROVIDER").
    pub fn publish(&self, addr: &str, version: &str, dir: &Path) {
        let out = std::process::Command::new("tar").args(["-czf", "-", "-C"]).arg(dir).arg(".").output().expect("run tar");
        assert!(out.status.success(), "tar: {}", String::from_utf8_lossy(&out.stderr));
        self.publish_bytes(addr, version, out.stdout);
    }

    /// Publishes any bytes as the package (a damaged archive, say).
    pub fn publish_bytes(&self, addr: &str, version: &str, bytes: Vec<u8>) {
        self.lock().modules.entry(addr.to_string()).or_default().insert(version.to_string(), bytes);
    }

    /// From now on, registry API calls without `Authorization: Bearer TOKEN` get 401.
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ModuleRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn respond(status: u16, headers: &[(&str, String)], body: Vec<u8>) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Full::new(Bytes::from(body))).expect("a response")
}

async fn answer(req: hyper::Request<Incoming>, state: Arc<Mutex<State>>) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_string();
    let headers: Vec<(String, String)> =
        req.headers().iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    st.requests.push(Request {
        method: req.method().as_str().to_string(),
        path: req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default(),
        headers,
        body: Vec::new(),
    });
    let json = |v: String| respond(200, &[("content-type", "application/json".to_string())], v.into_bytes());
    if path == "/.well-known/terraform.json" {
        return Ok(json(r#"{"modules.v1":"/v1/modules/"}"#.to_string()));
    }
    if let Some(rest) = path.strip_prefix("/v1/modules/") {
        if let Some(t) = &st.token {
            if auth.as_deref() != Some(&format!("Bearer {t}")) {
                return Ok(respond(401, &[], b"{\"errors\":[\"not authorized\"]}".to_vec()));
            }
        }
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [ns, name, provider, "versions"] => {
                let Some(versions) = st.modules.get(&format!("{ns}/{name}/{provider}")) else {
                    return Ok(respond(404, &[], b"{\"errors\":[\"not found\"]}".to_vec()));
                };
                let list: Vec<String> = versions.keys().map(|v| format!("{{\"version\":\"{v}\"}}")).collect();
                return Ok(json(format!("{{\"modules\":[{{\"versions\":[{}]}}]}}", list.join(","))));
            }
            [ns, name, provider, version, "download"] => {
                if !st.modules.get(&format!("{ns}/{name}/{provider}")).is_some_and(|v| v.contains_key(*version)) {
                    return Ok(respond(404, &[], Vec::new()));
                }
                // Relative to this URL, as registries may answer.
                return Ok(respond(204, &[("x-terraform-get", format!("/archives/{ns}/{name}/{provider}/{version}.tar.gz"))], Vec::new()));
            }
            _ => {}
        }
    }
    if let Some(rest) = path.strip_prefix("/archives/").and_then(|r| r.strip_suffix(".tar.gz")) {
        if let Some((addr, version)) = rest.rsplit_once('/') {
            if let Some(bytes) = st.modules.get(addr).and_then(|v| v.get(version)) {
                return Ok(respond(200, &[("content-type", "application/gzip".to_string())], bytes.clone()));
            }
        }
    }
    Ok(respond(404, &[], Vec::new()))
}
