//! Terraform's local state file (`terraform.tfstate`, or the file a
//! `backend "local" { path = ... }` names) seen as a read-only
//! [`StateBackend`], so that `iac init -migrate-state` moves it into iac's
//! backend with the same lock-copy-verify as between iac's own backends.
//!
//! The lock is Terraform's own: a POSIX write lock on the state file (an
//! open-file-description lock on Linux, which conflicts with the `fcntl`
//! lock Terraform takes, and is not dropped when another descriptor of the
//! file is closed) plus the `.NAME.lock.info` file Terraform writes beside it
//! to say who holds it. So a `terraform apply` running on the same file and
//! a migration exclude each other. The file itself is never written.
//!
//! Terraform's state in a remote backend (the `pg` backend's `states`
//! table) reaches the same migration through [`TerraformInBackend`], which
//! converts what that backend's Terraform reader returns.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};
use iac_engine::providers::Registry;
use serde_json::Value as Json;

/// What a Terraform state file holds, read without converting it.
#[derive(Clone, Debug)]
pub struct TerraformStateInfo {
    pub path: PathBuf,
    pub lineage: String,
    pub serial: u64,
    pub terraform_version: String,
    /// Resource instances (managed and data).
    pub instances: usize,
    pub outputs: usize,
}

impl TerraformStateInfo {
    /// Reads the file's header. `Ok(None)`: no file, an empty file, or a
    /// state with no resources and no outputs (what `terraform destroy`
    /// leaves): nothing to migrate. A file that is not Terraform's state is
    /// an error, never ignored: it may be the only record of real objects.
    pub fn read(path: &Path) -> Result<Option<TerraformStateInfo>, String> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read Terraform's state file {}: {e}", path.display())),
        };
        Self::of_bytes(&bytes, path)
    }

    /// The same for Terraform's state as read from elsewhere (a remote
    /// backend), `path` naming where it is.
    pub fn of_bytes(bytes: &[u8], path: &Path) -> Result<Option<TerraformStateInfo>, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let j: Json = serde_json::from_slice(bytes)
            .map_err(|e| format!("{} is not a Terraform state file (not JSON: {e}); move it away if it is not", path.display()))?;
        if j["version"].as_u64() != Some(4) {
            return Err(format!(
                "{} is a Terraform state file of format version {} (iac reads version 4, Terraform 0.12 and later): upgrade it with a newer Terraform first",
                path.display(),
                j["version"]
            ));
        }
        let lineage = j["lineage"].as_str().ok_or_else(|| format!("{}: Terraform's state has no lineage", path.display()))?.to_string();
        let instances = j["resources"].as_array().into_iter().flatten().map(|r| r["instances"].as_array().map_or(0, Vec::len)).sum();
        let outputs = j["outputs"].as_object().map_or(0, |o| o.len());
        if instances == 0 && outputs == 0 {
            tracing::debug!(path = %path.display(), "Terraform's state file holds nothing; ignoring it");
            return Ok(None);
        }
        Ok(Some(TerraformStateInfo {
            path: path.to_path_buf(),
            lineage,
            serial: j["serial"].as_u64().unwrap_or(0),
            terraform_version: j["terraform_version"].as_str().unwrap_or("unknown").to_string(),
            instances,
            outputs,
        }))
    }

    pub fn describe(&self) -> String {
        format!(
            "Terraform's state in {} (written by Terraform {}, lineage {}, serial {}: {} resource instance(s), {} output(s))",
            self.path.display(),
            self.terraform_version,
            self.lineage,
            self.serial,
            self.instances,
            self.outputs
        )
    }
}

/// A Terraform state file as a read-only backend: `load` converts it to
/// iac's snapshot (same lineage and serial), writes are refused.
pub struct TerraformStateFile {
    path: PathBuf,
    registry: Registry,
    /// The open file carrying our lock while it is held, with the lock's id.
    held: Mutex<Option<(String, File)>>,
}

impl TerraformStateFile {
    pub fn new(path: PathBuf, registry: Registry) -> TerraformStateFile {
        TerraformStateFile { path, registry, held: Mutex::new(None) }
    }

    /// Terraform's `.NAME.lock.info`, beside the state file.
    fn lock_info_path(&self) -> PathBuf {
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "terraform.tfstate".into());
        self.path.with_file_name(format!(".{name}.lock.info"))
    }

    /// Whoever Terraform's lock info names, as a holder iac can show. pid 0:
    /// Terraform records none, and the engine must never take over a lock
    /// it cannot prove stale (an fcntl lock ends with its process anyway).
    fn terraform_holder(&self) -> LockInfo {
        let info: Json = std::fs::read(self.lock_info_path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Json::Null);
        let s = |k: &str| info[k].as_str().unwrap_or("").to_string();
        LockInfo {
            id: if s("ID").is_empty() { "terraform".into() } else { s("ID") },
            operation: format!("Terraform {} on {}", if s("Operation").is_empty() { "operation".into() } else { s("Operation") }, self.path.display()),
            who: if s("Who").is_empty() { "a Terraform process".into() } else { s("Who") },
            host: "unknown".into(),
            pid: 0,
            created: s("Created"),
        }
    }

    fn io(&self, what: &str, e: std::io::Error) -> StateError {
        StateError::Io { context: format!("{what} {}", self.path.display()), source: e }
    }
}

/// Takes a whole-file write lock without waiting; false when another
/// process holds a conflicting one.
// why: fcntl(2) locks are what Terraform takes on its state file; std offers
// only flock(2), which does not see them.
#[allow(unsafe_code)]
fn try_write_lock(f: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: `flock` is plain data; zeroed is a valid value for every field.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as _;
    fl.l_whence = libc::SEEK_SET as _;
    #[cfg(target_os = "linux")]
    let cmd = libc::F_OFD_SETLK;
    // Elsewhere the classic process-wide lock: the open file stays open for
    // as long as the lock is held and is the only descriptor we keep.
    #[cfg(not(target_os = "linux"))]
    let cmd = libc::F_SETLK;
    // SAFETY: the descriptor is open for the call's duration and `fl` outlives it.
    let r = unsafe { libc::fcntl(f.as_raw_fd(), cmd, &mut fl) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EACCES) => Ok(false),
        _ => Err(e),
    }
}

#[async_trait]
impl StateBackend for TerraformStateFile {
    fn describe(&self) -> String {
        format!("Terraform's state file {}", self.path.display())
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_some() {
            return Err(StateError::Locked(Box::new(info.clone())));
        }
        // Opened for writing because a write lock needs it; nothing is written.
        let f = std::fs::OpenOptions::new().read(true).write(true).open(&self.path).map_err(|e| self.io("opening", e))?;
        if !try_write_lock(&f).map_err(|e| self.io("locking", e))? {
            return Err(StateError::Locked(Box::new(self.terraform_holder())));
        }
        // Say who holds it, in Terraform's form, so `terraform apply` can tell its user.
        let record = serde_json::json!({
            "ID": info.id, "Operation": format!("iac {}", info.operation), "Info": "",
            "Who": format!("{}@{}", info.who, info.host), "Version": env!("CARGO_PKG_VERSION"),
            "Created": info.created, "Path": self.path.display().to_string(),
        });
        if let Err(e) = std::fs::write(self.lock_info_path(), record.to_string()) {
            // The lock itself is the fcntl lock; the info file only names its holder.
            tracing::warn!(error = %e, path = %self.lock_info_path().display(), "cannot write Terraform's lock info");
        }
        *held = Some((info.id.clone(), f));
        Ok(())
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        match held.as_ref() {
            Some((held_id, _)) if held_id == id => {}
            _ => return Err(StateError::LockNotHeld(id.to_string())),
        }
        let _ = std::fs::remove_file(self.lock_info_path());
        // Closing the file releases the lock.
        *held = None;
        Ok(())
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        Err(StateError::Backend(format!(
            "Terraform's lock on {} ({id}) belongs to a running process and ends with it; it cannot be forced",
            self.path.display()
        )))
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        // Terraform removes its info file when it unlocks; one left by a
        // crash names a holder that is gone, which `try_lock` finds out.
        Ok(self.lock_info_path().exists().then(|| self.terraform_holder()))
    }

    async fn load(&self) -> Result<Stored, StateError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Stored::default()),
            Err(e) => return Err(self.io("reading", e)),
        };
        let mut state = iac_render::tfstate::from_v4(&bytes, &self.registry).map_err(|detail| StateError::Corrupt { what: self.describe(), detail })?;
        // Terraform has no pending intents; nothing of iac's own comes along.
        state.pending.clear();
        Ok(Stored {
            meta: Some(SnapshotMeta { lineage: state.lineage.clone(), serial: state.serial }),
            snapshot: Some(state.to_bytes()),
            journal: Vec::new(),
            torn_tail: false,
        })
    }

    async fn append(&self, _records: &[Vec<u8>]) -> Result<(), StateError> {
        Err(self.read_only())
    }

    async fn write_snapshot(&self, _meta: &SnapshotMeta, _bytes: &[u8]) -> Result<(), StateError> {
        Err(self.read_only())
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        Ok(Vec::new())
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        Err(StateError::NoSuchVersion(id.to_string()))
    }
}

impl TerraformStateFile {
    fn read_only(&self) -> StateError {
        StateError::Backend(format!("{} is only read: iac never writes Terraform's state file", self.path.display()))
    }
}

/// Terraform's state kept by a remote backend (its `load` returns
/// Terraform's state file as the snapshot), as iac's state: read through
/// [`iac_render::tfstate::from_v4`], locked and unlocked as the backend
/// does it, never written. `iac init -migrate-state` copies it like any other.
pub struct TerraformInBackend {
    inner: std::sync::Arc<dyn StateBackend>,
    registry: Registry,
}

impl TerraformInBackend {
    pub fn new(inner: std::sync::Arc<dyn StateBackend>, registry: Registry) -> TerraformInBackend {
        TerraformInBackend { inner, registry }
    }
}

#[async_trait]
impl StateBackend for TerraformInBackend {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.inner.try_lock(info).await
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.unlock(id).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.force_unlock(id).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder().await
    }

    async fn load(&self) -> Result<Stored, StateError> {
        let Some(bytes) = self.inner.load().await?.snapshot else { return Ok(Stored::default()) };
        let mut state = iac_render::tfstate::from_v4(&bytes, &self.registry).map_err(|detail| StateError::Corrupt { what: self.describe(), detail })?;
        state.pending.clear();
        Ok(Stored {
            meta: Some(SnapshotMeta { lineage: state.lineage.clone(), serial: state.serial }),
            snapshot: Some(state.to_bytes()),
            journal: Vec::new(),
            torn_tail: false,
        })
    }

    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        self.inner.append(records).await
    }

    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.inner.write_snapshot(meta, bytes).await
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        Ok(Vec::new())
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        self.inner.load_version(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_file_is_refused_until_the_first_is_released() {
        let dir = std::env::temp_dir().join(format!("iac-tflock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("terraform.tfstate");
        std::fs::write(&path, "{}").unwrap();
        let a = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
        let b = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
        assert!(try_write_lock(&a).unwrap());
        // Open-file-description locks conflict even within one process.
        #[cfg(target_os = "linux")]
        assert!(!try_write_lock(&b).unwrap());
        drop(a);
        assert!(try_write_lock(&b).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
