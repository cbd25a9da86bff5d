//! `aws_cloudwatch_event_rule` and `aws_cloudwatch_event_target` on
//! EventBridge's JSON protocol. A rule (id = its name, `BUS/NAME` on
//! another bus) is written whole by PutRule; its `event_pattern` is stored
//! as upstream stores it (re-encoded by Go, keys sorted, `<>&` kept), so a
//! reformatted pattern is no change; `state` and the deprecated
//! `is_enabled` are kept consistent with each other. A target (id
//! `RULE-TARGET`, imported as `RULE/TARGET` or `BUS/RULE/TARGET`) is one
//! entry of PutTargets with every upstream parameter block, read back from
//! ListTargetsByRule.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::svc::{call, generated_name, non_empty, number, prefix_from_name, tag_list, tags_from_list};
use super::{AwsCx, Cx, Tags};
use crate::error::{absent, AwsError};
use crate::json_api::EVENTS;
use crate::tags::OWNER_TAG;
use crate::values::{get_str, set};
use crate::{go_json, Aws};

const DEFAULT_BUS: &str = "default";
const RULE_STATES: &[&str] = &["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"];

#[derive(Model, Debug, Clone, Default)]
pub struct RuleModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    #[sdk(optional)]
    description: Option<String>,
    /// the bus's name or ARN
    #[sdk(optional, force_new, default = "default")]
    event_bus_name: String,
    /// a JSON event pattern; stored as Go re-encodes it
    #[sdk(optional)]
    event_pattern: Option<String>,
    /// cron() or rate()
    #[sdk(optional)]
    schedule_expression: Option<String>,
    /// ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    #[sdk(optional, computed)]
    state: Option<String>,
    /// deprecated: use state
    #[sdk(optional, computed)]
    is_enabled: Option<bool>,
    #[sdk(optional)]
    role_arn: Option<String>,
    /// delete the rule even when it is managed by an AWS service
    #[sdk(optional, local, default = false)]
    force_destroy: bool,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct Rule;

fn rule_id(bus: &str, name: &str) -> String {
    if bus.is_empty() || bus == DEFAULT_BUS {
        name.to_string()
    } else {
        format!("{bus}/{name}")
    }
}

/// (bus, name) from a rule's id: `NAME`, `BUS/NAME`, or a bus ARN before the last `/`.
fn parse_rule_id(id: &str) -> Option<(String, String)> {
    if id.is_empty() {
        return None;
    }
    match id.rsplit_once('/') {
        None => Some((DEFAULT_BUS.to_string(), id.to_string())),
        Some((bus, name)) if !bus.is_empty() && !name.is_empty() && (!bus.contains('/') || bus.starts_with("arn:") || bus.starts_with("aws.partner/")) => {
            Some((bus.to_string(), name.to_string()))
        }
        _ => None,
    }
}

fn with_bus(mut input: Json, bus: &str) -> Json {
    if !bus.is_empty() {
        input["EventBusName"] = json!(bus);
    }
    input
}

fn enabled(state: &str) -> bool {
    state.starts_with("ENABLED")
}

fn put_rule_input(p: &RuleModel, name: &str) -> Json {
    let mut input = with_bus(json!({ "Name": name }), &p.event_bus_name);
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            input[k] = json!(v);
        }
    };
    opt("Description", &p.description);
    opt("ScheduleExpression", &p.schedule_expression);
    opt("RoleArn", &p.role_arn);
    opt("State", &p.state);
    if let Some(pattern) = p.event_pattern.as_deref().filter(|v| !v.is_empty()) {
        input["EventPattern"] = json!(go_json::normalize(pattern, false).unwrap_or_else(|| pattern.to_string()));
    }
    input
}

async fn rule_tags(cx: &Cx<'_>, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = call(cx, &EVENTS, "ListTagsForResource", json!({ "ResourceARN": arn })).await?;
    Ok(tags_from_list(out.get("Tags"), "Key", "Value"))
}

#[async_trait]
impl Resource<Aws> for Rule {
    type Model = RuleModel;
    const TYPE: &'static str = "aws_cloudwatch_event_rule";
    const VERSION: u64 = 1;

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut problems = Vec::new();
        let set_ = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        if !set_("event_pattern") && !set_("schedule_expression") {
            problems.push((AttrPath::attr("event_pattern"), "one of event_pattern or schedule_expression must be set".into()));
        }
        if let Some(p) = get_str(config, "event_pattern") {
            if serde_json::from_str::<Json>(p).is_err() {
                problems.push((AttrPath::attr("event_pattern"), "\"event_pattern\" contains an invalid JSON".into()));
            }
        }
        if let Some(s) = get_str(config, "state") {
            if !RULE_STATES.contains(&s) {
                problems.push((AttrPath::attr("state"), format!("expected one of {}, got {s}", RULE_STATES.join(", "))));
            }
        }
        if set_("state") && set_("is_enabled") {
            problems.push((AttrPath::attr("is_enabled"), "conflicts with state".into()));
        }
        if set_("name") && set_("name_prefix") {
            problems.push((AttrPath::attr("name_prefix"), "conflicts with name".into()));
        }
        problems
    }

    /// The pattern as upstream's StateFunc stores it.
    fn canonical_config(&self, config: &mut Value) {
        if let Some(p) = get_str(config, "event_pattern").and_then(|p| go_json::normalize(p, false)) {
            set(config, "event_pattern", Value::from(p));
        }
    }

    async fn modify_plan(&self, _cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        // state and is_enabled say the same: whichever the configuration
        // changed decides the other (ENABLED when neither is set).
        let state = planned.get("state").cloned().unwrap_or(Value::Null);
        let is_enabled = planned.get("is_enabled").cloned().unwrap_or(Value::Null);
        let changed = |k: &str, v: &Value| prior.is_none_or(|p| p.get(k).unwrap_or(&Value::Null) != v);
        match (&state, &is_enabled) {
            (Value::String(s), _) if changed("state", &state) || !matches!(is_enabled, Value::Bool(_)) => {
                set(planned, "is_enabled", Value::from(enabled(s)));
            }
            (_, Value::Bool(b)) if changed("is_enabled", &is_enabled) || !matches!(state, Value::String(_)) => {
                set(planned, "state", Value::from(if *b { "ENABLED" } else { "DISABLED" }));
            }
            (Value::Null | Value::Unknown, Value::Null | Value::Unknown) if prior.is_none() => {
                set(planned, "state", Value::from("ENABLED"));
                set(planned, "is_enabled", Value::from(true));
            }
            (Value::Unknown, _) => set(planned, "is_enabled", Value::Unknown),
            (_, Value::Unknown) => set(planned, "state", Value::Unknown),
            _ => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: RuleModel) -> Result<RuleModel, AwsError> {
        let name = generated_name(cx, &p.name, &p.name_prefix, "terraform-", "");
        let mut input = put_rule_input(&p, &name);
        input["Tags"] = tag_list(&p.tags.desired(&cx.owner()), "Key", "Value");
        call(cx, &EVENTS, "PutRule", input).await?;
        let current = RuleModel { id: Some(rule_id(&p.event_bus_name, &name)), ..p };
        crate::wait::until(cx.addr, "the new rule to be readable", cx.poll(), std::time::Duration::from_secs(120), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: RuleModel) -> Result<Option<RuleModel>, AwsError> {
        let id = super::id_of(cx, &current.id)?.to_string();
        let (bus, name) = parse_rule_id(&id).ok_or_else(|| cx.invalid(format!("{id:?} is not RULENAME or EVENTBUSNAME/RULENAME")))?;
        let Some(r) = absent(call(cx, &EVENTS, "DescribeRule", with_bus(json!({ "Name": name }), &bus)).await)? else { return Ok(None) };
        let arn = r["Arn"].as_str().unwrap_or_default().to_string();
        let Some(tags) = absent(rule_tags(cx, &arn).await)? else { return Ok(None) };
        let rule_name = r["Name"].as_str().unwrap_or(&name).to_string();
        let state = r["State"].as_str().unwrap_or_default().to_string();
        Ok(Some(RuleModel {
            id: Some(id),
            arn: Some(arn),
            name_prefix: Some(prefix_from_name(&rule_name, "")),
            name: Some(rule_name),
            description: non_empty(&r, "Description"),
            event_bus_name: bus,
            event_pattern: non_empty(&r, "EventPattern").map(|p| go_json::normalize(&p, false).unwrap_or(p)),
            schedule_expression: non_empty(&r, "ScheduleExpression"),
            is_enabled: Some(enabled(&state)),
            state: Some(state),
            role_arn: non_empty(&r, "RoleArn"),
            force_destroy: current.force_destroy,
            tags: Tags::from_aws(tags),
        }))
    }

    async fn update(&self, cx: &Cx<'_>, prior: RuleModel, p: RuleModel) -> Result<RuleModel, AwsError> {
        let id = super::id_of(cx, &prior.id)?.to_string();
        let name = prior.name.clone().unwrap_or_default();
        let arn = prior.arn.clone().unwrap_or_default();
        let mut same = p.clone();
        same.tags = prior.tags.clone();
        same.force_destroy = prior.force_destroy;
        if put_rule_input(&same, &name) != put_rule_input(&prior, &name) {
            call(cx, &EVENTS, "PutRule", put_rule_input(&p, &name)).await?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            call(cx, &EVENTS, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": remove })).await?;
        }
        if !put.is_empty() {
            call(cx, &EVENTS, "TagResource", json!({ "ResourceARN": arn, "Tags": tag_list(&put, "Key", "Value") })).await?;
        }
        self.read(cx, RuleModel { id: prior.id, ..p }).await?.ok_or_else(|| cx.invalid(format!("rule {id} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RuleModel) -> Result<(), AwsError> {
        let id = super::id_of(cx, &prior.id)?.to_string();
        let (bus, name) = parse_rule_id(&id).ok_or_else(|| cx.invalid(format!("{id:?} is not RULENAME or EVENTBUSNAME/RULENAME")))?;
        let mut input = with_bus(json!({ "Name": name }), &bus);
        if prior.force_destroy {
            input["Force"] = json!(true);
        }
        // Targets being removed in the same run may still be attached for a moment.
        crate::wait::until(cx.addr, "the rule's targets to be gone", cx.poll(), std::time::Duration::from_secs(300), || async {
            match call(cx, &EVENTS, "DeleteRule", input.clone()).await {
                Ok(_) => Ok(Some(())),
                Err(e) if e.has_code(&["ValidationException"]) && e.to_string().contains("has targets") => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RuleModel) -> Result<Option<RuleModel>, AwsError> {
        let name = generated_name(cx, &planned.name, &planned.name_prefix, "terraform-", "");
        let id = rule_id(&planned.event_bus_name, &name);
        let Some(found) = self.read(cx, RuleModel { id: Some(id), ..planned }).await? else { return Ok(None) };
        let tags = rule_tags(cx, found.arn.as_deref().unwrap_or_default()).await?;
        Ok((tags.get(OWNER_TAG) == Some(&cx.owner())).then_some(found))
    }
}

// ---- aws_cloudwatch_event_target ----

#[derive(Model, Debug, Clone, Default)]
pub struct TargetModel {
    /// RULE-TARGET_ID (BUS-RULE-TARGET_ID on another bus)
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    rule: String,
    #[sdk(optional, computed, force_new)]
    target_id: Option<String>,
    #[sdk(required)]
    arn: String,
    #[sdk(optional, force_new, default = "default")]
    event_bus_name: String,
    #[sdk(optional, local, default = false)]
    force_destroy: bool,
    #[sdk(optional)]
    input: Option<String>,
    #[sdk(optional)]
    input_path: Option<String>,
    #[sdk(optional)]
    role_arn: Option<String>,
    #[sdk(block, max_items = 1)]
    appsync_target: Vec<AppSyncTarget>,
    #[sdk(block, max_items = 1)]
    batch_target: Vec<BatchTarget>,
    #[sdk(block, max_items = 1)]
    dead_letter_config: Vec<DeadLetterConfig>,
    #[sdk(block, max_items = 1)]
    ecs_target: Vec<EcsTarget>,
    #[sdk(block, max_items = 1)]
    http_target: Vec<HttpTarget>,
    #[sdk(block, max_items = 1)]
    input_transformer: Vec<InputTransformer>,
    #[sdk(block, max_items = 1)]
    kinesis_target: Vec<KinesisTarget>,
    #[sdk(block, max_items = 1)]
    redshift_target: Vec<RedshiftTarget>,
    #[sdk(block, max_items = 1)]
    retry_policy: Vec<RetryPolicy>,
    #[sdk(block, max_items = 5)]
    run_command_targets: Vec<RunCommandTarget>,
    #[sdk(block, max_items = 1)]
    sagemaker_pipeline_target: Vec<SageMakerPipelineTarget>,
    #[sdk(block, max_items = 1)]
    sqs_target: Vec<SqsTarget>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct AppSyncTarget {
    #[sdk(optional)]
    graphql_operation: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct BatchTarget {
    #[sdk(required)]
    job_definition: String,
    #[sdk(required)]
    job_name: String,
    #[sdk(optional)]
    array_size: Option<i64>,
    #[sdk(optional)]
    job_attempts: Option<i64>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct DeadLetterConfig {
    #[sdk(optional)]
    arn: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct EcsTarget {
    #[sdk(required)]
    task_definition_arn: String,
    #[sdk(optional, default = 1i64)]
    task_count: i64,
    #[sdk(optional, default = false)]
    enable_ecs_managed_tags: bool,
    #[sdk(optional, default = false)]
    enable_execute_command: bool,
    #[sdk(optional)]
    group: Option<String>,
    #[sdk(optional)]
    launch_type: Option<String>,
    #[sdk(optional)]
    platform_version: Option<String>,
    #[sdk(optional)]
    propagate_tags: Option<String>,
    #[sdk(optional)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(block, set)]
    capacity_provider_strategy: Vec<CapacityProviderStrategy>,
    #[sdk(block, max_items = 1)]
    network_configuration: Vec<NetworkConfiguration>,
    #[sdk(block, max_items = 5)]
    ordered_placement_strategy: Vec<PlacementStrategy>,
    #[sdk(block, set, max_items = 10)]
    placement_constraint: Vec<PlacementConstraint>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CapacityProviderStrategy {
    #[sdk(required)]
    capacity_provider: String,
    #[sdk(optional)]
    base: Option<i64>,
    #[sdk(optional)]
    weight: Option<i64>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct NetworkConfiguration {
    #[sdk(required, set)]
    subnets: Vec<String>,
    #[sdk(optional, set)]
    security_groups: Option<Vec<String>>,
    #[sdk(optional, default = false)]
    assign_public_ip: bool,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PlacementStrategy {
    #[sdk(required, name = "type")]
    type_: String,
    #[sdk(optional)]
    field: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PlacementConstraint {
    #[sdk(required, name = "type")]
    type_: String,
    #[sdk(optional)]
    expression: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct HttpTarget {
    #[sdk(optional)]
    header_parameters: Option<BTreeMap<String, String>>,
    #[sdk(optional)]
    path_parameter_values: Option<Vec<String>>,
    #[sdk(optional)]
    query_string_parameters: Option<BTreeMap<String, String>>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct InputTransformer {
    #[sdk(required)]
    input_template: String,
    #[sdk(optional)]
    input_paths: Option<BTreeMap<String, String>>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct KinesisTarget {
    #[sdk(optional)]
    partition_key_path: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct RedshiftTarget {
    #[sdk(required)]
    database: String,
    #[sdk(optional)]
    db_user: Option<String>,
    #[sdk(optional)]
    secrets_manager_arn: Option<String>,
    #[sdk(optional)]
    sql: Option<String>,
    #[sdk(optional)]
    statement_name: Option<String>,
    #[sdk(optional)]
    with_event: Option<bool>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct RetryPolicy {
    #[sdk(optional)]
    maximum_event_age_in_seconds: Option<i64>,
    #[sdk(optional)]
    maximum_retry_attempts: Option<i64>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct RunCommandTarget {
    #[sdk(required)]
    key: String,
    #[sdk(required)]
    values: Vec<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct SageMakerPipelineTarget {
    #[sdk(block, set, max_items = 200)]
    pipeline_parameter_list: Vec<PipelineParameter>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PipelineParameter {
    #[sdk(required)]
    name: String,
    #[sdk(required)]
    value: String,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct SqsTarget {
    #[sdk(optional)]
    message_group_id: Option<String>,
}

pub struct Target;

/// Sets `key` when `v` holds a non-empty value.
fn opt<T: Into<Json>>(m: &mut Map<String, Json>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        let v = v.into();
        if v != json!("") {
            m.insert(key.to_string(), v);
        }
    }
}

fn string_map(m: &Option<BTreeMap<String, String>>) -> Option<Json> {
    m.as_ref().filter(|m| !m.is_empty()).map(|m| json!(m))
}

fn read_map(v: &Json) -> Option<BTreeMap<String, String>> {
    let m: BTreeMap<String, String> = v.as_object()?.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
    (!m.is_empty()).then_some(m)
}

fn read_strings(v: &Json) -> Option<Vec<String>> {
    let l: Vec<String> = v.as_array()?.iter().filter_map(|s| s.as_str().map(str::to_string)).collect();
    (!l.is_empty()).then_some(l)
}

fn text(v: &Json, key: &str) -> Option<String> {
    non_empty(v, key)
}

/// The PutTargets entry for a target.
fn target_entry(p: &TargetModel, target_id: &str) -> Json {
    let mut t = Map::new();
    t.insert("Id".into(), json!(target_id));
    t.insert("Arn".into(), json!(p.arn));
    opt(&mut t, "Input", p.input.clone());
    opt(&mut t, "InputPath", p.input_path.clone());
    opt(&mut t, "RoleArn", p.role_arn.clone());
    if let Some(a) = p.appsync_target.first() {
        let mut m = Map::new();
        opt(&mut m, "GraphQLOperation", a.graphql_operation.clone());
        t.insert("AppSyncParameters".into(), Json::Object(m));
    }
    if let Some(b) = p.batch_target.first() {
        let mut m = Map::new();
        m.insert("JobDefinition".into(), json!(b.job_definition));
        m.insert("JobName".into(), json!(b.job_name));
        if let Some(n) = b.array_size.filter(|n| *n > 1) {
            m.insert("ArrayProperties".into(), json!({ "Size": n }));
        }
        if let Some(n) = b.job_attempts.filter(|n| *n > 0) {
            m.insert("RetryStrategy".into(), json!({ "Attempts": n }));
        }
        t.insert("BatchParameters".into(), Json::Object(m));
    }
    if let Some(d) = p.dead_letter_config.first() {
        let mut m = Map::new();
        opt(&mut m, "Arn", d.arn.clone());
        t.insert("DeadLetterConfig".into(), Json::Object(m));
    }
    if let Some(e) = p.ecs_target.first() {
        let mut m = Map::new();
        m.insert("TaskDefinitionArn".into(), json!(e.task_definition_arn));
        m.insert("TaskCount".into(), json!(e.task_count));
        m.insert("EnableECSManagedTags".into(), json!(e.enable_ecs_managed_tags));
        m.insert("EnableExecuteCommand".into(), json!(e.enable_execute_command));
        opt(&mut m, "Group", e.group.clone());
        opt(&mut m, "LaunchType", e.launch_type.clone());
        opt(&mut m, "PlatformVersion", e.platform_version.clone());
        opt(&mut m, "PropagateTags", e.propagate_tags.clone());
        if let Some(tags) = e.tags.as_ref().filter(|t| !t.is_empty()) {
            m.insert("Tags".into(), tag_list(tags, "Key", "Value"));
        }
        if !e.capacity_provider_strategy.is_empty() {
            let l: Vec<Json> = e
                .capacity_provider_strategy
                .iter()
                .map(|s| {
                    let mut x = Map::new();
                    x.insert("capacityProvider".into(), json!(s.capacity_provider));
                    opt(&mut x, "base", s.base);
                    opt(&mut x, "weight", s.weight);
                    Json::Object(x)
                })
                .collect();
            m.insert("CapacityProviderStrategy".into(), Json::Array(l));
        }
        if let Some(n) = e.network_configuration.first() {
            let mut x = Map::new();
            x.insert("Subnets".into(), json!(n.subnets));
            if let Some(sg) = n.security_groups.as_ref().filter(|s| !s.is_empty()) {
                x.insert("SecurityGroups".into(), json!(sg));
            }
            x.insert("AssignPublicIp".into(), json!(if n.assign_public_ip { "ENABLED" } else { "DISABLED" }));
            m.insert("NetworkConfiguration".into(), json!({ "awsvpcConfiguration": x }));
        }
        if !e.ordered_placement_strategy.is_empty() {
            let l: Vec<Json> = e
                .ordered_placement_strategy
                .iter()
                .map(|s| {
                    let mut x = Map::new();
                    x.insert("type".into(), json!(s.type_));
                    opt(&mut x, "field", s.field.clone());
                    Json::Object(x)
                })
                .collect();
            m.insert("PlacementStrategy".into(), Json::Array(l));
        }
        if !e.placement_constraint.is_empty() {
            let l: Vec<Json> = e
                .placement_constraint
                .iter()
                .map(|c| {
                    let mut x = Map::new();
                    x.insert("type".into(), json!(c.type_));
                    opt(&mut x, "expression", c.expression.clone());
                    Json::Object(x)
                })
                .collect();
            m.insert("PlacementConstraints".into(), Json::Array(l));
        }
        t.insert("EcsParameters".into(), Json::Object(m));
    }
    if let Some(h) = p.http_target.first() {
        let mut m = Map::new();
        opt(&mut m, "HeaderParameters", string_map(&h.header_parameters));
        opt(&mut m, "QueryStringParameters", string_map(&h.query_string_parameters));
        if let Some(v) = h.path_parameter_values.as_ref().filter(|v| !v.is_empty()) {
            m.insert("PathParameterValues".into(), json!(v));
        }
        t.insert("HttpParameters".into(), Json::Object(m));
    }
    if let Some(i) = p.input_transformer.first() {
        let mut m = Map::new();
        m.insert("InputTemplate".into(), json!(i.input_template));
        opt(&mut m, "InputPathsMap", string_map(&i.input_paths));
        t.insert("InputTransformer".into(), Json::Object(m));
    }
    if let Some(k) = p.kinesis_target.first() {
        let mut m = Map::new();
        opt(&mut m, "PartitionKeyPath", k.partition_key_path.clone());
        t.insert("KinesisParameters".into(), Json::Object(m));
    }
    if let Some(r) = p.redshift_target.first() {
        let mut m = Map::new();
        m.insert("Database".into(), json!(r.database));
        opt(&mut m, "DbUser", r.db_user.clone());
        opt(&mut m, "SecretManagerArn", r.secrets_manager_arn.clone());
        opt(&mut m, "Sql", r.sql.clone());
        opt(&mut m, "StatementName", r.statement_name.clone());
        if r.with_event == Some(true) {
            m.insert("WithEvent".into(), json!(true));
        }
        t.insert("RedshiftDataParameters".into(), Json::Object(m));
    }
    if let Some(r) = p.retry_policy.first() {
        let mut m = Map::new();
        opt(&mut m, "MaximumEventAgeInSeconds", r.maximum_event_age_in_seconds);
        opt(&mut m, "MaximumRetryAttempts", r.maximum_retry_attempts);
        t.insert("RetryPolicy".into(), Json::Object(m));
    }
    if !p.run_command_targets.is_empty() {
        let l: Vec<Json> = p.run_command_targets.iter().map(|r| json!({ "Key": r.key, "Values": r.values })).collect();
        t.insert("RunCommandParameters".into(), json!({ "RunCommandTargets": l }));
    }
    if let Some(s) = p.sagemaker_pipeline_target.first() {
        let l: Vec<Json> = s.pipeline_parameter_list.iter().map(|x| json!({ "Name": x.name, "Value": x.value })).collect();
        let mut m = Map::new();
        if !l.is_empty() {
            m.insert("PipelineParameterList".into(), Json::Array(l));
        }
        t.insert("SageMakerPipelineParameters".into(), Json::Object(m));
    }
    if let Some(s) = p.sqs_target.first() {
        let mut m = Map::new();
        opt(&mut m, "MessageGroupId", s.message_group_id.clone());
        t.insert("SqsParameters".into(), Json::Object(m));
    }
    Json::Object(t)
}

/// A target's model from its ListTargetsByRule entry.
fn target_from(t: &Json, current: &TargetModel) -> TargetModel {
    let some = |k: &str| t.get(k).filter(|v| v.is_object());
    let ecs = some("EcsParameters").map(|e| {
        let net = e["NetworkConfiguration"]["awsvpcConfiguration"].as_object().map(|n| NetworkConfiguration {
            subnets: read_strings(&n["Subnets"]).unwrap_or_default(),
            security_groups: n.get("SecurityGroups").and_then(read_strings),
            assign_public_ip: n.get("AssignPublicIp").and_then(Json::as_str) == Some("ENABLED"),
        });
        EcsTarget {
            task_definition_arn: e["TaskDefinitionArn"].as_str().unwrap_or_default().to_string(),
            task_count: number(e, "TaskCount").unwrap_or(1),
            enable_ecs_managed_tags: e["EnableECSManagedTags"].as_bool().unwrap_or(false),
            enable_execute_command: e["EnableExecuteCommand"].as_bool().unwrap_or(false),
            group: text(e, "Group"),
            launch_type: text(e, "LaunchType"),
            platform_version: text(e, "PlatformVersion"),
            propagate_tags: text(e, "PropagateTags"),
            tags: Some(tags_from_list(e.get("Tags"), "Key", "Value")).filter(|t| !t.is_empty()),
            capacity_provider_strategy: e["CapacityProviderStrategy"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| CapacityProviderStrategy {
                    capacity_provider: s["capacityProvider"].as_str().unwrap_or_default().to_string(),
                    base: number(s, "base"),
                    weight: number(s, "weight"),
                })
                .collect(),
            network_configuration: net.into_iter().collect(),
            ordered_placement_strategy: e["PlacementStrategy"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| PlacementStrategy { type_: s["type"].as_str().unwrap_or_default().to_string(), field: text(s, "field") })
                .collect(),
            placement_constraint: e["PlacementConstraints"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| PlacementConstraint { type_: c["type"].as_str().unwrap_or_default().to_string(), expression: text(c, "expression") })
                .collect(),
        }
    });
    TargetModel {
        id: current.id.clone(),
        rule: current.rule.clone(),
        target_id: t["Id"].as_str().map(str::to_string),
        arn: t["Arn"].as_str().unwrap_or_default().to_string(),
        event_bus_name: current.event_bus_name.clone(),
        force_destroy: current.force_destroy,
        input: text(t, "Input"),
        input_path: text(t, "InputPath"),
        role_arn: text(t, "RoleArn"),
        appsync_target: some("AppSyncParameters").map(|a| AppSyncTarget { graphql_operation: text(a, "GraphQLOperation") }).into_iter().collect(),
        batch_target: some("BatchParameters")
            .map(|b| BatchTarget {
                job_definition: b["JobDefinition"].as_str().unwrap_or_default().to_string(),
                job_name: b["JobName"].as_str().unwrap_or_default().to_string(),
                array_size: b.get("ArrayProperties").and_then(|a| number(a, "Size")),
                job_attempts: b.get("RetryStrategy").and_then(|a| number(a, "Attempts")),
            })
            .into_iter()
            .collect(),
        dead_letter_config: some("DeadLetterConfig").map(|d| DeadLetterConfig { arn: text(d, "Arn") }).into_iter().collect(),
        ecs_target: ecs.into_iter().collect(),
        http_target: some("HttpParameters")
            .map(|h| HttpTarget {
                header_parameters: read_map(&h["HeaderParameters"]),
                path_parameter_values: read_strings(&h["PathParameterValues"]),
                query_string_parameters: read_map(&h["QueryStringParameters"]),
            })
            .into_iter()
            .collect(),
        input_transformer: some("InputTransformer")
            .map(|i| InputTransformer {
                input_template: i["InputTemplate"].as_str().unwrap_or_default().to_string(),
                input_paths: read_map(&i["InputPathsMap"]),
            })
            .into_iter()
            .collect(),
        kinesis_target: some("KinesisParameters").map(|k| KinesisTarget { partition_key_path: text(k, "PartitionKeyPath") }).into_iter().collect(),
        redshift_target: some("RedshiftDataParameters")
            .map(|r| RedshiftTarget {
                database: r["Database"].as_str().unwrap_or_default().to_string(),
                db_user: text(r, "DbUser"),
                secrets_manager_arn: text(r, "SecretManagerArn"),
                sql: text(r, "Sql"),
                statement_name: text(r, "StatementName"),
                with_event: r["WithEvent"].as_bool().filter(|w| *w),
            })
            .into_iter()
            .collect(),
        retry_policy: some("RetryPolicy")
            .map(|r| RetryPolicy {
                maximum_event_age_in_seconds: number(r, "MaximumEventAgeInSeconds"),
                maximum_retry_attempts: number(r, "MaximumRetryAttempts"),
            })
            .into_iter()
            .collect(),
        run_command_targets: t["RunCommandParameters"]["RunCommandTargets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| RunCommandTarget { key: r["Key"].as_str().unwrap_or_default().to_string(), values: read_strings(&r["Values"]).unwrap_or_default() })
            .collect(),
        sagemaker_pipeline_target: some("SageMakerPipelineParameters")
            .map(|s| SageMakerPipelineTarget {
                pipeline_parameter_list: s["PipelineParameterList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| PipelineParameter {
                        name: x["Name"].as_str().unwrap_or_default().to_string(),
                        value: x["Value"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect(),
            })
            .into_iter()
            .collect(),
        sqs_target: some("SqsParameters").map(|s| SqsTarget { message_group_id: text(s, "MessageGroupId") }).into_iter().collect(),
    }
}

fn target_resource_id(bus: &str, rule: &str, target: &str) -> String {
    if bus.is_empty() || bus == DEFAULT_BUS {
        format!("{rule}-{target}")
    } else {
        format!("{bus}-{rule}-{target}")
    }
}

/// (bus, rule, target) from an import id: `RULE/TARGET` or `BUS/RULE/TARGET`
/// (the bus may be an ARN, itself holding a `/`).
fn parse_target_import(id: &str) -> Option<(String, String, String)> {
    let (rest, target) = id.rsplit_once('/')?;
    let (bus, rule) = match rest.rsplit_once('/') {
        Some((bus, rule)) => (bus.to_string(), rule.to_string()),
        None => (DEFAULT_BUS.to_string(), rest.to_string()),
    };
    (!bus.is_empty() && !rule.is_empty() && !target.is_empty()).then(|| (bus, rule, target.to_string()))
}

async fn find_target(cx: &Cx<'_>, bus: &str, rule: &str, target_id: &str) -> Result<Option<Json>, AwsError> {
    let mut token: Option<String> = None;
    loop {
        let mut input = with_bus(json!({ "Rule": rule, "Limit": 100 }), bus);
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let out = match call(cx, &EVENTS, "ListTargetsByRule", input).await {
            Ok(o) => o,
            Err(e) if e.is_not_found() || e.has_code(&["ValidationException"]) => return Ok(None),
            Err(e) => return Err(e),
        };
        if let Some(t) = out["Targets"].as_array().into_iter().flatten().find(|t| t["Id"] == target_id) {
            return Ok(Some(t.clone()));
        }
        match non_empty(&out, "NextToken") {
            Some(t) => token = Some(t),
            None => return Ok(None),
        }
    }
}

async fn put_target(cx: &Cx<'_>, p: &TargetModel, target_id: &str) -> Result<(), AwsError> {
    let input = with_bus(json!({ "Rule": p.rule, "Targets": [target_entry(p, target_id)] }), &p.event_bus_name);
    let out = call(cx, &EVENTS, "PutTargets", input).await?;
    if let Some(f) = out["FailedEntries"].as_array().and_then(|l| l.first()) {
        return Err(AwsError::Api {
            addr: cx.addr.to_string(),
            code: f["ErrorCode"].as_str().unwrap_or("FailedEntry").to_string(),
            message: f["ErrorMessage"].as_str().unwrap_or_default().to_string(),
        });
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Target {
    type Model = TargetModel;
    const TYPE: &'static str = "aws_cloudwatch_event_target";
    const VERSION: u64 = 1;

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let set_ = |k: &str| config.get(k).is_some_and(|v| !v.is_null() && v.as_list().is_none_or(|l| !l.is_empty()));
        let mut problems = Vec::new();
        for (a, b) in [("input", "input_path"), ("input", "input_transformer"), ("input_path", "input_transformer")] {
            if set_(a) && set_(b) {
                problems.push((AttrPath::attr(b), format!("conflicts with {a}")));
            }
        }
        if let Some(i) = get_str(config, "input") {
            if serde_json::from_str::<Json>(i).is_err() {
                problems.push((AttrPath::attr("input"), "input: not a JSON document".into()));
            }
        }
        problems
    }

    async fn create(&self, cx: &Cx<'_>, p: TargetModel) -> Result<TargetModel, AwsError> {
        let target_id = match p.target_id.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => generated_name(cx, &None, &None, "terraform-", ""),
        };
        put_target(cx, &p, &target_id).await?;
        let id = target_resource_id(&p.event_bus_name, &p.rule, &target_id);
        let current = TargetModel { id: Some(id), target_id: Some(target_id), ..p };
        crate::wait::until(cx.addr, "the new target to be readable", cx.poll(), std::time::Duration::from_secs(60), || self.read(cx, current.clone())).await
    }

    async fn read(&self, cx: &Cx<'_>, current: TargetModel) -> Result<Option<TargetModel>, AwsError> {
        let target_id = current.target_id.clone().unwrap_or_default();
        let Some(t) = find_target(cx, &current.event_bus_name, &current.rule, &target_id).await? else { return Ok(None) };
        Ok(Some(target_from(&t, &current)))
    }

    async fn update(&self, cx: &Cx<'_>, prior: TargetModel, p: TargetModel) -> Result<TargetModel, AwsError> {
        let target_id = prior.target_id.clone().unwrap_or_default();
        put_target(cx, &p, &target_id).await?;
        let current = TargetModel { id: prior.id, target_id: Some(target_id.clone()), ..p };
        self.read(cx, current).await?.ok_or_else(|| cx.invalid(format!("target {target_id} vanished during its update")))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: TargetModel) -> Result<(), AwsError> {
        let mut input = with_bus(json!({ "Rule": prior.rule, "Ids": [prior.target_id.clone().unwrap_or_default()] }), &prior.event_bus_name);
        if prior.force_destroy {
            input["Force"] = json!(true);
        }
        let out = call(cx, &EVENTS, "RemoveTargets", input).await?;
        if let Some(f) = out["FailedEntries"].as_array().and_then(|l| l.first()) {
            return Err(AwsError::Api {
                addr: cx.addr.to_string(),
                code: f["ErrorCode"].as_str().unwrap_or("FailedEntry").to_string(),
                message: f["ErrorMessage"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(())
    }

    async fn import(&self, cx: &Cx<'_>, id: &str) -> Result<Option<TargetModel>, AwsError> {
        let (bus, rule, target) =
            parse_target_import(id).ok_or_else(|| cx.invalid(format!("{id:?} is not RULENAME/TARGETID or EVENTBUSNAME/RULENAME/TARGETID")))?;
        let stub =
            TargetModel { id: Some(target_resource_id(&bus, &rule, &target)), rule, target_id: Some(target), event_bus_name: bus, ..TargetModel::default() };
        self.read(cx, stub).await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: TargetModel) -> Result<Option<TargetModel>, AwsError> {
        let target_id = match planned.target_id.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => generated_name(cx, &None, &None, "terraform-", ""),
        };
        let id = target_resource_id(&planned.event_bus_name, &planned.rule, &target_id);
        self.read(cx, TargetModel { id: Some(id), target_id: Some(target_id), ..planned }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_name_the_bus_unless_it_is_the_default() {
        assert_eq!(rule_id("default", "spot"), "spot");
        assert_eq!(rule_id("ops", "spot"), "ops/spot");
        assert_eq!(parse_rule_id("spot"), Some(("default".into(), "spot".into())));
        assert_eq!(parse_rule_id("ops/spot"), Some(("ops".into(), "spot".into())));
        let arn = "arn:aws:events:us-east-1:123456789012:event-bus/ops";
        assert_eq!(parse_rule_id(&format!("{arn}/spot")), Some((arn.into(), "spot".into())));
        assert_eq!(parse_rule_id("a/b/c"), None);
    }

    #[test]
    fn target_ids_and_import_ids() {
        assert_eq!(target_resource_id("default", "spot", "q"), "spot-q");
        assert_eq!(target_resource_id("ops", "spot", "q"), "ops-spot-q");
        assert_eq!(parse_target_import("spot/q"), Some(("default".into(), "spot".into(), "q".into())));
        assert_eq!(parse_target_import("ops/spot/q"), Some(("ops".into(), "spot".into(), "q".into())));
        assert_eq!(parse_target_import("spot-q"), None);
    }

    #[test]
    fn a_target_round_trips_through_its_api_entry() {
        let p = TargetModel {
            rule: "spot".into(),
            arn: "arn:aws:sqs:us-east-1:123456789012:q".into(),
            event_bus_name: "default".into(),
            input_transformer: vec![InputTransformer { input_template: "\"<id>\"".into(), input_paths: Some([("id".to_string(), "$.id".to_string())].into()) }],
            retry_policy: vec![RetryPolicy { maximum_event_age_in_seconds: Some(60), maximum_retry_attempts: Some(2) }],
            dead_letter_config: vec![DeadLetterConfig { arn: Some("arn:aws:sqs:us-east-1:123456789012:dlq".into()) }],
            sqs_target: vec![SqsTarget { message_group_id: Some("g".into()) }],
            run_command_targets: vec![RunCommandTarget { key: "tag:Name".into(), values: vec!["a".into()] }],
            ecs_target: vec![EcsTarget {
                task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/t:1".into(),
                task_count: 2,
                network_configuration: vec![NetworkConfiguration { subnets: vec!["subnet-1".into()], security_groups: None, assign_public_ip: true }],
                ..EcsTarget::default()
            }],
            ..TargetModel::default()
        };
        let entry = target_entry(&p, "t1");
        assert_eq!(entry["InputTransformer"], json!({ "InputTemplate": "\"<id>\"", "InputPathsMap": { "id": "$.id" } }));
        assert_eq!(entry["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"], "ENABLED");
        let back = target_from(&entry, &p);
        assert_eq!(back.target_id.as_deref(), Some("t1"));
        assert_eq!(
            (&back.input_transformer, &back.retry_policy, &back.dead_letter_config, &back.sqs_target, &back.run_command_targets, &back.ecs_target),
            (&p.input_transformer, &p.retry_policy, &p.dead_letter_config, &p.sqs_target, &p.run_command_targets, &p.ecs_target)
        );
        assert!(back.batch_target.is_empty() && back.http_target.is_empty(), "blocks AWS does not report are empty");
    }
}
