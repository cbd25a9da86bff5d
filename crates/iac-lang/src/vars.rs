//! Values of root-module variables, from every source in Terraform's order
//! of precedence (later wins): defaults, `TF_VAR_name` / `IAC_VAR_name`
//! environment variables, `terraform.tfvars`, `*.auto.tfvars` (lexical
//! order), then `-var-file` and `-var` in the order given on the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::repr::Span as _;
use hcl_edit::structure::Structure;
use iac_core::plan::CheckStatus;
use iac_core::Value;

use crate::config::{Expr, Module, Variable};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{EmptyScope, Evaluator, Scope};
use crate::refs::Reference;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::typeexpr::{ConversionError, TypeConstraint};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliVar {
    /// `-var name=value`
    Var(String),
    /// `-var-file path`
    File(PathBuf),
}

#[derive(Clone, Debug)]
enum Raw {
    Expr(Expr),
    /// From the environment or `-var`: a string, parsed as HCL for complex types.
    Text {
        text: String,
        /// How Terraform names where it came from: `-var="n=..."`, `the
        /// TF_VAR_n environment variable`.
        set_using: String,
    },
}

/// Collects and converts root variable values. Missing required variables
/// and conversion failures are diagnostics. Their validation rules are
/// checked later, in the walk (they may refer to other objects of the
/// module, as Terraform 1.9 and later allow).
pub fn root_variables(root: &Module, cli: &[CliVar], env: &[(String, String)], sources: &mut SourceMap, diags: &mut Diagnostics) -> RootValues {
    let mut unsuitable = BTreeMap::new();
    let (values, _, spans) = variables(root, cli, env, sources, diags, &|_| true, Some(&mut unsuitable));
    RootValues { values, spans, unsuitable }
}

/// The root module's variables' values, and where each came from: the
/// expression of a variables file, or the variable's declaration (a
/// default, `-var`, the environment), the range Terraform's validation
/// errors name.
///
/// A value its type constraint refuses is Terraform's error in the walk
/// (the plan goes on without the variable and is errored), so it is kept
/// apart in `unsuitable`, by name, in Terraform's words.
#[derive(Clone, Debug, Default)]
pub struct RootValues {
    pub values: iac_core::ValueMap,
    pub spans: BTreeMap<String, Span>,
    pub unsuitable: BTreeMap<String, Diagnostic>,
}

/// The values of the root module's ephemeral variables (`ephemeral =
/// true`), which a saved plan does not keep, and the names of those given
/// a value (by the environment, a variables file or `-var`) rather than
/// left to their defaults. For the apply of a saved plan: other variables
/// come from the plan.
pub fn ephemeral_root_variables(
    root: &Module,
    cli: &[CliVar],
    env: &[(String, String)],
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> (iac_core::ValueMap, std::collections::BTreeSet<String>) {
    let (values, given, _) = variables(root, cli, env, sources, diags, &|v| v.ephemeral, None);
    (values, given)
}

/// The names of the root module's ephemeral variables given a value (not
/// left to their defaults): a saved plan records them, and its apply
/// needs them given again, as Terraform's does.
pub fn given_ephemeral_variables(root: &Module, cli: &[CliVar], env: &[(String, String)], sources: &mut SourceMap) -> std::collections::BTreeSet<String> {
    variables(root, cli, env, sources, &mut Diagnostics::default(), &|v| v.ephemeral, None).1
}

/// The variables `wanted` picks, which of them were given a value, and
/// where each value came from. A value its type refuses is an error in
/// `unsuitable` when given (in `diags` when not).
fn variables(
    root: &Module,
    cli: &[CliVar],
    env: &[(String, String)],
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    wanted: &dyn Fn(&Variable) -> bool,
    mut unsuitable: Option<&mut BTreeMap<String, Diagnostic>>,
) -> (iac_core::ValueMap, std::collections::BTreeSet<String>, BTreeMap<String, Span>) {
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    // Environment: TF_VAR_ first so that the IAC_VAR_ spelling wins.
    for prefix in ["TF_VAR_", "IAC_VAR_"] {
        for (k, v) in env {
            if let Some(name) = k.strip_prefix(prefix) {
                if root.variables.contains_key(name) {
                    raw.insert(name.to_string(), Raw::Text { text: v.clone(), set_using: format!("the {k} environment variable") });
                }
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let tfvars = root.dir.join("terraform.tfvars");
    if tfvars.is_file() {
        files.push(tfvars);
    }
    if let Ok(rd) = std::fs::read_dir(&root.dir) {
        let mut auto: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".auto.tfvars")))
            .collect();
        auto.sort();
        files.extend(auto);
    }
    // Names the files set without a declaration, and the file that set each last.
    let mut undeclared: BTreeMap<String, String> = BTreeMap::new();
    for f in &files {
        read_var_file(f, root, &mut raw, sources, diags, &mut undeclared);
    }
    for c in cli {
        match c {
            CliVar::File(f) => read_var_file(f, root, &mut raw, sources, diags, &mut undeclared),
            CliVar::Var(spec) => match spec.split_once('=') {
                Some((name, value)) => {
                    if !root.variables.contains_key(name) {
                        diags.push(Diagnostic::error("Value for undeclared variable", None).with_detail(format!(
                            "A variable named {name:?} was assigned on the command line, but the root module does not declare a variable of that name. \
                             To use this value, add a \"variable\" block to the configuration."
                        )));
                        continue;
                    }
                    raw.insert(name.to_string(), Raw::Text { text: value.to_string(), set_using: format!("-var=\"{name}=...\"") });
                }
                None => diags.push(Diagnostic::error("Invalid -var option", None).with_detail(format!(
                    "The given -var option {spec:?} is not correctly specified. Must be a variable name and value separated by an equals sign, like \
                     -var=\"key=value\"."
                ))),
            },
        }
    }
    undeclared_in_files(&undeclared, diags);

    let mut out = iac_core::ValueMap::new();
    let mut spans = BTreeMap::new();
    let given = root.variables.iter().filter(|(n, v)| wanted(v) && raw.contains_key(n.as_str())).map(|(n, _)| n.clone()).collect();
    for (name, var) in root.variables.iter().filter(|(_, v)| wanted(v)) {
        // Terraform's words for a value the type refuses, by where it came from.
        let refused = |why: &ConversionError, span: &Span, sources: &SourceMap, set_using: Option<&str>| match set_using {
            Some(how) => Diagnostic::error("Invalid value for input variable", Some(var.span.clone()))
                .with_detail(format!("Unsuitable value for var.{name} set using {how}: {}.", why.reason)),
            None => unsuitable_value(&format!("var.{name}"), var, why, span, Some(sources)),
        };
        let mut set_using = None;
        let value = match raw.remove(name) {
            Some(Raw::Expr(e)) => {
                // With the file's text, so `n = 18446744073709551617` is exact.
                let scope = SourceScope(sources);
                let ev = Evaluator::new(&scope, &root.dir, e.file);
                match ev.eval(&e.expr) {
                    Ok(v) => Some((v, Some(e.span()))),
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                }
            }
            Some(Raw::Text { text, set_using: how }) => match parse_text(name, &text, &var.type_, sources) {
                Ok(v) => {
                    set_using = Some(how);
                    Some((v, None))
                }
                // As Terraform: the variable is then left unset (an error of
                // its own when it is required).
                Err(d) => {
                    diags.push(*d);
                    None
                }
            },
            None => None,
        };
        let Some((v, span)) = given_or_default(var, value, &root.dir, diags) else { continue };
        match var.type_.convert(v) {
            Ok(v) => {
                out.insert(name.clone(), v.mark_if(var.sensitive));
                spans.insert(name.clone(), span);
            }
            Err(e) => {
                let d = refused(&e, &span, sources, set_using.as_deref());
                match unsuitable.as_deref_mut() {
                    Some(u) => {
                        u.insert(name.clone(), d);
                    }
                    None => diags.push(d),
                }
            }
        }
    }
    (out, given, spans)
}

/// No references, and the text of the stack's files (tfvars included) for
/// number literals.
struct SourceScope<'a>(&'a SourceMap);

impl Scope for SourceScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        EmptyScope.resolve(r)
    }
    fn source_text(&self, file: FileId) -> Option<&str> {
        self.0.files().nth(file.0 as usize).map(|f| f.text.as_str())
    }
}

/// A variable's value before its validation rules: the default,
/// nullability, type conversion and sensitivity applied to its given
/// value, and where it came from (None: the diagnostics say why not).
/// `addr` names the variable as Terraform's errors do (`module.m.var.a`);
/// `sources` (the stack's text) lets them name its declaration's range.
pub fn convert_variable(
    addr: &str,
    var: &Variable,
    given: Option<(Value, Option<Span>)>,
    dir: &Path,
    sources: Option<&SourceMap>,
    diags: &mut Diagnostics,
) -> Option<(Value, Span)> {
    let (value, span) = given_or_default(var, given, dir, diags)?;
    match var.type_.convert(value) {
        Ok(v) => Some((v.mark_if(var.sensitive), span)),
        Err(e) => {
            diags.push(unsuitable_value(addr, var, &e, &span, sources));
            None
        }
    }
}

/// Terraform's error for a value (given at `span`) that `var`'s type
/// refuses, in cty's words for why: it names the declaration and shows the
/// value, or, when the variable is sensitive, names where the value was
/// given and shows the declaration.
fn unsuitable_value(addr: &str, var: &Variable, why: &ConversionError, span: &Span, sources: Option<&SourceMap>) -> Diagnostic {
    let why = &why.reason;
    let at = |s: &Span| sources.map(|sources| range_text(s, sources)).unwrap_or_else(|| "its declaration".into());
    let (detail, span) = if var.sensitive {
        (format!("The given value is not suitable for {addr}, which is sensitive: {why}. Invalid value defined at {}.", at(span)), var.span.clone())
    } else {
        (format!("The given value is not suitable for {addr} declared at {}: {why}.", at(&var.span)), span.clone())
    };
    Diagnostic::error("Invalid value for input variable", Some(span)).with_detail(detail)
}

/// The given value, or the default when none (or a null where none is
/// allowed) was given, and where it came from; None: the diagnostics say
/// why there is none.
fn given_or_default(var: &Variable, given: Option<(Value, Option<Span>)>, dir: &Path, diags: &mut Diagnostics) -> Option<(Value, Span)> {
    let (value, span) = match given {
        // As Terraform: a null given for a variable with `nullable = false`
        // and a default takes the default; with `nullable = true` (the
        // default), null is a value like any other and overrides the default.
        Some((v, s)) if !(v.is_null() && !var.nullable && var.default.is_some()) => (v, s.unwrap_or(var.span.clone())),
        _ => match &var.default {
            Some(d) => {
                let ev = Evaluator::new(&EmptyScope, dir, d.file);
                // Terraform names the variable's declaration for its default.
                match ev.eval(&d.expr) {
                    Ok(v) => (v, var.span.clone()),
                    Err(e) => {
                        diags.push(e);
                        return None;
                    }
                }
            }
            None => {
                diags.push(Diagnostic::error("No value for required variable", Some(var.span.clone())).with_detail(format!(
                    "The root module input variable {:?} is not set, and has no default value. Use a -var or -var-file command line argument to provide a value for this variable.",
                    var.name
                )));
                return None;
            }
        },
    };
    if value.is_null() && !var.nullable {
        diags.push(Diagnostic::error(format!("variable {:?} must not be null", var.name), Some(span)));
        return None;
    }
    Some((value, span))
}

/// Whether `d` says a variable's validation rule failed, or gave no bool.
pub fn is_validation_failure(d: &Diagnostic) -> bool {
    d.summary == "Invalid value for variable" || d.summary == "Invalid variable validation result"
}

/// What a variable's validation rules found for one value: each rule's
/// status (unknown when its result is not known yet) and the messages of
/// the failed ones, in the rules' order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Validations {
    pub statuses: Vec<CheckStatus>,
    pub problems: Vec<String>,
}

/// A range as Terraform names it in text: `main.tf:4,3-13`, or
/// `main.tf:4,3-5,2` across lines.
fn range_text(span: &Span, sources: &SourceMap) -> String {
    let file = sources.get(span.file);
    let name = file.name.strip_prefix("./").unwrap_or(&file.name);
    let ((l1, c1), (l2, c2)) = (file.line_col(span.range.start), file.line_col(span.range.end));
    if l1 == l2 {
        format!("{name}:{l1},{c1}-{c2}")
    } else {
        format!("{name}:{l1},{c1}-{l2},{c2}")
    }
}

/// Checks `var`'s validation rules in `scope`, the scope of its module's
/// instance (where the variable has its final value): a rule may refer to
/// other variables, locals, resources, data sources and module calls of
/// that module, as in Terraform 1.9 and later. A failure names `span`,
/// where the value came from, and the rule that failed (by its range in
/// `sources`' text, when given); a rule whose result is not known yet
/// (an unknown value in it) is unknown, checked again at apply.
pub fn check_validations(var: &Variable, scope: &dyn Scope, span: &Span, dir: &Path, sources: Option<&SourceMap>, diags: &mut Diagnostics) -> Validations {
    let mut out = Validations::default();
    for v in &var.validations {
        let ev = Evaluator::new(scope, dir, v.condition.file);
        let values = || crate::expr_values::expression_values(&v.condition.expr, &ev);
        let status = match ev.eval(&v.condition.expr).map(|c| condition_result(c.unmarked())) {
            Ok(Ok(Value::Bool(true))) => CheckStatus::Pass,
            Ok(Ok(Value::Unknown)) => CheckStatus::Unknown,
            Ok(Ok(Value::Bool(false))) => {
                let msg = Evaluator::new(scope, dir, v.error_message.file)
                    .eval(&v.error_message.expr)
                    .ok()
                    .and_then(|m| m.as_str().map(str::to_string))
                    .unwrap_or_else(|| "validation failed".into());
                // Terraform's words, naming the rule that failed.
                let detail = match sources {
                    Some(s) => format!("{msg}\n\nThis was checked by the validation rule at {}.", range_text(&v.block, s)),
                    None => msg.clone(),
                };
                diags.push(Diagnostic::error("Invalid value for variable", Some(span.clone())).with_detail(detail).with_values(values()));
                out.problems.push(msg);
                CheckStatus::Fail
            }
            Ok(result) => {
                // Terraform's words for a result that is no bool.
                let detail = match result {
                    Err(why) => format!("Invalid validation condition result value: {why}."),
                    Ok(_) => "Validation condition expression must return either true or false, not null.".to_string(),
                };
                diags.push(Diagnostic::error("Invalid variable validation result", Some(v.condition.span())).with_detail(detail).with_values(values()));
                CheckStatus::Error
            }
            Err(d) => {
                diags.push(d);
                CheckStatus::Error
            }
        };
        out.statuses.push(status);
    }
    out
}

/// A validation condition's result as Terraform converts it to a bool:
/// unknown stays unknown, null stays null (an error of its own), a string
/// `"true"` or `"false"` is that bool; anything else is no bool (why not,
/// in Terraform's words).
fn condition_result(result: &Value) -> Result<Value, &'static str> {
    match result {
        Value::Bool(_) | Value::Null => Ok(result.clone()),
        v if !v.is_wholly_known() => Ok(Value::Unknown),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        Value::String(_) => Err("a bool is required"),
        _ => Err("bool required"),
    }
}

/// A `-var` or environment value of variable `name`: the text itself for
/// a primitive type (or `any`), else an HCL expression, read from a
/// source named as Terraform names it (`<value for var.x>`).
fn parse_text(name: &str, text: &str, t: &TypeConstraint, sources: &mut SourceMap) -> Result<Value, Box<Diagnostic>> {
    match t {
        TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool | TypeConstraint::Any => Ok(Value::String(text.to_string())),
        _ => {
            let file = sources.add(SourceFile::new(format!("<value for var.{name}>"), PathBuf::new(), text.to_string()));
            let expr = hcl_edit::parser::parse_expr(text).map_err(|e| Box::new(expression_syntax_error(text, e.location().offset(), file)))?;
            Evaluator::new(&EmptyScope, Path::new("."), file).eval(&expr).map_err(Box::new)
        }
    }
}

/// HCL's error for a value's text that is no expression, told from the
/// text and the position where the parser stopped (`offset`, which is not
/// always where HCL puts its error): an expression followed by more text;
/// at the end of the text, an unterminated string, a missing expression
/// (after a separator, an operator or an opening bracket) or an
/// unterminated bracket; else a missing comma between a tuple's items, or
/// no expression where one starts.
fn expression_syntax_error(text: &str, offset: usize, file: FileId) -> Diagnostic {
    let at = |at: usize| Some(Span { file, range: at..at + 1 });
    let trimmed = text.trim_end();
    let before = text.get(..offset).unwrap_or_default();
    if offset < trimmed.len() && hcl_edit::parser::parse_expr(before).is_ok() {
        // HCL names the first character after the expression.
        let extra = offset + (text[offset..].len() - text[offset..].trim_start().len());
        return Diagnostic::error("Extra characters after expression", at(extra))
            .with_detail("An expression was successfully parsed, but extra characters were found after it.");
    }
    if in_string_at_end(trimmed) {
        return Diagnostic::error("Unterminated template string", at(text.len())).with_detail("No closing marker was found for the string.");
    }
    let expects_more = |t: &str| t.is_empty() || t.ends_with([',', '[', '{', '(', '=', ':', '+', '-', '*', '/', '%', '!', '?', '&', '|', '<', '>']);
    if expects_more(trimmed) {
        return Diagnostic::error("Missing expression", at(text.len())).with_detail("Expected the start of an expression, but found the end of the file.");
    }
    if offset < trimmed.len() && !expects_more(before.trim_end()) && unclosed_bracket(before).is_some_and(|(_, kind)| kind == "tuple") {
        return Diagnostic::error("Missing item separator", at(offset)).with_detail("Expected a comma to mark the beginning of the next item.");
    }
    if let Some((open, kind)) = unclosed_bracket(trimmed) {
        return Diagnostic::error(format!("Unterminated {kind} constructor expression"), at(open)).with_detail(
            "There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.",
        );
    }
    Diagnostic::error("Invalid expression", at(offset)).with_detail("Expected the start of an expression, but found an invalid expression token.")
}

/// Whether `text` ends inside a quoted string.
fn in_string_at_end(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ => {}
        }
    }
    in_string
}

/// The innermost bracket of `text` left open (outside strings), and what
/// HCL calls the constructor it opens.
fn unclosed_bracket(text: &str) -> Option<(usize, &'static str)> {
    let mut open = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ if in_string => {}
            '[' | '{' => open.push((i, c)),
            ']' | '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.last().map(|&(i, c)| (i, if c == '[' { "tuple" } else { "object" }))
}

/// Terraform's warnings for values that variables files give variables the
/// root module does not declare: one for each of the first two (by name),
/// then one counting the others.
fn undeclared_in_files(undeclared: &BTreeMap<String, String>, diags: &mut Diagnostics) {
    const SHOWN: usize = 2;
    for (name, file) in undeclared.iter().take(SHOWN) {
        diags.push(Diagnostic::warning("Value for undeclared variable", None).with_detail(format!(
            "The root module does not declare a variable named {name:?} but a value was found in file {file:?}. If you meant to use this value, \
             add a \"variable\" block to the configuration.\n\nTo silence these warnings, use TF_VAR_... environment variables to provide certain \
             \"global\" settings to all configurations in your organization. To reduce the verbosity of these warnings, use the -compact-warnings option."
        )));
    }
    if undeclared.len() > SHOWN {
        diags.push(Diagnostic::warning("Values for undeclared variables", None).with_detail(format!(
            "In addition to the other similar warnings shown, {} other variable(s) defined without being declared.",
            undeclared.len() - SHOWN
        )));
    }
}

/// Reads a variables file's values into `raw`; the names it sets that the
/// root module does not declare go to `undeclared`, with the file's name
/// as Terraform gives it (relative to the stack).
fn read_var_file(
    path: &Path,
    root: &Module,
    raw: &mut BTreeMap<String, Raw>,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    undeclared: &mut BTreeMap<String, String>,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(format!("cannot read variables file {}: {e}", path.display()), None));
            return;
        }
    };
    let file = sources.add(SourceFile::new(path.display().to_string(), path.to_path_buf(), text));
    let text = &sources.get(file).text;
    if path.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(o)) => {
                for (k, v) in o {
                    let lit = hcl_edit::parser::parse_expr(&v.to_string()).ok();
                    if let Some(expr) = lit {
                        raw.insert(k, Raw::Expr(Expr { expr, file }));
                    }
                }
            }
            _ => diags.push(Diagnostic::error(format!("{} must hold a JSON object", path.display()), None)),
        }
        return;
    }
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            for s in body.iter() {
                match s {
                    Structure::Attribute(a) => {
                        let name = a.key.as_str();
                        if !root.variables.contains_key(name) {
                            let shown = path.strip_prefix(&root.dir).unwrap_or(path);
                            undeclared.insert(name.to_string(), shown.display().to_string());
                            continue;
                        }
                        raw.insert(name.to_string(), Raw::Expr(Expr { expr: a.value.clone(), file }));
                    }
                    Structure::Block(b) => {
                        diags.push(Diagnostic::error("blocks are not allowed in a variables file", Some(Span { file, range: b.ident.span().unwrap_or(0..0) })))
                    }
                }
            }
        }
        Err(e) => {
            let off = e.location().offset();
            diags.push(Diagnostic::error(format!("syntax error: {}", e.message()), Some(Span { file, range: off..off + 1 })));
        }
    }
}
