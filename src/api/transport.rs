//! How requests travel, the conventions the official SDKs and Claude Code share:
//!
//! - **Credentials**: an API key goes in `x-api-key`; a token from `ANTHROPIC_AUTH_TOKEN`
//!   (gateways, Workload Identity Federation) goes in `Authorization: Bearer`. As in Claude
//!   Code, `ANTHROPIC_AUTH_TOKEN` wins over `ANTHROPIC_API_KEY` when both are set; an explicit
//!   `--api-key-file` wins over both.
//! - **Extra headers**: `ANTHROPIC_CUSTOM_HEADERS`, newline-separated `Name: value` lines, on
//!   every request.
//! - **TLS roots**: the platform's trust store (rustls-native-certs, which reads
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR` instead when either is set) plus the bundled Mozilla
//!   roots, plus the PEM certificates in `--cacert FILE`.
//! - **Proxies**: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` are read by reqwest.

use std::path::{Path, PathBuf};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::ApiError;

/// The bearer-token variable (Claude Code and the SDKs read the same name).
pub const AUTH_TOKEN_VAR: &str = "ANTHROPIC_AUTH_TOKEN";
/// Extra headers for every request, one `Name: value` per line.
pub const CUSTOM_HEADERS_VAR: &str = "ANTHROPIC_CUSTOM_HEADERS";

/// Printed under a TLS failure: the usual cause is a TLS-inspecting proxy whose CA the
/// process does not trust.
pub const TLS_HINT: &str = "the server's certificate is not trusted. Behind a corporate \
    TLS-inspecting proxy, point SSL_CERT_FILE (or --cacert FILE) at the proxy's CA bundle \
    (PEM); the platform's trust store is used too. Check HTTPS_PROXY / NO_PROXY and \
    ANTHROPIC_BASE_URL";

/// How a credential is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScheme {
    /// `x-api-key: KEY` (API keys and Admin API keys).
    #[default]
    ApiKey,
    /// `Authorization: Bearer TOKEN` (`ANTHROPIC_AUTH_TOKEN`).
    Bearer,
}

/// A string that never shows up in `Debug` or `Display`: API keys live here so no log line,
/// error or panic message can print one.
#[derive(Clone)]
pub struct Secret {
    value: String,
    scheme: AuthScheme,
}

impl Secret {
    /// An API key, sent as `x-api-key`.
    pub fn new(s: impl Into<String>) -> Self {
        Secret {
            value: s.into().trim().to_string(),
            scheme: AuthScheme::ApiKey,
        }
    }
    /// A bearer token (`ANTHROPIC_AUTH_TOKEN`), sent as `Authorization: Bearer`.
    pub fn bearer(s: impl Into<String>) -> Self {
        Secret {
            scheme: AuthScheme::Bearer,
            ..Secret::new(s)
        }
    }
    /// The key itself, only for the auth header.
    pub fn expose(&self) -> &str {
        &self.value
    }
    /// How the key is sent.
    pub fn scheme(&self) -> AuthScheme {
        self.scheme
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// `ANTHROPIC_AUTH_TOKEN` when set and not blank.
pub fn auth_token_from_env() -> Option<Secret> {
    match std::env::var(AUTH_TOKEN_VAR) {
        Ok(v) if !v.trim().is_empty() => Some(Secret::bearer(v)),
        _ => None,
    }
}

/// Sets the credential header on a request, marked sensitive so `Debug` never shows it.
pub fn authorize(rb: reqwest::RequestBuilder, key: &Secret) -> reqwest::RequestBuilder {
    let (name, value) = match key.scheme() {
        AuthScheme::ApiKey => ("x-api-key", key.expose().to_string()),
        AuthScheme::Bearer => ("authorization", format!("Bearer {}", key.expose())),
    };
    match HeaderValue::from_str(&value) {
        Ok(mut v) => {
            v.set_sensitive(true);
            rb.header(name, v)
        }
        // Not a valid header value: reqwest reports a builder error at send time (it names
        // no header value).
        Err(_) => rb.header(name, value),
    }
}

/// Parses `ANTHROPIC_CUSTOM_HEADERS` text: one `Name: value` per line, blank lines skipped.
/// Returns the headers and one message per line that was skipped (the messages name the line
/// number, never the value: values are often secrets).
pub fn parse_custom_headers(text: &str) -> (HeaderMap, Vec<String>) {
    let mut map = HeaderMap::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(':').and_then(|(n, v)| {
            let name = HeaderName::from_bytes(n.trim().as_bytes()).ok()?;
            let mut value = HeaderValue::from_str(v.trim()).ok()?;
            value.set_sensitive(true);
            Some((name, value))
        });
        match parsed {
            Some((name, value)) => {
                map.append(name, value);
            }
            None => bad.push(format!(
                "{CUSTOM_HEADERS_VAR} line {} is not `Name: value`; skipped",
                i + 1
            )),
        }
    }
    (map, bad)
}

/// Reads the PEM certificates in `path` (a bundle may hold many).
pub fn read_pem_certs(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|e| format!("{} is not a PEM certificate bundle: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// clap value parser for `--cacert`: the file must exist and hold a PEM certificate, so a
/// typo is a usage error (exit 2) rather than a TLS failure later.
pub fn parse_cacert(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    read_pem_certs(&path)?;
    Ok(path)
}

/// The extra trust anchors of `--cacert` (a bad file is an error). `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` need nothing here: reqwest loads the platform's roots through
/// `rustls-native-certs`, which reads those two variables in their place when they are set
/// (a `:`-separated list of directories for `SSL_CERT_DIR`, as OpenSSL reads it).
pub fn extra_roots(cacert: Option<&Path>) -> Result<Vec<reqwest::Certificate>, String> {
    let mut roots = Vec::new();
    if let Some(path) = cacert {
        roots.extend(read_pem_certs(path).map_err(|e| format!("--cacert: {e}"))?);
    }
    Ok(roots)
}

/// Adds the extra trust anchors ([`extra_roots`]: `--cacert`) to a client builder, besides
/// the platform's (or `SSL_CERT_FILE` / `SSL_CERT_DIR`'s) and the bundled roots. The TLS
/// part of [`configure`], alone: `record`'s upstream client uses it (a proxy adds no headers).
pub fn trust(
    mut builder: reqwest::ClientBuilder,
    cacert: Option<&Path>,
) -> Result<reqwest::ClientBuilder, String> {
    for cert in extra_roots(cacert)? {
        builder = builder.add_root_certificate(cert);
    }
    Ok(builder)
}

/// Applies the transport conventions to a client builder: extra trust anchors and
/// `ANTHROPIC_CUSTOM_HEADERS`. Called once where the one reqwest client is built.
pub fn configure(
    mut builder: reqwest::ClientBuilder,
    base_url: &str,
    cacert: Option<&Path>,
) -> Result<reqwest::ClientBuilder, ApiError> {
    builder = trust(builder, cacert).map_err(|reason| ApiError::Other {
        url: base_url.to_string(),
        reason,
    })?;
    if let Ok(text) = std::env::var(CUSTOM_HEADERS_VAR) {
        let (headers, bad) = parse_custom_headers(&text);
        for b in bad {
            crate::errln!("claude-429: warning: {b}");
        }
        builder = builder.default_headers(headers);
    }
    Ok(builder)
}

/// True when a connection error's reason is a TLS failure (see `Client::transport_error`).
pub fn is_tls_failure(reason: &str) -> bool {
    reason.trim_start().to_ascii_lowercase().starts_with("tls")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers_parse_lines_and_skip_bad_ones() {
        let (h, bad) = parse_custom_headers(
            "X-Gateway-Team: infra\n\n  x-trace:  a:b:c  \nnot a header\nBad Name: secret-xyz\r\n",
        );
        assert_eq!(h.get("x-gateway-team").unwrap(), "infra");
        assert_eq!(h.get("x-trace").unwrap(), "a:b:c");
        assert_eq!(h.len(), 2);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad[0].contains("line 4"), "{bad:?}");
        // Values never appear in the messages.
        assert!(!bad.iter().any(|b| b.contains("secret-xyz")), "{bad:?}");
    }

    #[test]
    fn empty_custom_headers_are_nothing() {
        let (h, bad) = parse_custom_headers("");
        assert!(h.is_empty() && bad.is_empty());
    }

    #[test]
    fn cacert_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pem");
        std::fs::write(&p, "hello").unwrap();
        let e = parse_cacert(p.to_str().unwrap()).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = parse_cacert(dir.path().join("missing.pem").to_str().unwrap()).unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn bearer_goes_in_authorization_and_stays_hidden() {
        let c = reqwest::Client::new();
        let req = authorize(c.get("http://127.0.0.1:9/"), &Secret::bearer("tok-123"))
            .build()
            .unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer tok-123");
        assert!(req.headers().get("x-api-key").is_none());
        assert!(!format!("{req:?}").contains("tok-123"));
        let req = authorize(c.get("http://127.0.0.1:9/"), &Secret::new("sk-1"))
            .build()
            .unwrap();
        assert_eq!(req.headers()["x-api-key"], "sk-1");
    }

    #[test]
    fn tls_reasons_are_recognised() {
        assert!(is_tls_failure(
            "TLS failure: invalid peer certificate: UnknownIssuer"
        ));
        assert!(!is_tls_failure("Connection refused (os error 111)"));
    }
}
