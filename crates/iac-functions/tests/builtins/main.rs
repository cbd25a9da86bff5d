//! Behaviour of the built-in functions through the public API, mostly as
//! tables of (function, arguments, expected result).

mod common;

mod added;
mod collections;
mod encoding;
mod errors;
mod files;
mod marks;
mod network;
mod numeric;
mod signatures;
mod strings;
