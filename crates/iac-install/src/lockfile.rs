//! The dependency lock file, `.terraform.lock.hcl`, in Terraform's format:
//! one `provider "ADDRESS"` block per provider with the chosen `version`,
//! the `constraints` it was chosen under and the package `hashes`.

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

use crate::source::ProviderSource;
use crate::InstallError;

pub const FILE_NAME: &str = ".terraform.lock.hcl";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedProvider {
    pub version: String,
    /// The constraints as written in the configuration (None: unconstrained).
    pub constraints: Option<String>,
    /// `h1:...` and `zh:...` hashes, sorted.
    pub hashes: Vec<String>,
}

/// The lock file's providers, by source address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockFile {
    pub providers: BTreeMap<ProviderSource, LockedProvider>,
}

impl LockFile {
    /// Reads the lock file of a stack directory; an absent file is empty.
    pub fn read(dir: &Path) -> Result<LockFile, InstallError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LockFile::default()),
            Err(e) => return Err(InstallError::Io { path, source: e }),
        };
        LockFile::parse(&text).map_err(|why| InstallError::BadLockFile { path, why })
    }

    pub fn parse(text: &str) -> Result<LockFile, String> {
        let body: Body = text.parse().map_err(|e: hcl_edit::parser::Error| e.to_string())?;
        let mut out = LockFile::default();
        for s in body.iter() {
            let Structure::Block(b) = s else { return Err("unexpected argument at the top level".into()) };
            match b.ident.as_str() {
                "provider" => {}
                // Terraform reserves `module` blocks for a later version and ignores them.
                "module" => continue,
                other => return Err(format!("unexpected block {other:?}")),
            }
            let [label] = b.labels.as_slice() else { return Err("a provider block takes one label, its source address".into()) };
            let addr = match label {
                hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
                hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
            };
            let source = ProviderSource::parse(&addr).map_err(|e| e.to_string())?;
            let mut version = None;
            let mut constraints = None;
            let mut hashes = Vec::new();
            for item in b.body.iter() {
                let Structure::Attribute(a) = item else { continue };
                match (a.key.as_str(), &a.value) {
                    ("version", Expression::String(s)) => version = Some(s.as_str().to_string()),
                    ("constraints", Expression::String(s)) => constraints = Some(s.as_str().to_string()),
                    ("hashes", Expression::Array(items)) => {
                        for i in items.iter() {
                            match i {
                                Expression::String(s) => hashes.push(s.as_str().to_string()),
                                _ => return Err(format!("provider {addr:?}: hashes must be strings")),
                            }
                        }
                    }
                    (k, _) => return Err(format!("provider {addr:?}: unexpected or malformed argument {k:?}")),
                }
            }
            let version = version.ok_or_else(|| format!("provider {addr:?} has no version"))?;
            hashes.sort();
            hashes.dedup();
            out.providers.insert(source, LockedProvider { version, constraints, hashes });
        }
        Ok(out)
    }

    /// The file's text, laid out as `terraform init` writes it.
    pub fn render(&self) -> String {
        let mut out =
            String::from("# This file is maintained automatically by \"iac init\" (and \"terraform init\").\n# Manual edits may be lost in future updates.\n");
        for (source, p) in &self.providers {
            out.push_str(&format!("\nprovider {:?} {{\n", source.to_string()));
            // hclwrite aligns the `=` of adjacent attributes only: alone,
            // `version` takes one space.
            match &p.constraints {
                Some(c) => out.push_str(&format!("  version     = {:?}\n  constraints = {c:?}\n", p.version)),
                None => out.push_str(&format!("  version = {:?}\n", p.version)),
            }
            out.push_str("  hashes = [\n");
            for h in &p.hashes {
                out.push_str(&format!("    {h:?},\n"));
            }
            out.push_str("  ]\n}\n");
        }
        out
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn write(&self, dir: &Path) -> Result<(), InstallError> {
        let path = dir.join(FILE_NAME);
        let tmp = dir.join(format!("{FILE_NAME}.tmp"));
        std::fs::write(&tmp, self.render()).map_err(|e| InstallError::Io { path: tmp.clone(), source: e })?;
        std::fs::rename(&tmp, &path).map_err(|e| InstallError::Io { path, source: e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERRAFORMS: &str = r#"# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=",
  ]
}
"#;

    #[test]
    fn reads_terraforms_lock_file_and_writes_it_back() {
        let lock = LockFile::parse(TERRAFORMS).unwrap();
        let aws = &lock.providers[&ProviderSource::parse("hashicorp/aws").unwrap()];
        assert_eq!(aws.version, "5.100.0");
        assert_eq!(aws.constraints.as_deref(), Some("~> 5.0"));
        assert_eq!(aws.hashes, vec!["h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=".to_string()]);
        let again = LockFile::parse(&lock.render()).unwrap();
        assert_eq!(again, lock);
        // Everything after the header is byte for byte Terraform's layout.
        let body = |t: &str| t.split_once("\n\n").unwrap().1.to_string();
        assert_eq!(body(&lock.render()), body(TERRAFORMS));
    }

    #[test]
    fn malformed_lock_files_are_errors() {
        assert!(LockFile::parse("provider \"hashicorp/aws\" {}").unwrap_err().contains("no version"));
        assert!(LockFile::parse("provider \"a/b/c/d\" { version = \"1.0.0\" }").is_err());
        assert!(LockFile::parse("x = 1").is_err());
        assert!(LockFile::parse("provider \"hashicorp/aws\" { version = \"1.0.0\"\n hashes = [1] }").is_err());
    }
}
