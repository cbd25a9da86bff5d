//! `aws_s3_object`: one object, its body from `content`, `content_base64`
//! or a local file (`source`). A change to the body or its headers
//! (content type, encoding, cache control, metadata, storage class,
//! encryption, redirect) uploads it again (a new `version_id` in a
//! versioned bucket); tags alone change in place. The bucket and key force
//! replacement. The body is never read back (but by an import, which
//! takes a UTF-8 body as `content`): the `content*`/`source` arguments are
//! configuration-only, and `etag` (the MD5 S3 reports) is how a changed
//! object shows.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption, StorageClass, Tag, Tagging};
use base64::Engine;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{AwsCx, Cx, Tags};
use crate::error::{absent, sdk, AwsError};
use crate::values::set;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct ObjectModel {
    /// the key
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(required, force_new)]
    bucket: String,
    #[sdk(required, force_new)]
    key: String,
    /// a canned ACL (private, public-read, ...)
    #[sdk(optional, computed)]
    acl: Option<String>,
    #[sdk(optional, computed)]
    bucket_key_enabled: Option<bool>,
    #[sdk(optional)]
    cache_control: Option<String>,
    #[sdk(optional)]
    checksum_algorithm: Option<String>,
    #[sdk(computed)]
    checksum_crc32: Option<String>,
    #[sdk(computed)]
    checksum_crc32c: Option<String>,
    #[sdk(computed)]
    checksum_crc64nvme: Option<String>,
    #[sdk(computed)]
    checksum_sha1: Option<String>,
    #[sdk(computed)]
    checksum_sha256: Option<String>,
    /// the body, as UTF-8 text
    // Not `local`: reads carry it over like every configuration-only
    // argument (`..current`), and an import fills it from the body.
    #[sdk(optional)]
    content: Option<String>,
    /// the body, base64-encoded (binary content)
    #[sdk(optional, local)]
    content_base64: Option<String>,
    #[sdk(optional)]
    content_disposition: Option<String>,
    #[sdk(optional)]
    content_encoding: Option<String>,
    #[sdk(optional)]
    content_language: Option<String>,
    #[sdk(optional, computed)]
    content_type: Option<String>,
    /// the MD5 of the body as S3 reports it (set it, e.g. to filemd5(source), to upload again when the file changes)
    #[sdk(optional, computed)]
    etag: Option<String>,
    #[sdk(optional, computed, local, default = false)]
    force_destroy: Option<bool>,
    #[sdk(optional, computed)]
    kms_key_id: Option<String>,
    /// lower-case keys, sent as x-amz-meta-*
    #[sdk(optional)]
    metadata: Option<BTreeMap<String, String>>,
    #[sdk(optional)]
    object_lock_legal_hold_status: Option<String>,
    #[sdk(optional)]
    object_lock_mode: Option<String>,
    #[sdk(optional)]
    object_lock_retain_until_date: Option<String>,
    #[sdk(optional, computed)]
    server_side_encryption: Option<String>,
    /// a local file to upload
    #[sdk(optional, local)]
    source: Option<String>,
    /// anything that changes with the file (filemd5), to upload it again
    #[sdk(optional, local)]
    source_hash: Option<String>,
    #[sdk(optional, computed)]
    storage_class: Option<String>,
    #[sdk(computed)]
    version_id: Option<String>,
    #[sdk(optional)]
    website_redirect: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

/// Arguments whose change uploads the object again.
const CONTENT: &[&str] = &[
    "bucket_key_enabled",
    "cache_control",
    "checksum_algorithm",
    "content",
    "content_base64",
    "content_disposition",
    "content_encoding",
    "content_language",
    "content_type",
    "etag",
    "kms_key_id",
    "metadata",
    "server_side_encryption",
    "source",
    "source_hash",
    "storage_class",
    "website_redirect",
];

pub struct Object;

fn hex_md5(b: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

impl ObjectModel {
    fn body(&self, cx: &Cx<'_>) -> Result<Vec<u8>, AwsError> {
        match (&self.content, &self.content_base64, &self.source) {
            (Some(c), _, _) => Ok(c.clone().into_bytes()),
            (_, Some(b), _) => base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| cx.invalid(format!("content_base64 is not base64: {e}"))),
            (_, _, Some(path)) => std::fs::read(path).map_err(|e| cx.invalid(format!("reading source {path}: {e}"))),
            _ => Ok(Vec::new()),
        }
    }

    fn tagging(&self) -> String {
        let all = self.tags.tags_all.clone().unwrap_or_default();
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        all.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
    }
}

async fn upload(cx: &Cx<'_>, p: &ObjectModel) -> Result<(), AwsError> {
    let body = p.body(cx)?;
    let metadata: Option<HashMap<String, String>> = p.metadata.as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    cx.c()
        .s3
        .put_object()
        .bucket(&p.bucket)
        .key(&p.key)
        .body(ByteStream::from(body))
        .set_acl(nonempty(&p.acl).map(|a| ObjectCannedAcl::from(a.as_str())))
        .set_bucket_key_enabled(p.bucket_key_enabled.filter(|b| *b))
        .set_cache_control(nonempty(&p.cache_control))
        .set_checksum_algorithm(nonempty(&p.checksum_algorithm).map(|a| aws_sdk_s3::types::ChecksumAlgorithm::from(a.as_str())))
        .set_content_disposition(nonempty(&p.content_disposition))
        .set_content_encoding(nonempty(&p.content_encoding))
        .set_content_language(nonempty(&p.content_language))
        .set_content_type(nonempty(&p.content_type))
        .set_ssekms_key_id(nonempty(&p.kms_key_id))
        .set_metadata(metadata)
        .set_server_side_encryption(nonempty(&p.server_side_encryption).map(|s| ServerSideEncryption::from(s.as_str())))
        .set_storage_class(nonempty(&p.storage_class).map(|s| StorageClass::from(s.as_str())))
        .set_website_redirect_location(nonempty(&p.website_redirect))
        .set_object_lock_legal_hold_status(nonempty(&p.object_lock_legal_hold_status).map(|s| aws_sdk_s3::types::ObjectLockLegalHoldStatus::from(s.as_str())))
        .set_object_lock_mode(nonempty(&p.object_lock_mode).map(|s| aws_sdk_s3::types::ObjectLockMode::from(s.as_str())))
        .set_object_lock_retain_until_date(
            nonempty(&p.object_lock_retain_until_date)
                .map(|d| aws_smithy_types::DateTime::from_str(&d, aws_smithy_types::date_time::Format::DateTime))
                .transpose()
                .map_err(|e| cx.invalid(format!("object_lock_retain_until_date: {e}")))?,
        )
        .set_tagging(Some(p.tagging()).filter(|t| !t.is_empty()))
        .send()
        .await
        .map_err(sdk(cx.addr))?;
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Object {
    type Model = ObjectModel;
    const TYPE: &'static str = "aws_s3_object";

    fn import_stub(&self, id: &str) -> Value {
        // BUCKET/KEY, or s3://BUCKET/KEY.
        let id = id.strip_prefix("s3://").unwrap_or(id);
        let (bucket, key) = id.split_once('/').unwrap_or(("", id));
        Value::map([("id", Value::from(key)), ("bucket", Value::from(bucket)), ("key", Value::from(key))])
    }

    async fn modify_plan(&self, cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        let given = |k: &str| planned.get(k).is_some_and(|v| !v.is_null());
        if [given("content"), given("content_base64"), given("source")].iter().filter(|b| **b).count() > 1 {
            return Err(cx.invalid("only one of content, content_base64 or source may be set"));
        }
        if let Some(m) = planned.get("metadata").and_then(Value::as_map) {
            if let Some(k) = m.keys().find(|k| k.to_lowercase() != **k) {
                return Err(cx.invalid(format!("metadata must be lowercase only. Offending key: {k:?}")));
            }
        }
        let changed = prior.is_none_or(|prior| CONTENT.iter().any(|k| prior.get(k) != planned.get(k)));
        let etag_configured = prior.is_some_and(|prior| prior.get("etag") != planned.get("etag")) || (prior.is_none() && given("etag"));
        if changed {
            if prior.is_some() {
                set(planned, "version_id", Value::Unknown);
            }
            if !etag_configured {
                // S3's ETag of a single-part upload without KMS is the body's MD5.
                let kms = planned.get("server_side_encryption").and_then(Value::as_str).is_some_and(|s| s.starts_with("aws:kms"))
                    || planned.get("kms_key_id").is_some_and(|v| !v.is_null());
                let etag = match (kms, ObjectModel::from_value(planned)) {
                    (false, Ok(m))
                        if planned.get("content").is_none_or(|v| !v.is_unknown()) && planned.get("content_base64").is_none_or(|v| !v.is_unknown()) =>
                    {
                        m.body(cx).ok().map(|b| Value::from(hex_md5(&b))).unwrap_or(Value::Unknown)
                    }
                    _ => Value::Unknown,
                };
                set(planned, "etag", etag);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: ObjectModel) -> Result<ObjectModel, AwsError> {
        upload(cx, &p).await?;
        let key = p.key.clone();
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("object {key} vanished after its upload")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: ObjectModel, p: ObjectModel) -> Result<ObjectModel, AwsError> {
        if p.version_id.is_none() || p.etag.is_none() {
            upload(cx, &p).await?;
        } else {
            if prior.tags.tags_all != p.tags.tags_all {
                let tags: Vec<Tag> =
                    p.tags.tags_all.clone().unwrap_or_default().into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
                let tagging = Tagging::builder().set_tag_set(Some(tags)).build().map_err(|e| cx.invalid(e.to_string()))?;
                cx.c().s3.put_object_tagging().bucket(&p.bucket).key(&p.key).tagging(tagging).send().await.map_err(sdk(cx.addr))?;
            }
            if p.acl.is_some() && prior.acl != p.acl {
                let acl = ObjectCannedAcl::from(p.acl.as_deref().unwrap_or("private"));
                cx.c().s3.put_object_acl().bucket(&p.bucket).key(&p.key).acl(acl).send().await.map_err(sdk(cx.addr))?;
            }
        }
        let key = p.key.clone();
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("object {key} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: ObjectModel) -> Result<Option<ObjectModel>, AwsError> {
        let Some(h) = absent(cx.c().s3.head_object().bucket(&current.bucket).key(&current.key).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let tags = match cx.c().s3.get_object_tagging().bucket(&current.bucket).key(&current.key).send().await.map_err(sdk(cx.addr)) {
            Ok(t) => t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
            Err(e) if e.has_code(&["NotImplemented", "MethodNotAllowed"]) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        let e = |x: Option<&str>| Some(x.unwrap_or_default().to_string());
        let o = |x: Option<&str>| x.filter(|v| !v.is_empty()).map(str::to_string);
        let metadata: BTreeMap<String, String> = h.metadata().map(|m| m.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect()).unwrap_or_default();
        Ok(Some(ObjectModel {
            id: Some(current.key.clone()),
            arn: Some(format!("arn:aws:s3:::{}/{}", current.bucket, current.key)),
            bucket_key_enabled: Some(h.bucket_key_enabled().unwrap_or(false)),
            cache_control: o(h.cache_control()),
            checksum_crc32: e(h.checksum_crc32()),
            checksum_crc32c: e(h.checksum_crc32_c()),
            checksum_crc64nvme: e(h.checksum_crc64_nvme()),
            checksum_sha1: e(h.checksum_sha1()),
            checksum_sha256: e(h.checksum_sha256()),
            content_disposition: o(h.content_disposition()),
            content_encoding: o(h.content_encoding()),
            content_language: o(h.content_language()),
            content_type: e(h.content_type()),
            etag: Some(h.e_tag().unwrap_or_default().trim_matches('"').to_string()),
            kms_key_id: o(h.ssekms_key_id()),
            metadata: Some(metadata).filter(|m| !m.is_empty()),
            object_lock_legal_hold_status: o(h.object_lock_legal_hold_status().map(|s| s.as_str())),
            object_lock_mode: o(h.object_lock_mode().map(|s| s.as_str())),
            object_lock_retain_until_date: h.object_lock_retain_until_date().and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            server_side_encryption: e(h.server_side_encryption().map(|s| s.as_str())),
            storage_class: Some(h.storage_class().map(|s| s.as_str().to_string()).unwrap_or_else(|| "STANDARD".into())),
            version_id: e(h.version_id()),
            website_redirect: o(h.website_redirect_location()),
            tags: Tags::from_aws(tags),
            ..current
        }))
    }

    /// Reads the body back as `content` when it is UTF-8 text (upstream
    /// leaves it out), so that a configuration writing `content` imports
    /// with no change.
    async fn import(&self, cx: &Cx<'_>, id: &str) -> Result<Option<ObjectModel>, AwsError> {
        let stub = ObjectModel::from_value(&self.import_stub(id))?;
        let Some(mut m) = self.read(cx, stub).await? else { return Ok(None) };
        let out = cx.c().s3.get_object().bucket(&m.bucket).key(&m.key).send().await.map_err(sdk(cx.addr))?;
        let body = out.body.collect().await.map_err(|e| cx.invalid(format!("reading the object's body: {e}")))?.into_bytes();
        m.content = String::from_utf8(body.to_vec()).ok();
        Ok(Some(m))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: ObjectModel) -> Result<(), AwsError> {
        let s3 = &cx.c().s3;
        // Every version of the key (a versioned bucket keeps them all).
        let versions = absent(s3.list_object_versions().bucket(&prior.bucket).prefix(&prior.key).send().await.map_err(sdk(cx.addr)))?;
        let mut ids: Vec<Option<String>> = versions
            .iter()
            .flat_map(|v| {
                let versions = v.versions().iter().filter(|x| x.key() == Some(prior.key.as_str())).map(|x| x.version_id().map(str::to_string));
                let markers = v.delete_markers().iter().filter(|x| x.key() == Some(prior.key.as_str())).map(|x| x.version_id().map(str::to_string));
                versions.chain(markers).collect::<Vec<_>>()
            })
            .collect();
        if ids.is_empty() {
            ids.push(None);
        }
        for v in ids {
            let req =
                s3.delete_object().bucket(&prior.bucket).key(&prior.key).set_version_id(v).set_bypass_governance_retention(prior.force_destroy.filter(|f| *f));
            absent(req.send().await.map_err(sdk(cx.addr)))?;
        }
        Ok(())
    }
}
