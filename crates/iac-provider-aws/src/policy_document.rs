//! `data.aws_iam_policy_document`: an IAM policy document computed from
//! `statement` blocks, merged with `source_policy_documents` (first, no
//! duplicate `Sid`s allowed) and `override_policy_documents` (last, same
//! `Sid` replaces). No API call: a pure computation whose JSON text must be
//! exactly the upstream provider's, because configurations compare it,
//! hash it and store it in state. The upstream rules kept here:
//!
//! - a list of one string is written as the string; longer lists of
//!   `actions`, `resources` and principal identifiers are sorted in reverse;
//!   condition values keep their order;
//! - principals and conditions are objects keyed by type, test and variable,
//!   with keys sorted; a lone `*` principal of type `*` is written `"*"`;
//! - `&{` in resources, identifiers and condition values becomes `${`;
//! - the text is Go's `encoding/json` output: two-space indentation, and
//!   `<`, `>`, `&`, U+2028 and U+2029 escaped;
//! - `id` is the text's CRC-32 in decimal.

use std::collections::BTreeMap;

use iac_provider_sdk::Model;
use serde_json::Value as Json;

/// `data.aws_iam_policy_document`'s arguments and attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct PolicyDocumentModel {
    /// The CRC-32 of `json`.
    #[sdk(computed)]
    pub id: Option<String>,
    /// The document, indented.
    #[sdk(computed)]
    pub json: Option<String>,
    /// The document without whitespace.
    #[sdk(computed)]
    pub minified_json: Option<String>,
    /// Deprecated upstream and not used: must be empty.
    #[sdk(optional)]
    pub override_json: Option<String>,
    /// Documents merged last; a statement replaces one with the same `Sid`.
    #[sdk(optional)]
    pub override_policy_documents: Option<Vec<String>>,
    /// The document's `Id`.
    #[sdk(optional)]
    pub policy_id: Option<String>,
    /// Deprecated upstream and not used: must be empty.
    #[sdk(optional)]
    pub source_json: Option<String>,
    /// Documents merged first; their `Sid`s must be unique.
    #[sdk(optional)]
    pub source_policy_documents: Option<Vec<String>>,
    /// The statements.
    #[sdk(block)]
    pub statement: Vec<StatementModel>,
    /// `2012-10-17` (the default) or `2008-10-17`.
    #[sdk(optional)]
    pub version: Option<String>,
}

/// A `statement` block.
#[derive(Model, Debug, Clone, Default)]
pub struct StatementModel {
    /// `Action`.
    #[sdk(optional, set)]
    pub actions: Option<Vec<String>>,
    /// `Condition`.
    #[sdk(block, set)]
    pub condition: Vec<ConditionModel>,
    /// `Allow` (the default) or `Deny`.
    #[sdk(optional)]
    pub effect: Option<String>,
    /// `NotAction`.
    #[sdk(optional, set)]
    pub not_actions: Option<Vec<String>>,
    /// `NotPrincipal`.
    #[sdk(block, set)]
    pub not_principals: Vec<PrincipalModel>,
    /// `NotResource`.
    #[sdk(optional, set)]
    pub not_resources: Option<Vec<String>>,
    /// `Principal`.
    #[sdk(block, set)]
    pub principals: Vec<PrincipalModel>,
    /// `Resource`.
    #[sdk(optional, set)]
    pub resources: Option<Vec<String>>,
    /// `Sid`.
    #[sdk(optional)]
    pub sid: Option<String>,
}

/// A `principals` or `not_principals` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PrincipalModel {
    /// The principals' identifiers.
    #[sdk(required, set)]
    pub identifiers: Vec<String>,
    /// Their type.
    #[sdk(required, name = "type")]
    pub type_: String,
}

/// A `condition` block.
#[derive(Model, Debug, Clone, Default)]
pub struct ConditionModel {
    /// The operator.
    #[sdk(required)]
    pub test: String,
    /// The values, in order.
    #[sdk(required)]
    pub values: Vec<String>,
    /// The context key.
    #[sdk(required)]
    pub variable: String,
}

/// Computes `id`, `json` and `minified_json` (and the defaults upstream
/// records) for a configuration.
pub fn render(m: &mut PolicyDocumentModel) -> Result<(), PolicyError> {
    for (name, v) in [("source_json", &m.source_json), ("override_json", &m.override_json)] {
        if v.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(PolicyError(format!("{name} is not used: use {}_policy_documents", name.trim_end_matches("_json"))));
        }
    }
    let version = m.version.get_or_insert_with(|| "2012-10-17".into()).clone();
    if version != "2012-10-17" && version != "2008-10-17" {
        return Err(PolicyError(format!("expected version to be one of [\"2008-10-17\" \"2012-10-17\"], got {version}")));
    }
    let mut merged = Document::default();
    let mut sids = std::collections::BTreeSet::new();
    for (i, text) in m.source_policy_documents.iter().flatten().enumerate() {
        let source = Document::parse(text).map_err(|e| PolicyError(format!("writing IAM Policy Document: merging source document {i}: {e}")))?;
        for (j, s) in source.statements.iter().enumerate() {
            if !s.sid.is_empty() && !sids.insert(s.sid.clone()) {
                return Err(PolicyError(format!(
                    "writing IAM Policy Document: merging source document {i}: duplicate Sid ({}) in source_policy_documents (statement {j}). Remove the Sid or ensure Sids are unique.",
                    s.sid
                )));
            }
        }
        merged.merge(source);
    }
    let mut doc = Document { version: version.clone(), id: m.policy_id.clone().unwrap_or_default(), statements: Vec::new() };
    let mut seen = std::collections::BTreeSet::new();
    for st in &mut m.statement {
        let sid = st.sid.clone().unwrap_or_default();
        if !sid.is_empty() && !seen.insert(sid.clone()) {
            return Err(PolicyError(format!("writing IAM Policy Document: duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique.")));
        }
        let effect = st.effect.get_or_insert_with(|| "Allow".into()).clone();
        if effect != "Allow" && effect != "Deny" {
            return Err(PolicyError(format!("expected effect to be one of [\"Allow\" \"Deny\"], got {effect}")));
        }
        let set = |v: &Option<Vec<String>>| v.clone().filter(|l| !l.is_empty()).map(string_set);
        let vars = |v: Option<Json>, what: &str| v.map(|j| replace_vars(j, &version).map_err(|e| PolicyError(format!("reading {what}: {e}")))).transpose();
        let principals = |ps: &[PrincipalModel], what: &str| -> Result<Vec<Principal>, PolicyError> {
            ps.iter()
                .map(|p| {
                    let ids = replace_vars(string_set(p.identifiers.clone()), &version)
                        .map_err(|e| PolicyError(format!("reading {what}: reading identifiers: {e}")))?;
                    Ok(Principal { type_: p.type_.clone(), identifiers: ids })
                })
                .collect()
        };
        let conditions = st
            .condition
            .iter()
            .map(|c| {
                let values = Json::Array(c.values.iter().cloned().map(Json::String).collect());
                let values = replace_vars(values, &version).map_err(|e| PolicyError(format!("reading condition: reading values: {e}")))?;
                Ok(Condition { test: c.test.clone(), variable: c.variable.clone(), values })
            })
            .collect::<Result<Vec<_>, PolicyError>>()?;
        doc.statements.push(Statement {
            sid,
            effect,
            actions: set(&st.actions),
            not_actions: set(&st.not_actions),
            resources: vars(set(&st.resources), "resources")?,
            not_resources: vars(set(&st.not_resources), "not_resources")?,
            principals: principals(&st.principals, "principals")?,
            not_principals: principals(&st.not_principals, "not_principals")?,
            conditions,
        });
    }
    merged.merge(doc);
    for (i, text) in m.override_policy_documents.iter().flatten().enumerate() {
        let o = Document::parse(text).map_err(|e| PolicyError(format!("writing IAM Policy Document: merging override document {i}: {e}")))?;
        merged.merge(o);
    }
    let json = merged.to_json();
    m.id = Some(text_id(&json));
    m.minified_json = Some(merged.to_minified_json());
    m.json = Some(json);
    Ok(())
}

/// A policy statement's principal block (`principals`/`not_principals`).
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser` or `*`.
    pub type_: String,
    /// One identifier (written as a string) or several.
    pub identifiers: Json,
}

/// A condition block.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator (`StringEquals`).
    pub test: String,
    /// The context key (`aws:SourceVpc`).
    pub variable: String,
    /// One value (a string) or several (an array), in order.
    pub values: Json,
}

/// One statement; absent elements are `None`/empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The statement id; statements with the same one replace each other.
    pub sid: String,
    /// `Allow` or `Deny`.
    pub effect: String,
    /// `Action`.
    pub actions: Option<Json>,
    /// `NotAction`.
    pub not_actions: Option<Json>,
    /// `Resource`.
    pub resources: Option<Json>,
    /// `NotResource`.
    pub not_resources: Option<Json>,
    /// `Principal`.
    pub principals: Vec<Principal>,
    /// `NotPrincipal`.
    pub not_principals: Vec<Principal>,
    /// `Condition`.
    pub conditions: Vec<Condition>,
}

/// A whole document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// `Version`.
    pub version: String,
    /// `Id`.
    pub id: String,
    /// `Statement`.
    pub statements: Vec<Statement>,
}

/// A document that cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// One string as itself, several sorted in reverse (the upstream form of a
/// set of strings).
pub fn string_set(mut items: Vec<String>) -> Json {
    if items.len() == 1 {
        return Json::String(items.remove(0));
    }
    items.sort();
    items.reverse();
    Json::Array(items.into_iter().map(Json::String).collect())
}

/// Replaces `&{` by `${` (Terraform's escape for IAM policy variables); the
/// 2008 version has no policy variables.
pub fn replace_vars(v: Json, version: &str) -> Result<Json, PolicyError> {
    let one = |s: String| {
        if version == "2008-10-17" && s.contains("&{") {
            return Err(PolicyError(format!("found &{{ sequence in ({s}), which is not supported in document version 2008-10-17")));
        }
        Ok(Json::String(s.replace("&{", "${")))
    };
    match v {
        Json::String(s) => one(s),
        Json::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Json::String(s) => one(s),
                other => Ok(other),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        other => Ok(other),
    }
}

impl Document {
    /// Merges `newer` into this document: its id and a later version win,
    /// its statements replace those with the same `Sid` or are appended.
    pub fn merge(&mut self, newer: Document) {
        if !newer.id.is_empty() {
            self.id = newer.id;
        }
        if newer.version > self.version {
            self.version = newer.version;
        }
        for s in newer.statements {
            match self.statements.iter_mut().find(|old| !s.sid.is_empty() && old.sid == s.sid) {
                Some(old) => *old = s,
                None => self.statements.push(s),
            }
        }
    }

    /// Reads a JSON policy document as upstream reads one (field names in any
    /// case, principals' identifier arrays sorted, boolean condition values as
    /// strings).
    pub fn parse(text: &str) -> Result<Document, PolicyError> {
        let j: Json = serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        let Json::Object(top) = j else { return Err(PolicyError("a policy document must be a JSON object".into())) };
        let mut doc = Document::default();
        for (k, v) in top {
            match k.to_ascii_lowercase().as_str() {
                "version" => doc.version = v.as_str().unwrap_or_default().to_string(),
                "id" => doc.id = v.as_str().unwrap_or_default().to_string(),
                "statement" => match v {
                    Json::Array(items) => {
                        for item in items {
                            doc.statements.push(parse_statement(item)?);
                        }
                    }
                    Json::Null => {}
                    _ => return Err(PolicyError("cannot unmarshal object into Go struct field .Statement".into())),
                },
                _ => {}
            }
        }
        Ok(doc)
    }

    /// The indented JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_json(&mut out, &self.as_json(), Some(0));
        out
    }

    /// The minified JSON text.
    pub fn to_minified_json(&self) -> String {
        let mut out = String::new();
        write_json(&mut out, &self.as_json(), None);
        out
    }

    /// The document as ordered JSON (struct fields in upstream's order).
    fn as_json(&self) -> Ordered {
        let mut fields = Vec::new();
        if !self.version.is_empty() {
            fields.push(("Version".to_string(), Ordered::Plain(Json::String(self.version.clone()))));
        }
        if !self.id.is_empty() {
            fields.push(("Id".to_string(), Ordered::Plain(Json::String(self.id.clone()))));
        }
        if !self.statements.is_empty() {
            fields.push(("Statement".to_string(), Ordered::List(self.statements.iter().map(Statement::as_json).collect())));
        }
        Ordered::Fields(fields)
    }
}

fn parse_statement(j: Json) -> Result<Statement, PolicyError> {
    let Json::Object(m) = j else { return Err(PolicyError("a statement must be a JSON object".into())) };
    let mut s = Statement::default();
    for (k, v) in m {
        match k.to_ascii_lowercase().as_str() {
            "sid" => s.sid = v.as_str().unwrap_or_default().to_string(),
            "effect" => s.effect = v.as_str().unwrap_or_default().to_string(),
            "action" => s.actions = Some(v).filter(|v| !v.is_null()),
            "notaction" => s.not_actions = Some(v).filter(|v| !v.is_null()),
            "resource" => s.resources = Some(v).filter(|v| !v.is_null()),
            "notresource" => s.not_resources = Some(v).filter(|v| !v.is_null()),
            "principal" => s.principals = parse_principals(v)?,
            "notprincipal" => s.not_principals = parse_principals(v)?,
            "condition" => s.conditions = parse_conditions(v)?,
            _ => {}
        }
    }
    Ok(s)
}

fn parse_principals(v: Json) -> Result<Vec<Principal>, PolicyError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::String(_) => Ok(vec![Principal { type_: "*".into(), identifiers: Json::Array(vec![Json::String("*".into())]) }]),
        Json::Object(m) => m
            .into_iter()
            .map(|(type_, ids)| match ids {
                Json::String(s) => Ok(Principal { type_, identifiers: Json::String(s) }),
                Json::Array(items) => {
                    let mut ids = Vec::new();
                    for (i, item) in items.into_iter().enumerate() {
                        match item {
                            Json::String(s) => ids.push(s),
                            other => {
                                return Err(PolicyError(format!(
                                "Unsupported element type {} for IAMPolicyStatementPrincipalSet.Identifiers[{i}] (principal type {type_:?}): must be string",
                                json_type(&other)
                            )))
                            }
                        }
                    }
                    ids.sort();
                    Ok(Principal { type_, identifiers: Json::Array(ids.into_iter().map(Json::String).collect()) })
                }
                other => Err(PolicyError(format!("Unsupported data type {} for IAMPolicyStatementPrincipalSet.Identifiers", json_type(&other)))),
            })
            .collect(),
        other => Err(PolicyError(format!("Unsupported data type {} for IAMPolicyStatementPrincipalSet", json_type(&other)))),
    }
}

fn parse_conditions(v: Json) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(tests) = v else {
        return if v.is_null() { Ok(Vec::new()) } else { Err(PolicyError("a Condition must be a JSON object".into())) };
    };
    let mut out = Vec::new();
    for (test, vars) in tests {
        let Json::Object(vars) = vars else { return Err(PolicyError(format!("condition {test:?} must be a JSON object"))) };
        for (variable, values) in vars {
            let values = match values {
                Json::String(s) => Json::Array(vec![Json::String(s)]),
                Json::Bool(b) => Json::String(b.to_string()),
                Json::Array(items) => Json::Array(items.into_iter().filter(|i| i.is_string()).collect()),
                // Upstream drops values of other types.
                _ => continue,
            };
            out.push(Condition { test: test.clone(), variable, values });
        }
    }
    Ok(out)
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "<nil>",
        Json::Bool(_) => "bool",
        Json::Number(_) => "float64",
        Json::String(_) => "string",
        Json::Array(_) => "[]interface {}",
        Json::Object(_) => "map[string]interface {}",
    }
}

impl Statement {
    fn as_json(&self) -> Ordered {
        let mut f = Vec::new();
        let mut put = |k: &str, v: Ordered| f.push((k.to_string(), v));
        if !self.sid.is_empty() {
            put("Sid", Ordered::Plain(Json::String(self.sid.clone())));
        }
        if !self.effect.is_empty() {
            put("Effect", Ordered::Plain(Json::String(self.effect.clone())));
        }
        for (k, v) in [("Action", &self.actions), ("NotAction", &self.not_actions), ("Resource", &self.resources), ("NotResource", &self.not_resources)] {
            if let Some(v) = v {
                put(k, Ordered::Plain(v.clone()));
            }
        }
        if !self.principals.is_empty() {
            put("Principal", principals_json(&self.principals));
        }
        if !self.not_principals.is_empty() {
            put("NotPrincipal", principals_json(&self.not_principals));
        }
        if !self.conditions.is_empty() {
            put("Condition", conditions_json(&self.conditions));
        }
        Ordered::Fields(f)
    }
}

fn principals_json(ps: &[Principal]) -> Ordered {
    if let [p] = ps {
        let star = Json::String("*".into());
        if p.type_ == "*" && (p.identifiers == star || p.identifiers == Json::Array(vec![star.clone()])) {
            return Ordered::Plain(star);
        }
    }
    let mut raw: BTreeMap<String, Json> = BTreeMap::new();
    for p in ps {
        match &p.identifiers {
            Json::Array(ids) => {
                let mut ids: Vec<Json> = ids.clone();
                ids.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
                let entry = raw.entry(p.type_.clone()).or_insert_with(|| Json::Array(Vec::new()));
                if let Json::String(s) = entry {
                    *entry = Json::Array(vec![Json::String(std::mem::take(s))]);
                }
                if let Json::Array(existing) = entry {
                    existing.extend(ids);
                }
            }
            Json::String(id) => match raw.get_mut(&p.type_) {
                None => {
                    raw.insert(p.type_.clone(), Json::String(id.clone()));
                }
                Some(Json::Array(existing)) => existing.push(Json::String(id.clone())),
                Some(other) => {
                    let first = std::mem::take(other);
                    *other = Json::Array(vec![first, Json::String(id.clone())]);
                }
            },
            _ => {}
        }
    }
    Ordered::Plain(Json::Object(raw.into_iter().collect()))
}

fn conditions_json(cs: &[Condition]) -> Ordered {
    let mut raw: BTreeMap<String, BTreeMap<String, Vec<Json>>> = BTreeMap::new();
    for c in cs {
        let values = raw.entry(c.test.clone()).or_default().entry(c.variable.clone()).or_default();
        match &c.values {
            Json::Array(items) => values.extend(items.iter().cloned()),
            one => values.push(one.clone()),
        }
    }
    let obj = raw
        .into_iter()
        .map(|(test, vars)| {
            let vars = vars.into_iter().map(|(var, mut values)| (var, if values.len() == 1 { values.remove(0) } else { Json::Array(values) })).collect();
            (test, Json::Object(vars))
        })
        .collect();
    Ordered::Plain(Json::Object(obj))
}

/// JSON with struct fields in declaration order (maps are sorted by key, as
/// Go writes them).
enum Ordered {
    Fields(Vec<(String, Ordered)>),
    List(Vec<Ordered>),
    Plain(Json),
}

fn newline(out: &mut String, depth: Option<usize>) {
    if let Some(d) = depth {
        out.push('\n');
        out.push_str(&"  ".repeat(d));
    }
}

fn write_json(out: &mut String, v: &Ordered, depth: Option<usize>) {
    let inner = depth.map(|d| d + 1);
    let colon = if depth.is_some() { ": " } else { ":" };
    match v {
        Ordered::Fields(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_string(out, k);
                out.push_str(colon);
                write_json(out, v, inner);
            }
            newline(out, depth);
            out.push('}');
        }
        Ordered::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_json(out, item, inner);
            }
            newline(out, depth);
            out.push(']');
        }
        Ordered::Plain(j) => match j {
            Json::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let fields = keys.into_iter().map(|k| (k.clone(), Ordered::Plain(m[k].clone()))).collect();
                write_json(out, &Ordered::Fields(fields), depth);
            }
            Json::Array(items) => write_json(out, &Ordered::List(items.iter().cloned().map(Ordered::Plain).collect()), depth),
            Json::String(s) => write_string(out, s),
            other => out.push_str(&other.to_string()),
        },
    }
}

/// A string as Go's `encoding/json` writes it (HTML-safe).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The data source's `id`: the document text's CRC-32, in decimal.
pub fn text_id(json: &str) -> String {
    crc32fast::hash(json.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(statements: Vec<Statement>) -> Document {
        Document { version: "2012-10-17".into(), id: String::new(), statements }
    }

    #[test]
    fn lists_of_one_are_strings_and_longer_ones_reverse_sorted() {
        let s = Statement {
            effect: "Allow".into(),
            actions: Some(string_set(vec!["s3:GetObject".into(), "s3:ListBucket".into(), "ec2:*".into()])),
            resources: Some(string_set(vec!["*".into()])),
            ..Statement::default()
        };
        assert_eq!(
            doc(vec![s]).to_minified_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","ec2:*"],"Resource":"*"}]}"#
        );
    }

    #[test]
    fn indentation_and_html_escaping_are_go_s() {
        let s = Statement { sid: "A&B".into(), effect: "Deny".into(), not_actions: Some(Json::String("<x>".into())), ..Statement::default() };
        assert_eq!(
            doc(vec![s]).to_json(),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"A\\u0026B\",\n      \"Effect\": \"Deny\",\n      \"NotAction\": \"\\u003cx\\u003e\"\n    }\n  ]\n}"
        );
        assert_eq!(Document { version: "2012-10-17".into(), ..Document::default() }.to_json(), "{\n  \"Version\": \"2012-10-17\"\n}");
    }

    #[test]
    fn a_lone_star_principal_is_a_string_and_same_types_join() {
        let star = Principal { type_: "*".into(), identifiers: string_set(vec!["*".into()]) };
        assert_eq!(principals_json(&[star]).plain(), Json::String("*".into()));
        let a = Principal { type_: "AWS".into(), identifiers: Json::String("arn:1".into()) };
        let b = Principal { type_: "AWS".into(), identifiers: Json::String("arn:2".into()) };
        assert_eq!(principals_json(&[a, b]).plain(), serde_json::json!({"AWS": ["arn:1", "arn:2"]}));
    }

    #[test]
    fn sources_merge_by_sid_and_parse_as_upstream() {
        let mut base =
            Document::parse(r#"{"Version":"2008-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["x","a"]},{"Effect":"Deny","Action":"y"}]}"#)
                .unwrap();
        let newer = Document::parse(
            r#"{"version":"2012-10-17","Id":"P","statement":[{"Sid":"A","Effect":"Deny","Action":"z","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
        )
        .unwrap();
        base.merge(newer);
        assert_eq!(
            base.to_minified_json(),
            r#"{"Version":"2012-10-17","Id":"P","Statement":[{"Sid":"A","Effect":"Deny","Action":"z","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Effect":"Deny","Action":"y"}]}"#
        );
        assert!(Document::parse(r#"{"Statement":{"Sid":"A"}}"#).is_err(), "a single statement object is not accepted, as upstream");
    }

    #[test]
    fn policy_variables_use_the_ampersand_escape() {
        assert_eq!(
            replace_vars(Json::String("arn:aws:s3:::b/&{aws:username}/*".into()), "2012-10-17").unwrap(),
            Json::String("arn:aws:s3:::b/${aws:username}/*".into())
        );
        assert!(replace_vars(Json::String("&{x}".into()), "2008-10-17").is_err());
    }

    #[test]
    fn the_id_is_the_text_crc32() {
        assert_eq!(text_id(""), "0");
        assert_eq!(text_id("{}"), crc32fast::hash(b"{}").to_string());
    }

    impl Ordered {
        fn plain(self) -> Json {
            match self {
                Ordered::Plain(j) => j,
                _ => panic!("not plain"),
            }
        }
    }
}
