//! What a request would carry, for `--dry-run`: the headers come from the real request
//! builder ([`Client::request`]), with the key replaced by a label, so the plan cannot drift
//! from what a real run sends.

use crate::api::client::USER_AGENT;
use crate::api::transport::AuthScheme;
use crate::api::{Client, ClientConfig, Secret};

/// A stand-in key: the real one is never put into a dry run's client.
const PLACEHOLDER: &str = "dry-run-placeholder-key";

/// The headers of `method path` (with a JSON `body`, when given) as the real builder sets
/// them, `x-api-key` (or `authorization: Bearer` for a [`AuthScheme::Bearer`] token) shown as
/// `key_label`, plus the client's `user-agent`.
pub fn headers(
    config: &ClientConfig,
    method: reqwest::Method,
    path: &str,
    body: Option<&serde_json::Value>,
    key_label: &str,
    scheme: AuthScheme,
) -> Vec<(String, String)> {
    let placeholder = match scheme {
        AuthScheme::ApiKey => Secret::new(PLACEHOLDER),
        AuthScheme::Bearer => Secret::bearer(PLACEHOLDER),
    };
    let Ok(client) = Client::new(config.clone(), placeholder) else {
        return vec![("x-api-key".into(), key_label.into())];
    };
    let mut rb = client.request(method, path);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let mut out: Vec<(String, String)> = match rb.build() {
        Ok(req) => req
            .headers()
            .iter()
            .map(|(n, v)| {
                let value = if n.as_str() == "x-api-key" {
                    key_label.to_string()
                } else {
                    v.to_str().unwrap_or("").replace(PLACEHOLDER, key_label)
                };
                (n.as_str().to_string(), value)
            })
            .collect(),
        Err(_) => vec![("x-api-key".into(), key_label.into())],
    };
    // The user agent is a client default, added when the request is sent.
    if !out.iter().any(|(n, _)| n == "user-agent") {
        let at = out.iter().position(|(n, _)| n == "content-type");
        let ua = ("user-agent".to_string(), USER_AGENT.to_string());
        match at {
            Some(i) => out.insert(i, ua),
            None => out.push(ua),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_come_from_the_builder_with_the_key_redacted() {
        let config = ClientConfig {
            base_url: "http://127.0.0.1:9".into(),
            connect_timeout: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
            cacert: None,
        };
        let body = serde_json::json!({"model": "m"});
        let h = headers(
            &config,
            reqwest::Method::POST,
            "/v1/messages",
            Some(&body),
            "<k>",
            AuthScheme::ApiKey,
        );
        let names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "x-api-key",
                "anthropic-version",
                "user-agent",
                "content-type"
            ]
        );
        assert_eq!(h[0].1, "<k>");
        assert!(!format!("{h:?}").contains(PLACEHOLDER));
        let h = headers(
            &config,
            reqwest::Method::GET,
            "/v1/models",
            None,
            "<t>",
            AuthScheme::Bearer,
        );
        assert_eq!(h[0], ("authorization".into(), "Bearer <t>".into()));
        assert!(!h.iter().any(|(n, _)| n == "x-api-key"));
    }
}
