//! The expression subset: what goes between `${` and `}` in a
//! ResourceGraphDefinition, and the `rule` of a CRD's
//! `x-kubernetes-validations`. Both are CEL; iac evaluates this part of it:
//!
//! - literals: integers (`3`), doubles (`0.5`), strings in double or single
//!   quotes (escapes `\\ \" \' \n \r \t`), `true`, `false`, `null`, lists
//!   (`[a, b]`);
//! - variables (`schema`, a resource id, `self`, `oldSelf`), field selection
//!   (`a.b`), indexing (`a[0]`, `a["key"]`);
//! - `!`, unary `-`, `* / %`, `+ -` (integers, doubles, string and list
//!   concatenation), `< <= > >=`, `== !=`, `&&`, `||`, `c ? a : b`;
//! - the functions `string(x)`, `int(x)`, `double(x)`, `size(x)` and the
//!   macro `has(a.b)`.
//!
//! Anything else (method calls such as `x.startsWith(...)`, macros such as
//! `.map`/`.filter`, optional selection `.?`, `in`, maps literals) is
//! refused when the expression is parsed, naming what is not supported, so
//! a template using it fails before anything is rendered.
//!
//! As in CEL, integers and doubles do not mix without a conversion, a
//! missing field is an error (`has()` asks), `&&` and `||` short-circuit,
//! and integer overflow and division by zero are errors.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Number, Value};

/// A parse or evaluation error, with what it concerns in its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError(pub String);

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExprError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError(msg.into()))
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Lit(Value),
    /// A list literal.
    List(Vec<Expr>),
    /// A variable.
    Var(String),
    /// `base.field`
    Select(Box<Expr>, String),
    /// `base[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `!x` or `-x`
    Unary(&'static str, Box<Expr>),
    /// `a op b`
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `string(x)`, `int(x)`, `double(x)`, `size(x)`, `has(a.b)`
    Call(String, Vec<Expr>),
}

/// The variables an expression sees.
pub type Env = BTreeMap<String, Value>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
}

const PUNCTS: &[&str] = &["&&", "||", "==", "!=", "<=", ">=", ".?", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if chars.get(i).is_some_and(|c| *c == 'u' || *c == 'e' || *c == 'E' || *c == 'x') {
                return err(format!("number {text}{}…: only decimal integers and doubles are supported", chars[i]));
            }
            let tok = if text.contains('.') {
                Tok::Float(text.parse().map_err(|_| ExprError(format!("invalid number {text}")))?)
            } else {
                Tok::Int(text.parse().map_err(|_| ExprError(format!("integer {text} is out of range")))?)
            };
            out.push((tok, start));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if chars.get(i).is_some_and(|q| *q == '"' || *q == '\'') && matches!(word.as_str(), "r" | "R" | "b" | "B") {
                return err(format!("raw and byte strings ({word}\"...\") are not supported"));
            }
            out.push((Tok::Ident(word), start));
            continue;
        }
        if c == '"' || c == '\'' {
            if chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c) {
                return err("triple-quoted strings are not supported");
            }
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&ch) = chars.get(i) else {
                    return err(format!("unterminated string starting at column {}", start + 1));
                };
                i += 1;
                if ch == c {
                    break;
                }
                if ch == '\\' {
                    let Some(&e) = chars.get(i) else {
                        return err("unterminated escape in a string");
                    };
                    i += 1;
                    s.push(match e {
                        '\\' => '\\',
                        '"' => '"',
                        '\'' => '\'',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        other => return err(format!("escape \\{other} is not supported")),
                    });
                } else {
                    s.push(ch);
                }
            }
            out.push((Tok::Str(s), start));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            Some(p) => {
                i += p.chars().count();
                out.push((Tok::Punct(p), start));
            }
            None => return err(format!("unexpected character {c:?} at column {}", start + 1)),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }
    fn at_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.at_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn where_(&self) -> String {
        match self.toks.get(self.pos) {
            Some((t, col)) => format!("{} at column {}", show(t), col + 1),
            None => "the end".into(),
        }
    }
    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            err(format!("expected {p:?}, found {}", self.where_()))
        }
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let c = self.or()?;
        if self.eat("?") {
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }
    fn binary(&mut self, ops: &[&'static str], next: fn(&mut Parser) -> Result<Expr, ExprError>) -> Result<Expr, ExprError> {
        let mut left = next(self)?;
        'outer: loop {
            for op in ops {
                if self.eat(op) {
                    let right = next(self)?;
                    left = Expr::Binary(op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }
    fn or(&mut self) -> Result<Expr, ExprError> {
        self.binary(&["||"], Parser::and)
    }
    fn and(&mut self) -> Result<Expr, ExprError> {
        self.binary(&["&&"], Parser::rel)
    }
    fn rel(&mut self) -> Result<Expr, ExprError> {
        let e = self.binary(&["==", "!=", "<=", ">=", "<", ">"], Parser::add)?;
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == "in") {
            return err("the `in` operator is not supported");
        }
        Ok(e)
    }
    fn add(&mut self) -> Result<Expr, ExprError> {
        self.binary(&["+", "-"], Parser::mul)
    }
    fn mul(&mut self) -> Result<Expr, ExprError> {
        self.binary(&["*", "/", "%"], Parser::unary)
    }
    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("!") {
            return Ok(Expr::Unary("!", Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Unary("-", Box::new(self.unary()?)));
        }
        self.member()
    }
    fn member(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.primary()?;
        loop {
            if self.at_punct(".?") {
                return err("optional field selection (`.?`) is not supported");
            }
            if self.eat(".") {
                let name = match self.toks.get(self.pos) {
                    Some((Tok::Ident(n), _)) => n.clone(),
                    _ => return err(format!("expected a field name after '.', found {}", self.where_())),
                };
                self.pos += 1;
                if self.at_punct("(") {
                    return err(format!("method calls (.{name}(...)) are not supported"));
                }
                e = Expr::Select(Box::new(e), name);
            } else if self.eat("[") {
                if self.at_punct("?") {
                    return err("optional indexing (`[?...]`) is not supported");
                }
                let i = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }
    fn primary(&mut self) -> Result<Expr, ExprError> {
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return err("unexpected end of the expression");
        };
        self.pos += 1;
        match tok {
            Tok::Int(n) => Ok(Expr::Lit(Value::from(n))),
            Tok::Float(f) => Ok(Expr::Lit(Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null))),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::Ident(w) => match w.as_str() {
                "true" => Ok(Expr::Lit(Value::Bool(true))),
                "false" => Ok(Expr::Lit(Value::Bool(false))),
                "null" => Ok(Expr::Lit(Value::Null)),
                _ if self.at_punct("(") => {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    match (w.as_str(), args.len()) {
                        ("string" | "int" | "double" | "size", 1) => Ok(Expr::Call(w, args)),
                        ("has", 1) if matches!(args[0], Expr::Select(..)) => Ok(Expr::Call(w, args)),
                        ("has", _) => err("has() takes one field selection, such as has(self.name)"),
                        ("string" | "int" | "double" | "size", n) => err(format!("{w}() takes 1 argument, not {n}")),
                        _ => err(format!("function {w}() is not supported (supported: string, int, double, size, has)")),
                    }
                }
                _ => Ok(Expr::Var(w)),
            },
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::List(items))
            }
            Tok::Punct("{") => err("map literals are not supported"),
            _ => {
                self.pos -= 1;
                err(format!("unexpected {}", self.where_()))
            }
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Int(n) => n.to_string(),
        Tok::Float(f) => f.to_string(),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Ident(w) => w.clone(),
        Tok::Punct(p) => format!("{p:?}"),
    }
}

/// Parses one expression (the text between `${` and `}`, or a CEL rule).
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src).map_err(|e| ExprError(format!("{}: {e}", src.trim())))?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr().map_err(|e| ExprError(format!("{}: {e}", src.trim())))?;
    if p.pos < p.toks.len() {
        return err(format!("{}: unexpected {} after the expression", src.trim(), p.where_()));
    }
    Ok(e)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if !n.is_f64() => n.as_i64(),
        _ => None,
    }
}

fn as_double(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if n.is_f64() => n.as_f64(),
        _ => None,
    }
}

fn double(f: f64) -> Result<Value, ExprError> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| ExprError("the result is not a finite number".into()))
}

impl Expr {
    /// Evaluates the expression with the variables of `env`.
    pub fn eval(&self, env: &Env) -> Result<Value, ExprError> {
        match self {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::List(items) => Ok(Value::Array(items.iter().map(|e| e.eval(env)).collect::<Result<_, _>>()?)),
            Expr::Var(name) => env.get(name).cloned().ok_or_else(|| ExprError(format!("undeclared reference to {name:?}"))),
            Expr::Select(base, field) => {
                let b = base.eval(env)?;
                match &b {
                    Value::Object(m) => m.get(field).cloned().ok_or_else(|| ExprError(format!("no such key: {field} (in {})", self.path_text()))),
                    other => err(format!("{}: cannot select .{field} from a {}", self.path_text(), type_name(other))),
                }
            }
            Expr::Index(base, index) => {
                let (b, i) = (base.eval(env)?, index.eval(env)?);
                match (&b, &i) {
                    (Value::Array(a), Value::Number(_)) => {
                        let n = as_int(&i).ok_or_else(|| ExprError("a list index must be an int".into()))?;
                        usize::try_from(n).ok().and_then(|n| a.get(n)).cloned().ok_or_else(|| ExprError(format!("index {n} out of range (size {})", a.len())))
                    }
                    (Value::Object(m), Value::String(k)) => m.get(k).cloned().ok_or_else(|| ExprError(format!("no such key: {k}"))),
                    _ => err(format!("cannot index a {} with a {}", type_name(&b), type_name(&i))),
                }
            }
            Expr::Unary(op, x) => {
                let v = x.eval(env)?;
                match (*op, &v) {
                    ("!", Value::Bool(b)) => Ok(Value::Bool(!b)),
                    ("-", _) if as_int(&v).is_some() => {
                        as_int(&v).and_then(i64::checked_neg).map(Value::from).ok_or_else(|| ExprError("integer overflow".into()))
                    }
                    ("-", _) if as_double(&v).is_some() => double(-as_double(&v).unwrap_or_default()),
                    _ => err(format!("no matching overload for '{op}' applied to ({})", type_name(&v))),
                }
            }
            Expr::Binary("&&", a, b) => match a.eval(env)? {
                Value::Bool(false) => Ok(Value::Bool(false)),
                Value::Bool(true) => match b.eval(env)? {
                    Value::Bool(x) => Ok(Value::Bool(x)),
                    o => err(format!("no matching overload for '&&' applied to (bool, {})", type_name(&o))),
                },
                o => err(format!("no matching overload for '&&' applied to ({}, ...)", type_name(&o))),
            },
            Expr::Binary("||", a, b) => match a.eval(env)? {
                Value::Bool(true) => Ok(Value::Bool(true)),
                Value::Bool(false) => match b.eval(env)? {
                    Value::Bool(x) => Ok(Value::Bool(x)),
                    o => err(format!("no matching overload for '||' applied to (bool, {})", type_name(&o))),
                },
                o => err(format!("no matching overload for '||' applied to ({}, ...)", type_name(&o))),
            },
            Expr::Binary(op, a, b) => binary(op, &a.eval(env)?, &b.eval(env)?),
            Expr::Cond(c, a, b) => match c.eval(env)? {
                Value::Bool(true) => a.eval(env),
                Value::Bool(false) => b.eval(env),
                o => err(format!("the condition of '?:' is a {}, not a bool", type_name(&o))),
            },
            Expr::Call(f, args) => call(f, args, env),
        }
    }

    /// The expression as a dotted path (`schema.spec.port`), for messages.
    pub fn path_text(&self) -> String {
        match self {
            Expr::Var(n) => n.clone(),
            Expr::Select(b, f) => format!("{}.{f}", b.path_text()),
            Expr::Index(b, i) => match &**i {
                Expr::Lit(Value::String(s)) => format!("{}[{s:?}]", b.path_text()),
                Expr::Lit(v) => format!("{}[{v}]", b.path_text()),
                _ => format!("{}[...]", b.path_text()),
            },
            _ => "(expression)".into(),
        }
    }

    /// The field paths the expression reads, each from its variable
    /// (`["schema", "spec", "port"]`), as far as they are static.
    pub fn references(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn chain(&self) -> Option<Vec<String>> {
        match self {
            Expr::Var(n) => Some(vec![n.clone()]),
            Expr::Select(b, f) => b.chain().map(|mut c| {
                c.push(f.clone());
                c
            }),
            Expr::Index(b, i) => match &**i {
                Expr::Lit(Value::String(s)) => b.chain().map(|mut c| {
                    c.push(s.clone());
                    c
                }),
                _ => b.chain(),
            },
            _ => None,
        }
    }

    fn collect_refs(&self, out: &mut Vec<Vec<String>>) {
        if let Some(c) = self.chain() {
            out.push(c);
            // Computed indexes along the chain read other paths.
            let mut e = self;
            loop {
                match e {
                    Expr::Select(b, _) => e = b,
                    Expr::Index(b, i) => {
                        i.collect_refs(out);
                        e = b;
                    }
                    _ => return,
                }
            }
        }
        match self {
            Expr::Lit(_) | Expr::Var(_) => {}
            Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(|e| e.collect_refs(out)),
            Expr::Select(b, _) | Expr::Unary(_, b) => b.collect_refs(out),
            Expr::Index(b, i) | Expr::Binary(_, b, i) => {
                b.collect_refs(out);
                i.collect_refs(out);
            }
            Expr::Cond(c, a, b) => {
                c.collect_refs(out);
                a.collect_refs(out);
                b.collect_refs(out);
            }
        }
    }
}

fn binary(op: &str, a: &Value, b: &Value) -> Result<Value, ExprError> {
    let no = || err(format!("no matching overload for '{op}' applied to ({}, {})", type_name(a), type_name(b)));
    match op {
        "==" => return Ok(Value::Bool(a == b)),
        "!=" => return Ok(Value::Bool(a != b)),
        _ => {}
    }
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        let overflow = || ExprError(format!("integer overflow in {x} {op} {y}"));
        return match op {
            "+" => x.checked_add(y).map(Value::from).ok_or_else(overflow),
            "-" => x.checked_sub(y).map(Value::from).ok_or_else(overflow),
            "*" => x.checked_mul(y).map(Value::from).ok_or_else(overflow),
            "/" if y == 0 => err("division by zero"),
            "%" if y == 0 => err("modulus by zero"),
            "/" => x.checked_div(y).map(Value::from).ok_or_else(overflow),
            "%" => x.checked_rem(y).map(Value::from).ok_or_else(overflow),
            "<" => Ok(Value::Bool(x < y)),
            "<=" => Ok(Value::Bool(x <= y)),
            ">" => Ok(Value::Bool(x > y)),
            ">=" => Ok(Value::Bool(x >= y)),
            _ => no(),
        };
    }
    if let (Some(x), Some(y)) = (as_double(a), as_double(b)) {
        return match op {
            "+" => double(x + y),
            "-" => double(x - y),
            "*" => double(x * y),
            "/" => double(x / y),
            "<" => Ok(Value::Bool(x < y)),
            "<=" => Ok(Value::Bool(x <= y)),
            ">" => Ok(Value::Bool(x > y)),
            ">=" => Ok(Value::Bool(x >= y)),
            _ => no(),
        };
    }
    match (op, a, b) {
        ("+", Value::String(x), Value::String(y)) => Ok(Value::String(format!("{x}{y}"))),
        ("+", Value::Array(x), Value::Array(y)) => Ok(Value::Array(x.iter().chain(y).cloned().collect())),
        ("<", Value::String(x), Value::String(y)) => Ok(Value::Bool(x < y)),
        ("<=", Value::String(x), Value::String(y)) => Ok(Value::Bool(x <= y)),
        (">", Value::String(x), Value::String(y)) => Ok(Value::Bool(x > y)),
        (">=", Value::String(x), Value::String(y)) => Ok(Value::Bool(x >= y)),
        _ => no(),
    }
}

fn call(f: &str, args: &[Expr], env: &Env) -> Result<Value, ExprError> {
    if f == "has" {
        let Expr::Select(base, field) = &args[0] else {
            return err("has() takes one field selection");
        };
        return match base.eval(env)? {
            Value::Object(m) => Ok(Value::Bool(m.get(field).is_some_and(|v| !v.is_null()))),
            other => err(format!("has(): cannot select .{field} from a {}", type_name(&other))),
        };
    }
    let v = args[0].eval(env)?;
    match (f, &v) {
        ("string", Value::String(_)) => Ok(v),
        ("string", Value::Bool(b)) => Ok(Value::String(b.to_string())),
        ("string", Value::Number(n)) if !n.is_f64() => Ok(Value::String(n.to_string())),
        ("string", Value::Number(n)) => Ok(Value::String(n.as_f64().unwrap_or_default().to_string())),
        ("int", _) if as_int(&v).is_some() => Ok(v),
        ("int", Value::Number(n)) => {
            let f = n.as_f64().unwrap_or_default();
            if f.is_finite() && f.abs() < 9.2e18 {
                Ok(Value::from(f.trunc() as i64))
            } else {
                err(format!("int({f}): out of range"))
            }
        }
        ("int", Value::String(s)) => s.trim().parse::<i64>().map(Value::from).map_err(|_| ExprError(format!("int({s:?}): not an integer"))),
        ("double", Value::Number(n)) => double(n.as_f64().unwrap_or_default()),
        ("double", Value::String(s)) => s.trim().parse::<f64>().map_err(|_| ExprError(format!("double({s:?}): not a number"))).and_then(double),
        ("size", Value::String(s)) => Ok(Value::from(s.chars().count() as i64)),
        ("size", Value::Array(a)) => Ok(Value::from(a.len() as i64)),
        ("size", Value::Object(m)) => Ok(Value::from(m.len() as i64)),
        _ => err(format!("no matching overload for {f}({})", type_name(&v))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eval(src: &str, env: Value) -> Result<Value, ExprError> {
        let env: Env = env.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        parse(src)?.eval(&env)
    }

    #[test]
    fn field_references_strings_and_arithmetic() {
        let env = json!({"schema": {"spec": {"name": "web", "port": 8080, "replicas": 3, "tags": ["a", "b"]}, "metadata": {"name": "shop"}}});
        assert_eq!(eval("schema.spec.port", env.clone()).unwrap(), json!(8080));
        assert_eq!(eval("schema.spec.name + \"-svc\"", env.clone()).unwrap(), json!("web-svc"));
        assert_eq!(eval("'app-' + string(schema.spec.replicas * 4 - 2)", env.clone()).unwrap(), json!("app-10"));
        assert_eq!(eval("schema.spec.tags[1]", env.clone()).unwrap(), json!("b"));
        assert_eq!(eval("schema.spec[\"name\"]", env.clone()).unwrap(), json!("web"));
        assert_eq!(eval("schema.spec.replicas > 2 ? 'ha' : 'single'", env.clone()).unwrap(), json!("ha"));
        assert_eq!(eval("(1 + 2) * 3 % 4", json!({})).unwrap(), json!(1));
        assert_eq!(eval("-schema.spec.port / 2", env.clone()).unwrap(), json!(-4040));
        assert_eq!(eval("size(schema.spec.tags) == 2 && !false", env.clone()).unwrap(), json!(true));
        assert_eq!(eval("int('42') + 1", json!({})).unwrap(), json!(43));
        assert_eq!(eval("double(1) * 0.5", json!({})).unwrap(), json!(0.5));
    }

    #[test]
    fn has_and_short_circuits() {
        let env = json!({"self": {"template": {}, "name": null}});
        assert_eq!(eval("has(self.template) && !has(self.externalRef)", env.clone()).unwrap(), json!(true));
        assert_eq!(eval("has(self.name)", env.clone()).unwrap(), json!(false), "null counts as absent");
        assert_eq!(eval("true || self.missing.x", env.clone()).unwrap(), json!(true));
        assert_eq!(eval("false && self.missing.x", env).unwrap(), json!(false));
    }

    #[test]
    fn cel_errors() {
        let env = json!({"schema": {"spec": {"port": 80, "name": "a"}}});
        assert!(eval("schema.spec.nope", env.clone()).unwrap_err().0.contains("no such key: nope"));
        assert!(eval("schema.spec.port + 'x'", env.clone()).unwrap_err().0.contains("no matching overload for '+' applied to (int, string)"));
        assert!(eval("1 + 1.5", json!({})).unwrap_err().0.contains("(int, double)"));
        assert!(eval("1 / 0", json!({})).unwrap_err().0.contains("division by zero"));
        assert!(eval("9223372036854775807 + 1", json!({})).unwrap_err().0.contains("overflow"));
        assert!(eval("missing", json!({})).unwrap_err().0.contains("undeclared reference"));
    }

    #[test]
    fn outside_the_subset_is_refused_when_parsed() {
        for (src, why) in [
            ("schema.spec.name.startsWith('a')", "method calls"),
            ("schema.spec.items.map(x, x + 1)", "method calls"),
            ("schema.spec.?name", "optional field selection"),
            ("'a' in schema.spec.tags", "`in` operator"),
            ("{'a': 1}", "map literals"),
            ("random()", "function random() is not supported"),
            ("has(self)", "has() takes one field selection"),
            ("0x10", "only decimal"),
            ("schema.spec.name +", "unexpected end"),
            ("a b", "after the expression"),
        ] {
            let e = parse(src).unwrap_err().0;
            assert!(e.contains(why), "{src}: {e}");
        }
    }

    #[test]
    fn references_list_static_paths() {
        let e = parse("schema.spec.a + deployment.metadata.name + x[schema.spec.i] + string(has(self.y))").unwrap();
        assert_eq!(
            e.references(),
            vec![
                vec!["schema".to_string(), "spec".into(), "a".into()],
                vec!["deployment".into(), "metadata".into(), "name".into()],
                vec!["x".into()],
                vec!["schema".into(), "spec".into(), "i".into()],
                vec!["self".into(), "y".into()],
            ]
        );
    }
}
