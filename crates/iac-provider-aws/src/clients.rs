//! The SDK clients of one configured provider, built from [`Settings`]:
//! region, credentials (static, profile, the SDK's default chain, then an
//! assumed role), endpoint overrides per service, and the adaptive retry
//! mode, which backs off on throttling and transient errors.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::error::AwsError;
use crate::settings::Settings;

pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    /// CloudWatch Logs, SQS, EventBridge, KMS, SSM and ECR Public: one
    /// client for AWS's JSON protocol instead of a generated SDK each.
    pub json: crate::json_api::JsonApi,
    pub region: String,
    sdk: SdkConfig,
    sts_endpoint: Option<String>,
}

/// Credentials for a role assumed with a web identity token: one STS call
/// (unsigned, as the token is the proof), valid for the run.
async fn web_identity_credentials(sdk: &SdkConfig, sts_endpoint: Option<&str>, w: &crate::settings::WebIdentity) -> Result<Credentials, String> {
    let token = match (&w.token, &w.token_file) {
        (Some(t), _) => t.expose().to_string(),
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| format!("reading the web identity token file {f}: {e}"))?.trim().to_string(),
        (None, None) => return Err("assume_role_with_web_identity needs a token".into()),
    };
    let mut b = aws_sdk_sts::config::Builder::from(sdk);
    if let Some(ep) = sts_endpoint {
        b = b.endpoint_url(ep);
    }
    let sts = aws_sdk_sts::Client::from_conf(b.build());
    let mut req = sts.assume_role_with_web_identity().role_arn(&w.role_arn).role_session_name(&w.session_name).web_identity_token(token);
    if let Some(d) = w.duration_seconds {
        req = req.duration_seconds(d);
    }
    if let Some(p) = &w.policy {
        req = req.policy(p);
    }
    for arn in &w.policy_arns {
        req = req.policy_arns(aws_sdk_sts::types::PolicyDescriptorType::builder().arn(arn).build());
    }
    let out = req.send().await.map_err(|e| format!("assuming {} with a web identity: {}", w.role_arn, aws_sdk_sts::error::DisplayErrorContext(&e)))?;
    let c = out.credentials().ok_or("AssumeRoleWithWebIdentity returned no credentials")?;
    Ok(Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_string()), None, "iac-provider-aws-web-identity"))
}

impl Clients {
    pub async fn new(settings: &Settings) -> Result<Clients, String> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive().with_max_attempts(settings.max_attempts));
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let Some(c) = &settings.credentials {
            let creds = Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.expose().to_string(),
                c.session_token.as_ref().map(|t| t.expose().to_string()),
                None,
                "iac-provider-aws",
            );
            loader = loader.credentials_provider(creds);
        }
        let mut sdk = loader.load().await;
        let region = sdk.region().map(|r| r.to_string()).ok_or("no region: set the provider's `region`, or AWS_REGION")?;
        let sts_endpoint = settings.endpoints.get("sts").cloned();
        if let Some(role) = &settings.assume_role {
            // The role is assumed through the same STS endpoint the provider uses.
            let mut base = sdk.to_builder();
            if let Some(ep) = &sts_endpoint {
                base = base.endpoint_url(ep);
            }
            let mut b = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone()).session_name(role.session_name.clone()).configure(&base.build());
            if let Some(x) = &role.external_id {
                b = b.external_id(x.clone());
            }
            let provider = b.build().await;
            sdk = sdk.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        }
        if let Some(w) = &settings.web_identity {
            let creds = web_identity_credentials(&sdk, sts_endpoint.as_deref(), w).await?;
            sdk = sdk.to_builder().credentials_provider(SharedCredentialsProvider::new(creds)).build();
        }
        if sdk.credentials_provider().is_none() {
            return Err("no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or a web identity".into());
        }
        let ep = |svc: &str| settings.endpoints.get(svc).cloned();
        let ec2 = {
            let mut b = aws_sdk_ec2::config::Builder::from(&sdk);
            if let Some(u) = ep("ec2") {
                b = b.endpoint_url(u);
            }
            aws_sdk_ec2::Client::from_conf(b.build())
        };
        let eks = {
            let mut b = aws_sdk_eks::config::Builder::from(&sdk);
            if let Some(u) = ep("eks") {
                b = b.endpoint_url(u);
            }
            aws_sdk_eks::Client::from_conf(b.build())
        };
        let iam = {
            let mut b = aws_sdk_iam::config::Builder::from(&sdk);
            if let Some(u) = ep("iam") {
                b = b.endpoint_url(u);
            }
            aws_sdk_iam::Client::from_conf(b.build())
        };
        let s3 = {
            let mut b = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(settings.s3_path_style());
            if let Some(u) = ep("s3") {
                b = b.endpoint_url(u);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        };
        let sts = {
            let mut b = aws_sdk_sts::config::Builder::from(&sdk);
            if let Some(u) = &sts_endpoint {
                b = b.endpoint_url(u);
            }
            aws_sdk_sts::Client::from_conf(b.build())
        };
        let json = crate::json_api::JsonApi::new(sdk.credentials_provider(), &region, &settings.endpoints, settings.max_attempts)?;
        Ok(Clients { ec2, eks, iam, s3, sts, json, region, sdk, sts_endpoint })
    }

    /// The current credentials (for presigning); never logged.
    pub async fn credentials(&self, addr: &str) -> Result<Credentials, AwsError> {
        let provider = self.sdk.credentials_provider().ok_or_else(|| AwsError::invalid(addr, "no credentials"))?;
        provider.provide_credentials().await.map_err(|e| AwsError::Api {
            addr: addr.to_string(),
            code: "CredentialsError".into(),
            message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        })
    }

    /// The STS endpoint presigned tokens point at.
    pub fn sts_url(&self) -> String {
        self.sts_endpoint.clone().unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", self.region))
    }
}
