//! A moto server with versioned buckets for S3 backend tests, and a plain S3
//! client to inspect and damage what the backend wrote.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use iac_core::backend::StateBackend;
use iac_state_s3::S3Config;
use iac_testkit::services::Moto;

pub const KEY: &str = "stacks/web/terraform.tfstate";

pub struct MotoBucket {
    pub moto: Moto,
    next: AtomicUsize,
    /// Configurations by `describe()`, which names bucket and key.
    configs: Mutex<HashMap<String, S3Config>>,
}

pub fn settings(endpoint: &str, bucket: &str) -> S3Config {
    S3Config {
        bucket: bucket.into(),
        key: KEY.into(),
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint.into()),
        use_path_style: true,
        encrypt: false,
        kms_key_id: None,
        workspace_key_prefix: "env:".into(),
        profile: None,
        access_key: Some("testing".into()),
        secret_key: Some("testing".into()),
        dynamodb_table: None,
        use_lockfile: false,
    }
}

impl MotoBucket {
    pub fn start() -> MotoBucket {
        MotoBucket { moto: Moto::start(), next: AtomicUsize::new(0), configs: Mutex::new(HashMap::new()) }
    }

    pub async fn client(&self) -> aws_sdk_s3::Client {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let conf = aws_sdk_s3::config::Builder::from(&shared).endpoint_url(self.moto.endpoint()).force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// A new versioned bucket and the backend settings for a stack in it.
    pub async fn fresh_config(&self) -> S3Config {
        let bucket = format!("iac-state-{}", self.next.fetch_add(1, Ordering::Relaxed));
        self.create_bucket(&bucket, true).await;
        let cfg = settings(&self.moto.endpoint(), &bucket);
        let b = iac_state_s3::S3Backend::new(cfg.clone());
        self.configs.lock().expect("configs").insert(b.describe(), cfg.clone());
        cfg
    }

    pub async fn create_bucket(&self, bucket: &str, versioned: bool) {
        let c = self.client().await;
        c.create_bucket().bucket(bucket).send().await.expect("create bucket");
        if versioned {
            c.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
                .send()
                .await
                .expect("enable versioning");
        }
    }

    pub fn config_of(&self, b: &dyn StateBackend) -> S3Config {
        self.configs.lock().expect("configs").get(&b.describe()).cloned().expect("a store made by this factory")
    }

    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let out = self.client().await.list_objects_v2().bucket(bucket).prefix(prefix).send().await.expect("list");
        out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect()
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let out = self.client().await.get_object().bucket(bucket).key(key).send().await.ok()?;
        Some(out.body.collect().await.ok()?.into_bytes().to_vec())
    }

    /// Rewrites an object's bytes in place, keeping its metadata, as damage
    /// at rest would.
    pub async fn edit(&self, bucket: &str, key: &str, f: impl FnOnce(&mut Vec<u8>)) -> bool {
        let c = self.client().await;
        let Ok(out) = c.get_object().bucket(bucket).key(key).send().await else {
            return false;
        };
        let metadata = out.metadata().cloned();
        let Ok(body) = out.body.collect().await else {
            return false;
        };
        let mut bytes = body.into_bytes().to_vec();
        f(&mut bytes);
        c.put_object().bucket(bucket).key(key).set_metadata(metadata).body(ByteStream::from(bytes)).send().await.is_ok()
    }
}
