//! Security contexts with the upstream provider's schemas: the pod's
//! `security_context` (user and group ids, fsGroup, seccomp and SELinux
//! options, sysctls, Windows options) and a container's (privileges,
//! capabilities, read-only root, user and group ids, seccomp and SELinux
//! options), as the API's objects and back. Ids are strings in the schema
//! (upstream tells "not set" from 0 that way) and numbers in the API.

use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use super::*;
use crate::error::Result;

/// A `capabilities` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Capabilities {
    /// e.g. ["NET_BIND_SERVICE"]
    #[sdk(optional)]
    pub add: Vec<String>,
    /// e.g. ["ALL"]
    #[sdk(optional)]
    pub drop: Vec<String>,
}

/// A `seccomp_profile` block.
#[derive(Model, Debug, Clone, Default)]
pub struct SeccompProfile {
    /// the profile's file on the node, for type Localhost
    #[sdk(optional, default = "")]
    pub localhost_profile: Option<String>,
    /// Unconfined (default), RuntimeDefault or Localhost
    #[sdk(optional, name = "type", default = "Unconfined")]
    pub kind: Option<String>,
}

/// A `se_linux_options` block.
#[derive(Model, Debug, Clone, Default)]
pub struct SeLinuxOptions {
    #[sdk(optional)]
    pub level: Option<String>,
    #[sdk(optional)]
    pub role: Option<String>,
    #[sdk(optional, name = "type")]
    pub kind: Option<String>,
    #[sdk(optional)]
    pub user: Option<String>,
}

/// A `windows_options` block.
#[derive(Model, Debug, Clone, Default)]
pub struct WindowsOptions {
    #[sdk(optional)]
    pub gmsa_credential_spec: Option<String>,
    #[sdk(optional)]
    pub gmsa_credential_spec_name: Option<String>,
    /// default false
    #[sdk(optional, default = false)]
    pub host_process: Option<bool>,
    #[sdk(optional)]
    pub run_as_username: Option<String>,
}

/// A `sysctl` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Sysctl {
    #[sdk(required)]
    pub name: String,
    #[sdk(required)]
    pub value: String,
}

/// A pod spec's `security_context` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PodSecurityContext {
    /// the group volumes are owned by
    #[sdk(optional)]
    pub fs_group: Option<String>,
    /// Always or OnRootMismatch
    #[sdk(optional)]
    pub fs_group_change_policy: Option<String>,
    #[sdk(optional)]
    pub run_as_group: Option<String>,
    #[sdk(optional)]
    pub run_as_non_root: Option<bool>,
    #[sdk(optional)]
    pub run_as_user: Option<String>,
    #[sdk(block, max_items = 1)]
    pub se_linux_options: Vec<SeLinuxOptions>,
    #[sdk(block, max_items = 1)]
    pub seccomp_profile: Vec<SeccompProfile>,
    #[sdk(optional, set)]
    pub supplemental_groups: Vec<i64>,
    #[sdk(block)]
    pub sysctl: Vec<Sysctl>,
    #[sdk(block, max_items = 1)]
    pub windows_options: Vec<WindowsOptions>,
}

/// A container's `security_context` block.
#[derive(Model, Debug, Clone, Default)]
pub struct SecurityContext {
    /// default true
    #[sdk(optional, default = true)]
    pub allow_privilege_escalation: Option<bool>,
    #[sdk(block, max_items = 1)]
    pub capabilities: Vec<Capabilities>,
    /// default false
    #[sdk(optional, default = false)]
    pub privileged: Option<bool>,
    /// default false
    #[sdk(optional, default = false)]
    pub read_only_root_filesystem: Option<bool>,
    #[sdk(optional)]
    pub run_as_group: Option<String>,
    #[sdk(optional)]
    pub run_as_non_root: Option<bool>,
    #[sdk(optional)]
    pub run_as_user: Option<String>,
    #[sdk(block, max_items = 1)]
    pub se_linux_options: Vec<SeLinuxOptions>,
    #[sdk(block, max_items = 1)]
    pub seccomp_profile: Vec<SeccompProfile>,
}

fn seccomp_json(p: &[SeccompProfile]) -> Json {
    p.first()
        .map(|s| object([("localhostProfile", json!(non_empty(&s.localhost_profile))), ("type", json!(non_empty(&s.kind).unwrap_or("Unconfined")))]))
        .unwrap_or(Json::Null)
}

fn read_seccomp(j: &Json) -> Vec<SeccompProfile> {
    if !j.is_object() {
        return Vec::new();
    }
    // Not sent when empty: its default reads back as the plan has it.
    vec![SeccompProfile { localhost_profile: Some(text(&j["localhostProfile"]).unwrap_or_default()), kind: text(&j["type"]) }]
}

fn se_linux_json(o: &[SeLinuxOptions]) -> Json {
    o.first()
        .map(|s| {
            object([
                ("level", json!(non_empty(&s.level))),
                ("role", json!(non_empty(&s.role))),
                ("type", json!(non_empty(&s.kind))),
                ("user", json!(non_empty(&s.user))),
            ])
        })
        .unwrap_or(Json::Null)
}

fn read_se_linux(j: &Json) -> Vec<SeLinuxOptions> {
    if !j.is_object() {
        return Vec::new();
    }
    vec![SeLinuxOptions { level: text(&j["level"]), role: text(&j["role"]), kind: text(&j["type"]), user: text(&j["user"]) }]
}

/// The pod spec's `securityContext`.
pub fn pod_security_json(c: &PodSecurityContext) -> Result<Json> {
    let sysctls: Vec<Json> = c.sysctl.iter().map(|s| json!({ "name": s.name, "value": s.value })).collect();
    let windows = c.windows_options.first().map(|w| {
        object([
            ("gmsaCredentialSpec", json!(non_empty(&w.gmsa_credential_spec))),
            ("gmsaCredentialSpecName", json!(non_empty(&w.gmsa_credential_spec_name))),
            ("hostProcess", json!(w.host_process.unwrap_or(false))),
            ("runAsUserName", json!(non_empty(&w.run_as_username))),
        ])
    });
    Ok(object([
        ("fsGroup", int_text("security_context.fs_group", &c.fs_group)?),
        ("fsGroupChangePolicy", json!(non_empty(&c.fs_group_change_policy))),
        ("runAsGroup", int_text("security_context.run_as_group", &c.run_as_group)?),
        ("runAsNonRoot", json!(c.run_as_non_root)),
        ("runAsUser", int_text("security_context.run_as_user", &c.run_as_user)?),
        ("seLinuxOptions", se_linux_json(&c.se_linux_options)),
        ("seccompProfile", seccomp_json(&c.seccomp_profile)),
        ("supplementalGroups", json!(c.supplemental_groups)),
        ("sysctls", Json::Array(sysctls)),
        ("windowsOptions", windows.unwrap_or(Json::Null)),
    ]))
}

/// The pod's `security_context` block from the pod spec's object.
pub fn read_pod_security(j: &Json) -> Vec<PodSecurityContext> {
    if !j.is_object() {
        return Vec::new();
    }
    let w = &j["windowsOptions"];
    let windows_options = if w.is_object() {
        vec![WindowsOptions {
            gmsa_credential_spec: text(&w["gmsaCredentialSpec"]),
            gmsa_credential_spec_name: text(&w["gmsaCredentialSpecName"]),
            host_process: w["hostProcess"].as_bool(),
            run_as_username: text(&w["runAsUserName"]),
        }]
    } else {
        Vec::new()
    };
    let mut supplemental_groups: Vec<i64> = j["supplementalGroups"].as_array().into_iter().flatten().filter_map(Json::as_i64).collect();
    supplemental_groups.sort_unstable();
    vec![PodSecurityContext {
        fs_group: read_int_text(&j["fsGroup"]),
        fs_group_change_policy: text(&j["fsGroupChangePolicy"]),
        run_as_group: read_int_text(&j["runAsGroup"]),
        run_as_non_root: j["runAsNonRoot"].as_bool(),
        run_as_user: read_int_text(&j["runAsUser"]),
        se_linux_options: read_se_linux(&j["seLinuxOptions"]),
        seccomp_profile: read_seccomp(&j["seccompProfile"]),
        supplemental_groups,
        sysctl: j["sysctls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Sysctl { name: text(&s["name"]).unwrap_or_default(), value: text(&s["value"]).unwrap_or_default() })
            .collect(),
        windows_options,
    }]
}

/// A container's `securityContext`.
pub fn container_security_json(c: &SecurityContext) -> Result<Json> {
    let caps = c.capabilities.first().map(|k| object([("add", json!(k.add)), ("drop", json!(k.drop))]));
    Ok(object([
        ("allowPrivilegeEscalation", json!(c.allow_privilege_escalation.unwrap_or(true))),
        ("capabilities", caps.unwrap_or(Json::Null)),
        ("privileged", json!(c.privileged.unwrap_or(false))),
        ("readOnlyRootFilesystem", json!(c.read_only_root_filesystem.unwrap_or(false))),
        ("runAsGroup", int_text("security_context.run_as_group", &c.run_as_group)?),
        ("runAsNonRoot", json!(c.run_as_non_root)),
        ("runAsUser", int_text("security_context.run_as_user", &c.run_as_user)?),
        ("seLinuxOptions", se_linux_json(&c.se_linux_options)),
        ("seccompProfile", seccomp_json(&c.seccomp_profile)),
    ]))
}

/// A container's `security_context` block from its object.
pub fn read_container_security(j: &Json) -> Vec<SecurityContext> {
    if !j.is_object() {
        return Vec::new();
    }
    let k = &j["capabilities"];
    let capabilities = if k.is_object() { vec![Capabilities { add: read_strings(&k["add"]), drop: read_strings(&k["drop"]) }] } else { Vec::new() };
    vec![SecurityContext {
        allow_privilege_escalation: j["allowPrivilegeEscalation"].as_bool(),
        capabilities,
        privileged: j["privileged"].as_bool(),
        read_only_root_filesystem: j["readOnlyRootFilesystem"].as_bool(),
        run_as_group: read_int_text(&j["runAsGroup"]),
        run_as_non_root: j["runAsNonRoot"].as_bool(),
        run_as_user: read_int_text(&j["runAsUser"]),
        se_linux_options: read_se_linux(&j["seLinuxOptions"]),
        seccomp_profile: read_seccomp(&j["seccompProfile"]),
    }]
}
