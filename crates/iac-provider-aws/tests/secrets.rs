//! The secret key never appears in logs (even at trace level), plans or state.

use crate::common;

use common::*;

#[test]
fn the_secret_key_never_leaks() {
    let logs = iac_testkit::leaks::LogCapture::install();
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/16\"\n}}\n\ndata \"aws_caller_identity\" \"me\" {{}}\n");
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        let mut seen = serde_json::to_string(&p).unwrap();
        apply(&st, &env, p).await;
        seen.push_str(&serde_json::to_string(&plan(&st, &env).await).unwrap());
        seen.push_str(&iac_testkit::leaks::files_text(tmp.path()));
        let logs = logs.text();
        assert!(logs.contains("aws provider configured"), "the provider logged");
        assert!(logs.len() > 10_000, "trace-level SDK logs were captured ({} bytes)", logs.len());
        seen.push_str(&logs);
        assert!(!seen.contains(SECRET_KEY), "the secret key leaked");
    });
}
