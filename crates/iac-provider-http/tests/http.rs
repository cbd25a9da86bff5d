//! The `http` data source against a local HTTP(S) server the test starts:
//! the conformance suite, the attributes upstream reports, Go's request
//! headers and gzip handling, retries and their errors, timeouts, and TLS
//! trust (`ca_cert_pem`, `insecure`).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::Action::{Create, Update};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};
use support::{apply, output, rt, serve, stack, test_mutual_tls, test_tls, Reply, Seen};

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// What the test server answers, by path.
fn site() -> support::Handler {
    let flaky = Arc::new(AtomicUsize::new(0));
    Arc::new(move |req: &Seen, _n| match req.path.as_str() {
        "/hello" => Reply::new(200, "hello from the test server").header("Content-Type", "text/plain").header("x-multi", "one").header("x-multi", "two"),
        "/v2" => Reply::new(200, "version two").header("Content-Type", "text/plain"),
        "/echo" => {
            let text = format!(
                "{} ua={} ae={} body={}",
                req.method,
                req.header("user-agent").unwrap_or("-"),
                req.header("accept-encoding").unwrap_or("-"),
                String::from_utf8_lossy(&req.body)
            );
            Reply::new(200, text)
        }
        "/gzip" if req.header("accept-encoding").is_some_and(|v| v.contains("gzip")) => {
            Reply::new(200, gzip(b"unzipped for you")).header("Content-Encoding", "gzip").header("Content-Type", "text/plain")
        }
        "/binary" => Reply::new(200, vec![0u8, 159, 146, 150]),
        "/missing" => Reply::new(404, "not here"),
        "/broken" => Reply::new(500, "oops"),
        "/not-implemented" => Reply::new(501, "no"),
        "/flaky" => {
            if flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::new(502, "try again")
            } else {
                Reply::new(200, "second time lucky")
            }
        }
        "/slow" => {
            let mut r = Reply::new(200, "late");
            r.delay = Duration::from_millis(800);
            r
        }
        _ => Reply::new(404, "unknown path"),
    })
}

#[test]
fn schema_is_consistent() {
    let f = iac_provider_http::factory();
    assert!(check_schema(f.schema()).is_empty(), "{:?}", check_schema(f.schema()));
}

#[test]
fn data_source_conforms() {
    let (base, _) = serve(site(), None);
    let (_tmp, dir, env) = stack();
    let config = |path: &str| {
        format!(
            "data \"http\" \"page\" {{\n  url = \"{base}{path}\"\n  request_headers = {{\n    Accept = \"text/plain\"\n  }}\n}}\nresource \"terraform_data\" \"copy\" {{\n  input = data.http.page.response_body\n}}\n"
        )
    };
    let case = Case {
        name: "http data source".into(),
        steps: vec![
            Step::new(config("/hello"), &[("terraform_data.copy", Create)]),
            Step::new(config("/hello"), &[]),
            Step::new(config("/v2"), &[("terraform_data.copy", Update)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &dir, &env));
}

#[test]
fn attributes_are_upstreams() {
    let (base, seen) = serve(site(), None);
    let (_tmp, dir, env) = stack();
    let main = format!(
        r#"
data "http" "hello" {{
  url = "{base}/hello"
}}
data "http" "post" {{
  url          = "{base}/echo"
  method       = "POST"
  request_body = "request body"
}}
data "http" "head" {{
  url    = "{base}/echo"
  method = "HEAD"
}}
data "http" "own_headers" {{
  url = "{base}/echo"
  request_headers = {{
    User-Agent      = "custom/1.0"
    Accept-Encoding = "identity"
  }}
}}
data "http" "gzip" {{
  url = "{base}/gzip"
}}
data "http" "missing" {{
  url = "{base}/missing"
}}
data "http" "binary" {{
  url = "{base}/binary"
}}
output "hello" {{
  value = data.http.hello
}}
output "post" {{
  value = data.http.post.response_body
}}
output "head" {{
  value = [data.http.head.status_code, data.http.head.response_body]
}}
output "own_headers" {{
  value = data.http.own_headers.response_body
}}
output "gzip" {{
  value = data.http.gzip
}}
output "missing" {{
  value = [data.http.missing.status_code, data.http.missing.response_body]
}}
output "binary" {{
  value = data.http.binary.response_body_base64
}}
"#
    );
    let state = rt().block_on(apply(&dir, &env, &main)).expect("apply");
    let hello = output(&state, "hello");
    assert_eq!(hello["id"], format!("{base}/hello"));
    assert_eq!(hello["status_code"], 200);
    assert_eq!(hello["response_body"], "hello from the test server");
    assert_eq!(hello["body"], "hello from the test server", "the deprecated alias");
    assert_eq!(hello["response_body_base64"], "aGVsbG8gZnJvbSB0aGUgdGVzdCBzZXJ2ZXI=");
    let headers = &hello["response_headers"];
    assert_eq!(headers["Content-Type"], "text/plain", "{headers}");
    assert_eq!(headers["X-Multi"], "one, two", "repeated headers joined, names canonical: {headers}");
    assert_eq!(headers["Content-Length"], "26");
    assert_eq!(output(&state, "post"), "POST ua=Go-http-client/1.1 ae=gzip body=request body");
    assert_eq!(output(&state, "head"), serde_json::json!([200, ""]));
    assert_eq!(output(&state, "own_headers"), "GET ua=custom/1.0 ae=identity body=");
    let gz = output(&state, "gzip");
    assert_eq!(gz["response_body"], "unzipped for you", "Go undoes the gzip it asked for");
    assert!(gz["response_headers"].get("Content-Encoding").is_none() && gz["response_headers"].get("Content-Length").is_none(), "{gz}");
    assert_eq!(output(&state, "missing"), serde_json::json!([404, "not here"]), "a 4xx is a response, not an error");
    assert_eq!(output(&state, "binary"), "AJ+Slg==");
    let hello_req = seen.lock().expect("log").iter().find(|r| r.path == "/hello").cloned().expect("hello request");
    assert!(hello_req.headers.iter().any(|(k, v)| k == "User-Agent" && v == "Go-http-client/1.1"), "Go's header, Go's spelling: {:?}", hello_req.headers);
}

#[test]
fn server_errors_retries_and_timeouts() {
    let rt = rt();
    let (base, seen) = serve(site(), None);
    let plan_error = |tf: String| {
        let (_tmp, dir, env) = stack();
        rt.block_on(apply(&dir, &env, &tf)).expect_err("the read must fail")
    };
    let err = plan_error(format!("data \"http\" \"x\" {{\n  url = \"{base}/broken\"\n}}\n"));
    assert!(
        err.contains(&format!("Error making request: GET {base}/broken giving up after 1 attempt(s): unexpected HTTP status 500 Internal Server Error")),
        "{err}"
    );
    let err = plan_error(format!("data \"http\" \"x\" {{\n  url = \"{base}/broken\"\n  retry {{\n    attempts     = 2\n    min_delay_ms = 10\n  }}\n}}\n"));
    assert!(err.contains("giving up after 3 attempt(s)"), "{err}");
    assert_eq!(seen.lock().expect("log").iter().filter(|r| r.path == "/broken").count(), 4);
    let err = plan_error(format!("data \"http\" \"x\" {{\n  url                = \"{base}/slow\"\n  request_timeout_ms = 100\n}}\n"));
    assert!(err.contains("request exceeded the specified timeout: 100ms"), "{err}");
    let err = plan_error(format!("data \"http\" \"x\" {{\n  url    = \"{base}/hello\"\n  method = \"PUT\"\n}}\n"));
    assert!(err.contains("value must be one of"), "{err}");
    let err = plan_error(format!(
        "data \"http\" \"x\" {{\n  url = \"{base}/flaky\"\n  retry {{\n    attempts     = 1\n    min_delay_ms = 300\n    max_delay_ms = 200\n  }}\n}}\n"
    ));
    assert!(err.contains("Attribute retry.max_delay_ms value must be at least sum of <.min_delay_ms, got: 200"), "{err}");

    let (_tmp, dir, env) = stack();
    let main = format!(
        "data \"http\" \"x\" {{\n  url = \"{base}/flaky\"\n  retry {{\n    attempts     = 1\n    min_delay_ms = 50\n  }}\n}}\ndata \"http\" \"y\" {{\n  url = \"{base}/not-implemented\"\n}}\noutput \"x\" {{\n  value = [data.http.x.status_code, data.http.x.response_body]\n}}\noutput \"y\" {{\n  value = data.http.y.status_code\n}}\n"
    );
    let state = rt.block_on(apply(&dir, &env, &main)).expect("a retried 502 succeeds");
    assert_eq!(output(&state, "x"), serde_json::json!([200, "second time lucky"]));
    assert_eq!(output(&state, "y"), 501, "501 is not retried and not an error");
    let log = seen.lock().expect("log");
    let flaky: Vec<&Seen> = log.iter().filter(|r| r.path == "/flaky").collect();
    assert!(flaky.len() >= 2, "retried after the 502");
}

#[test]
fn tls_trust() {
    let rt = rt();
    let (ca, config) = test_tls();
    let (base, _) = serve(site(), Some(config));
    let (_tmp, dir, env) = stack();
    let ca_hcl = ca.replace('\n', "\\n");
    let main = format!(
        "data \"http\" \"trusted\" {{\n  url         = \"{base}/hello\"\n  ca_cert_pem = \"{ca_hcl}\"\n}}\ndata \"http\" \"insecure\" {{\n  url      = \"{base}/v2\"\n  insecure = true\n}}\noutput \"bodies\" {{\n  value = [data.http.trusted.response_body, data.http.insecure.response_body]\n}}\n"
    );
    let state = rt.block_on(apply(&dir, &env, &main)).expect("apply");
    assert_eq!(output(&state, "bodies"), serde_json::json!(["hello from the test server", "version two"]));

    let (_tmp, dir, env) = stack();
    let err = rt.block_on(apply(&dir, &env, &format!("data \"http\" \"x\" {{\n  url = \"{base}/hello\"\n}}\n"))).expect_err("an unknown CA is refused");
    assert!(err.contains(&format!("GET {base}/hello giving up after 1 attempt(s)")), "{err}");

    let (_tmp, dir, env) = stack();
    let main = format!("data \"http\" \"x\" {{\n  url         = \"{base}/hello\"\n  ca_cert_pem = \"not a certificate\"\n}}\n");
    let err = rt.block_on(apply(&dir, &env, &main)).expect_err("a CA that is no certificate is refused");
    assert!(err.contains("Only PEM encoded certificates are supported"), "{err}");
}

#[test]
fn client_certificates() {
    let rt = rt();
    let (ca, config, cert, key) = test_mutual_tls();
    let (base, _) = serve(site(), Some(config));
    let hcl = |s: &str| s.replace('\n', "\\n");
    let (_tmp, dir, env) = stack();
    let main = format!(
        "data \"http\" \"x\" {{\n  url             = \"{base}/hello\"\n  ca_cert_pem     = \"{}\"\n  client_cert_pem = \"{}\"\n  client_key_pem  = \"{}\"\n}}\noutput \"body\" {{\n  value = data.http.x.response_body\n}}\n",
        hcl(&ca),
        hcl(&cert),
        hcl(&key)
    );
    let state = rt.block_on(apply(&dir, &env, &main)).expect("the server accepts the client certificate");
    assert_eq!(output(&state, "body"), "hello from the test server");

    let (_tmp, dir, env) = stack();
    let main = format!("data \"http\" \"x\" {{\n  url         = \"{base}/hello\"\n  ca_cert_pem = \"{}\"\n}}\n", hcl(&ca));
    let err = rt.block_on(apply(&dir, &env, &main)).expect_err("no client certificate, no answer");
    assert!(err.contains("giving up after 1 attempt(s)"), "{err}");

    let (_tmp, dir, env) = stack();
    let main = format!("data \"http\" \"x\" {{\n  url             = \"{base}/hello\"\n  client_cert_pem = \"{}\"\n}}\n", hcl(&cert));
    let err = rt.block_on(apply(&dir, &env, &main)).expect_err("a certificate without its key");
    assert!(err.contains("client_key_pem") && err.contains("must be specified when"), "{err}");
}
