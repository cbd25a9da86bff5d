//! The types on AWS's JSON-protocol services (CloudWatch Logs, SQS,
//! EventBridge, KMS, SSM, ECR Public) pass the provider conformance suite:
//! against moto for everything moto implements (exact plans for a create
//! and an in-place edit of every type, read-back equal to what was
//! written, import by id, deletion found by refresh, destroy). moto has no
//! ECR Public, so `aws_ecrpublic_authorization_token` is read from a small
//! local endpoint this test starts, which checks the request is the signed
//! JSON-protocol call (target, content type, SigV4 scope for `ecr-public`)
//! and answers as ECR Public does.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::*;
use iac_core::plan::Action::{self, Create, Update};
use iac_testkit::conformance::provider::{run, Case, Step};

/// Every object of the case, created in step 1 and changed in place in step 2
/// (all but the second key, which only the alias's edit points at).
const ADDRS: &[&str] = &[
    "aws_cloudwatch_log_group.app",
    "aws_sqs_queue.events",
    "aws_sqs_queue.dlq",
    "aws_sqs_queue_policy.events",
    "aws_cloudwatch_event_rule.spot",
    "aws_cloudwatch_event_rule.tick",
    "aws_cloudwatch_event_target.spot",
    "aws_kms_key.secrets",
    "aws_kms_key.other",
    "aws_kms_alias.secrets",
];

fn services(edited: bool, ecr_endpoint: &str, policy_queue: &str) -> String {
    let (retention, env, visibility, action, state, detail, attempts, description, rotation, alias_key) = if edited {
        (
            14,
            "prod",
            60,
            r#"["sqs:SendMessage", "sqs:GetQueueUrl"]"#,
            "DISABLED",
            "EC2 Instance Rebalance Recommendation",
            5,
            "secrets, rotated",
            "true",
            "other",
        )
    } else {
        (7, "test", 30, r#""sqs:SendMessage""#, "ENABLED", "EC2 Spot Instance Interruption Warning", 3, "secrets", "false", "secrets")
    };
    let provider = PROVIDER.replacen("provider \"aws\" {\n", &format!("provider \"aws\" {{\n  endpoints {{\n    ecrpublic = \"{ecr_endpoint}\"\n  }}\n"), 1);
    format!(
        r#"{provider}
data "aws_ssm_parameter" "ami" {{
  name = "/conformance/ami"
}}

data "aws_ssm_parameter" "secret" {{
  name = "/conformance/secret"
}}

data "aws_ecrpublic_authorization_token" "token" {{}}

resource "aws_cloudwatch_log_group" "app" {{
  name              = "/conformance/app"
  retention_in_days = {retention}
  tags = {{
    env        = "{env}"
    ami        = data.aws_ssm_parameter.ami.insecure_value
    registry   = data.aws_ecrpublic_authorization_token.token.user_name
  }}
}}

resource "aws_sqs_queue" "dlq" {{
  name_prefix = "conformance-dlq-"
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_sqs_queue" "events" {{
  name                       = "conformance-events"
  visibility_timeout_seconds = {visibility}
  message_retention_seconds  = 300
  sqs_managed_sse_enabled    = true
  redrive_policy             = jsonencode({{ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = {attempts} }})
}}

# On a queue made outside the stack: a managed queue would report the
# policy another resource set on it as drift after the first apply (as
# upstream's does), which the suite rightly refuses.
resource "aws_sqs_queue_policy" "events" {{
  queue_url = "{policy_queue}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = ["events.amazonaws.com", "sqs.amazonaws.com"] }}
      Action    = {action}
      Resource  = "arn:aws:sqs:us-east-1:123456789012:conformance-policy-target"
    }}]
  }})
}}

resource "aws_cloudwatch_event_rule" "spot" {{
  name          = "conformance-spot"
  description   = "{description}"
  state         = "{state}"
  event_pattern = jsonencode({{ source = ["aws.ec2"], "detail-type" = ["{detail}"] }})
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_cloudwatch_event_rule" "tick" {{
  name_prefix         = "conformance-tick-"
  schedule_expression = "rate({attempts} minutes)"
}}

resource "aws_cloudwatch_event_target" "spot" {{
  rule      = aws_cloudwatch_event_rule.spot.name
  target_id = "queue"
  arn       = aws_sqs_queue.events.arn
  retry_policy {{
    maximum_retry_attempts       = {attempts}
    maximum_event_age_in_seconds = 3600
  }}
}}

resource "aws_kms_key" "secrets" {{
  description         = "{description}"
  enable_key_rotation = {rotation}
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_kms_key" "other" {{
  description = "the alias's other key"
}}

resource "aws_kms_alias" "secrets" {{
  name          = "alias/conformance"
  target_key_id = aws_kms_key.{alias_key}.key_id
}}
"#
    )
}

/// One JSON-protocol call to moto, unsigned (moto checks no signatures); its answer.
fn moto_call(endpoint: &str, target: &str, service: &str, body: &serde_json::Value) -> serde_json::Value {
    let addr = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    let version = if service == "sqs" { "1.0" } else { "1.1" };
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-{version}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = std::net::TcpStream::connect(addr).expect("moto");
    s.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"), "{target}: {response}");
    let answer = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(answer).unwrap_or(serde_json::Value::Null)
}

/// Parameters the data sources read, and the queue the policy resource is put on.
fn seed(endpoint: &str) -> String {
    moto_call(endpoint, "AmazonSSM.PutParameter", "ssm", &serde_json::json!({"Name": "/conformance/ami", "Value": "ami-0123456789abcdef0", "Type": "String"}));
    moto_call(endpoint, "AmazonSSM.PutParameter", "ssm", &serde_json::json!({"Name": "/conformance/secret", "Value": "hunter2", "Type": "SecureString"}));
    let q = moto_call(endpoint, "AmazonSQS.CreateQueue", "sqs", &serde_json::json!({"QueueName": "conformance-policy-target"}));
    q["QueueUrl"].as_str().expect("a queue URL").to_string()
}

/// The headers of the requests an ECR Public stand-in received.
type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// A stand-in for ECR Public on 127.0.0.1: answers GetAuthorizationToken
/// with a token for AWS:<password>, recording each request's headers.
fn ecr_public() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                }
            }
            let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            record.lock().unwrap().push(headers);
            // base64("AWS:conformance-password"), valid until 2030-01-01.
            let answer = r#"{"authorizationData":{"authorizationToken":"QVdTOmNvbmZvcm1hbmNlLXBhc3N3b3Jk","expiresAt":1893456000}}"#;
            let response =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len());
            let _ = reader.into_inner().write_all(response.as_bytes());
        }
    });
    (url, seen)
}

#[test]
fn json_protocol_services_conform() {
    let moto = iac_testkit::services::Moto::start();
    let endpoint = moto.endpoint();
    let policy_queue = seed(&endpoint);
    let (ecr, seen) = ecr_public();
    let edited: Vec<(&str, Action)> = ADDRS.iter().filter(|a| !a.ends_with(".other")).map(|a| (*a, Update)).collect();
    let creates: Vec<(&str, Action)> = ADDRS.iter().map(|a| (*a, Create)).collect();
    let steps = vec![Step::new(services(false, &ecr, &policy_queue), &creates), Step::new(services(true, &ecr, &policy_queue), &edited)];
    let mut imports: Vec<(String, String)> = ADDRS.iter().filter(|a| !a.contains("event_target")).map(|a| (a.to_string(), "id".to_string())).collect();
    imports.push(("aws_cloudwatch_event_target.spot".into(), "{rule}/{target_id}".into()));
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let case = Case { name: "aws json-protocol services".into(), steps, imports, parallelism: 4, remote_objects: true };
        let env = env(tmp.path(), &endpoint);
        run(&case, &stack, &env).await;
    });
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "the token was read from the ECR Public endpoint");
    for headers in seen.iter() {
        let h = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
        assert_eq!(h("x-amz-target"), "SpencerFrontendService.GetAuthorizationToken");
        assert_eq!(h("content-type"), "application/x-amz-json-1.1");
        let auth = h("authorization");
        assert!(auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")) && auth.contains("/us-east-1/ecr-public/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target"), "{auth}");
        assert!(!h("x-amz-date").is_empty());
    }
}

/// What the data sources report, and that a SecureString's value stays out
/// of `insecure_value`.
#[test]
fn data_sources_report_upstream_s_attributes() {
    let moto = iac_testkit::services::Moto::start();
    let endpoint = moto.endpoint();
    let policy_queue = seed(&endpoint);
    let (ecr, _seen) = ecr_public();
    let text = format!(
        "{}\noutput \"ami\" {{\n  value = [data.aws_ssm_parameter.ami.type, data.aws_ssm_parameter.ami.insecure_value, data.aws_ssm_parameter.ami.version, data.aws_ssm_parameter.ami.arn]\n}}\noutput \"secret\" {{\n  value     = [data.aws_ssm_parameter.secret.type, data.aws_ssm_parameter.secret.insecure_value, data.aws_ssm_parameter.secret.value, data.aws_ssm_parameter.secret.with_decryption]\n  sensitive = true\n}}\noutput \"token\" {{\n  value     = [data.aws_ecrpublic_authorization_token.token.user_name, data.aws_ecrpublic_authorization_token.token.password, data.aws_ecrpublic_authorization_token.token.expires_at, data.aws_ecrpublic_authorization_token.token.id]\n  sensitive = true\n}}\n",
        services(false, &ecr, &policy_queue)
    );
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let stack = write_stack(tmp.path(), &text);
        let env = env(tmp.path(), &endpoint);
        let p = plan(&stack, &env).await;
        apply(&stack, &env, p).await;
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let out = |n: &str| state.outputs[n].value.to_json();
        assert_eq!(out("ami"), serde_json::json!(["String", "ami-0123456789abcdef0", 1, "arn:aws:ssm:us-east-1:123456789012:parameter/conformance/ami"]));
        assert_eq!(out("secret"), serde_json::json!(["SecureString", "", "hunter2", true]));
        assert_eq!(out("token"), serde_json::json!(["AWS", "conformance-password", "2030-01-01T00:00:00Z", "us-east-1"]));
        destroy(&stack, &env).await;
    });
}
