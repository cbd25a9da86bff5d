//! Real servers for tests: the moto AWS server and a PostgreSQL server, each
//! on 127.0.0.1 and a free port, stopped when the handle drops. Each runs
//! under `timeout`, so a server outlives a killed test run by 30 minutes at
//! most: servers in tests stop by themselves.
//!
//! Synchronous on purpose (std::process), so sync and async tests share them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::tool;

/// How long a server may live after the test that started it has gone.
const SELF_STOP_SECONDS: &str = "1800";
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A port nobody listens on right now (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port on 127.0.0.1")
}

/// A child process started under `timeout`; signals sent to `timeout` reach
/// the server, and dropping the guard stops both.
struct Supervised {
    child: Option<Child>,
    /// The signal that makes this server shut down quickly.
    stop_signal: &'static str,
    log: PathBuf,
}

impl Supervised {
    fn spawn(program: &Path, args: &[&str], envs: &[(&str, &str)], log: PathBuf, stop_signal: &'static str) -> Supervised {
        let out = std::fs::File::create(&log).expect("server log file");
        let err = out.try_clone().expect("server log file");
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=10", SELF_STOP_SECONDS]).arg(program).args(args).stdin(Stdio::null()).stdout(out).stderr(err);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        Supervised { child: Some(child), stop_signal, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg(format!("-{}", self.stop_signal)).arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Sends one HTTP/1.1 request and returns the status code and body.
fn http(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// The moto server (`moto[server]`, installed by `scripts/install-tools`):
/// AWS's APIs on one local endpoint, with the managed IAM policies loaded.
pub struct Moto {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    _server: Supervised,
}

impl Moto {
    pub fn start() -> Moto {
        let program = tool("moto_server");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let port_arg = port.to_string();
        let mut server = Supervised::spawn(
            &program,
            &["-H", "127.0.0.1", "-p", &port_arg],
            &[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"), ("AWS_DEFAULT_REGION", "us-east-1")],
            dir.path().join("moto.log"),
            "TERM",
        );
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok((200, _)) = http(addr, "GET", "/moto-api/data.json") {
                break;
            }
            if server.exited().is_some() || Instant::now() > deadline {
                panic!("moto_server did not start on {addr}:\n{}", server.log_tail());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { addr, _dir: dir, _server: server }
    }

    /// `http://127.0.0.1:PORT`, for every SDK client's endpoint override.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forgets every object in every account (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let (status, body) = http(self.addr, "POST", "/moto-api/reset").expect("moto reset");
        assert_eq!(status, 200, "moto reset answered {status}: {body}");
    }
}

/// A PostgreSQL server in a temporary data directory, trusting local
/// connections for the `postgres` user.
pub struct Postgres {
    port: u16,
    // Drop order: the server stops before its data directory is removed.
    _server: Supervised,
    _dir: tempfile::TempDir,
}

/// PostgreSQL refuses to run as root; as root, the server runs as the
/// `postgres` system user that Debian's package creates.
fn as_postgres_user(program: &Path) -> (PathBuf, Vec<String>) {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if is_root {
        let setpriv = tool("setpriv");
        (setpriv, vec!["--reuid=postgres".into(), "--regid=postgres".into(), "--init-groups".into(), program.display().to_string()])
    } else {
        (program.to_path_buf(), Vec::new())
    }
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("iac-pg").tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let (setpriv_or_initdb, mut initdb_args) = as_postgres_user(&tool("initdb"));
        if setpriv_or_initdb.ends_with("setpriv") {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().expect("chown");
            assert!(status.success(), "chown of the PostgreSQL data directory failed");
        }
        initdb_args.extend([
            "-D".into(),
            data.display().to_string(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
            "-E".into(),
            "UTF8".into(),
            "--no-sync".into(),
        ]);
        let out = Command::new(&setpriv_or_initdb).args(&initdb_args).output().expect("running initdb");
        assert!(out.status.success(), "initdb failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

        let port = free_port();
        let (program, mut args) = as_postgres_user(&tool("postgres"));
        let socket_dir = dir.path().display().to_string();
        args.extend(
            ["-D", &data.display().to_string(), "-h", "127.0.0.1", "-p", &port.to_string(), "-k", &socket_dir, "-c", "fsync=off", "-c", "max_connections=200"]
                .map(String::from),
        );
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        // SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients).
        let mut server = Supervised::spawn(&program, &arg_refs, &[], dir.path().join("postgres.log"), "INT");
        let deadline = Instant::now() + START_TIMEOUT;
        let isready = tool("pg_isready");
        loop {
            let ok = Command::new(&isready)
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                break;
            }
            if server.exited().is_some() || Instant::now() > deadline {
                panic!("postgres did not start on port {port}:\n{}", server.log_tail());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Postgres { port, _server: server, _dir: dir }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A libpq connection string for the `postgres` database.
    pub fn conn_str(&self) -> String {
        self.conn_str_for("postgres")
    }

    fn conn_str_for(&self, db: &str) -> String {
        format!("host=127.0.0.1 port={} user=postgres dbname={db}", self.port)
    }

    /// Creates a database (one per test keeps tests apart) and returns its
    /// connection string.
    pub fn create_database(&self, name: &str) -> String {
        let out = Command::new(tool("psql"))
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "postgres", "-c"])
            .arg(format!("CREATE DATABASE \"{}\"", name.replace('"', "")))
            .output()
            .expect("running psql");
        assert!(out.status.success(), "CREATE DATABASE {name} failed: {}", String::from_utf8_lossy(&out.stderr));
        self.conn_str_for(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moto_serves_s3_and_resets() {
        let moto = Moto::start();
        let addr: SocketAddr = moto.endpoint().trim_start_matches("http://").parse().unwrap();
        // An unsigned ListBuckets is answered with S3's XML shape.
        let (status, body) = http(addr, "GET", "/").unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("ListAllMyBucketsResult"), "{body}");
        moto.reset();
    }

    #[test]
    fn postgres_accepts_connections_and_creates_databases() {
        let pg = Postgres::start();
        let conn = pg.create_database("iac_testkit_probe");
        assert!(conn.ends_with("dbname=iac_testkit_probe"));
        let out = Command::new(tool("psql"))
            .args(["-tA", "-h", "127.0.0.1", "-p", &pg.port().to_string(), "-U", "postgres", "-d", "iac_testkit_probe", "-c", "select 40 + 2"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42", "{}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn a_stopped_server_frees_its_port() {
        let pg = Postgres::start();
        let port = pg.port();
        drop(pg);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "postgres still listening on {port} after drop");
    }
}
