//! Provider `archive`, after hashicorp/archive: `archive_file`, as a data
//! source and as a resource, writes a zip of `source_file`, `source_dir`
//! (less `excludes`), `source_content` (as `source_content_filename`) or
//! `source` blocks to `output_path` and reports its size and checksums.
//! Archives are deterministic (see [`zipfile`]). As upstream, the resource
//! builds the archive again on every read (a changed source shows as new
//! checksums, not as a change to apply) and leaves the file on destroy.

mod glob;
mod zipfile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::error::Error;
use zipfile::Sources;

/// The configured `archive` provider.
pub struct Archive {
    /// Relative paths resolve against the stack directory.
    base: PathBuf,
}

impl Configured for Archive {
    type Error = Error;
    const NAME: &'static str = "archive";
}

#[async_trait]
impl Configure for Archive {
    fn types() -> Types<Archive> {
        Types::new().resource(ArchiveFile).data_source(ArchiveFileData)
    }
    async fn configure(req: &ConfigureRequest) -> Result<Archive, ProviderError> {
        Ok(Archive { base: req.context.stack_dir.clone() })
    }
}

impl Archive {
    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

/// A `source` block: one file given by name and content.
#[derive(Model, Debug, Clone, Default)]
pub struct SourceModel {
    /// Add this content to the archive with `filename` as the filename.
    #[sdk(required)]
    content: String,
    /// Set this as the filename when declaring a `source`.
    #[sdk(required)]
    filename: String,
}

/// `archive_file`'s attributes (the data source's and the resource's).
#[derive(Model, Debug, Clone, Default)]
pub struct ArchiveFileModel {
    /// The SHA1 checksum of the output.
    #[sdk(computed)]
    id: Option<String>,
    /// The type of archive to generate: `zip`.
    #[sdk(required, name = "type")]
    kind: String,
    /// Add only this content to the archive with `source_content_filename` as the filename.
    #[sdk(optional)]
    source_content: Option<String>,
    /// Set this as the filename when using `source_content`.
    #[sdk(optional)]
    source_content_filename: Option<String>,
    /// Package this file into the archive.
    #[sdk(optional)]
    source_file: Option<String>,
    /// Package entire contents of this directory into the archive.
    #[sdk(optional)]
    source_dir: Option<String>,
    /// Files and directories of `source_dir` to leave out: glob patterns, `**` included.
    #[sdk(optional, set)]
    excludes: Option<Vec<String>>,
    /// Whether symbolically linked directories are left out. Defaults to `false`.
    #[sdk(optional)]
    exclude_symlink_directories: Option<bool>,
    /// The output of the archive file.
    #[sdk(required)]
    output_path: String,
    /// The byte size of the output archive file.
    #[sdk(computed)]
    output_size: Option<i64>,
    /// The octal file mode for all archived files, e.g. `"0666"`, for the same checksums on every platform.
    #[sdk(optional)]
    output_file_mode: Option<String>,
    /// MD5 of output file.
    #[sdk(computed)]
    output_md5: Option<String>,
    /// SHA1 checksum of output file.
    #[sdk(computed)]
    output_sha: Option<String>,
    /// SHA256 checksum of output file.
    #[sdk(computed)]
    output_sha256: Option<String>,
    /// Base64 Encoded SHA256 checksum of output file.
    #[sdk(computed)]
    output_base64sha256: Option<String>,
    /// SHA512 checksum of output file.
    #[sdk(computed)]
    output_sha512: Option<String>,
    /// Base64 Encoded SHA512 checksum of output file.
    #[sdk(computed)]
    output_base64sha512: Option<String>,
    /// Specifies attributes of a single source file to include into the archive.
    #[sdk(block, set)]
    source: Vec<SourceModel>,
}

const SOURCES: [&str; 4] = ["source", "source_content_filename", "source_file", "source_dir"];

fn validate(config: &Value) -> Vec<(AttrPath, String)> {
    let given = |k: &str| config.get(k).is_some_and(|v| !v.is_null() && v.as_list().is_none_or(|l| !l.is_empty()));
    let set: Vec<&str> = SOURCES.iter().copied().filter(|k| given(k)).collect();
    let mut problems = Vec::new();
    if set.len() != 1 {
        let at = set.get(1).copied().unwrap_or("source_file");
        problems.push((
            AttrPath::attr(at),
            format!(
                "one and only one of source, source_content_filename (with source_content), source_file or source_dir must be set{}",
                if set.is_empty() { String::new() } else { format!(", not {}", set.join(" and ")) }
            ),
        ));
    }
    if given("source_content") && (given("source_file") || given("source_dir")) {
        problems.push((AttrPath::attr("source_content"), "source_content conflicts with source_file and source_dir".into()));
    }
    if given("excludes") && !given("source_dir") {
        problems.push((AttrPath::attr("excludes"), "excludes applies to source_dir only".into()));
    }
    match config.get("type").and_then(|v| v.unmarked().as_str()) {
        Some("zip") | None => {}
        Some(other) => problems.push((AttrPath::attr("type"), format!("archive type not supported: {other:?} (iac builds \"zip\" archives)"))),
    }
    if let Some(Err(e)) = config.get("output_file_mode").and_then(|v| v.unmarked().as_str()).map(zipfile::parse_mode) {
        problems.push((AttrPath::attr("output_file_mode"), e.to_string()));
    }
    problems
}

/// Builds the archive `m` describes, writes it, and fills in what it reports.
async fn archive(a: &Archive, mut m: ArchiveFileModel) -> Result<ArchiveFileModel, Error> {
    if m.kind != "zip" {
        return Err(Error::Invalid(format!("archive type not supported: {:?} (iac builds \"zip\" archives)", m.kind)));
    }
    let sources = if let Some(dir) = &m.source_dir {
        Sources::Dir {
            dir: a.path(dir),
            excludes: m.excludes.clone().unwrap_or_default(),
            exclude_symlink_directories: m.exclude_symlink_directories.unwrap_or(false),
        }
    } else if let Some(file) = &m.source_file {
        Sources::File(a.path(file))
    } else if let Some(name) = &m.source_content_filename {
        Sources::Contents(BTreeMap::from([(name.clone(), m.source_content.clone().unwrap_or_default().into_bytes())]))
    } else if !m.source.is_empty() {
        Sources::Contents(m.source.iter().map(|s| (s.filename.clone(), s.content.clone().into_bytes())).collect())
    } else {
        return Err(Error::Invalid("one of source, source_content_filename, source_file or source_dir must be set".into()));
    };
    let mode = m.output_file_mode.as_deref().filter(|s| !s.is_empty()).map(zipfile::parse_mode).transpose()?;
    let output = a.path(&m.output_path);
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Error> {
        let bytes = zipfile::build(&sources, mode)?;
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new().recursive(true).mode(0o755).create(dir).map_err(|e| Error::io("error creating output path", dir, e))?;
        }
        std::fs::write(&output, &bytes).map_err(|e| Error::io("writing the archive", &output, e))?;
        Ok(bytes)
    })
    .await
    .map_err(|e| Error::Failed(format!("building the archive: {e}")))??;
    let sha1 = hex::encode(Sha1::digest(&bytes));
    let (sha256, sha512) = (Sha256::digest(&bytes), Sha512::digest(&bytes));
    m.output_size = Some(bytes.len() as i64);
    m.output_md5 = Some(hex::encode(Md5::digest(&bytes)));
    m.output_sha = Some(sha1.clone());
    m.output_sha256 = Some(hex::encode(sha256));
    m.output_base64sha256 = Some(STANDARD.encode(sha256));
    m.output_sha512 = Some(hex::encode(sha512));
    m.output_base64sha512 = Some(STANDARD.encode(sha512));
    m.id = Some(sha1);
    Ok(m)
}

/// The `archive_file` data source: the archive is built when read.
pub struct ArchiveFileData;

#[async_trait]
impl DataSource<Archive> for ArchiveFileData {
    type Model = ArchiveFileModel;
    const TYPE: &'static str = "archive_file";

    async fn read(&self, cx: &Ctx<'_, Archive>, config: ArchiveFileModel) -> Result<ArchiveFileModel, Error> {
        let problems = validate(&config.to_value());
        if let Some((path, message)) = problems.into_iter().next() {
            return Err(Error::Invalid(format!("{path}: {message}")));
        }
        archive(cx.provider, config).await
    }
}

/// The `archive_file` resource type.
pub struct ArchiveFile;

#[async_trait]
impl Resource<Archive> for ArchiveFile {
    type Model = ArchiveFileModel;
    const TYPE: &'static str = "archive_file";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate(config)
    }

    /// Every argument but `exclude_symlink_directories` replaces the archive.
    async fn modify_plan(&self, _cx: &Ctx<'_, Archive>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        let Some(prior) = prior else { return Ok(()) };
        for k in ["type", "source_content", "source_content_filename", "source_file", "source_dir", "excludes", "output_path", "output_file_mode", "source"] {
            if prior.get(k).cloned().unwrap_or(Value::Null).unmark_deep().0 != planned.get(k).cloned().unwrap_or(Value::Null).unmark_deep().0 {
                replace.push(AttrPath::attr(k));
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Archive>, planned: ArchiveFileModel) -> Result<ArchiveFileModel, Error> {
        archive(cx.provider, planned).await
    }

    /// As upstream: reading builds the archive again.
    async fn read(&self, cx: &Ctx<'_, Archive>, current: ArchiveFileModel) -> Result<Option<ArchiveFileModel>, Error> {
        archive(cx.provider, current).await.map(Some)
    }

    /// As upstream: the archive file stays.
    async fn delete(&self, _cx: &Ctx<'_, Archive>, _prior: ArchiveFileModel) -> Result<(), Error> {
        Ok(())
    }

    async fn import(&self, _cx: &Ctx<'_, Archive>, _id: &str) -> Result<Option<ArchiveFileModel>, Error> {
        Err(Error::Invalid("archive_file does not support import".into()))
    }
}
