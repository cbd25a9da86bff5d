//! Contract checking against DigitalOcean's published OpenAPI 3.0 document:
//! every recorded request must match an operation (method, path, path and
//! query parameters, request body schema) and every response must match
//! that operation's declared answer (status or `default`, rate-limit
//! headers, content type, body schema).
//!
//! Stricter than the spec in two ways, on purpose: properties a schema does
//! not declare are violations (the spec forbids none, but our simulator and
//! provider should speak exactly its vocabulary), and `readOnly` properties
//! in requests are violations. Known quirks of the document (NOTICE.md)
//! need no special casing here: the 429 `retry-after` header is simply not
//! required, and examples are never validated.

mod schema;
mod yaml;

use std::path::Path;

use serde_json::Value;

use crate::record::Exchange;

pub use schema::Mode;

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("parsing the OpenAPI document: {0}")]
    Parse(String),
}

/// One way an exchange departs from the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// `GET /v2/vpcs?page=2 → 200`.
    pub exchange: String,
    /// `request` or `response`.
    pub side: &'static str,
    /// Where in the message (`body.vpc.name`, `query.per_page`, `header ratelimit-limit`).
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{} {}]: {}", self.exchange, self.side, self.at, self.message)
    }
}

#[derive(Debug)]
enum Seg {
    Lit(String),
    Param(String),
}

#[derive(Debug)]
struct Op {
    method: String,
    template: String,
    segs: Vec<Seg>,
}

pub struct Contract {
    doc: Value,
    ops: Vec<Op>,
}

/// The contract shipped beside the workspace
/// (`shared/contracts/digitalocean/openapi-platform.yaml`: Kubernetes, VPCs,
/// databases, Spaces keys, projects, domains, load balancers, registries,
/// certificates, firewalls, tags, sizes, regions and the account). It
/// replaces the earlier `openapi.yaml`, whose 26 paths it holds unchanged.
pub fn default_spec_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/contracts/digitalocean/openapi-platform.yaml")
}

impl Contract {
    pub fn load(path: &Path) -> Result<Contract, ContractError> {
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Read { path: path.display().to_string(), source })?;
        Contract::from_yaml(&text)
    }

    pub fn from_yaml(text: &str) -> Result<Contract, ContractError> {
        let doc: Value = yaml::parse(text).map_err(ContractError::Parse)?;
        let mut ops = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                let segs = template.split('/').skip(1).map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(p) => Seg::Param(p.to_string()),
                    None => Seg::Lit(s.to_string()),
                });
                let segs: Vec<Seg> = segs.collect();
                for m in ["get", "put", "post", "delete", "patch"] {
                    if item.get(m).is_some() {
                        ops.push(Op {
                            method: m.to_uppercase(),
                            template: template.clone(),
                            segs: segs
                                .iter()
                                .map(|s| match s {
                                    Seg::Lit(l) => Seg::Lit(l.clone()),
                                    Seg::Param(p) => Seg::Param(p.clone()),
                                })
                                .collect(),
                        });
                    }
                }
            }
        }
        if ops.is_empty() {
            return Err(ContractError::Parse("the document declares no operations".into()));
        }
        Ok(Contract { doc, ops })
    }

    /// Follows `$ref`s (local ones: `#/components/...`).
    pub(crate) fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else { return v };
            let Some(ptr) = r.strip_prefix('#') else { return v };
            match self.doc.pointer(ptr) {
                Some(t) => v = t,
                None => return v,
            }
        }
        v
    }

    /// Finds the operation for a method and concrete path; path parameters by name.
    fn find(&self, method: &str, path: &str) -> Option<(&Op, Vec<(String, String)>)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        self.ops
            .iter()
            .filter(|op| op.method == method && op.segs.len() == parts.len())
            .filter_map(|op| {
                let mut params = Vec::new();
                let mut literals = 0;
                for (s, p) in op.segs.iter().zip(&parts) {
                    match s {
                        Seg::Lit(l) if l == p => literals += 1,
                        Seg::Lit(_) => return None,
                        Seg::Param(name) => params.push((name.clone(), (*p).to_string())),
                    }
                }
                Some((literals, op, params))
            })
            .max_by_key(|(l, _, _)| *l)
            .map(|(_, op, params)| (op, params))
    }

    fn op_json(&self, op: &Op) -> &Value {
        &self.doc["paths"][&op.template][op.method.to_lowercase()]
    }

    /// Checks the request and the response of each exchange.
    pub fn check_all(&self, exchanges: &[Exchange]) -> Vec<Violation> {
        exchanges.iter().flat_map(|e| self.check(e)).collect()
    }

    pub fn check(&self, ex: &Exchange) -> Vec<Violation> {
        let label = format!("{} {}{}{} → {}", ex.method, ex.path, if ex.query.is_empty() { "" } else { "?" }, ex.query, ex.status);
        let mut out = Vec::new();
        let mut v = |side: &'static str, at: String, message: String| out.push(Violation { exchange: label.clone(), side, at, message });
        let Some((op, path_params)) = self.find(&ex.method, &ex.path) else {
            v("request", "path".into(), "no operation of the contract matches this method and path".into());
            return out;
        };
        let opj = self.op_json(op);
        self.check_params(opj, &self.doc["paths"][&op.template], &path_params, &ex.query, &mut v);
        self.check_request_body(opj, ex, &mut v);
        self.check_response(opj, ex, &mut v);
        out
    }

    fn check_params(&self, opj: &Value, item: &Value, path_params: &[(String, String)], query: &str, v: &mut impl FnMut(&'static str, String, String)) {
        let declared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(opj.get("parameters").and_then(Value::as_array).into_iter().flatten())
            .map(|p| self.resolve(p))
            .collect();
        let find = |name: &str, loc: &str| declared.iter().find(|p| p["name"] == name && p["in"] == loc).copied();
        for (name, raw) in path_params {
            match find(name, "path") {
                Some(p) => self.check_param_value(&p["schema"], raw, &format!("path.{name}"), v),
                None => v("request", format!("path.{name}"), "path parameter is not declared".into()),
            }
        }
        let pairs: Vec<(&str, &str)> = query.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))).collect();
        for (k, raw) in &pairs {
            match find(k, "query") {
                Some(p) => self.check_param_value(&p["schema"], raw, &format!("query.{k}"), v),
                None => v("request", format!("query.{k}"), "query parameter is not declared for this operation".into()),
            }
        }
        for p in &declared {
            if p["in"] == "query" && p["required"] == true && !pairs.iter().any(|(k, _)| p["name"] == *k) {
                v("request", format!("query.{}", p["name"].as_str().unwrap_or("?")), "required query parameter is missing".into());
            }
        }
    }

    fn check_param_value(&self, schema: &Value, raw: &str, at: &str, v: &mut impl FnMut(&'static str, String, String)) {
        let schema = self.resolve(schema);
        let value = match schema.get("type").and_then(Value::as_str) {
            Some("integer") => match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    v("request", at.into(), format!("{raw:?} is not an integer"));
                    return;
                }
            },
            Some("boolean") => Value::from(raw == "true"),
            _ => Value::from(raw),
        };
        let mut errs = Vec::new();
        // `minimum` on string path parameters is a quirk of the document; it only applies to numbers.
        schema::validate(self, schema, &value, Mode::Request, at, &mut errs);
        for (at, m) in errs {
            v("request", at, m);
        }
    }

    fn check_request_body(&self, opj: &Value, ex: &Exchange, v: &mut impl FnMut(&'static str, String, String)) {
        let Some(rb) = opj.get("requestBody").map(|r| self.resolve(r)) else {
            if !ex.request_body.trim().is_empty() {
                v("request", "body".into(), "the operation takes no request body".into());
            }
            return;
        };
        if ex.request_body.trim().is_empty() {
            if rb["required"] == true {
                v("request", "body".into(), "the request body is required".into());
            }
            return;
        }
        let Some(media) = rb["content"].get("application/json") else {
            v("request", "body".into(), "the operation declares no JSON request body".into());
            return;
        };
        if !ex.request_content_type.as_deref().is_some_and(|c| c.starts_with("application/json")) {
            v("request", "header content-type".into(), format!("expected application/json, got {:?}", ex.request_content_type));
        }
        match serde_json::from_str::<Value>(&ex.request_body) {
            Ok(body) => {
                let mut errs = Vec::new();
                schema::validate(self, &media["schema"], &body, Mode::Request, "body", &mut errs);
                for (at, m) in errs {
                    v("request", at, m);
                }
            }
            Err(e) => v("request", "body".into(), format!("not JSON: {e}")),
        }
    }

    fn check_response(&self, opj: &Value, ex: &Exchange, v: &mut impl FnMut(&'static str, String, String)) {
        let responses = &opj["responses"];
        let Some(resp) = responses.get(ex.status.to_string()).or_else(|| responses.get("default")).map(|r| self.resolve(r)) else {
            v("response", "status".into(), format!("status {} is not declared", ex.status));
            return;
        };
        if let Some(headers) = resp.get("headers").and_then(Value::as_object) {
            for (name, h) in headers {
                let h = self.resolve(h);
                match ex.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    None => v("response", format!("header {name}"), "declared header is missing".into()),
                    Some((_, raw)) => {
                        if self.resolve(&h["schema"])["type"] == "integer" && raw.parse::<i64>().is_err() {
                            v("response", format!("header {name}"), format!("{raw:?} is not an integer"));
                        }
                    }
                }
            }
        }
        let content = resp.get("content").and_then(Value::as_object);
        let ct = ex.response_content_type.as_deref().unwrap_or("");
        match content {
            None => {
                if !ex.response_body.is_empty() {
                    v("response", "body".into(), "the response declares no content but has a body".into());
                }
            }
            Some(c) => {
                let Some((media, spec)) = c.iter().find(|(m, _)| ct.starts_with(m.as_str())) else {
                    v("response", "header content-type".into(), format!("{ct:?} is not among the declared {:?}", c.keys().collect::<Vec<_>>()));
                    return;
                };
                if media == "application/json" {
                    match serde_json::from_str::<Value>(&ex.response_body) {
                        Ok(body) => {
                            let mut errs = Vec::new();
                            schema::validate(self, &spec["schema"], &body, Mode::Response, "body", &mut errs);
                            for (at, m) in errs {
                                v("response", at, m);
                            }
                        }
                        Err(e) => v("response", "body".into(), format!("not JSON: {e}")),
                    }
                } else if ex.response_body.is_empty() {
                    v("response", "body".into(), format!("empty {media} body"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
