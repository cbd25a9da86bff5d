//! Binaries that are not working plugins: each fails with an error that
//! names the provider and says what went wrong, quickly, leaving no process
//! behind. The plugin's log lines reach tracing at their own level.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iac_provider_plugin::{LaunchOptions, PluginError, PluginFactory, PluginSpec};

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn spec(binary: PathBuf) -> PluginSpec {
    PluginSpec { name: "fake".into(), source: "example.com/test/fake".into(), version: "1.0.0".into(), binary, schema_cache_dir: None }
}

async fn load_err(binary: PathBuf, timeout: Duration) -> PluginError {
    let started = Instant::now();
    let e = PluginFactory::load_with(spec(binary), LaunchOptions { start_timeout: timeout }).await.expect_err("a broken plugin does not load");
    assert!(started.elapsed() < timeout + Duration::from_secs(5), "failed slowly: {:?}", started.elapsed());
    let text = e.to_string();
    assert!(text.contains("provider fake"), "the error names the provider: {text}");
    e
}

#[tokio::test]
async fn a_program_that_prints_something_else_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_err(script(dir.path(), "chatty", "echo 'Usage: chatty [options]'; sleep 30"), Duration::from_secs(20)).await;
    assert!(matches!(e, PluginError::NotAPlugin { .. }), "{e}");
    assert!(e.to_string().contains("Usage: chatty"), "{e}");
}

#[tokio::test]
async fn a_program_that_exits_is_not_a_plugin_and_its_output_is_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_err(script(dir.path(), "crashes", "echo 'panic: runtime error: nil map' >&2; exit 2"), Duration::from_secs(20)).await;
    assert!(matches!(e, PluginError::NotAPlugin { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains("exit status: 2") && text.contains("panic: runtime error"), "{text}");
}

#[tokio::test]
async fn a_silent_program_times_out_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let e = load_err(script(dir.path(), "silent", &format!("echo $$ > {}; exec sleep 60", pid_file.display())), Duration::from_secs(1)).await;
    assert!(matches!(e, PluginError::NotAPlugin { .. }) && e.to_string().contains("no handshake within 1s"), "{e}");
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z") {
        assert!(Instant::now() < deadline, "the hung plugin {pid} was not killed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_unsupported_protocol_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_err(script(dir.path(), "v99", "echo '1|99|unix|/tmp/nowhere|grpc|'; sleep 30"), Duration::from_secs(20)).await;
    assert!(matches!(e, PluginError::UnsupportedProtocol { .. }), "{e}");
    assert!(e.to_string().contains("99"), "{e}");
}

#[tokio::test]
async fn a_handshake_naming_a_missing_socket_fails_to_connect() {
    let dir = tempfile::tempdir().unwrap();
    let e =
        load_err(script(dir.path(), "nosocket", &format!("echo '1|5|unix|{}/gone.sock|grpc|'; sleep 30", dir.path().display())), Duration::from_secs(20)).await;
    assert!(matches!(e, PluginError::Connect { .. }), "{e}");
}

#[tokio::test]
async fn a_missing_binary_cannot_start() {
    let e = load_err(PathBuf::from("/nonexistent/terraform-provider-fake"), Duration::from_secs(5)).await;
    assert!(matches!(e, PluginError::Io { .. } | PluginError::Start { .. }), "{e}");
}

/// Captures formatted tracing output.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime keeps the log forwarder on this thread, where the
// capturing subscriber is installed.
#[tokio::test(flavor = "current_thread")]
async fn plugin_log_lines_become_tracing_events_at_their_level() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).with_max_level(tracing::Level::TRACE).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let body = r#"echo '{"@level":"warn","@message":"credentials expire soon","@module":"provider.fake","@timestamp":"2026-01-01T00:00:00Z","region":"us-east-1"}' >&2
echo '{"@level":"error","@message":"cannot reach the API","@module":"provider.fake"}' >&2
exit 1"#;
    let _ = load_err(script(dir.path(), "logs", body), Duration::from_secs(20)).await;
    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.lines().any(|l| l.contains("WARN") && l.contains("credentials expire soon") && l.contains("region=us-east-1") && l.contains("provider.fake")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.contains("ERROR") && l.contains("cannot reach the API")), "{out}");
}
