//! `claude-429 probe`: live headroom per model. One minimal Messages request per model (a
//! one-word prompt, `max_tokens: 1`), its `anthropic-ratelimit-*` headers read into limit,
//! remaining, used %, reset and a headroom verdict per dimension.
//!
//! The probing itself (targets, budget, session, headroom, stray key) is [`crate::probe`];
//! this file holds the flags, the keys, the runtime and the output. `--dry-run` prints the
//! requests (key redacted) and sends nothing.

use std::io::{self, Write};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::api::client::load_key;
use crate::api::messages::{self, MESSAGES_PATH};
use crate::api::models::{self, MODELS_PATH};
use crate::api::transport::AuthScheme;
use crate::api::{ApiError, Client, ClientConfig, Secret};
use crate::cli::ProbeArgs;
use crate::exit::{Outcome, UsageError};
use crate::report::Style;
use crate::report::probe::{Ctx, write_intro, write_live, write_round, write_watch_summary};

// The domain lives in `crate::probe`.
use crate::probe::session::answered_or_skipped;
use crate::probe::{
    ModelsFrom, PROBE_GAP, Probe, Round, Session, State, TOKENS_PER_PROBE, dedupe, found,
};

const RATE_LIMITS_PATH: &str = "/v1/organizations/rate_limits";

pub fn run(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let rt = super::runtime(false)?;
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
        None if crate::api::transport::auth_token_from_env().is_some() => {
            crate::api::transport::AUTH_TOKEN_VAR.to_string()
        }
        None => "ANTHROPIC_API_KEY".to_string(),
    };
    match load_key(
        "ANTHROPIC_API_KEY",
        a.api_key_file.as_deref(),
        " (or ANTHROPIC_AUTH_TOKEN) or pass --api-key-file FILE",
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

async fn run_async(a: &ProbeArgs, style: &Style) -> Result<Outcome> {
    let config = a.api.client_config()?;
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
    // --watch draws its own live lines; --json is for machines.
    let spinner = super::Spinner::start(
        !a.json && a.watch.is_none(),
        if admin.is_some() {
            "reading the org's limits"
        } else {
            "listing the models"
        },
    );

    let org = read_org(&config, admin.as_ref()).await?;
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

    if let Some(s) = &spinner {
        s.set_message("probing".into());
    }
    let mut out = crate::output::stdout().lock();
    if ctx.watch.is_some() && !ctx.json {
        write_intro(&mut out, &ctx, from)?;
    }
    let mut st = State::default();
    st.interrupted = {
        let show_live = ctx.watch.is_some() && !ctx.json;
        let mut probed = 0u32;
        let mut on_probe = |st: &mut State, n: u32, p: &Probe| {
            if let Some(s) = &spinner {
                probed += 1;
                s.set_message(format!("probing: {probed} answered, last {}", p.model));
            }
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
        let ctrl_c = crate::output::interrupted();
        tokio::select! {
            () = work => false,
            () = ctrl_c => true,
        }
    };

    drop(spinner);
    write_results(&mut out, &ctx, &st, from)?;
    out.flush()?;
    drop(out);

    let mut errors = st.errors.into_iter();
    if let Some(first) = errors.next() {
        for e in errors {
            crate::errln!("claude-429: error: {}", crate::redact::keys(&e.to_string()));
        }
        return Err(first.into());
    }
    Ok(if found(&st.rounds) {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// The org's model groups and configured limits, when an admin key is given.
async fn read_org(
    config: &ClientConfig,
    admin: Option<&Key>,
) -> Result<Option<Vec<crate::api::rate_limits::RateLimitGroup>>> {
    Ok(match admin.and_then(|k| k.secret.clone()) {
        Some(s) => {
            let admin_client = Client::new(config.clone(), s)?;
            let groups = crate::probe::targets::read_org(&admin_client)
                .await
                .with_context(|| {
                    format!(
                        "reading the org's configured limits (Rate Limits API, key from {})",
                        admin.map_or("", |k| k.source.as_str())
                    )
                })?;
            Some(groups)
        }
        None => None,
    })
}

/// What a finished (or interrupted) run prints: JSON, the watch summary, or the round.
fn write_results(out: &mut dyn Write, ctx: &Ctx, st: &State, from: ModelsFrom) -> Result<()> {
    if ctx.json {
        write_json(out, ctx, st, from)?;
    } else if ctx.watch.is_some() {
        write_watch_summary(out, ctx, st)?;
    } else if answered_or_skipped(st) || st.interrupted {
        // Without a single answer (a refused connection, a timeout) the error line says all.
        write_intro(out, ctx, from)?;
        if let Some(r) = st.rounds.first() {
            write_round(out, ctx, r)?;
        }
        if st.interrupted {
            writeln!(
                out,
                "interrupted (Ctrl-C): the models after the last one shown were not probed"
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
    let (plan, not_sent, per_round_requests) = plan(a, config, key, admin, models);
    let missing_key = key.secret.is_none();
    let mut out = crate::output::stdout().lock();
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
        write_plan(
            &mut out,
            a,
            &plan,
            &not_sent,
            per_round_requests,
            missing_key,
        )?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// The requests a run would send, the models the budget leaves out, and the requests per
/// round.
fn plan(
    a: &ProbeArgs,
    config: &ClientConfig,
    key: &Key,
    admin: Option<&Key>,
    models: &[String],
) -> (Vec<Planned>, Vec<String>, usize) {
    // Headers from the real request builder, the key shown as where it comes from.
    let base = |k: String, scheme| -> Vec<(String, String)> {
        crate::probe::plan::headers(config, reqwest::Method::GET, MODELS_PATH, None, &k, scheme)
    };
    // A bearer token (ANTHROPIC_AUTH_TOKEN) is sent in Authorization, not x-api-key.
    let scheme = key
        .secret
        .as_ref()
        .map_or(AuthScheme::ApiKey, Secret::scheme);
    let mut plan = Vec::new();
    if let Some(admin) = admin {
        plan.push(Planned {
            method: "GET",
            url: format!("{}{RATE_LIMITS_PATH}?group_type=model_group", config.base_url),
            headers: base(
                redacted_key(Some(admin), "ANTHROPIC_ADMIN_KEY", "--admin-key-file"),
                AuthScheme::ApiKey,
            ),
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
            headers: base(api_key.clone(), scheme),
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
        scheme,
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
    (plan, not_sent, per_round_requests)
}

/// The plan for people.
fn write_plan(
    out: &mut dyn Write,
    a: &ProbeArgs,
    plan: &[Planned],
    not_sent: &[String],
    per_round_requests: usize,
    missing_key: bool,
) -> io::Result<()> {
    writeln!(
        out,
        "dry run: nothing is sent. A real run would send, in this order:"
    )?;
    for p in plan {
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
    for m in not_sent {
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
    Ok(())
}
