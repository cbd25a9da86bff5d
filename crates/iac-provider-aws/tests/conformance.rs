//! The aws provider's IAM resources pass the provider conformance suite
//! against moto (exact plans, read-back equal to what was written, import,
//! deletion found by refresh, destroy), and its schema is consistent.

mod common;

use common::*;
use iac_core::plan::Action::{Create, Update};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

fn iam(actions: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_iam_role" "app" {{
  name               = "conformance"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
}}
resource "aws_iam_policy" "p" {{
  name   = "conformance"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = {actions}, Resource = "*" }}] }})
  tags = {{
    purpose = "conformance"
  }}
}}
resource "aws_iam_role_policy_attachment" "p" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.p.arn
}}
resource "aws_iam_role_policy" "inline" {{
  role   = aws_iam_role.app.name
  name   = "inline"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = {actions}, Resource = "*" }}] }})
}}
"#
    )
}

#[test]
fn aws_schema_is_consistent() {
    let problems = check_schema(&iac_provider_aws::schema::provider_schema());
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn iam_policies_conform() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let all =
            [("aws_iam_role.app", Create), ("aws_iam_policy.p", Create), ("aws_iam_role_policy_attachment.p", Create), ("aws_iam_role_policy.inline", Create)];
        let case = Case {
            name: "aws iam".into(),
            steps: vec![
                Step::new(iam(r#""ec2:DescribeInstances""#), &all),
                Step::new(iam(r#"["ec2:DescribeInstances", "ec2:DescribeSubnets"]"#), &[("aws_iam_policy.p", Update), ("aws_iam_role_policy.inline", Update)]),
            ],
            // Every object, the role last-deleted: an import records what the
            // object references, so the destroy after it deletes the attachment
            // and the inline policy before the role.
            imports: vec![
                ("aws_iam_role.app".to_string(), "id".to_string()),
                ("aws_iam_policy.p".to_string(), "id".to_string()),
                ("aws_iam_role_policy_attachment.p".to_string(), "id".to_string()),
                ("aws_iam_role_policy.inline".to_string(), "id".to_string()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path(), &moto.endpoint())).await;
        let aws = sdk(&moto.endpoint()).await;
        assert!(aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().is_empty(), "destroy left a policy");
    });
}
