//! `helm_release`: a chart rendered with the real `helm template` (local
//! path, or repository + chart + version), then applied and tracked like
//! `kubernetes_manifests`, so the plan shows which objects change. Helm's
//! own release records are not written: the objects are what iac tracks.

use std::time::Duration;

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::Value;
use serde_json::json;

use super::*;
use crate::cluster::FIELD_MANAGER;
use crate::error::{KubeError, Result};
use crate::helm::{self, ChartRequest};
use crate::object::parse_documents;
use crate::readiness::WaitFor;
use crate::sets::{self, SetOptions};
use crate::{schema, Context};

fn namespace(config: &Value) -> String {
    get_str(config, "namespace").unwrap_or("default").to_string()
}

fn chart_request(config: &Value) -> ChartRequest {
    let mut values: Vec<String> = config.get("values").and_then(Value::as_list).unwrap_or(&[]).iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    if let Some(v) = config.get("values_object").filter(|v| !v.is_null()) {
        values.push(helm::values_document(&v.to_json()));
    }
    let mut set = Vec::new();
    for block in ["set", "set_sensitive"] {
        for s in config.get(block).and_then(Value::as_list).unwrap_or(&[]) {
            if let (Some(n), Some(v)) = (get_str(s, "name"), s.get("value").and_then(Value::as_str)) {
                set.push((n.to_string(), v.to_string(), get_str(s, "type") == Some("string")));
            }
        }
    }
    ChartRequest {
        release: get_str(config, "name").unwrap_or_default().to_string(),
        chart: get_str(config, "chart").unwrap_or_default().to_string(),
        repository: get_str(config, "repository").map(str::to_string),
        version: get_str(config, "version").map(str::to_string),
        namespace: namespace(config),
        values,
        set,
        include_crds: !get_bool(config, "skip_crds").unwrap_or(false),
        kube_version: get_str(config, "kube_version").map(str::to_string),
    }
}

pub fn validate(config: &Value) -> Vec<(iac_core::AttrPath, String)> {
    let mut out = Vec::new();
    if config.get("objects").is_some_and(|o| !o.is_null()) {
        out.push((iac_core::AttrPath::attr("objects"), "is set by the provider from the rendered chart".to_string()));
    }
    for s in config.get("set").and_then(Value::as_list).unwrap_or(&[]) {
        if let Some(t) = get_str(s, "type") {
            if t != "auto" && t != "string" {
                out.push((iac_core::AttrPath::attr("set"), format!("type must be \"auto\" or \"string\", got {t:?}")));
            }
        }
    }
    out
}

/// Renders the chart into the desired set (None: a kind is not known yet).
async fn render(cx: &Context, config: &Value) -> Result<Option<sets::Desired>> {
    let helm = helm::find_helm(cx.helm_binary.as_deref())?;
    let req = chart_request(config);
    let text = helm::template(&helm, &req, &cx.stack_dir).await?;
    let source = format!("chart {}", req.chart);
    let mut objs: Vec<_> = parse_documents(&text, &source)?.into_iter().map(|o| (o, source.clone())).collect();
    if get_bool(config, "create_namespace").unwrap_or(false)
        && !objs.iter().any(|(o, _)| o["kind"] == "Namespace" && o["metadata"]["name"] == req.namespace.as_str())
    {
        objs.push((json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": req.namespace}}), "create_namespace".into()));
    }
    sets::resolve(Some(&cx.cluster), objs, &req.namespace).await
}

pub async fn plan(cx: &Context, req: &PlanChangeRequest) -> Result<PlanChangeResponse> {
    let mut r = default_plan(&schema::helm_release(), req.prior.as_ref(), &req.config);
    r.private = req.private.clone();
    // A missing helm is an error now, not halfway through an apply.
    helm::find_helm(cx.helm_binary.as_deref())?;
    let objects = if req.config.is_wholly_known() {
        match render(cx, &req.config).await? {
            Some(d) => objects_value(&sets::rendered(&d)),
            None => Value::Unknown,
        }
    } else {
        Value::Unknown
    };
    set(&mut r.planned, "objects", objects);
    set(&mut r.planned, "id", Value::from(get_str(&req.config, "name").unwrap_or_default()));
    set(&mut r.planned, "status", Value::from("deployed"));
    Ok(r)
}

fn options(config: &Value) -> SetOptions {
    let secs = config.get("timeout").and_then(Value::as_f64).unwrap_or(300.0).max(1.0);
    SetOptions {
        manager: FIELD_MANAGER.to_string(),
        // As `helm upgrade` does, the chart's fields win over hand edits.
        force: get_bool(config, "force_conflicts").unwrap_or(true),
        wait: WaitFor { rollout: get_bool(config, "wait").unwrap_or(true), load_balancer: false, applications: false },
        timeout: Duration::from_secs_f64(secs),
        delete_timeout: Duration::from_secs_f64(secs),
    }
}

pub async fn apply(cx: &Context, req: &ApplyChangeRequest) -> Result<ApplyChangeResponse> {
    let planned_objects = tracked(Some(&req.planned));
    let d = if req.planned.get("objects").is_some_and(Value::is_wholly_known) && !sets::has_secrets(&planned_objects) {
        desired_from_objects(&planned_objects)?
    } else {
        render(cx, &req.config).await?.ok_or_else(|| {
            KubeError::UnknownKind(format!(
                "chart {}: some rendered kinds are not served by the cluster and no CRD in the chart defines them",
                get_str(&req.config, "chart").unwrap_or("")
            ))
        })?
    };
    let prior = tracked(req.prior.as_ref());
    let h = sets::apply_set(&cx.cluster, &prior, &d, &hashes(req.private.as_ref()), &options(&req.config)).await?;
    let mut state = req.planned.clone();
    set(&mut state, "objects", objects_value(&sets::rendered(&d)));
    set(&mut state, "status", Value::from("deployed"));
    Ok(ApplyChangeResponse { new_state: state, private: Some(hashes_private(&h)) })
}

pub async fn read(cx: &Context, req: &ReadRequest) -> Result<Option<Value>> {
    let t = tracked(Some(&req.current));
    if t.is_empty() {
        return Ok(Some(req.current.clone()));
    }
    let fresh = sets::read_set(&cx.cluster, &t, &hashes(req.private.as_ref()), FIELD_MANAGER).await?;
    if fresh.is_empty() {
        // Every object is gone: so is the set.
        return Ok(None);
    }
    let mut v = req.current.clone();
    set(&mut v, "objects", objects_value(&fresh));
    Ok(Some(v))
}

pub async fn delete(cx: &Context, req: &DeleteRequest) -> Result<()> {
    sets::delete_set(&cx.cluster, &tracked(Some(&req.prior)), options(&req.prior).delete_timeout).await
}
