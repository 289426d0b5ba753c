//! `claude-429 probe`: live headroom per model. One minimal Messages request per model (a
//! one-word prompt, `max_tokens: 1`), its `anthropic-ratelimit-*` headers read into limit,
//! remaining, used %, reset and a headroom verdict per dimension.
//!
//! The probing itself (targets, budget, session, headroom, stray key) is [`crate::probe`];
//! this file holds the flags, the keys, the runtime and the output. `--dry-run` prints the
//! requests (key redacted) and sends nothing.

use std::io::{self, Write};

use anyhow::{Context, Result};
use chrono::{DateTime, Local, Utc};
use comfy_table::Cell;
use serde::Serialize;

use crate::api::client::load_key;
use crate::api::messages::{
    self, Dimension, DimensionName, Headroom, MESSAGES_PATH, TIGHT_BELOW_PCT,
};
use crate::api::models::{self, MODELS_PATH};
use crate::api::{ApiError, Client, ClientConfig, Secret};
use crate::classify::Verdict;
use crate::cli::ProbeArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::report::table::new_table;

// The domain lives in `crate::probe`; re-exported so renderers keep their paths.
pub use crate::probe::session::answered_or_skipped;
pub use crate::probe::{
    ModelsFrom, PROBE_GAP, Probe, Round, Session, State, TOKENS_PER_PROBE, Target, dedupe, found,
};

const RATE_LIMITS_PATH: &str = "/v1/organizations/rate_limits";

pub fn run(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(a, style))
}

/// Where a key came from, for messages that must name it without printing it.
struct Key {
    secret: Option<Secret>,
    source: String,
}

fn api_key(a: &ProbeArgs) -> Result<Key> {
    let source = match &a.api_key_file {
        Some(f) => format!("--api-key-file {}", f.display()),
        None => "ANTHROPIC_API_KEY".to_string(),
    };
    match load_key(
        "ANTHROPIC_API_KEY",
        a.api_key_file.as_deref(),
        " or pass --api-key-file FILE",
    ) {
        Ok(k) => Ok(Key {
            secret: Some(k),
            source,
        }),
        // A dry run sends nothing, so it can show the plan without a key.
        Err(e)
            if a.dry_run
                && matches!(
                    e.downcast_ref::<ApiError>(),
                    Some(ApiError::MissingKey { .. })
                ) =>
        {
            Ok(Key {
                secret: None,
                source,
            })
        }
        Err(e) => Err(e),
    }
}

fn admin_key(a: &ProbeArgs) -> Result<Option<Key>> {
    if let Some(f) = &a.admin_key_file {
        let k = load_key("ANTHROPIC_ADMIN_KEY", Some(f), "")?;
        return Ok(Some(Key {
            secret: Some(k),
            source: format!("--admin-key-file {}", f.display()),
        }));
    }
    Ok(match std::env::var("ANTHROPIC_ADMIN_KEY") {
        Ok(v) if !v.trim().is_empty() => Some(Key {
            secret: Some(Secret::new(v)),
            source: "ANTHROPIC_ADMIN_KEY".into(),
        }),
        _ => None,
    })
}
/// Everything fixed for the run: the probing session plus how to show it.
struct Ctx {
    session: Session,
    json: bool,
    style: Style,
}

impl std::ops::Deref for Ctx {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

async fn run_async(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let config = ClientConfig::from_args(&a.api);
    let key = api_key(a)?;
    let admin = admin_key(a)?;
    let models = dedupe(&a.model);

    if a.dry_run {
        return dry_run(a, &config, &key, admin.as_ref(), &models);
    }
    let Some(secret) = key.secret else {
        // api_key() only returns no secret on a dry run.
        return Err(UsageError("no API key".into()).into());
    };
    let client = Client::new(config.clone(), secret)?;

    let org = match admin.as_ref().and_then(|k| k.secret.clone()) {
        Some(s) => {
            let admin_client = Client::new(config.clone(), s)?;
            let groups = crate::probe::targets::read_org(&admin_client)
                .await
                .with_context(|| {
                    format!(
                        "reading the org's configured limits (Rate Limits API, key from {})",
                        admin.as_ref().map_or("", |k| k.source.as_str())
                    )
                })?;
            Some(groups)
        }
        None => None,
    };
    let (targets, from) = crate::probe::targets::pick(&client, org.as_deref(), &models).await?;

    let ctx = Ctx {
        session: Session {
            max_requests: a
                .max_requests
                .unwrap_or_else(|| u32::try_from(targets.len()).unwrap_or(u32::MAX)),
            max_tokens: a.max_tokens_budget,
            client,
            targets,
            org,
            watch: a.watch,
        },
        json: a.json,
        style: style.clone(),
    };

    let mut out = io::stdout().lock();
    if ctx.watch.is_some() && !ctx.json {
        write_intro(&mut out, &ctx, from)?;
    }
    let mut st = State::default();
    st.interrupted = {
        let show_live = ctx.watch.is_some() && !ctx.json;
        let mut on_probe = |st: &mut State, n: u32, p: &Probe| {
            if show_live {
                // Live line for --watch; a failed write (closed pipe) ends nothing here, the
                // final summary write reports it.
                let _ = write_live(&ctx, st, n, p);
            }
        };
        let work =
            crate::probe::session::run_rounds(&ctx.session, &mut st, a.rounds, &mut on_probe);
        // Without a handler Ctrl-C would kill the process before anything is printed. If the
        // handler cannot be installed, the run simply cannot be interrupted cleanly.
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = work => false,
            () = ctrl_c => true,
        }
    };

    if ctx.json {
        write_json(&mut out, &ctx, &st, from)?;
    } else if ctx.watch.is_some() {
        write_watch_summary(&mut out, &ctx, &st)?;
    } else if answered_or_skipped(&st) || st.interrupted {
        // Without a single answer (a refused connection, a timeout) the error line says all.
        write_intro(&mut out, &ctx, from)?;
        if let Some(r) = st.rounds.first() {
            write_round(&mut out, &ctx, r)?;
        }
        if st.interrupted {
            writeln!(
                out,
                "interrupted (Ctrl-C): the models after the last one shown were not probed"
            )?;
        }
    }
    out.flush()?;
    drop(out);

    let mut errors = st.errors.into_iter();
    if let Some(first) = errors.next() {
        for e in errors {
            eprintln!("claude-429: error: {}", crate::redact::keys(&e.to_string()));
        }
        return Err(first.into());
    }
    Ok(if found(&st.rounds) {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// Some probe got an HTTP answer, or some model was skipped (there is something to show).
// ---------------------------------------------------------------------------------------------
// Rendering
use crate::report::thousands;

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
        thousands(v as u64)
    } else {
        v.to_string()
    }
}

fn fmt_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), thousands)
}

fn local_time(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Local);
    if l.date_naive() == Local::now().date_naive() {
        l.format("%H:%M:%S").to_string()
    } else {
        l.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// "in 23 s", "in 4 min 10 s", "in 2 h 5 min", "now".
fn relative(secs: i64) -> String {
    match secs {
        s if s <= 0 => "now".into(),
        s if s < 120 => format!("in {s} s"),
        s if s < 3600 => format!("in {} min {} s", s / 60, s % 60),
        s => format!("in {} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn reset_cell(d: &Dimension) -> String {
    match (d.reset_time(), d.reset_in_s) {
        (Some(t), Some(s)) => format!("{} ({})", local_time(t), relative(s)),
        _ => d.reset.clone().unwrap_or_else(|| "-".into()),
    }
}

fn paint_headroom(style: &Style, h: Headroom) -> String {
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

fn left_pct(d: &Dimension) -> String {
    match d.left_ratio() {
        // Rounded down, so a little use never reads as 100.0% left.
        Some(r) => format!("{:.1}% left", (r * 1000.0).floor() / 10.0),
        None => "unknown".into(),
    }
}

fn write_intro(out: &mut dyn Write, ctx: &Ctx, from: ModelsFrom) -> io::Result<()> {
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
    writeln!(
        out,
        "{}",
        ctx.style.bold(&format!(
            "Probing {n} model{} {}: {list}",
            if n == 1 { "" } else { "s" },
            from.describe()
        ))
    )?;
    let every = ctx
        .watch
        .map(|s| format!(", every {s} s until Ctrl-C"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}",
        ctx.style.dim(&format!(
            "API {} · budget per round: {} request{}, {} tokens · no retries{every}",
            ctx.client.config.base_url,
            ctx.max_requests,
            if ctx.max_requests == 1 { "" } else { "s" },
            ctx.max_tokens
        ))
    )?;
    writeln!(out)
}

fn write_round(out: &mut dyn Write, ctx: &Ctx, r: &Round) -> io::Result<()> {
    let style = &ctx.style;
    for p in &r.probes {
        write_probe(out, ctx, p)?;
    }
    let b = &r.budget;
    writeln!(
        out,
        "{} request{} sent, {} tokens counted (budget: {} request{}, {} tokens)",
        b.requests_sent,
        if b.requests_sent == 1 { "" } else { "s" },
        b.tokens_counted,
        b.max_requests,
        if b.max_requests == 1 { "" } else { "s" },
        b.max_tokens
    )?;
    if let Some(s) = &b.stopped {
        writeln!(out, "{}", style.bold(&format!("stopped: {s}")))?;
    }
    for s in &r.skipped {
        writeln!(out, "not probed: {} ({})", s.model, s.reason)?;
    }
    writeln!(
        out,
        "{}",
        style.dim(&format!(
            "headroom: exhausted = 0 left · tight = under {TIGHT_BELOW_PCT:.0}% left · ok = {TIGHT_BELOW_PCT:.0}% or more left"
        ))
    )
}

fn write_probe(out: &mut dyn Write, ctx: &Ctx, p: &Probe) -> io::Result<()> {
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
    writeln!(
        out,
        "{}{}",
        style.bold(&title),
        if meta.is_empty() {
            String::new()
        } else {
            style.dim(&format!(" · {}", meta.join(" · ")))
        }
    )?;
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
                style.bold(d.name.label())
            } else {
                d.name.label().to_string()
            };
            let mut headroom = paint_headroom(style, d.headroom);
            if is_tightest {
                headroom.push_str(&style.bold(" <- tightest"));
            }
            let mut row = vec![
                Cell::new(name),
                Cell::new(fmt_opt(d.limit)),
                Cell::new(fmt_opt(d.remaining)),
                Cell::new(
                    d.used_pct
                        .map_or_else(|| "-".into(), |u| format!("{u:.1}%")),
                ),
                Cell::new(reset_cell(d)),
                Cell::new(headroom),
            ];
            if with_org {
                row.push(Cell::new(d.org_limit.map_or_else(|| "-".into(), fmt_value)));
            }
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
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
        writeln!(out, "{}", style.bold(&s.message))?;
    }
    if let Some(e) = &p.error {
        writeln!(out, "error: {e}")?;
    }
    writeln!(out)
}

fn write_refusal(out: &mut dyn Write, style: &Style, v: &Verdict) -> io::Result<()> {
    writeln!(
        out,
        "{} {}: {} ({})",
        style.bold("REFUSED"),
        v.status.map_or_else(|| "-".into(), |s| s.to_string()),
        style.class(v.class),
        style.confidence(v.confidence)
    )?;
    for (i, e) in v.evidence.iter().enumerate() {
        let label = if i == 0 { "evidence:" } else { "" };
        writeln!(out, "  {label:<10}{}", crate::redact::keys(e))?;
    }
    writeln!(out, "  {:<10}{}", "why:", v.why)?;
    writeln!(out, "  {:<10}{}", "fix:", v.fix.first)?;
    writeln!(out, "  {:<10}{}", "then:", v.fix.then)?;
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
fn live_cell(p: &Probe, name: DimensionName) -> String {
    p.dimensions.iter().find(|d| d.name == name).map_or_else(
        || "-".into(),
        |d| format!("{}/{}", fmt_opt(d.remaining), fmt_opt(d.limit)),
    )
}

const LIVE_COLS: [DimensionName; 3] = [
    DimensionName::Requests,
    DimensionName::InputTokens,
    DimensionName::OutputTokens,
];

fn write_live(ctx: &Ctx, st: &mut State, round: u32, p: &Probe) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let w = ctx
        .targets
        .iter()
        .map(|t| t.model.len())
        .max()
        .unwrap_or(5)
        .max(5);
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
fn write_watch_summary(out: &mut dyn Write, ctx: &Ctx, st: &State) -> io::Result<()> {
    let style = &ctx.style;
    let sent: u32 = st.rounds.iter().map(|r| r.budget.requests_sent).sum();
    let tokens: u64 = st.rounds.iter().map(|r| r.budget.tokens_counted).sum();
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
            target.model.clone(),
            probes.len().to_string(),
            lowest(DimensionName::Requests),
            lowest(DimensionName::InputTokens),
            lowest(DimensionName::OutputTokens),
            paint_headroom(style, worst),
        ]);
    }
    if any {
        writeln!(out, "{t}")?;
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
            writeln!(out, "{}", style.bold(&s.message))?;
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

fn write_json(out: &mut dyn Write, ctx: &Ctx, st: &State, from: ModelsFrom) -> io::Result<()> {
    #[derive(Serialize)]
    struct One<'a> {
        models_from: ModelsFrom,
        base_url: &'a str,
        #[serde(flatten)]
        round: &'a Round,
        interrupted: bool,
        found: bool,
    }
    #[derive(Serialize)]
    struct Watch<'a> {
        models_from: ModelsFrom,
        base_url: &'a str,
        interval_s: u64,
        rounds: &'a [Round],
        interrupted: bool,
        stopped: Option<&'a str>,
        found: bool,
    }
    let found = found(&st.rounds);
    let base_url = ctx.client.config.base_url.as_str();
    let s = match (ctx.watch, st.rounds.first()) {
        (Some(interval_s), _) => serde_json::to_string_pretty(&Watch {
            models_from: from,
            base_url,
            interval_s,
            rounds: &st.rounds,
            interrupted: st.interrupted,
            stopped: st.stop.as_deref(),
            found,
        }),
        (None, Some(round)) => serde_json::to_string_pretty(&One {
            models_from: from,
            base_url,
            round,
            interrupted: st.interrupted,
            found,
        }),
        (None, None) => Ok("{}".to_string()),
    }
    .map_err(io::Error::other)?;
    writeln!(out, "{}", crate::redact::keys(&s))
}

// ---------------------------------------------------------------------------------------------
// Dry run

/// One request a run would send.
#[derive(Serialize)]
struct Planned {
    method: &'static str,
    url: String,
    /// Header names and values; keys appear as `<redacted: from ...>`.
    headers: Vec<(String, String)>,
    body: Option<serde_json::Value>,
    /// What the request is for, or how often it repeats.
    note: String,
}

fn redacted_key(k: Option<&Key>, var: &str, flag: &str) -> String {
    match k {
        Some(k) if k.secret.is_some() => format!("<redacted: from {}>", k.source),
        _ => format!("<missing: set {var} or pass {flag}>"),
    }
}

fn dry_run(
    a: &ProbeArgs,
    config: &ClientConfig,
    key: &Key,
    admin: Option<&Key>,
    models: &[String],
) -> Result<Outcome> {
    // Headers from the real request builder, the key shown as where it comes from.
    let base = |k: String| -> Vec<(String, String)> {
        crate::probe::plan::headers(config, reqwest::Method::GET, MODELS_PATH, None, &k)
    };
    let mut plan = Vec::new();
    if let Some(admin) = admin {
        plan.push(Planned {
            method: "GET",
            url: format!("{}{RATE_LIMITS_PATH}?group_type=model_group", config.base_url),
            headers: base(redacted_key(Some(admin), "ANTHROPIC_ADMIN_KEY", "--admin-key-file")),
            body: None,
            note: if models.is_empty() {
                "the org's model groups and configured limits: one model per group is probed, and its limits are compared (next_page followed)".into()
            } else {
                "the org's configured limits, to compare with what the key sees (next_page followed)".into()
            },
        });
    }
    let api_key = redacted_key(Some(key), "ANTHROPIC_API_KEY", "--api-key-file");
    if models.is_empty() && admin.is_none() {
        let q = models::first_page_query()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        plan.push(Planned {
            method: "GET",
            url: format!("{}{MODELS_PATH}?{q}", config.base_url),
            headers: base(api_key.clone()),
            body: None,
            note:
                "the model list (after_id=<last_id> while has_more): one model per class is probed"
                    .into(),
        });
    }
    let post_headers = crate::probe::plan::headers(
        config,
        reqwest::Method::POST,
        MESSAGES_PATH,
        Some(&messages::probe_body("m")),
        &api_key,
    );
    let url = format!("{}{MESSAGES_PATH}", config.base_url);
    let (per_round_requests, cap) =
        crate::probe::budget::planned_cap(a.max_requests, models.len(), a.max_tokens_budget);
    let mut not_sent = Vec::new();
    if models.is_empty() {
        plan.push(Planned {
            method: "POST",
            url,
            headers: post_headers,
            body: Some(messages::probe_body(
                "<one model per class, from the list above>",
            )),
            note: format!(
                "one per model class{}, {} ms apart, never retried",
                if cap == usize::MAX {
                    String::new()
                } else {
                    format!(", at most {cap}")
                },
                PROBE_GAP.as_millis()
            ),
        });
    } else {
        for (i, m) in models.iter().enumerate() {
            if i >= cap {
                not_sent.push(m.clone());
                continue;
            }
            plan.push(Planned {
                method: "POST",
                url: url.clone(),
                headers: post_headers.clone(),
                body: Some(messages::probe_body(m)),
                note: format!(
                    "probe {} of {}{}, never retried",
                    i + 1,
                    models.len().min(cap),
                    if i > 0 {
                        format!(", {} ms after the previous one", PROBE_GAP.as_millis())
                    } else {
                        String::new()
                    }
                ),
            });
        }
    }
    let missing_key = key.secret.is_none();
    let mut out = io::stdout().lock();
    if a.json {
        #[derive(Serialize)]
        struct Doc<'a> {
            dry_run: bool,
            requests: &'a [Planned],
            not_sent_budget: &'a [String],
            max_tokens_budget: u64,
            watch_s: Option<u64>,
            key_missing: bool,
        }
        let s = serde_json::to_string_pretty(&Doc {
            dry_run: true,
            requests: &plan,
            not_sent_budget: &not_sent,
            max_tokens_budget: a.max_tokens_budget,
            watch_s: a.watch,
            key_missing: missing_key,
        })?;
        writeln!(out, "{}", crate::redact::keys(&s))?;
    } else {
        writeln!(
            out,
            "dry run: nothing is sent. A real run would send, in this order:"
        )?;
        for p in &plan {
            writeln!(out)?;
            writeln!(out, "{} {}", p.method, p.url)?;
            for (n, v) in &p.headers {
                writeln!(out, "  {n}: {v}")?;
            }
            if let Some(b) = &p.body {
                writeln!(out, "  {b}")?;
            }
            writeln!(out, "  # {}", p.note)?;
        }
        writeln!(out)?;
        for m in &not_sent {
            writeln!(out, "not sent (budget): POST for {m}")?;
        }
        writeln!(
            out,
            "budget per round: {}, {} tokens ({} counted per probe){}",
            match per_round_requests {
                usize::MAX => "one request per model".to_string(),
                1 => "1 request".to_string(),
                n => format!("{n} requests"),
            },
            a.max_tokens_budget,
            TOKENS_PER_PROBE,
            a.watch
                .map(|s| format!("; repeated every {s} s until Ctrl-C"))
                .unwrap_or_default()
        )?;
        if missing_key {
            writeln!(
                out,
                "note: no API key found; a real run would stop with exit 3 (set ANTHROPIC_API_KEY or pass --api-key-file)"
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
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
