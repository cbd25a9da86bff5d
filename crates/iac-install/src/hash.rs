//! Terraform's `h1:` package hash: the hash of a sorted list of
//! `SHA256  NAME` lines, one per file of the package, the same for a
//! package unpacked in a directory and for its zip archive.

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::InstallError;

/// The `h1:` hash of an unpacked provider package directory (every regular
/// file below it, named by its path relative to the directory with `/`).
pub fn h1_dir(dir: &Path) -> Result<String, InstallError> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut summary = String::new();
    for rel in files {
        let digest = sha256_file(&dir.join(&rel))?;
        summary.push_str(&format!("{digest}  {rel}\n"));
    }
    Ok(format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), InstallError> {
    let io = |e: std::io::Error| InstallError::Io { path: dir.to_path_buf(), source: e };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        // Follow symbolic links, as Terraform's directory hash does.
        let meta = std::fs::metadata(&path).map_err(|e| InstallError::Io { path: path.clone(), source: e })?;
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push(rel.join("/"));
        }
    }
    Ok(())
}

/// The lowercase hex SHA-256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> Result<String, InstallError> {
    let io = |e: std::io::Error| InstallError::Io { path: path.to_path_buf(), source: e };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h1_is_the_hash_of_the_sorted_file_list() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b"), "two").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/a"), "one").unwrap();
        let summary = format!("{}  b\n{}  sub/a\n", hex::encode(Sha256::digest(b"two")), hex::encode(Sha256::digest(b"one")));
        let want = format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes())));
        assert_eq!(h1_dir(d.path()).unwrap(), want);
        std::fs::write(d.path().join("b"), "changed").unwrap();
        assert_ne!(h1_dir(d.path()).unwrap(), want);
    }
}
