//! The `tls` resources and `tls_public_key` pass the provider conformance
//! suite (create, edits with their exact plans, destroy; upstream imports
//! none of them), and what they store is what upstream stores: the
//! encodings, the certificate contents, renewal.

use crate::support;

use iac_core::plan::Action::{Create, Replace, Update};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};
use support::{apply, attrs, output, plan_changes, rt, stack};

#[test]
fn schema_is_consistent() {
    let f = iac_provider_tls::factory();
    let problems = check_schema(f.schema());
    assert!(problems.is_empty(), "{problems:?}");
    let s = f.schema();
    assert_eq!(s.resources["tls_private_key"].version, 1, "upstream's schema version, so state moves as it is");
    assert!(s.resources["tls_private_key"].block.attributes["private_key_pem"].sensitive);
    assert!(!s.resources["tls_private_key"].block.attributes["public_key_pem"].sensitive);
    assert!(s.resources["tls_self_signed_cert"].block.attributes["private_key_pem"].sensitive);
    assert!(s.resources["tls_locally_signed_cert"].block.attributes["ca_private_key_pem"].sensitive);
    assert!(s.data_sources["tls_public_key"].block.attributes["private_key_openssh"].sensitive);
}

#[test]
fn private_key_conforms() {
    let (_tmp, dir, env) = stack();
    let config = |curve: &str, ed_trigger: &str| {
        format!(
            r#"
resource "tls_private_key" "rsa" {{
  algorithm = "RSA"
}}
resource "tls_private_key" "ec" {{
  algorithm   = "ECDSA"
  ecdsa_curve = "{curve}"
}}
resource "tls_private_key" "p224" {{
  algorithm = "ECDSA"
}}
resource "tls_private_key" "ed" {{
  algorithm = "ED25519"
}}
resource "terraform_data" "authorized_keys" {{
  input = [tls_private_key.ec.public_key_openssh, tls_private_key.ed.public_key_openssh, "{ed_trigger}"]
}}
"#
        )
    };
    let case = Case {
        name: "tls_private_key".into(),
        steps: vec![
            Step::new(
                config("P256", "a"),
                &[
                    ("tls_private_key.rsa", Create),
                    ("tls_private_key.ec", Create),
                    ("tls_private_key.p224", Create),
                    ("tls_private_key.ed", Create),
                    ("terraform_data.authorized_keys", Create),
                ],
            ),
            // A new curve is a new key; what used its public key changes.
            Step::new(config("P384", "a"), &[("tls_private_key.ec", Replace), ("terraform_data.authorized_keys", Update)]),
            Step::new(config("P521", "a"), &[("tls_private_key.ec", Replace), ("terraform_data.authorized_keys", Update)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}

#[test]
fn private_keys_store_what_upstream_stores() {
    let (_tmp, dir, env) = stack();
    let main = r#"
resource "tls_private_key" "rsa" {
  algorithm = "RSA"
}
resource "tls_private_key" "p224" {
  algorithm = "ECDSA"
}
resource "tls_private_key" "ed" {
  algorithm = "ED25519"
}
data "tls_public_key" "from_pem" {
  private_key_pem = tls_private_key.rsa.private_key_pem
}
data "tls_public_key" "from_openssh" {
  private_key_openssh = tls_private_key.ed.private_key_openssh
}
output "from_pem" {
  value     = data.tls_public_key.from_pem
  sensitive = true
}
output "from_openssh" {
  value     = data.tls_public_key.from_openssh
  sensitive = true
}
"#;
    let state = rt().block_on(apply(&dir, &env, main)).expect("apply");
    let rsa = attrs(&state, "tls_private_key.rsa");
    assert_eq!(rsa["rsa_bits"], 2048, "the default");
    assert_eq!(rsa["ecdsa_curve"], "P224", "the default, stored even for RSA");
    assert!(rsa["private_key_pem"].as_str().unwrap_or_default().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(rsa["private_key_pem_pkcs8"].as_str().unwrap_or_default().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(rsa["private_key_openssh"].as_str().unwrap_or_default().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    assert!(rsa["public_key_pem"].as_str().unwrap_or_default().ends_with("-----END PUBLIC KEY-----\n"));
    assert!(rsa["public_key_openssh"].as_str().unwrap_or_default().starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
    assert!(rsa["public_key_openssh"].as_str().unwrap_or_default().ends_with('\n'), "Go's MarshalAuthorizedKey ends the line");
    assert_eq!(rsa["public_key_fingerprint_md5"].as_str().unwrap_or_default().split(':').count(), 16);
    assert!(rsa["public_key_fingerprint_sha256"].as_str().unwrap_or_default().starts_with("SHA256:"));
    assert_eq!(rsa["id"].as_str().unwrap_or_default().len(), 40, "hex SHA-1 of the public key");

    let p224 = attrs(&state, "tls_private_key.p224");
    assert!(p224["private_key_pem"].as_str().unwrap_or_default().starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    for k in ["private_key_openssh", "public_key_openssh", "public_key_fingerprint_md5", "public_key_fingerprint_sha256"] {
        assert_eq!(p224[k], "", "{k}: SSH has no P-224, upstream stores empty strings");
    }
    let ed = attrs(&state, "tls_private_key.ed");
    assert!(ed["private_key_pem"].as_str().unwrap_or_default().starts_with("-----BEGIN PRIVATE KEY-----\n"), "Ed25519 keys are PKCS#8");
    assert_eq!(ed["private_key_pem"], ed["private_key_pem_pkcs8"]);

    let from_pem = output(&state, "from_pem");
    for k in ["public_key_pem", "public_key_openssh", "public_key_fingerprint_md5", "public_key_fingerprint_sha256", "id"] {
        assert_eq!(from_pem[k], rsa[k], "{k}");
    }
    assert_eq!(from_pem["algorithm"], "RSA");
    let from_openssh = output(&state, "from_openssh");
    assert_eq!(from_openssh["public_key_openssh"], ed["public_key_openssh"]);
    assert_eq!(from_openssh["algorithm"], "ED25519");
    // What was generated reads back through the provider, as upstream's
    // state would (the sensitive values stay out of outputs).
    assert!(state.resources.values().all(|i| i.schema_version == 0 || i.schema_version == 1));
}

fn certificates(validity: u32, early: u32, dns: &str, algorithm: &str) -> String {
    format!(
        r#"
resource "tls_private_key" "ca" {{
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}}
resource "tls_self_signed_cert" "ca" {{
  private_key_pem = tls_private_key.ca.private_key_pem
  subject {{
    common_name  = "Example CA"
    organization = "ACME Examples, Inc"
  }}
  validity_period_hours = 87600
  is_ca_certificate     = true
  allowed_uses          = ["cert_signing", "crl_signing"]
}}
resource "tls_private_key" "leaf" {{
  algorithm = "{algorithm}"
}}
resource "tls_cert_request" "leaf" {{
  private_key_pem = tls_private_key.leaf.private_key_pem
  dns_names       = ["{dns}"]
  ip_addresses    = ["127.0.0.1"]
  subject {{
    common_name = "{dns}"
  }}
}}
resource "tls_locally_signed_cert" "leaf" {{
  cert_request_pem      = tls_cert_request.leaf.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = {validity}
  early_renewal_hours   = {early}
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
}}
"#
    )
}

#[test]
fn certificates_conform() {
    let (_tmp, dir, env) = stack();
    let all_new = [
        ("tls_private_key.ca", Create),
        ("tls_self_signed_cert.ca", Create),
        ("tls_private_key.leaf", Create),
        ("tls_cert_request.leaf", Create),
        ("tls_locally_signed_cert.leaf", Create),
    ];
    let case = Case {
        name: "tls certificates".into(),
        steps: vec![
            Step::new(certificates(24, 2, "app.example.com", "ED25519"), &all_new),
            // early_renewal_hours changes in place, as upstream.
            Step::new(certificates(24, 3, "app.example.com", "ED25519"), &[("tls_locally_signed_cert.leaf", Update)]),
            Step::new(certificates(48, 3, "app.example.com", "ED25519"), &[("tls_locally_signed_cert.leaf", Replace)]),
            // A new request (other names) means a new certificate.
            Step::new(certificates(48, 3, "api.example.com", "ED25519"), &[("tls_cert_request.leaf", Replace), ("tls_locally_signed_cert.leaf", Replace)]),
            // A new key means a new request and certificate.
            Step::new(
                certificates(48, 3, "api.example.com", "RSA"),
                &[("tls_private_key.leaf", Replace), ("tls_cert_request.leaf", Replace), ("tls_locally_signed_cert.leaf", Replace)],
            ),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}

#[test]
fn self_signed_cert_conforms() {
    let (_tmp, dir, env) = stack();
    let config = |early: u32, org: &str| {
        format!(
            r#"
resource "tls_private_key" "example" {{
  algorithm = "RSA"
}}
resource "tls_self_signed_cert" "example" {{
  private_key_pem       = tls_private_key.example.private_key_pem
  validity_period_hours = 12
  early_renewal_hours   = {early}
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
  dns_names             = ["example.com", "example.net"]
  set_subject_key_id    = true
  subject {{
    common_name  = "example.com"
    organization = "{org}"
  }}
}}
"#
        )
    };
    let case = Case {
        name: "tls_self_signed_cert".into(),
        steps: vec![
            Step::new(config(3, "ACME Examples, Inc"), &[("tls_private_key.example", Create), ("tls_self_signed_cert.example", Create)]),
            Step::new(config(4, "ACME Examples, Inc"), &[("tls_self_signed_cert.example", Update)]),
            Step::new(config(4, "ACME Examples, Ltd"), &[("tls_self_signed_cert.example", Replace)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}

#[test]
fn certificates_store_what_upstream_stores() {
    let (_tmp, dir, env) = stack();
    let state = rt().block_on(apply(&dir, &env, &certificates(24, 2, "app.example.com", "RSA"))).expect("apply");
    let ca = attrs(&state, "tls_self_signed_cert.ca");
    assert_eq!(ca["key_algorithm"], "ECDSA");
    assert_eq!(ca["ready_for_renewal"], false);
    assert_eq!(ca["early_renewal_hours"], 0, "the default");
    assert_eq!(ca["set_subject_key_id"], false);
    assert_eq!(ca["max_path_length"], serde_json::Value::Null, "unset stays null, as upstream");
    let start = ca["validity_start_time"].as_str().unwrap_or_default();
    let end = ca["validity_end_time"].as_str().unwrap_or_default();
    assert!(start.ends_with('Z') && start.len() >= 20 && end > start, "{start} {end}");
    assert!(ca["id"].as_str().unwrap_or_default().chars().all(|c| c.is_ascii_digit()), "the serial number, in decimal");
    let leaf = attrs(&state, "tls_locally_signed_cert.leaf");
    assert_eq!(leaf["ca_key_algorithm"], "ECDSA");
    let csr = attrs(&state, "tls_cert_request.leaf");
    assert_eq!(csr["key_algorithm"], "RSA");
    assert!(csr["cert_request_pem"].as_str().unwrap_or_default().starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert_eq!(csr["id"].as_str().unwrap_or_default().len(), 40);
    if let Ok(out) = std::env::var("IAC_TLS_DUMP") {
        // For checking with openssl while developing.
        std::fs::write(format!("{out}/ca.pem"), ca["cert_pem"].as_str().unwrap_or_default()).expect("dump");
        std::fs::write(format!("{out}/leaf.pem"), leaf["cert_pem"].as_str().unwrap_or_default()).expect("dump");
        std::fs::write(format!("{out}/csr.pem"), csr["cert_request_pem"].as_str().unwrap_or_default()).expect("dump");
        let key = attrs(&state, "tls_private_key.leaf");
        for k in ["private_key_pem", "private_key_pem_pkcs8", "private_key_openssh", "public_key_openssh", "public_key_pem"] {
            std::fs::write(format!("{out}/leaf.{k}"), key[k].as_str().unwrap_or_default()).expect("dump");
        }
        std::fs::write(format!("{out}/leaf.fingerprints"), format!("{}\n{}\n", key["public_key_fingerprint_md5"], key["public_key_fingerprint_sha256"]))
            .expect("dump");
    }
}

#[test]
fn certificates_due_for_renewal_are_replaced() {
    let rt = rt();
    let (_tmp, dir, env) = stack();
    let main = |validity: u32, early: u32| {
        format!(
            "resource \"tls_private_key\" \"k\" {{\n  algorithm = \"ED25519\"\n}}\nresource \"tls_self_signed_cert\" \"c\" {{\n  private_key_pem       = tls_private_key.k.private_key_pem\n  validity_period_hours = {validity}\n  early_renewal_hours   = {early}\n  allowed_uses          = [\"digital_signature\"]\n  subject {{\n    common_name = \"renew.example.com\"\n  }}\n}}\n"
        )
    };
    // Renewal covering the whole validity: ready at once, as upstream.
    let state = rt.block_on(apply(&dir, &env, &main(2, 2))).expect("apply");
    assert_eq!(attrs(&state, "tls_self_signed_cert.c")["ready_for_renewal"], true);
    let changes = rt.block_on(plan_changes(&dir, &env, &main(2, 2))).expect("plan");
    assert_eq!(changes, vec!["Replace tls_self_signed_cert.c".to_string()], "a certificate due for renewal is replaced");
    // Shortening the early renewal period is an in-place change, and then
    // the certificate is no longer due.
    rt.block_on(apply(&dir, &env, &main(2, 0))).expect("apply");
    let changes = rt.block_on(plan_changes(&dir, &env, &main(2, 0))).expect("plan");
    assert!(changes.is_empty(), "{changes:?}");
    let err = rt.block_on(apply(&dir, &env, &main(2, 0).replace("\"digital_signature\"", "\"fly\""))).expect_err("an unknown use is refused");
    assert!(err.contains("value must be one of"), "{err}");
}

#[test]
fn certificate_authorities_need_a_subject() {
    let (_tmp, dir, env) = stack();
    let main = "resource \"tls_private_key\" \"k\" {\n  algorithm = \"ED25519\"\n}\nresource \"tls_self_signed_cert\" \"c\" {\n  private_key_pem       = tls_private_key.k.private_key_pem\n  validity_period_hours = 1\n  is_ca_certificate     = true\n  allowed_uses          = [\"cert_signing\"]\n}\n";
    let err = rt().block_on(apply(&dir, &env, main)).expect_err("a CA without a subject");
    assert!(err.contains("Must contain at least one Distinguished Name when creating Certificate Authority (CA)"), "{err}");
}

#[test]
fn imports_are_refused_as_upstream() {
    let rt = rt();
    let (_tmp, dir, env) = stack();
    std::fs::write(dir.join("main.tf"), "resource \"tls_private_key\" \"k\" {\n  algorithm = \"ED25519\"\n}\n").expect("write");
    let addr = "tls_private_key.k".parse().expect("address");
    let err = rt.block_on(iac_engine::ops::import(&dir, &env, addr, "anything".into(), Vec::new())).expect_err("no import");
    assert!(format!("{err:?}").contains("does not support import"), "{err:?}");
}
