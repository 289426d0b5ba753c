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
    if !record::is_loopback(&a.listen) && !a.allow_remote {
        return Err(UsageError(format!(
            "refusing to listen on {} (not loopback): anyone who can reach it could send \
             requests through it; add --allow-remote if that is what you want",
            a.listen
        ))
        .into());
    }
    let upstream = reqwest::Url::parse(&a.upstream)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            UsageError(format!(
                "--upstream '{}' is not an http(s) URL (e.g. https://api.anthropic.com)",
                a.upstream
            ))
        })?;
    let opts = Options {
        listen: a.listen,
        upstream,
        out: a.out.clone(),
        max_size: a.max_size,
        keep: a.keep as usize,
        cacert: a.cacert.clone(),
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

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(opts.listen))
        .map_err(|e| UsageError(format!("cannot listen on {}: {e}", opts.listen)))?;
    let local = listener.local_addr()?;

    let (sink, writer_thread) =
        record::start_writer(writer, Box::new(std::io::stdout()), style.color);
    let counters = sink.counters.clone();
    let proxy = Arc::new(Proxy::new(&opts, sink)?);
    let stop = {
        let _in_runtime = rt.enter();
        shutdown_signal()
    };

    crate::record::note!("claude-429 record: listening on http://{local}");
    crate::record::note!(
        "  forwarding to {}",
        opts.upstream.as_str().trim_end_matches('/')
    );
    crate::record::note!("  writing records to {}", path.display());
    crate::record::note!("  use it with: ANTHROPIC_BASE_URL=http://{local}");
    crate::record::note!("  Ctrl-C stops and flushes");

    rt.block_on(record::serve(listener, proxy.clone(), stop))?;
    // Let answers in flight finish for a moment, then cut them (their records say so).
    rt.shutdown_timeout(Duration::from_secs(2));
    drop(proxy);
    let counters_end = writer_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the record writer stopped unexpectedly"))?;
    let _ = counters_end;
    let n = counters.exchanges.load(Ordering::Relaxed);
    let f = counters.failures.load(Ordering::Relaxed);
    let d = counters.dropped.load(Ordering::Relaxed);
    crate::record::note!(
        "claude-429 record: stopped; {n} exchanges, {f} failures recorded in {}",
        opts.out.display()
    );
    if d > 0 {
        crate::record::note!(
            "claude-429: warning: {d} records dropped (the disk could not keep up)"
        );
    }
    Ok(Outcome::Clean)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called
/// (inside the runtime), before the proxy says it listens, so an early Ctrl-C is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut i), Ok(mut t)) => {
                    tokio::select! {
                        _ = i.recv() => {}
                        _ = t.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
