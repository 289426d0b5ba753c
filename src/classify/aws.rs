//! The AWS exceptions Bedrock answers with, as `cloud-providers.md` judges them, and finding
//! one named in text.

use super::{Class, Confidence};

/// One AWS exception: its name, its HTTP status, its fixed reading (None: the text
/// decides) and what it means.
pub(crate) type AwsRow = (&'static str, u16, Option<(Class, Confidence)>, &'static str);

/// AWS exceptions that Bedrock answers with (matched case-insensitively, so the lower-camel
/// stream names match too), as `cloud-providers.md` §1.1 and §3 judge them. `None` class: the
/// message text decides (a throttle).
pub(crate) const AWS_EXCEPTIONS: &[AwsRow] = &[
    (
        "ThrottlingException",
        429,
        None,
        "an AWS throttle (ThrottlingException)",
    ),
    (
        "ServiceQuotaExceededException",
        400,
        Some((Class::Unknown, Confidence::Possible)),
        "ServiceQuotaExceededException: a Bedrock service quota is exceeded; the error does not say which one",
    ),
    (
        "ModelNotReadyException",
        429,
        Some((Class::Overload, Confidence::Likely)),
        "ModelNotReadyException: the model is not ready to serve (capacity, not your quota); the SDK retries it",
    ),
    (
        "ServiceUnavailableException",
        503,
        Some((Class::Overload, Confidence::Likely)),
        "ServiceUnavailableException: Bedrock is short of capacity, \"not related to your account-level quotas\"",
    ),
    (
        "ValidationException",
        400,
        Some((Class::NotRateLimit, Confidence::Certain)),
        "ValidationException: the request is invalid (not a rate limit), whatever \"retry\" it mentions",
    ),
    (
        "AccessDeniedException",
        403,
        Some((Class::NotRateLimit, Confidence::Certain)),
        "AccessDeniedException: the caller may not use this model (not a rate limit)",
    ),
    (
        "ResourceNotFoundException",
        404,
        Some((Class::NotRateLimit, Confidence::Likely)),
        "ResourceNotFoundException: the model or resource does not exist here (not a rate limit)",
    ),
    (
        "ModelTimeoutException",
        408,
        Some((Class::NotRateLimit, Confidence::Likely)),
        "ModelTimeoutException: processing exceeded the model timeout (not a rate limit)",
    ),
    (
        "ModelStreamErrorException",
        424,
        Some((Class::NotRateLimit, Confidence::Likely)),
        "ModelStreamErrorException: an error while streaming (not a rate limit); retry once",
    ),
    (
        "ModelErrorException",
        424,
        Some((Class::NotRateLimit, Confidence::Likely)),
        "ModelErrorException: the model failed on the request (not a rate limit)",
    ),
    (
        "InternalServerException",
        500,
        Some((Class::NotRateLimit, Confidence::Likely)),
        "InternalServerException: a Bedrock server error (not a rate limit); retry with backoff",
    ),
];

/// Words that put an exception name in free text in AWS's mouth.
pub(crate) const AWS_CONTEXT: &[&str] = &[
    "an error occurred (",
    "botocore",
    "boto3",
    "$metadata",
    "$fault",
    "x-amzn",
    "bedrock",
    "amazonaws",
    "exception-type",
    "aws",
    "please wait before trying again",
    "request rate is too high",
    "invokemodel",
    "converse",
    "anthropic.claude-",
];

/// The AWS exception named in lower-cased text: its table row and the name as found.
pub(crate) fn aws_exception(lower: &str) -> Option<&'static AwsRow> {
    if !lower.contains("exception") {
        return None;
    }
    AWS_EXCEPTIONS.iter().find(|(name, ..)| {
        let name = name.to_ascii_lowercase();
        lower.match_indices(&name).any(|(i, _)| {
            // Not part of a longer identifier (`myvalidationexception` is someone else's).
            !lower[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        })
    })
}

/// The status an AWS exception name stands for (boto3, AWS CLI and SDK lines).
pub fn aws_exception_status(lower: &str) -> Option<u16> {
    aws_exception(lower).map(|e| e.1)
}
