//! `aws_cloudwatch_log_group` on CloudWatch Logs (JSON protocol): the
//! group (id = its name), its retention (PutRetentionPolicy, or
//! DeleteRetentionPolicy for 0 = never expire), its KMS key
//! (Associate/DisassociateKmsKey) and tags (by the group's ARN, reported
//! without AWS's `:*` suffix). `skip_destroy` leaves the group behind on
//! destroy. A DELIVERY-class group's retention is AWS's to set, so a
//! configured one is no change, as upstream.

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::svc::{call, generated_name, non_empty, number, prefix_from_name, tags_from_object};
use super::{AwsCx, Cx, Tags};
use crate::error::{absent, AwsError};
use crate::json_api::LOGS;
use crate::tags::OWNER_TAG;
use crate::values::{get_str, set};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct LogGroupModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    /// the ARN of a KMS key encrypting the group's data
    #[sdk(optional)]
    kms_key_id: Option<String>,
    /// STANDARD, INFREQUENT_ACCESS or DELIVERY
    #[sdk(optional, computed, force_new)]
    log_group_class: Option<String>,
    /// days to keep events; 0 keeps them forever
    #[sdk(optional, default = 0i64)]
    retention_in_days: i64,
    /// leave the group (and its events) behind on destroy
    #[sdk(optional, local, default = false)]
    skip_destroy: bool,
    #[sdk(flatten)]
    tags: Tags,
}

/// Retention periods CloudWatch Logs accepts (0: never expire).
const RETENTION_DAYS: &[i64] = &[0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

pub struct LogGroup;

/// The group named `name`, as DescribeLogGroups reports it.
async fn find(cx: &Cx<'_>, name: &str) -> Result<Option<Json>, AwsError> {
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({ "logGroupNamePrefix": name });
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let out = call(cx, &LOGS, "DescribeLogGroups", input).await?;
        if let Some(g) = out["logGroups"].as_array().into_iter().flatten().find(|g| g["logGroupName"] == name) {
            return Ok(Some(g.clone()));
        }
        match non_empty(&out, "nextToken") {
            Some(t) => token = Some(t),
            None => return Ok(None),
        }
    }
}

fn arn_of(group: &Json) -> String {
    let arn = group["arn"].as_str().unwrap_or_default();
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

async fn tags_of(cx: &Cx<'_>, arn: &str) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let out = call(cx, &LOGS, "ListTagsForResource", json!({ "resourceArn": arn })).await?;
    Ok(tags_from_object(out.get("tags")))
}

#[async_trait]
impl Resource<Aws> for LogGroup {
    type Model = LogGroupModel;
    const TYPE: &'static str = "aws_cloudwatch_log_group";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = Vec::new();
        if let Some(d) = config.get("retention_in_days").and_then(Value::as_f64) {
            if !RETENTION_DAYS.contains(&(d as i64)) || d.fract() != 0.0 {
                problems.push((AttrPath::attr("retention_in_days"), format!("expected one of {RETENTION_DAYS:?}, got {d}")));
            }
        }
        if get_str(config, "name").is_some() && get_str(config, "name_prefix").is_some() {
            problems.push((AttrPath::attr("name_prefix"), "conflicts with name".into()));
        }
        problems
    }

    async fn modify_plan(&self, _cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        // A DELIVERY-class group keeps the retention AWS gave it.
        if let Some(prior) = prior {
            if get_str(planned, "log_group_class") == Some("DELIVERY") {
                set(planned, "retention_in_days", prior.get("retention_in_days").cloned().unwrap_or(Value::Null));
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: LogGroupModel) -> Result<LogGroupModel, AwsError> {
        let name = generated_name(cx, &p.name, &p.name_prefix, "terraform-", "");
        let mut input = json!({ "logGroupName": name, "tags": p.tags.desired(&cx.owner()) });
        if let Some(k) = p.kms_key_id.as_deref().filter(|k| !k.is_empty()) {
            input["kmsKeyId"] = json!(k);
        }
        let class = p.log_group_class.as_deref().filter(|c| !c.is_empty());
        if let Some(c) = class {
            input["logGroupClass"] = json!(c);
        }
        call(cx, &LOGS, "CreateLogGroup", input).await?;
        if p.retention_in_days != 0 && class != Some("DELIVERY") {
            call(cx, &LOGS, "PutRetentionPolicy", json!({ "logGroupName": name, "retentionInDays": p.retention_in_days })).await?;
        }
        let id = Some(name.clone());
        self.read(cx, LogGroupModel { id, ..p }).await?.ok_or_else(|| cx.invalid(format!("log group {name} vanished after its create")))
    }

    async fn read(&self, cx: &Cx<'_>, current: LogGroupModel) -> Result<Option<LogGroupModel>, AwsError> {
        let name = super::id_of(cx, &current.id)?.to_string();
        let Some(g) = find(cx, &name).await? else { return Ok(None) };
        let arn = arn_of(&g);
        let Some(tags) = absent(tags_of(cx, &arn).await)? else { return Ok(None) };
        Ok(Some(LogGroupModel {
            id: Some(name.clone()),
            arn: Some(arn),
            name_prefix: Some(prefix_from_name(&name, "")),
            name: Some(name),
            kms_key_id: non_empty(&g, "kmsKeyId"),
            log_group_class: Some(g["logGroupClass"].as_str().unwrap_or_default().to_string()),
            retention_in_days: number(&g, "retentionInDays").unwrap_or(0),
            skip_destroy: current.skip_destroy,
            tags: Tags::from_aws(tags),
        }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: LogGroupModel, p: LogGroupModel) -> Result<LogGroupModel, AwsError> {
        let name = super::id_of(cx, &prior.id)?.to_string();
        if p.retention_in_days != prior.retention_in_days {
            if p.retention_in_days == 0 {
                call(cx, &LOGS, "DeleteRetentionPolicy", json!({ "logGroupName": name })).await?;
            } else {
                call(cx, &LOGS, "PutRetentionPolicy", json!({ "logGroupName": name, "retentionInDays": p.retention_in_days })).await?;
            }
        }
        if p.kms_key_id != prior.kms_key_id {
            match p.kms_key_id.as_deref().filter(|k| !k.is_empty()) {
                Some(k) => call(cx, &LOGS, "AssociateKmsKey", json!({ "logGroupName": name, "kmsKeyId": k })).await?,
                None => call(cx, &LOGS, "DisassociateKmsKey", json!({ "logGroupName": name })).await?,
            };
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        let arn = prior.arn.clone().unwrap_or_default();
        if !remove.is_empty() {
            call(cx, &LOGS, "UntagResource", json!({ "resourceArn": arn, "tagKeys": remove })).await?;
        }
        if !put.is_empty() {
            call(cx, &LOGS, "TagResource", json!({ "resourceArn": arn, "tags": put })).await?;
        }
        self.read(cx, LogGroupModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("log group {name} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: LogGroupModel) -> Result<(), AwsError> {
        let name = super::id_of(cx, &prior.id)?;
        if prior.skip_destroy {
            tracing::info!(addr = cx.addr, name, "skip_destroy: the log group stays");
            return Ok(());
        }
        call(cx, &LOGS, "DeleteLogGroup", json!({ "logGroupName": name })).await?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: LogGroupModel) -> Result<Option<LogGroupModel>, AwsError> {
        let name = generated_name(cx, &planned.name, &planned.name_prefix, "terraform-", "");
        let Some(g) = find(cx, &name).await? else { return Ok(None) };
        if tags_of(cx, &arn_of(&g)).await?.get(OWNER_TAG) != Some(&cx.owner()) {
            return Ok(None);
        }
        self.read(cx, LogGroupModel { id: Some(name), ..planned }).await
    }
}
