//! `digitalocean_spaces_bucket_cors_configuration`: a bucket's CORS rules
//! as one object, as upstream has it (the successor of the bucket's own
//! deprecated `cors_rule`). The rules are a set and change in place; so does
//! the bucket (the rules move to it); the region forces replacement. A
//! bucket without CORS rules has no such object. Imported as `region,bucket`.

use std::collections::BTreeSet;

use aws_sdk_s3::types::{CorsConfiguration, CorsRule as S3CorsRule};
use aws_sdk_s3::Client as S3;
use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{check_region, invalid, missing, region_and_bucket, s3};
use crate::error::DoError;
use crate::DigitalOcean;

/// A CORS rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CorsConfigurationRule {
    #[sdk(optional)]
    pub allowed_headers: Option<BTreeSet<String>>,
    #[sdk(required)]
    pub allowed_methods: BTreeSet<String>,
    #[sdk(required)]
    pub allowed_origins: BTreeSet<String>,
    #[sdk(optional)]
    pub expose_headers: Option<BTreeSet<String>>,
    /// the rule's name (up to 255 characters)
    #[sdk(optional)]
    pub id: Option<String>,
    #[sdk(optional)]
    pub max_age_seconds: Option<i64>,
}

/// `digitalocean_spaces_bucket_cors_configuration`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct CorsConfigurationModel {
    /// the bucket's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub bucket: String,
    #[sdk(required, force_new)]
    pub region: String,
    #[sdk(block, set, min_items = 1, max_items = 100)]
    pub cors_rule: Vec<CorsConfigurationRule>,
}

fn some_set(v: &[String]) -> Option<BTreeSet<String>> {
    Some(v.iter().filter(|s| !s.is_empty()).cloned().collect::<BTreeSet<_>>()).filter(|s| !s.is_empty())
}

async fn put_rules(c: &S3, addr: &str, bucket: &str, rules: &[CorsConfigurationRule]) -> Result<(), DoError> {
    let list = |s: &Option<BTreeSet<String>>| s.as_ref().filter(|s| !s.is_empty()).map(|s| s.iter().cloned().collect::<Vec<_>>());
    let mut out = Vec::new();
    for r in rules {
        let b = S3CorsRule::builder()
            .set_allowed_methods(Some(r.allowed_methods.iter().cloned().collect()))
            .set_allowed_origins(Some(r.allowed_origins.iter().cloned().collect()))
            .set_allowed_headers(list(&r.allowed_headers))
            .set_expose_headers(list(&r.expose_headers))
            .set_id(r.id.clone().filter(|i| !i.is_empty()))
            .set_max_age_seconds(r.max_age_seconds.map(|s| s as i32));
        out.push(b.build().map_err(invalid(addr))?);
    }
    let cfg = CorsConfiguration::builder().set_cors_rules(Some(out)).build().map_err(invalid(addr))?;
    match c.put_bucket_cors().bucket(bucket).cors_configuration(cfg).send().await.map_err(s3(addr)) {
        Err(DoError::Spaces { code, .. }) if code == "NoSuchBucket" || code == "NoSuchKey" => Err(DoError::Invalid {
            addr: addr.to_string(),
            message: format!("unable to configure CORS for Spaces bucket {bucket:?}: the bucket does not exist"),
        }),
        r => r.map(|_| ()),
    }
}

/// The CORS rules of `bucket`; `None` when it has none (or is gone).
async fn read_rules(cx: &Ctx<'_, DigitalOcean>, region: &str, bucket: &str) -> Result<Option<CorsConfigurationModel>, DoError> {
    let c = cx.provider.spaces.client(cx.addr, region)?;
    let Some(o) = missing(c.get_bucket_cors().bucket(bucket).send().await.map_err(s3(cx.addr)), &["NoSuchCORSConfiguration"])? else {
        return Ok(None);
    };
    let cors_rule: Vec<CorsConfigurationRule> = o
        .cors_rules()
        .iter()
        .map(|r| CorsConfigurationRule {
            allowed_headers: some_set(r.allowed_headers()),
            allowed_methods: r.allowed_methods().iter().cloned().collect(),
            allowed_origins: r.allowed_origins().iter().cloned().collect(),
            expose_headers: some_set(r.expose_headers()),
            id: r.id().map(str::to_string),
            max_age_seconds: r.max_age_seconds().map(i64::from),
        })
        .collect();
    if cors_rule.is_empty() {
        return Ok(None);
    }
    Ok(Some(CorsConfigurationModel { id: Some(bucket.to_string()), bucket: bucket.to_string(), region: region.to_string(), cors_rule }))
}

/// The `digitalocean_spaces_bucket_cors_configuration` resource type.
pub struct BucketCorsConfiguration;

#[async_trait]
impl Resource<DigitalOcean> for BucketCorsConfiguration {
    type Model = CorsConfigurationModel;
    const TYPE: &'static str = "digitalocean_spaces_bucket_cors_configuration";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        check_region(config, &mut out);
        for r in config.get("cors_rule").and_then(Value::as_list).into_iter().flatten() {
            if crate::values::get_str(r, "id").is_some_and(|i| i.chars().count() > 255) {
                out.push((super::at("cors_rule"), "a rule's id has at most 255 characters".into()));
            }
        }
        out
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: CorsConfigurationModel) -> Result<CorsConfigurationModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        put_rules(&c, addr, &planned.bucket, &planned.cors_rule).await?;
        read_rules(cx, &planned.region, &planned.bucket).await?.ok_or_else(|| DoError::Failed {
            addr: addr.to_string(),
            message: format!("the CORS rules of bucket {} vanished after they were put", planned.bucket),
        })
    }

    /// New rules are put whole; another bucket takes the rules from the old one.
    async fn update(
        &self,
        cx: &Ctx<'_, DigitalOcean>,
        prior: CorsConfigurationModel,
        planned: CorsConfigurationModel,
    ) -> Result<CorsConfigurationModel, DoError> {
        let created = self.create(cx, planned).await?;
        let old = prior.id.unwrap_or(prior.bucket);
        if old != created.bucket {
            let c = cx.provider.spaces.client(cx.addr, &prior.region)?;
            missing(c.delete_bucket_cors().bucket(&old).send().await.map_err(s3(cx.addr)), &["NoSuchCORSConfiguration"])?;
        }
        Ok(created)
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: CorsConfigurationModel) -> Result<Option<CorsConfigurationModel>, DoError> {
        let bucket = current.id.clone().unwrap_or_else(|| current.bucket.clone());
        if bucket.is_empty() || current.region.is_empty() {
            return Ok(None);
        }
        read_rules(cx, &current.region, &bucket).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: CorsConfigurationModel) -> Result<(), DoError> {
        let c = cx.provider.spaces.client(cx.addr, &prior.region)?;
        let bucket = prior.id.unwrap_or(prior.bucket);
        missing(c.delete_bucket_cors().bucket(&bucket).send().await.map_err(s3(cx.addr)), &["NoSuchCORSConfiguration"])?;
        Ok(())
    }

    /// `region,bucket`, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<CorsConfigurationModel>, DoError> {
        let (region, bucket) = region_and_bucket(cx.addr, id, "Spaces bucket CORS configuration")?;
        match read_rules(cx, region, bucket).await? {
            Some(r) => Ok(Some(r)),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("bucket {bucket:?} in {region} has no CORS rules") }),
        }
    }
}
