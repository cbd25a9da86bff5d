//! Terraform's machine-readable UI (`terraform plan -json`, `apply -json`,
//! `destroy -json`; UI format 1.2): one JSON object per line, each with
//! `@level`, `@message`, `@module` (`terraform.ui`), `@timestamp` and
//! `type` (`version`, `refresh_start`/`refresh_complete`, `resource_drift`,
//! `planned_change`, `change_summary`, `outputs`, `apply_start`,
//! `apply_progress`, `apply_complete`, `apply_errored`, `diagnostic`,
//! `log`), in Terraform's words and key order; and `validate -json`'s
//! document (format 1.0) with the same diagnostics, ranges and snippets.
//!
//! Rendering reads no clock: every line takes the timestamp the caller
//! gives it (RFC 3339 with microseconds, as Terraform writes).

use std::collections::BTreeMap;
use std::time::Duration;

use iac_core::address::{InstanceAddr, InstanceKey, Mode};
use iac_core::plan::{reason, Action, Plan, PlanMode, ResourceChange};
use iac_core::Value;
use iac_engine::run::{EphemeralOp, ObjectLabel};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::source::SourceMap;
use serde_json::{json, Map, Value as Json};

/// The version of the UI format iac writes (Terraform 1.11's).
pub const UI_VERSION: &str = "1.2";

/// A message's `@level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One line: the `@` fields, the message's own fields, and `type`, keys in
/// Terraform's (sorted) order.
fn line(level: Level, message: &str, kind: &str, now: &str, fields: Vec<(&str, Json)>) -> String {
    let mut keys: BTreeMap<&str, Json> = fields.into_iter().collect();
    keys.insert("@level", json!(level.name()));
    keys.insert("@message", json!(message));
    keys.insert("@module", json!("terraform.ui"));
    keys.insert("@timestamp", json!(now));
    keys.insert("type", json!(kind));
    let obj: Map<String, Json> = keys.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Json::Object(obj).to_string()
}

/// The first line: which Terraform (language) version and UI format.
pub fn version(terraform: &str, now: &str) -> String {
    line(Level::Info, &format!("Terraform {terraform}"), "version", now, vec![("terraform", json!(terraform)), ("ui", json!(UI_VERSION))])
}

/// A `log` message (what Terraform prints as plain text in the human UI).
pub fn log(level: Level, message: &str, now: &str) -> String {
    line(level, message, "log", now, Vec::new())
}

/// Terraform's `resource` object naming an instance.
pub fn resource_addr(a: &InstanceAddr) -> Json {
    let mut local = a.clone();
    local.resource.module = Default::default();
    let key = match &a.key {
        InstanceKey::None => Json::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    };
    json!({
        "addr": a.to_string(),
        "module": a.resource.module.to_string(),
        "resource": local.to_string(),
        "implied_provider": a.resource.implied_provider(),
        "resource_type": a.resource.type_,
        "resource_name": a.resource.name,
        "resource_key": key,
    })
}

/// A plan's `action_reason` code as this format spells it (`cannot_update`
/// for `replace_because_cannot_update`); None for no reason.
fn change_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        reason::REPLACE_CANNOT_UPDATE => "cannot_update",
        reason::REPLACE_TAINTED => "tainted",
        reason::REPLACE_BY_REQUEST => "requested",
        reason::REPLACE_BY_TRIGGERS => "replace_triggered_by",
        reason::DELETE_NO_RESOURCE_CONFIG => "delete_because_no_resource_config",
        reason::DELETE_NO_MODULE => "delete_because_no_module",
        reason::DELETE_COUNT_INDEX => "delete_because_count_index",
        reason::DELETE_EACH_KEY => "delete_because_each_key",
        reason::DELETE_WRONG_REPETITION => "delete_because_wrong_repetition",
        reason::READ_CONFIG_UNKNOWN => "read_because_config_unknown",
        reason::READ_DEPENDENCY_PENDING => "read_because_dependency_pending",
        reason::READ_CHECK_NESTED => "read_because_check_nested",
        "" => return None,
        _ => "unknown",
    })
}

/// The action a change is shown with: a move or an import that changes
/// nothing else is `move` or `import` (a move wins, as in Terraform).
fn shown_action(c: &ResourceChange) -> &'static str {
    match c.action {
        Action::NoOp | Action::Import if c.prev_addr.as_ref().is_some_and(|p| p != &c.addr) => "move",
        Action::NoOp if c.import_id.is_some() => "import",
        a => a.ui_name(),
    }
}

/// Whether a change is listed: anything but an unchanged object that was
/// neither moved nor imported.
fn listed(c: &ResourceChange) -> bool {
    c.action != Action::NoOp || c.prev_addr.as_ref().is_some_and(|p| p != &c.addr) || c.import_id.is_some()
}

/// The `change` object of `planned_change` and `resource_drift`.
fn change_json(c: &ResourceChange) -> Json {
    let mut m = Map::new();
    m.insert("resource".into(), resource_addr(&c.addr));
    if let Some(prev) = c.prev_addr.as_ref().filter(|p| *p != &c.addr) {
        m.insert("previous_resource".into(), resource_addr(prev));
    }
    m.insert("action".into(), json!(shown_action(c)));
    if let Some(r) = c.reason.as_deref().and_then(change_reason) {
        m.insert("reason".into(), json!(r));
    }
    if let Some(id) = &c.import_id {
        m.insert("importing".into(), json!({"id": id}));
    }
    Json::Object(m)
}

/// `addr: Plan to create`.
pub fn planned_change(c: &ResourceChange, now: &str) -> String {
    line(Level::Info, &format!("{}: Plan to {}", c.addr, shown_action(c)), "planned_change", now, vec![("change", change_json(c))])
}

/// What a `change_summary` sums up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Plan,
    Apply,
    Destroy,
}

/// `change_summary`'s counts: a replace is one add and one remove, an
/// import counts as such besides whatever else it does; data source reads
/// count nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub import: usize,
    pub remove: usize,
}

impl Summary {
    /// The counts of a plan's changes.
    pub fn of(plan: &Plan) -> Summary {
        let mut s = Summary::default();
        for c in &plan.changes {
            s.count(c.action, c.import_id.is_some());
        }
        s
    }

    /// Counts one change (or one applied operation).
    pub fn count(&mut self, action: Action, importing: bool) {
        if importing || action == Action::Import {
            self.import += 1;
        }
        match action {
            Action::Create => self.add += 1,
            Action::Update => self.change += 1,
            Action::Delete => self.remove += 1,
            Action::Replace => {
                self.add += 1;
                self.remove += 1;
            }
            // Terraform's summary has no count for forgets.
            Action::Read | Action::NoOp | Action::Import | Action::Forget => {}
        }
    }
}

/// `Plan: 1 to add, ...`, `Apply complete! Resources: ...`, `Destroy
/// complete! ...`: Terraform's words, the same in the text UI and here.
pub fn summary_message(s: Summary, op: Operation) -> String {
    let imported = |word: &str| if s.import > 0 { format!("{} {word}, ", s.import) } else { String::new() };
    match op {
        Operation::Plan => format!("Plan: {}{} to add, {} to change, {} to destroy.", imported("to import"), s.add, s.change, s.remove),
        Operation::Apply => format!("Apply complete! Resources: {}{} added, {} changed, {} destroyed.", imported("imported"), s.add, s.change, s.remove),
        Operation::Destroy => format!("Destroy complete! Resources: {} destroyed.", s.remove),
    }
}

/// The `change_summary` line.
pub fn change_summary(s: Summary, op: Operation, now: &str) -> String {
    let message = summary_message(s, op);
    let operation = match op {
        Operation::Plan => "plan",
        Operation::Apply => "apply",
        Operation::Destroy => "destroy",
    };
    let changes = json!({"add": s.add, "change": s.change, "import": s.import, "remove": s.remove, "operation": operation});
    line(Level::Info, &message, "change_summary", now, vec![("changes", changes)])
}

/// `message [id=ID]` (or `[name=...]`, `[tags.Name=...]`: whatever the
/// object is named by), as Terraform adds it when key and value are not
/// empty.
fn with_id(message: String, id: Option<&ObjectLabel>) -> String {
    match id.and_then(ObjectLabel::shown) {
        Some(shown) => format!("{message} [{shown}]"),
        None => message,
    }
}

fn hook(addr: &InstanceAddr, fields: Vec<(&str, Json)>) -> Json {
    let mut m = Map::new();
    m.insert("resource".into(), resource_addr(addr));
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Json::Object(m)
}

/// The JSON UI's `id_key` and `id_value`, each left out when empty (Go's
/// `omitempty`).
fn id_fields(id: Option<&ObjectLabel>) -> Vec<(&'static str, Json)> {
    let Some(id) = id else { return Vec::new() };
    let mut fields = vec![("id_key", json!(id.key))];
    if !id.value.is_empty() {
        fields.push(("id_value", json!(id.value)));
    }
    fields
}

/// `addr: Refreshing state... [id=...]`.
pub fn refresh_start(addr: &InstanceAddr, id: Option<&ObjectLabel>, now: &str) -> String {
    let message = with_id(format!("{addr}: Refreshing state..."), id);
    line(Level::Info, &message, "refresh_start", now, vec![("hook", hook(addr, id_fields(id)))])
}

/// `addr: Refresh complete [id=...]`.
pub fn refresh_complete(addr: &InstanceAddr, id: Option<&ObjectLabel>, now: &str) -> String {
    let message = with_id(format!("{addr}: Refresh complete"), id);
    line(Level::Info, &message, "refresh_complete", now, vec![("hook", hook(addr, id_fields(id)))])
}

/// `addr: Drift detected (update)`: a change made outside iac.
pub fn resource_drift(addr: &InstanceAddr, action: Action, now: &str) -> String {
    let change = json!({"resource": resource_addr(addr), "action": action.ui_name()});
    line(Level::Info, &format!("{addr}: Drift detected ({})", action.ui_name()), "resource_drift", now, vec![("change", change)])
}

/// Which of Terraform's UIs a line is for: they word a data source read
/// apart (`Reading...`, `Still reading...`, `Read complete` for people;
/// `Refreshing...`, `Still refreshing...`, `Refresh complete` in `-json`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Human,
    Json,
}

/// The start of an operation as Terraform words it (`Creating`,
/// `Modifying`, `Destroying`, `Reading` or `Refreshing` for a read).
fn start_verb(a: Action, view: View) -> &'static str {
    match a {
        Action::Read if view == View::Human => "Reading",
        Action::Create => "Creating",
        Action::Update => "Modifying",
        Action::Delete => "Destroying",
        Action::Read => "Refreshing",
        Action::Replace => "Replacing",
        Action::Import => "Importing",
        Action::Forget => "Forgetting",
        Action::NoOp => "Applying",
    }
}

/// `Still creating...`'s word.
fn progress_verb(a: Action, view: View) -> &'static str {
    match a {
        Action::Read if view == View::Human => "reading",
        Action::Create => "creating",
        Action::Update => "modifying",
        Action::Delete => "destroying",
        Action::Read => "refreshing",
        Action::Replace => "replacing",
        Action::Import => "importing",
        Action::Forget => "forgetting",
        Action::NoOp => "applying",
    }
}

/// The noun of `Creation complete` and `Creation errored`.
fn action_noun(a: Action, view: View) -> &'static str {
    match a {
        Action::Create => "Creation",
        Action::Update => "Modifications",
        Action::Delete => "Destruction",
        Action::Read if view == View::Human => "Read",
        Action::Read => "Refresh",
        Action::Replace => "Replacement",
        Action::Import => "Import",
        Action::Forget => "Forget",
        Action::NoOp => "Apply",
    }
}

/// A duration in whole seconds as Go prints it (`0s`, `45s`, `1m5s`, `1h0m0s`).
pub fn go_seconds(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Elapsed time rounded to whole seconds, as Terraform's hooks report it.
fn whole_seconds(d: Duration) -> u64 {
    (d.as_millis() as u64 + 500) / 1000
}

/// `addr: Creating...`, `addr: Destroying... [id=...]`.
pub fn apply_start(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, now: &str) -> String {
    let id = prior_id(action, id);
    let mut fields = vec![("action", json!(action.ui_name()))];
    fields.extend(id_fields(id));
    let message = with_id(format!("{addr}: {}...", start_verb(action, View::Json)), id);
    line(Level::Info, &message, "apply_start", now, vec![("hook", hook(addr, fields))])
}

/// The id of the object an operation starts on: none for a create or a
/// read, which have no prior object (Terraform names the prior one's).
fn prior_id(action: Action, id: Option<&ObjectLabel>) -> Option<&ObjectLabel> {
    id.filter(|_| !matches!(action, Action::Create | Action::Read))
}

/// The words an operation starts with, as Terraform's human UI prints them:
/// `addr: Creating...`, `addr: Destroying... [id=...]`, `addr: Reading...`,
/// and for a deposed object (`deposed`, its key) `addr (deposed object
/// KEY): Destroying...`. The JSON UI's message names no deposed key, and a
/// read `Refreshing...`.
pub fn apply_start_text(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, deposed: Option<&str>) -> String {
    let shown = match deposed {
        Some(key) => format!("{addr} (deposed object {key})"),
        None => addr.to_string(),
    };
    with_id(format!("{shown}: {}...", start_verb(action, View::Human)), prior_id(action, id))
}

/// The words an operation ends with, in Terraform's UI `view`: `addr:
/// Creation complete after 1s [id=...]`, no id after a delete, nor a
/// deposed key (Terraform 1.11 names the deposed object only as its
/// destroy starts).
fn complete_text(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, elapsed: Duration, view: View) -> String {
    let id = id.filter(|_| action != Action::Delete);
    with_id(format!("{addr}: {} complete after {}", action_noun(action, view), go_seconds(whole_seconds(elapsed))), id)
}

/// The words an operation ends with, as Terraform's human UI prints them:
/// `addr: Creation complete after 1s [id=...]`, `addr: Read complete after
/// 0s`, no id after a delete, nor a deposed key.
pub fn apply_complete_text(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, elapsed: Duration) -> String {
    complete_text(addr, action, id, elapsed, View::Human)
}

/// The longest id a human `Still ...` line shows whole (Terraform's
/// `maxIdLen`).
const MAX_PROGRESS_ID_CHARS: usize = 80;

/// An id cut to `max` characters (not bytes) in its middle, as Terraform's
/// `truncateId` cuts it for the `Still ...` lines: the start, `...`, the
/// end; never to fewer than 5 characters.
fn truncate_id(id: &str, max: usize) -> String {
    let chars: Vec<char> = id.chars().collect();
    let total = chars.len();
    if total <= max {
        return id.to_string();
    }
    let max = max.max(5);
    let part = max / 2;
    // Go's arithmetic: the end starts one character early, or later when the
    // two halves and the dots would be longer than `max`.
    let overlap = (part * 2 + 3).saturating_sub(max);
    let right_start = total - part - 1 + overlap;
    let left: String = chars[..part - 1].iter().collect();
    let right: String = chars[right_start..].iter().collect();
    format!("{left}...{right}")
}

/// The human UI's `addr: Still creating... [10s elapsed]`, and with the id
/// of the object an update or destroy works on, `addr: Still destroying...
/// [id=i-1, 10s elapsed]` (a long id cut in its middle to 80 characters).
/// As Terraform, it names no deposed key (and a create or read no id: it
/// has no prior object).
pub fn apply_progress_text(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, elapsed: Duration) -> String {
    let id = prior_id(action, id)
        .filter(|id| !id.value.is_empty())
        .map(|id| format!("{}={}, ", id.key, truncate_id(&id.value, MAX_PROGRESS_ID_CHARS)))
        .unwrap_or_default();
    format!("{addr}: Still {}... [{id}{} elapsed]", progress_verb(action, View::Human), go_seconds(whole_seconds(elapsed)))
}

/// `addr: Still creating... [10s elapsed]` (the JSON UI names no id).
pub fn apply_progress(addr: &InstanceAddr, action: Action, elapsed: Duration, now: &str) -> String {
    let secs = whole_seconds(elapsed);
    let message = format!("{addr}: Still {}... [{} elapsed]", progress_verb(action, View::Json), go_seconds(secs));
    let fields = vec![("action", json!(action.ui_name())), ("elapsed_seconds", json!(secs))];
    line(Level::Info, &message, "apply_progress", now, vec![("hook", hook(addr, fields))])
}

/// `addr: Creation complete after 1s [id=...]` (no id after a delete).
pub fn apply_complete(addr: &InstanceAddr, action: Action, id: Option<&ObjectLabel>, elapsed: Duration, now: &str) -> String {
    let id = id.filter(|_| action != Action::Delete);
    let secs = whole_seconds(elapsed);
    let mut fields = vec![("action", json!(action.ui_name()))];
    fields.extend(id_fields(id));
    fields.push(("elapsed_seconds", json!(secs)));
    let message = complete_text(addr, action, id, elapsed, View::Json);
    line(Level::Info, &message, "apply_complete", now, vec![("hook", hook(addr, fields))])
}

/// `addr: Creation errored after 1s` (the error follows as a diagnostic).
pub fn apply_errored(addr: &InstanceAddr, action: Action, elapsed: Duration, now: &str) -> String {
    let secs = whole_seconds(elapsed);
    let fields = vec![("action", json!(action.ui_name())), ("elapsed_seconds", json!(secs))];
    let message = format!("{addr}: {} errored after {}", action_noun(action, View::Json), go_seconds(secs));
    line(Level::Error, &message, "apply_errored", now, vec![("hook", hook(addr, fields))])
}

/// What Terraform prints as an ephemeral resource instance is opened,
/// renewed or closed (`elapsed` None) and when that is done:
/// `ephemeral.random_password.db: Opening...`, `... Opening complete after 0s`.
pub fn ephemeral_message(addr: &InstanceAddr, op: EphemeralOp, elapsed: Option<Duration>) -> String {
    match elapsed {
        None => format!("{addr}: {}...", op.progressive()),
        Some(d) => format!("{addr}: {} complete after {}", op.progressive(), go_seconds(whole_seconds(d))),
    }
}

/// Terraform's `ephemeral_op_start` and `ephemeral_op_complete` lines.
pub fn ephemeral_op(addr: &InstanceAddr, op: EphemeralOp, elapsed: Option<Duration>, now: &str) -> String {
    let mut fields = vec![("action", json!(op.ui_name()))];
    let kind = match elapsed {
        None => "ephemeral_op_start",
        Some(d) => {
            fields.push(("elapsed_seconds", json!(whole_seconds(d))));
            "ephemeral_op_complete"
        }
    };
    line(Level::Info, &ephemeral_message(addr, op, elapsed), kind, now, vec![("hook", hook(addr, fields))])
}

/// The lines a plan is reported with, in Terraform's order: the refresh of
/// each object state held (when the plan refreshed), drift, each listed
/// change, the summary, and the root outputs' planned actions.
pub fn plan_lines(plan: &Plan, refreshed: bool, now: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if refreshed {
        // Every managed object state held, including those refresh found gone.
        let mut held: BTreeMap<&InstanceAddr, Option<ObjectLabel>> = BTreeMap::new();
        for (addr, inst) in plan.prior_state.resources.iter().filter(|(a, _)| a.resource.mode == Mode::Managed) {
            held.insert(addr, ObjectLabel::id(&inst.attributes));
        }
        for d in plan.drift.iter().filter(|d| d.action == Action::Delete) {
            held.entry(&d.addr).or_insert_with(|| ObjectLabel::id(&d.before));
        }
        for (addr, id) in held {
            lines.push(refresh_start(addr, id.as_ref(), now));
            lines.push(refresh_complete(addr, id.as_ref(), now));
        }
    }
    for d in &plan.drift {
        lines.push(resource_drift(&d.addr, d.action, now));
    }
    if plan.mode != PlanMode::RefreshOnly {
        lines.extend(plan.changes.iter().filter(|c| listed(c)).map(|c| planned_change(c, now)));
    }
    lines.push(change_summary(Summary::of(plan), Operation::Plan, now));
    if !plan.outputs.is_empty() {
        let sorted: BTreeMap<&str, Json> =
            plan.outputs.iter().map(|o| (o.name.as_str(), json!({"sensitive": o.sensitive, "action": o.action.ui_name()}))).collect();
        let outputs: Map<String, Json> = sorted.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        lines.push(line(Level::Info, &format!("Outputs: {}", outputs.len()), "outputs", now, vec![("outputs", Json::Object(outputs))]));
    }
    lines
}

/// The `planned_change` lines alone, as applying a saved plan begins.
pub fn planned_changes(plan: &Plan, now: &str) -> Vec<String> {
    plan.changes.iter().filter(|c| listed(c)).map(|c| planned_change(c, now)).collect()
}

/// `Outputs: N` after an apply: each root output's type (as state records
/// it: Terraform's, where the configuration says more than the value) and
/// value (left out when sensitive), sorted by name.
pub fn outputs<'a>(values: impl IntoIterator<Item = (&'a String, &'a Value, Json)>, now: &str) -> String {
    let mut sorted: BTreeMap<&str, Json> = BTreeMap::new();
    for (name, v, type_) in values {
        let sensitive = matches!(v, Value::Sensitive(_));
        // The UI's lines are serde_json documents: numbers beyond 64-bit
        // integers are float64s here (state and `output -json` are exact).
        let plain = iac_core::json::Json::from_value(&v.clone().unmark_deep().0);
        let mut o = Map::new();
        o.insert("sensitive".into(), json!(sensitive));
        o.insert("type".into(), type_);
        if !sensitive {
            o.insert("value".into(), plain.to_serde_json());
        }
        sorted.insert(name, Json::Object(o));
    }
    let m: Map<String, Json> = sorted.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    line(Level::Info, &format!("Outputs: {}", m.len()), "outputs", now, vec![("outputs", Json::Object(m))])
}

/// Terraform's `diagnostic` object: severity, summary, detail, the
/// `address` of what it belongs to when it names one, and where there is a
/// span, its `range` (end exclusive) and `snippet` (the lines it
/// covers, the enclosing top-level block as `context`, the highlight's
/// offsets into the code).
pub fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> Json {
    let mut m = Map::new();
    m.insert("severity".into(), json!(if d.is_error() { "error" } else { "warning" }));
    m.insert("summary".into(), json!(d.summary));
    m.insert("detail".into(), json!(d.detail));
    if let Some(address) = &d.address {
        m.insert("address".into(), json!(address));
    }
    let Some(span) = &d.span else { return Json::Object(m) };
    let file = sources.get(span.file);
    let text = file.text.as_str();
    let start = span.range.start.min(text.len());
    let mut end = span.range.end.clamp(start, text.len());
    if end == start {
        // An empty range is widened to one byte, as Terraform does.
        end = (start + 1).min(text.len().max(start + 1));
    }
    let pos = |offset: usize| {
        let (line, column) = if offset > text.len() {
            let (l, c) = file.line_col(text.len());
            (l, c + (offset - text.len()))
        } else {
            file.line_col(offset)
        };
        json!({"line": line, "column": column, "byte": offset})
    };
    let filename = file.name.strip_prefix("./").unwrap_or(&file.name);
    m.insert("range".into(), json!({"filename": filename, "start": pos(start), "end": pos(end)}));
    // The whole lines the range overlaps.
    let code_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let last = end.saturating_sub(1).max(start).min(text.len());
    let code_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    let code = text.get(code_start..code_end.max(code_start)).unwrap_or("").trim_end_matches('\r');
    let context = start.checked_sub(1).and_then(|o| iac_lang::source::context_string(text, o));
    let hl_start = (start - code_start).min(code.len());
    let hl_end = (hl_start + (end - start)).min(code.len());
    m.insert(
        "snippet".into(),
        json!({
            "context": context,
            "code": code,
            "start_line": file.line_col(code_start).0,
            "highlight_start_offset": hl_start,
            "highlight_end_offset": hl_end,
            "values": d.values.iter().map(|v| json!({"traversal": v.traversal, "statement": v.statement})).collect::<Vec<_>>(),
        }),
    );
    Json::Object(m)
}

/// A `diagnostic` line: `Error: summary` or `Warning: summary`.
pub fn diagnostic(d: &Diagnostic, sources: &SourceMap, now: &str) -> String {
    let (level, word) = if d.is_error() { (Level::Error, "Error") } else { (Level::Warn, "Warning") };
    line(level, &format!("{word}: {}", d.summary), "diagnostic", now, vec![("diagnostic", diagnostic_json(d, sources))])
}

/// `validate -json`'s document (format 1.0), diagnostics in source order.
pub fn validate_json(diags: &[Diagnostic], sources: &SourceMap) -> Json {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let mut diags: Vec<&Diagnostic> = diags.iter().collect();
    diags.sort_by_key(|d| d.span.as_ref().map_or((u32::MAX, usize::MAX), |s| (s.file.0, s.range.start)));
    json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.len() - errors,
        "diagnostics": diags.iter().map(|d| diagnostic_json(d, sources)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_core::address::{ModulePath, ResourceAddr};
    use iac_lang::source::{SourceFile, Span};

    const NOW: &str = "2026-01-02T03:04:05.000006Z";

    /// An object named by its `id`.
    fn id(value: &str) -> ObjectLabel {
        named("id", value)
    }

    /// An object named by attribute `key`.
    fn named(key: &'static str, value: &str) -> ObjectLabel {
        ObjectLabel { key, value: value.into() }
    }

    fn parse(l: &str) -> Json {
        serde_json::from_str(l).expect("one JSON object")
    }

    fn module_addr() -> InstanceAddr {
        let mut r = ResourceAddr::managed("terraform_data", "r");
        r.module = ModulePath::root().child("e", InstanceKey::Str("k1".into()));
        r.instance(InstanceKey::Str("x".into()))
    }

    #[test]
    fn lines_carry_terraforms_fields_in_its_order() {
        let l = version("1.11.4", NOW);
        assert_eq!(
            l,
            r#"{"@level":"info","@message":"Terraform 1.11.4","@module":"terraform.ui","@timestamp":"2026-01-02T03:04:05.000006Z","terraform":"1.11.4","type":"version","ui":"1.2"}"#
        );
        let j = parse(&apply_start(&module_addr(), Action::Delete, Some(&id("i-1")), NOW));
        assert_eq!(j["@message"], r#"module.e["k1"].terraform_data.r["x"]: Destroying... [id=i-1]"#);
        assert_eq!(
            j["hook"]["resource"],
            json!({"addr": "module.e[\"k1\"].terraform_data.r[\"x\"]", "module": "module.e[\"k1\"]", "resource": "terraform_data.r[\"x\"]",
                   "implied_provider": "terraform", "resource_type": "terraform_data", "resource_name": "r", "resource_key": "x"})
        );
        let keys: Vec<&String> = j["hook"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["resource", "action", "id_key", "id_value"]);
    }

    #[test]
    fn hooks_say_what_terraform_says() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let cases: Vec<(String, &str, &str)> = vec![
            (apply_start(&a, Action::Create, Some(&id("ignored")), NOW), "terraform_data.a: Creating...", "apply_start"),
            (apply_start(&a, Action::Update, Some(&id("i-1")), NOW), "terraform_data.a: Modifying... [id=i-1]", "apply_start"),
            (apply_progress(&a, Action::Create, Duration::from_secs(10), NOW), "terraform_data.a: Still creating... [10s elapsed]", "apply_progress"),
            (
                apply_complete(&a, Action::Create, Some(&id("i-2")), Duration::from_millis(400), NOW),
                "terraform_data.a: Creation complete after 0s [id=i-2]",
                "apply_complete",
            ),
            (
                apply_complete(&a, Action::Delete, Some(&id("i-2")), Duration::from_secs(65), NOW),
                "terraform_data.a: Destruction complete after 1m5s",
                "apply_complete",
            ),
            (apply_errored(&a, Action::Update, Duration::from_secs(3600), NOW), "terraform_data.a: Modifications errored after 1h0m0s", "apply_errored"),
            (refresh_start(&a, Some(&id("i-1")), NOW), "terraform_data.a: Refreshing state... [id=i-1]", "refresh_start"),
            (refresh_complete(&a, None, NOW), "terraform_data.a: Refresh complete", "refresh_complete"),
            (resource_drift(&a, Action::Delete, NOW), "terraform_data.a: Drift detected (delete)", "resource_drift"),
        ];
        for (l, message, kind) in cases {
            let j = parse(&l);
            assert_eq!((j["@message"].as_str().unwrap(), j["type"].as_str().unwrap()), (message, kind), "{l}");
        }
        // The JSON UI's id_key and id_value, each left out when empty.
        let fields = |l: &str| {
            let j = parse(l);
            (j["@message"].as_str().unwrap().to_string(), j["hook"].get("id_key").cloned(), j["hook"].get("id_value").cloned())
        };
        let id_cases = [
            (apply_start(&a, Action::Delete, Some(&named("name", "web")), NOW), "terraform_data.a: Destroying... [name=web]", Some("name"), Some("web")),
            (apply_start(&a, Action::Delete, Some(&id("")), NOW), "terraform_data.a: Destroying...", Some("id"), None),
            (apply_start(&a, Action::Delete, None, NOW), "terraform_data.a: Destroying...", None, None),
            (
                apply_complete(&a, Action::Update, Some(&named("tags.Name", "web")), Duration::ZERO, NOW),
                "terraform_data.a: Modifications complete after 0s [tags.Name=web]",
                Some("tags.Name"),
                Some("web"),
            ),
        ];
        for (l, message, key, value) in id_cases {
            assert_eq!(fields(&l), (message.to_string(), key.map(|k| json!(k)), value.map(|v| json!(v))), "{l}");
        }
        let errored = parse(&apply_errored(&a, Action::Create, Duration::ZERO, NOW));
        assert_eq!(errored["@level"], "error");
        assert_eq!(errored["hook"]["elapsed_seconds"], 0);
    }

    /// The human UI's lines (Terraform's `hook_ui.go`): a `Still ...` line
    /// names the id of the object an update or destroy works on (cut in its
    /// middle past 80 characters) before the time; a read is `Reading...`,
    /// `Still reading...`, `Read complete` (`Refreshing...`, `Refresh
    /// complete` in the JSON UI).
    #[test]
    fn human_lines_say_what_terraform_says() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let r: InstanceAddr = "data.terraform_remote_state.r".parse().unwrap();
        let long = format!("{}{}", "a".repeat(50), "b".repeat(50));
        let cases: Vec<(String, String)> = vec![
            (
                apply_progress_text(&a, Action::Create, Some(&id("ignored")), Duration::from_secs(10)),
                "terraform_data.a: Still creating... [10s elapsed]".into(),
            ),
            (apply_progress_text(&a, Action::Create, None, Duration::from_millis(20_400)), "terraform_data.a: Still creating... [20s elapsed]".into()),
            (
                apply_progress_text(&a, Action::Delete, Some(&id("i-1")), Duration::from_secs(10)),
                "terraform_data.a: Still destroying... [id=i-1, 10s elapsed]".into(),
            ),
            (apply_progress_text(&a, Action::Delete, None, Duration::from_secs(10)), "terraform_data.a: Still destroying... [10s elapsed]".into()),
            (
                apply_progress_text(&a, Action::Update, Some(&id("i-1")), Duration::from_secs(65)),
                "terraform_data.a: Still modifying... [id=i-1, 1m5s elapsed]".into(),
            ),
            (apply_progress_text(&r, Action::Read, None, Duration::from_secs(10)), "data.terraform_remote_state.r: Still reading... [10s elapsed]".into()),
            (
                apply_progress_text(&a, Action::Delete, Some(&id(&long[..80])), Duration::from_secs(10)),
                format!("terraform_data.a: Still destroying... [id={}, 10s elapsed]", &long[..80]),
            ),
            (
                apply_progress_text(&a, Action::Delete, Some(&id(&long)), Duration::from_secs(10)),
                format!("terraform_data.a: Still destroying... [id={}...{}, 10s elapsed]", "a".repeat(39), "b".repeat(38)),
            ),
            (
                apply_start_text(&a, Action::Delete, Some(&id("i-1")), Some("00000001")),
                "terraform_data.a (deposed object 00000001): Destroying... [id=i-1]".into(),
            ),
            (apply_start_text(&a, Action::Update, Some(&id("i-1")), None), "terraform_data.a: Modifying... [id=i-1]".into()),
            (apply_start_text(&a, Action::Create, Some(&id("old")), None), "terraform_data.a: Creating...".into()),
            (apply_start_text(&r, Action::Read, Some(&id("old")), None), "data.terraform_remote_state.r: Reading...".into()),
            (apply_complete_text(&r, Action::Read, None, Duration::ZERO), "data.terraform_remote_state.r: Read complete after 0s".into()),
            (
                apply_complete_text(&a, Action::Create, Some(&id("i-2")), Duration::from_secs(11)),
                "terraform_data.a: Creation complete after 11s [id=i-2]".into(),
            ),
            (apply_complete_text(&a, Action::Delete, Some(&id("i-2")), Duration::from_secs(11)), "terraform_data.a: Destruction complete after 11s".into()),
            (apply_start_text(&a, Action::Update, Some(&named("name", "web")), None), "terraform_data.a: Modifying... [name=web]".into()),
            (apply_start_text(&a, Action::Delete, Some(&named("tags.Name", "web")), None), "terraform_data.a: Destroying... [tags.Name=web]".into()),
            (apply_start_text(&a, Action::Delete, Some(&id("")), None), "terraform_data.a: Destroying...".into()),
            (
                apply_progress_text(&a, Action::Delete, Some(&named("tags.Name", &long)), Duration::from_secs(10)),
                format!("terraform_data.a: Still destroying... [tags.Name={}...{}, 10s elapsed]", "a".repeat(39), "b".repeat(38)),
            ),
            (apply_progress_text(&a, Action::Update, Some(&id("")), Duration::from_secs(10)), "terraform_data.a: Still modifying... [10s elapsed]".into()),
            (
                apply_complete_text(&a, Action::Create, Some(&named("name", "web")), Duration::from_secs(1)),
                "terraform_data.a: Creation complete after 1s [name=web]".into(),
            ),
            (
                parse(&apply_start(&r, Action::Read, Some(&id("old")), NOW))["@message"].as_str().unwrap().into(),
                "data.terraform_remote_state.r: Refreshing...".into(),
            ),
            (
                parse(&apply_complete(&r, Action::Read, None, Duration::ZERO, NOW))["@message"].as_str().unwrap().into(),
                "data.terraform_remote_state.r: Refresh complete after 0s".into(),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(line, want);
        }
    }

    /// Terraform's `truncateId`, on its own test's table: cut in the middle
    /// by characters, never below 5.
    #[test]
    fn ids_are_cut_as_terraform_cuts_them() {
        let cases = [
            ("Hello world", 3, "H...d"),
            ("Hello world", 5, "H...d"),
            ("Hello world", 6, "He...d"),
            ("Hello world", 7, "He...ld"),
            ("Hello world", 8, "Hel...ld"),
            ("Hello world", 9, "Hel...rld"),
            ("Hello world", 10, "Hell...rld"),
            ("Hello world", 11, "Hello world"),
            ("Hello world", 12, "Hello world"),
            ("あいうえおかきくけこさ", 3, "あ...さ"),
            ("あいうえおかきくけこさ", 6, "あい...さ"),
            ("あいうえおかきくけこさ", 7, "あい...こさ"),
            ("あいうえおかきくけこさ", 10, "あいうえ...けこさ"),
            ("あいうえおかきくけこさ", 11, "あいうえおかきくけこさ"),
        ];
        for (id, max, want) in cases {
            assert_eq!(truncate_id(id, max), want, "{id} cut to {max}");
        }
    }

    #[test]
    fn summaries_count_replaces_twice_and_imports_apart() {
        let mut s = Summary::default();
        for (a, importing) in [(Action::Create, false), (Action::Replace, false), (Action::Update, true), (Action::Read, false), (Action::Import, false)] {
            s.count(a, importing);
        }
        assert_eq!(s, Summary { add: 2, change: 1, import: 2, remove: 1 });
        let cases = [
            (Operation::Plan, "Plan: 2 to import, 2 to add, 1 to change, 1 to destroy.", "plan"),
            (Operation::Apply, "Apply complete! Resources: 2 imported, 2 added, 1 changed, 1 destroyed.", "apply"),
            (Operation::Destroy, "Destroy complete! Resources: 1 destroyed.", "destroy"),
        ];
        for (op, message, name) in cases {
            let j = parse(&change_summary(s, op, NOW));
            assert_eq!(j["@message"], message);
            assert_eq!(j["changes"], json!({"add": 2, "change": 1, "import": 2, "remove": 1, "operation": name}));
        }
        let none = parse(&change_summary(Summary::default(), Operation::Plan, NOW));
        assert_eq!(none["@message"], "Plan: 0 to add, 0 to change, 0 to destroy.");
    }

    #[test]
    fn diagnostics_have_ranges_and_snippets() {
        let text = "resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n";
        let mut sources = SourceMap::default();
        let file = sources.add(SourceFile::new("./main.tf".into(), "main.tf".into(), text.into()));
        let start = text.find("var.missing").unwrap();
        let d = Diagnostic::error("Reference to undeclared input variable", Some(Span { file, range: start..start + 11 })).with_detail("none");
        let j = diagnostic_json(&d, &sources);
        assert_eq!(
            j,
            json!({
                "severity": "error", "summary": "Reference to undeclared input variable", "detail": "none",
                "range": {"filename": "main.tf", "start": {"line": 2, "column": 11, "byte": 42}, "end": {"line": 2, "column": 22, "byte": 53}},
                "snippet": {"context": "resource \"terraform_data\" \"a\"", "code": "  input = var.missing", "start_line": 2,
                            "highlight_start_offset": 10, "highlight_end_offset": 21, "values": []}
            })
        );
        let l = parse(&diagnostic(&d, &sources, NOW));
        assert_eq!((l["@level"].as_str(), l["@message"].as_str()), (Some("error"), Some("Error: Reference to undeclared input variable")));
        let w = parse(&diagnostic(&Diagnostic::warning("careful", None), &sources, NOW));
        assert_eq!(w["@level"], "warn");
        assert_eq!(w["diagnostic"], json!({"severity": "warning", "summary": "careful", "detail": ""}));
        let v = validate_json(&[d, Diagnostic::warning("careful", None)], &sources);
        assert_eq!((v["valid"].clone(), v["error_count"].clone(), v["warning_count"].clone()), (json!(false), json!(1), json!(1)));
        assert_eq!(validate_json(&[], &sources), json!({"format_version": "1.0", "valid": true, "error_count": 0, "warning_count": 0, "diagnostics": []}));
        // A provider configuration's error names it after the detail, as
        // Terraform 1.11.4 does (its `with provider[...]` line).
        let brace = text.find('{').unwrap();
        let configure = Diagnostic::error("invalid AWS Region: not-a-region", Some(Span { file, range: brace..brace }))
            .with_address(r#"provider["registry.terraform.io/hashicorp/aws"]"#);
        let j = diagnostic_json(&configure, &sources);
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["severity", "summary", "detail", "address", "range", "snippet"]);
        assert_eq!(j["address"], r#"provider["registry.terraform.io/hashicorp/aws"]"#);
        assert_eq!(j["range"], json!({"filename": "main.tf", "start": {"line": 1, "column": 31, "byte": 30}, "end": {"line": 1, "column": 32, "byte": 31}}));
    }

    /// One change of a test plan: address, action, imported, moved from.
    type Change<'a> = (&'a str, Action, bool, Option<&'a str>);

    /// A plan of the given changes.
    fn plan_of(changes: &[Change<'_>]) -> Plan {
        let obj = |id: &str| Value::Map([("id".to_string(), Value::String(id.into()))].into_iter().collect());
        // Built from its serialized form: the fields a plan must have, the rest defaulted.
        let mut plan: Plan = serde_json::from_value(json!({
            "format_version": iac_core::plan::PLAN_FORMAT_VERSION, "mode": "normal", "stack_digest": "", "prior_lineage": "",
            "prior_serial": 0, "variables": {}, "changes": [], "outputs": [], "drift": [],
            "prior_state": serde_json::to_value(iac_core::state::State::new("l".into())).unwrap(),
        }))
        .expect("a plan");
        plan.changes = changes
            .iter()
            .map(|(addr, action, imported, prev)| ResourceChange {
                addr: addr.parse().unwrap(),
                prev_addr: prev.map(|p| p.parse().unwrap()),
                provider: iac_core::address::ProviderAddr::new("terraform"),
                action: *action,
                before: if *action == Action::Create { Value::Null } else { obj("old") },
                after: if *action == Action::Delete { Value::Null } else { obj("new") },
                replace_paths: Vec::new(),
                reason: (*action == Action::Replace).then(|| reason::REPLACE_CANNOT_UPDATE.to_string()),
                create_before_destroy: false,
                private: None,
                dependencies: Vec::new(),
                import_id: imported.then(|| "id-1".to_string()),
                deposed: None,
            })
            .collect();
        plan
    }

    /// The human plan lists every change in Terraform's order of addresses
    /// (`AbsResourceInstance.Less`, then the deposed key), whatever order the
    /// plan holds them in: a module's data sources before its managed
    /// resources, shorter module paths first, numeric keys by number, string
    /// keys byte by byte, a deposed object after the current one.
    #[test]
    fn the_human_plan_lists_changes_in_terraforms_order() {
        let mut plan = plan_of(&[
            ("terraform_data.x", Action::Delete, false, None),
            ("terraform_data.x", Action::Create, false, None),
            ("module.a.module.z.terraform_data.d", Action::Create, false, None),
            ("module.b.terraform_data.h", Action::Create, false, None),
            ("module.b.data.terraform_remote_state.r", Action::Read, false, None),
            ("terraform_data.n[10]", Action::Create, false, None),
            ("terraform_data.n[2]", Action::Create, false, None),
            ("terraform_data.k[\"a\"]", Action::Create, false, None),
            ("terraform_data.k[\"B\"]", Action::Create, false, None),
            ("data.terraform_remote_state.r", Action::Read, false, None),
        ]);
        plan.changes[0].deposed = Some("00000001".into());
        let text = crate::human::render_plan(&plan, crate::human::Style { color: false });
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("  # ") && !l.starts_with("  # (")).collect();
        assert_eq!(
            headers,
            [
                "  # data.terraform_remote_state.r will be read during apply",
                "  # terraform_data.k[\"B\"] will be created",
                "  # terraform_data.k[\"a\"] will be created",
                "  # terraform_data.n[2] will be created",
                "  # terraform_data.n[10] will be created",
                "  # terraform_data.x will be created",
                "  # terraform_data.x (deposed object 00000001) will be destroyed",
                "  # module.b.data.terraform_remote_state.r will be read during apply",
                "  # module.b.terraform_data.h will be created",
                "  # module.a.module.z.terraform_data.d will be created",
            ],
            "{text}"
        );
    }

    /// The text plan's `Plan:` line, the pull-request comment's summary (and
    /// the `Plan:` line of the diff inside it), and the `-json` summary give
    /// the same counts for the same changes: replacements (one add and one
    /// destroy), imports alone and with an update, reads, moves.
    #[test]
    fn every_report_of_a_plan_counts_alike() {
        let cases: Vec<(&str, Vec<Change<'_>>, &str, &str)> = vec![
            (
                "create, update, replace, delete",
                vec![
                    ("terraform_data.a", Action::Create, false, None),
                    ("terraform_data.b", Action::Update, false, None),
                    ("terraform_data.c", Action::Replace, false, None),
                    ("terraform_data.d", Action::Delete, false, None),
                ],
                "Plan: 2 to add, 1 to change, 2 to destroy.",
                "**Plan:** 2 to add, 1 to change, 2 to destroy (including 1 replacement).",
            ),
            (
                "an import alone and an import with an update",
                vec![("terraform_data.i", Action::Import, true, None), ("terraform_data.j", Action::Update, true, None)],
                "Plan: 2 to import, 0 to add, 1 to change, 0 to destroy.",
                "**Plan:** 2 to import, 0 to add, 1 to change, 0 to destroy.",
            ),
            (
                "reads and moves count nowhere",
                vec![("data.terraform_data.r", Action::Read, false, None), ("terraform_data.m", Action::NoOp, false, Some("terraform_data.old"))],
                "Plan: 0 to add, 0 to change, 0 to destroy.",
                "**Plan:** 0 to add, 0 to change, 0 to destroy.",
            ),
            (
                "two replacements",
                vec![("terraform_data.x", Action::Replace, false, None), ("terraform_data.y", Action::Replace, false, None)],
                "Plan: 2 to add, 0 to change, 2 to destroy.",
                "**Plan:** 2 to add, 0 to change, 2 to destroy (including 2 replacements).",
            ),
        ];
        for (what, changes, text_line, comment_line) in cases {
            let plan = plan_of(&changes);
            assert_eq!(crate::human::summary_line(&plan), text_line, "{what}: the text plan");
            let text = crate::human::render_plan(&plan, crate::human::Style { color: false });
            assert!(text.contains(text_line), "{what}: the text plan says\n{text}");
            let sources = SourceMap::default();
            let sections =
                [crate::markdown::Section { name: "s", outcome: crate::markdown::Outcome::Planned { plan: &plan, warnings: &[], sources: &sources } }];
            let comment = crate::markdown::plan_comment(&sections, &crate::markdown::Options::default()).concat();
            assert!(comment.contains(comment_line), "{what}: the comment's summary\n{comment}");
            assert!(comment.contains(text_line), "{what}: the diff in the comment has the text plan's line\n{comment}");
            let summary = parse(&change_summary(Summary::of(&plan), Operation::Plan, NOW));
            assert_eq!(summary["@message"], text_line, "{what}: -json");
        }
    }
}
