//! EKS beyond the platform stack, through the engine against moto and the
//! EKS layer: waiters that see CREATING and DELETING, a cluster that lands
//! in FAILED reported with its health issues, a `timeouts` block that bounds
//! the wait, and add-ons and access entries created, updated in place,
//! found gone after an out-of-band delete, imported and deleted.

use crate::common;

use common::*;
use iac_core::plan::Action;
use iac_eks_sim_layer::Behaviour;

fn cluster(name: &str, create_timeout: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_eks_cluster" "c" {{
  name     = "{name}"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  version  = "1.31"

  vpc_config {{
    subnet_ids = ["subnet-0a", "subnet-0b"]
  }}

  timeouts {{
    create = "{create_timeout}"
  }}
}}
"#
    )
}

fn with_addons(addon_version: &str, groups: &str) -> String {
    with_addons_and_access(addon_version, groups, false)
}

/// With `private_access`, the cluster's endpoint is private too and its
/// authentication mode is API_AND_CONFIG_MAP (both through UpdateClusterConfig).
fn with_addons_and_access(addon_version: &str, groups: &str, private_access: bool) -> String {
    let mut c = cluster("apps", "10m");
    if private_access {
        c = c.replace(
            "    subnet_ids = [\"subnet-0a\", \"subnet-0b\"]\n  }\n",
            "    subnet_ids              = [\"subnet-0a\", \"subnet-0b\"]\n    endpoint_private_access = true\n  }\n\n  access_config {\n    authentication_mode = \"API_AND_CONFIG_MAP\"\n  }\n",
        );
        assert!(c.contains("endpoint_private_access"));
    }
    format!(
        r#"{}
resource "aws_eks_addon" "dns" {{
  cluster_name  = aws_eks_cluster.c.name
  addon_name    = "coredns"
  addon_version = "{addon_version}"
}}

resource "aws_eks_access_entry" "admins" {{
  cluster_name      = aws_eks_cluster.c.name
  principal_arn     = "arn:aws:iam::123456789012:role/admins"
  kubernetes_groups = [{groups}]
}}
"#,
        c
    )
}

#[test]
fn waiters_follow_transitions_and_a_failed_cluster_reports_its_health_issues() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour { transition_reads: 3, fail_clusters: vec!["broken".into()], ..Default::default() })
            .await
            .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());

        let st = write_stack(tmp.path(), &cluster("good", "10m"));
        apply(&st, &env, plan(&st, &env).await).await;
        let statuses = |path: &str| -> Vec<String> {
            layer
                .exchanges()
                .iter()
                .filter(|x| x.method == "GET" && x.path == path)
                .map(|x| x.response["cluster"]["status"].as_str().unwrap_or("gone").to_string())
                .collect()
        };
        assert_eq!(statuses("/clusters/good"), ["CREATING", "CREATING", "CREATING", "ACTIVE"], "the create waited out CREATING");
        assert_eq!(state_str(&env, "aws_eks_cluster.c", "status").await, "ACTIVE");
        let create = layer.exchanges().into_iter().find(|x| x.method == "POST" && x.path == "/clusters").unwrap();
        assert!(
            create.request["clientRequestToken"].as_str().is_some_and(|t| t.starts_with("iac-")),
            "the create carries a client request token: {}",
            create.request
        );
        destroy(&st, &env).await;
        let seen = statuses("/clusters/good");
        assert_eq!(seen[seen.len() - 4..], ["DELETING", "DELETING", "DELETING", "gone"], "the delete waited until the cluster was gone: {seen:?}");

        let tmp = tempfile::tempdir().unwrap();
        let env2 = common::env(tmp.path(), &layer.url());
        let st = write_stack(tmp.path(), &cluster("broken", "10m"));
        let err = iac_engine::ops::apply(&st, &env2, plan(&st, &env2).await, 10).await.expect_err("a FAILED cluster fails the apply");
        let text = format!("{err:?}");
        assert!(text.contains("aws_eks_cluster.c") && text.contains("FAILED") && text.contains("Ec2SubnetNotFound"), "{text}");

        // A create that takes longer than its timeouts block allows.
        layer.set_behaviour(Behaviour { transition_reads: 1_000_000, ..Default::default() });
        let tmp = tempfile::tempdir().unwrap();
        let env3 = common::env(tmp.path(), &layer.url());
        let st = write_stack(tmp.path(), &cluster("slow", "1s"));
        let err = iac_engine::ops::apply(&st, &env3, plan(&st, &env3).await, 10).await.expect_err("the wait is bounded");
        let text = format!("{err:?}");
        assert!(text.contains("timed out after 1s") && text.contains("cluster slow to become ACTIVE"), "{text}");
    });
}

#[test]
fn addons_and_access_entries_update_in_place_and_are_imported() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour { transition_reads: 1, ..Default::default() }).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let eks = sdk(&layer.url()).await.eks;
        let st = write_stack(tmp.path(), &with_addons("v1.11.1-eksbuild.1", "\"platform-admins\""));
        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 3);
        apply(&st, &env, p).await;
        assert!(changes(&plan(&st, &env).await).is_empty());
        let addon_arn = state_str(&env, "aws_eks_addon.dns", "arn").await;

        let st = write_stack(tmp.path(), &with_addons_and_access("v1.11.3-eksbuild.2", "\"platform-admins\", \"viewers\"", true));
        let up = plan(&st, &env).await;
        assert_eq!(changes(&up), vec!["Update aws_eks_access_entry.admins", "Update aws_eks_addon.dns", "Update aws_eks_cluster.c"]);
        apply(&st, &env, up).await;
        let c = eks.describe_cluster().name("apps").send().await.unwrap().cluster().cloned().unwrap();
        assert!(c.resources_vpc_config().unwrap().endpoint_private_access());
        assert_eq!(c.access_config().and_then(|a| a.authentication_mode()).map(|m| m.as_str()), Some("API_AND_CONFIG_MAP"));
        let configs = layer.exchanges().iter().filter(|x| x.path == "/clusters/apps/update-config").count();
        assert_eq!(configs, 2, "endpoint access and authentication mode are separate updates, as EKS requires");
        let a = eks.describe_addon().cluster_name("apps").addon_name("coredns").send().await.unwrap().addon().cloned().unwrap();
        assert_eq!(a.addon_version(), Some("v1.11.3-eksbuild.2"));
        assert_eq!(a.addon_arn(), Some(addon_arn.as_str()), "updated in place");
        let e = eks
            .describe_access_entry()
            .cluster_name("apps")
            .principal_arn("arn:aws:iam::123456789012:role/admins")
            .send()
            .await
            .unwrap()
            .access_entry()
            .cloned()
            .unwrap();
        let mut groups = e.kubernetes_groups().to_vec();
        groups.sort();
        assert_eq!(groups, ["platform-admins", "viewers"]);
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Deleted by hand: planned again; then forgotten and imported by id.
        eks.delete_access_entry().cluster_name("apps").principal_arn("arn:aws:iam::123456789012:role/admins").send().await.unwrap();
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Create aws_eks_access_entry.admins"]);
        apply(&st, &env, p).await;
        iac_engine::ops::edit_state(&env, "forget", |s| {
            s.resources.remove(&"aws_eks_addon.dns".parse().unwrap());
            Ok(())
        })
        .await
        .unwrap();
        iac_engine::ops::import(&st, &env, "aws_eks_addon.dns".parse().unwrap(), "apps:coredns".into(), Vec::new()).await.unwrap();
        assert_eq!(state_str(&env, "aws_eks_addon.dns", "arn").await, addon_arn);
        let p = plan(&st, &env).await;
        assert!(changes(&p).is_empty(), "the imported add-on matches its configuration: {:?}", changes(&p));

        destroy(&st, &env).await;
        layer.with_state(|s| assert!(s.inventory().is_empty(), "{:?}", s.inventory()));
        let problems = eks_model_problems(&layer);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    });
}

fn eks_model_problems(layer: &iac_eks_sim_layer::Handle) -> Vec<String> {
    let venv = iac_testkit::tools::tools_dir().join("venv");
    let path = iac_eks_sim_layer::contract::find_eks_model(&venv).expect("botocore's EKS model (run scripts/install-tools)");
    iac_eks_sim_layer::contract::Model::load(&path).unwrap().check_all(&layer.exchanges())
}

#[test]
fn throttled_calls_are_retried_by_the_adaptive_retry_mode() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour { transition_reads: 0, throttle_next: 1, ..Default::default() }).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let text = cluster("busy", "10m").replace("max_retries = 2", "max_retries = 5");
        let st = write_stack(tmp.path(), &text);
        apply(&st, &env, plan(&st, &env).await).await;
        let throttled = layer.exchanges().iter().filter(|x| x.status == 429).count();
        assert_eq!(throttled, 1, "the throttled call was retried");
        assert_eq!(state_str(&env, "aws_eks_cluster.c", "status").await, "ACTIVE");
    });
}
