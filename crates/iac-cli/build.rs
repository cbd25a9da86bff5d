//! Links the `iac` binary with packed relative relocations (RELR) where the
//! toolchain supports them. The binary carries the AWS SDK, kube-rs and
//! OpenTelemetry; with classic relocations the dynamic loader writes about
//! 2 MB of them into memory at every start, whichever providers the stack
//! uses, which showed in every command's peak memory (iac-bench). Probed
//! with a trivial link first, so an older linker still builds the binary.

use std::io::Write;
use std::process::{Command, Stdio};

const FLAG: &str = "-Wl,-z,pack-relative-relocs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let probe = std::path::Path::new(&out).join("relr-probe");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let spawned =
        Command::new(&cc).args(["-x", "c", "-", "-o"]).arg(&probe).arg(FLAG).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    let Ok(mut child) = spawned else { return };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"int main(void) { return 0; }\n");
    }
    if child.wait().is_ok_and(|s| s.success()) && Command::new(&probe).status().is_ok_and(|s| s.success()) {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}
