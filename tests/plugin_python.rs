//! A protocol-6 provider plugin written on a third-party SDK that Terraform
//! also runs: `tests/fixtures/plugins/kv` (our `kv` provider on the MPL-2.0
//! Python package `tfprovider` 0.1.1.post1 from PyPI, installed by
//! `scripts/install-tools` into `.tools/tfprovider-venv`), laid out in a
//! filesystem mirror built per test. iac and Terraform 1.11.4 run it side by
//! side (init, create, no-op, update in place, replace, import, destroy, and
//! a `moved` block across resource types through MoveResourceState, over
//! protocol 6 and, with the plugin serving tfplugin5, over protocol 5); then
//! bad plugins (not a plugin, an unsupported handshake, a crash
//! mid-apply, a missing plugin) and a kill -9 of `iac apply` while the
//! plugin is creating.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Stack;

const SOURCE: &str = "registry.terraform.io/iac-test/kv";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The venv's interpreter that runs the provider (required, not skipped).
fn python() -> PathBuf {
    let p = repo().join(".tools/tfprovider-venv/bin/python");
    assert!(p.is_file(), "{} is missing: run scripts/install-tools (it installs tfprovider from PyPI)", p.display());
    p
}

/// A filesystem mirror (unpacked layout) holding `terraform-provider-kv`:
/// the fixture's launcher and provider, or `launcher` given as a script.
fn mirror(root: &Path, launcher: Option<&str>) -> PathBuf {
    let mirror = root.join("mirror");
    let pkg = mirror.join("registry.terraform.io/iac-test/kv/0.1.0/linux_amd64");
    std::fs::create_dir_all(&pkg).unwrap();
    let fixture = repo().join("tests/fixtures/plugins/kv");
    let bin = pkg.join("terraform-provider-kv");
    match launcher {
        None => {
            std::fs::copy(fixture.join("provider.py"), pkg.join("provider.py")).unwrap();
            std::fs::copy(fixture.join("terraform-provider-kv"), &bin).unwrap();
        }
        Some(script) => std::fs::write(&bin, script).unwrap(),
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    mirror
}

/// The stack: a data source reading an entry put there by hand, `a` (the
/// one edited), `b` (from the data source) and `c` (after `a`).
fn config(store: &Path, a_key: &str, a_value: &str) -> String {
    format!(
        r#"{provider}
data "kv_entry" "seed" {{
  key = "seed"
}}

resource "kv_entry" "a" {{
  key   = "{a_key}"
  value = "{a_value}"
}}

resource "kv_entry" "b" {{
  key   = "beta"
  value = "copy of ${{data.kv_entry.seed.value}}"
}}

resource "kv_entry" "c" {{
  key   = "gamma"
  value = "after ${{kv_entry.a.id}}"
}}

output "seed" {{
  value = data.kv_entry.seed.value
}}
"#,
        provider = kv_provider(store)
    )
}

/// The stacks' provider requirement and configuration: the kv plugin,
/// storing its entries in `store`.
fn kv_provider(store: &Path) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    kv = {{
      source  = "iac-test/kv"
      version = "0.1.0"
    }}
  }}
}}

provider "kv" {{
  dir = "{store}"
}}
"#,
        store = store.display()
    )
}

fn seed(store: &Path) {
    std::fs::create_dir_all(store).unwrap();
    std::fs::write(store.join("seed0000.json"), r#"{"key": "seed", "value": "s33d"}"#).unwrap();
}

/// The entries in a store directory: key -> (id, value).
fn entries(store: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for e in std::fs::read_dir(store).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            out.entry(v["key"].as_str().unwrap().to_string()).or_default().push((id, v["value"].as_str().unwrap().to_string()));
        }
    }
    out
}

fn kv_stack(root_store: &Path, cache: &Path) -> Stack {
    let mut stack = Stack::files("kv", &[("main.tf", &config(root_store, "alpha", "one"))]);
    stack.env.insert("KV_PROVIDER_PYTHON".into(), python().display().to_string());
    stack.env.insert("IAC_PLUGIN_SCHEMA_CACHE".into(), cache.display().to_string());
    stack
}

fn actions(plan: &Value) -> BTreeMap<String, Vec<String>> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|c| c["mode"] == "managed")
        .map(|c| {
            (c["address"].as_str().unwrap().to_string(), c["change"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect())
        })
        .collect()
}

fn iac_plan_actions(stack: &Stack) -> BTreeMap<String, Vec<String>> {
    stack.run(&["plan", "-out=plan.bin"]).ok();
    let out = stack.run(&["show", "-json", "plan.bin"]);
    out.ok();
    actions(&serde_json::from_str(&out.stdout).expect("plan JSON"))
}

fn iac_attributes(stack: &Stack) -> BTreeMap<String, Value> {
    let state = stack.state_json();
    state["resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .map(|(a, r)| (a.clone(), r["attributes"].clone()))
        .collect()
}

/// Terraform 1.11.4 in its own directory, with no CLI configuration.
struct Terraform {
    dir: tempfile::TempDir,
}

impl Terraform {
    #[track_caller]
    fn run(&self, args: &[&str]) -> (i32, String) {
        self.run_env(args, &[])
    }
    #[track_caller]
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let out = Command::new("terraform")
            .envs(env.iter().copied())
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("KV_PROVIDER_PYTHON", python())
            .output()
            .expect("terraform is on PATH");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    }
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let (code, text) = self.run(args);
        assert_eq!(code, 0, "terraform {args:?}:\n{text}");
        text
    }
    fn plan_actions(&self) -> BTreeMap<String, Vec<String>> {
        self.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        let (code, json) = self.run(&["show", "-json", "tfplan"]);
        assert_eq!(code, 0);
        actions(&serde_json::from_str(json.trim()).unwrap())
    }
    fn attributes(&self) -> BTreeMap<String, Value> {
        let (_, json) = self.run(&["show", "-json"]);
        let v: Value = serde_json::from_str(json.trim()).unwrap();
        v["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["mode"] == "managed")
            .map(|r| (r["address"].as_str().unwrap().to_string(), r["values"].clone()))
            .collect()
    }
    fn write(&self, text: &str) {
        std::fs::write(self.dir.path().join("main.tf"), text).unwrap();
    }
    fn pulled(&self) -> Value {
        serde_json::from_str(self.ok(&["state", "pull"]).trim()).unwrap()
    }
}

/// Standard base64 with padding, as Terraform writes private data in state.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]) } else { '=' });
        }
    }
    out
}

/// Per managed instance of a state in Terraform's format (`state pull`):
/// its status (`ready` when none) and its private data (base64).
fn status_and_private(state: &Value) -> BTreeMap<String, (String, String)> {
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            let i = &r["instances"][0];
            let private = i["private"].as_str().unwrap_or_default().to_string();
            (format!("{}.{}", r["type"].as_str().unwrap(), r["name"].as_str().unwrap()), (i["status"].as_str().unwrap_or("ready").to_string(), private))
        })
        .collect()
}

fn iac_status_and_private(stack: &Stack) -> BTreeMap<String, (String, String)> {
    let out = stack.run(&["state", "pull"]);
    out.ok();
    status_and_private(&serde_json::from_str(&out.stdout).expect("state pull"))
}

/// Attributes with the random ids (and what embeds them) set aside.
fn comparable(attrs: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    attrs
        .iter()
        .map(|(a, v)| {
            let mut v = v.clone();
            v["id"] = Value::Null;
            if a == "kv_entry.c" {
                v["value"] = Value::Null;
                v["digest"] = Value::Null;
            }
            (a.clone(), v)
        })
        .collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The first line the mirror's plugin prints when started as a plugin host
/// starts it (offering protocols 5 and 6, as Terraform does).
fn handshake_line(mirror: &Path) -> String {
    let mut child = Command::new(mirror.join("registry.terraform.io/iac-test/kv/0.1.0/linux_amd64/terraform-provider-kv"))
        .env("KV_PROVIDER_PYTHON", python())
        .env("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    line
}

/// The mirror of `mirror(root, None)` whose plugin serves protocol 5: its
/// launcher sets the kv provider's KV_PROTOCOL=5.
fn protocol_5_mirror(root: &Path) -> PathBuf {
    let mirror = mirror(root, None);
    let launcher = mirror.join("registry.terraform.io/iac-test/kv/0.1.0/linux_amd64/terraform-provider-kv");
    let script = std::fs::read_to_string(&launcher).unwrap().replacen("\n", "\nexport KV_PROTOCOL=5\n", 1);
    std::fs::write(&launcher, script).unwrap();
    mirror
}

/// The plugin's own handshake: go-plugin core version 1, plugin protocol 6
/// (5 when asked), over TCP with the server certificate (unpadded base64,
/// as go-plugin wants).
#[test]
fn the_tfprovider_plugin_speaks_protocol_6() {
    let tmp = tempfile::tempdir().unwrap();
    for (mirror, protocol) in [(mirror(&tmp.path().join("6"), None), "6"), (protocol_5_mirror(&tmp.path().join("5")), "5")] {
        let line = handshake_line(&mirror);
        let parts: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(&parts[..3], &["1", protocol, "tcp"], "{line}");
        assert!(parts[5].len() > 500 && !parts[5].ends_with('='), "{line}");
    }
}

#[test]
fn iac_and_terraform_run_the_python_provider_side_by_side() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let (ours, theirs) = (tmp.path().join("store-iac"), tmp.path().join("store-tf"));
    seed(&ours);
    seed(&theirs);
    let stack = kv_stack(&ours, &tmp.path().join("schemas"));
    let tf = Terraform { dir: tempfile::tempdir().unwrap() };
    tf.write(&config(&theirs, "alpha", "one"));
    let plugin_dir = format!("-plugin-dir={}", mirror.display());

    let init = stack.run(&["init", &plugin_dir]);
    init.ok();
    assert!(init.stdout.contains(&format!("provider kv: plugin {SOURCE} v0.1.0")), "{}", init.stdout);
    tf.ok(&["init", "-input=false", "-no-color", &plugin_dir]);
    stack.run(&["validate"]).ok();
    tf.ok(&["validate", "-no-color"]);

    // Create.
    let create = BTreeMap::from([
        ("kv_entry.a".to_string(), strs(&["create"])),
        ("kv_entry.b".to_string(), strs(&["create"])),
        ("kv_entry.c".to_string(), strs(&["create"])),
    ]);
    assert_eq!(iac_plan_actions(&stack), create);
    assert_eq!(tf.plan_actions(), create);
    let apply = stack.run(&["apply", "plan.bin"]);
    apply.ok();
    assert!(apply.stdout.contains("Resources: 3 added, 0 changed, 0 destroyed") && apply.stdout.contains("seed = \"s33d\""), "{}", apply.stdout);
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    let created = iac_attributes(&stack);
    assert_eq!(created["kv_entry.b"]["value"], "copy of s33d");
    assert_eq!(created["kv_entry.c"]["value"], format!("after {}", created["kv_entry.a"]["id"].as_str().unwrap()));
    assert_eq!(comparable(&created), comparable(&tf.attributes()), "state after create");

    // Nothing to do.
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(tf.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]).0, 0);

    // The value changes in place: same id, new digest.
    stack.write("main.tf", &config(&ours, "alpha", "two"));
    tf.write(&config(&theirs, "alpha", "two"));
    let update = BTreeMap::from([
        ("kv_entry.a".to_string(), strs(&["update"])),
        ("kv_entry.b".to_string(), strs(&["no-op"])),
        ("kv_entry.c".to_string(), strs(&["no-op"])),
    ]);
    assert_eq!(iac_plan_actions(&stack), update);
    assert_eq!(tf.plan_actions(), update);
    stack.run(&["apply", "plan.bin"]).ok();
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    let updated = iac_attributes(&stack);
    assert_eq!(updated["kv_entry.a"]["id"], created["kv_entry.a"]["id"], "updated in place");
    assert_ne!(updated["kv_entry.a"]["digest"], created["kv_entry.a"]["digest"]);
    assert_eq!(comparable(&updated), comparable(&tf.attributes()), "state after update");

    // The key forces a replacement, and c follows the new id.
    stack.write("main.tf", &config(&ours, "alpha2", "two"));
    tf.write(&config(&theirs, "alpha2", "two"));
    let replace = BTreeMap::from([
        ("kv_entry.a".to_string(), strs(&["delete", "create"])),
        ("kv_entry.b".to_string(), strs(&["no-op"])),
        ("kv_entry.c".to_string(), strs(&["update"])),
    ]);
    assert_eq!(iac_plan_actions(&stack), replace);
    assert_eq!(tf.plan_actions(), replace);
    let apply = stack.run(&["apply", "plan.bin"]);
    apply.ok();
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    let replaced = iac_attributes(&stack);
    assert_ne!(replaced["kv_entry.a"]["id"], created["kv_entry.a"]["id"], "replaced");
    assert_eq!(comparable(&replaced), comparable(&tf.attributes()), "state after replace");
    assert_eq!(entries(&ours).keys().collect::<Vec<_>>(), ["alpha2", "beta", "gamma", "seed"], "the old entry is gone");
    assert!(entries(&ours).values().all(|v| v.len() == 1));

    // Import: forget a, adopt it again by its id.
    let id = replaced["kv_entry.a"]["id"].as_str().unwrap().to_string();
    stack.run(&["state", "rm", "kv_entry.a"]).ok();
    stack.run(&["import", "kv_entry.a", &id]).ok();
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(iac_attributes(&stack), replaced, "imported as it was");
    let tf_id = tf.attributes()["kv_entry.a"]["id"].as_str().unwrap().to_string();
    tf.ok(&["state", "rm", "-no-color", "kv_entry.a"]);
    tf.ok(&["import", "-input=false", "-no-color", "kv_entry.a", &tf_id]);
    assert_eq!(tf.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]).0, 0);

    let destroy = stack.run(&["destroy", "-auto-approve"]);
    destroy.ok();
    assert!(destroy.stdout.contains("3 destroyed"), "{}", destroy.stdout);
    assert!(stack.state_list().is_empty());
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(entries(&ours).keys().collect::<Vec<_>>(), ["seed"]);
    assert_eq!(entries(&theirs).keys().collect::<Vec<_>>(), ["seed"]);
    eprintln!("side by side: {:.1}s", started.elapsed().as_secs_f64());
}

/// The private data a plugin returns from apply, read and import is stored
/// and handed back as Terraform does (the kv plugin answers `applied`,
/// `imported` and `read(<what it was given>)`); a create that fails after
/// the object was made (the plugin returns it with an error) leaves it in
/// state tainted, and the next plan replaces it. Terraform 1.11.4 on the
/// same plugin ends in the same statuses and private data at every step.
#[test]
fn private_data_and_a_failed_creates_object_are_kept_as_terraform_keeps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let (ours, theirs) = (tmp.path().join("store-iac"), tmp.path().join("store-tf"));
    seed(&ours);
    seed(&theirs);
    let stack = kv_stack(&ours, &tmp.path().join("schemas"));
    let tf = Terraform { dir: tempfile::tempdir().unwrap() };
    tf.write(&config(&theirs, "alpha", "one"));
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    stack.run(&["init", &plugin_dir]).ok();
    tf.ok(&["init", "-input=false", "-no-color", &plugin_dir]);

    // gamma (kv_entry.c) is written, then its create fails.
    let fail = [("KV_FAIL_AFTER_CREATE", "gamma")];
    let out = stack.run_env(&["apply", "-auto-approve"], &fail);
    out.expect_code(1);
    assert!(out.all().contains("was written but failed its check"), "{}", out.all());
    let (code, text) = tf.run_env(&["apply", "-auto-approve", "-input=false", "-no-color"], &fail);
    assert_eq!(code, 1, "{text}");
    let s = |status: &str, private: &str| (status.to_string(), base64(private.as_bytes()));
    let after_failure = BTreeMap::from([
        ("kv_entry.a".to_string(), s("ready", "applied")),
        ("kv_entry.b".to_string(), s("ready", "applied")),
        ("kv_entry.c".to_string(), s("tainted", "applied")),
    ]);
    assert_eq!(iac_status_and_private(&stack), after_failure);
    assert_eq!(status_and_private(&tf.pulled()), after_failure, "Terraform");
    assert_eq!(entries(&ours)["gamma"].len(), 1);

    // The tainted object is replaced; the others are refreshed (their
    // private data is what the read returned for the apply's).
    let replace = BTreeMap::from([
        ("kv_entry.a".to_string(), strs(&["no-op"])),
        ("kv_entry.b".to_string(), strs(&["no-op"])),
        ("kv_entry.c".to_string(), strs(&["delete", "create"])),
    ]);
    assert_eq!(iac_plan_actions(&stack), replace);
    assert_eq!(tf.plan_actions(), replace, "Terraform");
    stack.run(&["apply", "plan.bin"]).ok();
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    let applied = BTreeMap::from([
        ("kv_entry.a".to_string(), s("ready", "read(applied)")),
        ("kv_entry.b".to_string(), s("ready", "read(applied)")),
        ("kv_entry.c".to_string(), s("ready", "applied")),
    ]);
    assert_eq!(iac_status_and_private(&stack), applied);
    assert_eq!(status_and_private(&tf.pulled()), applied, "Terraform");
    assert_eq!(entries(&ours)["gamma"].len(), 1, "the failed object was replaced, not left behind");
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // Import keeps what the read after the import returned.
    let id = iac_attributes(&stack)["kv_entry.a"]["id"].as_str().unwrap().to_string();
    stack.run(&["state", "rm", "kv_entry.a"]).ok();
    stack.run(&["import", "kv_entry.a", &id]).ok();
    let tf_id = tf.attributes()["kv_entry.a"]["id"].as_str().unwrap().to_string();
    tf.ok(&["state", "rm", "-no-color", "kv_entry.a"]);
    tf.ok(&["import", "-input=false", "-no-color", "kv_entry.a", &tf_id]);
    let imported = iac_status_and_private(&stack);
    assert_eq!(imported["kv_entry.a"], s("ready", "read(imported)"));
    assert_eq!(imported["kv_entry.a"], status_and_private(&tf.pulled())["kv_entry.a"], "Terraform");
}

/// A provider's diagnostics about one attribute point at where that
/// attribute is written, as Terraform's do: the kv plugin refuses a value
/// starting with "bad:" when validating and a key containing "/" when
/// planning, each naming the attribute.
#[test]
fn provider_diagnostics_point_at_the_attribute() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let store = tmp.path().join("store");
    seed(&store);
    let stack = kv_stack(&store, &tmp.path().join("schemas"));
    let tf = Terraform { dir: tempfile::tempdir().unwrap() };
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    stack.run(&["init", &plugin_dir]).ok();
    tf.write(&config(&tmp.path().join("store-tf"), "alpha", "one"));
    tf.ok(&["init", "-input=false", "-no-color", &plugin_dir]);
    for (key, value, message, attr) in [("alpha", "bad:x", "kv values may not start with bad:", "value"), ("a/b", "one", "kv keys may not contain /", "key")] {
        let text = config(&store, key, value);
        // The line of kv_entry.a's attribute (the stack's only literal key/value).
        let needle = if attr == "value" { format!("value = \"{value}\"") } else { format!("key   = \"{key}\"") };
        let line = text.lines().position(|l| l.trim() == needle).expect("the attribute's line") + 1;
        stack.write("main.tf", &text);
        let plan = stack.run(&["plan"]);
        plan.expect_code(1);
        assert!(plan.stderr.contains(message), "{}", plan.stderr);
        assert!(plan.stderr.contains(&format!("main.tf:{line}:")), "points at line {line} ({attr}):\n{}", plan.stderr);
        assert!(!plan.stderr.contains(&format!("main.tf:{}:", line - if attr == "value" { 2 } else { 1 })), "not at the block:\n{}", plan.stderr);
        tf.write(&text);
        let (code, out) = tf.run(&["plan", "-input=false", "-no-color"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(message) && out.contains(&format!("main.tf line {line}")), "Terraform points at line {line} too:\n{out}");
    }
}

/// A stack applied with the good plugin, then run with `launcher` as the
/// installed plugin (through dev_overrides): exit 1, a diagnostic naming
/// the provider and containing `expect`, state as it was.
fn bad_plugin_keeps_state(launcher: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let good = mirror(&tmp.path().join("good"), None);
    let store = tmp.path().join("store");
    seed(&store);
    let stack = kv_stack(&store, &tmp.path().join("schemas"));
    stack.run(&["init", &format!("-plugin-dir={}", good.display())]).ok();
    stack.run(&["apply", "-auto-approve"]).ok();
    let state_file = stack.state_dir().join("state.json");
    let before = std::fs::read(&state_file).expect("state file");

    let bad = mirror(&tmp.path().join("bad"), Some(launcher)).join("registry.terraform.io/iac-test/kv/0.1.0/linux_amd64");
    let cli = tmp.path().join("cli.tfrc");
    std::fs::write(&cli, format!("provider_installation {{\n  dev_overrides {{\n    \"iac-test/kv\" = \"{}\"\n  }}\n  direct {{}}\n}}\n", bad.display()))
        .unwrap();
    let env = [("TF_CLI_CONFIG_FILE", cli.to_str().unwrap())];
    stack.write("main.tf", &config(&store, "alpha", "changed"));
    let start = Instant::now();
    for args in [&["init"][..], &["plan"][..], &["apply", "-auto-approve"][..]] {
        let out = stack.run_env(args, &env);
        out.expect_code(1);
        let all = out.all();
        assert!(all.contains("provider kv"), "names the provider:\n{all}");
        for e in expect {
            assert!(all.contains(e), "{e:?} in:\n{all}");
        }
    }
    assert!(start.elapsed() < Duration::from_secs(30), "bad plugin reported in {:?}", start.elapsed());
    assert!(std::fs::read(&state_file).expect("state file") == before, "state intact");
    // Back on the real plugin, the stack plans the one edit.
    stack.run(&["init", &format!("-plugin-dir={}", good.display())]).ok();
    let plan = stack.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn a_binary_that_is_not_a_plugin_is_reported() {
    bad_plugin_keeps_state("#!/bin/sh\necho 'hello, I print garbage'\necho oops >&2\nexit 3\n", &["not a Terraform provider plugin", "hello, I print garbage"]);
}

#[test]
fn a_handshake_with_an_unsupported_protocol_version_is_reported() {
    bad_plugin_keeps_state("#!/bin/sh\necho '1|99|unix|/tmp/x|grpc|'\nsleep 5\n", &["unsupported plugin handshake", "99"]);
}

/// The plugin dies (os._exit) while creating c: a and b, applied before,
/// are in state; the run fails naming the provider; a re-run converges.
#[test]
fn a_plugin_crashing_mid_apply_leaves_state_a_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let store = tmp.path().join("store");
    seed(&store);
    let stack = kv_stack(&store, &tmp.path().join("schemas"));
    stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]).ok();
    let crash = stack.run_env(&["apply", "-auto-approve"], &[("KV_CRASH_ON_CREATE", "gamma")]);
    crash.expect_code(1);
    let all = crash.all();
    assert!(all.contains("kv_entry.c") && all.contains("provider kv"), "names the resource and the provider:\n{all}");
    let listed = stack.state_list();
    assert!(
        listed.contains(&"kv_entry.a".to_string()) && listed.contains(&"kv_entry.b".to_string()) && !listed.contains(&"kv_entry.c".to_string()),
        "{listed:?}\n{all}"
    );

    let rerun = stack.run(&["apply", "-auto-approve"]);
    rerun.ok();
    assert!(rerun.stdout.contains("1 added, 0 changed, 0 destroyed"), "{}", rerun.stdout);
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert!(entries(&store).values().all(|v| v.len() == 1), "no duplicates: {:?}", entries(&store));
}

/// `required_providers` names a source no mirror holds: init fails naming
/// it and the constraint; plan without init says to run `iac init`.
#[test]
fn a_missing_plugin_for_a_required_provider_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let stack = Stack::files(
        "missing",
        &[(
            "main.tf",
            r#"
terraform {
  required_providers {
    nothere = {
      source  = "iac-test/nothere"
      version = "~> 1.2"
    }
  }
}

resource "nothere_thing" "x" {}
"#,
        )],
    );
    let plan = stack.run(&["plan"]);
    plan.expect_code(1);
    assert!(
        plan.stderr.contains("provider \"nothere\" (iac-test/nothere \"~> 1.2\") is required by the configuration but not installed: run `iac init`"),
        "{}",
        plan.stderr
    );
    let init = stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]);
    init.expect_code(1);
    assert!(init.stderr.contains("provider \"nothere\"") && init.stderr.contains("iac-test/nothere") && init.stderr.contains("~> 1.2"), "{}", init.stderr);
    // A diagnostic on the provider's required_providers entry, shown with its source.
    assert!(init.stderr.contains("required_providers {") && init.stderr.contains("source  = \"iac-test/nothere\""), "points at the entry: {}", init.stderr);
    assert!(!stack.path(".terraform.lock.hcl").exists(), "no lock file for a failed init");
}

/// kill -9 of `iac apply` while the plugin is inside the create of b (the
/// entry written, the answer not yet given): state parses; the re-run warns
/// that b's create was interrupted and how to adopt it; the provider refuses
/// to create b twice; importing it as the warning says converges, with one
/// entry per key.
#[test]
fn kill_9_during_a_plugin_create_is_reported_with_how_to_adopt() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let store = tmp.path().join("store");
    seed(&store);
    let mut stack = kv_stack(&store, &tmp.path().join("schemas"));
    stack.run(&["init", &format!("-plugin-dir={}", mirror.display())]).ok();
    stack.env.insert("KV_SLEEP_ON_CREATE".into(), "beta".into());
    let bg = stack.spawn(&["apply", "-auto-approve"], "apply");
    bg.wait_stdout(Duration::from_secs(60), "a, c created and b in flight", |s| {
        s.contains("kv_entry.a: Creation complete") && s.contains("kv_entry.c: Creation complete") && s.contains("kv_entry.b: Creating")
    });
    let start = Instant::now();
    while !entries(&store).contains_key("beta") {
        assert!(start.elapsed() < Duration::from_secs(30), "the plugin never wrote beta");
        std::thread::sleep(Duration::from_millis(20));
    }
    bg.signal(libc::SIGKILL);
    let killed = bg.wait();
    assert_eq!(killed.code, 128 + libc::SIGKILL);
    stack.env.remove("KV_SLEEP_ON_CREATE");

    let listed = stack.state_list();
    assert_eq!(
        listed,
        ["kv_entry.a", "kv_entry.c", "data.kv_entry.seed"]
            .iter()
            .filter(|a| !a.starts_with("data.") || listed.contains(&a.to_string()))
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "state parses and holds what was done"
    );
    let b_id = entries(&store)["beta"][0].0.clone();

    let rerun = stack.run(&["apply", "-auto-approve"]);
    let all = rerun.all();
    assert!(
        all.contains("kv_entry.b: an earlier run was interrupted while creating it") && all.contains("iac import kv_entry.b ID"),
        "the interrupted create is reported:\n{all}"
    );
    rerun.expect_code(1);
    assert!(all.contains("already exists") && all.contains(&b_id), "{all}");
    assert_eq!(entries(&store)["beta"].len(), 1, "not created twice");

    stack.run(&["import", "kv_entry.b", &b_id]).ok();
    let done = stack.run(&["apply", "-auto-approve"]);
    done.ok();
    assert!(!done.all().contains("interrupted"), "{}", done.all());
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    let e = entries(&store);
    assert_eq!(e.keys().collect::<Vec<_>>(), ["alpha", "beta", "gamma", "seed"]);
    assert!(e.values().all(|v| v.len() == 1), "no duplicates: {e:?}");
}

/// The stack of the cross-type move test, at one of three stages: `before`
/// (three `kv_entry` objects), `moved` (a and b are `kv_record`s through
/// `moved` blocks, b's text edited at the same time), `refused` (moved, and
/// the pinned entry p moved too, which the provider refuses).
fn move_config(store: &Path, stage: &str) -> String {
    let mut text = kv_provider(store);
    let block = |type_: &str, name: &str, attrs: [(&str, &str); 2]| {
        format!("\nresource \"{type_}\" \"{name}\" {{\n  {} = \"{}\"\n  {} = \"{}\"\n}}\n", attrs[0].0, attrs[0].1, attrs[1].0, attrs[1].1)
    };
    let moved = |name: &str| format!("\nmoved {{\n  from = kv_entry.{name}\n  to   = kv_record.{name}\n}}\n");
    if stage == "before" {
        text += &block("kv_entry", "a", [("key", "alpha"), ("value", "one")]);
        text += &block("kv_entry", "b", [("key", "beta"), ("value", "two")]);
    } else {
        text += &block("kv_record", "a", [("name", "alpha"), ("text", "one")]);
        text += &block("kv_record", "b", [("name", "beta"), ("text", "two, edited")]);
        text += &moved("a");
        text += &moved("b");
    }
    if stage == "refused" {
        text += &block("kv_record", "p", [("name", "pinned-p"), ("text", "three")]);
        text += &moved("p");
    } else {
        text += &block("kv_entry", "p", [("key", "pinned-p"), ("value", "three")]);
    }
    text
}

/// A plan's managed changes: address -> (previous address, actions, the
/// object before).
fn moves(plan: &Value) -> BTreeMap<String, (Value, Vec<String>, Value)> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|c| c["mode"] == "managed")
        .map(|c| {
            let actions = c["change"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
            (c["address"].as_str().unwrap().to_string(), (c["previous_address"].clone(), actions, c["change"]["before"].clone()))
        })
        .collect()
}

/// A `moved` block across resource types, `kv_entry` to `kv_record`,
/// through the plugin's MoveResourceState (protocol 6): the target type's
/// provider is given the source's provider address, type, schema version,
/// raw state JSON and private data, and what it returns is the object
/// planned from: its attribute names, not the source's, and its private
/// data. iac and Terraform 1.11.4 plan the same moves (a no-op and an
/// update, each with its previous address, nothing created or destroyed),
/// apply them to the same state (same objects, new type, same private
/// data) and a no-op plan after. A move the provider refuses fails both
/// plans with the provider's diagnostic and leaves state as it was, as
/// does a provider that does not announce the capability.
#[test]
fn a_moved_block_across_resource_types_goes_through_the_plugins_move_resource_state() {
    let tmp = tempfile::tempdir().unwrap();
    moved_across_types_as_terraform(tmp.path(), mirror(tmp.path(), None), 6);
}

/// The same through plugin protocol 5 (the kv plugin serving tfplugin5).
#[test]
fn a_moved_block_across_resource_types_goes_through_protocol_5s_move_resource_state() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = protocol_5_mirror(tmp.path());
    assert!(handshake_line(&mirror).starts_with("1|5|"));
    moved_across_types_as_terraform(tmp.path(), mirror, 5);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).flat_map(|p| if p.is_dir() { files_under(&p) } else { vec![p] }).collect()
}

fn moved_across_types_as_terraform(tmp: &Path, mirror: PathBuf, protocol: u64) {
    let (ours, theirs) = (tmp.join("store-iac"), tmp.join("store-tf"));
    let mut stack = Stack::files("kv-move", &[("main.tf", &move_config(&ours, "before"))]);
    stack.env.insert("KV_PROVIDER_PYTHON".into(), python().display().to_string());
    stack.env.insert("IAC_PLUGIN_SCHEMA_CACHE".into(), tmp.join("schemas").display().to_string());
    let tf = Terraform { dir: tempfile::tempdir().unwrap() };
    tf.write(&move_config(&theirs, "before"));
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    stack.run(&["init", &plugin_dir]).ok();
    tf.ok(&["init", "-input=false", "-no-color", &plugin_dir]);
    stack.run(&["apply", "-auto-approve"]).ok();
    tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let (ours_before, theirs_before) = (iac_attributes(&stack), tf.attributes());
    let spoken: Vec<Value> = files_under(&tmp.join("schemas"))
        .iter()
        .filter_map(|f| serde_json::from_slice::<Value>(&std::fs::read(f).unwrap()).ok())
        .filter_map(|cached| cached.get("schema").map(|s| s["protocol"].clone()))
        .collect();
    assert_eq!(spoken, [Value::from(protocol)], "iac ran the plugin over protocol {protocol} (its schema cache says)");
    let (our_entries, their_entries) = (entries(&ours), entries(&theirs));

    // The moves: a unchanged, b edited in place; the provider's object is
    // the prior one (a kv_record's attributes), nothing is replaced.
    stack.write("main.tf", &move_config(&ours, "moved"));
    tf.write(&move_config(&theirs, "moved"));
    stack.run(&["plan", "-out=plan.bin"]).ok();
    let show = stack.run(&["show", "-json", "plan.bin"]);
    show.ok();
    let ours_planned = moves(&serde_json::from_str(&show.stdout).expect("plan JSON"));
    tf.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    let (code, json) = tf.run(&["show", "-json", "tfplan"]);
    assert_eq!(code, 0, "{json}");
    let theirs_planned = moves(&serde_json::from_str(json.trim()).unwrap());
    for (planned, before) in [(&ours_planned, &ours_before), (&theirs_planned, &theirs_before)] {
        let summary: BTreeMap<String, (Value, Vec<String>)> =
            planned.iter().map(|(a, (prev, actions, _))| (a.clone(), (prev.clone(), actions.clone()))).collect();
        let expected = BTreeMap::from([
            ("kv_entry.p".to_string(), (Value::Null, strs(&["no-op"]))),
            ("kv_record.a".to_string(), (Value::from("kv_entry.a"), strs(&["no-op"]))),
            ("kv_record.b".to_string(), (Value::from("kv_entry.b"), strs(&["update"]))),
        ]);
        assert_eq!(summary, expected);
        let moved_b = &planned["kv_record.b"].2;
        let source_b = &before["kv_entry.b"];
        assert_eq!(
            moved_b,
            &serde_json::json!({"name": "beta", "text": "two", "id": source_b["id"], "digest": source_b["digest"]}),
            "the object planned from is the provider's kv_record"
        );
    }
    stack.run(&["apply", "plan.bin"]).ok();
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    let (ours_after, theirs_after) = (iac_attributes(&stack), tf.attributes());
    for (after, before) in [(&ours_after, &ours_before), (&theirs_after, &theirs_before)] {
        assert_eq!(after.keys().collect::<Vec<_>>(), ["kv_entry.p", "kv_record.a", "kv_record.b"]);
        assert_eq!(after["kv_record.a"]["id"], before["kv_entry.a"]["id"], "the same object");
        assert_eq!(after["kv_record.b"]["id"], before["kv_entry.b"]["id"], "the same object");
        assert_eq!(after["kv_record.b"]["text"], "two, edited");
    }
    assert_eq!(comparable(&ours_after), comparable(&theirs_after), "state after the moves");
    let private = iac_status_and_private(&stack);
    assert_eq!(private["kv_record.a"], ("ready".to_string(), base64(b"read(moved(applied))")), "the mover's private data, then the refresh's");
    assert_eq!(private, status_and_private(&tf.pulled()), "Terraform keeps the same private data");
    for (store, was) in [(&ours, &our_entries), (&theirs, &their_entries)] {
        let now = entries(store);
        assert_eq!(now.keys().collect::<Vec<_>>(), was.keys().collect::<Vec<_>>(), "nothing created or deleted");
        assert_eq!(now["beta"][0].0, was["beta"][0].0);
        assert_eq!(now["beta"][0].1, "two, edited");
    }
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(tf.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]).0, 0);

    // The provider refuses to move the pinned entry: both plans fail with
    // its diagnostic, and state is as it was.
    let state_file = stack.state_dir().join("state.json");
    let (our_state, their_state) = (std::fs::read(&state_file).expect("state file"), tf.pulled());
    stack.write("main.tf", &move_config(&ours, "refused"));
    tf.write(&move_config(&theirs, "refused"));
    let plan = stack.run(&["plan"]);
    plan.expect_code(1);
    let (code, text) = tf.run(&["plan", "-input=false", "-no-color"]);
    assert_eq!(code, 1, "{text}");
    // Both wrap long lines: compared with the words joined by single spaces.
    let flat = |s: &str| s.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
    for expected in
        ["kv entry 'pinned-p' is pinned to kv_entry", "Entries whose key starts with pinned- cannot become kv_record objects. Remove the moved block."]
    {
        assert!(flat(&plan.stderr).contains(expected), "iac: {expected:?} in\n{}", plan.stderr);
        assert!(flat(&text).contains(expected), "Terraform: {expected:?} in\n{text}");
    }
    let apply = stack.run(&["apply", "-auto-approve"]);
    apply.expect_code(1);
    assert!(apply.stderr.contains("is pinned to kv_entry"), "{}", apply.stderr);
    assert_eq!(std::fs::read(&state_file).unwrap(), our_state, "iac's state untouched");
    assert_eq!(tf.pulled(), their_state, "Terraform's state untouched");
    assert_eq!(iac_attributes(&stack), ours_after);

    // A provider that does not announce the move_resource_state capability
    // is not asked to move (its schema is read again: a cache of its own).
    let no_move_cache = tmp.join("schemas-no-move");
    let plan = stack.run_env(&["plan"], &[("KV_NO_MOVE_CAPABILITY", "1"), ("IAC_PLUGIN_SCHEMA_CACHE", no_move_cache.to_str().unwrap())]);
    plan.expect_code(1);
    let (code, text) = tf.run_env(&["plan", "-input=false", "-no-color"], &[("KV_NO_MOVE_CAPABILITY", "1")]);
    assert_eq!(code, 1, "{text}");
    for expected in [
        "Unsupported `moved` across resource types",
        "\"registry.terraform.io/iac-test/kv\" does not support moved operations across resource types and providers",
    ] {
        assert!(flat(&plan.stderr).contains(expected), "iac: {expected:?} in\n{}", plan.stderr);
        assert!(flat(&text).contains(expected), "Terraform: {expected:?} in\n{text}");
    }
    assert!(!flat(&plan.stderr).contains("is pinned"), "the mover was not called: {}", plan.stderr);
    assert_eq!(std::fs::read(&state_file).unwrap(), our_state, "iac's state untouched");

    stack.write("main.tf", &move_config(&ours, "moved"));
    tf.write(&move_config(&theirs, "moved"));
    stack.run(&["destroy", "-auto-approve"]).ok();
    tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(entries(&ours).is_empty() && entries(&theirs).is_empty());
}

/// A `moved` block from one provider's type to another's: the target
/// provider (the kv plugin installed again as `iac-test/kvtwo`) is told the
/// source provider's full address, `registry.terraform.io/iac-test/kv` from
/// `required_providers`, which its mover checks. iac and Terraform 1.11.4
/// plan the same move and keep the same state, the object now the other
/// provider's.
#[test]
fn a_move_across_providers_names_the_source_providers_address() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = mirror(tmp.path(), None);
    let kv = mirror.join("registry.terraform.io/iac-test/kv/0.1.0/linux_amd64");
    let kvtwo = mirror.join("registry.terraform.io/iac-test/kvtwo/0.1.0/linux_amd64");
    std::fs::create_dir_all(&kvtwo).unwrap();
    std::fs::copy(kv.join("provider.py"), kvtwo.join("provider.py")).unwrap();
    std::fs::copy(kv.join("terraform-provider-kv"), kvtwo.join("terraform-provider-kvtwo")).unwrap();
    let config = |store: &Path, moved: bool| {
        let resource = if moved {
            "resource \"kv_record\" \"a\" {\n  provider = kvtwo\n  name     = \"alpha\"\n  text     = \"one\"\n}\n\nmoved {\n  from = kv_entry.a\n  to   = kv_record.a\n}\n"
        } else {
            "resource \"kv_entry\" \"a\" {\n  key   = \"alpha\"\n  value = \"one\"\n}\n"
        };
        format!(
            "terraform {{\n  required_providers {{\n    kv = {{\n      source  = \"iac-test/kv\"\n      version = \"0.1.0\"\n    }}\n    kvtwo = {{\n      source  = \"iac-test/kvtwo\"\n      version = \"0.1.0\"\n    }}\n  }}\n}}\n\nprovider \"kv\" {{\n  dir = \"{s}\"\n}}\n\nprovider \"kvtwo\" {{\n  dir = \"{s}\"\n}}\n\n{resource}",
            s = store.display()
        )
    };
    let (ours, theirs) = (tmp.path().join("store-iac"), tmp.path().join("store-tf"));
    let stack = kv_stack(&ours, &tmp.path().join("schemas"));
    stack.write("main.tf", &config(&ours, false));
    let tf = Terraform { dir: tempfile::tempdir().unwrap() };
    tf.write(&config(&theirs, false));
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    stack.run(&["init", &plugin_dir]).ok();
    tf.ok(&["init", "-input=false", "-no-color", &plugin_dir]);
    stack.run(&["apply", "-auto-approve"]).ok();
    tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let id = iac_attributes(&stack)["kv_entry.a"]["id"].clone();

    stack.write("main.tf", &config(&ours, true));
    tf.write(&config(&theirs, true));
    stack.run(&["plan", "-out=plan.bin"]).ok();
    let show = stack.run(&["show", "-json", "plan.bin"]);
    show.ok();
    tf.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    let (_, json) = tf.run(&["show", "-json", "tfplan"]);
    let summary = |plan: &Value| moves(plan).into_iter().map(|(a, (prev, actions, _))| (a, prev, actions)).collect::<Vec<_>>();
    let expected = vec![("kv_record.a".to_string(), Value::from("kv_entry.a"), strs(&["no-op"]))];
    assert_eq!(summary(&serde_json::from_str(&show.stdout).unwrap()), expected);
    assert_eq!(summary(&serde_json::from_str(json.trim()).unwrap()), expected, "Terraform");
    stack.run(&["apply", "plan.bin"]).ok();
    tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    assert_eq!(iac_attributes(&stack)["kv_record.a"]["id"], id, "the same object");
    assert_eq!(comparable(&iac_attributes(&stack)), comparable(&tf.attributes()));
    let provider_of = |state: &Value| state["resources"][0]["provider"].clone();
    let pulled = stack.run(&["state", "pull"]);
    pulled.ok();
    let ours_pulled: Value = serde_json::from_str(&pulled.stdout).unwrap();
    assert_eq!(provider_of(&ours_pulled), "provider[\"registry.terraform.io/iac-test/kvtwo\"]");
    assert_eq!(provider_of(&ours_pulled), provider_of(&tf.pulled()));
    assert_eq!(status_and_private(&ours_pulled), status_and_private(&tf.pulled()));
    stack.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
