//! Managed databases through the engine against the simulator, beyond the
//! conformance cases: a resize made in the console is drift that a plan
//! puts back in place (never a replacement); what DigitalOcean picks (the
//! maintenance window, storage, project) is not drift; tag changes and
//! downgrades are refused at plan; passwords never reach logs and are
//! sensitive in state; under 429s, 5xx answers and dropped connections the
//! stack converges with every object made once.

use crate::common;

use common::*;
use iac_core::plan::{Action, PlanMode};
use iac_do_sim::Faults;

fn stack(url: &str, size: &str, tags: &str, version: &str) -> String {
    format!(
        r#"{provider}
resource "digitalocean_database_cluster" "pg" {{
  name       = "lifecycle-pg"
  engine     = "pg"
  version    = "{version}"
  size       = "{size}"
  region     = "sfo3"
  node_count = 1
  tags       = [{tags}]
}}
resource "digitalocean_database_user" "app" {{
  cluster_id = digitalocean_database_cluster.pg.id
  name       = "app"
}}
resource "digitalocean_database_connection_pool" "app" {{
  cluster_id = digitalocean_database_cluster.pg.id
  name       = "app-pool"
  mode       = "session"
  size       = 5
  db_name    = "defaultdb"
  user       = digitalocean_database_user.app.name
}}
output "password" {{
  value     = digitalocean_database_user.app.password
  sensitive = true
}}
"#,
        provider = provider_block(url)
    )
}

#[test]
fn a_console_resize_is_drift_put_back_in_place() {
    let logs = iac_testkit::leaks::LogCapture::install();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let url = h.url();
        let st = write_stack(tmp.path(), &stack(&url, "db-s-1vcpu-2gb", r#""prod""#, "16"));
        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 3, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        let (id, storage) = h.with_store(|s| (s.databases[0].id.clone(), s.databases[0].storage_size_mib));
        assert_eq!(storage, 25_600, "the size's own storage");

        // Someone resizes the cluster in the console (the API call the console makes).
        let body = serde_json::json!({"size": "db-s-4vcpu-8gb", "num_nodes": 1});
        let client = iac_provider_digitalocean::client::Client::new(iac_provider_digitalocean::client::ClientConfig {
            endpoint: url.clone(),
            token: iac_provider_digitalocean::client::Secret::new(TOKEN),
            retry: Default::default(),
            request_timeout: std::time::Duration::from_secs(10),
            user_agent: "console".into(),
        })
        .unwrap();
        client.put(&format!("/v2/databases/{id}/resize"), &body).await.expect("resize in the console");

        let refresh = plan_mode(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        let drift: Vec<String> = refresh.drift.iter().flat_map(|d| d.paths.iter().map(move |p| format!("{:?} {} {p}", d.action, d.addr))).collect();
        assert!(drift.contains(&"Update digitalocean_database_cluster.pg size".to_string()), "{drift:?}");
        // Putting it back is a resize in place, once the console's resize settles.
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update digitalocean_database_cluster.pg"], "never a replacement");
        apply(&st, &env, p).await;
        h.with_store(|s| {
            let d = &s.databases[0];
            assert_eq!((d.id.as_str(), d.size.as_str()), (id.as_str(), "db-s-1vcpu-2gb"));
            assert_eq!(d.storage_size_mib, 143_360, "storage never shrinks: the bigger size's stays");
        });
        assert!(changes(&plan(&st, &env).await).is_empty(), "the kept storage is not drift");

        // Refused at plan: a tag change (no API call changes a cluster's tags) and a downgrade.
        let tagged = write_stack(tmp.path(), &stack(&url, "db-s-1vcpu-2gb", r#""prod", "pci""#, "16"));
        let err = plan_mode(&tagged, &env, PlanMode::Normal).await.expect_err("a tag change is refused");
        assert!(err.contains("tags of a database cluster are set when it is made"), "{err}");
        let older = write_stack(tmp.path(), &stack(&url, "db-s-1vcpu-2gb", r#""prod""#, "15"));
        let err = plan_mode(&older, &env, PlanMode::Normal).await.expect_err("a downgrade is refused");
        assert!(err.contains("cannot downgrade"), "{err}");
        let unknown = write_stack(tmp.path(), &stack(&url, "db-s-1vcpu-2gb", r#""prod""#, "99"));
        let err = plan_mode(&unknown, &env, PlanMode::Normal).await.expect_err("a version not offered is refused");
        assert!(err.contains("not offered"), "{err}");

        // Passwords: never in the logs (even at debug level), sensitive in state and outputs.
        let st = write_stack(tmp.path(), &stack(&url, "db-s-1vcpu-2gb", r#""prod""#, "16"));
        assert!(changes(&plan(&st, &env).await).is_empty());
        let seen = logs.text();
        assert!(!seen.is_empty(), "the provider logged");
        let passwords: Vec<String> = h.with_store(|s| s.databases[0].users.iter().map(|u| u.password.clone()).collect());
        for pw in &passwords {
            assert!(!seen.contains(pw.as_str()), "a database password leaked into the logs");
        }
        assert!(!seen.contains(TOKEN), "the API token leaked into the logs");
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let cluster = state.resources[&"digitalocean_database_cluster.pg".parse().unwrap()].value();
        for k in ["password", "uri", "private_uri"] {
            assert!(cluster.get(k).is_some_and(|v| v.is_sensitive()), "{k} is sensitive in state");
        }
        let pool = state.resources[&"digitalocean_database_connection_pool.app".parse().unwrap()].value();
        assert!(pool.get("password").is_some_and(|v| v.is_sensitive()) && pool.get("uri").is_some_and(|v| v.is_sensitive()));
        assert!(state.outputs["password"].sensitive);

        let d = plan_mode(&st, &env, PlanMode::Destroy).await.unwrap();
        apply(&st, &env, d).await;
        h.with_store(|s| assert!(s.databases.is_empty()));
        assert_contract(&h);
    });
}

#[test]
fn databases_converge_under_faults_without_duplicates() {
    rt().block_on(async {
        let mut cfg = fast();
        cfg.seed = 11;
        cfg.faults = Faults { rate_429: 0.15, rate_5xx: 0.15, rate_drop: 0.15, rate_limit_per_minute: 0, retry_after_s: 1, latency_ms: 0 };
        let h = sim(cfg).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &stack(&h.url(), "db-s-1vcpu-2gb", r#""prod""#, "16"));
        let mut converged = false;
        for round in 0..6 {
            let p = match plan_mode(&st, &env, PlanMode::Normal).await {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("round {round}: plan failed: {e}");
                    continue;
                }
            };
            if changes(&p).is_empty() {
                converged = true;
                break;
            }
            if let Err(e) = iac_engine::ops::apply(&st, &env, p, 10).await {
                eprintln!("round {round}: apply failed (a later round converges): {e}");
            }
        }
        assert!(converged, "plan/apply did not converge under faults");
        let stats = h.stats();
        assert!(stats.dropped > 0 && stats.by_status.keys().any(|s| *s == 429 || *s >= 500), "faults were injected: {stats:?}");
        h.with_store(|s| {
            assert_eq!(s.databases.len(), 1, "one cluster");
            let d = &s.databases[0];
            assert_eq!(d.users.iter().filter(|u| u.name == "app").count(), 1, "one user");
            assert_eq!(d.pools.len(), 1, "one pool");
        });
        for _ in 0..6 {
            let Ok(p) = plan_mode(&st, &env, PlanMode::Destroy).await else { continue };
            if changes(&p).is_empty() {
                break;
            }
            let _ = iac_engine::ops::apply(&st, &env, p, 10).await;
        }
        h.with_store(|s| assert!(s.databases.is_empty(), "destroyed"));
        assert_contract(&h);
    });
}
