//! `iac init`'s backend bookkeeping: the backend each stack was last
//! initialized with is recorded in its `state/` folder (`backend.json`), so
//! later commands reuse its `-backend-config` values and `-migrate-state`
//! knows where the state is coming from.
//!
//! Migration from Terraform: a Terraform state file where Terraform would
//! keep the stack's state (`terraform.tfstate` beside the stack, the file
//! `backend "local" { path }` names, or the `states` row Terraform's
//! `backend "pg"` keeps in the same schema) is moved into iac's backend by
//! `iac init -migrate-state`, through [`TerraformStateFile`] and
//! `iac_engine::ops::migrate_state` (both locks, copy, read back and
//! compare). The Terraform file is left
//! untouched, so nothing is lost if the migration is interrupted and the
//! user can go back; iac records what it migrated and, from then on,
//! ignores the file unless Terraform writes to it again. Until the
//! migration, commands that plan refuse to run: planning against iac's
//! empty state would create every object again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use iac_core::backend::{SnapshotMeta, StateBackend};
use iac_engine::ops::{self, migrate::has_state, Migrated};
use iac_engine::{statemgr, EngineError};
use iac_lang::config::Backend;
use serde::{Deserialize, Serialize};

use crate::tfstate_file::{TerraformInBackend, TerraformStateFile, TerraformStateInfo};
use crate::wiring;

/// A backend as `iac init` configured it. `type_` None: the default local state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendRecord {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub settings: BTreeMap<String, serde_json::Value>,
    /// `-backend-config` values (may include secrets: the file is mode 0600).
    pub overrides: Vec<(String, String)>,
    /// The Terraform state file `-migrate-state` moved into this backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform: Option<MigratedTerraform>,
}

/// What was migrated from Terraform: Terraform changing the file after this
/// (a newer serial) makes iac refuse to plan until someone reconciles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigratedTerraform {
    pub path: PathBuf,
    pub lineage: String,
    pub serial: u64,
}

impl BackendRecord {
    pub fn of(configured: Option<&Backend>, overrides: &[(String, String)]) -> BackendRecord {
        BackendRecord {
            type_: configured.map(|b| b.type_.clone()),
            settings: configured.map(|b| b.settings.clone()).unwrap_or_default(),
            overrides: overrides.to_vec(),
            terraform: None,
        }
    }

    fn same_block(&self, configured: Option<&Backend>) -> bool {
        self.type_.as_deref() == configured.map(|b| b.type_.as_str()) && configured.map(|b| &b.settings).unwrap_or(&BTreeMap::new()) == &self.settings
    }

    pub fn backend(&self, stack_dir: &Path) -> Result<Arc<dyn StateBackend>, String> {
        wiring::backend_of(stack_dir, self.type_.as_deref().map(|t| (t, &self.settings)), &self.overrides)
    }
}

fn record_path(stack_dir: &Path) -> PathBuf {
    wiring::default_state_dir(stack_dir).join("backend.json")
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
    std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(record).unwrap_or_default()).map_err(fail)?;
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

/// Lock waits, reported as every command reports them.
fn notices() -> iac_engine::run::EventSink {
    std::sync::Arc::new(|e| {
        crate::locking::notice(&e);
    })
}

/// Copies `from`'s state into the empty `to` under both locks and checks
/// the copy (`iac_engine::ops::migrate_state`), waiting for the locks as
/// every command does.
async fn migrate(from: &dyn StateBackend, to: &dyn StateBackend, timeout: Duration) -> Result<Migrated, EngineError> {
    ops::migrate_state(from, to, timeout, &crate::locking::lock_wait(), Some(&notices())).await
}

/// Where a stack stands with a Terraform state file found for its backend.
pub enum TerraformStatus {
    /// Terraform's state is there and iac's backend holds none.
    NotMigrated(TerraformStateInfo),
    /// Moved into iac's backend, and Terraform has not written it since.
    Migrated { info: TerraformStateInfo, iac_serial: u64 },
    /// Both hold state and they disagree (the message says how).
    Conflict(String),
}

/// Looks for Terraform's state where Terraform would keep it for `record`'s
/// backend, and compares it with iac's state in `backend`.
pub async fn terraform_status(stack_dir: &Path, record: &BackendRecord, backend: &dyn StateBackend) -> Result<Option<TerraformStatus>, String> {
    let (path, info) = if let Some(tf) = terraform_pg(record)? {
        // Terraform's pg backend keeps its state in the same schema, in its own table.
        let Some(bytes) = tf.read().await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let path = PathBuf::from(tf.location());
        let Some(info) = TerraformStateInfo::of_bytes(&bytes, &path)? else {
            return Ok(None);
        };
        (path, info)
    } else {
        let Some(path) = wiring::terraform_state_file(stack_dir, record.type_.as_deref().map(|t| (t, &record.settings)), &record.overrides) else {
            return Ok(None);
        };
        let Some(info) = TerraformStateInfo::read(&path)? else {
            return Ok(None);
        };
        (path, info)
    };
    let loaded = statemgr::load(backend).await.map_err(|e| e.to_string())?;
    if !loaded.exists && !loaded.needs_fold {
        return Ok(Some(TerraformStatus::NotMigrated(info)));
    }
    let iac = &loaded.state;
    if iac.lineage != info.lineage {
        return Ok(Some(TerraformStatus::Conflict(format!(
            "found {}, and {} holds another state (lineage {}, serial {}): iac will not plan while both exist. If Terraform's file is an old copy, move it away; if it is the state in use, move iac's state aside and run `iac init -migrate-state`.",
            info.describe(),
            backend.describe(),
            iac.lineage,
            iac.serial
        ))));
    }
    // What was migrated: recorded by this machine's init, else (state
    // migrated elsewhere) at most iac's serial, which starts at Terraform's.
    let migrated = record.terraform.as_ref().filter(|t| t.lineage == info.lineage && t.path == path).map_or(iac.serial, |t| t.serial);
    if info.serial > migrated {
        return Ok(Some(TerraformStatus::Conflict(format!(
            "{} was changed by Terraform after it was migrated into {} (serial {} is newer than the {migrated} migrated): iac will not plan over changes it has not seen. Reconcile by hand: if Terraform's changes are the ones to keep, move iac's state aside and run `iac init -migrate-state` again; if not, move Terraform's file away.",
            info.path.display(),
            backend.describe(),
            info.serial
        ))));
    }
    Ok(Some(TerraformStatus::Migrated { info, iac_serial: iac.serial }))
}

/// Terraform's state for a `backend "pg"` record: the `states` row of the
/// default workspace in the backend's schema (None for other backends).
fn terraform_pg(record: &BackendRecord) -> Result<Option<iac_state_pg::TerraformPgState>, String> {
    if record.type_.as_deref() != Some("pg") {
        return Ok(None);
    }
    let config = iac_state_pg::PgConfig::from_settings(&record.settings, &record.overrides, std::env::var("PG_CONN_STR").ok()).map_err(|e| e.to_string())?;
    Ok(Some(iac_state_pg::TerraformPgState::new(config, "default")))
}

/// Where `-migrate-state` reads Terraform's state from: its file, or the
/// remote backend's Terraform reader through [`TerraformInBackend`].
fn terraform_source(record: &BackendRecord, info: &TerraformStateInfo, registry: &iac_engine::providers::Registry) -> Result<Box<dyn StateBackend>, String> {
    match terraform_pg(record)? {
        Some(tf) => Ok(Box::new(TerraformInBackend::new(Arc::new(tf), registry.clone()))),
        None => Ok(Box::new(TerraformStateFile::new(info.path.clone(), registry.clone()))),
    }
}

/// An S3 key migrated in place from Terraform's state.
struct S3InPlace {
    key: String,
    migration: iac_state_s3::TerraformMigration,
}

/// `backend "s3"` whose key holds Terraform's state: replaced in place by
/// iac's snapshot (`iac_state_s3::S3Backend::migrate_terraform_state`, which
/// keeps Terraform's bytes in `<key>.terraform-backup`), under iac's lock,
/// taken and waited for as every command does, and Terraform's
/// `<key>.tflock`; then read back through `backend` (decrypted) and
/// compared. None: not an S3 backend, or its key does not hold Terraform's state.
async fn migrate_s3_in_place(
    record: &BackendRecord,
    backend: &dyn StateBackend,
    timeout: Duration,
    registry: &iac_engine::providers::Registry,
) -> Result<Option<S3InPlace>, String> {
    if record.type_.as_deref() != Some("s3") {
        return Ok(None);
    }
    let config = iac_state_s3::S3Config::from_settings(&record.settings, &record.overrides).map_err(|e| e.to_string())?;
    let s3 = iac_state_s3::S3Backend::new(config);
    let key = format!("s3://{}/{}", s3.config().bucket, s3.config().key);
    if s3.terraform_state_at_key().await.map_err(|e| e.to_string())?.is_none() {
        return Ok(None);
    }
    if let Some(table) = &s3.config().dynamodb_table {
        errln!(
            "warning: the backend sets dynamodb_table = {table:?}: iac did not check Terraform's DynamoDB lock table. It takes Terraform's S3 lock ({key}.tflock) and writes only over the Terraform state it read, but make sure no Terraform run still locks with that table."
        );
    }
    let keys = wiring::state_keys()?;
    let plain: std::sync::Mutex<Option<(SnapshotMeta, Vec<u8>)>> = std::sync::Mutex::new(None);
    let convert = |bytes: &[u8]| -> Result<(SnapshotMeta, Vec<u8>), String> {
        let mut state = iac_render::tfstate::from_v4(bytes, registry)?;
        state.pending.clear();
        let meta = SnapshotMeta { lineage: state.lineage.clone(), serial: state.serial };
        let snapshot = state.to_bytes();
        let sealed = keys.seal(iac_state_crypt::Purpose::Snapshot, &snapshot).map_err(|e| e.to_string())?;
        *plain.lock().unwrap_or_else(|p| p.into_inner()) = Some((meta.clone(), snapshot));
        Ok((meta, sealed))
    };
    let holder =
        statemgr::lock(backend, "migrate state from Terraform", timeout, &crate::locking::lock_wait(), Some(&notices())).await.map_err(|e| e.to_string())?;
    let result = async {
        let migration = s3.migrate_terraform_state(&holder, convert).await.map_err(|e| e.to_string())?;
        // Read back as every command will read it (decrypted, converted).
        let stored = backend.load().await.map_err(|e| e.to_string())?;
        let expected = plain.lock().unwrap_or_else(|p| p.into_inner()).take();
        if expected.as_ref().map(|(m, b)| (Some(m), Some(b))) != Some((stored.meta.as_ref(), stored.snapshot.as_ref())) {
            return Err(format!(
                "the migrated state at {key} does not read back as Terraform's state converted; Terraform's state is kept at {}",
                migration.backup
            ));
        }
        Ok(migration)
    }
    .await;
    let unlocked = backend.unlock(&holder.id).await.map_err(|e| e.to_string());
    let migration = result?;
    unlocked?;
    Ok(Some(S3InPlace { key, migration }))
}

/// For commands that plan: refuses, naming what it found, while Terraform's
/// state has not been migrated (or has changed since), so iac never plans
/// to create again what Terraform already manages.
pub async fn refuse_unmigrated(
    stack_dir: &Path,
    configured: Option<&Backend>,
    overrides: &[(String, String)],
    backend: &dyn StateBackend,
) -> Result<(), String> {
    let mut record = BackendRecord::of(configured, overrides);
    record.terraform = recorded(stack_dir).and_then(|r| r.terraform);
    match terraform_status(stack_dir, &record, backend).await? {
        Some(TerraformStatus::NotMigrated(info)) => Err(not_migrated(&info, backend)),
        Some(TerraformStatus::Conflict(m)) => Err(m),
        _ => Ok(()),
    }
}

fn not_migrated(info: &TerraformStateInfo, backend: &dyn StateBackend) -> String {
    format!(
        "found {}, and {} is empty: a plan now would create every one of those objects again. Run `iac init -migrate-state` to move Terraform's state into iac's backend (Terraform's file is left as it is).",
        info.describe(),
        backend.describe()
    )
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
    registry: &iac_engine::providers::Registry,
) -> Result<Arc<dyn StateBackend>, String> {
    let mut new_record = BackendRecord::of(configured, overrides);
    let backend = new_record.backend(stack_dir)?;
    // No record: the stack was on the default local state until now.
    let old_record = recorded(stack_dir).unwrap_or_default();
    let changed = old_record.type_ != new_record.type_ || old_record.settings != new_record.settings || old_record.overrides != new_record.overrides;
    // An earlier migration from Terraform stays on record.
    new_record.terraform = old_record.terraform.clone();
    if migrate_state {
        if let Some(m) = migrate_s3_in_place(&new_record, backend.as_ref(), timeout, registry).await? {
            save(stack_dir, &new_record)?;
            outln!(
                "Migrated Terraform's state in {} (lineage {}, serial {}) into iac's state at the same key, and read it back to check.\nTerraform's state is kept unchanged at {}. Stop running Terraform on this stack; remove the backup when you no longer need it.",
                m.key,
                m.migration.meta.lineage,
                m.migration.meta.serial,
                m.migration.backup
            );
            return Ok(backend);
        }
    }
    match terraform_status(stack_dir, &new_record, backend.as_ref()).await? {
        Some(TerraformStatus::NotMigrated(info)) if migrate_state => {
            let from = terraform_source(&new_record, &info, registry)?;
            migrate(from.as_ref(), backend.as_ref(), timeout).await.map_err(|e| e.to_string())?;
            return finish_terraform(stack_dir, new_record, backend, &info, "Migrated");
        }
        Some(TerraformStatus::NotMigrated(info)) => {
            errln!("warning: {}", not_migrated(&info, backend.as_ref()));
        }
        Some(TerraformStatus::Conflict(m)) if migrate_state => return Err(m),
        Some(TerraformStatus::Conflict(m)) => errln!("warning: {m}"),
        Some(TerraformStatus::Migrated { info, iac_serial }) if migrate_state && !changed => {
            if iac_serial == info.serial {
                // Possibly an interrupted run: the copy is complete (snapshots
                // are atomic) but was never checked; check it now.
                let from = terraform_source(&new_record, &info, registry)?;
                migrate(from.as_ref(), backend.as_ref(), timeout).await.map_err(|e| e.to_string())?;
                return finish_terraform(stack_dir, new_record, backend, &info, "Checked the earlier migration of");
            }
            outln!("{} was already migrated into {}; nothing to do.", info.path.display(), backend.describe());
            save(stack_dir, &new_record)?;
            return Ok(backend);
        }
        _ => {}
    }
    if migrate_state {
        if !changed {
            return Err("-migrate-state: the backend is unchanged since the last init; nothing to migrate".into());
        }
        let old = old_record.backend(stack_dir)?;
        let m = migrate(old.as_ref(), backend.as_ref(), timeout).await.map_err(|e| e.to_string())?;
        outln!(
            "Migrated the state from {} to {} ({}{} journal records), and read it back to check.\nThe old copy is left in place; remove it when you no longer need it.",
            old.describe(),
            backend.describe(),
            m.serial.map(|s| format!("serial {s}, ")).unwrap_or_default(),
            m.records
        );
    } else if changed {
        let old = old_record.backend(stack_dir)?;
        let (old_state, new_state) = (old.load().await.map_err(|e| e.to_string())?, backend.load().await.map_err(|e| e.to_string())?);
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

/// Records a verified migration from Terraform and says what happened.
fn finish_terraform(
    stack_dir: &Path,
    mut record: BackendRecord,
    backend: Arc<dyn StateBackend>,
    info: &TerraformStateInfo,
    done: &str,
) -> Result<Arc<dyn StateBackend>, String> {
    record.terraform = Some(MigratedTerraform { path: info.path.clone(), lineage: info.lineage.clone(), serial: info.serial });
    save(stack_dir, &record)?;
    outln!(
        "{done} {} into {}, and read it back to check.\n{} is left untouched as a backup: iac no longer reads it, and refuses to plan if Terraform writes to it again. Stop running Terraform on this stack; remove the file when you no longer need it.",
        info.describe(),
        backend.describe(),
        info.path.display()
    );
    Ok(backend)
}
