//! The name → function table: arity, mark policy and implementation of
//! every built-in, and the dispatch that turns internal failures into
//! [`FunctionError`]s carrying the function name.

use iac_core::Value;

use crate::args::Fail;
use crate::marks::{self, Imp, Marks, Policy, Unknowns};
use crate::{collections, conversion, crypto, encoding, files, format, network, numeric, paths, regexfns, strings, time};
use crate::{FunctionContext, FunctionError};

/// One built-in function.
struct Spec {
    name: &'static str,
    min: usize,
    /// `usize::MAX` for variadic functions.
    max: usize,
    policy: Policy,
    imp: Imp,
}

const MANY: usize = usize::MAX;

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

macro_rules! f {
    ($name:literal, $min:expr, $max:expr, $policy:expr, $imp:path) => {
        Spec { name: $name, min: $min, max: $max, policy: $policy, imp: $imp }
    };
}

/// Sorted by name (binary search).
static SPECS: &[Spec] = &[
    f!("abs", 1, 1, PLAIN, numeric::abs),
    f!("abspath", 1, 1, PLAIN, paths::abspath),
    f!("alltrue", 1, 1, PLAIN, collections::alltrue),
    f!("anytrue", 1, 1, PLAIN, collections::anytrue),
    f!("base64decode", 1, 1, PLAIN, encoding::base64decode),
    f!("base64encode", 1, 1, PLAIN, encoding::base64encode),
    f!("base64gzip", 1, 1, PLAIN, encoding::base64gzip),
    f!("base64sha256", 1, 1, PLAIN, encoding::base64sha256),
    f!("base64sha512", 1, 1, PLAIN, encoding::base64sha512),
    f!("basename", 1, 1, PLAIN, paths::basename),
    f!("bcrypt", 1, 2, PLAIN, crypto::bcrypt),
    f!("can", 1, 1, RAW, evaluator_only),
    f!("ceil", 1, 1, PLAIN, numeric::ceil),
    f!("chomp", 1, 1, PLAIN, strings::chomp),
    f!("chunklist", 2, 2, STRUCT, collections::chunklist),
    f!("cidrhost", 2, 2, PLAIN, network::cidrhost),
    f!("cidrnetmask", 1, 1, PLAIN, network::cidrnetmask),
    f!("cidrsubnet", 3, 3, PLAIN, network::cidrsubnet),
    f!("cidrsubnets", 1, MANY, PLAIN, network::cidrsubnets),
    f!("coalesce", 1, MANY, RAW, collections::coalesce),
    f!("coalescelist", 1, MANY, STRUCT_NULLS, collections::coalescelist),
    f!("compact", 1, 1, STRUCT, collections::compact),
    f!("concat", 0, MANY, STRUCT, collections::concat),
    f!("contains", 2, 2, PLAIN, collections::contains),
    f!("csvdecode", 1, 1, PLAIN, encoding::csvdecode),
    f!("dirname", 1, 1, PLAIN, paths::dirname),
    f!("distinct", 1, 1, STRUCT, collections::distinct),
    f!("element", 2, 2, STRUCT, collections::element),
    f!("endswith", 2, 2, PLAIN, strings::endswith),
    f!("ephemeralasnull", 1, 1, RAW, conversion::ephemeralasnull),
    f!("file", 1, 1, PLAIN, files::file),
    f!("filebase64", 1, 1, PLAIN, files::filebase64),
    f!("filebase64sha256", 1, 1, PLAIN, files::filebase64sha256),
    f!("filebase64sha512", 1, 1, PLAIN, files::filebase64sha512),
    f!("fileexists", 1, 1, PLAIN, files::fileexists),
    f!("filemd5", 1, 1, PLAIN, files::filemd5),
    f!("fileset", 2, 2, PLAIN, files::fileset),
    f!("filesha1", 1, 1, PLAIN, files::filesha1),
    f!("filesha256", 1, 1, PLAIN, files::filesha256),
    f!("filesha512", 1, 1, PLAIN, files::filesha512),
    f!("flatten", 1, 1, STRUCT, collections::flatten),
    f!("floor", 1, 1, PLAIN, numeric::floor),
    f!("format", 1, MANY, PLAIN_NULLS, format::format),
    f!("formatdate", 2, 2, PLAIN, time::formatdate),
    f!("formatlist", 1, MANY, PLAIN_NULLS, format::formatlist),
    f!("indent", 2, 2, PLAIN, strings::indent),
    f!("index", 2, 2, PLAIN, collections::index),
    f!("issensitive", 1, 1, RAW, conversion::issensitive),
    f!("join", 2, MANY, PLAIN, strings::join),
    f!("jsondecode", 1, 1, PLAIN, encoding::jsondecode),
    f!("jsonencode", 1, 1, PLAIN_NULLS, encoding::jsonencode),
    f!("keys", 1, 1, STRUCT, collections::keys),
    f!("length", 1, 1, STRUCT, collections::length),
    f!("log", 2, 2, PLAIN, numeric::log),
    f!("lookup", 2, 3, STRUCT_NULLS, collections::lookup),
    f!("lower", 1, 1, PLAIN, strings::lower),
    f!("matchkeys", 3, 3, PLAIN, collections::matchkeys),
    f!("max", 0, MANY, PLAIN, numeric::max),
    f!("md5", 1, 1, PLAIN, encoding::md5),
    f!("merge", 0, MANY, STRUCT_NULLS, collections::merge),
    f!("min", 0, MANY, PLAIN, numeric::min),
    f!("nonsensitive", 1, 1, RAW, conversion::nonsensitive),
    f!("one", 1, 1, STRUCT, collections::one),
    f!("parseint", 2, 2, PLAIN, numeric::parseint),
    f!("pathexpand", 1, 1, PLAIN, paths::pathexpand),
    f!("plantimestamp", 0, 0, PLAIN, time::plantimestamp),
    f!("pow", 2, 2, PLAIN, numeric::pow),
    f!("range", 1, 3, PLAIN, collections::range),
    f!("regex", 2, 2, PLAIN, regexfns::regex),
    f!("regexall", 2, 2, PLAIN, regexfns::regexall),
    f!("replace", 3, 3, PLAIN, strings::replace),
    f!("reverse", 1, 1, STRUCT, collections::reverse),
    f!("rsadecrypt", 2, 2, PLAIN, crypto::rsadecrypt),
    f!("sensitive", 1, 1, RAW, conversion::sensitive),
    f!("setintersection", 1, MANY, PLAIN, collections::setintersection),
    f!("setproduct", 0, MANY, PLAIN, collections::setproduct),
    f!("setsubtract", 2, 2, PLAIN, collections::setsubtract),
    f!("setunion", 1, MANY, PLAIN, collections::setunion),
    f!("sha1", 1, 1, PLAIN, encoding::sha1),
    f!("sha256", 1, 1, PLAIN, encoding::sha256),
    f!("sha512", 1, 1, PLAIN, encoding::sha512),
    f!("signum", 1, 1, PLAIN, numeric::signum),
    f!("slice", 3, 3, STRUCT, collections::slice),
    f!("sort", 1, 1, PLAIN, collections::sort),
    f!("split", 2, 2, PLAIN, strings::split),
    f!("startswith", 2, 2, PLAIN, strings::startswith),
    f!("strcontains", 2, 2, PLAIN, strings::strcontains),
    f!("strrev", 1, 1, PLAIN, strings::strrev),
    f!("substr", 3, 3, PLAIN, strings::substr),
    f!("sum", 1, 1, PLAIN, collections::sum),
    f!("templatefile", 2, 2, PLAIN, files::templatefile),
    f!("templatestring", 2, 2, PLAIN, files::templatestring),
    f!("textdecodebase64", 2, 2, PLAIN, encoding::textdecodebase64),
    f!("textencodebase64", 2, 2, PLAIN, encoding::textencodebase64),
    f!("timeadd", 2, 2, PLAIN, time::timeadd),
    f!("timecmp", 2, 2, PLAIN, time::timecmp),
    f!("timestamp", 0, 0, PLAIN, time::timestamp),
    f!("title", 1, 1, PLAIN, strings::title),
    f!("tobool", 1, 1, PLAIN_NULLS, conversion::tobool),
    f!("tolist", 1, 1, STRUCT_NULLS, conversion::tolist),
    f!("tomap", 1, 1, STRUCT_NULLS, conversion::tomap),
    f!("tonumber", 1, 1, PLAIN_NULLS, conversion::tonumber),
    f!("toset", 1, 1, COLLAPSE_SHALLOW_NULLS, conversion::toset),
    f!("tostring", 1, 1, PLAIN_NULLS, conversion::tostring),
    f!("transpose", 1, 1, PLAIN, collections::transpose),
    f!("trim", 2, 2, PLAIN, strings::trim),
    f!("trimprefix", 2, 2, PLAIN, strings::trimprefix),
    f!("trimspace", 1, 1, PLAIN, strings::trimspace),
    f!("trimsuffix", 2, 2, PLAIN, strings::trimsuffix),
    f!("try", 0, MANY, RAW, evaluator_only),
    f!("upper", 1, 1, PLAIN, strings::upper),
    f!("urlencode", 1, 1, PLAIN, strings::urlencode),
    f!("uuid", 0, 0, PLAIN, crypto::uuid),
    f!("uuidv5", 2, 2, PLAIN, crypto::uuidv5),
    f!("values", 1, 1, STRUCT, collections::values),
    f!("yamldecode", 1, 1, PLAIN, encoding::yamldecode),
    f!("yamlencode", 1, 1, PLAIN_NULLS, encoding::yamlencode),
    f!("zipmap", 2, 2, STRUCT, collections::zipmap),
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

fn expected(min: usize, max: usize) -> String {
    match (min, max) {
        (a, b) if a == b => a.to_string(),
        (a, MANY) => format!("at least {a}"),
        (a, b) if b == a + 1 => format!("{a} or {b}"),
        (a, b) => format!("{a} to {b}"),
    }
}

pub(crate) fn call(name: &str, args: Vec<Value>, ctx: &FunctionContext) -> Result<Value, FunctionError> {
    let Ok(pos) = SPECS.binary_search_by(|s| s.name.cmp(name)) else {
        return Err(FunctionError::UnknownFunction(name.to_string()));
    };
    let spec = &SPECS[pos];
    if args.len() < spec.min || args.len() > spec.max {
        return Err(FunctionError::Arity { function: name.to_string(), expected: expected(spec.min, spec.max), got: args.len() });
    }
    marks::apply(spec.policy, args, ctx, spec.imp).map_err(|f| match f {
        Fail::Arg(index, message) => FunctionError::Argument { function: name.to_string(), index, message },
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

    #[test]
    fn arity_descriptions() {
        assert_eq!(expected(2, 2), "2");
        assert_eq!(expected(2, 3), "2 or 3");
        assert_eq!(expected(1, 3), "1 to 3");
        assert_eq!(expected(1, MANY), "at least 1");
    }
}
