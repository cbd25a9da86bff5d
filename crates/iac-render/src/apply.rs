//! The record of an apply as it happens (from the engine's progress
//! [`Event`]s), and its Markdown summary for CI job pages.

use std::fmt::Write;
use std::time::{Duration, Instant};

use iac_core::plan::Action;
use iac_lang::source::SourceMap;

use crate::markdown::{cell, code, escape, fenced};
use iac_engine::error::EngineError;
use iac_engine::run::Event;

/// One resource operation of the run.
#[derive(Clone, Debug)]
pub struct Operation {
    pub addr: String,
    pub action: Action,
    started: Instant,
    /// None while in flight (or when the run stopped before it finished);
    /// how long it took, and the error when it failed.
    pub outcome: Option<(Duration, Result<(), String>)>,
}

/// The operations of one apply, in the order they started.
#[derive(Default, Debug)]
pub struct ApplyLog {
    pub operations: Vec<Operation>,
}

impl ApplyLog {
    /// Records an event; returns the elapsed time of the operation it ends.
    pub fn record(&mut self, e: &Event, now: Instant) -> Option<Duration> {
        match e {
            Event::Start { addr, action, .. } => {
                self.operations.push(Operation { addr: addr.to_string(), action: *action, started: now, outcome: None });
                None
            }
            Event::Done { addr, elapsed_ms, .. } => {
                let elapsed = Duration::from_millis(u64::try_from(*elapsed_ms).unwrap_or(u64::MAX));
                if let Some(op) = self.open(&addr.to_string()) {
                    op.outcome = Some((elapsed, Ok(())));
                }
                Some(elapsed)
            }
            Event::Failed { addr, message, .. } => {
                let op = self.open(&addr.to_string())?;
                let elapsed = now.saturating_duration_since(op.started);
                op.outcome = Some((elapsed, Err(message.clone())));
                Some(elapsed)
            }
            Event::LockWait { .. } | Event::Ephemeral { .. } => None,
        }
    }

    fn open(&mut self, addr: &str) -> Option<&mut Operation> {
        self.operations.iter_mut().rev().find(|o| o.addr == addr && o.outcome.is_none())
    }

    /// The operations still running at `now`, with how long they have run
    /// (for "Still creating... [10s elapsed]" lines in long applies).
    pub fn in_flight(&self, now: Instant) -> Vec<(&str, Action, Duration)> {
        self.operations.iter().filter(|o| o.outcome.is_none()).map(|o| (o.addr.as_str(), o.action, now.saturating_duration_since(o.started))).collect()
    }

    pub fn failed(&self) -> usize {
        self.operations.iter().filter(|o| matches!(o.outcome, Some((_, Err(_))))).count()
    }
}

/// Whether the run as a whole succeeded, for the summary.
pub enum ApplyResult<'a> {
    Succeeded,
    Failed { error: &'a EngineError, sources: &'a SourceMap },
}

/// The job summary: a headline, one table row per operation with how long
/// it took, then the errors with their diagnostics.
pub fn summary_markdown(stack: &str, log: &ApplyLog, result: &ApplyResult<'_>) -> String {
    let done = log.operations.iter().filter(|o| matches!(o.outcome, Some((_, Ok(()))))).count();
    let failed = log.failed();
    let unfinished = log.operations.len() - done - failed;
    let mut out = match result {
        ApplyResult::Succeeded => format!("## :white_check_mark: iac apply {}: {done} operation(s) done\n\n", code(stack)),
        ApplyResult::Failed { .. } => format!("## :x: iac apply {} failed: {done} done, {failed} failed, {unfinished} not finished\n\n", code(stack)),
    };
    if log.operations.is_empty() {
        out.push_str("Nothing to do.\n\n");
    } else {
        out.push_str("| resource | action | result | time |\n| --- | --- | --- | --- |\n");
        for o in &log.operations {
            let (result, time) = match &o.outcome {
                Some((d, Ok(()))) => ("done".to_string(), format!("{:.1}s", d.as_secs_f64())),
                Some((d, Err(m))) => (format!("failed: {}", escape(m.lines().next().unwrap_or(""))), format!("{:.1}s", d.as_secs_f64())),
                None => ("not finished".to_string(), String::new()),
            };
            let _ = writeln!(out, "| {} | {} | {result} | {time} |", cell(&code(&o.addr)), o.action.verb());
        }
        out.push('\n');
    }
    if let ApplyResult::Failed { error, sources } = result {
        out.push_str("### Errors\n\n");
        for d in error.render_plain(sources) {
            out.push_str(&fenced("text", &d));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_pair_their_start_and_end() {
        let mut log = ApplyLog::default();
        let t0 = Instant::now();
        let a: iac_core::address::InstanceAddr = "terraform_data.a".parse().unwrap();
        let b: iac_core::address::InstanceAddr = "local_file.b".parse().unwrap();
        log.record(&Event::Start { addr: a.clone(), action: Action::Create, deposed: None }, t0);
        log.record(&Event::Start { addr: b.clone(), action: Action::Update, deposed: None }, t0);
        assert_eq!(log.record(&Event::Done { addr: a, action: Action::Create, elapsed_ms: 1500, id: None }, t0), Some(Duration::from_millis(1500)));
        assert_eq!(
            log.record(&Event::Failed { addr: b, action: Action::Update, message: "denied | x\nmore".into() }, t0 + Duration::from_secs(2)),
            Some(Duration::from_secs(2))
        );
        let err = EngineError::Invalid("1 operation failed".into());
        let md = summary_markdown("s", &log, &ApplyResult::Failed { error: &err, sources: &SourceMap::default() });
        assert!(md.contains("| `terraform_data.a` | create | done | 1.5s |"), "{md}");
        assert!(md.contains("| `local_file.b` | update | failed: denied \\| x | 2.0s |"), "{md}");
        assert!(md.contains("1 done, 1 failed, 0 not finished"), "{md}");
        assert!(log.in_flight(t0).is_empty());
        let c: iac_core::address::InstanceAddr = "terraform_data.c".parse().unwrap();
        log.record(&Event::Start { addr: c, action: Action::Delete, deposed: None }, t0);
        assert_eq!(log.in_flight(t0 + Duration::from_secs(10)), vec![("terraform_data.c", Action::Delete, Duration::from_secs(10))]);
    }
}
