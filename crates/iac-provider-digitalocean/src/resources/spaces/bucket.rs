//! `digitalocean_spaces_bucket`: a Spaces bucket, made and read through
//! Spaces' S3 API as upstream does: canned ACL,
//! versioning, CORS rules and lifecycle rules change in place; name and
//! region force replacement; `force_destroy` empties the bucket (every
//! object version) before deleting it. CORS rules are compared only when
//! configured, as upstream's (deprecated in favour of a separate type).

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketCannedAcl, BucketLifecycleConfiguration, BucketVersioningStatus, CorsConfiguration, CorsRule as S3CorsRule, Delete,
    ExpirationStatus, LifecycleExpiration, LifecycleRule as S3LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier, Permission,
    Type as GranteeType, VersioningConfiguration,
};
use aws_sdk_s3::Client as S3;
use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{invalid, missing, s3};
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// A CORS rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CorsRule {
    #[sdk(required)]
    pub allowed_methods: Vec<String>,
    #[sdk(required)]
    pub allowed_origins: Vec<String>,
    #[sdk(optional)]
    pub allowed_headers: Option<Vec<String>>,
    #[sdk(optional)]
    pub max_age_seconds: Option<i64>,
}

/// `versioning { enabled }`.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Versioning {
    #[sdk(optional, default = false)]
    pub enabled: bool,
}

/// A lifecycle rule's expiration.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Expiration {
    /// RFC 3339 date (midnight UTC)
    #[sdk(optional)]
    pub date: Option<String>,
    #[sdk(optional)]
    pub days: Option<i64>,
    #[sdk(optional)]
    pub expired_object_delete_marker: Option<bool>,
}

/// A lifecycle rule's expiration of noncurrent versions.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct NoncurrentExpiration {
    #[sdk(optional)]
    pub days: Option<i64>,
}

/// A lifecycle rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct LifecycleRule {
    /// generated when left out
    #[sdk(optional, computed)]
    pub id: Option<String>,
    #[sdk(optional)]
    pub prefix: Option<String>,
    #[sdk(required)]
    pub enabled: bool,
    #[sdk(optional)]
    pub abort_incomplete_multipart_upload_days: Option<i64>,
    #[sdk(block, set, max_items = 1)]
    pub expiration: Vec<Expiration>,
    #[sdk(block, set, max_items = 1)]
    pub noncurrent_version_expiration: Vec<NoncurrentExpiration>,
}

/// `digitalocean_spaces_bucket`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct BucketModel {
    /// the bucket's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    #[sdk(optional, force_new, default = "nyc3")]
    pub region: String,
    /// private or public-read
    #[sdk(optional, default = "private")]
    pub acl: String,
    #[sdk(block)]
    pub cors_rule: Vec<CorsRule>,
    #[sdk(block, max_items = 1)]
    pub versioning: Vec<Versioning>,
    #[sdk(block)]
    pub lifecycle_rule: Vec<LifecycleRule>,
    /// delete every object (and version) with the bucket
    #[sdk(optional, default = false, local)]
    pub force_destroy: bool,
    #[sdk(computed)]
    pub urn: Option<String>,
    #[sdk(computed)]
    pub bucket_domain_name: Option<String>,
    #[sdk(computed)]
    pub endpoint: Option<String>,
}

const ACLS: &[&str] = &["private", "public-read"];

impl BucketModel {
    fn computed(mut self) -> BucketModel {
        self.id = Some(self.name.clone());
        self.urn = Some(format!("do:space:{}", self.name));
        self.endpoint = Some(format!("{}.digitaloceanspaces.com", self.region));
        self.bucket_domain_name = Some(format!("{}.{}.digitaloceanspaces.com", self.name, self.region));
        self
    }
}

async fn put_acl(c: &S3, addr: &str, bucket: &str, acl: &str) -> Result<(), DoError> {
    c.put_bucket_acl().bucket(bucket).acl(BucketCannedAcl::from(acl)).send().await.map_err(s3(addr))?;
    Ok(())
}

async fn put_versioning(c: &S3, addr: &str, bucket: &str, v: &[Versioning]) -> Result<(), DoError> {
    let Some(v) = v.first() else { return Ok(()) };
    let status = if v.enabled { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(s3(addr))?;
    Ok(())
}

async fn put_cors(c: &S3, addr: &str, bucket: &str, rules: &[CorsRule]) -> Result<(), DoError> {
    if rules.is_empty() {
        c.delete_bucket_cors().bucket(bucket).send().await.map_err(s3(addr))?;
        return Ok(());
    }
    let mut out = Vec::new();
    for r in rules {
        let b = S3CorsRule::builder()
            .set_allowed_methods(Some(r.allowed_methods.clone()))
            .set_allowed_origins(Some(r.allowed_origins.clone()))
            .set_allowed_headers(r.allowed_headers.clone())
            .set_max_age_seconds(r.max_age_seconds.map(|s| s as i32));
        out.push(b.build().map_err(invalid(addr))?);
    }
    let cfg = CorsConfiguration::builder().set_cors_rules(Some(out)).build().map_err(invalid(addr))?;
    c.put_bucket_cors().bucket(bucket).cors_configuration(cfg).send().await.map_err(s3(addr))?;
    Ok(())
}

async fn put_lifecycle(c: &S3, addr: &str, bucket: &str, rules: &[LifecycleRule]) -> Result<(), DoError> {
    if rules.is_empty() {
        c.delete_bucket_lifecycle().bucket(bucket).send().await.map_err(s3(addr))?;
        return Ok(());
    }
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let id = r.id.clone().unwrap_or_else(|| format!("tf-s3-lifecycle-{i}"));
        let status = if r.enabled { ExpirationStatus::Enabled } else { ExpirationStatus::Disabled };
        let mut b =
            S3LifecycleRule::builder().id(id).status(status).filter(LifecycleRuleFilter::builder().prefix(r.prefix.clone().unwrap_or_default()).build());
        if let Some(e) = r.expiration.first() {
            let mut x = LifecycleExpiration::builder();
            if let Some(d) = e.days {
                x = x.days(d as i32);
            }
            if let Some(m) = e.expired_object_delete_marker {
                x = x.expired_object_delete_marker(m);
            }
            if let Some(date) = &e.date {
                let t = aws_sdk_s3::primitives::DateTime::from_str(&format!("{date}T00:00:00Z"), aws_sdk_s3::primitives::DateTimeFormat::DateTime)
                    .map_err(|e| DoError::Invalid { addr: addr.to_string(), message: format!("expiration date {date:?}: {e}") })?;
                x = x.date(t);
            }
            b = b.expiration(x.build());
        }
        if let Some(d) = r.noncurrent_version_expiration.first().and_then(|n| n.days) {
            b = b.noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(d as i32).build());
        }
        if let Some(d) = r.abort_incomplete_multipart_upload_days {
            b = b.abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(d as i32).build());
        }
        out.push(b.build().map_err(invalid(addr))?);
    }
    let cfg = BucketLifecycleConfiguration::builder().set_rules(Some(out)).build().map_err(invalid(addr))?;
    c.put_bucket_lifecycle_configuration().bucket(bucket).lifecycle_configuration(cfg).send().await.map_err(s3(addr))?;
    Ok(())
}

/// The bucket as Spaces reports it; `None` when it is gone.
async fn read_bucket(c: &S3, addr: &str, current: &BucketModel) -> Result<Option<BucketModel>, DoError> {
    let b = current.name.as_str();
    if missing(c.head_bucket().bucket(b).send().await.map_err(s3(addr)), &["NotFound"])?.is_none() {
        return Ok(None);
    }
    let acl = c.get_bucket_acl().bucket(b).send().await.map_err(s3(addr))?;
    let public = acl.grants().iter().any(|g| {
        g.grantee().is_some_and(|e| e.r#type() == &GranteeType::Group && e.uri().is_some_and(|u| u.ends_with("/global/AllUsers")))
            && matches!(g.permission(), Some(Permission::Read))
    });
    let status = match c.get_bucket_versioning().bucket(b).send().await {
        Ok(v) => v.status().cloned(),
        // Some S3 clones answer under another root element than the SDK
        // reads (moto's `GetBucketVersioningResponse`): the status is read
        // from the document itself.
        Err(aws_sdk_s3::error::SdkError::ServiceError(e)) if e.raw().status().as_u16() == 200 => {
            let body = e.raw().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            tracing::debug!(addr, bucket = b, "versioning answer under another root element: reading its Status");
            ["Enabled", "Suspended"].into_iter().find(|st| body.contains(&format!("<Status>{st}</Status>"))).map(BucketVersioningStatus::from)
        }
        Err(e) => return Err(s3(addr)(e)),
    };
    let versioning = match status {
        Some(BucketVersioningStatus::Enabled) => vec![Versioning { enabled: true }],
        Some(_) => vec![Versioning { enabled: false }],
        None => Vec::new(),
    };
    // CORS: compared only when configured.
    let cors_rule = if current.cors_rule.is_empty() {
        Vec::new()
    } else {
        missing(c.get_bucket_cors().bucket(b).send().await.map_err(s3(addr)), &["NoSuchCORSConfiguration"])?
            .map(|o| {
                o.cors_rules()
                    .iter()
                    .map(|r| CorsRule {
                        allowed_methods: r.allowed_methods().to_vec(),
                        allowed_origins: r.allowed_origins().to_vec(),
                        allowed_headers: Some(r.allowed_headers().to_vec()).filter(|h| !h.is_empty()),
                        max_age_seconds: r.max_age_seconds().map(i64::from),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let lifecycle_rule = missing(c.get_bucket_lifecycle_configuration().bucket(b).send().await.map_err(s3(addr)), &["NoSuchLifecycleConfiguration"])?
        .map(|o| {
            o.rules()
                .iter()
                .map(|r| LifecycleRule {
                    id: r.id().map(str::to_string),
                    prefix: r.filter().and_then(|f| f.prefix()).map(str::to_string).filter(|p| !p.is_empty()),
                    enabled: r.status() == &ExpirationStatus::Enabled,
                    abort_incomplete_multipart_upload_days: r.abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation()).map(i64::from),
                    expiration: r
                        .expiration()
                        .map(|e| Expiration {
                            date: e.date().map(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).unwrap_or_default().chars().take(10).collect()),
                            days: e.days().map(i64::from),
                            expired_object_delete_marker: e.expired_object_delete_marker(),
                        })
                        .into_iter()
                        .collect(),
                    noncurrent_version_expiration: r
                        .noncurrent_version_expiration()
                        .and_then(|n| n.noncurrent_days())
                        .map(|d| NoncurrentExpiration { days: Some(i64::from(d)) })
                        .into_iter()
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(
        BucketModel {
            id: None,
            name: current.name.clone(),
            region: current.region.clone(),
            acl: if public { "public-read" } else { "private" }.into(),
            cors_rule,
            versioning,
            lifecycle_rule,
            force_destroy: current.force_destroy,
            urn: None,
            bucket_domain_name: None,
            endpoint: None,
        }
        .computed(),
    ))
}

/// Deletes every object version and delete marker of a bucket.
async fn empty_bucket(c: &S3, addr: &str, bucket: &str) -> Result<(), DoError> {
    for _ in 0..10_000 {
        let page = c.list_object_versions().bucket(bucket).max_keys(1000).send().await.map_err(s3(addr))?;
        let mut ids = Vec::new();
        for v in page.versions() {
            ids.push(
                ObjectIdentifier::builder()
                    .set_key(v.key().map(str::to_string))
                    .set_version_id(v.version_id().map(str::to_string))
                    .build()
                    .map_err(invalid(addr))?,
            );
        }
        for m in page.delete_markers() {
            ids.push(
                ObjectIdentifier::builder()
                    .set_key(m.key().map(str::to_string))
                    .set_version_id(m.version_id().map(str::to_string))
                    .build()
                    .map_err(invalid(addr))?,
            );
        }
        if ids.is_empty() {
            return Ok(());
        }
        tracing::info!(addr, bucket, objects = ids.len(), "force_destroy: deleting objects");
        let del = Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(invalid(addr))?;
        c.delete_objects().bucket(bucket).delete(del).send().await.map_err(s3(addr))?;
    }
    Err(DoError::Failed { addr: addr.to_string(), message: format!("bucket {bucket} did not empty") })
}

/// The `digitalocean_spaces_bucket` resource type.
pub struct SpacesBucket;

#[async_trait]
impl Resource<DigitalOcean> for SpacesBucket {
    type Model = BucketModel;
    const TYPE: &'static str = "digitalocean_spaces_bucket";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let acl = get_str(planned, "acl").unwrap_or("private").to_string();
        if !ACLS.contains(&acl.as_str()) {
            return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("acl {acl:?} is not private or public-read") });
        }
        // Region slugs are lowercase.
        if let Some(r) = get_str(planned, "region").map(str::to_lowercase) {
            set(planned, "region", Value::from(r));
        }
        // Removing the versioning block leaves versioning as it is (upstream's DiffSuppressFunc).
        if planned.get("versioning").and_then(Value::as_list).is_none_or(|l| l.is_empty()) {
            if let Some(v) = prior.and_then(|p| p.get("versioning")).cloned() {
                set(planned, "versioning", v);
            }
        }
        // Rule ids left out are generated (kept once made).
        if let Some(Value::List(rules)) = planned.get("lifecycle_rule").cloned() {
            let prior_rules = prior.and_then(|p| p.get("lifecycle_rule")).and_then(Value::as_list).map(<[Value]>::to_vec).unwrap_or_default();
            let rules = rules
                .into_iter()
                .enumerate()
                .map(|(i, mut r)| {
                    if r.get("id").is_none_or(Value::is_null) {
                        let kept = prior_rules.get(i).and_then(|p| p.get("id")).cloned().filter(|v| !v.is_null());
                        set(&mut r, "id", kept.unwrap_or_else(|| Value::from(format!("tf-s3-lifecycle-{i}"))));
                    }
                    r
                })
                .collect();
            set(planned, "lifecycle_rule", Value::List(rules));
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: BucketModel) -> Result<BucketModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        let name = planned.name.as_str();
        match c.create_bucket().bucket(name).acl(BucketCannedAcl::from(planned.acl.as_str())).send().await.map_err(s3(addr)) {
            Ok(_) => {}
            // Ours already (a create repeated after a lost answer, or adopted after a crash).
            Err(DoError::Spaces { code, .. }) if code == "BucketAlreadyOwnedByYou" => {
                tracing::info!(addr, bucket = name, "the bucket exists and is ours: adopting it")
            }
            Err(e) => return Err(e),
        }
        put_acl(&c, addr, name, &planned.acl).await?;
        put_versioning(&c, addr, name, &planned.versioning).await?;
        if !planned.cors_rule.is_empty() {
            put_cors(&c, addr, name, &planned.cors_rule).await?;
        }
        if !planned.lifecycle_rule.is_empty() {
            put_lifecycle(&c, addr, name, &planned.lifecycle_rule).await?;
        }
        read_bucket(&c, addr, &planned)
            .await?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("bucket {name} vanished after its create") })
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: BucketModel, planned: BucketModel) -> Result<BucketModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        let name = planned.name.as_str();
        if planned.acl != prior.acl {
            put_acl(&c, addr, name, &planned.acl).await?;
        }
        if planned.versioning != prior.versioning {
            put_versioning(&c, addr, name, &planned.versioning).await?;
        }
        if planned.cors_rule != prior.cors_rule {
            put_cors(&c, addr, name, &planned.cors_rule).await?;
        }
        if planned.lifecycle_rule != prior.lifecycle_rule {
            put_lifecycle(&c, addr, name, &planned.lifecycle_rule).await?;
        }
        read_bucket(&c, addr, &planned)
            .await?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("bucket {name} vanished during its update") })
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: BucketModel) -> Result<Option<BucketModel>, DoError> {
        if current.name.is_empty() {
            return Ok(None);
        }
        let c = cx.provider.spaces.client(cx.addr, &current.region)?;
        read_bucket(&c, cx.addr, &current).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: BucketModel) -> Result<(), DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &prior.region)?;
        if prior.force_destroy && missing(empty_bucket(&c, addr, &prior.name).await, &[])?.is_none() {
            return Ok(());
        }
        match c.delete_bucket().bucket(&prior.name).send().await.map_err(s3(addr)) {
            Err(DoError::Spaces { code, .. }) if code == "BucketNotEmpty" => Err(DoError::Invalid {
                addr: addr.to_string(),
                message: format!("bucket {} still holds objects: empty it, or set force_destroy = true and apply before destroying", prior.name),
            }),
            r => missing(r, &[]).map(|_| ()),
        }
    }

    /// `REGION,NAME`, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<BucketModel>, DoError> {
        let Some((region, name)) = id.split_once(',').filter(|(r, n)| !r.is_empty() && !n.is_empty()) else {
            return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("import a bucket as `region,name`, not {id:?}") });
        };
        let stub = BucketModel { name: name.to_string(), region: region.to_string(), cors_rule: Vec::new(), ..BucketModel::default() };
        let c = cx.provider.spaces.client(cx.addr, region)?;
        match read_bucket(&c, cx.addr, &stub).await? {
            Some(mut b) => {
                // CORS is read on import, so a configuration with rules matches.
                if let Some(o) = missing(c.get_bucket_cors().bucket(name).send().await.map_err(s3(cx.addr)), &["NoSuchCORSConfiguration"])? {
                    b.cors_rule = o
                        .cors_rules()
                        .iter()
                        .map(|r| CorsRule {
                            allowed_methods: r.allowed_methods().to_vec(),
                            allowed_origins: r.allowed_origins().to_vec(),
                            allowed_headers: Some(r.allowed_headers().to_vec()).filter(|h| !h.is_empty()),
                            max_age_seconds: r.max_age_seconds().map(i64::from),
                        })
                        .collect();
                }
                Ok(Some(b))
            }
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no bucket {name:?} in {region}") }),
        }
    }

    /// A bucket of that name in the region is the one a crashed create made.
    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: BucketModel) -> Result<Option<BucketModel>, DoError> {
        if planned.name.is_empty() || planned.region.is_empty() {
            return Ok(None);
        }
        let c = cx.provider.spaces.client(cx.addr, &planned.region)?;
        read_bucket(&c, cx.addr, &planned).await
    }
}
