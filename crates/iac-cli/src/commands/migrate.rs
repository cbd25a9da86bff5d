//! `iac init`'s backend bookkeeping: the backend each stack was last
//! initialized with is recorded in its `state/` folder (`backend.json`), so
//! later commands reuse its `-backend-config` values and `-migrate-state`
//! knows where the state is coming from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use iac_core::backend::{StateBackend, Stored};
use iac_engine::{statemgr, EngineError};
use iac_lang::config::Backend;
use serde::{Deserialize, Serialize};

use crate::wiring;

/// A backend as `iac init` configured it. `type_` None: the default local state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendRecord {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub settings: BTreeMap<String, serde_json::Value>,
    /// `-backend-config` values (may include secrets: the file is mode 0600).
    pub overrides: Vec<(String, String)>,
}

impl BackendRecord {
    pub fn of(configured: Option<&Backend>, overrides: &[(String, String)]) -> BackendRecord {
        BackendRecord {
            type_: configured.map(|b| b.type_.clone()),
            settings: configured.map(|b| b.settings.clone()).unwrap_or_default(),
            overrides: overrides.to_vec(),
        }
    }

    fn same_block(&self, configured: Option<&Backend>) -> bool {
        self.type_.as_deref() == configured.map(|b| b.type_.as_str())
            && configured.map(|b| &b.settings).unwrap_or(&BTreeMap::new()) == &self.settings
    }

    pub fn backend(&self, stack_dir: &Path) -> Result<Arc<dyn StateBackend>, String> {
        wiring::backend_of(
            stack_dir,
            self.type_.as_deref().map(|t| (t, &self.settings)),
            &self.overrides,
        )
    }
}

fn record_path(stack_dir: &Path) -> PathBuf {
    iac_engine::ops::default_state_dir(stack_dir).join("backend.json")
}

pub fn recorded(stack_dir: &Path) -> Option<BackendRecord> {
    let bytes = std::fs::read(record_path(stack_dir)).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, path = %record_path(stack_dir).display(), "ignoring an unreadable backend record");
            None
        }
    }
}

fn save(stack_dir: &Path, record: &BackendRecord) -> Result<(), String> {
    let path = record_path(stack_dir);
    let fail = |e: std::io::Error| format!("cannot record the backend in {}: {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp).map_err(fail)?;
    std::io::Write::write_all(
        &mut f,
        &serde_json::to_vec_pretty(record).unwrap_or_default(),
    )
    .map_err(fail)?;
    f.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, &path).map_err(fail)
}

/// The `-backend-config` values recorded by the last `iac init`, if the
/// stack's backend block is still the one they were given for.
pub fn recorded_overrides(stack_dir: &Path, configured: Option<&Backend>) -> Vec<(String, String)> {
    match recorded(stack_dir) {
        Some(r) if r.same_block(configured) => r.overrides,
        _ => Vec::new(),
    }
}

/// What `-migrate-state` copied.
pub struct Migrated {
    pub serial: Option<u64>,
    pub records: usize,
}

/// Lock waits, reported as every command reports them.
fn notices() -> iac_engine::run::EventSink {
    std::sync::Arc::new(|e| {
        crate::locking::notice(&e);
    })
}

fn has_state(s: &Stored) -> bool {
    s.snapshot.is_some() || !s.journal.is_empty()
}

/// Copies `from`'s snapshot and journal to the empty `to`, holding both
/// locks, then reads `to` back and compares.
pub async fn migrate(
    from: &dyn StateBackend,
    to: &dyn StateBackend,
    timeout: Duration,
) -> Result<Migrated, EngineError> {
    let from_lock = statemgr::lock(from, "migrate state", timeout, &crate::locking::lock_wait(), Some(&notices())).await?;
    let result = async {
        let to_lock = statemgr::lock(to, "migrate state", timeout, &crate::locking::lock_wait(), Some(&notices())).await?;
        let copied = copy(from, to).await;
        let unlocked = to.unlock(&to_lock.id).await;
        let copied = copied?;
        unlocked?;
        Ok::<Migrated, EngineError>(copied)
    }
    .await;
    let unlocked = from.unlock(&from_lock.id).await;
    let migrated = result?;
    unlocked?;
    Ok(migrated)
}

async fn copy(from: &dyn StateBackend, to: &dyn StateBackend) -> Result<Migrated, EngineError> {
    let source = from.load().await?;
    if !has_state(&source) {
        return Err(EngineError::Invalid(format!(
            "{} holds no state to migrate",
            from.describe()
        )));
    }
    let existing = to.load().await?;
    if has_state(&existing) {
        let what = existing.meta.as_ref().map_or_else(
            || "journal records".to_string(),
            |m| format!("lineage {}, serial {}", m.lineage, m.serial),
        );
        return Err(EngineError::Invalid(format!(
            "{} already holds state ({what}); refusing to overwrite it with {}",
            to.describe(),
            from.describe()
        )));
    }
    if let (Some(meta), Some(snapshot)) = (&source.meta, &source.snapshot) {
        to.write_snapshot(meta, snapshot).await?;
    }
    if !source.journal.is_empty() {
        to.append(&source.journal).await?;
    }
    let copy = to.load().await?;
    if copy.snapshot != source.snapshot
        || copy.meta != source.meta
        || copy.journal != source.journal
    {
        return Err(EngineError::Invalid(format!(
            "the copy in {} does not read back as the state of {}; the old state is untouched",
            to.describe(),
            from.describe()
        )));
    }
    Ok(Migrated {
        serial: source.meta.map(|m| m.serial),
        records: source.journal.len(),
    })
}

/// `iac init`'s backend step: returns the configured backend after
/// migrating to it (with `-migrate-state`) or checking that no state is
/// being left behind, and records it.
pub async fn init_backend(
    stack_dir: &Path,
    configured: Option<&Backend>,
    overrides: &[(String, String)],
    migrate_state: bool,
    timeout: Duration,
) -> Result<Arc<dyn StateBackend>, String> {
    let new_record = BackendRecord::of(configured, overrides);
    let backend = new_record.backend(stack_dir)?;
    // No record: the stack was on the default local state until now.
    let old_record = recorded(stack_dir).unwrap_or_default();
    let changed = old_record.type_ != new_record.type_
        || old_record.settings != new_record.settings
        || old_record.overrides != new_record.overrides;
    if migrate_state {
        if !changed {
            return Err(
                "-migrate-state: the backend is unchanged since the last init; nothing to migrate"
                    .into(),
            );
        }
        let old = old_record.backend(stack_dir)?;
        let m = migrate(old.as_ref(), backend.as_ref(), timeout)
            .await
            .map_err(|e| e.to_string())?;
        outln!(
            "Migrated the state from {} to {} ({}{} journal records), and read it back to check.\nThe old copy is left in place; remove it when you no longer need it.",
            old.describe(),
            backend.describe(),
            m.serial.map(|s| format!("serial {s}, ")).unwrap_or_default(),
            m.records
        );
    } else if changed {
        let old = old_record.backend(stack_dir)?;
        let (old_state, new_state) = (
            old.load().await.map_err(|e| e.to_string())?,
            backend.load().await.map_err(|e| e.to_string())?,
        );
        if has_state(&old_state) && !has_state(&new_state) {
            return Err(format!(
                "the backend changed: the state is in {} and {} is empty. Run `iac init -migrate-state` to copy it over.",
                old.describe(),
                backend.describe()
            ));
        }
    }
    save(stack_dir, &new_record)?;
    Ok(backend)
}
