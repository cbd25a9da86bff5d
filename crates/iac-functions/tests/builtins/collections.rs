use crate::common::*;

#[test]
fn maps_and_lists() {
    check(vec![
        ("merge", vec![m(vec![("a", s("b")), ("c", s("d"))]), m(vec![("e", s("f")), ("c", s("z"))])], m(vec![("a", s("b")), ("c", s("z")), ("e", s("f"))])),
        ("merge", vec![m(vec![("a", n(1.0))]), NULL, m(vec![])], m(vec![("a", n(1.0))])),
        ("merge", vec![], m(vec![])),
        ("concat", vec![strs(&["a", ""]), strs(&["b", "c"])], strs(&["a", "", "b", "c"])),
        ("concat", vec![l(vec![]), nums(&[1.0])], nums(&[1.0])),
        ("lookup", vec![m(vec![("a", s("ay")), ("b", s("bee"))]), s("a"), s("what?")], s("ay")),
        ("lookup", vec![m(vec![("a", s("ay")), ("b", s("bee"))]), s("c"), s("what?")], s("what?")),
        ("lookup", vec![m(vec![("a", s("ay"))]), s("a")], s("ay")),
        ("lookup", vec![m(vec![("a", s("ay"))]), s("c"), NULL], NULL),
        ("length", vec![l(vec![])], n(0.0)),
        ("length", vec![strs(&["a", "b"])], n(2.0)),
        ("length", vec![m(vec![("a", s("b"))])], n(1.0)),
        ("length", vec![s("hello")], n(5.0)),
        ("length", vec![s("👾🕹️")], n(2.0)),
        ("length", vec![s("e\u{301}")], n(1.0)),
        ("keys", vec![m(vec![("d", n(3.0)), ("a", n(1.0)), ("c", n(2.0))])], strs(&["a", "c", "d"])),
        ("values", vec![m(vec![("d", n(3.0)), ("a", n(1.0)), ("c", n(2.0))])], nums(&[1.0, 2.0, 3.0])),
        ("contains", vec![strs(&["a", "b", "c"]), s("a")], b(true)),
        ("contains", vec![strs(&["a", "b", "c"]), s("d")], b(false)),
        // Terraform compares without conversion: a number is never a string.
        ("contains", vec![strs(&["1", "2"]), n(1.0)], b(false)),
        ("contains", vec![l(vec![m(vec![("a", n(1.0))])]), m(vec![("a", n(1.0))])], b(true)),
        ("index", vec![strs(&["a", "b", "c"]), s("b")], n(1.0)),
        ("element", vec![strs(&["a", "b", "c"]), n(1.0)], s("b")),
        ("element", vec![strs(&["a", "b", "c"]), n(3.0)], s("a")),
        ("element", vec![strs(&["a", "b", "c"]), n(7.0)], s("b")),
        ("flatten", vec![l(vec![strs(&["a", "b"]), l(vec![]), strs(&["c"])])], strs(&["a", "b", "c"])),
        ("flatten", vec![l(vec![l(vec![s("a"), strs(&["b"])]), l(vec![l(vec![l(vec![s("c")])])]), s("d")])], strs(&["a", "b", "c", "d"])),
        ("distinct", vec![strs(&["a", "b", "a", "c", "d", "b"])], strs(&["a", "b", "c", "d"])),
        ("zipmap", vec![strs(&["a", "b"]), nums(&[1.0, 2.0])], m(vec![("a", n(1.0)), ("b", n(2.0))])),
        ("slice", vec![strs(&["a", "b", "c", "d"]), n(1.0), n(3.0)], strs(&["b", "c"])),
        ("slice", vec![strs(&["a", "b"]), n(2.0), n(2.0)], l(vec![])),
        ("sort", vec![strs(&["e", "d", "a", "x"])], strs(&["a", "d", "e", "x"])),
        ("sort", vec![strs(&["b", "B", "a", "10", "9"])], strs(&["10", "9", "B", "a", "b"])),
        ("reverse", vec![nums(&[1.0, 2.0, 3.0])], nums(&[3.0, 2.0, 1.0])),
        ("compact", vec![l(vec![s("a"), s(""), s("b"), NULL, s("c")])], strs(&["a", "b", "c"])),
        ("chunklist", vec![strs(&["a", "b", "c", "d", "e"]), n(2.0)], l(vec![strs(&["a", "b"]), strs(&["c", "d"]), strs(&["e"])])),
        ("chunklist", vec![strs(&["a", "b", "c", "d", "e"]), n(1.0)], l(vec![strs(&["a"]), strs(&["b"]), strs(&["c"]), strs(&["d"]), strs(&["e"])])),
        ("chunklist", vec![strs(&["a", "b"]), n(0.0)], l(vec![strs(&["a", "b"])])),
        ("one", vec![l(vec![])], NULL),
        ("one", vec![strs(&["hello"])], s("hello")),
        ("coalesce", vec![s("a"), s("b")], s("a")),
        ("coalesce", vec![s(""), s("b")], s("b")),
        ("coalesce", vec![n(1.0), n(2.0)], n(1.0)),
        ("coalesce", vec![NULL, s(""), n(3.0), s("x")], s("3")),
        ("coalesce", vec![NULL, m(vec![("a", n(1.0))])], m(vec![("a", n(1.0))])),
        ("coalescelist", vec![strs(&["a", "b"]), strs(&["c", "d"])], strs(&["a", "b"])),
        ("coalescelist", vec![l(vec![]), strs(&["c", "d"])], strs(&["c", "d"])),
        ("coalescelist", vec![NULL, l(vec![]), nums(&[1.0])], nums(&[1.0])),
        ("alltrue", vec![l(vec![s("true"), b(true)])], b(true)),
        ("alltrue", vec![l(vec![b(true), b(false)])], b(false)),
        ("alltrue", vec![l(vec![])], b(true)),
        ("anytrue", vec![l(vec![s("true")])], b(true)),
        ("anytrue", vec![l(vec![b(true), b(false)])], b(true)),
        ("anytrue", vec![l(vec![])], b(false)),
        ("sum", vec![nums(&[10.0, 13.0, 6.0, 4.5])], n(33.5)),
        ("sum", vec![l(vec![n(1.0), s("2")])], n(3.0)),
        ("matchkeys", vec![strs(&["i-123", "i-abc", "i-def"]), strs(&["us-west", "us-east", "us-east"]), strs(&["us-east"])], strs(&["i-abc", "i-def"])),
        (
            "transpose",
            vec![m(vec![("a", strs(&["1", "2"])), ("b", strs(&["2", "3"]))])],
            m(vec![("1", strs(&["a"])), ("2", strs(&["a", "b"])), ("3", strs(&["b"]))]),
        ),
    ]);
}

#[test]
fn ranges() {
    check(vec![
        ("range", vec![n(3.0)], nums(&[0.0, 1.0, 2.0])),
        ("range", vec![n(1.0), n(4.0)], nums(&[1.0, 2.0, 3.0])),
        ("range", vec![n(1.0), n(8.0), n(2.0)], nums(&[1.0, 3.0, 5.0, 7.0])),
        ("range", vec![n(1.0), n(4.0), n(0.5)], nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5])),
        ("range", vec![n(4.0), n(1.0)], nums(&[4.0, 3.0, 2.0])),
        ("range", vec![n(10.0), n(5.0), n(-2.0)], nums(&[10.0, 8.0, 6.0])),
        ("range", vec![n(-3.0)], nums(&[0.0, -1.0, -2.0])),
        ("range", vec![n(0.0)], l(vec![])),
        ("range", vec![n(5.0), n(5.0)], l(vec![])),
    ]);
    let big = run("range", vec![n(1_024_000.0)]).unwrap();
    assert_eq!(big.as_list().map(<[_]>::len), Some(1_024_000));
    check_errors(vec![
        ("range", vec![n(1_024_001.0)], "more than 1024000 values"),
        ("range", vec![n(0.0), n(1e300), n(1e-300)], "more than 1024000 values"),
        ("range", vec![n(1.0), n(4.0), n(0.0)], "step must not be zero"),
        ("range", vec![n(1.0), n(4.0), n(-1.0)], "end must be less than start when step is negative"),
        ("range", vec![n(4.0), n(1.0), n(1.0)], "end must be greater than start when step is positive"),
    ]);
}

#[test]
fn sets() {
    check(vec![
        ("toset", vec![strs(&["c", "b", "b"])], strs(&["b", "c"])),
        ("toset", vec![l(vec![s("a"), s("b"), n(3.0)])], strs(&["3", "a", "b"])),
        ("setunion", vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["d"])], strs(&["a", "b", "c", "d"])),
        ("setintersection", vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["b", "d"])], strs(&["b"])),
        ("setintersection", vec![strs(&["a"]), strs(&["b"])], l(vec![])),
        ("setsubtract", vec![strs(&["a", "b", "c"]), strs(&["a", "c"])], strs(&["b"])),
        (
            "setproduct",
            vec![strs(&["development", "staging"]), strs(&["app1", "app2"])],
            l(vec![strs(&["development", "app1"]), strs(&["development", "app2"]), strs(&["staging", "app1"]), strs(&["staging", "app2"])]),
        ),
        ("setproduct", vec![strs(&["a"]), l(vec![])], l(vec![])),
    ]);
}

#[test]
fn conversions() {
    check(vec![
        ("tostring", vec![n(5.0)], s("5")),
        ("tostring", vec![n(1.5)], s("1.5")),
        ("tostring", vec![b(true)], s("true")),
        ("tostring", vec![s("hello")], s("hello")),
        ("tostring", vec![NULL], NULL),
        ("tonumber", vec![s("1")], n(1.0)),
        ("tonumber", vec![s("-2.5")], n(-2.5)),
        ("tonumber", vec![n(3.0)], n(3.0)),
        ("tonumber", vec![NULL], NULL),
        ("tobool", vec![s("true")], b(true)),
        ("tobool", vec![b(false)], b(false)),
        ("tobool", vec![NULL], NULL),
        ("tolist", vec![l(vec![s("a"), s("b"), n(3.0)])], strs(&["a", "b", "3"])),
        ("tolist", vec![NULL], NULL),
        ("tomap", vec![m(vec![("a", n(1.0)), ("b", s("x"))])], m(vec![("a", s("1")), ("b", s("x"))])),
    ]);
    check_errors(vec![
        ("tostring", vec![strs(&["a"])], "cannot convert tuple to string"),
        ("tonumber", vec![s("no")], "cannot convert \"no\" to number"),
        ("tobool", vec![s("yes")], "only the strings \"true\" or \"false\" are allowed"),
        ("tolist", vec![l(vec![s("a"), strs(&["b"])])], "all elements must have the same type"),
        ("tolist", vec![s("a")], "cannot convert string to list"),
        ("tomap", vec![strs(&["a"])], "cannot convert tuple to map"),
    ]);
}

#[test]
fn collection_errors() {
    check_errors(vec![
        ("length", vec![NULL], "argument 1: argument must not be null"),
        ("length", vec![n(1.0)], "argument must be a string, a collection type, or a structural type"),
        ("lookup", vec![m(vec![("a", s("x"))]), s("b")], "the given object has no attribute \"b\""),
        (
            "lookup",
            vec![iac_core::Value::Map(iac_core::ValueMap::from_iter([("a".to_string(), s("x"))]).with_kind(iac_core::MapKind::Map)), s("b")],
            "lookup failed to find key \"b\"",
        ),
        ("merge", vec![m(vec![]), s("x")], "merge: arguments must be maps or objects, got string"),
        ("concat", vec![strs(&["a"]), s("b")], "all arguments must be lists or tuples"),
        ("element", vec![l(vec![]), n(0.0)], "cannot use element function with an empty list"),
        ("element", vec![strs(&["a"]), n(-1.0)], "negative index"),
        ("element", vec![strs(&["a"]), n(0.5)], "whole number"),
        ("index", vec![strs(&["a"]), s("z")], "item not found"),
        ("zipmap", vec![strs(&["a", "b"]), nums(&[1.0])], "number of keys (2) does not match number of values (1)"),
        ("zipmap", vec![l(vec![NULL]), nums(&[1.0])], "keys list has null value at index 0"),
        ("slice", vec![strs(&["a"]), n(-1.0), n(1.0)], "start index must not be less than zero"),
        ("slice", vec![strs(&["a"]), n(0.0), n(2.0)], "end index must not be greater than the length of the list"),
        ("slice", vec![strs(&["a", "b"]), n(2.0), n(1.0)], "start index must not be greater than end index"),
        ("sort", vec![l(vec![s("a"), NULL])], "given list element 1 is null"),
        ("chunklist", vec![strs(&["a"]), n(-1.0)], "the size argument must be positive"),
        ("one", vec![strs(&["a", "b"])], "either zero or one elements"),
        ("coalesce", vec![NULL, s("")], "no non-null, non-empty-string arguments"),
        ("coalescelist", vec![l(vec![]), NULL], "no non-null arguments"),
        ("sum", vec![l(vec![])], "cannot sum an empty list"),
        ("sum", vec![l(vec![n(1.0), NULL])], "element 1 is null"),
        ("keys", vec![strs(&["a"])], "must have map or object type"),
        ("contains", vec![s("abc"), s("a")], "argument must be list, tuple, or set"),
        ("setproduct", vec![nums(&[0.0; 1100]), nums(&[0.0; 1100])], "more than the limit"),
        ("matchkeys", vec![strs(&["a"]), strs(&[]), strs(&[])], "length of keys and values should be equal"),
    ]);
}
