//! The types on AWS's JSON-protocol services (CloudWatch Logs, SQS,
//! EventBridge, KMS, SSM, ECR Public) through Terraform 1.11.4 with the real
//! hashicorp/aws 5.100.0 plugin and through iac's native provider, each
//! against its own moto (ECR Public, which moto lacks, from one stand-in
//! both share): the same stack gives the same state attributes once what
//! differs between two clouds by nature is set aside (ids, ARNs, URLs,
//! key ids, timestamps, generated name suffixes). Then state moves both
//! ways with an empty plan: Terraform's state migrated into iac plans no
//! change with the native provider, and iac's state given to Terraform
//! (`iac state pull` writes Terraform's format) plans no change with the
//! plugin.
//!
//! Where the two differ for good, the difference is listed in
//! [`ACCEPTED`] with its reason; anything else fails the test.
//!
//! Four stacks: the JSON-protocol services, EC2 networking with IAM
//! (moto's query protocol), S3 with its sub-resources (REST-XML), and EKS.
//! moto 5.2 serves almost none of EKS, so for the EKS stack each side's
//! moto has `iac-eks-sim-layer` in front of it, and Terraform and iac each
//! talk to one such endpoint.
//! Moving state from the plugin relies on the provider SDK's shared rule
//! for Go's zero values: the legacy plugin SDK writes `""`, `false`, `0` or
//! `[]` for optional arguments the configuration leaves out
//! (`customer_owned_ipv4_pool = ""`, `disable_api_stop = false`), and the
//! native provider plans that as no change.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use iac_testkit::services::Moto;
use serde_json::{json, Value};
use support::Stack;

/// One side's AWS: a moto, with the EKS layer in front of it for stacks
/// with EKS types.
struct Cloud {
    moto: Moto,
    /// The layer and the runtime serving it (the handle first: dropping it
    /// stops the layer).
    eks: Option<(iac_eks_sim_layer::Handle, tokio::runtime::Runtime)>,
}

impl Cloud {
    fn start(eks: bool) -> Cloud {
        let moto = Moto::start();
        let eks = eks.then(|| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
            // Objects settle at their first read: both tools' waiters see
            // the same answers, and neither waits on the other's polling pace.
            let behaviour = iac_eks_sim_layer::Behaviour { transition_reads: 0, ..Default::default() };
            let layer = rt.block_on(iac_eks_sim_layer::start(&moto.endpoint(), behaviour)).expect("the EKS layer starts");
            (layer, rt)
        });
        Cloud { moto, eks }
    }

    /// Where both tools send every AWS request.
    fn endpoint(&self) -> String {
        match &self.eks {
            Some((layer, _)) => layer.url(),
            None => self.moto.endpoint(),
        }
    }
}

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
  endpoints {
    ecrpublic = "ECR_PUBLIC_URL"
  }
  # iac's ownership tag, which the plugin would otherwise want to remove.
  ignore_tags {
    key_prefixes = ["iac:"]
  }
}

data "aws_ssm_parameter" "ami" {
  name = "/diff/ami"
}

data "aws_ssm_parameter" "secret" {
  name = "/diff/secret"
}

data "aws_ecrpublic_authorization_token" "token" {}

resource "aws_kms_key" "logs" {
  description             = "log encryption"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags = {
    purpose = "logs"
  }
}

resource "aws_kms_key" "plain" {}

resource "aws_kms_alias" "logs" {
  name          = "alias/diff-logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_kms_alias" "prefixed" {
  name_prefix   = "alias/diff-"
  target_key_id = aws_kms_key.plain.arn
}

resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/diff/cluster"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.logs.arn
  tags = {
    ami = data.aws_ssm_parameter.ami.insecure_value
  }
}

resource "aws_cloudwatch_log_group" "prefixed" {
  name_prefix = "/diff/prefixed-"
}

resource "aws_sqs_queue" "dlq" {
  name                      = "diff-dlq"
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "interruption" {
  name                       = "diff-interruption"
  message_retention_seconds  = 300
  visibility_timeout_seconds = 60
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true
  redrive_policy             = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 5 })
  tags = {
    registry = data.aws_ecrpublic_authorization_token.token.user_name
  }
}

resource "aws_sqs_queue" "fifo" {
  name_prefix                 = "diff-"
  fifo_queue                  = true
  content_based_deduplication = true
  delay_seconds               = 5
}

resource "aws_sqs_queue" "target" {
  name = "diff-policy-target"
}

resource "aws_sqs_queue_policy" "target" {
  queue_url = aws_sqs_queue.target.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridge"
      Effect    = "Allow"
      Principal = { Service = ["events.amazonaws.com", "sqs.amazonaws.com"] }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.target.arn
    }]
  })
}

resource "aws_cloudwatch_event_rule" "spot" {
  name        = "diff-spot"
  description = "Spot interruption warnings"
  event_pattern = jsonencode({
    source        = ["aws.ec2"]
    "detail-type" = ["EC2 Spot Instance Interruption Warning"]
    detail        = { "instance-action" = ["terminate"], note = ["<&>"] }
  })
  tags = {
    kind = "interruption"
  }
}

resource "aws_cloudwatch_event_rule" "tick" {
  name_prefix         = "diff-tick-"
  schedule_expression = "rate(5 minutes)"
  state               = "DISABLED"
}

resource "aws_cloudwatch_event_rule" "legacy" {
  name                = "diff-legacy"
  schedule_expression = "cron(0 12 * * ? *)"
  is_enabled          = false
}

resource "aws_cloudwatch_event_target" "spot" {
  rule      = aws_cloudwatch_event_rule.spot.name
  target_id = "interruption"
  arn       = aws_sqs_queue.interruption.arn
  input_transformer {
    input_paths    = { instance = "$.detail.instance-id" }
    input_template = "{\"instance\": <instance>}"
  }
  retry_policy {
    maximum_retry_attempts       = 3
    maximum_event_age_in_seconds = 600
  }
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_target" "fifo" {
  rule  = aws_cloudwatch_event_rule.tick.name
  arn   = aws_sqs_queue.fifo.arn
  input = jsonencode({ tick = true })
  sqs_target {
    message_group_id = "ticks"
  }
}
"#;

/// Differences that stay, by `address.attribute`, with why. None today:
/// generated names (a timestamp upstream, a suffix fixed per instance in
/// iac, so that an interrupted create is found again) have the same shape
/// and are compared without their 26 hex digits; Go's zero values are
/// compared as null (see [`same`]).
const ACCEPTED: &[(&str, &str)] = &[];

/// A stand-in for ECR Public on 127.0.0.1: GetAuthorizationToken answered as
/// ECR Public answers it.
fn ecr_public() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            // base64("AWS:diff-password"), valid until 2030-01-01.
            let answer = r#"{"authorizationData":{"authorizationToken":"QVdTOmRpZmYtcGFzc3dvcmQ=","expiresAt":1893456000}}"#;
            let response =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len());
            let _ = reader.into_inner().write_all(response.as_bytes());
        }
    });
    url
}

/// The parameters the stack reads, put into a moto.
fn seed(moto: &Moto) {
    for (name, value, type_) in [("/diff/ami", "ami-0123456789abcdef0", "String"), ("/diff/secret", "hunter2", "SecureString")] {
        let endpoint = moto.endpoint();
        let addr = endpoint.trim_start_matches("http://");
        let body = json!({ "Name": name, "Value": value, "Type": type_ }).to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AmazonSSM.PutParameter\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = std::net::TcpStream::connect(addr).expect("moto");
        s.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"), "PutParameter: {response}");
    }
}

fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID".into(), "test".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]
}

/// Runs Terraform in `dir` against `endpoint`; its stdout, or a panic with its output.
fn terraform(dir: &Path, endpoint: &str, args: &[&str], codes: &[i32]) -> String {
    let mut c = Command::new("terraform");
    c.args(args).current_dir(dir).env("TF_CLI_CONFIG_FILE", "/dev/null").env("TF_IN_AUTOMATION", "1").env("CHECKPOINT_DISABLE", "1");
    for (k, v) in aws_env(endpoint) {
        c.env(k, v);
    }
    let out = c.output().expect("terraform is on PATH");
    let code = out.status.code().unwrap_or(-1);
    assert!(codes.contains(&code), "terraform {args:?} exited {code}:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The plugin's plan in `dir`: the attributes it changes, per address.
fn plugin_plan(dir: &Path, endpoint: &str) -> BTreeMap<String, Vec<String>> {
    terraform(dir, endpoint, &["plan", "-input=false", "-no-color", "-out=check.tfplan"], &[0]);
    let plan: Value = serde_json::from_str(&terraform(dir, endpoint, &["show", "-json", "check.tfplan"], &[0])).unwrap();
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"]["actions"] != json!(["no-op"]) && c["change"]["actions"] != json!(["read"]))
        .map(|c| {
            let (before, after) = (&c["change"]["before"], &c["change"]["after"]);
            let address = c["address"].as_str().unwrap_or_default().to_string();
            let changed = after
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| before.get(k.as_str()) != Some(v))
                .map(|(k, v)| {
                    // Shown with a failure: what the plugin wants, not just where.
                    eprintln!("the plugin plans {address}.{k}: {} -> {v}", before.get(k.as_str()).unwrap_or(&Value::Null));
                    k.clone()
                })
                .collect();
            (address, changed)
        })
        .collect()
}

/// Strings that differ between two clouds by nature, made comparable:
/// ARNs and URLs of generated objects, key ids, timestamps, EC2 and IAM
/// ids, addresses handed out (not CIDR blocks), and the unique suffixes of
/// generated names (inside documents too).
fn scrub(v: &Value) -> Value {
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let suffix = regex::Regex::new(r"(terraform-|diff-|diff-tick-|/diff/prefixed-|alias/diff-)[0-9a-f]{26}").unwrap();
    let port = regex::Regex::new(r"http://127\.0\.0\.1:\d+/").unwrap();
    let time = regex::Regex::new(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d").unwrap();
    // Go's `time.Time.String()` drops a fraction's trailing zeros, so its
    // length says nothing.
    let go_fraction = regex::Regex::new(r"(:\d\d)\.\d+ ").unwrap();
    let digit = regex::Regex::new(r"\d").unwrap();
    // EC2's resource ids, IAM's unique ids, and addresses a cloud hands out.
    let ec2_id =
        regex::Regex::new(r"\b(vpc-cidr-assoc|vpc|subnet|igw|rtb|rtbassoc|eipalloc|eipassoc|nat|sg|sgr|lt|vpce|eni|acl|dopt|pl|i|ami)-[0-9a-f]{8,17}\b")
            .unwrap();
    // Ids both make from other ids: a route's (r-TABLE + a hash), a legacy rule's (a hash).
    let derived = regex::Regex::new(r"\b(r-rtb|sgrule)-[0-9a-f]+\b").unwrap();
    let iam_id = regex::Regex::new(r"\b(AROA|ANPA|AIPA|AIDA)[A-Z0-9]{13,21}\b").unwrap();
    let ip = regex::Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(/\d+)?").unwrap();
    let dashed_ip = regex::Regex::new(r"\b(ec2|ip)-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\b").unwrap();
    // An EKS cluster's id (in its endpoint and OIDC issuer) and a Pod
    // Identity association's.
    let eks_id = regex::Regex::new(r"\b([0-9A-F]{32}|a-[0-9a-f]{17})\b").unwrap();
    fn go(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
        match v {
            Value::String(s) => Value::String(f(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| go(x, f)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), go(x, f))).collect()),
            other => other.clone(),
        }
    }
    go(v, &|s: &str| {
        // JSON documents (policies) compare as JSON, as both providers compare them.
        if s.starts_with('{') {
            if let Ok(doc @ Value::Object(_)) = serde_json::from_str::<Value>(s) {
                fn sorted(v: &Value) -> Value {
                    match v {
                        Value::Object(m) => {
                            let keys: BTreeMap<&String, &Value> = m.iter().collect();
                            Value::Object(keys.into_iter().map(|(k, x)| (k.clone(), sorted(x))).collect())
                        }
                        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
                        other => other.clone(),
                    }
                }
                // Scrubbed inside too: a policy names generated buckets.
                return sorted(&scrub(&doc)).to_string();
            }
        }
        // Times compare by their form (upstream writes most in RFC 3339 with
        // whole seconds, a few as Go prints a time).
        if time.is_match(s) && !s.starts_with("2030-") {
            return digit.replace_all(&go_fraction.replace(s, "$1 "), "0").into_owned();
        }
        let s = port.replace_all(s, "http://127.0.0.1:<port>/");
        let s = uuid.replace_all(&s, "<uuid>");
        let s = ec2_id.replace_all(&s, "${1}-<id>");
        let s = derived.replace_all(&s, "${1}-<id>");
        let s = iam_id.replace_all(&s, "${1}<id>");
        // A CIDR block is configuration; a lone address is the cloud's (but
        // the services' own, 127.0.0.1).
        let s = ip.replace_all(&s, |c: &regex::Captures| if c.get(1).is_some() || &c[0] == "127.0.0.1" { c[0].to_string() } else { "<ip>".to_string() });
        let s = dashed_ip.replace_all(&s, "${1}-<ip>");
        let s = eks_id.replace_all(&s, "<eks-id>");
        suffix.replace_all(&s, "${1}<suffix>").into_owned()
    })
}

/// Attributes per address (managed and data), scrubbed.
fn comparable(resources: impl Iterator<Item = (String, Value)>) -> BTreeMap<String, BTreeMap<String, Value>> {
    resources.map(|(addr, attrs)| (addr, attrs.as_object().expect("attributes").iter().map(|(k, v)| (k.clone(), scrub(v))).collect())).collect()
}

/// The legacy plugin SDK writes a Go zero value ("" for a string, [] for a
/// list, false, 0), also inside blocks, where an optional attribute has
/// none; iac writes null. Each plans
/// nothing against the other (checked below by moving state both ways).
fn same(ours: Option<&Value>, theirs: Option<&Value>) -> bool {
    fn zeroless(v: &Value) -> Value {
        match v {
            Value::String(s) if s.is_empty() => Value::Null,
            Value::Bool(false) => Value::Null,
            Value::Number(n) if n.as_f64() == Some(0.0) => Value::Null,
            Value::Array(a) if a.is_empty() => Value::Null,
            Value::Array(a) => Value::Array(a.iter().map(zeroless).collect()),
            // An attribute null or left out of a nested block are the same, as at the top.
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), zeroless(x))).filter(|(_, x)| !x.is_null()).collect()),
            other => other.clone(),
        }
    }
    ours.map(zeroless).unwrap_or(Value::Null) == theirs.map(zeroless).unwrap_or(Value::Null)
}

/// Attributes that differ between two clouds by nature and hold no shape
/// worth comparing: IAM's random ids, and a subnet's free addresses, which
/// count what each tool happened to create in it before it read them (the
/// order of parallel creates differs from run to run).
const NATURAL: &[&str] = &["unique_id", "policy_id", "available_ip_address_count"];

/// One stack through both sides, each against its own moto (seeded by
/// `seed`; with the EKS layer in front when `eks`): the same state
/// attributes but for the `accepted` differences, and state moving both
/// ways with the plans the plugin makes for its own state
/// (`plugin_changes`: the addresses it plans to change there).
fn compare(name: &str, text: &str, eks: bool, accepted: &[(&str, &str)], plugin_changes: &[&str], moto_on_ours: &[(&str, &str)], seed: &dyn Fn(&Moto)) {
    let mirror = iac_testkit::tools::terraform_mirror();
    let (ours_cloud, theirs_cloud) = (Cloud::start(eks), Cloud::start(eks));
    seed(&ours_cloud.moto);
    seed(&theirs_cloud.moto);
    let (ours_endpoint, theirs_endpoint) = (ours_cloud.endpoint(), theirs_cloud.endpoint());
    let (ours_url, theirs_url) = (ours_endpoint.as_str(), theirs_endpoint.as_str());

    // iac, native.
    let mut ours = Stack::files(name, &[("main.tf", text)]);
    ours.env.extend(aws_env(ours_url));
    let init = ours.run(&["init"]);
    init.ok();
    assert!(!init.stdout.contains("plugin registry.terraform.io/hashicorp/aws"), "the native provider runs:\n{}", init.stdout);
    ours.run(&["apply", "-auto-approve"]).ok();
    ours.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    let state = ours.state_json();
    let our_attrs =
        comparable(state["resources"].as_object().expect("resources").iter().map(|(a, r)| (a.clone(), r["attributes"].clone())).filter(|(a, _)| !a.is_empty()));

    // Terraform with the plugin, in a stack directory iac can migrate later.
    let mut theirs = Stack::files(&format!("{name}-tf"), &[("main.tf", text)]);
    theirs.env.extend(aws_env(theirs_url));
    terraform(&theirs.dir, theirs_url, &["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())], &[0]);
    terraform(&theirs.dir, theirs_url, &["apply", "-auto-approve", "-input=false", "-no-color"], &[0]);
    let shown: Value = serde_json::from_str(&terraform(&theirs.dir, theirs_url, &["show", "-json"], &[0])).unwrap();
    // What the plugin plans for its own state (before iac takes it over).
    let on_theirs = plugin_plan(&theirs.dir, theirs_url);
    let their_attrs = comparable(
        shown["values"]["root_module"]["resources"].as_array().unwrap().iter().map(|r| (r["address"].as_str().unwrap().to_string(), r["values"].clone())),
    );

    assert_eq!(our_attrs.keys().collect::<Vec<_>>(), their_attrs.keys().collect::<Vec<_>>(), "the same objects");
    let mut differences = BTreeSet::new();
    for (addr, t) in &their_attrs {
        let o = &our_attrs[addr];
        for key in o.keys().chain(t.keys()).filter(|k| !NATURAL.contains(&k.as_str())).collect::<BTreeSet<_>>() {
            if !same(o.get(key), t.get(key)) {
                differences.insert(format!("{addr}.{key}: iac {}, terraform {}", o.get(key).unwrap_or(&Value::Null), t.get(key).unwrap_or(&Value::Null)));
            }
        }
    }
    let unexplained: Vec<&String> = differences.iter().filter(|d| !accepted.iter().any(|(at, _)| d.starts_with(&format!("{at}:")))).collect();
    assert!(unexplained.is_empty(), "state attributes differ:\n{}", unexplained.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("\n"));
    let accepted_unseen: Vec<&str> = accepted.iter().map(|(at, _)| *at).filter(|at| !differences.iter().any(|d| d.starts_with(&format!("{at}:")))).collect();
    assert!(accepted_unseen.is_empty(), "listed differences that no longer occur (remove them): {accepted_unseen:?}");

    // Plugin -> native: Terraform's state, migrated, plans no change.
    theirs.run(&["init", "-native=aws", "-migrate-state"]).ok();
    theirs.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Native -> plugin: iac's state in Terraform's format plans what the
    // plugin plans for its own state.
    let pulled = ours.run(&["state", "pull"]);
    pulled.ok();
    let tf = tempfile::tempdir().unwrap();
    std::fs::write(tf.path().join("main.tf"), text).unwrap();
    std::fs::write(tf.path().join("terraform.tfstate"), &pulled.stdout).unwrap();
    terraform(tf.path(), ours_url, &["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())], &[0]);
    let mut on_ours = plugin_plan(tf.path(), ours_url);
    // What the plugin plans on iac's objects only because of how moto
    // answers (`moto_on_ours`, by `address.attribute`, with the behaviour):
    // each must still occur, so that the list cannot outlive its reason.
    for (at, _why) in moto_on_ours {
        let (addr, attr) = at.rsplit_once('.').expect("address.attribute");
        let planned = on_ours.get_mut(addr).filter(|attrs| attrs.iter().any(|a| a == attr));
        let attrs = planned.unwrap_or_else(|| panic!("listed moto behaviour no longer seen (remove it): {at}"));
        attrs.retain(|a| a != attr);
        if attrs.is_empty() {
            on_ours.remove(addr);
        }
    }
    assert_eq!(on_ours, on_theirs, "the plugin plans the same for iac's state as for its own");
    assert_eq!(on_theirs.keys().map(String::as_str).collect::<Vec<_>>(), plugin_changes, "what the plugin plans for its own state: {on_theirs:?}");

    theirs.run(&["destroy", "-auto-approve"]).ok();
    ours.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn native_json_protocol_types_match_the_plugin_and_state_moves_both_ways() {
    let ecr = ecr_public();
    let text = STACK.replace("ECR_PUBLIC_URL", &ecr);
    // Not nothing on the plugin's own state: moto writes a redrive policy
    // with spaces, which the plugin then rewrites on every plan, whoever
    // made the queue; AWS writes it compact.
    compare("aws-services", &text, false, ACCEPTED, &["aws_sqs_queue.interruption"], &[], &seed);
}

/// EC2 networking and IAM (moto's query protocol, the official SDK's
/// clients in iac): the shapes issue 17 fixed among them (inline security
/// group rules, inline routes, name prefixes, `inline_policy`).
const NETWORK_STACK: &str = r##"
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
  ignore_tags {
    key_prefixes = ["iac:"]
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "main" {
  cidr_block           = "10.30.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "diff"
  }
}

resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.30.1.0/24"
  availability_zone       = data.aws_availability_zones.available.names[0]
  map_public_ip_on_launch = true
  tags = {
    tier = "public"
  }
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.30.2.0/24"
  availability_zone = data.aws_availability_zones.available.names[1]
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "private_default" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.a.id
  depends_on    = [aws_internet_gateway.gw]
}

resource "aws_security_group" "inline" {
  name        = "diff-inline"
  description = "inline rules"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.30.0.0/16"]
    description = "https"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "rules" {
  name_prefix = "diff-"
  description = "separate rules"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  security_group_id = aws_security_group.rules.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["10.30.0.0/16"]
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  security_group_id = aws_security_group.rules.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "10.30.0.0/16"
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.rules.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id          = aws_vpc.main.id
  service_name    = "com.amazonaws.us-east-1.s3"
  route_table_ids = [aws_route_table.private.id]
}

# On an object no resource of the stack manages (as upstream advises): the
# VPC's main route table.
resource "aws_ec2_tag" "main_table" {
  resource_id = aws_vpc.main.main_route_table_id
  key         = "kubernetes.io/role/internal-elb"
  value       = "1"
}

resource "aws_launch_template" "nodes" {
  name_prefix   = "diff-"
  instance_type = "t3.large"
  user_data     = base64encode("#!/bin/sh\necho hi\n")
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "diff-node"
    }
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "read" {
  name        = "diff-read"
  description = "read buckets"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]
  })
}

resource "aws_iam_role" "nodes" {
  name_prefix        = "diff-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  inline_policy {
    name = "describe"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "ec2:Describe*", Resource = "*" }]
    })
  }
  tags = {
    role = "nodes"
  }
}

resource "aws_iam_role" "plain" {
  name               = "diff-plain"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.plain.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy" "inline" {
  name = "logs"
  role = aws_iam_role.plain.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }]
  })
}

resource "aws_iam_instance_profile" "nodes" {
  name = "diff-nodes"
  role = aws_iam_role.nodes.name
}

resource "aws_iam_openid_connect_provider" "oidc" {
  url             = "https://oidc.example.com/id/0123456789"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
}

data "aws_vpc" "main" {
  id = aws_vpc.main.id
}

data "aws_subnet" "a" {
  id = aws_subnet.a.id
}

data "aws_subnets" "main" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.main.id]
  }
  depends_on = [aws_subnet.a, aws_subnet.b]
}

data "aws_iam_role" "plain" {
  name = aws_iam_role.plain.id
}
"##;

/// S3 (moto's REST-XML protocol; path-style addressing, as a local
/// endpoint needs).
const S3_STACK: &str = r##"
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
  s3_use_path_style           = true
  ignore_tags {
    key_prefixes = ["iac:"]
  }
}

resource "aws_s3_bucket" "logs" {
  bucket_prefix = "diff-"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {
      prefix = "tmp/"
    }
    expiration {
      days = 7
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    # An Allow: moto enforces bucket policies, and a Deny of plain HTTP
    # (the usual one) would refuse the stack's own requests to it.
    Statement = [{
      Sid       = "ReadOverTls"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = ["s3:GetObject", "s3:ListBucket"]
      Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "true" } }
    }]
  })
}

resource "aws_s3_object" "config" {
  bucket       = aws_s3_bucket.logs.id
  key          = "config/app.json"
  content      = jsonencode({ a = 1 })
  content_type = "application/json"
  depends_on   = [aws_s3_bucket_versioning.logs]
}

"##;

/// Differences of [`S3_STACK`] that stay, by `address.attribute`, with why.
/// None: the bucket's deprecated `grant` and `versioning` views are read
/// as upstream reads them.
const S3_ACCEPTED: &[(&str, &str)] = &[];

#[test]
fn native_s3_types_match_the_plugin_and_state_moves_both_ways() {
    compare("aws-s3", S3_STACK, false, S3_ACCEPTED, &[], &[], &|_| {});
}

/// Differences of [`NETWORK_STACK`] that stay, by `address.attribute`, with why.
const NETWORK_ACCEPTED: &[(&str, &str)] = &[
    (
        "aws_iam_role_policy_attachment.read.id",
        "upstream's id is a generated unique name (ROLE-timestamp) no API reads; iac's is ROLE/POLICY_ARN, the import id both accept",
    ),
    (
        "aws_launch_template.nodes.arn",
        "upstream builds the ARN from the provider's account id, which skip_requesting_account_id leaves empty here; iac from the owner EC2 reports",
    ),
    (
        "aws_vpc_endpoint.s3.private_dns_enabled",
        "moto answers iac's CreateVpcEndpoint for a Gateway endpoint with PrivateDnsEnabled true and the plugin's with false (AWS ignores the flag for gateways); optional and computed, so neither plans a change",
    ),
    ("data.aws_vpc.main.state", "iac reports the VPC's state; upstream's data source only echoes the filter argument (null when not given)"),
];

/// What the plugin plans on iac's objects of [`NETWORK_STACK`] because of
/// moto, by `address.attribute`, with the behaviour.
const NETWORK_MOTO_ON_OURS: &[(&str, &str)] = &[(
    "aws_launch_template.nodes.tag_specifications",
    "moto 5.2 reports CreateLaunchTemplate's own TagSpecifications (the template's tags; iac always sends its ownership tag there) inside the version's LaunchTemplateData.TagSpecifications, where AWS keeps only the instances' and volumes'; the plugin, which sends none for an untagged template, then reads an element its configuration lacks",
)];

#[test]
fn native_ec2_and_iam_types_match_the_plugin_and_state_moves_both_ways() {
    compare("aws-network", NETWORK_STACK, false, NETWORK_ACCEPTED, &[], NETWORK_MOTO_ON_OURS, &|_| {});
}

/// EKS (its REST-JSON API, served by the EKS layer in front of each moto):
/// a cluster with the arguments real platforms set (logs, envelope
/// encryption, access entries, a service CIDR), node groups (one named,
/// one with a name prefix and a launch template), add-ons, access entries
/// with cluster and namespace access policies, a Pod Identity association,
/// the cluster's OIDC provider, and the EKS data sources.
const EKS_STACK: &str = r##"
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
  ignore_tags {
    key_prefixes = ["iac:"]
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.2.0/24"
  availability_zone = data.aws_availability_zones.available.names[1]
}

resource "aws_security_group" "cluster" {
  name        = "diff-eks-cluster"
  description = "extra control-plane rules"
  vpc_id      = aws_vpc.main.id
}

data "aws_iam_policy_document" "assume" {
  for_each = {
    cluster = ["sts:AssumeRole"]
    nodes   = ["sts:AssumeRole"]
    pods    = ["sts:AssumeRole", "sts:TagSession"]
    admin   = ["sts:AssumeRole"]
  }
  statement {
    actions = each.value
    principals {
      type        = "Service"
      identifiers = [each.key == "nodes" ? "ec2.amazonaws.com" : each.key == "pods" ? "pods.eks.amazonaws.com" : "eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "eks" {
  for_each           = data.aws_iam_policy_document.assume
  name               = "diff-eks-${each.key}"
  assume_role_policy = each.value.json
}

resource "aws_kms_key" "eks" {
  description = "EKS secrets"
}

resource "aws_eks_cluster" "main" {
  name                      = "diff"
  role_arn                  = aws_iam_role.eks["cluster"].arn
  version                   = "1.31"
  enabled_cluster_log_types = ["api", "audit", "authenticator"]
  vpc_config {
    subnet_ids              = [aws_subnet.a.id, aws_subnet.b.id]
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    public_access_cidrs     = ["203.0.113.0/24"]
  }
  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = true
  }
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks.arn
    }
  }
  kubernetes_network_config {
    service_ipv4_cidr = "172.21.0.0/16"
  }
  tags = {
    team = "platform"
  }
}

resource "aws_eks_cluster" "plain" {
  name     = "diff-plain"
  role_arn = aws_iam_role.eks["cluster"].arn
  vpc_config {
    subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
  }
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.eks["nodes"].arn
  subnet_ids      = [aws_subnet.a.id, aws_subnet.b.id]
  instance_types  = ["t3.large"]
  capacity_type   = "ON_DEMAND"
  disk_size       = 50
  labels = {
    role = "general"
  }
  scaling_config {
    desired_size = 2
    max_size     = 3
    min_size     = 1
  }
  update_config {
    max_unavailable = 1
  }
  taint {
    key    = "dedicated"
    value  = "general"
    effect = "NO_SCHEDULE"
  }
  tags = {
    pool = "general"
  }
}

resource "aws_launch_template" "nodes" {
  name          = "diff-eks-nodes"
  instance_type = "m6i.large"
}

resource "aws_eks_node_group" "templated" {
  cluster_name           = aws_eks_cluster.main.name
  node_group_name_prefix = "diff-"
  node_role_arn          = aws_iam_role.eks["nodes"].arn
  subnet_ids             = [aws_subnet.a.id]
  scaling_config {
    desired_size = 1
    max_size     = 2
    min_size     = 0
  }
  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }
}

data "aws_eks_addon_version" "coredns" {
  addon_name         = "coredns"
  kubernetes_version = aws_eks_cluster.main.version
  most_recent        = true
}

resource "aws_eks_addon" "coredns" {
  cluster_name                = aws_eks_cluster.main.name
  addon_name                  = "coredns"
  addon_version               = data.aws_eks_addon_version.coredns.version
  resolve_conflicts_on_create = "OVERWRITE"
  configuration_values        = jsonencode({ replicaCount = 3 })
  tags = {
    addon = "coredns"
  }
}

resource "aws_eks_addon" "pod_identity" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "eks-pod-identity-agent"
}

resource "aws_eks_access_entry" "admin" {
  cluster_name      = aws_eks_cluster.main.name
  principal_arn     = aws_iam_role.eks["admin"].arn
  kubernetes_groups = ["platform-admins"]
  tags = {
    who = "admins"
  }
}

resource "aws_eks_access_policy_association" "admin" {
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = aws_eks_access_entry.admin.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
}

resource "aws_eks_access_policy_association" "view" {
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = aws_eks_access_entry.admin.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
  access_scope {
    type       = "namespace"
    namespaces = ["apps", "monitoring"]
  }
}

resource "aws_eks_pod_identity_association" "app" {
  cluster_name    = aws_eks_cluster.main.name
  namespace       = "apps"
  service_account = "app"
  role_arn        = aws_iam_role.eks["pods"].arn
  tags = {
    app = "app"
  }
  depends_on = [aws_eks_addon.pod_identity]
}

resource "aws_iam_openid_connect_provider" "cluster" {
  url             = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
}

# By the cluster's id, known only once it exists: Terraform defers reading a
# data source that refers to a resource with changes pending, where iac's
# engine reads it while planning whenever its arguments are known (the
# name is), before the cluster exists.
data "aws_eks_cluster" "main" {
  name = aws_eks_cluster.main.id
}

data "aws_eks_cluster_versions" "standard" {
  version_status = "STANDARD_SUPPORT"
}
"##;

/// Differences of [`EKS_STACK`] that stay, by `address.attribute`, with why.
const EKS_ACCEPTED: &[(&str, &str)] = &[(
    "aws_launch_template.nodes.arn",
    "upstream builds the ARN from the provider's account id, which skip_requesting_account_id leaves empty here; iac from the owner EC2 reports",
)];

/// What the plugin plans on iac's objects of [`EKS_STACK`] because of moto,
/// by `address.attribute`, with the behaviour.
const EKS_MOTO_ON_OURS: &[(&str, &str)] = &[
    ("aws_launch_template.nodes.tag_specifications", "moto 5.2 puts the template's own tags into its data, as in NETWORK_MOTO_ON_OURS"),
    (
        "aws_eks_node_group.templated.launch_template",
        "follows from the template's planned update: the plugin cannot know the template's next version while planning",
    ),
];

#[test]
fn native_eks_types_match_the_plugin_and_state_moves_both_ways() {
    compare("aws-eks", EKS_STACK, true, EKS_ACCEPTED, &[], EKS_MOTO_ON_OURS, &|_| {});
}
