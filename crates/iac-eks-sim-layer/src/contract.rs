//! The contract the layer is held to: botocore's EKS service model (the
//! JSON model PyPI's `botocore` ships). Each recorded exchange is matched to
//! its operation by method and URI template; the request body must use only
//! members of the input shape, and a successful response must be an
//! instance of the output shape (every member known, of the right type,
//! enum values among the model's).

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::Exchange;

/// botocore's EKS service model, to check the layer's answers against.
pub struct Model {
    doc: Json,
}

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file is unreadable or not a service model.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// `service-2.json.gz` of the newest EKS model under a botocore `data` dir.
pub fn find_eks_model(site_packages_glob_root: &Path) -> Option<PathBuf> {
    let lib = site_packages_glob_root.join("lib");
    for py in std::fs::read_dir(&lib).ok()?.flatten() {
        let eks = py.path().join("site-packages/botocore/data/eks");
        let mut versions: Vec<PathBuf> = std::fs::read_dir(&eks).into_iter().flatten().flatten().map(|e| e.path()).collect();
        versions.sort();
        for v in versions.iter().rev() {
            for name in ["service-2.json.gz", "service-2.json"] {
                if v.join(name).exists() {
                    return Some(v.join(name));
                }
            }
        }
    }
    None
}

impl Model {
    /// Reads `service-2.json` (or its `.gz`).
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::Read { path: path.into(), message: e.to_string() })?;
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut s)
                .map_err(|e| ModelError::Read { path: path.into(), message: e.to_string() })?;
            s
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let doc = serde_json::from_str(&text).map_err(|e| ModelError::Read { path: path.into(), message: e.to_string() })?;
        Ok(Model { doc })
    }

    /// The operation an exchange is, by method and URI template.
    pub fn operation(&self, method: &str, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, String)> = None;
        for (name, op) in self.doc["operations"].as_object()? {
            if op["http"]["method"] != method {
                continue;
            }
            let uri = op["http"]["requestUri"].as_str().unwrap_or("").split('?').next().unwrap_or("");
            let tpl: Vec<&str> = uri.trim_matches('/').split('/').collect();
            let greedy = tpl.last().is_some_and(|t| t.ends_with("+}"));
            if !(tpl.len() == segs.len() || (greedy && segs.len() >= tpl.len())) {
                continue;
            }
            let literal = tpl.iter().zip(&segs).filter(|(t, _)| !t.starts_with('{')).count();
            if tpl.iter().zip(&segs).all(|(t, s)| t.starts_with('{') || t == s) && best.as_ref().is_none_or(|(n, _)| literal > *n) {
                best = Some((literal, name.clone()));
            }
        }
        best.map(|(_, n)| n)
    }

    fn shape(&self, name: &str) -> &Json {
        &self.doc["shapes"][name]
    }

    /// Problems with one value against a shape, each with its JSON path.
    fn check_value(&self, shape: &str, v: &Json, path: &str, out: &mut Vec<String>, body_only: bool) {
        let s = self.shape(shape);
        match s["type"].as_str().unwrap_or("") {
            "structure" => {
                let Some(obj) = v.as_object() else { return out.push(format!("{path}: expected an object ({shape}), got {v}")) };
                let members = s["members"].as_object().cloned().unwrap_or_default();
                for (k, x) in obj {
                    match members.get(k) {
                        Some(m) if body_only && m.get("location").is_some() => out.push(format!("{path}.{k}: belongs in the {} , not the body", m["location"])),
                        Some(m) => self.check_value(m["shape"].as_str().unwrap_or(""), x, &format!("{path}.{k}"), out, false),
                        None => out.push(format!("{path}.{k}: not a member of {shape}")),
                    }
                }
            }
            "list" => match v.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .for_each(|(i, x)| self.check_value(s["member"]["shape"].as_str().unwrap_or(""), x, &format!("{path}[{i}]"), out, false)),
                None => out.push(format!("{path}: expected a list ({shape})")),
            },
            "map" => match v.as_object() {
                Some(m) => m.iter().for_each(|(k, x)| self.check_value(s["value"]["shape"].as_str().unwrap_or(""), x, &format!("{path}[{k:?}]"), out, false)),
                None => out.push(format!("{path}: expected a map ({shape})")),
            },
            "string" => match v.as_str() {
                Some(x) => {
                    if let Some(e) = s["enum"].as_array() {
                        if !e.iter().any(|y| y == x) {
                            out.push(format!("{path}: {x:?} is not one of {shape}'s values"));
                        }
                    }
                }
                None => out.push(format!("{path}: expected a string ({shape}), got {v}")),
            },
            "boolean" if !v.is_boolean() => out.push(format!("{path}: expected a boolean ({shape})")),
            "integer" | "long" if !(v.is_i64() || v.is_u64()) => out.push(format!("{path}: expected an integer ({shape}), got {v}")),
            "timestamp" if !v.is_number() => out.push(format!("{path}: expected epoch seconds ({shape}), got {v}")),
            _ => {}
        }
    }

    /// Every problem with one exchange.
    pub fn check(&self, x: &Exchange) -> Vec<String> {
        let Some(op) = self.operation(&x.method, &x.path) else { return vec![format!("{} {}: no EKS operation has this method and path", x.method, x.path)] };
        let o = &self.doc["operations"][&op];
        let mut out = Vec::new();
        if let (Some(input), false) = (o["input"]["shape"].as_str(), x.request.is_null()) {
            self.check_value(input, &x.request, &format!("{op} request"), &mut out, true);
        }
        if (200..300).contains(&x.status) {
            if let Some(output) = o["output"]["shape"].as_str() {
                self.check_value(output, &x.response, &format!("{op} response"), &mut out, true);
            }
        } else {
            let known = o["errors"].as_array().into_iter().flatten().any(|e| self.shape(e["shape"].as_str().unwrap_or("")).is_object());
            if !known {
                out.push(format!("{op}: answered {} but the model lists no errors", x.status));
            }
        }
        out
    }

    /// The violations of every exchange, one message each.
    pub fn check_all(&self, xs: &[Exchange]) -> Vec<String> {
        xs.iter().flat_map(|x| self.check(x)).collect()
    }
}
