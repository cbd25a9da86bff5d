//! `aws_sqs_queue` and `aws_sqs_queue_policy` on SQS's JSON protocol. A
//! queue's id is its URL; every setting is one queue attribute
//! (CreateQueue, then SetQueueAttributes for in-place changes, read back
//! with GetQueueAttributes All), tags go through Tag/UntagQueue. The
//! policy resource writes the queue's `Policy` attribute (id = the queue's
//! URL) and clears it on destroy. Documents compare as JSON; what AWS
//! rewrites is stored as upstream stores it (Go's encoding).

use std::collections::BTreeMap;
use std::time::Duration;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::svc::{call, generated_name, number, prefix_from_name, tags_from_object};
use super::{timeout, AwsCx, Cx, Tags, Timeouts};
use crate::error::{absent, AwsError};
use crate::json_api::SQS;
use crate::tags::OWNER_TAG;
use crate::values::{get_str, keep_equivalent_json};
use crate::{go_json, wait, Aws};

const FIFO_SUFFIX: &str = ".fifo";

#[derive(Model, Debug, Clone, Default)]
pub struct QueueModel {
    /// the queue's URL
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    url: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    #[sdk(optional, force_new, default = false)]
    fifo_queue: bool,
    #[sdk(optional, default = false)]
    content_based_deduplication: bool,
    /// messageGroup or queue (FIFO queues)
    #[sdk(optional, computed)]
    deduplication_scope: Option<String>,
    /// perQueue or perMessageGroupId (FIFO queues)
    #[sdk(optional, computed)]
    fifo_throughput_limit: Option<String>,
    #[sdk(optional, default = 0i64)]
    delay_seconds: i64,
    #[sdk(optional, default = 262_144i64)]
    max_message_size: i64,
    #[sdk(optional, default = 345_600i64)]
    message_retention_seconds: i64,
    #[sdk(optional, default = 0i64)]
    receive_wait_time_seconds: i64,
    #[sdk(optional, default = 30i64)]
    visibility_timeout_seconds: i64,
    #[sdk(optional, computed)]
    sqs_managed_sse_enabled: Option<bool>,
    #[sdk(optional)]
    kms_master_key_id: Option<String>,
    #[sdk(optional, computed)]
    kms_data_key_reuse_period_seconds: Option<i64>,
    /// compared as JSON
    #[sdk(optional, computed, json)]
    policy: Option<String>,
    /// compared as JSON
    #[sdk(optional, computed, json)]
    redrive_policy: Option<String>,
    /// compared as JSON
    #[sdk(optional, computed, json)]
    redrive_allow_policy: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct Queue;

/// The queue attributes a model sets (what CreateQueue and SetQueueAttributes take).
fn attributes(p: &QueueModel) -> BTreeMap<&'static str, String> {
    let mut a = BTreeMap::new();
    a.insert("DelaySeconds", p.delay_seconds.to_string());
    a.insert("MaximumMessageSize", p.max_message_size.to_string());
    a.insert("MessageRetentionPeriod", p.message_retention_seconds.to_string());
    a.insert("ReceiveMessageWaitTimeSeconds", p.receive_wait_time_seconds.to_string());
    a.insert("VisibilityTimeout", p.visibility_timeout_seconds.to_string());
    if p.fifo_queue {
        a.insert("FifoQueue", "true".into());
        a.insert("ContentBasedDeduplication", p.content_based_deduplication.to_string());
    }
    let mut text = |k: &'static str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            a.insert(k, v.to_string());
        }
    };
    text("DeduplicationScope", &p.deduplication_scope);
    text("FifoThroughputLimit", &p.fifo_throughput_limit);
    text("KmsMasterKeyId", &p.kms_master_key_id);
    text("Policy", &p.policy);
    text("RedrivePolicy", &p.redrive_policy);
    text("RedriveAllowPolicy", &p.redrive_allow_policy);
    if let Some(s) = p.sqs_managed_sse_enabled {
        a.insert("SqsManagedSseEnabled", s.to_string());
    }
    if let Some(n) = p.kms_data_key_reuse_period_seconds.filter(|_| p.kms_master_key_id.as_deref().is_some_and(|k| !k.is_empty())) {
        a.insert("KmsDataKeyReusePeriodSeconds", n.to_string());
    }
    a
}

/// The queue's name: the last segment of its URL.
fn name_of(url: &str) -> String {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string()
}

async fn queue_attributes(cx: &Cx<'_>, url: &str, names: &[&str]) -> Result<Option<Json>, AwsError> {
    let out = absent(call(cx, &SQS, "GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": names })).await)?;
    Ok(out.map(|o| o.get("Attributes").cloned().unwrap_or_else(|| json!({}))))
}

async fn queue_tags(cx: &Cx<'_>, url: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = call(cx, &SQS, "ListQueueTags", json!({ "QueueUrl": url })).await?;
    Ok(tags_from_object(out.get("Tags")))
}

/// A JSON attribute as stored: the configured text when AWS's means the
/// same, else AWS's as Go encodes it; "" when AWS has none.
fn document(configured: &Option<String>, from_aws: Option<&str>, escape_html: bool) -> Option<String> {
    let aws = from_aws.filter(|s| !s.is_empty()).unwrap_or("");
    if aws.is_empty() {
        return Some(String::new());
    }
    let normalized = go_json::normalize(aws, escape_html).unwrap_or_else(|| aws.to_string());
    Some(keep_equivalent_json(configured.as_deref().filter(|c| !c.is_empty()), &normalized))
}

fn flag(a: &Json, key: &str) -> bool {
    a.get(key).and_then(Json::as_str) == Some("true")
}

#[async_trait]
impl Resource<Aws> for Queue {
    type Model = QueueModel;
    const TYPE: &'static str = "aws_sqs_queue";

    /// An import reads the queue's policy too.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("policy", Value::from(""))])
    }

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = Vec::new();
        let fifo = config.get("fifo_queue").and_then(Value::as_bool) == Some(true);
        if config.get("content_based_deduplication").and_then(Value::as_bool) == Some(true) && !fifo {
            problems.push((AttrPath::attr("content_based_deduplication"), "content-based deduplication can only be set for FIFO queue".into()));
        }
        if let Some(name) = get_str(config, "name") {
            let (stem, limit) = if fifo { (name.strip_suffix(FIFO_SUFFIX), 75) } else { (Some(name), 80) };
            let ok = stem.is_some_and(|s| !s.is_empty() && s.len() <= limit && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
            if !ok {
                problems.push((AttrPath::attr("name"), format!("invalid queue name: {name}")));
            }
        }
        if get_str(config, "name").is_some() && get_str(config, "name_prefix").is_some() {
            problems.push((AttrPath::attr("name_prefix"), "conflicts with name".into()));
        }
        if get_str(config, "kms_master_key_id").is_some() && config.get("sqs_managed_sse_enabled").and_then(Value::as_bool) == Some(true) {
            problems.push((AttrPath::attr("sqs_managed_sse_enabled"), "conflicts with kms_master_key_id".into()));
        }
        problems
    }

    async fn create(&self, cx: &Cx<'_>, p: QueueModel) -> Result<QueueModel, AwsError> {
        let suffix = if p.fifo_queue { FIFO_SUFFIX } else { "" };
        let name = generated_name(cx, &p.name, &p.name_prefix, "terraform-", suffix);
        let input = json!({ "QueueName": name, "Attributes": attributes(&p), "tags": p.tags.desired(&cx.owner()) });
        let limit = timeout(&p.timeouts, "create", Duration::from_secs(180));
        // A queue of the same name deleted in the last minute blocks the create for a while.
        let out = wait::retry_while(
            cx.addr,
            "a queue of the same name to be gone",
            &["AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"],
            cx.poll(),
            limit / 2,
            || call(cx, &SQS, "CreateQueue", input.clone()),
        )
        .await?;
        let url = out["QueueUrl"].as_str().ok_or_else(|| cx.invalid("CreateQueue returned no URL"))?.to_string();
        let current = QueueModel { id: Some(url.clone()), ..p };
        wait::until(cx.addr, "the new queue to be readable", cx.poll(), Duration::from_secs(60), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: QueueModel) -> Result<Option<QueueModel>, AwsError> {
        let url = super::id_of(cx, &current.id)?.to_string();
        let Some(a) = queue_attributes(cx, &url, &["All"]).await? else { return Ok(None) };
        let Some(tags) = absent(queue_tags(cx, &url).await)? else { return Ok(None) };
        let name = name_of(&url);
        let fifo = flag(&a, "FifoQueue");
        let text = |k: &str| Some(a.get(k).and_then(Json::as_str).unwrap_or_default().to_string());
        Ok(Some(QueueModel {
            id: Some(url.clone()),
            arn: text("QueueArn"),
            url: Some(url),
            name_prefix: Some(prefix_from_name(&name, if fifo { FIFO_SUFFIX } else { "" })),
            name: Some(name),
            fifo_queue: fifo,
            content_based_deduplication: flag(&a, "ContentBasedDeduplication"),
            deduplication_scope: text("DeduplicationScope"),
            fifo_throughput_limit: text("FifoThroughputLimit"),
            delay_seconds: number(&a, "DelaySeconds").unwrap_or(0),
            max_message_size: number(&a, "MaximumMessageSize").unwrap_or(0),
            message_retention_seconds: number(&a, "MessageRetentionPeriod").unwrap_or(0),
            receive_wait_time_seconds: number(&a, "ReceiveMessageWaitTimeSeconds").unwrap_or(0),
            visibility_timeout_seconds: number(&a, "VisibilityTimeout").unwrap_or(0),
            sqs_managed_sse_enabled: Some(flag(&a, "SqsManagedSseEnabled")),
            kms_master_key_id: a.get("KmsMasterKeyId").and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string),
            // Upstream reports SQS's default when the queue has none.
            kms_data_key_reuse_period_seconds: Some(number(&a, "KmsDataKeyReusePeriodSeconds").filter(|n| *n != 0).unwrap_or(300)),
            // Reported only where the configuration manages it (not null in
            // state): left out, an aws_sqs_queue_policy's is no drift.
            policy: current.policy.as_ref().and_then(|_| document(&current.policy, a.get("Policy").and_then(Json::as_str), true)),
            // As SQS writes them (upstream stores them so); a JSON-equal configuration plans no change.
            redrive_policy: text("RedrivePolicy"),
            redrive_allow_policy: text("RedriveAllowPolicy"),
            tags: Tags::from_aws(tags),
            timeouts: current.timeouts,
        }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: QueueModel, p: QueueModel) -> Result<QueueModel, AwsError> {
        let url = super::id_of(cx, &prior.id)?.to_string();
        let (old, new) = (attributes(&prior), attributes(&p));
        let mut changed: BTreeMap<&str, String> = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (*k, v.clone())).collect();
        // A document set before and now left out is cleared.
        for k in ["RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"] {
            if old.contains_key(k) && !new.contains_key(k) {
                changed.insert(k, String::new());
            }
        }
        if !changed.is_empty() {
            call(cx, &SQS, "SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": changed })).await?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            call(cx, &SQS, "UntagQueue", json!({ "QueueUrl": url, "TagKeys": remove })).await?;
        }
        if !put.is_empty() {
            call(cx, &SQS, "TagQueue", json!({ "QueueUrl": url, "Tags": put })).await?;
        }
        self.read(cx, QueueModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("queue {url} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: QueueModel) -> Result<(), AwsError> {
        let url = super::id_of(cx, &prior.id)?.to_string();
        call(cx, &SQS, "DeleteQueue", json!({ "QueueUrl": url })).await?;
        let limit = timeout(&prior.timeouts, "delete", Duration::from_secs(180));
        wait::until(cx.addr, "the queue to be gone", cx.poll(), limit, || async {
            Ok(queue_attributes(cx, &url, &["QueueArn"]).await?.is_none().then_some(()))
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: QueueModel) -> Result<Option<QueueModel>, AwsError> {
        let suffix = if planned.fifo_queue { FIFO_SUFFIX } else { "" };
        let name = generated_name(cx, &planned.name, &planned.name_prefix, "terraform-", suffix);
        let Some(out) = absent(call(cx, &SQS, "GetQueueUrl", json!({ "QueueName": name })).await)? else { return Ok(None) };
        let Some(url) = out["QueueUrl"].as_str().map(str::to_string) else { return Ok(None) };
        if queue_tags(cx, &url).await?.get(OWNER_TAG) != Some(&cx.owner()) {
            return Ok(None);
        }
        self.read(cx, QueueModel { id: Some(url), ..planned }).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct QueuePolicyModel {
    /// the queue's URL
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    queue_url: String,
    /// compared as JSON
    #[sdk(required, json)]
    policy: String,
}

pub struct QueuePolicy;

#[async_trait]
impl Resource<Aws> for QueuePolicy {
    type Model = QueuePolicyModel;
    const TYPE: &'static str = "aws_sqs_queue_policy";
    const VERSION: u64 = 1;

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        if let Some(p) = get_str(planned, "policy") {
            if serde_json::from_str::<Json>(p).is_err() {
                return Err(cx.invalid("policy: not a JSON document"));
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: QueuePolicyModel) -> Result<QueuePolicyModel, AwsError> {
        call(cx, &SQS, "SetQueueAttributes", json!({ "QueueUrl": p.queue_url, "Attributes": { "Policy": p.policy } })).await?;
        let current = QueuePolicyModel { id: Some(p.queue_url.clone()), ..p };
        wait::until(cx.addr, "the queue policy to be readable", cx.poll(), Duration::from_secs(60), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: QueuePolicyModel) -> Result<Option<QueuePolicyModel>, AwsError> {
        let url = super::id_of(cx, &current.id)?.to_string();
        let Some(a) = queue_attributes(cx, &url, &["Policy"]).await? else { return Ok(None) };
        let Some(policy) = a.get("Policy").and_then(Json::as_str).filter(|p| !p.is_empty()) else { return Ok(None) };
        let configured = Some(current.policy.clone()).filter(|p| !p.is_empty());
        Ok(Some(QueuePolicyModel { id: Some(url.clone()), queue_url: url, policy: document(&configured, Some(policy), true).unwrap_or_default() }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: QueuePolicyModel, p: QueuePolicyModel) -> Result<QueuePolicyModel, AwsError> {
        let url = super::id_of(cx, &prior.id)?.to_string();
        call(cx, &SQS, "SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": { "Policy": p.policy } })).await?;
        self.read(cx, QueuePolicyModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("the policy of {url} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: QueuePolicyModel) -> Result<(), AwsError> {
        let url = super::id_of(cx, &prior.id)?;
        call(cx, &SQS, "SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": { "Policy": "" } })).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_urls() {
        assert_eq!(name_of("https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo"), "jobs.fifo");
        assert_eq!(name_of("http://127.0.0.1:5000/123456789012/q"), "q");
    }

    #[test]
    fn documents_keep_the_configured_text_when_aws_means_the_same() {
        let configured = Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":"*"}]}"#.to_string());
        let aws = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}"#;
        assert_eq!(document(&configured, Some(aws), true), configured);
        assert_eq!(
            document(&None, Some(aws), true).as_deref(),
            Some(r#"{"Statement":[{"Action":"sqs:SendMessage","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#)
        );
        assert_eq!(document(&configured, None, true).as_deref(), Some(""));
    }

    #[test]
    fn only_fifo_queues_send_fifo_attributes() {
        let standard = QueueModel { visibility_timeout_seconds: 30, ..QueueModel::default() };
        let a = attributes(&standard);
        assert!(!a.contains_key("FifoQueue") && !a.contains_key("ContentBasedDeduplication"), "{a:?}");
        let fifo = QueueModel { fifo_queue: true, content_based_deduplication: true, ..standard };
        let a = attributes(&fifo);
        assert_eq!((a["FifoQueue"].as_str(), a["ContentBasedDeduplication"].as_str()), ("true", "true"));
    }
}
