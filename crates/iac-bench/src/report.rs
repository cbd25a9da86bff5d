//! Rendering results: the Markdown table, targets (PASS/MISS), linearity
//! lines, and the JSON document.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::gen::Shape;
use crate::{Phase, Row, Sample};

const MIB: f64 = 1024.0 * 1024.0;

/// A performance target of the iac binary for one (shape, N, phase).
pub struct Target {
    pub desc: &'static str,
    pub max_s: f64,
    pub max_peak_mb: Option<f64>,
    pub max_state_mb: Option<f64>,
}

/// The targets from the performance issue; reported, never asserted.
pub fn target(shape: Shape, n: usize, phase: Phase) -> Option<Target> {
    match (shape, n, phase) {
        (Shape::Layered, 5000, Phase::Plan) => Some(Target { desc: "≤ 0.5 s, ≤ 100 MB", max_s: 0.5, max_peak_mb: Some(100.0), max_state_mb: None }),
        (Shape::Flat, 5000, Phase::Apply) => Some(Target { desc: "≤ 3 s", max_s: 3.0, max_peak_mb: None, max_state_mb: None }),
        (Shape::Chain, 1000, Phase::Apply) => Some(Target { desc: "≤ 2 s, state ≤ 1 MB", max_s: 2.0, max_peak_mb: None, max_state_mb: Some(1.0) }),
        (Shape::Layered, 1000, Phase::Replan) => Some(Target { desc: "≤ 0.15 s", max_s: 0.15, max_peak_mb: None, max_state_mb: None }),
        _ => None,
    }
}

/// PASS / MISS (with what missed) / FAIL for a row that has a target.
pub fn verdict(row: &Row) -> Option<(&'static str, String)> {
    let t = target(row.shape, row.n, row.phase)?;
    let Some(s) = &row.iac else { return Some((t.desc, "FAIL (not run)".into())) };
    if s.error.is_some() {
        return Some((t.desc, "FAIL (error)".into()));
    }
    let mut missed = Vec::new();
    if s.wall_s > t.max_s {
        missed.push("time");
    }
    if t.max_peak_mb.is_some_and(|m| s.peak_mb > m) {
        missed.push("memory");
    }
    if let Some(m) = t.max_state_mb {
        match row.iac_state {
            Some(b) if b as f64 / MIB <= m => {}
            _ => missed.push("state"),
        }
    }
    Some((t.desc, if missed.is_empty() { "PASS".into() } else { format!("MISS ({})", missed.join(", ")) }))
}

fn time(s: &Option<Sample>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s.error.is_some() => "FAILED".into(),
        Some(s) => format!("{:.3} s", s.wall_s),
    }
}

fn peak(s: &Option<Sample>) -> String {
    match s {
        Some(s) if s.error.is_none() => format!("{:.1}", s.peak_mb),
        _ => "–".into(),
    }
}

fn ratio(row: &Row) -> Option<f64> {
    match (&row.iac, &row.tf) {
        (Some(i), Some(t)) if i.error.is_none() && t.error.is_none() && i.wall_s > 0.0 => Some(t.wall_s / i.wall_s),
        _ => None,
    }
}

fn size(b: Option<u64>) -> String {
    match b {
        None => String::new(),
        Some(b) if b as f64 >= MIB => format!("{:.2} MB", b as f64 / MIB),
        Some(b) => format!("{:.0} KB", b as f64 / 1024.0),
    }
}

pub fn markdown(rows: &[Row], compare: bool, ns: &[usize], shapes: &[Shape]) -> String {
    let mut out = String::new();
    if compare {
        out.push_str(
            "| shape | N | phase | iac time | iac peak MB | terraform time | terraform peak MB | terraform/iac | state (iac / tf) | target | result |\n",
        );
        out.push_str("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n");
    } else {
        out.push_str("| shape | N | phase | iac time | iac peak MB | state | target | result |\n");
        out.push_str("|---|---:|---|---:|---:|---:|---|---|\n");
    }
    for r in rows {
        let (tdesc, res) = verdict(r).map(|(d, v)| (d.to_string(), v)).unwrap_or_default();
        if compare {
            let state = if r.phase == Phase::Apply { format!("{} / {}", size(r.iac_state), size(r.tf_state)) } else { String::new() };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.shape.name(),
                r.n,
                r.phase.name(),
                time(&r.iac),
                peak(&r.iac),
                time(&r.tf),
                peak(&r.tf),
                ratio(r).map(|x| format!("{x:.1}×")).unwrap_or_else(|| "–".into()),
                state,
                tdesc,
                res
            );
        } else {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.shape.name(),
                r.n,
                r.phase.name(),
                time(&r.iac),
                peak(&r.iac),
                size(r.iac_state),
                tdesc,
                res
            );
        }
    }
    let lin = linearity(rows, ns, shapes);
    if !lin.is_empty() {
        out.push('\n');
        for l in lin {
            out.push_str(&l.text);
            out.push('\n');
        }
    }
    out.push_str("\nTimes are wall-clock per process (median when --repeat > 1); peak is the process's maximum RSS (MB = MiB). ");
    out.push_str("plan = `plan -out` on empty state; apply = `apply PLANFILE`; replan = no-op `plan -detailed-exitcode`; edit = plan after changing one resource's size.\n");
    out
}

pub struct Linearity {
    pub shape: Shape,
    pub n_small: usize,
    pub n_large: usize,
    /// (phase, iac time ratio, terraform time ratio)
    pub phases: Vec<(Phase, Option<f64>, Option<f64>)>,
    pub text: String,
}

/// Time growth between the smallest and largest N, per shape and phase.
pub fn linearity(rows: &[Row], ns: &[usize], shapes: &[Shape]) -> Vec<Linearity> {
    let (Some(&lo), Some(&hi)) = (ns.iter().min(), ns.iter().max()) else { return vec![] };
    if lo == hi {
        return vec![];
    }
    let growth = |a: &Option<Sample>, b: &Option<Sample>| match (a, b) {
        (Some(a), Some(b)) if a.error.is_none() && b.error.is_none() && a.wall_s > 0.0 => Some(b.wall_s / a.wall_s),
        _ => None,
    };
    let mut out = Vec::new();
    for &shape in shapes {
        let mut phases = Vec::new();
        for small in rows.iter().filter(|r| r.shape == shape && r.n == lo) {
            let Some(large) = rows.iter().find(|r| r.shape == shape && r.n == hi && r.phase == small.phase) else { continue };
            phases.push((small.phase, growth(&small.iac, &large.iac), growth(&small.tf, &large.tf)));
        }
        let nratio = hi as f64 / lo as f64;
        let fmt = |x: Option<f64>| x.map(|x| format!("×{x:.2}")).unwrap_or_else(|| "–".into());
        let parts: Vec<String> = phases.iter().map(|(p, i, _)| format!("{} {}", p.name(), fmt(*i))).collect();
        let mut text = format!("linearity {} (N {lo}→{hi}, N ×{nratio:.2}): iac time {}", shape.name(), parts.join(", "));
        if phases.iter().any(|(_, _, t)| t.is_some()) {
            let tparts: Vec<String> = phases.iter().map(|(p, _, t)| format!("{} {}", p.name(), fmt(*t))).collect();
            let _ = write!(text, "; terraform time {}", tparts.join(", "));
        }
        out.push(Linearity { shape, n_small: lo, n_large: hi, phases, text });
    }
    out
}

fn sample_json(s: &Option<Sample>) -> Value {
    match s {
        None => Value::Null,
        Some(s) => json!({ "time_s": s.wall_s, "peak_mb": s.peak_mb, "runs": s.runs, "error": s.error }),
    }
}

pub fn json(rows: &[Row], versions: &[(String, String, String)], ns: &[usize], shapes: &[Shape]) -> Value {
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let t = target(r.shape, r.n, r.phase);
            json!({
                "shape": r.shape.name(),
                "n": r.n,
                "phase": r.phase.name(),
                "iac": sample_json(&r.iac),
                "terraform": sample_json(&r.tf),
                "ratio_terraform_over_iac": ratio(r),
                "state_bytes": { "iac": r.iac_state, "terraform": r.tf_state },
                "target": t.map(|t| json!({ "desc": t.desc, "result": verdict(r).map(|v| v.1) })),
            })
        })
        .collect();
    let lin: Vec<Value> = linearity(rows, ns, shapes)
        .into_iter()
        .map(|l| {
            json!({
                "shape": l.shape.name(),
                "n_small": l.n_small,
                "n_large": l.n_large,
                "n_ratio": l.n_large as f64 / l.n_small as f64,
                "time_ratio": l.phases.iter().map(|(p, i, t)| (p.name().to_string(), json!({ "iac": i, "terraform": t }))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    json!({
        "tools": versions.iter().map(|(n, p, v)| json!({ "name": n, "path": p, "version": v })).collect::<Vec<_>>(),
        "results": results,
        "linearity": lin,
    })
}
