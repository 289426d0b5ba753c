//! Which reading of a verdict the evidence singles out, for the fix: the key handed to
//! [`crate::fixes::choose`]. A class alone does not say what to do when the failure is a server
//! error, a Claude subscription's window or a gateway's own throttle: each needs other advice
//! than "capture the headers and run probe".

use crate::exchange::Capture;
use crate::verdict::{Class, Provider};

/// Lower-cased text of everything in the capture that can carry a sign.
pub(crate) fn hay(c: &Capture) -> String {
    let mut hay = String::with_capacity(c.text.len() + 128);
    for s in [
        Some(c.text.as_str()),
        c.error.message.as_deref(),
        c.error.kind.as_deref(),
        c.error.code.as_deref(),
        c.error.error_code.as_deref(),
        c.url.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        hay.push_str(&s.to_lowercase());
        hay.push('\n');
    }
    for (n, v) in &c.headers.0 {
        if n.starts_with("cf-") || n == "server" {
            hay.push_str(n);
            hay.push_str(": ");
            hay.push_str(&v.to_lowercase());
            hay.push('\n');
        }
    }
    hay
}

/// A Cloudflare AI Gateway refusal of its own: a 401 carrying the gateway's error name or
/// host and its code 2009. Field reports read it as the gateway throttling (it clears by
/// waiting; rotating keys on it burns a key pool); Cloudflare also sends 2009 for a bad
/// gateway token. Either way it is the gateway, not the provider's key check.
pub(crate) fn cloudflare_gateway(c: &Capture, hay: &str) -> bool {
    let gateway = hay.contains("aigatewayerror")
        || hay.contains("gateway.ai.cloudflare.com")
        || hay.contains("ai gateway")
        || c.headers.0.iter().any(|(n, _)| n.starts_with("cf-aig-"));
    let code = hay.contains("2009");
    c.status == Some(401) && gateway && code
}

/// Signs of a Claude subscription session (Claude Code signed in to Pro/Max).
const SUBSCRIPTION_SIGNS: &[&str] = &[
    "claude max",
    "claude pro",
    "max plan",
    "pro plan",
    "max subscription",
    "pro subscription",
    "claude.ai",
    "/login",
    "/upgrade",
    "/extra-usage",
    "extra usage",
    "oauth",
    "sk-ant-oat",
    "subscription",
];

/// Signs that an API key is in use.
const API_KEY_SIGNS: &[&str] = &[
    "sk-ant-api",
    "anthropic_api_key",
    "x-api-key",
    "api_key",
    "apikey",
    "anthropic-ratelimit-requests",
    "anthropic-ratelimit-tokens",
    "anthropic-ratelimit-input",
    "anthropic-ratelimit-output",
];

/// Subscription-looking text and no API key in sight.
pub(crate) fn subscription_session(hay: &str) -> bool {
    SUBSCRIPTION_SIGNS.iter().any(|s| hay.contains(s))
        && !API_KEY_SIGNS.iter().any(|s| hay.contains(s))
}

/// A server error: a 5xx other than 529, or an `api_error` type, without rate-limit words.
pub(crate) fn server_error(c: &Capture, kind: Option<&str>, hay: &str) -> bool {
    let five = c
        .status
        .is_some_and(|s| (500..600).contains(&s) && s != 529);
    let api_error = kind == Some("api_error") && c.status.is_none_or(|s| s >= 500);
    let rate_words = [
        "rate limit",
        "rate_limit",
        "ratelimit",
        "too many requests",
        "429",
        "quota",
        "throttl",
    ];
    (five || api_error) && !rate_words.iter().any(|w| hay.contains(w))
}

/// The evidence key for an `unknown` verdict's fix, when the capture singles one out.
pub(crate) fn unknown_key(
    c: &Capture,
    class: Class,
    provider: Provider,
    kind: Option<&str>,
) -> Option<&'static str> {
    if class != Class::Unknown || provider.not_anthropic_quota() {
        return None;
    }
    let hay = hay(c);
    if cloudflare_gateway(c, &hay) {
        return Some("cf_gateway");
    }
    if server_error(c, kind, &hay) {
        return Some("server");
    }
    if subscription_session(&hay) {
        return Some("subscription");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Format;

    fn cap(status: Option<u16>, text: &str) -> Capture {
        let mut c = Capture::new("t".into(), 1, Format::Text);
        c.status = status;
        c.push_text(text);
        c
    }

    #[test]
    fn keys() {
        let k = |c: &Capture| unknown_key(c, Class::Unknown, Provider::Unknown, None);
        assert_eq!(k(&cap(Some(500), "Internal server error")), Some("server"));
        assert_eq!(k(&cap(Some(502), "Bad Gateway")), Some("server"));
        assert_eq!(k(&cap(Some(503), "upstream 429 rate limit")), None);
        assert_eq!(
            k(&cap(
                Some(401),
                r#"{"name":"AiGatewayError","internalCode":2009,"message":"Unauthorized"}"#
            )),
            Some("cf_gateway")
        );
        assert_eq!(k(&cap(Some(401), "invalid x-api-key")), None);
        assert_eq!(
            k(&cap(
                Some(429),
                "Claude Code on my Max plan: API Error: 429 Rate limited"
            )),
            Some("subscription")
        );
        assert_eq!(
            k(&cap(
                Some(429),
                "Max plan, ANTHROPIC_API_KEY set: 429 Rate limited"
            )),
            None
        );
        // Clouds and other vendors have rows of their own.
        assert_eq!(
            unknown_key(
                &cap(Some(500), "x"),
                Class::Unknown,
                Provider::Bedrock,
                None
            ),
            None
        );
    }
}
