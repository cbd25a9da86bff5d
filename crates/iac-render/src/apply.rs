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
    /// The key of the deposed object it destroys, if it does.
    pub deposed: Option<String>,
    started: Instant,
    /// How many intervals of reporting it has been reported still running for.
    reported: u32,
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
            Event::Start { addr, action, deposed } => {
                self.operations.push(Operation { addr: addr.to_string(), action: *action, deposed: deposed.clone(), started: now, reported: 0, outcome: None });
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

    /// The operations still running at `now` that are due to say so
    /// ("Still creating... [10s elapsed]" in long applies), with how long
    /// they have run: each once `every` since it started, as Terraform's
    /// timer per resource (so its lines say 10s, 20s, ...); an interval
    /// missed (a slow caller) is skipped, not reported late.
    pub fn due_progress(&mut self, now: Instant, every: Duration) -> Vec<(&Operation, Duration)> {
        let every_ms = every.as_millis().max(1);
        let mut due = Vec::new();
        for o in self.operations.iter_mut().filter(|o| o.outcome.is_none()) {
            let elapsed = now.saturating_duration_since(o.started);
            let intervals = u32::try_from(elapsed.as_millis() / every_ms).unwrap_or(u32::MAX);
            if intervals > o.reported {
                o.reported = intervals;
                due.push((&*o, elapsed));
            }
        }
        due
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
        assert!(log.due_progress(t0 + Duration::from_secs(60), Duration::from_secs(10)).is_empty(), "finished operations are not running");
    }

    /// Each operation in flight says it is still running once per interval
    /// since it started (Terraform's timer per resource: 10s, 20s, ...),
    /// whenever the others started; an interval missed is skipped.
    #[test]
    fn operations_report_progress_once_per_interval_of_their_own() {
        let mut log = ApplyLog::default();
        let t0 = Instant::now();
        let every = Duration::from_secs(10);
        let secs = Duration::from_secs;
        let c: iac_core::address::InstanceAddr = "terraform_data.c".parse().unwrap();
        let d: iac_core::address::InstanceAddr = "terraform_data.d".parse().unwrap();
        log.record(&Event::Start { addr: c, action: Action::Delete, deposed: Some("00000001".into()) }, t0);
        log.record(&Event::Start { addr: d, action: Action::Create, deposed: None }, t0 + secs(3));
        let mut due = |at: u64| -> Vec<(String, Action, Option<String>, u64)> {
            log.due_progress(t0 + secs(at), every).into_iter().map(|(o, e)| (o.addr.clone(), o.action, o.deposed.clone(), e.as_secs())).collect()
        };
        assert_eq!(due(9), []);
        assert_eq!(due(10), [("terraform_data.c".to_string(), Action::Delete, Some("00000001".to_string()), 10)]);
        assert_eq!(due(12), [], "reported once per interval");
        assert_eq!(due(13), [("terraform_data.d".to_string(), Action::Create, None, 10)]);
        assert_eq!(
            due(45),
            [("terraform_data.c".to_string(), Action::Delete, Some("00000001".to_string()), 45), ("terraform_data.d".to_string(), Action::Create, None, 42)]
        );
        assert_eq!(due(49), [], "the intervals missed are not reported late");
        assert_eq!(due(50), [("terraform_data.c".to_string(), Action::Delete, Some("00000001".to_string()), 50)]);
    }
}
