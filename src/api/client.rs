//! The one HTTP client: base URL, auth, version header, user agent, timeouts.

use std::time::Duration;

use super::ApiError;

/// The public API.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The documented API version header value.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A string that never shows up in `Debug` or `Display`: API keys live here so no log line,
/// error or panic message can print one.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into().trim().to_string())
    }
    /// The key itself, only for the auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// How to reach the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn from_args(a: &crate::cli::ApiArgs) -> Self {
        let secs =
            |s: f64| Duration::from_secs_f64(if s.is_finite() && s > 0.0 { s } else { 30.0 });
        ClientConfig {
            base_url: a
                .base_url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
                .trim_end_matches('/')
                .to_string(),
            connect_timeout: secs(a.connect_timeout),
            timeout: secs(a.timeout),
        }
    }
}

/// An HTTP client bound to one base URL and key.
#[derive(Debug, Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub config: ClientConfig,
    pub key: Secret,
}

impl Client {
    pub fn new(config: ClientConfig, key: Secret) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("claude-429/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| ApiError::Other {
                url: config.base_url.clone(),
                reason: e.to_string(),
            })?;
        Ok(Client { http, config, key })
    }

    /// The full URL for an API path (`/v1/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// A request with the auth and version headers set (`x-api-key`, accepted by the API for
    /// both normal and admin keys).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("x-api-key", self.key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
    }

    /// Maps a transport error to an [`ApiError`] without leaking the key (reqwest errors
    /// carry the URL, never headers).
    pub fn transport_error(&self, url: &str, e: reqwest::Error) -> ApiError {
        if e.is_timeout() {
            ApiError::Timeout {
                url: url.to_string(),
                secs: self.config.timeout.as_secs_f64(),
            }
        } else if e.is_connect() {
            let mut reason = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                reason = s.to_string();
                src = s.source();
            }
            ApiError::Connect {
                url: url.to_string(),
                reason,
            }
        } else {
            ApiError::Other {
                url: url.to_string(),
                reason: e.to_string(),
            }
        }
    }
}

/// Reads a key from `file` when given, else from the environment variable `var`.
pub fn load_key(
    var: &'static str,
    file: Option<&std::path::Path>,
    file_flag: &'static str,
) -> anyhow::Result<Secret> {
    if let Some(path) = file {
        let s = std::fs::read_to_string(path).map_err(|e| {
            crate::exit::UsageError(format!("cannot read key file {}: {e}", path.display()))
        })?;
        let s = s.trim();
        if s.is_empty() {
            return Err(
                crate::exit::UsageError(format!("key file {} is empty", path.display())).into(),
            );
        }
        return Ok(Secret::new(s));
    }
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v)),
        _ => Err(ApiError::MissingKey {
            var,
            file_hint: file_flag,
        }
        .into()),
    }
}
