//! The binary on remote state backends: two `iac apply` runs at once on one
//! stack, on S3 (moto) and on PostgreSQL; migrating local state to S3 with
//! `init -migrate-state`; encryption of state and saved plans, history and
//! rekeying through the CLI; `data "terraform_remote_state"` reading iac's
//! and Terraform's state in S3.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use iac_testkit::services::{Moto, Postgres};
use support::{Out, Stack};

const SLOW_STACK: &str = r#"resource "time_sleep" "wait" {
  create_duration = "3s"
}

resource "terraform_data" "item" {
  count      = 5
  input      = "item-${count.index}"
  depends_on = [time_sleep.wait]
}
"#;

const ADDRESSES: [&str; 6] =
    ["terraform_data.item[0]", "terraform_data.item[1]", "terraform_data.item[2]", "terraform_data.item[3]", "terraform_data.item[4]", "time_sleep.wait"];

/// One HTTP request to moto, with a dummy signature (moto does not check
/// signatures, but treats unsigned reads as anonymous).
fn moto_http(moto: &Moto, method: &str, path: &str, body: &str) -> (u16, Vec<u8>) {
    let addr = moto.endpoint().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).expect("connect to moto");
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .expect("request");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("response");
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
    let status = String::from_utf8_lossy(&resp[..split]).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, resp[split + 4..].to_vec())
}

fn versioned_bucket(moto: &Moto, bucket: &str) {
    assert_eq!(moto_http(moto, "PUT", &format!("/{bucket}"), "").0, 200, "create bucket");
    let cfg = r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#;
    assert_eq!(moto_http(moto, "PUT", &format!("/{bucket}?versioning"), cfg).0, 200, "enable versioning");
}

fn s3_backend_block(bucket: &str) -> String {
    format!("terraform {{\n  backend \"s3\" {{\n    bucket         = \"{bucket}\"\n    key            = \"stacks/web.tfstate\"\n    region         = \"us-east-1\"\n    use_path_style = true\n  }}\n}}\n\n")
}

fn s3_stack(moto: &Moto, bucket: &str) -> Stack {
    versioned_bucket(moto, bucket);
    let mut s = Stack::files("web", &[("main.tf", &format!("{}{SLOW_STACK}", s3_backend_block(bucket)))]);
    for (k, v) in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")] {
        s.env.insert(k.into(), v.into());
    }
    // The endpoint is given once, at init, and remembered as Terraform does.
    s.run(&["init", &format!("-backend-config=endpoint={}", moto.endpoint())]).ok();
    s
}

fn pg_stack(pg: &Postgres) -> Stack {
    let conn = pg.create_database("iac_e2e");
    let block = "terraform {\n  backend \"pg\" {\n    schema_name = \"web\"\n  }\n}\n\n";
    let mut s = Stack::files("web", &[("main.tf", &format!("{block}{SLOW_STACK}"))]);
    s.env.insert("PG_CONN_STR".into(), conn);
    s.run(&["init"]).ok();
    s
}

/// An error report with miette's wrapping and frame undone.
fn flat(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '│' || c == '×').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn sorted_addresses(s: &Stack) -> Vec<String> {
    let mut v = s.state_list();
    v.sort();
    v
}

fn creations(out: &Out) -> usize {
    out.stdout.lines().filter(|l| l.contains("terraform_data.item[") && l.contains("Creation complete")).count()
}

/// Two applies started together, both willing to wait: one applies; the
/// other waits for the lock (held from its plan through its apply) and then
/// finds nothing to do. Every object is created exactly once. A third run
/// that will not wait fails naming the holder.
fn two_applies_at_once(s: &Stack) {
    let a = s.spawn(&["apply", "-auto-approve", "-lock-timeout=60s"], "a");
    let b = s.spawn(&["apply", "-auto-approve", "-lock-timeout=60s"], "b");
    let (a, b) = (a.wait(), b.wait());
    let outcomes = [&a, &b].map(|o| match o.code {
        0 if creations(o) > 0 => "applied",
        0 if o.stdout.contains("No changes") => "nothing to do",
        _ => panic!("unexpected outcome {}\n--- stdout ---\n{}\n--- stderr ---\n{}", o.code, o.stdout, o.stderr),
    });
    let mut sorted = outcomes;
    sorted.sort();
    assert_eq!(sorted, ["applied", "nothing to do"], "one run applies, the other waits and finds nothing to do");
    assert_eq!(creations(&a) + creations(&b), 5, "each object is created by exactly one run\n--- a ---\n{}\n--- b ---\n{}", a.stdout, b.stdout);
    assert_eq!(sorted_addresses(s), ADDRESSES);
    let state = s.state_json();
    let resources = state["resources"].as_object().map(|r| r.len()).or_else(|| state["resources"].as_array().map(|r| r.len()));
    assert_eq!(resources, Some(ADDRESSES.len()), "state holds every object once: {state}");

    let holder = s.spawn(&["apply", "-auto-approve", "-replace=time_sleep.wait"], "holder");
    holder.wait_stdout(Duration::from_secs(60), "the holder to create the replacement", |o| o.contains("time_sleep.wait: Creating..."));
    let refused = s.run(&["apply", "-auto-approve", "-lock-timeout=0s"]);
    refused.expect_code(1);
    let why = flat(&refused.stderr);
    assert!(
        why.contains("locked") && why.contains(&format!("pid {}", holder.pid())) && why.contains("for apply"),
        "the refusal names the holder:\n{}",
        refused.stderr
    );
    holder.wait().ok();
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(sorted_addresses(s), ADDRESSES);
}

#[test]
fn two_applies_at_once_on_s3() {
    let moto = Moto::start();
    let s = s3_stack(&moto, "state-at-once");
    two_applies_at_once(&s);
    let history = s.run(&["state", "history"]);
    history.ok();
    assert!(history.stdout.lines().count() >= 3, "header and at least two versions:\n{}", history.stdout);
}

#[test]
fn two_applies_at_once_on_postgres() {
    let pg = Postgres::start();
    let s = pg_stack(&pg);
    two_applies_at_once(&s);
}

/// Local, encrypted state moved to S3 with `init -migrate-state`; history,
/// pulling an old version, rekeying, and sealed plans, all through the CLI.
#[test]
fn encrypted_state_migrates_to_s3_and_is_rekeyed() {
    let old_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, base64
    let new_key = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
    let mut s = Stack::files("web", &[("main.tf", "resource \"terraform_data\" \"secret\" {\n  input = \"hunter2\"\n}\n")]);
    s.env.insert("IAC_STATE_KEY".into(), old_key.into());
    s.run(&["apply", "-auto-approve"]).ok();
    let local = std::fs::read(s.state_dir().join("state.json")).expect("local state");
    assert!(!String::from_utf8_lossy(&local).contains("hunter2"), "local state is sealed");
    let keyless = s.run_env(&["state", "list"], &[("IAC_STATE_KEY", "")]);
    keyless.expect_code(1);
    assert!(flat(&keyless.stderr).contains("key id k-") && keyless.stderr.contains("IAC_STATE_KEY"), "a missing key is named:\n{}", keyless.stderr);

    // Sealed saved plans.
    s.write("main.tf", "resource \"terraform_data\" \"secret\" {\n  input = \"hunter3\"\n}\n");
    s.run(&["plan", "-out=change.plan"]).ok();
    let plan = std::fs::read(s.path("change.plan")).expect("plan file");
    assert!(!String::from_utf8_lossy(&plan).contains("hunter"), "the saved plan is sealed");
    let shown = s.run_env(&["show", "change.plan"], &[("IAC_STATE_KEY", "")]);
    shown.expect_code(1);
    assert!(flat(&shown.stderr).contains("key id k-"), "{}", shown.stderr);
    s.run(&["apply", "change.plan"]).ok();

    // Move to S3.
    let moto = Moto::start();
    versioned_bucket(&moto, "migrated");
    s.write("main.tf", &format!("{}resource \"terraform_data\" \"secret\" {{\n  input = \"hunter3\"\n}}\n", s3_backend_block("migrated")));
    for (k, v) in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")] {
        s.env.insert(k.into(), v.into());
    }
    let endpoint = format!("-backend-config=endpoint={}", moto.endpoint());
    let refused = s.run(&["init", &endpoint]);
    refused.expect_code(1);
    assert!(flat(&refused.stderr).contains("iac init -migrate-state"), "{}", refused.stderr);
    let migrated = s.run(&["init", &endpoint, "-migrate-state"]);
    migrated.ok();
    assert!(
        migrated.stdout.contains("Migrated the state from local state") && migrated.stdout.contains("s3://migrated/stacks/web.tfstate"),
        "{}",
        migrated.stdout
    );
    assert_eq!(sorted_addresses(&s), ["terraform_data.secret"]);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    let (status, object) = moto_http(&moto, "GET", "/migrated/stacks/web.tfstate", "");
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&object).contains("hunter"), "the state in S3 is sealed");

    // Rekey: the old key opens, the new key seals; afterwards only the new key opens current state.
    let rekey = s.run_env(&["state", "rekey"], &[("IAC_STATE_KEY", new_key), ("IAC_STATE_OLD_KEY", old_key)]);
    rekey.ok();
    assert!(rekey.stdout.contains("re-encrypted under key id k-"), "{}", rekey.stdout);
    s.env.insert("IAC_STATE_KEY".into(), new_key.into());
    assert_eq!(sorted_addresses(&s), ["terraform_data.secret"]);
    let old_only = s.run_env(&["state", "list"], &[("IAC_STATE_KEY", old_key)]);
    old_only.expect_code(1);
    assert!(flat(&old_only.stderr).contains("key id k-"), "{}", old_only.stderr);

    // History: the migrated version (old key) and the rekeyed one (new key).
    let history = s.run(&["state", "history", "-json"]);
    history.ok();
    let versions: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    let versions = versions.as_array().expect("a list");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions[0]["serial"].as_u64() > versions[1]["serial"].as_u64(), "newest first: {versions:?}");
    let old_id = versions[1]["id"].as_str().expect("id");
    let pulled = s.run_env(&["state", "pull", &format!("-version={old_id}")], &[("IAC_STATE_KEY", old_key)]);
    pulled.ok();
    assert!(pulled.stdout.contains("hunter3"), "the old version, opened with its key:\n{}", pulled.stdout);
    let wrong = s.run(&["state", "pull", &format!("-version={old_id}")]);
    wrong.expect_code(1);
    assert!(flat(&wrong.stderr).contains("key id k-"), "{}", wrong.stderr);
}

/// A run killed in the middle of an apply on PostgreSQL: its connection
/// closes, the server releases its lock, and the next run takes it without
/// force-unlock, recovers the journal, and creates nothing twice.
#[test]
fn a_killed_run_on_postgres_leaves_no_lock_and_loses_nothing() {
    let pg = Postgres::start();
    let s = pg_stack(&pg);
    let mut run = s.spawn(&["apply", "-auto-approve"], "killed");
    run.wait_stdout(Duration::from_secs(60), "the apply to start sleeping", |o| o.contains("time_sleep.wait: Creating..."));
    run.child.kill().expect("SIGKILL");
    run.child.wait().expect("reap");
    let next = s.run(&["apply", "-auto-approve", "-lock-timeout=30s"]);
    next.ok();
    assert!(!flat(&next.stderr).contains("process is gone"), "no takeover was needed: the server released the lock\n{}", next.stderr);
    assert_eq!(sorted_addresses(&s), ADDRESSES);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

/// `data "terraform_remote_state"` on S3 (moto), through iac: the outputs
/// of iac's own state at one key (sealed, as `IAC_STATE_KEY` makes it), of
/// the state file Terraform 1.11.4 wrote at another, and of a workspace's
/// (`env:/NAME/KEY`), over `defaults`; a key holding nothing is
/// Terraform's "Unable to find remote state".
#[test]
fn remote_state_reads_iacs_and_terraforms_state_in_s3() {
    let moto = Moto::start();
    versioned_bucket(&moto, "shared");
    let creds = [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")];
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let block = "terraform {\n  backend \"s3\" {\n    bucket         = \"shared\"\n    key            = \"net.tfstate\"\n    region         = \"us-east-1\"\n    use_path_style = true\n  }\n}\n\n";
    let mut net = Stack::files(
        "net",
        &[("main.tf", &format!("{block}output \"vpc_id\" {{\n  value = \"vpc-1\"\n}}\n\noutput \"subnets\" {{\n  value = [\"a\", \"b\"]\n}}\n"))],
    );
    for (k, v) in creds {
        net.env.insert(k.into(), v.into());
    }
    net.env.insert("IAC_STATE_KEY".into(), key.into());
    net.run(&["init", &format!("-backend-config=endpoint={}", moto.endpoint())]).ok();
    net.run(&["apply", "-auto-approve"]).ok();

    // Terraform's own state file, as it wrote it, at two keys of the bucket.
    let tf = Stack::files("legacy", &[("main.tf", "output \"cluster\" {\n  value = \"eks-1\"\n}\n")]);
    for args in [&["init", "-input=false", "-no-color"][..], &["apply", "-auto-approve", "-input=false", "-no-color"]] {
        let o = crate::lang_diff::terraform_command(&tf.dir, args).output().expect("terraform 1.11.4 on PATH");
        assert!(o.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let written = tf.read("terraform.tfstate");
    assert_eq!(moto_http(&moto, "PUT", "/shared/legacy.tfstate", &written).0, 200);
    assert_eq!(moto_http(&moto, "PUT", "/shared/env:/dev/legacy.tfstate", &written.replace("eks-1", "eks-dev")).0, 200);

    let source = |key: &str, extra: &str| {
        format!(
            "  backend = \"s3\"\n  config = {{\n    bucket         = \"shared\"\n    key            = \"{key}\"\n    region         = \"us-east-1\"\n    endpoint       = \"{}\"\n    use_path_style = true\n  }}\n{extra}",
            moto.endpoint()
        )
    };
    let main = format!(
        "data \"terraform_remote_state\" \"net\" {{\n{}}}\n\ndata \"terraform_remote_state\" \"legacy\" {{\n{}}}\n\ndata \"terraform_remote_state\" \"dev\" {{\n{}}}\n\noutput \"net\" {{\n  value = data.terraform_remote_state.net.outputs\n}}\n\noutput \"legacy\" {{\n  value = data.terraform_remote_state.legacy.outputs\n}}\n\noutput \"dev\" {{\n  value = data.terraform_remote_state.dev.outputs.cluster\n}}\n",
        source("net.tfstate", ""),
        source("legacy.tfstate", "  defaults = {\n    region = \"eu-west-1\"\n  }\n"),
        source("legacy.tfstate", "  workspace = \"dev\"\n"),
    );
    let mut app = Stack::files("app", &[("main.tf", &main)]);
    for (k, v) in creds {
        app.env.insert(k.into(), v.into());
    }
    app.env.insert("IAC_STATE_KEY".into(), key.into());
    app.run(&["apply", "-auto-approve"]).ok();
    let out = app.run(&["output", "-json"]);
    out.ok();
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).expect("output -json");
    assert_eq!(outputs["net"]["value"], serde_json::json!({"subnets": ["a", "b"], "vpc_id": "vpc-1"}), "{}", out.stdout);
    assert_eq!(outputs["legacy"]["value"], serde_json::json!({"cluster": "eks-1", "region": "eu-west-1"}), "{}", out.stdout);
    assert_eq!(outputs["dev"]["value"], "eks-dev", "{}", out.stdout);

    app.write("main.tf", &format!("data \"terraform_remote_state\" \"none\" {{\n{}}}\n", source("none.tfstate", "")));
    let missing = app.run(&["plan"]);
    missing.expect_code(1);
    assert!(flat(&missing.stderr).contains("No stored state was found for the given workspace in the given backend."), "{}", missing.stderr);
}
