//! `tls_certificate` against TLS servers the test starts on 127.0.0.1 (a
//! free port), with a chain from a test CA the test generates: the chain
//! the server sends, root first, with the SHA-1 fingerprints EKS stacks use
//! as OIDC thumbprints; chain verification against the system's trust
//! (here `SSL_CERT_FILE`, which Go honours too, naming the test CA); the
//! facts about one certificate given as `content`.
//!
//! This file is its own test binary: it sets `SSL_CERT_FILE` for itself.

mod support;

use std::sync::{Arc, OnceLock};

use iac_core::plan::Action::{Create, Update};
use iac_testkit::conformance::provider::{run, Case, Step};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType, SerialNumber};
use sha1::Digest as _;
use support::{apply, output, rt, stack};

/// A root CA, an intermediate it signs, and a leaf for 127.0.0.1 the
/// intermediate signs: their PEMs and DERs, and a server configuration
/// sending [leaf, intermediate].
struct Chain {
    root_pem: String,
    intermediate_der: Vec<u8>,
    leaf_der: Vec<u8>,
    leaf_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn chain(name: &str) -> Chain {
    let root_key = KeyPair::generate().expect("key");
    let mut root = CertificateParams::default();
    root.distinguished_name.push(DnType::CommonName, format!("{name} root"));
    root.distinguished_name.push(DnType::OrganizationName, "iac test");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).expect("root");
    let root_issuer = rcgen::Issuer::new(root, root_key);

    let mid_key = KeyPair::generate().expect("key");
    let mut mid = CertificateParams::default();
    mid.distinguished_name.push(DnType::CommonName, format!("{name} intermediate"));
    mid.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    mid.serial_number = Some(SerialNumber::from(vec![0x01, 0x02, 0x03]));
    let mid_cert = mid.signed_by(&mid_key, &root_issuer).expect("intermediate");
    let mid_issuer = rcgen::Issuer::new(mid, mid_key);

    let leaf_key = KeyPair::generate().expect("key");
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name.push(DnType::OrganizationName, "iac test, servers");
    leaf.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    leaf.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]))];
    leaf.serial_number = Some(SerialNumber::from(vec![0x00, 0xff, 0x10]));
    leaf.not_before = rcgen::date_time_ymd(2024, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2099, 12, 31);
    let leaf_cert = leaf.signed_by(&leaf_key, &mid_issuer).expect("leaf");

    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("a private key");
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone(), mid_cert.der().clone()], key)
        .expect("server configuration");
    Chain {
        root_pem: root_cert.pem(),
        intermediate_der: mid_cert.der().to_vec(),
        leaf_der: leaf_cert.der().to_vec(),
        leaf_pem: leaf_cert.pem(),
        server: Arc::new(server),
    }
}

/// A TLS server on 127.0.0.1 that completes handshakes; its port.
fn serve(config: Arc<rustls::ServerConfig>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                tokio::spawn(async move {
                    if let Ok(mut s) = acceptor.accept(stream).await {
                        let mut buf = [0u8; 1024];
                        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
                    }
                });
            }
        });
    });
    port
}

fn sha1_hex(der: &[u8]) -> String {
    sha1::Sha1::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// The trusted chain every test here serves; the system trust
/// (`SSL_CERT_FILE`) is its root.
fn trusted() -> &'static (Chain, u16) {
    static CELL: OnceLock<(Chain, u16)> = OnceLock::new();
    CELL.get_or_init(|| {
        let c = chain("trusted");
        let dir = std::env::temp_dir().join(format!("iac-tls-certificate-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let roots = dir.join("roots.pem");
        std::fs::write(&roots, &c.root_pem).expect("roots");
        // Before any provider reads the system's trust (this binary only).
        std::env::set_var("SSL_CERT_FILE", &roots);
        std::env::remove_var("SSL_CERT_DIR");
        let port = serve(c.server.clone());
        (c, port)
    })
}

#[test]
fn chain_is_reported_root_first_with_sha1_fingerprints() {
    let (c, port) = trusted();
    let (_tmp, dir, env) = stack();
    let main = format!(
        r#"
data "tls_certificate" "https" {{
  url          = "https://127.0.0.1:{port}"
  verify_chain = false
}}
data "tls_certificate" "tls" {{
  url          = "tls://127.0.0.1:{port}"
  verify_chain = false
}}
data "tls_certificate" "verified" {{
  url = "https://127.0.0.1:{port}/.well-known/openid-configuration"
}}
output "https" {{
  value = [for c in data.tls_certificate.https.certificates : c.sha1_fingerprint]
}}
output "tls" {{
  value = [for c in data.tls_certificate.tls.certificates : c.sha1_fingerprint]
}}
output "verified" {{
  value = data.tls_certificate.verified
}}
output "ids" {{
  value = [data.tls_certificate.https.id, data.tls_certificate.tls.id]
}}
"#
    );
    let state = rt().block_on(apply(&dir, &env, &main)).expect("apply");
    let want = serde_json::json!([sha1_hex(&c.intermediate_der), sha1_hex(&c.leaf_der)]);
    assert_eq!(output(&state, "https"), want, "the chain as sent, reversed: the top of the chain first");
    assert_eq!(output(&state, "tls"), want);
    let verified = output(&state, "verified");
    assert_eq!(verified["verify_chain"], true, "the default, stored as upstream stores it");
    let certs = verified["certificates"].as_array().expect("a list");
    assert_eq!(certs.len(), 2);
    let (mid, leaf) = (&certs[0], &certs[1]);
    assert_eq!(mid["sha1_fingerprint"], want[0]);
    assert_eq!(mid["subject"], "CN=trusted intermediate");
    assert_eq!(mid["issuer"], "CN=trusted root,O=iac test");
    assert_eq!(mid["is_ca"], true);
    assert_eq!(mid["max_path_length"], 0);
    assert_eq!(mid["serial_number"], "66051");
    assert_eq!(leaf["subject"], "CN=127.0.0.1,O=iac test\\, servers", "Go's Name.String: CN first, commas escaped");
    assert_eq!(leaf["is_ca"], false);
    assert_eq!(leaf["max_path_length"], 0, "no basic constraints: Go's zero");
    assert_eq!(leaf["version"], 3);
    assert_eq!(leaf["serial_number"], "65296");
    assert_eq!(leaf["signature_algorithm"], "ECDSA-SHA256");
    assert_eq!(leaf["public_key_algorithm"], "ECDSA");
    assert_eq!(leaf["not_before"], "2024-01-01T00:00:00Z");
    assert_eq!(leaf["not_after"], "2099-12-31T00:00:00Z");
    assert_eq!(leaf["cert_pem"].as_str().map(str::trim), Some(c.leaf_pem.trim()));
    let ids = output(&state, "ids");
    assert_eq!(ids[0], ids[1], "the id hashes the certificates");
    assert_eq!(ids[0].as_str().map(str::len), Some(40));
}

#[test]
fn content_is_one_certificate() {
    let (c, _) = trusted();
    let (_tmp, dir, env) = stack();
    let pem = format!("{}{}", c.leaf_pem, c.root_pem).replace('\n', "\\n");
    let main = format!("data \"tls_certificate\" \"x\" {{\n  content = \"{pem}\"\n}}\noutput \"x\" {{\n  value = data.tls_certificate.x.certificates\n}}\n");
    let state = rt().block_on(apply(&dir, &env, &main)).expect("apply");
    let certs = output(&state, "x");
    assert_eq!(certs.as_array().map(Vec::len), Some(1), "only the first block, as upstream");
    assert_eq!(certs[0]["sha1_fingerprint"], sha1_hex(&c.leaf_der));

    let (_tmp, dir, env) = stack();
    let main = format!("data \"tls_certificate\" \"x\" {{\n  content      = \"{pem}\"\n  verify_chain = true\n}}\n");
    let err = rt().block_on(apply(&dir, &env, &main)).expect_err("verify_chain conflicts with content");
    assert!(err.contains("\\\"verify_chain\\\" cannot be specified when \\\"content\\\" is specified") || err.contains("cannot be specified when"), "{err}");
}

#[test]
fn an_untrusted_chain_fails_verification() {
    trusted();
    let other = chain("untrusted");
    let port = serve(other.server.clone());
    let (_tmp, dir, env) = stack();
    let main = format!("data \"tls_certificate\" \"x\" {{\n  url = \"https://127.0.0.1:{port}\"\n}}\n");
    let err = rt().block_on(apply(&dir, &env, &main)).expect_err("an unknown issuer");
    assert!(err.contains("Failed to identify fetch peer certificates") && err.contains("UnknownIssuer"), "{err}");
    let (_tmp, dir, env) = stack();
    let main = format!("data \"tls_certificate\" \"x\" {{\n  url          = \"https://127.0.0.1:{port}\"\n  verify_chain = false\n}}\noutput \"n\" {{\n  value = length(data.tls_certificate.x.certificates)\n}}\n");
    let state = rt().block_on(apply(&dir, &env, &main)).expect("no verification asked");
    assert_eq!(output(&state, "n"), 2);
}

#[test]
fn oidc_thumbprint_conforms() {
    let (c, port) = trusted();
    let other = chain("other");
    let other_port = serve(other.server.clone());
    let (_tmp, dir, env) = stack();
    let config = |url: &str| {
        format!(
            "data \"tls_certificate\" \"oidc\" {{\n  url          = \"{url}\"\n  verify_chain = false\n}}\nresource \"terraform_data\" \"provider\" {{\n  input = [data.tls_certificate.oidc.certificates[0].sha1_fingerprint]\n}}\n"
        )
    };
    let case = Case {
        name: "tls_certificate thumbprint".into(),
        steps: vec![
            Step::new(config(&format!("https://127.0.0.1:{port}/id")), &[("terraform_data.provider", Create)]),
            // The same chain by another URL: the same thumbprint, no change.
            Step::new(config(&format!("tls://127.0.0.1:{port}")), &[]),
            Step::new(config(&format!("https://127.0.0.1:{other_port}/id")), &[("terraform_data.provider", Update)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
    assert_ne!(sha1_hex(&c.intermediate_der), sha1_hex(&other.intermediate_der));
}

/// An HTTP proxy on 127.0.0.1 that serves CONNECT; the targets it was asked for.
fn connect_proxy() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let seen: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((mut client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let target = text.split(' ').nth(1).unwrap_or_default().to_string();
                    log.lock().expect("log").push(format!("{} auth={}", target, text.contains("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=")));
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else { return };
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
    });
    (port, seen)
}

#[test]
fn https_goes_through_the_configured_proxy() {
    let (c, port) = trusted();
    let (proxy_port, seen) = connect_proxy();
    let (_tmp, dir, env) = stack();
    let main = format!(
        "provider \"tls\" {{\n  proxy {{\n    url      = \"http://127.0.0.1:{proxy_port}\"\n    username = \"user\"\n    password = \"secret\"\n  }}\n}}\ndata \"tls_certificate\" \"x\" {{\n  url = \"https://127.0.0.1:{port}\"\n}}\noutput \"fp\" {{\n  value = data.tls_certificate.x.certificates[1].sha1_fingerprint\n}}\n"
    );
    let state = rt().block_on(apply(&dir, &env, &main)).expect("apply through the proxy");
    assert_eq!(output(&state, "fp"), sha1_hex(&c.leaf_der));
    assert_eq!(*seen.lock().expect("log"), vec![format!("127.0.0.1:{port} auth=true")], "one CONNECT, with Basic credentials");
}
