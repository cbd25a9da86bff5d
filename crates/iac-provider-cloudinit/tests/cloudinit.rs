//! `cloudinit_config` renders what the upstream plugin renders (its own
//! acceptance-test expectations, in `fixtures/render.json`), and both the
//! data source and the resource pass the provider conformance suite.

mod support;

use base64::Engine as _;
use iac_core::plan::Action::{Create, Replace, Update};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};
use support::{apply, output, rt, stack};

#[derive(serde::Deserialize)]
struct Fixture {
    name: String,
    config: String,
    rendered: String,
}

fn fixtures() -> Vec<Fixture> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/render.json")).expect("fixture file");
    serde_json::from_str(&text).expect("fixtures parse")
}

#[test]
fn schema_is_consistent() {
    let f = iac_provider_cloudinit::factory();
    let problems = check_schema(f.schema());
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn data_source_and_resource_render_as_upstream() {
    let rt = rt();
    for fx in fixtures() {
        for kind in ["data", "resource"] {
            let (_tmp, dir, env) = stack();
            let (config, addr) = match kind {
                "data" => (fx.config.clone(), "data.cloudinit_config.foo"),
                _ => (fx.config.replacen("data \"cloudinit_config\"", "resource \"cloudinit_config\"", 1), "cloudinit_config.foo"),
            };
            let main = format!("{config}\noutput \"rendered\" {{\n  value = {addr}.rendered\n}}\noutput \"id\" {{\n  value = {addr}.id\n}}\n");
            let state = rt.block_on(apply(&dir, &env, &main)).unwrap_or_else(|e| panic!("{} ({kind}): {e}", fx.name));
            let rendered = output(&state, "rendered");
            assert_eq!(rendered.as_str(), Some(fx.rendered.as_str()), "{} ({kind})", fx.name);
            let id = crc32fast::hash(fx.rendered.as_bytes()).to_string();
            assert_eq!(output(&state, "id").as_str(), Some(id.as_str()), "{} ({kind}): id is the CRC-32 of rendered", fx.name);
        }
    }
}

#[test]
fn gzip_output_decompresses_to_the_mime_document() {
    let rt = rt();
    let (_tmp, dir, env) = stack();
    let script = "#!/bin/bash\\nset -euo pipefail\\n".to_string() + &"echo provisioning step\\n".repeat(200);
    let main = format!(
        "data \"cloudinit_config\" \"foo\" {{\n  part {{\n    content_type = \"text/x-shellscript\"\n    content      = \"{script}\"\n  }}\n}}\noutput \"rendered\" {{\n  value = data.cloudinit_config.foo.rendered\n}}\n"
    );
    let state = rt.block_on(apply(&dir, &env, &main)).expect("apply");
    let b64 = output(&state, "rendered");
    let gz = base64::engine::general_purpose::STANDARD.decode(b64.as_str().expect("string")).expect("base64");
    assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], "Go's gzip header: no name, no time, OS unknown");
    assert_eq!(&gz[gz.len() - 12..gz.len() - 8], &[0, 0, 0xff, 0xff], "Go ends the stream with an empty final stored block");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).expect("gunzip");
    assert!(text.starts_with("Content-Type: multipart/mixed; boundary=\"MIMEBOUNDARY\"\nMIME-Version: 1.0\r\n\r\n--MIMEBOUNDARY\r\n"), "{text}");
    assert!(text.ends_with("echo provisioning step\n\r\n--MIMEBOUNDARY--\r\n"));
}

#[test]
fn gzip_without_base64_is_refused() {
    let rt = rt();
    for kind in ["data", "resource"] {
        let (_tmp, dir, env) = stack();
        let main =
            format!("{kind} \"cloudinit_config\" \"foo\" {{\n  gzip          = true\n  base64_encode = false\n  part {{\n    content = \"x\"\n  }}\n}}\n");
        let err = rt.block_on(apply(&dir, &env, &main)).expect_err("gzip without base64 must fail");
        assert!(err.contains("Expected base64_encode to be set to true when gzip is true"), "{kind}: {err}");
    }
}

#[test]
fn an_empty_content_type_is_refused() {
    let rt = rt();
    for kind in ["data", "resource"] {
        let (_tmp, dir, env) = stack();
        let main = format!("{kind} \"cloudinit_config\" \"foo\" {{\n  part {{\n    content_type = \"\"\n    content      = \"x\"\n  }}\n}}\n");
        let err = rt.block_on(apply(&dir, &env, &main)).expect_err("an empty content type must fail");
        assert!(err.contains("string length must be at least 1"), "{kind}: {err}");
    }
}

#[test]
fn resource_conforms() {
    let (_tmp, dir, env) = stack();
    let config = |content: &str, gzip: bool, merge: &str| {
        format!(
            "resource \"cloudinit_config\" \"init\" {{\n  gzip          = {gzip}\n  base64_encode = true\n  part {{\n    content = \"{content}\"\n  }}\n  part {{\n    filename     = \"init.sh\"\n    content_type = \"text/x-shellscript\"\n    content      = \"#!/bin/sh\\necho hi\\n\"\n    merge_type   = \"{merge}\"\n  }}\n}}\n"
        )
    };
    let case = Case {
        name: "cloudinit_config".into(),
        steps: vec![
            Step::new(config("#cloud-config\\n", true, "list(append)"), &[("cloudinit_config.init", Create)]),
            // Every argument replaces the resource, as upstream.
            Step::new(config("#cloud-config\\npackages: [jq]\\n", true, "list(append)"), &[("cloudinit_config.init", Replace)]),
            Step::new(config("#cloud-config\\npackages: [jq]\\n", false, "list(append)"), &[("cloudinit_config.init", Replace)]),
            Step::new(config("#cloud-config\\npackages: [jq]\\n", false, "dict(recurse_array)"), &[("cloudinit_config.init", Replace)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}

#[test]
fn data_source_conforms() {
    let (_tmp, dir, env) = stack();
    let config = |content: &str| {
        format!(
            "data \"cloudinit_config\" \"init\" {{\n  part {{\n    content = \"{content}\"\n  }}\n}}\nresource \"terraform_data\" \"user_data\" {{\n  input = data.cloudinit_config.init.rendered\n}}\n"
        )
    };
    let case = Case {
        name: "cloudinit_config data source".into(),
        steps: vec![
            Step::new(config("#cloud-config\\n"), &[("terraform_data.user_data", Create)]),
            Step::new(config("#cloud-config\\n"), &[]),
            Step::new(config("#cloud-config\\nruncmd: [date]\\n"), &[("terraform_data.user_data", Update)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}
