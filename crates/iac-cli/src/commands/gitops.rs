//! The GitOps tree (`gitops/`): `iac app new` writes an application's file
//! into it, checked against the platform's template, and `iac plan` on the
//! tree shows what a change to it will create once Argo CD syncs it and kro
//! expands it. What is checked and expanded is `iac_kro`'s; this reads the
//! files (the working tree, and the base revision through `git`) and turns
//! the changes into a plan the renderers know: each object is a
//! `kubernetes_manifest` in a module named after its folder, named by its
//! resource id in the template (or its kind), keyed `NAMESPACE/NAME`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath, ModuleStep, ProviderAddr, ResourceAddr};
use iac_core::plan::{Action, Plan, PlanMode, ResourceChange, PLAN_FORMAT_VERSION};
use iac_core::state::State;
use iac_core::value::Value;
use iac_kro::app::{new_app, AppParams};
use iac_kro::gitops::{self, Change, ObjectKey};

use super::Ctx;

/// `iac app new`'s options.
pub struct NewArgs {
    pub name: String,
    pub image: String,
    pub port: u32,
    pub replicas: u32,
    pub max_replicas: u32,
    pub metric: Option<String>,
    pub metric_target: u32,
    pub namespace: String,
    pub gitops: std::path::PathBuf,
    pub kind: String,
    pub force: bool,
}

/// Whether a directory given to `iac plan` is a GitOps tree: no `*.tf`
/// file in it, and manifests (`*.yaml`, `*.yml`, `*.json`) below it.
pub fn is_tree(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    if names.iter().any(|n| n.ends_with(".tf") || n.ends_with(".tf.json")) {
        return false;
    }
    read_tree(dir).is_ok_and(|t| !t.is_empty())
}

/// The manifests under `dir` (hidden folders skipped), by path relative to it.
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, String>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let path = e.path();
            if path.is_dir() {
                walk(&path, &r, out)?;
            } else if gitops::is_manifest(&r) {
                out.insert(r, std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out)?;
    Ok(out)
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The tree's manifests at the git revision `base`; `None` when the
/// revision does not exist (a repository without commits: everything is new).
fn read_base(dir: &Path, base: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    git(dir, &["rev-parse", "--is-inside-work-tree"])
        .map_err(|_| format!("{} is not in a git repository, so there is no base to compare with", dir.display()))?;
    let Ok(sha) = git(dir, &["rev-parse", "--verify", "--quiet", &format!("{base}^{{commit}}")]) else {
        return Ok(None);
    };
    let sha = sha.trim();
    let mut out = BTreeMap::new();
    for path in git(dir, &["ls-tree", "-r", "--name-only", sha, "."])?.lines().filter(|p| gitops::is_manifest(p)) {
        if path.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        out.insert(path.to_string(), git(dir, &["show", &format!("{sha}:./{path}")])?);
    }
    Ok(Some(out))
}

/// The plan of a GitOps tree: its changes from `base` to the working tree,
/// with a line saying what was compared.
pub fn plan_tree(dir: &Path, base: &str) -> Result<(Plan, String), String> {
    let head = read_tree(dir)?;
    let (before, against) = match read_base(dir, base)? {
        Some(b) => (b, format!("against {base}")),
        None => (BTreeMap::new(), format!("{base} does not exist yet: everything is new")),
    };
    let changes = gitops::plan(&before, &head).map_err(|e| e.to_string())?;
    Ok((to_plan(&changes), against))
}

fn to_plan(changes: &[Change]) -> Plan {
    let provider = ProviderAddr::new("kubernetes");
    let value = |o: &Option<serde_json::Value>| o.as_ref().map(|o| Value::from_json(&serde_json::json!({ "manifest": o }))).unwrap_or(Value::Null);
    let changes = changes
        .iter()
        .map(|c| {
            let obj = c.after.as_ref().or(c.before.as_ref()).cloned().unwrap_or_default();
            let key = ObjectKey::of(&obj);
            let folder = c.origin.file.rsplit_once('/').map(|(d, _)| d.replace('/', "_")).unwrap_or_else(|| "tree".into());
            let name = match &c.origin.expansion {
                Some((_, _, id)) => id.clone(),
                None => key.kind.to_ascii_lowercase(),
            };
            let resource = ResourceAddr {
                module: ModulePath(vec![ModuleStep { name: folder, key: InstanceKey::None }]),
                mode: Mode::Managed,
                type_: "kubernetes_manifest".into(),
                name,
            };
            let id = if key.namespace.is_empty() { key.name.clone() } else { format!("{}/{}", key.namespace, key.name) };
            ResourceChange {
                addr: InstanceAddr { resource, key: InstanceKey::Str(id) },
                prev_addr: None,
                provider: provider.clone(),
                action: match c.action {
                    gitops::Action::Create => Action::Create,
                    gitops::Action::Update => Action::Update,
                    gitops::Action::Delete => Action::Delete,
                },
                before: value(&c.before),
                after: value(&c.after),
                replace_paths: Vec::new(),
                reason: None,
                create_before_destroy: false,
                private: None,
                dependencies: Vec::new(),
                import_id: None,
                deposed: None,
            }
        })
        .collect();
    Plan {
        format_version: PLAN_FORMAT_VERSION.into(),
        mode: PlanMode::Normal,
        stack_digest: String::new(),
        prior_lineage: String::new(),
        prior_serial: 0,
        variables: Default::default(),
        apply_time_variables: Vec::new(),
        changes,
        outputs: Vec::new(),
        drift: Vec::new(),
        prior_state: State::new(String::new()),
        targets: Vec::new(),
        errored: false,
        timestamp: String::new(),
        provider_sources: [("kubernetes".to_string(), "registry.terraform.io/hashicorp/kubernetes".to_string())].into_iter().collect(),
        configuration: None,
        relevant_attributes: Vec::new(),
        checks: Vec::new(),
    }
}

/// `iac app new NAME -image IMAGE ...`
pub fn app_new(ctx: &Ctx, a: NewArgs) -> u8 {
    let tree = match read_tree(&a.gitops) {
        Ok(t) => t,
        Err(e) => {
            ctx.reporter.error(&format!("-gitops: {e}"));
            return 1;
        }
    };
    let mut p = AppParams::new(&a.name, &a.image);
    p.port = a.port;
    p.replicas = a.replicas;
    p.max_replicas = a.max_replicas;
    p.metric_target = a.metric_target;
    p.namespace = a.namespace;
    if let Some(m) = a.metric {
        p.metric = m;
    }
    let app = match new_app(&tree, &a.kind, &p) {
        Ok(app) => app,
        Err(e) => {
            ctx.reporter.error(&e.to_string());
            return 1;
        }
    };
    let path = a.gitops.join(&app.path);
    if path.exists() && !a.force {
        ctx.reporter.error(&format!("{} exists already (-force replaces it)", path.display()));
        return 1;
    }
    if let Err(e) = path.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::write(&path, &app.text)) {
        ctx.reporter.error(&format!("cannot write {}: {e}", path.display()));
        return 1;
    }
    outln!("Wrote {}: {} {} (checked against the {} template).", path.display(), a.kind, a.name, a.kind);
    outln!("Once merged, Argo CD syncs it and kro makes:");
    for e in &app.objects {
        let k = ObjectKey::of(&e.object);
        outln!("  {:<15} {}/{}  ({})", k.kind, k.namespace, k.name, e.id);
    }
    outln!("\nNext: `iac plan {}` shows these objects, as the pull request's plan will; then commit and push.", a.gitops.display());
    0
}
