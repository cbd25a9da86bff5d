//! `lock.json`: who holds the stack's lock.
//!
//! A lock is taken by writing the holder's `LockInfo` to a uniquely named
//! candidate file (created exclusively, mode 0600, fsynced) and hard-linking
//! it to `lock.json`. The link is atomic and fails if `lock.json` exists, like
//! `O_CREAT|O_EXCL`, but a competitor never sees a half-written lock file:
//! whoever loses reads the winner's complete record. Where hard links are not
//! supported, `lock.json` is created with `O_CREAT|O_EXCL` directly.
//!
//! A lock file that cannot be read as a `LockInfo` (hand-edited, or written
//! by a crashed fallback) still means "locked": it is reported with a
//! placeholder holder whose id, `unreadable-<crc32 of the file>`, can be
//! passed to force-unlock.

use std::fs;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use iac_core::backend::{LockInfo, StateError};

use crate::atomic::{create_new_private, fsync_dir, io_err, read_optional, remove_if_exists};
use crate::crc32::crc32_hex;
use crate::layout::Layout;

/// Attempts to take the lock when it vanishes between "exists" and "read".
const ATTEMPTS: usize = 5;

fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}.{nanos}.{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

fn placeholder(layout: &Layout, contents: &[u8], why: &str) -> LockInfo {
    let id = format!("unreadable-{}", crc32_hex(contents));
    LockInfo {
        operation: format!("unknown: lock file {} is unreadable ({why}); if no iac process holds it, force-unlock {id}", layout.lock().display()),
        id,
        who: "unknown".into(),
        host: "unknown".into(),
        pid: 0,
        created: String::new(),
    }
}

/// The current holder, if any.
pub(crate) fn holder(layout: &Layout) -> Result<Option<LockInfo>, StateError> {
    let bytes = match read_optional(&layout.lock())? {
        Some(b) => b,
        None => return Ok(None),
    };
    Ok(Some(match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => info,
        Err(e) => placeholder(layout, &bytes, &e.to_string()),
    }))
}

pub(crate) fn try_lock(layout: &Layout, info: &LockInfo) -> Result<(), StateError> {
    layout.ensure_dir()?;
    let json = serde_json::to_vec_pretty(info).map_err(|e| StateError::Backend(format!("encoding lock info: {e}")))?;
    for _ in 0..ATTEMPTS {
        match create(layout, &json) {
            Ok(()) => return fsync_dir(layout.dir()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if let Some(h) = holder(layout)? {
                    return Err(StateError::Locked(Box::new(h)));
                }
                // Released between our attempt and our read: try again.
            }
            Err(e) => return Err(io_err("creating lock file", &layout.lock(), e)),
        }
    }
    Err(StateError::Backend(format!("lock file {} keeps appearing and disappearing; another process is locking and unlocking", layout.lock().display())))
}

fn create(layout: &Layout, json: &[u8]) -> io::Result<()> {
    let lock = layout.lock();
    let candidate = layout.lock_candidate(&unique());
    let written = create_new_private(&candidate).and_then(|mut f| {
        f.write_all(json)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&candidate);
        return Err(e);
    }
    let linked = fs::hard_link(&candidate, &lock);
    let _ = fs::remove_file(&candidate);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // No hard links here: fall back to an exclusive create.
        Err(_) => {
            let mut f = create_new_private(&lock)?;
            let w = f.write_all(json).and_then(|_| f.sync_all());
            if w.is_err() {
                let _ = fs::remove_file(&lock);
            }
            w
        }
    }
}

/// Removes the lock if `id` names its holder. `force` also accepts the
/// placeholder id of an unreadable lock file; a plain unlock does not, since
/// no process ever held that id.
pub(crate) fn unlock(layout: &Layout, id: &str, force: bool) -> Result<(), StateError> {
    let lock = layout.lock();
    let bytes = read_optional(&lock)?.ok_or_else(|| StateError::LockNotHeld(id.to_string()))?;
    let matches = match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => info.id == id,
        Err(e) => force && placeholder(layout, &bytes, &e.to_string()).id == id,
    };
    if !matches {
        return Err(StateError::LockNotHeld(id.to_string()));
    }
    remove_if_exists(&lock)?;
    fsync_dir(layout.dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str) -> LockInfo {
        LockInfo { id: id.into(), operation: "apply".into(), who: "ann".into(), host: "h".into(), pid: 7, created: "2024-01-01T00:00:00Z".into() }
    }

    #[test]
    fn exclusive_and_leaves_no_candidates_behind() {
        let t = tempfile::tempdir().expect("tempdir");
        let l = Layout::new(t.path().join("s"));
        try_lock(&l, &info("a")).expect("first lock");
        match try_lock(&l, &info("b")) {
            Err(StateError::Locked(h)) => assert_eq!(*h, info("a")),
            other => panic!("expected Locked, got {other:?}"),
        }
        let names: Vec<String> = fs::read_dir(l.dir()).expect("ls").filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["lock.json".to_string()]);
    }

    #[test]
    fn unreadable_lock_still_locks_and_only_force_unlock_clears_it() {
        let t = tempfile::tempdir().expect("tempdir");
        let l = Layout::new(t.path().to_path_buf());
        fs::write(l.lock(), b"{\"id\": \"trunc").expect("seed");
        let h = match try_lock(&l, &info("b")) {
            Err(StateError::Locked(h)) => h,
            other => panic!("expected Locked, got {other:?}"),
        };
        assert!(h.id.starts_with("unreadable-"), "{h:?}");
        assert!(h.operation.contains("lock.json"), "{h:?}");
        assert_eq!(holder(&l).expect("holder"), Some((*h).clone()));
        assert!(matches!(unlock(&l, &h.id, false), Err(StateError::LockNotHeld(_))));
        assert!(matches!(unlock(&l, "unreadable-00000000", true), Err(StateError::LockNotHeld(_))));
        unlock(&l, &h.id, true).expect("force unlock");
        assert_eq!(holder(&l).expect("holder"), None);
        try_lock(&l, &info("b")).expect("lock after clearing");
    }
}
