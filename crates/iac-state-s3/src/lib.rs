//! The S3 state backend: one stack's state in an S3 bucket (AWS, or any
//! S3-compatible store through `endpoint` and `use_path_style`), locked with
//! S3's conditional writes alone (no DynamoDB), with the bucket's versioning
//! as its history.
//!
//! It owns, for the objects beside the configured `key`: the snapshot and
//! its checksum, the lock, the journal batches, history listing, and
//! detecting damage to any of them. Snapshot and journal bytes are opaque
//! here (encoding and encryption happen above).
//!
//! # Objects
//!
//! ```text
//! <key>                              the snapshot (header line + bytes, see envelope.rs);
//!                                    its versions are the history
//! <key>.lock                         the holder's LockInfo, created with If-None-Match: *
//! <key>.journal/<gen>/<seq:020>      one object per `append` batch since snapshot <gen>
//! <key>.terraform-backup             Terraform's state as it was at <key> before
//!                                    `iac init -migrate-state` replaced it (bytes unchanged)
//! <key>.tflock                       Terraform's S3 lock (`use_lockfile`); iac creates it,
//!                                    with If-None-Match: *, only while migrating
//! ```
//!
//! # Migration from Terraform
//!
//! A key holding Terraform's state (what a Terraform `backend "s3"` wrote
//! there) is never read as empty or overwritten by ordinary writes: every
//! read names it. `iac init -migrate-state` replaces it in place (see
//! `terraform.rs`), under iac's lock and Terraform's `<key>.tflock`:
//! Terraform's bytes are first copied unchanged to `<key>.terraform-backup`,
//! then iac's snapshot is written to `<key>` only if it still has the ETag
//! Terraform's state was read at, then read back and compared. Interrupting
//! it at any point leaves Terraform's state intact: at `<key>` until iac's
//! snapshot is written there (one atomic conditional PUT), in the backup
//! from then on. A run killed while holding the locks leaves them behind:
//! `<key>.tflock` names iac's holder and must be removed by hand. A
//! DynamoDB lock table (`dynamodb_table`) is accepted in the settings but
//! never used: this crate does not check it.
//!
//! # Guarantees, and what a crash can lose
//!
//! - A snapshot is one PUT, conditional on the ETag of the snapshot it was
//!   checked against (`If-Match`, or `If-None-Match: *` for the first), so a
//!   writer that lost its lock, or raced another, can never overwrite a newer
//!   state: it re-reads, and the lineage/serial check refuses it.
//! - PUTs are atomic and carry a SHA-256 the server verifies, so a crash in
//!   the middle of one leaves the previous object untouched.
//! - The journal a snapshot starts is named by the snapshot's serial
//!   (`<gen>`), so committing a snapshot switches to an empty journal in the
//!   same PUT; the old generation's objects are deleted afterwards, and are
//!   never read if a crash leaves them.
//! - An `append` is one PUT of the whole batch (`If-None-Match: *` on the
//!   next sequence number, so two writers cannot take the same slot); it is
//!   durable when it returns. The engine's group commit hands over every
//!   record that arrived during the previous PUT, so a crash loses only
//!   records whose `append` had not returned: nothing reported as done.
//!   Because a PUT is atomic there are no torn records: a damaged journal
//!   object, last or not, is `Corrupt`.
//!
//! Appends assume the caller holds the lock (the engine always does): a
//! handle remembers which generation it writes into, and another process
//! committing a snapshot meanwhile would make those records unreachable.
//!
//! Architecture Invariant: this crate depends on `iac-core` and the AWS SDK
//! only; it must not depend on the engine, the parser, or any provider.

#![deny(missing_docs)]

mod config;
mod envelope;
mod store;
mod terraform;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_s3::types::ServerSideEncryption;
use futures::{StreamExt, TryStreamExt};
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

pub use config::{ConfigError, S3Config};
use store::{Condition, Failure, Store};
pub use terraform::TerraformMigration;

/// How many times a read or write is retried when another writer changes the
/// object between our read and our conditional write.
const ATTEMPTS: usize = 8;
/// Objects read at once when loading the journal or listing history.
const CONCURRENT_READS: usize = 8;

const META_LINEAGE: &str = "iac-lineage";
const META_SERIAL: &str = "iac-serial";
const META_SIZE: &str = "iac-size";

/// Where the next journal batch goes: the generation (the current
/// snapshot's serial, or `none`) and the next free sequence number.
#[derive(Clone, Debug)]
struct Cursor {
    generation: String,
    next: u64,
}

/// One stack's state in S3.
pub struct S3Backend {
    config: S3Config,
    client: OnceCell<Store>,
    cursor: Mutex<Option<Cursor>>,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend").field("bucket", &self.config.bucket).field("key", &self.config.key).finish()
    }
}

fn generation_of(meta: Option<&SnapshotMeta>) -> String {
    meta.map_or_else(|| "none".to_string(), |m| m.serial.to_string())
}

fn now_rfc3339() -> String {
    iac_core::time::rfc3339(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

impl S3Backend {
    /// A backend for `config`. Nothing is contacted until the first
    /// operation; credentials come from the AWS environment as usual
    /// (`AWS_ACCESS_KEY_ID`…, profiles, instance roles).
    pub fn new(config: S3Config) -> S3Backend {
        S3Backend { config, client: OnceCell::new(), cursor: Mutex::new(None) }
    }

    /// The settings this backend was made with.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    async fn store(&self) -> &Store {
        self.client
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(r) = &self.config.region {
                    loader = loader.region(aws_config::Region::new(r.clone()));
                }
                if let Some(p) = &self.config.profile {
                    loader = loader.profile_name(p);
                }
                if let (Some(ak), Some(sk)) = (&self.config.access_key, &self.config.secret_key) {
                    loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(ak, sk, None, None, "backend \"s3\" settings"));
                }
                let shared = loader.load().await;
                let mut b = aws_sdk_s3::config::Builder::from(&shared)
                    .force_path_style(self.config.use_path_style)
                    // We send our own SHA-256 with every PUT; the SDK's default
                    // streaming checksums are not understood by every S3 clone.
                    .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
                    .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
                if shared.region().is_none() {
                    // S3-compatible stores ignore the region, but signing needs one.
                    b = b.region(aws_config::Region::new("us-east-1"));
                }
                if let Some(e) = &self.config.endpoint {
                    b = b.endpoint_url(e);
                }
                let sse = match (self.config.encrypt, &self.config.kms_key_id) {
                    (_, Some(kms)) => Some((ServerSideEncryption::AwsKms, Some(kms.clone()))),
                    (true, None) => Some((ServerSideEncryption::Aes256, None)),
                    (false, None) => None,
                };
                Store { client: aws_sdk_s3::Client::from_conf(b.build()), bucket: self.config.bucket.clone(), sse }
            })
            .await
    }

    fn key(&self) -> &str {
        &self.config.key
    }

    fn lock_key(&self) -> String {
        format!("{}.lock", self.config.key)
    }

    fn journal_root(&self) -> String {
        format!("{}.journal/", self.config.key)
    }

    fn journal_prefix(&self, generation: &str) -> String {
        format!("{}{generation}/", self.journal_root())
    }

    fn corrupt(&self, key: &str, detail: impl std::fmt::Display) -> StateError {
        StateError::Corrupt { what: format!("s3://{}/{key}", self.config.bucket), detail: detail.to_string() }
    }

    /// The error for a key that holds Terraform's state (the same bucket
    /// and key a Terraform `backend "s3"` wrote), rather than "corrupted":
    /// iac must neither plan against it as empty nor overwrite it.
    fn terraform_state(&self, bytes: &[u8]) -> Option<StateError> {
        let j: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let version = j.get("terraform_version")?.as_str()?;
        Some(StateError::Backend(format!(
            "{} holds Terraform's state (written by Terraform {version}, serial {}), not iac's: a plan now would create every one of its objects again. Run `iac init -migrate-state` to migrate it in place (Terraform's bytes are kept at {})",
            self.store_url(self.key()),
            j["serial"],
            self.store_url(&format!("{}.terraform-backup", self.key()))
        )))
    }

    fn set_cursor(&self, c: Option<Cursor>) {
        *self.cursor.lock().unwrap_or_else(|p| p.into_inner()) = c;
    }

    fn cursor(&self) -> Option<Cursor> {
        self.cursor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The current snapshot, verified, with the ETag it was read at.
    async fn current(&self) -> Result<Option<(envelope::Snapshot, String)>, StateError> {
        let Some(obj) = self.store().await.get_optional(self.key()).await? else {
            return Ok(None);
        };
        let snap = match envelope::decode_snapshot(&obj.bytes) {
            Ok(s) => s,
            Err(d) => return Err(self.terraform_state(&obj.bytes).unwrap_or_else(|| self.corrupt(self.key(), d))),
        };
        let tag =
            obj.e_tag.ok_or_else(|| StateError::Backend(format!("S3 returned {} without an ETag; conditional writes need one", self.store_url(self.key()))))?;
        Ok(Some((snap, tag)))
    }

    fn store_url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.config.bucket)
    }

    /// The journal batches of `generation`, in order, and the next free sequence number.
    async fn read_journal(&self, generation: &str) -> Result<(Vec<Vec<u8>>, u64), StateError> {
        let store = self.store().await;
        let prefix = self.journal_prefix(generation);
        let mut entries: Vec<(u64, String)> = Vec::new();
        for key in store.list(&prefix).await? {
            let seq = key.strip_prefix(&prefix).filter(|s| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<u64>().ok());
            match seq {
                Some(n) => entries.push((n, key)),
                None => tracing::warn!(key, "ignoring an object in the journal that iac did not write"),
            }
        }
        entries.sort();
        let next = entries.last().map_or(0, |(n, _)| n + 1);
        let batches: Vec<Vec<Vec<u8>>> = futures::stream::iter(entries.into_iter().map(|(_, key)| async move {
            let obj = store.get(&key, None).await.map_err(StateError::from)?;
            envelope::decode_batch(&obj.bytes).map_err(|d| self.corrupt(&key, d))
        }))
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
        Ok((batches.into_iter().flatten().collect(), next))
    }

    /// Deletes every journal object (and version) of generations other than `keep`.
    async fn prune_journal(&self, keep: &str) -> Result<(), StateError> {
        let store = self.store().await;
        let keep_prefix = self.journal_prefix(keep);
        let old: Vec<store::Version> = store.list_versions(&self.journal_root()).await?.into_iter().filter(|v| !v.key.starts_with(&keep_prefix)).collect();
        if !old.is_empty() {
            store.delete_versions(&old).await?;
        }
        Ok(())
    }

    async fn write_snapshot_inner(&self, meta: &SnapshotMeta, bytes: &[u8], crash_mid_upload: bool) -> Result<(), StateError> {
        let envelope = envelope::encode_snapshot(meta, &now_rfc3339(), bytes);
        let metadata = [(META_LINEAGE, meta.lineage.clone()), (META_SERIAL, meta.serial.to_string()), (META_SIZE, bytes.len().to_string())];
        for _ in 0..ATTEMPTS {
            let condition = match self.current().await? {
                None => Condition::Absent,
                Some((cur, tag)) => {
                    if cur.meta.lineage != meta.lineage {
                        return Err(StateError::Conflict(format!(
                            "{} holds lineage {}, not {}; refusing to replace another stack's state",
                            self.store_url(self.key()),
                            cur.meta.lineage,
                            meta.lineage
                        )));
                    }
                    if meta.serial <= cur.meta.serial {
                        return Err(StateError::Conflict(format!(
                            "{} is at serial {}; a new snapshot must have a higher serial than {}",
                            self.store_url(self.key()),
                            cur.meta.serial,
                            meta.serial
                        )));
                    }
                    Condition::Unchanged(tag)
                }
            };
            if crash_mid_upload {
                return self.upload_and_die(&envelope, &condition, &metadata).await;
            }
            match self.store().await.put(self.key(), envelope.clone(), Some(&condition), &metadata).await {
                Ok(_) => {
                    let generation = generation_of(Some(meta));
                    self.set_cursor(Some(Cursor { generation: generation.clone(), next: 0 }));
                    // The old journal is unreachable now; removing it is housekeeping.
                    if let Err(e) = self.prune_journal(&generation).await {
                        tracing::warn!(error = %e, "could not delete the previous journal objects; the next snapshot will try again");
                    }
                    return Ok(());
                }
                // Someone wrote between our read and our write: check again.
                Err(Failure::Precondition) => continue,
                Err(f) => return Err(f.into()),
            }
        }
        Err(StateError::Conflict(format!(
            "{} kept changing while this snapshot was written; is another process writing it without the lock?",
            self.store_url(self.key())
        )))
    }

    #[cfg(not(feature = "fault-injection"))]
    async fn upload_and_die(&self, _: &[u8], _: &Condition, _: &[(&str, String)]) -> Result<(), StateError> {
        unreachable!("fault injection is compiled out")
    }

    /// Sends the PUT with a body that breaks off halfway, as a process
    /// killed in the middle of the upload would.
    #[cfg(feature = "fault-injection")]
    async fn upload_and_die(&self, envelope: &[u8], condition: &Condition, metadata: &[(&str, String)]) -> Result<(), StateError> {
        let body = aws_sdk_s3::primitives::ByteStream::new(aws_smithy_types_body(envelope));
        let req = self.store().await.put_request(self.key(), envelope.to_vec(), Some(condition), metadata).body(body);
        match req.send().await {
            // The body broke off after the request head and half the bytes
            // were sent; the server must not have stored anything.
            Err(_) => Ok(()),
            Ok(_) => Err(StateError::Backend("the interrupted upload was accepted by the server".into())),
        }
    }

    /// Starts `write_snapshot` and dies halfway through uploading the new
    /// snapshot. Test support for crash-safety tests.
    #[cfg(feature = "fault-injection")]
    pub async fn write_snapshot_crashing(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.write_snapshot_inner(meta, bytes, true).await
    }

    fn placeholder(&self, bytes: &[u8], why: &str) -> LockInfo {
        let id = format!("unreadable-{}", &hex::encode(Sha256::digest(bytes))[..16]);
        LockInfo {
            operation: format!(
                "unknown: lock object {} is unreadable ({why}); if no iac process holds it, force-unlock {id}",
                self.store_url(&self.lock_key())
            ),
            id,
            who: "unknown".into(),
            host: "unknown".into(),
            pid: 0,
            created: String::new(),
        }
    }

    /// The lock object's holder and version, if it exists.
    async fn read_lock(&self) -> Result<Option<(LockInfo, bool, Option<String>)>, StateError> {
        let Some(obj) = self.store().await.get_optional(&self.lock_key()).await? else {
            return Ok(None);
        };
        Ok(Some(match serde_json::from_slice::<LockInfo>(&obj.bytes) {
            Ok(info) => (info, true, obj.version_id),
            Err(e) => (self.placeholder(&obj.bytes, &e.to_string()), false, obj.version_id),
        }))
    }

    async fn release(&self, id: &str, force: bool) -> Result<(), StateError> {
        let (holder, readable, version) = self.read_lock().await?.ok_or_else(|| StateError::LockNotHeld(id.to_string()))?;
        if holder.id != id || (!readable && !force) {
            return Err(StateError::LockNotHeld(id.to_string()));
        }
        // Deleting the exact version read removes this holder's lock and
        // never a lock someone else has taken since.
        match self.store().await.delete(&self.lock_key(), version.as_deref()).await {
            Ok(()) | Err(Failure::Missing(_)) => Ok(()),
            Err(f) => Err(f.into()),
        }
    }
}

#[cfg(feature = "fault-injection")]
fn aws_smithy_types_body(envelope: &[u8]) -> aws_sdk_s3::primitives::SdkBody {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Yields the first half of the bytes, then fails.
    struct Broken(Option<bytes::Bytes>);
    impl http_body::Body for Broken {
        type Data = bytes::Bytes;
        type Error = std::io::Error;
        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
            Poll::Ready(Some(match self.0.take() {
                Some(b) => Ok(http_body::Frame::data(b)),
                None => Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process died mid-upload")),
            }))
        }
    }
    let half = bytes::Bytes::copy_from_slice(&envelope[..envelope.len() / 2]);
    aws_sdk_s3::primitives::SdkBody::from_body_1_x(Broken(Some(half)))
}

#[async_trait]
impl StateBackend for S3Backend {
    fn describe(&self) -> String {
        format!("s3 state at {}", self.store_url(self.key()))
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let json = serde_json::to_vec_pretty(info).map_err(|e| StateError::Backend(format!("encoding lock info: {e}")))?;
        for _ in 0..ATTEMPTS {
            match self.store().await.put(&self.lock_key(), json.clone(), Some(&Condition::Absent), &[]).await {
                Ok(_) => return Ok(()),
                Err(Failure::Precondition) => match self.read_lock().await? {
                    Some((holder, _, _)) => return Err(StateError::Locked(Box::new(holder))),
                    // Released between our attempt and our read: try again.
                    None => continue,
                },
                Err(f) => return Err(f.into()),
            }
        }
        Err(StateError::Backend(format!(
            "lock object {} keeps appearing and disappearing; another process is locking and unlocking",
            self.store_url(&self.lock_key())
        )))
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.release(id, false).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.release(id, true).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.read_lock().await?.map(|(h, _, _)| h))
    }

    async fn load(&self) -> Result<Stored, StateError> {
        for _ in 0..ATTEMPTS {
            let current = self.current().await?;
            let meta = current.as_ref().map(|(s, _)| s.meta.clone());
            let generation = generation_of(meta.as_ref());
            let (journal, next) = self.read_journal(&generation).await?;
            // A snapshot committed while the journal was read may not belong
            // with it: read again.
            let tag_now = self.store().await.e_tag(self.key()).await?;
            if tag_now != current.as_ref().map(|(_, t)| t.clone()) {
                continue;
            }
            self.set_cursor(Some(Cursor { generation, next }));
            return Ok(Stored { snapshot: current.map(|(s, _)| s.body), meta, journal, torn_tail: false });
        }
        Err(StateError::Backend(format!("{} kept changing while it was read; is another process writing it without the lock?", self.store_url(self.key()))))
    }

    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = envelope::encode_batch(records);
        let mut cursor = match self.cursor() {
            Some(c) => c,
            None => {
                let generation = generation_of(self.current().await?.map(|(s, _)| s.meta).as_ref());
                let (_, next) = self.read_journal(&generation).await?;
                Cursor { generation, next }
            }
        };
        for _ in 0..ATTEMPTS {
            let key = format!("{}{:020}", self.journal_prefix(&cursor.generation), cursor.next);
            match self.store().await.put(&key, batch.clone(), Some(&Condition::Absent), &[]).await {
                Ok(_) => {
                    cursor.next += 1;
                    self.set_cursor(Some(cursor));
                    return Ok(());
                }
                // Another handle appended since we looked: find the end again.
                Err(Failure::Precondition) => {
                    let (_, next) = self.read_journal(&cursor.generation).await?;
                    cursor.next = next.max(cursor.next + 1);
                }
                Err(f) => return Err(f.into()),
            }
        }
        Err(StateError::Conflict(format!(
            "the journal at {} kept growing under this append; is another process appending without the lock?",
            self.store_url(&self.journal_root())
        )))
    }

    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.write_snapshot_inner(meta, bytes, false).await
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        let store = self.store().await;
        let key = self.key().to_string();
        let versions: Vec<store::Version> = store.list_versions(&key).await?.into_iter().filter(|v| v.key == key && !v.delete_marker).collect();
        if versions.iter().all(|v| v.version_id.as_deref().is_none_or(|id| id == "null")) && !versions.is_empty() {
            tracing::warn!(bucket = %self.config.bucket, "bucket versioning is off: history holds only the current snapshot");
        }
        let infos: Vec<Option<VersionInfo>> = futures::stream::iter(versions.into_iter().map(|v| {
            let (store, key) = (store, key.clone());
            async move {
                let id = v.version_id.clone().unwrap_or_else(|| "null".into());
                let meta: HashMap<String, String> = match store.head_metadata(&key, &id).await {
                    Ok(m) => m,
                    Err(Failure::Missing(_)) => return Ok(None),
                    Err(f) => return Err(StateError::from(f)),
                };
                let (Some(lineage), Some(serial), Some(size)) =
                    (meta.get(META_LINEAGE), meta.get(META_SERIAL).and_then(|s| s.parse().ok()), meta.get(META_SIZE).and_then(|s| s.parse().ok()))
                else {
                    tracing::warn!(key, version = id, "a version of the state object was not written by iac; leaving it out of history");
                    return Ok(None);
                };
                Ok(Some(VersionInfo { id, serial, lineage: lineage.clone(), created: v.last_modified.clone(), size }))
            }
        }))
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
        Ok(infos.into_iter().flatten().collect())
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        if id.is_empty() || id.len() > 1024 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StateError::NoSuchVersion(id.to_string()));
        }
        match self.store().await.get(self.key(), Some(id)).await {
            Ok(obj) => Ok(envelope::decode_snapshot(&obj.bytes).map_err(|d| self.corrupt(&format!("{}?versionId={id}", self.key()), d))?.body),
            Err(Failure::Missing(_)) => Err(StateError::NoSuchVersion(id.to_string())),
            Err(f) => Err(f.into()),
        }
    }
}
