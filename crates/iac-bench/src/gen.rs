//! Stack generators: N `terraform_data` resources `r0..rN-1`, written as
//! separate resource blocks (never `count`), so the graph has N nodes.

use std::fmt::Write as _;
use std::str::FromStr;

/// How the resources depend on each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// No references: N independent resources.
    Flat,
    /// Each resource references the previous one (`prev = terraform_data.r<i-1>.id`).
    Chain,
    /// `LAYERS` layers; each resource of layer k>0 references 3 of layer k-1.
    Layered,
}

/// Number of layers of the layered shape (fewer when N < LAYERS).
pub const LAYERS: usize = 10;
/// References from each resource of a layer to the layer before it.
pub const LAYER_FANIN: usize = 3;

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Flat, Shape::Chain, Shape::Layered];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Flat => "flat",
            Shape::Chain => "chain",
            Shape::Layered => "layered",
        }
    }
}

impl FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "flat" => Ok(Shape::Flat),
            "chain" => Ok(Shape::Chain),
            "layered" => Ok(Shape::Layered),
            other => Err(format!("unknown shape {other:?} (expected flat, chain or layered)")),
        }
    }
}

/// Bounds `[start, end)` of each layer of an N-resource layered stack:
/// `min(LAYERS, n)` contiguous, non-empty layers whose sizes differ by at most one.
pub fn layer_bounds(n: usize) -> Vec<(usize, usize)> {
    let layers = LAYERS.min(n);
    (0..layers).map(|k| (k * n / layers, (k + 1) * n / layers)).collect()
}

/// Indices of the resources resource `i` references.
pub fn references(shape: Shape, n: usize, i: usize) -> Vec<usize> {
    match shape {
        Shape::Flat => Vec::new(),
        Shape::Chain => {
            if i == 0 {
                Vec::new()
            } else {
                vec![i - 1]
            }
        }
        Shape::Layered => {
            let bounds = layer_bounds(n);
            let Some(k) = bounds.iter().position(|&(s, e)| (s..e).contains(&i)) else { return Vec::new() };
            if k == 0 {
                return Vec::new();
            }
            let (ps, pe) = bounds[k - 1];
            let plen = pe - ps;
            let j = i - bounds[k].0;
            // Consecutive (wrapping) members of the previous layer: distinct whenever it has >= 3.
            (0..LAYER_FANIN.min(plen)).map(|d| ps + (j + d) % plen).collect()
        }
    }
}

/// The value of resource `i`'s `size` attribute; `edited` bumps it by 100
/// (the edit-one phase).
pub fn size_of(i: usize, edited: bool) -> usize {
    i % 7 + if edited { 100 } else { 0 }
}

/// The stack's `main.tf`. `edit` names the one resource whose `size` changes.
pub fn generate(shape: Shape, n: usize, edit: Option<usize>) -> String {
    let mut s = String::with_capacity(n * 200 + 200);
    s.push_str("locals {\n  common_tags = {\n    env  = \"bench\"\n    team = \"platform\"\n  }\n}\n");
    for i in 0..n {
        let refs = references(shape, n, i);
        let _ = write!(
            s,
            "\nresource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name = \"r{i}\"\n    size = {size}\n    tags = merge(local.common_tags, {{ idx = \"{i}\" }})\n",
            size = size_of(i, edit == Some(i))
        );
        match (shape, refs.as_slice()) {
            (_, []) => {}
            (Shape::Chain, [p]) => {
                let _ = writeln!(s, "    prev = terraform_data.r{p}.id");
            }
            (_, refs) => {
                let list: Vec<String> = refs.iter().map(|r| format!("terraform_data.r{r}.id")).collect();
                let _ = writeln!(s, "    deps = [{}]", list.join(", "));
            }
        }
        s.push_str("  }\n}\n");
    }
    s
}

/// Which resource the edit-one phase changes: the middle one (in the
/// chain and layered shapes it has both dependencies and dependents).
pub fn edit_target(n: usize) -> usize {
    n / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource_blocks(text: &str) -> usize {
        text.matches("resource \"terraform_data\"").count()
    }

    /// References in expressions: `terraform_data.rX.id`.
    fn reference_count(text: &str) -> usize {
        text.matches("terraform_data.r").count()
    }

    fn expected_layered_refs(n: usize) -> usize {
        let b = layer_bounds(n);
        (1..b.len()).map(|k| (b[k].1 - b[k].0) * LAYER_FANIN.min(b[k - 1].1 - b[k - 1].0)).sum()
    }

    #[test]
    fn flat_has_n_blocks_and_no_references() {
        for n in [1, 10, 1000] {
            let t = generate(Shape::Flat, n, None);
            assert_eq!(resource_blocks(&t), n);
            assert_eq!(reference_count(&t), 0);
            assert_eq!(t.matches("merge(local.common_tags").count(), n);
            assert_eq!(t.matches("locals {").count(), 1);
            assert!(!t.contains("count"));
        }
    }

    #[test]
    fn chain_references_the_previous_resource() {
        for n in [1, 10, 1000] {
            let t = generate(Shape::Chain, n, None);
            assert_eq!(resource_blocks(&t), n);
            assert_eq!(reference_count(&t), n - 1);
            assert_eq!(t.matches("prev = terraform_data.r").count(), n - 1);
        }
        let t = generate(Shape::Chain, 5, None);
        for i in 1..5 {
            assert!(t.contains(&format!("prev = terraform_data.r{}.id", i - 1)));
        }
    }

    #[test]
    fn layered_has_ten_layers_with_three_references_each() {
        for n in [1000, 5000] {
            let t = generate(Shape::Layered, n, None);
            assert_eq!(resource_blocks(&t), n);
            // 9 layers of n/10 resources, 3 references each.
            assert_eq!(reference_count(&t), 9 * (n / 10) * 3);
            assert_eq!(reference_count(&t), expected_layered_refs(n));
        }
        for n in [1, 2, 10, 25, 1003] {
            let t = generate(Shape::Layered, n, None);
            assert_eq!(resource_blocks(&t), n);
            assert_eq!(reference_count(&t), expected_layered_refs(n));
        }
        // Every reference points into the previous layer, with no duplicates.
        let n = 1003;
        let b = layer_bounds(n);
        assert_eq!(b.len(), LAYERS);
        for (k, &(s, e)) in b.iter().enumerate().skip(1) {
            for i in s..e {
                let r = references(Shape::Layered, n, i);
                assert_eq!(r.len(), 3);
                let mut d = r.clone();
                d.dedup();
                assert_eq!(d.len(), 3);
                assert!(r.iter().all(|&x| (b[k - 1].0..b[k - 1].1).contains(&x)));
            }
        }
    }

    #[test]
    fn edit_changes_exactly_one_size() {
        for shape in Shape::ALL {
            let a = generate(shape, 100, None);
            let b = generate(shape, 100, Some(edit_target(100)));
            let diff: Vec<_> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
            assert_eq!(diff.len(), 1, "{shape:?}");
            assert!(diff[0].0.contains("size ="));
        }
    }
}
