//! The secret key never appears in logs (even at trace level), plans or state.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn read_tree(dir: &std::path::Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            read_tree(&p, out);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
}

#[test]
fn the_secret_key_never_leaks() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).with_ansi(false).init();
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/16\"\n}}\n\ndata \"aws_caller_identity\" \"me\" {{}}\n");
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        let mut seen = serde_json::to_string(&p).unwrap();
        apply(&st, &env, p).await;
        seen.push_str(&serde_json::to_string(&plan(&st, &env).await).unwrap());
        read_tree(tmp.path(), &mut seen);
        let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
        assert!(logs.contains("aws provider configured"), "the provider logged");
        assert!(logs.len() > 10_000, "trace-level SDK logs were captured ({} bytes)", logs.len());
        seen.push_str(&logs);
        assert!(!seen.contains(SECRET_KEY), "the secret key leaked");
    });
}
