//! Upstream's own test data (`fixtures/upstream`, from the plugin's
//! `internal/provider/fixtures`) with the values upstream's acceptance tests
//! expect from it: the public key attributes of a known key, the facts
//! `tls_certificate` reports about a known certificate, and a certificate
//! signed from a known request by a known CA.

use crate::support;

use std::path::Path;

use support::{apply, attrs, output, rt, stack};
use x509_parser::prelude::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream").join(name)).expect("fixture")
}

fn with_fixtures(dir: &Path) {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream")).expect("fixtures") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn public_key_of_a_known_key() {
    let (_tmp, dir, env) = stack();
    with_fixtures(&dir);
    let main = r#"
data "tls_public_key" "pem" {
  private_key_pem = file("${path.module}/private_key.pem")
}
data "tls_public_key" "openssh" {
  private_key_openssh = file("${path.module}/private_key_openssh.pem")
}
output "pem" {
  value     = data.tls_public_key.pem
  sensitive = true
}
output "openssh" {
  value     = data.tls_public_key.openssh
  sensitive = true
}
"#;
    let state = rt().block_on(apply(&dir, &env, main)).expect("apply");
    let fingerprints = fixture("public_key_fingerprints.txt");
    let (md5, sha256) = fingerprints.trim().split_once('\n').expect("two lines");
    for name in ["pem", "openssh"] {
        let o = output(&state, name);
        assert_eq!(o["algorithm"], "RSA", "{name}");
        assert_eq!(o["public_key_pem"], fixture("public_key.pem"), "{name}");
        assert_eq!(o["public_key_openssh"], fixture("public_key_openssh.txt"), "{name}");
        assert_eq!(o["public_key_fingerprint_md5"], md5, "{name}");
        assert_eq!(o["public_key_fingerprint_sha256"], sha256, "{name}");
    }
}

#[test]
fn facts_about_a_known_certificate() {
    let (_tmp, dir, env) = stack();
    with_fixtures(&dir);
    let main = "data \"tls_certificate\" \"test\" {\n  content = file(\"${path.module}/certificate.pem\")\n}\noutput \"c\" {\n  value = data.tls_certificate.test.certificates\n}\n";
    let state = rt().block_on(apply(&dir, &env, main)).expect("apply");
    let certs = output(&state, "c");
    assert_eq!(certs.as_array().map(Vec::len), Some(1));
    let c = &certs[0];
    assert_eq!(c["signature_algorithm"], "SHA256-RSA");
    assert_eq!(c["public_key_algorithm"], "RSA");
    assert_eq!(c["serial_number"], "266244246501122064554217434340898012243");
    assert_eq!(c["is_ca"], false);
    assert_eq!(c["max_path_length"], -1);
    assert_eq!(c["version"], 3);
    assert_eq!(c["issuer"], "CN=Root CA,O=Test Org,L=Here");
    assert_eq!(c["subject"], "CN=Child Cert,O=Child Co.,L=Everywhere");
    assert_eq!(c["not_before"], "2019-11-08T09:01:36Z");
    assert_eq!(c["not_after"], "2019-11-08T19:01:36Z");
    assert_eq!(c["sha1_fingerprint"], "61b65624427d75b61169100836904e44364df817");
    assert_eq!(c["cert_pem"], fixture("certificate.pem"));
}

#[test]
fn a_known_request_signed_by_a_known_ca() {
    let (_tmp, dir, env) = stack();
    with_fixtures(&dir);
    let main = r#"
resource "tls_locally_signed_cert" "test" {
  cert_request_pem      = file("${path.module}/cert_request.pem")
  ca_cert_pem           = file("${path.module}/ca_cert.pem")
  ca_private_key_pem    = file("${path.module}/ca_private_key.pem")
  validity_period_hours = 1
  early_renewal_hours   = 0
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth", "client_auth"]
}
data "tls_certificate" "read" {
  content = tls_locally_signed_cert.test.cert_pem
}
output "read" {
  value = data.tls_certificate.read.certificates[0]
}
"#;
    let state = rt().block_on(apply(&dir, &env, main)).expect("apply");
    let read = output(&state, "read");
    assert_eq!(read["subject"], "SERIALNUMBER=2,CN=example.com,OU=Department of Terraform Testing,O=Example\\, Inc,POSTALCODE=95559-1227,STREET=5879 Cotton Link,L=Pirate Harbor,ST=CA,C=US");
    assert_eq!(read["issuer"], "CN=root,OU=Department of CA Testing,O=Example\\, Inc,L=Pirate Harbor,ST=CA,C=US");
    assert_eq!(read["is_ca"], false);
    assert_eq!(read["signature_algorithm"], "SHA256-RSA", "signed with the CA's RSA key");
    let cert_attrs = attrs(&state, "tls_locally_signed_cert.test");
    assert_eq!(cert_attrs["ca_key_algorithm"], "RSA");
    assert_eq!(cert_attrs["ready_for_renewal"], false);

    let pem_text = cert_attrs["cert_pem"].as_str().expect("cert_pem").to_string();
    let (_, pem) = parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    let cert = pem.parse_x509().expect("a certificate");
    let (_, ca_pem) = parse_x509_pem(fixture("ca_cert.pem").as_bytes()).expect("CA PEM");
    let ca = ca_pem.parse_x509().expect("the CA");
    // The CA key has 1024 bits, which the usual verifiers refuse: the
    // PKCS #1 v1.5 check by hand.
    let x509_parser::public_key::PublicKey::RSA(ca_key) = ca.public_key().parsed().expect("the CA's key") else { panic!("an RSA CA") };
    let ca_key = rsa::RsaPublicKey::new(rsa::BigUint::from_bytes_be(ca_key.modulus), rsa::BigUint::from_bytes_be(ca_key.exponent)).expect("RSA key");
    let mut digest_info = vec![0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    digest_info.extend(<sha2::Sha256 as sha2::Digest>::digest(cert.tbs_certificate.as_ref()));
    ca_key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info, &cert.signature_value.data).expect("signed by the CA");
    assert_eq!(cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp(), 3600, "one hour");
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    let mut uris = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for n in &san.general_names {
                    match n {
                        GeneralName::DNSName(d) => dns.push(d.to_string()),
                        GeneralName::IPAddress(ip) => ips.push(ip.to_vec()),
                        GeneralName::URI(u) => uris.push(u.to_string()),
                        _ => {}
                    }
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(akid) => {
                assert_eq!(
                    akid.key_identifier.as_ref().map(|k| k.0.to_vec()),
                    Some(vec![242, 39, 231, 129, 23, 93, 231, 171, 243, 171, 29, 48, 45, 93, 12, 82, 97, 100, 255, 81]),
                    "the CA's key id"
                );
            }
            ParsedExtension::KeyUsage(ku) => {
                assert!(ku.digital_signature() && ku.key_encipherment() && !ku.key_cert_sign(), "{ku:?}");
                assert!(ext.critical);
            }
            ParsedExtension::ExtendedKeyUsage(eku) => assert!(eku.server_auth && eku.client_auth && !eku.code_signing, "{eku:?}"),
            ParsedExtension::BasicConstraints(bc) => assert!(!bc.ca && ext.critical),
            _ => {}
        }
    }
    assert_eq!(dns, vec!["example.com", "example.net"]);
    assert_eq!(ips, vec![vec![127, 0, 0, 1], vec![127, 0, 0, 2]]);
    assert_eq!(uris, vec!["spiffe://example-trust-domain/workload", "spiffe://example-trust-domain/workload2"]);
}
