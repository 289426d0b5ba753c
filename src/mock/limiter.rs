//! The limiter: continuously refilling token buckets per key profile, per model class, per
//! dimension (anthropic-rate-limits.md §2), the acceleration (ramp) limit, and the input
//! token estimate.
//!
//! A bucket holds at most its per-minute limit and refills at `limit / minute` per second,
//! all the time: there is no minute window that resets. A request is admitted when every
//! dimension has room for its cost; then all are debited together. A refusal names the first
//! dimension without room (requests, input tokens, output tokens, tokens per day) and how long
//! until it has room: that is `retry-after` (whole seconds, rounded up).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

use super::scenario::{Limits, OtpmReading, Ramp};

/// One continuously refilling bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub limit: u64,
    /// Tokens per second.
    rate: f64,
    level: f64,
    /// Seconds (since the server started) of the last refill.
    at: f64,
}

impl Bucket {
    /// A full bucket of `limit` per `period` seconds.
    pub fn new(limit: u64, period: f64) -> Bucket {
        Bucket {
            limit,
            rate: limit as f64 / period,
            level: limit as f64,
            at: 0.0,
        }
    }

    fn refill(&mut self, now: f64) {
        if now > self.at {
            self.level = (self.level + (now - self.at) * self.rate).min(self.limit as f64);
            self.at = now;
        }
    }

    /// Whole units left (never negative).
    pub fn remaining(&self) -> u64 {
        self.level.max(0.0).floor() as u64
    }

    /// Seconds until the bucket is full again.
    pub fn until_full(&self) -> f64 {
        if self.rate <= 0.0 {
            return 0.0;
        }
        ((self.limit as f64 - self.level) / self.rate).max(0.0)
    }

    /// Seconds until `need` units are available (0 when they are).
    pub fn wait_for(&self, need: f64) -> f64 {
        let need = need.min(self.limit as f64);
        if self.level >= need || self.rate <= 0.0 {
            0.0
        } else {
            (need - self.level) / self.rate
        }
    }

    fn take(&mut self, n: f64) {
        self.level -= n;
    }
}

/// A dimension of the limiter, in the order refusals are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Requests,
    InputTokens,
    OutputTokens,
    TokensPerDay,
}

impl Dim {
    /// The unit in the refusal message.
    pub fn unit(self) -> &'static str {
        match self {
            Dim::Requests => "requests per minute",
            Dim::InputTokens => "input tokens per minute",
            Dim::OutputTokens => "output tokens per minute",
            Dim::TokensPerDay => "tokens per day",
        }
    }

    /// The class `replay` should give the refusal.
    pub fn class(self) -> &'static str {
        match self {
            Dim::Requests => "rpm",
            Dim::InputTokens => "itpm",
            Dim::OutputTokens => "otpm",
            Dim::TokensPerDay => "daily",
        }
    }
}

/// The buckets of one model class for one key profile.
#[derive(Debug, Clone)]
pub struct Buckets {
    pub requests: Option<Bucket>,
    pub input: Option<Bucket>,
    pub output: Option<Bucket>,
    pub daily: Option<Bucket>,
    ramp: RampState,
}

#[derive(Debug, Clone, Default)]
struct RampState {
    minute: i64,
    used: u64,
    previous: u64,
}

/// What a request costs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Input tokens that count against ITPM (uncached input plus cache writes).
    pub input: u64,
    /// Output tokens the answer will use.
    pub output: u64,
    /// `max_tokens` of the request.
    pub max_tokens: u64,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    /// A per-minute (or per-day) dimension without room: its limit and the wait.
    Limit { dim: Dim, limit: u64, wait: f64 },
    /// The acceleration limit: what this minute allows, what the next will, the wait to the
    /// next minute.
    Ramp {
        requests: bool,
        current: u64,
        next: u64,
        wait: f64,
    },
}

impl Buckets {
    /// Full buckets for these limits; `minute` is the limiter minute in seconds.
    pub fn new(l: &Limits, minute: f64) -> Buckets {
        let b = |v: Option<u64>, period: f64| v.filter(|&v| v > 0).map(|v| Bucket::new(v, period));
        Buckets {
            requests: b(l.requests_per_minute, minute),
            input: b(l.input_tokens_per_minute, minute),
            output: b(l.output_tokens_per_minute, minute),
            daily: b(l.tokens_per_day, minute * 1440.0),
            ramp: RampState::default(),
        }
    }

    /// Checks every dimension and the ramp at `now` (seconds since start) and, when all have
    /// room, debits them.
    pub fn admit(
        &mut self,
        now: f64,
        cost: Cost,
        otpm: OtpmReading,
        ramp: Option<&Ramp>,
        minute: f64,
    ) -> Result<(), Refusal> {
        for b in [
            &mut self.requests,
            &mut self.input,
            &mut self.output,
            &mut self.daily,
        ]
        .into_iter()
        .flatten()
        {
            b.refill(now);
        }
        let out_need = match otpm {
            OtpmReading::Actual => 1.0,
            OtpmReading::MaxTokens => cost.max_tokens.max(1) as f64,
        };
        let checks = [
            (Dim::Requests, &self.requests, 1.0),
            (Dim::InputTokens, &self.input, cost.input as f64),
            (Dim::OutputTokens, &self.output, out_need),
            (
                Dim::TokensPerDay,
                &self.daily,
                (cost.input + cost.output) as f64,
            ),
        ];
        for (dim, b, need) in checks {
            if let Some(b) = b {
                let wait = b.wait_for(need);
                if wait > 0.0 {
                    return Err(Refusal::Limit {
                        dim,
                        limit: b.limit,
                        wait,
                    });
                }
            }
        }
        if let Some(r) = ramp {
            let m = (now / minute).floor() as i64;
            if m != self.ramp.minute {
                self.ramp.previous = if m == self.ramp.minute + 1 {
                    self.ramp.used
                } else {
                    0
                };
                self.ramp.minute = m;
                self.ramp.used = 0;
            }
            let requests = r.dimension == "requests";
            let amount = if requests { 1 } else { cost.input };
            let allowed = ramp_allowance(r, self.ramp.previous);
            if self.ramp.used + amount > allowed {
                return Err(Refusal::Ramp {
                    requests,
                    current: allowed,
                    next: ramp_allowance(r, self.ramp.used.max(allowed)),
                    wait: (m + 1) as f64 * minute - now,
                });
            }
            self.ramp.used += amount;
        }
        if let Some(b) = &mut self.requests {
            b.take(1.0);
        }
        if let Some(b) = &mut self.input {
            b.take(cost.input as f64);
        }
        if let Some(b) = &mut self.output {
            b.take(match otpm {
                OtpmReading::Actual => cost.output as f64,
                OtpmReading::MaxTokens => cost.max_tokens as f64,
            });
        }
        if let Some(b) = &mut self.daily {
            b.take((cost.input + cost.output) as f64);
        }
        Ok(())
    }

    /// Refills to `now` without admitting anything (for headers on other answers).
    pub fn touch(&mut self, now: f64) {
        for b in [
            &mut self.requests,
            &mut self.input,
            &mut self.output,
            &mut self.daily,
        ]
        .into_iter()
        .flatten()
        {
            b.refill(now);
        }
    }
}

fn ramp_allowance(r: &Ramp, previous: u64) -> u64 {
    r.floor.max((previous as f64 * r.growth).floor() as u64)
}

/// Whole seconds for `retry-after`: rounded up, at least 1.
pub fn retry_after_secs(wait: f64) -> u64 {
    (wait.ceil() as u64).max(1)
}

/// The input estimate of a Messages request: bytes of text / 4, rounded up, at least 1.
///
/// Text is every string inside `system`, `messages` and `tools` (keys and JSON syntax do not
/// count). The prefix up to and including the last block marked `cache_control` is the
/// cacheable prefix: its tokens and a hash of its text are returned too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputEstimate {
    pub total: u64,
    /// Tokens in the cacheable prefix (0 when nothing is marked).
    pub prefix: u64,
    pub prefix_hash: u64,
}

pub fn estimate_input(req: &Value) -> InputEstimate {
    let mut w = Walker::default();
    for key in ["tools", "system", "messages"] {
        if let Some(v) = req.get(key) {
            w.walk(v);
        }
    }
    let tokens = |bytes: u64| bytes.div_ceil(4);
    InputEstimate {
        total: tokens(w.bytes).max(1),
        prefix: tokens(w.prefix_bytes),
        prefix_hash: w.prefix_hash,
    }
}

#[derive(Default)]
struct Walker {
    bytes: u64,
    hasher: DefaultHasher,
    prefix_bytes: u64,
    prefix_hash: u64,
}

impl Walker {
    fn walk(&mut self, v: &Value) {
        match v {
            Value::String(s) => {
                self.bytes += s.len() as u64;
                s.hash(&mut self.hasher);
            }
            Value::Array(a) => a.iter().for_each(|x| self.walk(x)),
            Value::Object(o) => {
                for (k, x) in o {
                    if k != "cache_control" && k != "type" {
                        self.walk(x);
                    }
                }
                if o.contains_key("cache_control") {
                    self.prefix_bytes = self.bytes;
                    self.prefix_hash = self.hasher.finish();
                }
            }
            _ => {}
        }
    }
}

/// Cached prefixes (by hash) and when they expire (seconds since start). Bounded: when full,
/// expired entries go, then everything.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: HashMap<u64, f64>,
}

const CACHE_MAX: usize = 65_536;

impl PromptCache {
    /// True when the prefix was cached (a read); otherwise it is written now.
    pub fn read_or_write(&mut self, hash: u64, now: f64, ttl: f64) -> bool {
        if let Some(exp) = self.entries.get_mut(&hash)
            && *exp > now
        {
            *exp = now + ttl;
            return true;
        }
        if self.entries.len() >= CACHE_MAX {
            self.entries.retain(|_, e| *e > now);
            if self.entries.len() >= CACHE_MAX {
                self.entries.clear();
            }
        }
        self.entries.insert(hash, now + ttl);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_continuously() {
        let mut b = Bucket::new(10, 60.0);
        b.refill(0.0);
        b.take(10.0);
        assert_eq!(b.remaining(), 0);
        assert!((b.wait_for(1.0) - 6.0).abs() < 1e-9);
        b.refill(3.0);
        assert_eq!(b.remaining(), 0);
        b.refill(6.0);
        assert_eq!(b.remaining(), 1);
        assert!((b.until_full() - 54.0).abs() < 1e-9);
        b.refill(1000.0);
        assert_eq!(b.remaining(), 10, "never above the limit");
    }

    #[test]
    fn burst_above_rpm_is_refused_with_the_wait() {
        let l = Limits {
            requests_per_minute: Some(3),
            ..Default::default()
        };
        let mut b = Buckets::new(&l, 60.0);
        for _ in 0..3 {
            b.admit(0.0, Cost::default(), OtpmReading::Actual, None, 60.0)
                .unwrap();
        }
        let r = b
            .admit(0.0, Cost::default(), OtpmReading::Actual, None, 60.0)
            .unwrap_err();
        assert_eq!(
            r,
            Refusal::Limit {
                dim: Dim::Requests,
                limit: 3,
                wait: 20.0
            }
        );
        assert_eq!(retry_after_secs(20.0), 20);
        assert!(
            b.admit(20.0, Cost::default(), OtpmReading::Actual, None, 60.0)
                .is_ok()
        );
    }

    #[test]
    fn otpm_readings_differ() {
        let l = Limits {
            output_tokens_per_minute: Some(1000),
            ..Default::default()
        };
        let big = Cost {
            input: 1,
            output: 10,
            max_tokens: 600,
        };
        let mut b = Buckets::new(&l, 60.0);
        for _ in 0..2 {
            assert!(b.admit(0.0, big, OtpmReading::Actual, None, 60.0).is_ok());
        }
        let mut b = Buckets::new(&l, 60.0);
        assert!(
            b.admit(0.0, big, OtpmReading::MaxTokens, None, 60.0)
                .is_ok()
        );
        assert!(matches!(
            b.admit(0.0, big, OtpmReading::MaxTokens, None, 60.0),
            Err(Refusal::Limit {
                dim: Dim::OutputTokens,
                ..
            })
        ));
    }

    #[test]
    fn ramp_allows_growth_per_minute() {
        let r = Ramp {
            dimension: "requests".into(),
            floor: 2,
            growth: 2.0,
        };
        let mut b = Buckets::new(&Limits::default(), 10.0);
        let c = Cost::default();
        let go = |b: &mut Buckets, t| b.admit(t, c, OtpmReading::Actual, Some(&r), 10.0);
        assert!(go(&mut b, 0.0).is_ok());
        assert!(go(&mut b, 0.1).is_ok());
        let Err(Refusal::Ramp { current, wait, .. }) = go(&mut b, 0.2) else {
            panic!("ramp")
        };
        assert_eq!(current, 2);
        assert!((wait - 9.8).abs() < 1e-9);
        for i in 0..4 {
            assert!(
                go(&mut b, 10.0 + i as f64 * 0.1).is_ok(),
                "doubling allowed"
            );
        }
        assert!(go(&mut b, 11.0).is_err());
    }

    #[test]
    fn input_estimate_and_cache_prefix() {
        let req: Value = serde_json::json!({
            "system": [{"type": "text", "text": "x".repeat(400), "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "y".repeat(40)}],
        });
        let e = estimate_input(&req);
        assert_eq!(e.prefix, 100);
        assert_eq!(e.total, 100 + (40 + 4) / 4);
        let mut c = PromptCache::default();
        assert!(!c.read_or_write(e.prefix_hash, 0.0, 300.0));
        assert!(c.read_or_write(e.prefix_hash, 1.0, 300.0));
        assert!(!c.read_or_write(e.prefix_hash, 400.0, 300.0), "expired");
        let probe = serde_json::json!({"messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(estimate_input(&probe).total, 2);
    }
}
