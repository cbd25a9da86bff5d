//! Spaces, DigitalOcean's S3-compatible object storage, through its S3 API
//! (the AWS SDK's S3 client pointed at the region's Spaces endpoint, with
//! the provider's Spaces keys), as upstream does: [`bucket`]
//! (`digitalocean_spaces_bucket`), [`policy`] (`_bucket_policy`), [`cors`]
//! (`_bucket_cors_configuration`) and [`object`] (`_bucket_object`). The
//! keys themselves are made through the DigitalOcean API
//! (`platform::spaces_key`).

pub mod bucket;
pub mod cors;
pub mod object;
pub mod policy;

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::Client as S3;
use iac_core::Value;
use iac_provider_sdk::AttrPath;
use serde_json::Value as Json;

use crate::error::DoError;
use crate::settings::SpacesSettings;
use crate::values::get_str;

/// Spaces' S3 clients, one per region, made on first use.
pub struct Spaces {
    settings: SpacesSettings,
    clients: Mutex<HashMap<String, S3>>,
}

impl Spaces {
    pub fn new(settings: SpacesSettings) -> Spaces {
        Spaces { settings, clients: Mutex::new(HashMap::new()) }
    }

    /// The S3 client of `region`'s endpoint.
    fn client(&self, addr: &str, region: &str) -> Result<S3, DoError> {
        let Some((id, secret)) = &self.settings.keys else {
            return Err(DoError::Invalid {
                addr: addr.to_string(),
                message: "no Spaces keys: set the provider's spaces_access_id and spaces_secret_key, or SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY"
                    .into(),
            });
        };
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(region) {
            return Ok(c.clone());
        }
        let creds = aws_sdk_s3::config::Credentials::new(id, secret.expose(), None, None, "digitalocean provider spaces keys");
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            // Spaces takes any signing region; the endpoint picks the region.
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(self.settings.endpoint_for(region))
            .credentials_provider(creds)
            .force_path_style(true)
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
            .build();
        let c = S3::from_conf(conf);
        clients.insert(region.to_string(), c.clone());
        Ok(c)
    }
}

/// An S3 failure as the provider's error (code, message; never the keys).
fn s3<E: ProvideErrorMetadata + std::fmt::Debug>(
    addr: &str,
) -> impl FnOnce(aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> DoError + '_ {
    move |e| {
        let status = e.raw_response().map(|r| r.status().as_u16());
        let code = e.code().map(str::to_string).unwrap_or_else(|| status.map(|s| format!("HTTP{s}")).unwrap_or_else(|| "transport".into()));
        let message = e.message().map(str::to_string).unwrap_or_else(|| match &e {
            aws_sdk_s3::error::SdkError::DispatchFailure(d) => format!("{d:?}"),
            other => format!("{other:?}").chars().take(300).collect(),
        });
        DoError::Spaces { addr: addr.to_string(), code, message }
    }
}

/// `None` for a missing bucket or configuration (`codes`).
fn missing<T>(r: Result<T, DoError>, codes: &[&str]) -> Result<Option<T>, DoError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(DoError::Spaces { code, .. }) if codes.contains(&code.as_str()) || code == "NoSuchBucket" || code == "HTTP404" => Ok(None),
        Err(e) => Err(e),
    }
}

fn invalid(addr: &str) -> impl Fn(aws_sdk_s3::error::BuildError) -> DoError + '_ {
    move |e| DoError::Invalid { addr: addr.to_string(), message: e.to_string() }
}

/// The regions Spaces serves (upstream's list; the API does not tell).
pub const SPACES_REGIONS: &[&str] = &["ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1"];

/// A top-level attribute's path, for validation messages.
fn at(k: &str) -> AttrPath {
    AttrPath::root().child(iac_core::PathStep::Attr(k.into()))
}

/// Upstream's check of a `region` argument: a Spaces region, in any case.
fn check_region(config: &Value, out: &mut Vec<(AttrPath, String)>) {
    if let Some(r) = get_str(config, "region") {
        if !SPACES_REGIONS.iter().any(|s| s.eq_ignore_ascii_case(r)) {
            out.push((at("region"), format!("expected region to be one of {SPACES_REGIONS:?}, got {r}")));
        }
    }
}

/// `region,bucket`, the import ID of the types that belong to a bucket.
fn region_and_bucket<'a>(addr: &str, id: &'a str, what: &str) -> Result<(&'a str, &'a str), DoError> {
    id.split_once(',')
        .filter(|(r, b)| !r.is_empty() && !b.is_empty() && !b.contains(','))
        .ok_or_else(|| DoError::Invalid { addr: addr.to_string(), message: format!("importing a {what} requires the format `region,bucket`, not {id:?}") })
}

/// A JSON document's text as upstream's state holds it (Terraform's
/// `NormalizeJsonString`, Go's encoding): compact, object keys sorted, and
/// `<`, `>`, `&`, U+2028 and U+2029 escaped as Go escapes them. None when
/// the text is not JSON.
pub fn normalize_json(text: &str) -> Option<String> {
    fn sorted(j: Json) -> Json {
        match j {
            Json::Object(m) => {
                let mut entries: Vec<(String, Json)> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    let j: Json = serde_json::from_str(text).ok()?;
    let compact = serde_json::to_string(&sorted(j)).ok()?;
    // These characters only occur inside strings, where Go writes them escaped.
    Some(compact.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029"))
}

#[cfg(test)]
mod tests {
    use super::normalize_json;

    #[test]
    fn json_documents_are_written_as_upstream_writes_them() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"a<b&c>\", \"Effect\": \"Allow\"}]\n}";
        assert_eq!(normalize_json(text).as_deref(), Some(r#"{"Statement":[{"Effect":"Allow","Sid":"a\u003cb\u0026c\u003e"}],"Version":"2012-10-17"}"#));
        assert_eq!(normalize_json("not json"), None);
    }
}
