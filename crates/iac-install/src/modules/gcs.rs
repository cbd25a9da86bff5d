//! `gcs::` module sources, read as go-getter's GCS getter reads them:
//! `gcs::https://www.googleapis.com/storage/v1/BUCKET/OBJECT`. An object
//! with an archive extension (or `?archive=`) is fetched and unpacked; any
//! other name is a directory, every object below `OBJECT/` fetched to its
//! relative path.
//!
//! Requests go where Google's Go client sends them: objects are read
//! through the XML API (`GET https://storage.googleapis.com/BUCKET/OBJECT`),
//! listed through the JSON API (`GET .../storage/v1/b/BUCKET/o?prefix=`,
//! paged by `pageToken`); `STORAGE_EMULATOR_HOST` points both at an
//! emulator, as it does for the Go client. The bearer token is
//! `GOOGLE_OAUTH_ACCESS_TOKEN`, as go-getter takes it; without one the
//! request is anonymous (public buckets, emulators). Service-account keys
//! (`GOOGLE_APPLICATION_CREDENTIALS`) and the metadata server are not read.

use std::collections::BTreeMap;
use std::path::Path;

use super::archive::{self, Kind};
use super::registry::{http_error, Http};
use super::ModuleError;

/// A GCS object or prefix.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Location {
    pub bucket: String,
    pub object: String,
}

/// Reads a `gcs::` URL (without the `gcs::` and `archive=`).
pub(super) fn parse(raw: &str) -> Result<Location, ModuleError> {
    let bad = |why: &str| ModuleError::BadSource { source_text: format!("gcs::{raw}"), why: why.to_string() };
    let u = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL: {e}")))?;
    let host = u.host_str().unwrap_or_default();
    if !host.contains("googleapis.com") || host.split('.').count() != 3 {
        return Err(bad("a GCS source is https://www.googleapis.com/storage/v1/BUCKET/OBJECT"));
    }
    // /storage/v1/BUCKET/OBJECT
    let parts: Vec<&str> = u.path().splitn(5, '/').collect();
    if parts.len() != 5 || parts[1] != "storage" || parts[3].is_empty() || parts[4].is_empty() {
        return Err(bad("a GCS source is https://www.googleapis.com/storage/v1/BUCKET/OBJECT"));
    }
    let object = url::form_urlencoded::parse(format!("x={}", parts[4].replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
    Ok(Location { bucket: parts[3].to_string(), object })
}

/// Fetches the object (an archive, unpacked) or every object below the
/// prefix into `dest`.
pub(super) fn fetch(http: &Http, raw: &str, kind: Option<Kind>, dest: &Path, env: &BTreeMap<String, String>) -> Result<(), ModuleError> {
    let loc = parse(raw)?;
    let endpoint = match env.get("STORAGE_EMULATOR_HOST").filter(|h| !h.is_empty()) {
        Some(h) if h.contains("://") => h.trim_end_matches('/').to_string(),
        Some(h) => format!("http://{}", h.trim_end_matches('/')),
        None => "https://storage.googleapis.com".to_string(),
    };
    let headers: Vec<(&str, String)> =
        env.get("GOOGLE_OAUTH_ACCESS_TOKEN").filter(|t| !t.is_empty()).map(|t| vec![("authorization", format!("Bearer {t}"))]).unwrap_or_default();
    tracing::debug!(bucket = %loc.bucket, object = %loc.object, %endpoint, authenticated = !headers.is_empty(), "fetching from Google Cloud Storage");
    let read = |object: &str| -> Result<(String, Vec<u8>), ModuleError> {
        let url = format!("{endpoint}/{}/{}", enc(&loc.bucket), enc(object).replace("%2F", "/"));
        let r = http.get_with(&url, &headers)?;
        if !(200..300).contains(&r.status) {
            return Err(http_error(&url, &r));
        }
        Ok((url, r.body))
    };
    if let Some(kind) = kind {
        let (url, body) = read(&loc.object)?;
        return archive::unpack(kind, &body, dest, &url);
    }
    let prefix = format!("{}/", loc.object.trim_end_matches('/'));
    let mut page: Option<String> = None;
    let mut fetched = 0;
    loop {
        let mut url = format!("{endpoint}/storage/v1/b/{}/o?prefix={}", enc(&loc.bucket), enc(&prefix));
        if let Some(p) = &page {
            url.push_str(&format!("&pageToken={}", enc(p)));
        }
        let r = http.get_with(&url, &headers)?;
        if !(200..300).contains(&r.status) {
            return Err(http_error(&url, &r));
        }
        let doc: serde_json::Value =
            serde_json::from_slice(&r.body).map_err(|e| ModuleError::Http { url: url.clone(), status: r.status, body: format!("not an object list: {e}") })?;
        for item in doc.get("items").and_then(|i| i.as_array()).into_iter().flatten() {
            let Some(name) = item.get("name").and_then(|n| n.as_str()) else { continue };
            let Some(rel) = name.strip_prefix(&prefix).filter(|r| !r.is_empty() && !r.ends_with('/')) else { continue };
            let target = archive::safe_path(rel)
                .map(|r| dest.join(r))
                .ok_or_else(|| ModuleError::ArchiveCorrupt { url: url.clone(), why: format!("the object {name:?} leads outside the module") })?;
            let (_, data) = read(name)?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ModuleError::Io { path: parent.to_path_buf(), source: e })?;
            }
            std::fs::write(&target, data).map_err(|e| ModuleError::Io { path: target.clone(), source: e })?;
            fetched += 1;
        }
        page = doc.get("nextPageToken").and_then(|p| p.as_str()).filter(|p| !p.is_empty()).map(str::to_string);
        if page.is_none() {
            break;
        }
    }
    if fetched == 0 {
        return Err(ModuleError::NotFound { url: format!("gcs::{raw}"), what: format!("no object below {prefix:?}") });
    }
    std::fs::create_dir_all(dest).map_err(|e| ModuleError::Io { path: dest.to_path_buf(), source: e })
}

/// Percent-encoding of a path segment or query value.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_go_getter_reads_them() {
        assert_eq!(
            parse("https://www.googleapis.com/storage/v1/bucket/mods/net.zip").unwrap(),
            Location { bucket: "bucket".into(), object: "mods/net.zip".into() }
        );
        assert!(parse("https://storage.example.com/storage/v1/bucket/x").is_err());
        assert!(parse("https://www.googleapis.com/storage/v1/bucket").is_err());
        assert_eq!(enc("a b/c"), "a%20b%2Fc");
    }
}
