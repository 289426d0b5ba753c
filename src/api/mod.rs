//! HTTP in one place: the shared client, the error type every API call returns, and the
//! secret type that keeps keys out of `Debug` and error text.

pub mod client;
pub mod error;
pub mod messages;
pub mod models;
pub mod rate_limits;
pub mod transport;
pub mod usage;

pub use client::{Client, ClientConfig, Secret};

/// Errors talking to Anthropic. Every variant exits with code 3. Messages never contain a key.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no API key: set {var}{file_hint}")]
    MissingKey {
        var: &'static str,
        file_hint: &'static str,
    },
    #[error("authentication failed ({status}): {message}")]
    Auth { status: u16, message: String },
    #[error("not found (404): {what}")]
    NotFound { what: String },
    #[error("the API answered {status}{}: {message}", retries_note(*.retries))]
    Status {
        status: u16,
        message: String,
        retries: u32,
    },
    #[error("timed out after {secs} s talking to {url}")]
    Timeout { url: String, secs: f64 },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the response from {url} is not the documented JSON: {reason}")]
    BadBody { url: String, reason: String },
    #[error(
        "{url} answered {status}, a redirect to {location}; redirects are not followed (the key would go along)"
    )]
    Redirect {
        url: String,
        status: u16,
        location: String,
    },
    #[error("request to {url} failed: {reason}")]
    Other { url: String, reason: String },
}

fn retries_note(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" after {n} retries")
    }
}

impl ApiError {
    /// What to try next, printed as `hint:` under the error.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ApiError::MissingKey { var, .. } => format!("export {var}=... (the key is never printed)"),
            ApiError::Auth { .. } => "the Rate Limits API needs an Admin API key (sk-ant-admin...); a normal API key fails here. Messages probes need a normal key.".into(),
            ApiError::NotFound { .. } => "check the model name or workspace id (list them with `claude-429 limits`)".into(),
            ApiError::Status { status: 429 | 529, .. } => "the API is limiting or overloaded right now; try again later".into(),
            ApiError::Status { .. } => "try again later; if it persists, check status.anthropic.com".into(),
            ApiError::Timeout { .. } => "raise --timeout, or check the network / ANTHROPIC_BASE_URL".into(),
            ApiError::Connect { reason, .. } if transport::is_tls_failure(reason) => transport::TLS_HINT.into(),
            ApiError::Connect { .. } => "check ANTHROPIC_BASE_URL (or --base-url) and the network".into(),
            ApiError::BadBody { .. } => "is ANTHROPIC_BASE_URL pointing at the Anthropic API (or a proxy that passes bodies through)?".into(),
            ApiError::Redirect { .. } => "point ANTHROPIC_BASE_URL (or --base-url) at the final address yourself, if you trust it".into(),
            ApiError::Other { .. } => return None,
        })
    }
}
