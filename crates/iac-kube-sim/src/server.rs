//! The HTTP server: hyper on tokio, one task per connection, a ticker task
//! for the simulated controllers, routing of discovery, OpenAPI and
//! resource requests, watch streams, and the admin endpoints under `/_sim/`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::catalog::ResourceType;
use crate::discovery;
use crate::error::ApiError;
use crate::options::SimOptions;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::{Event, Patch, PatchKind, Store, WriteCtx};
use crate::table;

/// Large enough for whole CRDs (ArgoCD's ApplicationSet CRD is ~380 KB).
const MAX_BODY: usize = 64 << 20;
const TICK: Duration = Duration::from_millis(20);
/// Watches without `timeoutSeconds` end after this long (clients re-watch).
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub(crate) struct Shared {
    opts: Mutex<SimOptions>,
    store: Mutex<Store>,
    stopping: watch::Receiver<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running simulator, listening on 127.0.0.1. Dropping it stops it too.
pub struct RunningSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the simulator on a free port of 127.0.0.1.
pub async fn start(opts: SimOptions) -> std::io::Result<RunningSim> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await
}

/// Starts the simulator on `addr`.
pub async fn start_on(addr: SocketAddr, opts: SimOptions) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stopping) = watch::channel(false);
    let shared = Arc::new(Shared { opts: Mutex::new(opts), store: Mutex::default(), stopping });
    let tasks = vec![tokio::spawn(accept_loop(listener, shared.clone())), tokio::spawn(ticker(shared.clone()))];
    tracing::info!(%addr, "Kubernetes API simulator listening");
    Ok(RunningSim { addr, shared, stop_tx, tasks })
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`, the API server address for kubectl and kube clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn options(&self) -> SimOptions {
        lock(&self.shared.opts).clone()
    }
    /// Replaces the configuration (timings and faults) of the running simulator.
    pub fn set_options(&self, opts: SimOptions) {
        *lock(&self.shared.opts) = opts;
    }
    /// Stops accepting, ends watches and closes every connection.
    pub async fn stop(mut self) {
        self.shutdown();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
    fn shutdown(&mut self) {
        let _ = self.stop_tx.send(true);
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown();
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn ticker(shared: Arc<Shared>) {
    let mut stopping = shared.stopping.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stopping.changed() => return,
        }
        let opts = lock(&shared.opts).clone();
        lock(&shared.store).tick(Instant::now(), &opts);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    let mut stopping = shared.stopping.clone();
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
            _ = stopping.changed() => break,
        };
        while conns.try_join_next().is_some() {}
        let shared = shared.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| handle(shared.clone(), req));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    conns.abort_all();
}

/// A response body: a whole JSON document, or a watch stream fed line by line.
pub enum ResponseBody {
    Full(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(f) => Pin::new(f).poll_frame(cx),
            ResponseBody::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }
}

type Resp = Response<ResponseBody>;

fn json_response(status: u16, v: &Value) -> Resp {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(ResponseBody::Full(Full::new(Bytes::from(v.to_string()))))
        .unwrap_or_else(|_| Response::new(ResponseBody::Full(Full::new(Bytes::new()))))
}

fn error_response(e: &ApiError) -> Resp {
    json_response(e.code, &e.to_status())
}

/// What a handler needs of the request.
struct Call {
    method: String,
    path: String,
    params: Vec<(String, String)>,
    accept: String,
    content_type: String,
    user_agent: String,
    body: Bytes,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }
    fn body_json(&self) -> Result<Value, ApiError> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        if self.content_type.contains("protobuf") {
            return crate::protobuf::decode(&self.body).map_err(|why| {
                tracing::debug!(%why, "protobuf body refused");
                ApiError::unsupported_media_type(&self.content_type)
            });
        }
        match serde_json::from_slice(&self.body) {
            Ok(v) => Ok(v),
            Err(json_err) => serde_norway::from_slice::<Value>(&self.body)
                .map_err(|_| ApiError::bad_request(format!("the request body is neither JSON nor YAML: {json_err}"))),
        }
    }
    /// The field manager: `fieldManager`, else the user agent's program name.
    fn manager(&self) -> String {
        match self.param("fieldManager") {
            Some(m) => m.to_string(),
            None => self.user_agent.split('/').next().unwrap_or("unknown").to_string(),
        }
    }
    fn dry_run(&self) -> bool {
        self.param("dryRun") == Some("All")
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (accept, content_type, user_agent) = (header("accept"), header("content-type"), header("user-agent"));
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let params: Vec<(String, String)> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(error_response(&ApiError::injected(413, "request entity too large"))),
    };
    let call = Call { method, path, params, accept, content_type, user_agent, body };
    if let Some(what) = call.path.strip_prefix("/_sim/") {
        return Ok(admin(&shared, &call, what));
    }
    let latency = lock(&shared.opts).faults.latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let resp = route(&shared, &call);
    tracing::debug!(method = %call.method, path = %call.path, status = resp.status().as_u16(), "request");
    Ok(resp)
}

fn admin(shared: &Shared, call: &Call, what: &str) -> Resp {
    match (call.method.as_str(), what) {
        ("GET", "config") => json_response(200, &serde_json::to_value(&*lock(&shared.opts)).unwrap_or(Value::Null)),
        ("POST", "config") => {
            let mut cur = serde_json::to_value(&*lock(&shared.opts)).unwrap_or(Value::Null);
            let patch: Value = match serde_json::from_slice(&call.body) {
                Ok(p) => p,
                Err(e) => return error_response(&ApiError::bad_request(format!("the configuration is not JSON: {e}"))),
            };
            json_patch::merge(&mut cur, &patch);
            match serde_json::from_value::<SimOptions>(cur) {
                Ok(opts) => {
                    tracing::info!(?opts, "simulator reconfigured");
                    *lock(&shared.opts) = opts.clone();
                    json_response(200, &serde_json::to_value(opts).unwrap_or(Value::Null))
                }
                Err(e) => error_response(&ApiError::bad_request(format!("invalid configuration: {e}"))),
            }
        }
        _ => error_response(&ApiError::path_not_found()),
    }
}

/// Where a resource request points.
struct Target {
    rt: ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn route(shared: &Shared, call: &Call) -> Resp {
    let segs: Vec<&str> = call.path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let store = || lock(&shared.store);
    let get = call.method == "GET";
    match segs.as_slice() {
        ["version"] if get => return json_response(200, &discovery::version(&lock(&shared.opts).git_version)),
        ["healthz" | "readyz" | "livez"] if get => {
            return Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(ResponseBody::Full(Full::new(Bytes::from_static(b"ok"))))
                .unwrap_or_else(|_| json_response(500, &Value::Null));
        }
        ["api" | "apis"] if get && discovery::wants_aggregated(&call.accept) => {
            let doc = discovery::aggregated(&store().catalog, segs[0] == "api");
            return Response::builder()
                .status(200)
                .header("content-type", discovery::AGGREGATED)
                .body(ResponseBody::Full(Full::new(Bytes::from(doc.to_string()))))
                .unwrap_or_else(|_| json_response(500, &Value::Null));
        }
        ["api"] if get => return json_response(200, &discovery::core_versions()),
        ["apis"] if get => return json_response(200, &discovery::groups(&store().catalog)),
        ["api", v] if get => return opt(discovery::resources(&store().catalog, "", v)),
        ["apis", g] if get => return opt(discovery::group(&store().catalog, g)),
        ["apis", g, v] if get => return opt(discovery::resources(&store().catalog, g, v)),
        ["openapi", "v3"] if get => return json_response(200, &discovery::openapi_index(&store().catalog)),
        ["openapi", "v3", "api", v] if get => return opt(discovery::openapi_group_version(&store().catalog, "", v)),
        ["openapi", "v3", "apis", g, v] if get => return opt(discovery::openapi_group_version(&store().catalog, g, v)),
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return error_response(&ApiError::path_not_found()),
    };
    let parsed = match rest {
        ["namespaces", name, sub @ ("status" | "finalize")] if group.is_empty() => Some(("namespaces", None, Some(*name), Some(*sub))),
        ["namespaces", ns, plural] => Some((*plural, Some(*ns), None, None)),
        ["namespaces", ns, plural, name] => Some((*plural, Some(*ns), Some(*name), None)),
        ["namespaces", ns, plural, name, sub] => Some((*plural, Some(*ns), Some(*name), Some(*sub))),
        [plural] => Some((*plural, None, None, None)),
        [plural, name] => Some((*plural, None, Some(*name), None)),
        [plural, name, sub] => Some((*plural, None, Some(*name), Some(*sub))),
        _ => None,
    };
    let Some((plural, namespace, name, subresource)) = parsed else {
        return error_response(&ApiError::path_not_found());
    };
    let Some(rt) = store().catalog.find(group, version, plural).cloned() else {
        return error_response(&ApiError::path_not_found());
    };
    let known_subresource = |s: &str| s == "status" || (s == "finalize" && rt.kind == "Namespace") || (s == "scale" && discovery::has_scale(&rt));
    if (namespace.is_some() && !rt.namespaced) || subresource.is_some_and(|s| !known_subresource(s)) {
        return error_response(&ApiError::path_not_found());
    }
    let target = Target {
        rt,
        namespace: namespace.map(str::to_string),
        name: name.map(str::to_string),
        subresource: subresource.map(|s| if s == "finalize" { "status".to_string() } else { s.to_string() }),
    };
    match resource(shared, call, &target) {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

fn opt(v: Option<Value>) -> Resp {
    match v {
        Some(v) => json_response(200, &v),
        None => error_response(&ApiError::path_not_found()),
    }
}

fn selectors(call: &Call) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(call.param("labelSelector").unwrap_or("")).map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(call.param("fieldSelector").unwrap_or("")).map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn resource(shared: &Shared, call: &Call, t: &Target) -> Result<Resp, ApiError> {
    let opts = lock(&shared.opts).clone();
    let manager = call.manager();
    let ctx = WriteCtx { manager: &manager, dry_run: call.dry_run(), now: Instant::now(), opts: &opts };
    let ns = t.namespace.as_deref().unwrap_or("");
    let sub = t.subresource.as_deref();
    let wants_table = call.accept.contains("as=Table");
    let mut store = lock(&shared.store);
    store.tick(ctx.now, &opts);
    let rt = &t.rt;
    if let (Some("scale"), Some(name)) = (sub, &t.name) {
        return scale(&mut store, call, rt, ns, name, &ctx);
    }
    match (call.method.as_str(), &t.name) {
        ("GET", None) if call.flag("watch") => {
            let (labels, fields) = selectors(call)?;
            drop(store);
            Ok(start_watch(shared, call, t, labels, fields))
        }
        ("GET", None) => {
            let (labels, fields) = selectors(call)?;
            let items = store.list(rt, t.namespace.as_deref(), &labels, &fields);
            let rv = store.resource_version().to_string();
            if wants_table {
                return Ok(json_response(200, &table::table_with(rt, &store.printer_columns(rt), &items, &rv)));
            }
            Ok(json_response(
                200,
                &json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": {"resourceVersion": rv}, "items": items}),
            ))
        }
        ("GET", Some(name)) => {
            let obj = store.get(rt, ns, name)?;
            if wants_table && sub.is_none() {
                let rv = store.resource_version().to_string();
                return Ok(json_response(200, &table::table_with(rt, &store.printer_columns(rt), &[obj], &rv)));
            }
            Ok(json_response(200, &obj))
        }
        ("POST", None) => {
            let body = call.body_json()?;
            Ok(json_response(201, &store.create(rt, ns, body, &ctx)?))
        }
        ("PUT", Some(name)) => {
            let body = call.body_json()?;
            let existed = store.get(rt, ns, name).is_ok();
            let obj = store.replace(rt, ns, name, body, sub, &ctx)?;
            Ok(json_response(if existed { 200 } else { 201 }, &obj))
        }
        ("PATCH", Some(name)) => {
            let kind = patch_kind(&call.content_type)?;
            let body = call.body_json()?;
            let (obj, created) = store.patch(rt, ns, name, &Patch { kind, body: &body, force: call.flag("force"), subresource: sub }, &ctx)?;
            Ok(json_response(if created { 201 } else { 200 }, &obj))
        }
        ("DELETE", Some(name)) => Ok(json_response(200, &store.delete(rt, ns, name, &ctx)?)),
        ("DELETE", None) => {
            let (labels, fields) = selectors(call)?;
            let items = store.list(rt, t.namespace.as_deref(), &labels, &fields);
            let mut deleted = Vec::new();
            for i in items {
                let n = i.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
                let ons = i.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default().to_string();
                deleted.push(store.delete(rt, &ons, &n, &ctx)?);
            }
            Ok(json_response(
                200,
                &json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": {"resourceVersion": store.resource_version().to_string()}, "items": deleted}),
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn patch_kind(content_type: &str) -> Result<PatchKind, ApiError> {
    match content_type.split(';').next().unwrap_or("").trim() {
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
        "application/merge-patch+json" => Ok(PatchKind::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchKind::StrategicMerge),
        "application/json-patch+json" => Ok(PatchKind::Json),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// The `autoscaling/v1` `Scale` view of a workload.
fn scale_of(obj: &Value) -> Value {
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"], "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"], "creationTimestamp": obj["metadata"]["creationTimestamp"]},
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": ""}
    })
}

/// `.../scale`: reads and writes `spec.replicas` through a `Scale` object.
fn scale(store: &mut Store, call: &Call, rt: &ResourceType, ns: &str, name: &str, ctx: &WriteCtx<'_>) -> Result<Resp, ApiError> {
    let current = scale_of(&store.get(rt, ns, name)?);
    let wanted = match call.method.as_str() {
        "GET" => return Ok(json_response(200, &current)),
        "PUT" => call.body_json()?,
        "PATCH" => {
            let body = call.body_json()?;
            let mut s = current.clone();
            match patch_kind(&call.content_type)? {
                PatchKind::Json => {
                    let p: json_patch::Patch = serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                    json_patch::patch(&mut s, &p).map_err(|e| ApiError::injected(422, format!("the JSON patch could not be applied: {e}")))?;
                }
                _ => json_patch::merge(&mut s, &body),
            }
            s
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    let Some(replicas) = wanted.pointer("/spec/replicas").and_then(Value::as_i64) else {
        return Err(ApiError::bad_request("a Scale needs spec.replicas"));
    };
    let (obj, _) = store.patch(
        rt,
        ns,
        name,
        &Patch { kind: PatchKind::Merge, body: &json!({"spec": {"replicas": replicas}}), force: false, subresource: Some("scale") },
        ctx,
    )?;
    Ok(json_response(200, &scale_of(&obj)))
}

fn watch_line(kind: &str, object: &Value) -> Bytes {
    let mut s = json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

/// Whether a watch on `t` sees this event.
fn wanted(t: &Target, labels: &LabelSelector, fields: &FieldSelector, e: &Event) -> bool {
    e.key == t.rt.storage_key() && t.namespace.as_deref().is_none_or(|ns| ns == e.namespace) && labels.matches(&e.object) && fields.matches(&e.object)
}

fn as_version(rt: &ResourceType, obj: &Value) -> Value {
    let mut o = obj.clone();
    o["apiVersion"] = json!(rt.api_version());
    o
}

/// A watch: the initial objects when asked (no resourceVersion, `0`, or
/// `sendInitialEvents`), the logged events after a given resourceVersion,
/// then live events, until `timeoutSeconds`, the client leaves, or the server stops.
fn start_watch(shared: &Shared, call: &Call, t: &Target, labels: LabelSelector, fields: FieldSelector) -> Resp {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let rv_param = call.param("resourceVersion").unwrap_or("");
    let send_initial = call.flag("sendInitialEvents");
    let bookmarks = call.flag("allowWatchBookmarks");
    let timeout = call.param("timeoutSeconds").and_then(|s| s.parse::<u64>().ok()).map(Duration::from_secs).unwrap_or(DEFAULT_WATCH_TIMEOUT);
    let mut first: Vec<Bytes> = Vec::new();
    let (mut live, current) = {
        let store = lock(&shared.store);
        let current = store.resource_version();
        if rv_param.is_empty() || rv_param == "0" || send_initial {
            for o in store.list(&t.rt, t.namespace.as_deref(), &labels, &fields) {
                first.push(watch_line("ADDED", &o));
            }
            if send_initial {
                let mark = json!({"kind": t.rt.kind, "apiVersion": t.rt.api_version(), "metadata": {"resourceVersion": current.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
                first.push(watch_line("BOOKMARK", &mark));
            }
        } else {
            match rv_param.parse::<u64>().ok().and_then(|rv| store.events_since(rv)) {
                Some(events) => {
                    first.extend(events.iter().filter(|e| wanted(t, &labels, &fields, e)).map(|e| watch_line(e.kind.as_str(), &as_version(&t.rt, &e.object))))
                }
                None => first.push(watch_line("ERROR", &ApiError::gone(format!("too old resource version: {rv_param} ({current})")).to_status())),
            }
        }
        (store.subscribe(), current)
    };
    let target = Target { rt: t.rt.clone(), namespace: t.namespace.clone(), name: None, subresource: None };
    let mut stopping = shared.stopping.clone();
    tokio::spawn(async move {
        for line in first {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut last_rv = current;
        loop {
            tokio::select! {
                ev = live.recv() => match ev {
                    Ok(e) => {
                        last_rv = e.rv;
                        if wanted(&target, &labels, &fields, &e) && tx.send(watch_line(e.kind.as_str(), &as_version(&target.rt, &e.object))).await.is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                _ = tokio::time::sleep(Duration::from_secs(10)), if bookmarks => {
                    let mark = json!({"kind": target.rt.kind, "apiVersion": target.rt.api_version(), "metadata": {"resourceVersion": last_rv.to_string()}});
                    if tx.send(watch_line("BOOKMARK", &mark)).await.is_err() {
                        return;
                    }
                }
                _ = &mut deadline => return,
                _ = stopping.changed() => return,
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(ResponseBody::Stream(rx))
        .unwrap_or_else(|_| json_response(500, &Value::Null))
}
