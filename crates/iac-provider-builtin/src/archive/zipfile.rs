//! Deterministic zip archives: entries in a fixed order (a directory's
//! files sorted by name, `source` blocks by file name), every entry with
//! the same timestamp (the one upstream's entries carry, 2049-01-01
//! 00:00:00, which is what Go writes for its zero time), Unix permissions
//! from the file or `output_file_mode`, deflated. The same sources give the
//! same bytes, so checksums only change when content does.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::glob;
use crate::error::Error;

/// What an archive is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Sources {
    /// Every file under a directory (followed symlinks included), with
    /// names relative to it.
    Dir { dir: PathBuf, excludes: Vec<String>, exclude_symlink_directories: bool },
    /// One file, under its base name.
    File(PathBuf),
    /// Files given by name and content.
    Contents(BTreeMap<String, Vec<u8>>),
}

/// Parses a mode as Go's `strconv.ParseUint(s, 0, 32)` does: `0x` hex,
/// `0o` or a leading `0` octal, `0b` binary, else decimal.
pub fn parse_mode(s: &str) -> Result<u32, Error> {
    let bad = || Error::Invalid(format!("error parsing output_file_mode value: {s}"));
    let t = s.replace('_', "");
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        (o, 8)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t.as_str(), 10)
    };
    u32::from_str_radix(digits, radix).map_err(|_| bad())
}

fn stamp() -> DateTime {
    DateTime::from_date_and_time(2049, 1, 1, 0, 0, 0).expect("a valid date")
}

fn options(mode: u32) -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(stamp()).system(System::Unix).unix_permissions(mode)
}

fn zip_err(e: impl std::fmt::Display) -> Error {
    Error::Failed(format!("error creating archive: {e}"))
}

/// The files of a directory walk: (name in the archive, path on disk).
fn walk(dir: &Path, prefix: &str, excludes: &[String], skip_linked_dirs: bool, out: &mut Vec<(String, PathBuf)>) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("error encountered during file walk of", dir, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::io("error encountered during file walk of", dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let archived = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        let excluded = excludes.iter().any(|p| !p.is_empty() && glob::path_match(p, &archived));
        let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io("error encountered during file walk of", &path, e))?;
        if meta.is_dir() {
            if !excluded {
                walk(&path, &archived, excludes, skip_linked_dirs, out)?;
            }
            continue;
        }
        if excluded {
            continue;
        }
        if meta.file_type().is_symlink() {
            let real = std::fs::canonicalize(&path).map_err(|e| Error::io("resolving the symlink", &path, e))?;
            if real.is_dir() {
                if !skip_linked_dirs {
                    walk(&real, &archived, excludes, skip_linked_dirs, out)?;
                }
                continue;
            }
            out.push((archived, real));
        } else {
            out.push((archived, path));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Result<u32, Error> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?.permissions().mode() & 0o777)
}

/// Builds the archive's bytes.
pub fn build(sources: &Sources, output_file_mode: Option<u32>) -> Result<Vec<u8>, Error> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut contents: Vec<(String, Vec<u8>)> = Vec::new();
    match sources {
        Sources::Dir { dir, excludes, exclude_symlink_directories } => {
            match std::fs::metadata(dir) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::Failed(format!("error archiving directory: could not archive missing directory: {}", dir.display())))
                }
                Err(e) => return Err(Error::io("reading", dir, e)),
                Ok(m) if !m.is_dir() => {
                    return Err(Error::Failed(format!("error archiving directory: could not archive directory that is a file: {}", dir.display())))
                }
                Ok(_) => {}
            }
            walk(dir, "", excludes, *exclude_symlink_directories, &mut files)?;
            if files.is_empty() {
                return Err(Error::Failed(format!("error archiving directory {}: archive has not been created as it would be empty", dir.display())));
            }
        }
        Sources::File(path) => {
            if !path.exists() {
                return Err(Error::Failed(format!("error archiving file: could not archive missing file: {}", path.display())));
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push((name, path.clone()));
        }
        Sources::Contents(map) => contents.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
    }
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path) in &files {
        let mode = match output_file_mode {
            Some(m) => m,
            None => file_mode(path)?,
        };
        let data = std::fs::read(path).map_err(|e| Error::io("error reading file for archival", path, e))?;
        w.start_file(name.as_str(), options(mode)).map_err(zip_err)?;
        w.write_all(&data).map_err(zip_err)?;
    }
    for (name, data) in &contents {
        w.start_file(name.as_str(), options(0o644)).map_err(zip_err)?;
        w.write_all(data).map_err(zip_err)?;
    }
    Ok(w.finish().map_err(zip_err)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn entries(bytes: &[u8]) -> Vec<(String, String, u32, (u16, u16))> {
        let mut z = ::zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                let t = f.last_modified().unwrap_or_default();
                (f.name().unwrap().to_string(), s, f.unix_mode().unwrap_or(0) & 0o777, (t.datepart(), t.timepart()))
            })
            .collect()
    }

    #[test]
    fn archives_are_deterministic() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("src");
        std::fs::create_dir_all(dir.join("sub/deep")).unwrap();
        std::fs::write(dir.join("b.txt"), "bee").unwrap();
        std::fs::write(dir.join("a.txt"), "ay").unwrap();
        std::fs::write(dir.join("sub/c.txt"), "sea").unwrap();
        std::fs::write(dir.join("sub/deep/skip.log"), "no").unwrap();
        std::fs::write(dir.join("unwanted.zip"), "no").unwrap();
        let sources = Sources::Dir { dir: dir.clone(), excludes: vec!["unwanted.zip".into(), "**/*.log".into()], exclude_symlink_directories: false };
        let one = build(&sources, Some(0o644)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        std::fs::write(dir.join("a.txt"), "ay").unwrap(); // a newer modification time, the same content
        let two = build(&sources, Some(0o644)).unwrap();
        assert_eq!(one, two, "the same content gives the same bytes");
        let listed = entries(&one);
        let names: Vec<&str> = listed.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.txt", "sub/c.txt"], "sorted, excludes applied");
        assert!(listed.iter().all(|e| e.2 == 0o644 && e.3 == stamp().into()), "one mode and one timestamp: {listed:?}");
        std::fs::write(dir.join("a.txt"), "changed").unwrap();
        assert_ne!(build(&sources, Some(0o644)).unwrap(), one);
    }

    #[test]
    fn contents_files_and_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let mut m = BTreeMap::new();
        m.insert("z.txt".to_string(), b"last".to_vec());
        m.insert("a/b.txt".to_string(), b"first".to_vec());
        let bytes = build(&Sources::Contents(m), None).unwrap();
        assert_eq!(entries(&bytes).iter().map(|e| (e.0.as_str(), e.1.as_str())).collect::<Vec<_>>(), [("a/b.txt", "first"), ("z.txt", "last")]);
        let f = tmp.path().join("one.sh");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        let listed = entries(&build(&Sources::File(f.clone()), Some(parse_mode("0755").unwrap())).unwrap());
        assert_eq!((listed[0].0.as_str(), listed[0].2), ("one.sh", 0o755));
        let missing = build(&Sources::File(tmp.path().join("nope")), None).unwrap_err().to_string();
        assert!(missing.contains("could not archive missing file"), "{missing}");
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let e = build(&Sources::Dir { dir: empty, excludes: vec![], exclude_symlink_directories: false }, None).unwrap_err().to_string();
        assert!(e.contains("would be empty"), "{e}");
        let e = build(&Sources::Dir { dir: f, excludes: vec![], exclude_symlink_directories: false }, None).unwrap_err().to_string();
        assert!(e.contains("directory that is a file"), "{e}");
    }

    #[test]
    fn modes_parse_as_go_does() {
        assert_eq!(parse_mode("0644").unwrap(), 0o644);
        assert_eq!(parse_mode("0o755").unwrap(), 0o755);
        assert_eq!(parse_mode("420").unwrap(), 420, "no leading zero: decimal");
        assert_eq!(parse_mode("0x1ed").unwrap(), 0o755);
        assert!(parse_mode("rwx").is_err());
    }
}
