//! The provider's errors: which resource, what failed, and AWS's error code
//! and message when the API refused.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::provider::ProviderError;
use iac_provider_sdk::DecodeError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AwsError {
    /// AWS refused or failed: its error code and message.
    #[error("{addr}: {code}: {message}")]
    Api { addr: String, code: String, message: String },
    #[error("{addr}: timed out after {seconds}s waiting for {what}")]
    Timeout { addr: String, what: String, seconds: u64 },
    /// The configuration cannot be carried out (detected before a change).
    #[error("{addr}: {message}")]
    Invalid { addr: String, message: String },
    /// The object reached a state it will not leave by itself (FAILED).
    #[error("{addr}: {message}")]
    Failed { addr: String, message: String },
    /// A value did not fit its type's model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Codes AWS uses for "no such object" across the services this provider calls.
const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchEntity",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "NotFound",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchTagSet",
    // KMS, SQS (its JSON code and its query-compatible one).
    "NotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

pub fn is_not_found_code(code: &str) -> bool {
    code.ends_with(".NotFound") || code.ends_with(".Malformed") || NOT_FOUND_CODES.contains(&code)
}

impl AwsError {
    pub fn invalid(addr: &str, message: impl Into<String>) -> AwsError {
        AwsError::Invalid { addr: addr.to_string(), message: message.into() }
    }

    /// The AWS error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code().is_some_and(is_not_found_code)
    }

    pub fn has_code(&self, codes: &[&str]) -> bool {
        self.code().is_some_and(|c| codes.contains(&c))
    }
}

/// Maps an SDK error to [`AwsError::Api`] for `addr`: AWS's code and message
/// when the service answered, else the kind of failure (dispatch, timeout).
pub fn sdk<E>(addr: &str) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError + '_
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| {
        let code = match (&e, e.code()) {
            (_, Some(c)) => c.to_string(),
            // An answer that is not an AWS error document (a proxy's or an
            // emulator's HTML page): its HTTP status is all there is.
            (SdkError::ServiceError(ctx), None) => {
                let body = ctx.raw().body().bytes().map(|b| String::from_utf8_lossy(b).chars().take(200).collect::<String>()).unwrap_or_default();
                return AwsError::Api {
                    addr: addr.to_string(),
                    code: format!("HTTP{}", ctx.raw().status().as_u16()),
                    message: format!("the endpoint answered without an AWS error code: {}", body.split_whitespace().collect::<Vec<_>>().join(" ")),
                };
            }
            (SdkError::DispatchFailure(_), None) => "DispatchFailure".into(),
            (SdkError::TimeoutError(_), None) => "RequestTimeout".into(),
            (SdkError::ConstructionFailure(_), None) => "ConstructionFailure".into(),
            (SdkError::ResponseError(_), None) => "ResponseError".into(),
            (_, None) => "Unknown".into(),
        };
        let message = match e.message() {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => DisplayErrorContext(&e).to_string(),
        };
        AwsError::Api { addr: addr.to_string(), code, message }
    }
}

/// Like [`sdk`], but "no such object" becomes `Ok(None)`.
pub fn absent<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> ProviderError {
        match &e {
            AwsError::Api { code, .. } => ProviderError::Api { code: code.clone(), message: e.to_string() },
            AwsError::Timeout { addr, what, seconds } => ProviderError::Timeout { what: format!("{addr}: {what}"), seconds: *seconds },
            AwsError::Invalid { .. } => ProviderError::InvalidConfig(e.to_string()),
            AwsError::Failed { .. } => ProviderError::Api { code: "FAILED".into(), message: e.to_string() },
            AwsError::Decode(_) => ProviderError::Other(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_codes_of_every_service_are_recognised() {
        for c in
            ["InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "NoSuchEntity", "ResourceNotFoundException", "NoSuchBucket", "InvalidAllocationID.NotFound"]
        {
            assert!(is_not_found_code(c), "{c}");
        }
        for c in ["DependencyViolation", "Throttling", "AccessDenied", "InvalidParameterValue"] {
            assert!(!is_not_found_code(c), "{c}");
        }
    }

    #[test]
    fn provider_errors_carry_the_address_code_and_message() {
        let e = AwsError::Api { addr: "aws_vpc.main".into(), code: "InvalidVpcRange".into(), message: "The CIDR '10.0.0.0/29' is invalid.".into() };
        let p = ProviderError::from(e);
        assert_eq!(
            p,
            ProviderError::Api { code: "InvalidVpcRange".into(), message: "aws_vpc.main: InvalidVpcRange: The CIDR '10.0.0.0/29' is invalid.".into() }
        );
    }
}
