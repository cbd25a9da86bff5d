//! `helm_release`, with the helm provider 3.x's arguments (`set`,
//! `set_list` and `set_sensitive` as lists of objects, which the 2.x block
//! form also writes; `metadata` as an object), carried out by the real helm
//! program (see [`crate::helm`]): `helm upgrade --install` creates and
//! upgrades, `helm uninstall` deletes, `helm status`/`get` read, so the
//! release is Helm's own (`helm list/history/rollback` see it, hooks and
//! `atomic` behave as Helm's) and a release made by `helm install` is
//! imported by `namespace/name`. Plans render with
//! `helm upgrade --install --dry-run=server`; `objects` holds the
//! release's objects (hooks and the chart's crds/ left out, Secrets
//! redacted), so a plan shows which objects an upgrade changes, and a
//! release changed outside iac (`helm rollback`, `helm upgrade`) shows as
//! a change back. `manifest` holds the rendered objects as JSON when the
//! provider's `experiments { manifest = true }` asks (see
//! [`super::release_manifest`]). `lint` lints the chart (pulled first
//! when it comes from a repository or registry), with the release's
//! values, when planning. Helm 4 runs post-renderers only as plugins, so a
//! `postrender` program is wrapped in a plugin of its own for the run
//! (helm 3 runs the program itself). A repository password reaches helm on
//! stdin, never on its command line (see `ReleaseModel::chart_source`).
//!
//! `set_wo` (helm provider 3.x, write-only) is null in plans and state; its
//! values come from the configuration and go with every install and
//! upgrade (upstream sends them only when `set_wo_revision` rises, so an
//! upgrade for another reason drops them from the release; sending them
//! always keeps the release as configured). A new value alone plans no
//! change, as Terraform treats write-only arguments; raising
//! `set_wo_revision` upgrades the release. Where the release shows the
//! values they are replaced (see [`super::release_write_only`]).
//!
//! As in the helm provider: `replace` lets a create re-use the name of an
//! uninstalled (history kept) or failed release; `recreate_pods` deletes
//! the Pods of the objects an upgrade updated (Helm's library does it, its
//! command line lost the flag); `disable_crd_hooks` has no effect.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use iac_core::{AttrPath, Value};
use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use super::*;
use crate::error::{KubeError, Result};
use crate::helm::{self, HelmCli, Release, RunEnv};
use crate::object::parse_documents;
use crate::sets;
use crate::{Context, Helm};

/// `helm_release`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ReleaseModel {
    /// the release name
    #[sdk(computed)]
    pub id: Option<String>,
    /// the release name
    #[sdk(required, force_new)]
    pub name: String,
    /// a local chart directory or archive, a chart name in `repository`, an oci:// reference, or a chart URL
    #[sdk(required)]
    pub chart: String,
    /// the chart repository URL (an oci:// registry is joined with the chart name)
    #[sdk(optional)]
    pub repository: Option<String>,
    /// the repository's CA bundle (a file)
    #[sdk(optional)]
    pub repository_ca_file: Option<String>,
    /// a client certificate for the repository (a file)
    #[sdk(optional)]
    pub repository_cert_file: Option<String>,
    /// the client certificate's key (a file)
    #[sdk(optional)]
    pub repository_key_file: Option<String>,
    /// the repository's (or OCI registry's) user name
    #[sdk(optional)]
    pub repository_username: Option<String>,
    /// the repository's (or OCI registry's) password
    #[sdk(optional, sensitive)]
    pub repository_password: Option<String>,
    /// pass the repository credentials to every domain the chart is fetched from
    #[sdk(optional)]
    pub pass_credentials: Option<bool>,
    /// use development versions too (ignored when version is set)
    #[sdk(optional)]
    pub devel: Option<bool>,
    /// the chart version (pin it)
    #[sdk(optional)]
    pub version: Option<String>,
    /// verify the chart's signature before installing it
    #[sdk(optional)]
    pub verify: Option<bool>,
    /// the keyring the signature is verified with
    #[sdk(optional)]
    pub keyring: Option<String>,
    /// the release namespace (default "default")
    #[sdk(optional, force_new)]
    pub namespace: Option<String>,
    /// create the namespace if it does not exist (it is not part of the release)
    #[sdk(optional)]
    pub create_namespace: Option<bool>,
    /// values documents (YAML), later ones winning
    #[sdk(optional)]
    pub values: Option<Vec<String>>,
    /// values as an HCL object, applied after `values` (an iac extension)
    #[sdk(optional)]
    pub values_object: Option<Value>,
    /// values set by name (`--set`, `--set-string` or `--set-literal`)
    #[sdk(optional)]
    pub set: Vec<SetValue>,
    /// list values set by name (`--set name={a,b}`)
    #[sdk(optional)]
    pub set_list: Vec<SetListValue>,
    /// values set by name that plans never show
    #[sdk(optional, sensitive)]
    pub set_sensitive: Vec<SetValue>,
    /// values set by name that are never stored (write-only): sent with every install and upgrade
    #[sdk(optional, ephemeral)]
    pub set_wo: Vec<SetValue>,
    /// the revision of set_wo: changing it upgrades the release, sending the current set_wo values
    #[sdk(optional)]
    pub set_wo_revision: Option<i64>,
    /// seconds for each operation, hooks included (default 300)
    #[sdk(optional)]
    pub timeout: Option<f64>,
    /// wait until the release's objects are ready (default true)
    #[sdk(optional)]
    pub wait: Option<bool>,
    /// with wait, also wait until the release's Jobs complete (default false)
    #[sdk(optional)]
    pub wait_for_jobs: Option<bool>,
    /// roll a failed upgrade back (uninstall a failed install); implies wait
    #[sdk(optional)]
    pub atomic: Option<bool>,
    /// delete objects this upgrade created when it fails
    #[sdk(optional)]
    pub cleanup_on_fail: Option<bool>,
    /// run no hooks
    #[sdk(optional)]
    pub disable_webhooks: Option<bool>,
    /// accepted for compatibility, without effect as in the helm provider (Helm 3 and 4 have no CRD hooks)
    #[sdk(optional)]
    pub disable_crd_hooks: Option<bool>,
    /// do not validate the rendered objects against the cluster's OpenAPI schema
    #[sdk(optional)]
    pub disable_openapi_validation: Option<bool>,
    /// do not install the chart's crds/ directory
    #[sdk(optional)]
    pub skip_crds: Option<bool>,
    /// reuse the last release's values and merge in these
    #[sdk(optional)]
    pub reuse_values: Option<bool>,
    /// reset the values to the chart's
    #[sdk(optional)]
    pub reset_values: Option<bool>,
    /// replace objects instead of updating them
    #[sdk(optional)]
    pub force_update: Option<bool>,
    /// after an upgrade, delete the Pods of the workloads it updated, so they restart (as the helm provider does)
    #[sdk(optional)]
    pub recreate_pods: Option<bool>,
    /// revisions kept (0: no limit, the default)
    #[sdk(optional)]
    pub max_history: Option<i64>,
    /// render subcharts' notes too
    #[sdk(optional)]
    pub render_subchart_notes: Option<bool>,
    /// update the chart's dependencies before installing
    #[sdk(optional)]
    pub dependency_update: Option<bool>,
    /// create over a release of this name that is uninstalled (its history kept) or failed
    #[sdk(optional)]
    pub replace: Option<bool>,
    /// the revision's description
    #[sdk(optional)]
    pub description: Option<String>,
    /// run helm lint on the chart before installing or upgrading
    #[sdk(optional)]
    pub lint: Option<bool>,
    /// take over a release of this name that already exists instead of failing
    #[sdk(optional)]
    pub upgrade_install: Option<bool>,
    /// take over existing objects that no release owns
    #[sdk(optional)]
    pub take_ownership: Option<bool>,
    /// a post-renderer (with helm 4, the name of a post-renderer plugin)
    #[sdk(optional)]
    pub postrender: Option<PostRender>,
    /// server-side apply takes over fields other managers changed, as helm upgrade does (helm 4; default true)
    #[sdk(optional)]
    pub force_conflicts: Option<bool>,
    /// the release's objects as YAML, keyed by apiVersion/kind/namespace/name (hooks and crds/ left out)
    #[sdk(computed)]
    pub objects: Option<BTreeMap<String, String>>,
    /// the rendered objects as JSON, when the provider's experiments { manifest = true } asks (Secrets' values and set_sensitive values hashed)
    #[sdk(computed)]
    pub manifest: Option<String>,
    /// the release's status (deployed, failed, ...)
    #[sdk(computed)]
    pub status: Option<String>,
    /// what helm records about the release
    #[sdk(computed)]
    pub metadata: Option<ReleaseMetadata>,
}

/// One `set` (or `set_sensitive`) value.
#[derive(Model, Debug, Clone, Default)]
pub struct SetValue {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub value: Option<String>,
    /// "auto" (default), "string" or "literal"
    #[sdk(optional, name = "type")]
    pub kind: Option<String>,
}

/// One `set_list` value.
#[derive(Model, Debug, Clone, Default)]
pub struct SetListValue {
    #[sdk(required)]
    pub name: String,
    #[sdk(required)]
    pub value: Vec<String>,
}

/// Where helm finds a release's chart (see [`ReleaseModel::chart_source`]).
struct ChartSource {
    /// The chart argument: a local path, a `repository/chart` name, an
    /// `oci://` reference or a URL.
    chart: OsString,
    /// The flags that say how to fetch it (`helm upgrade` and `helm pull`
    /// take the same).
    args: Vec<OsString>,
    /// The run's own repository or registry configuration, holding the
    /// credentials.
    vars: Vec<(&'static str, OsString)>,
    /// A chart on disk (linted as it is; a fetched one is pulled first).
    local: bool,
}

/// `postrender`.
#[derive(Model, Debug, Clone, Default)]
pub struct PostRender {
    #[sdk(required)]
    pub binary_path: String,
    #[sdk(optional)]
    pub args: Vec<String>,
}

/// `metadata`.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct ReleaseMetadata {
    #[sdk(computed)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub namespace: Option<String>,
    #[sdk(computed)]
    pub revision: Option<i64>,
    /// the chart's name
    #[sdk(computed)]
    pub chart: Option<String>,
    /// the chart's version
    #[sdk(computed)]
    pub version: Option<String>,
    #[sdk(computed)]
    pub app_version: Option<String>,
    /// the values given to the release, as JSON
    #[sdk(computed)]
    pub values: Option<String>,
    /// Unix seconds
    #[sdk(computed)]
    pub first_deployed: Option<i64>,
    /// Unix seconds
    #[sdk(computed)]
    pub last_deployed: Option<i64>,
    #[sdk(computed)]
    pub notes: Option<String>,
}

/// The attributes the provider sets: the rest is configuration.
const COMPUTED: [&str; 5] = ["id", "objects", "manifest", "status", "metadata"];

/// The write-only attribute: never in a plan or state, so never compared.
const WRITE_ONLY: &str = "set_wo";

/// The name a repository with credentials has in a run's own repository
/// configuration.
const REPOSITORY_NAME: &str = "iac-release-repository";

/// The name of the plugin a `postrender` program is wrapped in for helm 4.
const POSTRENDER_PLUGIN: &str = "iac-postrender";

const SET_TYPES: [&str; 3] = ["auto", "string", "literal"];

impl ReleaseModel {
    fn namespace(&self) -> String {
        non_empty(&self.namespace).unwrap_or("default").to_string()
    }

    fn timeout_secs(&self) -> u64 {
        self.timeout.unwrap_or(300.0).max(1.0) as u64
    }

    /// The chart argument and whether `--repo` is still needed.
    fn chart_ref(&self, stack_dir: &std::path::Path) -> (OsString, Option<String>) {
        if let Some(p) = helm::local_chart(&self.chart, stack_dir) {
            return (p.into_os_string(), None);
        }
        match non_empty(&self.repository) {
            Some(r) if r.starts_with("oci://") => (format!("{}/{}", r.trim_end_matches('/'), self.chart).into(), None),
            Some(r) => (self.chart.clone().into(), Some(r.to_string())),
            None => (self.chart.clone().into(), None),
        }
    }

    /// The repository's TLS files as helm's flags.
    fn tls_args(&self) -> Vec<OsString> {
        let files = [("--ca-file", &self.repository_ca_file), ("--cert-file", &self.repository_cert_file), ("--key-file", &self.repository_key_file)];
        files.into_iter().filter_map(|(f, v)| Some([f.into(), non_empty(v)?.into()])).flatten().collect()
    }

    /// Where helm fetches the chart from, and how. A repository password
    /// never goes on helm's command line (any user of the machine reads
    /// command lines in /proc): it is handed to `helm repo add` or
    /// `helm registry login` on stdin, which write it to a repository or
    /// registry configuration of the run's own, in `dir` (private, removed
    /// with it), and the run's helm commands read it from there. A chart
    /// given as a whole URL has no repository to log in to: its password
    /// is still a flag.
    async fn chart_source(&self, cli: &HelmCli, stack_dir: &Path, dir: &Path, env: &RunEnv<'_>) -> Result<ChartSource> {
        let (chart, repo) = self.chart_ref(stack_dir);
        let local = repo.is_none() && Path::new(&chart).exists();
        let mut s = ChartSource { chart, args: Vec::new(), vars: Vec::new(), local };
        let on = |b: Option<bool>| b.unwrap_or(false);
        let (username, password) = (non_empty(&self.repository_username), non_empty(&self.repository_password));
        let oci = s.chart.to_string_lossy().strip_prefix("oci://").map(|r| r.split('/').next().unwrap_or_default().to_string());
        let mut login: Vec<OsString> = Vec::new();
        match (password, &repo, &oci) {
            (Some(_), Some(url), _) => {
                s.vars.push(("HELM_REPOSITORY_CONFIG", dir.join("repositories.yaml").into()));
                s.vars.push(("HELM_REPOSITORY_CACHE", dir.join("repository-cache").into()));
                login.extend(["repo", "add", REPOSITORY_NAME, url.as_str()].map(OsString::from));
                if on(self.pass_credentials) {
                    login.push("--pass-credentials".into());
                }
                s.chart = format!("{REPOSITORY_NAME}/{}", self.chart).into();
            }
            (Some(_), None, Some(host)) => {
                s.vars.push(("HELM_REGISTRY_CONFIG", dir.join("registry-config.json").into()));
                login.extend(["registry", "login", host.as_str()].map(OsString::from));
            }
            _ => {
                for (f, v) in [("--repo", repo.as_deref()), ("--username", username), ("--password", password)] {
                    if let Some(v) = v {
                        s.args.extend([f.into(), v.into()]);
                    }
                }
            }
        }
        if let (false, Some(pw)) = (login.is_empty(), password) {
            login.push("--password-stdin".into());
            if let Some(u) = username {
                login.extend(["--username".into(), u.into()]);
            }
            login.extend(self.tls_args());
            let what = format!("helm {} {}", login[0].to_string_lossy(), login[1].to_string_lossy());
            let env = RunEnv { vars: &s.vars, ..RunEnv::new(env.kubeconfig, env.cwd) };
            cli.run_with_input(&what, &login, &env, Some(pw.as_bytes())).await?;
        }
        s.args.extend(self.tls_args());
        for (f, v) in [("--version", &self.version), ("--keyring", &self.keyring)] {
            if let Some(v) = non_empty(v) {
                s.args.extend([f.into(), v.into()]);
            }
        }
        for (f, b) in [
            ("--devel", on(self.devel) && non_empty(&self.version).is_none()),
            ("--verify", on(self.verify)),
            ("--pass-credentials", on(self.pass_credentials)),
        ] {
            if b {
                s.args.push(f.into());
            }
        }
        Ok(s)
    }

    /// `helm upgrade --install` with every argument; values files go to `files`.
    fn upgrade_args(&self, cli: &HelmCli, source: &ChartSource, files: &Path, dry_run: bool) -> Result<Vec<OsString>> {
        let mut a: Vec<OsString> = Vec::new();
        let flag = |a: &mut Vec<OsString>, f: &str, v: Option<&str>| {
            a.push(f.into());
            if let Some(v) = v {
                a.push(v.into());
            }
        };
        a.extend(["upgrade".into(), "--install".into(), self.name.clone().into(), source.chart.clone()]);
        a.extend(source.args.iter().cloned());
        flag(&mut a, "--namespace", Some(&self.namespace()));
        if let Some(v) = non_empty(&self.description) {
            flag(&mut a, "--description", Some(v));
        }
        let on = |b: Option<bool>| b.unwrap_or(false);
        for (f, b) in [
            ("--create-namespace", on(self.create_namespace)),
            ("--skip-crds", on(self.skip_crds)),
            ("--no-hooks", on(self.disable_webhooks)),
            ("--disable-openapi-validation", on(self.disable_openapi_validation)),
            ("--reuse-values", on(self.reuse_values)),
            ("--reset-values", on(self.reset_values)),
            ("--cleanup-on-fail", on(self.cleanup_on_fail) && !dry_run),
            ("--render-subchart-notes", on(self.render_subchart_notes)),
            ("--dependency-update", on(self.dependency_update)),
            ("--take-ownership", on(self.take_ownership)),
        ] {
            if b {
                flag(&mut a, f, None);
            }
        }
        if on(self.force_update) {
            flag(&mut a, if cli.major >= 4 { "--force-replace" } else { "--force" }, None);
        }
        if cli.major >= 4 && self.force_conflicts.unwrap_or(true) {
            flag(&mut a, "--force-conflicts", None);
        }
        flag(&mut a, "--history-max", Some(&self.max_history.unwrap_or(0).to_string()));
        if let Some(p) = &self.postrender {
            flag(&mut a, "--post-renderer", Some(if cli.major >= 4 { POSTRENDER_PLUGIN } else { &p.binary_path }));
            for arg in &p.args {
                flag(&mut a, "--post-renderer-args", Some(arg));
            }
        }
        a.extend(self.values_args(files)?);
        // Waits, timeouts, rollback.
        let atomic = on(self.atomic);
        let wait = self.wait.unwrap_or(true) || atomic;
        if dry_run {
            flag(&mut a, "--dry-run=server", None);
        } else {
            if wait {
                flag(&mut a, if cli.major >= 4 { "--wait=watcher" } else { "--wait" }, None);
                if on(self.wait_for_jobs) {
                    flag(&mut a, "--wait-for-jobs", None);
                }
            }
            if atomic {
                flag(&mut a, if cli.major >= 4 { "--rollback-on-failure" } else { "--atomic" }, None);
            }
        }
        flag(&mut a, "--timeout", Some(&format!("{}s", self.timeout_secs())));
        flag(&mut a, "--output", Some("json"));
        Ok(a)
    }

    /// The values arguments (`upgrade` and `lint` take the same): documents,
    /// then the object, then the single values; documents go to `files`.
    fn values_args(&self, files: &Path) -> Result<Vec<OsString>> {
        let mut a: Vec<OsString> = Vec::new();
        let mut docs = self.values.clone().unwrap_or_default();
        if let Some(v) = self.values_object.as_ref().filter(|v| !v.is_null()) {
            docs.push(helm::values_document(&v.to_json()));
        }
        for (i, doc) in docs.iter().enumerate() {
            let f = files.join(format!("values-{i}.yaml"));
            std::fs::write(&f, doc).map_err(|e| KubeError::Helm(format!("writing values: {e}")))?;
            a.push("--values".into());
            a.push(f.into_os_string());
        }
        for s in self.set.iter().chain(&self.set_sensitive).chain(&self.set_wo).filter(|s| !s.name.is_empty()) {
            let f = match s.kind.as_deref() {
                Some("string") => "--set-string",
                Some("literal") => "--set-literal",
                _ => "--set",
            };
            a.extend([f.into(), format!("{}={}", s.name, s.value.as_deref().unwrap_or_default()).into()]);
        }
        for s in self.set_list.iter().filter(|s| !s.name.is_empty()) {
            let items: Vec<String> = s.value.iter().map(|v| v.replace('\\', "\\\\").replace(',', "\\,")).collect();
            a.extend(["--set".into(), format!("{}={{{}}}", s.name, items.join(",")).into()]);
        }
        Ok(a)
    }

    /// `helm lint` of the chart with the release's values (upstream lints
    /// when planning); a chart from a repository or registry is pulled
    /// into `dir` first.
    async fn lint(&self, cli: &HelmCli, source: &ChartSource, dir: &Path, env: &RunEnv<'_>) -> Result<()> {
        let chart = if source.local {
            source.chart.clone()
        } else {
            let pulled = dir.join("pulled");
            std::fs::create_dir_all(&pulled).map_err(|e| KubeError::Helm(format!("a directory to pull the chart into: {e}")))?;
            let mut args: Vec<OsString> = vec!["pull".into(), source.chart.clone()];
            args.extend(source.args.iter().cloned());
            args.extend(["--untar".into(), "--destination".into(), pulled.clone().into()]);
            cli.run(&format!("helm pull of {}", self.chart), &args, env).await?;
            let unpacked = std::fs::read_dir(&pulled).ok().into_iter().flatten().flatten().map(|e| e.path()).find(|p| p.is_dir());
            unpacked.ok_or_else(|| KubeError::Helm(format!("helm pull of {}: no chart directory was unpacked", self.chart)))?.into_os_string()
        };
        let mut args: Vec<OsString> = vec!["lint".into(), chart];
        args.extend(self.values_args(dir)?);
        cli.run(&format!("helm lint of {}", self.chart), &args, env).await?;
        Ok(())
    }

    /// Runs `helm upgrade --install` (or its server-side dry run).
    async fn upgrade(&self, k: &Context, dry_run: bool) -> Result<Release> {
        let cli = k.helm()?;
        let files = tempfile::tempdir().map_err(|e| KubeError::Helm(format!("a directory for the values files: {e}")))?;
        let kubeconfig = k.connection.helm_kubeconfig(&k.stack_dir).await?;
        let source = self.chart_source(cli, &k.stack_dir, files.path(), &RunEnv::new(&kubeconfig, &k.stack_dir)).await?;
        let mut env = RunEnv { vars: &source.vars, ..RunEnv::new(&kubeconfig, &k.stack_dir) };
        if self.lint.unwrap_or(false) && dry_run {
            self.lint(cli, &source, files.path(), &env).await?;
        }
        let plugins = match &self.postrender {
            Some(p) if cli.major >= 4 => Some(postrender_plugin(cli, p, &k.stack_dir, files.path(), &env).await?),
            _ => None,
        };
        env.plugins = plugins.as_deref();
        let args = self.upgrade_args(cli, &source, files.path(), dry_run)?;
        let what = format!("helm upgrade --install {} ({}){}", self.name, self.chart, if dry_run { " --dry-run=server" } else { "" });
        let j = cli.run_json(&what, &args, &env).await?;
        Ok(Release::from_upgrade(&j))
    }

    /// Installs or upgrades, and returns the model as the release now is.
    /// `set_wo` is null in the planned object: its values come from the
    /// configuration, and their digests are kept for refreshes.
    async fn apply(mut self, cx: &Ctx<'_, Helm>, prior: Option<&ReleaseModel>) -> Result<ReleaseModel> {
        let creating = prior.is_none();
        let k = &cx.provider.cx;
        self.set_wo = write_only_values(cx.config);
        let digests = self.write_only_digests();
        if !digests.is_empty() {
            cx.keep_private(release_write_only::private_data(&digests));
        }
        if creating && !self.upgrade_install.unwrap_or(false) {
            // helm install --replace: a name whose last release is uninstalled or failed may be used again.
            let replaceable = |r: &Release| self.replace.unwrap_or(false) && matches!(r.status.as_str(), "uninstalled" | "failed");
            if let Some(r) = k.release(&self.name, &self.namespace()).await?.filter(|r| !replaceable(r)) {
                return Err(KubeError::Helm(format!(
                    "helm_release {}: a release {}/{} already exists (revision {}, {}): import it (id {}/{}), or set upgrade_install = true to take it over (replace = true re-uses the name of an uninstalled or failed one)",
                    self.name, r.namespace, r.name, r.revision, r.status, r.namespace, r.name
                )));
            }
        }
        let r = self.upgrade(k, false).await?;
        if let (Some(prior), true) = (prior, self.recreate_pods.unwrap_or(false)) {
            recreate_pods(k, &r, prior.objects.as_ref().unwrap_or(&BTreeMap::new())).await?;
        }
        self.fill(k, &r, &digests).await?;
        Ok(self)
    }

    fn write_only_digests(&self) -> BTreeSet<String> {
        release_write_only::digests(self.set_wo.iter().filter_map(|s| s.value.as_deref()))
    }

    /// Sets the computed attributes from the release, without the values
    /// of `digests` (the write-only ones).
    async fn fill(&mut self, k: &Context, r: &Release, digests: &BTreeSet<String>) -> Result<()> {
        let r = &release_write_only::redacted(r, digests)?;
        self.id = Some(self.name.clone());
        self.status = Some(r.status.clone());
        self.metadata = Some(metadata(r));
        if let Some(objects) = release_objects(k, r).await? {
            self.objects = Some(objects);
        }
        self.manifest = self.manifest_of(k, r)?;
        Ok(())
    }

    /// `manifest`: the rendered objects as JSON when the provider's
    /// experiments ask for it, else null (as upstream).
    fn manifest_of(&self, k: &Context, r: &Release) -> Result<Option<String>> {
        if !k.helm_manifest {
            return Ok(None);
        }
        let sensitive: Vec<&str> = self.set_sensitive.iter().filter_map(|s| s.value.as_deref()).collect();
        release_manifest::manifest_json(&r.manifest, &sensitive).map(Some)
    }
}

/// Helm 4 finds post-renderers only among its plugins: the `postrender`
/// program becomes plugin [`POSTRENDER_PLUGIN`] in `dir`, and the run's
/// HELM_PLUGINS lists `dir` before the user's plugin folders (which helm
/// still needs for getters and the like). Returns that HELM_PLUGINS value.
async fn postrender_plugin(cli: &HelmCli, p: &PostRender, stack_dir: &Path, dir: &Path, env: &RunEnv<'_>) -> Result<OsString> {
    let program = program_path(&p.binary_path, stack_dir)?;
    let plugins = dir.join("plugins");
    let plugin = plugins.join(POSTRENDER_PLUGIN);
    std::fs::create_dir_all(&plugin).map_err(|e| KubeError::Helm(format!("a plugin folder for the post-renderer: {e}")))?;
    // A JSON string is a YAML scalar: the path needs no further quoting.
    let command = serde_json::to_string(&program.display().to_string()).unwrap_or_default();
    let yaml = format!(
        "apiVersion: v1\nname: {POSTRENDER_PLUGIN}\nversion: 1.0.0\ntype: postrenderer/v1\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n  - command: {command}\n"
    );
    std::fs::write(plugin.join("plugin.yaml"), yaml).map_err(|e| KubeError::Helm(format!("writing the post-renderer's plugin.yaml: {e}")))?;
    let theirs = cli.run("helm env HELM_PLUGINS", &["env".into(), "HELM_PLUGINS".into()], env).await?;
    let theirs = String::from_utf8_lossy(&theirs).trim().to_string();
    let mut dirs = vec![plugins];
    dirs.extend(std::env::split_paths(&theirs));
    std::env::join_paths(dirs).map_err(|e| KubeError::Helm(format!("HELM_PLUGINS for the post-renderer: {e}")))
}

/// A program as `postrender.binary_path` names it: a path (relative ones
/// from the stack's folder), or a name looked up on PATH.
fn program_path(name: &str, stack_dir: &Path) -> Result<PathBuf> {
    let missing = || KubeError::Config(format!("postrender.binary_path {name:?}: no such program"));
    if name.contains('/') {
        let p = Path::new(name);
        let p = if p.is_relative() { stack_dir.join(p) } else { p.to_path_buf() };
        return if p.is_file() { Ok(p) } else { Err(missing()) };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()).ok_or_else(missing)
}

/// `recreate_pods`, as the helm provider's upgrade does it (Helm's library
/// still offers it; its command line dropped the flag): after an upgrade,
/// the Pods that each updated object (one the release had before: a key
/// of `before`) selects are deleted, so their controllers start them
/// again. As in Helm, a failure to do so is logged, not an error.
async fn recreate_pods(k: &Context, r: &Release, before: &BTreeMap<String, String>) -> Result<()> {
    let source = format!("release {}", r.name);
    let objs: Vec<(Json, String)> = parse_documents(&r.manifest, &source)?.into_iter().map(|o| (o, source.clone())).collect();
    let Some(desired) = sets::resolve(Some(&k.cluster), objs, &r.namespace).await? else { return Ok(()) };
    for (key, (id, obj)) in desired.iter().filter(|(key, _)| before.contains_key(*key)) {
        let Some(selector) = pod_selector(obj) else { continue };
        let namespace = id.namespace.as_deref().unwrap_or(&r.namespace);
        match k.cluster.delete_pods(namespace, &selector).await {
            Ok(pods) => tracing::debug!(object = %key, ?pods, "recreate_pods: deleted"),
            Err(e) => tracing::warn!(object = %key, "recreate_pods: the Pods could not be deleted: {e}"),
        }
    }
    Ok(())
}

/// The label selector (in the API's text form) of an object that selects
/// Pods: a workload's `spec.selector` (matchLabels and matchExpressions),
/// or the plain map of a Service or ReplicationController; None for others.
fn pod_selector(obj: &Json) -> Option<String> {
    let sel = obj["spec"].get("selector")?.as_object()?;
    let text = |j: &Json| j.as_str().unwrap_or_default().to_string();
    let mut terms: Vec<String> = Vec::new();
    let labels = match (sel.get("matchLabels"), sel.get("matchExpressions")) {
        (None, None) => Some(sel),
        (m, _) => m.and_then(Json::as_object),
    };
    terms.extend(labels.into_iter().flatten().map(|(k, v)| format!("{k}={}", text(v))));
    for e in sel.get("matchExpressions").and_then(Json::as_array).into_iter().flatten() {
        let (key, values) = (text(&e["key"]), e["values"].as_array().into_iter().flatten().map(text).collect::<Vec<_>>().join(","));
        terms.push(match e["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({values})"),
            "NotIn" => format!("{key} notin ({values})"),
            "Exists" => key,
            _ => format!("!{key}"),
        });
    }
    (!terms.is_empty()).then(|| terms.join(","))
}

/// The release's objects as `objects` keeps them; None when a kind's
/// scope is not known yet (its CRD is installed by the release).
async fn release_objects(k: &Context, r: &Release) -> Result<Option<BTreeMap<String, String>>> {
    let source = format!("release {}", r.name);
    let objs: Vec<(Json, String)> = parse_documents(&r.manifest, &source)?.into_iter().map(|o| (o, source.clone())).collect();
    Ok(sets::resolve(Some(&k.cluster), objs, &r.namespace).await?.map(|d| sets::rendered(&d)))
}

fn metadata(r: &Release) -> ReleaseMetadata {
    ReleaseMetadata {
        name: Some(r.name.clone()),
        namespace: Some(r.namespace.clone()),
        revision: Some(r.revision),
        chart: Some(r.chart.clone()),
        version: Some(r.chart_version.clone()),
        app_version: Some(r.app_version.clone()),
        values: Some(r.values.to_string()),
        first_deployed: Some(r.first_deployed),
        last_deployed: Some(r.last_deployed),
        notes: Some(r.notes.clone()),
    }
}

impl Context {
    /// The helm program (found when the provider was configured).
    pub fn helm(&self) -> Result<&HelmCli> {
        self.helm.as_ref().map_err(|e| KubeError::Helm(e.clone()))
    }

    /// The release, or None when helm has none by that name.
    pub async fn release(&self, name: &str, namespace: &str) -> Result<Option<Release>> {
        let kubeconfig = self.connection.helm_kubeconfig(&self.stack_dir).await?;
        self.helm()?.release(name, namespace, &RunEnv::new(&kubeconfig, &self.stack_dir)).await
    }
}

/// `set_wo` as the configuration writes it (the planned object holds null).
fn write_only_values(config: Option<&Value>) -> Vec<SetValue> {
    let Some(list) = config.and_then(|c| c.get(WRITE_ONLY)).map(|v| v.clone().unmark_deep().0) else { return Vec::new() };
    list.as_list().unwrap_or(&[]).iter().filter_map(|v| SetValue::from_value(v).ok()).collect()
}

/// Whether the configuration (not the computed attributes, nor the
/// write-only values, which state never holds) differs.
fn config_changed(prior: &Value, planned: &Value) -> bool {
    match (prior.as_map(), planned.as_map()) {
        (Some(p), Some(n)) => n.iter().any(|(k, v)| {
            let unmarked = |v: &Value| v.clone().unmark_deep().0;
            !COMPUTED.contains(&k.as_str()) && k != WRITE_ONLY && p.get(k).map(unmarked) != Some(unmarked(v))
        }),
        _ => true,
    }
}

/// The `helm_release` resource type.
pub struct HelmRelease;

#[async_trait]
impl Resource<Helm> for HelmRelease {
    type Model = ReleaseModel;
    const TYPE: &'static str = "helm_release";

    /// `set`, `set_list` and `set_sensitive` items with every key (an
    /// object written without `type` is the same as one with `type = null`),
    /// so the configuration compares equal with what state keeps.
    fn canonical_config(&self, config: &mut Value) {
        fn items<T: Model>(config: &Value, key: &str) -> Option<Value> {
            let v = config.get(key).filter(|v| !v.is_null())?;
            if !v.is_wholly_known() {
                return None;
            }
            let sensitive = v.is_sensitive();
            let list: Vec<T> = v.unmarked().as_list()?.iter().map(T::from_value).collect::<std::result::Result<_, _>>().ok()?;
            Some(Value::List(list.iter().map(Model::to_value).collect()).mark_if(sensitive))
        }
        for (key, v) in [
            ("set", items::<SetValue>(config, "set")),
            ("set_sensitive", items::<SetValue>(config, "set_sensitive")),
            ("set_list", items::<SetListValue>(config, "set_list")),
        ] {
            if let Some(v) = v {
                set(config, key, v);
            }
        }
    }

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        for attr in ["set", "set_sensitive", WRITE_ONLY] {
            // set_wo takes no literal values, as upstream.
            let types = if attr == WRITE_ONLY { &SET_TYPES[..2] } else { &SET_TYPES[..] };
            for s in config.get(attr).map(|v| v.unmarked()).and_then(Value::as_list).unwrap_or(&[]) {
                if let Some(t) = get_str(s, "type") {
                    if !types.contains(&t) {
                        let expected = types.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ");
                        out.push((AttrPath::attr(attr), format!("type must be one of {expected}, got {t:?}")));
                    }
                }
            }
        }
        if config.get("set_wo_revision").and_then(Value::as_f64).is_some_and(|r| r < 1.0) {
            out.push((AttrPath::attr("set_wo_revision"), "set_wo_revision must be at least 1".to_string()));
        }
        let is_true = |k: &str| config.get(k).and_then(Value::as_bool).unwrap_or(false);
        if is_true("reuse_values") && is_true("reset_values") {
            out.push((AttrPath::attr("reset_values"), "reuse_values and reset_values contradict each other".to_string()));
        }
        out
    }

    /// The upgrade dry-run now (a missing helm, a chart that does not
    /// render or a namespace that is missing fail the plan, not the apply),
    /// when the configuration is known: its objects are the plan's.
    async fn modify_plan(&self, cx: &Ctx<'_, Helm>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<()> {
        let k = &cx.provider.cx;
        k.helm()?;
        let mut manifest = Value::Null;
        let objects = if config_known(planned, &COMPUTED) {
            let m = ReleaseModel::from_value(planned)?;
            match m.upgrade(k, true).await.and_then(|r| release_write_only::redacted(&r, &m.write_only_digests())) {
                Ok(r) => match release_objects(k, &r).await? {
                    Some(o) => {
                        manifest = m.manifest_of(k, &r)?.map(Value::from).unwrap_or(Value::Null);
                        objects_value(&o)
                    }
                    None => Value::Unknown,
                },
                // A chart whose objects are of kinds its own crds/ (or another
                // release in the same apply) will define cannot be checked by
                // the server before those CRDs exist; Helm installs CRDs first,
                // so the objects are known only after the apply.
                Err(KubeError::Helm(m)) if kinds_not_served_yet(&m) => {
                    tracing::debug!(release = %get_str(planned, "name").unwrap_or_default(), "server dry-run cannot map kinds yet: {m}");
                    Value::Unknown
                }
                Err(e) => return Err(e),
            }
        } else {
            Value::Unknown
        };
        if objects.is_unknown() && k.helm_manifest {
            manifest = Value::Unknown;
        }
        let name = get_str(planned, "name").unwrap_or_default().to_string();
        let unchanged = prior.is_some_and(|p| !config_changed(p, planned) && p.get("objects") == Some(&objects) && get_str(p, "status") == Some("deployed"));
        if !unchanged {
            set(planned, "metadata", Value::Unknown);
        }
        set(planned, "objects", objects);
        set(planned, "manifest", manifest);
        set(planned, "id", Value::from(name));
        set(planned, "status", Value::from("deployed"));
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Helm>, planned: ReleaseModel) -> Result<ReleaseModel> {
        planned.apply(cx, None).await
    }

    async fn update(&self, cx: &Ctx<'_, Helm>, prior: ReleaseModel, planned: ReleaseModel) -> Result<ReleaseModel> {
        planned.apply(cx, Some(&prior)).await
    }

    async fn read(&self, cx: &Ctx<'_, Helm>, mut current: ReleaseModel) -> Result<Option<ReleaseModel>> {
        let k = &cx.provider.cx;
        let Some(r) = k.release(&current.name, &current.namespace()).await? else { return Ok(None) };
        current.fill(k, &r, &release_write_only::kept_digests(cx.private)).await?;
        Ok(Some(current))
    }

    async fn delete(&self, cx: &Ctx<'_, Helm>, prior: ReleaseModel) -> Result<()> {
        let k = &cx.provider.cx;
        let cli = k.helm()?;
        let kubeconfig = k.connection.helm_kubeconfig(&k.stack_dir).await?;
        let env = RunEnv::new(&kubeconfig, &k.stack_dir);
        let ns = prior.namespace();
        let mut args: Vec<OsString> = ["uninstall", prior.name.as_str(), "--namespace", ns.as_str()].map(OsString::from).to_vec();
        if prior.disable_webhooks.unwrap_or(false) {
            args.push("--no-hooks".into());
        }
        args.push(if cli.major >= 4 { "--wait=watcher" } else { "--wait" }.into());
        args.extend(["--timeout".into(), format!("{}s", prior.timeout_secs()).into()]);
        match cli.run(&format!("helm uninstall {ns}/{}", prior.name), &args, &env).await {
            Ok(_) => Ok(()),
            Err(KubeError::Helm(m)) if m.contains("not found") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `namespace/name` (or a name in "default"): a release made by
    /// `helm install` (or any other), from then on managed here.
    async fn import(&self, cx: &Ctx<'_, Helm>, id: &str) -> Result<Option<ReleaseModel>> {
        let (ns, name) = id.split_once('/').unwrap_or(("default", id));
        if ns.is_empty() || name.is_empty() || name.contains('/') {
            return Err(KubeError::Config(format!("import id {id:?}: expected namespace/name")));
        }
        let k = &cx.provider.cx;
        let Some(r) = k.release(name, ns).await? else { return Ok(None) };
        let mut m = ReleaseModel {
            name: r.name.clone(),
            namespace: Some(r.namespace.clone()),
            chart: r.chart.clone(),
            version: Some(r.chart_version.clone()),
            ..ReleaseModel::default()
        };
        m.fill(k, &r, &BTreeSet::new()).await?;
        Ok(Some(m))
    }
}

/// Helm's dry-run error for objects whose kind the API server does not serve
/// (yet): their CRD is installed by the same release or an earlier one in
/// this apply.
fn kinds_not_served_yet(message: &str) -> bool {
    ["could not find the requested resource", "no matches for kind", "resource mapping not found", "ensure CRDs are installed first"]
        .iter()
        .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_selectors_in_the_apis_text_form() {
        let deployment = serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]}, {"key": "canary", "operator": "DoesNotExist"}]}}});
        assert_eq!(pod_selector(&deployment).as_deref(), Some("app=web,tier in (a,b),!canary"));
        let service = serde_json::json!({"spec": {"selector": {"app": "web"}}});
        assert_eq!(pod_selector(&service).as_deref(), Some("app=web"));
        assert_eq!(pod_selector(&serde_json::json!({"data": {"a": "b"}})), None, "a ConfigMap selects no Pods");
    }
}
