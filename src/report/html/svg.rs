//! The charts of the HTML report, as inline SVG drawn here: the timeline (failures per bucket
//! stacked by class, successes on top, client-behaviour findings marked) and one headroom
//! chart per model class and dimension (the lowest `-remaining` per bucket under the `-limit`
//! line). Every chart has a `<title>` and `<desc>`; classes are told apart by pattern and by
//! label, not by colour alone. The data tables behind the charts are in `super`.
//!
//! Binning into bars is presentation (the analysis' buckets are summed into wider ones so a
//! day fits the page); nothing here re-reads or re-judges the input.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::classify::Class;
use crate::diagnose::headroom::Series;
use crate::diagnose::{Finding, Minute};

/// Most bars in a timeline; the bar width is the smallest of [`STEPS`] that fits.
pub const MAX_BARS: i64 = 360;
/// Fewest bars drawn (a short incident gets empty bars around it).
const MIN_BARS: usize = 15;
/// Bar widths in minutes.
const STEPS: [i64; 14] = [
    1, 2, 5, 10, 15, 30, 60, 120, 360, 720, 1440, 10080, 40320, 524160,
];

/// The chart's plot area, in SVG units (the SVG scales to the page width).
const W: f64 = 960.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const TIMELINE_H: f64 = 300.0;
const HEADROOM_H: f64 = 200.0;
/// Marks per finding on the timeline (the first is labelled `F<n>`).
const MAX_MARKS: usize = 4;

/// The fill patterns, cycled over the classes (with a colour each): solid, stripes one way,
/// dots, cross-hatch, stripes the other way, horizontal lines.
const PATTERNS: usize = 6;

/// One bar of the timeline.
#[derive(Debug, Clone, Default)]
pub struct Bar {
    /// Start, minutes since the Unix epoch.
    pub start: i64,
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    pub by_class: [u64; Class::ALL.len()],
}

/// The timeline in bars of `step` minutes from `start` (gaps included, as empty bars).
#[derive(Debug, Clone, Default)]
pub struct Bars {
    pub start: i64,
    pub step: i64,
    pub bars: Vec<Bar>,
}

fn minute_of(m: &Minute) -> Option<i64> {
    DateTime::parse_from_rfc3339(&m.minute)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp().div_euclid(60))
}

impl Bars {
    /// Sums the diagnosis' timeline entries into at most [`MAX_BARS`] bars.
    pub fn of(timeline: &[Minute]) -> Bars {
        let entries: Vec<(i64, &Minute)> = timeline
            .iter()
            .filter_map(|m| minute_of(m).map(|t| (t, m)))
            .collect();
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Bars::default();
        };
        let widest = entries
            .iter()
            .map(|(_, m)| m.width_minutes as i64)
            .max()
            .unwrap_or(1);
        let span = last.0 + last.1.width_minutes.max(1) as i64 - first.0;
        let step = STEPS
            .iter()
            .copied()
            .find(|s| *s >= widest && span.div_euclid(*s) < MAX_BARS)
            .unwrap_or(STEPS[STEPS.len() - 1]);
        let mut start = first.0 - first.0.rem_euclid(step);
        let mut n = ((last.0 - start).div_euclid(step) + 1).clamp(1, MAX_BARS * 2) as usize;
        if n < MIN_BARS {
            // A short incident is centred among empty bars, not drawn as one wide block.
            start -= ((MIN_BARS - n) / 2) as i64 * step;
            n = MIN_BARS;
        }
        let mut bars: Vec<Bar> = (0..n)
            .map(|i| Bar {
                start: start + i as i64 * step,
                ..Bar::default()
            })
            .collect();
        for (t, m) in entries {
            let i = ((t - start).div_euclid(step) as usize).min(n - 1);
            let b = &mut bars[i];
            b.requests += m.requests;
            b.successes += m.successes;
            b.failures += m.failures;
            for (c, k) in &m.by_class {
                b.by_class[*c as usize] += k;
            }
        }
        Bars { start, step, bars }
    }

    fn x(&self, minute: f64) -> f64 {
        let n = self.bars.len().max(1) as f64;
        LEFT + (minute - self.start as f64) / (self.step as f64 * n) * (W - LEFT - RIGHT)
    }

    fn bar_w(&self) -> f64 {
        (W - LEFT - RIGHT) / self.bars.len().max(1) as f64
    }

    /// The bucket in words: `1 minute`, `5 minutes`, `1 hour`, `1 day`...
    pub fn bucket(&self) -> String {
        bucket_words(self.step)
    }

    /// Whether the bars cross midnight (labels then carry the date).
    pub fn multi_day(&self) -> bool {
        let end = self.start + self.step * self.bars.len() as i64 - 1;
        self.start.div_euclid(1440) != end.div_euclid(1440)
    }

    /// The label of a bar's start.
    pub fn label(&self, minute: i64) -> String {
        let fmt = if self.step >= 1440 {
            "%Y-%m-%d"
        } else if self.multi_day() {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        };
        DateTime::<Utc>::from_timestamp(minute.saturating_mul(60), 0)
            .map(|t| t.format(fmt).to_string())
            .unwrap_or_default()
    }
}

/// `n` minutes in words.
pub fn bucket_words(step: i64) -> String {
    match step {
        1 => "1 minute".into(),
        s if s % 10080 == 0 => plural(s / 10080, "week"),
        s if s % 1440 == 0 => plural(s / 1440, "day"),
        s if s % 60 == 0 => plural(s / 60, "hour"),
        s => plural(s, "minute"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A number for SVG: one decimal at most.
fn f(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// 1, 2 or 5 times a power of ten, at least `v` (at least 1).
fn nice_ceil(v: u64) -> u64 {
    let mut p = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let c = m.saturating_mul(p);
            if c >= v {
                return c;
            }
        }
        if p > u64::MAX / 10 {
            return u64::MAX;
        }
        p *= 10;
    }
}

/// The class's palette slot (colour) and pattern.
pub fn class_slot(c: Class) -> usize {
    c as usize
}

/// The `<pattern>` id of a class.
pub fn pattern_id(c: Class) -> String {
    format!("p-{}", c.as_str())
}

/// The fill patterns of the classes present (in the timeline's `<defs>`).
fn patterns(classes: &[Class]) -> Markup {
    html! {
        defs {
            @for c in classes {
                @let slot = class_slot(*c);
                @let kind = slot % PATTERNS;
                pattern id=(pattern_id(*c)) patternUnits="userSpaceOnUse" width="8" height="8"
                    patternTransform=(if kind == 4 { "rotate(-45)" } else if kind == 1 { "rotate(45)" } else { "rotate(0)" }) {
                    rect width="8" height="8" class=(format!("c{slot}")) {}
                    @match kind {
                        1 | 4 => { rect width="3" height="8" class="ink" {} }
                        2 => { circle cx="4" cy="4" r="1.6" class="ink" {} }
                        3 => { path d="M0 0L8 8M8 0L0 8" class="inks" {} }
                        5 => { rect width="8" height="2.5" class="ink" {} }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// A legend swatch (a tiny SVG using the timeline's pattern).
pub fn swatch(fill: &str) -> Markup {
    html! {
        svg.swatch width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false" {
            rect x="0.5" y="0.5" width="13" height="13" fill=(fill) class="edge" {}
        }
    }
}

/// The classes with failures in the bars, in class order.
pub fn classes_in(bars: &Bars) -> Vec<Class> {
    Class::ALL
        .iter()
        .copied()
        .filter(|c| bars.bars.iter().any(|b| b.by_class[*c as usize] > 0))
        .collect()
}

/// Finding marks: (finding number, kind, minute) for the moments inside the chart, at most
/// [`MAX_MARKS`] per finding and one per bar.
pub fn marks(bars: &Bars, findings: &[Finding]) -> Vec<(usize, &'static str, i64, i64)> {
    let end = bars.start + bars.step * bars.bars.len() as i64;
    let mut out = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let mut bins: Vec<i64> = Vec::new();
        for ms in &f.moments {
            let m = ms.div_euclid(60_000);
            if m < bars.start || m >= end {
                continue;
            }
            let bin = (m - bars.start).div_euclid(bars.step);
            if !bins.contains(&bin) && bins.len() < MAX_MARKS {
                bins.push(bin);
                out.push((i + 1, f.kind.as_str(), bin, *ms));
            }
        }
    }
    out
}

/// The timeline chart.
pub fn timeline(bars: &Bars, findings: &[Finding]) -> Markup {
    let classes = classes_in(bars);
    let has_successes = bars.bars.iter().any(|b| b.successes > 0);
    let top = bars
        .bars
        .iter()
        .map(|b| b.failures + b.successes)
        .max()
        .unwrap_or(0);
    let ymax = nice_ceil(top.max(1));
    let plot_h = TIMELINE_H - TOP - BOTTOM;
    let y = |v: u64| TIMELINE_H - BOTTOM - v as f64 / ymax as f64 * plot_h;
    let bw = bars.bar_w();
    let gap = if bw > 3.0 { bw * 0.15 } else { 0.0 };
    let ticks = x_ticks(bars);
    let marks = marks(bars, findings);
    let total_fail: u64 = bars.bars.iter().map(|b| b.failures).sum();
    let peak = bars.bars.iter().max_by_key(|b| b.failures);
    let desc = format!(
        "{} bars of {} from {} UTC. {} failures in all{}. {}{}",
        bars.bars.len(),
        bars.bucket(),
        bars.label(bars.start),
        crate::fmt::thousands(total_fail),
        match peak {
            Some(p) if p.failures > 0 => format!(
                ", at most {} in the bar at {}",
                crate::fmt::thousands(p.failures),
                bars.label(p.start)
            ),
            _ => String::new(),
        },
        if classes.is_empty() {
            "No failures by class.".to_string()
        } else {
            format!(
                "Failure classes, bottom up: {}.",
                classes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if has_successes {
            " Successes are stacked on top in grey."
        } else {
            ""
        }
    );
    html! {
        svg #timeline-chart .chart viewBox=(format!("0 0 {} {}", f(W), f(TIMELINE_H)))
            role="img" aria-labelledby="timeline-title timeline-desc" preserveAspectRatio="xMidYMid meet" {
            title #timeline-title { "Failures per " (bars.bucket()) ", stacked by class" }
            desc #timeline-desc { (desc) }
            (patterns(&classes))
            (grid(ymax, TIMELINE_H, &ticks, bars))
            @if !marks.is_empty() {
                g.marks {
                    @for (k, (num, kind, bin, ms)) in marks.iter().enumerate() {
                        @let x = bars.x((bars.start + bin * bars.step) as f64) + bw / 2.0;
                        @let row = label_row(&marks, k, bars);
                        g.mark data-finding=(num) {
                            title { "F" (num) " " (kind) " at " (crate::diagnose::clock(*ms)) " UTC" }
                            line x1=(f(x)) x2=(f(x)) y1=(f(TOP - 4.0)) y2=(f(TIMELINE_H - BOTTOM)) {}
                            @if let Some(row) = row {
                                text x=(f(x + 2.0)) y=(f(TOP - 19.0 + row as f64 * 9.5)) { "F" (num) }
                            }
                        }
                    }
                }
            }
            g.bars {
                @for b in &bars.bars {
                    @if b.requests > 0 || b.failures > 0 {
                        @let x = bars.x(b.start as f64) + gap / 2.0;
                        @let w = (bw - gap).max(0.6);
                        g.bar data-start=(bars.label(b.start)) {
                            title { (bar_title(bars, b)) }
                            @for (class, fill, y0, y1) in segments(b, &classes, &y) {
                                @if class == "success" {
                                    rect.seg.ok data-class=(class) x=(f(x)) y=(f(y1)) width=(f(w)) height=(f((y0 - y1).max(0.5))) {}
                                } @else {
                                    rect.seg data-class=(class) x=(f(x)) y=(f(y1)) width=(f(w)) height=(f((y0 - y1).max(0.5))) fill=(fill) {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The row of mark `k`'s label, `None` for no label: only a finding's first mark is
/// labelled; a label closer than 22 units to an earlier one in the same row goes one row
/// down (three rows), and past that is left out (the line and its tooltip stay), so labels
/// never print over each other.
fn label_row(marks: &[(usize, &'static str, i64, i64)], k: usize, bars: &Bars) -> Option<usize> {
    let px = |bin: i64| bin as f64 * bars.bar_w();
    let mut rows: Vec<Vec<f64>> = vec![Vec::new(); 3];
    for (i, m) in marks[..=k].iter().enumerate() {
        let first = marks[..i].iter().all(|o| o.0 != m.0);
        if !first {
            if i == k {
                return None;
            }
            continue;
        }
        let x = px(m.2);
        let r = (0..3).find(|r| rows[*r].iter().all(|o| (o - x).abs() >= 22.0));
        if let Some(r) = r {
            rows[r].push(x);
        }
        if i == k {
            return r;
        }
    }
    None
}

/// A bar's segments, bottom up: (class, fill, lower y, upper y); failures by class, then
/// successes.
fn segments(
    b: &Bar,
    classes: &[Class],
    y: &dyn Fn(u64) -> f64,
) -> Vec<(&'static str, String, f64, f64)> {
    let mut acc = 0u64;
    let mut out = Vec::new();
    for c in classes {
        let n = b.by_class[*c as usize];
        if n > 0 {
            out.push((
                c.as_str(),
                format!("url(#{})", pattern_id(*c)),
                y(acc),
                y(acc + n),
            ));
            acc += n;
        }
    }
    if b.successes > 0 {
        out.push(("success", String::new(), y(acc), y(acc + b.successes)));
    }
    out
}

fn bar_title(bars: &Bars, b: &Bar) -> String {
    let mut s = format!(
        "{} UTC ({}): {} requests, {} failed",
        bars.label(b.start),
        bars.bucket(),
        crate::fmt::thousands(b.requests),
        crate::fmt::thousands(b.failures)
    );
    let by: Vec<String> = Class::ALL
        .iter()
        .filter(|c| b.by_class[**c as usize] > 0)
        .map(|c| format!("{c} {}", crate::fmt::thousands(b.by_class[*c as usize])))
        .collect();
    if !by.is_empty() {
        s.push_str(&format!(" ({})", by.join(", ")));
    }
    s
}

/// About eight x-axis ticks, on whole bars.
fn x_ticks(bars: &Bars) -> Vec<i64> {
    let n = bars.bars.len() as i64;
    let every = (n / 8).max(1);
    (0..n)
        .step_by(every as usize)
        .map(|i| bars.start + i * bars.step)
        .collect()
}

/// Axes and gridlines: four y steps up to `ymax`, x labels at `ticks`.
fn grid(ymax: u64, h: f64, ticks: &[i64], bars: &Bars) -> Markup {
    let plot_h = h - TOP - BOTTOM;
    html! {
        g.axis aria-hidden="true" {
            @for v in y_ticks(ymax) {
                @let yy = h - BOTTOM - (v as f64 / ymax as f64) * plot_h;
                line.grid x1=(f(LEFT)) x2=(f(W - RIGHT)) y1=(f(yy)) y2=(f(yy)) {}
                text.yl x=(f(LEFT - 6.0)) y=(f(yy + 4.0)) { (short_num(v)) }
            }
            @for t in ticks {
                @let x = bars.x(*t as f64);
                line.tick x1=(f(x)) x2=(f(x)) y1=(f(h - BOTTOM)) y2=(f(h - BOTTOM + 5.0)) {}
                text.xl x=(f(x)) y=(f(h - BOTTOM + 18.0)) { (bars.label(*t)) }
            }
            text.xl x=(f(W - RIGHT)) y=(f(h - 4.0)) text-anchor="end" { "UTC" }
        }
    }
}

/// Round y-axis values from 0 to at most `max`: a step of 1, 2 or 5 times a power of ten,
/// about four steps.
fn y_ticks(max: u64) -> Vec<u64> {
    let step = nice_ceil(max.div_ceil(4)).max(1);
    (0..=max / step).map(|i| i * step).collect()
}

/// `12`, `1.5k`, `2M`.
pub fn short_num(v: u64) -> String {
    match v {
        v if v >= 1_000_000 && v % 1_000_000 == 0 => format!("{}M", v / 1_000_000),
        v if v >= 1_000_000 => format!("{:.1}M", v as f64 / 1e6),
        v if v >= 10_000 && v % 1000 == 0 => format!("{}k", v / 1000),
        v if v >= 10_000 => format!("{:.1}k", v as f64 / 1e3),
        v => v.to_string(),
    }
}

/// One headroom bucket on the chart's bars: (bar index, lowest remaining, highest limit).
pub fn headroom_points(bars: &Bars, s: &Series) -> Vec<(usize, u64, u64)> {
    let n = bars.bars.len() as i64;
    let mut out: Vec<(usize, u64, u64)> = Vec::new();
    for p in &s.points {
        let i = (p.minute - bars.start).div_euclid(bars.step.max(1));
        if i < 0 || i >= n {
            continue;
        }
        let i = i as usize;
        match out.last_mut() {
            Some(last) if last.0 == i => {
                last.1 = last.1.min(p.min_remaining);
                last.2 = last.2.max(p.limit);
            }
            _ => out.push((i, p.min_remaining, p.limit)),
        }
    }
    out
}

/// One headroom chart: the lowest remaining per bar as a filled line, the limit as a dashed
/// step line, bars where nothing was left marked.
pub fn headroom(bars: &Bars, s: &Series, id: &str) -> Markup {
    let pts = headroom_points(bars, s);
    let lmax = pts.iter().map(|p| p.2).max().unwrap_or(1).max(1);
    let ymax = (lmax as f64 * 1.08).ceil() as u64;
    let plot_h = HEADROOM_H - TOP - BOTTOM;
    let y = |v: u64| HEADROOM_H - BOTTOM - v as f64 / ymax as f64 * plot_h;
    let bw = bars.bar_w();
    let cx = |i: usize| bars.x((bars.start + i as i64 * bars.step) as f64) + bw / 2.0;
    // Runs of consecutive bars with data, drawn as separate paths (a gap is a gap).
    let mut runs: Vec<Vec<(usize, u64, u64)>> = Vec::new();
    for p in &pts {
        match runs.last_mut() {
            Some(r) if r.last().is_some_and(|l| l.0 + 1 == p.0) => r.push(*p),
            _ => runs.push(vec![*p]),
        }
    }
    let mut line = String::new();
    let mut area = String::new();
    let mut limit = String::new();
    for r in &runs {
        let (x0, x1) = (cx(r[0].0) - bw / 2.0, cx(r[r.len() - 1].0) + bw / 2.0);
        for (k, p) in r.iter().enumerate() {
            let (xl, xr) = (cx(p.0) - bw / 2.0, cx(p.0) + bw / 2.0);
            let cmd = if k == 0 { 'M' } else { 'L' };
            line.push_str(&format!("{cmd}{} {}H{}", f(xl), f(y(p.1)), f(xr)));
            limit.push_str(&format!("{cmd}{} {}H{}", f(xl), f(y(p.2)), f(xr)));
            if k == 0 {
                area.push_str(&format!("M{} {}", f(x0), f(y(0))));
            }
            area.push_str(&format!("L{} {}L{} {}", f(xl), f(y(p.1)), f(xr), f(y(p.1))));
        }
        area.push_str(&format!("L{} {}Z", f(x1), f(y(0))));
    }
    let zero: Vec<usize> = pts.iter().filter(|p| p.1 == 0).map(|p| p.0).collect();
    let lowest = pts.iter().min_by_key(|p| (p.1, p.0));
    let ticks = x_ticks(bars);
    let what = format!("{}, {}", s.class, s.dimension.label());
    let desc = format!(
        "Lowest anthropic-ratelimit-{0}-remaining per {1} against anthropic-ratelimit-{0}-limit (dashed line, up to {2}). {3}{4}",
        s.dimension.header_infix(),
        bars.bucket(),
        crate::fmt::thousands(lmax),
        match lowest {
            Some((i, r, l)) => format!(
                "Lowest: {} of {} left at {} UTC.",
                crate::fmt::thousands(*r),
                crate::fmt::thousands(*l),
                bars.label(bars.start + *i as i64 * bars.step)
            ),
            None => "No samples in the timeline's span.".into(),
        },
        if zero.is_empty() {
            String::new()
        } else {
            format!(
                " Nothing left in {} bar(s), marked with a cross.",
                zero.len()
            )
        }
    );
    html! {
        svg.chart.headroom id=(id) viewBox=(format!("0 0 {} {}", f(W), f(HEADROOM_H)))
            role="img" aria-labelledby=(format!("{id}-title {id}-desc")) data-dimension=(s.dimension.as_str()) {
            title id=(format!("{id}-title")) { "Headroom: " (what) }
            desc id=(format!("{id}-desc")) { (desc) }
            (grid_headroom(ymax, lmax, &ticks, bars))
            path.area d=(area) {}
            path.limit d=(limit) {}
            path.remaining d=(line) {}
            @for i in &zero {
                @let x = cx(*i);
                @let yy = y(0);
                path.zero d=(format!("M{} {}l6 -6m-6 0l6 6", f(x - 3.0), f(yy - 1.0))) {}
            }
            text.lbl x=(f(W - RIGHT)) y=(f(y(lmax) - 4.0)) text-anchor="end" { "limit " (crate::fmt::thousands(lmax)) }
        }
    }
}

fn grid_headroom(ymax: u64, lmax: u64, ticks: &[i64], bars: &Bars) -> Markup {
    let h = HEADROOM_H;
    let plot_h = h - TOP - BOTTOM;
    html! {
        g.axis aria-hidden="true" {
            @for v in y_ticks(lmax) {
                @let yy = h - BOTTOM - (v as f64 / ymax as f64) * plot_h;
                line.grid x1=(f(LEFT)) x2=(f(W - RIGHT)) y1=(f(yy)) y2=(f(yy)) {}
                text.yl x=(f(LEFT - 6.0)) y=(f(yy + 4.0)) { (short_num(v)) }
            }
            @for t in ticks {
                @let x = bars.x(*t as f64);
                line.tick x1=(f(x)) x2=(f(x)) y1=(f(h - BOTTOM)) y2=(f(h - BOTTOM + 5.0)) {}
                text.xl x=(f(x)) y=(f(h - BOTTOM + 18.0)) { (bars.label(*t)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn minute(m: &str, succ: u64, fail: u64) -> Minute {
        let mut by = BTreeMap::new();
        if fail > 0 {
            by.insert(Class::Rpm, fail);
        }
        Minute {
            minute: m.into(),
            width_minutes: 1,
            requests: succ + fail,
            successes: succ,
            failures: fail,
            by_class: by,
            input_tokens: 0,
            near_limit: 0,
        }
    }

    #[test]
    fn a_short_incident_is_per_minute_with_gaps() {
        let b = Bars::of(&[
            minute("2026-11-20T14:00:00Z", 5, 0),
            minute("2026-11-20T14:03:00Z", 1, 7),
        ]);
        assert_eq!(b.step, 1);
        assert_eq!(b.bars.len(), MIN_BARS, "centred among empty bars");
        let at = b.bars.iter().position(|x| x.failures > 0).unwrap();
        assert_eq!(b.bars[at].by_class[Class::Rpm as usize], 7);
        assert_eq!(b.bars[at - 3].successes, 5);
        assert_eq!(at, (MIN_BARS - 4) / 2 + 3);
        assert_eq!(b.bucket(), "1 minute");
        assert_eq!(b.label(b.bars[at].start), "14:03");
    }

    #[test]
    fn a_day_fits_in_the_bar_bound() {
        let tl: Vec<Minute> = (0..1440)
            .map(|i| {
                let t = DateTime::<Utc>::from_timestamp(1_795_000_000 / 86400 * 86400 + i * 60, 0)
                    .unwrap();
                minute(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), 2, 1)
            })
            .collect();
        let b = Bars::of(&tl);
        assert_eq!(b.step, 5);
        assert_eq!(b.bars.len(), 288);
        assert_eq!(b.bars.iter().map(|x| x.failures).sum::<u64>(), 1440);
        assert_eq!(b.bucket(), "5 minutes");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(f(1.04), "1");
        assert_eq!(f(1.25), "1.3");
        assert_eq!(nice_ceil(0), 1);
        assert_eq!(nice_ceil(37), 50);
        assert_eq!(nice_ceil(101), 200);
        assert_eq!(short_num(40_000), "40k");
        assert_eq!(y_ticks(1000), vec![0, 500, 1000]);
        assert_eq!(y_ticks(4000), vec![0, 1000, 2000, 3000, 4000]);
        assert_eq!(y_ticks(50), vec![0, 20, 40]);
        assert_eq!(y_ticks(1), vec![0, 1]);
        assert_eq!(bucket_words(120), "2 hours");
        assert_eq!(bucket_words(1440), "1 day");
    }
}
