//! DigitalOcean's page-based lists: `page`/`per_page` (at most 200) in,
//! `links.pages` (first/prev/next/last) and `meta.total` out.

use serde_json::{json, Map, Value};

pub const MAX_PER_PAGE: usize = 200;
pub const DEFAULT_PER_PAGE: usize = 20;

/// Page number and size from a query string, clamped to what the API allows.
pub fn page_params(query: &str) -> (usize, usize) {
    let mut page = 1;
    let mut per_page = DEFAULT_PER_PAGE;
    for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        match k {
            "page" => page = v.parse().unwrap_or(1).max(1),
            "per_page" => per_page = v.parse().unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
            _ => {}
        }
    }
    (page, per_page)
}

/// Wraps one page of `items` under `key` with links and meta.
pub fn page(key: &str, items: Vec<Value>, query: &str, base: &str, path: &str) -> Value {
    let (page, per_page) = page_params(query);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let slice: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let link = |p: usize| format!("{base}{path}?page={p}&per_page={per_page}");
    let mut pages = Map::new();
    if page > 1 {
        pages.insert("first".into(), json!(link(1)));
        pages.insert("prev".into(), json!(link((page - 1).min(last))));
    }
    if page < last {
        pages.insert("last".into(), json!(link(last)));
        pages.insert("next".into(), json!(link(page + 1)));
    }
    json!({key: slice, "links": {"pages": pages}, "meta": {"total": total}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_forward_and_back() {
        let items: Vec<Value> = (0..45).map(|i| json!(i)).collect();
        let p = page("vpcs", items.clone(), "page=2&per_page=20", "http://x", "/v2/vpcs");
        assert_eq!(p["vpcs"].as_array().unwrap().len(), 20);
        assert_eq!(p["meta"]["total"], 45);
        assert_eq!(p["links"]["pages"]["next"], "http://x/v2/vpcs?page=3&per_page=20");
        assert_eq!(p["links"]["pages"]["first"], "http://x/v2/vpcs?page=1&per_page=20");
        let last = page("vpcs", items, "page=3&per_page=20", "http://x", "/v2/vpcs");
        assert!(last["links"]["pages"].get("next").is_none());
        assert_eq!(page_params("per_page=1000"), (1, 200));
    }
}
