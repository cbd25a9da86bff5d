//! The API token never appears in logs, plans, or state, even at trace level.

use crate::common;

use common::*;

#[test]
fn the_token_never_leaks() {
    let logs = iac_testkit::leaks::LogCapture::install();
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
        seen.push_str(&iac_testkit::leaks::files_text(tmp.path()));
        seen.push_str(&logs.text());
        assert!(seen.len() > 1000, "something was captured");
        assert!(!logs.text().is_empty(), "the provider logged at debug level");
        assert!(!seen.contains(TOKEN), "the API token leaked");
        // The cluster's own credentials are sensitive in the plan and state.
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let inst = &state.resources[&"digitalocean_kubernetes_cluster.c".parse().unwrap()];
        assert!(inst.value().get("kube_config").is_some_and(|k| k.is_sensitive()), "kube_config is marked sensitive");
        // And every request carried the token as a bearer (the simulator refuses others).
        assert!(!h.stats().by_status.contains_key(&401));
    });
}
