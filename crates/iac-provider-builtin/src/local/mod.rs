//! Provider `local`, after hashicorp/local: the `local_file` and
//! `local_sensitive_file` resources write a file (every argument replaces
//! it), and the data sources of the same names read one. Relative file
//! names resolve against the stack's directory.
//!
//! Beyond upstream, which forgets a file whose content changed outside
//! Terraform (and so plans to create it again), a read reports the file's
//! new content in the argument it came from, so that drift shows what
//! changed before the plan replaces the file; `local_file` can be imported
//! by file name; and an interrupted create that already wrote the file is
//! recovered.

mod data;
mod file;

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

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
        Types::new().resource(file::LocalFile).resource(file::LocalSensitiveFile).data_source(data::LocalFileData).data_source(data::LocalSensitiveFileData)
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

/// The checksums of a file's content, as every type of the provider reports them.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Checksums {
    /// MD5 checksum of file content.
    #[sdk(computed)]
    content_md5: Option<String>,
    /// SHA1 checksum of file content.
    #[sdk(computed)]
    content_sha1: Option<String>,
    /// SHA256 checksum of file content.
    #[sdk(computed)]
    content_sha256: Option<String>,
    /// Base64 encoded SHA256 checksum of file content.
    #[sdk(computed)]
    content_base64sha256: Option<String>,
    /// SHA512 checksum of file content.
    #[sdk(computed)]
    content_sha512: Option<String>,
    /// Base64 encoded SHA512 checksum of file content.
    #[sdk(computed)]
    content_base64sha512: Option<String>,
}

impl Checksums {
    /// The checksums of `bytes`.
    pub fn of(bytes: &[u8]) -> Checksums {
        let sha256 = Sha256::digest(bytes);
        let sha512 = Sha512::digest(bytes);
        Checksums {
            content_md5: Some(hex::encode(Md5::digest(bytes))),
            content_sha1: Some(sha1_hex(bytes)),
            content_sha256: Some(hex::encode(sha256)),
            content_base64sha256: Some(STANDARD.encode(sha256)),
            content_sha512: Some(hex::encode(sha512)),
            content_base64sha512: Some(STANDARD.encode(sha512)),
        }
    }
}

/// The hex SHA-1 of `bytes`: a file's `id`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// Checks a permission argument: three or four octal digits, at most 0777.
pub fn check_permission(p: &str) -> Result<u32, String> {
    if p.len() < 3 || p.len() > 4 {
        return Err(format!("bad mode permission {p:?}: string length should be 3 or 4 digits"));
    }
    match u32::from_str_radix(p, 8) {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!("bad mode permission {p:?}: string must be expressed in octal numeric notation")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_of_known_content() {
        let c = Checksums::of(b"hello");
        assert_eq!(c.content_md5.as_deref(), Some("5d41402abc4b2a76b9719d911017c592"));
        assert_eq!(c.content_sha1.as_deref(), Some("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"));
        assert_eq!(c.content_sha256.as_deref(), Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
        assert_eq!(c.content_base64sha256.as_deref(), Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="));
        assert!(c.content_sha512.as_deref().is_some_and(|s| s.starts_with("9b71d224bd62f378")));
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn permissions_are_octal() {
        assert_eq!(check_permission("0644"), Ok(0o644));
        assert_eq!(check_permission("755"), Ok(0o755));
        for bad in ["64", "07777", "0888", "1777", "rwx"] {
            assert!(check_permission(bad).is_err(), "{bad}");
        }
    }
}
