//! The plugin benchmark: a stack of N AWS objects on the real hashicorp/aws
//! plugin (from a filesystem mirror) against moto, run by iac and by
//! Terraform with the same plugin, the same parallelism and each its own
//! fresh moto server, phase by phase: `validate` (with the provider schema
//! cached by the `init` before it), `plan` on empty state, `apply`, and a
//! no-op `plan`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::measure;

pub struct PluginArgs {
    pub n: usize,
    pub iac: PathBuf,
    pub terraform: Option<PathBuf>,
    pub mirror: PathBuf,
    pub moto: PathBuf,
    pub parallelism: usize,
    pub repeat: usize,
    pub keep: bool,
}

const PHASES: [&str; 4] = ["validate", "plan", "apply", "replan"];

/// A stack of `n` objects: log groups, SSM parameters and IAM policies in
/// equal parts, none depending on another (what moto serves quickly).
pub fn generate(n: usize) -> String {
    let mut s = String::from(
        "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n  }\n}\n\n\
provider \"aws\" {\n  region                      = \"us-east-1\"\n  access_key                  = \"test\"\n  secret_key                  = \"test\"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n}\n",
    );
    for i in 0..n {
        match i % 3 {
            0 => s.push_str(&format!("\nresource \"aws_cloudwatch_log_group\" \"g{i}\" {{\n  name              = \"/bench/g{i}\"\n  retention_in_days = 7\n}}\n")),
            1 => s.push_str(&format!("\nresource \"aws_ssm_parameter\" \"p{i}\" {{\n  name  = \"/bench/p{i}\"\n  type  = \"String\"\n  value = \"v{i}\"\n}}\n")),
            _ => s.push_str(&format!(
                "\nresource \"aws_iam_policy\" \"q{i}\" {{\n  name   = \"bench-q{i}\"\n  policy = jsonencode({{\n    Version   = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = [\"arn:aws:s3:::bench-{i}/*\"] }}]\n  }})\n}}\n"
            )),
        }
    }
    s
}

struct MotoServer {
    child: Child,
    port: u16,
}

impl MotoServer {
    fn start(program: &Path, log: &Path) -> Result<MotoServer, String> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{}: {e} (run scripts/install-tools)", program.display()))?;
        let server = MotoServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(addr) {
                let _ = s.write_all(b"GET /moto-api/data.json HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                    return Ok(server);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("moto did not start on port {port}"))
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Times per phase (median of `repeat` runs for the read-only phases) and peak MB.
type Results = Vec<(&'static str, Result<(f64, f64), String>)>;

fn run_tool(name: &str, program: &Path, args: &PluginArgs, base: &Path) -> Result<Results, String> {
    let root = base.join(name);
    let stack = root.join("stack");
    let logs = root.join("logs");
    for d in [root.join(".git"), stack.clone(), logs.clone()] {
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
    }
    std::fs::write(stack.join("main.tf"), generate(args.n)).map_err(|e| e.to_string())?;
    let moto = MotoServer::start(&args.moto, &logs.join("moto.log"))?;
    let endpoint = moto.endpoint();
    let cache = root.join("schema-cache").display().to_string();
    let env: Vec<(&str, &str)> = vec![
        ("AWS_ENDPOINT_URL", &endpoint),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("TF_CLI_CONFIG_FILE", "/dev/null"),
        ("TF_IN_AUTOMATION", "1"),
        ("CHECKPOINT_DISABLE", "1"),
        ("IAC_PLUGIN_SCHEMA_CACHE", &cache),
    ];
    let tf = name == "terraform";
    let plugin_dir = format!("-plugin-dir={}", args.mirror.display());
    let mut init = vec!["init", "-no-color", plugin_dir.as_str()];
    if tf {
        init.push("-input=false");
    }
    let m = measure::run(program, &init, &stack, &env, &logs, "init").map_err(|e| e.to_string())?;
    if m.code != Some(0) {
        return Err(format!("{name} init exited {:?}\n{}", m.code, m.tail(15)));
    }
    let par = format!("-parallelism={}", args.parallelism);
    let mut out = Vec::new();
    for phase in PHASES {
        let (argv, expect): (Vec<&str>, i32) = match phase {
            "validate" => (vec!["validate", "-no-color"], 0),
            "plan" => (vec!["plan", "-no-color", &par, if tf { "-out=tfplan" } else { "-out=plan.bin" }], 0),
            "apply" => (vec!["apply", "-no-color", &par, if tf { "tfplan" } else { "plan.bin" }], 0),
            _ => (vec!["plan", "-no-color", &par, "-detailed-exitcode"], 0),
        };
        let runs = if phase == "apply" || phase == "plan" { 1 } else { args.repeat.max(1) };
        let mut times = Vec::new();
        let mut peak: f64 = 0.0;
        let mut failed = None;
        for r in 0..runs {
            let m = measure::run(program, &argv, &stack, &env, &logs, &format!("{phase}-{r}")).map_err(|e| e.to_string())?;
            peak = peak.max(m.peak_mb());
            times.push(m.wall.as_secs_f64());
            if m.code != Some(expect) {
                failed = Some(format!("`{name} {}` exited {:?}, expected {expect}\n{}", argv.join(" "), m.code, m.tail(15)));
                break;
            }
        }
        match failed {
            Some(e) => {
                eprintln!("[aws-plugin-{}] {name:<9} {phase:<8} FAILED: {e}", args.n);
                out.push((phase, Err(e)));
                break;
            }
            None => {
                let t = crate::median(times);
                eprintln!("[aws-plugin-{}] {name:<9} {phase:<8} {t:>8.3} s {peak:>8.1} MB", args.n);
                out.push((phase, Ok((t, peak))));
            }
        }
    }
    Ok(out)
}

/// Runs the benchmark and prints a Markdown table with the ratios.
pub fn run(args: &PluginArgs) -> Result<String, String> {
    if !args.mirror.is_dir() {
        return Err(format!("--mirror {}: not a directory (shared/tools/terraform-mirror prints it)", args.mirror.display()));
    }
    let base = tempfile::Builder::new().prefix("iac-bench-plugin-").tempdir().map_err(|e| e.to_string())?;
    // Programs run in the stacks' directories: relative paths would not resolve there.
    let absolute = |p: &Path| p.canonicalize().map_err(|e| format!("{}: {e}", p.display()));
    let args =
        &PluginArgs { iac: absolute(&args.iac)?, moto: absolute(&args.moto)?, mirror: absolute(&args.mirror)?, terraform: args.terraform.clone(), ..*args };
    let ours = run_tool("iac", &args.iac, args, base.path())?;
    let theirs = match &args.terraform {
        Some(tf) => Some(run_tool("terraform", tf, args, base.path())?),
        None => None,
    };
    if args.keep {
        let kept = base.keep();
        eprintln!("kept {}", kept.display());
    }
    let mut table = String::from(
        "| stack | N | phase | iac time | iac peak MB | terraform time | terraform peak MB | terraform/iac |\n|---|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for (i, (phase, r)) in ours.iter().enumerate() {
        let cell = |r: &Result<(f64, f64), String>| match r {
            Ok((t, m)) => (format!("{t:.3} s"), format!("{m:.1}")),
            Err(_) => ("FAILED".to_string(), String::new()),
        };
        let (it, im) = cell(r);
        let (tt, tm, ratio) = match theirs.as_ref().and_then(|t| t.get(i)) {
            Some((_, tr)) => {
                let (tt, tm) = cell(tr);
                let ratio = match (r, tr) {
                    (Ok((a, _)), Ok((b, _))) if *a > 0.0 => format!("{:.1}×", b / a),
                    _ => String::new(),
                };
                (tt, tm, ratio)
            }
            None => (String::new(), String::new(), String::new()),
        };
        table.push_str(&format!("| aws-plugin | {} | {phase} | {it} | {im} | {tt} | {tm} | {ratio} |\n", args.n));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stack_has_n_independent_objects() {
        let s = super::generate(7);
        assert_eq!(s.matches("\nresource ").count(), 7);
        assert_eq!(s.matches("aws_cloudwatch_log_group").count(), 3);
        assert!(!s.contains("aws_cloudwatch_log_group.g"), "no references between objects");
    }
}
