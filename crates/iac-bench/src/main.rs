//! `iac-bench`: benchmarks the `iac` binary as a black box, and optionally
//! Terraform on the very same stacks in the same run.
//!
//! It generates stacks of N `terraform_data` resources in three shapes —
//! `flat` (independent), `chain` (each references the previous one) and
//! `layered` (10 layers, each resource referencing 3 of the layer before) —
//! and for each (shape, N) measures four phases, each a separate process:
//! `plan -out` on empty state, `apply` of that plan, a no-op re-plan
//! (`plan -detailed-exitcode` must exit 0) and an edit-one plan (one
//! resource's `size` changes; the plan must show exactly 1 to change).
//! For every process it records wall time and peak RSS (from `wait4`'s
//! `ru_maxrss`), and after apply the size of the state file. The results
//! come out as a Markdown table (or JSON with `--json`), with the
//! Terraform/iac time ratio when `--terraform` or `--compare` is given, a
//! PASS/MISS column against the performance targets, and a linearity line
//! per shape when several N are measured.
//!
//! It depends on nothing of the engine: it only writes `.tf` files, runs
//! the binaries and reads their exit codes, output and state file sizes, so
//! it measures exactly what a user gets and works against any build.
//!
//! ```sh
//! cargo build --release -p iac-cli -p iac-bench
//! target/release/iac-bench --n 1000,5000
//! target/release/iac-bench --n 1000 --terraform /usr/local/bin/terraform
//! ```

mod gen;
mod measure;
mod plugin;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use clap::Parser;

use gen::Shape;
use measure::Measured;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Plan,
    Apply,
    Replan,
    Edit,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Plan, Phase::Apply, Phase::Replan, Phase::Edit];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Apply => "apply",
            Phase::Replan => "replan",
            Phase::Edit => "edit",
        }
    }
}

impl FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "plan" => Ok(Phase::Plan),
            "apply" => Ok(Phase::Apply),
            "replan" => Ok(Phase::Replan),
            "edit" => Ok(Phase::Edit),
            other => Err(format!("unknown phase {other:?} (expected plan, apply, replan or edit)")),
        }
    }
}

#[derive(Parser, Debug)]
#[command(name = "iac-bench", about = "Benchmark the iac binary (and optionally Terraform) on generated stacks of terraform_data resources.")]
struct Args {
    /// The iac binary [default: `iac` next to this executable, i.e. target/release/iac].
    #[arg(long, value_name = "PATH")]
    iac: Option<PathBuf>,
    /// Also run Terraform (this binary) on the same stacks and print the ratios.
    #[arg(long, value_name = "PATH")]
    terraform: Option<PathBuf>,
    /// Compare with Terraform found on PATH (or the --terraform binary).
    #[arg(long)]
    compare: bool,
    /// Stack shapes to measure.
    #[arg(long, value_delimiter = ',', default_value = "flat,chain,layered")]
    shapes: Vec<Shape>,
    /// Stack sizes (resources) [default: 1000,5000; 1000 when comparing with Terraform, which takes minutes at 5000].
    #[arg(long, value_delimiter = ',')]
    n: Vec<usize>,
    /// Phases to report (earlier phases still run when a later one needs them).
    #[arg(long, value_delimiter = ',', default_value = "plan,apply,replan,edit")]
    phases: Vec<Phase>,
    /// Print JSON instead of the Markdown table.
    #[arg(long)]
    json: bool,
    /// Run the read-only phases (plan, replan, edit) this many times; report the median time and the highest peak.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Pass -parallelism=N to plan and apply (both tools).
    #[arg(long)]
    parallelism: Option<usize>,
    /// Keep the generated stacks, state and logs (their directory is printed).
    #[arg(long)]
    keep: bool,
    /// Instead of the terraform_data stacks: a stack of N AWS objects on the
    /// real hashicorp/aws plugin against moto (validate, plan, apply, no-op plan).
    #[arg(long, value_name = "N")]
    aws_plugin: Option<usize>,
    /// The filesystem mirror holding hashicorp/aws [default: what ../shared/tools/terraform-mirror prints].
    #[arg(long, value_name = "DIR")]
    mirror: Option<PathBuf>,
    /// The moto server [default: .tools/venv/bin/moto_server].
    #[arg(long, value_name = "PATH")]
    moto: Option<PathBuf>,
}

/// Which program runs a stack.
#[derive(Clone, Debug)]
pub enum Tool {
    Iac(PathBuf),
    Terraform(PathBuf),
}

impl Tool {
    pub fn name(&self) -> &'static str {
        match self {
            Tool::Iac(_) => "iac",
            Tool::Terraform(_) => "terraform",
        }
    }

    fn path(&self) -> &Path {
        match self {
            Tool::Iac(p) | Tool::Terraform(p) => p,
        }
    }

    fn env(&self) -> Vec<(&'static str, &'static str)> {
        match self {
            Tool::Iac(_) => vec![],
            Tool::Terraform(_) => vec![("TF_IN_AUTOMATION", "1"), ("CHECKPOINT_DISABLE", "1")],
        }
    }

    /// Arguments of a phase, and the exit code it must end with.
    fn phase_args(&self, phase: Phase, parallelism: Option<usize>) -> (Vec<String>, i32) {
        let tf = matches!(self, Tool::Terraform(_));
        let mut a: Vec<String> = vec![];
        let par = parallelism.map(|p| format!("-parallelism={p}"));
        let expect = match phase {
            Phase::Plan => {
                a.push("plan".into());
                a.push(if tf { "-out=tfplan" } else { "-out=plan.bin" }.into());
                0
            }
            Phase::Apply => {
                a.push("apply".into());
                0
            }
            Phase::Replan => {
                a.extend(["plan".into(), "-detailed-exitcode".into()]);
                0
            }
            Phase::Edit => {
                a.extend(["plan".into(), "-detailed-exitcode".into()]);
                2
            }
        };
        if tf {
            a.push("-input=false".into());
        }
        a.push("-no-color".into());
        a.extend(par);
        if phase == Phase::Apply {
            a.push(if tf { "tfplan" } else { "plan.bin" }.into());
        }
        (a, expect)
    }

    /// Where the state lands after apply.
    fn state_file(&self, root: &Path, stack: &Path, name: &str) -> PathBuf {
        match self {
            Tool::Iac(_) => root.join("state").join(name).join("state.json"),
            Tool::Terraform(_) => stack.join("terraform.tfstate"),
        }
    }

    fn version(&self) -> String {
        std::process::Command::new(self.path())
            .arg("version")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into())
    }
}

/// One phase's measurement by one tool (median time of its runs).
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub wall_s: f64,
    pub peak_mb: f64,
    pub runs: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub shape: Shape,
    pub n: usize,
    pub phase: Phase,
    pub iac: Option<Sample>,
    pub tf: Option<Sample>,
    /// State file sizes after apply (apply rows only).
    pub iac_state: Option<u64>,
    pub tf_state: Option<u64>,
}

/// Results of one tool on one stack: per phase, plus the state size.
struct StackRun {
    samples: Vec<(Phase, Sample)>,
    state_bytes: Option<u64>,
}

fn summary_counts(out: &str) -> Option<(usize, usize, usize)> {
    let line = out.lines().find(|l| l.trim_start().starts_with("Plan: "))?;
    let nums: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    match nums.as_slice() {
        [add, change, destroy] => Some((*add, *change, *destroy)),
        // "Plan: I to import, A to add, C to change, D to destroy."
        [_, add, change, destroy] => Some((*add, *change, *destroy)),
        _ => None,
    }
}

/// Checks what a phase printed, beyond its exit code.
fn check_output(phase: Phase, n: usize, m: &Measured) -> Result<(), String> {
    match phase {
        Phase::Plan => match summary_counts(&m.stdout) {
            Some((a, 0, 0)) if a == n => Ok(()),
            other => Err(format!("expected \"{n} to add, 0 to change, 0 to destroy\", got {other:?}")),
        },
        Phase::Edit => match summary_counts(&m.stdout) {
            Some((0, 1, 0)) => Ok(()),
            other => Err(format!("expected exactly 1 to change, got (add, change, destroy) = {other:?}")),
        },
        Phase::Apply | Phase::Replan => Ok(()),
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let k = v.len();
    if k % 2 == 1 {
        v[k / 2]
    } else {
        (v[k / 2 - 1] + v[k / 2]) / 2.0
    }
}

/// Generates the stack in its own directory (holding an empty `.git`, so
/// iac's state lands in `<dir>/state/<name>/`) and runs the phases up to the
/// last one asked for.
fn run_stack(tool: &Tool, shape: Shape, n: usize, args: &Args, last: Phase, base: &Path) -> std::io::Result<StackRun> {
    let name = format!("{}-{n}", shape.name());
    let root = base.join(format!("{}-{name}", tool.name()));
    let stack = root.join(&name);
    let logs = root.join("logs");
    std::fs::create_dir_all(root.join(".git"))?;
    std::fs::create_dir_all(&stack)?;
    std::fs::create_dir_all(&logs)?;
    std::fs::write(stack.join("main.tf"), gen::generate(shape, n, None))?;
    let env = tool.env();
    let mut out = StackRun { samples: Vec::new(), state_bytes: None };

    if let Tool::Terraform(_) = tool {
        let m = measure::run(tool.path(), &["init", "-input=false", "-no-color"], &stack, &env, &logs, "init")?;
        if m.code != Some(0) {
            let err = format!("terraform init exited {:?}\n{}", m.code, m.tail(15));
            eprintln!("[{name}] terraform init FAILED\n{err}");
            out.samples.push((Phase::Plan, Sample { error: Some(err), ..Sample::default() }));
            return Ok(out);
        }
    }

    for phase in Phase::ALL.into_iter().filter(|p| *p <= last) {
        if phase == Phase::Edit {
            std::fs::write(stack.join("main.tf"), gen::generate(shape, n, Some(gen::edit_target(n))))?;
        }
        let (argv, expect) = tool.phase_args(phase, args.parallelism);
        let runs = if phase == Phase::Apply { 1 } else { args.repeat.max(1) };
        let mut times = Vec::new();
        let mut peak: f64 = 0.0;
        let mut error = None;
        for r in 0..runs {
            let m = measure::run(tool.path(), &argv, &stack, &env, &logs, &format!("{}-{r}", phase.name()))?;
            peak = peak.max(m.peak_mb());
            times.push(m.wall.as_secs_f64());
            let checked = if m.code != Some(expect) {
                Err(format!("`{} {}` exited {:?}, expected {expect}", tool.name(), argv.join(" "), m.code))
            } else {
                check_output(phase, n, &m)
            };
            if let Err(e) = checked {
                error = Some(format!("{e}\n{}", m.tail(15)));
                break;
            }
        }
        let sample = Sample { wall_s: median(times), peak_mb: peak, runs, error };
        match &sample.error {
            None => eprintln!("[{name}] {:<9} {:<6} {:>8.3} s {:>8.1} MB", tool.name(), phase.name(), sample.wall_s, sample.peak_mb),
            Some(e) => eprintln!("[{name}] {:<9} {:<6} FAILED: {e}", tool.name(), phase.name()),
        }
        let failed = sample.error.is_some();
        out.samples.push((phase, sample));
        if phase == Phase::Apply && !failed {
            out.state_bytes = std::fs::metadata(tool.state_file(&root, &stack, &name)).ok().map(|m| m.len());
        }
        if failed {
            break;
        }
    }
    Ok(out)
}

fn default_iac() -> PathBuf {
    std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join("iac"))).unwrap_or_else(|| PathBuf::from("target/release/iac"))
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    let iac = args.iac.clone().unwrap_or_else(default_iac);
    if !iac.is_file() {
        eprintln!("iac-bench: no iac binary at {} (build it: cargo build --release -p iac-cli, or pass --iac PATH)", iac.display());
        return ExitCode::from(2);
    }
    let terraform = match (&args.terraform, args.compare) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(PathBuf::from("terraform")),
        (None, false) => None,
    };
    if let Some(n) = args.aws_plugin {
        let mirror = args.mirror.clone().unwrap_or_else(|| {
            let out = std::process::Command::new("../shared/tools/terraform-mirror").output();
            PathBuf::from(out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default())
        });
        let p = plugin::PluginArgs {
            n,
            iac,
            terraform,
            mirror,
            moto: args.moto.clone().unwrap_or_else(|| PathBuf::from(".tools/venv/bin/moto_server")),
            parallelism: args.parallelism.unwrap_or(10),
            repeat: args.repeat,
            keep: args.keep,
        };
        return match plugin::run(&p) {
            Ok(table) => {
                println!("{table}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("iac-bench: {e}");
                ExitCode::from(1)
            }
        };
    }
    if args.n.is_empty() {
        args.n = if terraform.is_some() { vec![1000] } else { vec![1000, 5000] };
    }
    if args.n.contains(&0) {
        eprintln!("iac-bench: --n values must be at least 1");
        return ExitCode::from(2);
    }
    args.phases.sort();
    args.phases.dedup();
    let Some(&last) = args.phases.last() else {
        eprintln!("iac-bench: no phases");
        return ExitCode::from(2);
    };

    let tools: Vec<Tool> = std::iter::once(Tool::Iac(iac)).chain(terraform.map(Tool::Terraform)).collect();
    let versions: Vec<(String, String, String)> = tools.iter().map(|t| (t.name().to_owned(), t.path().display().to_string(), t.version())).collect();
    for (name, path, v) in &versions {
        eprintln!("{name}: {path} ({v})");
    }

    let tmp = match tempfile::Builder::new().prefix("iac-bench-").tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("iac-bench: cannot create a temporary directory: {e}");
            return ExitCode::from(2);
        }
    };
    let base = tmp.path().to_path_buf();

    let mut rows: Vec<Row> = Vec::new();
    let mut failed = false;
    for &shape in &args.shapes {
        for &n in &args.n {
            let mut per_tool: Vec<Option<StackRun>> = Vec::new();
            for tool in &tools {
                match run_stack(tool, shape, n, &args, last, &base) {
                    Ok(r) => per_tool.push(Some(r)),
                    Err(e) => {
                        eprintln!("[{}-{n}] {}: {e}", shape.name(), tool.name());
                        failed = true;
                        per_tool.push(None);
                    }
                }
            }
            let get =
                |i: usize, p: Phase| per_tool.get(i).and_then(|r| r.as_ref()).and_then(|r| r.samples.iter().find(|(q, _)| *q == p)).map(|(_, s)| s.clone());
            for &phase in &args.phases {
                let iac_s = get(0, phase);
                let tf_s = if tools.len() > 1 { get(1, phase) } else { None };
                failed |= iac_s.as_ref().is_some_and(|s| s.error.is_some()) || tf_s.as_ref().is_some_and(|s| s.error.is_some());
                let state = |i: usize| if phase == Phase::Apply { per_tool.get(i).and_then(|r| r.as_ref()).and_then(|r| r.state_bytes) } else { None };
                rows.push(Row { shape, n, phase, iac: iac_s, tf: tf_s, iac_state: state(0), tf_state: state(1) });
            }
        }
    }

    let compare = tools.len() > 1;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report::json(&rows, &versions, &args.n, &args.shapes)).unwrap_or_default());
    } else {
        print!("{}", report::markdown(&rows, compare, &args.n, &args.shapes));
    }

    if args.keep {
        let kept = tmp.keep();
        eprintln!("kept stacks, state and logs in {}", kept.display());
    }
    if failed {
        eprintln!("iac-bench: some phases failed (see above)");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_summaries_parse() {
        assert_eq!(summary_counts("x\nPlan: 5000 to add, 0 to change, 0 to destroy.\n"), Some((5000, 0, 0)));
        assert_eq!(summary_counts("Plan: 2 to import, 0 to add, 1 to change, 0 to destroy."), Some((0, 1, 0)));
        assert_eq!(summary_counts("No changes."), None);
    }

    #[test]
    fn phase_arguments() {
        let iac = Tool::Iac("iac".into());
        assert_eq!(iac.phase_args(Phase::Apply, None), (vec!["apply".to_string(), "-no-color".into(), "plan.bin".into()], 0));
        let tf = Tool::Terraform("terraform".into());
        let (a, code) = tf.phase_args(Phase::Edit, Some(4));
        assert_eq!(a, ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-parallelism=4"]);
        assert_eq!(code, 2);
    }
}
