//! A small stateful HTTP layer in front of moto. Requests signed for the
//! `eks` service are served here, from memory and with the shapes of AWS's
//! EKS model ([`eks`]): status transitions (CREATING → ACTIVE, UPDATING,
//! DELETING → gone) that moto does not have, UpdateClusterVersion,
//! UpdateNodegroupVersion and DescribeUpdate, add-ons and access entries
//! (moto answers those with an HTML 404), and clusters that land in FAILED.
//! Moto's own EKS is bypassed whole: its UpdateClusterConfig answers in a
//! shape AWS never uses and replaces the VPC configuration, and it drops
//! `accessConfig`. Every other request goes to moto unchanged.
//! [`contract`] checks recorded exchanges against botocore's EKS model.
//! With [`Behaviour::kube_api`] set, clusters report that URL (a local
//! Kubernetes test API) as their endpoint, so a stack's kubernetes and helm
//! providers configured from `aws_eks_cluster` reach it.
//!
//! Architecture Invariant: this crate depends on nothing of iac; it only
//! speaks HTTP (like `iac-do-sim`), so tests see it as they would AWS.

#![deny(missing_docs)]

pub mod contract;
pub mod eks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value as Json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use eks::Behaviour;

/// Why the layer could not start.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// One EKS request and the layer's answer, for contract checks.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The query string, without `?`.
    pub query: String,
    /// The request body (null when empty).
    pub request: Json,
    /// The response status.
    pub status: u16,
    /// The response body.
    pub response: Json,
}

struct Shared {
    upstream: String,
    state: Mutex<eks::State>,
    exchanges: Mutex<Vec<Exchange>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A running layer; stops when dropped.
pub struct Handle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Handle {
    /// `http://127.0.0.1:PORT`: the endpoint to give every SDK client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Runs `f` on the layer's state (to look at it, or change it out of band).
    pub fn with_state<T>(&self, f: impl FnOnce(&mut eks::State) -> T) -> T {
        f(&mut lock(&self.shared.state))
    }
    /// Changes how the layer behaves from now on.
    pub fn set_behaviour(&self, b: Behaviour) {
        lock(&self.shared.state).behaviour = b;
    }
    /// Every request answered so far, with its answer.
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).clone()
    }
}

/// Starts the layer on 127.0.0.1 (a free port) in front of `upstream` (moto).
pub async fn start(upstream: &str, behaviour: Behaviour) -> Result<Handle, LayerError> {
    start_on(([127, 0, 0, 1], 0).into(), upstream, behaviour).await
}

/// Starts the layer on `addr` in front of `upstream`.
pub async fn start_on(addr: SocketAddr, upstream: &str, behaviour: Behaviour) -> Result<Handle, LayerError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| LayerError::Bind { addr, source })?;
    let addr = listener.local_addr().map_err(|source| LayerError::Bind { addr, source })?;
    let shared = Arc::new(Shared {
        upstream: upstream.trim_end_matches('/').to_string(),
        state: Mutex::new(eks::State::new(behaviour)),
        exchanges: Mutex::new(Vec::new()),
        client: Client::builder(TokioExecutor::new()).build_http(),
    });
    let (stop, mut stopped) = oneshot::channel::<()>();
    let s = shared.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let s = s.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| handle(s.clone(), req));
                        if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    });
                }
            }
        }
    });
    Ok(Handle { addr, shared, _stop: stop })
}

/// The service and region a SigV4 `Authorization` header is scoped to.
fn credential_scope(req: &Request<Incoming>) -> Option<(String, String)> {
    let auth = req.headers().get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    let parts: Vec<&str> = cred.split('/').collect();
    (parts.len() >= 5).then(|| (parts[3].to_string(), parts[2].to_string()))
}

fn reply(status: u16, body: Vec<u8>, headers: &[(&str, &str)]) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (hyper::header::HeaderName::from_bytes(k.as_bytes()), hyper::header::HeaderValue::from_str(v)) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

async fn handle(s: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let scope = credential_scope(&req);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    if path == "/_layer/config" && method == "POST" {
        let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let b = Behaviour::from_json(&serde_json::from_slice(&body).unwrap_or(Json::Null));
        lock(&s.state).behaviour = b;
        return Ok(reply(200, b"{}".to_vec(), &[("content-type", "application/json")]));
    }
    match scope {
        Some((service, region)) if service == "eks" => {
            let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let request: Json = if body.is_empty() { Json::Null } else { serde_json::from_slice(&body).unwrap_or(Json::Null) };
            let r = lock(&s.state).handle(&method, &path, &query, &request, &region);
            tracing::debug!(%method, %path, status = r.status, "eks");
            lock(&s.exchanges).push(Exchange { method, path, query, request, status: r.status, response: r.body.clone() });
            let mut headers = vec![("content-type", "application/json")];
            if let Some(t) = r.error_type {
                headers.push(("x-amzn-errortype", t));
            }
            Ok(reply(r.status, serde_json::to_vec(&r.body).unwrap_or_default(), &headers))
        }
        Some((service, _)) if service == "s3" => Ok(repair_s3(forward(&s, req).await).await),
        _ => Ok(forward(&s, req).await),
    }
}

/// Root elements moto 5.2.5 names after the operation where S3 uses the
/// configuration's own name (the SDK refuses the document otherwise).
const S3_ROOTS: &[(&str, &str)] = &[("GetBucketVersioningResponse", "VersioningConfiguration")];

async fn repair_s3(resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let (mut parts, body) = resp.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    let mut changed = false;
    for (wrong, right) in S3_ROOTS {
        if text.contains(&format!("<{wrong}")) {
            text = text.replace(&format!("<{wrong}"), &format!("<{right}")).replace(&format!("</{wrong}>"), &format!("</{right}>"));
            changed = true;
        }
    }
    if !changed {
        return Response::from_parts(parts, Full::new(bytes));
    }
    parts.headers.insert(hyper::header::CONTENT_LENGTH, hyper::header::HeaderValue::from(text.len()));
    Response::from_parts(parts, Full::new(Bytes::from(text)))
}

/// Sends the request to moto as it came and returns moto's answer.
async fn forward(s: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let pq = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let Ok(uri) = format!("{}{pq}", s.upstream).parse::<hyper::Uri>() else { return reply(502, b"bad upstream".to_vec(), &[]) };
    let mut out = Request::new(Full::new(body));
    *out.method_mut() = parts.method;
    *out.uri_mut() = uri;
    *out.headers_mut() = parts.headers;
    match s.client.request(out).await {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let mut r = Response::new(Full::new(body));
            *r.status_mut() = parts.status;
            *r.headers_mut() = parts.headers;
            r
        }
        Err(e) => reply(502, format!("upstream {}: {e}", s.upstream).into_bytes(), &[]),
    }
}
