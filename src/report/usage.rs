//! "Who used the limit" for people: the `diagnose --live` section (text and markdown) and the
//! `claude-429 usage` table. The data and conclusions are [`crate::usage`].

use std::io::{self, Write};

use crate::report::Style;
use crate::report::table::{new_table, print_table};
use crate::usage::attribution::{self, pct, short, when};
use crate::usage::{Attribution, Scope, Series, Status};

fn status_line(a: &Attribution) -> String {
    match a.status {
        Status::Read => format!(
            "usage report {} to {} ({} buckets, grouped by {}; {} Admin API request{}{})",
            a.since,
            a.until,
            a.bucket_width,
            a.group_by.as_str(),
            a.requests,
            if a.requests == 1 { "" } else { "s" },
            match &a.own_key_name {
                Some(n) => format!("; your key: {n}"),
                None if a.own_key_id.is_some() => "; your key recognised".to_string(),
                None => String::new(),
            }
        ),
        Status::Skipped => format!(
            "skipped: {}",
            a.reason.as_deref().unwrap_or("nothing to do")
        ),
        Status::Failed => format!("failed: {}", a.reason.as_deref().unwrap_or("error")),
    }
}

fn scope(s: &Series) -> String {
    match s.scope {
        Scope::Organization => "organization".into(),
        Scope::Workspace => format!(
            "workspace {}",
            s.workspace_name
                .as_deref()
                .or(s.workspace_id.as_deref())
                .unwrap_or("?")
        ),
    }
}

fn series_head(s: &Series) -> String {
    format!(
        "{} {} ({}): limit {}{}; {} bucket{} with use, {} at the limit{}",
        s.group,
        s.dimension.label(),
        scope(s),
        s.limit_per_minute.map_or_else(
            || "unknown".to_string(),
            |l| format!("{} per minute", short(l))
        ),
        s.limiter
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default(),
        s.buckets_with_use,
        if s.buckets_with_use == 1 { "" } else { "s" },
        s.buckets_at_limit,
        if s.cache_reads_counted {
            "; cache reads count here"
        } else {
            ""
        }
    )
}

/// The terminal section (under the live comparison): status, peak buckets with their
/// consumers, conclusions, caveats.
pub fn write_text(out: &mut dyn Write, a: &Attribution, style: &Style) -> io::Result<()> {
    writeln!(out, "  {}", style.dim("who used the limit (usage report):"))?;
    writeln!(out, "    {}", status_line(a))?;
    if let Some(h) = &a.hint {
        writeln!(out, "    hint: {h}")?;
    }
    for s in &a.series {
        writeln!(out, "    {}", series_head(s))?;
        for b in &s.peaks {
            writeln!(out, "      {}", attribution::line(s, b))?;
        }
    }
    for c in &a.conclusions {
        writeln!(
            out,
            "    {} {}",
            style.bold(&format!("[{}]", c.kind)),
            c.detail
        )?;
        for e in &c.evidence {
            writeln!(out, "        {}", style.dim(e))?;
        }
    }
    for n in &a.notes {
        writeln!(out, "    note: {n}")?;
    }
    for c in &a.caveats {
        writeln!(out, "    {} {c}", style.dim("caveat:"))?;
    }
    Ok(())
}

/// The markdown section; `escape` is the report's escaper.
pub fn write_markdown(
    out: &mut dyn Write,
    a: &Attribution,
    escape: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    writeln!(
        out,
        "**Who used the limit (usage report):** {}",
        escape(&status_line(a))
    )?;
    writeln!(out)?;
    if let Some(h) = &a.hint {
        writeln!(out, "Hint: {}", escape(h))?;
        writeln!(out)?;
    }
    for s in &a.series {
        writeln!(out, "- {}", escape(&series_head(s)))?;
        for b in &s.peaks {
            writeln!(out, "  - {}", escape(&attribution::line(s, b)))?;
        }
    }
    if !a.series.is_empty() {
        writeln!(out)?;
    }
    for c in &a.conclusions {
        writeln!(out, "- `{}` {}", c.kind, escape(&c.detail))?;
        for e in &c.evidence {
            writeln!(out, "  - {}", escape(e))?;
        }
    }
    for n in &a.notes {
        writeln!(out, "- note: {}", escape(n))?;
    }
    for c in &a.caveats {
        writeln!(out, "- caveat: {}", escape(c))?;
    }
    writeln!(out)?;
    Ok(())
}

/// `claude-429 usage`: one table row per bucket, tightest first over every series, then the
/// conclusions and caveats.
pub fn write_table(
    out: &mut dyn Write,
    a: &Attribution,
    style: &Style,
    rows: usize,
) -> io::Result<()> {
    writeln!(out, "{}", status_line(a))?;
    if let Some(h) = &a.hint {
        writeln!(out, "hint: {h}")?;
    }
    let mut all: Vec<(&Series, &crate::usage::BucketUse)> = a
        .series
        .iter()
        .flat_map(|s| s.peaks.iter().map(move |b| (s, b)))
        .collect();
    all.sort_by(|(_, x), (_, y)| {
        y.percent
            .unwrap_or(-1.0)
            .partial_cmp(&x.percent.unwrap_or(-1.0))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(y.used.cmp(&x.used))
            .then(x.start.cmp(&y.start))
    });
    all.truncate(rows.max(1));
    if all.is_empty() {
        if a.status == Status::Read {
            writeln!(out, "no token use in the window")?;
        }
    } else {
        let mut t = new_table(
            style,
            &[
                "Time",
                "Limit group",
                "Scope",
                "Used",
                "Limit",
                "%",
                "Top consumers",
            ],
        );
        for (s, b) in all {
            let consumers = b
                .consumers
                .iter()
                .take(3)
                .map(|c| {
                    format!(
                        "{}{} {}%",
                        c.label,
                        if c.own_key { " [yours]" } else { "" },
                        pct(c.share * 100.0)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            t.add_row(vec![
                when(b),
                format!("{} {}", s.group, s.dimension.label()),
                scope(s),
                short(b.used),
                b.limit.map_or_else(|| "-".into(), short),
                b.percent
                    .map_or_else(|| "-".into(), |p| format!("{}%", pct(p))),
                consumers,
            ]);
        }
        print_table(out, &t)?;
    }
    for c in &a.conclusions {
        writeln!(out, "{} {}", style.bold(&format!("[{}]", c.kind)), c.detail)?;
    }
    for n in &a.notes {
        writeln!(out, "note: {n}")?;
    }
    for c in &a.caveats {
        writeln!(out, "{} {c}", style.dim("caveat:"))?;
    }
    Ok(())
}
