//! Data sources on JSON-protocol services: `aws_ssm_parameter` (one
//! GetParameter; `value` is sensitive, `insecure_value` holds it too unless
//! the parameter is a SecureString) and `aws_ecrpublic_authorization_token`
//! (ECR Public's GetAuthorizationToken: the base64 `AWS:<password>` token,
//! split as upstream splits it, valid until `expires_at`; ECR Public answers
//! in us-east-1 only, so stacks read it through a provider in that region).

use base64::Engine;
use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use super::svc::{call, non_empty, number};
use super::{AwsCx, Cx};
use crate::error::AwsError;
use crate::json_api::{ECR_PUBLIC, SSM};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct ParameterModel {
    /// the parameter's name
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required)]
    name: String,
    /// decrypt a SecureString (default true)
    #[sdk(optional)]
    with_decryption: Option<bool>,
    #[sdk(computed)]
    arn: Option<String>,
    /// String, StringList or SecureString
    #[sdk(computed, name = "type")]
    type_: Option<String>,
    #[sdk(computed, sensitive)]
    value: Option<String>,
    /// the value unless the parameter is a SecureString
    #[sdk(computed)]
    insecure_value: Option<String>,
    #[sdk(computed)]
    version: Option<i64>,
}

pub struct ParameterData;

#[async_trait]
impl DataSource<Aws> for ParameterData {
    type Model = ParameterModel;
    const TYPE: &'static str = "aws_ssm_parameter";

    async fn read(&self, cx: &Cx<'_>, config: ParameterModel) -> Result<ParameterModel, AwsError> {
        let decrypt = config.with_decryption.unwrap_or(true);
        let out = call(cx, &SSM, "GetParameter", json!({ "Name": config.name, "WithDecryption": decrypt })).await?;
        let p = &out["Parameter"];
        let type_ = p["Type"].as_str().unwrap_or_default().to_string();
        let value = p["Value"].as_str().unwrap_or_default().to_string();
        Ok(ParameterModel {
            id: non_empty(p, "Name"),
            name: non_empty(p, "Name").unwrap_or(config.name),
            with_decryption: Some(decrypt),
            arn: non_empty(p, "ARN"),
            insecure_value: Some(if type_ == "SecureString" { String::new() } else { value.clone() }),
            type_: Some(type_),
            value: Some(value),
            version: number(p, "Version"),
        })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct AuthorizationTokenModel {
    /// the region
    #[sdk(computed)]
    id: Option<String>,
    /// base64 of user_name:password
    #[sdk(computed, sensitive)]
    authorization_token: Option<String>,
    #[sdk(computed, sensitive)]
    password: Option<String>,
    #[sdk(computed)]
    user_name: Option<String>,
    /// RFC 3339
    #[sdk(computed)]
    expires_at: Option<String>,
}

pub struct AuthorizationTokenData;

/// Seconds since the epoch as RFC 3339 in UTC (`2024-01-02T03:04:05Z`).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[async_trait]
impl DataSource<Aws> for AuthorizationTokenData {
    type Model = AuthorizationTokenModel;
    const TYPE: &'static str = "aws_ecrpublic_authorization_token";

    async fn read(&self, cx: &Cx<'_>, _config: AuthorizationTokenModel) -> Result<AuthorizationTokenModel, AwsError> {
        let out = call(cx, &ECR_PUBLIC, "GetAuthorizationToken", json!({})).await?;
        let data = &out["authorizationData"];
        let token = data["authorizationToken"].as_str().unwrap_or_default().to_string();
        let expires = match &data["expiresAt"] {
            Json::Number(n) => n.as_f64().map(|s| rfc3339(s as i64)),
            Json::String(s) => Some(s.clone()),
            _ => None,
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&token)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&token))
            .map_err(|e| cx.invalid(format!("decoding the ECR Public authorization token: {e}")))?;
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        let (user, password) = match decoded.split(':').collect::<Vec<_>>()[..] {
            [u, p] => (u.to_string(), p.to_string()),
            _ => return Err(cx.invalid("unknown Public ECR authorization token format")),
        };
        Ok(AuthorizationTokenModel {
            id: Some(cx.provider.region().to_string()),
            authorization_token: Some(token),
            password: Some(password),
            user_name: Some(user),
            expires_at: expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
