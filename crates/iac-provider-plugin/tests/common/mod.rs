//! Test support without iac-testkit: the kit depends on the engine, and this
//! crate's tests should build (quickly) whatever state the engine is in. So
//! moto is started here, from the same `.tools/` that `scripts/install-tools`
//! fills; a missing tool fails the test, never skips it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn tools_dir() -> PathBuf {
    std::env::var_os("IAC_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".tools"))
}

/// A program from `.tools/bin` or `.tools/venv/bin`.
pub fn tool(name: &str) -> PathBuf {
    let tools = tools_dir();
    [tools.join("bin").join(name), tools.join("venv/bin").join(name)]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not installed: run `bash scripts/install-tools` (looked in {})", tools.display()))
}

/// The hashicorp/aws 5.100.0 plugin from the machine's filesystem mirror.
pub fn aws_binary() -> PathBuf {
    let mirror = Command::new(workspace_root().join("../shared/tools/terraform-mirror")).output().expect("running shared/tools/terraform-mirror");
    assert!(mirror.status.success(), "terraform-mirror failed: {}", String::from_utf8_lossy(&mirror.stderr));
    let dir = PathBuf::from(String::from_utf8(mirror.stdout).unwrap().trim());
    let bin = dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5");
    assert!(bin.is_file(), "the hashicorp/aws plugin is missing at {}", bin.display());
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// moto on a free port, stopped on drop; under `timeout` so that a killed
/// test run leaves it for 30 minutes at most.
pub struct Moto {
    addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let program = tool("moto_server");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("moto.log")).unwrap();
        let mut child = Command::new("timeout")
            .args(["--kill-after=10", "1800"])
            .arg(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting moto_server");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if http_get(addr, "/moto-api/data.json") == Some(200) {
                break;
            }
            if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                panic!("moto_server did not start: {}", std::fs::read_to_string(dir.path().join("moto.log")).unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { addr, child, _dir: dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut r = String::new();
    s.read_to_string(&mut r).ok()?;
    r.split_whitespace().nth(1)?.parse().ok()
}
