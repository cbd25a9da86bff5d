//! `digitalocean_spaces_bucket` passes the provider conformance suite with
//! its bucket calls going through the S3 API to moto's S3 on 127.0.0.1,
//! standing in for the regions' Spaces endpoints (the provider's
//! `spaces_endpoint`): ACL, versioning, CORS and lifecycle rules change in
//! place, a new region replaces the bucket; `force_destroy` empties a bucket
//! before deleting it, and without it a bucket holding objects is refused.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Replace, Update};
use iac_core::plan::PlanMode;
use iac_testkit::conformance::provider::{run, Case, Step};
use iac_testkit::services::Moto;

fn provider(sim: &str, moto: &str) -> String {
    provider_block(sim).replace(
        "provider \"digitalocean\" {\n",
        &format!("provider \"digitalocean\" {{\n  spaces_access_id  = \"AKSPACESTEST\"\n  spaces_secret_key = \"spaces-secret-test\"\n  spaces_endpoint   = \"{moto}\"\n"),
    )
}

struct B<'a> {
    acl: &'a str,
    days: u32,
    region: &'a str,
}

const FIRST: B = B { acl: "private", days: 30, region: "fra1" };

fn buckets(sim: &str, moto: &str, b: &B) -> String {
    format!(
        r#"{provider}
resource "digitalocean_spaces_bucket" "assets" {{
  name   = "saas-assets"
  region = "{region}"
  acl    = "{acl}"
  versioning {{
    enabled = true
  }}
  cors_rule {{
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://app.saas-example.com"]
    max_age_seconds = 3000
  }}
  lifecycle_rule {{
    prefix  = "tmp/"
    enabled = true
    expiration {{
      days = {days}
    }}
  }}
}}
resource "digitalocean_spaces_bucket" "backups" {{
  name          = "saas-backups"
  region        = "fra1"
  force_destroy = true
  versioning {{
    enabled = true
  }}
  lifecycle_rule {{
    id                                     = "old-versions"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 3
    noncurrent_version_expiration {{
      days = 7
    }}
  }}
}}
"#,
        provider = provider(sim, moto),
        region = b.region,
        acl = b.acl,
        days = b.days,
    )
}

#[test]
fn spaces_buckets_conform_against_moto() {
    let moto = Moto::start();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let (url, s3) = (h.url(), moto.endpoint());
        let case = Case {
            name: "digitalocean spaces".into(),
            steps: vec![
                Step::new(buckets(&url, &s3, &FIRST), &[("digitalocean_spaces_bucket.assets", Create), ("digitalocean_spaces_bucket.backups", Create)]),
                // A public ACL and a longer expiry: in place.
                Step::new(buckets(&url, &s3, &B { acl: "public-read", days: 60, ..FIRST }), &[("digitalocean_spaces_bucket.assets", Update)]),
                // Another region is another bucket.
                Step::new(buckets(&url, &s3, &B { acl: "public-read", days: 60, region: "ams3" }), &[("digitalocean_spaces_bucket.assets", Replace)]),
            ],
            imports: vec![("digitalocean_spaces_bucket.assets".into(), "{region},{name}".into())],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        // Buckets go to Spaces' S3 API, never to the DigitalOcean API.
        assert!(h.exchanges().is_empty(), "bucket calls went to the DigitalOcean API: {:?}", h.exchanges().iter().map(|e| &e.path).collect::<Vec<_>>());
    });
}

async fn put_object(moto: &str, bucket: &str) {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(moto)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("AKSPACESTEST", "spaces-secret-test", None, None, "test"))
        .force_path_style(true)
        .build();
    let c = aws_sdk_s3::Client::from_conf(conf);
    c.put_object().bucket(bucket).key("backup-1.sql").body(aws_sdk_s3::primitives::ByteStream::from_static(b"dump")).send().await.expect("put object");
}

#[test]
fn a_bucket_with_objects_needs_force_destroy() {
    let moto = Moto::start();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let text = |force: bool| format!("{}resource \"digitalocean_spaces_bucket\" \"b\" {{\n  name          = \"full-bucket\"\n  region        = \"nyc3\"\n  force_destroy = {force}\n}}\n", provider(&h.url(), &moto.endpoint()));
        let stack = write_stack(tmp.path(), &text(false));
        let e = env(tmp.path());
        let p = plan(&stack, &e).await;
        apply(&stack, &e, p).await;
        put_object(&moto.endpoint(), "full-bucket").await;
        let d = plan_mode(&stack, &e, PlanMode::Destroy).await.unwrap();
        let err = iac_engine::ops::apply(&stack, &e, d, 4).await.expect_err("a bucket holding objects is not deleted without force_destroy");
        assert!(format!("{err:?}").contains("force_destroy"), "the error says what to do: {err:?}");
        std::fs::write(stack.join("main.tf"), text(true)).unwrap();
        let p = plan(&stack, &e).await;
        assert_eq!(changes(&p), vec!["Update digitalocean_spaces_bucket.b".to_string()]);
        apply(&stack, &e, p).await;
        let d = plan_mode(&stack, &e, PlanMode::Destroy).await.unwrap();
        apply(&stack, &e, d).await;
        let p = plan_mode(&stack, &e, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.changes.iter().all(|c| c.action == iac_core::plan::Action::NoOp), "nothing left: {:?}", changes(&p));
    });
}
