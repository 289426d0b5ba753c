//! Causes: every failure class seen, with its counts, evidence and fix, ranked by how much of
//! the incident it explains.
//!
//! # The ranking rule
//!
//! A cause's **score** is the sum, over its failures, of the verdict's confidence weight:
//! certain 1.0, likely 0.6, possible 0.3. So ten certain refusals (10.0) outrank thirty
//! possible ones (9.0): a cause we can prove explains more than one we are guessing at.
//!
//! Two adjustments:
//!
//! * **Cascade credit.** The *trigger* is the rate-limit class (not `overload`, `unknown` or
//!   `not_rate_limit`) whose first certain-or-likely failure is the earliest of the incident.
//!   Once a limit refuses, clients retry into the empty bucket and the refusals that follow
//!   often carry no code or header that names the limit: they land in `unknown`. The
//!   trigger is credited with half the count of the `unknown` failures at or after its first
//!   minute. A certain `ramp_limit_exceeded` followed by a cascade of bare 429s therefore
//!   outranks the pile of possible unknowns.
//! * **Not a rate limit.** `not_rate_limit` failures count half: they are real failures but
//!   do not explain a rate-limit incident.
//!
//! Ties go to the larger count, then to the class order of the decision table. `share` is
//! plain count over all failures, so readers see both numbers.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::timeline::Timeline;
use super::{At, place, rfc3339, weight};
use crate::classify::{Class, Confidence, FixRef, Provider, Verdict};
use crate::fixes;

/// Distinct evidence lines kept per class; more are counted, not kept.
const MAX_EVIDENCE: usize = 32;
/// Evidence lines shown per cause.
const SHOW_EVIDENCE: usize = 5;
const MAX_EXAMPLES: usize = 3;
const MAX_MODELS: usize = 8;

/// A ranked cause.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Cause {
    /// 1 for the cause that explains most.
    pub rank: usize,
    pub class: Class,
    /// The decision table's name for the class.
    pub title: &'static str,
    /// Failures of this class.
    pub count: u64,
    /// `count` over all failures in the window (0 to 1).
    pub share: f64,
    /// The ranking score (see the module doc): confidence-weighted count plus cascade credit.
    pub score: f64,
    /// Why it ranks where it does, in words.
    pub rank_reason: String,
    /// The confidence most of its failures carry (ties go to the higher).
    pub confidence: Confidence,
    /// Failures per confidence.
    pub by_confidence: BTreeMap<Confidence, u64>,
    /// First and last failure (RFC 3339), when the captures have times.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The strongest evidence lines, with how many failures showed each.
    pub evidence: Vec<String>,
    /// A few failures to look at: `source:line (time)` and request id.
    pub examples: Vec<Example>,
    /// Models involved, with counts.
    pub models: BTreeMap<String, u64>,
    /// Shortest and longest retry-after (or reset) given, in seconds.
    pub retry_after_s: Option<Range>,
    /// The configured limit involved, when the headers or the message said.
    pub limit: Option<u64>,
    /// Why this class happens (first verdict's reason).
    pub why: String,
    /// The fix its failures carry (chosen per class, provider and evidence by
    /// `fixes::choose`); when they differ, the one most of them carry.
    pub fix: FixRef,
    /// Whether waiting (honouring retry-after) clears it.
    pub waiting_helps: bool,
    /// Who answered its failures, with counts (`anthropic`, `bedrock`, `vertex`, another
    /// vendor, `unknown`).
    pub providers: BTreeMap<Provider, u64>,
    /// The other fixes some of its failures carry (another provider's, or another reading of
    /// the evidence), with how many carry each.
    pub other_fixes: Vec<OtherFix>,
}

/// A fix that some of a cause's failures carry besides the cause's own.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct OtherFix {
    /// Failures carrying it.
    pub count: u64,
    /// The provider of the first of them.
    pub provider: Provider,
    pub fix: FixRef,
}

/// A range of seconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Range {
    pub min: u64,
    pub max: u64,
}

/// A failure to look at.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
pub struct Example {
    /// `source:line (HH:MM:SS)`.
    pub at: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone)]
struct EvidenceLine {
    text: String,
    count: u64,
    /// Best position within a verdict's evidence (0 = the deciding line).
    pos: usize,
    conf: Confidence,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    count: u64,
    by_conf: [u64; 3],
    first: Option<i64>,
    last: Option<i64>,
    /// Earliest certain-or-likely failure (for the trigger).
    first_sure: Option<i64>,
    evidence: Vec<EvidenceLine>,
    examples: Vec<(At, Option<u16>, Option<String>)>,
    models: BTreeMap<String, u64>,
    retry: Option<(u64, u64)>,
    limit: Option<u64>,
    why: Option<String>,
    /// Distinct fixes, in the order first seen, with the first provider and a count.
    fixes: Vec<(FixRef, Provider, u64)>,
    providers: BTreeMap<Provider, u64>,
}

/// Distinct fixes kept per class (a handful exist per class).
const MAX_FIXES: usize = 8;

fn conf_idx(c: Confidence) -> usize {
    match c {
        Confidence::Possible => 0,
        Confidence::Likely => 1,
        Confidence::Certain => 2,
    }
}

/// Accumulates failures per class.
#[derive(Debug, Default)]
pub struct Causes {
    by_class: BTreeMap<Class, Acc>,
}

impl Causes {
    pub(crate) fn add(&mut self, v: &Verdict, at: &At) {
        let a = self.by_class.entry(v.class).or_default();
        a.count += 1;
        a.by_conf[conf_idx(v.confidence)] += 1;
        if let Some(t) = at.time {
            a.first = Some(a.first.map_or(t, |f| f.min(t)));
            a.last = Some(a.last.map_or(t, |l| l.max(t)));
            if v.confidence >= Confidence::Likely {
                a.first_sure = Some(a.first_sure.map_or(t, |f| f.min(t)));
            }
        }
        for (pos, e) in v.evidence.iter().enumerate() {
            if let Some(line) = a.evidence.iter_mut().find(|l| l.text == *e) {
                line.count += 1;
                line.pos = line.pos.min(pos);
                line.conf = line.conf.max(v.confidence);
            } else if a.evidence.len() < MAX_EVIDENCE {
                a.evidence.push(EvidenceLine {
                    text: e.clone(),
                    count: 1,
                    pos,
                    conf: v.confidence,
                });
            }
        }
        if a.examples.len() < MAX_EXAMPLES {
            a.examples
                .push((at.clone(), v.status, v.request_id.clone()));
        }
        if let Some(m) = &v.model
            && (a.models.len() < MAX_MODELS || a.models.contains_key(m))
        {
            *a.models.entry(m.clone()).or_default() += 1;
        }
        if let Some(r) = v.retry_after_s {
            a.retry = Some(a.retry.map_or((r, r), |(lo, hi)| (lo.min(r), hi.max(r))));
        }
        if a.limit.is_none() {
            a.limit = v.limit;
        }
        if a.why.is_none() {
            a.why = Some(v.why.clone());
        }
        *a.providers.entry(v.provider).or_default() += 1;
        if let Some(f) = a.fixes.iter_mut().find(|(f, _, _)| *f == v.fix) {
            f.2 += 1;
        } else if a.fixes.len() < MAX_FIXES {
            a.fixes.push((v.fix.clone(), v.provider, 1));
        }
    }

    /// Ranks the classes (see the module doc).
    pub(crate) fn rank(
        self,
        timeline: &Timeline,
        sources: &[Arc<str>],
        failures: u64,
    ) -> Vec<Cause> {
        let trigger = self
            .by_class
            .iter()
            .filter(|(c, _)| c.is_rate_limit() && !matches!(c, Class::Overload | Class::Unknown))
            .filter_map(|(c, a)| a.first_sure.map(|t| (t, *c)))
            .min()
            .map(|(t, c)| (c, t));
        let unknown_after = |t: i64| -> u64 { timeline.unknown_from(t.div_euclid(60_000)) };
        let mut out: Vec<Cause> = self
            .by_class
            .into_iter()
            .map(|(class, a)| {
                let base: f64 = [Confidence::Possible, Confidence::Likely, Confidence::Certain]
                    .iter()
                    .map(|c| weight(*c) * a.by_conf[conf_idx(*c)] as f64)
                    .sum();
                let mut score = base;
                let mut reason = format!(
                    "{} failure{} weighted by confidence: {:.1}",
                    a.count,
                    if a.count == 1 { "" } else { "s" },
                    base
                );
                if class == Class::NotRateLimit {
                    score *= 0.5;
                    reason.push_str(", halved: not a rate limit");
                }
                if let Some((tc, t)) = trigger
                    && tc == class
                {
                    let n = unknown_after(t);
                    if n > 0 {
                        score += 0.5 * n as f64;
                        reason.push_str(&format!(
                            ", +{:.1} as the trigger: {n} unknown failure{} followed its first refusal",
                            0.5 * n as f64,
                            if n == 1 { "" } else { "s" }
                        ));
                    } else {
                        reason.push_str(", the first refusal of the incident");
                    }
                }
                cause(class, a, score, reason, failures, sources)
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.count.cmp(&a.count))
                .then(a.class.cmp(&b.class))
        });
        for (i, c) in out.iter_mut().enumerate() {
            c.rank = i + 1;
        }
        out
    }
}

fn cause(
    class: Class,
    mut a: Acc,
    score: f64,
    rank_reason: String,
    failures: u64,
    sources: &[Arc<str>],
) -> Cause {
    let fix = fixes::for_class(class);
    // The fix most failures carry (the first seen on a tie); the others are listed.
    let mut chosen: Vec<(FixRef, Provider, u64)> = std::mem::take(&mut a.fixes);
    chosen.sort_by_key(|x| std::cmp::Reverse(x.2));
    let main = if chosen.is_empty() {
        fixes::choose(class, Provider::Unknown, None).into()
    } else {
        chosen.remove(0).0
    };
    let other_fixes = chosen
        .into_iter()
        .map(|(fix, provider, count)| OtherFix {
            count,
            provider,
            fix,
        })
        .collect();
    let confidence = [
        Confidence::Certain,
        Confidence::Likely,
        Confidence::Possible,
    ]
    .into_iter()
    .max_by_key(|c| (a.by_conf[conf_idx(*c)], *c))
    .unwrap_or(Confidence::Possible);
    a.evidence.sort_by(|x, y| {
        y.conf
            .cmp(&x.conf)
            .then(x.pos.cmp(&y.pos))
            .then(y.count.cmp(&x.count))
    });
    let evidence = a
        .evidence
        .iter()
        .take(SHOW_EVIDENCE)
        .map(|l| {
            if l.count > 1 {
                format!("{} (x{})", l.text, l.count)
            } else {
                l.text.clone()
            }
        })
        .collect();
    Cause {
        rank: 0,
        class,
        title: fix.title,
        count: a.count,
        share: if failures > 0 {
            (a.count as f64 / failures as f64 * 1000.0).round() / 1000.0
        } else {
            0.0
        },
        score: (score * 10.0).round() / 10.0,
        rank_reason,
        confidence,
        by_confidence: [
            Confidence::Possible,
            Confidence::Likely,
            Confidence::Certain,
        ]
        .into_iter()
        .filter(|c| a.by_conf[conf_idx(*c)] > 0)
        .map(|c| (c, a.by_conf[conf_idx(c)]))
        .collect(),
        first_seen: a.first.map(rfc3339),
        last_seen: a.last.map(rfc3339),
        evidence,
        examples: a
            .examples
            .iter()
            .map(|(at, status, rid)| Example {
                at: place(sources, at),
                status: *status,
                request_id: rid.clone(),
            })
            .collect(),
        models: a.models,
        retry_after_s: a.retry.map(|(min, max)| Range { min, max }),
        limit: a.limit,
        why: a.why.unwrap_or_else(|| fix.why.to_string()),
        waiting_helps: main.waiting_helps,
        fix: main,
        providers: a.providers,
        other_fixes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Format;

    fn verdict(class: Class, confidence: Confidence) -> Verdict {
        let fix = fixes::choose(class, crate::classify::Provider::Anthropic, None);
        Verdict {
            source: "t".into(),
            line: 1,
            time: None,
            status: Some(429),
            model: None,
            class,
            confidence,
            evidence: vec![format!("evidence for {class}")],
            retry_after_s: None,
            request_id: None,
            fix: fix.into(),
            format: Format::Jsonl,
            error_type: None,
            error_code: None,
            limit: None,
            reset: None,
            why: String::new(),
            provider: crate::classify::Provider::Anthropic,
            subscription: None,
        }
    }

    fn at(ms: i64) -> At {
        At {
            source: 0,
            line: 1,
            time: Some(ms),
        }
    }

    #[test]
    fn certainty_outweighs_count() {
        let mut c = Causes::default();
        for _ in 0..10 {
            c.add(&verdict(Class::Itpm, Confidence::Certain), &at(60_000));
        }
        for _ in 0..30 {
            c.add(&verdict(Class::Rpm, Confidence::Possible), &at(60_000));
        }
        let ranked = c.rank(&Timeline::default(), &[Arc::from("t")], 40);
        assert_eq!(ranked[0].class, Class::Itpm);
        assert_eq!(ranked[0].score, 10.0);
        assert_eq!(ranked[1].score, 9.0);
        assert_eq!(ranked[1].share, 0.75);
    }

    #[test]
    fn a_certain_trigger_outranks_the_unknown_cascade_after_it() {
        let mut c = Causes::default();
        let mut timeline = Timeline::default();
        for _ in 0..5 {
            c.add(
                &verdict(Class::Acceleration, Confidence::Certain),
                &at(60_000),
            );
        }
        for _ in 0..40 {
            c.add(&verdict(Class::Unknown, Confidence::Possible), &at(120_000));
        }
        let mut b = super::super::Bucket::default();
        b.by_class[Class::Unknown as usize] = 40;
        timeline.insert(2, b);
        let ranked = c.rank(&timeline, &[Arc::from("t")], 45);
        assert_eq!(ranked[0].class, Class::Acceleration, "{ranked:#?}");
        assert_eq!(ranked[0].score, 25.0);
        assert!(ranked[0].rank_reason.contains("trigger"));
        assert_eq!(ranked[1].class, Class::Unknown);
        assert_eq!(ranked[1].score, 12.0);
    }

    #[test]
    fn evidence_is_counted_and_strongest_first() {
        let mut c = Causes::default();
        let mut v = verdict(Class::Itpm, Confidence::Certain);
        v.evidence = vec!["header".into(), "message".into()];
        c.add(&v, &at(0));
        c.add(&v, &at(0));
        let ranked = c.rank(&Timeline::default(), &[Arc::from("t")], 2);
        assert_eq!(ranked[0].evidence, vec!["header (x2)", "message (x2)"]);
    }
}
