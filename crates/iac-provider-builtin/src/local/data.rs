//! The `local_file` and `local_sensitive_file` data sources: a file's
//! content (as text, invalid UTF-8 replaced, and as base64) and checksums;
//! the sensitive one marks the content sensitive.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use iac_provider_sdk::prelude::*;

use super::{sha1_hex, Checksums, Local};
use crate::error::Error;

/// What both data sources read: (text, base64, id, checksums).
fn read_file(local: &Local, filename: &str) -> Result<(String, String, String, Checksums), Error> {
    let path = local.path(filename)?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), STANDARD.encode(&bytes), sha1_hex(&bytes), Checksums::of(&bytes)))
}

/// The `local_file` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalFileDataModel {
    /// Path to the file that will be read (relative to the stack's directory unless absolute).
    #[sdk(required)]
    filename: String,
    /// Raw content of the file, as UTF-8 text (invalid sequences replaced).
    #[sdk(computed)]
    content: Option<String>,
    /// Base64 encoded version of the file content (use this when dealing with binary data).
    #[sdk(computed)]
    content_base64: Option<String>,
    /// The hexadecimal encoding of the SHA1 checksum of the file content.
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(flatten)]
    sums: Checksums,
}

/// The `local_file` data source.
pub struct LocalFileData;

#[async_trait]
impl DataSource<Local> for LocalFileData {
    type Model = LocalFileDataModel;
    const TYPE: &'static str = "local_file";

    async fn read(&self, cx: &Ctx<'_, Local>, config: LocalFileDataModel) -> Result<LocalFileDataModel, Error> {
        let (text, b64, id, sums) = read_file(cx.provider, &config.filename)?;
        Ok(LocalFileDataModel { filename: config.filename, content: Some(text), content_base64: Some(b64), id: Some(id), sums })
    }
}

/// The `local_sensitive_file` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocalSensitiveFileDataModel {
    /// Path to the file that will be read (relative to the stack's directory unless absolute).
    #[sdk(required)]
    filename: String,
    /// Raw content of the file, as UTF-8 text (invalid sequences replaced).
    #[sdk(computed, sensitive)]
    content: Option<String>,
    /// Base64 encoded version of the file content (use this when dealing with binary data).
    #[sdk(computed, sensitive)]
    content_base64: Option<String>,
    /// The hexadecimal encoding of the SHA1 checksum of the file content.
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(flatten)]
    sums: Checksums,
}

/// The `local_sensitive_file` data source.
pub struct LocalSensitiveFileData;

#[async_trait]
impl DataSource<Local> for LocalSensitiveFileData {
    type Model = LocalSensitiveFileDataModel;
    const TYPE: &'static str = "local_sensitive_file";

    async fn read(&self, cx: &Ctx<'_, Local>, config: LocalSensitiveFileDataModel) -> Result<LocalSensitiveFileDataModel, Error> {
        let (text, b64, id, sums) = read_file(cx.provider, &config.filename)?;
        Ok(LocalSensitiveFileDataModel { filename: config.filename, content: Some(text), content_base64: Some(b64), id: Some(id), sums })
    }
}
