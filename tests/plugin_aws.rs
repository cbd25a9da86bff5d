//! The real hashicorp/aws 5.100.0 plugin (from the machine image's
//! filesystem mirror) run by iac over Terraform's plugin protocol, against
//! moto: init, plan, apply, an empty re-plan, drift after an out-of-band
//! change, import, `state mv`, destroy; and the same stack through
//! Terraform 1.11.4 against a second moto, compared action by action and
//! attribute by attribute; ephemeral resources fed to write-only arguments,
//! compared the same way, their values in neither plans nor state.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use iac_testkit::services::Moto;
use serde_json::Value;
use support::Stack;

/// Types the native provider lacks (policy documents, partition, region,
/// log groups, launch templates, SQS, KMS) and a security group whose
/// rules come from a `dynamic` block over an attribute written as blocks.
const STACK: &str = r#"
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "iac-plugin-node"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_sqs_queue" "events" {
  name                      = "iac-plugin-events"
  message_retention_seconds = 300
}

resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/iac/plugin/${data.aws_region.current.name}"
  retention_in_days = 7
}

resource "aws_kms_key" "secrets" {
  description             = "iac plugin test"
  deletion_window_in_days = 7
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "plugin" }
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  dynamic "ingress" {
    for_each = [80, 443]
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}

resource "aws_launch_template" "nodes" {
  name          = "iac-plugin-nodes"
  instance_type = "t3.micro"
}

output "partition" {
  value = data.aws_partition.current.partition
}

output "queue_url" {
  value = aws_sqs_queue.events.url
}

# A provider-defined function, on a value known only after apply.
output "role_account" {
  value = provider::aws::arn_parse(aws_iam_role.node.arn).account_id
}
"#;

const MANAGED: &[&str] = &[
    "aws_cloudwatch_log_group.cluster",
    "aws_iam_role.node",
    "aws_kms_key.secrets",
    "aws_launch_template.nodes",
    "aws_security_group.web",
    "aws_sqs_queue.events",
    "aws_vpc.main",
];

fn aws_env(moto: &Moto, cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), moto.endpoint()),
        ("AWS_ACCESS_KEY_ID".into(), "test".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("IAC_PLUGIN_SCHEMA_CACHE".into(), cache.display().to_string()),
    ]
}

fn stack_with(moto: &Moto, cache: &Path) -> Stack {
    let mut stack = Stack::files("aws-plugin", &[("main.tf", STACK)]);
    stack.env.extend(aws_env(moto, cache));
    stack
}

/// `iac show -json PLAN`'s actions per address (data sources left out).
fn iac_actions(stack: &Stack) -> BTreeMap<String, Vec<String>> {
    stack.run(&["plan", "-out=plan.bin"]).ok();
    let out = stack.run(&["show", "-json", "plan.bin"]);
    out.ok();
    actions(&serde_json::from_str(&out.stdout).expect("plan JSON"))
}

fn actions(plan: &Value) -> BTreeMap<String, Vec<String>> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|c| c["mode"] == "managed")
        .map(|c| {
            (c["address"].as_str().unwrap().to_string(), c["change"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect())
        })
        .collect()
}

/// Attributes per managed address from iac's state.
fn iac_attributes(stack: &Stack) -> BTreeMap<String, Value> {
    let state = stack.state_json();
    state["resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .map(|(a, r)| (a.clone(), r["attributes"].clone()))
        .collect()
}

#[test]
fn the_real_aws_plugin_runs_a_stack_end_to_end() {
    let moto = Moto::start();
    let cache = tempfile::tempdir().unwrap();
    let stack = stack_with(&moto, cache.path());
    let mirror = iac_testkit::tools::terraform_mirror();

    let init = stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]);
    init.ok();
    assert!(init.stdout.contains("provider aws: plugin registry.terraform.io/hashicorp/aws v5.100.0"), "init names the implementation:\n{}", init.stdout);
    let lock = stack.read(".terraform.lock.hcl");
    assert!(lock.contains("provider \"registry.terraform.io/hashicorp/aws\"") && lock.contains("h1:"), "{lock}");

    stack.run(&["validate"]).ok();
    let planned = iac_actions(&stack);
    for addr in MANAGED {
        assert_eq!(planned.get(*addr).map(Vec::as_slice), Some(&["create".to_string()][..]), "{addr} in {planned:?}");
    }
    let apply = stack.run(&["apply", "plan.bin"]);
    apply.ok();
    assert!(apply.stdout.contains("Resources: 7 added, 0 changed, 0 destroyed"), "{}", apply.stdout);
    assert!(apply.stdout.contains("partition = \"aws\""), "{}", apply.stdout);
    assert!(apply.stdout.contains("role_account = \"123456789012\""), "provider::aws::arn_parse: {}", apply.stdout);
    let state = iac_attributes(&stack);
    assert_eq!(state["aws_security_group.web"]["ingress"].as_array().map(Vec::len), Some(2), "dynamic ingress blocks: {}", state["aws_security_group.web"]);
    assert_eq!(state["aws_sqs_queue.events"]["message_retention_seconds"], 300);

    // Nothing to do once applied.
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Someone changes the log group's retention by hand: drift, then put back.
    let log_group = state["aws_cloudwatch_log_group.cluster"]["name"].as_str().unwrap().to_string();
    aws_json_call(&moto, "Logs_20140328.PutRetentionPolicy", "logs", &serde_json::json!({"logGroupName": log_group, "retentionInDays": 30}));
    let drift = stack.run(&["drift"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("aws_cloudwatch_log_group.cluster") && drift.stdout.contains("retention_in_days"), "{}", drift.stdout);
    stack.run(&["apply", "-auto-approve"]).ok();
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Import: forget the queue, adopt it again by its URL.
    let url = state["aws_sqs_queue.events"]["url"].as_str().unwrap().to_string();
    stack.run(&["state", "rm", "aws_sqs_queue.events"]).ok();
    stack.run(&["import", "aws_sqs_queue.events", &url]).ok();
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // state mv, with the configuration renamed to match: no changes.
    stack.run(&["state", "mv", "aws_launch_template.nodes", "aws_launch_template.workers"]).ok();
    stack.write("main.tf", &STACK.replace("\"aws_launch_template\" \"nodes\"", "\"aws_launch_template\" \"workers\""));
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    let destroy = stack.run(&["destroy", "-auto-approve"]);
    destroy.ok();
    assert!(destroy.stdout.contains("7 destroyed"), "{}", destroy.stdout);
    assert!(stack.state_list().is_empty());
}

/// The same stack through Terraform 1.11.4 with the same plugin, each
/// against its own moto: the same planned actions, and the same state
/// attributes once ids, ARNs and timestamps are set aside.
#[test]
fn terraform_and_iac_agree_on_the_same_plugin() {
    let mirror = iac_testkit::tools::terraform_mirror();
    let cache = tempfile::tempdir().unwrap();
    let ours_moto = Moto::start();
    let theirs_moto = Moto::start();
    let stack = stack_with(&ours_moto, cache.path());
    stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]).ok();
    let ours_actions = iac_actions(&stack);
    stack.run(&["apply", "plan.bin"]).ok();
    let ours = iac_attributes(&stack);

    let tf = tempfile::tempdir().unwrap();
    std::fs::write(tf.path().join("main.tf"), STACK).unwrap();
    let terraform = |args: &[&str]| {
        let mut c = Command::new("terraform");
        c.args(args).current_dir(tf.path()).env("TF_CLI_CONFIG_FILE", "/dev/null").env("TF_IN_AUTOMATION", "1").env("CHECKPOINT_DISABLE", "1");
        for (k, v) in aws_env(&theirs_moto, cache.path()) {
            c.env(k, v);
        }
        let out = c.output().expect("terraform is on PATH");
        assert!(out.status.success(), "terraform {args:?}:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    terraform(&["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())]);
    terraform(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    let theirs_actions = actions(&serde_json::from_str(&terraform(&["show", "-json", "tfplan"])).unwrap());
    assert_eq!(ours_actions, theirs_actions, "planned actions");
    terraform(&["apply", "-input=false", "-no-color", "tfplan"]);
    let shown: Value = serde_json::from_str(&terraform(&["show", "-json"])).unwrap();
    let theirs: BTreeMap<String, Value> = shown["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| (r["address"].as_str().unwrap().to_string(), r["values"].clone()))
        .collect();
    assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
    let mut differences = Vec::new();
    for (addr, t) in &theirs {
        let o = &ours[addr];
        let (o, t) = (comparable(o), comparable(t));
        for key in o.keys().chain(t.keys()).collect::<std::collections::BTreeSet<_>>() {
            if o.get(key) != t.get(key) {
                differences.push(format!("{addr}.{key}: iac {:?}, terraform {:?}", o.get(key), t.get(key)));
            }
        }
    }
    assert!(differences.is_empty(), "state attributes differ:\n{}", differences.join("\n"));
    terraform(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    stack.run(&["destroy", "-auto-approve"]).ok();
}

/// An object's attributes with what differs between two clouds by nature
/// (generated ids, ARNs, timestamps, owner accounts) set aside.
fn comparable(v: &Value) -> BTreeMap<String, Value> {
    let generated = regex::Regex::new(
        r"^(vpc|sg|rtb|acl|dopt|igw|subnet|lt|eni|sgr)-[0-9a-f]+$|^arn:|^[0-9a-f]{8}-[0-9a-f]{4}-|^\d{4}-\d\d-\d\dT|^AROA|^http://127\.0\.0\.1:\d+/",
    )
    .unwrap();
    fn scrub(v: &Value, generated: &regex::Regex) -> Value {
        match v {
            Value::String(s) if generated.is_match(s) => Value::String("<generated>".into()),
            Value::Array(a) => Value::Array(a.iter().map(|x| scrub(x, generated)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), scrub(x, generated))).collect()),
            other => other.clone(),
        }
    }
    v.as_object()
        .expect("attributes")
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "arn" | "key_id" | "owner_id" | "unique_id" | "create_date" | "latest_version"))
        .map(|(k, x)| (k.clone(), scrub(x, &generated)))
        .collect()
}

/// One call to an AWS JSON-protocol API on moto (as the console would make
/// it); the response's JSON body.
fn aws_json_call(moto: &Moto, target: &str, service: &str, body: &Value) -> Value {
    let endpoint = moto.endpoint();
    let addr = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = std::net::TcpStream::connect(addr).expect("moto");
    std::io::Write::write_all(&mut s, request.as_bytes()).unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut s, &mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"), "{target}: {response}");
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// The provider blocks of [`STACK`], for smaller stacks.
fn header() -> &'static str {
    &STACK[..STACK.find("data \"aws_partition\"").expect("the header ends before the first data source")]
}

const RULE_BEFORE: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_security_group" "web" {
  name   = "web-move"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group_rule" "https" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
}
"#;

const RULE_AFTER: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_security_group" "web" {
  name   = "web-move"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.web.id
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  cidr_ipv4         = "10.0.0.0/8"
}

moved {
  from = aws_security_group_rule.https
  to   = aws_vpc_security_group_ingress_rule.https
}
"#;

/// A `moved` block across resource types, from `aws_security_group_rule`
/// to `aws_vpc_security_group_ingress_rule`: the one target type of
/// hashicorp/aws 5.100.0 that implements MoveState (with its egress twin).
/// The engine asks the target type's provider to convert the object
/// (MoveResourceState with the source's provider address, type, schema
/// version, raw state and private data). This version's mover does not
/// take that source, and Terraform 1.11.4 on the same plugin (its own moto)
/// refuses the plan with the provider's diagnostic: iac refuses it with the
/// same diagnostic and the same request details, and state is untouched.
#[test]
fn a_moved_block_across_resource_types_asks_the_provider_to_move_the_state() {
    let mirror = iac_testkit::tools::terraform_mirror();
    let cache = tempfile::tempdir().unwrap();
    let (ours_moto, theirs_moto) = (Moto::start(), Moto::start());
    let mut stack = Stack::files("aws-move", &[("main.tf", &format!("{}{RULE_BEFORE}", header()))]);
    stack.env.extend(aws_env(&ours_moto, cache.path()));
    stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]).ok();
    stack.run(&["apply", "-auto-approve"]).ok();
    let before = iac_attributes(&stack);

    let tf = tempfile::tempdir().unwrap();
    std::fs::write(tf.path().join("main.tf"), format!("{}{RULE_BEFORE}", header())).unwrap();
    let terraform = |args: &[&str]| {
        let mut c = Command::new("terraform");
        c.args(args).current_dir(tf.path()).env("TF_CLI_CONFIG_FILE", "/dev/null").env("TF_IN_AUTOMATION", "1").env("CHECKPOINT_DISABLE", "1");
        for (k, v) in aws_env(&theirs_moto, cache.path()) {
            c.env(k, v);
        }
        let out = c.output().expect("terraform is on PATH");
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    assert_eq!(terraform(&["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())]).0, Some(0));
    assert_eq!(terraform(&["apply", "-auto-approve", "-input=false", "-no-color"]).0, Some(0));

    stack.write("main.tf", &format!("{}{RULE_AFTER}", header()));
    std::fs::write(tf.path().join("main.tf"), format!("{}{RULE_AFTER}", header())).unwrap();
    let (code, theirs) = terraform(&["plan", "-input=false", "-no-color"]);
    let ours = stack.run(&["plan"]);
    ours.expect_code(1);
    assert_eq!(code, Some(1), "{theirs}");
    for expected in [
        "Unable to Move Resource State",
        "Source Provider Address: registry.terraform.io/hashicorp/aws",
        "Source Resource Type: aws_security_group_rule",
        "Source Resource Schema Version: 2",
        "Target Resource Type: aws_vpc_security_group_ingress_rule",
    ] {
        assert!(theirs.contains(expected), "Terraform: {expected:?} in\n{theirs}");
        assert!(ours.stderr.contains(expected), "iac: {expected:?} in\n{}", ours.stderr);
    }
    assert!(ours.stderr.contains("main.tf:") && ours.stderr.contains("moving aws_security_group_rule.https"), "{}", ours.stderr);
    assert_eq!(iac_attributes(&stack), before, "state untouched");

    // Back to the configuration it was: nothing to do.
    stack.write("main.tf", &format!("{}{RULE_BEFORE}", header()));
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    stack.run(&["destroy", "-auto-approve"]).ok();
    std::fs::write(tf.path().join("main.tf"), format!("{}{RULE_BEFORE}", header())).unwrap();
    assert_eq!(terraform(&["destroy", "-auto-approve", "-input=false", "-no-color"]).0, Some(0));
}

const SEED: &str = "seed-Kq7vR2xW9mZp4L";

/// Ephemeral resources fed to write-only arguments: a SecureString read
/// from SSM (put there out of band, so its text is known) and a password
/// Secrets Manager generates.
const EPHEMERAL: &str = r#"
ephemeral "aws_ssm_parameter" "seed" {
  arn             = "arn:aws:ssm:us-east-1:123456789012:parameter/app/seed"
  with_decryption = true
}

ephemeral "aws_secretsmanager_random_password" "generated" {
  password_length     = 24
  exclude_punctuation = true
}

locals {
  seed = ephemeral.aws_ssm_parameter.seed.value
}

resource "aws_secretsmanager_secret" "db" {
  name = "db-password"
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id                = aws_secretsmanager_secret.db.id
  secret_string_wo         = local.seed
  secret_string_wo_version = 1
}

resource "aws_secretsmanager_secret" "generated" {
  name = "generated-password"
}

resource "aws_secretsmanager_secret_version" "generated" {
  secret_id                = aws_secretsmanager_secret.generated.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.generated.random_password
  secret_string_wo_version = 1
}

resource "aws_ssm_parameter" "copy" {
  name             = "/app/copy"
  type             = "SecureString"
  value_wo         = ephemeral.aws_ssm_parameter.seed.value
  value_wo_version = 1
}
"#;

/// The seed parameter, put into a moto as someone would by hand.
fn put_seed(moto: &Moto) {
    aws_json_call(moto, "AmazonSSM.PutParameter", "ssm", &serde_json::json!({"Name": "/app/seed", "Value": SEED, "Type": "SecureString"}));
}

fn secret_string(moto: &Moto, id: &str) -> String {
    let r = aws_json_call(moto, "secretsmanager.GetSecretValue", "secretsmanager", &serde_json::json!({"SecretId": id}));
    r["SecretString"].as_str().unwrap_or_else(|| panic!("{id}: {r}")).to_string()
}

fn parameter_value(moto: &Moto, name: &str) -> String {
    let r = aws_json_call(moto, "AmazonSSM.GetParameter", "ssm", &serde_json::json!({"Name": name, "WithDecryption": true}));
    r["Parameter"]["Value"].as_str().unwrap_or_else(|| panic!("{name}: {r}")).to_string()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())) {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Ephemeral resources (Terraform 1.11) on the real plugin: opened while
/// planning and again while applying, their values passed to write-only
/// arguments and nowhere else. Terraform 1.11.4 on the same plugin (its own
/// moto) plans the same actions and ends with the same state (the
/// write-only arguments null in both); the values really reached AWS (the
/// secret and the parameter hold them); neither the saved plan, its JSON,
/// nor any file of state (snapshot and journal) holds the ephemeral value;
/// and a second plan has nothing to do.
#[test]
fn ephemeral_values_reach_write_only_arguments_and_never_state_or_plans() {
    let mirror = iac_testkit::tools::terraform_mirror();
    let cache = tempfile::tempdir().unwrap();
    let (ours_moto, theirs_moto) = (Moto::start(), Moto::start());
    put_seed(&ours_moto);
    put_seed(&theirs_moto);
    let text = format!("{}{EPHEMERAL}", header());
    let mut stack = Stack::files("aws-ephemeral", &[("main.tf", &text)]);
    stack.env.extend(aws_env(&ours_moto, cache.path()));
    stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]).ok();
    stack.run(&["validate"]).ok();
    let ours_actions = iac_actions(&stack);
    let plan_json = stack.run(&["show", "-json", "plan.bin"]).stdout;
    let apply = stack.run(&["apply", "plan.bin"]);
    apply.ok();

    let tf = tempfile::tempdir().unwrap();
    std::fs::write(tf.path().join("main.tf"), &text).unwrap();
    let terraform = |args: &[&str]| {
        let mut c = Command::new("terraform");
        c.args(args).current_dir(tf.path()).env("TF_CLI_CONFIG_FILE", "/dev/null").env("TF_IN_AUTOMATION", "1").env("CHECKPOINT_DISABLE", "1");
        for (k, v) in aws_env(&theirs_moto, cache.path()) {
            c.env(k, v);
        }
        let out = c.output().expect("terraform is on PATH");
        assert!(out.status.success(), "terraform {args:?}:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    terraform(&["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())]);
    terraform(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    let theirs_actions = actions(&serde_json::from_str(&terraform(&["show", "-json", "tfplan"])).unwrap());
    assert_eq!(ours_actions, theirs_actions, "planned actions");
    terraform(&["apply", "-input=false", "-no-color", "tfplan"]);

    // The same state, write-only arguments null in both.
    let shown: Value = serde_json::from_str(&terraform(&["show", "-json"])).unwrap();
    let theirs: BTreeMap<String, Value> = shown["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| (r["address"].as_str().unwrap().to_string(), r["values"].clone()))
        .collect();
    let ours = iac_attributes(&stack);
    assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
    for (addr, attrs) in &ours {
        // A secret version's id is made from the time it was written.
        let without_version = |v: &Value| comparable(v).into_iter().filter(|(k, _)| k != "version_id").collect::<BTreeMap<_, _>>();
        assert_eq!(without_version(attrs), without_version(&theirs[addr]), "{addr}");
    }
    assert_eq!(ours["aws_secretsmanager_secret_version.db"]["secret_string_wo"], Value::Null);
    assert_eq!(ours["aws_secretsmanager_secret_version.db"]["has_secret_string_wo"], true);
    assert_eq!(ours["aws_ssm_parameter.copy"]["value_wo"], Value::Null);

    // What the write-only arguments carried reached AWS, through both tools.
    for moto in [&ours_moto, &theirs_moto] {
        assert_eq!(secret_string(moto, "db-password"), SEED);
        assert_eq!(parameter_value(moto, "/app/copy"), SEED);
        let generated = secret_string(moto, "generated-password");
        assert!(generated.len() == 24 && generated.chars().all(|c| c.is_ascii_alphanumeric()), "{generated:?}");
    }
    let generated = secret_string(&ours_moto, "generated-password");

    // No ephemeral value in the saved plan, its JSON, or state.
    for needle in [SEED, generated.as_str()] {
        assert!(!plan_json.contains(needle), "show -json holds an ephemeral value");
        assert_eq!(files_containing(&stack.dir, needle), Vec::<String>::new(), "stack directory (the saved plan)");
        assert_eq!(files_containing(&stack.state_dir(), needle), Vec::<String>::new(), "state (snapshot, journal)");
    }

    // Opened again by the next plan, and nothing to do.
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    stack.run(&["destroy", "-auto-approve"]).ok();
    terraform(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
}

/// The native random provider's ephemeral `random_password` (no plugin):
/// opened by the plan (a password it cannot make fails it, with the
/// provider's reason), its value passed into a child module's ephemeral
/// variable and output, and nothing of it in state.
#[test]
fn the_native_ephemeral_random_password_is_opened_and_never_stored() {
    let child =
        "variable \"secret\" {\n  type      = string\n  ephemeral = true\n}\n\noutput \"length\" {\n  value     = length(var.secret)\n  ephemeral = true\n}\n";
    let main = |length: u32| {
        format!(
            "ephemeral \"random_password\" \"p\" {{\n  length    = {length}\n  min_upper = 4\n}}\n\nmodule \"m\" {{\n  source = \"./m\"\n  secret = ephemeral.random_password.p.result\n}}\n\nresource \"terraform_data\" \"t\" {{\n  input = \"plain\"\n}}\n"
        )
    };
    let stack = Stack::files("native-ephemeral", &[("main.tf", &main(2)), ("m/main.tf", child)]);
    let refused = stack.run(&["plan"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("ephemeral.random_password.p: opening failed") && refused.stderr.contains("min_upper"), "{}", refused.stderr);
    stack.write("main.tf", &main(24));
    stack.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(stack.state_list(), vec!["terraform_data.t".to_string()]);
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

/// Provider blocks hashicorp/aws rejects, each the body of `provider
/// "aws"` in [`rejected_provider_stack`]: rejected by its validation
/// (Terraform validates before it plans: no plan) or only when configured
/// during the plan walk (an errored plan, saved with what was planned).
/// Each with whether the error is the plugin's (iac running the plugin
/// shows its words) rather than the language's.
const REJECTED_PROVIDER_BLOCKS: &[(&str, &str, bool)] = &[
    ("invalid-region", "region     = \"not-a-region\"\n  access_key = \"test\"\n  secret_key = \"test\"", true),
    ("missing-region", "access_key = \"test\"\n  secret_key = \"test\"", true),
    ("access-key-alone", "region     = \"us-east-1\"\n  access_key = \"test\"", true),
    ("evaluation-error", "region     = element(var.regions, 0)\n  access_key = \"test\"\n  secret_key = \"test\"", false),
    (
        "invalid-role-arn",
        "region     = \"us-east-1\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  assume_role {\n    role_arn = \"not-an-arn\"\n  }",
        true,
    ),
    ("undeclared-reference", "region     = var.nope\n  access_key = \"test\"\n  secret_key = \"test\"", false),
];

/// A stack whose `provider "aws"` block has `body`: a `terraform_data`
/// (planned whatever the provider does) and a data source of the provider.
fn rejected_provider_stack(body: &str) -> String {
    format!(
        "{}\nvariable \"regions\" {{\n  type    = list(string)\n  default = []\n}}\n\nprovider \"aws\" {{\n  {body}\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n}}\n\nresource \"terraform_data\" \"x\" {{\n  input = 1\n}}\n\ndata \"aws_region\" \"current\" {{}}\n",
        r#"terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
"#
    )
}

/// No region, keys or profile from this machine: each case says its own.
const AWS_SETTINGS_FROM_THE_ENVIRONMENT: &[&str] =
    &["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"];

/// What one tool's plan of a stack with a rejected provider block left:
/// the exit code of `plan -json -out=p.bin` and its errors (summary,
/// detail, the `address` of the provider configuration and the range), the
/// saved plan's `errored`, `applyable`, `complete` and planned actions
/// (`Null` when none was saved), and the exit code and diagnostics of
/// applying it when it is errored.
#[derive(Debug)]
struct RejectedProviderPlan {
    plan_code: i32,
    errors: Vec<Value>,
    saved: Value,
    refused_apply: Option<(i32, Vec<String>)>,
}

impl RejectedProviderPlan {
    /// From a tool's `run` (exit code, stdout) in `dir`; `iac_words`
    /// names the tool in the refusal as iac does.
    fn from_runs(dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String), iac_words: &dyn Fn(&str) -> String) -> Self {
        let (plan_code, ui) = run(&["plan", "-json", "-out=p.bin"]);
        let errors = support::ui_diagnostics(&ui)
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| serde_json::json!({"summary": d["summary"], "detail": d["detail"], "address": d["address"], "range": d["range"]}))
            .collect();
        let saved = if dir.join("p.bin").exists() {
            let shown: Value = serde_json::from_str(&run(&["show", "-json", "p.bin"]).1).expect("show -json is JSON");
            serde_json::json!({"errored": shown["errored"], "applyable": shown["applyable"], "complete": shown["complete"], "actions": actions(&shown)})
        } else {
            Value::Null
        };
        let refused_apply = (saved["errored"] == true).then(|| {
            let (code, out) = run(&["apply", "-json", "p.bin"]);
            (code, crate::lang_diff::json_diagnostics(&iac_words(&out)))
        });
        RejectedProviderPlan { plan_code, errors, saved, refused_apply }
    }
}

/// Whether a diagnostic (`-json`'s) names a provider configuration as the
/// object it is about.
fn names_provider_configuration(d: &Value) -> bool {
    d["address"].as_str().is_some_and(|a| a.starts_with("provider["))
}

/// Provider configurations hashicorp/aws rejects, against Terraform 1.11.4
/// with the same plugin (offline: nothing reaches AWS): what its
/// validation rejects (an assume_role ARN, an undeclared reference) leaves
/// no plan; what it rejects when configured (no or an unknown region, an
/// access key without its secret) and an argument that fails to evaluate
/// only while planning leave an errored plan with the planned
/// `terraform_data`, neither applyable nor complete, that apply refuses.
/// The same exit codes, saved plans and refusals from iac running the
/// plugin (whose errors are Terraform's: the plugin's words, the provider
/// configuration's address, the same range) and from iac's native
/// aws provider (whose words are its own, one error each as well; no
/// region is its data source's error there, as it checks no region list).
#[test]
fn rejected_provider_configurations_leave_the_plans_terraform_leaves() {
    let mirror = iac_testkit::tools::terraform_mirror();
    let cache = tempfile::tempdir().unwrap();
    let no_file = cache.path().join("none");
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    let mut problems = Vec::new();
    for (name, body, plugin_words) in REJECTED_PROVIDER_BLOCKS {
        let text = rejected_provider_stack(body);
        let tf = tempfile::tempdir().unwrap();
        std::fs::write(tf.path().join("main.tf"), &text).unwrap();
        let terraform = |args: &[&str]| {
            let mut c = crate::lang_diff::terraform_command(tf.path(), args);
            c.env("AWS_CONFIG_FILE", &no_file).env("AWS_SHARED_CREDENTIALS_FILE", &no_file);
            for k in AWS_SETTINGS_FROM_THE_ENVIRONMENT {
                c.env_remove(k);
            }
            let o = c.output().expect("terraform 1.11.4 on PATH");
            (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
        };
        assert_eq!(terraform(&["init", "-input=false", "-no-color", &plugin_dir]).0, 0, "{name}: terraform init");
        let theirs = RejectedProviderPlan::from_runs(tf.path(), &terraform, &|out| out.replace("Terraform encountered", "iac encountered"));
        assert_eq!(theirs.plan_code, 1, "{name}: terraform's plan did not fail: {theirs:?}");
        assert_eq!(theirs.errors.len(), 1, "{name}: {theirs:?}");

        for native in [false, true] {
            let mut stack = Stack::files(&format!("rejected-provider-{name}"), &[("main.tf", &text)]);
            stack.env.extend(
                [("AWS_CONFIG_FILE", no_file.display().to_string()), ("AWS_SHARED_CREDENTIALS_FILE", no_file.display().to_string())]
                    .map(|(k, v)| (k.to_string(), v)),
            );
            stack.env.extend(AWS_SETTINGS_FROM_THE_ENVIRONMENT.iter().map(|k| (k.to_string(), String::new())));
            if !native {
                stack.env.insert("IAC_PLUGIN_SCHEMA_CACHE".into(), cache.path().display().to_string());
                // Its init, unlike Terraform's, already refuses an undeclared reference.
                stack.run(&["init", &plugin_dir]);
            }
            let iac = |args: &[&str]| {
                let out = stack.run(args);
                (out.code, out.stdout)
            };
            let ours = RejectedProviderPlan::from_runs(&stack.dir, &iac, &str::to_string);
            // As many errors; the plugin's are Terraform's, as it shows
            // them: its words, the provider configuration it names and the
            // range (the argument, else the block's opening brace). The
            // native provider's words are its own, but an error it names
            // the configuration by is where Terraform's is (the language's
            // errors have their own words; one about a data source names
            // that instance).
            let at = |e: &Value| (e["address"].clone(), e["range"].clone());
            let errors_agree = ours.errors.len() == theirs.errors.len()
                && match (native, plugin_words) {
                    (false, true) => ours.errors == theirs.errors,
                    (true, _) => ours.errors.iter().zip(&theirs.errors).all(|(o, t)| !names_provider_configuration(o) || at(o) == at(t)),
                    (false, false) => true,
                };
            let left = |r: &RejectedProviderPlan| (r.plan_code, r.saved.clone(), r.refused_apply.clone());
            if !errors_agree || left(&ours) != left(&theirs) {
                let provider = if native { "native provider" } else { "plugin" };
                problems.push(format!("{name} ({provider}):\n  terraform: {theirs:?}\n  iac:       {ours:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "rejected provider configurations differ from Terraform:\n{}", problems.join("\n"));
}

/// Log groups whose name another one already took: the creates after it
/// fail in AWS, one in the root module, one in an instance of a module.
const TAKEN_NAMES: &str = r#"
resource "aws_cloudwatch_log_group" "first" {
  name = "iac-taken"
}

resource "aws_cloudwatch_log_group" "again" {
  name              = "iac-taken"
  retention_in_days = 1
  depends_on        = [aws_cloudwatch_log_group.first]
}

module "m" {
  source     = "./m"
  depends_on = [aws_cloudwatch_log_group.first]
}
"#;

const TAKEN_NAMES_MODULE: &str = r#"resource "aws_cloudwatch_log_group" "q" {
  for_each          = toset(["k"])
  name              = "iac-taken"
  retention_in_days = 3
}
"#;

/// A provider's errors about resource instances, as Terraform 1.11.4 shows
/// them: each in the plugin's words, naming its instance (the diagnostic's
/// `address`, the human `with module.m.aws_cloudwatch_log_group.q["k"],`
/// line) at its resource body's opening brace. The same `apply -json`
/// diagnostics (AWS's request ids aside) and the same `with` lines from
/// iac running the plugin and from Terraform, each against its own moto.
#[test]
fn provider_errors_name_their_instance_as_terraform_does() {
    let mirror = iac_testkit::tools::terraform_mirror();
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    let cache = tempfile::tempdir().unwrap();
    let main = format!("{}{TAKEN_NAMES}", header());
    let files = [("main.tf", main.as_str()), ("m/main.tf", TAKEN_NAMES_MODULE)];
    let request_id = regex::Regex::new(r"RequestID: [A-Za-z0-9-]+").expect("regex");
    // Sorted (the creates run at once), the request ids blanked.
    let diagnostics = |ui: &str| -> Vec<Value> {
        let mut ds = support::ui_diagnostics(ui);
        for d in &mut ds {
            let summary = request_id.replace_all(d["summary"].as_str().unwrap_or_default(), "RequestID: ?").into_owned();
            d["summary"] = Value::String(summary);
        }
        ds.sort_by_key(|d| d["address"].to_string());
        ds
    };
    let with_lines = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim_start_matches(|c: char| c.is_whitespace() || c == '│').trim_start_matches("help:").trim().strip_prefix("with "))
            .map(|rest| format!("with {rest}"))
            .collect();
        lines.sort();
        lines
    };

    let run_terraform = |moto: &Moto, args: &[&str]| -> (i32, String) {
        let dir = tempfile::tempdir().unwrap();
        for (f, text) in files {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), text).unwrap();
        }
        let tf = |args: &[&str]| {
            let mut c = crate::lang_diff::terraform_command(dir.path(), args);
            for (k, v) in aws_env(moto, cache.path()) {
                c.env(k, v);
            }
            let o = c.output().expect("terraform 1.11.4 on PATH");
            (o.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        };
        assert_eq!(tf(&["init", "-input=false", "-no-color", &plugin_dir]).0, 0, "terraform init");
        tf(args)
    };
    let run_iac = |moto: &Moto, args: &[&str]| -> (i32, String) {
        let mut stack = Stack::files("aws-provider-errors", &files);
        stack.env.extend(aws_env(moto, cache.path()));
        stack.run(&["init", &plugin_dir]).ok();
        let out = stack.run(args);
        (out.code, format!("{}{}", out.stdout, out.stderr))
    };

    // Each tool against a moto of its own, emptied before each run.
    let (ours_moto, theirs_moto) = (Moto::start(), Moto::start());
    let theirs_json = run_terraform(&theirs_moto, &["apply", "-auto-approve", "-input=false", "-json"]);
    let ours_json = run_iac(&ours_moto, &["apply", "-auto-approve", "-json"]);
    theirs_moto.reset();
    ours_moto.reset();
    let theirs_human = run_terraform(&theirs_moto, &["apply", "-auto-approve", "-input=false", "-no-color"]);
    let ours_human = run_iac(&ours_moto, &["apply", "-auto-approve"]);
    assert_eq!(theirs_json.0, 1, "terraform's apply did not fail:\n{}", theirs_json.1);
    let theirs = diagnostics(&theirs_json.1);
    assert_eq!(theirs.len(), 2, "terraform: {theirs:#?}");
    assert_eq!(theirs[0]["address"], "aws_cloudwatch_log_group.again", "terraform: {theirs:#?}");
    assert_eq!(ours_json.0, theirs_json.0, "iac's apply:\n{}", ours_json.1);
    assert_eq!(diagnostics(&ours_json.1), theirs, "apply -json's diagnostics");

    let want = vec![r#"with aws_cloudwatch_log_group.again,"#.to_string(), r#"with module.m.aws_cloudwatch_log_group.q["k"],"#.to_string()];
    assert_eq!(with_lines(&theirs_human.1), want, "terraform:\n{}", theirs_human.1);
    assert_eq!(with_lines(&ours_human.1), want, "iac:\n{}", ours_human.1);
}
