//! `local_file`: writes `content` to `filename`. Every argument forces
//! replacement, as in Terraform's local provider. Refresh notices a file that
//! was changed or deleted outside iac; recovery adopts a file an interrupted
//! create already wrote.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::schema::{AttrType, Attribute, Block, ProviderSchema, ResourceSchema};
use iac_core::Value;
use sha2::{Digest, Sha256};

pub struct LocalProvider {
    schema: ProviderSchema,
}

impl LocalProvider {
    pub fn new() -> LocalProvider {
        let mut schema = ProviderSchema::default();
        schema.resources.insert(
            "local_file".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("id", Attribute::computed(AttrType::String))
                    .attr("filename", Attribute::required(AttrType::String).force_new())
                    .attr("content", Attribute::optional(AttrType::String).force_new())
                    .attr("sensitive_content", Attribute::optional(AttrType::String).force_new().sensitive())
                    .attr("file_permission", Attribute::optional_computed(AttrType::String).force_new())
                    .attr("content_sha256", Attribute::computed(AttrType::String)),
            },
        );
        schema.data_sources.insert(
            "local_file".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("filename", Attribute::required(AttrType::String))
                    .attr("content", Attribute::computed(AttrType::String))
                    .attr("id", Attribute::computed(AttrType::String)),
            },
        );
        LocalProvider { schema }
    }
}

impl Default for LocalProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl ProviderFactory for LocalProvider {
    fn name(&self) -> &str {
        "local"
    }
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(LocalFile { schema: self.schema.resources["local_file"].clone(), base: req.context.stack_dir }))
    }
}

struct LocalFile {
    schema: ResourceSchema,
    /// Relative file names resolve against the stack directory.
    base: PathBuf,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl LocalFile {
    fn path(&self, v: &Value) -> Result<PathBuf, ProviderError> {
        let f = v.get("filename").and_then(Value::as_str).ok_or_else(|| ProviderError::InvalidConfig("filename is required".into()))?;
        let p = Path::new(f);
        Ok(if p.is_absolute() { p.to_path_buf() } else { self.base.join(p) })
    }

    fn content(v: &Value) -> String {
        v.get("content").and_then(Value::as_str).or_else(|| v.get("sensitive_content").and_then(Value::as_str)).unwrap_or("").to_string()
    }

    fn state_for(v: &Value, content: &str) -> Value {
        let Value::Map(mut m) = v.clone() else { return v.clone() };
        let sum = sha256_hex(content);
        m.insert("id".into(), Value::String(sum.clone()));
        m.insert("content_sha256".into(), Value::String(sum));
        if matches!(m.get("file_permission"), None | Some(Value::Unknown) | Some(Value::Null)) {
            m.insert("file_permission".into(), Value::String("0644".into()));
        }
        Value::Map(m)
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> ProviderError {
    ProviderError::Api { code: format!("{:?}", e.kind()), message: format!("{what} {}: {e}", path.display()) }
}

#[async_trait]
impl Provider for LocalFile {
    fn validate_resource(&self, _type_: &str, config: &Value) -> Vec<(iac_core::AttrPath, String)> {
        let both = config.get("content").is_some_and(|v| !v.is_null()) && config.get("sensitive_content").is_some_and(|v| !v.is_null());
        if both {
            vec![(iac_core::AttrPath::attr("content"), "set content or sensitive_content, not both".into())]
        } else {
            Vec::new()
        }
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        let mut resp = default_plan(&self.schema, req.prior.as_ref(), &req.config);
        let Value::Map(mut m) = resp.planned else { unreachable!("object") };
        let content = req.config.get("content").or_else(|| req.config.get("sensitive_content")).cloned().unwrap_or(Value::Null);
        let sum = match content.as_str() {
            Some(c) => Value::String(sha256_hex(c)),
            None if content.is_null() => Value::String(sha256_hex("")),
            None => Value::Unknown,
        };
        if resp.requires_replace.is_empty() || req.prior.is_none() {
            m.insert("id".into(), sum.clone());
            m.insert("content_sha256".into(), sum);
        } else {
            m.insert("id".into(), Value::Unknown);
            m.insert("content_sha256".into(), Value::Unknown);
        }
        if matches!(m.get("file_permission"), Some(Value::Unknown) | Some(Value::Null) | None) && req.config.get("file_permission").is_none_or(Value::is_null) {
            m.insert("file_permission".into(), Value::String("0644".into()));
        }
        // A refreshed file with other content differs from the planned content: replace.
        if let Some(prior) = &req.prior {
            if prior.get("content_sha256") != m.get("content_sha256")
                && m.get("content_sha256").is_some_and(Value::is_wholly_known)
                && !resp.requires_replace.iter().any(|p| p == &iac_core::AttrPath::attr("content"))
            {
                resp.requires_replace.push(iac_core::AttrPath::attr("content"));
            }
        }
        resp.planned = Value::Map(m);
        Ok(resp)
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        let path = self.path(&req.planned)?;
        let content = Self::content(&req.planned);
        let mode = req.planned.get("file_permission").and_then(Value::as_str).and_then(|p| u32::from_str_radix(p, 8).ok()).unwrap_or(0o644);
        let p2 = path.clone();
        let c2 = content.clone();
        tokio::task::spawn_blocking(move || -> Result<(), ProviderError> {
            if let Some(dir) = p2.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_err("creating the directory of", &p2, e))?;
            }
            let tmp = p2.with_extension("iac-tmp");
            let mut f = std::fs::File::create(&tmp).map_err(|e| io_err("writing", &p2, e))?;
            f.write_all(c2.as_bytes()).map_err(|e| io_err("writing", &p2, e))?;
            f.sync_all().map_err(|e| io_err("writing", &p2, e))?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(|e| io_err("setting permissions of", &p2, e))?;
            std::fs::rename(&tmp, &p2).map_err(|e| io_err("writing", &p2, e))
        })
        .await
        .map_err(|e| ProviderError::Other(e.to_string()))??;
        Ok(ApplyChangeResponse { new_state: Self::state_for(&req.planned, &content), private: None })
    }

    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        let path = self.path(&req.current)?;
        match std::fs::read_to_string(&path) {
            Ok(actual) => {
                let sum = sha256_hex(&actual);
                if req.current.get("content_sha256").and_then(Value::as_str) == Some(sum.as_str()) {
                    return Ok(Some(req.current));
                }
                let Value::Map(mut m) = req.current else { return Ok(None) };
                let key = if m.get("sensitive_content").is_some_and(|v| !v.is_null()) { "sensitive_content" } else { "content" };
                m.insert(key.into(), Value::String(actual));
                m.insert("content_sha256".into(), Value::String(sum.clone()));
                m.insert("id".into(), Value::String(sum));
                Ok(Some(Value::Map(m)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("reading", &path, e)),
        }
    }

    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError> {
        let path = self.path(&req.prior)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("deleting", &path, e)),
        }
    }

    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        let v = Value::map([
            ("filename", Value::String(req.id.clone())),
            ("content", Value::Null),
            ("sensitive_content", Value::Null),
            ("file_permission", Value::Null),
        ]);
        let path = self.path(&v)?;
        let content = std::fs::read_to_string(&path).map_err(|e| io_err("importing", &path, e))?;
        let Value::Map(mut m) = v else { unreachable!("object") };
        m.insert("content".into(), Value::String(content.clone()));
        Ok(Self::state_for(&Value::Map(m), &content))
    }

    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        let path = self.path(&req.config)?;
        let content = std::fs::read_to_string(&path).map_err(|e| io_err("reading", &path, e))?;
        let id = sha256_hex(&content);
        Ok(Value::map([
            ("filename", req.config.get("filename").cloned().unwrap_or(Value::Null)),
            ("content", Value::String(content)),
            ("id", Value::String(id)),
        ]))
    }

    async fn recover(&self, req: RecoverRequest) -> Result<Option<Value>, ProviderError> {
        // The file is the object: if it exists with the planned content, the create happened.
        let Ok(path) = self.path(&req.planned) else { return Ok(None) };
        let want = Self::content(&req.planned);
        match std::fs::read_to_string(&path) {
            Ok(actual) if actual == want => Ok(Some(Self::state_for(&req.planned, &want))),
            _ => Ok(None),
        }
    }
}
