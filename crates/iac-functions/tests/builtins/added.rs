//! The functions added to reach Terraform 1.11.4's full set; expected
//! values are Terraform's own results (recorded with `terraform console`).

use crate::common::*;
use iac_functions::{call, FunctionContext, FunctionError};
use std::path::Path;

fn ok(name: &str, args: Vec<Value>) -> Value {
    run(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(name: &str, args: Vec<Value>) -> String {
    match run(name, args) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{name} should fail, gave {v:?}"),
    }
}

use iac_core::Value;

#[test]
fn formatdate_like_terraform() {
    assert_eq!(ok("formatdate", vec![s("DD MMM YYYY hh:mm ZZZ"), s("2018-01-02T23:12:01Z")]), s("02 Jan 2018 23:12 UTC"));
    assert_eq!(ok("formatdate", vec![s("EEE, DD MMM YYYY hh:mm:ss ZZZ"), s("2018-01-02T23:12:01-08:00")]), s("Tue, 02 Jan 2018 23:12:01 -0800"));
    assert_eq!(ok("formatdate", vec![s("HH:mmaa"), s("2018-01-02T23:12:01Z")]), s("11:12pm"));
    assert_eq!(
        ok("formatdate", vec![s("YY MMMM DD EEE H hh HH m mm s ss 'quoted' ZZZZ ZZZZZ Z"), s("2006-01-02T15:04:05-07:00")]),
        s("06 January 02 Mon 3 15 03 4 04 5 05 quoted -0700 -07:00 -07:00")
    );
    assert_eq!(ok("formatdate", vec![s("ZZZ Z"), s("2018-01-02T23:12:01Z")]), s("UTC Z"));
    assert!(err("formatdate", vec![s("X"), s("2018-01-02T23:12:01Z")]).contains("invalid date format verb \"X\""));
    assert!(err("formatdate", vec![s("YYYYY"), s("2018-01-02T23:12:01Z")]).contains("year must either be \"YY\" or \"YYYY\""));
    assert!(err("formatdate", vec![s("'x"), s("2018-01-02T23:12:01Z")]).contains("unterminated literal '"));
    assert!(err("formatdate", vec![s("YYYY"), s("2018-01-02")]).contains("missing required time introducer 'T'"));
    assert!(err("formatdate", vec![s("YYYY"), s("2018-01-02T25:12:01Z")]).contains("hour must be between 0 and 23 inclusive"));
}

#[test]
fn timeadd_and_timecmp() {
    assert_eq!(ok("timeadd", vec![s("2017-11-22T00:00:00Z"), s("10m")]), s("2017-11-22T00:10:00Z"));
    assert_eq!(ok("timeadd", vec![s("2017-11-22T00:00:00Z"), s("-1h30m45.5s")]), s("2017-11-21T22:29:14Z"));
    assert_eq!(ok("timeadd", vec![s("2017-11-22T00:00:00+05:00"), s("1h")]), s("2017-11-22T01:00:00+05:00"));
    assert_eq!(ok("timeadd", vec![s("2017-11-22T00:00:00Z"), s("1.5h300ms2us5ns")]), s("2017-11-22T01:30:00Z"));
    assert!(err("timeadd", vec![s("2017-11-22T00:00:00Z"), s("1d")]).contains("time: unknown unit \"d\" in duration \"1d\""));
    assert_eq!(ok("timecmp", vec![s("2017-11-22T00:00:00Z"), s("2017-11-22T01:00:00+01:00")]), n(0.0));
    assert_eq!(ok("timecmp", vec![s("2017-11-22T00:00:00Z"), s("2017-11-22T00:00:01Z")]), n(-1.0));
    assert_eq!(ok("timecmp", vec![s("2017-11-23T00:00:00Z"), s("2017-11-22T00:00:00Z")]), n(1.0));
}

#[test]
fn paths() {
    let each = |f: &str, cases: &[(&str, &str)]| {
        for (input, want) in cases {
            assert_eq!(ok(f, vec![s(input)]), s(want), "{f}({input:?})");
        }
    };
    each("basename", &[("/a/b/c.txt", "c.txt"), ("c", "c"), ("/a/b/", "b"), ("", "."), ("a//b//", "b")]);
    each("dirname", &[("/a/b/c.txt", "/a/b"), ("c", "."), ("/a/b/", "/a/b"), ("a/b", "a"), ("/", "/"), ("a//b//c", "a/b")]);
    each("abspath", &[("/a/../b/./c", "/b/c")]);
    each("pathexpand", &[("/etc/hosts", "/etc/hosts")]);
    assert!(err("pathexpand", vec![s("~root/x")]).contains("cannot expand user-specific home dir"));
}

#[test]
fn encodings() {
    assert_eq!(ok("textencodebase64", vec![s("héllo"), s("UTF-16LE")]), s("aADpAGwAbABvAA=="));
    assert_eq!(ok("textencodebase64", vec![s("héllo"), s("UTF-16")]), s("/v8AaADpAGwAbABv"));
    assert_eq!(ok("textencodebase64", vec![s("héllo"), s("utf-16be")]), s("AGgA6QBsAGwAbw=="));
    assert_eq!(ok("textencodebase64", vec![s("héllo"), s("ISO-8859-1")]), s("aOlsbG8="));
    assert_eq!(ok("textencodebase64", vec![s("日本"), s("Shift_JIS")]), s("k/qWew=="));
    assert!(err("textencodebase64", vec![s("日本"), s("ISO-8859-1")]).contains("cannot be represented in ISO_8859-1:1987"));
    assert!(err("textencodebase64", vec![s("x"), s("nope")]).contains("\"nope\" is not a supported IANA encoding name or alias"));
    assert_eq!(ok("textdecodebase64", vec![s("aADpAGwAbABvAA=="), s("UTF-16LE")]), s("héllo"));
    assert_eq!(ok("textdecodebase64", vec![s("/v8AaADpAGwAbABv"), s("UTF-16")]), s("héllo"));
    assert!(err("textdecodebase64", vec![s("gg=="), s("UTF-8")]).contains("not defined for UTF-8"));
    assert!(err("textdecodebase64", vec![s("not base64!"), s("UTF-16LE")]).contains("invalid base64 symbol at offset 3"));
}

#[test]
fn csv() {
    let rows = ok("csvdecode", vec![s("a,b,c\n1,2,3\n\"x,y\",\"q\"\"\",z\n")]);
    assert_eq!(rows, l(vec![m(vec![("a", s("1")), ("b", s("2")), ("c", s("3"))]), m(vec![("a", s("x,y")), ("b", s("q\"")), ("c", s("z"))])]));
    assert_eq!(ok("csvdecode", vec![s("a,b\n")]), l(vec![]));
    assert_eq!(ok("csvdecode", vec![s("a,b\r\n1,2\r\n")]), l(vec![m(vec![("a", s("1")), ("b", s("2"))])]));
    assert!(err("csvdecode", vec![s("")]).contains("missing header line"));
    assert!(err("csvdecode", vec![s("a,b\n1\n")]).contains("CSV parse error on line 2: wrong number of fields"));
}

#[test]
fn uuids_and_hashes() {
    assert_eq!(ok("uuidv5", vec![s("dns"), s("www.example.com")]), s("2ed6657d-e927-568b-95e1-2665a8aea6a2"));
    assert_eq!(ok("uuidv5", vec![s("url"), s("https://example.com/")]), s("dd2c1780-811a-5296-81c5-178a0ef488bc"));
    assert_eq!(ok("uuidv5", vec![s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), s("x")]), s("05b16a01-46c6-56dd-bd6e-c6dfb4a1427a"));
    assert!(err("uuidv5", vec![s("nope"), s("x")]).contains("uuidv5() doesn't support namespace nope (invalid UUID length: 4)"));
    let id = ok("uuid", vec![]);
    assert_eq!(id.as_str().map(str::len), Some(36));
    assert_ne!(ok("uuid", vec![]), id, "fresh every call");
    let h = ok("bcrypt", vec![s("hello"), n(5.0)]);
    assert!(h.as_str().unwrap().starts_with("$2a$05$"), "{h:?}");
    assert!(ok("bcrypt", vec![s("x"), n(3.0)]).as_str().unwrap().starts_with("$2a$10$"), "a cost below 4 is the default");
    assert!(err("bcrypt", vec![s("x"), n(32.0)]).contains("cost 32 is outside allowed range (4,31)"));
}

#[test]
fn impure_functions_are_unknown_while_planning() {
    let render = |_: &str, _: &Value| -> Result<Value, String> { Err("unused".into()) };
    let ctx = FunctionContext { base_dir: Path::new("."), render_template: &render, planning: true, plan_timestamp: "2024-05-01T10:00:00.5Z" };
    for (name, args) in [("uuid", vec![]), ("timestamp", vec![]), ("bcrypt", vec![s("x")])] {
        assert_eq!(call(name, args, &ctx), Ok(Value::Unknown), "{name}");
    }
    assert_eq!(call("plantimestamp", vec![], &ctx), Ok(s("2024-05-01T10:00:00.5Z")), "known during plan");
    // An argument of the wrong type is still reported while planning; the
    // function's own checks (the cost's range, the count) wait for the
    // apply, as Terraform 1.11.4's do (it plans `bcrypt("x", 40)`).
    assert!(matches!(call("bcrypt", vec![s("x"), s("y")], &ctx), Err(FunctionError::Argument { .. })));
    assert_eq!(call("bcrypt", vec![s("x"), n(40.0)], &ctx), Ok(Value::Unknown));
    assert_eq!(call("bcrypt", vec![s("x"), n(10.0), n(3.0)], &ctx), Ok(Value::Unknown));
}

#[test]
fn gzip_round_trips() {
    use base64::Engine as _;
    use std::io::Read as _;
    let b64 = ok("base64gzip", vec![s("hello world")]);
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap();
    // Go's header: no flags, no time, no extra flags, OS 255 (unknown).
    assert_eq!(&bytes[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut out = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut out).unwrap();
    assert_eq!(out, "hello world");
}

#[test]
fn go_case_mapping() {
    assert_eq!(ok("upper", vec![s("straße ǆ ﬃ")]), s("STRAßE Ǆ ﬃ"));
    assert_eq!(ok("lower", vec![s("ΟΔΟΣ İ")]), s("οδοσ i"));
    assert_eq!(ok("title", vec![s("ǆungla ßa")]), s("ǅungla ßa"));
}

#[test]
fn numeric_edges() {
    assert!(err("signum", vec![n(0.5)]).contains("value must be a whole number"));
    assert!(run("log", vec![n(-1.0), n(10.0)]).is_err());
    assert_eq!(ok("log", vec![n(0.0), n(10.0)]), n(f64::NEG_INFINITY));
}

#[test]
fn templatestring_and_ephemeralasnull() {
    assert_eq!(ok("templatestring", vec![s("Hello ${name}"), m(vec![("name", s("world"))])]), s("Hello world"));
    assert_eq!(ok("ephemeralasnull", vec![NULL]), NULL);
    assert_eq!(ok("ephemeralasnull", vec![s("x")]), s("x"));
}

#[test]
fn file_hashes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("files/sub")).unwrap();
    std::fs::write(dir.path().join("files/a.txt"), "hello file\n").unwrap();
    std::fs::write(dir.path().join("files/b.txt"), "b").unwrap();
    std::fs::write(dir.path().join("files/sub/a.json"), "{}").unwrap();
    let f = |name: &str| call_in(dir.path(), name, vec![s("files/a.txt")]).unwrap();
    assert_eq!(f("filemd5"), s("14f21c9a90ca89a660e63f886a91bd4a"));
    assert_eq!(f("filesha1"), s("b816e2f4aca7186146e08dbc904149257a4c3531"));
    assert_eq!(f("filesha256"), s("702b7d2e4b28c4f3ef1434bd2333a83427796a9007fb2a23248becd4d51a3e7f"));
    assert_eq!(f("filebase64sha256"), s("cCt9LksoxPPvFDS9IzOoNCd5apAH+yojJIvs1NUaPn8="));
    assert_eq!(f("filebase64"), s("aGVsbG8gZmlsZQo="));
    assert_eq!(call_in(dir.path(), "fileset", vec![s("."), s("files/**")]).unwrap(), strs(&["files/a.txt", "files/b.txt", "files/sub/a.json"]));
    assert_eq!(call_in(dir.path(), "fileset", vec![s("files"), s("*.txt")]).unwrap(), strs(&["a.txt", "b.txt"]));
    assert!(call_in(dir.path(), "filemd5", vec![s("nope.txt")]).is_err());
}
