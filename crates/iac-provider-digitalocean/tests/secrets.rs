//! The API token never appears in logs, plans, or state, even at trace level.

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
fn the_token_never_leaks() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).with_ansi(false).init();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let text = format!(
            "{}\nresource \"digitalocean_kubernetes_cluster\" \"c\" {{\n  name = \"secret\"\n  region = \"lon1\"\n  version = \"1.31.1-do.5\"\n  node_pool {{\n    name = \"p\"\n    size = \"s-1vcpu-2gb\"\n    node_count = 1\n  }}\n}}\noutput \"kubeconfig\" {{\n  value = digitalocean_kubernetes_cluster.c.kube_config[0].raw_config\n  sensitive = true\n}}\n",
            provider_block(&h.url())
        );
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        let mut seen = serde_json::to_string(&p).unwrap();
        apply(&st, &env, p).await;
        let p2 = plan(&st, &env).await;
        seen.push_str(&serde_json::to_string(&p2).unwrap());
        read_tree(tmp.path(), &mut seen);
        seen.push_str(&String::from_utf8_lossy(&buf.0.lock().unwrap()));
        assert!(seen.len() > 1000, "something was captured");
        assert!(buf.0.lock().unwrap().len() > 0, "the provider logged at debug level");
        assert!(!seen.contains(TOKEN), "the API token leaked");
        // The cluster's own credentials are sensitive in the plan and state.
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let inst = &state.resources[&"digitalocean_kubernetes_cluster.c".parse().unwrap()];
        assert!(inst.value().get("kube_config").is_some_and(|k| k.is_sensitive()), "kube_config is marked sensitive");
        // And every request carried the token as a bearer (the simulator refuses others).
        assert!(h.stats().by_status.get(&401).is_none());
    });
}
