//! Telemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, `iac` exports its spans
//! over OTLP/HTTP (protobuf) to the test kit's receiver: one root span per
//! command, the engine's phases (load, graph, plan / refresh, apply) as its
//! children, a span per resource operation (address, action, provider)
//! under its phase, all in one trace, and no secret in any attribute.

use crate::support;

use iac_testkit::otlp::{OtlpReceiver, Span};
use support::*;

const SECRET: &str = "hunter2-s3cr3t";

const STACK: &str = r#"
variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2-s3cr3t"
}

resource "terraform_data" "db" {
  input = { password = var.password }
}

resource "local_file" "config" {
  filename          = "${path.module}/out/config.txt"
  sensitive_content = var.password
}
"#;

fn spans_of(stack: &Stack, args: &[&str]) -> Vec<Span> {
    let receiver = OtlpReceiver::start();
    let out = stack.run_env(args, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint())]);
    assert!(out.code == 0 || out.code == 2, "iac {args:?} failed:\n{}{}", out.stdout, out.stderr);
    // The exporter flushes before the process exits, so everything has arrived.
    receiver.spans()
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "expected one {name:?} span, got {}: {:?}", found.len(), spans.iter().map(|s| &s.name).collect::<Vec<_>>());
    found[0]
}

fn check_common(spans: &[Span], command: &str) -> Span {
    let root = one(spans, &format!("iac {command}")).clone();
    assert!(root.is_root(), "the command's span is the root");
    assert_eq!(root.service, "iac");
    for s in spans {
        assert_eq!(s.trace_id, root.trace_id, "{} is in another trace", s.name);
        for (k, v) in &s.attributes {
            assert!(!v.contains(SECRET), "span {} attribute {k} holds the secret: {v}", s.name);
        }
        if !s.is_root() {
            assert!(spans.iter().any(|p| p.span_id == s.parent_span_id), "the parent of {} was not exported", s.name);
        }
    }
    for phase in ["load", "graph"] {
        assert_eq!(one(spans, phase).parent_span_id, root.span_id, "{phase} is a child of the root");
    }
    root
}

fn resource_spans<'a>(spans: &'a [Span], name: &str, parent: &Span) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut v: Vec<(&str, &str, &str)> = spans
        .iter()
        .filter(|s| s.name == name)
        .inspect(|s| assert_eq!(s.parent_span_id, parent.span_id, "{name} {:?} is not a child of {}", s.attr("address"), parent.name))
        .map(|s| (s.attr("address").unwrap_or("?"), s.attr("action").unwrap_or("?"), s.attr("provider").unwrap_or("?")))
        .collect();
    v.sort();
    v
}

#[test]
fn plan_apply_and_drift_are_traced() {
    let stack = Stack::files("traced", &[("main.tf", STACK)]);

    let spans = spans_of(&stack, &["plan"]);
    let root = check_common(&spans, "plan");
    let plan = one(&spans, "plan");
    assert_eq!(plan.parent_span_id, root.span_id);
    assert_eq!(resource_spans(&spans, "resource.plan", plan), vec![("local_file.config", "plan", "local"), ("terraform_data.db", "plan", "terraform")]);

    let spans = spans_of(&stack, &["apply", "-auto-approve"]);
    let root = check_common(&spans, "apply");
    let apply = one(&spans, "apply");
    assert_eq!(apply.parent_span_id, root.span_id);
    assert_eq!(resource_spans(&spans, "resource.apply", apply), vec![("local_file.config", "create", "local"), ("terraform_data.db", "create", "terraform")]);

    // Drift is the refresh phase alone; each refresh is a child of its resource's span.
    let spans = spans_of(&stack, &["drift"]);
    let root = check_common(&spans, "drift");
    let refresh = one(&spans, "refresh");
    assert_eq!(refresh.parent_span_id, root.span_id);
    let per_resource: Vec<&Span> = spans.iter().filter(|s| s.name == "resource.refresh").collect();
    assert_eq!(per_resource.len(), 2, "{:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
    for r in per_resource {
        let parent = spans.iter().find(|p| p.span_id == r.parent_span_id).expect("parent");
        assert_eq!((parent.name.as_str(), parent.attr("address")), ("resource.plan", r.attr("address")));
        assert_eq!(parent.parent_span_id, refresh.span_id);
        assert_eq!(r.attr("action"), Some("read"));
    }

    // Deletes run in their own walk after the others, still under the apply phase.
    let spans = spans_of(&stack, &["destroy", "-auto-approve"]);
    check_common(&spans, "destroy");
    let apply = one(&spans, "apply");
    assert_eq!(resource_spans(&spans, "resource.apply", apply), vec![("local_file.config", "delete", "local"), ("terraform_data.db", "delete", "terraform")]);
}

#[test]
fn a_collector_that_is_down_does_not_fail_the_command() {
    let stack = Stack::files("quiet", &[("main.tf", "resource \"terraform_data\" \"a\" {}\n")]);
    let out = stack.run_env(&["plan"], &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")]);
    out.ok();
    assert!(out.stdout.contains("Plan: 1 to add"), "{}", out.stdout);
}
