//! The familiar human plan: `+` create, `-` destroy, `~` update, `-/+`
//! replace, "(known after apply)", "(sensitive value)", "# forces
//! replacement", and multi-line strings / JSON documents as line diffs.

use std::collections::BTreeSet;
use std::fmt::Write;

use iac_core::plan::{Action, Plan, PlanMode, ResourceChange};
use iac_core::{AttrPath, PathStep, Value};

use crate::json::instance_order;

#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// The action's symbol, in Terraform's colour for it.
    fn sym(&self, a: Action) -> String {
        match a {
            Action::Create => self.paint("32", a.symbol()),
            Action::Delete | Action::Replace => self.paint("31", a.symbol()),
            Action::Update => self.paint("33", a.symbol()),
            Action::Read => self.paint("36", a.symbol()),
            Action::Forget => self.paint("31", a.symbol()),
            Action::NoOp | Action::Import => a.symbol().into(),
        }
    }
}

/// `Plan: 1 to import, 2 to add, ...`: the counts every report of a plan
/// shares ([`crate::ui::Summary`]).
pub fn summary_line(plan: &Plan) -> String {
    crate::ui::summary_message(crate::ui::Summary::of(plan), crate::ui::Operation::Plan)
}

pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut all = String::new();
    render_plan_into(plan, style, &mut |chunk| all.push_str(chunk));
    all
}

/// Renders piece by piece into `sink`, so a large plan is never held as one
/// string (the CLI streams it to stdout).
pub fn render_plan_into(plan: &Plan, style: Style, sink: &mut dyn FnMut(&str)) {
    let mut out = String::new();
    render_head_and_changes(plan, style, &mut out, sink);
    sink(&out);
}

fn render_head_and_changes(plan: &Plan, style: Style, out: &mut String, sink: &mut dyn FnMut(&str)) {
    if !plan.drift.is_empty() {
        out.push_str("Objects have changed outside of iac:\n\n");
        // In Terraform's order of addresses, as its changes below.
        let mut drift: Vec<&iac_core::plan::Drift> = plan.drift.iter().collect();
        drift.sort_by(|a, b| instance_order(&a.addr, &b.addr));
        for d in drift {
            match d.action {
                Action::Delete => {
                    let _ = writeln!(out, "  # {} has been deleted", d.addr);
                }
                _ => {
                    let _ = writeln!(out, "  # {} has changed", d.addr);
                    let _ = writeln!(out, "  ~ resource {:?} {:?} {{", d.addr.resource.type_, d.addr.resource.name);
                    // Only the attributes the drift is about (computed-only ones were filtered out).
                    let keys: BTreeSet<&str> = d
                        .paths
                        .iter()
                        .filter_map(|p| match p.0.first() {
                            Some(PathStep::Attr(a)) => Some(a.as_str()),
                            _ => None,
                        })
                        .collect();
                    let only = |v: &Value| match v.as_map() {
                        Some(m) => Value::Map(m.iter().filter(|(k, _)| keys.contains(k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()),
                        None => v.clone(),
                    };
                    body_diff(out, &only(&d.before), &only(&d.after), 6, &[], &AttrPath::root(), style);
                    out.push_str("    }\n");
                }
            }
            out.push('\n');
        }
        if plan.mode == PlanMode::RefreshOnly {
            out.push_str("This is a refresh-only plan: applying it updates the state to match, and changes nothing else.\n");
            return;
        }
    } else if plan.mode == PlanMode::RefreshOnly {
        out.push_str("No changes. Your infrastructure still matches the configuration.\n");
        return;
    }
    // Unchanged objects are left out, except those a `moved` block renamed.
    let mut changes: Vec<&ResourceChange> = plan.changes.iter().filter(|c| !matches!(c.action, Action::NoOp) || c.prev_addr.is_some()).collect();
    // Terraform lists them all in one order of addresses (reads among the
    // others: a module's data sources before its managed resources, shorter
    // module paths first), a deposed object after the current one.
    changes.sort_by(|a, b| instance_order(&a.addr, &b.addr).then_with(|| a.deposed.cmp(&b.deposed)));
    let outputs: Vec<_> = plan.outputs.iter().filter(|o| o.action != Action::NoOp).collect();
    if changes.is_empty() && outputs.is_empty() {
        // An errored plan planned nothing before its error: nothing to say.
        if !plan.errored {
            out.push_str("No changes. Your infrastructure matches the configuration.\n");
        }
        return;
    }
    if !changes.is_empty() {
        // As Terraform: an errored plan shows what it planned before the error.
        out.push_str(if plan.errored {
            "iac planned the following actions, but then encountered a problem:\n\n"
        } else {
            "iac will perform the following actions:\n\n"
        });
        for c in &changes {
            render_change(out, c, style);
            out.push('\n');
            sink(out);
            out.clear();
        }
        out.push_str(&summary_line(plan));
        out.push('\n');
    }
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        for o in outputs {
            let sym = style.sym(o.action);
            match o.action {
                Action::Create => {
                    let _ = writeln!(out, "  {sym} {} = {}", o.name, inline(&o.after, 4));
                }
                Action::Delete => {
                    let _ = writeln!(out, "  {sym} {} = {} -> null", o.name, inline(&o.before, 4));
                }
                _ => {
                    let _ = writeln!(out, "  {sym} {} = {} -> {}", o.name, inline(&o.before, 4), inline(&o.after, 4));
                }
            }
        }
    }
}

fn header(c: &ResourceChange) -> String {
    let what = c.action.plan_phrase(c.create_before_destroy);
    if c.action == Action::Forget {
        // As Terraform prints it, one space in, and the reason is the block's.
        return format!(" # {} {what}\n # (destroy = false is set in the configuration)", c.addr);
    }
    let mut h = format!("  # {} {what}", c.addr);
    if let Some(key) = &c.deposed {
        // As Terraform says it, with its context for this unusual case.
        return format!("  # {} (deposed object {key}) {what}\n  # (left over from a partially-failed replacement of this instance)", c.addr);
    }
    if let Some(prev) = &c.prev_addr {
        h = if c.action == Action::NoOp { format!("  # {prev} has moved to {}", c.addr) } else { format!("  # {} (moved from {prev}) {what}", c.addr) };
    }
    if let Some(r) = &c.reason {
        if !matches!(c.action, Action::Create) && !r.is_empty() {
            h.push_str(&format!("\n  # ({})", iac_core::plan::reason::describe(r, &c.replace_paths)));
        }
    }
    h
}

pub fn render_change(out: &mut String, c: &ResourceChange, style: Style) {
    let _ = writeln!(out, "{}", header(c));
    let kw = if c.addr.resource.mode == iac_core::address::Mode::Data { "data" } else { "resource" };
    // As Terraform: "+/-" creates the replacement first, "-/+" destroys first.
    let sym = if c.action == Action::Replace && c.create_before_destroy { style.paint("32", "+/-") } else { style.sym(c.action) };
    let pad = match c.action {
        Action::Replace => "",
        // Two-character symbols stand one space in, as Terraform prints them.
        Action::Forget | Action::Read => " ",
        _ => "  ",
    };
    let _ = writeln!(out, "{pad}{sym} {kw} {:?} {:?} {{", c.addr.resource.type_, c.addr.resource.name);
    match c.action {
        Action::Create | Action::Read => body_all(out, &c.after, 6, "+", style),
        Action::Delete => body_all(out, &c.before, 6, "-", style),
        // The object stays as it is: its id, and the rest hidden.
        Action::Forget => body_diff(out, &c.before, &c.before, 6, &[], &AttrPath::root(), style),
        _ => body_diff(out, &c.before, &c.after, 6, &c.replace_paths, &AttrPath::root(), style),
    }
    out.push_str("    }\n");
}

fn body_all(out: &mut String, v: &Value, indent: usize, sign: &str, style: Style) {
    let Some(m) = v.as_map() else { return };
    if v.is_sensitive() {
        let _ = writeln!(out, "{}(sensitive value)", " ".repeat(indent));
        return;
    }
    let width = m.iter().filter(|(_, x)| !x.is_null()).map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, x) in m {
        if x.is_null() || matches!(x.unmarked(), Value::List(l) if l.is_empty()) {
            continue;
        }
        let s = style.paint(if sign == "+" { "32" } else { "31" }, sign);
        let _ = writeln!(out, "{}{s} {:width$} = {}", " ".repeat(indent), k, signed(x, indent + 2, sign, style));
    }
}

/// Like [`inline`], but every nested element of an object or list carries
/// the sign, as Terraform shows what is created or destroyed.
fn signed(v: &Value, indent: usize, sign: &str, style: Style) -> String {
    let s = style.paint(if sign == "+" { "32" } else { "31" }, sign);
    match v {
        Value::List(items) if !items.is_empty() => {
            let pad = " ".repeat(indent + 2);
            let mut out = "[\n".to_string();
            for i in items {
                let _ = writeln!(out, "{pad}{s} {},", signed(i, indent + 4, sign, style));
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
            out
        }
        Value::Map(m) if !m.is_empty() => {
            let pad = " ".repeat(indent + 2);
            let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
            let mut out = "{\n".to_string();
            for (k, x) in m {
                let key = if k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') && !k.is_empty() { k.clone() } else { format!("{k:?}") };
                let _ = writeln!(out, "{pad}{s} {key:width$} = {}", signed(x, indent + 4, sign, style));
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
        other => inline(other, indent),
    }
}

/// Changed attributes with before → after; unchanged ones counted, not shown.
fn body_diff(out: &mut String, before: &Value, after: &Value, indent: usize, replace: &[AttrPath], path: &AttrPath, style: Style) {
    let empty = Default::default();
    let b = before.as_map().unwrap_or(&empty);
    let a = after.as_map().unwrap_or(&empty);
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    let mut hidden = 0;
    let pad = " ".repeat(indent);
    for k in keys {
        let bv = b.get(k).cloned().unwrap_or(Value::Null);
        let av = a.get(k).cloned().unwrap_or(Value::Null);
        let p = path.child(PathStep::Attr(k.clone()));
        let forces = if replace.iter().any(|r| r == &p) { style.paint("31", " # forces replacement") } else { String::new() };
        // Null stays null even when the schema marks the attribute sensitive.
        if bv == av || (bv.is_null() && av.is_null()) {
            if !bv.is_null() && (k == "id" || k == "name") {
                let _ = writeln!(out, "{pad}  {k:width$} = {}", inline(&bv, indent + 2));
            } else if !bv.is_null() {
                hidden += 1;
            }
            continue;
        }
        let (sym, line) = match (bv.is_null(), av.is_null()) {
            (true, false) => (style.sym(Action::Create), inline(&av, indent + 2)),
            (false, true) => (style.sym(Action::Delete), format!("{} -> null", inline(&bv, indent + 2))),
            _ => {
                if let (Some(x), Some(y), false, false) = (bv.as_str(), av.as_str(), bv.is_sensitive(), av.is_sensitive()) {
                    if let Some(d) = text_diff(x, y, indent + 4, style) {
                        let _ = writeln!(out, "{pad}{} {k:width$} = <<-EOT{forces}\n{d}{pad}    EOT", style.sym(Action::Update));
                        continue;
                    }
                }
                if let (Some(_), Some(_), false, false) = (bv.as_map(), av.as_map(), bv.is_sensitive(), av.is_sensitive()) {
                    let _ = writeln!(out, "{pad}{} {k:width$} = {{{forces}", style.sym(Action::Update));
                    body_diff(out, &bv, &av, indent + 4, replace, &p, style);
                    let _ = writeln!(out, "{pad}    }}");
                    continue;
                }
                (style.sym(Action::Update), format!("{} -> {}", inline(&bv, indent + 2), inline(&av, indent + 2)))
            }
        };
        let _ = writeln!(out, "{pad}{sym} {k:width$} = {line}{forces}");
    }
    if hidden > 0 {
        let _ = writeln!(out, "{pad}  # ({hidden} unchanged attribute{} hidden)", if hidden == 1 { "" } else { "s" });
    }
}

/// A line diff of two multi-line strings or JSON documents, or None when
/// neither is multi-line or JSON.
pub(crate) fn text_diff(before: &str, after: &str, indent: usize, style: Style) -> Option<String> {
    let as_json = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s).ok().filter(|j| j.is_object() || j.is_array()).and_then(|j| serde_json::to_string_pretty(&j).ok())
    };
    let (b, a) = match (as_json(before), as_json(after)) {
        (Some(b), Some(a)) => (b, a),
        _ if before.contains('\n') || after.contains('\n') => (before.to_string(), after.to_string()),
        _ => return None,
    };
    let mut out = String::new();
    let diff = similar::TextDiff::from_lines(&b, &a);
    let lines: Vec<(similar::ChangeTag, &str)> = diff.iter_all_changes().map(|c| (c.tag(), c.value().trim_end_matches('\n'))).collect();
    let pad = " ".repeat(indent.saturating_sub(2));
    let mut i = 0;
    while i < lines.len() {
        let (tag, line) = lines[i];
        if tag == similar::ChangeTag::Equal {
            // A long run of unchanged lines (a large document with a small
            // change) keeps a few lines of context on each side.
            let end = lines[i..].iter().position(|(t, _)| *t != similar::ChangeTag::Equal).map_or(lines.len(), |n| i + n);
            let keep_before = if i == 0 { 0 } else { DIFF_CONTEXT };
            let keep_after = if end == lines.len() { 0 } else { DIFF_CONTEXT };
            let hidden = (end - i).saturating_sub(keep_before + keep_after);
            if hidden >= DIFF_MIN_HIDDEN {
                for (_, l) in &lines[i..i + keep_before] {
                    let _ = writeln!(out, "{pad}  {l}");
                }
                let _ = writeln!(out, "{pad}  # ({hidden} unchanged lines hidden)");
                for (_, l) in &lines[end - keep_after..end] {
                    let _ = writeln!(out, "{pad}  {l}");
                }
                i = end;
                continue;
            }
        }
        let (sign, code) = match tag {
            similar::ChangeTag::Delete => ("-", "31"),
            similar::ChangeTag::Insert => ("+", "32"),
            similar::ChangeTag::Equal => (" ", ""),
        };
        let s = if code.is_empty() { sign.to_string() } else { style.paint(code, sign) };
        let _ = writeln!(out, "{pad}{s} {line}");
        i += 1;
    }
    Some(out)
}

/// Unchanged lines shown around each change of a long text diff.
const DIFF_CONTEXT: usize = 3;
/// Fewer unchanged lines than this are shown rather than hidden.
const DIFF_MIN_HIDDEN: usize = 8;

/// A value in HCL syntax; nested values on their own lines.
pub fn inline(v: &Value, indent: usize) -> String {
    match v {
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::String(s) if s.contains('\n') => {
            let pad = " ".repeat(indent + 2);
            let body: String = s.lines().map(|l| format!("{pad}{l}\n")).collect();
            format!("<<-EOT\n{body}{}EOT", " ".repeat(indent))
        }
        Value::List(items) if items.is_empty() => "[]".into(),
        Value::List(items) => {
            let pad = " ".repeat(indent + 2);
            let mut s = "[\n".to_string();
            for i in items {
                let _ = writeln!(s, "{pad}{},", inline(i, indent + 2));
            }
            s.push_str(&" ".repeat(indent));
            s.push(']');
            s
        }
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let pad = " ".repeat(indent + 2);
            let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
            let mut s = "{\n".to_string();
            for (k, x) in m {
                let key = if k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') && !k.is_empty() { k.clone() } else { format!("{k:?}") };
                let _ = writeln!(s, "{pad}{key:width$} = {}", inline(x, indent + 2));
            }
            s.push_str(&" ".repeat(indent));
            s.push('}');
            s
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgotten_object_is_shown_as_left_alone() {
        let before = Value::map([("id", Value::from("obj-1")), ("input", Value::from("kept")), ("output", Value::from("kept"))]);
        let c = ResourceChange {
            addr: "terraform_data.kept".parse().unwrap(),
            prev_addr: None,
            provider: iac_core::address::ProviderAddr::new("terraform"),
            action: Action::Forget,
            before,
            after: Value::Null,
            replace_paths: Vec::new(),
            reason: Some(iac_core::plan::reason::DELETE_NO_RESOURCE_CONFIG.into()),
            create_before_destroy: false,
            private: None,
            dependencies: Vec::new(),
            import_id: None,
            deposed: None,
        };
        let mut out = String::new();
        render_change(&mut out, &c, Style { color: false });
        assert!(out.starts_with(" # terraform_data.kept will no longer be managed by iac, but will not be destroyed\n # (destroy = false is set in the configuration)\n . resource \"terraform_data\" \"kept\" {\n"), "{out}");
        assert!(out.contains("id") && out.contains("\"obj-1\"") && out.contains("# (2 unchanged attributes hidden)"), "{out}");
        assert!(!out.contains("-> null") && !out.contains("\n      - "), "nothing is destroyed: {out}");
    }

    #[test]
    fn long_text_diffs_hide_unchanged_runs_but_keep_context() {
        let before: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let after = before.replace("line 20\n", "line twenty\n");
        let d = text_diff(&before, &after, 4, Style { color: false }).unwrap();
        assert!(d.contains("- line 20\n") && d.contains("+ line twenty\n"), "{d}");
        for shown in ["line 17", "line 19", "line 21", "line 23"] {
            assert!(d.contains(&format!("  {shown}\n")), "context {shown} is shown:\n{d}");
        }
        assert!(!d.contains("line 16\n") && !d.contains("line 24\n"), "{d}");
        assert!(d.contains("# (16 unchanged lines hidden)") && d.contains("# (17 unchanged lines hidden)"), "{d}");
        // A short text is shown whole.
        let d = text_diff("a\nb\nc\n", "a\nB\nc\n", 4, Style { color: false }).unwrap();
        assert_eq!(d, "    a\n  - b\n  + B\n    c\n");
    }
}
