//! The decision table: for every class, what evidence points to it, the first fix, the
//! follow-up, and why. Data, not code: the classifier and every renderer read it from here.

use serde::Serialize;

use crate::verdict::Class;

/// One row of the decision table.
#[derive(Debug, Clone, Copy, Serialize)]
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
        evidence: "400 invalid_request_error, 401/403 auth, 404, 413, credit balance, server errors",
        why: "The request failed for a reason other than a rate limit; the message names it.",
        first: "Do what the error's own message says (fix the key, the request, the model name, or add credits).",
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
}
