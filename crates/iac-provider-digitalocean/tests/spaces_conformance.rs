//! `digitalocean_spaces_bucket`, `_bucket_policy`, `_bucket_cors_configuration`
//! and `_bucket_object` pass the provider conformance suite with their calls
//! going through the S3 API to moto's S3 on 127.0.0.1, standing in for the
//! regions' Spaces endpoints (the provider's `spaces_endpoint`): ACL,
//! versioning, CORS and lifecycle rules change in place, a new region
//! replaces the bucket; `force_destroy` empties a bucket before deleting it,
//! and without it a bucket holding objects is refused. A policy, CORS rules
//! and an object changed in the console are drift the next apply puts back.

use std::collections::BTreeSet;

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

/// An S3 client of moto's, as someone working in the console.
fn s3_client(moto: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(moto)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("AKSPACESTEST", "spaces-secret-test", None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn put_object(moto: &str, bucket: &str) {
    let c = s3_client(moto);
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

/// One version of the stack around a site bucket: its policy, CORS rules and objects.
struct Site<'a> {
    prefix: &'a str,
    max_age: u32,
    upload_rule: bool,
    body: &'a str,
    acl: &'a str,
    logo_key: &'a str,
    /// the policy as a heredoc with its keys in another order (the same document)
    heredoc: bool,
}

const SITE: Site = Site { prefix: "", max_age: 300, upload_rule: false, body: "<h1>v1</h1>", acl: "private", logo_key: "logo.png", heredoc: false };

fn site(sim: &str, moto: &str, s: &Site) -> String {
    let policy = if s.heredoc {
        format!(
            r#"<<-POLICY
  {{
    "Statement": [
      {{
        "Resource": ["arn:aws:s3:::saas-site/{prefix}*"],
        "Action": ["s3:GetObject"],
        "Principal": "*",
        "Effect": "Allow",
        "Sid": "PublicRead"
      }}
    ],
    "Version": "2012-10-17"
  }}
  POLICY"#,
            prefix = s.prefix
        )
    } else {
        format!(
            r#"jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "PublicRead"
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject"]
      Resource  = ["arn:aws:s3:::${{digitalocean_spaces_bucket.site.name}}/{prefix}*"]
    }}]
  }})"#,
            prefix = s.prefix
        )
    };
    let upload = if s.upload_rule {
        r#"
  cors_rule {
    id              = "uploads"
    allowed_headers = ["*"]
    allowed_methods = ["PUT", "POST"]
    allowed_origins = ["https://app.saas-example.com"]
    expose_headers  = ["ETag"]
  }"#
    } else {
        ""
    };
    format!(
        r#"{provider}
resource "digitalocean_spaces_bucket" "site" {{
  name          = "saas-site"
  region        = "fra1"
  force_destroy = true
  versioning {{
    enabled = true
  }}
}}
resource "digitalocean_spaces_bucket_policy" "site" {{
  region = digitalocean_spaces_bucket.site.region
  bucket = digitalocean_spaces_bucket.site.name
  policy = {policy}
}}
resource "digitalocean_spaces_bucket_cors_configuration" "site" {{
  region = digitalocean_spaces_bucket.site.region
  bucket = digitalocean_spaces_bucket.site.name
  cors_rule {{
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://app.saas-example.com"]
    max_age_seconds = {max_age}
  }}{upload}
}}
resource "digitalocean_spaces_bucket_object" "index" {{
  region        = digitalocean_spaces_bucket.site.region
  bucket        = digitalocean_spaces_bucket.site.name
  key           = "index.html"
  content       = "{body}"
  content_type  = "text/html"
  cache_control = "max-age=60"
  acl           = "{acl}"
  metadata = {{
    owner = "web"
  }}
}}
resource "digitalocean_spaces_bucket_object" "logo" {{
  region         = "fra1"
  bucket         = digitalocean_spaces_bucket.site.name
  key            = "{logo_key}"
  content_base64 = "iVBORw0KGgoAAAANSUhEUg=="
}}
"#,
        provider = provider(sim, moto),
        max_age = s.max_age,
        body = s.body,
        acl = s.acl,
        logo_key = s.logo_key,
    )
}

/// A bucket's policy, CORS configuration and objects pass the conformance
/// suite against moto's S3: a new policy, new rules and a new body change
/// in place, an object's ACL alone is put on the object as it is, another
/// key is another object, and the same policy written otherwise is no change.
#[test]
fn bucket_policies_cors_configurations_and_objects_conform_against_moto() {
    let moto = Moto::start();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let (url, s3) = (h.url(), moto.endpoint());
        let edited = Site { prefix: "public/", max_age: 600, upload_rule: true, body: "<h1>v2</h1>", ..SITE };
        let case = Case {
            name: "digitalocean spaces bucket parts".into(),
            steps: vec![
                Step::new(
                    site(&url, &s3, &SITE),
                    &[
                        ("digitalocean_spaces_bucket.site", Create),
                        ("digitalocean_spaces_bucket_policy.site", Create),
                        ("digitalocean_spaces_bucket_cors_configuration.site", Create),
                        ("digitalocean_spaces_bucket_object.index", Create),
                        ("digitalocean_spaces_bucket_object.logo", Create),
                    ],
                ),
                // A new document, new rules and a new body: in place.
                Step::new(
                    site(&url, &s3, &edited),
                    &[
                        ("digitalocean_spaces_bucket_policy.site", Update),
                        ("digitalocean_spaces_bucket_cors_configuration.site", Update),
                        ("digitalocean_spaces_bucket_object.index", Update),
                    ],
                ),
                // An ACL alone is in place; another key is another object.
                Step::new(
                    site(&url, &s3, &Site { acl: "public-read", logo_key: "img/logo.png", ..edited }),
                    &[("digitalocean_spaces_bucket_object.index", Update), ("digitalocean_spaces_bucket_object.logo", Replace)],
                ),
                // The same policy, reformatted with its keys in another order: no change.
                Step::new(site(&url, &s3, &Site { acl: "public-read", logo_key: "img/logo.png", heredoc: true, ..edited }), &[]),
            ],
            // Objects cannot be imported (nor can they upstream).
            imports: vec![
                ("digitalocean_spaces_bucket_policy.site".into(), "{region},{bucket}".into()),
                ("digitalocean_spaces_bucket_cors_configuration.site".into(), "{region},{bucket}".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        assert!(h.exchanges().is_empty(), "bucket calls went to the DigitalOcean API");
    });
}

/// Someone replaces the policy, removes the CORS rules and overwrites the
/// page in the console: a refresh sees each, and the next apply puts back
/// what the configuration says.
#[test]
fn console_edits_of_a_policy_cors_rules_and_an_object_are_put_back() {
    let moto = Moto::start();
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let e = env(tmp.path());
        let st = write_stack(tmp.path(), &site(&h.url(), &moto.endpoint(), &SITE));
        let p = plan(&st, &e).await;
        apply(&st, &e, p).await;
        let c = s3_client(&moto.endpoint());
        let foreign = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Console","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::saas-site/*"]}]}"#;
        c.put_bucket_policy().bucket("saas-site").policy(foreign).send().await.expect("put policy");
        c.delete_bucket_cors().bucket("saas-site").send().await.expect("delete cors");
        c.put_object()
            .bucket("saas-site")
            .key("index.html")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"defaced"))
            .content_type("text/plain")
            .cache_control("no-cache")
            .send()
            .await
            .expect("overwrite");
        let refresh = plan_mode(&st, &e, PlanMode::RefreshOnly).await.unwrap();
        let drift: Vec<String> = refresh.drift.iter().map(|d| format!("{:?} {} {:?}", d.action, d.addr, d.paths.iter().map(|p| p.to_string()).collect::<Vec<_>>())).collect();
        assert!(drift.iter().any(|d| d.starts_with("Update digitalocean_spaces_bucket_policy.site") && d.contains("policy")), "{drift:?}");
        assert!(drift.iter().any(|d| d.starts_with("Delete digitalocean_spaces_bucket_cors_configuration.site")), "{drift:?}");
        assert!(drift.iter().any(|d| d.starts_with("Update digitalocean_spaces_bucket_object.index") && d.contains("cache_control")), "{drift:?}");
        let p = plan(&st, &e).await;
        let planned: BTreeSet<String> = changes(&p).into_iter().collect();
        let expected: BTreeSet<String> = [
            "Update digitalocean_spaces_bucket_object.index",
            "Update digitalocean_spaces_bucket_policy.site",
            "Create digitalocean_spaces_bucket_cors_configuration.site",
        ]
        .into_iter()
        .map(str::to_string)
        .collect();
        assert_eq!(planned, expected);
        apply(&st, &e, p).await;
        let policy = c.get_bucket_policy().bucket("saas-site").send().await.unwrap().policy.unwrap_or_default();
        assert!(policy.contains("PublicRead") && !policy.contains("Deny"), "{policy}");
        assert_eq!(c.get_bucket_cors().bucket("saas-site").send().await.unwrap().cors_rules().len(), 1);
        let page = c.get_object().bucket("saas-site").key("index.html").send().await.unwrap();
        assert_eq!(page.cache_control(), Some("max-age=60"));
        assert_eq!(page.content_type(), Some("text/html"));
        assert_eq!(page.body.collect().await.unwrap().into_bytes().as_ref(), b"<h1>v1</h1>");
        assert!(changes(&plan(&st, &e).await).is_empty(), "put back");
        let d = plan_mode(&st, &e, PlanMode::Destroy).await.unwrap();
        apply(&st, &e, d).await;
    });
}
