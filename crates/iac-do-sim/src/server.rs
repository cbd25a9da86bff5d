//! The HTTP server: hyper on tokio, one task per connection. Applies
//! latency, rate limiting and injected faults, dispatches to the routes,
//! adds the rate-limit headers, records exchanges, and serves the admin
//! endpoints under `/_sim/`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::{Faults, SimConfig};
use crate::error::ApiError;
use crate::faults::{decide, Fault, Quota, RateLimiter};
use crate::record::{Exchange, Stats};
use crate::routes::{dispatch, Body, Reply, Req};
use crate::store::Store;

const MAX_BODY: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

struct Shared {
    cfg: Mutex<SimConfig>,
    store: Mutex<Store>,
    limiter: Mutex<RateLimiter>,
    rng: Mutex<fastrand::Rng>,
    log: Mutex<Vec<Exchange>>,
    stats: Mutex<Stats>,
    base: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The simulator. [`Simulator::start`] listens on a free port of 127.0.0.1.
pub struct Simulator;

impl Simulator {
    pub async fn start(config: SimConfig) -> Result<Handle, SimError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> Result<Handle, SimError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind { addr, source })?;
        let base = config.public_base_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let rng = if config.seed == 0 { fastrand::Rng::new() } else { fastrand::Rng::with_seed(config.seed) };
        let shared = Arc::new(Shared {
            cfg: Mutex::new(config),
            store: Mutex::default(),
            limiter: Mutex::default(),
            rng: Mutex::new(rng),
            log: Mutex::default(),
            stats: Mutex::default(),
            base,
        });
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, shared.clone(), rx));
        tracing::info!(%addr, "DigitalOcean API simulator listening");
        Ok(Handle { addr, shared, shutdown: Some(tx), task })
    }
}

/// A running simulator; it stops when dropped.
pub struct Handle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Handle {
    /// `http://127.0.0.1:PORT`, the provider's `api_endpoint`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn config(&self) -> SimConfig {
        lock(&self.shared.cfg).clone()
    }
    pub fn set_config(&self, cfg: SimConfig) {
        *lock(&self.shared.cfg) = cfg;
    }
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared.cfg).faults = faults;
    }
    /// The exchanges recorded so far (when `record` is on).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.log).clone()
    }
    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = Stats::default();
    }
    /// Direct access to the simulated account (out-of-band changes in tests).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let cfg = self.config();
        let mut s = lock(&self.shared.store);
        s.tick(Instant::now(), &cfg);
        f(&mut s)
    }
    /// Stops accepting and closes every connection.
    pub fn stop(mut self) {
        self.shutdown_now();
    }
    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Reap finished connections so the set stays small.
        while conns.try_join_next().is_some() {}
        let shared = shared.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| handle(shared.clone(), req));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}

/// Returned by the service to make hyper drop the connection (a crash-like fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

type Resp = Response<Full<Bytes>>;

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let token = header("authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::trim).map(str::to_string)).filter(|t| !t.is_empty());
    let content_type = header("content-type");
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(plain(413, "request body too large")),
    };
    if let Some(admin) = path.strip_prefix("/_sim/") {
        return Ok(admin_route(&shared, &method, admin, &body));
    }
    let cfg = lock(&shared.cfg).clone();
    lock(&shared.stats).count(&method, &path);
    if cfg.faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(cfg.faults.latency_ms)).await;
    }
    let (reply, quota, retry_after, fault) = match &token {
        None => (Err(ApiError::unauthorized()), None, None, Fault::None),
        Some(token) => {
            let quota = lock(&shared.limiter).admit(token, cfg.faults.rate_limit_per_minute, SystemTime::now());
            let fault = decide(&cfg.faults, &mut lock(&shared.rng));
            if let Some(wait) = quota.retry_after {
                (Err(ApiError::too_many_requests()), Some(quota), Some(wait), Fault::None)
            } else {
                match fault {
                    Fault::DropBefore => {
                        lock(&shared.stats).dropped += 1;
                        return Err(Dropped);
                    }
                    Fault::TooMany => (Err(ApiError::too_many_requests()), Some(quota), Some(cfg.faults.retry_after_s), fault),
                    Fault::ServerError(code) => (Err(ApiError::server_error(code)), Some(quota), None, fault),
                    Fault::None | Fault::DropAfter => (serve(&shared, &cfg, &method, &path, &query, &body), Some(quota), None, fault),
                }
            }
        }
    };
    if fault == Fault::DropAfter {
        lock(&shared.stats).dropped += 1;
        return Err(Dropped);
    }
    let reply = reply.unwrap_or_else(error_reply);
    *lock(&shared.stats).by_status.entry(reply.status).or_default() += 1;
    let resp = render(reply, quota, retry_after);
    if cfg.record {
        record(&shared, &method, &path, &query, &body, content_type, &resp);
    }
    Ok(resp)
}

fn serve(shared: &Shared, cfg: &SimConfig, method: &str, path: &str, query: &str, body: &Bytes) -> Result<Reply, ApiError> {
    let json: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the request body is not JSON: {e}")))?
    };
    let req = Req { method, query, body: &json, now: Instant::now(), cfg, base: &shared.base };
    let mut store = lock(&shared.store);
    dispatch(&mut store, path, &req)
}

fn error_reply(e: ApiError) -> Reply {
    Reply::json(e.status, json!({"id": e.id, "message": e.message, "request_id": uuid::Uuid::new_v4().to_string()}))
}

fn render(reply: Reply, quota: Option<Quota>, retry_after: Option<u64>) -> Resp {
    let (ct, bytes) = match reply.body {
        Body::Json(v) => (Some("application/json; charset=utf-8"), Bytes::from(v.to_string())),
        Body::Yaml(s) => (Some("application/yaml"), Bytes::from(s)),
        Body::Empty => (None, Bytes::new()),
    };
    let mut b = Response::builder().status(reply.status);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    let q = quota.unwrap_or(Quota { limit: 250, remaining: 250, reset: crate::clock::epoch_secs(SystemTime::now()) + 60, retry_after: None });
    b = b.header("ratelimit-limit", q.limit).header("ratelimit-remaining", q.remaining).header("ratelimit-reset", q.reset);
    if let Some(s) = retry_after {
        b = b.header("retry-after", s);
    }
    b.body(Full::new(bytes)).unwrap_or_else(|_| plain(500, "response could not be built"))
}

fn plain(status: u16, msg: &str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(msg.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

fn record(shared: &Shared, method: &str, path: &str, query: &str, body: &Bytes, content_type: Option<String>, resp: &Resp) {
    let headers = resp.headers().iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let response_body = String::from_utf8_lossy(&body_bytes(resp)).into_owned();
    lock(&shared.log).push(Exchange {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        request_body: String::from_utf8_lossy(body).into_owned(),
        request_content_type: content_type,
        status: resp.status().as_u16(),
        response_headers: headers,
        response_content_type: resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string),
        response_body,
    });
}

fn body_bytes(resp: &Resp) -> Bytes {
    // Full<Bytes> has exactly one frame; cloning the body is cheap.
    let mut body = resp.body().clone();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match hyper::body::Body::poll_frame(std::pin::Pin::new(&mut body), &mut cx) {
        std::task::Poll::Ready(Some(Ok(f))) => f.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

fn admin_route(shared: &Shared, method: &str, what: &str, body: &Bytes) -> Resp {
    let out = match (method, what) {
        ("GET", "config") => Ok(serde_json::to_value(&*lock(&shared.cfg)).unwrap_or(Value::Null)),
        ("POST", "config") => {
            let mut cur = serde_json::to_value(&*lock(&shared.cfg)).unwrap_or(Value::Null);
            match serde_json::from_slice::<Value>(body) {
                Ok(patch) => {
                    merge(&mut cur, patch);
                    match serde_json::from_value::<SimConfig>(cur) {
                        Ok(cfg) => {
                            tracing::info!(?cfg, "simulator reconfigured");
                            *lock(&shared.cfg) = cfg.clone();
                            Ok(serde_json::to_value(cfg).unwrap_or(Value::Null))
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            }
        }
        ("GET", "stats") => Ok(serde_json::to_value(&*lock(&shared.stats)).unwrap_or(Value::Null)),
        _ => Err(format!("no admin route {method} /_sim/{what}")),
    };
    match out {
        Ok(v) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(v.to_string())))
            .unwrap_or_else(|_| plain(500, "")),
        Err(e) => plain(400, &e),
    }
}

/// JSON merge patch (RFC 7386) without null-deletes.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p,
    }
}
