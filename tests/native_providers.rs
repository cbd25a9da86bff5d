//! A configuration that names hashicorp's utility providers in
//! `required_providers` (random, null, time, local, external, archive), as
//! real Terraform configurations do, runs on iac's native providers after
//! `iac init`, offline: no plugin to download, no process to start.

use crate::support;

use support::Stack;

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    random   = { source = "hashicorp/random", version = "~> 3.6" }
    null     = { source = "hashicorp/null", version = ">= 3.0" }
    time     = { source = "hashicorp/time" }
    local    = { source = "hashicorp/local", version = "~> 2.5" }
    external = { source = "hashicorp/external" }
    archive  = { source = "hashicorp/archive" }
  }
}

resource "random_pet" "name" {
  length = 2
}

resource "random_password" "db" {
  length  = 20
  special = false
}

resource "time_static" "created" {}

resource "null_resource" "marker" {
  triggers = { name = random_pet.name.id }
}

data "external" "who" {
  program = ["sh", "-c", "printf '{\"user\": \"ci\"}'"]
}

resource "local_file" "note" {
  filename = "${path.module}/out/note.txt"
  content  = "${random_pet.name.id} by ${data.external.who.result.user}\n"
}

data "archive_file" "bundle" {
  type                    = "zip"
  source_content          = "static content"
  source_content_filename = "content.txt"
  output_path             = "${path.module}/out/bundle.zip"
}

output "name" {
  value = random_pet.name.id
}

output "bundle_sha" {
  value = data.archive_file.bundle.output_sha
}

output "created_year" {
  value = time_static.created.year
}
"#;

#[test]
fn hashicorp_utility_providers_run_natively_offline() {
    let mut s = Stack::files("utility", &[("main.tf", MAIN_TF)]);
    // No plugin directories from the machine, and no network: a download
    // attempt would fail through the dead proxy.
    let home = s.root().join("home");
    std::fs::create_dir_all(&home).unwrap();
    s.env.insert("HOME".into(), home.display().to_string());
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        s.env.insert(var.into(), "http://127.0.0.1:9".into());
    }

    let init = s.run(&["init"]);
    init.ok();
    for name in ["random", "null", "time", "local", "external", "archive"] {
        assert!(init.stdout.contains(&format!("provider {name}: built in")), "{name} must be native:\n{}", init.stdout);
    }
    let manifest: serde_json::Value = serde_json::from_str(&s.read(".terraform/iac-providers.json")).expect("the manifest is JSON");
    let providers = manifest["providers"].as_array().expect("providers");
    assert_eq!(providers.len(), 6, "{manifest}");
    assert!(providers.iter().all(|p| p["implementation"] == "native"), "every provider is native: {manifest}");
    assert!(!s.path(".terraform.lock.hcl").exists(), "native providers need no lock entries");

    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);

    let apply = s.run(&["apply", "-auto-approve"]);
    apply.ok();
    let name = s.read("out/note.txt");
    assert!(name.ends_with(" by ci\n") && name.contains('-'), "{name}");
    assert!(s.path("out/bundle.zip").is_file());

    let again = s.run(&["plan", "-detailed-exitcode"]);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let destroy = s.run(&["destroy", "-auto-approve"]);
    destroy.ok();
    assert!(!s.path("out/note.txt").exists(), "local_file's file is deleted");
}
