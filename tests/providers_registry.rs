//! `iac init` installs providers from a registry as `terraform init` does
//! (issue 14): the test kit's provider registry serves the real
//! hashicorp/aws 5.100.0 plugin, zipped from the image's filesystem mirror,
//! with a `SHA256SUMS` signed by a key this test generates with gpg; iac and
//! Terraform 1.11.4 install it from the same server (a CLI configuration
//! `host` block) and must write the same lock file entry. Then every way a
//! registry install can fail, each with its message, and nothing left
//! half-installed.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use iac_testkit::provider_registry::{Bytes, PlatformPackage, ProviderRegistry, Release};
use support::Stack;

const HOST: &str = "registry.test.local";

fn sha256_file(p: &Path) -> String {
    // The C tool: hashing 150 MB in a debug test binary would take seconds.
    let out = Command::new("sha256sum").arg(p).output().expect("run sha256sum");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

fn sha256_bytes(b: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b");
    std::fs::write(&p, b).unwrap();
    sha256_file(&p)
}

/// The aws package as a registry serves it: `terraform-provider-aws_5.100.0_linux_amd64.zip`
/// with the plugin and its licence at the top, made with the `zip` program
/// once and kept in the target directory (zipping 700 MB takes a while).
fn aws_zip() -> &'static (PathBuf, String) {
    static ZIP: OnceLock<(PathBuf, String)> = OnceLock::new();
    ZIP.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).expect("target dir").join("iac-test-cache");
        std::fs::create_dir_all(&target).unwrap();
        let zip = target.join("terraform-provider-aws_5.100.0_linux_amd64.zip");
        if !zip.is_file() {
            let pkg = iac_testkit::tools::terraform_mirror().join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
            let tmp = target.join(format!("aws.zip.partial-{}", std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            let started = std::time::Instant::now();
            let out = Command::new("zip")
                .arg("-q")
                .arg("-1")
                .arg("-j")
                .arg(&tmp)
                .arg(pkg.join("terraform-provider-aws_v5.100.0_x5"))
                .arg(pkg.join("LICENSE.txt"))
                .output()
                .expect("run zip");
            assert!(out.status.success(), "zip: {}", String::from_utf8_lossy(&out.stderr));
            std::fs::rename(&tmp, &zip).unwrap();
            eprintln!("zipped the aws plugin in {:?}", started.elapsed());
        }
        let sum = sha256_file(&zip);
        (zip, sum)
    })
}

/// A gpg home with one RSA signing key, and its armored public key.
struct Signer {
    home: tempfile::TempDir,
    public: String,
}

impl Signer {
    fn new(name: &str) -> Signer {
        let home = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").unwrap();
        let gpg = |args: &[&str]| {
            let out = Command::new("gpg").arg("--batch").arg("--homedir").arg(home.path()).args(args).output().expect("run gpg");
            assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        };
        gpg(&["--passphrase", "", "--quick-gen-key", &format!("{name} <{name}@example.test>"), "rsa3072", "sign", "never"]);
        let public = String::from_utf8(gpg(&["--armor", "--export"])).unwrap();
        Signer { home, public }
    }

    /// A binary detached signature, as registries serve `SHA256SUMS.sig`.
    fn sign(&self, doc: &[u8]) -> Vec<u8> {
        // Tests sign in parallel with one home: one signature at a time.
        static SIGNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = SIGNING.lock().unwrap_or_else(|p| p.into_inner());
        let f = self.home.path().join("doc");
        std::fs::write(&f, doc).unwrap();
        let sig = self.home.path().join("doc.sig");
        let _ = std::fs::remove_file(&sig);
        let out = Command::new("gpg")
            .arg("--batch")
            .arg("--homedir")
            .arg(self.home.path())
            .arg("--output")
            .arg(&sig)
            .arg("--detach-sign")
            .arg(&f)
            .output()
            .expect("run gpg");
        assert!(out.status.success(), "gpg --detach-sign: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&sig).unwrap()
    }
}

fn signer() -> &'static Signer {
    static S: OnceLock<Signer> = OnceLock::new();
    S.get_or_init(|| Signer::new("iac-registry-test"))
}

/// A release of NS/TYPE VERSION for linux_amd64 holding `zip`, signed sums
/// listing it and a darwin_arm64 package (listed in the sums only, as a real
/// release lists every platform).
fn release(ns: &str, ty: &str, version: &str, zip: Bytes, sha: &str) -> Release {
    let filename = format!("terraform-provider-{ty}_{version}_linux_amd64.zip");
    let other = format!("terraform-provider-{ty}_{version}_darwin_arm64.zip");
    let sums = format!("{sha}  {filename}\n{}  {other}\n", sha256_bytes(other.as_bytes()));
    Release {
        namespace: ns.into(),
        type_: ty.into(),
        version: version.into(),
        protocols: vec!["5.0".into()],
        listed_platforms: vec![("linux".into(), "amd64".into()), ("darwin".into(), "arm64".into())],
        packages: vec![PlatformPackage { os: "linux".into(), arch: "amd64".into(), filename, zip, shasum: sha.into() }],
        signature: signer().sign(sums.as_bytes()),
        shasums: sums.into_bytes(),
        keys: vec![signer().public.clone()],
    }
}

fn cli_config(dir: &Path, providers_url: &str) -> PathBuf {
    let p = dir.join("terraformrc");
    std::fs::write(&p, format!("host \"{HOST}\" {{\n  services = {{\n    \"providers.v1\" = \"{providers_url}\"\n  }}\n}}\n")).unwrap();
    p
}

fn main_tf(ty: &str, ns: &str, version: &str) -> String {
    format!("terraform {{\n  required_providers {{\n    {ty} = {{\n      source  = \"{HOST}/{ns}/{ty}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n")
}

/// A small provider package: a zip holding `terraform-provider-TYPE_vVERSION_x5`.
fn small_zip(ty: &str, version: &str) -> Bytes {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(format!("terraform-provider-{ty}_v{version}_x5"));
    std::fs::write(&bin, "#!/bin/sh\nexit 1\n").unwrap();
    let zip = dir.path().join("p.zip");
    let out = Command::new("zip").arg("-q").arg("-j").arg(&zip).arg(&bin).output().expect("run zip");
    assert!(out.status.success(), "zip: {}", String::from_utf8_lossy(&out.stderr));
    Bytes::from(std::fs::read(&zip).unwrap())
}

fn small_release(ty: &str, version: &str) -> Release {
    let zip = small_zip(ty, version);
    let sha = sha256_bytes(&zip);
    release("test", ty, version, zip, &sha)
}

/// The version and hashes of the lock file's one provider block.
fn lock_entry(dir: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("version"))
        .map(|v| v.trim().trim_start_matches('=').trim().trim_matches('"').to_string())
        .expect("a version");
    let mut hashes: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"h1:") || l.starts_with("\"zh:"))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
        .collect();
    hashes.sort();
    (version, hashes)
}

/// Every file or link below `.terraform/providers` (what an install left).
fn installed_files(s: &Stack) -> Vec<String> {
    fn walk(p: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&s.path(".terraform/providers"), &mut out);
    out
}

fn stack_for(rc: &Path, name: &str, main_tf: &str) -> Stack {
    let mut s = Stack::files(name, &[("main.tf", main_tf)]);
    s.env.insert("TF_CLI_CONFIG_FILE".into(), rc.display().to_string());
    s
}

#[test]
fn iac_and_terraform_install_aws_from_the_registry_and_lock_the_same_hashes() {
    let started = std::time::Instant::now();
    let (zip, sha) = aws_zip();
    let reg = ProviderRegistry::start();
    reg.publish(release("hashicorp", "aws", "5.100.0", Bytes::from(std::fs::read(zip).unwrap()), sha));
    // A newer version the constraint rules out.
    let mut v6 = small_release("aws", "6.0.0");
    v6.namespace = "hashicorp".into();
    reg.publish(v6);
    eprintln!("release ready after {:?}", started.elapsed());
    let work = tempfile::tempdir().unwrap();
    let rc = cli_config(work.path(), &reg.providers_url());
    let tf = main_tf("aws", "hashicorp", "~> 5.0");

    let s = stack_for(&rc, "aws", &tf);
    let t = std::time::Instant::now();
    let out = s.run(&["init"]);
    out.ok();
    eprintln!("iac init (download, verify, unpack) took {:?}", t.elapsed());
    let pkg = s.path(".terraform/providers/registry.test.local/hashicorp/aws/5.100.0/linux_amd64");
    let bin = pkg.join("terraform-provider-aws_v5.100.0_x5");
    assert!(bin.is_file(), "{}\n{}", bin.display(), out.all());
    assert!(pkg.join("LICENSE.txt").is_file());
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert!(std::fs::metadata(&bin).unwrap().permissions().mode() & 0o111 != 0, "the plugin is executable");
    }
    let leftovers: Vec<String> = std::fs::read_dir(pkg.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "linux_amd64")
        .collect();
    assert!(leftovers.is_empty(), "scratch left behind: {leftovers:?}");
    let (version, hashes) = lock_entry(s.root().join("aws").as_path());
    assert_eq!(version, "5.100.0");
    assert!(hashes.contains(&format!("zh:{sha}")), "{hashes:?}");
    assert_eq!(hashes.iter().filter(|h| h.starts_with("zh:")).count(), 2, "every platform's package in SHA256SUMS: {hashes:?}");
    assert_eq!(hashes.iter().filter(|h| h.starts_with("h1:")).count(), 1, "{hashes:?}");

    // Terraform 1.11.4, same server, same configuration.
    let tf_dir = work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), &tf).unwrap();
    let t = std::time::Instant::now();
    let tf_out = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["init", "-no-color", "-input=false", "-backend=false"])
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(tf_out.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf_out.stdout), String::from_utf8_lossy(&tf_out.stderr));
    eprintln!("terraform init took {:?}", t.elapsed());
    assert_eq!(lock_entry(&tf_dir), (version.clone(), hashes.clone()), "Terraform's lock file entry");

    // A second init reuses the package the lock file vouches for: no download.
    let downloads = |reg: &ProviderRegistry| reg.requests().iter().filter(|r| r.path.ends_with(".zip")).count();
    let before = downloads(&reg);
    s.run(&["init"]).ok();
    assert_eq!(downloads(&reg), before, "the second init downloaded the package again");
    assert_eq!(lock_entry(s.root().join("aws").as_path()), (version, hashes));
}

/// Runs `iac init` for test/TYPE under `constraint` and returns its output,
/// which must be a failure that installed nothing.
fn init_fails(reg_url: &str, ty: &str, constraint: &str, prepare: impl FnOnce(&Stack)) -> String {
    let work = tempfile::tempdir().unwrap();
    let rc = cli_config(work.path(), reg_url);
    let s = stack_for(&rc, ty, &main_tf(ty, "test", constraint));
    prepare(&s);
    let out = s.run(&["init"]);
    out.expect_code(1);
    // Diagnostics wrap at the terminal width: compare words.
    let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains(&format!("provider \"{ty}\"")), "the message names the provider:\n{all}");
    assert!(installed_files(&s).is_empty(), "left installed: {:?}\n{all}", installed_files(&s));
    all
}

#[test]
fn registry_install_failures_name_the_provider_and_install_nothing() {
    let reg = ProviderRegistry::start();
    let url = reg.providers_url();

    // Unreachable host: nothing listens on port 1.
    let out = init_fails("http://127.0.0.1:1/v1/providers/", "gone", "~> 1.0", |_| {});
    assert!(out.contains("(registry.test.local/test/gone): cannot reach 127.0.0.1:1"), "{out}");

    // Not on the registry at all.
    let out = init_fails(&url, "nosuch", "~> 1.0", |_| {});
    assert!(out.contains("has no provider registry.test.local/test/nosuch"), "{out}");

    // No version matching the constraint.
    reg.publish(small_release("old", "1.0.0"));
    let out = init_fails(&url, "old", "~> 2.0", |_| {});
    assert!(out.contains("no version matches ~> 2.0; the registry has 1.0.0"), "{out}");

    // The chosen version has no package for this platform.
    let mut r = small_release("mac", "1.0.0");
    r.listed_platforms = vec![("darwin".into(), "arm64".into())];
    r.packages.clear();
    reg.publish(r);
    let out = init_fails(&url, "mac", "~> 1.0", |_| {});
    assert!(out.contains("(registry.test.local/test/mac v1.0.0) has no package for this platform, linux_amd64; it has darwin_arm64"), "{out}");

    // The zip is not what the registry's answer states.
    let mut r = small_release("stated", "1.0.0");
    r.packages[0].shasum = "0".repeat(64);
    reg.publish(r);
    let out = init_fails(&url, "stated", "~> 1.0", |_| {});
    assert!(out.contains("does not match the checksum the registry states for it"), "{out}");

    // The zip is not what the signed SHA256SUMS lists.
    let mut r = small_release("sums", "1.0.0");
    let sums = format!("{}  terraform-provider-sums_1.0.0_linux_amd64.zip\n", "1".repeat(64));
    r.signature = signer().sign(sums.as_bytes());
    r.shasums = sums.into_bytes();
    reg.publish(r);
    let out = init_fails(&url, "sums", "~> 1.0", |_| {});
    assert!(out.contains(&format!("does not match its line in the signed SHA256SUMS ({})", "1".repeat(64))), "{out}");

    // SHA256SUMS signed by a key the registry did not return.
    let mut r = small_release("forged", "1.0.0");
    r.signature = Signer::new("someone-else").sign(&r.shasums);
    reg.publish(r);
    let out = init_fails(&url, "forged", "~> 1.0", |_| {});
    assert!(
        out.contains("the signature of the registry's SHA256SUMS does not verify: SHA256SUMS is not signed by any of the 1 key(s) the registry returned"),
        "{out}"
    );

    // The newest allowed version speaks a protocol iac does not (Terraform refuses it too).
    let mut r = small_release("ancient", "1.1.0");
    r.protocols = vec!["4.0".into()];
    reg.publish(r);
    reg.publish(small_release("ancient", "1.0.0"));
    let out = init_fails(&url, "ancient", "~> 1.0", |_| {});
    assert!(out.contains("(registry.test.local/test/ancient v1.1.0) speaks plugin protocol 4.0, which iac does not"), "{out}");

    // A package that is not a zip, though every checksum matches it.
    let junk = Bytes::from_static(b"PK\x03\x04 this is no zip archive");
    let sha = sha256_bytes(&junk);
    reg.publish(release("test", "corrupt", "1.0.0", junk, &sha));
    let out = init_fails(&url, "corrupt", "~> 1.0", |_| {});
    assert!(out.contains("(registry.test.local/test/corrupt v1.0.0): the downloaded package is corrupt: not a zip archive"), "{out}");

    // A package that differs from the one the lock file records.
    reg.publish(small_release("locked", "1.0.0"));
    let lock = "provider \"registry.test.local/test/locked\" {\n  version     = \"1.0.0\"\n  constraints = \"~> 1.0\"\n  hashes = [\n    \"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\n  ]\n}\n";
    let out = init_fails(&url, "locked", "~> 1.0", |s| s.write(".terraform.lock.hcl", lock));
    assert!(out.contains("matches none recorded in .terraform.lock.hcl (h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=)"), "{out}");
}

/// A CLI configuration whose only installation method is a network mirror,
/// and the test CA's certificate beside it (for `SSL_CERT_FILE`).
fn mirror_config(dir: &Path, reg: &ProviderRegistry) -> (PathBuf, PathBuf) {
    let rc = dir.join("terraformrc-mirror");
    let host = reg.url().trim_start_matches("https://").to_string();
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  network_mirror {{\n    url = \"{}\"\n  }}\n}}\ncredentials \"{host}\" {{\n  token = \"mirror-token\"\n}}\n",
            reg.mirror_url()
        ),
    )
    .unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, reg.ca_pem().expect("an https registry")).unwrap();
    (rc, ca)
}

fn mirror_stack(rc: &Path, ca: &Path, name: &str, main_tf: &str) -> Stack {
    let mut s = stack_for(rc, name, main_tf);
    s.env.insert("SSL_CERT_FILE".into(), ca.display().to_string());
    s
}

fn main_tf_default_host(ty: &str, ns: &str, version: &str) -> String {
    format!("terraform {{\n  required_providers {{\n    {ty} = {{\n      source  = \"{ns}/{ty}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n")
}

#[test]
fn iac_and_terraform_install_aws_from_a_network_mirror_and_lock_the_same_hashes() {
    let (zip, sha) = aws_zip();
    let reg = ProviderRegistry::start_tls();
    reg.publish(release("hashicorp", "aws", "5.100.0", Bytes::from(std::fs::read(zip).unwrap()), sha));
    let mut v6 = small_release("aws", "6.0.0");
    v6.namespace = "hashicorp".into();
    reg.publish(v6);
    let work = tempfile::tempdir().unwrap();
    let (rc, ca) = mirror_config(work.path(), &reg);
    let tf = main_tf_default_host("aws", "hashicorp", "~> 5.0");

    let s = mirror_stack(&rc, &ca, "aws", &tf);
    let out = s.run(&["init"]);
    out.ok();
    let pkg = s.path(".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
    assert!(pkg.join("terraform-provider-aws_v5.100.0_x5").is_file(), "{}\n{}", pkg.display(), out.all());
    assert!(out.all().contains("plugin registry.terraform.io/hashicorp/aws v5.100.0"), "{}", out.all());
    let leftovers: Vec<String> = std::fs::read_dir(pkg.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "linux_amd64")
        .collect();
    assert!(leftovers.is_empty(), "scratch left behind: {leftovers:?}");
    let (version, hashes) = lock_entry(s.root().join("aws").as_path());
    assert_eq!(version, "5.100.0");
    let paths: Vec<String> = reg.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.iter().any(|p| p == "/mirror/registry.terraform.io/hashicorp/aws/index.json"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/mirror/registry.terraform.io/hashicorp/aws/5.100.0.json"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("/v1/") || p.starts_with("/.well-known")), "a network mirror is not a registry: {paths:?}");
    let authorized = |r: &iac_testkit::recorder::Request| r.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v == "Bearer mirror-token");
    assert!(reg.requests().iter().all(authorized), "every request to the mirror's host carries its token");

    // Terraform 1.11.4, same mirror, same CA.
    let tf_dir = work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), &tf).unwrap();
    let tf_out = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["init", "-no-color", "-input=false", "-backend=false"])
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("SSL_CERT_FILE", &ca)
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(tf_out.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf_out.stdout), String::from_utf8_lossy(&tf_out.stderr));
    assert_eq!(lock_entry(&tf_dir), (version.clone(), hashes.clone()), "Terraform's lock file entry");

    // A second init reuses the package the lock file vouches for.
    let downloads = |reg: &ProviderRegistry| reg.requests().iter().filter(|r| r.path.ends_with(".zip")).count();
    let before = downloads(&reg);
    s.run(&["init"]).ok();
    assert_eq!(downloads(&reg), before, "the second init downloaded the package again");
    assert_eq!(lock_entry(s.root().join("aws").as_path()), (version, hashes));
}

#[test]
fn network_mirror_failures_name_the_provider_and_install_nothing() {
    let reg = ProviderRegistry::start_tls();
    let work = tempfile::tempdir().unwrap();
    let (rc, ca) = mirror_config(work.path(), &reg);
    let fails = |name: &str, ty: &str, constraint: &str, ca: &Path| {
        let s = mirror_stack(&rc, ca, name, &main_tf_default_host(ty, "test", constraint));
        let out = s.run(&["init"]);
        out.expect_code(1);
        let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(all.contains(&format!("provider \"{ty}\"")), "the message names the provider:\n{all}");
        assert!(installed_files(&s).is_empty(), "left installed: {:?}\n{all}", installed_files(&s));
        all
    };

    reg.publish(small_release("good", "1.0.0"));

    // Without trusting the test CA, the mirror is unreachable.
    let untrusted = work.path().join("empty.pem");
    std::fs::write(&untrusted, "").unwrap();
    let out = fails("untrusted", "good", "~> 1.0", &untrusted);
    assert!(out.contains("cannot reach 127.0.0.1"), "{out}");

    // Not on the mirror.
    let out = fails("nosuch", "nosuch", "~> 1.0", &ca);
    // (The diagnostic may wrap inside the address: compare without spaces.)
    assert!(out.replace(' ', "").contains(&format!("thenetworkmirror{}hasnoproviderregistry.terraform.io/test/nosuch", reg.mirror_url())), "{out}");

    // A provider the mirror lacks goes on to the next method, the registry.
    let both_rc = work.path().join("terraformrc-both");
    std::fs::write(&both_rc, format!("provider_installation {{\n  network_mirror {{\n    url = \"{}\"\n  }}\n  direct {{}}\n}}\nhost \"{HOST}\" {{\n  services = {{\n    \"providers.v1\" = \"{}\"\n  }}\n}}\n", reg.mirror_url(), reg.providers_url())).unwrap();
    let s = mirror_stack(&both_rc, &ca, "fallback", &main_tf("elsewhere", "test", "~> 1.0"));
    let out = s.run(&["init"]);
    out.expect_code(1);
    let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        all.replace(' ', "").contains("theregistryregistry.test.localhasnoproviderregistry.test.local/test/elsewhere"),
        "the registry was asked after the mirror: {all}"
    );
    assert!(reg.requests().iter().any(|r| r.path == "/mirror/registry.test.local/test/elsewhere/index.json"), "the mirror was asked first");

    // No version matching the constraint.
    reg.publish(small_release("old", "1.0.0"));
    let out = fails("old", "old", "~> 2.0", &ca);
    assert!(out.contains("no version matches ~> 2.0; the registry has 1.0.0"), "{out}");

    // No package for this platform.
    let mut r = small_release("mac", "1.0.0");
    r.packages[0].os = "darwin".into();
    r.packages[0].arch = "arm64".into();
    reg.publish(r);
    let out = fails("mac", "mac", "~> 1.0", &ca);
    assert!(out.contains("(registry.terraform.io/test/mac v1.0.0) has no package for this platform, linux_amd64; it has darwin_arm64"), "{out}");

    // The zip is not what the mirror lists.
    let mut r = small_release("stated", "1.0.0");
    r.packages[0].shasum = "0".repeat(64);
    reg.publish(r);
    let out = fails("stated", "stated", "~> 1.0", &ca);
    assert!(out.contains(&format!("does not match the hashes the network mirror lists for it (zh:{})", "0".repeat(64))), "{out}");

    // Terraform refuses a network mirror at an http: URL ("the mirror must
    // be at an https: URL"); so does iac, before installing anything.
    let http_rc = work.path().join("terraformrc-http");
    std::fs::write(&http_rc, "provider_installation {\n  network_mirror {\n    url = \"http://127.0.0.1:1/\"\n  }\n}\n").unwrap();
    let s = mirror_stack(&http_rc, &ca, "http", &main_tf_default_host("good", "test", "~> 1.0"));
    let out = s.run(&["init"]);
    out.expect_code(1);
    let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("network_mirror url \"http://127.0.0.1:1/\": a network mirror must be at an https: URL"), "{all}");
}

/// test/TYPE VERSION with a package for each of linux_amd64 and darwin_arm64
/// (different contents), both listed in the signed SHA256SUMS.
fn two_platform_release(ty: &str, version: &str) -> Release {
    let mut packages = Vec::new();
    let mut sums = String::new();
    for (os, arch) in [("linux", "amd64"), ("darwin", "arm64")] {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(format!("terraform-provider-{ty}_v{version}_x5"));
        std::fs::write(&bin, format!("#!/bin/sh\n# {os}_{arch}\nexit 1\n")).unwrap();
        let zip = dir.path().join("p.zip");
        let out = Command::new("zip").arg("-q").arg("-j").arg(&zip).arg(&bin).output().expect("run zip");
        assert!(out.status.success());
        let bytes = std::fs::read(&zip).unwrap();
        let sha = sha256_bytes(&bytes);
        let filename = format!("terraform-provider-{ty}_{version}_{os}_{arch}.zip");
        sums.push_str(&format!("{sha}  {filename}\n"));
        packages.push(PlatformPackage { os: os.into(), arch: arch.into(), filename, zip: Bytes::from(bytes), shasum: sha });
    }
    Release {
        namespace: "test".into(),
        type_: ty.into(),
        version: version.into(),
        protocols: vec!["5.0".into()],
        listed_platforms: vec![("linux".into(), "amd64".into()), ("darwin".into(), "arm64".into())],
        packages,
        signature: signer().sign(sums.as_bytes()),
        shasums: sums.into_bytes(),
        keys: vec![signer().public.clone()],
    }
}

#[test]
fn iac_and_terraform_providers_lock_record_the_same_hashes_for_other_platforms() {
    let reg = ProviderRegistry::start();
    reg.publish(two_platform_release("tiny", "1.2.0"));
    reg.publish(two_platform_release("tiny", "1.3.0"));
    let work = tempfile::tempdir().unwrap();
    let rc = cli_config(work.path(), &reg.providers_url());
    let tf = main_tf("tiny", "test", "~> 1.2");
    let platforms = ["-platform=linux_amd64", "-platform=darwin_arm64"];

    let s = stack_for(&rc, "tiny", &tf);
    let mut args = vec!["providers", "lock"];
    args.extend(platforms);
    let out = s.run(&args);
    out.ok();
    assert!(out.all().contains("registry.test.local/test/tiny v1.3.0: hashes for linux_amd64, darwin_arm64"), "{}", out.all());
    assert!(!s.path(".terraform/providers").exists(), "providers lock installs nothing");
    let (version, hashes) = lock_entry(s.root().join("tiny").as_path());
    assert_eq!(version, "1.3.0");
    assert_eq!(hashes.iter().filter(|h| h.starts_with("h1:")).count(), 2, "one h1 per platform: {hashes:?}");
    assert_eq!(hashes.iter().filter(|h| h.starts_with("zh:")).count(), 2, "{hashes:?}");

    let tf_dir = work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), &tf).unwrap();
    let tf_out = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["providers", "lock", "-no-color"])
        .args(platforms)
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(tf_out.status.success(), "terraform providers lock:\n{}{}", String::from_utf8_lossy(&tf_out.stdout), String::from_utf8_lossy(&tf_out.stderr));
    assert_eq!(lock_entry(&tf_dir), (version.clone(), hashes.clone()), "Terraform's lock file entry");
    let body = |t: String| t.split_once("\n\n").unwrap().1.to_string();
    assert_eq!(
        body(std::fs::read_to_string(s.path(".terraform.lock.hcl")).unwrap()),
        body(std::fs::read_to_string(tf_dir.join(".terraform.lock.hcl")).unwrap()),
        "the same provider block"
    );

    // The locked version stays while the constraints allow it, its hashes kept.
    let old = "provider \"registry.test.local/test/tiny\" {\n  version     = \"1.2.0\"\n  constraints = \"~> 1.2\"\n  hashes = [\n    \"h1:kept/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\n  ]\n}\n";
    s.write(".terraform.lock.hcl", old);
    s.run(&["providers", "lock", "-platform=darwin_arm64"]).ok();
    let (version, hashes) = lock_entry(s.root().join("tiny").as_path());
    assert_eq!(version, "1.2.0");
    assert!(hashes.contains(&"h1:kept/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string()) && hashes.len() == 4, "{hashes:?}");

    // A platform the release lacks is an error naming the provider.
    let out = s.run(&["providers", "lock", "-platform=windows_amd64"]);
    out.expect_code(1);
    let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("(registry.test.local/test/tiny v1.2.0) has no package for this platform, windows_amd64; it has linux_amd64, darwin_arm64"), "{all}");
}

/// Every file below `dir` (relative path, contents).
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, p: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            } else {
                out.push((e.path().strip_prefix(root).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn iac_and_terraform_providers_mirror_write_the_same_directory() {
    let reg = ProviderRegistry::start();
    reg.publish(two_platform_release("tiny", "1.2.0"));
    reg.publish(two_platform_release("tiny", "1.3.0"));
    let work = tempfile::tempdir().unwrap();
    let rc = cli_config(work.path(), &reg.providers_url());
    let tf = main_tf("tiny", "test", "~> 1.2");
    let platforms = ["-platform=linux_amd64", "-platform=darwin_arm64"];
    let iac_dir = work.path().join("iac-mirror");
    let tf_dir = work.path().join("tf-mirror");

    let s = stack_for(&rc, "tiny", &tf);
    let mut args = vec!["providers", "mirror"];
    args.extend(platforms);
    let target = iac_dir.display().to_string();
    args.push(&target);
    let out = s.run(&args);
    out.ok();
    assert!(out.all().contains("registry.test.local/test/tiny v1.3.0: packages for linux_amd64, darwin_arm64"), "{}", out.all());

    let tf_stack = work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_stack).unwrap();
    std::fs::write(tf_stack.join("main.tf"), &tf).unwrap();
    let tf_out = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["providers", "mirror", "-no-color"])
        .args(platforms)
        .arg(&tf_dir)
        .current_dir(&tf_stack)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform");
    assert!(tf_out.status.success(), "terraform providers mirror:\n{}{}", String::from_utf8_lossy(&tf_out.stdout), String::from_utf8_lossy(&tf_out.stderr));
    let (ours, theirs) = (tree(&iac_dir), tree(&tf_dir));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs), "the same files");
    for ((name, a), (_, b)) in ours.iter().zip(&theirs) {
        assert!(a == b, "{name} differs:\niac:\n{}\nterraform:\n{}", String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    }
    let version_doc = String::from_utf8(std::fs::read(iac_dir.join("registry.test.local/test/tiny/1.3.0.json")).unwrap()).unwrap();
    assert!(version_doc.contains("\"url\": \"terraform-provider-tiny_1.3.0_darwin_arm64.zip\""), "{version_doc}");

    // With a lock file, its version is mirrored; the index lists both.
    s.write(".terraform.lock.hcl", "provider \"registry.test.local/test/tiny\" {\n  version     = \"1.2.0\"\n  constraints = \"~> 1.2\"\n  hashes = []\n}\n");
    s.run(&["providers", "mirror", "-platform=linux_amd64", &target]).ok();
    let index = std::fs::read_to_string(iac_dir.join("registry.test.local/test/tiny/index.json")).unwrap();
    assert_eq!(index, "{\n  \"versions\": {\n    \"1.2.0\": {},\n    \"1.3.0\": {}\n  }\n}");
    assert!(iac_dir.join("registry.test.local/test/tiny/terraform-provider-tiny_1.2.0_linux_amd64.zip").is_file());
}

#[test]
fn a_providers_mirror_directory_published_as_a_network_mirror_installs_aws() {
    let (zip, sha) = aws_zip();
    let reg = ProviderRegistry::start_tls();
    reg.publish(release("hashicorp", "aws", "5.100.0", Bytes::from(std::fs::read(zip).unwrap()), sha));
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, reg.ca_pem().unwrap()).unwrap();
    let rc = cli_config(work.path(), &reg.providers_url());
    let tf = main_tf("aws", "hashicorp", "~> 5.0");

    // iac providers mirror from the registry (over https, the test CA trusted).
    let mirror_dir = work.path().join("published");
    let mut s = stack_for(&rc, "aws", &tf);
    s.env.insert("SSL_CERT_FILE".into(), ca.display().to_string());
    let target = mirror_dir.display().to_string();
    s.run(&["providers", "mirror", &target]).ok();
    let doc = std::fs::read_to_string(mirror_dir.join("registry.test.local/hashicorp/aws/5.100.0.json")).unwrap();
    let h1 = doc.split('"').find(|p| p.starts_with("h1:")).expect("an h1 hash").to_string();

    // Published as a network mirror, it installs the plugin, locked by that h1.
    reg.serve_dir(&mirror_dir);
    let net_rc = work.path().join("terraformrc-net");
    std::fs::write(&net_rc, format!("provider_installation {{\n  network_mirror {{\n    url = \"{}\"\n  }}\n}}\n", reg.dir_url())).unwrap();
    let mut s2 = stack_for(&net_rc, "aws-from-mirror", &tf);
    s2.env.insert("SSL_CERT_FILE".into(), ca.display().to_string());
    let out = s2.run(&["init"]);
    out.ok();
    assert!(
        s2.path(".terraform/providers/registry.test.local/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5").is_file(),
        "{}",
        out.all()
    );
    assert_eq!(lock_entry(s2.root().join("aws-from-mirror").as_path()), ("5.100.0".to_string(), vec![h1.clone()]));

    // An absolute archive URL works too, and one matching hash of several suffices.
    let zip_name = "terraform-provider-aws_5.100.0_linux_amd64.zip";
    let absolute = format!("{}registry.test.local/hashicorp/aws/{zip_name}", reg.dir_url());
    let edited = doc
        .replace(&format!("\"url\": \"{zip_name}\""), &format!("\"url\": \"{absolute}\""))
        .replace(&format!("\"{h1}\""), &format!("\"zh:{}\", \"{h1}\"", "0".repeat(64)));
    assert_ne!(edited, doc);
    std::fs::write(mirror_dir.join("registry.test.local/hashicorp/aws/5.100.0.json"), edited).unwrap();
    let mut s3 = stack_for(&net_rc, "aws-absolute", &tf);
    s3.env.insert("SSL_CERT_FILE".into(), ca.display().to_string());
    s3.run(&["init"]).ok();
    assert_eq!(lock_entry(s3.root().join("aws-absolute").as_path()), ("5.100.0".to_string(), vec![h1]));
}

/// The lock file without its opening comment (which names the tool).
fn lock_body(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n")
}

/// Several installation methods together: a filesystem mirror (packed and
/// unpacked packages, admitting `test/*` only) before a network mirror.
/// Each provider's versions are pooled over the methods that admit it and
/// the newest allowed is installed from the first method holding it, so
/// `test/thing` comes from the network mirror (newer there), `test/gizmo`
/// from the filesystem mirror, and `other/widget` from the network mirror
/// although the filesystem mirror has a newer one it may not serve. iac and
/// Terraform 1.11.4 write the same lock file.
#[test]
fn versions_are_pooled_across_installation_methods_as_terraform_pools_them() {
    // Plugins that run (`iac init` starts the chosen ones): launchers of the
    // kv test provider (tests/fixtures/plugins/kv, on the venv
    // scripts/install-tools makes), one per name and version.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap();
    let python = repo.join(".tools/tfprovider-venv/bin/python");
    assert!(python.is_file(), "{} is missing: run scripts/install-tools (it installs tfprovider from PyPI)", python.display());
    let launcher = format!("#!/bin/sh\nexec {} {}\n", python.display(), repo.join("tests/fixtures/plugins/kv/provider.py").display());
    let runnable = |ty: &str, version: &str| {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(format!("terraform-provider-{ty}_v{version}_x5"));
        std::fs::write(&bin, format!("{launcher}# {ty} {version}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let zip = dir.path().join("p.zip");
        let out = Command::new("zip").arg("-q").arg("-j").arg(&zip).arg(&bin).output().expect("run zip");
        assert!(out.status.success(), "zip: {}", String::from_utf8_lossy(&out.stderr));
        Bytes::from(std::fs::read(&zip).unwrap())
    };
    let published = |ns: &str, ty: &str, version: &str| {
        let zip = runnable(ty, version);
        let sha = sha256_bytes(&zip);
        release(ns, ty, version, zip, &sha)
    };
    let reg = ProviderRegistry::start_tls();
    reg.publish(published("test", "thing", "1.1.0"));
    reg.publish(published("test", "gizmo", "1.0.0"));
    reg.publish(published("other", "widget", "0.5.0"));
    let work = tempfile::tempdir().unwrap();
    let fs = work.path().join("fs-mirror");
    let platform = "linux_amd64";
    let put_zip = |ns: &str, ty: &str, version: &str| {
        let d = fs.join("registry.terraform.io").join(ns).join(ty);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("terraform-provider-{ty}_{version}_{platform}.zip")), &runnable(ty, version)[..]).unwrap();
    };
    put_zip("test", "thing", "1.0.0");
    put_zip("other", "widget", "0.9.0");
    let gizmo = fs.join("registry.terraform.io/test/gizmo/2.0.0").join(platform);
    std::fs::create_dir_all(&gizmo).unwrap();
    std::fs::write(gizmo.join("terraform-provider-gizmo_v2.0.0_x5"), format!("{launcher}# gizmo 2.0.0\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(gizmo.join("terraform-provider-gizmo_v2.0.0_x5"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let rc = work.path().join("terraformrc-pooled");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"test/*\"]\n  }}\n  network_mirror {{\n    url = \"{}\"\n  }}\n}}\n",
            fs.display(),
            reg.mirror_url()
        ),
    )
    .unwrap();
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, reg.ca_pem().expect("an https registry")).unwrap();
    let tf = "terraform {\n  required_providers {\n    thing  = { source = \"test/thing\" }\n    gizmo  = { source = \"test/gizmo\" }\n    widget = { source = \"other/widget\", version = \"< 1.0\" }\n  }\n}\n";

    let s = mirror_stack(&rc, &ca, "pooled", tf);
    let out = s.run(&["init"]);
    out.ok();
    for line in
        ["plugin registry.terraform.io/test/thing v1.1.0", "plugin registry.terraform.io/test/gizmo v2.0.0", "plugin registry.terraform.io/other/widget v0.5.0"]
    {
        assert!(out.all().contains(line), "{line}:\n{}", out.all());
    }
    let ours = s.root().join("pooled");

    let tf_dir = work.path().join("tf-stack");
    std::fs::create_dir_all(&tf_dir).unwrap();
    std::fs::write(tf_dir.join("main.tf"), tf).unwrap();
    let tf_out = Command::new(iac_testkit::tools::tool("terraform"))
        .args(["init", "-no-color", "-input=false", "-backend=false"])
        .current_dir(&tf_dir)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("SSL_CERT_FILE", &ca)
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(tf_out.status.success(), "terraform init:\n{}{}", String::from_utf8_lossy(&tf_out.stdout), String::from_utf8_lossy(&tf_out.stderr));
    assert_eq!(lock_body(&ours), lock_body(&tf_dir), "the lock file");
}
