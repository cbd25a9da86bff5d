//! `digitalocean_spaces_bucket_object`: one object in a bucket, as upstream
//! has it. Its body comes from `content`, `content_base64` or a `source`
//! file (at most one; none is an empty object); the region, bucket and key
//! force replacement. A new body or new headers put the object again (a new
//! version in a versioned bucket: `version_id` and, unless configured, `etag`
//! are known after apply); a new `acl` alone is put on the object as it is.
//! The body and the ACL are not read back (as upstream), the headers, the
//! metadata and the ETag are. Deleting the object of a versioned bucket
//! deletes every version of its key. Upstream has no import for it, nor has
//! this one.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use aws_sdk_s3::Client as S3;
use base64::Engine as _;
use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{at, check_region, missing, s3};
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_spaces_bucket_object`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct BucketObjectModel {
    /// the object's key
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub region: String,
    #[sdk(required, force_new)]
    pub bucket: String,
    #[sdk(required, force_new)]
    pub key: String,
    /// private or public-read
    #[sdk(optional, default = "private", local)]
    pub acl: String,
    #[sdk(optional)]
    pub cache_control: Option<String>,
    #[sdk(optional)]
    pub content_disposition: Option<String>,
    #[sdk(optional)]
    pub content_encoding: Option<String>,
    #[sdk(optional)]
    pub content_language: Option<String>,
    /// lowercase keys
    #[sdk(optional)]
    pub metadata: Option<BTreeMap<String, String>>,
    #[sdk(optional, computed)]
    pub content_type: Option<String>,
    /// the path of a file whose bytes are the body
    #[sdk(optional, local)]
    pub source: Option<String>,
    /// the body, as text
    #[sdk(optional, local)]
    pub content: Option<String>,
    /// the body, base64-encoded
    #[sdk(optional, local)]
    pub content_base64: Option<String>,
    #[sdk(optional, computed)]
    pub etag: Option<String>,
    /// the object's version, in a versioned bucket
    #[sdk(computed)]
    pub version_id: Option<String>,
    /// where a website request for the object is redirected
    #[sdk(optional)]
    pub website_redirect: Option<String>,
    /// delete the object's versions even under a governance lock
    #[sdk(optional, default = false, local)]
    pub force_destroy: bool,
}

const ACLS: &[&str] = &["private", "public-read"];
const BODY: &[&str] = &["source", "content", "content_base64"];
/// The arguments whose change puts the object again (the body and its headers).
const PUT: &[&str] = &[
    "cache_control",
    "content_base64",
    "content_disposition",
    "content_encoding",
    "content_language",
    "content_type",
    "content",
    "etag",
    "metadata",
    "source",
    "website_redirect",
];

/// The object's bytes, from whichever argument gives them.
fn body(addr: &str, m: &BucketObjectModel) -> Result<Vec<u8>, DoError> {
    let bad = |message: String| DoError::Invalid { addr: addr.to_string(), message };
    if let Some(path) = &m.source {
        let path = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
            _ => std::path::PathBuf::from(path),
        };
        return std::fs::read(&path).map_err(|e| bad(format!("reading the object's source {}: {e}", path.display())));
    }
    if let Some(text) = &m.content {
        return Ok(text.as_bytes().to_vec());
    }
    if let Some(b64) = &m.content_base64 {
        return base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| bad(format!("decoding content_base64: {e}")));
    }
    Ok(Vec::new())
}

async fn put(c: &S3, addr: &str, m: &BucketObjectModel) -> Result<(), DoError> {
    let bytes = body(addr, m)?;
    let metadata: Option<HashMap<String, String>> = m.metadata.as_ref().filter(|md| !md.is_empty()).map(|md| md.clone().into_iter().collect());
    c.put_object()
        .bucket(&m.bucket)
        .key(&m.key)
        .acl(ObjectCannedAcl::from(m.acl.as_str()))
        .body(ByteStream::from(bytes))
        .set_cache_control(m.cache_control.clone())
        // The type the object has (the prior one when the configuration leaves it out) stays.
        .set_content_type(m.content_type.clone())
        .set_metadata(metadata)
        .set_content_encoding(m.content_encoding.clone())
        .set_content_language(m.content_language.clone())
        .set_content_disposition(m.content_disposition.clone())
        .set_website_redirect_location(m.website_redirect.clone())
        .send()
        .await
        .map_err(s3(addr))?;
    Ok(())
}

/// The object as Spaces reports it; `None` when it is gone. `current`
/// supplies what is not read back.
async fn read_object(c: &S3, addr: &str, current: &BucketObjectModel) -> Result<Option<BucketObjectModel>, DoError> {
    let head = c.head_object().bucket(&current.bucket).key(&current.key).send().await.map_err(s3(addr));
    let Some(h) = missing(head, &["NotFound", "NoSuchKey"])? else { return Ok(None) };
    // S3's SDKs capitalize metadata keys; the configuration's are lowercase.
    let metadata: BTreeMap<String, String> = h.metadata().into_iter().flatten().map(|(k, v)| (k.to_lowercase(), v.clone())).collect();
    Ok(Some(BucketObjectModel {
        id: Some(current.key.clone()),
        cache_control: h.cache_control().map(str::to_string),
        content_disposition: h.content_disposition().map(str::to_string),
        content_encoding: h.content_encoding().map(str::to_string),
        content_language: h.content_language().map(str::to_string),
        content_type: h.content_type().map(str::to_string),
        metadata: Some(metadata).filter(|m| !m.is_empty()),
        version_id: h.version_id().filter(|v| !v.is_empty() && *v != "null").map(str::to_string),
        website_redirect: h.website_redirect_location().map(str::to_string),
        etag: h.e_tag().map(|e| e.trim_matches('"').to_string()),
        ..current.clone()
    }))
}

/// Deletes one version (or, without one, the current object); a gone bucket or key is done.
async fn delete_version(c: &S3, addr: &str, bucket: &str, key: &str, version: Option<&str>, force: bool) -> Result<(), DoError> {
    let mut d = c.delete_object().bucket(bucket).key(key).set_version_id(version.map(str::to_string));
    if force {
        d = d.bypass_governance_retention(true);
    }
    missing(d.send().await.map_err(s3(addr)), &["NoSuchKey"])?;
    Ok(())
}

/// Deletes every version and delete marker of `key`.
async fn delete_all_versions(c: &S3, addr: &str, bucket: &str, key: &str, force: bool) -> Result<(), DoError> {
    for _ in 0..1000 {
        let Some(page) = missing(c.list_object_versions().bucket(bucket).prefix(key).send().await.map_err(s3(addr)), &[])? else { return Ok(()) };
        let versions: Vec<(String, bool)> = page
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .filter_map(|v| v.version_id().map(|id| (id.to_string(), true)))
            .chain(page.delete_markers().iter().filter(|m| m.key() == Some(key)).filter_map(|m| m.version_id().map(|id| (id.to_string(), false))))
            .collect();
        if versions.is_empty() {
            return Ok(());
        }
        tracing::debug!(addr, bucket, key, versions = versions.len(), "deleting the object's versions");
        for (id, locked) in versions {
            // Delete markers have no lock to bypass.
            delete_version(c, addr, bucket, key, Some(&id), force && locked).await?;
        }
    }
    Err(DoError::Failed { addr: addr.to_string(), message: format!("the versions of {bucket}/{key} did not go") })
}

/// The `digitalocean_spaces_bucket_object` resource type.
pub struct BucketObject;

#[async_trait]
impl Resource<DigitalOcean> for BucketObject {
    type Model = BucketObjectModel;
    const TYPE: &'static str = "digitalocean_spaces_bucket_object";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        check_region(config, &mut out);
        if let Some(acl) = get_str(config, "acl") {
            if !ACLS.contains(&acl) {
                out.push((at("acl"), format!("expected acl to be one of {ACLS:?}, got {acl}")));
            }
        }
        for k in ["bucket", "key"] {
            if get_str(config, k) == Some("") {
                out.push((at(k), format!("{k} must not be empty")));
            }
        }
        let given: Vec<&str> = BODY.iter().copied().filter(|k| config.get(k).is_some_and(|v| !v.is_null())).collect();
        if given.len() > 1 {
            out.push((at(given[1]), format!("\"{}\": conflicts with {}", given[1], given[0])));
        }
        if let Some(Value::Map(m)) = config.get("metadata") {
            for k in m.keys().filter(|k| k.to_lowercase() != **k) {
                out.push((at("metadata"), format!("Metadata must be lowercase only. Offending key: {k:?}")));
            }
        }
        out
    }

    /// A new body or new headers put the object again: a new version, and
    /// (unless the configuration gives it) an ETag known after apply (the
    /// body put may differ from the one read, as after a console edit).
    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let Some(prior) = prior else { return Ok(()) };
        if PUT.iter().all(|k| prior.get(k) == planned.get(k)) {
            return Ok(());
        }
        set(planned, "version_id", Value::Unknown);
        if cx.config.and_then(|c| c.get("etag")).is_none_or(Value::is_null) {
            set(planned, "etag", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: BucketObjectModel) -> Result<BucketObjectModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        put(&c, addr, &planned).await?;
        read_object(&c, addr, &planned)
            .await?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("object {}/{} vanished after it was put", planned.bucket, planned.key) })
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: BucketObjectModel, planned: BucketObjectModel) -> Result<BucketObjectModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        let (old, new) = (prior.to_value(), planned.to_value());
        if PUT.iter().any(|k| old.get(k) != new.get(k)) {
            put(&c, addr, &planned).await?;
        } else if planned.acl != prior.acl {
            c.put_object_acl().bucket(&planned.bucket).key(&planned.key).acl(ObjectCannedAcl::from(planned.acl.as_str())).send().await.map_err(s3(addr))?;
        }
        read_object(&c, addr, &planned)
            .await?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("object {}/{} vanished during its update", planned.bucket, planned.key) })
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: BucketObjectModel) -> Result<Option<BucketObjectModel>, DoError> {
        if current.bucket.is_empty() || current.key.is_empty() {
            return Ok(None);
        }
        let c = cx.provider.spaces.client(cx.addr, &current.region)?;
        read_object(&c, cx.addr, &current).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: BucketObjectModel) -> Result<(), DoError> {
        let c = cx.provider.spaces.client(cx.addr, &prior.region)?;
        // A leading `/` names the same key (S3 cleans the path).
        let key = prior.key.trim_start_matches('/');
        if prior.version_id.is_some() {
            delete_all_versions(&c, cx.addr, &prior.bucket, key, prior.force_destroy).await
        } else {
            delete_version(&c, cx.addr, &prior.bucket, key, None, false).await
        }
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, _id: &str) -> Result<Option<BucketObjectModel>, DoError> {
        Err(DoError::Invalid { addr: cx.addr.to_string(), message: "digitalocean_spaces_bucket_object cannot be imported (nor can it upstream)".into() })
    }
}
