//! `claude-429 record`: run the recording proxy until Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::RecordArgs;
use crate::exit::{Outcome, UsageError};
use crate::record::{self, Options, Proxy, Rotation, Writer};
use crate::report::Style;

pub fn run(a: &RecordArgs, style: &Style) -> Result<Outcome> {
    let upstream = check(a)?;
    let opts = Options {
        listen: a.listen,
        upstream,
        out: a.out.clone(),
        max_size: a.max_size,
        keep: a.keep as usize,
        cacert: a.cacert.clone(),
        max_connections: a.max_connections as usize,
    };
    let writer = Writer::open(Rotation {
        dir: opts.out.clone(),
        max_size: opts.max_size,
        keep: opts.keep,
    })
    .map_err(|e| {
        UsageError(format!(
            "cannot write records to {}: {e}",
            opts.out.display()
        ))
    })?;
    let path = writer.path().to_path_buf();

    record::raise_descriptor_limit();
    // One thread serves every connection: a proxy's work is moving bytes between sockets,
    // and on one thread each exchange is handled without cross-thread wake-ups (fewer CPU
    // per request than the multi-threaded runtime, docs/performance.md). The record
    // writer has a thread of its own.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(opts.listen))
        .map_err(|e| UsageError(format!("cannot listen on {}: {e}", opts.listen)))?;
    let local = listener.local_addr()?;

    // The metrics listener is bound before anything is served, so a taken port is a usage
    // error; it serves on a thread of its own.
    let metrics = match a.metrics {
        Some(addr) => {
            let l = std::net::TcpListener::bind(addr)
                .map_err(|e| UsageError(format!("cannot serve metrics on {addr}: {e}")))?;
            let at = l.local_addr()?;
            let m = Arc::new(record::metrics::Metrics::new());
            record::metrics::serve(l, m.clone()).context("starting the metrics listener")?;
            Some((m, at))
        }
        None => None,
    };
    let (sink, writer_thread) = record::start_writer_with(
        writer,
        Box::new(crate::output::stdout()),
        style.color,
        metrics.as_ref().map(|(m, _)| m.clone()),
    );
    let counters = sink.counters.clone();
    let proxy = Arc::new(Proxy::new(&opts, sink)?);
    let stop = {
        let _in_runtime = rt.enter();
        // A write past a file-size limit (`ulimit -f`) must fail, not kill the proxy and every
        // connection through it: SIGXFSZ gets a handler that does nothing.
        record::ignore_file_size_signal();
        shutdown_signals()
    };

    crate::errln!("claude-429 record: listening on http://{local}");
    crate::errln!(
        "  forwarding to {}",
        opts.upstream.as_str().trim_end_matches('/')
    );
    crate::errln!("  writing records to {}", path.display());
    if let Some((_, at)) = &metrics {
        crate::errln!("  metrics on http://{at}/metrics");
    }
    crate::errln!("  use it with: ANTHROPIC_BASE_URL=http://{local}");
    crate::errln!(
        "  Ctrl-C stops: answers in flight get up to {}s to finish (a second Ctrl-C cuts them)",
        record::proxy::GRACE.as_secs()
    );

    rt.block_on(record::serve(listener, proxy.clone(), stop))?;
    // Answers still in flight after the grace period are cut (their records say so).
    rt.shutdown_timeout(Duration::from_millis(200));
    drop(proxy);
    let counters_end = writer_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the record writer stopped unexpectedly"))?;
    let _ = counters_end;
    let n = counters.exchanges.load(Ordering::Relaxed);
    let f = counters.failures.load(Ordering::Relaxed);
    let d = counters.dropped.load(Ordering::Relaxed);
    let lost = counters.write_errors.load(Ordering::Relaxed);
    crate::errln!(
        "claude-429 record: stopped; {n} exchanges, {f} failures recorded in {}",
        opts.out.display()
    );
    if d > 0 {
        crate::errln!("claude-429: warning: {d} records dropped (the disk could not keep up)");
    }
    if lost > 0 {
        crate::errln!(
            "claude-429: warning: {lost} records lost (they could not be written; the requests \
             themselves were answered)"
        );
    }
    Ok(Outcome::Clean)
}

/// The flags checked before anything is opened: loopback listeners unless asked otherwise,
/// the upstream URL (as `--base-url`), a warning for a directory anyone can write; returns
/// the upstream.
fn check(a: &RecordArgs) -> Result<reqwest::Url> {
    if !record::is_loopback(&a.listen) && !a.allow_remote {
        return Err(UsageError(format!(
            "refusing to listen on {} (not loopback): anyone who can reach it could send \
             requests through it; add --allow-remote if that is what you want",
            a.listen
        ))
        .into());
    }
    if let Some(m) = a.metrics
        && !record::is_loopback(&m)
        && !a.allow_remote
    {
        return Err(UsageError(format!(
            "refusing to serve metrics on {m} (not loopback): anyone who can reach it could \
             read your traffic's headroom and failures; add --allow-remote if that is what you want"
        ))
        .into());
    }
    // The same check as --base-url: no user:password@ (never printed), no query, no /v1,
    // plain http only to this machine unless asked for.
    let checked =
        crate::api::client::check_url(a.upstream.trim(), a.allow_insecure_http, "--upstream")?;
    let upstream = reqwest::Url::parse(&checked)
        .map_err(|e| UsageError(format!("--upstream is not a URL ({e})")))?;
    if record::writer::world_writable(&a.out) {
        crate::errln!(
            "claude-429: warning: {} is writable by anyone: others could read, replace or \
             remove the records; use a directory only you can write (chmod 700)",
            a.out.display()
        );
    }
    Ok(upstream)
}

/// Sends one message per Ctrl-C (SIGINT) or SIGTERM: the first stops accepting, the second
/// cuts answers still in flight. The handlers are installed when this is called (inside the
/// runtime), before the proxy says it listens, so an early Ctrl-C is not lost.
fn shutdown_signals() -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    match crate::output::Signals::install() {
        Ok(mut signals) => {
            tokio::spawn(async move {
                loop {
                    signals.recv().await;
                    if tx.send(()).is_err() {
                        break;
                    }
                }
            });
        }
        Err(_) => {
            tokio::spawn(async move {
                while tokio::signal::ctrl_c().await.is_ok() {
                    if tx.send(()).is_err() {
                        break;
                    }
                }
            });
        }
    }
    rx
}
