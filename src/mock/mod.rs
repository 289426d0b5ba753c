//! `claude-429 mock`: a loopback Anthropic API with a real limiter, so teams rehearse their
//! retry code before the incident.
//!
//! * [`scenario`]: the organization's limits and the failures to inject (TOML; built-ins in
//!   `scenarios/`).
//! * [`limiter`]: continuously refilling token buckets per key profile, model class and
//!   dimension; the acceleration limit; the input-token estimate and the prompt cache.
//! * [`wire`]: bodies, texts and SSE events as the real API sends them.
//! * [`server`]: hyper 1 on tokio; the Messages, Models and Rate Limits routes.
//! * [`usage`]: per-key token use of what it served, answered as the Admin API's usage
//!   report, `api_keys` and `workspaces` lists.
//! * [`served`]: the format-5 JSON Lines record and the rehearsal report, computed by
//!   `diagnose`'s engine.

pub mod limiter;
pub mod scenario;
pub mod served;
pub mod server;
pub mod usage;
pub mod wire;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use scenario::Scenario;
pub use served::Report;

use crate::report::Style;

/// How to run the mock.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub scenario: Scenario,
    pub record: Option<PathBuf>,
    pub seed: u64,
    /// Stop after this long (otherwise at Ctrl-C / SIGTERM).
    pub run_for: Option<Duration>,
}

/// Runs the server until `run_for` passes or a signal arrives, then returns the report.
/// `ready` is called with the bound address (port 0 picks a free one).
pub async fn serve(opts: Options, ready: impl FnOnce(SocketAddr)) -> Result<Report> {
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| crate::exit::UsageError(format!("cannot listen on {}: {e}", opts.listen)))?;
    let addr = listener.local_addr()?;
    let (tx, recorder) = served::start(opts.record.as_deref())?;
    let name = opts.scenario.name.clone();
    let shared = Arc::new(server::Shared::new(opts.scenario, opts.seed, tx));
    let stop = stop_signal(opts.run_for)?;
    ready(addr);
    let started = Instant::now();
    tokio::pin!(stop);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors (EMFILE) and the like: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| server::handle(shared.clone(), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            // Reap finished connections so the set stays small.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    // Connections still open (keep-alive clients) end here; their exchanges are recorded.
    conns.abort_all();
    while conns.join_next().await.is_some() {}
    let duration = started.elapsed().as_secs_f64();
    drop(shared);
    let finished = tokio::task::spawn_blocking(move || recorder.join())
        .await
        .context("recorder")?
        .map_err(|_| anyhow::anyhow!("the recorder thread panicked"))?;
    if let Some(e) = &finished.write_error {
        crate::errln!("claude-429: mock: the record file could not be written completely: {e}");
    }
    let record = opts.record.as_ref().map(|p| p.display().to_string());
    Ok(finished.into_report(&name, duration, record))
}

/// Resolves after `run_for`, or at Ctrl-C / SIGTERM. The handlers are installed before this
/// returns (before the address is announced), so an early signal is never missed.
fn stop_signal(run_for: Option<Duration>) -> Result<impl std::future::Future<Output = ()>> {
    let mut signals = crate::output::Signals::install()?;
    Ok(async move {
        let timer = async {
            match run_for {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = timer => {}
            _ = signals.recv() => {}
        }
    })
}

/// Prints the report for people: what the server saw, then `diagnose`'s report.
pub fn render(out: &mut dyn Write, r: &Report, style: &Style) -> std::io::Result<()> {
    use crate::report::thousands;
    writeln!(
        out,
        "Rehearsal: scenario {}, {} request{} in {:.1} s",
        r.scenario,
        thousands(r.requests),
        if r.requests == 1 { "" } else { "s" },
        r.duration_s
    )?;
    if !r.statuses.is_empty() {
        let s: Vec<String> = r
            .statuses
            .iter()
            .map(|(k, v)| format!("{k}: {}", thousands(*v)))
            .collect();
        writeln!(out, "  answers   {}", s.join(", "))?;
    }
    if !r.refusals.is_empty() {
        let s: Vec<String> = r
            .refusals
            .iter()
            .map(|(k, v)| format!("{k}: {}", thousands(*v)))
            .collect();
        writeln!(out, "  refused   {}", s.join(", "))?;
    }
    let b = &r.backoff;
    if b.overloads > 0 {
        writeln!(
            out,
            "  overloads {} answered overloaded; {} retried, {} within {} ms (no backoff){}",
            b.overloads,
            b.retries,
            b.without_backoff,
            served::NO_BACKOFF_MS,
            b.quickest_retry_ms
                .map(|q| format!("; quickest retry after {q} ms"))
                .unwrap_or_default()
        )?;
    }
    if r.client_problems.is_empty() {
        let refused: u64 = r.refusals.values().sum();
        writeln!(
            out,
            "  client    no retry problems seen{}",
            if refused > 0 {
                " (it waited retry-after and backed off)"
            } else {
                " (nothing was refused)"
            }
        )?;
    } else {
        writeln!(
            out,
            "  client    PROBLEMS: {}",
            r.client_problems.join(", ")
        )?;
    }
    if let Some(p) = &r.record {
        writeln!(out, "  record    {p} (claude-429 diagnose {p})")?;
    }
    writeln!(out)?;
    crate::report::diagnose::text(out, &r.diagnosis, style, false)
}
