//! The probe budget: a hard cap on requests and tokens per round, checked before every
//! request and never exceeded.

use super::{Budget, TOKENS_PER_PROBE};

/// A fresh budget for one round.
pub fn fresh(max_requests: u32, max_tokens: u64) -> Budget {
    Budget {
        max_requests,
        requests_sent: 0,
        max_tokens,
        tokens_counted: 0,
        stopped: None,
    }
}

/// Why one more probe would break the budget, or `None` when it fits.
pub fn over(b: &Budget) -> Option<String> {
    if b.requests_sent >= b.max_requests {
        Some(format!("--max-requests {} reached", b.max_requests))
    } else if b.tokens_counted.saturating_add(TOKENS_PER_PROBE) > b.max_tokens {
        Some(format!(
            "--max-tokens-budget {} would be exceeded ({} counted, {} more per probe)",
            b.max_tokens, b.tokens_counted, TOKENS_PER_PROBE
        ))
    } else {
        None
    }
}

/// Probes a round may send before it is sent: `(by --max-requests, overall)`; `usize::MAX`
/// for "one per model" when no models are named and no cap is set.
pub fn planned_cap(max_requests: Option<u32>, models: usize, max_tokens: u64) -> (usize, usize) {
    let per_round =
        max_requests
            .map(|m| m as usize)
            .unwrap_or(if models == 0 { usize::MAX } else { models });
    let by_tokens = usize::try_from(max_tokens / TOKENS_PER_PROBE).unwrap_or(usize::MAX);
    (per_round, per_round.min(by_tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_requests_then_tokens() {
        let mut b = fresh(2, 45);
        assert_eq!(over(&b), None);
        b.requests_sent = 1;
        b.tokens_counted = 20;
        assert_eq!(over(&b), None);
        b.tokens_counted = 26;
        assert!(over(&b).unwrap().contains("--max-tokens-budget 45"));
        b.requests_sent = 2;
        assert!(over(&b).unwrap().contains("--max-requests 2"));
    }

    #[test]
    fn plans_the_cap() {
        assert_eq!(planned_cap(None, 0, 1000), (usize::MAX, 50));
        assert_eq!(planned_cap(None, 3, 1000), (3, 3));
        assert_eq!(planned_cap(Some(5), 3, 40), (5, 2));
    }
}
