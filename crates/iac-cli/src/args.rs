//! Command-line arguments. Terraform spells flags with one dash
//! (`-out=FILE`, `-refresh=false`); [`normalize`] rewrites them to clap's
//! two-dash form so both spellings work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Rewrites `-flag` / `-flag=value` to `--flag…`, leaving `-` alone,
/// negative numbers, and everything after `--`.
pub fn normalize(argv: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut rest = false;
    for (i, a) in argv.into_iter().enumerate() {
        if i == 0 || rest {
            out.push(a);
            continue;
        }
        if a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        let is_single = a.starts_with('-') && !a.starts_with("--") && a.len() > 2 && a.as_bytes()[1].is_ascii_alphabetic();
        out.push(if is_single { format!("-{a}") } else { a });
    }
    out
}

#[derive(Parser, Debug)]
#[command(name = "iac", version, about = "Infrastructure as code: plan and apply stacks written in Terraform's language.")]
pub struct Cli {
    /// Run as if started in DIR (the stack directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// No colours in the output.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a root variable: -var name=value (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,
    /// Read variable values from a file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// How long to wait for the state lock ("0s", "30s", "5m").
    #[arg(long = "lock-timeout", default_value = "0s")]
    pub lock_timeout: String,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Plan only these resources (and what they depend on).
    #[arg(long)]
    pub target: Vec<String>,
    /// Plan to replace this resource instance even if unchanged.
    #[arg(long)]
    pub replace: Vec<String>,
    /// Refresh objects from their providers before planning.
    #[arg(long, default_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Only detect drift: update state to match the real objects.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
}

/// How `plan` and `show` report a plan besides the human form.
#[derive(Args, Debug, Clone, Default)]
pub struct ReportArgs {
    /// human, json or markdown (a pull-request comment).
    #[arg(long)]
    pub format: Option<String>,
    /// With -format markdown: write the comment as DIR/part-1.md, part-2.md, ...
    /// (one file unless it is longer than a comment may be).
    #[arg(long = "markdown-dir", value_name = "DIR")]
    pub markdown_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Prepare the stack directory: check the configuration and backend.
    Init {
        #[arg(long = "backend-config")]
        backend_config: Vec<String>,
        /// Copy the state from the backend recorded at the last init to the
        /// one now configured (under both locks, verifying the copy).
        #[arg(long = "migrate-state")]
        migrate_state: bool,
        #[command(flatten)]
        lock: LockArgs,
        #[command(flatten)]
        providers: ProviderInstallArgs,
    },
    /// Check the stack for errors without touching state or providers.
    Validate {
        /// Print Terraform's validate document (format 1.0): validity,
        /// counts, and each diagnostic with its range and snippet.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite stack files (*.tf, *.tfvars, *.tftest.hcl) in canonical style.
    Fmt {
        /// Check only (implies -write=false); exit 3 when files need formatting.
        #[arg(long)]
        check: bool,
        /// Show the changes as diffs.
        #[arg(long)]
        diff: bool,
        /// Also format subdirectories.
        #[arg(long)]
        recursive: bool,
        /// List the files that need formatting (-list=false: do not).
        #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
        list: bool,
        /// Write the formatted files (-write=false: do not).
        #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
        write: bool,
        /// Files or directories; `-` formats standard input to standard output.
        paths: Vec<PathBuf>,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        plan: PlanArgs,
        /// Save the plan to FILE for `iac apply FILE`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 2 when there are changes.
        #[arg(long = "detailed-exitcode")]
        detailed_exitcode: bool,
        /// Report as Terraform's machine-readable UI: one JSON message a
        /// line (`-format json` prints the plan's JSON instead).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        report: ReportArgs,
        /// Stack directories to plan (default: the current one). Each is
        /// planned from its own directory, as with -chdir (so a relative
        /// -out NAME saves each stack's plan as NAME in its directory, and
        /// `iac -chdir=DIR apply NAME` applies it). One report, one exit code.
        /// A directory with no *.tf file but manifests below it is a GitOps
        /// tree: its plan is what Argo CD will apply once the change is
        /// merged, kro's expansions included, compared with -gitops-base.
        dirs: Vec<PathBuf>,
        /// The git revision GitOps trees are compared with (in a pull
        /// request: its base branch, e.g. origin/main).
        #[arg(long = "gitops-base", value_name = "REF", default_value = "HEAD")]
        gitops_base: String,
    },
    /// Apply a saved plan, or plan and apply.
    Apply {
        #[command(flatten)]
        plan: PlanArgs,
        /// Do not ask for confirmation.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
        /// A plan saved with `iac plan -out`.
        plan_file: Option<PathBuf>,
        /// Also write a Markdown summary of the run to FILE (appended, as
        /// GitHub's job summary expects; default: $GITHUB_STEP_SUMMARY when set).
        #[arg(long = "summary-markdown", value_name = "FILE")]
        summary_markdown: Option<PathBuf>,
        /// Report as Terraform's machine-readable UI: one JSON message a
        /// line (needs -auto-approve or a saved plan).
        #[arg(long)]
        json: bool,
    },
    /// Destroy everything the stack manages.
    Destroy {
        #[command(flatten)]
        plan: PlanArgs,
        #[arg(long = "auto-approve")]
        auto_approve: bool,
        /// Report as Terraform's machine-readable UI (needs -auto-approve).
        #[arg(long)]
        json: bool,
    },
    /// Show the state, or a saved plan.
    Show {
        #[arg(long)]
        json: bool,
        /// With -json: include sensitive values (redacted by default), for
        /// policy engines that inspect them.
        #[arg(long = "show-sensitive")]
        show_sensitive: bool,
        #[command(flatten)]
        report: ReportArgs,
        file: Option<PathBuf>,
    },
    /// Detect drift: refresh one or more stacks and report what changed
    /// outside iac. Exits 0 when nothing did, 2 when something did, 1 on error.
    Drift {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        lock: LockArgs,
        /// text, markdown, json or prometheus
        #[arg(long, default_value = "text")]
        format: String,
        /// Write the report to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Push the metrics (Prometheus text) to a Pushgateway at URL, one
        /// group per stack: `URL/metrics/job/iac_drift/stack/<name>`.
        #[arg(long, value_name = "URL")]
        push: Option<String>,
        /// Also list cloud objects of the supported types that no state knows about.
        #[arg(long)]
        unmanaged: bool,
        /// With -unmanaged: a file of objects to ignore, one `TYPE ID-OR-NAME` per line (`*` matches any run of characters).
        #[arg(long = "unmanaged-ignore", value_name = "FILE")]
        unmanaged_ignore: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
        /// Stack directories to check (default: the current one).
        dirs: Vec<PathBuf>,
    },
    /// Show output values.
    Output {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        raw: bool,
        name: Option<String>,
    },
    /// Print the dependency graph.
    Graph {
        /// dot or mermaid
        #[arg(long, default_value = "dot")]
        format: String,
    },
    /// Inspect and change state.
    #[command(subcommand)]
    State(StateCommand),
    /// Provider installation outside `iac init`.
    #[command(subcommand)]
    Providers(ProvidersCommand),
    /// Adopt an existing object into state.
    Import {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        lock: LockArgs,
        address: String,
        id: String,
    },
    /// Remove a lock left by a run that is gone.
    #[command(name = "force-unlock")]
    ForceUnlock {
        #[arg(long)]
        force: bool,
        lock_id: String,
    },
    /// Applications in the GitOps tree (gitops/apps/).
    #[command(subcommand)]
    App(AppCommand),
    /// Print the version.
    Version,
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Write a new application's file, GITOPS/apps/NAME.yaml, from the
    /// platform's template (a kro ResourceGraphDefinition in the tree),
    /// checked against its schema and expanded; the Backstage template
    /// writes the same file.
    New {
        /// The application's name (a DNS label).
        name: String,
        /// Its container image, pinned to a tag or digest.
        #[arg(long)]
        image: String,
        /// The port it serves HTTP and /metrics on.
        #[arg(long, default_value_t = iac_kro::app::defaults::PORT)]
        port: u32,
        /// Replicas at rest (KEDA never scales below).
        #[arg(long, default_value_t = iac_kro::app::defaults::REPLICAS)]
        replicas: u32,
        /// Most replicas KEDA scales to.
        #[arg(long = "max-replicas", default_value_t = iac_kro::app::defaults::MAX_REPLICAS)]
        max_replicas: u32,
        /// The business metric to scale on (default: NAME_requests_in_flight).
        #[arg(long)]
        metric: Option<String>,
        /// The metric's value one replica handles.
        #[arg(long = "metric-target", default_value_t = iac_kro::app::defaults::METRIC_TARGET)]
        metric_target: u32,
        /// The namespace of its objects.
        #[arg(long, default_value = iac_kro::app::defaults::NAMESPACE)]
        namespace: String,
        /// The GitOps tree.
        #[arg(long, default_value = "gitops")]
        gitops: PathBuf,
        /// The template's kind.
        #[arg(long, default_value = "WebApp")]
        kind: String,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProvidersCommand {
    /// Record in .terraform.lock.hcl the hashes of each provider's package
    /// for the platforms given (default: this one), from its registry, as
    /// `terraform providers lock` does. Installs nothing.
    Lock {
        /// OS_ARCH (linux_amd64, darwin_arm64, ...); repeatable.
        #[arg(long = "platform", value_name = "OS_ARCH")]
        platform: Vec<String>,
        /// Only these providers (source addresses); default: all.
        providers: Vec<String>,
    },
    /// Download the configuration's providers into DIR in the packed layout
    /// with the network mirror protocol's index.json and VERSION.json, as
    /// `terraform providers mirror` does.
    Mirror {
        /// OS_ARCH (linux_amd64, darwin_arm64, ...); repeatable.
        #[arg(long = "platform", value_name = "OS_ARCH")]
        platform: Vec<String>,
        /// -lock-file=false: ignore the versions the lock file records.
        #[arg(long = "lock-file", default_value_t = true, action = clap::ArgAction::Set)]
        lock_file: bool,
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List resource instances in state.
    List { addresses: Vec<String> },
    /// Show one resource instance.
    Show { address: String },
    /// Rename a resource instance (or resource, or module) in state.
    Mv {
        #[command(flatten)]
        lock: LockArgs,
        source: String,
        destination: String,
    },
    /// Forget a resource instance without destroying it.
    Rm {
        #[command(flatten)]
        lock: LockArgs,
        addresses: Vec<String>,
    },
    /// Print the state in Terraform's state format (version 4), or a version
    /// of it from history.
    Pull {
        /// A version id from `iac state history`.
        #[arg(long)]
        version: Option<String>,
        /// iac's own snapshot format instead (with pending intents), for debugging.
        #[arg(long)]
        raw: bool,
    },
    /// Replace the state with FILE (Terraform's state format 4, or iac's own),
    /// refusing another lineage or an older serial unless -force.
    Push {
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long)]
        force: bool,
        file: PathBuf,
    },
    /// List the state's previous versions, newest first.
    History {
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt the state with the key in IAC_STATE_KEY / IAC_STATE_PASSPHRASE,
    /// opening it with IAC_STATE_OLD_KEY / IAC_STATE_OLD_PASSPHRASE (or plain).
    Rekey {
        #[command(flatten)]
        lock: LockArgs,
    },
}

/// How `iac init` chooses and installs providers.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ProviderInstallArgs {
    /// A filesystem mirror to install plugins from (repeatable); only these
    /// are searched, as in Terraform, and they are remembered for later inits.
    #[arg(long = "plugin-dir")]
    pub plugin_dir: Vec<std::path::PathBuf>,
    /// Choose provider versions again within the constraints, ignoring the
    /// versions the lock file records.
    #[arg(long)]
    pub upgrade: bool,
    /// Run this provider with iac's native implementation even where its
    /// plugin is installed (repeatable; remembered for later inits).
    #[arg(long = "native")]
    pub native: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_become_long() {
        let v = normalize(vec!["iac".into(), "plan".into(), "-out=p.bin".into(), "-var".into(), "a=-1".into(), "-".into(), "-x".into()]);
        assert_eq!(v, vec!["iac", "plan", "--out=p.bin", "--var", "a=-1", "-", "-x"]);
    }
}
