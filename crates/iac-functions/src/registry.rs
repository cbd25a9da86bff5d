//! The name → function table: signature (which decides the arity), mark
//! policy and implementation of every built-in, and the dispatch that turns
//! internal failures into [`FunctionError`]s carrying the function name.

use iac_core::Value;

use crate::args::Fail;
use crate::marks::{self, Imp, Marks, Policy, Unknowns};
use crate::{collections, conversion, crypto, encoding, files, format, network, numeric, paths, regexfns, strings, time};
use crate::{FunctionContext, FunctionError};

/// One built-in function. How many arguments it takes is what its
/// signature says, as HCL checks it; a function that wants more (`join`
/// at least one list) says so itself, in Terraform's words.
struct Spec {
    name: &'static str,
    policy: Policy,
    imp: Imp,
    signature: Signature,
}

/// A type as a function's signature declares it (Terraform's type JSON:
/// `"string"`, `["list", "dynamic"]`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigType {
    /// Any type (cty's dynamic pseudo-type).
    Dynamic,
    /// A string.
    String,
    /// A number.
    Number,
    /// A bool.
    Bool,
    /// A list of this element type.
    List(&'static SigType),
    /// A set of this element type.
    Set(&'static SigType),
    /// A map of this element type.
    Map(&'static SigType),
}

impl SigType {
    /// cty's name for it in a conversion error ("list of string", "set of
    /// any single type").
    pub fn friendly_name(&self) -> String {
        match self {
            SigType::Dynamic => "any single type".into(),
            SigType::String => "string".into(),
            SigType::Number => "number".into(),
            SigType::Bool => "bool".into(),
            SigType::List(e) => format!("list of {}", e.friendly_name()),
            SigType::Set(e) => format!("set of {}", e.friendly_name()),
            SigType::Map(e) => format!("map of {}", e.friendly_name()),
        }
    }

    /// Terraform's type JSON for it, as `terraform metadata functions -json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            SigType::Dynamic => json!("dynamic"),
            SigType::String => json!("string"),
            SigType::Number => json!("number"),
            SigType::Bool => json!("bool"),
            SigType::List(e) => json!(["list", e.to_json()]),
            SigType::Set(e) => json!(["set", e.to_json()]),
            SigType::Map(e) => json!(["map", e.to_json()]),
        }
    }
}

/// What type a function's result has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// Always this type (it has no dynamic part), whatever the arguments.
    Always(SigType),
    /// A value of this declared type, whose dynamic parts (or all of it)
    /// the arguments decide (`tolist`: a list of the argument's elements).
    Depends(SigType),
    /// The type of the first argument (`sensitive`, `nonsensitive`,
    /// `ephemeralasnull` change marks, not types).
    FirstArgument,
}

/// One parameter: Terraform's name for it (HCL names it in an argument's
/// error) and its declared type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Terraform's name (`"inputMap"`, `"str"`).
    pub name: &'static str,
    /// The declared type.
    pub type_: SigType,
}

/// A function's signature as Terraform 1.11.4 declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The positional parameters.
    pub params: &'static [Param],
    /// The parameter every further argument is for, if any.
    pub variadic: Option<Param>,
    /// The result's type.
    pub returns: Returns,
}

impl Signature {
    /// The parameter the argument at `index` (from 0) is for.
    pub fn parameter(&self, index: usize) -> Option<&Param> {
        self.params.get(index).or(self.variadic.as_ref())
    }

    /// Whether a call of `function` with `count` arguments fits: one for
    /// each parameter, more only into a variadic one, as HCL checks before
    /// it evaluates any argument.
    pub fn check_arity(&self, function: &str, count: usize) -> Result<(), FunctionError> {
        let expects = self.params.len();
        if let Some(missing) = self.params.get(count) {
            return Err(FunctionError::NotEnoughArguments {
                function: function.to_string(),
                expects,
                variadic: self.variadic.is_some(),
                missing: missing.name,
            });
        }
        if self.variadic.is_none() && count > expects {
            return Err(FunctionError::TooManyArguments { function: function.to_string(), expects });
        }
        Ok(())
    }
}

use Returns::{Always, Depends, FirstArgument};

const STRING: SigType = SigType::String;
const NUMBER: SigType = SigType::Number;
const BOOL: SigType = SigType::Bool;
const DYNAMIC: SigType = SigType::Dynamic;
const LIST_OF_BOOL: SigType = SigType::List(&BOOL);
const LIST_OF_DYNAMIC: SigType = SigType::List(&DYNAMIC);
const LIST_OF_NUMBER: SigType = SigType::List(&NUMBER);
const LIST_OF_STRING: SigType = SigType::List(&STRING);
const LIST_OF_LIST_OF_DYNAMIC: SigType = SigType::List(&LIST_OF_DYNAMIC);
const MAP_OF_DYNAMIC: SigType = SigType::Map(&DYNAMIC);
const MAP_OF_LIST_OF_STRING: SigType = SigType::Map(&LIST_OF_STRING);
const SET_OF_DYNAMIC: SigType = SigType::Set(&DYNAMIC);
const SET_OF_STRING: SigType = SigType::Set(&STRING);

/// Non-structural: marks collapse onto the result, any unknown makes it unknown.
const PLAIN: Policy = Policy { marks: Marks::Collapse, unknowns: Unknowns::Deep, nulls: false };
/// Like PLAIN, but null arguments are passed to the function.
const PLAIN_NULLS: Policy = Policy { marks: Marks::Collapse, unknowns: Unknowns::Deep, nulls: true };
/// Structural: nested marks stay in place, nested unknowns are tolerated.
const STRUCT: Policy = Policy { marks: Marks::Keep, unknowns: Unknowns::Shallow, nulls: false };
const STRUCT_NULLS: Policy = Policy { marks: Marks::Keep, unknowns: Unknowns::Shallow, nulls: true };
/// Marks collapse, but nested unknowns are tolerated.
const COLLAPSE_SHALLOW: Policy = Policy { marks: Marks::Collapse, unknowns: Unknowns::Shallow, nulls: false };
const RAW: Policy = Policy { marks: Marks::Raw, unknowns: Unknowns::Shallow, nulls: true };

/// `f!(name, policy, implementation, returns, ["param": TYPE, ...; "variadic": TYPE])`.
macro_rules! f {
    ($name:literal, $policy:expr, $imp:path, $returns:expr, [$($p:literal: $t:expr),* $(; $v:literal: $vt:expr)?]) => {
        Spec {
            name: $name,
            policy: $policy,
            imp: $imp,
            signature: Signature { params: &[$(Param { name: $p, type_: $t }),*], variadic: f!(@variadic $($v: $vt)?), returns: $returns },
        }
    };
    (@variadic) => { None };
    (@variadic $v:literal: $vt:expr) => { Some(Param { name: $v, type_: $vt }) };
}

/// Sorted by name (binary search).
static SPECS: &[Spec] = &[
    f!("abs", PLAIN, numeric::abs, Always(NUMBER), ["num": NUMBER]),
    f!("abspath", PLAIN, paths::abspath, Always(STRING), ["path": STRING]),
    f!("alltrue", PLAIN, collections::alltrue, Always(BOOL), ["list": LIST_OF_BOOL]),
    f!("anytrue", PLAIN, collections::anytrue, Always(BOOL), ["list": LIST_OF_BOOL]),
    f!("base64decode", PLAIN, encoding::base64decode, Always(STRING), ["str": STRING]),
    f!("base64encode", PLAIN, encoding::base64encode, Always(STRING), ["str": STRING]),
    f!("base64gzip", PLAIN, encoding::base64gzip, Always(STRING), ["str": STRING]),
    f!("base64sha256", PLAIN, encoding::base64sha256, Always(STRING), ["str": STRING]),
    f!("base64sha512", PLAIN, encoding::base64sha512, Always(STRING), ["str": STRING]),
    f!("basename", PLAIN, paths::basename, Always(STRING), ["path": STRING]),
    f!("bcrypt", PLAIN, crypto::bcrypt, Always(STRING), ["str": STRING; "cost": NUMBER]),
    f!("can", RAW, evaluator_only, Always(BOOL), ["expression": DYNAMIC]),
    f!("ceil", PLAIN, numeric::ceil, Always(NUMBER), ["num": NUMBER]),
    f!("chomp", PLAIN, strings::chomp, Always(STRING), ["str": STRING]),
    f!("chunklist", STRUCT, collections::chunklist, Depends(LIST_OF_LIST_OF_DYNAMIC), ["list": LIST_OF_DYNAMIC, "size": NUMBER]),
    f!("cidrhost", PLAIN, network::cidrhost, Always(STRING), ["prefix": STRING, "hostnum": NUMBER]),
    f!("cidrnetmask", PLAIN, network::cidrnetmask, Always(STRING), ["prefix": STRING]),
    f!("cidrsubnet", PLAIN, network::cidrsubnet, Always(STRING), ["prefix": STRING, "newbits": NUMBER, "netnum": NUMBER]),
    f!("cidrsubnets", PLAIN, network::cidrsubnets, Always(LIST_OF_STRING), ["prefix": STRING; "newbits": NUMBER]),
    f!("coalesce", RAW, collections::coalesce, Depends(DYNAMIC), [; "vals": DYNAMIC]),
    f!("coalescelist", STRUCT_NULLS, collections::coalescelist, Depends(DYNAMIC), [; "vals": DYNAMIC]),
    f!("compact", STRUCT, collections::compact, Always(LIST_OF_STRING), ["list": LIST_OF_STRING]),
    f!("concat", STRUCT, collections::concat, Depends(DYNAMIC), [; "seqs": DYNAMIC]),
    f!("contains", PLAIN, collections::contains, Always(BOOL), ["list": DYNAMIC, "value": DYNAMIC]),
    f!("csvdecode", PLAIN, encoding::csvdecode, Depends(DYNAMIC), ["str": STRING]),
    f!("dirname", PLAIN, paths::dirname, Always(STRING), ["path": STRING]),
    f!("distinct", STRUCT, collections::distinct, Depends(LIST_OF_DYNAMIC), ["list": LIST_OF_DYNAMIC]),
    f!("element", STRUCT, collections::element, Depends(DYNAMIC), ["list": DYNAMIC, "index": NUMBER]),
    f!("endswith", PLAIN, strings::endswith, Always(BOOL), ["str": STRING, "suffix": STRING]),
    f!("ephemeralasnull", RAW, conversion::ephemeralasnull, FirstArgument, ["value": DYNAMIC]),
    f!("file", PLAIN, files::file, Always(STRING), ["path": STRING]),
    f!("filebase64", PLAIN, files::filebase64, Always(STRING), ["path": STRING]),
    f!("filebase64sha256", PLAIN, files::filebase64sha256, Always(STRING), ["path": STRING]),
    f!("filebase64sha512", PLAIN, files::filebase64sha512, Always(STRING), ["path": STRING]),
    f!("fileexists", PLAIN, files::fileexists, Always(BOOL), ["path": STRING]),
    f!("filemd5", PLAIN, files::filemd5, Always(STRING), ["path": STRING]),
    f!("fileset", PLAIN, files::fileset, Always(SET_OF_STRING), ["path": STRING, "pattern": STRING]),
    f!("filesha1", PLAIN, files::filesha1, Always(STRING), ["path": STRING]),
    f!("filesha256", PLAIN, files::filesha256, Always(STRING), ["path": STRING]),
    f!("filesha512", PLAIN, files::filesha512, Always(STRING), ["path": STRING]),
    f!("flatten", STRUCT, collections::flatten, Depends(DYNAMIC), ["list": DYNAMIC]),
    f!("floor", PLAIN, numeric::floor, Always(NUMBER), ["num": NUMBER]),
    f!("format", PLAIN_NULLS, format::format, Always(STRING), ["format": STRING; "args": DYNAMIC]),
    f!("formatdate", PLAIN, time::formatdate, Always(STRING), ["format": STRING, "time": STRING]),
    f!("formatlist", PLAIN_NULLS, format::formatlist, Always(LIST_OF_STRING), ["format": STRING; "args": DYNAMIC]),
    f!("indent", PLAIN, strings::indent, Always(STRING), ["spaces": NUMBER, "str": STRING]),
    f!("index", PLAIN, collections::index, Always(NUMBER), ["list": DYNAMIC, "value": DYNAMIC]),
    f!("issensitive", RAW, conversion::issensitive, Always(BOOL), ["value": DYNAMIC]),
    f!("join", PLAIN, strings::join, Always(STRING), ["separator": STRING; "lists": LIST_OF_STRING]),
    f!("jsondecode", PLAIN, encoding::jsondecode, Depends(DYNAMIC), ["str": STRING]),
    f!("jsonencode", PLAIN_NULLS, encoding::jsonencode, Always(STRING), ["val": DYNAMIC]),
    f!("keys", STRUCT, collections::keys, Depends(DYNAMIC), ["inputMap": DYNAMIC]),
    f!("length", STRUCT, collections::length, Always(NUMBER), ["value": DYNAMIC]),
    f!("log", PLAIN, numeric::log, Always(NUMBER), ["num": NUMBER, "base": NUMBER]),
    f!("lookup", STRUCT_NULLS, collections::lookup, Depends(DYNAMIC), ["inputMap": DYNAMIC, "key": STRING; "default": DYNAMIC]),
    f!("lower", PLAIN, strings::lower, Always(STRING), ["str": STRING]),
    f!("matchkeys", PLAIN, collections::matchkeys, Depends(LIST_OF_DYNAMIC), ["values": LIST_OF_DYNAMIC, "keys": LIST_OF_DYNAMIC, "searchset": LIST_OF_DYNAMIC]),
    f!("max", PLAIN, numeric::max, Always(NUMBER), [; "numbers": NUMBER]),
    f!("md5", PLAIN, encoding::md5, Always(STRING), ["str": STRING]),
    f!("merge", STRUCT_NULLS, collections::merge, Depends(DYNAMIC), [; "maps": DYNAMIC]),
    f!("min", PLAIN, numeric::min, Always(NUMBER), [; "numbers": NUMBER]),
    f!("nonsensitive", RAW, conversion::nonsensitive, FirstArgument, ["value": DYNAMIC]),
    f!("one", STRUCT, collections::one, Depends(DYNAMIC), ["list": DYNAMIC]),
    f!("parseint", PLAIN, numeric::parseint, Always(NUMBER), ["number": DYNAMIC, "base": NUMBER]),
    f!("pathexpand", PLAIN, paths::pathexpand, Always(STRING), ["path": STRING]),
    f!("plantimestamp", PLAIN, time::plantimestamp, Always(STRING), []),
    f!("pow", PLAIN, numeric::pow, Always(NUMBER), ["num": NUMBER, "power": NUMBER]),
    f!("range", PLAIN, collections::range, Always(LIST_OF_NUMBER), [; "params": NUMBER]),
    f!("regex", PLAIN, regexfns::regex, Depends(DYNAMIC), ["pattern": STRING, "string": STRING]),
    f!("regexall", PLAIN, regexfns::regexall, Depends(LIST_OF_DYNAMIC), ["pattern": STRING, "string": STRING]),
    f!("replace", PLAIN, strings::replace, Always(STRING), ["str": STRING, "substr": STRING, "replace": STRING]),
    f!("reverse", STRUCT, collections::reverse, Depends(DYNAMIC), ["list": DYNAMIC]),
    f!("rsadecrypt", PLAIN, crypto::rsadecrypt, Always(STRING), ["ciphertext": STRING, "privatekey": STRING]),
    f!("sensitive", RAW, conversion::sensitive, FirstArgument, ["value": DYNAMIC]),
    f!("setintersection", PLAIN, collections::setintersection, Depends(SET_OF_DYNAMIC), ["first_set": SET_OF_DYNAMIC; "other_sets": SET_OF_DYNAMIC]),
    f!("setproduct", PLAIN, collections::setproduct, Depends(DYNAMIC), [; "sets": DYNAMIC]),
    f!("setsubtract", PLAIN, collections::setsubtract, Depends(SET_OF_DYNAMIC), ["a": SET_OF_DYNAMIC, "b": SET_OF_DYNAMIC]),
    f!("setunion", PLAIN, collections::setunion, Depends(SET_OF_DYNAMIC), ["first_set": SET_OF_DYNAMIC; "other_sets": SET_OF_DYNAMIC]),
    f!("sha1", PLAIN, encoding::sha1, Always(STRING), ["str": STRING]),
    f!("sha256", PLAIN, encoding::sha256, Always(STRING), ["str": STRING]),
    f!("sha512", PLAIN, encoding::sha512, Always(STRING), ["str": STRING]),
    f!("signum", PLAIN, numeric::signum, Always(NUMBER), ["num": NUMBER]),
    f!("slice", STRUCT, collections::slice, Depends(DYNAMIC), ["list": DYNAMIC, "start_index": NUMBER, "end_index": NUMBER]),
    f!("sort", PLAIN, collections::sort, Always(LIST_OF_STRING), ["list": LIST_OF_STRING]),
    f!("split", PLAIN, strings::split, Always(LIST_OF_STRING), ["separator": STRING, "str": STRING]),
    f!("startswith", PLAIN, strings::startswith, Always(BOOL), ["str": STRING, "prefix": STRING]),
    f!("strcontains", PLAIN, strings::strcontains, Always(BOOL), ["str": STRING, "substr": STRING]),
    f!("strrev", PLAIN, strings::strrev, Always(STRING), ["str": STRING]),
    f!("substr", PLAIN, strings::substr, Always(STRING), ["str": STRING, "offset": NUMBER, "length": NUMBER]),
    f!("sum", PLAIN, collections::sum, Always(NUMBER), ["list": DYNAMIC]),
    f!("templatefile", PLAIN, files::templatefile, Depends(DYNAMIC), ["path": STRING, "vars": DYNAMIC]),
    f!("templatestring", PLAIN, files::templatestring, Always(STRING), ["template": STRING, "vars": DYNAMIC]),
    f!("textdecodebase64", PLAIN, encoding::textdecodebase64, Always(STRING), ["source": STRING, "encoding": STRING]),
    f!("textencodebase64", PLAIN, encoding::textencodebase64, Always(STRING), ["string": STRING, "encoding": STRING]),
    f!("timeadd", PLAIN, time::timeadd, Always(STRING), ["timestamp": STRING, "duration": STRING]),
    f!("timecmp", PLAIN, time::timecmp, Always(NUMBER), ["timestamp_a": STRING, "timestamp_b": STRING]),
    f!("timestamp", PLAIN, time::timestamp, Always(STRING), []),
    f!("title", PLAIN, strings::title, Always(STRING), ["str": STRING]),
    f!("tobool", PLAIN_NULLS, conversion::tobool, Always(BOOL), ["v": DYNAMIC]),
    f!("tolist", STRUCT_NULLS, conversion::tolist, Depends(LIST_OF_DYNAMIC), ["v": DYNAMIC]),
    f!("tomap", STRUCT_NULLS, conversion::tomap, Depends(MAP_OF_DYNAMIC), ["v": DYNAMIC]),
    f!("tonumber", PLAIN_NULLS, conversion::tonumber, Always(NUMBER), ["v": DYNAMIC]),
    f!("toset", COLLAPSE_SHALLOW_NULLS, conversion::toset, Depends(SET_OF_DYNAMIC), ["v": DYNAMIC]),
    f!("tostring", PLAIN_NULLS, conversion::tostring, Always(STRING), ["v": DYNAMIC]),
    f!("transpose", PLAIN, collections::transpose, Always(MAP_OF_LIST_OF_STRING), ["values": MAP_OF_LIST_OF_STRING]),
    f!("trim", PLAIN, strings::trim, Always(STRING), ["str": STRING, "cutset": STRING]),
    f!("trimprefix", PLAIN, strings::trimprefix, Always(STRING), ["str": STRING, "prefix": STRING]),
    f!("trimspace", PLAIN, strings::trimspace, Always(STRING), ["str": STRING]),
    f!("trimsuffix", PLAIN, strings::trimsuffix, Always(STRING), ["str": STRING, "suffix": STRING]),
    f!("try", RAW, evaluator_only, Depends(DYNAMIC), [; "expressions": DYNAMIC]),
    f!("upper", PLAIN, strings::upper, Always(STRING), ["str": STRING]),
    f!("urlencode", PLAIN, strings::urlencode, Always(STRING), ["str": STRING]),
    f!("uuid", PLAIN, crypto::uuid, Always(STRING), []),
    f!("uuidv5", PLAIN, crypto::uuidv5, Always(STRING), ["namespace": STRING, "name": STRING]),
    f!("values", STRUCT, collections::values, Depends(DYNAMIC), ["mapping": DYNAMIC]),
    f!("yamldecode", PLAIN, encoding::yamldecode, Depends(DYNAMIC), ["src": STRING]),
    f!("yamlencode", PLAIN_NULLS, encoding::yamlencode, Always(STRING), ["value": DYNAMIC]),
    f!("zipmap", STRUCT, collections::zipmap, Depends(DYNAMIC), ["keys": LIST_OF_STRING, "values": DYNAMIC]),
];

/// toset hoists element marks (a set cannot hold marked elements) and
/// passes null through.
const COLLAPSE_SHALLOW_NULLS: Policy = Policy { nulls: true, ..COLLAPSE_SHALLOW };

/// Every function name, sorted (the same order as `SPECS`).
pub(crate) static NAMES: &[&str] = &[
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

fn evaluator_only(_: Vec<Value>, _: &FunctionContext) -> Result<Value, Fail> {
    Err(Fail::Msg("this function is handled by the expression evaluator, not the function library".into()))
}

pub(crate) fn signature(name: &str) -> Option<&'static Signature> {
    SPECS.binary_search_by(|s| s.name.cmp(name)).ok().map(|pos| &SPECS[pos].signature)
}

pub(crate) fn call(name: &str, args: Vec<Value>, ctx: &FunctionContext) -> Result<Value, FunctionError> {
    let Ok(pos) = SPECS.binary_search_by(|s| s.name.cmp(name)) else {
        return Err(FunctionError::UnknownFunction(name.to_string()));
    };
    let spec = &SPECS[pos];
    spec.signature.check_arity(name, args.len())?;
    marks::apply(spec.policy, args, ctx, spec.imp).map_err(|f| match f {
        Fail::Arg(index, message) => {
            let parameter = spec.signature.parameter(index).map_or("", |p| p.name);
            FunctionError::Argument { function: name.to_string(), index, parameter, message }
        }
        Fail::Mismatch(index, message) => {
            let param = spec.signature.parameter(index);
            let message = match param {
                Some(p) if p.type_ != SigType::Dynamic => format!("{} required", p.type_.friendly_name()),
                _ => message,
            };
            FunctionError::Argument { function: name.to_string(), index, parameter: param.map_or("", |p| p.name), message }
        }
        Fail::Msg(message) => FunctionError::Failed { function: name.to_string(), message },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_names_agree_and_are_sorted() {
        let spec_names: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
        assert_eq!(spec_names, NAMES.to_vec());
        let mut sorted = spec_names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, spec_names, "SPECS must be sorted and unique for binary search");
    }
}
