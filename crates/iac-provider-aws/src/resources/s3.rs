//! S3: `aws_s3_bucket` (tags in place; the name forces replacement;
//! `force_destroy` empties every object version first) and its settings,
//! each a resource whose id is the bucket: `_versioning`,
//! `_server_side_encryption_configuration`, `_public_access_block`,
//! `_lifecycle_configuration`, `_ownership_controls`, and `_policy`
//! (compared as JSON). A bucket configured without a name takes one from
//! `bucket_prefix` and a unique suffix.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    TransitionDefaultMinimumObjectSize, VersioningConfiguration,
};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::iam::{check_policy, configured_or};
use super::{AwsCx, Cx, Tags};
use crate::error::{absent, sdk, AwsError};
use crate::tags;
use crate::values::set;
use crate::Aws;

fn build<T>(cx: &Cx<'_>, r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, AwsError> {
    r.map_err(|e| cx.invalid(e.to_string()))
}

/// Whether the bucket itself exists (its settings go with it).
async fn bucket_exists(cx: &Cx<'_>, bucket: &str) -> Result<bool, AwsError> {
    Ok(absent(cx.c().s3.head_bucket().bucket(bucket).send().await.map_err(sdk(cx.addr)))?.is_some())
}

/// What an import by bucket name starts from: a bucket and its settings
/// share one id, the bucket's name.
fn bucket_stub(bucket: &str) -> Value {
    Value::map([("id", Value::from(bucket)), ("bucket", Value::from(bucket))])
}

/// The bucket an object is about: its `bucket`, else its id.
fn bucket_of<'a>(bucket: &'a str, id: &'a Option<String>) -> &'a str {
    if bucket.is_empty() {
        id.as_deref().unwrap_or_default()
    } else {
        bucket
    }
}

async fn put_tags(cx: &Cx<'_>, bucket: &str, planned: &Tags) -> Result<(), AwsError> {
    let t: Vec<Tag> = planned.desired(&cx.owner()).into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    let tagging = build(cx, Tagging::builder().set_tag_set(Some(t)).build())?;
    cx.c().s3.put_bucket_tagging().bucket(bucket).tagging(tagging).send().await.map_err(sdk(cx.addr))?;
    Ok(())
}

async fn bucket_tags(cx: &Cx<'_>, bucket: &str) -> Result<BTreeMap<String, String>, AwsError> {
    match cx.c().s3.get_bucket_tagging().bucket(bucket).send().await.map_err(sdk(cx.addr)) {
        Ok(out) => Ok(out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()),
        Err(e) if e.has_code(&["NoSuchTagSet", "NoSuchTagSetError"]) => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// Deletes every object version and delete marker (for `force_destroy`).
async fn empty_bucket(cx: &Cx<'_>, bucket: &str) -> Result<(), AwsError> {
    loop {
        let out = cx.c().s3.list_object_versions().bucket(bucket).send().await.map_err(sdk(cx.addr))?;
        let mut ids = Vec::new();
        for v in out.versions() {
            ids.push(build(cx, ObjectIdentifier::builder().set_key(v.key().map(str::to_string)).set_version_id(v.version_id().map(str::to_string)).build())?);
        }
        for m in out.delete_markers() {
            ids.push(build(cx, ObjectIdentifier::builder().set_key(m.key().map(str::to_string)).set_version_id(m.version_id().map(str::to_string)).build())?);
        }
        if ids.is_empty() {
            return Ok(());
        }
        let n = ids.len();
        let delete = build(cx, Delete::builder().set_objects(Some(ids)).quiet(true).build())?;
        cx.c().s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(sdk(cx.addr))?;
        tracing::info!(addr = cx.addr, bucket, objects = n, "emptied for force_destroy");
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct BucketModel {
    #[sdk(computed)]
    id: Option<String>,
    /// the name; left out, made from `bucket_prefix`
    #[sdk(optional, computed, force_new)]
    bucket: Option<String>,
    /// a name made of this prefix and a unique suffix
    #[sdk(optional, computed, force_new)]
    bucket_prefix: Option<String>,
    /// delete every object version before the bucket
    #[sdk(optional, computed, local, default = false)]
    force_destroy: Option<bool>,
    #[sdk(optional, computed, force_new, default = false)]
    object_lock_enabled: Option<bool>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    region: Option<String>,
    #[sdk(computed)]
    bucket_domain_name: Option<String>,
    #[sdk(computed)]
    bucket_regional_domain_name: Option<String>,
    #[sdk(computed)]
    hosted_zone_id: Option<String>,
    /// the ACL's grants, one per grantee: upstream's deprecated view,
    /// read only here (`aws_s3_bucket_acl` manages them)
    #[sdk(computed, set)]
    grant: Vec<BucketGrant>,
    /// whether versioning is on: upstream's deprecated view, read only here
    /// (`aws_s3_bucket_versioning` manages it)
    #[sdk(computed)]
    versioning: Vec<BucketVersioning>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<super::Timeouts>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct BucketGrant {
    #[sdk(computed)]
    id: Option<String>,
    /// CanonicalUser or Group
    #[sdk(computed, name = "type")]
    kind: Option<String>,
    #[sdk(computed)]
    uri: Option<String>,
    #[sdk(computed, set)]
    permissions: Vec<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct BucketVersioning {
    #[sdk(computed)]
    enabled: Option<bool>,
    #[sdk(computed)]
    mfa_delete: Option<bool>,
}

/// An ACL's grants as upstream groups them: one per grantee (type, id,
/// URI), with every permission it holds.
fn grants_of(grants: &[aws_sdk_s3::types::Grant]) -> Vec<BucketGrant> {
    let mut out: Vec<BucketGrant> = Vec::new();
    for g in grants {
        let grantee = g.grantee();
        let who = BucketGrant {
            id: grantee.and_then(|x| x.id()).map(str::to_string),
            kind: grantee.map(|x| x.r#type().as_str().to_string()),
            uri: grantee.and_then(|x| x.uri()).map(str::to_string),
            permissions: Vec::new(),
        };
        let permission = g.permission().map(|p| p.as_str().to_string()).unwrap_or_default();
        match out.iter_mut().find(|o| (&o.id, &o.kind, &o.uri) == (&who.id, &who.kind, &who.uri)) {
            Some(o) => o.permissions.push(permission),
            None => out.push(BucketGrant { permissions: vec![permission], ..who }),
        }
    }
    out
}

/// The Route 53 zone of S3 website endpoints in a region.
fn hosted_zone_id(region: &str) -> &'static str {
    match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "sa-east-1" => "Z7KQH4QJS55SO",
        _ => "",
    }
}

impl BucketModel {
    fn name(&self) -> &str {
        self.bucket.as_deref().filter(|b| !b.is_empty()).or(self.id.as_deref()).unwrap_or_default()
    }
}

pub struct Bucket;

#[async_trait]
impl Resource<Aws> for Bucket {
    type Model = BucketModel;
    const TYPE: &'static str = "aws_s3_bucket";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: BucketModel) -> Result<BucketModel, AwsError> {
        let bucket = super::naming::name_from(cx, &p.bucket, &p.bucket_prefix);
        let mut req = cx.c().s3.create_bucket().bucket(&bucket).set_object_lock_enabled_for_bucket(p.object_lock_enabled.filter(|b| *b));
        let region = cx.c().region.as_str();
        if region != "us-east-1" {
            req = req.create_bucket_configuration(CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build());
        }
        req.send().await.map_err(sdk(cx.addr))?;
        put_tags(cx, &bucket, &p.tags).await?;
        self.read(cx, BucketModel { id: Some(bucket.clone()), bucket: Some(bucket.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: BucketModel, p: BucketModel) -> Result<BucketModel, AwsError> {
        if prior.tags.tags_all != p.tags.tags_all {
            put_tags(cx, prior.name(), &p.tags).await?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the bucket vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: BucketModel) -> Result<Option<BucketModel>, AwsError> {
        let bucket = current.name().to_string();
        if !bucket_exists(cx, &bucket).await? {
            return Ok(None);
        }
        let region = cx.c().region.clone();
        let lock = match cx.c().s3.get_object_lock_configuration().bucket(&bucket).send().await.map_err(sdk(cx.addr)) {
            Ok(out) => out.object_lock_configuration().and_then(|c| c.object_lock_enabled()).is_some_and(|e| e.as_str() == "Enabled"),
            Err(_) => false,
        };
        let acl = cx.c().s3.get_bucket_acl().bucket(&bucket).send().await.map_err(sdk(cx.addr))?;
        let versioning = read_versioning(cx, &bucket).await?.map(|(status, mfa_delete)| BucketVersioning {
            enabled: Some(status.as_deref() == Some("Enabled")),
            mfa_delete: Some(mfa_delete.as_deref() == Some("Enabled")),
        });
        Ok(Some(BucketModel {
            id: Some(bucket.clone()),
            bucket_prefix: Some(super::naming::prefix_of(&bucket)).filter(|p| !p.is_empty()).or(current.bucket_prefix),
            force_destroy: current.force_destroy,
            object_lock_enabled: Some(lock),
            arn: Some(format!("arn:aws:s3:::{bucket}")),
            bucket_domain_name: Some(format!("{bucket}.s3.amazonaws.com")),
            bucket_regional_domain_name: Some(format!("{bucket}.s3.{region}.amazonaws.com")),
            hosted_zone_id: Some(hosted_zone_id(&region).to_string()),
            grant: grants_of(acl.grants()),
            versioning: versioning.into_iter().collect(),
            region: Some(region),
            tags: Tags::from_aws(bucket_tags(cx, &bucket).await?),
            timeouts: current.timeouts,
            bucket: Some(bucket),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: BucketModel) -> Result<(), AwsError> {
        let bucket = prior.name();
        if prior.force_destroy == Some(true) {
            empty_bucket(cx, bucket).await?;
        }
        cx.c().s3.delete_bucket().bucket(bucket).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: BucketModel) -> Result<Option<BucketModel>, AwsError> {
        let Some(bucket) = planned.bucket.clone().or_else(|| planned.bucket_prefix.is_none().then(|| super::name_or_stable(cx, &None))) else {
            // A prefixed name is new on every try: nothing to find by name.
            return Ok(None);
        };
        if !bucket_exists(cx, &bucket).await? || bucket_tags(cx, &bucket).await?.get(tags::OWNER_TAG) != Some(&cx.owner()) {
            return Ok(None);
        }
        self.read(cx, BucketModel { id: Some(bucket.clone()), bucket: Some(bucket), ..planned }).await
    }
}

/// What a bucket setting names: its bucket (and the bucket's id, its own).
#[derive(Model, Debug, Clone, Default)]
pub struct Target {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    bucket: String,
    #[sdk(optional, force_new)]
    expected_bucket_owner: Option<String>,
}

impl Target {
    fn bucket(&self) -> &str {
        bucket_of(&self.bucket, &self.id)
    }

    /// The target as read back: the bucket, and the owner as configured.
    fn read_back(&self) -> Target {
        let bucket = self.bucket().to_string();
        Target { id: Some(bucket.clone()), bucket, expected_bucket_owner: self.expected_bucket_owner.clone() }
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct VersioningModel {
    #[sdk(flatten)]
    target: Target,
    #[sdk(block, min_items = 1, max_items = 1)]
    versioning_configuration: Vec<VersioningConfig>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct VersioningConfig {
    /// Enabled, Suspended or Disabled
    #[sdk(required)]
    status: String,
    #[sdk(optional, computed)]
    mfa_delete: Option<String>,
}

impl VersioningModel {
    fn status(&self) -> Option<&str> {
        self.versioning_configuration.first().map(|c| c.status.as_str()).filter(|s| !s.is_empty())
    }
}

pub struct Versioning;

#[async_trait]
impl Resource<Aws> for Versioning {
    type Model = VersioningModel;
    const TYPE: &'static str = "aws_s3_bucket_versioning";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: VersioningModel) -> Result<VersioningModel, AwsError> {
        let bucket = p.target.bucket().to_string();
        let status = p.status().unwrap_or("Enabled");
        // "Disabled" is how a bucket that was never versioned reads; there is nothing to put.
        if status != "Disabled" {
            let cfg = VersioningConfiguration::builder().status(BucketVersioningStatus::from(status)).build();
            cx.c().s3.put_bucket_versioning().bucket(&bucket).versioning_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: VersioningModel, p: VersioningModel) -> Result<VersioningModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: VersioningModel) -> Result<Option<VersioningModel>, AwsError> {
        let bucket = current.target.bucket();
        let Some((status, mfa_delete)) = read_versioning(cx, bucket).await? else { return Ok(None) };
        // S3 reports MfaDelete only for a bucket that was ever configured
        // with it; upstream then stores nothing (Go's "") and so does iac.
        let mfa_delete = mfa_delete.or_else(|| current.versioning_configuration.first().and_then(|c| c.mfa_delete.clone()));
        Ok(Some(VersioningModel {
            target: current.target.read_back(),
            versioning_configuration: vec![VersioningConfig { status: status.unwrap_or_else(|| "Disabled".into()), mfa_delete }],
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: VersioningModel) -> Result<(), AwsError> {
        // A bucket's versioning can only be suspended, never switched off.
        let bucket = prior.target.bucket();
        if bucket_exists(cx, bucket).await? && prior.status() == Some("Enabled") {
            let cfg = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
            cx.c().s3.put_bucket_versioning().bucket(bucket).versioning_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        }
        Ok(())
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: VersioningModel) -> Result<Option<VersioningModel>, AwsError> {
        self.read(cx, planned).await
    }
}

/// A bucket's versioning `Status` and `MfaDelete` (each absent until
/// set); None when the bucket is gone. S3 answers under the root element
/// `VersioningConfiguration`, and the Rust SDK refuses any other; moto
/// 5.2 names it after the operation (`GetBucketVersioningResponse`), which
/// the Go SDK upstream uses reads all the same, since it does not check the
/// root. So does iac: a successful answer the SDK refused is read for the
/// two elements, whatever its root.
async fn read_versioning(cx: &Cx<'_>, bucket: &str) -> Result<Option<(Option<String>, Option<String>)>, AwsError> {
    match cx.c().s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(Some((out.status().map(|s| s.as_str().to_string()), out.mfa_delete().map(|m| m.as_str().to_string())))),
        Err(aws_sdk_s3::error::SdkError::ServiceError(e)) if e.raw().status().as_u16() == 200 => {
            let body = e.raw().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            tracing::debug!(addr = cx.addr, bucket, "versioning answer under another root element: reading its Status and MfaDelete");
            Ok(Some((xml_element(&body, "Status"), xml_element(&body, "MfaDelete"))))
        }
        Err(e) => {
            let e = sdk(cx.addr)(e);
            if e.is_not_found() {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// The text of the first `<name>` element of a flat XML document.
fn xml_element(doc: &str, name: &str) -> Option<String> {
    let start = doc.find(&format!("<{name}>"))? + name.len() + 2;
    let len = doc[start..].find(&format!("</{name}>"))?;
    Some(doc[start..start + len].trim().to_string()).filter(|v| !v.is_empty())
}

#[derive(Model, Debug, Clone, Default)]
pub struct EncryptionModel {
    #[sdk(flatten)]
    target: Target,
    #[sdk(block, set, min_items = 1)]
    rule: Vec<SseRule>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct SseRule {
    #[sdk(optional, computed)]
    bucket_key_enabled: Option<bool>,
    #[sdk(block, min_items = 1, max_items = 1)]
    apply_server_side_encryption_by_default: Vec<SseDefault>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct SseDefault {
    #[sdk(required)]
    sse_algorithm: String,
    #[sdk(optional)]
    kms_master_key_id: Option<String>,
}

pub struct Encryption;

#[async_trait]
impl Resource<Aws> for Encryption {
    type Model = EncryptionModel;
    const TYPE: &'static str = "aws_s3_bucket_server_side_encryption_configuration";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: EncryptionModel) -> Result<EncryptionModel, AwsError> {
        let bucket = p.target.bucket().to_string();
        let mut rules = Vec::new();
        for r in &p.rule {
            let d = r.apply_server_side_encryption_by_default.first().cloned().unwrap_or_default();
            let algorithm = if d.sse_algorithm.is_empty() { "AES256" } else { d.sse_algorithm.as_str() };
            let by_default = build(
                cx,
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(algorithm))
                    .set_kms_master_key_id(d.kms_master_key_id.clone())
                    .build(),
            )?;
            rules.push(
                ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).set_bucket_key_enabled(r.bucket_key_enabled).build(),
            );
        }
        let cfg = build(cx, ServerSideEncryptionConfiguration::builder().set_rules(Some(rules)).build())?;
        cx.c().s3.put_bucket_encryption().bucket(&bucket).server_side_encryption_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: EncryptionModel, p: EncryptionModel) -> Result<EncryptionModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: EncryptionModel) -> Result<Option<EncryptionModel>, AwsError> {
        let bucket = current.target.bucket();
        let Some(out) = absent(cx.c().s3.get_bucket_encryption().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let rule: Vec<SseRule> = out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                let d = r.apply_server_side_encryption_by_default();
                SseRule {
                    apply_server_side_encryption_by_default: vec![SseDefault {
                        kms_master_key_id: d.and_then(|d| d.kms_master_key_id()).map(str::to_string),
                        sse_algorithm: d.map(|d| d.sse_algorithm().as_str().to_string()).unwrap_or_default(),
                    }],
                    bucket_key_enabled: Some(r.bucket_key_enabled().unwrap_or(false)),
                }
            })
            .collect();
        if rule.is_empty() {
            return Ok(None);
        }
        Ok(Some(EncryptionModel { target: current.target.read_back(), rule }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: EncryptionModel) -> Result<(), AwsError> {
        cx.c().s3.delete_bucket_encryption().bucket(prior.target.bucket()).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: EncryptionModel) -> Result<Option<EncryptionModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct PublicAccessBlockModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    bucket: String,
    #[sdk(optional, computed, default = false)]
    block_public_acls: Option<bool>,
    #[sdk(optional, computed, default = false)]
    block_public_policy: Option<bool>,
    #[sdk(optional, computed, default = false)]
    ignore_public_acls: Option<bool>,
    #[sdk(optional, computed, default = false)]
    restrict_public_buckets: Option<bool>,
}

pub struct PublicAccessBlock;

#[async_trait]
impl Resource<Aws> for PublicAccessBlock {
    type Model = PublicAccessBlockModel;
    const TYPE: &'static str = "aws_s3_bucket_public_access_block";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: PublicAccessBlockModel) -> Result<PublicAccessBlockModel, AwsError> {
        let bucket = bucket_of(&p.bucket, &p.id).to_string();
        let cfg = PublicAccessBlockConfiguration::builder()
            .set_block_public_acls(p.block_public_acls)
            .set_block_public_policy(p.block_public_policy)
            .set_ignore_public_acls(p.ignore_public_acls)
            .set_restrict_public_buckets(p.restrict_public_buckets)
            .build();
        cx.c().s3.put_public_access_block().bucket(&bucket).public_access_block_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: PublicAccessBlockModel, p: PublicAccessBlockModel) -> Result<PublicAccessBlockModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: PublicAccessBlockModel) -> Result<Option<PublicAccessBlockModel>, AwsError> {
        let bucket = bucket_of(&current.bucket, &current.id);
        let Some(out) = absent(cx.c().s3.get_public_access_block().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let c = out.public_access_block_configuration();
        let flag = |f: fn(&PublicAccessBlockConfiguration) -> Option<bool>| Some(c.and_then(f).unwrap_or(false));
        Ok(Some(PublicAccessBlockModel {
            id: Some(bucket.to_string()),
            bucket: bucket.to_string(),
            block_public_acls: flag(PublicAccessBlockConfiguration::block_public_acls),
            block_public_policy: flag(PublicAccessBlockConfiguration::block_public_policy),
            ignore_public_acls: flag(PublicAccessBlockConfiguration::ignore_public_acls),
            restrict_public_buckets: flag(PublicAccessBlockConfiguration::restrict_public_buckets),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: PublicAccessBlockModel) -> Result<(), AwsError> {
        cx.c().s3.delete_public_access_block().bucket(bucket_of(&prior.bucket, &prior.id)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: PublicAccessBlockModel) -> Result<Option<PublicAccessBlockModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct LifecycleModel {
    #[sdk(flatten)]
    target: Target,
    #[sdk(block, min_items = 1)]
    rule: Vec<LifecycleRuleModel>,
    /// all_storage_classes_128K (S3's default) or varies_by_storage_class
    #[sdk(optional, computed, default = "all_storage_classes_128K")]
    transition_default_minimum_object_size: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct LifecycleRuleModel {
    #[sdk(required)]
    id: String,
    /// Enabled or Disabled
    #[sdk(required)]
    status: String,
    #[sdk(block, max_items = 1)]
    filter: Vec<LifecycleFilter>,
    #[sdk(block, max_items = 1)]
    expiration: Vec<Expiration>,
    #[sdk(block, max_items = 1)]
    noncurrent_version_expiration: Vec<NoncurrentExpiration>,
    #[sdk(block, max_items = 1)]
    abort_incomplete_multipart_upload: Vec<AbortUpload>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct LifecycleFilter {
    #[sdk(optional)]
    prefix: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct Expiration {
    #[sdk(optional)]
    days: Option<i32>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct NoncurrentExpiration {
    #[sdk(optional)]
    noncurrent_days: Option<i32>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct AbortUpload {
    #[sdk(optional)]
    days_after_initiation: Option<i32>,
}

pub struct Lifecycle;

#[async_trait]
impl Resource<Aws> for Lifecycle {
    type Model = LifecycleModel;
    const TYPE: &'static str = "aws_s3_bucket_lifecycle_configuration";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn modify_plan(&self, _cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        // A rule without a filter applies to every key: AWS reports an empty prefix.
        let Some(Value::List(rules)) = planned.get("rule").cloned() else { return Ok(()) };
        let empty_prefix = || Value::map([("prefix", Value::from(""))]);
        let rules = rules
            .into_iter()
            .map(|mut r| {
                let filter = match r.get("filter").cloned() {
                    Some(Value::List(f)) if f.is_empty() => Some(vec![empty_prefix()]),
                    Some(Value::List(f)) => Some(
                        f.into_iter()
                            .map(|mut x| {
                                if x.get("prefix").is_none_or(Value::is_null) {
                                    set(&mut x, "prefix", Value::from(""));
                                }
                                x
                            })
                            .collect(),
                    ),
                    _ => None,
                };
                if let Some(f) = filter {
                    set(&mut r, "filter", Value::List(f.into()));
                }
                r
            })
            .collect();
        set(planned, "rule", Value::List(rules));
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: LifecycleModel) -> Result<LifecycleModel, AwsError> {
        let bucket = p.target.bucket().to_string();
        let mut rules = Vec::new();
        for r in &p.rule {
            let status = if r.status.is_empty() { "Enabled" } else { r.status.as_str() };
            let prefix = r.filter.first().and_then(|f| f.prefix.as_deref()).unwrap_or("");
            let mut b = LifecycleRule::builder().id(&r.id).status(ExpirationStatus::from(status)).filter(LifecycleRuleFilter::builder().prefix(prefix).build());
            if let Some(d) = r.expiration.first().and_then(|e| e.days) {
                b = b.expiration(LifecycleExpiration::builder().days(d).build());
            }
            if let Some(d) = r.noncurrent_version_expiration.first().and_then(|e| e.noncurrent_days) {
                b = b.noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(d).build());
            }
            if let Some(d) = r.abort_incomplete_multipart_upload.first().and_then(|e| e.days_after_initiation) {
                b = b.abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(d).build());
            }
            rules.push(build(cx, b.build())?);
        }
        let cfg = build(cx, BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build())?;
        cx.c()
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .lifecycle_configuration(cfg)
            .set_transition_default_minimum_object_size(p.transition_default_minimum_object_size.as_deref().map(TransitionDefaultMinimumObjectSize::from))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: LifecycleModel, p: LifecycleModel) -> Result<LifecycleModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: LifecycleModel) -> Result<Option<LifecycleModel>, AwsError> {
        let bucket = current.target.bucket();
        let Some(out) = absent(cx.c().s3.get_bucket_lifecycle_configuration().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let rule = out
            .rules()
            .iter()
            .map(|r| LifecycleRuleModel {
                id: r.id().unwrap_or_default().to_string(),
                status: r.status().as_str().to_string(),
                filter: vec![LifecycleFilter { prefix: Some(r.filter().and_then(|f| f.prefix()).unwrap_or("").to_string()) }],
                expiration: r.expiration().map(|e| Expiration { days: e.days() }).into_iter().collect(),
                noncurrent_version_expiration: r
                    .noncurrent_version_expiration()
                    .map(|e| NoncurrentExpiration { noncurrent_days: e.noncurrent_days() })
                    .into_iter()
                    .collect(),
                abort_incomplete_multipart_upload: r
                    .abort_incomplete_multipart_upload()
                    .map(|a| AbortUpload { days_after_initiation: a.days_after_initiation() })
                    .into_iter()
                    .collect(),
            })
            .collect();
        // An S3 clone that does not report the setting (moto) keeps what was configured.
        let transition_default_minimum_object_size =
            out.transition_default_minimum_object_size().map(|t| t.as_str().to_string()).or(current.transition_default_minimum_object_size);
        Ok(Some(LifecycleModel { target: current.target.read_back(), rule, transition_default_minimum_object_size }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: LifecycleModel) -> Result<(), AwsError> {
        cx.c().s3.delete_bucket_lifecycle().bucket(prior.target.bucket()).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: LifecycleModel) -> Result<Option<LifecycleModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct PolicyModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    bucket: String,
    /// compared as JSON
    #[sdk(required, json)]
    policy: String,
}

pub struct Policy;

#[async_trait]
impl Resource<Aws> for Policy {
    type Model = PolicyModel;
    const TYPE: &'static str = "aws_s3_bucket_policy";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        check_policy(cx, planned, "policy")
    }

    async fn create(&self, cx: &Cx<'_>, p: PolicyModel) -> Result<PolicyModel, AwsError> {
        let bucket = bucket_of(&p.bucket, &p.id).to_string();
        cx.c().s3.put_bucket_policy().bucket(&bucket).policy(&p.policy).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: PolicyModel, p: PolicyModel) -> Result<PolicyModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: PolicyModel) -> Result<Option<PolicyModel>, AwsError> {
        let bucket = bucket_of(&current.bucket, &current.id);
        let Some(out) = absent(cx.c().s3.get_bucket_policy().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let policy = configured_or(&current.policy, out.policy().unwrap_or_default());
        Ok(Some(PolicyModel { id: Some(bucket.to_string()), bucket: bucket.to_string(), policy }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: PolicyModel) -> Result<(), AwsError> {
        cx.c().s3.delete_bucket_policy().bucket(bucket_of(&prior.bucket, &prior.id)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: PolicyModel) -> Result<Option<PolicyModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct OwnershipRule {
    /// BucketOwnerPreferred, ObjectWriter or BucketOwnerEnforced
    #[sdk(required)]
    object_ownership: String,
}

#[derive(Model, Debug, Clone, Default)]
pub struct OwnershipControlsModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    bucket: String,
    #[sdk(block, min_items = 1, max_items = 1)]
    rule: Vec<OwnershipRule>,
}

/// `aws_s3_bucket_ownership_controls`: who owns the objects others write
/// (and whether ACLs apply at all); the rule changes in place.
pub struct OwnershipControls;

#[async_trait]
impl Resource<Aws> for OwnershipControls {
    type Model = OwnershipControlsModel;
    const TYPE: &'static str = "aws_s3_bucket_ownership_controls";

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: OwnershipControlsModel) -> Result<OwnershipControlsModel, AwsError> {
        let bucket = bucket_of(&p.bucket, &p.id).to_string();
        let rules: Vec<aws_sdk_s3::types::OwnershipControlsRule> = p
            .rule
            .iter()
            .map(|r| {
                aws_sdk_s3::types::OwnershipControlsRule::builder()
                    .object_ownership(aws_sdk_s3::types::ObjectOwnership::from(r.object_ownership.as_str()))
                    .build()
            })
            .collect::<Result<_, _>>()
            .map_err(|e| cx.invalid(e.to_string()))?;
        let controls = build(cx, aws_sdk_s3::types::OwnershipControls::builder().set_rules(Some(rules)).build())?;
        cx.c().s3.put_bucket_ownership_controls().bucket(&bucket).ownership_controls(controls).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: OwnershipControlsModel, p: OwnershipControlsModel) -> Result<OwnershipControlsModel, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: OwnershipControlsModel) -> Result<Option<OwnershipControlsModel>, AwsError> {
        let bucket = bucket_of(&current.bucket, &current.id).to_string();
        let out = match cx.c().s3.get_bucket_ownership_controls().bucket(&bucket).send().await.map_err(sdk(cx.addr)) {
            Ok(out) => out,
            Err(e) if e.is_not_found() || e.has_code(&["OwnershipControlsNotFoundError"]) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rule = out
            .ownership_controls()
            .map(|c| c.rules().iter().map(|r| OwnershipRule { object_ownership: r.object_ownership().as_str().to_string() }).collect())
            .unwrap_or_default();
        Ok(Some(OwnershipControlsModel { id: Some(bucket.clone()), bucket, rule }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: OwnershipControlsModel) -> Result<(), AwsError> {
        let bucket = bucket_of(&prior.bucket, &prior.id);
        match cx.c().s3.delete_bucket_ownership_controls().bucket(bucket).send().await.map_err(sdk(cx.addr)) {
            Err(e) if e.has_code(&["OwnershipControlsNotFoundError"]) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: OwnershipControlsModel) -> Result<Option<OwnershipControlsModel>, AwsError> {
        self.read(cx, planned).await
    }
}

#[cfg(test)]
mod tests {
    use super::xml_element;

    #[test]
    fn versioning_elements_are_read_under_any_root() {
        let moto = r#"<?xml version="1.0" encoding="utf-8"?>
<GetBucketVersioningResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></GetBucketVersioningResponse>"#;
        assert_eq!(xml_element(moto, "Status").as_deref(), Some("Enabled"));
        assert_eq!(xml_element(moto, "MfaDelete"), None, "absent: never configured");
        let s3 = r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"#;
        assert_eq!(xml_element(s3, "Status").as_deref(), Some("Suspended"));
        assert_eq!(xml_element(s3, "MfaDelete").as_deref(), Some("Disabled"));
        assert_eq!(xml_element(r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#, "Status"), None, "never versioned");
    }
}
