//! Provider `local`: the `local_file` resource writes `content` to
//! `filename` (every argument forces replacement, as in Terraform's local
//! provider; refresh notices a file changed or deleted outside iac; recovery
//! adopts a file an interrupted create already wrote), and the `local_file`
//! data source reads one.

use std::io::Write;
use std::path::{Path, PathBuf};

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The configured `local` provider.
pub struct Local {
    /// Relative file names resolve against the stack directory.
    base: PathBuf,
}

impl Configured for Local {
    type Error = Error;
    const NAME: &'static str = "local";
}

#[async_trait]
impl Configure for Local {
    fn types() -> Types<Local> {
        Types::new().resource(LocalFile).data_source(LocalFileData)
    }
    async fn configure(req: &ConfigureRequest) -> Result<Local, ProviderError> {
        Ok(Local { base: req.context.stack_dir.clone() })
    }
}

impl Local {
    fn path(&self, filename: &str) -> Result<PathBuf, Error> {
        if filename.is_empty() {
            return Err(Error::Invalid("filename is required".into()));
        }
        let p = Path::new(filename);
        Ok(if p.is_absolute() { p.to_path_buf() } else { self.base.join(p) })
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `local_file`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalFileModel {
    /// The SHA-256 of the content.
    #[sdk(computed)]
    id: Option<String>,
    /// The file's path, relative to the stack's directory unless absolute.
    #[sdk(required, force_new)]
    filename: String,
    /// The text to write.
    #[sdk(optional, force_new)]
    content: Option<String>,
    /// The text to write, never shown.
    #[sdk(optional, force_new, sensitive)]
    sensitive_content: Option<String>,
    /// The file's mode, in octal.
    #[sdk(optional, computed, force_new, default = "0644")]
    file_permission: Option<String>,
    /// The SHA-256 of the content.
    #[sdk(computed)]
    content_sha256: Option<String>,
}

impl LocalFileModel {
    fn text(&self) -> &str {
        self.content.as_deref().or(self.sensitive_content.as_deref()).unwrap_or("")
    }
}

/// The `local_file` resource type.
pub struct LocalFile;

#[async_trait]
impl Resource<Local> for LocalFile {
    type Model = LocalFileModel;
    const TYPE: &'static str = "local_file";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        if set("content") && set("sensitive_content") {
            vec![(AttrPath::attr("content"), "set content or sensitive_content, not both".into())]
        } else {
            Vec::new()
        }
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Local>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        let Value::Map(m) = planned else { return Ok(()) };
        let content = [m.get("content"), m.get("sensitive_content")].into_iter().flatten().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null);
        let sum = match content.as_str() {
            Some(c) => Value::String(sha256_hex(c)),
            None if content.is_null() => Value::String(sha256_hex("")),
            None => Value::Unknown,
        };
        m.insert("id".into(), sum.clone());
        m.insert("content_sha256".into(), sum.clone());
        // A refreshed file with other content differs from the planned content: replace.
        if let Some(prior) = prior {
            let content_path = AttrPath::attr("content");
            if prior.get("content_sha256") != Some(&sum) && sum.is_wholly_known() && !replace.contains(&content_path) {
                replace.push(content_path);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Local>, planned: LocalFileModel) -> Result<LocalFileModel, Error> {
        let path = cx.provider.path(&planned.filename)?;
        let content = planned.text().to_string();
        let mode = planned.file_permission.as_deref().and_then(|p| u32::from_str_radix(p, 8).ok()).unwrap_or(0o644);
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&target, &content, mode))
            .await
            .map_err(|e| Error::Invalid(format!("writing {}: {e}", path.display())))??;
        Ok(with_sums(planned))
    }

    async fn read(&self, cx: &Ctx<'_, Local>, mut current: LocalFileModel) -> Result<Option<LocalFileModel>, Error> {
        let path = cx.provider.path(&current.filename)?;
        match std::fs::read_to_string(&path) {
            Ok(actual) => {
                if current.content_sha256.as_deref() != Some(sha256_hex(&actual).as_str()) {
                    if current.sensitive_content.is_some() {
                        current.sensitive_content = Some(actual);
                    } else {
                        current.content = Some(actual);
                    }
                }
                Ok(Some(with_sums(current)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &path, e)),
        }
    }

    async fn delete(&self, cx: &Ctx<'_, Local>, prior: LocalFileModel) -> Result<(), Error> {
        let path = cx.provider.path(&prior.filename)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("deleting", &path, e)),
        }
    }

    /// The file is the object: if it exists with the planned content, the
    /// create happened.
    async fn recover(&self, cx: &Ctx<'_, Local>, planned: LocalFileModel) -> Result<Option<LocalFileModel>, Error> {
        let Ok(path) = cx.provider.path(&planned.filename) else { return Ok(None) };
        match std::fs::read_to_string(&path) {
            Ok(actual) if actual == planned.text() => Ok(Some(with_sums(planned))),
            _ => Ok(None),
        }
    }

    /// Imported by file name.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("filename", Value::from(id))])
    }
}

/// The file's sums, and the default mode when none is known.
fn with_sums(mut m: LocalFileModel) -> LocalFileModel {
    let sum = sha256_hex(m.text());
    m.id = Some(sum.clone());
    m.content_sha256 = Some(sum);
    m.file_permission.get_or_insert_with(|| "0644".into());
    m
}

/// Writes through a temporary file and a rename, so a crash leaves the old
/// file or the new one, never half of one.
fn write_atomically(path: &Path, content: &str, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the directory of", path, e))?;
    }
    let tmp = path.with_extension("iac-tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("writing", path, e))?;
    f.write_all(content.as_bytes()).map_err(|e| Error::io("writing", path, e))?;
    f.sync_all().map_err(|e| Error::io("writing", path, e))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io("setting permissions of", path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("writing", path, e))
}

/// The `local_file` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalFileDataModel {
    /// The file to read.
    #[sdk(required)]
    filename: String,
    /// Its text.
    #[sdk(computed)]
    content: Option<String>,
    /// The SHA-256 of its text.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `local_file` data source.
pub struct LocalFileData;

#[async_trait]
impl DataSource<Local> for LocalFileData {
    type Model = LocalFileDataModel;
    const TYPE: &'static str = "local_file";

    async fn read(&self, cx: &Ctx<'_, Local>, mut config: LocalFileDataModel) -> Result<LocalFileDataModel, Error> {
        let path = cx.provider.path(&config.filename)?;
        let content = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        config.id = Some(sha256_hex(&content));
        config.content = Some(content);
        Ok(config)
    }
}
