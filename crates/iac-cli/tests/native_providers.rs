//! `iac init` on a stack that asks for hashicorp/tls, hashicorp/http and
//! hashicorp/cloudinit, with no plugin anywhere, chooses the native
//! providers (no registry, no lock file), and the stack applies and plans
//! clean offline.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

/// An HTTP server on 127.0.0.1 answering every request with `body`.
fn serve(body: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    port
}

/// A scratch directory (a repository root), removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let p = std::env::temp_dir().join(format!("iac-native-providers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn iac(dir: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iac"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("TF_CLI_CONFIG_FILE", "")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .unwrap()
}

fn ok(o: &Output, what: &str) -> String {
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "{what} failed:\n{out}\n{err}");
    out
}

#[test]
fn tls_http_and_cloudinit_are_native_after_init() {
    let port = serve("10.1.2.3");
    let tmp = Scratch::new();
    std::fs::create_dir(tmp.0.join(".git")).unwrap();
    let dir = tmp.0.join("stack");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            r##"
terraform {{
  required_providers {{
    tls       = {{ source = "hashicorp/tls", version = "~> 4.0" }}
    http      = {{ source = "hashicorp/http", version = "~> 3.4" }}
    cloudinit = {{ source = "hashicorp/cloudinit", version = "~> 2.3" }}
  }}
}}

data "http" "my_ip" {{
  url = "http://127.0.0.1:{port}/ip"
}}

resource "tls_private_key" "ssh" {{
  algorithm = "ED25519"
}}

data "cloudinit_config" "init" {{
  gzip          = false
  base64_encode = false
  part {{
    content_type = "text/cloud-config"
    content      = "#cloud-config\nssh_authorized_keys:\n  - ${{tls_private_key.ssh.public_key_openssh}}"
  }}
}}

output "ip" {{
  value = data.http.my_ip.response_body
}}

output "user_data" {{
  value = data.cloudinit_config.init.rendered
}}
"##
        ),
    )
    .unwrap();
    let home = tmp.0.as_path();
    let init = ok(&iac(&dir, home, &["init"]), "init");
    for name in ["tls", "http", "cloudinit"] {
        assert!(init.contains(&format!("provider {name}: built in (no hashicorp/{name} plugin installed)")), "{init}");
    }
    assert!(!dir.join(".terraform.lock.hcl").exists(), "nothing to lock when every provider is native");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(".terraform/iac-providers.json")).unwrap()).unwrap();
    let native: Vec<&str> =
        manifest["providers"].as_array().unwrap().iter().filter(|p| p["implementation"] == "native").filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(native, vec!["cloudinit", "http", "tls"]);

    ok(&iac(&dir, home, &["apply", "-auto-approve"]), "apply");
    let ip: String = serde_json::from_str(&ok(&iac(&dir, home, &["output", "-json", "ip"]), "output")).unwrap();
    assert_eq!(ip, "10.1.2.3");
    let user_data: String = serde_json::from_str(&ok(&iac(&dir, home, &["output", "-json", "user_data"]), "output")).unwrap();
    assert!(user_data.starts_with("Content-Type: multipart/mixed; boundary=\"MIMEBOUNDARY\"\nMIME-Version: 1.0\r\n"), "{user_data:?}");
    assert!(user_data.contains("  - ssh-ed25519 AAAA"), "{user_data:?}");
    let plan = ok(&iac(&dir, home, &["plan"]), "plan");
    assert!(plan.contains("No changes."), "{plan}");
}
