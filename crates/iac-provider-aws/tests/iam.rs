//! IAM against moto, through the engine: a role whose trust policy is
//! compared as JSON, managed-policy attachments, and an OIDC provider;
//! re-plans are empty, a reformatted policy is not a change, a changed one
//! updates in place, changes by hand are found, destroy leaves nothing.

use crate::common;

use common::*;

fn stack(policy: &str, thumbprint: &str, role_tag: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_iam_role" "cluster" {{
  name               = "eks-cluster"
  assume_role_policy = {policy}
  tags = {{
    role = "{role_tag}"
  }}
}}

resource "aws_iam_role_policy_attachment" "cluster" {{
  for_each   = toset(["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"])
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/${{each.key}}"
}}

resource "aws_iam_openid_connect_provider" "oidc" {{
  url             = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["{thumbprint}"]
}}
"#
    )
}

const COMPACT: &str =
    r#"jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }] })"#;
/// The same policy, written by hand with other spacing, key order and a one-element list.
const REFORMATTED: &str = "<<EOF\n{\n  \"Statement\": [\n    {\n      \"Action\": [\"sts:AssumeRole\"],\n      \"Principal\": {\"Service\": \"eks.amazonaws.com\"},\n      \"Effect\": \"Allow\"\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}\nEOF";
const OTHER: &str =
    r#"jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })"#;

#[test]
fn roles_attachments_and_oidc_providers_converge_and_compare_policies_as_json() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let aws = sdk(&moto.endpoint()).await;
        let st = write_stack(tmp.path(), &stack(COMPACT, "9e99a48a9960b14926bb7f3b02e22da2b0ab7280", "control-plane"));
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p).len(), 4, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        let attached = aws.iam.list_attached_role_policies().role_name("eks-cluster").send().await.unwrap();
        let mut names: Vec<_> = attached.attached_policies().iter().filter_map(|p| p.policy_name()).collect();
        names.sort();
        assert_eq!(names, ["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"]);
        let role = aws.iam.get_role().role_name("eks-cluster").send().await.unwrap();
        assert!(role.role().unwrap().tags().iter().any(|t| t.key() == "team" && t.value() == "platform"));
        assert!(changes(&plan(&st, &env).await).is_empty());

        let st = write_stack(tmp.path(), &stack(REFORMATTED, "9e99a48a9960b14926bb7f3b02e22da2b0ab7280", "control-plane"));
        let same = plan(&st, &env).await;
        assert!(changes(&same).is_empty(), "a reformatted policy is the same policy: {:?}", changes(&same));

        let st = write_stack(tmp.path(), &stack(OTHER, "06b25927c42a721631c1efd9431e648fa62e1e39", "control-plane"));
        let up = plan(&st, &env).await;
        assert_eq!(changes(&up), vec!["Update aws_iam_openid_connect_provider.oidc", "Update aws_iam_role.cluster"]);
        apply(&st, &env, up).await;
        let doc = aws.iam.get_role().role_name("eks-cluster").send().await.unwrap().role().unwrap().assume_role_policy_document().unwrap().to_string();
        let doc = percent_encoding::percent_decode_str(&doc).decode_utf8().unwrap().to_string();
        assert!(doc.contains("ec2.amazonaws.com"), "{doc}");
        let arn = state_str(&env, "aws_iam_openid_connect_provider.oidc", "arn").await;
        let oidc = aws.iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
        assert_eq!(oidc.thumbprint_list(), ["06b25927c42a721631c1efd9431e648fa62e1e39"]);
        assert!(changes(&plan(&st, &env).await).is_empty());

        // By hand: a policy detached and a tag changed.
        aws.iam.detach_role_policy().role_name("eks-cluster").policy_arn("arn:aws:iam::aws:policy/AmazonEKSVPCResourceController").send().await.unwrap();
        aws.iam
            .tag_role()
            .role_name("eks-cluster")
            .tags(aws_sdk_iam::types::Tag::builder().key("role").value("changed").build().unwrap())
            .send()
            .await
            .unwrap();
        let drift = plan(&st, &env).await;
        assert_eq!(changes(&drift), vec!["Create aws_iam_role_policy_attachment.cluster[\"AmazonEKSVPCResourceController\"]", "Update aws_iam_role.cluster"]);
        apply(&st, &env, drift).await;
        assert!(changes(&plan(&st, &env).await).is_empty());

        destroy(&st, &env).await;
        assert!(aws.iam.get_role().role_name("eks-cluster").send().await.is_err(), "the role is gone");
        assert!(aws.iam.list_open_id_connect_providers().send().await.unwrap().open_id_connect_provider_list().is_empty());
    });
}
