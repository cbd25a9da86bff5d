//! `s3::` module sources, read as go-getter's S3 getter reads them:
//! `s3::https://s3.amazonaws.com/BUCKET/KEY`, `s3-REGION.amazonaws.com`,
//! `BUCKET.s3.amazonaws.com`, `BUCKET.s3-REGION.amazonaws.com`,
//! `BUCKET.s3.REGION.amazonaws.com`, and any other host as an S3-compatible
//! endpoint (`s3::http://HOST:PORT/BUCKET/KEY?region=R`, path style).
//! `?version=` reads one object version; `aws_access_key_id`,
//! `aws_access_key_secret` and `aws_access_token` in the query are
//! credentials, as in go-getter.
//!
//! A key with an archive extension (or `?archive=`) is one object, fetched
//! and unpacked; any other key is a directory: every object below
//! `KEY/` is fetched to its relative path (ListObjects, paged by marker).
//!
//! Requests are signed with AWS Signature Version 4 ([`sign`], a small
//! signer over sha2 and hmac: no AWS SDK here). Credentials come from the
//! URL, else the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`), else the shared credentials and config files
//! (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, `~/.aws/...`) for
//! `AWS_PROFILE` (or `AWS_DEFAULT_PROFILE`, else `default`): the static
//! parts of the AWS SDK's default chain go-getter uses. Instance roles and
//! SSO are not read. Secrets are never logged.

use std::collections::BTreeMap;
use std::path::Path;

use hmac::Mac as _;
use sha2::{Digest as _, Sha256};

use super::archive::{self, Kind};
use super::registry::{http_error, Http};
use super::ModuleError;

/// An S3 object or prefix, with where and how to ask for it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Location {
    /// `https://BUCKET.s3.REGION.amazonaws.com` or `http://HOST:PORT/BUCKET`:
    /// what the key is appended to.
    pub base: String,
    pub bucket: String,
    pub key: String,
    pub region: String,
    pub version: Option<String>,
    /// Credentials the URL carries.
    pub credentials: Option<Credentials>,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <hidden>)", self.access_key)
    }
}

/// Reads an `s3::` URL (without the `s3::` and `archive=`).
pub(super) fn parse(raw: &str) -> Result<Location, ModuleError> {
    let bad = |why: &str| ModuleError::BadSource { source_text: format!("s3::{raw}"), why: why.to_string() };
    let u = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL: {e}")))?;
    let host = u.host_str().ok_or_else(|| bad("no host"))?.to_ascii_lowercase();
    let query: BTreeMap<String, String> = u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let path = u.path().trim_start_matches('/');
    let (bucket, key, region, base);
    if host.contains("amazonaws.com") {
        let parts: Vec<&str> = host.split('.').collect();
        let region_of = |p: &str| p.trim_start_matches("s3-").trim_start_matches("s3").to_string();
        match parts.len() {
            // s3.amazonaws.com/BUCKET/KEY, s3-REGION.amazonaws.com/BUCKET/KEY
            3 => {
                let (b, k) = path.split_once('/').ok_or_else(|| bad("an S3 URL names BUCKET/KEY"))?;
                let r = region_of(parts[0]);
                (bucket, key, region) = (b.to_string(), k.to_string(), if r.is_empty() { "us-east-1".to_string() } else { r });
            }
            // BUCKET.s3.amazonaws.com, BUCKET.s3-REGION.amazonaws.com
            4 => {
                let r = region_of(parts[1]);
                (bucket, key, region) = (parts[0].to_string(), path.to_string(), if r.is_empty() { "us-east-1".to_string() } else { r });
            }
            // BUCKET.s3.REGION.amazonaws.com
            5 => (bucket, key, region) = (parts[0].to_string(), path.to_string(), parts[2].to_string()),
            _ => return Err(bad("not an S3 host name")),
        }
        // Virtual-hosted style where the bucket name allows it (no dots, for TLS).
        base = if bucket.contains('.') {
            format!("https://s3.{region}.amazonaws.com/{}", encode_path(&bucket))
        } else {
            format!("https://{bucket}.s3.{region}.amazonaws.com")
        };
    } else {
        // Any other host is an S3-compatible endpoint, path style.
        let (b, k) = path.split_once('/').ok_or_else(|| bad("an S3-compatible URL names HOST/BUCKET/KEY"))?;
        (bucket, key) = (b.to_string(), k.to_string());
        region = query.get("region").filter(|r| !r.is_empty()).cloned().unwrap_or_else(|| "us-east-1".to_string());
        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
        base = format!("{}://{host}{port}/{}", u.scheme(), encode_path(&bucket));
    }
    if bucket.is_empty() || key.is_empty() {
        return Err(bad("an S3 URL names a bucket and a key"));
    }
    let key = percent_decode(&key);
    let credentials = ["aws_access_key_id", "aws_access_key_secret", "aws_access_token"].iter().any(|k| query.contains_key(*k)).then(|| Credentials {
        access_key: query.get("aws_access_key_id").cloned().unwrap_or_default(),
        secret_key: query.get("aws_access_key_secret").cloned().unwrap_or_default(),
        session_token: query.get("aws_access_token").cloned().filter(|t| !t.is_empty()),
    });
    Ok(Location { base, bucket, key, region, version: query.get("version").cloned(), credentials })
}

/// Fetches the object (an archive, unpacked) or every object below the
/// prefix into `dest`.
pub(super) fn fetch(http: &Http, raw: &str, kind: Option<Kind>, dest: &Path, env: &BTreeMap<String, String>) -> Result<(), ModuleError> {
    let loc = parse(raw)?;
    let creds = match loc.credentials.clone() {
        Some(c) => c,
        None => from_environment(env).ok_or_else(|| ModuleError::NoCredentials {
            url: format!("s3::{}/{}", loc.base, loc.key),
            why: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a shared credentials file".into(),
        })?,
    };
    tracing::debug!(bucket = %loc.bucket, key = %loc.key, region = %loc.region, access_key = %creds.access_key, "fetching from S3");
    if let Some(kind) = kind {
        let (url, body) = get_object(http, &loc, &loc.key, &creds)?;
        return archive::unpack(kind, &body, dest, &url);
    }
    let prefix = format!("{}/", loc.key.trim_end_matches('/'));
    let mut marker: Option<String> = None;
    let mut fetched = 0;
    loop {
        let mut query = vec![("prefix".to_string(), prefix.clone())];
        if let Some(m) = &marker {
            query.push(("marker".to_string(), m.clone()));
        }
        let (url, body) = signed_get(http, &loc, "", &query, &creds)?;
        let text = String::from_utf8_lossy(&body);
        let keys = xml_values(&text, "Key");
        for key in &keys {
            let Some(rel) = key.strip_prefix(&prefix).filter(|r| !r.is_empty() && !r.ends_with('/')) else { continue };
            let target = super::archive::safe_path(rel)
                .map(|r| dest.join(r))
                .ok_or_else(|| ModuleError::ArchiveCorrupt { url: url.clone(), why: format!("the object {key:?} leads outside the module") })?;
            let (_, data) = get_object(http, &loc, key, &creds)?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ModuleError::Io { path: parent.to_path_buf(), source: e })?;
            }
            std::fs::write(&target, data).map_err(|e| ModuleError::Io { path: target.clone(), source: e })?;
            fetched += 1;
        }
        let truncated = xml_values(&text, "IsTruncated").first().is_some_and(|t| t == "true");
        if !truncated {
            break;
        }
        marker = xml_values(&text, "NextMarker").into_iter().next().or_else(|| keys.last().cloned());
        if marker.is_none() {
            break;
        }
    }
    if fetched == 0 {
        return Err(ModuleError::NotFound { url: format!("s3::{}/{}", loc.base, loc.key), what: format!("no object below {prefix:?}") });
    }
    std::fs::create_dir_all(dest).map_err(|e| ModuleError::Io { path: dest.to_path_buf(), source: e })
}

fn get_object(http: &Http, loc: &Location, key: &str, creds: &Credentials) -> Result<(String, Vec<u8>), ModuleError> {
    let query: Vec<(String, String)> = loc.version.iter().map(|v| ("versionId".to_string(), v.clone())).collect();
    signed_get(http, loc, key, &query, creds)
}

/// A signed GET of `base/KEY?query`; the body of a successful answer.
fn signed_get(http: &Http, loc: &Location, key: &str, query: &[(String, String)], creds: &Credentials) -> Result<(String, Vec<u8>), ModuleError> {
    let base = url::Url::parse(&loc.base).map_err(|e| ModuleError::BadSource { source_text: loc.base.clone(), why: e.to_string() })?;
    let host = match base.port() {
        Some(p) => format!("{}:{p}", base.host_str().unwrap_or_default()),
        None => base.host_str().unwrap_or_default().to_string(),
    };
    let path = format!("{}/{}", base.path().trim_end_matches('/'), encode_path(key));
    let path = if path.is_empty() { "/".to_string() } else { path };
    let query_text = canonical_query(query);
    let url = format!("{}://{host}{path}{}", base.scheme(), if query_text.is_empty() { String::new() } else { format!("?{query_text}") });
    let now = amz_date(std::time::SystemTime::now());
    let payload = hex::encode(Sha256::digest(b""));
    let mut headers = vec![("host".to_string(), host.clone()), ("x-amz-content-sha256".to_string(), payload.clone()), ("x-amz-date".to_string(), now.clone())];
    if let Some(t) = &creds.session_token {
        headers.push(("x-amz-security-token".to_string(), t.clone()));
    }
    let authorization = sign(&Request { method: "GET", path: &path, query, headers: &headers, payload_sha256: &payload }, creds, &loc.region, "s3", &now);
    let mut send: Vec<(&str, String)> = headers.iter().filter(|(k, _)| k != "host").map(|(k, v)| (k.as_str(), v.clone())).collect();
    send.push(("authorization", authorization));
    let r = http.get_with(&url, &send)?;
    if !(200..300).contains(&r.status) {
        // S3's error document: its code and message say what is wrong (the
        // request id beside them would only make every message differ).
        let text = String::from_utf8_lossy(&r.body);
        let (code, message) = (xml_values(&text, "Code"), xml_values(&text, "Message"));
        return Err(match code.first() {
            Some(c) => ModuleError::Http { url, status: r.status, body: format!("{c}: {}", message.first().map(String::as_str).unwrap_or("")) },
            None => http_error(&url, &r),
        });
    }
    Ok((url, r.body))
}

/// Static credentials from the environment, else from the shared files.
pub(crate) fn from_environment(env: &BTreeMap<String, String>) -> Option<Credentials> {
    let var = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
    if let (Some(access_key), Some(secret_key)) =
        (var("AWS_ACCESS_KEY_ID").or_else(|| var("AWS_ACCESS_KEY")), var("AWS_SECRET_ACCESS_KEY").or_else(|| var("AWS_SECRET_KEY")))
    {
        return Some(Credentials { access_key, secret_key, session_token: var("AWS_SESSION_TOKEN") });
    }
    let profile = var("AWS_PROFILE").or_else(|| var("AWS_DEFAULT_PROFILE")).unwrap_or_else(|| "default".to_string());
    let home = var("HOME");
    let file = |var_name: &str, rel: &str| var(var_name).or_else(|| home.as_ref().map(|h| format!("{h}/.aws/{rel}")));
    // The credentials file names sections by profile; the config file by
    // `profile NAME`, except `default`.
    let config_section = if profile == "default" { profile.clone() } else { format!("profile {profile}") };
    for (path, section) in [(file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile.clone()), (file("AWS_CONFIG_FILE", "config"), config_section)] {
        let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else { continue };
        let values = ini_section(&text, &section);
        if let (Some(access_key), Some(secret_key)) = (values.get("aws_access_key_id"), values.get("aws_secret_access_key")) {
            return Some(Credentials {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
                session_token: values.get("aws_session_token").cloned(),
            });
        }
    }
    None
}

/// The `key = value` lines of one `[section]` of an INI file.
fn ini_section(text: &str, section: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            out.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// One request as SigV4 sees it. `path` is already URI-encoded; `headers`
/// are every header to sign, names in lower case.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
}

/// The `Authorization` header of AWS Signature Version 4 for a request
/// made at `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub(crate) fn sign(req: &Request<'_>, creds: &Credentials, region: &str, service: &str, amz_date: &str) -> String {
    let mut headers: Vec<(String, String)> =
        req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.split_whitespace().collect::<Vec<_>>().join(" "))).collect();
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!("{}\n{}\n{}\n{canonical_headers}\n{signed}\n{}", req.method, req.path, canonical_query(req.query), req.payload_sha256);
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let mut key = hmac_sha256(format!("AWS4{}", creds.secret_key).as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac_sha256(&key, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}", creds.access_key)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's encoding: everything but `A-Za-z0-9-._~` as `%XX`.
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn encode_path(s: &str) -> String {
    encode(s, true)
}

/// The query sorted by name then value, both encoded.
fn canonical_query(query: &[(String, String)]) -> String {
    let mut q: Vec<(String, String)> = query.iter().map(|(k, v)| (encode(k, false), encode(v, false))).collect();
    q.sort();
    q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_else(|| s.to_string())
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
pub(crate) fn amz_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The text of every `<name>...</name>` element, XML entities decoded.
pub(super) fn xml_values(doc: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&"));
        rest = &after[j + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Credentials {
        Credentials { access_key: "AKIDEXAMPLE".into(), secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(), session_token: None }
    }

    /// AWS's published Signature Version 4 test suite: `get-vanilla` and
    /// `get-vanilla-query-order-key-case`.
    #[test]
    fn signatures_match_the_aws_test_suite() {
        let headers = vec![("Host".to_string(), "example.amazonaws.com".to_string()), ("X-Amz-Date".to_string(), "20150830T123600Z".to_string())];
        let empty = hex::encode(Sha256::digest(b""));
        let auth = sign(
            &Request { method: "GET", path: "/", query: &[], headers: &headers, payload_sha256: &empty },
            &example(),
            "us-east-1",
            "service",
            "20150830T123600Z",
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let query = vec![("Param2".to_string(), "value2".to_string()), ("Param1".to_string(), "value1".to_string())];
        let auth = sign(
            &Request { method: "GET", path: "/", query: &query, headers: &headers, payload_sha256: &empty },
            &example(),
            "us-east-1",
            "service",
            "20150830T123600Z",
        );
        assert!(auth.ends_with("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"), "{auth}");
    }

    #[test]
    fn dates_are_utc_in_the_basic_format() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
        assert_eq!(amz_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400)), "20000229T000000Z");
    }

    #[test]
    fn urls_are_read_as_go_getter_reads_them() {
        let l = parse("https://s3.amazonaws.com/bucket/mods/net.zip").unwrap();
        assert_eq!(
            (l.base.as_str(), l.bucket.as_str(), l.key.as_str(), l.region.as_str()),
            ("https://bucket.s3.us-east-1.amazonaws.com", "bucket", "mods/net.zip", "us-east-1")
        );
        let l = parse("https://s3-eu-west-1.amazonaws.com/bucket/x").unwrap();
        assert_eq!((l.bucket.as_str(), l.key.as_str(), l.region.as_str()), ("bucket", "x", "eu-west-1"));
        let l = parse("https://bucket.s3-eu-west-2.amazonaws.com/a/b").unwrap();
        assert_eq!((l.bucket.as_str(), l.key.as_str(), l.region.as_str()), ("bucket", "a/b", "eu-west-2"));
        let l = parse("https://my.bucket.s3.ap-south-1.amazonaws.com/k?version=v7").unwrap_err();
        assert!(l.to_string().contains("not an S3 host"), "{l}");
        let l = parse("https://bucket.s3.ap-south-1.amazonaws.com/k?version=v7").unwrap();
        assert_eq!((l.region.as_str(), l.version.as_deref()), ("ap-south-1", Some("v7")));
        let l = parse("http://127.0.0.1:9000/b/dir/m.tar.gz?region=eu-north-1&aws_access_key_id=AK&aws_access_key_secret=SK").unwrap();
        assert_eq!((l.base.as_str(), l.key.as_str(), l.region.as_str()), ("http://127.0.0.1:9000/b", "dir/m.tar.gz", "eu-north-1"));
        assert_eq!(l.credentials, Some(Credentials { access_key: "AK".into(), secret_key: "SK".into(), session_token: None }));
        assert!(!format!("{l:?}").contains("SK"), "secrets stay out of Debug");
        assert!(parse("https://s3.amazonaws.com/bucket-only").is_err());
    }

    #[test]
    fn credentials_come_from_the_environment_then_the_shared_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".aws")).unwrap();
        std::fs::write(d.path().join(".aws/credentials"), "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n\n[ci]\naws_access_key_id=CI\naws_secret_access_key=cisecret\naws_session_token=tok\n").unwrap();
        std::fs::write(d.path().join(".aws/config"), "[profile cfg]\naws_access_key_id = CFG\naws_secret_access_key = cfgsecret\n").unwrap();
        let home = d.path().display().to_string();
        let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            let mut m: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            m.insert("HOME".into(), home.clone());
            m
        };
        assert_eq!(from_environment(&env(&[("AWS_ACCESS_KEY_ID", "ENV"), ("AWS_SECRET_ACCESS_KEY", "s")])).unwrap().access_key, "ENV");
        assert_eq!(from_environment(&env(&[])).unwrap().access_key, "DEF");
        let ci = from_environment(&env(&[("AWS_PROFILE", "ci")])).unwrap();
        assert_eq!((ci.access_key.as_str(), ci.session_token.as_deref()), ("CI", Some("tok")));
        assert_eq!(from_environment(&env(&[("AWS_PROFILE", "cfg")])).unwrap().access_key, "CFG");
        assert!(from_environment(&env(&[("AWS_PROFILE", "nobody")])).is_none());
    }

    #[test]
    fn list_answers_are_read() {
        let doc = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>m/a&amp;b.tf</Key></Contents><Contents><Key>m/c.tf</Key></Contents></ListBucketResult>";
        assert_eq!(xml_values(doc, "Key"), ["m/a&b.tf", "m/c.tf"]);
        assert_eq!(xml_values(doc, "IsTruncated"), ["true"]);
    }
}
