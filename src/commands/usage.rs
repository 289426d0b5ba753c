//! `claude-429 usage`: who used the limit over a window, without logs. Reads the Admin API's
//! usage report (see [`crate::usage`]) and prints the tightest buckets first, or `--json`.

use std::io::Write;

use anyhow::Result;

use crate::api::client::RetryPolicy;
use crate::api::usage::BucketWidth;
use crate::api::{Client, Secret};
use crate::cli::{UsageArgs, UsageBucket, UsageGroupBy};
use crate::exit::{Outcome, UsageError};
use crate::ratelimit::DimensionName;
use crate::report::Style;
use crate::usage::{self, GroupBy, Request, Status};

pub fn run(a: &UsageArgs, style: &Style) -> Result<Outcome> {
    // Usage errors first (exit 2), before any key or network.
    let now = chrono::Utc::now();
    let since = usage::parse_when("--since", &a.since, now).map_err(UsageError)?;
    let until = match &a.until {
        Some(u) => usage::parse_when("--until", u, now).map_err(UsageError)?,
        None => now,
    };
    let width = match a.bucket {
        UsageBucket::Minute => BucketWidth::Minute,
        UsageBucket::Hour => BucketWidth::Hour,
    };
    let (span, most) = match width {
        BucketWidth::Minute => ((until - since).num_minutes(), usage::MAX_MINUTES),
        BucketWidth::Hour => ((until - since).num_hours(), usage::MAX_HOURS),
    };
    if until <= since {
        return Err(UsageError(format!(
            "--until ({}) is not after --since ({})",
            until.to_rfc3339(),
            since.to_rfc3339()
        ))
        .into());
    }
    if span > most {
        return Err(UsageError(format!(
            "the window is {span} {} long; at most {most} fit one report page\nhint: narrow --since/--until, or use --bucket hour",
            if width == BucketWidth::Minute { "minutes" } else { "hours" }
        ))
        .into());
    }
    let config = a.api.client_config()?;
    let key = crate::api::client::load_key(
        "ANTHROPIC_ADMIN_KEY",
        a.admin_key_file.as_deref(),
        " (an Admin API key) or pass --admin-key-file FILE",
    )?;
    let client = Client::new(config, key)?.with_retry(RetryPolicy {
        max_retries: 1,
        max_retry_after: std::time::Duration::from_secs(10),
        ..RetryPolicy::default()
    });
    let req = Request {
        since,
        until,
        width,
        group_by: match a.group_by {
            UsageGroupBy::Key => GroupBy::Key,
            UsageGroupBy::Workspace => GroupBy::Workspace,
            UsageGroupBy::Model => GroupBy::Model,
        },
        dims: vec![DimensionName::InputTokens, DimensionName::OutputTokens],
        classes: Vec::new(),
        own_key: std::env::var("ANTHROPIC_API_KEY")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(Secret::new),
        top: a.top as usize,
        now,
        incident: false,
    };
    let rt = super::runtime(false)?;
    let show = style.stderr_tty;
    let mut progress = |s: &str| {
        if show {
            crate::errln!("claude-429: usage: {s}");
        }
    };
    let (attribution, error) = match rt.block_on(usage::gather(&client, &req, None, &mut progress))
    {
        Ok(a) => (a, None),
        Err((a, e)) => (a, Some(e)),
    };
    let stdout = crate::output::stdout();
    let mut out = stdout.lock();
    if a.json {
        let text = serde_json::to_string_pretty(&attribution)?;
        writeln!(out, "{}", crate::redact::keys(&text))?;
    } else if attribution.status == Status::Read {
        let mut buf = Vec::new();
        crate::report::usage::write_table(&mut buf, &attribution, style, a.top as usize)?;
        out.write_all(crate::redact::keys(&String::from_utf8_lossy(&buf)).as_bytes())?;
    }
    out.flush()?;
    if let Some(e) = error {
        let (_, hint) = usage::explain(&e);
        crate::errln!("claude-429: usage: {hint}");
        return Err(e.into());
    }
    let at_limit = attribution.series.iter().any(|s| s.buckets_at_limit > 0);
    Ok(if at_limit {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}
