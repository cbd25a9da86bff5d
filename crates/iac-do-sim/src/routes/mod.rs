//! Routing of API requests to the store: one function per method and path
//! shape, answering a [`Reply`] or an [`ApiError`].

mod databases;
mod edge;
mod kubernetes;
mod platform;
mod vpcs;

use std::time::Instant;

use serde_json::Value;

use crate::config::SimConfig;
use crate::error::ApiError;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    Yaml(String),
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply { status, body: Body::Json(v) }
    }
    pub fn empty(status: u16) -> Reply {
        Reply { status, body: Body::Empty }
    }
}

/// What a handler sees of the request.
pub struct Req<'a> {
    pub method: &'a str,
    pub query: &'a str,
    pub body: &'a Value,
    pub now: Instant,
    pub cfg: &'a SimConfig,
    /// The base URL for pagination links.
    pub base: &'a str,
}

pub fn dispatch(store: &mut Store, path: &str, req: &Req<'_>) -> Result<Reply, ApiError> {
    store.tick(req.now, req.cfg);
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match segs.as_slice() {
        ["v2", "vpcs", rest @ ..] => vpcs::route(store, rest, req),
        ["v2", "kubernetes", rest @ ..] => kubernetes::route(store, rest, req),
        ["v2", "databases", rest @ ..] => databases::route(store, rest, req),
        ["v2", "projects", rest @ ..] => platform::projects(store, rest, req),
        ["v2", "domains", rest @ ..] => platform::domains(store, rest, req),
        ["v2", "firewalls", rest @ ..] => platform::firewalls(store, rest, req),
        ["v2", "tags", rest @ ..] => platform::tags(store, rest, req),
        ["v2", "spaces", "keys", rest @ ..] => platform::spaces_keys(store, rest, req),
        ["v2", "load_balancers", rest @ ..] => edge::load_balancers(store, rest, req),
        ["v2", "certificates", rest @ ..] => edge::certificates(store, rest, req),
        ["v2", "registries", rest @ ..] => edge::registries(store, rest, req),
        ["v2", "registry", "docker-credentials"] => edge::docker_credentials(store, req),
        ["v2", "regions"] if req.method == "GET" => {
            Ok(Reply::json(200, crate::pagination::page("regions", crate::catalog::regions_json(), req.query, req.base, "/v2/regions")))
        }
        ["v2", "sizes"] if req.method == "GET" => {
            Ok(Reply::json(200, crate::pagination::page("sizes", crate::catalog::sizes_json(), req.query, req.base, "/v2/sizes")))
        }
        ["v2", "regions" | "sizes"] => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

fn method_not_allowed() -> ApiError {
    ApiError { status: 405, id: "method_not_allowed", message: "The method is not allowed for this resource.".into() }
}
