//! Where each file of a stack's local state lives. The only module that
//! knows file names; the others ask it.

use std::path::{Path, PathBuf};

use iac_core::backend::StateError;

use crate::atomic::{create_private_dir, fsync_dir, io_err};

/// How many previous snapshots `history/` keeps (the current one is extra).
pub(crate) const HISTORY_KEEP: usize = 10;

const STATE: &str = "state.json";
const STATE_TMP: &str = ".state.json.tmp";
const JOURNAL: &str = "journal.log";
const LOCK: &str = "lock.json";
const HISTORY: &str = "history";
const HISTORY_LINK_TMP: &str = ".link.tmp";

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    pub(crate) fn new(dir: PathBuf) -> Layout {
        Layout { dir }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn state(&self) -> PathBuf {
        self.dir.join(STATE)
    }

    /// The fixed temporary name a new snapshot is written under before it is
    /// renamed over `state.json`; a leftover from a crash is overwritten by
    /// the next write and ignored by readers.
    pub(crate) fn state_tmp(&self) -> PathBuf {
        self.dir.join(STATE_TMP)
    }

    pub(crate) fn journal(&self) -> PathBuf {
        self.dir.join(JOURNAL)
    }

    pub(crate) fn lock(&self) -> PathBuf {
        self.dir.join(LOCK)
    }

    /// A unique name for a lock candidate, linked to `lock.json` once complete.
    pub(crate) fn lock_candidate(&self, unique: &str) -> PathBuf {
        self.dir.join(format!(".lock.{unique}.tmp"))
    }

    pub(crate) fn history_dir(&self) -> PathBuf {
        self.dir.join(HISTORY)
    }

    pub(crate) fn history_link_tmp(&self) -> PathBuf {
        self.history_dir().join(HISTORY_LINK_TMP)
    }

    pub(crate) fn history_file(&self, serial: u64) -> PathBuf {
        self.history_dir().join(format!("state.{serial}.json"))
    }

    /// The serial a `history/` entry's file name carries, if it is one.
    pub(crate) fn history_serial(file_name: &str) -> Option<u64> {
        let digits = file_name.strip_prefix("state.")?.strip_suffix(".json")?;
        parse_serial(digits)
    }

    /// Creates the stack directory (mode 0700) if it does not exist yet, and
    /// makes its creation durable.
    pub(crate) fn ensure_dir(&self) -> Result<(), StateError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        create_private_dir(&self.dir).map_err(|e| io_err("creating state directory", &self.dir, e))?;
        match self.dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => fsync_dir(p),
            _ => Ok(()),
        }
    }

    pub(crate) fn ensure_history_dir(&self) -> Result<(), StateError> {
        let h = self.history_dir();
        if h.is_dir() {
            return Ok(());
        }
        create_private_dir(&h).map_err(|e| io_err("creating state history directory", &h, e))?;
        fsync_dir(&self.dir)
    }
}

/// A serial written as canonical decimal digits (no sign, no leading zeros).
pub(crate) fn parse_serial(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_names_round_trip() {
        let l = Layout::new(PathBuf::from("/x"));
        let name = l.history_file(42);
        assert_eq!(Layout::history_serial(name.file_name().and_then(|n| n.to_str()).unwrap_or("")), Some(42));
        assert_eq!(Layout::history_serial("state.json"), None);
        assert_eq!(Layout::history_serial("state.007.json"), None);
        assert_eq!(Layout::history_serial("state.-1.json"), None);
        assert_eq!(Layout::history_serial(".link.tmp"), None);
    }

    #[test]
    fn serials_are_canonical_decimal() {
        assert_eq!(parse_serial("0"), Some(0));
        assert_eq!(parse_serial("12"), Some(12));
        for bad in ["", "+1", "01", "1a", "../1", "99999999999999999999999"] {
            assert_eq!(parse_serial(bad), None, "{bad}");
        }
    }
}
