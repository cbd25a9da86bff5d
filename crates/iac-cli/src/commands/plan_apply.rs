//! `iac plan`, `iac apply`, `iac destroy`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use iac_core::address::InstanceAddr;
use iac_core::plan::{Action, Plan, PlanMode};
use iac_engine::ops::{self, PlanRequest};
use iac_engine::run::{Event, ObjectLabel, RunOptions};
use iac_render::human::{render_plan, Style};
use iac_render::ui;

use iac_engine::ops::Loaded;
use iac_render::markdown::{plan_comment, Options as MarkdownOptions, Outcome, Section};

use iac_render::apply::{summary_markdown as summary_markdown_text, ApplyLog, ApplyResult};

use super::show::Format;
use super::{cli_vars, is_interactive, Ctx};
use crate::args::{PlanArgs, ReportArgs};
use crate::report::{ui_now, Reporter};

fn run_options(ctx: &Ctx, p: &PlanArgs) -> Result<RunOptions, u8> {
    let mut targets = Vec::new();
    for t in &p.target {
        match t.parse() {
            Ok(t) => targets.push(t),
            Err(e) => {
                ctx.reporter.error(&format!("-target: {e}"));
                return Err(1);
            }
        }
    }
    let mut replace = Vec::new();
    for r in &p.replace {
        match r.parse() {
            Ok(a) => replace.push(a),
            Err(e) => {
                ctx.reporter.error(&format!("-replace: {e}"));
                return Err(1);
            }
        }
    }
    if p.refresh_only && p.destroy {
        ctx.reporter.error("-refresh-only and -destroy cannot be used together");
        return Err(1);
    }
    let mode = if p.destroy {
        PlanMode::Destroy
    } else if p.refresh_only {
        PlanMode::RefreshOnly
    } else {
        PlanMode::Normal
    };
    Ok(RunOptions { mode, refresh: p.refresh, targets, replace, parallelism: p.parallelism.max(1), ..RunOptions::default() })
}

/// The result of planning one stack of `iac plan DIR...` (or a GitOps
/// tree, which has no loaded stack and is never saved).
struct StackPlan {
    name: String,
    dir: PathBuf,
    sources: iac_lang::source::SourceMap,
    result: Result<(Option<Loaded>, ops::PlanOutcome), iac_engine::EngineError>,
    /// For a GitOps tree: what it was compared with.
    gitops: Option<String>,
}

impl StackPlan {
    /// 1 for an error, 2 for changes (with -detailed-exitcode), else 0.
    fn exit_code(&self, detailed: bool) -> u8 {
        match &self.result {
            Err(_) => 1,
            Ok((_, o)) if detailed && o.plan.has_changes() => 2,
            Ok(_) => 0,
        }
    }
}

/// Several stacks' exit codes as one: any 1 makes 1, else any 2 makes 2.
pub fn combine_exit_codes(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes.into_iter().fold(0, |acc, c| match (acc, c) {
        (1, _) | (_, 1) => 1,
        (2, _) | (_, 2) => 2,
        _ => acc.max(c),
    })
}

async fn plan_stack(ctx: &Ctx, p: &PlanArgs, dir: PathBuf, out: Option<&PathBuf>) -> StackPlan {
    let name = super::comment::stack_name(&dir);
    let stack = match super::comment::open_stack(ctx, &dir, &p.lock) {
        Ok(s) => s,
        Err((e, sources)) => return StackPlan { name, dir, sources, result: Err(e), gitops: None },
    };
    // The stack's directory is left when `stack` goes out of scope, at the end.
    let (loaded, env) = (stack.loaded, &stack.env);
    let sources = loaded.stack.sources.clone();
    let run = match run_options(ctx, p) {
        Ok(r) => r,
        Err(_) => return StackPlan { name, dir, sources, result: Err(iac_engine::EngineError::Invalid("invalid -target or -replace".into())), gitops: None },
    };
    watch_interrupt(env.cancel.clone());
    match ops::plan_loaded(&loaded, env, PlanRequest { vars: cli_vars(&p.vars, true), run }).await {
        Ok(o) => {
            ctx.reporter.diagnostics(&o.warnings, &loaded.stack.sources);
            // Saved now, while in the stack's directory: a relative -out lands in it.
            if let Some(path) = out {
                if let Err(e) = write_plan(path, &o.plan) {
                    ctx.reporter.error(&e);
                    return StackPlan { name, dir, sources, result: Err(iac_engine::EngineError::Invalid(e)), gitops: None };
                }
            }
            StackPlan { name, dir, sources, result: Ok((Some(loaded), o)), gitops: None }
        }
        Err(e) => {
            // As Terraform: a plan whose walk failed is saved, errored (apply refuses it).
            if let (Some(path), iac_engine::EngineError::Errored { plan, .. }) = (out, &e) {
                if let Err(e) = write_plan(path, plan) {
                    ctx.reporter.error(&e);
                }
            }
            // Terraform's machine-readable UI streams what an errored plan
            // planned, then its errors.
            if let (true, iac_engine::EngineError::Errored { plan, .. }) = (ctx.reporter.json, &e) {
                emit(ui::plan_lines(plan, p.refresh, &ui_now()));
            }
            ctx.fail(&e, Some(&loaded));
            StackPlan { name, dir, sources, result: Err(e), gitops: None }
        }
    }
}

/// A GitOps tree's plan: what Argo CD will apply, kro's expansions included.
fn plan_gitops_tree(ctx: &Ctx, dir: PathBuf, base: &str) -> StackPlan {
    let name = super::comment::stack_name(&dir);
    let sources = iac_lang::source::SourceMap::default();
    match super::gitops::plan_tree(&dir, base) {
        Ok((plan, against)) => StackPlan { name, dir, sources, result: Ok((None, ops::PlanOutcome { plan, warnings: Vec::new() })), gitops: Some(against) },
        Err(e) => {
            ctx.reporter.error(&format!("{}: {e}", dir.display()));
            StackPlan { name, dir, sources, result: Err(iac_engine::EngineError::Invalid(e)), gitops: Some(String::new()) }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn plan(ctx: &Ctx, p: PlanArgs, out: Option<PathBuf>, detailed: bool, json: bool, report: ReportArgs, dirs: Vec<PathBuf>, gitops_base: &str) -> u8 {
    if json {
        return plan_stream(ctx, p, out, detailed, &report, dirs).await;
    }
    let format = match super::show::format(ctx, false, &report) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let several = !dirs.is_empty();
    let dirs = if dirs.is_empty() { vec![ctx.dir.clone()] } else { dirs };
    let mut stacks = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if super::gitops::is_tree(&dir) {
            stacks.push(plan_gitops_tree(ctx, dir, gitops_base));
        } else {
            stacks.push(plan_stack(ctx, &p, dir, out.as_ref()).await);
        }
    }
    let mut code = combine_exit_codes(stacks.iter().map(|s| s.exit_code(detailed)));
    match format {
        Format::Markdown => {
            let sections: Vec<Section<'_>> = stacks
                .iter()
                .map(|s| Section {
                    name: &s.name,
                    outcome: match &s.result {
                        Ok((_, o)) => Outcome::Planned { plan: &o.plan, warnings: &o.warnings, sources: &s.sources },
                        Err(e) => Outcome::Failed { error: e, sources: &s.sources },
                    },
                })
                .collect();
            let parts = plan_comment(&sections, &MarkdownOptions::default());
            if let Err(e) = super::comment::emit(&parts, report.markdown_dir.as_ref()) {
                ctx.reporter.error(&e);
                code = 1;
            }
        }
        Format::Json if stacks.len() == 1 => {
            if let Ok((_, o)) = &stacks[0].result {
                outln!("{}", iac_render::json::plan_json(&o.plan, Default::default()).to_text_pretty());
            }
        }
        Format::Json => {
            use iac_core::json::{Json, Map};
            let items: Vec<Json> = stacks
                .iter()
                .map(|s| {
                    let (k, v) = match &s.result {
                        Ok((_, o)) => ("plan", iac_render::json::plan_json(&o.plan, Default::default())),
                        Err(e) => ("error", Json::String(e.to_string())),
                    };
                    Json::Object(Map::from_iter([("stack", Json::String(s.name.clone())), (k, v)]))
                })
                .collect();
            outln!("{}", Json::Object(Map::from_iter([("stacks", Json::Array(items))])).to_text_pretty());
        }
        Format::Human => {
            let mut stdout = crate::out::Buffered::new();
            for (i, s) in stacks.iter().enumerate() {
                if several {
                    stdout.push(&format!("{}=== {} ===\n\n", if i > 0 { "\n" } else { "" }, s.name));
                }
                if let (Some(against), Ok(_)) = (&s.gitops, &s.result) {
                    stdout
                        .push(&format!("GitOps tree {}, {against}: what Argo CD applies once this is merged, kro's expansions included.\n\n", s.dir.display()));
                }
                match &s.result {
                    Ok((_, o)) => iac_render::human::render_plan_into(&o.plan, Style { color: ctx.color }, &mut |chunk| stdout.push(chunk)),
                    // What an errored plan planned before its error, as Terraform shows it.
                    Err(iac_engine::EngineError::Errored { plan, .. }) => {
                        iac_render::human::render_plan_into(plan, Style { color: ctx.color }, &mut |chunk| stdout.push(chunk))
                    }
                    Err(_) if several => stdout.push("The plan failed; the errors are above.\n"),
                    Err(_) => {}
                }
            }
            stdout.flush();
        }
    }
    if let (Some(path), Format::Human) = (&out, &format) {
        for s in stacks.iter().filter(|s| s.result.is_ok() && s.gitops.is_none()) {
            if several {
                let shown = if path.is_relative() { s.dir.join(path) } else { path.clone() };
                outln!(
                    "\nSaved the plan of {} to: {}\n\nTo apply exactly this plan, run: iac -chdir={} apply {}",
                    s.name,
                    shown.display(),
                    s.dir.display(),
                    path.display()
                );
            } else {
                outln!("\nSaved the plan to: {}\n\nTo apply exactly this plan, run: iac apply {}", path.display(), path.display());
            }
        }
    }
    exit_without_freeing(stacks);
    code
}

/// A context whose reports are Terraform's machine-readable UI lines, after
/// the `version` line every such stream starts with.
fn json_ctx(ctx: &Ctx) -> Ctx {
    outln!("{}", ui::version(&iac_render::json::terraform_version(), &ui_now()));
    Ctx { dir: ctx.dir.clone(), reporter: Reporter { color: false, json: true }, color: false }
}

fn emit(lines: Vec<String>) {
    let mut all = String::new();
    for l in lines {
        all.push_str(&l);
        all.push('\n');
    }
    crate::out::stdout(&all);
}

/// `iac plan -json`: one stack's plan as Terraform's machine-readable UI
/// (refreshes, drift, planned changes, the summary, output actions; errors
/// and warnings as `diagnostic` lines).
async fn plan_stream(ctx: &Ctx, p: PlanArgs, out: Option<PathBuf>, detailed: bool, report: &ReportArgs, dirs: Vec<PathBuf>) -> u8 {
    let ctx = &json_ctx(ctx);
    if report.format.is_some() {
        ctx.reporter.error("-json is Terraform's machine-readable UI and -format another report: use one of them (-format json prints the plan's JSON)");
        return 1;
    }
    if dirs.len() > 1 || dirs.iter().any(|d| super::gitops::is_tree(d)) {
        ctx.reporter.error("-json plans one stack directory (use -format json for several, or for a GitOps tree)");
        return 1;
    }
    let dir = dirs.into_iter().next().unwrap_or_else(|| ctx.dir.clone());
    let s = plan_stack(ctx, &p, dir, out.as_ref()).await;
    if let Ok((_, o)) = &s.result {
        emit(ui::plan_lines(&o.plan, p.refresh, &ui_now()));
    }
    let code = s.exit_code(detailed);
    exit_without_freeing(s);
    code
}

/// What the reports of an apply need to know of its plan: what each
/// change's object is named by before (its id, name or Name tag, as
/// Terraform finds it) and whether a replacement creates first, and what
/// each deposed object is named by (for the progress lines), the plan's counts and its
/// outputs (for the summaries).
#[derive(Default)]
struct Planned {
    changes: std::collections::HashMap<InstanceAddr, (Option<ObjectLabel>, bool)>,
    deposed: std::collections::HashMap<(InstanceAddr, String), ObjectLabel>,
    summary: ui::Summary,
    /// Each root output's value (sensitive marked) and type JSON.
    outputs: Vec<(String, iac_core::Value, serde_json::Value)>,
}

impl Planned {
    fn of(plan: &Plan) -> Planned {
        let changes = plan
            .changes
            .iter()
            .filter(|c| c.deposed.is_none())
            .map(|c| (c.addr.clone(), (ObjectLabel::id_or_name(&c.before), c.create_before_destroy)))
            .collect();
        let deposed = plan.changes.iter().filter_map(|c| Some(((c.addr.clone(), c.deposed.clone()?), ObjectLabel::id_or_name(&c.before)?))).collect();
        let outputs = plan
            .outputs
            .iter()
            .filter(|o| o.action != Action::Delete)
            .map(|o| (o.name.clone(), if o.sensitive { iac_core::Value::Sensitive(Box::new(o.after.clone())) } else { o.after.clone() }, o.after_type()))
            .collect();
        Planned { changes, deposed, summary: ui::Summary::of(plan), outputs }
    }
}

/// One step of apply's progress as Terraform reports it.
enum Step<'a> {
    Start { addr: &'a InstanceAddr, action: Action, id: Option<ObjectLabel>, deposed: Option<&'a str> },
    Complete { addr: &'a InstanceAddr, action: Action, id: Option<ObjectLabel>, took: std::time::Duration },
    Errored { addr: &'a InstanceAddr, action: Action, took: std::time::Duration, message: &'a str },
}

/// The steps Terraform shows for an operation's event. A replacement, one
/// operation in iac, is shown as Terraform shows it: its delete and its
/// create, in the order they run (a create-before-destroy one's delete is
/// the deposed object's, later, with its own events). The id of what a
/// delete or update starts on is the planned prior object's (a deposed
/// object's own when planned, else the replaced object's, which this run
/// deposed).
fn steps<'a>(e: &'a Event, elapsed: Option<std::time::Duration>, planned: &Planned) -> Vec<Step<'a>> {
    match e {
        Event::Start { addr, action, deposed } => {
            let deposed = deposed.as_deref();
            let (action, id) = shown_start(addr, *action, deposed, planned);
            vec![Step::Start { addr, action, id, deposed }]
        }
        Event::Done { addr, action, elapsed_ms, id } => {
            let (prior, cbd) = planned.changes.get(addr).cloned().unwrap_or_default();
            let took = std::time::Duration::from_millis(*elapsed_ms as u64);
            let id = id.clone().or(prior);
            match action {
                Action::Replace if cbd => vec![Step::Complete { addr, action: Action::Create, id, took }],
                Action::Replace => vec![
                    Step::Complete { addr, action: Action::Delete, id: None, took },
                    Step::Start { addr, action: Action::Create, id: None, deposed: None },
                    Step::Complete { addr, action: Action::Create, id, took },
                ],
                a => vec![Step::Complete { addr, action: *a, id, took }],
            }
        }
        Event::Failed { addr, action, message } => {
            let action = if *action == Action::Replace { Action::Create } else { *action };
            vec![Step::Errored { addr, action, took: elapsed.unwrap_or_default(), message }]
        }
        Event::LockWait { .. } | Event::Ephemeral { .. } => Vec::new(),
    }
}

/// What an operation is shown doing while it runs, as Terraform shows it,
/// and the id of the object it works on: a replacement is its create
/// (create-before-destroy) or its destroy; the id is the planned prior
/// object's (a deposed object's own when planned, else the replaced
/// object's, which this run deposed).
fn shown_start(addr: &InstanceAddr, action: Action, deposed: Option<&str>, planned: &Planned) -> (Action, Option<ObjectLabel>) {
    let (prior, cbd) = planned.changes.get(addr).cloned().unwrap_or_default();
    let id = match deposed {
        Some(key) => planned.deposed.get(&(addr.clone(), key.to_string())).cloned().or(prior),
        None => prior,
    };
    let action = match action {
        Action::Replace if cbd => Action::Create,
        Action::Replace => Action::Delete,
        a => a,
    };
    (action, id)
}

/// Apply's progress as Terraform's `apply_start`/`apply_complete`/
/// `apply_errored` lines (whose messages never name a deposed key).
fn json_progress(e: &Event, elapsed: Option<std::time::Duration>, planned: &Planned) {
    let now = ui_now();
    let mut lines: Vec<String> = steps(e, elapsed, planned)
        .into_iter()
        .map(|s| match s {
            Step::Start { addr, action, id, .. } => ui::apply_start(addr, action, id.as_ref(), &now),
            Step::Complete { addr, action, id, took } => ui::apply_complete(addr, action, id.as_ref(), took, &now),
            Step::Errored { addr, action, took, .. } => ui::apply_errored(addr, action, took, &now),
        })
        .collect();
    if let Event::Ephemeral { addr, op, elapsed_ms } = e {
        lines.push(ui::ephemeral_op(addr, *op, elapsed_ms.map(|ms| std::time::Duration::from_millis(ms as u64)), &now));
    }
    emit(lines);
}

/// The process ends right after a command: freeing a large stack, plan and
/// state value by value only costs time (10-17% of a large plan, measured).
fn exit_without_freeing<T>(big: T) {
    std::mem::forget(big);
}

/// Streams the plan to a temporary file and renames it into place, so a
/// large plan is never held twice in memory and a reader never sees half.
/// The file carries a SHA-256 checksum of its content
/// (`iac_engine::planfile`); sealed, it is authenticated as well.
fn write_plan(path: &std::path::Path, plan: &Plan) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let fail = |e: String| format!("cannot write {}: {e}", path.display());
    if crate::wiring::state_keys().map_err(&fail)?.seals() {
        // Plans hold the same secrets as state: sealed like it when a state key is set.
        let bytes = iac_engine::planfile::encode(plan).map_err(|e| fail(e.to_string()))?;
        std::fs::write(&tmp, crate::wiring::seal_plan(bytes).map_err(&fail)?).map_err(|e| fail(e.to_string()))?;
        return std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()));
    }
    let mut file = std::fs::File::create(&tmp).map_err(|e| fail(e.to_string()))?;
    iac_engine::planfile::write(&mut file, plan).map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
}

/// How often long operations report that they are still running (as
/// Terraform: every 10 s); IAC_PROGRESS_INTERVAL_MS changes it.
fn progress_interval() -> std::time::Duration {
    let ms = std::env::var("IAC_PROGRESS_INTERVAL_MS").ok().and_then(|v| v.parse::<u64>().ok()).filter(|ms| *ms > 0).unwrap_or(10_000);
    std::time::Duration::from_millis(ms)
}

/// Prints "addr: Still creating... [10s elapsed]" (and "addr: Still
/// destroying... [id=ID, 10s elapsed]" for an object with an id) for every
/// operation in flight, once each interval since it started, as
/// Terraform's timer per resource does, so a CI log never goes quiet for
/// minutes.
fn still_running(log: Arc<std::sync::Mutex<ApplyLog>>, planned: Arc<std::sync::Mutex<Planned>>, json: bool) -> tokio::task::JoinHandle<()> {
    let every = progress_interval();
    // Checked often, so that each line comes within a small part of a second
    // of its operation's interval (and says 10s, not 11s).
    let check = (every / 40).clamp(std::time::Duration::from_millis(10), std::time::Duration::from_millis(250));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(check);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Written while the log is locked, as the progress lines are: an
            // operation that just finished never shows as still running after
            // its "complete" line.
            let Ok(mut l) = log.lock() else { return };
            let planned = planned.lock().unwrap_or_else(|p| p.into_inner());
            let mut lines = String::new();
            for (op, elapsed) in l.due_progress(std::time::Instant::now(), every) {
                let Ok(addr) = op.addr.parse::<InstanceAddr>() else { continue };
                let (action, id) = shown_start(&addr, op.action, op.deposed.as_deref(), &planned);
                lines.push_str(&if json {
                    ui::apply_progress(&addr, action, elapsed, &ui_now())
                } else {
                    ui::apply_progress_text(&addr, action, id.as_ref(), elapsed)
                });
                lines.push('\n');
            }
            if !lines.is_empty() {
                crate::out::stdout(&lines);
            }
        }
    })
}

fn append(path: &std::path::Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("cannot write the summary to {}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("cannot write the summary to {}: {e}", path.display()))
}

pub fn read_plan(path: &std::path::Path) -> Result<Plan, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bytes = crate::wiring::open_plan(bytes, path)?;
    iac_engine::planfile::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn watch_interrupt(cancel: Arc<std::sync::atomic::AtomicBool>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.store(true, Ordering::SeqCst);
            errln!("\nInterrupt received: no new operations will start; waiting for those in flight, then saving state.");
        }
    });
}

/// One line per resource on stdout as it starts, and as it ends with the
/// time it took, in Terraform's words (a deposed object's destroy names its
/// key), so CI logs show where time goes. A failure gets a line of its own
/// (Terraform prints only the error), with the error's first words.
fn progress(e: &Event, elapsed: Option<std::time::Duration>, planned: &Planned) {
    for s in steps(e, elapsed, planned) {
        match s {
            Step::Start { addr, action, id, deposed } => outln!("{}", ui::apply_start_text(addr, action, id.as_ref(), deposed)),
            Step::Complete { addr, action, id, took } => outln!("{}", ui::apply_complete_text(addr, action, id.as_ref(), took)),
            Step::Errored { addr, action, took, message } => outln!("{addr}: {} failed after {:.1}s: {message}", action.progressive(), took.as_secs_f64()),
        }
    }
    match e {
        Event::LockWait { .. } => {
            crate::locking::notice(e);
        }
        Event::Ephemeral { addr, op, elapsed_ms } => {
            outln!("{}", ui::ephemeral_message(addr, *op, elapsed_ms.map(|ms| std::time::Duration::from_millis(ms as u64))))
        }
        _ => {}
    }
}

/// Asks the person at the terminal to approve the plan just shown; without
/// a terminal (CI) there is nobody to ask, which is an error.
fn confirm_interactively(ctx: &Ctx) -> bool {
    if !is_interactive() {
        ctx.reporter.error("apply needs confirmation: pass -auto-approve, or apply a saved plan (iac plan -out FILE; iac apply FILE)");
        return false;
    }
    out!("\nDo you want to perform these actions? Only 'yes' will be accepted.\n  Enter a value: ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != "yes" {
        outln!("\nApply cancelled.");
        return false;
    }
    true
}

#[allow(clippy::too_many_arguments)]
pub async fn apply(ctx: &Ctx, p: PlanArgs, auto_approve: bool, plan_file: Option<PathBuf>, summary_markdown: Option<PathBuf>, json: bool) -> u8 {
    let json_ctx_;
    let ctx = if json {
        json_ctx_ = json_ctx(ctx);
        &json_ctx_
    } else {
        ctx
    };
    if json && !auto_approve && plan_file.is_none() {
        let d = iac_lang::diagnostic::Diagnostic::error("Plan file or auto-approve required", None).with_detail(
            "iac cannot ask for interactive approval when -json is set. You can either apply a saved plan file, or enable the -auto-approve option.",
        );
        ctx.reporter.diagnostics(&[d], &iac_lang::source::SourceMap::default());
        return 1;
    }
    // GitHub Actions shows what a step appends to $GITHUB_STEP_SUMMARY on the run's page.
    let summary_file = summary_markdown.or_else(|| std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(PathBuf::from));
    let loaded = match ctx.load() {
        Ok(l) => l,
        Err(c) => return c,
    };
    let mut env = match ctx.env(Some(&loaded), Some(&p.lock)) {
        Ok(e) => e,
        Err(c) => return c,
    };
    watch_interrupt(env.cancel.clone());
    // Progress lines are for the apply only, not for the plan before it.
    let applying = Arc::new(std::sync::atomic::AtomicBool::new(plan_file.is_some()));
    let log = Arc::new(std::sync::Mutex::new(ApplyLog::default()));
    // What the progress lines need to know of the plan.
    let planned = Arc::new(std::sync::Mutex::new(Planned::default()));
    let (sink_log, sink_applying, sink_planned) = (log.clone(), applying.clone(), planned.clone());
    env.events = Some(Arc::new(move |e: Event| {
        if crate::locking::notice(&e) || !sink_applying.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        // Printed under the log's lock, which the "Still creating" lines take too.
        let mut l = sink_log.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = l.record(&e, std::time::Instant::now());
        if json {
            json_progress(&e, elapsed, &sink_planned.lock().unwrap_or_else(|p| p.into_inner()));
        } else {
            progress(&e, elapsed, &sink_planned.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }));
    let heartbeat = still_running(log.clone(), planned.clone(), json);
    let destroy;
    let result = match plan_file {
        Some(path) => {
            let plan = match read_plan(&path) {
                Ok(plan) => plan,
                Err(e) => {
                    heartbeat.abort();
                    ctx.reporter.error(&e);
                    return 1;
                }
            };
            destroy = plan.mode == PlanMode::Destroy;
            if json && !plan.errored {
                // Applying a saved plan begins with its changes, as in Terraform (which refuses an errored one first).
                emit(ui::planned_changes(&plan, &ui_now()));
            }
            *planned.lock().unwrap_or_else(|p| p.into_inner()) = Planned::of(&plan);
            // A saved plan keeps no ephemeral variable: the apply is given them again.
            ops::apply_loaded_with_vars(&loaded, &env, plan, &cli_vars(&p.vars, true), p.parallelism.max(1)).await
        }
        None => {
            let run = match run_options(ctx, &p) {
                Ok(r) => r,
                Err(c) => {
                    heartbeat.abort();
                    return c;
                }
            };
            destroy = run.mode == PlanMode::Destroy;
            // None: nothing to apply; Some(false): the person said no.
            let mut approved: Option<bool> = None;
            let refresh = p.refresh;
            let confirm = |outcome: &ops::PlanOutcome| {
                ctx.reporter.diagnostics(&outcome.warnings, &loaded.stack.sources);
                if json {
                    emit(ui::plan_lines(&outcome.plan, refresh, &ui_now()));
                } else {
                    out!("{}", render_plan(&outcome.plan, Style { color: ctx.color }));
                }
                *planned.lock().unwrap_or_else(|p| p.into_inner()) = Planned::of(&outcome.plan);
                if !outcome.plan.has_changes() {
                    return false;
                }
                let yes = auto_approve || confirm_interactively(ctx);
                approved = Some(yes);
                if yes {
                    if !json {
                        outln!();
                    }
                    applying.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                yes
            };
            // The state stays locked from the plan through the apply.
            match ops::plan_and_apply(&loaded, &env, PlanRequest { vars: cli_vars(&p.vars, true), run }, p.parallelism.max(1), confirm).await {
                Ok(Some(out)) => Ok(out),
                Ok(None) => {
                    heartbeat.abort();
                    if json && approved.is_none() {
                        // Nothing to do is still a complete apply.
                        let planned = planned.lock().unwrap_or_else(|p| p.into_inner());
                        json_applied(destroy, &planned, planned.outputs.iter().map(|(k, v, t)| (k, v, t.clone())));
                    }
                    return match approved {
                        None => 0,
                        Some(_) => 1,
                    };
                }
                Err(e) => Err(e),
            }
        }
    };
    heartbeat.abort();
    if let Some(path) = &summary_file {
        let log = log.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default();
        let outcome = match &result {
            Ok(_) => ApplyResult::Succeeded,
            Err(e) => ApplyResult::Failed { error: e, sources: &loaded.stack.sources },
        };
        let text = summary_markdown_text(&super::comment::stack_name(&ctx.dir), &log, &outcome);
        if let Err(e) = append(path, &text) {
            ctx.reporter.error(&e);
        }
    }
    match result {
        Ok(out) if json => {
            let planned = planned.lock().unwrap_or_else(|p| p.into_inner());
            // Types as state records them (the value's own for one it does not keep).
            let types = |k: &String, v: &iac_core::Value| out.state.outputs.get(k).and_then(|o| o.type_.clone()).unwrap_or_else(|| v.type_json());
            json_applied(destroy, &planned, out.outputs.iter().map(|(k, v)| (k, v, types(k, v))));
            exit_without_freeing(out);
            0
        }
        Ok(out) => {
            // Failed check assertions and other warnings of the apply, as Terraform shows them.
            ctx.reporter.diagnostics(&out.warnings, &loaded.stack.sources);
            // The applied plan's counts, as its `Plan:` line gave them.
            let summary = planned.lock().unwrap_or_else(|p| p.into_inner()).summary;
            if destroy {
                outln!("\n{}", ui::summary_message(summary, ui::Operation::Destroy));
            } else {
                outln!("\n{}", ui::summary_message(summary, ui::Operation::Apply));
                if !out.outputs.is_empty() {
                    outln!("\nOutputs:\n");
                    for (k, v) in &out.outputs {
                        outln!("{k} = {}", iac_render::human::inline(v, 0));
                    }
                }
            }
            exit_without_freeing(out);
            0
        }
        Err(e) => ctx.fail(&e, Some(&loaded)),
    }
}

/// The end of a successful apply under -json: the summary of what was
/// applied, then the root outputs' values (none after a destroy).
fn json_applied<'a>(destroy: bool, planned: &Planned, outputs: impl IntoIterator<Item = (&'a String, &'a iac_core::Value, serde_json::Value)>) {
    let now = ui_now();
    let op = if destroy { ui::Operation::Destroy } else { ui::Operation::Apply };
    let mut lines = vec![ui::change_summary(planned.summary, op, &now)];
    if !destroy {
        lines.push(ui::outputs(outputs, &now));
    }
    emit(lines);
}
