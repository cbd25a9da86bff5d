//! What the S3 backend does to the bucket, beyond the shared contract: the
//! conditional writes it relies on (checked against the server itself), one
//! PUT per journal batch, pruning, damage, and unversioned buckets.

mod support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError};
use iac_state_s3::S3Backend;
use support::{MotoBucket, KEY};

fn meta(serial: u64) -> SnapshotMeta {
    SnapshotMeta { lineage: "L".into(), serial }
}

fn lock(id: &str) -> LockInfo {
    LockInfo { id: id.into(), operation: "apply".into(), who: "ann".into(), host: "h".into(), pid: 1, created: "2024-01-01T00:00:00Z".into() }
}

/// The server honours `If-None-Match: *` and `If-Match` on PutObject with
/// 412, which the lock and the snapshot writes depend on. (moto 5.2.5 does.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_honours_conditional_puts() {
    let s3 = MotoBucket::start();
    s3.create_bucket("cond", true).await;
    let c = s3.client().await;
    let put = |body: &'static str| c.put_object().bucket("cond").key("k").body(ByteStream::from_static(body.as_bytes()));
    let first = put("one").if_none_match("*").send().await.expect("create when absent");
    let code = |r: Result<_, aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::put_object::PutObjectError, aws_sdk_s3::config::http::HttpResponse>>| match r {
        Ok(_) => "accepted".to_string(),
        Err(e) => format!("{} {}", e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0), e.code().unwrap_or_default()),
    };
    assert_eq!(code(put("two").if_none_match("*").send().await), "412 PreconditionFailed", "If-None-Match: * over an existing key");
    assert_eq!(code(put("two").if_match("\"not-the-etag\"").send().await), "412 PreconditionFailed", "If-Match with a stale ETag");
    assert_eq!(code(put("two").if_match(first.e_tag().expect("etag")).send().await), "accepted", "If-Match with the current ETag");
    assert_eq!(s3.get("cond", "k").await.as_deref(), Some(&b"two"[..]));
}

/// Each append is exactly one object, whatever its size, and a snapshot
/// removes the previous generation's objects and their versions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_object_per_append_and_snapshots_prune_the_journal() {
    let s3 = MotoBucket::start();
    let cfg = s3.fresh_config().await;
    let b = S3Backend::new(cfg.clone());
    b.write_snapshot(&meta(1), b"s1").await.expect("write");
    for n in [1usize, 40, 3] {
        let batch: Vec<Vec<u8>> = (0..n).map(|i| format!("record {i}").into_bytes()).collect();
        b.append(&batch).await.expect("append");
    }
    let journal_root = format!("{KEY}.journal/");
    let names = |keys: Vec<String>| keys.into_iter().map(|k| k.trim_start_matches(&journal_root).to_string()).collect::<Vec<_>>();
    assert_eq!(names(s3.keys(&cfg.bucket, &journal_root).await), ["1/00000000000000000000", "1/00000000000000000001", "1/00000000000000000002"]);
    assert_eq!(S3Backend::new(cfg.clone()).load().await.expect("load").journal.len(), 44);

    b.write_snapshot(&meta(2), b"s2").await.expect("write 2");
    let c = s3.client().await;
    let versions = c.list_object_versions().bucket(&cfg.bucket).prefix(&journal_root).send().await.expect("versions");
    assert!(versions.versions().is_empty() && versions.delete_markers().is_empty(), "old journal left behind: {versions:?}");
    b.append(&[b"after".to_vec()]).await.expect("append");
    assert_eq!(names(s3.keys(&cfg.bucket, &journal_root).await), ["2/00000000000000000000"]);
    let all = s3.keys(&cfg.bucket, "").await;
    assert_eq!(all, [KEY.to_string(), format!("{KEY}.journal/2/00000000000000000000")], "nothing else is stored");
}

/// A damaged final journal object is damage, not a torn tail: PUTs are
/// atomic, so a crash cannot produce one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_last_journal_object_is_corrupt() {
    let s3 = MotoBucket::start();
    let cfg = s3.fresh_config().await;
    let b = S3Backend::new(cfg.clone());
    b.write_snapshot(&meta(1), b"s1").await.expect("write");
    b.append(&[b"a".to_vec()]).await.expect("append");
    b.append(&[b"b".to_vec()]).await.expect("append");
    let last = s3.keys(&cfg.bucket, &format!("{KEY}.journal/")).await.pop().expect("a journal object");
    assert!(s3.edit(&cfg.bucket, &last, |bytes| bytes.truncate(bytes.len() - 1)).await);
    match S3Backend::new(cfg).load().await {
        Err(StateError::Corrupt { what, .. }) => assert!(what.ends_with(&last), "{what}"),
        other => panic!("expected Corrupt naming {last}, got {other:?}"),
    }
}

/// Without bucket versioning everything works but history is the current
/// snapshot only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unversioned_bucket_keeps_only_the_current_snapshot() {
    let s3 = MotoBucket::start();
    s3.create_bucket("plain", false).await;
    let cfg = support::settings(&s3.moto.endpoint(), "plain");
    let b = S3Backend::new(cfg);
    for s in 1..=3 {
        b.write_snapshot(&meta(s), format!("s{s}").as_bytes()).await.expect("write");
    }
    b.append(&[b"old".to_vec()]).await.expect("append");
    b.write_snapshot(&meta(4), b"s4").await.expect("write");
    assert_eq!(s3.keys("plain", "").await, [KEY.to_string()], "the old journal is pruned here too");
    let h = b.history().await.expect("history");
    assert_eq!(h.iter().map(|v| v.serial).collect::<Vec<_>>(), [4]);
    assert_eq!(b.load_version(&h[0].id).await.expect("current"), b"s4");
    b.try_lock(&lock("a")).await.expect("lock");
    assert!(matches!(b.try_lock(&lock("b")).await, Err(StateError::Locked(h)) if h.id == "a"));
    b.unlock("a").await.expect("unlock");
}

/// A writer that read an old snapshot cannot replace a newer one written
/// meanwhile by another process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_behind_the_times_cannot_overwrite_newer_state() {
    let s3 = MotoBucket::start();
    let cfg = s3.fresh_config().await;
    let (slow, fast) = (S3Backend::new(cfg.clone()), S3Backend::new(cfg.clone()));
    slow.write_snapshot(&meta(1), b"s1").await.expect("write");
    assert_eq!(slow.load().await.expect("load").meta, Some(meta(1)));
    fast.write_snapshot(&meta(2), b"fast").await.expect("the other writer");
    assert!(matches!(slow.write_snapshot(&meta(2), b"slow").await, Err(StateError::Conflict(_))));
    assert_eq!(fast.load().await.expect("load").snapshot.as_deref(), Some(&b"fast"[..]));
}

/// Bad backend settings and a missing bucket are clear errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_is_named() {
    let s3 = MotoBucket::start();
    let b = S3Backend::new(support::settings(&s3.moto.endpoint(), "no-such-bucket"));
    let e = b.load().await.expect_err("no bucket");
    assert!(e.to_string().contains("s3://no-such-bucket/"), "{e}");
}

/// `encrypt = true` asks S3 to encrypt every object it stores (SSE-S3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_turns_on_server_side_encryption_for_every_object() {
    let s3 = MotoBucket::start();
    let mut cfg = s3.fresh_config().await;
    cfg.encrypt = true;
    let b = S3Backend::new(cfg.clone());
    b.write_snapshot(&meta(1), b"s1").await.expect("write");
    b.append(&[b"r".to_vec()]).await.expect("append");
    b.try_lock(&lock("a")).await.expect("lock");
    let c = s3.client().await;
    let keys = s3.keys(&cfg.bucket, "").await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in keys {
        let head = c.head_object().bucket(&cfg.bucket).key(&key).send().await.expect("head");
        assert_eq!(head.server_side_encryption().map(|e| e.as_str()), Some("AES256"), "{key}");
    }
}
