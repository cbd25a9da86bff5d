//! `digitalocean_spaces_bucket_policy`: a bucket's access policy, as
//! upstream has it. The bucket and region force replacement; the policy
//! document changes in place and is compared by meaning, its text kept as
//! upstream's state keeps it (compact, keys sorted). A bucket without a
//! policy has no such object (a refresh sees it gone, a plan puts it back).
//! Imported as `region,bucket`.

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{at, check_region, missing, normalize_json, region_and_bucket, s3};
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_spaces_bucket_policy`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct BucketPolicyModel {
    /// the bucket's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub bucket: String,
    #[sdk(required, force_new)]
    pub region: String,
    /// the policy, a JSON document
    #[sdk(required, json)]
    pub policy: String,
}

/// The policy of `bucket`; `None` when the bucket has none (or is gone).
async fn read_policy(cx: &Ctx<'_, DigitalOcean>, region: &str, bucket: &str, current: Option<&str>) -> Result<Option<BucketPolicyModel>, DoError> {
    let c = cx.provider.spaces.client(cx.addr, region)?;
    let got = missing(c.get_bucket_policy().bucket(bucket).send().await.map_err(s3(cx.addr)), &["NoSuchBucketPolicy"])?;
    let Some(text) = got.and_then(|o| o.policy) else { return Ok(None) };
    // The text the state holds stays while Spaces' means the same.
    let policy = match current {
        Some(cur) if iac_provider_sdk::json_equal(cur, &text) => cur.to_string(),
        _ => normalize_json(&text).unwrap_or(text),
    };
    Ok(Some(BucketPolicyModel { id: Some(bucket.to_string()), bucket: bucket.to_string(), region: region.to_string(), policy }))
}

/// The `digitalocean_spaces_bucket_policy` resource type.
pub struct BucketPolicy;

#[async_trait]
impl Resource<DigitalOcean> for BucketPolicy {
    type Model = BucketPolicyModel;
    const TYPE: &'static str = "digitalocean_spaces_bucket_policy";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        check_region(config, &mut out);
        if let Some(p) = get_str(config, "policy") {
            if p.is_empty() {
                out.push((at("policy"), "Spaces bucket policy must not be empty".into()));
            } else if serde_json::from_str::<serde_json::Value>(p).is_err() {
                out.push((at("policy"), "\"policy\" contains an invalid JSON".into()));
            }
        }
        out
    }

    /// The document as upstream's state holds it (its StateFunc).
    fn canonical_config(&self, config: &mut Value) {
        if let Some(p) = get_str(config, "policy").and_then(normalize_json) {
            set(config, "policy", Value::from(p));
        }
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: BucketPolicyModel) -> Result<BucketPolicyModel, DoError> {
        let addr = cx.addr;
        let c = cx.provider.spaces.client(addr, &planned.region)?;
        match c.put_bucket_policy().bucket(&planned.bucket).policy(&planned.policy).send().await.map_err(s3(addr)) {
            Err(DoError::Spaces { code, .. }) if code == "NoSuchBucket" || code == "NoSuchKey" => {
                return Err(DoError::Invalid {
                    addr: addr.to_string(),
                    message: format!("unable to create the Spaces bucket policy: bucket {:?} does not exist", planned.bucket),
                });
            }
            r => r?,
        };
        read_policy(cx, &planned.region, &planned.bucket, Some(&planned.policy))
            .await?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("the policy of bucket {} vanished after it was put", planned.bucket) })
    }

    /// Only the document changes in place: put again.
    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, _prior: BucketPolicyModel, planned: BucketPolicyModel) -> Result<BucketPolicyModel, DoError> {
        self.create(cx, planned).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: BucketPolicyModel) -> Result<Option<BucketPolicyModel>, DoError> {
        let bucket = current.id.clone().unwrap_or_else(|| current.bucket.clone());
        if bucket.is_empty() || current.region.is_empty() {
            return Ok(None);
        }
        read_policy(cx, &current.region, &bucket, Some(&current.policy)).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: BucketPolicyModel) -> Result<(), DoError> {
        let c = cx.provider.spaces.client(cx.addr, &prior.region)?;
        let bucket = prior.id.clone().unwrap_or(prior.bucket);
        missing(c.delete_bucket_policy().bucket(&bucket).send().await.map_err(s3(cx.addr)), &["NoSuchBucketPolicy"])?;
        Ok(())
    }

    /// `region,bucket`, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<BucketPolicyModel>, DoError> {
        let (region, bucket) = region_and_bucket(cx.addr, id, "Spaces bucket policy")?;
        match read_policy(cx, region, bucket, None).await? {
            Some(p) => Ok(Some(p)),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("bucket {bucket:?} in {region} has no policy") }),
        }
    }
}
