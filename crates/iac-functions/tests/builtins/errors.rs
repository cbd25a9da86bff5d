//! The public API: names, arity and error shapes.

use crate::common::*;
use iac_functions::{exists, names, FunctionError};

#[test]
fn names_cover_the_required_functions() {
    let required = [
        "merge",
        "concat",
        "lookup",
        "length",
        "keys",
        "values",
        "contains",
        "join",
        "split",
        "format",
        "formatlist",
        "lower",
        "upper",
        "replace",
        "trimspace",
        "trim",
        "trimprefix",
        "trimsuffix",
        "substr",
        "coalesce",
        "coalescelist",
        "tostring",
        "tonumber",
        "tobool",
        "tolist",
        "toset",
        "tomap",
        "jsonencode",
        "jsondecode",
        "yamlencode",
        "yamldecode",
        "base64encode",
        "base64decode",
        "sha256",
        "sha1",
        "md5",
        "file",
        "templatefile",
        "fileexists",
        "cidrsubnet",
        "cidrhost",
        "cidrnetmask",
        "range",
        "element",
        "flatten",
        "distinct",
        "zipmap",
        "slice",
        "sort",
        "reverse",
        "min",
        "max",
        "abs",
        "ceil",
        "floor",
        "pow",
        "signum",
        "startswith",
        "endswith",
        "strcontains",
        "regex",
        "regexall",
        "one",
        "sum",
        "alltrue",
        "anytrue",
        "compact",
        "chunklist",
        "index",
        "setunion",
        "setintersection",
        "setsubtract",
        "title",
        "chomp",
        "indent",
        "try",
        "can",
    ];
    for name in required {
        assert!(exists(name), "{name} should exist");
        assert!(names().contains(&name), "{name} should be listed");
    }
    assert!(!exists("nope"));
    let mut sorted = names().to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, names().to_vec());
}

/// Every built-in function of Terraform 1.11.4 (`terraform metadata
/// functions -json`, without the `core::` aliases), no more, no less.
#[test]
fn names_are_terraforms_118() {
    let terraform = [
        "abs",
        "abspath",
        "alltrue",
        "anytrue",
        "base64decode",
        "base64encode",
        "base64gzip",
        "base64sha256",
        "base64sha512",
        "basename",
        "bcrypt",
        "can",
        "ceil",
        "chomp",
        "chunklist",
        "cidrhost",
        "cidrnetmask",
        "cidrsubnet",
        "cidrsubnets",
        "coalesce",
        "coalescelist",
        "compact",
        "concat",
        "contains",
        "csvdecode",
        "dirname",
        "distinct",
        "element",
        "endswith",
        "ephemeralasnull",
        "file",
        "filebase64",
        "filebase64sha256",
        "filebase64sha512",
        "fileexists",
        "filemd5",
        "fileset",
        "filesha1",
        "filesha256",
        "filesha512",
        "flatten",
        "floor",
        "format",
        "formatdate",
        "formatlist",
        "indent",
        "index",
        "issensitive",
        "join",
        "jsondecode",
        "jsonencode",
        "keys",
        "length",
        "log",
        "lookup",
        "lower",
        "matchkeys",
        "max",
        "md5",
        "merge",
        "min",
        "nonsensitive",
        "one",
        "parseint",
        "pathexpand",
        "plantimestamp",
        "pow",
        "range",
        "regex",
        "regexall",
        "replace",
        "reverse",
        "rsadecrypt",
        "sensitive",
        "setintersection",
        "setproduct",
        "setsubtract",
        "setunion",
        "sha1",
        "sha256",
        "sha512",
        "signum",
        "slice",
        "sort",
        "split",
        "startswith",
        "strcontains",
        "strrev",
        "substr",
        "sum",
        "templatefile",
        "templatestring",
        "textdecodebase64",
        "textencodebase64",
        "timeadd",
        "timecmp",
        "timestamp",
        "title",
        "tobool",
        "tolist",
        "tomap",
        "tonumber",
        "toset",
        "tostring",
        "transpose",
        "trim",
        "trimprefix",
        "trimspace",
        "trimsuffix",
        "try",
        "upper",
        "urlencode",
        "uuid",
        "uuidv5",
        "values",
        "yamldecode",
        "yamlencode",
        "zipmap",
    ];
    assert_eq!(terraform.len(), 118);
    assert_eq!(names().to_vec(), terraform.to_vec());
}

#[test]
fn error_shapes() {
    assert_eq!(run("nope", vec![]), Err(FunctionError::UnknownFunction("nope".into())));
    assert_eq!(run("upper", vec![]), Err(FunctionError::NotEnoughArguments { function: "upper".into(), expects: 1, variadic: false, missing: "str" }));
    assert_eq!(err("upper", vec![]), "Function \"upper\" expects 1 argument(s). Missing value for \"str\".");
    assert_eq!(run("upper", vec![s("a"), s("b")]), Err(FunctionError::TooManyArguments { function: "upper".into(), expects: 1 }));
    assert_eq!(err("upper", vec![s("a"), s("b")]), "Function \"upper\" expects only 1 argument(s).");
    assert_eq!(
        run("lookup", vec![m(vec![])]),
        Err(FunctionError::NotEnoughArguments { function: "lookup".into(), expects: 2, variadic: true, missing: "key" })
    );
    assert_eq!(err("lookup", vec![m(vec![])]), "Function \"lookup\" expects at least 2 argument(s). Missing value for \"key\".");
    assert_eq!(err("lookup", vec![m(vec![]), s("a"), s("b"), s("c")]), "lookup: lookup() takes two or three arguments, got 4");
    // Counts Terraform's functions check themselves, in their own words
    // (their signatures take any number of arguments).
    assert_eq!(err("range", vec![n(1.0), n(2.0), n(3.0), n(4.0)]), "range: must have one, two, or three arguments");
    assert_eq!(err("range", vec![]), "range: must have one, two, or three arguments");
    assert_eq!(err("coalesce", vec![]), "coalesce: all arguments must have the same type");
    assert_eq!(err("coalescelist", vec![]), "coalescelist: at least one argument is required");
    assert_eq!(err("concat", vec![]), "concat: at least one argument is required");
    assert_eq!(err("join", vec![s(",")]), "join: at least one list is required");
    assert_eq!(err("bcrypt", vec![s("a"), n(10.0), n(3.0)]), "bcrypt: bcrypt() takes no more than two arguments");
    assert_eq!(
        run("upper", vec![NULL]),
        Err(FunctionError::Argument { function: "upper".into(), index: 0, parameter: "str", message: "argument must not be null".into() })
    );
    assert_eq!(err("upper", vec![NULL]), "upper: argument 1: argument must not be null");
    assert_eq!(err("join", vec![s(","), s("x")]), "join: argument 2: list of string required");
    assert!(matches!(run("index", vec![strs(&["a"]), s("b")]), Err(FunctionError::Failed { .. })));
    assert_eq!(err("upper", vec![strs(&["a"])]), "upper: argument 1: string required");
    assert_eq!(err("nope", vec![]), "call to unknown function \"nope\"");
}

#[test]
fn try_and_can_belong_to_the_evaluator() {
    let e = err("try", vec![s("a")]);
    assert!(e.contains("handled by the expression evaluator"), "{e}");
    let e = err("can", vec![s("a")]);
    assert!(e.contains("handled by the expression evaluator"), "{e}");
}

/// Every function, called with a spread of awkward arguments, returns
/// rather than panicking.
#[test]
fn no_panics_on_odd_input() {
    let odd = vec![
        NULL,
        U,
        s(""),
        s("é"),
        s("/"),
        s("%"),
        s("%[0]s"),
        s("%[99999999999999999999]s"),
        s("10.0.0.0/8"),
        s("::/0"),
        n(-1.0),
        n(0.0),
        n(1e308),
        n(-1e308),
        n(f64::INFINITY),
        n(f64::NAN),
        n(0.5),
        b(true),
        l(vec![]),
        l(vec![NULL, U, s("a"), l(vec![n(1.0)])]),
        m(vec![]),
        m(vec![("a", l(vec![NULL]))]),
        sens(s("x")),
        sens(l(vec![U])),
    ];
    for name in names() {
        for a in &odd {
            let _ = run(name, vec![a.clone()]);
            for b2 in &odd {
                let _ = run(name, vec![a.clone(), b2.clone()]);
                let _ = run(name, vec![a.clone(), b2.clone(), n(3.0)]);
                let _ = run(name, vec![a.clone(), n(1e300), b2.clone()]);
            }
        }
    }
}
