//! `/v2/projects*`, `/v2/domains*`, `/v2/firewalls*`, `/v2/tags*` and
//! `/v2/spaces/keys*`.

use serde_json::json;

use super::{method_not_allowed, Reply, Req};
use crate::error::ApiError;
use crate::pagination::page;
use crate::platform::{Domain, Firewall};
use crate::store::Store;

pub fn projects(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    let list = |key: &str, items, path: &str| Reply::json(200, page(key, items, req.query, req.base, path));
    match (req.method, segs) {
        ("GET", []) => Ok(list("projects", store.list_projects(), "/v2/projects")),
        ("POST", []) => Ok(Reply::json(201, json!({"project": store.create_project(req.body)?}))),
        ("GET", [id]) => Ok(Reply::json(200, json!({"project": store.project(id)?.to_json()}))),
        ("PUT", [id]) => Ok(Reply::json(200, json!({"project": store.update_project(id, req.body, true)?}))),
        ("PATCH", [id]) => Ok(Reply::json(200, json!({"project": store.update_project(id, req.body, false)?}))),
        ("DELETE", [id]) => store.delete_project(id).map(|_| Reply::empty(204)),
        ("GET", [id, "resources"]) => {
            let items = store.project_resources(id, req.base)?;
            Ok(list("resources", items, &format!("/v2/projects/{id}/resources")))
        }
        ("POST", [id, "resources"]) => Ok(Reply::json(200, json!({"resources": store.assign_resources(id, req.body, req.base)?}))),
        (_, [] | [_] | [_, "resources"]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn domains(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => {
            let items = store.platform.domains.iter().map(Domain::to_json).collect();
            Ok(Reply::json(200, page("domains", items, req.query, req.base, "/v2/domains")))
        }
        ("POST", []) => Ok(Reply::json(201, json!({"domain": store.create_domain(req.body)?}))),
        ("GET", [name]) => Ok(Reply::json(200, json!({"domain": store.domain(name)?.to_json()}))),
        ("DELETE", [name]) => store.delete_domain(name).map(|_| Reply::empty(204)),
        ("GET", [name, "records"]) => {
            let items = store.records(name, req.query)?;
            Ok(Reply::json(200, page("domain_records", items, req.query, req.base, &format!("/v2/domains/{name}/records"))))
        }
        ("POST", [name, "records"]) => Ok(Reply::json(201, json!({"domain_record": store.create_record(name, req.body)?}))),
        ("GET", [name, "records", id]) => Ok(Reply::json(200, json!({"domain_record": store.record(name, id)?}))),
        ("PUT" | "PATCH", [name, "records", id]) => Ok(Reply::json(200, json!({"domain_record": store.update_record(name, id, req.body)?}))),
        ("DELETE", [name, "records", id]) => store.delete_record(name, id).map(|_| Reply::empty(204)),
        (_, [] | [_] | [_, "records"] | [_, "records", _]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn firewalls(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => {
            let items = store.platform.firewalls.iter().map(Firewall::to_json).collect();
            Ok(Reply::json(200, page("firewalls", items, req.query, req.base, "/v2/firewalls")))
        }
        ("POST", []) => Ok(Reply::json(202, json!({"firewall": store.create_firewall(req.body)?}))),
        ("GET", [id]) => Ok(Reply::json(200, json!({"firewall": store.firewall(id)?.to_json()}))),
        ("PUT", [id]) => Ok(Reply::json(200, json!({"firewall": store.update_firewall(id, req.body)?}))),
        ("DELETE", [id]) => store.delete_firewall(id).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn tags(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => {
            let items = store.platform.tags.clone().iter().filter_map(|t| store.tag_json(t).ok()).collect();
            Ok(Reply::json(200, page("tags", items, req.query, req.base, "/v2/tags")))
        }
        ("POST", []) => Ok(Reply::json(201, json!({"tag": store.create_tag(req.body)?}))),
        ("GET", [name]) => Ok(Reply::json(200, json!({"tag": store.tag_json(name)?}))),
        ("DELETE", [name]) => store.delete_tag(name).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn spaces_keys(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => {
            let items = store.platform.spaces_keys.iter().map(crate::platform::SpacesKey::to_json).collect();
            Ok(Reply::json(200, page("keys", items, req.query, req.base, "/v2/spaces/keys")))
        }
        ("POST", []) => Ok(Reply::json(201, json!({"key": store.create_spaces_key(req.body)?}))),
        ("GET", [k]) => Ok(Reply::json(200, json!({"keys": [store.spaces_key(k)?.to_json()]}))),
        ("PUT" | "PATCH", [k]) => Ok(Reply::json(200, json!({"key": store.update_spaces_key(k, req.body)?}))),
        ("DELETE", [k]) => store.delete_spaces_key(k).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}
