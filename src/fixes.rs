//! The decision table: for every class, what evidence points to it, the first fix, the
//! follow-up, and why. Data, not code: the classifier and every renderer read it from here.

use serde::Serialize;

use crate::verdict::{Class, Provider};

/// One row of the decision table.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Fix {
    /// The class this row is for.
    pub class: Class,
    /// The first fix in a few words, for table rows.
    pub short: &'static str,
    /// Short human name of the class.
    pub title: &'static str,
    /// The evidence that points to this class.
    pub evidence: &'static str,
    /// Why it happens, in one line.
    pub why: &'static str,
    /// The first thing to do.
    pub first: &'static str,
    /// What to do next if the first fix is not enough.
    pub then: &'static str,
    /// Whether waiting (honouring retry-after / the reset) clears it.
    pub waiting_helps: bool,
}

/// Every class, in the order `claude-429 fixes` prints them.
pub const TABLE: &[Fix] = &[
    Fix {
        class: Class::Rpm,
        short: "cap concurrency, add jitter, honour retry-after",
        title: "requests per minute",
        evidence: "anthropic-ratelimit-requests-remaining: 0; message names \"requests per minute\"",
        why: "Too many requests in the token bucket's window; bursts fail even under the per-minute average (60 RPM is enforced as about 1 per second).",
        first: "Cap concurrency (a semaphore or queue), add jitter, and wait at least retry-after (or until anthropic-ratelimit-requests-reset) before retrying.",
        then: "Move non-urgent calls to the Message Batches API; check the org's limit with `claude-429 limits` and ask for a higher tier.",
        waiting_helps: true,
    },
    Fix {
        class: Class::Itpm,
        short: "prompt caching; trim re-sent context",
        title: "input tokens per minute",
        evidence: "anthropic-ratelimit-input-tokens-remaining: 0 (or below the request's size); message names \"input tokens per minute\"",
        why: "Prompts (system prompt, tools, history) re-sent every turn use up the input-token bucket.",
        first: "Turn on prompt caching (cache_control) for stable prefixes: cache reads do not count toward ITPM on current models; trim re-sent context.",
        then: "Summarise or retrieve history instead of re-sending it; spread large jobs over time or the Message Batches API.",
        waiting_helps: true,
    },
    Fix {
        class: Class::Otpm,
        short: "lower max_tokens; split long outputs",
        title: "output tokens per minute",
        evidence: "anthropic-ratelimit-output-tokens-remaining: 0; message names \"output tokens per minute\"",
        why: "Long generations in parallel use up the output-token bucket (some readings count max_tokens at request start).",
        first: "Lower max_tokens to what responses really use; split long outputs into smaller calls.",
        then: "Stream responses and spread generations over time; fewer parallel long generations.",
        waiting_helps: true,
    },
    Fix {
        class: Class::Daily,
        short: "wait for the daily reset; spread work",
        title: "tokens per day",
        evidence: "message says \"daily rate limit\"; a tokens_per_day limiter",
        why: "A per-day token limit is exhausted; per-minute pacing does not help.",
        first: "Wait for the daily reset; spread the work over days or move it to the Message Batches API.",
        then: "Ask Anthropic for a higher limit (check it with `claude-429 limits`).",
        waiting_helps: true,
    },
    Fix {
        class: Class::Concurrency,
        short: "cap in-flight requests",
        title: "concurrent connections",
        evidence: "message says \"concurrent connections\"",
        why: "Too many requests or streams in flight at once.",
        first: "Cap in-flight requests with a semaphore (e.g. CLAUDE_CODE_MAX_TOOL_USE_CONCURRENCY for Claude Code).",
        then: "Use fewer parallel streams; queue instead of fanning out.",
        waiting_helps: true,
    },
    Fix {
        class: Class::Spend,
        short: "raise the spend limit or add credits",
        title: "spend limit",
        evidence: "error_code *_spend_limit_reached; \"API usage limits ... regain access on\"; long-context \"extra usage / usage credits are required\"",
        why: "The org reached a monthly spend ceiling (its tier's, a contract's or one it set) or lacks the billing entitlement; retries never clear it.",
        first: "Raise the spend limit in the Console (Settings > Limits) or add credits; otherwise wait for the period reset the message names.",
        then: "Check workspace spend limits; cut cost with prompt caching, smaller models or Message Batches.",
        waiting_helps: false,
    },
    Fix {
        class: Class::Workspace,
        short: "raise or clear the workspace override",
        title: "workspace limit",
        evidence: "\"workspace API usage limits\"; a workspace override below the org limit (`claude-429 limits --workspace ID`)",
        why: "A workspace-level rate or spend limit lower than the org's refused the request while the org had headroom.",
        first: "Raise or clear the workspace override in the Console (Workspaces > Limits); see it with `claude-429 limits --workspace ID`.",
        then: "Move traffic to a workspace with headroom, or lift the workspace spend limit.",
        waiting_helps: false,
    },
    Fix {
        class: Class::Acceleration,
        short: "ramp up gradually; smooth bursts",
        title: "acceleration (ramp) limit",
        evidence: "error_code ramp_limit_exceeded; \"maximum usage increase rate\"; a 429 with headroom in every dimension after a sharp ramp",
        why: "Usage rose faster than the org's ramp allows; no per-minute limit was reached.",
        first: "Ramp traffic up gradually and smooth bursts (a token bucket on the client); honour retry-after.",
        then: "Keep a steady baseline; talk to Anthropic sales before planned launches.",
        waiting_helps: true,
    },
    Fix {
        class: Class::Overload,
        short: "back off with jitter; retry later",
        title: "overloaded (capacity)",
        evidence: "529 or overloaded_error (also a 500/503 \"Overloaded\", or an SSE error event in a 200 stream)",
        why: "Anthropic is short of capacity; not your quota, not fixable by tier.",
        first: "Back off exponentially with jitter and retry later; retry on overloaded_error in streams too, not only on status 529.",
        then: "Fall back to another model; spread load away from peak times.",
        waiting_helps: true,
    },
    Fix {
        class: Class::BatchQueue,
        short: "pace batch creation",
        title: "batch queue",
        evidence: "429 on /v1/messages/batches",
        why: "Too many batch requests waiting in the processing queue.",
        first: "Pace batch creation; wait for running batches to finish before submitting more.",
        then: "Submit fewer, larger batches.",
        waiting_helps: true,
    },
    Fix {
        class: Class::SubscriptionCap,
        short: "wait for the window reset",
        title: "subscription usage cap",
        evidence: "Claude Code \"usage limit reached\" / \"5-hour limit\" / \"weekly limit\"; anthropic-ratelimit-unified-*-status: rejected",
        why: "A Pro/Max plan's rolling usage window (five-hour or weekly) is used up; API tier limits are not involved.",
        first: "Wait for the window reset shown in the message or the unified reset header.",
        then: "Use an API key (ANTHROPIC_API_KEY) or a higher plan for heavy work.",
        waiting_helps: true,
    },
    Fix {
        class: Class::NotRateLimit,
        short: "fix what the message names",
        title: "not a rate limit",
        evidence: "400 invalid_request_error, 401/403 auth, 404, 413, a timeout (a credit balance is `spend`; a 500/502/503 server error is `unknown` with a retry fix)",
        why: "The request failed for a reason other than a rate limit; the message names it.",
        first: "Do what the error's own message says (fix the key, the request or the model name).",
        then: "Do not add retries for it: retrying a non-rate-limit error only repeats it.",
        waiting_helps: false,
    },
    Fix {
        class: Class::Unknown,
        short: "capture full headers; run probe",
        title: "unknown",
        evidence: "a failure without a decisive code, header or message",
        why: "The capture does not say which limit refused the request.",
        first: "Capture the full response headers (curl -i, or log response.headers) and replay them; run `claude-429 probe` for live headroom.",
        then: "Compare with the configured limits (`claude-429 limits`) and the Console's usage page.",
        waiting_helps: true,
    },
];

/// A fix for a verdict on a cloud provider (Bedrock, Vertex), or a variant of a first-party
/// row that the evidence singles out (credit balance). `class: None` is the provider's
/// fallback for classes without a row of their own.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Variant {
    pub provider: Provider,
    pub class: Option<Class>,
    /// A rule's key (e.g. `credit`) when the row applies to one piece of evidence only.
    pub key: Option<&'static str>,
    /// The first fix in a few words, for table rows.
    pub short: &'static str,
    pub first: &'static str,
    pub then: &'static str,
    /// Whether waiting clears it, when that differs from the class's row (`None`: the row's).
    pub waits: Option<bool>,
}

/// Per-provider rows, from `cloud-providers.md` §1.5, §2.5 and §3. None of them may send a
/// user to `claude-429 probe`, `claude-429 limits` or the Anthropic Console: those read
/// Anthropic's first-party limits, not AWS or Google quotas (a test checks).
pub const VARIANTS: &[Variant] = &[
    // Anthropic: the credit-balance reading of `spend`.
    Variant {
        provider: Provider::Anthropic,
        class: Some(Class::Spend),
        key: Some("credit"),
        short: "add credits or turn on auto-reload",
        first: "Add credits (Console > Settings > Billing) or turn on auto-reload: the prepaid credit balance is used up; retries never clear it.",
        then: "Set a spend alert; cut cost with prompt caching, smaller models or Message Batches.",
        waits: Some(false),
    },
    // Bedrock.
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::Rpm),
        key: None,
        short: "adaptive retries; cross-Region profile",
        first: "Back off with jitter (boto3 Config(retries={\"mode\": \"adaptive\"}) or AWS_RETRY_MODE=adaptive) and cap requests in flight.",
        then: "Use a cross-Region (`us.`/`eu.`/`global.`) inference profile; ask for more in AWS Service Quotas (service `bedrock`): \"Cross-Region InvokeModel requests per minute\" for this model.",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::Itpm),
        key: None,
        short: "right-size max_tokens; Service Quotas",
        first: "Set max_tokens to the real output size (Bedrock reserves input + max_tokens up front, output counts 5x for Claude 3.7+; Claude Code: CLAUDE_CODE_MAX_OUTPUT_TOKENS=4096); use prompt caching.",
        then: "Use a cross-Region (`us.`/`eu.`/`global.`) inference profile; ask for more in AWS Service Quotas (service `bedrock`): \"Cross-Region InvokeModel tokens per minute\" for this model; Provisioned Throughput for steady volume.",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::Otpm),
        key: None,
        short: "right-size max_tokens; Service Quotas",
        first: "Set max_tokens to the real output size (Bedrock reserves max_tokens up front and counts output 5x for Claude 3.7+).",
        then: "Use a cross-Region inference profile; ask for more in AWS Service Quotas (service `bedrock`): the tokens-per-minute quota for this model.",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::Daily),
        key: None,
        short: "wait for the day; per-day quota",
        first: "Wait for the daily window; cut token burn (max_tokens, prompt caching).",
        then: "Ask in AWS Service Quotas (service `bedrock`) for more \"Model invocation max tokens per day\" for this model (new accounts may get less than the TPM x 1440 default).",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::Overload),
        key: None,
        short: "back off; other Region or profile",
        first: "Retry with exponential backoff and jitter: Bedrock is short of capacity (not your account quota).",
        then: "Switch Region or use a cross-Region inference profile, another model, or Provisioned Throughput; check the AWS Health Dashboard.",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: Some(Class::NotRateLimit),
        key: None,
        short: "fix what the error names",
        first: "Do what the error names (use an inference-profile id, grant model access, retry once for 408/424/500).",
        then: "Do not add retries for it: retrying a non-rate-limit error only repeats it.",
        waits: None,
    },
    Variant {
        provider: Provider::Bedrock,
        class: None,
        key: None,
        short: "back off; check AWS Service Quotas",
        first: "Back off with jitter; read the model's quotas in AWS Service Quotas (service `bedrock`) and CloudWatch InvocationThrottles / EstimatedTPMQuotaUsage for the model.",
        then: "Use a cross-Region inference profile; ask for a quota increase in AWS Service Quotas; Provisioned Throughput for steady volume.",
        waits: None,
    },
    // Vertex.
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::Rpm),
        key: None,
        short: "back off; quota increase request",
        first: "Back off with truncated exponential backoff; cap requests in flight.",
        then: "In Google Cloud, IAM & Admin > Quotas: request more for the metric named (requests per base model); use the global endpoint (Claude Code: CLOUD_ML_REGION=global).",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::Itpm),
        key: None,
        short: "prompt caching; quota increase request",
        first: "Use prompt caching and trim re-sent context.",
        then: "In Google Cloud, IAM & Admin > Quotas: request more input tokens per minute for this base model; use the global endpoint; Provisioned Throughput.",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::Otpm),
        key: None,
        short: "lower max_tokens; quota increase",
        first: "Lower max_tokens to what responses use; split long outputs.",
        then: "In Google Cloud, IAM & Admin > Quotas: request more output tokens per minute for this base model; use the global endpoint; Provisioned Throughput.",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::Concurrency),
        key: None,
        short: "cap requests in flight",
        first: "Cap requests in flight.",
        then: "In Google Cloud, IAM & Admin > Quotas: request more for the base model's requests quota (users report that is what helps).",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::Overload),
        key: None,
        short: "back off; global endpoint",
        first: "Retry with truncated exponential backoff: the shared capacity was short (not your project's quota).",
        then: "Use the global endpoint (CLOUD_ML_REGION=global) or another region or model; Provisioned Throughput for guaranteed capacity.",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: Some(Class::NotRateLimit),
        key: None,
        short: "fix what the error names",
        first: "Do what the error's own message names.",
        then: "Do not add retries for it: retrying a non-rate-limit error only repeats it.",
        waits: None,
    },
    Variant {
        provider: Provider::Vertex,
        class: None,
        key: None,
        short: "check the Vertex quotas page",
        first: "Open IAM & Admin > Quotas in Google Cloud and filter on the base model's request, input- and output-token metrics (a new project may have 0: waiting never helps).",
        then: "Submit a quota increase request for the metric; use the global endpoint; Provisioned Throughput (buy more GSUs, or allow overages on demand).",
        waits: None,
    },
    // Evidence-keyed readings of `unknown` (any provider that is not a cloud's or a foreign
    // vendor's: those have their own rows above and below).
    Variant {
        provider: Provider::Anthropic,
        class: Some(Class::Unknown),
        key: Some("server"),
        short: "retry with backoff: a server error",
        first: "Retry with exponential backoff and jitter (the SDKs retry 5xx by default): a 500 api_error or a 502/503 without a rate-limit body is a transient server or gateway error, not your quota.",
        then: "If it persists, check status.anthropic.com and the gateway or proxy in between; do not lower your traffic or change limits for it.",
        waits: Some(true),
    },
    Variant {
        provider: Provider::Anthropic,
        class: Some(Class::Unknown),
        key: Some("subscription"),
        short: "subscription: wait for the usage window",
        first: "This looks like Claude Code on a Claude subscription (Pro/Max, signed in, no API key): run /status (or /usage) in Claude Code to see the usage windows, and wait for the reset it names.",
        then: "For heavy or automated work, use an API key (ANTHROPIC_API_KEY) with its own rate limits, or a higher plan.",
        waits: Some(true),
    },
    Variant {
        provider: Provider::Anthropic,
        class: Some(Class::Unknown),
        key: Some("cf_gateway"),
        short: "gateway throttle: wait; do not rotate keys",
        first: "Cloudflare AI Gateway refused the request itself (a gateway error code on a 401, not the provider's key check): back off and retry later; do not rotate or drop API keys over it, that only burns a key pool.",
        then: "Check the gateway's rate-limiting settings and its cf-aig-authorization token in the Cloudflare dashboard (AI > AI Gateway) if waiting does not clear it.",
        waits: Some(true),
    },
    // Other vendors' failures: their quotas, not Anthropic's (every class).
    Variant {
        provider: Provider::OpenAi,
        class: None,
        key: None,
        short: "OpenAI's quota: see platform.openai.com",
        first: "OpenAI answered, not Anthropic: insufficient_quota means the OpenAI account's credit or plan is used up (platform.openai.com > Settings > Billing and Limits); a rate-limit 429 is OpenAI's own per-model limit (honour retry-after).",
        then: "If the call was meant for Claude, fix the client's base URL or provider setting; Anthropic's limits are not involved.",
        waits: None,
    },
    Variant {
        provider: Provider::Gemini,
        class: None,
        key: None,
        short: "Gemini API quota: see Google AI Studio",
        first: "The Gemini API (generativelanguage.googleapis.com) answered, not Anthropic or Vertex: wait the retryDelay it names, and read the project's per-model limits in Google AI Studio (free-tier quotas are small and per day).",
        then: "Enable billing on the Google Cloud project for a paid tier, or route the call to the intended provider; Anthropic's limits are not involved.",
        waits: None,
    },
    Variant {
        provider: Provider::Moonshot,
        class: None,
        key: None,
        short: "Kimi's quota: see the Moonshot console",
        first: "Kimi (Moonshot AI) answered, not Anthropic: check the account balance and the rate limits of its tier on the Moonshot platform console (exceeded_current_quota_error means recharge; rate_limit_reached_error means slow down).",
        then: "Lower concurrency towards Kimi, or point the client back at the intended provider; Anthropic's limits are not involved.",
        waits: None,
    },
    Variant {
        provider: Provider::Copilot,
        class: None,
        key: None,
        short: "Copilot's limit: wait or check its usage",
        first: "GitHub Copilot answered, not Anthropic: wait the time Copilot names, or check the Copilot premium-request usage in GitHub settings (Billing).",
        then: "Switch to another Copilot model or lower the request rate; Anthropic's API limits are not involved.",
        waits: None,
    },
];

/// The fix chosen for one verdict: short words for table rows, the first step, the next
/// step, and whether waiting clears it. [`choose`] is the only place that picks it; every
/// output (replay, diagnose, hook, record, status) prints what the verdict carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub short: &'static str,
    pub first: &'static str,
    pub then: &'static str,
    pub waiting_helps: bool,
}

/// Picks the fix for (class, provider, evidence key), in this order: a foreign vendor's row
/// (its quota, whatever the class); a row keyed by the evidence (`credit`, `server`,
/// `subscription`, `cf_gateway`) unless a cloud answered; the cloud's row for the class, else
/// the cloud's fallback; else the decision table's row for the class.
pub fn choose(class: Class, provider: Provider, key: Option<&str>) -> Chosen {
    let row = for_class(class);
    match variant(class, provider, key) {
        Some(v) => Chosen {
            short: v.short,
            first: v.first,
            then: v.then,
            waiting_helps: v.waits.unwrap_or(row.waiting_helps),
        },
        None => Chosen {
            short: row.short,
            first: row.first,
            then: row.then,
            waiting_helps: row.waiting_helps,
        },
    }
}

/// The short fix (table rows) for a verdict's class and provider.
pub fn short_for(class: Class, provider: Provider, key: Option<&str>) -> &'static str {
    choose(class, provider, key).short
}

fn variant(class: Class, provider: Provider, key: Option<&str>) -> Option<&'static Variant> {
    if provider.is_foreign() {
        return VARIANTS
            .iter()
            .find(|v| v.provider == provider && v.class.is_none());
    }
    let keyed = key.and_then(|k| {
        VARIANTS.iter().find(|v| {
            v.key == Some(k)
                && v.class == Some(class)
                && (v.provider == provider || !provider.is_cloud())
        })
    });
    keyed.or_else(|| {
        provider.is_cloud().then(|| {
            VARIANTS
                .iter()
                .filter(|v| v.provider == provider && v.key.is_none())
                .find(|v| v.class == Some(class))
                .or_else(|| {
                    VARIANTS
                        .iter()
                        .find(|v| v.provider == provider && v.class.is_none())
                })
        })?
    })
}

/// The fix for a verdict: a keyed or provider row when one applies, else the class's row.
pub fn for_verdict(
    class: Class,
    provider: Provider,
    key: Option<&str>,
) -> (&'static str, &'static str) {
    let c = choose(class, provider, key);
    (c.first, c.then)
}

/// The row for `class`. Every class has one (a test checks).
pub fn for_class(class: Class) -> &'static Fix {
    TABLE
        .iter()
        .find(|f| f.class == class)
        .expect("every class has a row in the decision table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_exactly_one_row() {
        for c in Class::ALL {
            assert_eq!(
                TABLE.iter().filter(|f| f.class == *c).count(),
                1,
                "{c:?} must have exactly one row"
            );
        }
        assert_eq!(TABLE.len(), Class::ALL.len());
    }

    #[test]
    fn cloud_fixes_never_send_to_anthropic_tools() {
        for p in [Provider::Bedrock, Provider::Vertex] {
            for c in Class::ALL {
                let (first, then) = for_verdict(*c, p, None);
                for text in [first, then, short_for(*c, p, None)] {
                    let l = text.to_lowercase();
                    assert!(
                        !l.contains("probe")
                            && !l.contains("limits`")
                            && !l.contains("claude-429")
                            && !l.contains("console.anthropic")
                            && !l.contains("in the console")
                            && !l.contains("higher tier"),
                        "{p} {c}: {text}"
                    );
                }
            }
        }
        let (first, _) = for_verdict(Class::Rpm, Provider::Bedrock, None);
        assert!(first.contains("adaptive"));
        let (_, then) = for_verdict(Class::Unknown, Provider::Vertex, None);
        assert!(then.contains("quota increase"));
        // The first party keeps the decision table's rows; a credit text gets its own.
        assert_eq!(
            for_verdict(Class::Rpm, Provider::Anthropic, None).0,
            for_class(Class::Rpm).first
        );
        assert!(
            for_verdict(Class::Spend, Provider::Unknown, Some("credit"))
                .0
                .contains("auto-reload")
        );
    }
}
