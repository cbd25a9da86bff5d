//! Durable file primitives: private files and directories, write-to-temp +
//! fsync + rename + fsync-directory replacement, and IO error context.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use iac_core::backend::StateError;

pub(crate) fn io_err(context: &str, path: &Path, source: io::Error) -> StateError {
    StateError::Io { context: format!("{context} {}", path.display()), source }
}

/// Creates `dir` and any missing parents with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn private(opts: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Opens (creating with mode 0600 if needed) a file for appending.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().read(true).append(true).create(true)).open(path)
}

/// Creates a new file with mode 0600, failing if it exists.
pub(crate) fn create_new_private(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// Makes a directory's entries (creations, renames, removals) durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err("syncing directory", dir, e))
}

/// Writes `bytes` to `tmp` (mode 0600, truncating any leftover) and fsyncs it.
/// The first step of an atomic replace; [`commit`] is the second.
pub(crate) fn write_temp(tmp: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let mut f = private(OpenOptions::new().write(true).create(true).truncate(true)).open(tmp).map_err(|e| io_err("creating temporary file", tmp, e))?;
    #[cfg(unix)]
    {
        // A leftover temp file keeps its old mode when reopened; reset it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600)).map_err(|e| io_err("setting mode of", tmp, e))?;
    }
    f.write_all(bytes).map_err(|e| io_err("writing", tmp, e))?;
    f.sync_all().map_err(|e| io_err("syncing", tmp, e))
}

/// Renames a fully written and synced temp file over `dest`, then fsyncs the
/// directory so that the rename itself survives a crash. The rename is the
/// commit point: readers see either the old file or the new one, whole.
pub(crate) fn commit(tmp: &Path, dest: &Path) -> Result<(), StateError> {
    fs::rename(tmp, dest).map_err(|e| io_err(&format!("renaming {} over", tmp.display()), dest, e))?;
    fsync_dir(dest.parent().unwrap_or(Path::new(".")))
}

/// Removes a file if it exists.
pub(crate) fn remove_if_exists(path: &Path) -> Result<(), StateError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("removing", path, e)),
    }
}

/// Reads a whole file; `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", path, e)),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
    }

    #[test]
    fn atomic_replace_writes_private_files() {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("a/b");
        create_private_dir(&dir).expect("mkdir");
        assert_eq!(mode(&dir), 0o700);
        let (tmp, dest) = (dir.join(".x.tmp"), dir.join("x"));
        fs::write(&tmp, b"leftover from a crash, longer than the new content").expect("seed");
        write_temp(&tmp, b"new").expect("write");
        commit(&tmp, &dest).expect("commit");
        assert_eq!(fs::read(&dest).expect("read"), b"new");
        assert_eq!(mode(&dest), 0o600);
        assert!(!tmp.exists());
    }
}
