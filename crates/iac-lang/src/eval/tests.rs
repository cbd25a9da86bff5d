//! Tests of expression evaluation: values, marks, references and diagnostics.

use super::*;
use crate::refs::Subject;

struct TestScope;

impl Scope for TestScope {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match &r.subject {
            Subject::Var(n) if n == "name" => Ok(Value::from("web")),
            Subject::Var(n) if n == "secret" => Ok(Value::from("hunter2").into_sensitive()),
            Subject::Var(n) if n == "zones" => Ok(Value::List(vec!["a".into(), "b".into()].into())),
            Subject::Resource { type_, name } if type_ == "aws_vpc" && name == "main" => {
                Ok(Value::map([("id", Value::Unknown), ("cidr", Value::from("10.0.0.0/16"))]))
            }
            Subject::Local(n) if n == "tags" => Ok(Value::map([("team", Value::from("core"))])),
            other => Err(format!("Reference to undeclared {}", other.describe())),
        }
    }
}

fn eval(src: &str) -> Result<Value, String> {
    let expr = hcl_edit::parser::parse_expr(src).map_err(|e| e.to_string())?;
    Evaluator::new(&TestScope, Path::new("."), FileId(0)).eval(&expr).map_err(|d| d.summary)
}

#[test]
fn literals_and_operators() {
    assert_eq!(eval("1 + 2 * 3").unwrap(), Value::number(7.0));
    assert_eq!(eval("\"a\" == \"a\" && !false").unwrap(), Value::Bool(true));
    assert_eq!(eval("10 % 4 >= 2 ? \"y\" : \"n\"").unwrap(), Value::from("y"));
    // Terraform 1.11.4: n / 0 is infinity, 0 / 0 an error, n % 0 is n.
    assert_eq!(eval("1 / 0 > 1000000").unwrap(), Value::Bool(true));
    assert_eq!(eval("-1 / 0 < 0").unwrap(), Value::Bool(true));
    assert_eq!(problem("0 / 0"), ("Operation failed".into(), "Error during operation: can't divide zero by zero or infinity by infinity.".into()));
    assert_eq!(eval("5 % 0").unwrap(), Value::number(5.0));
}

/// A scope that has the source text, as the engine's has.
struct SourceScope<'a>(&'a str);

impl Scope for SourceScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        TestScope.resolve(r)
    }
    fn source_text(&self, _file: FileId) -> Option<&str> {
        Some(self.0)
    }
}

fn eval_text(src: &str) -> String {
    let expr = hcl_edit::parser::parse_expr(src).unwrap();
    let v = Evaluator::new(&SourceScope(src), Path::new("."), FileId(0)).eval(&expr).unwrap();
    v.to_string()
}

#[test]
fn numbers_have_terraform_precision() {
    // Within 64 bits literals are exact even without the source text.
    assert_eq!(eval("9007199254740993 + 1").unwrap().to_string(), "9007199254740994");
    assert_eq!(eval("0.1 + 0.2 == 0.3").unwrap(), Value::Bool(true));
    assert_eq!(eval("1e30").unwrap().to_string(), "1000000000000000000000000000000");
    // With it, literals beyond what a float64 holds are exact too.
    assert_eq!(eval_text("18446744073709551616 * 10"), "184467440737095516160");
    assert_eq!(eval_text("100000000000000000000000000000.5"), "100000000000000000000000000000.5");
    assert_eq!(eval_text("-0"), "-0");
    assert_eq!(eval_text("[1, - 2.5]"), "[1, -2.5]");
    assert_eq!(eval("1 / 3").unwrap().to_string().len(), 157, "155 digits after \"0.\"");
    assert_eq!(eval("[7 % -3, -7 % 3, 5.5 % 2]").unwrap().to_string(), "[1, -1, 1.5]");
}

#[test]
fn terraform_value_rules() {
    // String literals are NFC-normalized, escapes included.
    assert_eq!(eval("\"é\" == \"e\\u0301\"").unwrap(), Value::Bool(true));
    assert_eq!(eval("length(\"e\\u0301\")").unwrap(), Value::number(1.0));
    // Conditional results are converted to their common type.
    assert_eq!(eval("true ? 1 : \"x\"").unwrap(), Value::from("1"));
    assert_eq!(eval("true ? true : \"no\"").unwrap(), Value::from("true"));
    assert_eq!(eval("true ? [1] : []").unwrap(), Value::List(vec![Value::number(1.0)].into()));
    // The branch not taken may fail without failing the expression.
    assert_eq!(eval("true ? \"a\" : [\"x\"][5]").unwrap(), Value::from("a"));
    // core:: names the built-ins.
    assert_eq!(eval("core::upper(\"a\")").unwrap(), Value::from("A"));
    // templatestring renders only a template named by a reference.
    let expr = hcl_edit::parser::parse_expr("templatestring(\"${a}\", {a = 1})").unwrap();
    let refused = Evaluator::new(&TestScope, Path::new("."), FileId(0)).eval(&expr).unwrap_err();
    assert_eq!(refused.summary, "Invalid function argument");
    assert!(refused.detail.contains("must be a reference"), "{}", refused.detail);
    assert_eq!(eval("templatestring(var.name, {})").unwrap(), Value::from("web"));
}

#[test]
fn templates_and_directives() {
    assert_eq!(eval("\"${var.name}-1\"").unwrap(), Value::from("web-1"));
    assert_eq!(eval("\"%{ for z in var.zones }${z},%{ endfor }\"").unwrap(), Value::from("a,b,"));
    assert_eq!(eval(r#""%{ if var.name == "web" }yes%{ else }no%{ endif }""#).unwrap(), Value::from("yes"));
    // A lone interpolation keeps its type.
    assert_eq!(eval("\"${var.zones}\"").unwrap(), Value::List(vec!["a".into(), "b".into()].into()));
}

#[test]
fn strip_markers_and_heredoc_indent_reach_into_directives() {
    assert_eq!(eval("\"[%{ for z in var.zones ~}\n  ${z}\n  %{~ endfor }]\"").unwrap(), Value::from("[ab]"));
    assert_eq!(eval("\"%{ if true ~}  yes  %{~ else ~} no %{~ endif }\"").unwrap(), Value::from("yes"));
    // A strip marker trims one token, and heredoc tokens end at newlines
    // (Terraform 1.11.4: "a x  b\ny c\n").
    let heredoc = "<<EOT\na ${\"x\"~}\n  b\n  ${~\"y\"} c\nEOT";
    assert_eq!(eval(heredoc).unwrap(), Value::from("a x  b\ny c\n"));
}

#[test]
fn unknown_propagates() {
    assert_eq!(eval("aws_vpc.main.id").unwrap(), Value::Unknown);
    assert_eq!(eval("\"vpc-${aws_vpc.main.id}\"").unwrap(), Value::Unknown);
    assert_eq!(eval("aws_vpc.main.id == \"x\" ? 1 : 2").unwrap(), Value::Unknown);
    assert_eq!(eval("aws_vpc.main.cidr").unwrap(), Value::from("10.0.0.0/16"));
    assert_eq!(eval("false && aws_vpc.main.id == \"x\"").unwrap(), Value::Bool(false));
}

#[test]
fn sensitive_propagates() {
    assert!(eval("var.secret").unwrap().is_sensitive());
    assert!(eval("\"pw=${var.secret}\"").unwrap().is_sensitive());
    assert!(eval("var.secret == \"x\"").unwrap().is_sensitive());
    let obj = eval("{ a = var.secret, b = 1 }").unwrap();
    assert!(!obj.is_sensitive() && obj.contains_sensitive());
}

#[test]
fn for_expressions_and_splats() {
    assert_eq!(eval("[for z in var.zones : upper(z)]").unwrap(), Value::List(vec!["A".into(), "B".into()].into()));
    assert_eq!(eval("{ for i, z in var.zones : z => i }").unwrap(), Value::map([("a", Value::number(0.0)), ("b", Value::number(1.0))]));
    assert_eq!(eval("[for z in var.zones : z if z != \"a\"]").unwrap(), Value::List(vec!["b".into()].into()));
    assert_eq!(eval("{ for z in [\"a\", \"a\", \"b\"] : z => z... }").unwrap().get("a").and_then(|v| v.as_list()).map(|l| l.len()), Some(2));
    assert_eq!(eval("[{ n = 1 }, { n = 2 }][*].n").unwrap(), Value::List(vec![Value::number(1.0), Value::number(2.0)].into()));
    assert_eq!(problem("{ for z in [\"a\", \"a\"] : z => z }").0, "Duplicate object key");
}

#[test]
fn try_and_can() {
    assert_eq!(eval("try(local.tags.missing, \"fallback\")").unwrap(), Value::from("fallback"));
    assert_eq!(eval("can(local.tags.team)").unwrap(), Value::Bool(true));
    assert_eq!(eval("can(local.tags.missing)").unwrap(), Value::Bool(false));
}

#[test]
fn errors_name_the_problem() {
    assert!(eval("var.nope").unwrap_err().contains("undeclared"));
    assert_eq!(problem("local.tags.nope"), ("Unsupported attribute".into(), "This object does not have an attribute named \"nope\".".into()));
    assert_eq!(problem("nosuchfn(1)"), ("Call to unknown function".into(), "There is no function named \"nosuchfn\".".into()));
    assert_eq!(problem("lenght([])"), ("Call to unknown function".into(), "There is no function named \"lenght\". Did you mean \"length\"?".into()));
    assert_eq!(
        problem("\"a${null}\""),
        ("Invalid template interpolation value".into(), "The expression result is null. Cannot include a null value in a string template.".into())
    );
    assert_eq!(
        problem("[for c in \"ab\" : c]"),
        ("Iteration over non-iterable value".into(), "A value of type string cannot be used as the collection in a 'for' expression.".into())
    );
    assert!(eval("count.foo").unwrap_err().contains("count.index"));
}

/// An expression's error: its summary and detail.
fn problem(src: &str) -> (String, String) {
    let expr = hcl_edit::parser::parse_expr(src).expect("an expression");
    let d = Evaluator::new(&TestScope, Path::new("."), FileId(0)).eval(&expr).expect_err(src);
    (d.summary, d.detail)
}

/// Attribute and index errors in HCL 2.23's words (`hcl.GetAttr`,
/// `hcl.Index`), summary and detail, as Terraform 1.11.4 shows them.
#[test]
fn attribute_and_index_errors_are_hcls() {
    let not_identified = "The given key does not identify an element in this collection value";
    let cases: Vec<(&str, &str, String)> = vec![
        ("local.tags.nope", "Unsupported attribute", "This object does not have an attribute named \"nope\".".into()),
        ("tomap(local.tags).nope", "Missing map element", "This map does not have an element with the key \"nope\".".into()),
        ("null_value().x", "Attempt to get attribute from null value", "This value is null, so it does not have any attributes.".into()),
        ("var.name.x", "Unsupported attribute", "Can't access attributes on a primitive-typed value (string).".into()),
        ("[1].x", "Unsupported attribute", "This value does not have any attributes.".into()),
        (
            "tolist([local.tags]).team",
            "Unsupported attribute",
            "Can't access attributes on a list of objects. Did you mean to access attribute \"team\" for a specific element of the list, or across all elements of the list?".into(),
        ),
        (
            "tolist([local.tags]).x",
            "Unsupported attribute",
            "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?".into(),
        ),
        (
            "toset([local.tags]).x",
            "Unsupported attribute",
            "Can't access attributes on a set of objects. Did you mean to access an attribute across all elements of the set?".into(),
        ),
        ("var.zones[5]", "Invalid index", format!("{not_identified}: the given index is greater than or equal to the length of the collection.")),
        ("var.zones[-1]", "Invalid index", format!("{not_identified}: a negative number is not a valid index for a sequence.")),
        ("var.zones[0.5]", "Invalid index", format!("{not_identified}: indexing a sequence requires a whole number, but the given index has a fractional part.")),
        ("[][0]", "Invalid index", format!("{not_identified}: the collection has no elements.")),
        ("var.zones[\"a\"]", "Invalid index", format!("{not_identified}: a number is required.")),
        ("var.zones[null]", "Invalid index", "Can't use a null value as an indexing key.".into()),
        ("local.tags[\"nope\"]", "Invalid index", format!("{not_identified}.")),
        ("local.tags[0]", "Invalid index", format!("{not_identified}. An object only supports looking up attributes by name, not by numeric index.")),
        ("tomap(local.tags)[0]", "Invalid index", format!("{not_identified}.")),
        ("toset([1])[0]", "Invalid index", "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.".into()),
        ("true[0]", "Invalid index", "This value does not have any indices.".into()),
        ("null_value()[0]", "Attempt to index null value", "This value is null, so it does not have any indices.".into()),
    ];
    for (src, summary, detail) in cases {
        let src = src.replace("null_value()", "(true ? null : local.tags)");
        assert_eq!(problem(&src), (summary.to_string(), detail), "{src}");
    }
}

#[test]
fn quoted_template_escapes_inside_directives() {
    assert_eq!(eval(r#""%{ for z in var.zones }${z}\n%{ endfor }""#).unwrap(), Value::from("a\nb\n"));
    assert_eq!(eval(r#""%{ if true }\t\"x\"\u00e9%{ endif }""#).unwrap(), Value::from("\t\"x\"é"));
}

#[test]
fn flush_heredoc_with_strip_markers_keeps_indentation() {
    // Terraform 1.11.4: a `%{~` starting a line makes the measured indentation 0.
    let heredoc = "<<-EOT\n    zones:\n    %{~ for z in var.zones }\n    - ${z}\n    %{~ endfor }\n    EOT";
    assert_eq!(eval(heredoc).unwrap(), Value::from("    zones:\n\n    - a\n\n    - b\n\n"));
    // Without strip markers the common indentation goes.
    let heredoc = "<<-EOT\n    zones:\n    %{ for z in var.zones }\n    - ${z}\n    %{ endfor }\n    EOT";
    assert_eq!(eval(heredoc).unwrap(), Value::from("zones:\n\n- a\n\n- b\n\n"));
}

/// Where an error is and the expression values under it, as Terraform
/// 1.11.4's `plan -json` gives them (`range`, `snippet.values`): an operand's
/// error at the operand, a conditional's mismatch from the first result to
/// the last, an attribute's or index's at its operator (`.x`, `[k]`) with
/// the references before it.
#[test]
fn errors_are_where_hcl_puts_them_with_expression_values() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("true + 1", "Invalid operand", "true", &[]),
        ("1 + \"a\"", "Invalid operand", "\"a\"", &[]),
        ("var.name + local.tags", "Invalid operand", "var.name", &["var.name is \"web\""]),
        ("1 + local.tags", "Invalid operand", "local.tags", &["local.tags is object with 1 attribute \"team\""]),
        ("-var.name", "Invalid operand", "var.name", &["var.name is \"web\""]),
        ("!null", "Operation failed", "!null", &[]),
        ("true ? 1 : false", "Inconsistent conditional result types", "1 : false", &[]),
        (
            "var.name == \"web\" ? var.zones : local.tags",
            "Inconsistent conditional result types",
            "var.zones : local.tags",
            &["local.tags is object with 1 attribute \"team\"", "var.name is \"web\"", "var.zones is tuple with 2 elements"],
        ),
        ("var.zones ? 1 : 2", "Incorrect condition type", "var.zones", &["var.zones is tuple with 2 elements"]),
        ("local.tags.nope", "Unsupported attribute", ".nope", &["local.tags is object with 1 attribute \"team\""]),
        ("local.tags.team.x[var.name]", "Unsupported attribute", ".x", &["local.tags.team is \"core\""]),
        ("local.tags[var.name]", "Invalid index", "[var.name]", &["local.tags is object with 1 attribute \"team\"", "var.name is \"web\""]),
        ("var.zones[5]", "Invalid index", "[5]", &["var.zones is tuple with 2 elements"]),
        ("\"${local.tags.team.x}\"", "Unsupported attribute", ".x", &["local.tags.team is \"core\""]),
        ("[for z in var.zones : z.x]", "Unsupported attribute", ".x", &[]),
        ("var.zones[*].x", "Unsupported attribute", ".x", &[]),
        ("upper(local.tags)", "Invalid function argument", "local.tags", &["local.tags is object with 1 attribute \"team\""]),
        // Inside try() and can(), no values are looked for.
        ("try(local.tags.nope, 1) + true", "Invalid operand", "true", &[]),
    ];
    for (src, summary, at, values) in cases {
        let expr = hcl_edit::parser::parse_expr(src).expect("an expression");
        let d = Evaluator::new(&TestScope, Path::new("."), FileId(0)).eval(&expr).expect_err(src);
        let range = d.span.as_ref().expect("a span").range.clone();
        let shown: Vec<String> = d.values.iter().map(|v| format!("{} {}", v.traversal, v.statement)).collect();
        assert_eq!((d.summary.as_str(), &src[range], shown), (*summary, *at, values.iter().map(|v| v.to_string()).collect::<Vec<_>>()), "{src}");
    }
}

/// `for` clauses, object keys and template `if` directives in HCL's words,
/// as Terraform 1.11.4's `validate -json` gives them, with their ranges.
#[test]
fn for_key_and_directive_errors_are_hcls() {
    let cases = [
        ("[for x in [1] : x if x]", "Invalid 'for' condition", "The 'if' clause value is invalid: bool required.", "x"),
        ("[for x in [1] : x if null]", "Condition is null", "The value of the 'if' clause must not be null.", "null"),
        ("{ for x in [1] : [x] => x }", "Invalid object key", "The key expression produced an invalid result: string required.", "[x]"),
        ("{ for x in [1] : null => x }", "Invalid object key", "Key expression in 'for' expression must not produce a null value.", "null"),
        (
            "{ for x in [\"a\", \"a\"] : x => x }",
            "Duplicate object key",
            "Two different items produced the key \"a\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
            "x",
        ),
        ("\"%{if 1}x%{endif}\"", "Incorrect condition type", "The condition expression must be of type bool.", "1"),
        ("\"%{if null}x%{endif}\"", "Null condition", "The condition value is null. Conditions must either be true or false.", "null"),
        ("{ ([1]) = 1 }", "Incorrect key type", "Can't use this value as a key: string required.", "([1])"),
        ("{ (null) = 1 }", "Null value as key", "Can't use a null value as a key.", "1"),
    ];
    for (src, summary, detail, at) in cases {
        let expr = hcl_edit::parser::parse_expr(src).expect("an expression");
        let d = Evaluator::new(&TestScope, Path::new("."), FileId(0)).eval(&expr).expect_err(src);
        let range = d.span.as_ref().expect("a span").range.clone();
        assert_eq!((d.summary.as_str(), d.detail.as_str(), &src[range]), (summary, detail, at), "{src}");
    }
    // The strings "true" and "1" are bools to a condition.
    assert_eq!(eval("\"%{if \"true\"}x%{endif}\"").unwrap(), Value::from("x"));
    assert_eq!(eval("[for x in [1] : x if \"1\"]").unwrap(), Value::List(vec![Value::number(1.0)].into()));
}
