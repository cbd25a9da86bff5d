//! The few S3 calls this backend makes, with their failures sorted into what
//! the backend acts on (missing, precondition failed) and everything else.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, ServerSideEncryption};
use aws_sdk_s3::Client;
use base64::Engine as _;
use iac_core::backend::StateError;
use sha2::{Digest, Sha256};

/// How a conditional or plain call failed.
#[derive(Debug)]
pub enum Failure {
    /// 404: no such key (or version); names it.
    Missing(String),
    /// 412, or 409 from a concurrent conditional write: the condition did not hold.
    Precondition,
    Other(StateError),
}

impl From<Failure> for StateError {
    fn from(f: Failure) -> StateError {
        match f {
            Failure::Missing(what) => StateError::Backend(format!("{what} does not exist (it was there a moment ago; is another process deleting state?)")),
            Failure::Precondition => StateError::Backend("S3 precondition failed".into()),
            Failure::Other(e) => e,
        }
    }
}

fn classify<E>(what: &str, target: &str, e: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(s) = &e {
        let code = s.err().code().unwrap_or_default();
        if code == "NoSuchBucket" {
            return Failure::Other(StateError::Backend(format!(
                "S3 {what} {target}: the bucket does not exist (create it, with versioning on, before using it for state)"
            )));
        }
        if matches!(code, "NoSuchKey" | "NoSuchVersion" | "NotFound") {
            return Failure::Missing(target.to_string());
        }
        if matches!(code, "PreconditionFailed" | "ConditionalRequestConflict") {
            return Failure::Precondition;
        }
        // A malformed version id is refused as InvalidArgument: no such version.
        if code == "InvalidArgument" && what.contains("version") {
            return Failure::Missing(target.to_string());
        }
    }
    match e.raw_response().map(|r| r.status().as_u16()) {
        Some(404) => Failure::Missing(target.to_string()),
        Some(412) | Some(409) => Failure::Precondition,
        _ => Failure::Other(StateError::Backend(format!("S3 {what} {target}: {}", DisplayErrorContext(&e)))),
    }
}

/// S3 calls the one version of an object in an unversioned bucket "null";
/// not every S3 clone accepts that id back, and it means "the object".
fn unversioned_as_none(version: Option<&str>) -> Option<&str> {
    version.filter(|v| *v != "null")
}

/// An object read whole.
pub struct Object {
    pub bytes: Vec<u8>,
    pub e_tag: Option<String>,
    pub version_id: Option<String>,
}

/// What a PUT is conditional on.
#[derive(Clone, Debug)]
pub enum Condition {
    /// `If-None-Match: *`: only if the key does not exist.
    Absent,
    /// `If-Match: <etag>`: only if the key still has this ETag.
    Unchanged(String),
}

/// One stack's objects in one bucket, through one client.
#[derive(Clone)]
pub struct Store {
    pub client: Client,
    pub bucket: String,
    pub sse: Option<(ServerSideEncryption, Option<String>)>,
}

impl Store {
    pub fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    pub async fn get(&self, key: &str, version: Option<&str>) -> Result<Object, Failure> {
        let version = unversioned_as_none(version);
        let what = if version.is_some() { "GetObject (version)" } else { "GetObject" };
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(what, &self.url(key), e))?;
        let e_tag = out.e_tag().map(str::to_string);
        let version_id = out.version_id().map(str::to_string);
        let bytes =
            out.body.collect().await.map_err(|e| Failure::Other(StateError::Backend(format!("S3 reading {}: {e}", self.url(key)))))?.into_bytes().to_vec();
        Ok(Object { bytes, e_tag, version_id })
    }

    pub async fn get_optional(&self, key: &str) -> Result<Option<Object>, StateError> {
        match self.get(key, None).await {
            Ok(o) => Ok(Some(o)),
            Err(Failure::Missing(_)) => Ok(None),
            Err(f) => Err(f.into()),
        }
    }

    /// The current ETag of `key`, if it exists.
    pub async fn e_tag(&self, key: &str) -> Result<Option<String>, StateError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(o) => Ok(o.e_tag().map(str::to_string)),
            Err(e) => match classify("HeadObject", &self.url(key), e) {
                Failure::Missing(_) => Ok(None),
                f => Err(f.into()),
            },
        }
    }

    pub async fn head_metadata(&self, key: &str, version: &str) -> Result<std::collections::HashMap<String, String>, Failure> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(unversioned_as_none(Some(version)).map(str::to_string))
            .send()
            .await
            .map_err(|e| classify("HeadObject (version)", &self.url(key), e))?;
        Ok(out.metadata().cloned().unwrap_or_default())
    }

    pub fn put_request(
        &self,
        key: &str,
        bytes: Vec<u8>,
        condition: Option<&Condition>,
        metadata: &[(&str, String)],
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        // The server checks the body against this digest, so a body cut short
        // in transit is refused rather than stored.
        let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
        let mut req =
            self.client.put_object().bucket(&self.bucket).key(key).checksum_sha256(sha).content_length(bytes.len() as i64).body(ByteStream::from(bytes));
        req = match condition {
            Some(Condition::Absent) => req.if_none_match("*"),
            Some(Condition::Unchanged(tag)) => req.if_match(tag),
            None => req,
        };
        for (k, v) in metadata {
            req = req.metadata(*k, v);
        }
        if let Some((sse, kms)) = &self.sse {
            req = req.server_side_encryption(sse.clone()).set_ssekms_key_id(kms.clone());
        }
        req
    }

    /// PUTs `bytes` at `key`; returns the new version id.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, condition: Option<&Condition>, metadata: &[(&str, String)]) -> Result<Option<String>, Failure> {
        let out = self.put_request(key, bytes, condition, metadata).send().await.map_err(|e| classify("PutObject", &self.url(key), e))?;
        Ok(out.version_id().map(str::to_string))
    }

    /// Deletes one version (or, unversioned, the object) for good.
    pub async fn delete(&self, key: &str, version: Option<&str>) -> Result<(), Failure> {
        let version = unversioned_as_none(version);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify("DeleteObject", &self.url(key), e))?;
        Ok(())
    }

    /// Keys under `prefix`, in S3's (lexicographic) order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let mut keys = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| StateError::from(classify("ListObjectsV2", &self.url(prefix), e)))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// Every version and delete marker under `prefix`: (key, version id,
    /// last modified, is a delete marker), newest first for each key.
    pub async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, StateError> {
        let mut out = Vec::new();
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| StateError::from(classify("ListObjectVersions", &self.url(prefix), e)))?;
            for v in page.versions() {
                out.push(Version {
                    key: v.key().unwrap_or_default().to_string(),
                    version_id: v.version_id().map(str::to_string),
                    last_modified: v.last_modified().and_then(|t| t.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok()).unwrap_or_default(),
                    delete_marker: false,
                });
            }
            for d in page.delete_markers() {
                out.push(Version {
                    key: d.key().unwrap_or_default().to_string(),
                    version_id: d.version_id().map(str::to_string),
                    last_modified: String::new(),
                    delete_marker: true,
                });
            }
            if page.is_truncated() != Some(true) {
                return Ok(out);
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// Deletes these versions for good, a thousand per request.
    pub async fn delete_versions(&self, versions: &[Version]) -> Result<(), StateError> {
        for chunk in versions.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|v| {
                    ObjectIdentifier::builder().key(&v.key).set_version_id(unversioned_as_none(v.version_id.as_deref()).map(str::to_string)).build().ok()
                })
                .collect();
            let delete =
                Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| StateError::Backend(format!("S3 DeleteObjects request: {e}")))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| StateError::from(classify("DeleteObjects", &self.url(""), e)))?;
            if let Some(err) = out.errors().first() {
                return Err(StateError::Backend(format!(
                    "S3 DeleteObjects {}: {} {}",
                    self.url(err.key().unwrap_or_default()),
                    err.code().unwrap_or_default(),
                    err.message().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Version {
    pub key: String,
    pub version_id: Option<String>,
    pub last_modified: String,
    pub delete_marker: bool,
}
