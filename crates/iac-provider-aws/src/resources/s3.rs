//! S3: `aws_s3_bucket` (tags in place; the name forces replacement;
//! `force_destroy` empties every object version first) and its settings,
//! each a resource whose id is the bucket: `_versioning`,
//! `_server_side_encryption_configuration`, `_public_access_block`,
//! `_lifecycle_configuration`, and `_policy` (compared as JSON).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::*;
use iac_core::schema::{Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::{Cx, Resource};
use crate::error::{absent, sdk, AwsError};
use crate::schema_util::*;
use crate::tags;
use crate::values::*;

pub struct Bucket;
pub struct Versioning;
pub struct Encryption;
pub struct PublicAccessBlock;
pub struct Lifecycle;
pub struct Policy;

fn bucket_of(v: &Value) -> &str {
    get_str(v, "bucket").or_else(|| get_str(v, "id")).unwrap_or_default()
}

fn build<T>(cx: &Cx<'_>, r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, AwsError> {
    r.map_err(|e| cx.invalid(e.to_string()))
}

/// Whether the bucket itself exists (its settings go with it).
async fn bucket_exists(cx: &Cx<'_>, bucket: &str) -> Result<bool, AwsError> {
    Ok(absent(cx.c.s3.head_bucket().bucket(bucket).send().await.map_err(sdk(cx.addr)))?.is_some())
}

/// What an import by bucket name starts from: a bucket and its settings
/// share one id, the bucket's name.
fn bucket_stub(bucket: &str) -> Value {
    Value::map([("id", Value::from(bucket)), ("bucket", Value::from(bucket))])
}

fn schema_with_bucket(b: Block) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: id().attr("bucket", Attribute::required(Str).force_new()).attr("expected_bucket_owner", Attribute::optional(Str).force_new()),
    }
    .with(b)
}

trait With {
    fn with(self, b: Block) -> ResourceSchema;
}

impl With for ResourceSchema {
    fn with(mut self, b: Block) -> ResourceSchema {
        self.block.attributes.extend(b.attributes);
        self.block.blocks.extend(b.blocks);
        self
    }
}

async fn put_tags(cx: &Cx<'_>, bucket: &str, planned: &Value) -> Result<(), AwsError> {
    let t: Vec<Tag> = tags::desired(planned, &cx.owner).into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    let tagging = build(cx, Tagging::builder().set_tag_set(Some(t)).build())?;
    cx.c.s3.put_bucket_tagging().bucket(bucket).tagging(tagging).send().await.map_err(sdk(cx.addr))?;
    Ok(())
}

async fn bucket_tags(cx: &Cx<'_>, bucket: &str) -> Result<BTreeMap<String, String>, AwsError> {
    match cx.c.s3.get_bucket_tagging().bucket(bucket).send().await.map_err(sdk(cx.addr)) {
        Ok(out) => Ok(out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()),
        Err(e) if e.has_code(&["NoSuchTagSet", "NoSuchTagSetError"]) => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// Deletes every object version and delete marker (for `force_destroy`).
async fn empty_bucket(cx: &Cx<'_>, bucket: &str) -> Result<(), AwsError> {
    loop {
        let out = cx.c.s3.list_object_versions().bucket(bucket).send().await.map_err(sdk(cx.addr))?;
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
        cx.c.s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(sdk(cx.addr))?;
        tracing::info!(addr = cx.addr, bucket, objects = n, "emptied for force_destroy");
    }
}

#[async_trait]
impl Resource for Bucket {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("bucket", Attribute::required(Str).force_new())
                .attr("force_destroy", Attribute::optional_computed(Bool).describe("delete every object version before the bucket"))
                .attr("arn", Attribute::computed(Str))
                .attr("region", Attribute::computed(Str))
                .attr("bucket_domain_name", Attribute::computed(Str))
                .attr("bucket_regional_domain_name", Attribute::computed(Str)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("force_destroy", Value::Bool(false))]
    }

    fn local_attrs(&self) -> &'static [&'static str] {
        &["force_destroy"]
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        let mut req = cx.c.s3.create_bucket().bucket(bucket);
        if cx.c.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(cx.c.region.as_str())).build(),
            );
        }
        req.send().await.map_err(sdk(cx.addr))?;
        put_tags(cx, bucket, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        if prior.get("tags_all") != p.get("tags_all") {
            put_tags(cx, bucket_of(prior), p).await?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the bucket vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        if !bucket_exists(cx, bucket).await? {
            return Ok(None);
        }
        let region = &cx.c.region;
        Ok(Some(Value::map([
            ("id", Value::from(bucket)),
            ("bucket", Value::from(bucket)),
            ("arn", Value::String(format!("arn:aws:s3:::{bucket}"))),
            ("region", Value::from(region.as_str())),
            ("bucket_domain_name", Value::String(format!("{bucket}.s3.amazonaws.com"))),
            ("bucket_regional_domain_name", Value::String(format!("{bucket}.s3.{region}.amazonaws.com"))),
            ("tags_all", str_map(&bucket_tags(cx, bucket).await?)),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let bucket = bucket_of(prior);
        if get_bool(prior, "force_destroy") == Some(true) {
            empty_bucket(cx, bucket).await?;
        }
        cx.c.s3.delete_bucket().bucket(bucket).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(planned);
        if !bucket_exists(cx, bucket).await? || bucket_tags(cx, bucket).await?.get(tags::OWNER_TAG) != Some(&cx.owner) {
            return Ok(None);
        }
        self.read(cx, planned).await
    }
}

#[async_trait]
impl Resource for Versioning {
    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        self.read(cx, planned).await
    }

    fn schema(&self) -> ResourceSchema {
        schema_with_bucket(
            Block::default().block(
                "versioning_configuration",
                one_required(
                    Block::default()
                        .attr("status", Attribute::required(Str).describe("Enabled, Suspended or Disabled"))
                        .attr("mfa_delete", Attribute::optional_computed(Str)),
                ),
            ),
        )
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        let status = block0(p, "versioning_configuration").and_then(|c| get_str(c, "status")).unwrap_or("Enabled");
        // "Disabled" is how a bucket that was never versioned reads; there is nothing to put.
        if status != "Disabled" {
            let cfg = VersioningConfiguration::builder().status(BucketVersioningStatus::from(status)).build();
            cx.c.s3.put_bucket_versioning().bucket(bucket).versioning_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, p: &Value) -> Result<Value, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        let Some(out) = absent(cx.c.s3.get_bucket_versioning().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let status = out.status().map(|s| s.as_str().to_string()).unwrap_or_else(|| "Disabled".into());
        let mfa = out.mfa_delete().map(|m| Value::from(m.as_str())).unwrap_or_else(|| {
            block0(current, "versioning_configuration")
                .and_then(|c| c.get("mfa_delete"))
                .filter(|m| m.is_wholly_known())
                .cloned()
                .unwrap_or(Value::from("Disabled"))
        });
        Ok(Some(Value::map([
            ("id", Value::from(bucket)),
            ("bucket", Value::from(bucket)),
            ("expected_bucket_owner", current.get("expected_bucket_owner").cloned().unwrap_or(Value::Null)),
            ("versioning_configuration", Value::List(vec![Value::map([("status", Value::String(status)), ("mfa_delete", mfa)])])),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        // A bucket's versioning can only be suspended, never switched off.
        let bucket = bucket_of(prior);
        if bucket_exists(cx, bucket).await? && block0(prior, "versioning_configuration").and_then(|c| get_str(c, "status")) == Some("Enabled") {
            let cfg = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
            cx.c.s3.put_bucket_versioning().bucket(bucket).versioning_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        }
        Ok(())
    }
}

fn sse_rule_block() -> Block {
    Block::default().attr("bucket_key_enabled", Attribute::optional_computed(Bool)).block(
        "apply_server_side_encryption_by_default",
        one_required(Block::default().attr("sse_algorithm", Attribute::required(Str)).attr("kms_master_key_id", Attribute::optional(Str))),
    )
}

#[async_trait]
impl Resource for Encryption {
    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        self.read(cx, planned).await
    }

    fn schema(&self) -> ResourceSchema {
        schema_with_bucket(Block::default().block("rule", iac_core::schema::NestedBlock { min_items: 1, ..set_block(sse_rule_block()) }))
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        let mut rules = Vec::new();
        for r in p.get("rule").and_then(Value::as_list).unwrap_or(&[]) {
            let d = block0(r, "apply_server_side_encryption_by_default").cloned().unwrap_or(Value::Null);
            let by_default = build(
                cx,
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(get_str(&d, "sse_algorithm").unwrap_or("AES256")))
                    .set_kms_master_key_id(get_str(&d, "kms_master_key_id").map(str::to_string))
                    .build(),
            )?;
            rules.push(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .set_bucket_key_enabled(get_bool(r, "bucket_key_enabled"))
                    .build(),
            );
        }
        let cfg = build(cx, ServerSideEncryptionConfiguration::builder().set_rules(Some(rules)).build())?;
        cx.c.s3.put_bucket_encryption().bucket(bucket).server_side_encryption_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, p: &Value) -> Result<Value, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        let Some(out) = absent(cx.c.s3.get_bucket_encryption().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let rules: Vec<Value> = out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                let d = r.apply_server_side_encryption_by_default();
                Value::map([
                    (
                        "apply_server_side_encryption_by_default",
                        Value::List(vec![Value::map([
                            ("kms_master_key_id", opt(d.and_then(|d| d.kms_master_key_id()))),
                            ("sse_algorithm", opt(d.map(|d| d.sse_algorithm().as_str()))),
                        ])]),
                    ),
                    ("bucket_key_enabled", Value::Bool(r.bucket_key_enabled().unwrap_or(false))),
                ])
            })
            .collect();
        if rules.is_empty() {
            return Ok(None);
        }
        Ok(Some(Value::map([
            ("id", Value::from(bucket)),
            ("bucket", Value::from(bucket)),
            ("expected_bucket_owner", current.get("expected_bucket_owner").cloned().unwrap_or(Value::Null)),
            ("rule", Value::List(iac_core::schema::set_normalize(rules))),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.s3.delete_bucket_encryption().bucket(bucket_of(prior)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }
}

const PAB: &[&str] = &["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

#[async_trait]
impl Resource for PublicAccessBlock {
    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        self.read(cx, planned).await
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = id().attr("bucket", Attribute::required(Str).force_new());
        for k in PAB {
            b = b.attr(k, Attribute::optional_computed(Bool));
        }
        ResourceSchema { version: 0, block: b }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        PAB.iter().map(|k| (*k, Value::Bool(false))).collect()
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        let cfg = PublicAccessBlockConfiguration::builder()
            .set_block_public_acls(get_bool(p, "block_public_acls"))
            .set_block_public_policy(get_bool(p, "block_public_policy"))
            .set_ignore_public_acls(get_bool(p, "ignore_public_acls"))
            .set_restrict_public_buckets(get_bool(p, "restrict_public_buckets"))
            .build();
        cx.c.s3.put_public_access_block().bucket(bucket).public_access_block_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, p: &Value) -> Result<Value, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        let Some(out) = absent(cx.c.s3.get_public_access_block().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let c = out.public_access_block_configuration();
        Ok(Some(Value::map([
            ("id", Value::from(bucket)),
            ("bucket", Value::from(bucket)),
            ("block_public_acls", Value::Bool(c.and_then(|c| c.block_public_acls()).unwrap_or(false))),
            ("block_public_policy", Value::Bool(c.and_then(|c| c.block_public_policy()).unwrap_or(false))),
            ("ignore_public_acls", Value::Bool(c.and_then(|c| c.ignore_public_acls()).unwrap_or(false))),
            ("restrict_public_buckets", Value::Bool(c.and_then(|c| c.restrict_public_buckets()).unwrap_or(false))),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.s3.delete_public_access_block().bucket(bucket_of(prior)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }
}

fn lifecycle_rule_block() -> Block {
    Block::default()
        .attr("id", Attribute::required(Str))
        .attr("status", Attribute::required(Str).describe("Enabled or Disabled"))
        .block("filter", one(Block::default().attr("prefix", Attribute::optional(Str))))
        .block("expiration", one(Block::default().attr("days", Attribute::optional(Number))))
        .block("noncurrent_version_expiration", one(Block::default().attr("noncurrent_days", Attribute::optional(Number))))
        .block("abort_incomplete_multipart_upload", one(Block::default().attr("days_after_initiation", Attribute::optional(Number))))
}

#[async_trait]
impl Resource for Lifecycle {
    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        self.read(cx, planned).await
    }

    fn schema(&self) -> ResourceSchema {
        schema_with_bucket(Block::default().block("rule", iac_core::schema::NestedBlock { min_items: 1, ..many(lifecycle_rule_block()) }))
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        let mut rules = Vec::new();
        for r in p.get("rule").and_then(Value::as_list).unwrap_or(&[]) {
            let mut b =
                LifecycleRule::builder().id(get_str(r, "id").unwrap_or_default()).status(ExpirationStatus::from(get_str(r, "status").unwrap_or("Enabled")));
            b = b.filter(LifecycleRuleFilter::builder().prefix(block0(r, "filter").and_then(|f| get_str(f, "prefix")).unwrap_or("")).build());
            if let Some(d) = block0(r, "expiration").and_then(|e| get_i32(e, "days")) {
                b = b.expiration(LifecycleExpiration::builder().days(d).build());
            }
            if let Some(d) = block0(r, "noncurrent_version_expiration").and_then(|e| get_i32(e, "noncurrent_days")) {
                b = b.noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(d).build());
            }
            if let Some(d) = block0(r, "abort_incomplete_multipart_upload").and_then(|e| get_i32(e, "days_after_initiation")) {
                b = b.abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(d).build());
            }
            rules.push(build(cx, b.build())?);
        }
        let cfg = build(cx, BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build())?;
        cx.c.s3.put_bucket_lifecycle_configuration().bucket(bucket).lifecycle_configuration(cfg).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, p: &Value) -> Result<Value, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        let Some(out) = absent(cx.c.s3.get_bucket_lifecycle_configuration().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let one_of = |v: Option<Value>| Value::List(v.into_iter().collect());
        let rules: Vec<Value> = out
            .rules()
            .iter()
            .map(|r| {
                Value::map([
                    (
                        "abort_incomplete_multipart_upload",
                        one_of(r.abort_incomplete_multipart_upload().map(|a| Value::map([("days_after_initiation", num(a.days_after_initiation()))]))),
                    ),
                    ("expiration", one_of(r.expiration().map(|e| Value::map([("days", num(e.days()))])))),
                    ("filter", Value::List(vec![Value::map([("prefix", Value::from(r.filter().and_then(|f| f.prefix()).unwrap_or("")))])])),
                    ("id", opt(r.id())),
                    (
                        "noncurrent_version_expiration",
                        one_of(r.noncurrent_version_expiration().map(|e| Value::map([("noncurrent_days", num(e.noncurrent_days()))]))),
                    ),
                    ("status", Value::from(r.status().as_str())),
                ])
            })
            .collect();
        Ok(Some(Value::map([
            ("id", Value::from(bucket)),
            ("bucket", Value::from(bucket)),
            ("expected_bucket_owner", current.get("expected_bucket_owner").cloned().unwrap_or(Value::Null)),
            ("rule", Value::List(rules)),
        ])))
    }

    fn refine(&self, _addr: &str, _prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        // A rule without a filter applies to every key: AWS reports an empty prefix.
        if let Some(Value::List(rules)) = planned.as_map().and_then(|m| m.get("rule")).cloned() {
            let rules = rules
                .into_iter()
                .map(|mut r| {
                    if r.get("filter").and_then(Value::as_list).is_some_and(|f| f.is_empty()) {
                        set(&mut r, "filter", Value::List(vec![Value::map([("prefix", Value::from(""))])]));
                    } else if let Some(Value::List(f)) = r.get("filter").cloned() {
                        let f: Vec<Value> = f
                            .into_iter()
                            .map(|mut x| {
                                if x.get("prefix").is_none_or(Value::is_null) {
                                    set(&mut x, "prefix", Value::from(""));
                                }
                                x
                            })
                            .collect();
                        set(&mut r, "filter", Value::List(f));
                    }
                    r
                })
                .collect();
            set(planned, "rule", Value::List(rules));
        }
        Ok(())
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.s3.delete_bucket_lifecycle().bucket(bucket_of(prior)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }
}

#[async_trait]
impl Resource for Policy {
    /// The bucket's only configuration of this kind is whatever is there.
    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        self.read(cx, planned).await
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: id().attr("bucket", Attribute::required(Str).force_new()).attr("policy", Attribute::required(Str).describe("compared as JSON")),
        }
    }

    fn import_stub(&self, id: &str) -> Value {
        bucket_stub(id)
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        if get_str(planned, "policy").is_some_and(|p| serde_json::from_str::<serde_json::Value>(p).is_err()) {
            return Err(AwsError::invalid(addr, "policy is not valid JSON"));
        }
        super::iam::keep_prior_json(prior, planned, "policy");
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let bucket = bucket_of(p);
        cx.c.s3.put_bucket_policy().bucket(bucket).policy(get_str(p, "policy").unwrap_or_default()).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("bucket {bucket} vanished")))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, p: &Value) -> Result<Value, AwsError> {
        self.create(cx, p).await
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let bucket = bucket_of(current);
        let Some(out) = absent(cx.c.s3.get_bucket_policy().bucket(bucket).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let policy = keep_equivalent_json(get_str(current, "policy"), out.policy().unwrap_or_default());
        Ok(Some(Value::map([("id", Value::from(bucket)), ("bucket", Value::from(bucket)), ("policy", Value::String(policy))])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.s3.delete_bucket_policy().bucket(bucket_of(prior)).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }
}
