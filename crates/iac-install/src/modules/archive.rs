//! Archive packages: `.tar.gz`/`.tgz`, `.tar.xz`/`.txz`, `.tar.bz2`/`.tbz2`
//! and plain `.tar` (by the URL's extension or `?archive=`, go-getter's
//! names), decompressed with flate2, lzma-rs and bzip2 (pure Rust) and read
//! by a small tar reader (ustar names and prefixes, GNU long names, pax
//! `path`), and `.zip` with the zip reader provider packages use.
//! Entries that would land outside the package (absolute, `..`) make the
//! archive corrupt; links are skipped, as a module is plain files.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::{take_query, ModuleError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    TarGz,
    TarXz,
    TarBz2,
    Tar,
    Zip,
}

/// The URL to fetch (without `archive=`) and its archive kind, if any.
pub(super) fn kind(url: &str) -> (String, Option<Kind>) {
    let (url, forced) = take_query(url, "archive");
    let ext = forced.unwrap_or_else(|| {
        let path = url.split(['?', '#']).next().unwrap_or("");
        let known = ["tar.gz", "tgz", "tar", "zip", "tar.xz", "txz", "tar.bz2", "tbz2"];
        known.iter().find(|e| path.ends_with(&format!(".{e}"))).map(|e| e.to_string()).unwrap_or_default()
    });
    let kind = match ext.as_str() {
        "tar.gz" | "tgz" => Some(Kind::TarGz),
        "tar" => Some(Kind::Tar),
        "zip" => Some(Kind::Zip),
        "tar.xz" | "txz" => Some(Kind::TarXz),
        "tar.bz2" | "tbz2" => Some(Kind::TarBz2),
        _ => None,
    };
    (url, kind)
}

pub(super) fn unpack(kind: Kind, bytes: &[u8], dest: &Path, url: &str) -> Result<(), ModuleError> {
    let corrupt = |why: String| ModuleError::ArchiveCorrupt { url: url.to_string(), why };
    let tar = match kind {
        Kind::TarGz => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| {
                // The decoder's own words vary with its backend and build
                // ("incomplete" or "corrupt deflate stream"): the message says
                // what the user needs, the detail goes to the log.
                tracing::debug!(error = %e, "gzip decoding failed");
                corrupt("gzip: the compressed data is damaged or cut short".to_string())
            })?;
            out
        }
        Kind::TarXz => {
            let mut out = Vec::new();
            lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out).map_err(|e| {
                tracing::debug!(error = %e, "xz decoding failed");
                corrupt("xz: the compressed data is damaged or cut short".to_string())
            })?;
            out
        }
        Kind::TarBz2 => {
            let mut out = Vec::new();
            // Several concatenated streams (pbzip2, lbzip2) are one file, as in Go's reader.
            bzip2::read::MultiBzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| {
                tracing::debug!(error = %e, "bzip2 decoding failed");
                corrupt("bzip2: the compressed data is damaged or cut short".to_string())
            })?;
            out
        }
        Kind::Tar => bytes.to_vec(),
        Kind::Zip => {
            // The zip reader needs to seek; the package is in memory already.
            let scratch = dest.with_extension("zip-download");
            std::fs::write(&scratch, bytes).map_err(|e| ModuleError::Io { path: scratch.clone(), source: e })?;
            let unpacked = crate::provider_registry::unzip(&scratch, dest);
            let _ = std::fs::remove_file(&scratch);
            return unpacked.map_err(corrupt);
        }
    };
    std::fs::create_dir_all(dest).map_err(|e| ModuleError::Io { path: dest.to_path_buf(), source: e })?;
    for entry in entries(&tar).map_err(corrupt)? {
        let rel = safe_path(&entry.name).ok_or_else(|| corrupt(format!("entry {:?} leads outside the package", entry.name)))?;
        let path = dest.join(&rel);
        let io = |e: std::io::Error| ModuleError::Io { path: path.clone(), source: e };
        match entry.kind {
            b'5' => std::fs::create_dir_all(&path).map_err(io)?,
            b'0' | 0 | b'7' => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                std::fs::write(&path, entry.data).map_err(io)?;
                #[cfg(unix)]
                if entry.mode & 0o111 != 0 {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
                }
            }
            other => tracing::debug!(name = %entry.name, kind = other, "archive entry skipped (not a file or directory)"),
        }
    }
    Ok(())
}

struct Entry<'a> {
    name: String,
    kind: u8,
    mode: u32,
    data: &'a [u8],
}

fn octal(field: &[u8]) -> Result<u64, String> {
    let text = std::str::from_utf8(field).map_err(|_| "a header number is not text".to_string())?;
    let t = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if t.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(t, 8).map_err(|_| format!("a header number {t:?} is not octal"))
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

fn entries(tar: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut long_name: Option<String> = None;
    loop {
        if pos + 512 > tar.len() {
            // A tar ends with zero blocks; running out of data before them is truncation.
            return Err("it ends in the middle (truncated)".into());
        }
        let h = &tar[pos..pos + 512];
        if h.iter().all(|b| *b == 0) {
            return Ok(out);
        }
        // The checksum counts the checksum field as spaces.
        let want = octal(&h[148..156])?;
        let got: u64 = h.iter().enumerate().map(|(i, b)| if (148..156).contains(&i) { b' ' as u64 } else { *b as u64 }).sum();
        if want != got {
            return Err(format!("header checksum mismatch at byte {pos}"));
        }
        let size = octal(&h[124..136])? as usize;
        let kind = h[156];
        let data_start = pos + 512;
        let data_end = data_start.checked_add(size).filter(|e| *e <= tar.len()).ok_or("it ends in the middle (truncated)")?;
        let data = &tar[data_start..data_end];
        pos = data_start + size.div_ceil(512) * 512;
        match kind {
            b'L' => long_name = Some(cstr(data)),
            b'x' => {
                // pax records: "LEN key=value\n"
                for rec in String::from_utf8_lossy(data).split('\n') {
                    if let Some(v) = rec.split_once(' ').and_then(|(_, kv)| kv.strip_prefix("path=")) {
                        long_name = Some(v.to_string());
                    }
                }
            }
            b'g' => {}
            _ => {
                let name = long_name.take().unwrap_or_else(|| {
                    let (name, prefix) = (cstr(&h[0..100]), if &h[257..262] == b"ustar" { cstr(&h[345..500]) } else { String::new() });
                    if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}/{name}")
                    }
                });
                let mode = octal(&h[100..108]).unwrap_or(0o644) as u32;
                out.push(Entry { name, kind, mode, data });
            }
        }
    }
}

/// The entry's path inside the package, or None when it would escape it.
pub(super) fn safe_path(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar made by the system's tar program, so the reader is checked
    /// against a real writer.
    fn real_tar(dir: &Path) -> Vec<u8> {
        let out = std::process::Command::new("tar").args(["-czf", "-", "-C"]).arg(dir).arg(".").output().expect("tar runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// A zip made by the system's zip program (with deflate), as module
    /// archives on web servers are.
    #[test]
    fn zip_from_the_zip_program_unpacks_and_damage_is_corrupt() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("modules/net")).unwrap();
        std::fs::write(src.path().join("main.tf"), "output \"x\" { value = 1 }\n".repeat(50)).unwrap();
        std::fs::write(src.path().join("modules/net/main.tf"), "# nested\n").unwrap();
        let zip = src.path().join("pkg.zip");
        let out =
            std::process::Command::new("zip").args(["-q", "-r"]).arg(&zip).args(["main.tf", "modules"]).current_dir(src.path()).output().expect("zip runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(&zip).unwrap();
        assert_eq!(kind("https://example.test/m.zip").1, Some(Kind::Zip));
        assert_eq!(kind("https://example.test/m?archive=zip").1, Some(Kind::Zip));
        let dest = tempfile::tempdir().unwrap();
        let pkg = dest.path().join("pkg");
        unpack(Kind::Zip, &bytes, &pkg, "u").unwrap();
        assert!(std::fs::read_to_string(pkg.join("main.tf")).unwrap().starts_with("output \"x\""));
        assert_eq!(std::fs::read_to_string(pkg.join("modules/net/main.tf")).unwrap(), "# nested\n");
        assert!(!dest.path().join("pkg.zip-download").exists(), "the scratch copy is removed");
        let mut damaged = bytes.clone();
        let mid = damaged.len() / 3;
        damaged[mid..mid + 40].fill(0);
        assert!(matches!(unpack(Kind::Zip, &damaged, &dest.path().join("bad"), "u"), Err(ModuleError::ArchiveCorrupt { .. })));
    }

    #[test]
    fn tar_gz_from_the_tar_program_unpacks_and_damage_is_corrupt() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("modules/deep")).unwrap();
        std::fs::write(src.path().join("main.tf"), "output \"x\" { value = 1 }\n").unwrap();
        let long = "n".repeat(120);
        std::fs::write(src.path().join("modules/deep").join(format!("{long}.tf")), "# long name\n").unwrap();
        let bytes = real_tar(src.path());
        let dest = tempfile::tempdir().unwrap();
        unpack(Kind::TarGz, &bytes, dest.path(), "u").unwrap();
        assert_eq!(std::fs::read_to_string(dest.path().join("main.tf")).unwrap(), "output \"x\" { value = 1 }\n");
        assert!(dest.path().join("modules/deep").join(format!("{long}.tf")).is_file());

        let cut = &bytes[..bytes.len() / 2];
        let e = unpack(Kind::TarGz, cut, tempfile::tempdir().unwrap().path(), "u").unwrap_err().to_string();
        assert!(e.contains("corrupt"), "{e}");
        let e = unpack(Kind::TarGz, b"not gzip at all", tempfile::tempdir().unwrap().path(), "u").unwrap_err().to_string();
        assert!(e.contains("corrupt") && e.contains("gzip"), "{e}");
    }

    /// tar.xz and tar.bz2 made by the system's tar (with xz and bzip2),
    /// unpacked; damage and truncation are a corrupt archive.
    #[test]
    fn tar_xz_and_tar_bz2_from_the_tar_program_unpack_and_damage_is_corrupt() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("modules/net")).unwrap();
        let body = "output \"x\" { value = 1 }\n".repeat(200);
        std::fs::write(src.path().join("main.tf"), &body).unwrap();
        std::fs::write(src.path().join("modules/net/main.tf"), "# nested\n").unwrap();
        for (flag, kind, what) in [("-cJf", Kind::TarXz, "xz"), ("-cjf", Kind::TarBz2, "bzip2")] {
            let out = std::process::Command::new("tar").args([flag, "-", "-C"]).arg(src.path()).arg(".").output().expect("tar runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let bytes = out.stdout;
            let dest = tempfile::tempdir().unwrap();
            unpack(kind, &bytes, dest.path(), "u").unwrap();
            assert_eq!(std::fs::read_to_string(dest.path().join("main.tf")).unwrap(), body, "{what}");
            assert_eq!(std::fs::read_to_string(dest.path().join("modules/net/main.tf")).unwrap(), "# nested\n", "{what}");

            let cut = &bytes[..bytes.len() / 2];
            let e = unpack(kind, cut, tempfile::tempdir().unwrap().path(), "u").unwrap_err().to_string();
            assert!(e.contains("corrupt") && e.contains(what), "{what}: {e}");
            let mut damaged = bytes.clone();
            let mid = damaged.len() / 2;
            damaged[mid..mid + 16].iter_mut().for_each(|b| *b ^= 0x5a);
            let e = unpack(kind, &damaged, tempfile::tempdir().unwrap().path(), "u").unwrap_err().to_string();
            assert!(e.contains("corrupt"), "{what}: {e}");
            let e = unpack(kind, b"not compressed at all", tempfile::tempdir().unwrap().path(), "u").unwrap_err().to_string();
            assert!(e.contains("corrupt") && e.contains(what), "{what}: {e}");
        }
    }

    #[test]
    fn kinds_come_from_the_extension_or_archive_parameter() {
        assert_eq!(kind("https://h/x.tar.gz"), ("https://h/x.tar.gz".into(), Some(Kind::TarGz)));
        assert_eq!(kind("https://h/x?archive=tgz&a=1"), ("https://h/x?a=1".into(), Some(Kind::TarGz)));
        assert_eq!(kind("https://h/x.zip").1, Some(Kind::Zip));
        assert_eq!(kind("https://h/x.tar.xz").1, Some(Kind::TarXz));
        assert_eq!(kind("https://h/x.tbz2").1, Some(Kind::TarBz2));
        assert_eq!(kind("https://h/x?archive=tar.bz2").1, Some(Kind::TarBz2));
        assert_eq!(kind("https://h/x").1, None);
        assert!(safe_path("../x").is_none() && safe_path("/etc/x").is_none());
        assert_eq!(safe_path("./a/b").unwrap(), PathBuf::from("a/b"));
    }
}
