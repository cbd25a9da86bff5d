//! Provider installation from filesystem mirrors, checked against what
//! `terraform init` does with the same mirror.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use iac_install::lockfile::LockFile;
use iac_install::{install, requirements, Choice, InstallError, Manifest, Options, ProviderSource};

/// A mirror holding a fake `example/thing` provider in two versions.
fn fake_mirror(root: &Path) -> PathBuf {
    let mirror = root.join("mirror");
    for v in ["1.2.0", "1.3.1", "2.0.0"] {
        let d = mirror.join("registry.terraform.io/example/thing").join(v).join(iac_install::mirror::platform());
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("terraform-provider-thing_v{v}")), format!("#!/bin/sh\necho {v}\n")).unwrap();
    }
    mirror
}

fn reqs(version: &str) -> Vec<iac_install::Requirement> {
    requirements(&BTreeSet::from(["thing".to_string()]), &[("thing".into(), Some("example/thing".into()), Some(version.into()))]).unwrap()
}

fn options(mirror: &Path) -> Options {
    Options { plugin_dirs: vec![mirror.to_path_buf()], ..Options::default() }
}

#[test]
fn the_newest_allowed_version_is_installed_locked_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = fake_mirror(tmp.path());
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let m = install(&stack, &reqs("~> 1.2"), &options(&mirror)).unwrap();
    let Choice::Plugin { version, binary, .. } = &m.providers[0] else { panic!("{m:?}") };
    assert_eq!(version, "1.3.1");
    assert!(binary.starts_with(stack.join(".terraform/providers/registry.terraform.io/example/thing/1.3.1")));
    assert!(binary.is_file());
    let lock = LockFile::read(&stack).unwrap();
    let locked = &lock.providers[&ProviderSource::parse("example/thing").unwrap()];
    assert_eq!((locked.version.as_str(), locked.constraints.as_deref()), ("1.3.1", Some("~> 1.2")));
    assert!(locked.hashes[0].starts_with("h1:"));
    Manifest::read(&stack).unwrap().verify(&stack).unwrap();

    // A wider constraint keeps the locked version until -upgrade.
    let m = install(&stack, &reqs(">= 1.0"), &Options { plugin_dirs: vec![], ..options(&mirror) }).unwrap();
    assert!(matches!(&m.providers[0], Choice::Plugin { version, .. } if version == "1.3.1"), "plugin_dirs remembered, lock kept");
    let m = install(&stack, &reqs(">= 1.0"), &Options { upgrade: true, ..options(&mirror) }).unwrap();
    assert!(matches!(&m.providers[0], Choice::Plugin { version, .. } if version == "2.0.0"));
    // A constraint the locked version fails is an error naming the way out.
    let e = install(&stack, &reqs("~> 1.0"), &options(&mirror)).unwrap_err();
    assert!(matches!(e, InstallError::LockedVersionRejected { .. }), "{e}");
    assert!(e.to_string().contains("-upgrade"));
}

#[test]
fn a_changed_package_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = fake_mirror(tmp.path());
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    install(&stack, &reqs("1.2.0"), &options(&mirror)).unwrap();
    let bin = mirror.join("registry.terraform.io/example/thing/1.2.0").join(iac_install::mirror::platform()).join("terraform-provider-thing_v1.2.0");
    std::fs::write(&bin, "#!/bin/sh\necho tampered with\n").unwrap();
    let e = Manifest::read(&stack).unwrap().verify(&stack).unwrap_err();
    assert!(matches!(e, InstallError::ChecksumMismatch { .. }), "{e}");
    let e = install(&stack, &reqs("1.2.0"), &options(&mirror)).unwrap_err();
    assert!(e.to_string().contains("matches none recorded in .terraform.lock.hcl"), "{e}");
}

#[test]
fn missing_providers_fall_back_to_native_only_where_one_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = fake_mirror(tmp.path());
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let native = BTreeSet::from(["aws".to_string()]);
    let r = requirements(&BTreeSet::from(["aws".to_string()]), &[("aws".into(), Some("hashicorp/aws".into()), Some("~> 5.0".into()))]).unwrap();
    let m = install(&stack, &r, &Options { native: native.clone(), ..options(&mirror) }).unwrap();
    assert!(matches!(&m.providers[0], Choice::Native { why, .. } if why.contains("no hashicorp/aws plugin")), "{m:?}");
    let r = requirements(&BTreeSet::from(["thing".to_string()]), &[("thing".into(), Some("example/thing".into()), Some("~> 9.0".into()))]).unwrap();
    let e = install(&stack, &r, &Options { native, ..options(&mirror) }).unwrap_err();
    assert!(matches!(e, InstallError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("~> 9.0") && e.to_string().contains("mirror"), "{e}");
    // -native wins over an installed plugin, and is remembered.
    let r = reqs("~> 1.2");
    let e = install(&stack, &r, &Options { prefer_native: BTreeSet::from(["thing".into()]), ..options(&mirror) }).unwrap_err();
    assert!(matches!(e, InstallError::NoNative { .. }));
}

#[test]
fn dev_overrides_run_the_given_binary_unlocked() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = tmp.path().join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::write(dev.join("terraform-provider-thing"), "#!/bin/sh\n").unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let cli = iac_install::cliconfig::CliConfig::parse(&format!(
        "provider_installation {{\n dev_overrides {{\n \"example/thing\" = {:?}\n }}\n}}\n",
        dev.display().to_string()
    ))
    .unwrap();
    let m = install(&stack, &reqs("~> 1.2"), &Options { cli, ..Options::default() }).unwrap();
    assert!(matches!(&m.providers[0], Choice::DevOverride { binary, .. } if binary == &dev.join("terraform-provider-thing")));
    assert!(LockFile::read(&stack).unwrap().providers.is_empty());
}

/// The lock file `terraform init -plugin-dir` writes for the machine image's
/// mirror (the real hashicorp/aws 5.100.0) records the same hash as ours.
#[test]
fn lock_file_hashes_match_terraforms_for_the_real_aws_plugin() {
    let mirror = iac_testkit_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let tf = tmp.path().join("tf");
    let ours = tmp.path().join("iac");
    let config = "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = \"~> 5.0\" }\n  }\n}\n";
    for d in [&tf, &ours] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("main.tf"), config).unwrap();
    }
    let out = Command::new("terraform")
        .args(["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())])
        .current_dir(&tf)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .expect("terraform is on PATH");
    assert!(out.status.success(), "terraform init: {}", String::from_utf8_lossy(&out.stderr));
    let r = requirements(&BTreeSet::from(["aws".to_string()]), &[("aws".into(), Some("hashicorp/aws".into()), Some("~> 5.0".into()))]).unwrap();
    install(&ours, &r, &options(&mirror)).unwrap();
    let theirs = LockFile::read(&tf).unwrap();
    let mine = LockFile::read(&ours).unwrap();
    assert_eq!(mine, theirs, "same providers, versions, constraints and hashes");
    // And Terraform accepts our lock file as its own.
    std::fs::remove_dir_all(tf.join(".terraform")).unwrap();
    std::fs::copy(ours.join(".terraform.lock.hcl"), tf.join(".terraform.lock.hcl")).unwrap();
    let out = Command::new("terraform")
        .args(["init", "-input=false", "-no-color", "-lockfile=readonly", &format!("-plugin-dir={}", mirror.display())])
        .current_dir(&tf)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "terraform init with iac's lock file: {}", String::from_utf8_lossy(&out.stderr));
}

/// The image's filesystem mirror, as `shared/tools/terraform-mirror` prints it.
fn iac_testkit_mirror() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/terraform-mirror");
    let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e} (the machine image's Terraform mirror is required)", script.display()));
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(dir.is_dir(), "{} printed {}, which is not a directory", script.display(), dir.display());
    dir
}
