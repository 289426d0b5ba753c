//! The terminal report of `diagnose`, and the timeline chart the markdown report reuses.
//! Colour only through [`Style`].

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::{Paint, Style};
use crate::classify::Class;
use crate::diagnose::{Diagnosis, Minute};
use crate::fmt::thousands;

/// Most rows the timeline chart prints; longer incidents use wider buckets.
pub const CHART_ROWS: usize = 40;

/// Writes the terminal report. With `redact`, ids are replaced before lines are wrapped
/// (the caller still runs the whole output through the redaction).
pub fn text(out: &mut dyn Write, d: &Diagnosis, style: &Style, redact: bool) -> io::Result<()> {
    let width = style.columns();
    style.para(out, &headline(d), "", "  ", Paint::Bold)?;
    if let Some(w) = window_line(d) {
        style.para(out, &w, "", "  ", Paint::Dim)?;
    }
    writeln!(out)?;

    writeln!(out, "{}", style.bold("Ranked causes"))?;
    if d.causes.is_empty() {
        style.para(out, &no_failures(d), "  ", "  ", Paint::Plain)?;
    }
    for c in &d.causes {
        write_cause(out, c, style, width, redact)?;
    }
    writeln!(out)?;

    let chart = chart(&d.timeline, !style.tty, width.saturating_sub(2));
    if !chart.is_empty() {
        style.para(
            out,
            &chart_title(&d.timeline, !style.tty),
            "",
            "  ",
            Paint::Bold,
        )?;
        if let Some(n) = untimed_note(d) {
            style.para(out, &n, "", "  ", Paint::Dim)?;
        }
        for row in chart {
            writeln!(out, "  {row}")?;
        }
        writeln!(out)?;
    }

    writeln!(out, "{}", style.bold("Client-behaviour findings"))?;
    if d.findings.is_empty() {
        style.para(
            out,
            "none: no ramp, ignored retry-after, retry storm, stray key, oversized max_tokens or near-limit responses seen",
            "  ",
            "    ",
            Paint::Plain,
        )?;
    }
    for f in &d.findings {
        let indent = "    ";
        let body_w = width.saturating_sub(indent.len()).max(30);
        writeln!(out, "  {}", style.bold(f.kind.as_str()))?;
        write_wrapped(redact, out, indent, "", &f.detail, body_w)?;
        for e in &f.evidence {
            write_wrapped(redact, out, indent, &style.dim("- "), e, body_w - 2)?;
        }
        write_wrapped(
            redact,
            out,
            indent,
            &style.dim("fix: "),
            f.advice,
            body_w - 5,
        )?;
    }
    if let Some(live) = &d.live {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Live comparison"))?;
        super::live::write_text(out, live, style)?;
    }
    Ok(())
}

/// One ranked cause: its head line, then what, evidence, retry, example, fixes and rank.
fn write_cause(
    out: &mut dyn Write,
    c: &crate::diagnose::Cause,
    style: &Style,
    width: usize,
    redact: bool,
) -> io::Result<()> {
    let seen = match (&c.first_seen, &c.last_seen) {
        (Some(a), Some(b)) if a == b => format!("  at {}", short_time(a)),
        (Some(a), Some(b)) => format!("  {}", time_span(a, b)),
        _ => String::new(),
    };
    let head = format!(
        "  {:>2}. {}  {}  {} failure{} ({:.0}%){}",
        c.rank,
        style.class(c.class),
        style.confidence(c.confidence),
        thousands(c.count),
        if c.count == 1 { "" } else { "s" },
        c.share * 100.0,
        seen
    );
    // The times go to their own line when the first one would be too wide.
    if super::visible_width(&head) <= width || seen.is_empty() {
        writeln!(out, "{head}")?;
    } else {
        let cut = head.len() - seen.len();
        writeln!(out, "{}", &head[..cut])?;
        writeln!(out, "      {}", seen.trim())?;
    }
    let label = |l: &str| style.dim(&format!("{l:<9}"));
    let indent = "      ";
    let body_w = width.saturating_sub(indent.len() + 10).max(30);
    write_wrapped(
        redact,
        out,
        indent,
        &label("what"),
        &format!("{}: {}", c.title, c.why),
        body_w,
    )?;
    for (i, e) in c.evidence.iter().enumerate() {
        let l = if i == 0 { label("evidence") } else { label("") };
        write_wrapped(redact, out, indent, &l, e, body_w)?;
    }
    if let Some(r) = c.retry_after_s {
        let r = seconds_range(r);
        write_wrapped(
            redact,
            out,
            indent,
            &label("retry"),
            &format!("after {r}"),
            body_w,
        )?;
    }
    if let Some(e) = c.examples.first() {
        let mut s = e.at.clone();
        if let Some(r) = &e.request_id {
            s.push_str(&format!(", {r}"));
        }
        write_wrapped(redact, out, indent, &label("e.g."), &s, body_w)?;
    }
    write_wrapped(redact, out, indent, &label("fix"), c.fix.first, body_w)?;
    write_wrapped(redact, out, indent, &label("then"), c.fix.then, body_w)?;
    for o in &c.other_fixes {
        let also = format!(
            "{} failure{} ({}): {}",
            o.count,
            if o.count == 1 { "" } else { "s" },
            o.provider,
            o.fix.first
        );
        write_wrapped(redact, out, indent, &label("also"), &also, body_w)?;
    }
    write_wrapped(
        redact,
        out,
        indent,
        &label("ranked"),
        &c.rank_reason,
        body_w,
    )?;
    Ok(())
}

/// `20 s`, or `2 to 30 s`.
pub fn seconds_range(r: crate::diagnose::causes::Range) -> String {
    if r.min == r.max {
        format!("{} s", r.min)
    } else {
        format!("{} to {} s", r.min, r.max)
    }
}

/// `12 failures (11 rate limits) in 5,120 captures from 3 files, 14:00:03 to 14:09:58 UTC`.
pub fn headline(d: &Diagnosis) -> String {
    let s = &d.summary;
    let f = s.counts.failures;
    let mut h = format!(
        "{} failure{} ({} rate limit{}) in {} capture{}",
        thousands(f),
        if f == 1 { "" } else { "s" },
        thousands(s.rate_limit_failures),
        if s.rate_limit_failures == 1 { "" } else { "s" },
        thousands(s.in_window),
        if s.in_window == 1 { "" } else { "s" },
    );
    h.push_str(&format!(
        " from {} file{}",
        s.counts.files,
        if s.counts.files == 1 { "" } else { "s" }
    ));
    if let (Some(a), Some(b)) = (&s.first, &s.last) {
        h.push_str(&format!(", {} UTC", time_span(a, b)));
    }
    h
}

/// The filters, when any were given.
pub fn window_line(d: &Diagnosis) -> Option<String> {
    let s = &d.summary;
    let mut parts = Vec::new();
    if let Some(a) = &s.since {
        parts.push(format!("since {a}"));
    }
    if let Some(b) = &s.until {
        parts.push(format!("until {b}"));
    }
    if !s.models.is_empty() {
        parts.push(format!("model {}", s.models.join(", ")));
    }
    if parts.is_empty() && s.excluded == 0 {
        return None;
    }
    let mut l = format!(
        "window: {}; {} capture{} left out",
        if parts.is_empty() {
            "all".to_string()
        } else {
            parts.join(", ")
        },
        thousands(s.excluded),
        if s.excluded == 1 { "" } else { "s" }
    );
    if s.excluded_untimed > 0 {
        l.push_str(&format!(
            " ({} without a time)",
            thousands(s.excluded_untimed)
        ));
    }
    Some(l)
}

/// What to say when there are no failures.
pub fn no_failures(d: &Diagnosis) -> String {
    if d.summary.in_window == 0 {
        "No captures in the window: nothing looked like an API response or error.".to_string()
    } else {
        "No failures: every capture in the window was a success.".to_string()
    }
}

/// `2026-11-20T14:02:11Z` -> `14:02:11`; other text unchanged.
pub fn short_time(s: &str) -> String {
    s.get(11..19).unwrap_or(s).to_string()
}

/// `HH:MM:SS to HH:MM:SS` within one day; with the dates (`YYYY-MM-DD HH:MM:SS to ...`) when
/// the span crosses midnight, so a multi-day range never reads backwards.
pub fn time_span(a: &str, b: &str) -> String {
    let day = |s: &str| s.get(..10).map(str::to_string);
    if day(a) == day(b) {
        format!("{} to {}", short_time(a), short_time(b))
    } else {
        let full = |s: &str| match (s.get(..10), s.get(11..19)) {
            (Some(d), Some(t)) => format!("{d} {t}"),
            _ => s.to_string(),
        };
        format!("{} to {}", full(a), full(b))
    }
}

/// The note under the timeline's title when failures without a time are left out of it.
pub fn untimed_note(d: &Diagnosis) -> Option<String> {
    let n = d.summary.untimed_failures;
    let all = d.summary.counts.failures;
    (n > 0).then(|| {
        format!(
            "{} of {} failure{} carr{} no time and {} not in the timeline (they count in the causes above).",
            thousands(n),
            thousands(all),
            if all == 1 { "" } else { "s" },
            if n == 1 { "ies" } else { "y" },
            if n == 1 { "is" } else { "are" },
        )
    })
}

/// Runs of at least this many empty rows are drawn as one line saying how long the gap was.
const GAP_ROWS: usize = 3;

/// Breaks `text` into lines of at most `width` columns at spaces; a word longer than a line
/// (a path, a header name) gets a line of its own, never split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lines = super::wrap_to(width.max(20), &text, "", "");
    if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    }
}

fn write_wrapped(
    redact: bool,
    out: &mut dyn Write,
    indent: &str,
    label: &str,
    text: &str,
    width: usize,
) -> io::Result<()> {
    let pad = " ".repeat(super::visible_width(label));
    let text = crate::redact::apply(text, redact);
    for (i, l) in wrap(&text, width).iter().enumerate() {
        let lab = if i == 0 { label } else { pad.as_str() };
        writeln!(out, "{indent}{lab}{l}")?;
    }
    Ok(())
}

/// Minutes per chart row: the smallest of these that fits the span in [`CHART_ROWS`] rows.
const STEPS: [i64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 360, 720, 1440, 10080];

fn minute_of(m: &Minute) -> Option<i64> {
    DateTime::parse_from_rfc3339(&m.minute)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp().div_euclid(60))
}

fn step_for(timeline: &[Minute]) -> i64 {
    let (Some(first), Some(last)) = (
        timeline.first().and_then(minute_of),
        timeline.last().and_then(minute_of),
    ) else {
        return 1;
    };
    let span = last - first + 1;
    STEPS
        .iter()
        .copied()
        .find(|s| span / s < CHART_ROWS as i64)
        .unwrap_or(10080)
}

/// The chart's title line.
pub fn chart_title(timeline: &[Minute], ascii: bool) -> String {
    let step = step_for(timeline);
    let per = if step == 1 {
        "per minute".to_string()
    } else {
        format!("per {step} minutes")
    };
    let (ok, bad) = if ascii { ('#', 'x') } else { ('█', '▒') };
    format!("Timeline (UTC, requests {per}; {ok} successes, {bad} failures)")
}

/// The timeline as text rows: time, a bar of successes then failures, counts, and the
/// failures by class. Gaps are drawn as empty rows, so a ramp or a plateau shows.
pub fn chart(timeline: &[Minute], ascii: bool, width: usize) -> Vec<String> {
    if timeline.is_empty() {
        return Vec::new();
    }
    let step = step_for(timeline);
    let mut rows: Vec<Row> = Vec::new();
    let Some(first) = timeline.first().and_then(minute_of) else {
        return Vec::new();
    };
    let start = first - first.rem_euclid(step);
    for m in timeline {
        let Some(at) = minute_of(m) else { continue };
        let slot = start + (at - start) / step * step;
        // Fill gaps with empty rows.
        while rows.last().is_none_or(|r| r.0 < slot) {
            let next = rows.last().map_or(start, |r| r.0 + step);
            rows.push((next, 0, 0, 0, [0; Class::ALL.len()]));
        }
        let r = rows.last_mut().expect("just pushed");
        r.1 += m.requests;
        r.2 += m.successes;
        r.3 += m.failures;
        for (c, n) in &m.by_class {
            r.4[*c as usize] += n;
        }
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bar_w = width.saturating_sub(60).clamp(10, 50);
    let width = width.max(40);
    let multi_day = rows.first().map(|r| r.0 / 1440) != rows.last().map(|r| r.0 / 1440);
    let (ok, bad) = if ascii { ('#', 'x') } else { ('█', '▒') };
    let count_w = thousands(max).len();
    let render = |(at, req, succ, fail, by): &Row| -> Vec<String> {
        let label = DateTime::<Utc>::from_timestamp(at * 60, 0)
            .map(|t| {
                if multi_day {
                    t.format("%m-%d %H:%M").to_string()
                } else {
                    t.format("%H:%M").to_string()
                }
            })
            .unwrap_or_default();
        let scale = |n: u64| ((n as f64 / max as f64) * bar_w as f64).round() as usize;
        let f = if *fail > 0 { scale(*fail).max(1) } else { 0 };
        let s = scale(*succ).min(bar_w.saturating_sub(f));
        let bar: String = std::iter::repeat_n(ok, s)
            .chain(std::iter::repeat_n(bad, f))
            .collect();
        let pad = bar_w - bar.chars().count();
        let row = format!(
            "{label}  {bar}{}  {:>count_w$} req",
            " ".repeat(pad),
            thousands(*req)
        );
        if *fail > 0 {
            let classes: Vec<String> = Class::ALL
                .iter()
                .filter(|c| by[**c as usize] > 0)
                .map(|c| format!("{c} {}", by[*c as usize]))
                .collect();
            let tail = format!("{} failed: {}", thousands(*fail), classes.join(", "));
            // What does not fit goes on lines of its own under the counts, wrapped
            // between classes.
            let lead = " ".repeat(label.chars().count() + 2);
            let first = format!("{}  ", row.trim_end());
            return super::wrap_to(width, &tail, &first, &lead);
        }
        vec![row.trim_end().to_string()]
    };
    // Long runs of empty rows (a few timed failures hours apart) become one line each.
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let run = rows[i..]
            .iter()
            .take_while(|r| r.1 == 0 && r.3 == 0)
            .count();
        if run >= GAP_ROWS {
            out.push(gap_line(run as i64 * step));
            i += run;
        } else {
            out.extend(render(&rows[i]));
            i += 1;
        }
    }
    out
}

/// One chart row: start minute, requests, successes, failures, failures per class.
type Row = (i64, u64, u64, u64, [u64; Class::ALL.len()]);

/// The line standing for a run of empty rows: how long nothing was logged.
fn gap_line(minutes: i64) -> String {
    let (n, unit) = if minutes % 1440 == 0 {
        (minutes / 1440, "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!(
        "...    no requests for {n} {unit}{}",
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn minute(m: &str, req: u64, fail: u64) -> Minute {
        let mut by = BTreeMap::new();
        if fail > 0 {
            by.insert(Class::Acceleration, fail);
        }
        Minute {
            minute: m.into(),
            width_minutes: 1,
            requests: req,
            successes: req - fail,
            failures: fail,
            by_class: by,
            input_tokens: 0,
            near_limit: 0,
        }
    }

    #[test]
    fn chart_fills_gaps_and_scales() {
        let rows = chart(
            &[
                minute("2026-11-20T14:00:00Z", 10, 0),
                minute("2026-11-20T14:02:00Z", 40, 20),
            ],
            true,
            80,
        );
        assert_eq!(rows.len(), 3, "{rows:#?}");
        assert!(rows[0].starts_with("14:00  ###"));
        assert!(rows[1].starts_with("14:01") && rows[1].ends_with("0 req"));
        assert!(rows[2].contains("xxxxx") && rows[2].ends_with("20 failed: acceleration 20"));
    }

    #[test]
    fn long_spans_use_wider_rows() {
        let tl = [
            minute("2026-11-20T10:00:00Z", 1, 0),
            minute("2026-11-20T16:00:00Z", 1, 0),
        ];
        assert_eq!(step_for(&tl), 10);
        assert!(chart(&tl, true, 80).len() <= CHART_ROWS);
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(
            wrap(
                "one two three four five six seven eight nine ten eleven",
                20
            ),
            vec![
                "one two three four",
                "five six seven eight",
                "nine ten eleven"
            ]
        );
    }
}
