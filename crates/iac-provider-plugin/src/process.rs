//! One plugin process: started with go-plugin's handshake environment, its
//! handshake line read from stdout, a gRPC channel over the unix socket it
//! names with mutual TLS (go-plugin's AutoMTLS), its log lines forwarded
//! into `tracing`, and a clean stop: the controller's Shutdown, then a kill
//! after a grace period.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tonic::transport::{Channel, Endpoint};

use crate::PluginError;

/// The magic cookie of Terraform's plugin handshake: a plugin refuses to run
/// (and says it is a plugin) without it.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version, the first field of the handshake line.
const CORE_PROTOCOL_VERSION: &str = "1";
/// How long the process has after Shutdown before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How many of the plugin's last stderr lines a crash report quotes.
const STDERR_TAIL: usize = 20;
/// gRPC messages can be large: hashicorp/aws's schema is tens of megabytes.
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024 * 1024;

/// How a plugin process is started.
#[derive(Clone, Debug)]
pub struct LaunchOptions {
    /// How long to wait for the handshake line.
    pub start_timeout: Duration,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions { start_timeout: Duration::from_secs(60) }
    }
}

/// A running plugin process and the gRPC channel to it.
pub struct PluginProcess {
    pub provider: String,
    pub protocol: u32,
    pub pid: Option<u32>,
    pub channel: Channel,
    exit: watch::Receiver<Option<String>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    kill: Mutex<Option<oneshot::Sender<()>>>,
}

struct ClientCert {
    pem: String,
    der: Vec<u8>,
    key_der: Vec<u8>,
}

/// A fresh self-signed client certificate, as go-plugin's client makes for
/// AutoMTLS: usable for client and server auth, for `localhost`, and a CA
/// (the plugin trusts exactly this certificate as its client CA).
fn client_cert(provider: &str) -> Result<ClientCert, PluginError> {
    let fail = |e: rcgen::Error| PluginError::Tls { provider: provider.to_string(), message: format!("generating the client certificate: {e}") };
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(fail)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "iac");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth, rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok(ClientCert { pem: cert.pem(), der: cert.der().to_vec(), key_der: key.serialize_der() })
}

/// The parsed handshake line: `core|app-version|network|address|protocol|cert`.
#[derive(Debug, PartialEq)]
pub struct Handshake {
    pub protocol: u32,
    pub network: String,
    pub address: String,
    /// The server's certificate (DER), when the plugin does AutoMTLS.
    pub server_cert: Option<Vec<u8>>,
}

pub fn parse_handshake(provider: &str, line: &str) -> Result<Handshake, PluginError> {
    let bad = |why: &str| PluginError::NotAPlugin { provider: provider.to_string(), message: format!("{why}: {:?}", truncate(line, 200)) };
    let parts: Vec<&str> = line.trim().split('|').collect();
    if parts.len() < 4 {
        return Err(bad("unrecognized handshake line"));
    }
    if parts[0] != CORE_PROTOCOL_VERSION {
        return Err(PluginError::UnsupportedProtocol {
            provider: provider.to_string(),
            message: format!("go-plugin core protocol {} (iac speaks {CORE_PROTOCOL_VERSION})", parts[0]),
        });
    }
    let protocol: u32 = parts[1].parse().map_err(|_| bad("handshake with a non-numeric protocol version"))?;
    if protocol != 5 && protocol != 6 {
        return Err(PluginError::UnsupportedProtocol {
            provider: provider.to_string(),
            message: format!("plugin protocol version {protocol} (iac speaks 5 and 6)"),
        });
    }
    let wire = parts.get(4).copied().unwrap_or("netrpc");
    if wire != "grpc" {
        return Err(PluginError::UnsupportedProtocol { provider: provider.to_string(), message: format!("RPC protocol {wire:?} (iac speaks grpc)") });
    }
    // go-plugin ignores short values here: older servers sent filler.
    let server_cert = match parts.get(5) {
        Some(c) if c.len() > 50 => {
            let c = c.trim_end_matches('=');
            Some(base64::engine::general_purpose::STANDARD_NO_PAD.decode(c).map_err(|e| bad(&format!("server certificate is not base64 ({e})")))?)
        }
        _ => None,
    };
    Ok(Handshake { protocol, network: parts[2].to_string(), address: parts[3].to_string(), server_cert })
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Spawns children from one thread that lives as long as the process, so
/// that `PR_SET_PDEATHSIG` (which fires when the spawning *thread* exits)
/// kills plugins only when iac itself dies, even by SIGKILL: no orphans.
// why: `pre_exec` is unsafe by definition (it runs between fork and exec);
// prctl there is the only way to tie a plugin's life to iac's.
#[allow(unsafe_code)]
fn spawn_child(mut cmd: Command) -> std::io::Result<Child> {
    type Job = (Command, tokio::runtime::Handle, std::sync::mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("iac-plugin-spawner".into())
            .spawn(move || {
                for (mut cmd, handle, reply) in rx {
                    // tokio's child plumbing needs the runtime's reactor.
                    let _guard = handle.enter();
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("starting the plugin spawner thread");
        Mutex::new(tx)
    });
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = std::sync::mpsc::channel();
    tx.lock()
        .expect("spawner lock")
        .send((cmd, tokio::runtime::Handle::current(), reply_tx))
        .map_err(|_| std::io::Error::other("plugin spawner thread is gone"))?;
    reply_rx.recv().map_err(|_| std::io::Error::other("plugin spawner thread is gone"))?
}

impl PluginProcess {
    pub async fn start(provider: &str, binary: &Path, opts: &LaunchOptions) -> Result<PluginProcess, PluginError> {
        let cert = client_cert(provider)?;
        let mut cmd = Command::new(binary);
        cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            // Only used by plugins that listen on TCP (not on unix).
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &cert.pem)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // The last resort against orphans if nothing else stops it.
            .kill_on_drop(true);
        let mut child =
            spawn_child(cmd).map_err(|e| PluginError::Start { provider: provider.to_string(), binary: binary.to_path_buf(), message: e.to_string() })?;
        let pid = child.id();
        tracing::debug!(provider, binary = %binary.display(), pid, "plugin started");

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_logs(provider.to_string(), stderr, stderr_tail.clone()));
        }
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));

        // One task owns the child: it reports the exit and kills on request.
        let (exit_tx, exit_rx) = watch::channel::<Option<String>>(None);
        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        let name = provider.to_string();
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = kill_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let text = match status {
                Ok(s) => s.to_string(),
                Err(e) => format!("unknown status ({e})"),
            };
            tracing::debug!(provider = %name, status = %text, "plugin exited");
            let _ = exit_tx.send(Some(text));
        });

        let mut line = String::new();
        let mut exit_wait = exit_rx.clone();
        let exited = async move {
            let _ = exit_wait.wait_for(|s| s.is_some()).await.is_ok();
        };
        let read = tokio::select! {
            r = tokio::time::timeout(opts.start_timeout, stdout.read_line(&mut line)) => r,
            // An exit before the handshake: give the reader a moment to take
            // what was printed, then report the exit.
            _ = exited => {
                let _ = tokio::time::timeout(Duration::from_millis(200), stdout.read_line(&mut line)).await;
                Ok(Ok(line.len()))
            }
        };
        let fail_kill = |kill_tx: oneshot::Sender<()>| {
            let _ = kill_tx.send(());
        };
        match read {
            Err(_) => {
                fail_kill(kill_tx);
                return Err(PluginError::NotAPlugin {
                    provider: provider.to_string(),
                    message: format!(
                        "no handshake within {}s: {} is not a Terraform provider plugin, or it hung{}",
                        opts.start_timeout.as_secs(),
                        binary.display(),
                        tail_text(&stderr_tail)
                    ),
                });
            }
            Ok(Err(e)) => {
                fail_kill(kill_tx);
                return Err(PluginError::NotAPlugin { provider: provider.to_string(), message: format!("reading its handshake: {e}") });
            }
            Ok(Ok(_)) if line.trim().is_empty() => {
                // Let the stderr reader catch up so the report quotes it.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let status = exit_rx.borrow().clone();
                fail_kill(kill_tx);
                return Err(PluginError::NotAPlugin {
                    provider: provider.to_string(),
                    message: format!(
                        "{} exited ({}) without a handshake: not a Terraform provider plugin{}",
                        binary.display(),
                        status.unwrap_or_else(|| "closed its output".into()),
                        tail_text(&stderr_tail)
                    ),
                });
            }
            Ok(Ok(_)) => {}
        }
        let hs = match parse_handshake(provider, &line) {
            Ok(hs) => hs,
            Err(e) => {
                fail_kill(kill_tx);
                return Err(e);
            }
        };
        // Anything printed after the handshake is drained (a full pipe would
        // block the plugin) and logged.
        let name = provider.to_string();
        tokio::spawn(async move {
            let mut lines = stdout.lines();
            while let Ok(Some(l)) = lines.next_line().await {
                tracing::debug!(provider = %name, "plugin stdout: {l}");
            }
        });

        let channel = match connect(provider, &hs, &cert).await {
            Ok(c) => c,
            Err(e) => {
                fail_kill(kill_tx);
                return Err(e);
            }
        };
        tracing::debug!(provider, protocol = hs.protocol, address = %hs.address, "plugin connected");
        Ok(PluginProcess { provider: provider.to_string(), protocol: hs.protocol, pid, channel, exit: exit_rx, stderr_tail, kill: Mutex::new(Some(kill_tx)) })
    }

    /// Why the process is gone, if it is: exit status and last stderr lines.
    pub fn exit_report(&self) -> Option<String> {
        let status = self.exit.borrow().clone()?;
        Some(format!("plugin exited ({status}){}", tail_text(&self.stderr_tail)))
    }

    /// Whether the process has ended, even if not yet reaped (Linux /proc).
    pub fn has_exited(&self) -> bool {
        if self.exit.borrow().is_some() {
            return true;
        }
        let Some(pid) = self.pid else { return false };
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state follows the parenthesized command name.
            Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with(['Z', 'X'])),
            Err(_) => true,
        }
    }

    /// Asks the plugin to exit (go-plugin's controller), waits a grace
    /// period, then kills it. Safe to call more than once.
    pub async fn shutdown(&self) {
        let Some(kill) = self.kill.lock().expect("kill lock").take() else { return };
        let mut exit = self.exit.clone();
        if exit.borrow().is_none() {
            let mut ctl = crate::proto::plugin::grpc_controller_client::GrpcControllerClient::new(self.channel.clone());
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, ctl.shutdown(crate::proto::plugin::Empty {})).await;
            if tokio::time::timeout(SHUTDOWN_GRACE, exit.wait_for(|s| s.is_some())).await.is_ok() {
                return;
            }
            tracing::warn!(provider = %self.provider, "plugin did not exit after Shutdown; killing it");
        }
        let _ = kill.send(());
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, exit.wait_for(|s| s.is_some())).await;
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        let Some(kill) = self.kill.lock().ok().and_then(|mut k| k.take()) else { return };
        // A clean stop needs async calls; without a runtime (or once it is
        // shutting down) the kill request, or kill_on_drop, does the job.
        let exited = self.exit.borrow().is_some();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if !exited => {
                let channel = self.channel.clone();
                let mut exit = self.exit.clone();
                let provider = self.provider.clone();
                handle.spawn(async move {
                    let mut ctl = crate::proto::plugin::grpc_controller_client::GrpcControllerClient::new(channel);
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, ctl.shutdown(crate::proto::plugin::Empty {})).await;
                    if tokio::time::timeout(SHUTDOWN_GRACE, exit.wait_for(|s| s.is_some())).await.is_err() {
                        tracing::warn!(provider = %provider, "plugin did not exit after Shutdown; killing it");
                    }
                    let _ = kill.send(());
                });
            }
            _ => {
                let _ = kill.send(());
            }
        }
    }
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().expect("stderr tail lock");
    if tail.is_empty() {
        String::new()
    } else {
        format!("; its last output:\n{}", tail.iter().cloned().collect::<Vec<_>>().join("\n"))
    }
}

/// Reads the plugin's stderr: go-plugin/hclog JSON lines become tracing
/// events at their level; other lines (a Go panic, say) are logged at debug
/// and kept for crash reports.
async fn forward_logs(provider: String, stderr: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let json: Option<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&line).ok();
        let Some(mut obj) = json.filter(|o| o.contains_key("@message")) else {
            if !line.trim().is_empty() {
                // Plain lines from Go's log package (the legacy SDK) carry
                // their level as a `[LEVEL]` prefix.
                match line.trim_start().split_once(']').map(|(l, _)| l.trim_start_matches('[')) {
                    Some("TRACE") => tracing::trace!(target: "iac_provider_plugin::plugin", provider = %provider, "{line}"),
                    Some("INFO") => tracing::info!(target: "iac_provider_plugin::plugin", provider = %provider, "{line}"),
                    Some("WARN") => tracing::warn!(target: "iac_provider_plugin::plugin", provider = %provider, "{line}"),
                    Some("ERROR") => tracing::error!(target: "iac_provider_plugin::plugin", provider = %provider, "{line}"),
                    _ => tracing::debug!(target: "iac_provider_plugin::plugin", provider = %provider, "{line}"),
                }
                let mut t = tail.lock().expect("stderr tail lock");
                if t.len() == STDERR_TAIL {
                    t.pop_front();
                }
                t.push_back(line);
            }
            continue;
        };
        let level = obj.remove("@level").and_then(|l| l.as_str().map(str::to_string)).unwrap_or_default();
        let message = obj.remove("@message").and_then(|m| m.as_str().map(str::to_string)).unwrap_or_default();
        let module = obj.remove("@module").and_then(|m| m.as_str().map(str::to_string)).unwrap_or_default();
        obj.remove("@timestamp");
        let fields = obj.iter().map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect::<Vec<_>>().join(" ");
        if level == "error" {
            let mut t = tail.lock().expect("stderr tail lock");
            if t.len() == STDERR_TAIL {
                t.pop_front();
            }
            t.push_back(message.clone());
        }
        macro_rules! emit {
            ($lvl:ident) => {
                tracing::$lvl!(target: "iac_provider_plugin::plugin", provider = %provider, module = %module, fields = %fields, "{message}")
            };
        }
        match level.as_str() {
            "trace" => emit!(trace),
            "debug" => emit!(debug),
            "info" => emit!(info),
            "warn" => emit!(warn),
            "error" => emit!(error),
            _ => emit!(debug),
        }
    }
}

/// Trusts exactly the certificate the plugin announced in its handshake (a
/// self-signed CA certificate, which regular path validation would refuse
/// as a server certificate), and checks the handshake signature with it.
#[derive(Debug)]
struct PinnedServerCert {
    cert: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("the plugin presented a certificate other than the one in its handshake".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

async fn connect(provider: &str, hs: &Handshake, cert: &ClientCert) -> Result<Channel, PluginError> {
    let conn_err = |message: String| PluginError::Connect { provider: provider.to_string(), address: hs.address.clone(), message };
    let tls = match &hs.server_cert {
        Some(server_cert) => {
            let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let verifier = Arc::new(PinnedServerCert { cert: server_cert.clone(), provider: crypto.clone() });
            let mut config = rustls::ClientConfig::builder_with_provider(crypto)
                .with_safe_default_protocol_versions()
                .map_err(|e| PluginError::Tls { provider: provider.to_string(), message: e.to_string() })?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_client_auth_cert(
                    vec![rustls::pki_types::CertificateDer::from(cert.der.clone())],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into()),
                )
                .map_err(|e| PluginError::Tls { provider: provider.to_string(), message: e.to_string() })?;
            // grpc-go servers insist on ALPN h2.
            config.alpn_protocols = vec![b"h2".to_vec()];
            Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
        }
        None => {
            tracing::warn!(provider, "plugin sent no server certificate; connecting without TLS");
            None
        }
    };
    let network = hs.network.clone();
    let address = PathBuf::from(&hs.address);
    let tcp_address = hs.address.clone();
    let connector = tower::service_fn(move |_uri: tonic::transport::Uri| {
        let tls = tls.clone();
        let network = network.clone();
        let address = address.clone();
        let tcp_address = tcp_address.clone();
        async move {
            let stream: Box<dyn Stream> = match network.as_str() {
                "unix" => Box::new(tokio::net::UnixStream::connect(&address).await?),
                "tcp" => Box::new(tokio::net::TcpStream::connect(&tcp_address).await?),
                other => return Err(std::io::Error::other(format!("unknown network {other:?}"))),
            };
            let stream: Box<dyn Stream> = match tls {
                Some(tls) => {
                    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a valid DNS name");
                    Box::new(tls.connect(name, stream).await?)
                }
                None => stream,
            };
            Ok::<_, std::io::Error>(TokioIo::new(stream))
        }
    });
    // The URI is a placeholder: the connector decides where to go.
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(20))
        .connect_with_connector(connector)
        .await
        .map_err(|e| conn_err(error_chain(&e)))
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Stream for T {}

/// An error with its sources, which is where tonic keeps the useful part.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_lines_are_parsed() {
        let cert = "A".repeat(64);
        let hs = parse_handshake("aws", &format!("1|5|unix|/tmp/plugin123|grpc|{cert}\n")).unwrap();
        assert_eq!(hs.protocol, 5);
        assert_eq!(hs.address, "/tmp/plugin123");
        assert!(hs.server_cert.is_some());
        let e = parse_handshake("aws", "1|99|unix|/tmp/p|grpc|").unwrap_err();
        assert!(matches!(e, PluginError::UnsupportedProtocol { .. }), "{e}");
        assert!(e.to_string().contains("aws") && e.to_string().contains("99"), "{e}");
        assert!(matches!(parse_handshake("aws", "hello world"), Err(PluginError::NotAPlugin { .. })));
        assert!(matches!(parse_handshake("aws", "1|5|unix|/tmp/p|netrpc"), Err(PluginError::UnsupportedProtocol { .. })));
        assert!(matches!(parse_handshake("aws", "2|5|unix|/tmp/p|grpc"), Err(PluginError::UnsupportedProtocol { .. })));
    }
}
