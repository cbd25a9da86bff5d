//! Migration from Terraform (issue 15): the real Terraform 1.11.4 applies
//! `fixtures/tf-formats/stack` (`terraform_data` with `input` and
//! `triggers_replace`, count and for_each, local modules with count and
//! for_each, outputs including a sensitive one), then iac takes over.
//!
//! - Before migrating, every command that plans refuses, naming the file
//!   and `iac init -migrate-state`; nothing is planned or written.
//! - `iac init -migrate-state` moves the state into iac's backend; the
//!   first plan is empty and the outputs are Terraform's. The Terraform
//!   file is left byte for byte; Terraform writing it again afterwards makes
//!   iac refuse until someone reconciles.
//! - `backend "local" { path = "x.tfstate" }` names Terraform's file, as in
//!   Terraform (iac keeps its own state in `x.tfstate.iac/`); a `path` that
//!   is a directory is still iac's own state folder.
//! - An interrupted migration (iac's lock held by a live process,
//!   Terraform's fcntl lock held, a kill -9 at any moment of the copy)
//!   leaves both states intact, and running it again completes.
//!
//! - An S3 key holding Terraform's state (the bucket and key a Terraform
//!   `backend "s3"` wrote, on moto) is named as such, never read as empty
//!   or overwritten; `iac init -migrate-state` replaces it in place under
//!   iac's lock and Terraform's `<key>.tflock`, keeping Terraform's bytes in
//!   `<key>.terraform-backup`; the first plan is empty. A held `.tflock`
//!   refuses the migration, naming its holder, and changes nothing.
//! - Terraform's `backend "pg"` state (the `states` row of its schema,
//!   written by the real Terraform on the suite's PostgreSQL server) is
//!   refused until `iac init -migrate-state`, which copies it under
//!   Terraform's advisory lock into iac's tables of the same schema; the
//!   first plan is empty, and Terraform's row is left as it was.
//!
//! Terraform runs offline with no CLI configuration; the tests fail, never
//! skip, without it.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;
use support::*;

fn terraform(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new("terraform")
        .current_dir(dir)
        .args(args)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_LOG")
        .output()
        .expect("terraform must be on PATH (Terraform 1.11.4)");
    let out =
        Out { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() };
    assert_eq!(out.code, 0, "terraform {args:?} failed:\n{}{}", out.stdout, out.stderr);
    out
}

/// The fixture, applied by Terraform (with `extra` files added first).
fn applied_by_terraform(name: &str, extra: &[(&str, &str)]) -> Stack {
    let s = Stack::fixture("tf-formats/stack", name);
    for (f, text) in extra {
        s.write(f, text);
    }
    terraform(&s.dir, &["init", "-input=false"]);
    terraform(&s.dir, &["apply", "-auto-approve", "-input=false"]);
    s
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace("│ ", "")
}

#[track_caller]
fn assert_refused(out: &Out, file: &str) {
    out.expect_code(1);
    let err = flat(&out.stderr);
    assert!(err.contains(&format!("Terraform's state in ./{file}")) && err.contains("iac init -migrate-state") && err.contains("is empty"), "{}", out.stderr);
}

/// `iac output -json` and `terraform output -json`, both with sensitive values shown.
fn outputs_equal(s: &Stack) {
    let iac: Json = serde_json::from_str(&s.run(&["output", "-json"]).stdout).expect("iac output -json");
    let tf: Json = serde_json::from_str(&terraform(&s.dir, &["output", "-json"]).stdout).expect("terraform output -json");
    assert_eq!(iac, tf, "outputs after migration");
}

#[test]
fn terraform_state_is_refused_until_migrated_then_the_first_plan_is_empty() {
    let s = applied_by_terraform("migrate", &[]);
    let tfstate = std::fs::read(s.path("terraform.tfstate")).unwrap();

    // Found, named, refused: never a plan creating everything again.
    assert_refused(&s.run(&["plan"]), "terraform.tfstate");
    assert_refused(&s.run(&["apply", "-auto-approve"]), "terraform.tfstate");
    let init = s.run(&["init"]);
    init.ok();
    assert!(flat(&init.stderr).contains("warning: found Terraform's state in ./terraform.tfstate"), "{}", init.stderr);
    assert!(s.state_list().is_empty(), "nothing was written to iac's state");

    let migrated = s.run(&["init", "-migrate-state"]);
    migrated.ok();
    assert!(flat(&migrated.stdout).contains("Migrated Terraform's state in ./terraform.tfstate"), "{}", migrated.stdout);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(s.state_list().len(), 12, "{:?}", s.state_list());
    outputs_equal(&s);
    assert_eq!(std::fs::read(s.path("terraform.tfstate")).unwrap(), tfstate, "Terraform's file is left untouched");
    // Running it again does nothing and says so.
    let again = s.run(&["init", "-migrate-state"]);
    again.ok();
    assert!(again.stdout.contains("Checked the earlier migration") || again.stdout.contains("already migrated"), "{}", again.stdout);

    // iac applies a change: Terraform's old file is no reason to refuse.
    s.run(&["apply", "-auto-approve", "-var", "name=b"]).ok();
    s.run(&["plan", "-detailed-exitcode", "-var", "name=b"]).expect_code(0);

    // Terraform writing its file again after the migration: iac refuses.
    terraform(&s.dir, &["apply", "-auto-approve", "-input=false", "-var", "name=c"]);
    let refused = s.run(&["plan", "-var", "name=b"]);
    refused.expect_code(1);
    assert!(flat(&refused.stderr).contains("was changed by Terraform after it was migrated"), "{}", refused.stderr);
}

#[test]
fn backend_local_path_names_terraforms_state_file() {
    let backend = "terraform {\n  backend \"local\" {\n    path = \"x.tfstate\"\n  }\n}\n";
    let s = applied_by_terraform("localpath", &[("backend.tf", backend)]);
    assert!(s.path("x.tfstate").is_file() && !s.path("terraform.tfstate").exists());
    let tfstate = std::fs::read(s.path("x.tfstate")).unwrap();
    assert_refused(&s.run(&["plan"]), "x.tfstate");
    s.run(&["init", "-migrate-state"]).ok();
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    outputs_equal(&s);
    assert!(s.path("x.tfstate.iac").is_dir(), "iac's own state beside Terraform's file");
    assert_eq!(std::fs::read(s.path("x.tfstate")).unwrap(), tfstate);
    // Terraform still reads its file as before: nothing changed for it either.
    terraform(&s.dir, &["plan", "-detailed-exitcode", "-input=false"]);

    // A path that is a directory stays iac's own state folder.
    let own = Stack::files(
        "ownpath",
        &[("main.tf", "terraform {\n  backend \"local\" {\n    path = \"mystate\"\n  }\n}\n\nresource \"terraform_data\" \"a\" {\n  input = 1\n}\n")],
    );
    std::fs::create_dir(own.path("mystate")).unwrap();
    own.run(&["init"]).ok();
    own.run(&["apply", "-auto-approve"]).ok();
    assert!(std::fs::read_dir(own.path("mystate")).unwrap().count() > 0, "state written into the directory");
    own.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname").trim().to_string()
}

#[test]
fn an_interrupted_migration_leaves_both_states_and_completes_when_run_again() {
    let s = applied_by_terraform("interrupted", &[]);
    let tfstate = std::fs::read(s.path("terraform.tfstate")).unwrap();
    let intact = |s: &Stack| {
        assert_eq!(std::fs::read(s.path("terraform.tfstate")).unwrap(), tfstate, "Terraform's file is intact");
    };

    // iac's lock held by another live process on this host.
    let mut holder = Command::new("sleep").arg("120").spawn().expect("sleep");
    std::fs::create_dir_all(s.state_dir()).unwrap();
    let lock = serde_json::json!({"id": "held-by-test", "operation": "apply", "who": "someone", "host": hostname(), "pid": holder.id(), "created": "2026-01-01T00:00:00Z"});
    std::fs::write(s.state_dir().join("lock.json"), lock.to_string()).unwrap();
    let refused = s.run(&["init", "-migrate-state"]);
    refused.expect_code(1);
    assert!(flat(&refused.stderr).contains("held-by-test"), "names the holder: {}", refused.stderr);
    intact(&s);
    assert!(s.state_list().is_empty(), "nothing copied");
    let _ = holder.kill();
    let _ = holder.wait();
    // The holder is gone: its lock is stale, taken over, and the migration completes.
    s.run(&["init", "-migrate-state"]).ok();
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    intact(&s);

    // Terraform's own lock (a POSIX fcntl lock on the file, as `terraform
    // apply` takes it) held by another process: refused, then completes.
    std::fs::remove_dir_all(s.state_dir()).unwrap();
    let mut tf_lock = Command::new("python3")
        .current_dir(&s.dir)
        .args(["-c", "import fcntl,sys,time\nf=open('terraform.tfstate','r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(tf_lock.stdout.take().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let refused = s.run(&["init", "-migrate-state"]);
    refused.expect_code(1);
    assert!(flat(&refused.stderr).contains("locked"), "{}", refused.stderr);
    intact(&s);
    assert!(s.state_list().is_empty(), "nothing copied while Terraform holds its lock");
    let _ = tf_lock.kill();
    let _ = tf_lock.wait();
    s.run(&["init", "-migrate-state"]).ok();
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // kill -9 at moments spread over the run: whatever it left, Terraform's
    // file is intact and the next run completes with an empty plan.
    for delay_ms in [0u64, 10, 30, 60, 100, 150, 250] {
        std::fs::remove_dir_all(s.state_dir()).unwrap();
        let run = s.spawn(&["init", "-migrate-state"], &format!("kill-{delay_ms}"));
        std::thread::sleep(Duration::from_millis(delay_ms));
        // It may have finished already; a signal to a finished child is harmless until reaped.
        run.signal(libc::SIGKILL);
        let _ = run.wait();
        intact(&s);
        let again = s.run(&["init", "-migrate-state"]);
        again.ok();
        s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    }
    outputs_equal(&s);
}

/// One PUT to moto, with a dummy signature (moto does not check signatures).
fn moto_put(moto: &iac_testkit::services::Moto, path: &str, body: &[u8]) -> u16 {
    let addr = moto.endpoint().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).expect("connect to moto");
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).expect("request");
    s.write_all(body).expect("body");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// One GET from moto (dummy signature): the status and the body.
fn moto_get(moto: &iac_testkit::services::Moto, path: &str) -> (u16, Vec<u8>) {
    let addr = moto.endpoint().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).expect("connect to moto");
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n").expect("request");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "moto answered chunked: {head}");
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, resp[split + 4..].to_vec())
}

/// Terraform's state (applied by the real Terraform) at `tfstate/stacks/web.tfstate`
/// on moto, and the same stack with `backend "s3"` on that key (`extra`
/// added to the block): (moto, Terraform's stack, iac's stack, Terraform's bytes).
fn terraform_state_on_s3(name: &str, extra: &str) -> (iac_testkit::services::Moto, Stack, Stack, Vec<u8>) {
    let tf = applied_by_terraform(&format!("{name}-tf"), &[]);
    let tfstate = std::fs::read(tf.path("terraform.tfstate")).unwrap();
    let moto = iac_testkit::services::Moto::start();
    assert_eq!(moto_put(&moto, "/tfstate", b""), 200, "create bucket");
    assert_eq!(moto_put(&moto, "/tfstate/stacks/web.tfstate", &tfstate), 200, "Terraform's state at the key");
    let backend = format!("terraform {{\n  backend \"s3\" {{\n    bucket         = \"tfstate\"\n    key            = \"stacks/web.tfstate\"\n    region         = \"us-east-1\"\n    endpoint       = \"{}\"\n    use_path_style = true\n{extra}  }}\n}}\n", moto.endpoint());
    let mut s = Stack::fixture("tf-formats/stack", name);
    s.write("backend.tf", &backend);
    for (k, v) in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")] {
        s.env.insert(k.into(), v.into());
    }
    (moto, tf, s, tfstate)
}

#[test]
fn an_s3_key_holding_terraforms_state_is_refused_then_migrated_in_place() {
    let (moto, tf, s, tfstate) = terraform_state_on_s3("web", "");
    let init = s.run(&["init"]);
    for out in [&init, &s.run(&["plan"])] {
        out.expect_code(1);
        let err = flat(&out.stderr);
        assert!(err.contains("s3://tfstate/stacks/web.tfstate holds Terraform's state (written by Terraform 1.11.4"), "{}", out.stderr);
        assert!(err.contains("iac init -migrate-state"), "{}", out.stderr);
        assert!(!out.stdout.contains("to add"), "no plan: {}", out.stdout);
    }
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate"), (200, tfstate.clone()), "refusing changed nothing");

    let migrated = s.run(&["init", "-migrate-state"]);
    migrated.ok();
    let said = flat(&migrated.stdout);
    assert!(said.contains("Migrated Terraform's state in s3://tfstate/stacks/web.tfstate"), "{}", migrated.stdout);
    assert!(said.contains("s3://tfstate/stacks/web.tfstate.terraform-backup"), "{}", migrated.stdout);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(s.state_list().len(), 12, "{:?}", s.state_list());
    let iac: Json = serde_json::from_str(&s.run(&["output", "-json"]).stdout).expect("iac output -json");
    let tf_out: Json = serde_json::from_str(&terraform(&tf.dir, &["output", "-json"]).stdout).expect("terraform output -json");
    assert_eq!(iac, tf_out, "outputs after migration");

    // Terraform's bytes beside the key, unchanged; both locks released; the key is iac's now.
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.terraform-backup"), (200, tfstate.clone()), "the backup is Terraform's original");
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.tflock").0, 404, "Terraform's lock released");
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.lock").0, 404, "iac's lock released");
    let (code, now) = moto_get(&moto, "/tfstate/stacks/web.tfstate");
    assert!(code == 200 && now != tfstate, "iac's snapshot at the key");

    // iac applies a change on the migrated state.
    s.run(&["apply", "-auto-approve", "-var", "name=b"]).ok();
    s.run(&["plan", "-detailed-exitcode", "-var", "name=b"]).expect_code(0);
}

#[test]
fn a_held_terraform_s3_lock_refuses_the_migration_and_changes_nothing() {
    let (moto, _tf, s, tfstate) = terraform_state_on_s3("held", "    dynamodb_table = \"tf-locks\"\n");
    let tflock = br#"{"ID":"5f1e0c2a-held-by-terraform","Operation":"OperationTypeApply","Info":"","Who":"alice@ci-runner","Version":"1.11.4","Created":"2026-12-06T07:00:00Z","Path":"tfstate/stacks/web.tfstate"}"#;
    assert_eq!(moto_put(&moto, "/tfstate/stacks/web.tfstate.tflock", tflock), 200, "Terraform's lock object");

    let refused = s.run(&["init", "-migrate-state"]);
    refused.expect_code(1);
    let err = flat(&refused.stderr);
    assert!(err.contains("5f1e0c2a-held-by-terraform") && err.contains("alice@ci-runner"), "names the holder: {}", refused.stderr);
    assert!(err.contains("dynamodb_table") && err.contains("did not check"), "says the DynamoDB table was not checked: {}", refused.stderr);

    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate"), (200, tfstate), "Terraform's state untouched");
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.terraform-backup").0, 404, "no backup written");
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.tflock"), (200, tflock.to_vec()), "Terraform's lock left as it was");
    assert_eq!(moto_get(&moto, "/tfstate/stacks/web.tfstate.lock").0, 404, "iac's lock released");
}

/// Terraform with `PG_CONN_STR` set (its `pg` backend reads it, as iac's does).
fn terraform_pg(dir: &Path, conn: &str, args: &[&str]) -> Out {
    let out = Command::new("terraform")
        .current_dir(dir)
        .args(args)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("PG_CONN_STR", conn)
        .env_remove("TF_LOG")
        .output()
        .expect("terraform must be on PATH (Terraform 1.11.4)");
    Out { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

#[test]
fn terraforms_pg_backend_state_is_refused_until_migrated_then_the_first_plan_is_empty() {
    let pg = iac_testkit::services::Postgres::start();
    // Terraform's driver (lib/pq) asks for TLS unless told not to.
    let conn = format!("{} sslmode=disable", pg.create_database("tfpg"));
    let backend = "terraform {\n  backend \"pg\" {\n    schema_name = \"web\"\n  }\n}\n";
    let mut s = Stack::fixture("tf-formats/stack", "tfpg");
    s.write("backend.tf", backend);
    s.env.insert("PG_CONN_STR".into(), conn.clone());
    for args in [&["init", "-input=false"][..], &["apply", "-auto-approve", "-input=false"]] {
        let out = terraform_pg(&s.dir, &conn, args);
        assert_eq!(out.code, 0, "terraform {args:?}:\n{}{}", out.stdout, out.stderr);
    }
    let tf_state = terraform_pg(&s.dir, &conn, &["state", "pull"]).stdout;

    // Found in the schema, named, refused.
    let refused = s.run(&["plan"]);
    refused.expect_code(1);
    let err = flat(&refused.stderr);
    assert!(err.contains("Terraform's state in pg:web.states/default") && err.contains("iac init -migrate-state"), "{}", refused.stderr);
    assert!(!refused.stdout.contains("to add"), "no plan: {}", refused.stdout);

    let migrated = s.run(&["init", "-migrate-state"]);
    migrated.ok();
    assert!(flat(&migrated.stdout).contains("Migrated Terraform's state in pg:web.states/default"), "{}", migrated.stdout);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(s.state_list().len(), 12, "{:?}", s.state_list());
    let iac: Json = serde_json::from_str(&s.run(&["output", "-json"]).stdout).expect("iac output -json");
    let tf: Json = serde_json::from_str(&terraform_pg(&s.dir, &conn, &["output", "-json"]).stdout).expect("terraform output -json");
    assert_eq!(iac, tf, "outputs after migration");

    // Terraform's row is as it was: Terraform itself still plans nothing on it.
    assert_eq!(terraform_pg(&s.dir, &conn, &["state", "pull"]).stdout, tf_state, "Terraform's state is left untouched");
    let plan = terraform_pg(&s.dir, &conn, &["plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    // iac applies a change: Terraform's old row is no reason to refuse.
    s.run(&["apply", "-auto-approve", "-var", "name=b"]).ok();
    s.run(&["plan", "-detailed-exitcode", "-var", "name=b"]).expect_code(0);
    // Terraform writing its row again after the migration: iac refuses.
    let out = terraform_pg(&s.dir, &conn, &["apply", "-auto-approve", "-input=false", "-var", "name=c"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let refused = s.run(&["plan", "-var", "name=b"]);
    refused.expect_code(1);
    assert!(flat(&refused.stderr).contains("was changed by Terraform after it was migrated"), "{}", refused.stderr);
}
