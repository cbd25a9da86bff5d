//! `history/`: previous snapshots, one envelope file per serial, the newest
//! [`HISTORY_KEEP`] kept.

use std::fs;
use std::io;

use iac_core::backend::{StateError, VersionInfo};

use crate::atomic::{commit, fsync_dir, io_err, remove_if_exists, write_temp};
use crate::layout::{parse_serial, Layout, HISTORY_KEEP};
use crate::snapshot::{self, Header};

/// Preserves the current `state.json` as `history/state.<serial>.json`.
///
/// Hard-links it under a temporary name and renames that into place, so the
/// history entry appears whole or not at all and the bytes are not copied;
/// where hard links are not supported, copies through an atomic write.
pub(crate) fn preserve_current(layout: &Layout, serial: u64) -> Result<(), StateError> {
    layout.ensure_history_dir()?;
    let (state, tmp, dest) = (layout.state(), layout.history_link_tmp(), layout.history_file(serial));
    remove_if_exists(&tmp)?;
    if fs::hard_link(&state, &tmp).is_err() {
        let bytes = fs::read(&state).map_err(|e| io_err("reading", &state, e))?;
        write_temp(&tmp, &bytes)?;
    }
    commit(&tmp, &dest)
}

/// Serials present in `history/`, newest first.
fn serials(layout: &Layout) -> Result<Vec<u64>, StateError> {
    let dir = layout.history_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err("listing", &dir, e))?;
        if let Some(serial) = entry.file_name().to_str().and_then(Layout::history_serial) {
            out.push(serial);
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    Ok(out)
}

/// Removes all but the newest [`HISTORY_KEEP`] entries older than `current`.
pub(crate) fn prune(layout: &Layout, current: u64) -> Result<(), StateError> {
    let old: Vec<u64> = serials(layout)?.into_iter().filter(|&s| s < current).skip(HISTORY_KEEP).collect();
    if old.is_empty() {
        return Ok(());
    }
    for s in old {
        remove_if_exists(&layout.history_file(s))?;
    }
    fsync_dir(&layout.history_dir())
}

fn info(h: &Header) -> VersionInfo {
    VersionInfo { id: h.serial.to_string(), serial: h.serial, lineage: h.lineage.clone(), created: h.created.clone(), size: h.size }
}

/// The current snapshot followed by the kept previous ones, newest first.
///
/// Entries whose serial is not below the current one are leftovers of a
/// snapshot write that crashed after preserving the current snapshot; they
/// duplicate it and are not listed. Headers are read (and checked) but not
/// bodies: [`load_version`] verifies a body when it is asked for.
pub(crate) fn list(layout: &Layout) -> Result<Vec<VersionInfo>, StateError> {
    let current = match snapshot::read_header(&layout.state())? {
        Some(h) => h,
        None => return Ok(Vec::new()),
    };
    let mut out = vec![info(&current)];
    for serial in serials(layout)?.into_iter().filter(|&s| s < current.serial).take(HISTORY_KEEP) {
        let path = layout.history_file(serial);
        // An entry pruned since the listing is simply gone.
        if let Some(h) = snapshot::read_header(&path)? {
            if h.serial != serial {
                return Err(StateError::Corrupt {
                    what: path.display().to_string(),
                    detail: format!("file is named for serial {serial} but holds serial {}", h.serial),
                });
            }
            out.push(info(&h));
        }
    }
    Ok(out)
}

/// The snapshot bytes of version `id` (a serial), verified.
pub(crate) fn load_version(layout: &Layout, id: &str) -> Result<Vec<u8>, StateError> {
    let missing = || StateError::NoSuchVersion(id.to_string());
    let serial = parse_serial(id).ok_or_else(missing)?;
    if let Some(cur) = snapshot::read_header(&layout.state())? {
        if cur.serial == serial {
            let s = snapshot::read(&layout.state())?.ok_or_else(missing)?;
            if s.header.serial == serial {
                return Ok(s.body);
            }
        }
    }
    let path = layout.history_file(serial);
    let s = snapshot::read(&path)?.ok_or_else(missing)?;
    if s.header.serial != serial {
        return Err(StateError::Corrupt {
            what: path.display().to_string(),
            detail: format!("file is named for serial {serial} but holds serial {}", s.header.serial),
        });
    }
    Ok(s.body)
}
