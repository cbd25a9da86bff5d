//! `iac init` installs modules as `terraform init` does (issue 14): from a
//! module registry in the test kit (the same server Terraform 1.11.4 uses,
//! through a CLI configuration `host` block), from git repositories the
//! test makes (`git::file://` and a `git daemon` on 127.0.0.1), recursively;
//! plan and validate use what was installed; every failure is one
//! diagnostic on the `source`/`version` line (snapshots in
//! `fixtures/modules/`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use iac_testkit::registry::ModuleRegistry;
use support::{check_snapshot, fixtures, normalize, Out, Stack};

const HOST: &str = "registry.example.test";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.test",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A git repository holding a network module in `modules/subnet`: tag
/// v1.0.0 names its first form, branch `next` a second with another output.
fn net_repo(dir: &Path) -> PathBuf {
    let repo = dir.join("net");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(
        &repo,
        "modules/subnet/main.tf",
        r#"variable "cidr" {
  type = string
}

resource "terraform_data" "subnet" {
  input = var.cidr
}

output "cidr" {
  value = var.cidr
}

output "id" {
  value = terraform_data.subnet.id
}
"#,
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "subnet"]);
    git(&repo, &["tag", "v1.0.0"]);
    git(&repo, &["checkout", "-qb", "next"]);
    write(&repo, "modules/subnet/extra.tf", "output \"generation\" {\n  value = \"next\"\n}\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "next"]);
    git(&repo, &["checkout", "-q", "main"]);
    repo
}

/// The registry module acme/platform/aws: it calls the git module and a
/// local module of its own package.
fn platform_module(dir: &Path, git_source: &str, version_tag: &str) -> PathBuf {
    let m = dir.join(format!("platform-{version_tag}"));
    write(
        &m,
        "main.tf",
        &format!(
            r#"variable "cidr" {{
  type = string
}}

module "net" {{
  source = "{git_source}"
  cidr   = var.cidr
}}

module "labels" {{
  source = "./modules/labels"
  name   = "platform"
}}

resource "terraform_data" "cluster" {{
  input = {{
    subnet = module.net.cidr
    labels = module.labels.tags
  }}
}}

output "subnet_cidr" {{
  value = module.net.cidr
}}

output "release" {{
  value = "{version_tag}"
}}
"#
        ),
    );
    write(&m, "modules/labels/main.tf", "variable \"name\" {\n  type = string\n}\n\noutput \"tags\" {\n  value = { Name = var.name }\n}\n");
    m
}

fn cli_config(dir: &Path, modules_url: &str) -> PathBuf {
    let p = dir.join("terraformrc");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&p, format!("host \"{HOST}\" {{\n  services = {{\n    \"modules.v1\" = \"{modules_url}\"\n  }}\n}}\n")).unwrap();
    p
}

/// The world the tests share: a registry with the platform module (1.0.0
/// and 1.1.0), the git repository, a CLI configuration pointing at both.
struct World {
    registry: ModuleRegistry,
    work: tempfile::TempDir,
    repo: PathBuf,
    rc: PathBuf,
}

fn world() -> World {
    let work = tempfile::Builder::new().prefix("iac-e2e-mod").tempdir().unwrap();
    let repo = net_repo(work.path());
    let registry = ModuleRegistry::start();
    let git_source = format!("git::file://{}//modules/subnet?ref=v1.0.0", repo.display());
    registry.publish("acme/platform/aws", "1.0.0", &platform_module(work.path(), &git_source, "1.0.0"));
    registry.publish("acme/platform/aws", "1.1.0", &platform_module(work.path(), &git_source, "1.1.0"));
    registry.publish("acme/platform/aws", "2.0.0-beta1", &platform_module(work.path(), &git_source, "2.0.0-beta1"));
    let rc = cli_config(work.path(), &registry.modules_url());
    World { registry, work, repo, rc }
}

impl World {
    fn stack(&self, main_tf: &str) -> Stack {
        let mut s = Stack::files("stack", &[("main.tf", main_tf)]);
        s.env.insert("TF_CLI_CONFIG_FILE".into(), self.rc.display().to_string());
        s
    }
    fn roots(&self) -> Vec<PathBuf> {
        vec![self.work.path().to_path_buf()]
    }
}

/// The EKS-example shape: the root calls a registry module (which calls a
/// git module and a local one) and a git module of its own.
fn eks_style_root(git_daemon_url: &str) -> String {
    format!(
        r#"module "platform" {{
  source  = "{HOST}/acme/platform/aws"
  version = "~> 1.0"
  cidr    = "10.0.0.0/16"
}}

module "edge" {{
  source = "git::{git_daemon_url}/net//modules/subnet?ref=next&depth=1"
  cidr   = "10.1.0.0/16"
}}

resource "terraform_data" "consumer" {{
  input = [module.platform.subnet_cidr, module.edge.generation]
}}

output "platform" {{
  value = {{
    cidr    = module.platform.subnet_cidr
    release = module.platform.release
    edge    = module.edge.generation
  }}
}}
"#
    )
}

/// `git daemon` serving the test's repositories on 127.0.0.1; killed on drop.
struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    fn start(base: &Path) -> GitDaemon {
        let port = iac_testkit::services::free_port();
        let child = Command::new("git")
            .args(["daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start git daemon");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "git daemon did not listen on {port}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        GitDaemon { child, port }
    }
    fn url(&self) -> String {
        format!("git://127.0.0.1:{}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".terraform/modules/modules.json")).expect("modules.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = v["Modules"].as_array_mut().unwrap();
    list.sort_by(|a, b| a["Key"].as_str().cmp(&b["Key"].as_str()));
    v
}

fn snapshot(name: &str, text: &str) {
    let path = fixtures().join("modules").join(format!("{name}.txt"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if let Err(e) = check_snapshot(&path, text) {
        panic!("{e}");
    }
}

fn ports_hidden(s: &str) -> String {
    regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap().replace_all(s, "127.0.0.1:<port>").into_owned()
}

#[test]
fn registry_and_git_modules_install_validate_and_plan_like_terraform() {
    let w = world();
    let daemon = GitDaemon::start(w.work.path());
    let root = eks_style_root(&daemon.url());
    let s = w.stack(&root);

    let init = s.run(&["init"]);
    init.ok();
    let m = manifest(&s.dir);
    let net_src = format!("git::file://{}//modules/subnet?ref=v1.0.0", w.repo.display());
    let expected = serde_json::json!({"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "edge", "Source": format!("git::{}/net//modules/subnet?ref=next&depth=1", daemon.url()), "Dir": ".terraform/modules/edge/modules/subnet"},
        {"Key": "platform", "Source": format!("{HOST}/acme/platform/aws"), "Version": "1.1.0", "Dir": ".terraform/modules/platform"},
        {"Key": "platform.labels", "Source": "./modules/labels", "Dir": ".terraform/modules/platform/modules/labels"},
        {"Key": "platform.net", "Source": net_src, "Dir": ".terraform/modules/platform.net/modules/subnet"},
    ]});
    assert_eq!(m, expected, "iac's modules.json");
    assert!(s.path(".terraform/modules/platform.net/modules/subnet/main.tf").is_file());
    assert!(!s.path(".terraform/modules/edge/modules/subnet/extra.tf").exists() || s.path(".terraform/modules/edge/modules/subnet/extra.tf").is_file());

    s.run(&["validate"]).ok();
    let plan = s.run(&["plan"]);
    plan.ok();
    let out = plan.all();
    for addr in [
        "module.platform.terraform_data.cluster",
        "module.platform.module.net.terraform_data.subnet",
        "module.edge.terraform_data.subnet",
        "terraform_data.consumer",
    ] {
        assert!(out.contains(addr), "{addr} missing from the plan:\n{out}");
    }
    assert!(out.contains("\"1.1.0\"") && out.contains("\"next\""), "the newest 1.x and the branch's module:\n{out}");

    // Terraform 1.11.4, same server and configuration: the same manifest.
    let tf_dir = w.work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), &root).unwrap();
    let tf = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["init", "-no-color", "-input=false", "-backend=false"])
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &w.rc)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform");
    assert!(tf.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf.stdout), String::from_utf8_lossy(&tf.stderr));
    assert_eq!(manifest(&tf_dir), expected, "Terraform's modules.json");
    drop(daemon);
}

#[test]
fn init_again_reuses_what_is_installed_and_upgrade_re_resolves() {
    let w = world();
    let s = w.stack(&format!("module \"platform\" {{\n  source  = \"{HOST}/acme/platform/aws\"\n  version = \"~> 1.0\"\n  cidr    = \"10.0.0.0/16\"\n}}\n"));
    s.run(&["init"]).ok();
    let before = w.registry.requests().len();
    let again = s.run(&["init"]);
    again.ok();
    assert_eq!(w.registry.requests().len(), before, "a second init asks the registry nothing:\n{}", again.all());
    assert!(again.stdout.contains("- platform in .terraform/modules/platform (already installed)"), "{}", again.stdout);

    w.registry.publish(
        "acme/platform/aws",
        "1.2.0",
        &platform_module(w.work.path(), &format!("git::file://{}//modules/subnet?ref=v1.0.0", w.repo.display()), "1.2.0"),
    );
    s.run(&["init"]).ok();
    assert_eq!(manifest(&s.dir)["Modules"][1]["Version"], "1.1.0", "without -upgrade the installed version stays");
    let up = s.run(&["init", "-upgrade"]);
    up.ok();
    assert_eq!(manifest(&s.dir)["Modules"][1]["Version"], "1.2.0", "-upgrade picks the newest allowed:\n{}", up.stdout);
    // A changed constraint is re-resolved without -upgrade.
    s.write("main.tf", &format!("module \"platform\" {{\n  source  = \"{HOST}/acme/platform/aws\"\n  version = \"1.0.0\"\n  cidr    = \"10.0.0.0/16\"\n}}\n"));
    s.run(&["init"]).ok();
    assert_eq!(manifest(&s.dir)["Modules"][1]["Version"], "1.0.0");
    let leftovers: Vec<String> = std::fs::read_dir(s.path(".terraform/modules"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "scratch directories left: {leftovers:?}");
}

#[test]
fn registry_tokens_come_from_tf_token_variables_and_credentials_blocks_and_are_never_logged() {
    let w = world();
    w.registry.require_token("s3cr3t-token-value");
    let main = format!("module \"platform\" {{\n  source  = \"{HOST}/acme/platform/aws\"\n  version = \"1.0.0\"\n  cidr    = \"10.0.0.0/16\"\n}}\n");
    let s = w.stack(&main);
    let denied = s.run(&["init"]);
    denied.expect_code(1);
    assert!(denied.stderr.contains("401"), "{}", denied.stderr);

    let ok = s.run_env(&["init"], &[("TF_TOKEN_registry_example_test", "s3cr3t-token-value"), ("IAC_LOG", "trace")]);
    ok.ok();
    assert!(!ok.all().contains("s3cr3t-token-value"), "the token was printed:\n{}", ok.all());
    let auth: Vec<String> = w.registry.requests().iter().filter_map(|r| r.header("authorization").map(str::to_string)).collect();
    assert!(auth.iter().any(|a| a == "Bearer s3cr3t-token-value"), "{auth:?}");

    // The same from a credentials block of the CLI configuration.
    let rc = std::fs::read_to_string(&w.rc).unwrap() + &format!("credentials \"{HOST}\" {{\n  token = \"s3cr3t-token-value\"\n}}\n");
    std::fs::write(&w.rc, rc).unwrap();
    let s2 = w.stack(&main);
    s2.run(&["init"]).ok();
}

#[test]
fn a_module_not_installed_is_one_diagnostic_without_a_cascade() {
    let w = world();
    let s = w.stack(&format!(
        "module \"platform\" {{\n  source  = \"{HOST}/acme/platform/aws\"\n  version = \"~> 1.0\"\n  cidr    = \"10.0.0.0/16\"\n}}\n\noutput \"a\" {{\n  value = module.platform.subnet_cidr\n}}\n\noutput \"b\" {{\n  value = module.platform.release\n}}\n"
    ));
    let plan = s.run(&["plan"]);
    plan.expect_code(1);
    assert!(!plan.all().contains("has no output") && !plan.all().contains("has no variable"), "{}", plan.all());
    snapshot("not-installed", &normalize(&plan.stderr, &[s.root()]));
    let v = s.run(&["validate"]);
    v.expect_code(1);
    assert_eq!(v.stderr.matches('×').count(), 1, "one diagnostic:\n{}", v.stderr);
}

fn failing_init(w: &World, name: &str, main_tf: &str, env: &[(&str, &str)]) -> Out {
    let s = w.stack(main_tf);
    let out = s.run_env(&["init"], env);
    out.expect_code(1);
    let mut roots: Vec<&Path> = vec![s.root()];
    let wr = w.roots();
    roots.extend(wr.iter().map(PathBuf::as_path));
    snapshot(name, &ports_hidden(&normalize(&out.stderr, &roots)));
    // Nothing half-installed: no scratch directories, no module directory.
    let modules = s.path(".terraform/modules");
    let dirs: Vec<String> = std::fs::read_dir(&modules)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n != "modules.json").collect())
        .unwrap_or_default();
    assert!(dirs.is_empty(), "{name}: left in .terraform/modules: {dirs:?}");
    out
}

#[test]
fn install_errors_are_diagnostics_on_the_source_or_version_line() {
    let w = world();
    let closed = iac_testkit::services::free_port();
    let dead_rc = cli_config(&w.work.path().join("dead"), &format!("http://127.0.0.1:{closed}/v1/modules/"));
    let reg = |v: &str| format!("module \"platform\" {{\n  source  = \"{HOST}/acme/platform/aws\"\n  version = \"{v}\"\n  cidr    = \"10.0.0.0/16\"\n}}\n");

    failing_init(&w, "unreachable-host", &reg("~> 1.0"), &[("TF_CLI_CONFIG_FILE", dead_rc.to_str().unwrap())]);
    failing_init(&w, "no-matching-version", &reg("~> 3.0"), &[]);
    failing_init(&w, "unknown-module", &format!("module \"x\" {{\n  source = \"{HOST}/acme/nothing/aws\"\n}}\n"), &[]);
    failing_init(
        &w,
        "git-ref-not-found",
        &format!("module \"net\" {{\n  source = \"git::file://{}//modules/subnet?ref=v9.9.9\"\n  cidr   = \"10.0.0.0/16\"\n}}\n", w.repo.display()),
        &[],
    );
    failing_init(&w, "git-no-repository", &format!("module \"net\" {{\n  source = \"git::file://{}/missing?ref=v1.0.0\"\n}}\n", w.work.path().display()), &[]);
    w.registry.publish_bytes("acme/broken/aws", "1.0.0", b"\x1f\x8b\x08\x00this is not a gzip stream".to_vec());
    failing_init(&w, "archive-corrupt", &format!("module \"broken\" {{\n  source  = \"{HOST}/acme/broken/aws\"\n  version = \"1.0.0\"\n}}\n"), &[]);
    failing_init(
        &w,
        "version-on-git-source",
        &format!("module \"net\" {{\n  source  = \"git::file://{}//modules/subnet?ref=v1.0.0\"\n  version = \"1.0.0\"\n}}\n", w.repo.display()),
        &[],
    );
    failing_init(&w, "unsupported-source", "module \"x\" {\n  source = \"hg::https://example.com/repo\"\n}\n", &[]);
}

#[test]
fn git_refs_name_tags_branches_and_commits() {
    let w = world();
    let head = Command::new("git").args(["rev-parse", "v1.0.0"]).current_dir(&w.repo).output().unwrap();
    let commit = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let repo = w.repo.display().to_string();
    let s = w.stack(&format!(
        r#"module "tag" {{
  source = "git::file://{repo}//modules/subnet?ref=v1.0.0"
  cidr   = "10.0.0.0/16"
}}

module "branch" {{
  source = "git::file://{repo}//modules/subnet?ref=next&depth=1"
  cidr   = "10.1.0.0/16"
}}

module "commit" {{
  source = "git::file://{repo}//modules/subnet?ref={commit}"
  cidr   = "10.2.0.0/16"
}}

module "default_branch" {{
  source = "git::file://{repo}//modules/subnet"
  cidr   = "10.3.0.0/16"
}}

output "generation" {{
  value = module.branch.generation
}}
"#
    ));
    s.run(&["init"]).ok();
    assert!(s.path(".terraform/modules/branch/modules/subnet/extra.tf").is_file(), "the branch's file");
    for k in ["tag", "commit", "default_branch"] {
        assert!(s.path(&format!(".terraform/modules/{k}/modules/subnet/main.tf")).is_file(), "{k}");
        assert!(!s.path(&format!(".terraform/modules/{k}/modules/subnet/extra.tf")).exists(), "{k} is not the branch");
    }
    let shallow = Command::new("git").args(["rev-list", "--count", "HEAD"]).current_dir(s.path(".terraform/modules/branch")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&shallow.stdout).trim(), "1", "depth=1 makes a shallow clone");
    s.run(&["validate"]).ok();
}

#[test]
fn an_https_archive_source_installs_by_extension_or_archive_parameter() {
    let w = world();
    let url = format!("{}/archives/acme/platform/aws/1.0.0.tar.gz", w.registry.url());
    let forced = format!("{}/archives/acme/platform/aws/1.1.0.tar.gz?archive=tar.gz", w.registry.url());
    let s = w.stack(&format!(
        "module \"a\" {{\n  source = \"{url}\"\n  cidr   = \"10.0.0.0/16\"\n}}\n\nmodule \"b\" {{\n  source = \"{forced}//modules/labels\"\n  name   = \"b\"\n}}\n\noutput \"release\" {{\n  value = module.a.release\n}}\n"
    ));
    s.run(&["init"]).ok();
    let m = manifest(&s.dir);
    assert_eq!(m["Modules"][1], serde_json::json!({"Key": "a", "Source": url, "Dir": ".terraform/modules/a"}));
    let keys: Vec<&str> = m["Modules"].as_array().unwrap().iter().map(|r| r["Key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["", "a", "a.labels", "a.net", "b"], "the archive's own modules too");
    assert_eq!(m["Modules"][4]["Dir"], ".terraform/modules/b/modules/labels");
    s.run(&["plan"]).ok();
    // No modules, no .terraform/modules.
    let plain = w.stack("resource \"terraform_data\" \"x\" {}\n");
    plain.run(&["init"]).ok();
    assert!(!plain.path(".terraform/modules").exists());
}

/// Every file below a directory, by relative path, with its content.
fn files_below(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, p: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push((path.strip_prefix(root).unwrap().display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// tar.xz and tar.bz2 archives (made by the system's tar), by extension
/// (`?archive=` here, as the test server names every package .tar.gz):
/// iac and Terraform 1.11.4 install the same files and record the same
/// modules.json; a damaged one is a diagnostic on the source line.
#[test]
fn tar_xz_and_tar_bz2_archives_install_as_terraform_installs_them() {
    let w = world();
    let src = w.work.path().join("compressed-module");
    write(&src, "main.tf", "variable \"name\" {\n  type = string\n}\n\noutput \"greeting\" {\n  value = \"hello ${var.name}\"\n}\n");
    write(&src, "modules/inner/main.tf", "output \"depth\" {\n  value = 2\n}\n");
    let packed = |flag: &str| {
        let out = Command::new("tar").args([flag, "-", "-C"]).arg(&src).arg(".").output().expect("run tar");
        assert!(out.status.success(), "tar {flag}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    w.registry.publish_bytes("acme/xz/aws", "1.0.0", packed("-cJf"));
    w.registry.publish_bytes("acme/bz/aws", "1.0.0", packed("-cjf"));
    let xz = format!("{}/archives/acme/xz/aws/1.0.0.tar.gz?archive=tar.xz", w.registry.url());
    let bz = format!("{}/archives/acme/bz/aws/1.0.0.tar.gz?archive=tar.bz2", w.registry.url());
    let root = format!(
        "module \"xz\" {{\n  source = \"{xz}\"\n  name   = \"xz\"\n}}\n\nmodule \"bz\" {{\n  source = \"{bz}\"\n  name   = \"bz\"\n}}\n\noutput \"both\" {{\n  value = [module.xz.greeting, module.bz.greeting]\n}}\n"
    );
    let s = w.stack(&root);
    s.run(&["init"]).ok();
    let plan = s.run(&["plan"]);
    plan.ok();
    assert!(plan.all().contains("hello xz") && plan.all().contains("hello bz"), "{}", plan.all());

    let tf_dir = w.work.path().join("tf-compressed");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), &root).unwrap();
    let tf = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["init", "-no-color", "-input=false", "-backend=false"])
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &w.rc)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform");
    assert!(tf.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf.stdout), String::from_utf8_lossy(&tf.stderr));
    assert_eq!(manifest(&s.dir), manifest(&tf_dir), "modules.json");
    for key in ["xz", "bz"] {
        let ours = files_below(&s.path(&format!(".terraform/modules/{key}")));
        assert_eq!(ours, files_below(&tf_dir.join(format!(".terraform/modules/{key}"))), "{key}: the installed files");
        assert_eq!(ours.len(), 2, "{key}: {ours:?}");
    }

    let mut cut = packed("-cJf");
    cut.truncate(cut.len() / 2);
    w.registry.publish_bytes("acme/cut/aws", "1.0.0", cut);
    failing_init(
        &w,
        "archive-xz-corrupt",
        &format!("module \"cut\" {{\n  source = \"{}/archives/acme/cut/aws/1.0.0.tar.gz?archive=tar.xz\"\n}}\n", w.registry.url()),
        &[],
    );
}

/// A module directory for the bucket tests: a root with one input and an
/// output, and a nested local module.
fn bucket_module(dir: &Path) -> PathBuf {
    let src = dir.join("bucket-module");
    write(&src, "main.tf", "variable \"name\" {\n  type = string\n}\n\nmodule \"inner\" {\n  source = \"./modules/inner\"\n}\n\noutput \"greeting\" {\n  value = \"hello ${var.name} from ${module.inner.where}\"\n}\n");
    write(&src, "modules/inner/main.tf", "output \"where\" {\n  value = \"a bucket\"\n}\n");
    src
}

fn zip_of(src: &Path) -> Vec<u8> {
    let out_zip = src.with_extension("zip");
    let _ = std::fs::remove_file(&out_zip);
    let out = Command::new("zip").arg("-q").arg("-r").arg(&out_zip).arg(".").current_dir(src).output().expect("run zip");
    assert!(out.status.success(), "zip: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&out_zip).unwrap()
}

/// One plain HTTP request to 127.0.0.1 (moto takes unsigned requests), its status.
fn http_put(endpoint: &str, path: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn terraform_init_in(dir: &Path, main_tf: &str, rc: &Path, env: &[(&str, &str)]) -> std::process::Output {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("main.tf"), main_tf).unwrap();
    let mut c = Command::new(iac_testkit::tools::tool("terraform"));
    c.args(["init", "-no-color", "-input=false", "-backend=false"]).current_dir(dir).env("TF_CLI_CONFIG_FILE", rc).env("CHECKPOINT_DISABLE", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run terraform")
}

/// `s3::` sources against moto: a zip object and a directory of objects,
/// with the credentials in the URL (the form go-getter sends to a
/// non-AWS endpoint): iac and Terraform 1.11.4 install the same files and
/// write the same modules.json. Then credentials from the environment,
/// and the failures (no credentials, no such object) as diagnostics on
/// the source line.
#[test]
fn s3_modules_install_from_moto_as_terraform_installs_them() {
    let w = world();
    let moto = iac_testkit::services::Moto::start();
    let ep = moto.endpoint();
    let src = bucket_module(w.work.path());
    assert_eq!(http_put(&ep, "/modules", b""), 200, "create the bucket");
    assert_eq!(http_put(&ep, "/modules/releases/net-1.0.0.zip", &zip_of(&src)), 200);
    for rel in ["main.tf", "modules/inner/main.tf"] {
        assert_eq!(http_put(&ep, &format!("/modules/tree/net/{rel}"), &std::fs::read(src.join(rel)).unwrap()), 200);
    }
    assert_eq!(http_put(&ep, "/modules/tree/network-other.tf", b"# not below tree/net/\n"), 200);
    let creds = "aws_access_key_id=AKIDMOTO&aws_access_key_secret=moto-secret";
    let host = ep.trim_start_matches("http://");
    let root = format!(
        "module \"zipped\" {{\n  source = \"s3::http://{host}/modules/releases/net-1.0.0.zip?{creds}\"\n  name   = \"zip\"\n}}\n\nmodule \"tree\" {{\n  source = \"s3::http://{host}/modules/tree/net?region=eu-west-1&{creds}\"\n  name   = \"tree\"\n}}\n\noutput \"both\" {{\n  value = [module.zipped.greeting, module.tree.greeting]\n}}\n"
    );
    let s = w.stack(&root);
    s.run(&["init"]).ok();
    let plan = s.run(&["plan"]);
    plan.ok();
    assert!(plan.all().contains("hello zip from a bucket") && plan.all().contains("hello tree from a bucket"), "{}", plan.all());
    assert!(!s.path(".terraform/modules/tree/network-other.tf").exists() && !s.path(".terraform/modules/network-other.tf").exists());

    let tf_dir = w.work.path().join("tf-s3");
    let tf = terraform_init_in(&tf_dir, &root, &w.rc, &[]);
    assert!(tf.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf.stdout), String::from_utf8_lossy(&tf.stderr));
    assert_eq!(manifest(&s.dir), manifest(&tf_dir), "modules.json");
    for key in ["zipped", "tree"] {
        let ours = files_below(&s.path(&format!(".terraform/modules/{key}")));
        assert_eq!(ours, files_below(&tf_dir.join(format!(".terraform/modules/{key}"))), "{key}: the installed files");
        assert_eq!(ours.len(), 2, "{key}: {ours:?}");
    }

    // Credentials from the environment (iac sends the request where the URL says).
    let env_root = format!("module \"zipped\" {{\n  source = \"s3::http://{host}/modules/releases/net-1.0.0.zip\"\n  name   = \"env\"\n}}\n");
    let e = w.stack(&env_root);
    e.run_env(&["init"], &[("AWS_ACCESS_KEY_ID", "AKIDENV"), ("AWS_SECRET_ACCESS_KEY", "env-secret")]).ok();
    assert!(e.path(".terraform/modules/zipped/modules/inner/main.tf").is_file());
    let none = w.work.path().join("no-home");
    std::fs::create_dir_all(&none).unwrap();
    let no_creds = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_PROFILE", ""),
        ("HOME", none.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
    ];
    failing_init(&w, "s3-no-credentials", &env_root, &no_creds);
    failing_init(&w, "s3-no-such-object", &format!("module \"gone\" {{\n  source = \"s3::http://{host}/modules/releases/net-9.9.9.zip?{creds}\"\n}}\n"), &[]);
}

/// A small stand-in for Google Cloud Storage as Google's Go client speaks to
/// it through `STORAGE_EMULATOR_HOST`: objects read at `/BUCKET/OBJECT`,
/// listed at `/storage/v1/b/BUCKET/o?prefix=` (JSON). It records each
/// request's path and Authorization header.
struct FakeGcs {
    addr: String,
    requests: RequestLog,
}

/// Each request's path and Authorization header, in order.
type RequestLog = std::sync::Arc<std::sync::Mutex<Vec<(String, Option<String>)>>>;

impl FakeGcs {
    fn start(bucket: &str, objects: Vec<(String, Vec<u8>)>) -> FakeGcs {
        use std::io::{BufRead, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests: RequestLog = std::sync::Arc::default();
        let log = requests.clone();
        let bucket = bucket.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut auth = None;
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                    if k.eq_ignore_ascii_case("authorization") {
                        auth = Some(v.trim().to_string());
                    }
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push((target.clone(), auth));
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
                let (status, ctype, payload) = if path == format!("/storage/v1/b/{bucket}/o") {
                    let prefix = query.split('&').find_map(|kv| kv.strip_prefix("prefix=")).map(decode).unwrap_or_default();
                    let items: Vec<serde_json::Value> = objects
                        .iter()
                        .filter(|(n, _)| n.starts_with(&prefix))
                        .map(|(n, d)| serde_json::json!({"kind": "storage#object", "name": n, "bucket": bucket, "size": d.len().to_string()}))
                        .collect();
                    (200, "application/json", serde_json::to_vec(&serde_json::json!({"kind": "storage#objects", "items": items})).unwrap())
                } else if let Some(name) = path.strip_prefix(&format!("/{bucket}/")).map(decode) {
                    match objects.iter().find(|(n, _)| *n == name) {
                        Some((_, d)) => (200, "application/octet-stream", d.clone()),
                        None => (404, "text/plain", b"No such object".to_vec()),
                    }
                } else {
                    (404, "text/plain", b"Not found".to_vec())
                };
                let mut s = reader.into_inner();
                let _ = write!(s, "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", payload.len());
                let _ = s.write_all(&payload);
            }
        });
        FakeGcs { addr, requests }
    }
}

/// `gcs::` sources: a zip object and a directory of objects, read where
/// Google's client reads them (`STORAGE_EMULATOR_HOST`), with the
/// `GOOGLE_OAUTH_ACCESS_TOKEN` bearer token; the same files as Terraform
/// 1.11.4 installs from the same server; a missing object is a diagnostic
/// on the source line.
#[test]
fn gcs_modules_install_from_a_storage_emulator_as_terraform_installs_them() {
    let w = world();
    let src = bucket_module(w.work.path());
    let mut objects = vec![("releases/net-1.0.0.zip".to_string(), zip_of(&src))];
    for rel in ["main.tf", "modules/inner/main.tf"] {
        objects.push((format!("tree/net/{rel}"), std::fs::read(src.join(rel)).unwrap()));
    }
    let gcs = FakeGcs::start("modules", objects);
    let root = "module \"zipped\" {\n  source = \"gcs::https://www.googleapis.com/storage/v1/modules/releases/net-1.0.0.zip\"\n  name   = \"zip\"\n}\n\nmodule \"tree\" {\n  source = \"www.googleapis.com/storage/v1/modules/tree/net\"\n  name   = \"tree\"\n}\n\noutput \"both\" {\n  value = [module.zipped.greeting, module.tree.greeting]\n}\n";
    let env = [("STORAGE_EMULATOR_HOST", gcs.addr.as_str()), ("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.test-token")];
    let s = w.stack(root);
    s.run_env(&["init"], &env).ok();
    let plan = s.run(&["plan"]);
    plan.ok();
    assert!(plan.all().contains("hello zip from a bucket") && plan.all().contains("hello tree from a bucket"), "{}", plan.all());
    let ours: Vec<(String, Option<String>)> = gcs.requests.lock().unwrap().clone();
    assert!(ours.iter().any(|(p, _)| p == "/modules/releases/net-1.0.0.zip"), "{ours:?}");
    assert!(ours.iter().any(|(p, _)| p.starts_with("/storage/v1/b/modules/o?prefix=tree%2Fnet%2F")), "{ours:?}");
    assert!(ours.iter().all(|(_, a)| a.as_deref() == Some("Bearer ya29.test-token")), "every request carries the token: {ours:?}");

    let tf_dir = w.work.path().join("tf-gcs");
    let tf = terraform_init_in(&tf_dir, root, &w.rc, &env);
    assert!(tf.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf.stdout), String::from_utf8_lossy(&tf.stderr));
    assert_eq!(manifest(&s.dir), manifest(&tf_dir), "modules.json");
    for key in ["zipped", "tree"] {
        let ours = files_below(&s.path(&format!(".terraform/modules/{key}")));
        assert_eq!(ours, files_below(&tf_dir.join(format!(".terraform/modules/{key}"))), "{key}: the installed files");
        assert_eq!(ours.len(), 2, "{key}: {ours:?}");
    }

    failing_init(
        &w,
        "gcs-no-such-object",
        "module \"gone\" {\n  source = \"gcs::https://www.googleapis.com/storage/v1/modules/releases/net-9.9.9.zip\"\n}\n",
        &[("STORAGE_EMULATOR_HOST", gcs.addr.as_str())],
    );
}
