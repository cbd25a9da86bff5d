//! Drift reports (`iac drift`) for people (text, Markdown), for programs
//! (JSON) and for monitoring (Prometheus text exposition, which a
//! Pushgateway accepts and Grafana can alert on). Sensitive values are
//! redacted in every form.

use std::collections::BTreeMap;
use std::fmt::Write;

use iac_core::plan::{Action, Drift};
use iac_core::{AttrPath, PathStep, Value};
use serde_json::{json, Value as Json};

use crate::human::{inline, text_diff, Style};
use crate::markdown::{cell, code, escape, fenced};
use iac_engine::ops::DriftReport;

/// One stack's result: its report, or why it could not be checked.
pub struct StackDrift<'a> {
    pub name: &'a str,
    pub result: Result<&'a DriftReport, String>,
}

/// The value at `path`, sensitive when it or anything above it is marked.
fn value_at(v: &Value, path: &AttrPath) -> Value {
    let mut cur = v;
    let mut sensitive = false;
    for step in &path.0 {
        sensitive |= cur.is_sensitive();
        cur = match (step, cur.unmarked()) {
            (PathStep::Attr(k) | PathStep::Key(k), Value::Map(m)) => match m.get(k) {
                Some(x) => x,
                None => return Value::Null,
            },
            (PathStep::Index(i), Value::List(l)) => match l.get(*i) {
                Some(x) => x,
                None => return Value::Null,
            },
            _ => return Value::Null,
        };
    }
    if sensitive && !cur.is_sensitive() {
        Value::Sensitive(Box::new(cur.clone()))
    } else {
        cur.clone()
    }
}

fn attr_changes(d: &Drift) -> Vec<(&AttrPath, Value, Value)> {
    d.paths.iter().map(|p| (p, value_at(&d.before, p), value_at(&d.after, p))).collect()
}

/// Most characters of a value shown in a Markdown report (the text and
/// JSON reports show it whole).
const MARKDOWN_VALUE_CHARS: usize = 80;

/// One value on one Markdown line: compact JSON in a code span, cut to
/// [`MARKDOWN_VALUE_CHARS`]; a sensitive one never shown.
fn markdown_value(v: &Value) -> String {
    if v.contains_sensitive() {
        return "(sensitive value)".into();
    }
    let text = crate::json::redact(v).to_string();
    let shown: String = text.chars().take(MARKDOWN_VALUE_CHARS).collect();
    code(&if shown.len() < text.len() { format!("{shown}…") } else { shown })
}

/// Each changed attribute of a drifted object, with its value before and
/// after, for Markdown (`iac drift -format markdown` and the plan comment).
pub(crate) fn markdown_changes(d: &Drift) -> Vec<String> {
    attr_changes(d).into_iter().map(|(p, b, a)| format!("{}: {} → {}", code(&p.to_string()), markdown_value(&b), markdown_value(&a))).collect()
}

pub fn text(stacks: &[StackDrift<'_>]) -> String {
    let mut out = String::new();
    for s in stacks {
        match &s.result {
            Err(e) => {
                let _ = writeln!(out, "{}: the drift check failed: {e}", s.name);
            }
            Ok(r) if r.drift.is_empty() && r.unmanaged.is_empty() => {
                let _ = writeln!(out, "{}: no drift", s.name);
            }
            Ok(r) => {
                let _ = writeln!(out, "{}: {} object(s) changed outside iac", s.name, r.drift.len());
                for d in &r.drift {
                    if d.action == Action::Delete {
                        let _ = writeln!(out, "  - {} has been deleted", d.addr);
                        continue;
                    }
                    let _ = writeln!(out, "  ~ {} has changed", d.addr);
                    for (p, before, after) in attr_changes(d) {
                        // A document (a manifest's YAML, a policy's JSON) as a line
                        // diff, not two copies; never for sensitive values, which
                        // are wrapped and so are not plain strings here.
                        let diff = match (&before, &after) {
                            (Value::String(b), Value::String(a)) => text_diff(b, a, 8, Style { color: false }),
                            _ => None,
                        };
                        match diff {
                            Some(lines) => {
                                let _ = writeln!(out, "      {p}:");
                                out.push_str(&lines);
                            }
                            None => {
                                let _ = writeln!(out, "      {p}: {} -> {}", inline(&before, 6), inline(&after, 6));
                            }
                        }
                    }
                }
                if !r.unmanaged.is_empty() {
                    let _ = writeln!(out, "  {} unmanaged object(s) no state knows about:", r.unmanaged.len());
                    for u in &r.unmanaged {
                        let _ = writeln!(out, "  ? {} {} ({})", u.type_, u.id, u.name);
                    }
                }
            }
        }
    }
    out
}

pub fn markdown(stacks: &[StackDrift<'_>]) -> String {
    let drifted = stacks.iter().filter(|s| s.result.as_ref().is_ok_and(|r| r.has_drift())).count();
    let failed = stacks.iter().filter(|s| s.result.is_err()).count();
    let mut out = format!("## iac drift: {drifted} of {} stack(s) drifted", stacks.len());
    if failed > 0 {
        let _ = write!(out, ", {failed} could not be checked");
    }
    out.push_str("\n\n");
    if drifted > 0 {
        out.push_str("> [!WARNING]\n> Objects changed outside iac. Apply the stack to restore them, or change the configuration to match.\n\n");
    }
    for s in stacks {
        let _ = writeln!(out, "### {}\n", code(s.name));
        match &s.result {
            Err(e) => {
                let _ = writeln!(out, ":x: The drift check failed:\n\n{}", fenced("text", e));
            }
            Ok(r) if !r.has_drift() => out.push_str("No drift.\n\n"),
            Ok(r) => {
                if !r.drift.is_empty() {
                    out.push_str("| resource | change | attributes |\n| --- | --- | --- |\n");
                    for d in &r.drift {
                        let (change, paths) =
                            if d.action == Action::Delete { ("deleted", String::new()) } else { ("changed", markdown_changes(d).join("<br>")) };
                        let _ = writeln!(out, "| {} | {change} | {} |", cell(&code(&d.addr.to_string())), cell(&paths));
                    }
                    out.push('\n');
                }
                if !r.unmanaged.is_empty() {
                    let _ = writeln!(out, "Unmanaged objects no state knows about ({}):\n", r.unmanaged.len());
                    for u in &r.unmanaged {
                        let _ = writeln!(out, "- {} {} ({})", code(&u.type_), code(&u.id), escape(&u.name));
                    }
                    out.push('\n');
                }
            }
        }
    }
    out
}

pub fn json(stacks: &[StackDrift<'_>]) -> Json {
    let items: Vec<Json> = stacks
        .iter()
        .map(|s| match &s.result {
            Err(e) => json!({"stack": s.name, "error": e}),
            Ok(r) => json!({
                "stack": s.name,
                "drifted": r.has_drift(),
                "checked_at": r.checked_at_unix,
                "duration_seconds": r.duration.as_secs_f64(),
                "resources": r.drift.iter().map(|d| json!({
                    "address": d.addr.to_string(),
                    "type": d.addr.resource.type_,
                    "change": if d.action == Action::Delete { "deleted" } else { "changed" },
                    "attributes": attr_changes(d).into_iter().map(|(p, b, a)| {
                        let sensitive = b.contains_sensitive() || a.contains_sensitive();
                        json!({
                            "path": p.to_string(),
                            "path_steps": p.to_json(),
                            "before": crate::json::redact(&b).to_serde_json(),
                            "after": crate::json::redact(&a).to_serde_json(),
                            "sensitive": sensitive,
                        })
                    }).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "unmanaged": r.unmanaged.iter().map(|u| json!({"type": u.type_, "id": u.id, "name": u.name})).collect::<Vec<_>>(),
            }),
        })
        .collect();
    json!({ "format_version": "1.0", "drifted": stacks.iter().any(|s| s.result.as_ref().is_ok_and(|r| r.has_drift())), "stacks": items })
}

/// Prometheus label values escape backslash, double quote and newline.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition (version 0.0.4): HELP and TYPE once per metric
/// family, then its samples. Every managed resource type gets a sample (0
/// when nothing drifted) so an alert can tell "no drift" from "no data".
pub fn prometheus(stacks: &[StackDrift<'_>]) -> String {
    let mut families: Vec<(&str, &str, Vec<String>)> = vec![
        ("iac_drift_resources", "Resources of a stack whose real objects differ from state, by resource type.", Vec::new()),
        ("iac_drift_detected", "1 when the stack has drifted (changed or unmanaged objects), else 0.", Vec::new()),
        ("iac_drift_unmanaged_resources", "Cloud objects in the provider's scope that no state knows about, by type.", Vec::new()),
        ("iac_drift_check_success", "1 when the drift check of the stack ran to completion, else 0.", Vec::new()),
        ("iac_drift_last_run_timestamp_seconds", "When the drift check of the stack ran (Unix time).", Vec::new()),
        ("iac_drift_check_duration_seconds", "How long the drift check of the stack took.", Vec::new()),
    ];
    for s in stacks {
        let stack = label(s.name);
        match &s.result {
            Err(_) => families[3].2.push(format!("iac_drift_check_success{{stack=\"{stack}\"}} 0")),
            Ok(r) => {
                let mut by_type: BTreeMap<&str, usize> = r.managed_types.iter().map(|t| (t.as_str(), 0)).collect();
                for d in &r.drift {
                    *by_type.entry(d.addr.resource.type_.as_str()).or_insert(0) += 1;
                }
                for (t, n) in by_type {
                    families[0].2.push(format!("iac_drift_resources{{stack=\"{stack}\",type=\"{}\"}} {n}", label(t)));
                }
                families[1].2.push(format!("iac_drift_detected{{stack=\"{stack}\"}} {}", u8::from(r.has_drift())));
                let mut unmanaged: BTreeMap<&str, usize> = BTreeMap::new();
                for u in &r.unmanaged {
                    *unmanaged.entry(u.type_.as_str()).or_insert(0) += 1;
                }
                for (t, n) in unmanaged {
                    families[2].2.push(format!("iac_drift_unmanaged_resources{{stack=\"{stack}\",type=\"{}\"}} {n}", label(t)));
                }
                families[3].2.push(format!("iac_drift_check_success{{stack=\"{stack}\"}} 1"));
                families[4].2.push(format!("iac_drift_last_run_timestamp_seconds{{stack=\"{stack}\"}} {}", r.checked_at_unix));
                families[5].2.push(format!("iac_drift_check_duration_seconds{{stack=\"{stack}\"}} {:.3}", r.duration.as_secs_f64()));
            }
        }
    }
    let mut out = String::new();
    for (name, help, samples) in families {
        if samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for s in samples {
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_core::address::InstanceAddr;

    fn report(drift: Vec<Drift>) -> DriftReport {
        DriftReport {
            drift,
            managed_types: ["local_file".to_string(), "terraform_data".to_string()].into_iter().collect(),
            unmanaged: Vec::new(),
            known_ids: Default::default(),
            duration: std::time::Duration::from_millis(1500),
            checked_at_unix: 1_700_000_000,
        }
    }

    fn secret_drift() -> Drift {
        let addr: InstanceAddr = "local_file.creds".parse().unwrap();
        let before =
            Value::map([("sensitive_content", Value::Sensitive(Box::new(Value::String("old-s3cret".into())))), ("filename", Value::String("a".into()))]);
        let after =
            Value::map([("sensitive_content", Value::Sensitive(Box::new(Value::String("new-s3cret".into())))), ("filename", Value::String("b".into()))]);
        Drift { addr, action: Action::Update, before, after, paths: vec![AttrPath::attr("filename"), AttrPath::attr("sensitive_content")] }
    }

    #[test]
    fn documents_drift_as_line_diffs_and_secrets_never_do() {
        let doc = |label: &str| Value::String(format!("kind: Deployment\nmetadata:\n  labels:\n    app: {label}\n  name: web\nspec:\n  replicas: 2\n"));
        let d = Drift {
            addr: "kubernetes_manifest.web".parse().unwrap(),
            action: Action::Update,
            before: Value::map([("yaml", doc("web"))]),
            after: Value::map([("yaml", doc("hand-edited"))]),
            paths: vec![AttrPath::attr("yaml")],
        };
        let r = report(vec![d]);
        let out = text(&[StackDrift { name: "s", result: Ok(&r) }]);
        assert!(out.contains("      yaml:\n"), "{out}");
        assert!(out.contains("-     app: web\n") && out.contains("+     app: hand-edited\n"), "{out}");
        assert_eq!(out.matches("kind: Deployment").count(), 1, "the unchanged lines appear once: {out}");

        let secret = |v: &str| Value::String(format!("line one\n{v}\n")).into_sensitive();
        let d = Drift {
            addr: "kubernetes_manifest.s".parse().unwrap(),
            action: Action::Update,
            before: Value::map([("data", secret("old-secret"))]),
            after: Value::map([("data", secret("new-secret"))]),
            paths: vec![AttrPath::attr("data")],
        };
        let r = report(vec![d]);
        let out = text(&[StackDrift { name: "s", result: Ok(&r) }]);
        assert!(!out.contains("old-secret") && !out.contains("new-secret"), "{out}");
    }

    #[test]
    fn every_form_redacts_sensitive_values() {
        let r = report(vec![secret_drift()]);
        let stacks = [StackDrift { name: "a", result: Ok(&r) }];
        let all = format!("{}{}{}{}", text(&stacks), markdown(&stacks), json(&stacks), prometheus(&stacks));
        assert!(!all.contains("s3cret"), "{all}");
        let j = json(&stacks);
        let attrs = &j["stacks"][0]["resources"][0]["attributes"];
        assert_eq!(attrs[0], json!({"path": "filename", "path_steps": ["filename"], "before": "a", "after": "b", "sensitive": false}));
        assert_eq!(attrs[1]["sensitive"], json!(true));
        assert_eq!(attrs[1]["before"], Json::Null);
    }

    #[test]
    fn markdown_table_rows_keep_their_columns() {
        let mut d = secret_drift();
        d.addr = r#"local_file.x["a|b`c"]"#.parse().unwrap();
        let r = report(vec![d]);
        let md = markdown(&[StackDrift { name: "a", result: Ok(&r) }]);
        let row = md.lines().find(|l| l.contains("local_file.x")).expect("row");
        let columns = row.replace("\\|", "").matches('|').count();
        assert_eq!(columns, 4, "an escaped pipe in a key is not a column: {row}");
        assert!(row.starts_with(r#"| `` local_file.x["a\|b`c"] `` | changed |"#), "{row}");
    }

    #[test]
    fn marks_above_a_path_redact_it() {
        let v = Value::Sensitive(Box::new(Value::map([("x", Value::String("s3cret".into()))])));
        assert!(value_at(&v, &AttrPath::attr("x")).is_sensitive());
    }

    #[test]
    fn prometheus_has_one_help_and_type_per_family_and_zero_samples() {
        let r = report(vec![secret_drift()]);
        let clean = report(Vec::new());
        let stacks =
            [StackDrift { name: "a", result: Ok(&r) }, StackDrift { name: "b\"x", result: Ok(&clean) }, StackDrift { name: "c", result: Err("locked".into()) }];
        let text = prometheus(&stacks);
        assert_eq!(text.matches("# TYPE iac_drift_resources gauge").count(), 1, "{text}");
        assert!(text.contains("iac_drift_resources{stack=\"a\",type=\"local_file\"} 1\n"), "{text}");
        assert!(text.contains("iac_drift_resources{stack=\"a\",type=\"terraform_data\"} 0\n"), "{text}");
        assert!(text.contains("iac_drift_detected{stack=\"b\\\"x\"} 0\n"), "{text}");
        assert!(text.contains("iac_drift_check_success{stack=\"c\"} 0\n"), "{text}");
        assert!(text.contains("iac_drift_check_duration_seconds{stack=\"a\"} 1.500\n"), "{text}");
        assert!(text.contains("iac_drift_last_run_timestamp_seconds{stack=\"a\"} 1700000000\n"), "{text}");
        // Every sample belongs to the family declared just before it.
        let mut family = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap().to_string();
            } else if !line.starts_with('#') {
                assert!(line.starts_with(&format!("{family}{{")), "{line} outside its family {family}");
            }
        }
    }
}
