//! Unknown and sensitive propagation.

use crate::common::*;
use iac_core::Value;

#[test]
fn wholly_unknown_arguments_give_unknown_results() {
    check(vec![
        ("upper", vec![U], U),
        ("join", vec![s(","), U], U),
        ("length", vec![U], U),
        ("merge", vec![m(vec![("a", n(1.0))]), U], U),
        ("lookup", vec![U, s("a")], U),
        ("cidrsubnet", vec![s("10.0.0.0/8"), n(8.0), U], U),
        ("format", vec![U, s("a")], U),
        ("tostring", vec![U], U),
        ("coalesce", vec![U, s("a")], U),
        ("jsonencode", vec![U], U),
        ("file", vec![U], U),
        ("sensitive", vec![U], sens(U)),
        ("upper", vec![sens(U)], sens(U)),
        ("length", vec![sens(U)], sens(U)),
    ]);
}

#[test]
fn nested_unknowns_in_structural_functions() {
    check(vec![
        ("length", vec![l(vec![U, s("a")])], n(2.0)),
        ("length", vec![m(vec![("a", U)])], n(1.0)),
        ("keys", vec![m(vec![("b", U), ("a", n(1.0))])], strs(&["a", "b"])),
        ("values", vec![m(vec![("b", U), ("a", n(1.0))])], l(vec![n(1.0), U])),
        ("merge", vec![m(vec![("a", U)]), m(vec![("b", n(2.0))])], m(vec![("a", U), ("b", n(2.0))])),
        ("merge", vec![m(vec![("a", U)]), m(vec![("a", n(2.0))])], m(vec![("a", n(2.0))])),
        ("concat", vec![l(vec![U]), strs(&["x"])], l(vec![U, s("x")])),
        ("lookup", vec![m(vec![("a", U), ("b", s("x"))]), s("b")], s("x")),
        ("lookup", vec![m(vec![("a", U)]), s("a")], U),
        ("element", vec![l(vec![U, s("x")]), n(1.0)], s("x")),
        ("slice", vec![l(vec![U, s("x"), s("y")]), n(1.0), n(3.0)], strs(&["x", "y"])),
        ("reverse", vec![l(vec![U, s("x")])], l(vec![s("x"), U])),
        ("one", vec![l(vec![U])], U),
        ("zipmap", vec![strs(&["a"]), l(vec![U])], m(vec![("a", U)])),
        ("tolist", vec![l(vec![U, s("x")])], l(vec![U, s("x")])),
        ("flatten", vec![l(vec![strs(&["a"]), U])], U),
        // An untyped unknown element might be a list itself, so the shape
        // of the result is unknown, at any depth.
        ("flatten", vec![l(vec![strs(&["a"]), l(vec![U])])], U),
        ("flatten", vec![l(vec![strs(&["a"]), sens(l(vec![U]))])], sens(U)),
        ("distinct", vec![l(vec![s("a"), U])], U),
        ("compact", vec![l(vec![s("a"), U])], U),
        ("coalescelist", vec![l(vec![U]), strs(&["b"])], l(vec![U])),
        ("chunklist", vec![l(vec![U, s("a"), s("b")]), n(2.0)], l(vec![l(vec![U, s("a")]), strs(&["b"])])),
    ]);
}

#[test]
fn nested_unknowns_in_other_functions() {
    check(vec![
        ("contains", vec![l(vec![U, s("a")]), s("a")], U),
        ("index", vec![l(vec![U, s("a")]), s("a")], U),
        ("join", vec![s(","), l(vec![s("a"), U])], U),
        ("jsonencode", vec![m(vec![("a", U)])], U),
        ("yamlencode", vec![l(vec![U])], U),
        ("format", vec![s("%v"), l(vec![U])], U),
        ("sort", vec![l(vec![U, s("a")])], U),
        ("sum", vec![l(vec![U, n(1.0)])], U),
        ("setunion", vec![l(vec![U]), strs(&["a"])], U),
        ("templatefile", vec![s("t.tpl"), m(vec![("a", U)])], U),
    ]);
}

#[test]
fn sensitive_arguments_make_results_sensitive() {
    check(vec![
        ("upper", vec![sens(s("abc"))], sens(s("ABC"))),
        ("join", vec![s(","), l(vec![s("a"), sens(s("b"))])], sens(s("a,b"))),
        ("jsonencode", vec![m(vec![("pw", sens(s("x")))])], sens(s(r#"{"pw":"x"}"#))),
        ("format", vec![s("%s-%s"), s("a"), sens(s("b"))], sens(s("a-b"))),
        ("sha256", vec![sens(s(""))], sens(s("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))),
        ("length", vec![sens(strs(&["a", "b"]))], sens(n(2.0))),
        ("length", vec![sens(s("abc"))], sens(n(3.0))),
        ("contains", vec![l(vec![sens(s("a"))]), s("a")], sens(b(true))),
        ("cidrhost", vec![sens(s("10.0.0.0/8")), n(1.0)], sens(s("10.0.0.1"))),
        ("toset", vec![l(vec![sens(s("b")), s("a")])], sens(strs(&["a", "b"]))),
        ("sort", vec![l(vec![sens(s("b")), s("a")])], sens(strs(&["a", "b"]))),
        ("keys", vec![sens(m(vec![("a", n(1.0))]))], sens(strs(&["a"]))),
        ("nonsensitive", vec![sens(s("x"))], s("x")),
        ("nonsensitive", vec![sens(U)], U),
        ("nonsensitive", vec![s("x")], s("x")),
        ("sensitive", vec![s("x")], sens(s("x"))),
        ("sensitive", vec![sens(s("x"))], sens(s("x"))),
        ("issensitive", vec![sens(s("x"))], b(true)),
        ("issensitive", vec![s("x")], b(false)),
        ("issensitive", vec![U], U),
        ("issensitive", vec![sens(U)], b(true)),
    ]);
}

#[test]
fn structural_functions_keep_marks_in_place() {
    let pw = sens(s("hunter2"));
    check(vec![
        ("merge", vec![m(vec![("pw", pw.clone())]), m(vec![("user", s("bob"))])], m(vec![("pw", pw.clone()), ("user", s("bob"))])),
        ("merge", vec![sens(m(vec![("a", n(1.0))])), m(vec![("b", n(2.0))])], sens(m(vec![("a", n(1.0)), ("b", n(2.0))]))),
        ("concat", vec![l(vec![pw.clone()]), strs(&["x"])], l(vec![pw.clone(), s("x")])),
        ("concat", vec![sens(strs(&["a"])), strs(&["x"])], sens(strs(&["a", "x"]))),
        ("lookup", vec![m(vec![("pw", pw.clone()), ("u", s("bob"))]), s("u")], s("bob")),
        ("lookup", vec![m(vec![("pw", pw.clone())]), s("pw")], pw.clone()),
        ("lookup", vec![sens(m(vec![("u", s("bob"))])), s("u")], sens(s("bob"))),
        ("lookup", vec![m(vec![("u", s("bob"))]), sens(s("u"))], sens(s("bob"))),
        ("element", vec![l(vec![pw.clone(), s("x")]), n(1.0)], s("x")),
        ("element", vec![l(vec![pw.clone(), s("x")]), n(0.0)], pw.clone()),
        ("values", vec![m(vec![("pw", pw.clone()), ("u", s("bob"))])], l(vec![pw.clone(), s("bob")])),
        ("keys", vec![m(vec![("pw", pw.clone())])], strs(&["pw"])),
        ("length", vec![l(vec![pw.clone()])], n(1.0)),
        ("flatten", vec![l(vec![l(vec![pw.clone()]), strs(&["x"])])], l(vec![pw.clone(), s("x")])),
        ("flatten", vec![l(vec![sens(strs(&["a"])), strs(&["x"])])], sens(strs(&["a", "x"]))),
        ("slice", vec![l(vec![s("a"), pw.clone()]), n(1.0), n(2.0)], l(vec![pw.clone()])),
        ("compact", vec![l(vec![s(""), pw.clone()])], l(vec![pw.clone()])),
        ("distinct", vec![l(vec![pw.clone(), s("hunter2"), s("x")])], l(vec![pw.clone(), s("x")])),
        ("zipmap", vec![strs(&["a"]), l(vec![pw.clone()])], m(vec![("a", pw.clone())])),
        ("zipmap", vec![l(vec![sens(s("a"))]), strs(&["x"])], sens(m(vec![("a", s("x"))]))),
        ("tolist", vec![l(vec![pw.clone(), n(1.0)])], l(vec![pw.clone(), s("1")])),
        ("tomap", vec![m(vec![("a", sens(n(1.0))), ("b", s("x"))])], m(vec![("a", sens(s("1"))), ("b", s("x"))])),
        ("coalesce", vec![NULL, pw.clone(), s("x")], pw.clone()),
        ("coalesce", vec![s("a"), pw.clone()], s("a")),
        ("coalesce", vec![sens(s("")), s("a")], sens(s("a"))),
        ("coalesce", vec![s("a"), U], s("a")),
        ("coalesce", vec![NULL, sens(U), s("a")], sens(U)),
        ("coalesce", vec![m(vec![("k", pw.clone())])], m(vec![("k", pw.clone())])),
        ("reverse", vec![l(vec![pw.clone(), s("x")])], l(vec![s("x"), pw.clone()])),
    ]);
}

#[test]
fn sensitive_errors_do_not_prevent_marking() {
    // A sensitive argument that fails still fails (nothing to leak in a value).
    assert!(run("tonumber", vec![sens(s("abc"))]).is_err());
    // Unknown inside a sensitive list keeps the result unknown and sensitive.
    assert_eq!(run("join", vec![s(","), sens(l(vec![U]))]).unwrap(), Value::Unknown.into_sensitive());
}
