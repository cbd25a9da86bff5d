//! The `tls_certificate` data source: the certificates a server presents
//! (`url`, `https://` through the provider's proxy or `tls://` directly),
//! root of the chain first, or the one certificate `content` holds, with
//! the facts upstream reports about each (SHA-1 fingerprint, names in Go's
//! form, Go's algorithm names).

use std::sync::Arc;
use std::time::Duration;

use iac_provider_sdk::prelude::*;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::keys::hash_for_state;
use crate::timefmt;
use crate::x509::Certificate;
use crate::{Error, Proxy, Tls};

/// A handshake (and the proxy before it) that takes longer fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// One certificate of the chain.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CertificateInfo {
    /// The algorithm used to sign the certificate.
    #[sdk(computed)]
    signature_algorithm: String,
    /// The key algorithm used to create the certificate.
    #[sdk(computed)]
    public_key_algorithm: String,
    /// Number that uniquely identifies the certificate with the CA's system.
    #[sdk(computed)]
    serial_number: String,
    /// `true` if the certificate is of a CA (Certificate Authority).
    #[sdk(computed)]
    is_ca: bool,
    /// The maximum number of CAs that may follow it in a chain (Go's reading: -1 without a limit, 0 without basic constraints).
    #[sdk(computed)]
    max_path_length: i64,
    /// The version the certificate is in.
    #[sdk(computed)]
    version: i64,
    /// Who verified and signed the certificate, roughly following RFC2253.
    #[sdk(computed)]
    issuer: String,
    /// The entity the certificate belongs to, roughly following RFC2253.
    #[sdk(computed)]
    subject: String,
    /// The time after which the certificate is valid, as an RFC3339 timestamp.
    #[sdk(computed)]
    not_before: String,
    /// The time until which the certificate is invalid, as an RFC3339 timestamp.
    #[sdk(computed)]
    not_after: String,
    /// The SHA1 fingerprint of the public key of the certificate.
    #[sdk(computed)]
    sha1_fingerprint: String,
    /// Certificate data in PEM (RFC 1421) format.
    #[sdk(computed)]
    cert_pem: String,
}

impl CertificateInfo {
    fn of(c: &Certificate) -> CertificateInfo {
        CertificateInfo {
            signature_algorithm: c.signature_algorithm.clone(),
            public_key_algorithm: c.public_key_algorithm.clone(),
            serial_number: c.serial_decimal.clone(),
            is_ca: c.is_ca,
            max_path_length: c.max_path_length,
            version: c.version,
            issuer: c.issuer.clone(),
            subject: c.subject.clone(),
            not_before: timefmt::rfc3339(c.not_before),
            not_after: timefmt::rfc3339(c.not_after),
            sha1_fingerprint: c.sha1_fingerprint(),
            cert_pem: c.pem(),
        }
    }

    /// How Go's `fmt` prints upstream's model of it (`%v` of a struct of
    /// framework values: strings quoted, fields space-separated).
    fn go_value(&self) -> String {
        let q = go_quote;
        format!(
            "{{{} {} {} {} {} {} {} {} {} {} {} {}}}",
            q(&self.signature_algorithm),
            q(&self.public_key_algorithm),
            q(&self.serial_number),
            self.is_ca,
            self.max_path_length,
            self.version,
            q(&self.issuer),
            q(&self.subject),
            q(&self.not_before),
            q(&self.not_after),
            q(&self.sha1_fingerprint),
            q(&self.cert_pem)
        )
    }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `tls_certificate`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct CertificateDataModel {
    /// URL of the endpoint to get the certificates from: `https://` (through the provider's proxy) or `tls://` (a TLS socket; the port is required).
    #[sdk(optional)]
    url: Option<String>,
    /// The content of the certificate in PEM (RFC 1421) format.
    #[sdk(optional)]
    content: Option<String>,
    /// Whether to verify the certificate chain while parsing it or not (default: `true`).
    #[sdk(optional)]
    verify_chain: Option<bool>,
    /// Unique identifier of this data source: hashing of the certificates in the chain.
    #[sdk(computed)]
    id: Option<String>,
    /// The certificates protecting the site, with the root of the chain first.
    #[sdk(computed)]
    certificates: Option<Vec<CertificateInfo>>,
}

/// The `tls_certificate` data source.
pub struct CertificateData;

#[async_trait]
impl DataSource<Tls> for CertificateData {
    type Model = CertificateDataModel;
    const TYPE: &'static str = "tls_certificate";

    async fn read(&self, cx: &Ctx<'_, Tls>, mut m: CertificateDataModel) -> Result<CertificateDataModel, Error> {
        match (&m.url, &m.content) {
            (Some(_), Some(_)) => return Err(Error::Invalid("2 attributes specified when one (and only one) of [content,url] is required".into())),
            (None, None) => return Err(Error::Invalid("No attribute specified when one (and only one) of [content,url] is required".into())),
            _ => {}
        }
        if m.content.is_some() && m.verify_chain.is_some() {
            return Err(Error::Invalid("Attribute \"verify_chain\" cannot be specified when \"content\" is specified".into()));
        }
        let verify = *m.verify_chain.get_or_insert(true);
        let certs: Vec<CertificateInfo> = match (&m.content, &m.url) {
            (Some(content), _) => {
                let Some((label, der_bytes)) = crate::pem::decode_first(content) else {
                    return Err(Error::Invalid("content: Failed to decoded PEM: Value is not a valid PEM encoding of a certificate".into()));
                };
                if !["CERTIFICATE", "CERTIFICATE REQUEST", "PUBLIC KEY", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"].contains(&label.as_str()) {
                    return Err(Error::Invalid(format!("Failed to identify PEM preamble: unsupported PEM preamble/type: {label}")));
                }
                if label != "CERTIFICATE" {
                    return Err(Error::Invalid(format!("Unexpected PEM preamble: Certificate PEM should be \"CERTIFICATE\", got {label:?}")));
                }
                let c = Certificate::parse(&der_bytes).map_err(|e| Error::Invalid(format!("Unable to parse certificate: {e}")))?;
                vec![CertificateInfo::of(&c)]
            }
            (None, Some(url)) => {
                let target = Target::parse(url)?;
                let chain = fetch(cx.provider, &target, verify).await.map_err(|e| Error::Fetch(format!("Failed to identify fetch peer certificates: {e}")))?;
                let mut out = Vec::new();
                // As sent (leaf first), reversed: the root of the chain first.
                for der_bytes in chain.iter().rev() {
                    out.push(CertificateInfo::of(&Certificate::parse(der_bytes).map_err(Error::Fetch)?));
                }
                out
            }
            (None, None) => Vec::new(),
        };
        let printed = format!("[{}]", certs.iter().map(CertificateInfo::go_value).collect::<Vec<_>>().join(" "));
        m.id = Some(hash_for_state(printed.as_bytes()));
        m.certificates = Some(certs);
        Ok(m)
    }
}

/// Where to connect.
struct Target {
    https: bool,
    host: String,
    port: u16,
    server_name: ServerName<'static>,
}

impl Target {
    fn parse(url: &str) -> Result<Target, Error> {
        let u = url::Url::parse(url).map_err(|e| Error::Invalid(format!("url: Failed to parse URL: {e}")))?;
        let https = match u.scheme() {
            "https" => true,
            "tls" => false,
            _ => return Err(Error::Invalid(format!("url: URL {url:?} must have a scheme of: https, tls"))),
        };
        let host = match u.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::Invalid(format!("url: URL {url:?} has no host"))),
        };
        let port = match (u.port(), https) {
            (Some(p), _) => p,
            (None, true) => 443,
            // url parses tls://host:port with the port; without one, as upstream:
            (None, false) => return Err(Error::Invalid(format!("URL malformed: Port missing from URL: {url}"))),
        };
        let server_name = ServerName::try_from(host.clone()).map_err(|e| Error::Invalid(format!("url: {e}")))?;
        Ok(Target { https, host, port, server_name })
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Accepts any certificate (`verify_chain = false`), still checking the
/// handshake's signatures as TLS requires.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The certificates the server sends, in the order it sends them.
async fn fetch(tls: &Tls, target: &Target, verify: bool) -> Result<Vec<Vec<u8>>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().map_err(|e| e.to_string())?;
    let mut config = if verify {
        builder.with_root_certificates(tls.roots()).with_no_client_auth()
    } else {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny(provider))).with_no_client_auth()
    };
    if target.https {
        // What Go's HTTP client offers.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    }
    let work = async {
        let stream = if target.https { connect_via_proxy(&tls.proxy, target).await? } else { connect(&target.authority()).await? };
        let conn = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(target.server_name.clone(), stream)
            .await
            .map_err(|e| format!("unable to execute TLS connection towards {}: {e}", target.authority()))?;
        let chain: Vec<Vec<u8>> = conn.get_ref().1.peer_certificates().unwrap_or_default().iter().map(|c| c.as_ref().to_vec()).collect();
        let mut conn = conn;
        let _ = conn.shutdown().await;
        if chain.is_empty() {
            return Err(format!("got back no certificates from {}", target.authority()));
        }
        Ok(chain)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, work).await.map_err(|_| format!("timed out connecting to {}", target.authority()))?
}

async fn connect(authority: &str) -> Result<TcpStream, String> {
    TcpStream::connect(authority).await.map_err(|e| format!("dial tcp {authority}: {e}"))
}

/// A user name and password for a proxy's Basic authentication.
type Credentials = (String, Option<String>);

/// The proxy for `target` under the provider's settings, if any: its URL
/// and credentials.
fn proxy_for(proxy: &Proxy, target: &Target) -> Option<(String, Option<Credentials>)> {
    match proxy {
        Proxy::Direct => None,
        Proxy::Url { url, user } => Some((url.clone(), user.clone())),
        Proxy::FromEnv => {
            // Go's httpproxy: never for localhost or loopback addresses.
            let loopback = target.host == "localhost" || target.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback || no_proxy(&target.host) {
                return None;
            }
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let url = var("HTTPS_PROXY").or_else(|| var("https_proxy"))?;
            let url = if url.contains("://") { url } else { format!("http://{url}") };
            Some((url, None))
        }
    }
}

/// Whether `NO_PROXY` (or `no_proxy`) exempts `host`: `*`, the host
/// itself, or a domain it is in (`example.com` and `.example.com`).
fn no_proxy(host: &str) -> bool {
    let list = std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default();
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        let entry = entry.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map(|(h, _)| h).unwrap_or(entry);
        entry == "*" || host == entry.trim_start_matches('.') && !entry.starts_with('.') || host.ends_with(&format!(".{}", entry.trim_start_matches('.')))
    })
}

/// A TCP stream to the target: direct, or through an HTTP proxy's CONNECT.
async fn connect_via_proxy(proxy: &Proxy, target: &Target) -> Result<TcpStream, String> {
    let Some((url, user)) = proxy_for(proxy, target) else { return connect(&target.authority()).await };
    let u = url::Url::parse(&url).map_err(|e| format!("proxy URL {url:?}: {e}"))?;
    if u.scheme() != "http" {
        return Err(format!("proxy scheme {:?} is not supported natively (http proxies are); use the hashicorp/tls plugin for it", u.scheme()));
    }
    let host = u.host_str().ok_or_else(|| format!("proxy URL {url:?} has no host"))?;
    let mut stream = connect(&format!("{host}:{}", u.port().unwrap_or(80))).await?;
    let user = user.or_else(|| (!u.username().is_empty()).then(|| (u.username().to_string(), u.password().map(str::to_string))));
    let mut request = format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", target.authority());
    if let Some((name, password)) = user {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{name}:{}", password.unwrap_or_default()));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("proxyconnect tcp: {e}"))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.map_err(|e| format!("proxyconnect tcp: {e}"))? == 0 || head.len() > 16 * 1024 {
            return Err("proxyconnect tcp: unexpected end of the proxy's response".into());
        }
        head.push(byte[0]);
    }
    let status = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
    if status.split(' ').nth(1) != Some("200") {
        return Err(format!("proxyconnect tcp: {status}"));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_quote_as_go() {
        assert_eq!(go_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(go_quote("Zürich\u{1}"), "\"Zürich\\x01\"");
    }

    #[test]
    fn urls() {
        let t = Target::parse("https://example.com/path").expect("parses");
        assert_eq!((t.https, t.authority()), (true, "example.com:443".to_string()));
        assert!(Target::parse("tls://example.com").is_err(), "tls:// needs a port");
        assert_eq!(Target::parse("tls://[::1]:8443").expect("parses").authority(), "[::1]:8443");
        assert!(Target::parse("http://example.com").is_err());
    }
}
