//! `probe` for people: the intro, one table per probed model, refusals, the `--watch` lines
//! and summary. The data and the JSON live with the command; this only renders, to the
//! terminal's width.

use std::io::{self, Write};

use chrono::{DateTime, Local, Utc};
use comfy_table::Cell;

use super::table::{new_table, print_table};
use super::{Paint, Style};
use crate::api::messages::{Dimension, DimensionName, Headroom, TIGHT_BELOW_PCT};
use crate::classify::Verdict;
use crate::probe::{ModelsFrom, Probe, Round, Session, State};

use crate::report::thousands;

/// Everything fixed for a run: the probing session plus how to show it.
pub struct Ctx {
    pub session: Session,
    pub json: bool,
    pub style: Style,
}

impl std::ops::Deref for Ctx {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

pub(crate) fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
        thousands(v as u64)
    } else {
        v.to_string()
    }
}

pub(crate) fn fmt_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), thousands)
}

pub(crate) fn local_time(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Local);
    if l.date_naive() == Local::now().date_naive() {
        l.format("%H:%M:%S").to_string()
    } else {
        l.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// "in 23 s", "in 4 min 10 s", "in 2 h 5 min", "now".
pub(crate) fn relative(secs: i64) -> String {
    match secs {
        s if s <= 0 => "now".into(),
        s if s < 120 => format!("in {s} s"),
        s if s < 3600 => format!("in {} min {} s", s / 60, s % 60),
        s => format!("in {} h {} min", s / 3600, (s % 3600) / 60),
    }
}

pub(crate) fn reset_cell(d: &Dimension) -> String {
    match (d.reset_time(), d.reset_in_s) {
        (Some(t), Some(s)) => format!("{} ({})", local_time(t), relative(s)),
        _ => d.reset.clone().unwrap_or_else(|| "-".into()),
    }
}

pub(crate) fn paint_headroom(style: &Style, h: Headroom) -> String {
    use owo_colors::OwoColorize;
    let s = h.as_str();
    if !style.color {
        return s.to_string();
    }
    match h {
        Headroom::Ok => s.green().to_string(),
        Headroom::Tight => s.yellow().bold().to_string(),
        Headroom::Exhausted => s.red().bold().to_string(),
        Headroom::Unknown => s.dimmed().to_string(),
    }
}

/// A headroom verdict as a table cell, coloured by the table itself.
fn headroom_cell(h: Headroom, tightest: bool) -> Cell {
    use comfy_table::{Attribute, Color};
    // The tightest row is bold; the line under the table names it.
    let _ = tightest;
    let c = Cell::new(h.as_str());
    match h {
        Headroom::Ok => c.fg(Color::Green),
        Headroom::Tight => c.fg(Color::Yellow).add_attribute(Attribute::Bold),
        Headroom::Exhausted => c.fg(Color::Red).add_attribute(Attribute::Bold),
        Headroom::Unknown => c.add_attribute(Attribute::Dim),
    }
}

pub(crate) fn left_pct(d: &Dimension) -> String {
    match d.left_ratio() {
        // Rounded down, so a little use never reads as 100.0% left.
        Some(r) => format!("{:.1}% left", (r * 1000.0).floor() / 10.0),
        None => "unknown".into(),
    }
}

pub(crate) fn write_intro(out: &mut dyn Write, ctx: &Ctx, from: ModelsFrom) -> io::Result<()> {
    let n = ctx.targets.len();
    let list = ctx
        .targets
        .iter()
        .map(|t| match &t.class {
            Some(c) => format!("{} ({c})", t.model),
            None => t.model.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    ctx.style.para(
        out,
        &format!(
            "Probing {n} model{} {}: {list}",
            if n == 1 { "" } else { "s" },
            from.describe()
        ),
        "",
        "  ",
        Paint::Bold,
    )?;
    let every = ctx
        .watch
        .map(|s| format!(", every {s} s until Ctrl-C"))
        .unwrap_or_default();
    ctx.style.para(
        out,
        &format!(
            "API {} · budget per round: {} request{}, {} tokens · no retries{every}",
            ctx.client.config.base_url,
            ctx.max_requests,
            if ctx.max_requests == 1 { "" } else { "s" },
            ctx.max_tokens
        ),
        "",
        "  ",
        Paint::Dim,
    )?;
    writeln!(out)
}

pub(crate) fn write_round(out: &mut dyn Write, ctx: &Ctx, r: &Round) -> io::Result<()> {
    let style = &ctx.style;
    for p in &r.probes {
        write_probe(out, ctx, p)?;
    }
    let b = &r.budget;
    style.para(
        out,
        &format!(
            "{} request{} sent, {} tokens counted (budget: {} request{}, {} tokens)",
            b.requests_sent,
            if b.requests_sent == 1 { "" } else { "s" },
            b.tokens_counted,
            b.max_requests,
            if b.max_requests == 1 { "" } else { "s" },
            b.max_tokens
        ),
        "",
        "  ",
        Paint::Plain,
    )?;
    if let Some(s) = &b.stopped {
        style.para(out, &format!("stopped: {s}"), "", "  ", Paint::Bold)?;
    }
    for s in &r.skipped {
        style.para(
            out,
            &format!("not probed: {} ({})", s.model, s.reason),
            "",
            "  ",
            Paint::Plain,
        )?;
    }
    style.para(
        out,
        &format!(
            "headroom: exhausted = 0 left · tight = under {TIGHT_BELOW_PCT:.0}% left · ok = {TIGHT_BELOW_PCT:.0}% or more left"
        ),
        "",
        "  ",
        Paint::Dim,
    )
}

pub(crate) fn write_probe(out: &mut dyn Write, ctx: &Ctx, p: &Probe) -> io::Result<()> {
    let style = &ctx.style;
    let mut title = p.model.clone();
    if let Some(c) = &p.class {
        title.push_str(&format!(" ({c})"));
    }
    let mut meta = Vec::new();
    if let Some(s) = p.status {
        meta.push(match p.elapsed_ms {
            Some(ms) => format!("{s} in {ms} ms"),
            None => s.to_string(),
        });
    }
    if let Some(m) = p.answered_model.as_deref().filter(|m| *m != p.model) {
        meta.push(format!("answered by {m}"));
    }
    if let Some(id) = &p.request_id {
        meta.push(format!("request-id {id}"));
    }
    // The model first, bold; what the answer said after it, dimmed, wrapped under it.
    let meta = meta.join(" · ");
    if meta.is_empty() || super::visible_width(&title) + 3 + meta.len() <= style.columns() {
        writeln!(
            out,
            "{}{}",
            style.bold(&title),
            if meta.is_empty() {
                String::new()
            } else {
                style.dim(&format!(" · {meta}"))
            }
        )?;
    } else {
        writeln!(out, "{}", style.bold(&title))?;
        style.para(out, &meta, "  ", "  ", Paint::Dim)?;
    }
    if !p.dimensions.is_empty() {
        let with_org = p.dimensions.iter().any(|d| d.org_limit.is_some());
        let mut header = vec![
            "dimension",
            "limit",
            "remaining",
            "used",
            "resets",
            "headroom",
        ];
        if with_org {
            header.push("org limit");
        }
        let mut t = new_table(style, &header);
        for d in &p.dimensions {
            let is_tightest = p.tightest == Some(d.name);
            let name = if is_tightest {
                style.bold_cell(d.name.label())
            } else {
                Cell::new(d.name.label())
            };
            let mut headroom = headroom_cell(d.headroom, is_tightest);
            if is_tightest {
                headroom = headroom.add_attribute(comfy_table::Attribute::Bold);
            }
            let mut row = vec![
                name,
                Cell::new(fmt_opt(d.limit)),
                Cell::new(fmt_opt(d.remaining)),
                Cell::new(
                    d.used_pct
                        .map_or_else(|| "-".into(), |u| format!("{u:.1}%")),
                ),
                Cell::new(reset_cell(d)),
                headroom,
            ];
            if with_org {
                row.push(Cell::new(d.org_limit.map_or_else(|| "-".into(), fmt_value)));
            }
            t.add_row(row);
        }
        print_table(out, &t)?;
        if let Some(d) = p
            .tightest
            .and_then(|n| p.dimensions.iter().find(|d| d.name == n))
        {
            writeln!(
                out,
                "tightest: {} ({}, {})",
                style.bold(d.name.label()),
                paint_headroom(style, d.headroom),
                left_pct(d)
            )?;
        }
    } else if p.error.is_none() {
        writeln!(
            out,
            "no anthropic-ratelimit-* headers in the answer (a proxy may strip them)"
        )?;
    }
    if let Some(v) = &p.refused {
        write_refusal(out, style, v)?;
    }
    if let Some(s) = &p.stray_key {
        style.para(out, &s.message, "", "", Paint::Bold)?;
    }
    if let Some(e) = &p.error {
        style.para(out, &format!("error: {e}"), "", "  ", Paint::Plain)?;
    }
    writeln!(out)
}

pub(crate) fn write_refusal(out: &mut dyn Write, style: &Style, v: &Verdict) -> io::Result<()> {
    writeln!(
        out,
        "{} {}: {} ({})",
        style.bold("REFUSED"),
        v.status.map_or_else(|| "-".into(), |s| s.to_string()),
        style.class(v.class),
        style.confidence(v.confidence)
    )?;
    let pad = " ".repeat(12);
    for (i, e) in v.evidence.iter().enumerate() {
        let label = if i == 0 { "evidence:" } else { "" };
        let e = crate::redact::keys(e);
        style.para(out, &e, &format!("  {label:<10}"), &pad, Paint::Plain)?;
    }
    style.para(
        out,
        &v.why,
        &format!("  {:<10}", "why:"),
        &pad,
        Paint::Plain,
    )?;
    style.para(
        out,
        v.fix.first,
        &format!("  {:<10}", "fix:"),
        &pad,
        Paint::Plain,
    )?;
    style.para(
        out,
        v.fix.then,
        &format!("  {:<10}", "then:"),
        &pad,
        Paint::Plain,
    )?;
    if let Some(s) = v.retry_after_s {
        writeln!(
            out,
            "  {:<10}{s} s (not retried: a probe never retries)",
            "retry in:"
        )?;
    } else {
        writeln!(out, "  {:<10}not retried: a probe never retries", "")?;
    }
    Ok(())
}

/// The compact cell of a dimension in a --watch line: `remaining/limit`.
pub(crate) fn live_cell(p: &Probe, name: DimensionName) -> String {
    p.dimensions.iter().find(|d| d.name == name).map_or_else(
        || "-".into(),
        |d| format!("{}/{}", fmt_opt(d.remaining), fmt_opt(d.limit)),
    )
}

pub(crate) const LIVE_COLS: [DimensionName; 3] = [
    DimensionName::Requests,
    DimensionName::InputTokens,
    DimensionName::OutputTokens,
];

pub(crate) fn write_live(ctx: &Ctx, st: &mut State, round: u32, p: &Probe) -> io::Result<()> {
    let mut out = crate::output::stdout().lock();
    let w = ctx
        .targets
        .iter()
        .map(|t| t.model.len())
        .max()
        .unwrap_or(5)
        .max(5);
    // The aligned columns when they fit; else one wrapped line per probe with labels.
    let aligned = 8 + 2 + 5 + 2 + w + 2 + 21 + 2 + 25 + 2 + 21 + 2 + 22 <= ctx.style.columns();
    if !aligned {
        let time = DateTime::parse_from_rfc3339(&p.time)
            .map(|t| t.with_timezone(&Local).format("%H:%M:%S").to_string())
            .unwrap_or_default();
        let [req, input, output] = LIVE_COLS.map(|n| live_cell(p, n));
        let verdict = if let Some(v) = &p.refused {
            format!(
                "REFUSED {}: {}",
                v.status.map_or_else(|| "-".into(), |s| s.to_string()),
                v.class.as_str()
            )
        } else if let Some(e) = &p.error {
            format!("error: {e}")
        } else {
            match p.tightest {
                Some(n) => format!("tightest: {} {}", n.label(), p.headroom.as_str()),
                None => "no rate-limit headers".into(),
            }
        };
        let line = format!(
            "{time} round {round} {}: requests {req} · input {input} · output {output} · {verdict}",
            p.model
        );
        ctx.style.para(&mut out, &line, "", "    ", Paint::Plain)?;
        if let Some(s) = &p.stray_key {
            ctx.style.para(&mut out, &s.message, "", "", Paint::Bold)?;
        }
        return out.flush();
    }
    if !st.live_header {
        st.live_header = true;
        writeln!(
            out,
            "{}",
            ctx.style.bold(&format!(
                "{:<8}  {:>5}  {:<w$}  {:>21}  {:>25}  {:>21}  tightest",
                "time", "round", "model", "requests", "input tokens", "output tokens"
            ))
        )?;
    }
    let time = DateTime::parse_from_rfc3339(&p.time)
        .map(|t| t.with_timezone(&Local).format("%H:%M:%S").to_string())
        .unwrap_or_default();
    let verdict = if let Some(v) = &p.refused {
        format!(
            "REFUSED {}: {}",
            v.status.map_or_else(|| "-".into(), |s| s.to_string()),
            ctx.style.class(v.class)
        )
    } else if let Some(e) = &p.error {
        format!("error: {e}")
    } else {
        match p.tightest {
            Some(n) => format!("{} {}", n.label(), paint_headroom(&ctx.style, p.headroom)),
            None => "no rate-limit headers".into(),
        }
    };
    let [req, input, output] = LIVE_COLS.map(|n| live_cell(p, n));
    writeln!(
        out,
        "{time:<8}  {round:>5}  {:<w$}  {:>21}  {:>25}  {:>21}  {verdict}",
        p.model, req, input, output
    )?;
    if let Some(s) = &p.stray_key {
        writeln!(out, "{}", ctx.style.bold(&s.message))?;
    }
    out.flush()
}

/// After --watch: the lowest headroom each model showed, then the refusals and findings.
pub(crate) fn write_watch_summary(out: &mut dyn Write, ctx: &Ctx, st: &State) -> io::Result<()> {
    let style = &ctx.style;
    let sent: u32 = (st.rounds.iter()).fold(0, |n, r| n.saturating_add(r.budget.requests_sent));
    let tokens: u64 = (st.rounds.iter()).fold(0, |n, r| n.saturating_add(r.budget.tokens_counted));
    writeln!(out)?;
    let why = if st.interrupted {
        "interrupted by Ctrl-C".to_string()
    } else if let Some(s) = &st.stop {
        s.clone()
    } else if !st.errors.is_empty() {
        "ended by an error".to_string()
    } else {
        "done".to_string()
    };
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "watched {} round{} ({why}): {sent} request{} sent, {tokens} tokens counted",
            st.rounds.len(),
            if st.rounds.len() == 1 { "" } else { "s" },
            if sent == 1 { "" } else { "s" },
        ))
    )?;
    let mut t = new_table(
        style,
        &[
            "model",
            "probes",
            "min requests left",
            "min input left",
            "min output left",
            "worst",
        ],
    );
    let mut any = false;
    for target in &ctx.targets {
        let probes: Vec<&Probe> = st
            .rounds
            .iter()
            .flat_map(|r| &r.probes)
            .filter(|p| p.model == target.model)
            .collect();
        if probes.is_empty() {
            continue;
        }
        any = true;
        let lowest = |name: DimensionName| {
            probes
                .iter()
                .filter_map(|p| p.dimensions.iter().find(|d| d.name == name))
                .filter(|d| d.left_ratio().is_some())
                .min_by(|a, b| {
                    a.left_ratio()
                        .unwrap_or(1.0)
                        .total_cmp(&b.left_ratio().unwrap_or(1.0))
                })
                .map_or_else(
                    || "-".into(),
                    |d| {
                        let pct = d.left_ratio().map_or(0.0, |r| (r * 1000.0).floor() / 10.0);
                        format!("{} ({pct:.1}%)", fmt_opt(d.remaining))
                    },
                )
        };
        let worst = probes
            .iter()
            .map(|p| p.headroom)
            .min()
            .unwrap_or(Headroom::Unknown);
        t.add_row(vec![
            Cell::new(&target.model),
            Cell::new(probes.len()),
            Cell::new(lowest(DimensionName::Requests)),
            Cell::new(lowest(DimensionName::InputTokens)),
            Cell::new(lowest(DimensionName::OutputTokens)),
            headroom_cell(worst, false),
        ]);
    }
    if any {
        // Model names never wrap; the numbers give way.
        if let Some(col) = t.column_mut(0) {
            col.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
        print_table(out, &t)?;
    }
    for p in st.rounds.iter().flat_map(|r| &r.probes) {
        if let Some(v) = &p.refused {
            writeln!(out, "{}:", p.model)?;
            write_refusal(out, style, v)?;
        }
    }
    let mut seen_stray = false;
    for p in st.rounds.iter().flat_map(|r| &r.probes) {
        if let Some(s) = &p.stray_key
            && !seen_stray
        {
            seen_stray = true;
            style.para(out, &s.message, "", "", Paint::Bold)?;
        }
    }
    if let Some(r) = st.rounds.last() {
        if let Some(s) = &r.budget.stopped {
            writeln!(out, "last round stopped: {s}")?;
        }
        for s in &r.skipped {
            writeln!(
                out,
                "not probed in round {}: {} ({})",
                r.round, s.model, s.reason
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(relative(0), "now");
        assert_eq!(relative(23), "in 23 s");
        assert_eq!(relative(250), "in 4 min 10 s");
        assert_eq!(relative(7500), "in 2 h 5 min");
        assert_eq!(fmt_value(4000.0), "4,000");
        assert_eq!(fmt_value(2.5), "2.5");
    }
}
