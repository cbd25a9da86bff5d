//! S3 through the engine against moto (behind the EKS layer, which repairs
//! one moto answer): a bucket with versioning, encryption, a public-access
//! block, a lifecycle and a policy compared as JSON; changes by hand are
//! found and undone; `force_destroy` removes a bucket holding object
//! versions; a bucket made elsewhere is imported by name.

use crate::common;

use common::*;
use iac_core::plan::Action;

fn stack(policy: &str, expire_days: u32) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_s3_bucket" "logs" {{
  bucket        = "iac-test-logs"
  force_destroy = true
  tags = {{
    purpose = "logs"
  }}
}}

resource "aws_s3_bucket_versioning" "logs" {{
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {{
  bucket = aws_s3_bucket.logs.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "AES256"
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "logs" {{
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {{
  bucket = aws_s3_bucket.logs.id
  rule {{
    id     = "expire"
    status = "Enabled"
    filter {{
      prefix = "tmp/"
    }}
    expiration {{
      days = {expire_days}
    }}
  }}
}}

resource "aws_s3_bucket_policy" "logs" {{
  bucket = aws_s3_bucket.logs.id
  policy = {policy}
}}
"#
    )
}

const POLICY: &str = r#"jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "Reader", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "s3:GetObject", Resource = "arn:aws:s3:::iac-test-logs/*" }] })"#;
const POLICY_REFORMATTED: &str = "<<EOF\n{\"Statement\": [{\"Resource\": \"arn:aws:s3:::iac-test-logs/*\", \"Action\": [\"s3:GetObject\"], \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Effect\": \"Allow\", \"Sid\": \"Reader\"}],\n \"Version\": \"2012-10-17\"}\nEOF";

#[test]
fn a_bucket_and_its_settings_converge_detect_drift_and_force_destroy() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Default::default()).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let aws = sdk(&layer.url()).await;
        let st = write_stack(tmp.path(), &stack(POLICY, 7));
        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 6, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        let tags = aws.s3.get_bucket_tagging().bucket("iac-test-logs").send().await.unwrap();
        let tags: Vec<(&str, &str)> = tags.tag_set().iter().map(|t| (t.key(), t.value())).collect();
        assert!(tags.contains(&("purpose", "logs")) && tags.contains(&("team", "platform")), "{tags:?}");
        let lc = aws.s3.get_bucket_lifecycle_configuration().bucket("iac-test-logs").send().await.unwrap();
        assert_eq!(lc.rules()[0].expiration().and_then(|e| e.days()), Some(7));
        assert!(changes(&plan(&st, &env).await).is_empty(), "{:?}", changes(&plan(&st, &env).await));

        let st = write_stack(tmp.path(), &stack(POLICY_REFORMATTED, 7));
        assert!(changes(&plan(&st, &env).await).is_empty(), "a reformatted policy is the same policy");
        let st = write_stack(tmp.path(), &stack(POLICY, 30));
        let up = plan(&st, &env).await;
        assert_eq!(changes(&up), vec!["Update aws_s3_bucket_lifecycle_configuration.logs"]);
        apply(&st, &env, up).await;

        // By hand: versioning suspended, the public-access block removed, a tag changed.
        let suspended = aws_sdk_s3::types::VersioningConfiguration::builder().status(aws_sdk_s3::types::BucketVersioningStatus::Suspended).build();
        aws.s3.put_bucket_versioning().bucket("iac-test-logs").versioning_configuration(suspended).send().await.unwrap();
        aws.s3.delete_public_access_block().bucket("iac-test-logs").send().await.unwrap();
        let t =
            aws_sdk_s3::types::Tagging::builder().tag_set(aws_sdk_s3::types::Tag::builder().key("purpose").value("other").build().unwrap()).build().unwrap();
        aws.s3.put_bucket_tagging().bucket("iac-test-logs").tagging(t).send().await.unwrap();
        let drift = plan(&st, &env).await;
        assert_eq!(changes(&drift), vec!["Create aws_s3_bucket_public_access_block.logs", "Update aws_s3_bucket.logs", "Update aws_s3_bucket_versioning.logs"]);
        apply(&st, &env, drift).await;
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Two versions of an object: force_destroy removes them with the bucket.
        for body in ["one", "two"] {
            aws.s3
                .put_object()
                .bucket("iac-test-logs")
                .key("tmp/a.txt")
                .body(aws_sdk_s3::primitives::ByteStream::from_static(body.as_bytes()))
                .send()
                .await
                .unwrap();
        }
        destroy(&st, &env).await;
        assert!(aws.s3.list_buckets().send().await.unwrap().buckets().is_empty());
    });
}

#[test]
fn a_bucket_made_elsewhere_is_imported_by_name() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Default::default()).await.unwrap();
        let aws = sdk(&layer.url()).await;
        aws.s3.create_bucket().bucket("legacy-bucket").send().await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let text = "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\nresource \"aws_s3_bucket\" \"legacy\" {\n  bucket = \"legacy-bucket\"\n}\n";
        let st = write_stack(tmp.path(), text);
        iac_engine::ops::import(&st, &env, "aws_s3_bucket.legacy".parse().unwrap(), "legacy-bucket".into(), Vec::new()).await.unwrap();
        assert_eq!(state_str(&env, "aws_s3_bucket.legacy", "arn").await, "arn:aws:s3:::legacy-bucket");
        let p = plan(&st, &env).await;
        assert!(changes(&p).is_empty(), "{:?}", changes(&p));
    });
}
