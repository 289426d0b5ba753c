//! The `diagnose --live` section for people: terminal and markdown. The data and the
//! conclusions are [`crate::diagnose::live`].

use std::io::{self, Write};

use crate::api::messages::DimensionName;
use crate::api::rate_limits::num;
use crate::diagnose::live::{COMPARED, ConfiguredClass, Live, group_label};
use crate::diagnose::seen::SeenClass;
use crate::probe::Probe;
use crate::report::{Paint, Style};

fn dims_line(c: &SeenClass) -> String {
    COMPARED
        .iter()
        .chain(std::iter::once(&DimensionName::Tokens))
        .filter(|d| !c.values(**d).is_empty())
        .map(|d| {
            format!(
                "{} {}",
                d.label(),
                c.values(*d)
                    .iter()
                    .map(|v| num::display(Some(v.limit as f64)))
                    .collect::<Vec<_>>()
                    .join(" / ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn configured_line(c: &ConfiguredClass) -> String {
    if c.group_id.is_none() {
        return "no org model group lists these models".into();
    }
    let mut parts: Vec<String> = c
        .org
        .iter()
        .filter(|(k, _)| k.contains("_per_minute"))
        .map(|(k, v)| format!("{k} {}", num::display(v.0)))
        .collect();
    if let Some(ws) = &c.workspace {
        for (k, w) in ws.iter().filter(|(_, w)| w.status.is_stricter()) {
            parts.push(format!(
                "workspace {k} {} (override)",
                num::display(w.effective.0)
            ));
        }
    }
    format!("{}: {}", group_label(c), parts.join(", "))
}

fn probe_line(p: &Probe) -> String {
    let dims = p
        .dimensions
        .iter()
        .filter(|d| d.limit.is_some())
        .map(|d| {
            format!(
                "{} {}/{}",
                d.name.label(),
                num::display(d.remaining.map(|r| r as f64)),
                num::display(d.limit.map(|l| l as f64))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let what = match (&p.refused, &p.error, p.status) {
        (Some(v), _, s) => format!(
            "refused {}: {}",
            s.map_or_else(|| "-".into(), |s| s.to_string()),
            v.class.as_str()
        ),
        (_, Some(e), _) => format!("error: {e}"),
        (_, _, Some(s)) => format!("{s}, headroom {}", p.headroom.as_str()),
        _ => "no answer".into(),
    };
    format!(
        "{} ({}): {what}{}",
        p.model,
        p.class.as_deref().unwrap_or("-"),
        if dims.is_empty() {
            String::new()
        } else {
            format!("; left/limit: {dims}")
        }
    )
}

/// The terminal section (under "Live comparison"), every line wrapped to the width (long
/// values and evidence continue indented under themselves).
pub fn write_text(out: &mut dyn Write, live: &Live, style: &Style) -> io::Result<()> {
    style.para(out, &live.note, "  ", "  ", Paint::Plain)?;
    if !live.from_logs.is_empty() {
        writeln!(
            out,
            "  {}",
            style.dim("limits in the logs (per model class):")
        )?;
        for c in &live.from_logs {
            let line = format!("{}: {}", c.class, dims_line(c));
            style.para(out, &line, "    ", "      ", Paint::Plain)?;
        }
    }
    if !live.configured.classes.is_empty() {
        writeln!(out, "  {}", style.dim("configured (Rate Limits API):"))?;
        for c in &live.configured.classes {
            let line = format!("{}: {}", c.class, configured_line(c));
            style.para(out, &line, "    ", "      ", Paint::Plain)?;
        }
    }
    if !live.probe.probes.is_empty() || !live.probe.skipped.is_empty() {
        writeln!(out, "  {}", style.dim("probe (now, never retried):"))?;
        for p in &live.probe.probes {
            style.para(out, &probe_line(p), "    ", "      ", Paint::Plain)?;
        }
        for sk in &live.probe.skipped {
            let line = format!("not probed: {sk}");
            style.para(out, &line, "    ", "      ", Paint::Plain)?;
        }
    }
    if live.conclusions.is_empty() {
        let why = if live.available {
            "conclusions: none (what the API says now agrees with the logs)"
        } else {
            "conclusions: none (nothing live was read)"
        };
        style.para(out, why, "  ", "  ", Paint::Dim)?;
    }
    for c in &live.conclusions {
        let kind = format!("[{}]", c.kind);
        for (i, l) in style
            .wrap(&format!("{kind} {}", c.detail), "  ", "      ")
            .into_iter()
            .enumerate()
        {
            match l.strip_prefix(&format!("  {kind}")) {
                Some(rest) if i == 0 => writeln!(out, "  {}{rest}", style.bold(&kind))?,
                _ => writeln!(out, "{l}")?,
            }
        }
        for e in &c.evidence {
            style.para(out, e, "      ", "        ", Paint::Dim)?;
        }
    }
    if let Some(a) = &live.attribution {
        super::usage::write_text(out, a, style)?;
    }
    Ok(())
}

/// The markdown section (under "## Live comparison"); `escape` is the report's escaper.
pub fn write_markdown(
    out: &mut dyn Write,
    live: &Live,
    escape: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    writeln!(out, "{}", escape(&live.note))?;
    writeln!(out)?;
    if !live.from_logs.is_empty() {
        writeln!(out, "**Limits in the logs:**")?;
        writeln!(out)?;
        for c in &live.from_logs {
            writeln!(out, "- {}: {}", escape(&c.class), escape(&dims_line(c)))?;
        }
        writeln!(out)?;
    }
    if !live.configured.classes.is_empty() {
        writeln!(out, "**Configured (Rate Limits API):**")?;
        writeln!(out)?;
        for c in &live.configured.classes {
            writeln!(
                out,
                "- {}: {}",
                escape(&c.class),
                escape(&configured_line(c))
            )?;
        }
        writeln!(out)?;
    }
    if !live.probe.probes.is_empty() {
        writeln!(out, "**Probe (now):**")?;
        writeln!(out)?;
        for p in &live.probe.probes {
            writeln!(out, "- {}", escape(&probe_line(p)))?;
        }
        writeln!(out)?;
    }
    if !live.conclusions.is_empty() {
        writeln!(out, "**Conclusions:**")?;
        writeln!(out)?;
        for c in &live.conclusions {
            writeln!(out, "- `{}` {}", c.kind, escape(&c.detail))?;
            for e in &c.evidence {
                writeln!(out, "  - {}", escape(e))?;
            }
        }
        writeln!(out)?;
    }
    if let Some(a) = &live.attribution {
        super::usage::write_markdown(out, a, escape)?;
    }
    Ok(())
}
