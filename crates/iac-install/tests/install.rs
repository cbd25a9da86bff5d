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

/// A provider package zip, as `terraform providers mirror` leaves them in a
/// packed mirror: made by the `zip` program, the plugin and a licence.
fn packed(mirror: &Path, ns_type: &str, version: &str) -> PathBuf {
    let (ns, ty) = ns_type.split_once('/').unwrap();
    let dir = mirror.join("registry.terraform.io").join(ns).join(ty);
    std::fs::create_dir_all(&dir).unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join(format!("terraform-provider-{ty}_v{version}_x5"));
    std::fs::write(&bin, format!("#!/bin/sh\necho {ty} {version} packed\n")).unwrap();
    std::fs::write(work.path().join("LICENSE"), "licence\n").unwrap();
    let zip = dir.join(format!("terraform-provider-{ty}_{version}_{}.zip", iac_install::mirror::platform()));
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("zip").arg("-q").arg(&zip).arg(bin.file_name().unwrap()).arg("LICENSE").current_dir(work.path()).output().expect("run zip");
    assert!(out.status.success(), "zip: {}", String::from_utf8_lossy(&out.stderr));
    zip
}

fn unpacked(mirror: &Path, ns_type: &str, version: &str) {
    let (ns, ty) = ns_type.split_once('/').unwrap();
    let d = mirror.join("registry.terraform.io").join(ns).join(ty).join(version).join(iac_install::mirror::platform());
    std::fs::create_dir_all(&d).unwrap();
    let bin = d.join(format!("terraform-provider-{ty}_v{version}_x5"));
    std::fs::write(&bin, format!("#!/bin/sh\necho {ty} {version}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `terraform init` in `dir` with the given extra arguments and CLI configuration.
fn terraform_init(dir: &Path, args: &[String], rc: &Path) {
    let out = Command::new("terraform")
        .args(["init", "-input=false", "-no-color"])
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("terraform is on PATH");
    assert!(out.status.success(), "terraform init {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// The lock file's text without its opening comment (which names the tool).
fn lock_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".terraform.lock.hcl")).unwrap().lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n")
}

/// Two stacks (Terraform's, iac's) with the same configuration.
fn twin_stacks(root: &Path, config: &str) -> (PathBuf, PathBuf) {
    let (tf, ours) = (root.join("tf"), root.join("iac"));
    for d in [&tf, &ours] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("main.tf"), config).unwrap();
    }
    (tf, ours)
}

fn thing_config(constraint: &str) -> String {
    format!("terraform {{\n  required_providers {{\n    thing = {{ source = \"example/thing\", version = \"{constraint}\" }}\n  }}\n}}\n")
}

/// Packed and unpacked packages in two `-plugin-dir` mirrors: the versions
/// are pooled across both (the newest allowed wins wherever it is), a
/// version in both layouts is taken unpacked, a packed one is unpacked into
/// `.terraform/providers`; the lock file is Terraform's, byte for byte, and
/// Terraform accepts ours.
#[test]
fn packed_mirrors_and_pooled_plugin_dirs_lock_as_terraform_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (m1, m2) = (tmp.path().join("m1"), tmp.path().join("m2"));
    packed(&m1, "example/thing", "1.0.0");
    packed(&m1, "example/thing", "1.1.0");
    unpacked(&m1, "example/thing", "1.1.0");
    unpacked(&m1, "example/thing", "1.0.5");
    packed(&m2, "example/thing", "1.3.0");
    let dirs = |ds: &[&Path]| ds.iter().map(|d| format!("-plugin-dir={}", d.display())).collect::<Vec<_>>();
    let platform = iac_install::mirror::platform();
    for (constraint, want, packed_pick) in [("~> 1.0", "1.3.0", true), ("< 1.2", "1.1.0", false), ("1.0.0", "1.0.0", true)] {
        let (tf, ours) = twin_stacks(&tmp.path().join("stacks"), &thing_config(constraint));
        terraform_init(&tf, &dirs(&[&m1, &m2]), Path::new("/dev/null"));
        let r = requirements(&BTreeSet::from(["thing".to_string()]), &[("thing".into(), Some("example/thing".into()), Some(constraint.into()))]).unwrap();
        let m = install(&ours, &r, &Options { plugin_dirs: vec![m1.clone(), m2.clone()], ..Options::default() }).unwrap();
        let Choice::Plugin { version, binary, .. } = &m.providers[0] else { panic!("{m:?}") };
        assert_eq!(version, want, "{constraint}");
        assert_eq!(LockFile::read(&ours).unwrap(), LockFile::read(&tf).unwrap(), "{constraint}: the lock file");
        assert_eq!(lock_text(&ours), lock_text(&tf), "{constraint}: the lock file's text");
        let theirs = std::fs::read_to_string(tf.join(".terraform.lock.hcl")).unwrap();
        assert!(!theirs.contains("zh:"), "a filesystem mirror's package is locked by its h1: hash only:\n{theirs}");
        let pkg = ours.join(".terraform/providers/registry.terraform.io/example/thing").join(want).join(&platform);
        let meta = std::fs::symlink_metadata(&pkg).unwrap();
        assert_eq!(meta.file_type().is_symlink(), !packed_pick, "{constraint}: an unpacked mirror is linked, a packed one unpacked");
        let theirs_meta = std::fs::symlink_metadata(tf.join(".terraform/providers/registry.terraform.io/example/thing").join(want).join(&platform)).unwrap();
        assert_eq!(meta.file_type().is_symlink(), theirs_meta.file_type().is_symlink(), "{constraint}: as Terraform");
        let run = Command::new(binary).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), if packed_pick { format!("thing {want} packed") } else { format!("thing {want}") });
        Manifest::read(&ours).unwrap().verify(&ours).unwrap();
        let leftovers: Vec<String> =
            std::fs::read_dir(pkg.parent().unwrap()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(leftovers, vec![platform.clone()], "no scratch left");

        // Terraform accepts our lock file as its own.
        std::fs::remove_dir_all(tf.join(".terraform")).unwrap();
        std::fs::copy(ours.join(".terraform.lock.hcl"), tf.join(".terraform.lock.hcl")).unwrap();
        let mut args = dirs(&[&m1, &m2]);
        args.push("-lockfile=readonly".into());
        terraform_init(&tf, &args, Path::new("/dev/null"));

        // A second init keeps the unpacked package: nothing is unpacked again.
        if packed_pick {
            let before = std::fs::metadata(pkg.join("LICENSE")).unwrap().modified().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
            install(&ours, &r, &Options { plugin_dirs: vec![m1.clone(), m2.clone()], ..Options::default() }).unwrap();
            assert_eq!(std::fs::metadata(pkg.join("LICENSE")).unwrap().modified().unwrap(), before, "unpacked again");
        }
    }
}

/// A packed package that is not a zip, or not the one the lock file
/// names, is refused, and nothing is left installed.
#[test]
fn a_corrupt_or_changed_packed_package_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("m");
    let zip = packed(&mirror, "example/thing", "1.0.0");
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let opts = Options { plugin_dirs: vec![mirror.clone()], ..Options::default() };
    install(&stack, &reqs("1.0.0"), &opts).unwrap();
    // Another package under the same name: the lock file's hash no longer matches.
    std::fs::remove_dir_all(stack.join(".terraform/providers")).unwrap();
    std::fs::remove_file(&zip).unwrap();
    let other = tempfile::tempdir().unwrap();
    let repacked = packed(other.path(), "example/thing", "1.0.0");
    std::fs::write(other.path().join("extra"), "x").unwrap();
    let out = Command::new("zip").arg("-q").arg("-j").arg(&repacked).arg(other.path().join("extra")).output().unwrap();
    assert!(out.status.success());
    std::fs::copy(&repacked, &zip).unwrap();
    let e = install(&stack, &reqs("1.0.0"), &opts).unwrap_err();
    assert!(matches!(e, InstallError::ChecksumMismatch { .. }), "{e}");
    assert!(!stack.join(".terraform/providers/registry.terraform.io/example/thing/1.0.0").join(iac_install::mirror::platform()).exists());
    // Not a zip at all.
    std::fs::write(&zip, "not a zip").unwrap();
    std::fs::remove_file(stack.join(".terraform.lock.hcl")).unwrap();
    let e = install(&stack, &reqs("1.0.0"), &opts).unwrap_err();
    assert!(matches!(e, InstallError::CorruptPackage { .. }), "{e}");
    assert!(e.to_string().contains("not a zip archive"), "{e}");
    let left: Vec<_> = std::fs::read_dir(stack.join(".terraform/providers/registry.terraform.io/example/thing/1.0.0"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "half an install left: {left:?}");
}

/// `provider_installation` with two filesystem mirrors and include/exclude
/// patterns: each provider pools the versions of the methods that admit it
/// (an excluded mirror's newer version is not taken), as Terraform does.
#[test]
fn installation_methods_pool_versions_within_their_patterns_as_terraform_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (m1, m2) = (tmp.path().join("m1"), tmp.path().join("m2"));
    packed(&m1, "example/thing", "1.0.0");
    unpacked(&m2, "example/thing", "1.3.0");
    packed(&m1, "example/other", "2.0.0");
    packed(&m2, "example/other", "2.1.0");
    unpacked(&m2, "acme/gadget", "0.1.0");
    packed(&m1, "acme/gadget", "0.2.0");
    let rc = tmp.path().join("terraformrc");
    let text = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"example/*\"]\n  }}\n  filesystem_mirror {{\n    path    = {:?}\n    exclude = [\"example/other\"]\n  }}\n}}\n",
        m1.display().to_string(),
        m2.display().to_string()
    );
    std::fs::write(&rc, &text).unwrap();
    let config = "terraform {\n  required_providers {\n    thing  = { source = \"example/thing\" }\n    other  = { source = \"example/other\" }\n    gadget = { source = \"acme/gadget\" }\n  }\n}\n";
    let (tf, ours) = twin_stacks(tmp.path(), config);
    terraform_init(&tf, &[], &rc);
    let declared: Vec<(String, Option<String>, Option<String>)> = [("thing", "example/thing"), ("other", "example/other"), ("gadget", "acme/gadget")]
        .iter()
        .map(|(n, s)| (n.to_string(), Some(s.to_string()), None))
        .collect();
    let used: BTreeSet<String> = declared.iter().map(|d| d.0.clone()).collect();
    let cli = iac_install::cliconfig::CliConfig::parse(&text).unwrap();
    let m = install(&ours, &requirements(&used, &declared).unwrap(), &Options { cli, ..Options::default() }).unwrap();
    let versions: Vec<(String, String)> = m
        .providers
        .iter()
        .map(|c| match c {
            Choice::Plugin { name, version, .. } => (name.clone(), version.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(versions, [("gadget".to_string(), "0.1.0".to_string()), ("other".into(), "2.0.0".into()), ("thing".into(), "1.3.0".into())]);
    assert_eq!(LockFile::read(&ours).unwrap(), LockFile::read(&tf).unwrap(), "the lock file");
    assert_eq!(lock_text(&ours), lock_text(&tf), "the lock file's text (no constraints: `version = ` unaligned)");
}
