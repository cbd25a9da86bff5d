//! The token `aws_eks_cluster_auth` returns: a presigned STS
//! GetCallerIdentity URL carrying the cluster name in the signed
//! `x-k8s-aws-id` header, base64url-encoded behind `k8s-aws-v1.`, exactly as
//! aws-iam-authenticator makes it. EKS accepts it for 15 minutes after
//! signing; it is made fresh on every read and marked sensitive.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;

pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The header EKS checks to bind the token to one cluster.
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";
/// How long EKS accepts a token after it was signed.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A token for `cluster`, signed at `now` for STS at `sts_url` in `region`.
pub fn token(sts_url: &str, region: &str, cluster: &str, creds: Credentials, now: SystemTime) -> Result<String, String> {
    let url = format!("{}/?Action=GetCallerIdentity&Version=2011-06-15", sts_url.trim_end_matches('/'));
    let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).ok_or_else(|| format!("bad STS URL {sts_url:?}"))?.to_string();
    let identity = Identity::from(creds);
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    // aws-iam-authenticator signs for 60 seconds; EKS applies its own 15 minutes.
    settings.expires_in = Some(Duration::from_secs(60));
    let params =
        v4::SigningParams::builder().identity(&identity).region(region).name("sts").time(now).settings(settings).build().map_err(|e| e.to_string())?.into();
    let headers = [("host", host.as_str()), (CLUSTER_ID_HEADER, cluster)];
    let req = SignableRequest::new("GET", url.as_str(), headers.into_iter(), SignableBody::Bytes(&[])).map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign(req, &params).map_err(|e| e.to_string())?.into_parts();
    let mut signed = url.clone();
    for (k, v) in instructions.params() {
        signed.push('&');
        signed.push_str(k);
        signed.push('=');
        signed.push_str(&percent_encoding::utf8_percent_encode(v, QUERY).to_string());
    }
    Ok(format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed)))
}

/// Characters a query value keeps as they are (RFC 3986 unreserved).
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The presigned URL inside a token (for checks and tests).
pub fn decode(token: &str) -> Option<String> {
    let b = token.strip_prefix(TOKEN_PREFIX)?;
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "test")
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_bound_to_the_cluster() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = token("https://sts.eu-west-1.amazonaws.com", "eu-west-1", "platform", creds(), at).unwrap();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert!(!t.contains('=') && !t.contains('+') && !t.contains('/'), "base64url without padding: {t}");
        let url = decode(&t).unwrap();
        assert!(url.starts_with("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"), "{url}");
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20231114T221320Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        assert!(!url.contains("wJalrXUtnFEMI"), "the secret key is never in the token");
        // Signed for another cluster, or at another time, the token differs.
        assert_ne!(t, token("https://sts.eu-west-1.amazonaws.com", "eu-west-1", "other", creds(), at).unwrap());
        assert_ne!(t, token("https://sts.eu-west-1.amazonaws.com", "eu-west-1", "platform", creds(), at + Duration::from_secs(1)).unwrap());
    }

    #[test]
    fn a_session_token_travels_in_the_url() {
        let c = Credentials::new("ASIAEXAMPLE", "secret", Some("session/token+1".into()), None, "test");
        let url = decode(&token("http://127.0.0.1:5000", "us-east-1", "c", c, SystemTime::now()).unwrap()).unwrap();
        assert!(url.contains("X-Amz-Security-Token=session%2Ftoken%2B1"), "{url}");
    }
}
