//! `local_file` and `local_sensitive_file`: a file written from exactly one
//! of `content` (`sensitive_content` too, for `local_file`),
//! `content_base64` or `source` (a file to copy), with `file_permission`
//! and, for the directories a create makes, `directory_permission` (before
//! the umask). `id` is the SHA-1 of the content, and the checksums are
//! known while planning whenever the content is.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::{AttrPath, ValueMap};

use super::{check_permission, sha1_hex, Checksums, Local};
use crate::error::Error;

/// What the two resource types share, over their own models.
trait FileModel: Model + Clone + Send + 'static {
    /// The arguments a file's content may come from; exactly one is set.
    const CONTENTS: &'static [&'static str];
    /// The default of `file_permission` and `directory_permission`.
    const MODE: &'static str;
    fn filename(&self) -> &str;
    /// The content argument that is set, and its value.
    fn content(&self) -> Option<(&'static str, &str)>;
    /// Sets a content argument (the one a read found changed).
    fn set_content(&mut self, attr: &str, value: String);
    fn file_permission(&mut self) -> &mut String;
    fn directory_permission(&mut self) -> &mut String;
    fn set_result(&mut self, id: String, sums: Checksums);
    fn id(&self) -> Option<&str>;
}

/// The bytes a content argument stands for.
fn bytes_of(local: &Local, attr: &str, value: &str) -> Result<Vec<u8>, Error> {
    match attr {
        "content_base64" => STANDARD.decode(value).map_err(|e| Error::Invalid(format!("content_base64 is not valid base64: {e}"))),
        "source" => {
            let path = local.path(value)?;
            std::fs::read(&path).map_err(|e| Error::io("reading the source", &path, e))
        }
        _ => Ok(value.as_bytes().to_vec()),
    }
}

fn mode(p: &str) -> Result<u32, Error> {
    check_permission(p).map_err(Error::Invalid)
}

fn validate<M: FileModel>(config: &Value) -> Vec<(AttrPath, String)> {
    let set: Vec<&str> = M::CONTENTS.iter().copied().filter(|k| config.get(k).is_some_and(|v| !v.is_null())).collect();
    let names = M::CONTENTS.join(" or ");
    let mut problems = match set.len() {
        1 => Vec::new(),
        0 => vec![(AttrPath::attr("content"), format!("one of {names} must be set"))],
        _ => vec![(AttrPath::attr(set[1]), format!("only one of {names} may be set, not {}", set.join(" and ")))],
    };
    for k in ["file_permission", "directory_permission"] {
        if let Some(Err(e)) = config.get(k).and_then(|v| v.unmarked().as_str()).map(check_permission) {
            problems.push((AttrPath::attr(k), e));
        }
    }
    problems
}

/// The id and checksums follow from content known while planning.
fn plan<M: FileModel>(local: &Local, planned: &mut Value) -> Result<(), Error> {
    let Value::Map(m) = planned else { return Ok(()) };
    let Some((attr, v)) = M::CONTENTS.iter().find_map(|k| m.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v.unmarked().clone()))) else { return Ok(()) };
    let sums_of = |m: &mut ValueMap, sums: Option<(String, Checksums)>| {
        let (id, sums) = match sums {
            Some((id, sums)) => (Value::from(id), sums.to_value()),
            None => (Value::Unknown, Checksums::default().to_value()),
        };
        m.insert("id".into(), id.clone());
        for (k, s) in sums.as_map().into_iter().flat_map(|s| s.iter()) {
            m.insert(k.clone(), if id.is_unknown() { Value::Unknown } else { s.clone() });
        }
    };
    match v.as_str() {
        Some(text) if attr != "source" => {
            let bytes = bytes_of(local, attr, text)?;
            sums_of(m, Some((sha1_hex(&bytes), Checksums::of(&bytes))));
        }
        None if v.is_unknown() => sums_of(m, None),
        _ => {}
    }
    Ok(())
}

async fn create<M: FileModel>(local: &Local, mut planned: M) -> Result<M, Error> {
    let path = local.path(planned.filename())?;
    let (attr, value) = planned.content().ok_or_else(|| Error::Invalid(format!("one of {} must be set", M::CONTENTS.join(" or "))))?;
    let bytes = bytes_of(local, attr, value)?;
    let (file_mode, dir_mode) = (mode(planned.file_permission())?, mode(planned.directory_permission())?);
    let (target, content) = (path.clone(), bytes.clone());
    tokio::task::spawn_blocking(move || write_atomically(&target, &content, file_mode, dir_mode))
        .await
        .map_err(|e| Error::Failed(format!("writing {}: {e}", path.display())))??;
    planned.set_result(sha1_hex(&bytes), Checksums::of(&bytes));
    Ok(planned)
}

/// The file as it is: gone when missing; when its content changed, the
/// content argument shows the new content (or, for a copy of `source`, the
/// file counts as gone, as upstream has it).
async fn read<M: FileModel>(local: &Local, mut current: M) -> Result<Option<M>, Error> {
    let path = local.path(current.filename())?;
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", &path, e)),
    };
    let id = sha1_hex(&bytes);
    if current.id() != Some(id.as_str()) {
        let attr = current.content().map(|(a, _)| a).unwrap_or(M::CONTENTS[0]);
        match (attr, String::from_utf8(bytes.clone())) {
            ("content_base64", _) => current.set_content(attr, STANDARD.encode(&bytes)),
            ("source", _) => return Ok(None),
            (_, Ok(text)) => current.set_content(attr, text),
            // Text arguments cannot hold what is not UTF-8: the file is not the one written.
            (_, Err(_)) => return Ok(None),
        }
    }
    // An imported file's permissions are the defaults, as a configuration
    // that leaves them out has them.
    if current.file_permission().is_empty() {
        *current.file_permission() = M::MODE.to_string();
    }
    if current.directory_permission().is_empty() {
        *current.directory_permission() = M::MODE.to_string();
    }
    current.set_result(id, Checksums::of(&bytes));
    Ok(Some(current))
}

fn delete(local: &Local, filename: &str) -> Result<(), Error> {
    let path = local.path(filename)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("deleting", &path, e)),
    }
}

/// The file is the object: if it exists with the planned content, the
/// create happened.
fn recover<M: FileModel>(local: &Local, mut planned: M) -> Option<M> {
    let path = local.path(planned.filename()).ok()?;
    let (attr, value) = planned.content()?;
    let want = bytes_of(local, attr, value).ok()?;
    let actual = std::fs::read(path).ok()?;
    (actual == want).then(|| {
        planned.set_result(sha1_hex(&actual), Checksums::of(&actual));
        planned
    })
}

/// Writes through a temporary file and a rename, so a crash leaves the old
/// file or the new one, never half of one. Modes are given before the umask.
fn write_atomically(path: &Path, content: &[u8], file_mode: u32, dir_mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new().recursive(true).mode(dir_mode).create(dir).map_err(|e| Error::io("creating the directory of", path, e))?;
    }
    let tmp = path.with_extension("iac-tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(file_mode).open(&tmp).map_err(|e| Error::io("writing", path, e))?;
    f.write_all(content).map_err(|e| Error::io("writing", path, e))?;
    f.sync_all().map_err(|e| Error::io("writing", path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("writing", path, e))
}

/// `local_file`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalFileModel {
    /// The hexadecimal encoding of the SHA1 checksum of the file content.
    #[sdk(computed)]
    id: Option<String>,
    /// The path to the file that will be created (relative to the stack's directory unless absolute). Missing parent directories will be created.
    #[sdk(required, force_new)]
    filename: String,
    /// Content to store in the file, expected to be a UTF-8 encoded string.
    #[sdk(optional, force_new)]
    content: Option<String>,
    /// Content to store in the file, expected to be binary encoded as base64 string.
    #[sdk(optional, force_new)]
    content_base64: Option<String>,
    /// Path to file to use as source for the one we are creating.
    #[sdk(optional, force_new)]
    source: Option<String>,
    /// Sensitive content to store in the file (deprecated upstream: use `local_sensitive_file`).
    #[sdk(optional, force_new, sensitive)]
    sensitive_content: Option<String>,
    /// Permissions to set for the output file (before umask), in octal. Default value is "0777".
    #[sdk(optional, computed, force_new, default = "0777")]
    file_permission: String,
    /// Permissions to set for directories created (before umask), in octal. Default value is "0777".
    #[sdk(optional, computed, force_new, default = "0777")]
    directory_permission: String,
    #[sdk(flatten)]
    sums: Checksums,
}

impl FileModel for LocalFileModel {
    const CONTENTS: &'static [&'static str] = &["content", "sensitive_content", "content_base64", "source"];
    const MODE: &'static str = "0777";
    fn filename(&self) -> &str {
        &self.filename
    }
    fn content(&self) -> Option<(&'static str, &str)> {
        [("content", &self.content), ("sensitive_content", &self.sensitive_content), ("content_base64", &self.content_base64), ("source", &self.source)]
            .into_iter()
            .find_map(|(k, v)| Some((k, v.as_deref()?)))
    }
    fn set_content(&mut self, attr: &str, value: String) {
        match attr {
            "sensitive_content" => self.sensitive_content = Some(value),
            "content_base64" => self.content_base64 = Some(value),
            _ => self.content = Some(value),
        }
    }
    fn file_permission(&mut self) -> &mut String {
        &mut self.file_permission
    }
    fn directory_permission(&mut self) -> &mut String {
        &mut self.directory_permission
    }
    fn set_result(&mut self, id: String, sums: Checksums) {
        self.id = Some(id);
        self.sums = sums;
    }
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// The `local_file` resource type.
pub struct LocalFile;

#[async_trait]
impl Resource<Local> for LocalFile {
    type Model = LocalFileModel;
    const TYPE: &'static str = "local_file";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate::<LocalFileModel>(config)
    }
    async fn modify_plan(&self, cx: &Ctx<'_, Local>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan::<LocalFileModel>(cx.provider, planned)
    }
    async fn create(&self, cx: &Ctx<'_, Local>, planned: LocalFileModel) -> Result<LocalFileModel, Error> {
        create(cx.provider, planned).await
    }
    async fn read(&self, cx: &Ctx<'_, Local>, current: LocalFileModel) -> Result<Option<LocalFileModel>, Error> {
        read(cx.provider, current).await
    }
    async fn delete(&self, cx: &Ctx<'_, Local>, prior: LocalFileModel) -> Result<(), Error> {
        delete(cx.provider, &prior.filename)
    }
    async fn recover(&self, cx: &Ctx<'_, Local>, planned: LocalFileModel) -> Result<Option<LocalFileModel>, Error> {
        Ok(recover(cx.provider, planned))
    }
    /// Imported by file name (upstream has no import): the file's text becomes `content`.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("filename", Value::from(id))])
    }
}

/// `local_sensitive_file`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalSensitiveFileModel {
    /// The hexadecimal encoding of the SHA1 checksum of the file content.
    #[sdk(computed)]
    id: Option<String>,
    /// The path to the file that will be created (relative to the stack's directory unless absolute). Missing parent directories will be created.
    #[sdk(required, force_new)]
    filename: String,
    /// Sensitive content to store in the file, expected to be a UTF-8 encoded string.
    #[sdk(optional, force_new, sensitive)]
    content: Option<String>,
    /// Sensitive content to store in the file, expected to be binary encoded as base64 string.
    #[sdk(optional, force_new, sensitive)]
    content_base64: Option<String>,
    /// Path to file to use as source for the one we are creating.
    #[sdk(optional, force_new)]
    source: Option<String>,
    /// Permissions to set for the output file (before umask), in octal. Default value is "0700".
    #[sdk(optional, computed, force_new, default = "0700")]
    file_permission: String,
    /// Permissions to set for directories created (before umask), in octal. Default value is "0700".
    #[sdk(optional, computed, force_new, default = "0700")]
    directory_permission: String,
    #[sdk(flatten)]
    sums: Checksums,
}

impl FileModel for LocalSensitiveFileModel {
    const CONTENTS: &'static [&'static str] = &["content", "content_base64", "source"];
    const MODE: &'static str = "0700";
    fn filename(&self) -> &str {
        &self.filename
    }
    fn content(&self) -> Option<(&'static str, &str)> {
        [("content", &self.content), ("content_base64", &self.content_base64), ("source", &self.source)].into_iter().find_map(|(k, v)| Some((k, v.as_deref()?)))
    }
    fn set_content(&mut self, attr: &str, value: String) {
        match attr {
            "content_base64" => self.content_base64 = Some(value),
            _ => self.content = Some(value),
        }
    }
    fn file_permission(&mut self) -> &mut String {
        &mut self.file_permission
    }
    fn directory_permission(&mut self) -> &mut String {
        &mut self.directory_permission
    }
    fn set_result(&mut self, id: String, sums: Checksums) {
        self.id = Some(id);
        self.sums = sums;
    }
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// The `local_sensitive_file` resource type.
pub struct LocalSensitiveFile;

#[async_trait]
impl Resource<Local> for LocalSensitiveFile {
    type Model = LocalSensitiveFileModel;
    const TYPE: &'static str = "local_sensitive_file";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate::<LocalSensitiveFileModel>(config)
    }
    async fn modify_plan(&self, cx: &Ctx<'_, Local>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan::<LocalSensitiveFileModel>(cx.provider, planned)
    }
    async fn create(&self, cx: &Ctx<'_, Local>, planned: LocalSensitiveFileModel) -> Result<LocalSensitiveFileModel, Error> {
        create(cx.provider, planned).await
    }
    async fn read(&self, cx: &Ctx<'_, Local>, current: LocalSensitiveFileModel) -> Result<Option<LocalSensitiveFileModel>, Error> {
        read(cx.provider, current).await
    }
    async fn delete(&self, cx: &Ctx<'_, Local>, prior: LocalSensitiveFileModel) -> Result<(), Error> {
        delete(cx.provider, &prior.filename)
    }
    async fn recover(&self, cx: &Ctx<'_, Local>, planned: LocalSensitiveFileModel) -> Result<Option<LocalSensitiveFileModel>, Error> {
        Ok(recover(cx.provider, planned))
    }
    /// As upstream: a sensitive file is not imported.
    async fn import(&self, _cx: &Ctx<'_, Local>, _id: &str) -> Result<Option<LocalSensitiveFileModel>, Error> {
        Err(Error::Invalid("local_sensitive_file does not support import".into()))
    }
}
