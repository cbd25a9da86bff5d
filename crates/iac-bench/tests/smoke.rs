//! Smoke test: runs the benchmark at N=10 for every shape and phase against
//! the release `iac` binary. Ignored by default (it needs that binary):
//! `cargo build --release -p iac-cli && cargo test -p iac-bench -- --ignored`.

use std::path::PathBuf;
use std::process::Command;

fn release_iac() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release").join("iac")
}

#[test]
#[ignore = "needs target/release/iac: cargo build --release -p iac-cli"]
fn every_shape_and_phase_at_n_10() {
    let iac = release_iac();
    if !iac.is_file() {
        eprintln!("skipped: no release binary at {}", iac.display());
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_iac-bench")).arg("--iac").arg(&iac).args(["--n", "10", "--json"]).output().expect("run iac-bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "iac-bench failed:\n{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 3 * 4, "3 shapes x 4 phases");
    for r in results {
        assert!(r["iac"]["error"].is_null(), "{r}");
        assert!(r["iac"]["time_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["iac"]["peak_mb"].as_f64().unwrap() > 0.0, "{r}");
        if r["phase"] == "apply" {
            assert!(r["state_bytes"]["iac"].as_u64().unwrap() > 0, "{r}");
        }
    }
}
