//! `kubernetes_manifests`: a set of objects from YAML text (`content`),
//! files, or a directory, applied and tracked as one resource (see
//! [`crate::sets`]).

use std::path::Path;

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::Value;
use serde_json::Value as Json;

use super::*;
use crate::error::{KubeError, Result};
use crate::object::parse_documents;
use crate::schema;
use crate::sets;
use crate::Context;

/// The objects of the configured sources, each with where it came from.
pub fn load_sources(config: &Value, stack_dir: &Path) -> Result<Vec<(Json, String)>> {
    let mut out = Vec::new();
    let mut any = false;
    if let Some(text) = config.get("content").and_then(Value::as_str) {
        any = true;
        out.extend(parse_documents(text, "content")?.into_iter().map(|o| (o, "content".to_string())));
    }
    let resolve = |p: &str| if Path::new(p).is_relative() { stack_dir.join(p) } else { Path::new(p).to_path_buf() };
    for f in config.get("files").and_then(Value::as_list).unwrap_or(&[]) {
        let Some(f) = f.as_str() else { continue };
        any = true;
        let path = resolve(f);
        let text = std::fs::read_to_string(&path).map_err(|e| KubeError::Manifest(format!("reading {}: {e}", path.display())))?;
        out.extend(parse_documents(&text, f)?.into_iter().map(|o| (o, f.to_string())));
    }
    if let Some(d) = get_str(config, "dir") {
        any = true;
        let dir = resolve(d);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| KubeError::Manifest(format!("reading directory {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path).map_err(|e| KubeError::Manifest(format!("reading {}: {e}", path.display())))?;
            let name = path.display().to_string();
            out.extend(parse_documents(&text, &name)?.into_iter().map(|o| (o, name.clone())));
        }
    }
    if !any {
        return Err(KubeError::Config("kubernetes_manifests needs objects: set content, files or dir".into()));
    }
    Ok(out)
}

pub fn validate(config: &Value) -> Vec<(iac_core::AttrPath, String)> {
    let mut out = Vec::new();
    if config.get("objects").is_some_and(|o| !o.is_null()) {
        out.push((iac_core::AttrPath::attr("objects"), "is set by the provider; list objects in content, files or dir".to_string()));
    }
    if ["content", "files", "dir"].iter().all(|k| config.get(k).is_none_or(Value::is_null)) {
        out.push((iac_core::AttrPath::root(), "set content, files or dir".to_string()));
    }
    out
}

pub async fn plan(cx: &Context, req: &PlanChangeRequest) -> Result<PlanChangeResponse> {
    let mut r = default_plan(&schema::manifests(), req.prior.as_ref(), &req.config);
    r.private = req.private.clone();
    let sources_known = ["content", "files", "dir"].iter().all(|k| req.config.get(k).is_none_or(Value::is_wholly_known));
    let ns = get_str(&req.config, "namespace").unwrap_or("default").to_string();
    let objects = if sources_known {
        let objs = load_sources(&req.config, &cx.stack_dir)?;
        match sets::resolve(Some(&cx.cluster), objs, &ns).await? {
            Some(d) => objects_value(&sets::rendered(&d)),
            None => Value::Unknown,
        }
    } else {
        Value::Unknown
    };
    set(&mut r.planned, "objects", objects);
    set(&mut r.planned, "id", Value::from(req.addr.to_string()));
    Ok(r)
}

/// The planned set, resolved now if the plan could not (a CRD from elsewhere).
pub async fn desired(cx: &Context, planned: &Value, config: &Value) -> Result<sets::Desired> {
    let planned_objects = tracked(Some(planned));
    if planned.get("objects").is_some_and(Value::is_wholly_known) && !sets::has_secrets(&planned_objects) {
        return desired_from_objects(&planned_objects);
    }
    let ns = get_str(config, "namespace").unwrap_or("default").to_string();
    let objs = load_sources(config, &cx.stack_dir)?;
    let kinds: Vec<String> = objs.iter().map(|(o, _)| format!("{}/{}", o["apiVersion"].as_str().unwrap_or(""), o["kind"].as_str().unwrap_or(""))).collect();
    sets::resolve(Some(&cx.cluster), objs, &ns).await?.ok_or_else(|| {
        KubeError::UnknownKind(format!("some kinds are not served by the cluster and no CRD in the set defines them (kinds: {})", kinds.join(", ")))
    })
}

pub async fn apply(cx: &Context, req: &ApplyChangeRequest) -> Result<ApplyChangeResponse> {
    let d = desired(cx, &req.planned, &req.config).await?;
    let opts = set_options(&req.config, req.prior.is_none())?;
    let prior = tracked(req.prior.as_ref());
    let h = sets::apply_set(&cx.cluster, &prior, &d, &hashes(req.private.as_ref()), &opts).await?;
    let mut state = req.planned.clone();
    set(&mut state, "objects", objects_value(&sets::rendered(&d)));
    Ok(ApplyChangeResponse { new_state: state, private: Some(hashes_private(&h)) })
}

pub async fn read(cx: &Context, req: &ReadRequest) -> Result<Option<Value>> {
    let t = tracked(Some(&req.current));
    if t.is_empty() {
        return Ok(Some(req.current.clone()));
    }
    let (manager, _) = field_manager(&req.current);
    let fresh = sets::read_set(&cx.cluster, &t, &hashes(req.private.as_ref()), &manager).await?;
    if fresh.is_empty() {
        // Every object is gone: so is the set.
        return Ok(None);
    }
    let mut v = req.current.clone();
    set(&mut v, "objects", objects_value(&fresh));
    Ok(Some(v))
}

pub async fn delete(cx: &Context, req: &DeleteRequest) -> Result<()> {
    let timeout = timeout(&req.prior, "delete", DEFAULT_DELETE_TIMEOUT)?;
    sets::delete_set(&cx.cluster, &tracked(Some(&req.prior)), timeout).await
}
