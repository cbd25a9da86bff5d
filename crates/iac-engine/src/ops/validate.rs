//! `iac validate`: the plan walk with every variable unknown and no
//! provider configured, so bodies are checked against schemas and
//! expressions evaluated without state.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use iac_core::state::State;
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;

use super::{context, Loaded};
use crate::providers::Registry;
use crate::run::{Phase, Run, RunOptions, RunSetup};

/// `iac validate`: every check that needs neither state nor providers:
/// bodies against schemas, types, references, expressions (variables are
/// unknown, so only what holds for every value is checked). `cwd` is what
/// `path.cwd` names. The errors `loaded` already holds (from
/// [`super::load_for_validate`]) come first, each reported once.
pub async fn validate(loaded: &Loaded, registry: &Registry, cwd: &Path) -> Vec<Diagnostic> {
    let vars = loaded.stack.root.variables.iter().map(|(k, v)| (k.clone(), Value::Unknown.mark_if(v.sensitive))).collect();
    let outcome = Run::new(RunSetup {
        stack: loaded.stack.clone(),
        graph: loaded.graph.clone(),
        registry: registry.clone(),
        context: context(&loaded.stack),
        phase: Phase::Plan,
        opts: RunOptions { refresh: false, validate_only: true, ..RunOptions::default() },
        state: State::new(String::new()),
        pending: Vec::new(),
        saved: Vec::new(),
        journal: None,
        root_vars: vars,
        root_var_spans: Default::default(),
        root_var_errors: Default::default(),
        plan_timestamp: None,
        cwd: cwd.to_path_buf(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        moved_from: HashMap::new(),
    })
    .walk()
    .await;
    let mut diags: Vec<Diagnostic> = loaded.warnings.iter().filter(|d| d.is_error()).cloned().collect();
    // An undeclared reference the graph reported fails its evaluation too: one error for it.
    // (The graph names the address, `type.name`; the evaluation the whole traversal, `type.name.attr`.)
    let reported: Vec<_> = diags.iter().filter_map(|d| d.span.clone()).collect();
    for d in outcome.diags {
        let within = |s: &iac_lang::source::Span| reported.iter().any(|r| r.file == s.file && r.range.start <= s.range.start && s.range.start < r.range.end);
        if !diags.contains(&d) && !d.span.as_ref().is_some_and(within) {
            diags.push(d);
        }
    }
    diags
}
