//! Lookups in a map keyed by [`LocalResourceAddr`], as the engine makes
//! them on every node of a walk (loading, the graph, expansion), against the
//! same map keyed by the addresses' text. The typed key must stay within a
//! small factor of a string: comparing it byte by byte through chained
//! iterators made a 5000-resource plan spend a sixth of its instructions
//! here (issue 12).
//!
//! `cargo bench -p iac-core --bench addresses` (env: IAC_BENCH_RESOURCES,
//! default 5000; IAC_BENCH_ROUNDS, default 70: lookups of every key, about
//! as many as one no-op plan of 5000 resources makes). Reports nanoseconds
//! per lookup for both maps; fails when the typed map is more than
//! `MAX_RATIO` times slower, or lists keys in another order than their text.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use iac_core::address::{LocalResourceAddr, Mode};

/// How much slower than a string key the typed key may be. Today a lookup
/// costs about two (the same type: the types' equality, then the names);
/// the byte-iterator comparison cost about five times today's.
const MAX_RATIO: f64 = 4.0;

/// Best of this many timed passes (the machine may be shared).
const PASSES: usize = 5;

fn env_num(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// Mostly one type (as the benchmark stacks), with other types, a type that
/// is another's prefix, and data sources mixed in.
fn addresses(n: usize) -> Vec<LocalResourceAddr> {
    (0..n)
        .map(|i| match i % 50 {
            0 => LocalResourceAddr::new(Mode::Data, "terraform_remote_state", &format!("s{i}")),
            1 => LocalResourceAddr::new(Mode::Managed, "aws_vpc", &format!("v{i}")),
            2 => LocalResourceAddr::new(Mode::Managed, "aws_vpc_endpoint", &format!("e{i}")),
            _ => LocalResourceAddr::new(Mode::Managed, "terraform_data", &format!("r{i}")),
        })
        .collect()
}

/// The fastest of `PASSES` runs of `f`.
fn best(mut f: impl FnMut() -> usize) -> Duration {
    (0..PASSES)
        .map(|_| {
            let started = Instant::now();
            black_box(f());
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let n = env_num("IAC_BENCH_RESOURCES", 5000);
    let rounds = env_num("IAC_BENCH_ROUNDS", 70);
    let keys = addresses(n);
    let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();

    let typed: BTreeMap<LocalResourceAddr, usize> = keys.iter().cloned().zip(0..).collect();
    let by_text: BTreeMap<String, usize> = texts.iter().cloned().zip(0..).collect();
    let typed_order: Vec<String> = typed.keys().map(ToString::to_string).collect();
    assert!(typed_order.iter().eq(by_text.keys()), "typed addresses must list in their text's order");

    let insert_typed = best(|| keys.iter().cloned().zip(0..).collect::<BTreeMap<LocalResourceAddr, usize>>().len());
    let insert_text = best(|| texts.iter().cloned().zip(0..).collect::<BTreeMap<String, usize>>().len());
    let lookup_typed = best(|| (0..rounds).map(|_| keys.iter().filter_map(|k| typed.get(black_box(k))).sum::<usize>()).sum());
    let lookup_text = best(|| (0..rounds).map(|_| texts.iter().filter_map(|k| by_text.get(black_box(k.as_str()))).sum::<usize>()).sum());

    let lookups = (n * rounds).max(1) as f64;
    let per = |d: Duration, count: f64| d.as_nanos() as f64 / count;
    let ratio = lookup_typed.as_secs_f64() / lookup_text.as_secs_f64().max(1e-9);
    println!("addresses benchmark: {n} resources, {} lookups per pass, best of {PASSES}", n * rounds);
    println!("build map   typed: {:>8.1} ns/insert   text: {:>8.1} ns/insert", per(insert_typed, n as f64), per(insert_text, n as f64));
    println!("lookup      typed: {:>8.1} ns/lookup   text: {:>8.1} ns/lookup   typed/text: {ratio:.2}", per(lookup_typed, lookups), per(lookup_text, lookups));
    assert!(ratio <= MAX_RATIO, "a LocalResourceAddr lookup costs {ratio:.2} times a string key's (at most {MAX_RATIO}): has its Ord gone slow again?");
}
