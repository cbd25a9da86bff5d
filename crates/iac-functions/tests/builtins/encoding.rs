use crate::common::*;

#[test]
fn json() {
    check(vec![
        ("jsonencode", vec![m(vec![("hello", s("world"))])], s(r#"{"hello":"world"}"#)),
        ("jsonencode", vec![m(vec![("b", n(1.0)), ("a", l(vec![b(true), NULL, n(1.5)]))])], s(r#"{"a":[true,null,1.5],"b":1}"#)),
        ("jsonencode", vec![s("<b>&</b>")], s(r#""\u003cb\u003e\u0026\u003c/b\u003e""#)),
        ("jsonencode", vec![NULL], s("null")),
        ("jsonencode", vec![n(10.0)], s("10")),
        ("jsondecode", vec![s(r#"{"hello": "world"}"#)], m(vec![("hello", s("world"))])),
        ("jsondecode", vec![s("true")], b(true)),
        ("jsondecode", vec![s(r#"[1, 2.5, "x", null, {"a": []}]"#)], l(vec![n(1.0), n(2.5), s("x"), NULL, m(vec![("a", l(vec![]))])])),
    ]);
    check_errors(vec![("jsondecode", vec![s("{")], "invalid JSON"), ("jsondecode", vec![s("[1] 2")], "invalid JSON")]);
}

#[test]
fn yaml() {
    check(vec![
        ("yamlencode", vec![m(vec![("a", s("b")), ("c", s("d"))])], s("\"a\": \"b\"\n\"c\": \"d\"\n")),
        ("yamlencode", vec![m(vec![("foo", nums(&[1.0, 2.0, 3.0])), ("bar", s("baz"))])], s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")),
        (
            "yamlencode",
            vec![m(vec![("foo", l(vec![n(1.0), m(vec![("a", s("b")), ("c", s("d"))]), n(3.0)])), ("bar", s("baz"))])],
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n"),
        ),
        ("yamlencode", vec![m(vec![("a", m(vec![("b", m(vec![("c", b(true))]))]))])], s("\"a\":\n  \"b\":\n    \"c\": true\n")),
        ("yamlencode", vec![l(vec![l(vec![n(1.0), n(2.0)]), l(vec![])])], s("- - 1\n  - 2\n- []\n")),
        ("yamlencode", vec![m(vec![("e", m(vec![])), ("n", NULL)])], s("\"e\": {}\n\"n\": null\n")),
        ("yamlencode", vec![s("hello")], s("\"hello\"\n")),
        ("yamlencode", vec![b(true)], s("true\n...\n")),
        ("yamlencode", vec![n(1.5)], s("1.5\n...\n")),
        ("yamlencode", vec![l(vec![])], s("[]\n")),
        ("yamlencode", vec![m(vec![])], s("{}\n")),
        ("yamlencode", vec![m(vec![("s", s("line1\nline2\n"))])], s("\"s\": |\n  line1\n  line2\n")),
        ("yamlencode", vec![m(vec![("s", s("line1\n\nline2"))])], s("\"s\": |-\n  line1\n\n  line2\n")),
        ("yamlencode", vec![l(vec![s("a\nb")])], s("- |-\n  a\n  b\n")),
        ("yamlencode", vec![s("tab\there \"q\" \\")], s("\"tab\\there \\\"q\\\" \\\\\"\n")),
        ("yamlencode", vec![s("trailing space \nx")], s("\"trailing space \\nx\"\n")),
        ("yamldecode", vec![s("hello: world")], m(vec![("hello", s("world"))])),
        ("yamldecode", vec![s("true")], b(true)),
        // YAML 1.1 plain scalars, as Terraform 1.11.4 reads them.
        ("yamldecode", vec![s("yes")], b(true)),
        ("yamldecode", vec![s("{a: &a {b: 1}, c: *a}")], m(vec![("a", m(vec![("b", n(1.0))])), ("c", m(vec![("b", n(1.0))]))])),
        ("yamldecode", vec![s("- 1\n- a\n- null\n- 2.5\n")], l(vec![n(1.0), s("a"), NULL, n(2.5)])),
        ("yamldecode", vec![s("1: one\ntrue: yes")], m(vec![("1", s("one")), ("true", b(true))])),
        (
            "yamldecode",
            vec![s("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n")],
            m(vec![("base", m(vec![("x", n(1.0))])), ("derived", m(vec![("true", n(2.0)), ("x", n(1.0))]))]),
        ),
    ]);
    check_errors(vec![("yamldecode", vec![s("a: [")], "invalid YAML"), ("yamldecode", vec![s("a: 1\n---\nb: 2\n")], "invalid YAML")]);
}

#[test]
fn yaml_round_trips() {
    let values = vec![
        m(vec![("list", l(vec![s("x"), m(vec![("k", s("multi\nline\n")), ("z", l(vec![n(1.0), l(vec![b(false)])]))])])), ("q", s("with: colon # hash"))]),
        l(vec![s(" leading space\nnext"), s("a\n\n"), s("\u{1}ctrl"), s("ünïcödé"), s("")]),
    ];
    for v in values {
        let text = run("yamlencode", vec![v.clone()]).unwrap();
        let back = run("yamldecode", vec![text.clone()]).unwrap();
        assert_eq!(back, v, "round trip through {text:?}");
    }
}

#[test]
fn base64_and_hashes() {
    check(vec![
        ("base64encode", vec![s("Hello World")], s("SGVsbG8gV29ybGQ=")),
        ("base64decode", vec![s("SGVsbG8gV29ybGQ=")], s("Hello World")),
        ("base64decode", vec![s("SGVsbG8g\nV29ybGQ=")], s("Hello World")),
        ("md5", vec![s("hello world")], s("5eb63bbbe01eeed093cb22bb8f5acdc3")),
        ("sha1", vec![s("hello world")], s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")),
        ("sha256", vec![s("hello world")], s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")),
        (
            "sha512",
            vec![s("hello world")],
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"),
        ),
        ("base64sha256", vec![s("hello world")], s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")),
        ("sha256", vec![n(1.0)], s("6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b")),
    ]);
    check_errors(vec![("base64decode", vec![s("not base64!")], "failed to decode base64 data"), ("base64decode", vec![s("/w==")], "not valid UTF-8")]);
}
