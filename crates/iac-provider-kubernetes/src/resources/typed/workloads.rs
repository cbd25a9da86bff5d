//! The typed workload and networking kinds with the upstream provider's
//! schemas, for the subset configurations commonly use: Deployment (its
//! selector, strategy and pod template: containers with their ports, env,
//! env_from, resources, probes, lifecycle hooks (post_start, pre_stop:
//! exec, http_get, tcp_socket), volume mounts and security context, and the
//! pod's volumes (ConfigMap, Secret, emptyDir, claim, hostPath), affinity,
//! tolerations, topology spread constraints and security context (see
//! [`super::scheduling`], [`super::security`]); `wait_for_rollout`), Service (ports, selector,
//! type; `wait_for_load_balancer`, `status`) and Ingress (rules, backends,
//! TLS, `ingress_class_name`; `status`).
//!
//! Each model's `body` and `read_body` are inverses on the fields it sets:
//! refresh hands `read_body` the applied object itself while nothing iac
//! owns moved, so anything they disagree on would show as a change.
//! Attributes upstream computes (a Service's cluster IP) are read from the
//! live object when the configuration leaves them out.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use serde_json::{json, Map, Value as Json};

use super::data::{LoadBalancerIngress, LoadBalancerStatus};
use super::kinds::{read_refs, read_selector, refs, selector_json, wait_until, LabelSelector, SecretRef};
use super::scheduling::{self, Affinity, Toleration, TopologySpreadConstraint};
use super::security::{self, PodSecurityContext, SecurityContext};
use super::*;
use crate::error::{KubeError, Result};
use crate::object::ObjectId;
use crate::Context;

/// An IntOrString field (`targetPort`, `maxSurge`): digits are a number.
fn int_or_string(s: &Option<String>) -> Json {
    match non_empty(s) {
        Some(t) => t.parse::<i64>().map(Json::from).unwrap_or_else(|_| json!(t)),
        None => Json::Null,
    }
}

/// An IntOrString field as the text the schema holds.
fn int_or_string_text(j: &Json) -> Option<String> {
    j.as_str().map(str::to_string).or_else(|| j.as_i64().map(|n| n.to_string()))
}

// ------------------------------------------------------------- containers

/// A `config_map_key_ref` or `secret_key_ref` block.
#[derive(Model, Debug, Clone, Default)]
pub struct KeyRef {
    #[sdk(optional)]
    pub key: Option<String>,
    #[sdk(optional)]
    pub name: Option<String>,
    /// whether the ConfigMap or Secret (or its key) may be missing
    #[sdk(optional)]
    pub optional: Option<bool>,
}

/// A `field_ref` block.
#[derive(Model, Debug, Clone, Default)]
pub struct FieldRef {
    /// default "v1"
    #[sdk(optional, default = "v1")]
    pub api_version: Option<String>,
    /// e.g. metadata.namespace, status.podIP
    #[sdk(optional)]
    pub field_path: Option<String>,
}

/// An env `value_from` block.
#[derive(Model, Debug, Clone, Default)]
pub struct EnvSource {
    #[sdk(block, max_items = 1)]
    pub config_map_key_ref: Vec<KeyRef>,
    #[sdk(block, max_items = 1)]
    pub field_ref: Vec<FieldRef>,
    #[sdk(block, max_items = 1)]
    pub secret_key_ref: Vec<KeyRef>,
}

/// An `env` block.
#[derive(Model, Debug, Clone, Default)]
pub struct EnvVar {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub value: Option<String>,
    #[sdk(block, max_items = 1)]
    pub value_from: Vec<EnvSource>,
}

/// A `config_map_ref` or `secret_ref` block of `env_from`.
#[derive(Model, Debug, Clone, Default)]
pub struct SourceRef {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub optional: Option<bool>,
}

/// An `env_from` block.
#[derive(Model, Debug, Clone, Default)]
pub struct EnvFrom {
    #[sdk(block, max_items = 1)]
    pub config_map_ref: Vec<SourceRef>,
    /// prepended to every variable name
    #[sdk(optional)]
    pub prefix: Option<String>,
    #[sdk(block, max_items = 1)]
    pub secret_ref: Vec<SourceRef>,
}

/// A container `port` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ContainerPort {
    #[sdk(required)]
    pub container_port: i64,
    #[sdk(optional)]
    pub host_ip: Option<String>,
    #[sdk(optional)]
    pub host_port: Option<i64>,
    #[sdk(optional)]
    pub name: Option<String>,
    /// TCP (default), UDP or SCTP
    #[sdk(optional, default = "TCP")]
    pub protocol: Option<String>,
}

/// A container's `resources` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Resources {
    /// e.g. { cpu = "500m", memory = "512Mi" }
    #[sdk(optional)]
    pub limits: BTreeMap<String, String>,
    #[sdk(optional)]
    pub requests: BTreeMap<String, String>,
}

/// A probe's `exec` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ExecAction {
    #[sdk(optional)]
    pub command: Vec<String>,
}

/// An `http_header` block.
#[derive(Model, Debug, Clone, Default)]
pub struct HttpHeader {
    #[sdk(optional)]
    pub name: Option<String>,
    #[sdk(optional)]
    pub value: Option<String>,
}

/// A probe's `http_get` block.
#[derive(Model, Debug, Clone, Default)]
pub struct HttpGet {
    #[sdk(optional)]
    pub host: Option<String>,
    #[sdk(block)]
    pub http_header: Vec<HttpHeader>,
    #[sdk(optional)]
    pub path: Option<String>,
    /// a number or a port name
    #[sdk(optional)]
    pub port: Option<String>,
    /// HTTP (default) or HTTPS
    #[sdk(optional, default = "HTTP")]
    pub scheme: Option<String>,
}

/// A probe's `tcp_socket` block.
#[derive(Model, Debug, Clone, Default)]
pub struct TcpSocket {
    /// a number or a port name
    #[sdk(required)]
    pub port: String,
}

/// A `liveness_probe`, `readiness_probe` or `startup_probe` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Probe {
    #[sdk(block, max_items = 1)]
    pub exec: Vec<ExecAction>,
    /// default 3
    #[sdk(optional, default = 3i64)]
    pub failure_threshold: Option<i64>,
    #[sdk(block, max_items = 1)]
    pub http_get: Vec<HttpGet>,
    #[sdk(optional)]
    pub initial_delay_seconds: Option<i64>,
    /// default 10
    #[sdk(optional, default = 10i64)]
    pub period_seconds: Option<i64>,
    /// default 1
    #[sdk(optional, default = 1i64)]
    pub success_threshold: Option<i64>,
    #[sdk(block, max_items = 1)]
    pub tcp_socket: Vec<TcpSocket>,
    /// default 1
    #[sdk(optional, default = 1i64)]
    pub timeout_seconds: Option<i64>,
}

/// A `post_start` or `pre_stop` block of a container's `lifecycle`: one
/// of a command, an HTTP request or a TCP connection.
#[derive(Model, Debug, Clone, Default)]
pub struct LifecycleHandler {
    #[sdk(block, max_items = 1)]
    pub exec: Vec<ExecAction>,
    #[sdk(block, max_items = 1)]
    pub http_get: Vec<HttpGet>,
    #[sdk(block)]
    pub tcp_socket: Vec<TcpSocket>,
}

/// A container's `lifecycle` block: what runs after it starts and before it stops.
#[derive(Model, Debug, Clone, Default)]
pub struct Lifecycle {
    #[sdk(block)]
    pub post_start: Vec<LifecycleHandler>,
    #[sdk(block)]
    pub pre_stop: Vec<LifecycleHandler>,
}

/// A `volume_mount` block.
#[derive(Model, Debug, Clone, Default)]
pub struct VolumeMount {
    #[sdk(required)]
    pub mount_path: String,
    /// None (default), HostToContainer or Bidirectional
    #[sdk(optional, default = "None")]
    pub mount_propagation: Option<String>,
    /// the volume's name
    #[sdk(required)]
    pub name: String,
    /// default false
    #[sdk(optional, default = false)]
    pub read_only: Option<bool>,
    #[sdk(optional)]
    pub sub_path: Option<String>,
}

/// A `container` or `init_container` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Container {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub image: Option<String>,
    /// the entrypoint (default: the image's)
    #[sdk(optional)]
    pub command: Vec<String>,
    #[sdk(optional)]
    pub args: Vec<String>,
    #[sdk(block)]
    pub env: Vec<EnvVar>,
    #[sdk(block)]
    pub env_from: Vec<EnvFrom>,
    /// Always, Never or IfNotPresent
    #[sdk(optional, computed)]
    pub image_pull_policy: Option<String>,
    #[sdk(block, max_items = 1)]
    pub lifecycle: Vec<Lifecycle>,
    #[sdk(block, max_items = 1)]
    pub liveness_probe: Vec<Probe>,
    #[sdk(block)]
    pub port: Vec<ContainerPort>,
    #[sdk(block, max_items = 1)]
    pub readiness_probe: Vec<Probe>,
    #[sdk(block, max_items = 1)]
    pub resources: Vec<Resources>,
    #[sdk(block, max_items = 1)]
    pub security_context: Vec<SecurityContext>,
    #[sdk(block, max_items = 1)]
    pub startup_probe: Vec<Probe>,
    #[sdk(block)]
    pub volume_mount: Vec<VolumeMount>,
    #[sdk(optional)]
    pub working_dir: Option<String>,
}

/// The action fields probes and lifecycle handlers share: `exec`,
/// `httpGet` and `tcpSocket`.
fn action_json(exec: &[ExecAction], http_get: &[HttpGet], tcp_socket: &[TcpSocket]) -> [(&'static str, Json); 3] {
    let http = http_get.first().map(|h| {
        let headers: Vec<Json> = h.http_header.iter().map(|x| object([("name", json!(x.name)), ("value", json!(x.value))])).collect();
        object([
            ("host", json!(non_empty(&h.host))),
            ("httpHeaders", Json::Array(headers)),
            ("path", json!(h.path)),
            ("port", int_or_string(&h.port)),
            ("scheme", json!(non_empty(&h.scheme).unwrap_or("HTTP"))),
        ])
    });
    [
        ("exec", exec.first().map(|e| object([("command", json!(e.command))])).unwrap_or(Json::Null)),
        ("httpGet", http.unwrap_or(Json::Null)),
        ("tcpSocket", tcp_socket.first().map(|t| object([("port", int_or_string(&Some(t.port.clone())))])).unwrap_or(Json::Null)),
    ]
}

/// The action fields read back (see [`action_json`]).
fn read_action(j: &Json) -> (Vec<ExecAction>, Vec<HttpGet>, Vec<TcpSocket>) {
    let h = &j["httpGet"];
    let http_get = if h.is_object() {
        let http_header = h["httpHeaders"].as_array().into_iter().flatten().map(|x| HttpHeader { name: text(&x["name"]), value: text(&x["value"]) }).collect();
        vec![HttpGet { host: text(&h["host"]), http_header, path: text(&h["path"]), port: int_or_string_text(&h["port"]), scheme: text(&h["scheme"]) }]
    } else {
        Vec::new()
    };
    let exec = if j["exec"].is_object() { vec![ExecAction { command: read_strings(&j["exec"]["command"]) }] } else { Vec::new() };
    let tcp_socket =
        if j["tcpSocket"].is_object() { vec![TcpSocket { port: int_or_string_text(&j["tcpSocket"]["port"]).unwrap_or_default() }] } else { Vec::new() };
    (exec, http_get, tcp_socket)
}

fn probe_json(p: &Probe) -> Json {
    let [exec, http_get, tcp_socket] = action_json(&p.exec, &p.http_get, &p.tcp_socket);
    object([
        exec,
        ("failureThreshold", json!(p.failure_threshold.unwrap_or(3))),
        http_get,
        ("initialDelaySeconds", json!(p.initial_delay_seconds)),
        ("periodSeconds", json!(p.period_seconds.unwrap_or(10))),
        ("successThreshold", json!(p.success_threshold.unwrap_or(1))),
        tcp_socket,
        ("timeoutSeconds", json!(p.timeout_seconds.unwrap_or(1))),
    ])
}

fn lifecycle_json(l: &Lifecycle) -> Json {
    let handler = |h: Option<&LifecycleHandler>| h.map(|h| object(action_json(&h.exec, &h.http_get, &h.tcp_socket))).unwrap_or(Json::Null);
    object([("postStart", handler(l.post_start.first())), ("preStop", handler(l.pre_stop.first()))])
}

fn read_lifecycle(j: &Json) -> Vec<Lifecycle> {
    if !j.is_object() {
        return Vec::new();
    }
    let handler = |h: &Json| -> Vec<LifecycleHandler> {
        if !h.is_object() {
            return Vec::new();
        }
        let (exec, http_get, tcp_socket) = read_action(h);
        vec![LifecycleHandler { exec, http_get, tcp_socket }]
    };
    vec![Lifecycle { post_start: handler(&j["postStart"]), pre_stop: handler(&j["preStop"]) }]
}

fn read_probe(j: &Json) -> Vec<Probe> {
    if !j.is_object() {
        return Vec::new();
    }
    let (exec, http_get, tcp_socket) = read_action(j);
    vec![Probe {
        exec,
        failure_threshold: j["failureThreshold"].as_i64(),
        http_get,
        initial_delay_seconds: j["initialDelaySeconds"].as_i64(),
        period_seconds: j["periodSeconds"].as_i64(),
        success_threshold: j["successThreshold"].as_i64(),
        tcp_socket,
        timeout_seconds: j["timeoutSeconds"].as_i64(),
    }]
}

fn key_ref_json(r: &KeyRef) -> Json {
    object([("key", json!(r.key)), ("name", json!(r.name)), ("optional", json!(r.optional))])
}

fn read_key_ref(j: &Json) -> Vec<KeyRef> {
    if !j.is_object() {
        return Vec::new();
    }
    vec![KeyRef { key: text(&j["key"]), name: text(&j["name"]), optional: j["optional"].as_bool() }]
}

fn env_json(e: &EnvVar) -> Json {
    let from = e.value_from.first().map(|f| {
        object([
            ("configMapKeyRef", f.config_map_key_ref.first().map(key_ref_json).unwrap_or(Json::Null)),
            (
                "fieldRef",
                f.field_ref
                    .first()
                    .map(|r| object([("apiVersion", json!(non_empty(&r.api_version).unwrap_or("v1"))), ("fieldPath", json!(r.field_path))]))
                    .unwrap_or(Json::Null),
            ),
            ("secretKeyRef", f.secret_key_ref.first().map(key_ref_json).unwrap_or(Json::Null)),
        ])
    });
    object([("name", json!(e.name)), ("value", json!(e.value)), ("valueFrom", from.unwrap_or(Json::Null))])
}

fn read_env(j: &Json) -> EnvVar {
    let f = &j["valueFrom"];
    let value_from = if f.is_object() {
        vec![EnvSource {
            config_map_key_ref: read_key_ref(&f["configMapKeyRef"]),
            field_ref: if f["fieldRef"].is_object() {
                vec![FieldRef { api_version: text(&f["fieldRef"]["apiVersion"]), field_path: text(&f["fieldRef"]["fieldPath"]) }]
            } else {
                Vec::new()
            },
            secret_key_ref: read_key_ref(&f["secretKeyRef"]),
        }]
    } else {
        Vec::new()
    };
    EnvVar { name: j["name"].as_str().unwrap_or_default().to_string(), value: text(&j["value"]), value_from }
}

fn source_ref_json(r: &SourceRef) -> Json {
    object([("name", json!(r.name)), ("optional", json!(r.optional))])
}

fn read_source_ref(j: &Json) -> Vec<SourceRef> {
    if !j.is_object() {
        return Vec::new();
    }
    vec![SourceRef { name: j["name"].as_str().unwrap_or_default().to_string(), optional: j["optional"].as_bool() }]
}

fn container_json(c: &Container) -> Result<Json> {
    let ports: Vec<Json> = c
        .port
        .iter()
        .map(|p| {
            object([
                ("containerPort", json!(p.container_port)),
                ("hostIP", json!(p.host_ip)),
                ("hostPort", json!(p.host_port)),
                ("name", json!(p.name)),
                ("protocol", json!(non_empty(&p.protocol).unwrap_or("TCP"))),
            ])
        })
        .collect();
    let env_from: Vec<Json> = c
        .env_from
        .iter()
        .map(|e| {
            object([
                ("configMapRef", e.config_map_ref.first().map(source_ref_json).unwrap_or(Json::Null)),
                ("prefix", json!(e.prefix)),
                ("secretRef", e.secret_ref.first().map(source_ref_json).unwrap_or(Json::Null)),
            ])
        })
        .collect();
    let resources = c.resources.first().map(|r| object([("limits", string_map(&r.limits)), ("requests", string_map(&r.requests))])).unwrap_or(Json::Null);
    let mounts: Vec<Json> = c
        .volume_mount
        .iter()
        .map(|m| {
            object([
                ("mountPath", json!(m.mount_path)),
                ("mountPropagation", json!(non_empty(&m.mount_propagation).unwrap_or("None"))),
                ("name", json!(m.name)),
                ("readOnly", json!(m.read_only.unwrap_or(false))),
                ("subPath", json!(non_empty(&m.sub_path))),
            ])
        })
        .collect();
    let security = match c.security_context.first() {
        Some(sc) => security::container_security_json(sc)?,
        None => Json::Null,
    };
    Ok(object([
        ("name", json!(c.name)),
        ("image", json!(c.image)),
        ("command", json!(c.command)),
        ("args", json!(c.args)),
        ("env", Json::Array(c.env.iter().map(env_json).collect())),
        ("envFrom", Json::Array(env_from)),
        ("imagePullPolicy", json!(non_empty(&c.image_pull_policy))),
        ("lifecycle", c.lifecycle.first().map(lifecycle_json).unwrap_or(Json::Null)),
        ("livenessProbe", c.liveness_probe.first().map(probe_json).unwrap_or(Json::Null)),
        ("ports", Json::Array(ports)),
        ("readinessProbe", c.readiness_probe.first().map(probe_json).unwrap_or(Json::Null)),
        ("resources", resources),
        ("securityContext", security),
        ("startupProbe", c.startup_probe.first().map(probe_json).unwrap_or(Json::Null)),
        ("volumeMounts", Json::Array(mounts)),
        ("workingDir", json!(c.working_dir)),
    ]))
}

fn read_container(j: &Json) -> Container {
    let port = j["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| ContainerPort {
            container_port: p["containerPort"].as_i64().unwrap_or_default(),
            host_ip: text(&p["hostIP"]),
            host_port: p["hostPort"].as_i64(),
            name: text(&p["name"]),
            protocol: text(&p["protocol"]),
        })
        .collect();
    let env_from = j["envFrom"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| EnvFrom { config_map_ref: read_source_ref(&e["configMapRef"]), prefix: text(&e["prefix"]), secret_ref: read_source_ref(&e["secretRef"]) })
        .collect();
    let r = &j["resources"];
    let resources = if r.is_object() { vec![Resources { limits: read_map(&r["limits"]), requests: read_map(&r["requests"]) }] } else { Vec::new() };
    Container {
        name: j["name"].as_str().unwrap_or_default().to_string(),
        image: text(&j["image"]),
        command: read_strings(&j["command"]),
        args: read_strings(&j["args"]),
        env: j["env"].as_array().into_iter().flatten().map(read_env).collect(),
        env_from,
        image_pull_policy: text(&j["imagePullPolicy"]),
        lifecycle: read_lifecycle(&j["lifecycle"]),
        liveness_probe: read_probe(&j["livenessProbe"]),
        port,
        readiness_probe: read_probe(&j["readinessProbe"]),
        resources,
        security_context: security::read_container_security(&j["securityContext"]),
        startup_probe: read_probe(&j["startupProbe"]),
        volume_mount: j["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| VolumeMount {
                mount_path: m["mountPath"].as_str().unwrap_or_default().to_string(),
                mount_propagation: text(&m["mountPropagation"]),
                name: m["name"].as_str().unwrap_or_default().to_string(),
                read_only: m["readOnly"].as_bool(),
                sub_path: text(&m["subPath"]),
            })
            .collect(),
        working_dir: text(&j["workingDir"]),
    }
}

// ---------------------------------------------------------------- pod spec

/// The pod template's `metadata` block.
#[derive(Model, Debug, Clone, Default)]
pub struct TemplateMetadata {
    #[sdk(optional)]
    pub annotations: BTreeMap<String, String>,
    /// the pods' labels (the deployment's selector must match them)
    #[sdk(optional)]
    pub labels: BTreeMap<String, String>,
    #[sdk(optional)]
    pub name: Option<String>,
}

/// An `items` block of a ConfigMap or Secret volume.
#[derive(Model, Debug, Clone, Default)]
pub struct KeyToPath {
    #[sdk(optional)]
    pub key: Option<String>,
    /// file mode bits in octal, e.g. "0400"
    #[sdk(optional)]
    pub mode: Option<String>,
    #[sdk(optional)]
    pub path: Option<String>,
}

/// A volume's `config_map` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigMapVolume {
    /// file mode bits in octal (default "0644")
    #[sdk(optional, default = "0644")]
    pub default_mode: Option<String>,
    #[sdk(block)]
    pub items: Vec<KeyToPath>,
    #[sdk(optional)]
    pub name: Option<String>,
    #[sdk(optional)]
    pub optional: Option<bool>,
}

/// A volume's `secret` block.
#[derive(Model, Debug, Clone, Default)]
pub struct SecretVolume {
    /// file mode bits in octal (default "0644")
    #[sdk(optional, default = "0644")]
    pub default_mode: Option<String>,
    #[sdk(block)]
    pub items: Vec<KeyToPath>,
    #[sdk(optional)]
    pub optional: Option<bool>,
    #[sdk(optional)]
    pub secret_name: Option<String>,
}

/// A volume's `empty_dir` block.
#[derive(Model, Debug, Clone, Default)]
pub struct EmptyDir {
    /// "" (default: the node's disk) or Memory
    #[sdk(optional, default = "")]
    pub medium: Option<String>,
    #[sdk(optional)]
    pub size_limit: Option<String>,
}

/// A volume's `persistent_volume_claim` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ClaimVolume {
    #[sdk(optional)]
    pub claim_name: Option<String>,
    /// default false
    #[sdk(optional, default = false)]
    pub read_only: Option<bool>,
}

/// A volume's `host_path` block.
#[derive(Model, Debug, Clone, Default)]
pub struct HostPathVolume {
    /// the node's file or directory
    #[sdk(optional)]
    pub path: Option<String>,
    /// "" (default: no check), DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice
    #[sdk(optional, name = "type", default = "")]
    pub kind: Option<String>,
}

/// A `volume` block of a pod spec.
#[derive(Model, Debug, Clone, Default)]
pub struct Volume {
    #[sdk(block, max_items = 1)]
    pub config_map: Vec<ConfigMapVolume>,
    #[sdk(block, max_items = 1)]
    pub empty_dir: Vec<EmptyDir>,
    #[sdk(block, max_items = 1)]
    pub host_path: Vec<HostPathVolume>,
    #[sdk(optional)]
    pub name: Option<String>,
    #[sdk(block, max_items = 1)]
    pub persistent_volume_claim: Vec<ClaimVolume>,
    #[sdk(block, max_items = 1)]
    pub secret: Vec<SecretVolume>,
}

/// Octal mode bits ("0644") as the API's number.
fn mode_json(s: &Option<String>) -> Result<Json> {
    match non_empty(s) {
        Some(m) => i64::from_str_radix(m, 8).map(Json::from).map_err(|_| KubeError::Config(format!("{m:?} is not a file mode in octal (e.g. \"0644\")"))),
        None => Ok(Json::Null),
    }
}

/// The API's mode number as the octal text the schema holds.
fn read_mode(j: &Json) -> Option<String> {
    j.as_i64().map(|n| format!("0{n:o}"))
}

fn items_json(items: &[KeyToPath]) -> Result<Json> {
    let out: Result<Vec<Json>> = items.iter().map(|i| Ok(object([("key", json!(i.key)), ("mode", mode_json(&i.mode)?), ("path", json!(i.path))]))).collect();
    Ok(Json::Array(out?))
}

fn read_items(j: &Json) -> Vec<KeyToPath> {
    j.as_array().into_iter().flatten().map(|i| KeyToPath { key: text(&i["key"]), mode: read_mode(&i["mode"]), path: text(&i["path"]) }).collect()
}

fn volume_json(v: &Volume) -> Result<Json> {
    let config_map = match v.config_map.first() {
        Some(c) => {
            object([("defaultMode", mode_json(&c.default_mode)?), ("items", items_json(&c.items)?), ("name", json!(c.name)), ("optional", json!(c.optional))])
        }
        None => Json::Null,
    };
    let secret = match v.secret.first() {
        Some(c) => object([
            ("defaultMode", mode_json(&c.default_mode)?),
            ("items", items_json(&c.items)?),
            ("optional", json!(c.optional)),
            ("secretName", json!(c.secret_name)),
        ]),
        None => Json::Null,
    };
    // An emptyDir of defaults is still one: `{}` must not be dropped.
    let empty_dir = v.empty_dir.first().map(|e| {
        let mut m = Map::from_iter([("medium".to_string(), json!(e.medium.clone().unwrap_or_default()))]);
        if let Some(limit) = non_empty(&e.size_limit) {
            m.insert("sizeLimit".into(), json!(limit));
        }
        Json::Object(m)
    });
    let claim = v.persistent_volume_claim.first().map(|c| object([("claimName", json!(c.claim_name)), ("readOnly", json!(c.read_only.unwrap_or(false)))]));
    let host_path = v.host_path.first().map(|h| object([("path", json!(h.path)), ("type", json!(h.kind.clone().unwrap_or_default()))]));
    Ok(object([
        ("configMap", config_map),
        ("emptyDir", empty_dir.unwrap_or(Json::Null)),
        ("hostPath", host_path.unwrap_or(Json::Null)),
        ("name", json!(v.name)),
        ("persistentVolumeClaim", claim.unwrap_or(Json::Null)),
        ("secret", secret),
    ]))
}

fn read_volume(j: &Json) -> Volume {
    let c = &j["configMap"];
    let config_map = if c.is_object() {
        vec![ConfigMapVolume {
            default_mode: read_mode(&c["defaultMode"]),
            items: read_items(&c["items"]),
            name: text(&c["name"]),
            optional: c["optional"].as_bool(),
        }]
    } else {
        Vec::new()
    };
    let s = &j["secret"];
    let secret = if s.is_object() {
        vec![SecretVolume {
            default_mode: read_mode(&s["defaultMode"]),
            items: read_items(&s["items"]),
            optional: s["optional"].as_bool(),
            secret_name: text(&s["secretName"]),
        }]
    } else {
        Vec::new()
    };
    let e = &j["emptyDir"];
    let empty_dir = if e.is_object() { vec![EmptyDir { medium: text(&e["medium"]), size_limit: text(&e["sizeLimit"]) }] } else { Vec::new() };
    let p = &j["persistentVolumeClaim"];
    let persistent_volume_claim =
        if p.is_object() { vec![ClaimVolume { claim_name: text(&p["claimName"]), read_only: p["readOnly"].as_bool() }] } else { Vec::new() };
    let h = &j["hostPath"];
    let host_path = if h.is_object() { vec![HostPathVolume { path: text(&h["path"]), kind: text(&h["type"]) }] } else { Vec::new() };
    Volume { config_map, empty_dir, host_path, name: text(&j["name"]), persistent_volume_claim, secret }
}

/// A pod `spec` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PodSpec {
    /// node affinity, pod affinity and pod anti-affinity
    #[sdk(block, max_items = 1)]
    pub affinity: Vec<Affinity>,
    /// default true
    #[sdk(optional, default = true)]
    pub automount_service_account_token: Option<bool>,
    #[sdk(block)]
    pub container: Vec<Container>,
    /// default ClusterFirst
    #[sdk(optional, default = "ClusterFirst")]
    pub dns_policy: Option<String>,
    /// default true
    #[sdk(optional, default = true)]
    pub enable_service_links: Option<bool>,
    #[sdk(block)]
    pub image_pull_secrets: Vec<SecretRef>,
    #[sdk(block)]
    pub init_container: Vec<Container>,
    #[sdk(optional)]
    pub node_selector: BTreeMap<String, String>,
    #[sdk(optional)]
    pub priority_class_name: Option<String>,
    /// default Always
    #[sdk(optional, default = "Always")]
    pub restart_policy: Option<String>,
    /// the pod's user and group ids, seccomp and SELinux options, sysctls
    #[sdk(block, max_items = 1)]
    pub security_context: Vec<PodSecurityContext>,
    #[sdk(optional, computed)]
    pub service_account_name: Option<String>,
    /// default 30
    #[sdk(optional, default = 30i64)]
    pub termination_grace_period_seconds: Option<i64>,
    /// taints the pod tolerates
    #[sdk(block)]
    pub toleration: Vec<Toleration>,
    /// how the pods spread across zones, nodes or other topology domains
    #[sdk(block)]
    pub topology_spread_constraint: Vec<TopologySpreadConstraint>,
    #[sdk(block)]
    pub volume: Vec<Volume>,
}

fn pod_spec_json(p: &PodSpec) -> Result<Json> {
    let volumes: Result<Vec<Json>> = p.volume.iter().map(volume_json).collect();
    let containers = |cs: &[Container]| cs.iter().map(container_json).collect::<Result<Vec<Json>>>().map(Json::Array);
    let security = match p.security_context.first() {
        Some(sc) => security::pod_security_json(sc)?,
        None => Json::Null,
    };
    Ok(object([
        ("affinity", p.affinity.first().map(scheduling::affinity_json).unwrap_or(Json::Null)),
        ("automountServiceAccountToken", json!(p.automount_service_account_token.unwrap_or(true))),
        ("containers", containers(&p.container)?),
        ("dnsPolicy", json!(non_empty(&p.dns_policy).unwrap_or("ClusterFirst"))),
        ("enableServiceLinks", json!(p.enable_service_links.unwrap_or(true))),
        ("imagePullSecrets", refs(&p.image_pull_secrets)),
        ("initContainers", containers(&p.init_container)?),
        ("nodeSelector", string_map(&p.node_selector)),
        ("priorityClassName", json!(non_empty(&p.priority_class_name))),
        ("restartPolicy", json!(non_empty(&p.restart_policy).unwrap_or("Always"))),
        ("securityContext", security),
        ("serviceAccountName", json!(non_empty(&p.service_account_name))),
        ("terminationGracePeriodSeconds", json!(p.termination_grace_period_seconds.unwrap_or(30))),
        ("tolerations", scheduling::tolerations_json(&p.toleration)?),
        ("topologySpreadConstraints", scheduling::spread_json(&p.topology_spread_constraint)),
        ("volumes", Json::Array(volumes?)),
    ]))
}

/// The pod spec from the observed object (`live`'s for what it computes).
fn read_pod_spec(o: &Json, live: &Json) -> PodSpec {
    let containers = |j: &Json| j.as_array().into_iter().flatten().map(read_container).collect();
    PodSpec {
        affinity: scheduling::read_affinity(&o["affinity"]),
        automount_service_account_token: o["automountServiceAccountToken"].as_bool(),
        container: containers(&o["containers"]),
        dns_policy: text(&o["dnsPolicy"]),
        enable_service_links: o["enableServiceLinks"].as_bool(),
        image_pull_secrets: read_refs(&o["imagePullSecrets"]),
        init_container: containers(&o["initContainers"]),
        node_selector: read_map(&o["nodeSelector"]),
        priority_class_name: text(&o["priorityClassName"]),
        restart_policy: text(&o["restartPolicy"]),
        security_context: security::read_pod_security(&o["securityContext"]),
        service_account_name: text(&o["serviceAccountName"]).or_else(|| text(&live["serviceAccountName"])),
        termination_grace_period_seconds: o["terminationGracePeriodSeconds"].as_i64(),
        toleration: scheduling::read_tolerations(&o["tolerations"]),
        topology_spread_constraint: scheduling::read_spread(&o["topologySpreadConstraints"]),
        volume: o["volumes"].as_array().into_iter().flatten().map(read_volume).collect(),
    }
}

/// A `template` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PodTemplate {
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<TemplateMetadata>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub spec: Vec<PodSpec>,
}

// -------------------------------------------------------------- Deployment

/// A `rolling_update` block.
#[derive(Model, Debug, Clone, Default)]
pub struct RollingUpdate {
    /// pods above the desired count during an update: a number or a percentage (default 25%)
    #[sdk(optional, default = "25%")]
    pub max_surge: Option<String>,
    /// pods that may be unavailable during an update (default 25%)
    #[sdk(optional, default = "25%")]
    pub max_unavailable: Option<String>,
}

/// A `strategy` block.
#[derive(Model, Debug, Clone, Default)]
pub struct DeploymentStrategy {
    /// RollingUpdate (default) or Recreate
    #[sdk(optional, name = "type", default = "RollingUpdate")]
    pub kind: Option<String>,
    #[sdk(block, max_items = 1)]
    pub rolling_update: Vec<RollingUpdate>,
}

/// A deployment's `spec` block.
#[derive(Model, Debug, Clone, Default)]
pub struct DeploymentSpec {
    /// default 0
    #[sdk(optional, default = 0i64)]
    pub min_ready_seconds: Option<i64>,
    /// default false
    #[sdk(optional, default = false)]
    pub paused: Option<bool>,
    /// default 600
    #[sdk(optional, default = 600i64)]
    pub progress_deadline_seconds: Option<i64>,
    /// the number of pods, as a string so that "not set" (left to an autoscaler) differs from "0"
    #[sdk(optional, computed)]
    pub replicas: Option<String>,
    /// default 10
    #[sdk(optional, default = 10i64)]
    pub revision_history_limit: Option<i64>,
    #[sdk(block, max_items = 1, force_new)]
    pub selector: Vec<LabelSelector>,
    #[sdk(block, max_items = 1)]
    pub strategy: Vec<DeploymentStrategy>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub template: Vec<PodTemplate>,
}

/// `kubernetes_deployment(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct DeploymentModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub spec: Vec<DeploymentSpec>,
    /// wait until the rollout has finished (default true)
    #[sdk(optional, local, default = true)]
    pub wait_for_rollout: Option<bool>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

impl TypedKind for DeploymentModel {
    kind_common!(Metadata, timeouts);
    const TYPE: &'static str = "kubernetes_deployment";
    const TYPE_V1: &'static str = "kubernetes_deployment_v1";
    const API_VERSION: &'static str = "apps/v1";
    const KIND: &'static str = "Deployment";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let s = first(&self.spec, "spec")?;
        let t = first(&s.template, "spec.template")?;
        let tm = t.metadata.first().cloned().unwrap_or_default();
        let pod = first(&t.spec, "spec.template.spec")?;
        let strategy = s.strategy.first().map(|st| {
            let rolling =
                st.rolling_update.first().map(|r| object([("maxSurge", int_or_string(&r.max_surge)), ("maxUnavailable", int_or_string(&r.max_unavailable))]));
            object([("type", json!(non_empty(&st.kind).unwrap_or("RollingUpdate"))), ("rollingUpdate", rolling.unwrap_or(Json::Null))])
        });
        let replicas = match non_empty(&s.replicas) {
            Some(r) => Json::from(r.parse::<i64>().map_err(|_| KubeError::Config(format!("spec.replicas: {r:?} is not a whole number")))?),
            None => Json::Null,
        };
        let spec = object([
            ("minReadySeconds", json!(s.min_ready_seconds.unwrap_or(0))),
            ("paused", json!(s.paused.unwrap_or(false))),
            ("progressDeadlineSeconds", json!(s.progress_deadline_seconds.unwrap_or(600))),
            ("replicas", replicas),
            ("revisionHistoryLimit", json!(s.revision_history_limit.unwrap_or(10))),
            ("selector", s.selector.first().map(selector_json).unwrap_or(Json::Null)),
            ("strategy", strategy.unwrap_or(Json::Null)),
            (
                "template",
                object([
                    (
                        "metadata",
                        object([("annotations", string_map(&tm.annotations)), ("labels", string_map(&tm.labels)), ("name", json!(non_empty(&tm.name)))]),
                    ),
                    ("spec", pod_spec_json(pod)?),
                ]),
            ),
        ]);
        Ok(Map::from_iter([("spec".to_string(), spec)]))
    }

    fn read_body(&mut self, o: &Json, live: &Json) {
        let s = &o["spec"];
        let t = &s["template"];
        let strategy = s["strategy"]
            .as_object()
            .map(|st| {
                let r = &st.get("rollingUpdate").cloned().unwrap_or(Json::Null);
                let rolling_update = if r.is_object() {
                    vec![RollingUpdate { max_surge: int_or_string_text(&r["maxSurge"]), max_unavailable: int_or_string_text(&r["maxUnavailable"]) }]
                } else {
                    Vec::new()
                };
                vec![DeploymentStrategy { kind: st.get("type").and_then(Json::as_str).map(str::to_string), rolling_update }]
            })
            .unwrap_or_default();
        let tm = &t["metadata"];
        self.spec = vec![DeploymentSpec {
            min_ready_seconds: s["minReadySeconds"].as_i64(),
            paused: s["paused"].as_bool(),
            progress_deadline_seconds: s["progressDeadlineSeconds"].as_i64(),
            // Only as set here: a count left to an autoscaler is its own
            // (iac judges drift on the fields it owns).
            replicas: s["replicas"].as_i64().map(|n| n.to_string()),
            revision_history_limit: s["revisionHistoryLimit"].as_i64(),
            selector: if s["selector"].is_object() { vec![read_selector(&s["selector"])] } else { Vec::new() },
            strategy,
            template: vec![PodTemplate {
                metadata: vec![TemplateMetadata { annotations: read_map(&tm["annotations"]), labels: read_map(&tm["labels"]), name: text(&tm["name"]) }],
                spec: vec![read_pod_spec(&t["spec"], &live["spec"]["template"]["spec"])],
            }],
        }];
    }

    fn wait_for(&self) -> WaitFor {
        WaitFor { rollout: self.wait_for_rollout.unwrap_or(true), load_balancer: false, applications: false }
    }
}

// ----------------------------------------------------------------- Service

/// A service `port` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ServicePortConfig {
    #[sdk(optional)]
    pub app_protocol: Option<String>,
    #[sdk(optional)]
    pub name: Option<String>,
    /// for NodePort and LoadBalancer services (default: allocated by the cluster)
    #[sdk(optional, computed)]
    pub node_port: Option<i64>,
    #[sdk(required)]
    pub port: i64,
    /// TCP (default), UDP or SCTP
    #[sdk(optional, default = "TCP")]
    pub protocol: Option<String>,
    /// the pods' port: a number or a port name (default: the same as port)
    #[sdk(optional, computed)]
    pub target_port: Option<String>,
}

/// A service's `spec` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceSpecConfig {
    /// for LoadBalancer services (default true)
    #[sdk(optional, default = true)]
    pub allocate_load_balancer_node_ports: Option<bool>,
    /// "None" for a headless service (default: allocated by the cluster)
    #[sdk(optional, computed, force_new)]
    pub cluster_ip: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub cluster_ips: Vec<String>,
    #[sdk(optional, set)]
    pub external_ips: Vec<String>,
    /// for ExternalName services
    #[sdk(optional)]
    pub external_name: Option<String>,
    /// Cluster or Local
    #[sdk(optional, computed)]
    pub external_traffic_policy: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub health_check_node_port: Option<i64>,
    /// Cluster or Local
    #[sdk(optional, computed)]
    pub internal_traffic_policy: Option<String>,
    #[sdk(optional, computed)]
    pub ip_families: Vec<String>,
    #[sdk(optional, computed)]
    pub ip_family_policy: Option<String>,
    #[sdk(optional, force_new)]
    pub load_balancer_class: Option<String>,
    #[sdk(optional)]
    pub load_balancer_ip: Option<String>,
    #[sdk(optional, set)]
    pub load_balancer_source_ranges: Vec<String>,
    #[sdk(block)]
    pub port: Vec<ServicePortConfig>,
    /// default false
    #[sdk(optional, default = false)]
    pub publish_not_ready_addresses: Option<bool>,
    /// the labels of the pods it routes to
    #[sdk(optional)]
    pub selector: BTreeMap<String, String>,
    /// None (default) or ClientIP
    #[sdk(optional, default = "None")]
    pub session_affinity: Option<String>,
    /// ClusterIP (default), NodePort, LoadBalancer or ExternalName
    #[sdk(optional, name = "type", default = "ClusterIP")]
    pub kind: Option<String>,
}

/// The `status` of a service or an ingress.
#[derive(Model, Debug, Clone, Default)]
pub struct LoadBalancerStatusOf {
    #[sdk(computed)]
    pub load_balancer: Vec<LoadBalancerStatus>,
}

fn read_status(live: &Json) -> Vec<LoadBalancerStatusOf> {
    let ingress = live["status"]["loadBalancer"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| LoadBalancerIngress { ip: text(&i["ip"]), hostname: text(&i["hostname"]) })
        .collect();
    vec![LoadBalancerStatusOf { load_balancer: vec![LoadBalancerStatus { ingress }] }]
}

/// `kubernetes_service(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub spec: Vec<ServiceSpecConfig>,
    /// the load balancer's addresses
    #[sdk(computed)]
    pub status: Vec<LoadBalancerStatusOf>,
    /// for a LoadBalancer service, wait until it has an address (default true)
    #[sdk(optional, local, default = true)]
    pub wait_for_load_balancer: Option<bool>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

impl TypedKind for ServiceModel {
    kind_common!(Metadata, timeouts);
    const TYPE: &'static str = "kubernetes_service";
    const TYPE_V1: &'static str = "kubernetes_service_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "Service";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let s = first(&self.spec, "spec")?;
        let kind = non_empty(&s.kind).unwrap_or("ClusterIP");
        let ports: Vec<Json> = s
            .port
            .iter()
            .map(|p| {
                object([
                    ("appProtocol", json!(p.app_protocol)),
                    ("name", json!(p.name)),
                    ("nodePort", json!(p.node_port)),
                    ("port", json!(p.port)),
                    ("protocol", json!(non_empty(&p.protocol).unwrap_or("TCP"))),
                    ("targetPort", int_or_string(&p.target_port)),
                ])
            })
            .collect();
        // The API refuses allocateLoadBalancerNodePorts on other types.
        let allocate = if kind == "LoadBalancer" { json!(s.allocate_load_balancer_node_ports.unwrap_or(true)) } else { Json::Null };
        let spec = object([
            ("allocateLoadBalancerNodePorts", allocate),
            ("clusterIP", json!(non_empty(&s.cluster_ip))),
            ("clusterIPs", json!(s.cluster_ips)),
            ("externalIPs", json!(s.external_ips)),
            ("externalName", json!(non_empty(&s.external_name))),
            ("externalTrafficPolicy", json!(non_empty(&s.external_traffic_policy))),
            ("healthCheckNodePort", json!(s.health_check_node_port)),
            ("internalTrafficPolicy", json!(non_empty(&s.internal_traffic_policy))),
            ("ipFamilies", json!(s.ip_families)),
            ("ipFamilyPolicy", json!(non_empty(&s.ip_family_policy))),
            ("loadBalancerClass", json!(non_empty(&s.load_balancer_class))),
            ("loadBalancerIP", json!(non_empty(&s.load_balancer_ip))),
            ("loadBalancerSourceRanges", json!(s.load_balancer_source_ranges)),
            ("ports", Json::Array(ports)),
            ("publishNotReadyAddresses", json!(s.publish_not_ready_addresses.unwrap_or(false))),
            ("selector", string_map(&s.selector)),
            ("sessionAffinity", json!(non_empty(&s.session_affinity).unwrap_or("None"))),
            ("type", json!(kind)),
        ]);
        Ok(Map::from_iter([("spec".to_string(), spec)]))
    }

    fn read_body(&mut self, o: &Json, live: &Json) {
        let s = &o["spec"];
        let l = &live["spec"];
        // What the cluster computes, when the configuration leaves it out.
        let or_live = |k: &str| text(&s[k]).or_else(|| text(&l[k]));
        let live_ports = l["ports"].as_array().cloned().unwrap_or_default();
        let port = s["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| {
                let lp =
                    live_ports.iter().find(|x| x["port"] == p["port"] && x["protocol"] == p["protocol"]).or(live_ports.get(i)).cloned().unwrap_or(Json::Null);
                ServicePortConfig {
                    app_protocol: text(&p["appProtocol"]),
                    name: text(&p["name"]),
                    node_port: p["nodePort"].as_i64().or_else(|| lp["nodePort"].as_i64()),
                    port: p["port"].as_i64().unwrap_or_default(),
                    protocol: text(&p["protocol"]),
                    target_port: int_or_string_text(&p["targetPort"]).or_else(|| int_or_string_text(&lp["targetPort"])),
                }
            })
            .collect();
        let strings_or_live = |k: &str| if s[k].is_array() { read_strings(&s[k]) } else { read_strings(&l[k]) };
        let mut external_ips = read_strings(&s["externalIPs"]);
        external_ips.sort();
        let mut ranges = read_strings(&s["loadBalancerSourceRanges"]);
        ranges.sort();
        self.spec = vec![ServiceSpecConfig {
            // Sent only for LoadBalancer services: otherwise the default stands.
            allocate_load_balancer_node_ports: s["allocateLoadBalancerNodePorts"].as_bool().or(Some(true)),
            cluster_ip: or_live("clusterIP"),
            cluster_ips: strings_or_live("clusterIPs"),
            external_ips,
            external_name: text(&s["externalName"]),
            external_traffic_policy: or_live("externalTrafficPolicy"),
            health_check_node_port: s["healthCheckNodePort"].as_i64().or_else(|| l["healthCheckNodePort"].as_i64()),
            internal_traffic_policy: or_live("internalTrafficPolicy"),
            ip_families: strings_or_live("ipFamilies"),
            ip_family_policy: or_live("ipFamilyPolicy"),
            load_balancer_class: text(&s["loadBalancerClass"]),
            load_balancer_ip: text(&s["loadBalancerIP"]),
            load_balancer_source_ranges: ranges,
            port,
            publish_not_ready_addresses: s["publishNotReadyAddresses"].as_bool(),
            selector: read_map(&s["selector"]),
            session_affinity: text(&s["sessionAffinity"]),
            kind: text(&s["type"]),
        }];
        self.status = read_status(live);
    }

    fn wait_for(&self) -> WaitFor {
        WaitFor { rollout: false, load_balancer: self.wait_for_load_balancer.unwrap_or(true), applications: false }
    }
}

// ----------------------------------------------------------------- Ingress

/// A backend's `resource` block: an object of another kind.
#[derive(Model, Debug, Clone, Default)]
pub struct TypedObjectRef {
    #[sdk(required)]
    pub api_group: String,
    #[sdk(required)]
    pub kind: String,
    #[sdk(required)]
    pub name: String,
}

/// A backend service's `port` block: a number or a name.
#[derive(Model, Debug, Clone, Default)]
pub struct BackendPort {
    #[sdk(optional)]
    pub name: Option<String>,
    #[sdk(optional)]
    pub number: Option<i64>,
}

/// A backend's `service` block.
#[derive(Model, Debug, Clone, Default)]
pub struct BackendService {
    #[sdk(required)]
    pub name: String,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub port: Vec<BackendPort>,
}

/// A `backend` or `default_backend` block.
#[derive(Model, Debug, Clone, Default)]
pub struct IngressBackend {
    #[sdk(block, max_items = 1)]
    pub resource: Vec<TypedObjectRef>,
    #[sdk(block, max_items = 1)]
    pub service: Vec<BackendService>,
}

/// An http `path` block.
#[derive(Model, Debug, Clone, Default)]
pub struct HttpPath {
    #[sdk(block, max_items = 1)]
    pub backend: Vec<IngressBackend>,
    #[sdk(optional)]
    pub path: Option<String>,
    /// ImplementationSpecific (default), Prefix or Exact
    #[sdk(optional, default = "ImplementationSpecific")]
    pub path_type: Option<String>,
}

/// A rule's `http` block.
#[derive(Model, Debug, Clone, Default)]
pub struct HttpRule {
    #[sdk(block, min_items = 1)]
    pub path: Vec<HttpPath>,
}

/// A `rule` block.
#[derive(Model, Debug, Clone, Default)]
pub struct IngressRule {
    #[sdk(optional)]
    pub host: Option<String>,
    #[sdk(block, max_items = 1)]
    pub http: Vec<HttpRule>,
}

/// A `tls` block.
#[derive(Model, Debug, Clone, Default)]
pub struct IngressTls {
    #[sdk(optional)]
    pub hosts: Vec<String>,
    #[sdk(optional)]
    pub secret_name: Option<String>,
}

/// An ingress's `spec` block.
#[derive(Model, Debug, Clone, Default)]
pub struct IngressSpec {
    #[sdk(block, max_items = 1)]
    pub default_backend: Vec<IngressBackend>,
    /// the IngressClass (default: the cluster's default class)
    #[sdk(optional, computed)]
    pub ingress_class_name: Option<String>,
    #[sdk(block)]
    pub rule: Vec<IngressRule>,
    #[sdk(block)]
    pub tls: Vec<IngressTls>,
}

fn backend_json(b: &IngressBackend) -> Json {
    let service = b.service.first().map(|s| {
        let port = s.port.first().map(|p| object([("name", json!(non_empty(&p.name))), ("number", json!(p.number))]));
        object([("name", json!(s.name)), ("port", port.unwrap_or(Json::Null))])
    });
    let resource = b.resource.first().map(|r| object([("apiGroup", json!(r.api_group)), ("kind", json!(r.kind)), ("name", json!(r.name))]));
    object([("resource", resource.unwrap_or(Json::Null)), ("service", service.unwrap_or(Json::Null))])
}

fn read_backend(j: &Json) -> Vec<IngressBackend> {
    if !j.is_object() {
        return Vec::new();
    }
    let s = &j["service"];
    let service = if s.is_object() {
        let p = &s["port"];
        let port = if p.is_object() { vec![BackendPort { name: text(&p["name"]), number: p["number"].as_i64() }] } else { Vec::new() };
        vec![BackendService { name: s["name"].as_str().unwrap_or_default().to_string(), port }]
    } else {
        Vec::new()
    };
    let r = &j["resource"];
    let resource = if r.is_object() {
        let f = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        vec![TypedObjectRef { api_group: f("apiGroup"), kind: f("kind"), name: f("name") }]
    } else {
        Vec::new()
    };
    vec![IngressBackend { resource, service }]
}

/// `kubernetes_ingress_v1` (upstream's `kubernetes_ingress` is the
/// networking.k8s.io/v1beta1 kind, which clusters no longer serve).
#[derive(Model, Debug, Clone, Default)]
pub struct IngressModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub spec: Vec<IngressSpec>,
    /// the load balancer's addresses, as the ingress controller reports them
    #[sdk(computed)]
    pub status: Vec<LoadBalancerStatusOf>,
    /// wait until the ingress controller reports an address (default false)
    #[sdk(optional, local)]
    pub wait_for_load_balancer: Option<bool>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

impl TypedKind for IngressModel {
    kind_common!(Metadata, timeouts);
    const TYPE: &'static str = "kubernetes_ingress_v1";
    const TYPE_V1: &'static str = "kubernetes_ingress_v1";
    const API_VERSION: &'static str = "networking.k8s.io/v1";
    const KIND: &'static str = "Ingress";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let s = first(&self.spec, "spec")?;
        let rules: Vec<Json> = s
            .rule
            .iter()
            .map(|r| {
                let http = r.http.first().map(|h| {
                    let paths: Vec<Json> = h
                        .path
                        .iter()
                        .map(|p| {
                            object([
                                ("backend", p.backend.first().map(backend_json).unwrap_or(Json::Null)),
                                ("path", json!(non_empty(&p.path))),
                                ("pathType", json!(non_empty(&p.path_type).unwrap_or("ImplementationSpecific"))),
                            ])
                        })
                        .collect();
                    object([("paths", Json::Array(paths))])
                });
                object([("host", json!(non_empty(&r.host))), ("http", http.unwrap_or(Json::Null))])
            })
            .collect();
        let tls: Vec<Json> = s.tls.iter().map(|t| object([("hosts", json!(t.hosts)), ("secretName", json!(non_empty(&t.secret_name)))])).collect();
        let spec = object([
            ("defaultBackend", s.default_backend.first().map(backend_json).unwrap_or(Json::Null)),
            ("ingressClassName", json!(non_empty(&s.ingress_class_name))),
            ("rules", Json::Array(rules)),
            ("tls", Json::Array(tls)),
        ]);
        Ok(Map::from_iter([("spec".to_string(), spec)]))
    }

    fn read_body(&mut self, o: &Json, live: &Json) {
        let s = &o["spec"];
        let rule = s["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let http = r["http"]
                    .as_object()
                    .map(|h| {
                        let path = h
                            .get("paths")
                            .and_then(Json::as_array)
                            .into_iter()
                            .flatten()
                            .map(|p| HttpPath { backend: read_backend(&p["backend"]), path: text(&p["path"]), path_type: text(&p["pathType"]) })
                            .collect();
                        vec![HttpRule { path }]
                    })
                    .unwrap_or_default();
                IngressRule { host: text(&r["host"]), http }
            })
            .collect();
        let tls =
            s["tls"].as_array().into_iter().flatten().map(|t| IngressTls { hosts: read_strings(&t["hosts"]), secret_name: text(&t["secretName"]) }).collect();
        self.spec = vec![IngressSpec {
            default_backend: read_backend(&s["defaultBackend"]),
            ingress_class_name: text(&s["ingressClassName"]).or_else(|| text(&live["spec"]["ingressClassName"])),
            rule,
            tls,
        }];
        self.status = read_status(live);
    }

    fn wait_for(&self) -> WaitFor {
        WaitFor { rollout: false, load_balancer: false, applications: false }
    }

    fn after_apply<'a>(&'a self, k: &'a Context, id: &'a ObjectId) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !self.wait_for_load_balancer.unwrap_or(false) {
                return Ok(());
            }
            let limit = timeout(&self.timeouts, "create", DEFAULT_TIMEOUT)?;
            let has_address = |live: &Json| live["status"]["loadBalancer"]["ingress"].as_array().is_some_and(|a| !a.is_empty());
            wait_until(k, id, limit, &format!("{id} to get a load balancer address"), has_address).await
        })
    }
}
