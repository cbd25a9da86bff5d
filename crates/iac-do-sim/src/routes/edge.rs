//! `/v2/load_balancers*`, `/v2/certificates*`, `/v2/registries*` and
//! `/v2/registry/docker-credentials` (the one credentials path whose
//! `expiry_seconds` and `read_write` parameters the spec declares).

use serde_json::json;

use super::{method_not_allowed, Reply, Req};
use crate::error::ApiError;
use crate::pagination::page;
use crate::store::Store;

pub fn load_balancers(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => Ok(Reply::json(200, page("load_balancers", store.list_load_balancers(), req.query, req.base, "/v2/load_balancers"))),
        ("POST", []) => Ok(Reply::json(202, json!({"load_balancer": store.create_load_balancer(req.body, req.now, req.cfg)?}))),
        ("GET", [id]) => Ok(Reply::json(200, json!({"load_balancer": store.load_balancer_json(id)?}))),
        ("PUT", [id]) => Ok(Reply::json(200, json!({"load_balancer": store.update_load_balancer(id, req.body)?}))),
        ("DELETE", [id]) => store.delete_load_balancer(id).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn certificates(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => Ok(Reply::json(200, page("certificates", store.list_certificates(req.query), req.query, req.base, "/v2/certificates"))),
        ("POST", []) => Ok(Reply::json(201, json!({"certificate": store.create_certificate(req.body, req.now, req.cfg)?}))),
        ("GET", [id]) => Ok(Reply::json(200, json!({"certificate": store.certificate(id)?.to_json()}))),
        ("DELETE", [id]) => store.delete_certificate(id).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn registries(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => Ok(Reply::json(200, json!({"registries": store.edge.registries.iter().map(|r| r.to_json()).collect::<Vec<_>>()}))),
        ("POST", []) => Ok(Reply::json(201, json!({"registry": store.create_registry(req.body)?}))),
        ("GET", ["subscription"]) => Ok(Reply::json(200, json!({"subscription": store.subscription()?}))),
        ("POST", ["subscription"]) => Ok(Reply::json(200, json!({"subscription": store.update_subscription(req.body)?}))),
        (_, ["subscription"]) => Err(method_not_allowed()),
        ("GET", [name]) => Ok(Reply::json(200, json!({"registry": store.registry(name)?.to_json()}))),
        ("DELETE", [name]) => store.delete_registry(name).map(|_| Reply::empty(204)),
        (_, [] | [_]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

pub fn docker_credentials(store: &mut Store, req: &Req<'_>) -> Result<Reply, ApiError> {
    match req.method {
        "GET" => Ok(Reply::json(200, store.docker_credentials(req.query)?)),
        _ => Err(method_not_allowed()),
    }
}
