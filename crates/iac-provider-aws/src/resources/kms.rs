//! `aws_kms_key` and `aws_kms_alias` on KMS's JSON protocol. A key (id =
//! its key id) is made by CreateKey; rotation, enabled state, description
//! and policy change in place (a key is enabled before and disabled after
//! the other changes, as KMS refuses changes to a disabled key); destroy
//! schedules its deletion after `deletion_window_in_days` (AWS's 30 when
//! unset), and a key pending deletion reads as gone. The policy is stored
//! as upstream stores it (the configured text when KMS's means the same,
//! else KMS's as Go encodes it). An alias (id = its name) points at a key
//! and moves in place (UpdateAlias).

use std::collections::BTreeMap;
use std::time::Duration;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::svc::{call, generated_name, non_empty, number, prefix_from_name, tag_list, tags_from_list};
use super::{AwsCx, Cx, Tags};
use crate::error::{absent, AwsError};
use crate::json_api::KMS;
use crate::tags::OWNER_TAG;
use crate::values::{get_str, keep_equivalent_json, set};
use crate::{go_json, wait, Aws};

/// `timeouts { create }`: how long CreateKey is retried while the
/// principals its policy names are not yet known to KMS.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct KeyTimeouts {
    /// a duration such as 2m
    #[sdk(optional)]
    create: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct KeyModel {
    /// the key's id
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    key_id: Option<String>,
    #[sdk(optional, computed)]
    description: Option<String>,
    /// ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT
    #[sdk(optional, force_new, default = "ENCRYPT_DECRYPT")]
    key_usage: String,
    #[sdk(optional, force_new, default = "SYMMETRIC_DEFAULT")]
    customer_master_key_spec: String,
    /// days (7-30) between destroy and the key's deletion; AWS's 30 when unset
    #[sdk(optional, local)]
    deletion_window_in_days: Option<i64>,
    #[sdk(optional, default = false)]
    enable_key_rotation: bool,
    /// days between automatic rotations (90-2560)
    #[sdk(optional, computed)]
    rotation_period_in_days: Option<i64>,
    #[sdk(optional, default = true)]
    is_enabled: bool,
    /// compared as JSON; KMS's default policy when unset
    #[sdk(optional, computed, json)]
    policy: Option<String>,
    #[sdk(optional, local, default = false)]
    bypass_policy_lockout_safety_check: bool,
    #[sdk(optional, computed, force_new)]
    multi_region: Option<bool>,
    #[sdk(optional, force_new)]
    custom_key_store_id: Option<String>,
    #[sdk(optional, force_new)]
    xks_key_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local)]
    timeouts: Option<KeyTimeouts>,
}

pub struct Key;

async fn key_tags(cx: &Cx<'_>, key_id: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut tags = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({ "KeyId": key_id });
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let out = call(cx, &KMS, "ListResourceTags", input).await?;
        tags.extend(tags_from_list(out.get("Tags"), "TagKey", "TagValue"));
        match non_empty(&out, "NextMarker").filter(|_| out["Truncated"].as_bool() == Some(true)) {
            Some(m) => marker = Some(m),
            None => return Ok(tags),
        }
    }
}

/// The key's metadata; None when it is gone or pending deletion.
async fn describe(cx: &Cx<'_>, key_id: &str) -> Result<Option<Json>, AwsError> {
    let Some(out) = absent(call(cx, &KMS, "DescribeKey", json!({ "KeyId": key_id })).await)? else { return Ok(None) };
    let meta = out["KeyMetadata"].clone();
    let state = meta["KeyState"].as_str().unwrap_or_default();
    Ok((state != "PendingDeletion" && state != "PendingReplicaDeletion").then_some(meta))
}

async fn set_enabled(cx: &Cx<'_>, key_id: &str, on: bool) -> Result<(), AwsError> {
    call(cx, &KMS, if on { "EnableKey" } else { "DisableKey" }, json!({ "KeyId": key_id })).await?;
    Ok(())
}

async fn set_rotation(cx: &Cx<'_>, key_id: &str, on: bool, period: Option<i64>) -> Result<(), AwsError> {
    if on {
        let mut input = json!({ "KeyId": key_id });
        if let Some(p) = period.filter(|p| *p > 0) {
            input["RotationPeriodInDays"] = json!(p);
        }
        call(cx, &KMS, "EnableKeyRotation", input).await?;
    } else {
        call(cx, &KMS, "DisableKeyRotation", json!({ "KeyId": key_id })).await?;
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Key {
    type Model = KeyModel;
    const TYPE: &'static str = "aws_kms_key";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = Vec::new();
        if let Some(d) = config.get("deletion_window_in_days").and_then(Value::as_f64) {
            if !(7.0..=30.0).contains(&d) {
                problems.push((AttrPath::attr("deletion_window_in_days"), format!("expected deletion_window_in_days to be in the range (7 - 30), got {d}")));
            }
        }
        if let Some(d) = config.get("rotation_period_in_days").and_then(Value::as_f64) {
            if !(90.0..=2560.0).contains(&d) {
                problems.push((AttrPath::attr("rotation_period_in_days"), format!("expected rotation_period_in_days to be in the range (90 - 2560), got {d}")));
            }
        }
        if let Some(p) = get_str(config, "policy") {
            if serde_json::from_str::<Json>(p).is_err() {
                problems.push((AttrPath::attr("policy"), "policy: not a JSON document".into()));
            }
        }
        problems
    }

    async fn create(&self, cx: &Cx<'_>, p: KeyModel) -> Result<KeyModel, AwsError> {
        let mut input = json!({
            "KeyUsage": p.key_usage,
            "KeySpec": p.customer_master_key_spec,
            "BypassPolicyLockoutSafetyCheck": p.bypass_policy_lockout_safety_check,
            "Tags": tag_list(&p.tags.desired(&cx.owner()), "TagKey", "TagValue"),
        });
        if let Some(d) = p.description.as_deref().filter(|d| !d.is_empty()) {
            input["Description"] = json!(d);
        }
        if let Some(m) = p.multi_region {
            input["MultiRegion"] = json!(m);
        }
        if let Some(policy) = p.policy.as_deref().filter(|d| !d.is_empty()) {
            input["Policy"] = json!(go_json::normalize(policy, true).unwrap_or_else(|| policy.to_string()));
        }
        if let Some(s) = p.custom_key_store_id.as_deref().filter(|d| !d.is_empty()) {
            input["Origin"] = json!("AWS_CLOUDHSM");
            input["CustomKeyStoreId"] = json!(s);
        }
        if let Some(x) = p.xks_key_id.as_deref().filter(|d| !d.is_empty()) {
            input["Origin"] = json!("EXTERNAL_KEY_STORE");
            input["XksKeyId"] = json!(x);
        }
        let limit = p.timeouts.as_ref().and_then(|t| t.create.as_deref()).and_then(crate::values::parse_duration).unwrap_or(Duration::from_secs(120));
        // KMS refuses a policy naming principals IAM has not propagated yet.
        let out = wait::retry_while(cx.addr, "the policy's principals to exist", &["MalformedPolicyDocumentException"], cx.poll(), limit, || {
            call(cx, &KMS, "CreateKey", input.clone())
        })
        .await?;
        let key_id = out["KeyMetadata"]["KeyId"].as_str().ok_or_else(|| cx.invalid("CreateKey returned no key id"))?.to_string();
        if p.enable_key_rotation {
            set_rotation(cx, &key_id, true, p.rotation_period_in_days).await?;
        }
        if !p.is_enabled {
            set_enabled(cx, &key_id, false).await?;
        }
        let current = KeyModel { id: Some(key_id), ..p };
        wait::until(cx.addr, "the new key to be readable", cx.poll(), Duration::from_secs(120), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: KeyModel) -> Result<Option<KeyModel>, AwsError> {
        let key_id = super::id_of(cx, &current.id)?.to_string();
        let Some(meta) = describe(cx, &key_id).await? else { return Ok(None) };
        let Some(policy) = absent(call(cx, &KMS, "GetKeyPolicy", json!({ "KeyId": key_id, "PolicyName": "default" })).await)? else { return Ok(None) };
        let policy = policy["Policy"].as_str().unwrap_or_default();
        let normalized = go_json::normalize(policy, true).unwrap_or_else(|| policy.to_string());
        let (rotation, period) = if meta["Origin"].as_str().unwrap_or("AWS_KMS") == "AWS_KMS" {
            let r = call(cx, &KMS, "GetKeyRotationStatus", json!({ "KeyId": key_id })).await?;
            (r["KeyRotationEnabled"].as_bool().unwrap_or(false), number(&r, "RotationPeriodInDays").unwrap_or(0))
        } else {
            (false, 0)
        };
        let Some(tags) = absent(key_tags(cx, &key_id).await)? else { return Ok(None) };
        let spec = non_empty(&meta, "KeySpec").or_else(|| non_empty(&meta, "CustomerMasterKeySpec")).unwrap_or_default();
        Ok(Some(KeyModel {
            id: Some(key_id),
            arn: non_empty(&meta, "Arn"),
            key_id: non_empty(&meta, "KeyId"),
            description: Some(meta["Description"].as_str().unwrap_or_default().to_string()),
            key_usage: meta["KeyUsage"].as_str().unwrap_or_default().to_string(),
            customer_master_key_spec: spec,
            deletion_window_in_days: current.deletion_window_in_days,
            enable_key_rotation: rotation,
            rotation_period_in_days: Some(period),
            is_enabled: meta["Enabled"].as_bool().unwrap_or(false),
            policy: Some(keep_equivalent_json(current.policy.as_deref().filter(|p| !p.is_empty()), &normalized)),
            bypass_policy_lockout_safety_check: current.bypass_policy_lockout_safety_check,
            multi_region: Some(meta["MultiRegion"].as_bool().unwrap_or(false)),
            custom_key_store_id: non_empty(&meta, "CustomKeyStoreId"),
            xks_key_id: meta.get("XksKeyConfiguration").and_then(|x| non_empty(x, "Id")),
            tags: Tags::from_aws(tags),
            timeouts: current.timeouts,
        }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: KeyModel, p: KeyModel) -> Result<KeyModel, AwsError> {
        let key_id = super::id_of(cx, &prior.id)?.to_string();
        if p.is_enabled && !prior.is_enabled {
            set_enabled(cx, &key_id, true).await?;
        }
        let period_changed = p.rotation_period_in_days.is_some() && p.rotation_period_in_days != prior.rotation_period_in_days;
        if p.enable_key_rotation != prior.enable_key_rotation || (p.enable_key_rotation && period_changed) {
            set_rotation(cx, &key_id, p.enable_key_rotation, p.rotation_period_in_days).await?;
        }
        if p.description != prior.description {
            call(cx, &KMS, "UpdateKeyDescription", json!({ "KeyId": key_id, "Description": p.description.clone().unwrap_or_default() })).await?;
        }
        if let Some(policy) = p.policy.as_deref().filter(|x| !x.is_empty() && Some(*x) != prior.policy.as_deref()) {
            let input = json!({
                "KeyId": key_id,
                "PolicyName": "default",
                "Policy": go_json::normalize(policy, true).unwrap_or_else(|| policy.to_string()),
                "BypassPolicyLockoutSafetyCheck": p.bypass_policy_lockout_safety_check,
            });
            call(cx, &KMS, "PutKeyPolicy", input).await?;
        }
        if !p.is_enabled && prior.is_enabled {
            set_enabled(cx, &key_id, false).await?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            call(cx, &KMS, "UntagResource", json!({ "KeyId": key_id, "TagKeys": remove })).await?;
        }
        if !put.is_empty() {
            call(cx, &KMS, "TagResource", json!({ "KeyId": key_id, "Tags": tag_list(&put, "TagKey", "TagValue") })).await?;
        }
        self.read(cx, KeyModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("key {key_id} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: KeyModel) -> Result<(), AwsError> {
        let key_id = super::id_of(cx, &prior.id)?.to_string();
        let mut input = json!({ "KeyId": key_id });
        if let Some(d) = prior.deletion_window_in_days {
            input["PendingWindowInDays"] = json!(d);
        }
        match call(cx, &KMS, "ScheduleKeyDeletion", input).await {
            Err(e) if e.has_code(&["KMSInvalidStateException"]) && e.to_string().contains("pending deletion") => return Ok(()),
            other => other?,
        };
        wait::until(cx.addr, "the key to be pending deletion", cx.poll(), Duration::from_secs(1200), || async {
            Ok(describe(cx, &key_id).await?.is_none().then_some(()))
        })
        .await
    }

    /// Keys have no name: the account's keys are searched for this one's
    /// ownership tag.
    async fn recover(&self, cx: &Cx<'_>, planned: KeyModel) -> Result<Option<KeyModel>, AwsError> {
        let owner = cx.owner();
        let mut marker: Option<String> = None;
        loop {
            let mut input = json!({ "Limit": 1000 });
            if let Some(m) = &marker {
                input["Marker"] = json!(m);
            }
            let out = call(cx, &KMS, "ListKeys", input).await?;
            for k in out["Keys"].as_array().into_iter().flatten() {
                let Some(id) = k["KeyId"].as_str() else { continue };
                // Keys whose tags cannot be read (AWS's own, other accounts') are not ours.
                if key_tags(cx, id).await.is_ok_and(|t| t.get(OWNER_TAG) == Some(&owner)) {
                    return self.read(cx, KeyModel { id: Some(id.to_string()), ..planned }).await;
                }
            }
            match non_empty(&out, "NextMarker").filter(|_| out["Truncated"].as_bool() == Some(true)) {
                Some(m) => marker = Some(m),
                None => return Ok(None),
            }
        }
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct AliasModel {
    /// the alias's name
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    /// alias/...
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    /// the key's id or ARN
    #[sdk(required)]
    target_key_id: String,
    #[sdk(computed)]
    target_key_arn: Option<String>,
}

pub struct Alias;

async fn find_alias(cx: &Cx<'_>, name: &str) -> Result<Option<Json>, AwsError> {
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({ "Limit": 100 });
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let out = call(cx, &KMS, "ListAliases", input).await?;
        if let Some(a) = out["Aliases"].as_array().into_iter().flatten().find(|a| a["AliasName"] == name) {
            return Ok(Some(a.clone()));
        }
        match non_empty(&out, "NextMarker").filter(|_| out["Truncated"].as_bool() == Some(true)) {
            Some(m) => marker = Some(m),
            None => return Ok(None),
        }
    }
}

/// The key id in a key's ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
fn key_id_of_arn(s: &str) -> Option<String> {
    let (head, id) = s.rsplit_once(":key/")?;
    (head.starts_with("arn:") && head.contains(":kms:") && !id.is_empty()).then(|| id.to_string())
}

/// The key's ARN next to an alias's: `...:alias/NAME` becomes `...:key/ID`.
fn key_arn(alias_arn: &str, key_id: &str) -> String {
    match alias_arn.split_once(":alias/") {
        Some((head, _)) => format!("{head}:key/{key_id}"),
        None => String::new(),
    }
}

#[async_trait]
impl Resource<Aws> for Alias {
    type Model = AliasModel;
    const TYPE: &'static str = "aws_kms_alias";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = Vec::new();
        for k in ["name", "name_prefix"] {
            if let Some(n) = get_str(config, k) {
                if !n.starts_with("alias/") || n.starts_with("alias/aws/") {
                    problems.push((AttrPath::attr(k), format!("{k} must begin with 'alias/' and not with 'alias/aws/', got {n:?}")));
                }
            }
        }
        if get_str(config, "name").is_some() && get_str(config, "name_prefix").is_some() {
            problems.push((AttrPath::attr("name_prefix"), "conflicts with name".into()));
        }
        problems
    }

    /// A key's ARN is its id, as KMS reports the alias's target (upstream
    /// stores the id and calls the two equivalent).
    fn canonical_config(&self, config: &mut Value) {
        if let Some(id) = get_str(config, "target_key_id").and_then(key_id_of_arn) {
            set(config, "target_key_id", Value::from(id));
        }
    }

    async fn create(&self, cx: &Cx<'_>, p: AliasModel) -> Result<AliasModel, AwsError> {
        let name = generated_name(cx, &p.name, &p.name_prefix, "alias/", "");
        call(cx, &KMS, "CreateAlias", json!({ "AliasName": name, "TargetKeyId": p.target_key_id })).await?;
        let current = AliasModel { id: Some(name), ..p };
        wait::until(cx.addr, "the new alias to be readable", cx.poll(), Duration::from_secs(120), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: AliasModel) -> Result<Option<AliasModel>, AwsError> {
        let name = super::id_of(cx, &current.id)?.to_string();
        let Some(a) = find_alias(cx, &name).await? else { return Ok(None) };
        let arn = a["AliasArn"].as_str().unwrap_or_default().to_string();
        let target = a["TargetKeyId"].as_str().unwrap_or_default().to_string();
        let target_arn = key_arn(&arn, &target);
        Ok(Some(AliasModel {
            id: Some(name.clone()),
            arn: Some(arn),
            name_prefix: Some(prefix_from_name(&name, "")),
            name: Some(name),
            target_key_id: target,
            target_key_arn: Some(target_arn),
        }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: AliasModel, p: AliasModel) -> Result<AliasModel, AwsError> {
        let name = super::id_of(cx, &prior.id)?.to_string();
        call(cx, &KMS, "UpdateAlias", json!({ "AliasName": name, "TargetKeyId": p.target_key_id })).await?;
        self.read(cx, AliasModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("alias {name} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: AliasModel) -> Result<(), AwsError> {
        let name = super::id_of(cx, &prior.id)?;
        call(cx, &KMS, "DeleteAlias", json!({ "AliasName": name })).await?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: AliasModel) -> Result<Option<AliasModel>, AwsError> {
        let name = generated_name(cx, &planned.name, &planned.name_prefix, "alias/", "");
        self.read(cx, AliasModel { id: Some(name), ..planned }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_arns_sit_next_to_alias_arns() {
        assert_eq!(key_arn("arn:aws:kms:us-east-1:123456789012:alias/k", "1234"), "arn:aws:kms:us-east-1:123456789012:key/1234");
        assert_eq!(key_arn("nonsense", "1234"), "");
        assert_eq!(key_id_of_arn("arn:aws:kms:us-east-1:123456789012:key/1234").as_deref(), Some("1234"));
        assert_eq!(key_id_of_arn("1234"), None);
        assert_eq!(key_id_of_arn("arn:aws:kms:us-east-1:123456789012:alias/k"), None);
    }
}
