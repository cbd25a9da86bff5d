//! IAM permission policies against moto, through the engine: a managed
//! policy (attached to a role) and an inline role policy. A reformatted
//! document is not a change; a changed one becomes a new default version,
//! pruning the oldest non-default one at IAM's limit of five; objects
//! deleted by hand are found and made again; destroy leaves nothing.

use crate::common;

use common::*;

fn stack(policy: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_iam_role" "app" {{
  name               = "app"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
}}

resource "aws_iam_policy" "describe" {{
  name        = "describe"
  path        = "/platform/"
  description = "read-only EC2 discovery"
  policy      = {policy}
  tags = {{
    purpose = "discovery"
  }}
}}

resource "aws_iam_role_policy_attachment" "describe" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.describe.arn
}}

resource "aws_iam_role_policy" "inline" {{
  role   = aws_iam_role.app.name
  name   = "inline"
  policy = {policy}
}}
"#
    )
}

const COMPACT: &str = r#"jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:DescribeInstances", Resource = "*" }] })"#;
/// The same document with other spacing, key order and a one-element list.
const REFORMATTED: &str = "<<EOF\n{\n  \"Statement\": [\n    {\n      \"Resource\": \"*\",\n      \"Action\": [\"ec2:DescribeInstances\"],\n      \"Effect\": \"Allow\"\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}\nEOF";
const OTHER: &str =
    r#"jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["ec2:DescribeInstances", "ec2:DescribeSubnets"], Resource = "*" }] })"#;

fn decoded(doc: &str) -> serde_json::Value {
    serde_json::from_str(&percent_encoding::percent_decode_str(doc).decode_utf8().unwrap()).unwrap()
}

async fn versions(aws: &Sdk, arn: &str) -> (Vec<String>, String) {
    let out = aws.iam.list_policy_versions().policy_arn(arn).send().await.unwrap();
    let mut ids: Vec<String> = out.versions().iter().filter_map(|v| v.version_id().map(str::to_string)).collect();
    ids.sort_by_key(|id| id.trim_start_matches('v').parse::<u32>().unwrap());
    let default = out.versions().iter().find(|v| v.is_default_version()).and_then(|v| v.version_id()).unwrap().to_string();
    (ids, default)
}

#[test]
fn managed_and_inline_policies_converge_version_and_compare_as_json() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let aws = sdk(&moto.endpoint()).await;
        let st = write_stack(tmp.path(), &stack(COMPACT));
        let p = plan(&st, &env).await;
        assert_eq!(
            changes(&p),
            vec![
                "Create aws_iam_policy.describe",
                "Create aws_iam_role.app",
                "Create aws_iam_role_policy.inline",
                "Create aws_iam_role_policy_attachment.describe"
            ]
        );
        apply(&st, &env, p).await;

        let arn = state_str(&env, "aws_iam_policy.describe", "arn").await;
        assert!(arn.ends_with(":policy/platform/describe"), "{arn}");
        assert_eq!(state_str(&env, "aws_iam_policy.describe", "id").await, arn);
        let got = aws.iam.get_policy().policy_arn(&arn).send().await.unwrap();
        let got = got.policy().unwrap();
        assert_eq!(got.description(), Some("read-only EC2 discovery"));
        assert_eq!(Some(state_str(&env, "aws_iam_policy.describe", "policy_id").await.as_str()), got.policy_id());
        let tags = aws.iam.list_policy_tags().policy_arn(&arn).send().await.unwrap();
        for (k, v) in [("purpose", "discovery"), ("team", "platform")] {
            assert!(tags.tags().iter().any(|t| t.key() == k && t.value() == v), "tag {k}={v}: {:?}", tags.tags());
        }
        assert_eq!(versions(&aws, &arn).await, (vec!["v1".to_string()], "v1".to_string()));
        let attached = aws.iam.list_attached_role_policies().role_name("app").send().await.unwrap();
        assert_eq!(attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(), [arn.as_str()]);
        assert_eq!(state_str(&env, "aws_iam_role_policy.inline", "id").await, "app:inline");
        let inline = aws.iam.get_role_policy().role_name("app").policy_name("inline").send().await.unwrap();
        assert_eq!(decoded(inline.policy_document())["Statement"][0]["Action"], "ec2:DescribeInstances");
        assert!(changes(&plan(&st, &env).await).is_empty());

        let st = write_stack(tmp.path(), &stack(REFORMATTED));
        let same = plan(&st, &env).await;
        assert!(changes(&same).is_empty(), "a reformatted policy is the same policy: {:?}", changes(&same));

        // Fill the policy up to IAM's limit with non-default versions made by hand.
        for _ in 0..4 {
            aws.iam
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#)
                .set_as_default(false)
                .send()
                .await
                .unwrap();
        }
        assert!(changes(&plan(&st, &env).await).is_empty(), "non-default versions are not the policy");
        let st = write_stack(tmp.path(), &stack(OTHER));
        let up = plan(&st, &env).await;
        assert_eq!(changes(&up), vec!["Update aws_iam_policy.describe", "Update aws_iam_role_policy.inline"]);
        apply(&st, &env, up).await;
        assert_eq!(
            versions(&aws, &arn).await,
            (["v1", "v3", "v4", "v5", "v6"].map(String::from).to_vec(), "v6".to_string()),
            "v2, the oldest non-default version, is pruned"
        );
        let v6 = aws.iam.get_policy_version().policy_arn(&arn).version_id("v6").send().await.unwrap();
        assert_eq!(
            decoded(v6.policy_version().unwrap().document().unwrap())["Statement"][0]["Action"],
            serde_json::json!(["ec2:DescribeInstances", "ec2:DescribeSubnets"])
        );
        let inline = aws.iam.get_role_policy().role_name("app").policy_name("inline").send().await.unwrap();
        assert_eq!(decoded(inline.policy_document())["Statement"][0]["Action"], serde_json::json!(["ec2:DescribeInstances", "ec2:DescribeSubnets"]));
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Import: a bad id is refused with the form it must take; the right one adopts the object
        // (before the objects are made again below, which records their dependencies again).
        iac_engine::ops::edit_state(&env, "forget", |s| {
            s.resources.remove(&"aws_iam_role_policy.inline".parse().unwrap());
            Ok(())
        })
        .await
        .unwrap();
        let bad = iac_engine::ops::import(&st, &env, "aws_iam_role_policy.inline".parse().unwrap(), "no-colon".into(), Vec::new()).await;
        let bad = format!("{:?}", bad.err());
        assert!(bad.contains("ROLE:NAME"), "{bad}");
        iac_engine::ops::import(&st, &env, "aws_iam_role_policy.inline".parse().unwrap(), "app:inline".into(), Vec::new()).await.unwrap();
        assert!(changes(&plan(&st, &env).await).is_empty());

        // By hand: the inline policy deleted, the managed one detached and deleted.
        aws.iam.delete_role_policy().role_name("app").policy_name("inline").send().await.unwrap();
        aws.iam.detach_role_policy().role_name("app").policy_arn(&arn).send().await.unwrap();
        for v in ["v1", "v3", "v4", "v5"] {
            aws.iam.delete_policy_version().policy_arn(&arn).version_id(v).send().await.unwrap();
        }
        aws.iam.delete_policy().policy_arn(&arn).send().await.unwrap();
        let drift = plan(&st, &env).await;
        assert_eq!(
            changes(&drift),
            vec!["Create aws_iam_policy.describe", "Create aws_iam_role_policy.inline", "Create aws_iam_role_policy_attachment.describe"]
        );
        apply(&st, &env, drift).await;
        assert!(changes(&plan(&st, &env).await).is_empty());

        // A second version so destroy must remove non-default versions first.
        let arn = state_str(&env, "aws_iam_policy.describe", "arn").await;
        aws.iam
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#)
            .set_as_default(false)
            .send()
            .await
            .unwrap();
        destroy(&st, &env).await;
        let left = aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
        assert!(left.policies().is_empty(), "{:?}", left.policies());
        assert!(aws.iam.get_role().role_name("app").send().await.is_err(), "the role is gone");
    });
}
