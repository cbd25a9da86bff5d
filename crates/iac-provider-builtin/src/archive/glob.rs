//! Glob patterns over `/`-separated paths, as `archive_file`'s `excludes`
//! take them: `*` (any run of characters within a segment), `?` (one
//! character), `[abc]`, `[a-z]`, `[!x]` or `[^x]` (a class), `{a,b}`
//! (alternatives), `\` (escape), and `**` as a whole segment (any number of
//! segments, none included).

/// Whether `path` matches `pattern`.
pub fn path_match(pattern: &str, path: &str) -> bool {
    let names: Vec<&str> = path.split('/').collect();
    expand_braces(pattern).iter().any(|p| {
        let segments: Vec<&str> = p.split('/').collect();
        segments_match(&segments, &names)
    })
}

fn segments_match(pats: &[&str], names: &[&str]) -> bool {
    match pats.split_first() {
        None => names.is_empty(),
        Some((&"**", rest)) => segments_match(rest, names) || (!names.is_empty() && segments_match(pats, &names[1..])),
        Some((p, rest)) => !names.is_empty() && segment_match(p.as_bytes(), names[0].as_bytes()) && segments_match(rest, &names[1..]),
    }
}

/// One segment against a name (no separators in either).
fn segment_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| segment_match(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && segment_match(&p[1..], &s[1..]),
        Some(b'[') => match (class(&p[1..]), s.first()) {
            (Some((matches, len)), Some(c)) => matches(*c) && segment_match(&p[1 + len..], &s[1..]),
            (None, Some(c)) => *c == b'[' && segment_match(&p[1..], &s[1..]),
            (_, None) => false,
        },
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && segment_match(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && segment_match(&p[1..], &s[1..]),
    }
}

/// A character class after its `[`: a test, and how many pattern bytes it
/// took (the closing `]` included); None when it never closes.
#[allow(clippy::type_complexity)]
fn class(p: &[u8]) -> Option<(Box<dyn Fn(u8) -> bool>, usize)> {
    let (negate, start) = match p.first() {
        Some(b'!') | Some(b'^') => (true, 1),
        _ => (false, 0),
    };
    let mut ranges = Vec::new();
    let mut i = start;
    loop {
        let c = *p.get(i)?;
        if c == b']' && i > start {
            break;
        }
        let (lo, next) = if c == b'\\' { (*p.get(i + 1)?, i + 2) } else { (c, i + 1) };
        if p.get(next) == Some(&b'-') && p.get(next + 1).is_some_and(|c| *c != b']') {
            let hi = p[next + 1];
            ranges.push((lo, hi));
            i = next + 2;
        } else {
            ranges.push((lo, lo));
            i = next;
        }
    }
    Some((Box::new(move |c| ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != negate), i + 1))
}

/// `a{b,c}d` becomes `abd` and `acd` (nested braces too).
fn expand_braces(p: &str) -> Vec<String> {
    let bytes = p.as_bytes();
    let Some(open) = bytes.iter().position(|b| *b == b'{') else { return vec![p.to_string()] };
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut last = open + 1;
    for (i, b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(&p[last..i]);
                    let (head, tail) = (&p[..open], &p[i + 1..]);
                    return parts.iter().flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}"))).collect();
                }
            }
            b',' if depth == 1 => {
                parts.push(&p[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    vec![p.to_string()]
}

#[cfg(test)]
mod tests {
    use super::path_match;

    #[test]
    fn globs() {
        assert!(path_match("*.zip", "unwanted.zip"));
        assert!(!path_match("*.zip", "dir/unwanted.zip"), "* stays within a segment");
        assert!(path_match("**/*.zip", "dir/sub/unwanted.zip"));
        assert!(path_match("**/*.zip", "top.zip"), "** may be no segment");
        assert!(path_match("node_modules/**", "node_modules"));
        assert!(path_match("node_modules/**", "node_modules/a/b.js"));
        assert!(path_match("a?c", "abc") && !path_match("a?c", "ac"));
        assert!(path_match("[a-c]x", "bx") && !path_match("[!a-c]x", "bx") && path_match("[^a-c]x", "dx"));
        assert!(path_match("*.{js,ts}", "app.ts") && !path_match("*.{js,ts}", "app.rs"));
        assert!(path_match("\\*", "*") && !path_match("\\*", "a"));
        assert!(path_match("lib/*/test", "lib/x/test") && !path_match("lib/*/test", "lib/x/y/test"));
    }
}
