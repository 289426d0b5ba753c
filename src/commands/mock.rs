//! `claude-429 mock`: flags, the runtime, and printing the rehearsal report. The server,
//! limiter and report live in [`crate::mock`].

use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::Result;

use crate::cli::MockArgs;
use crate::exit::Outcome;
use crate::mock::{self, Options, Scenario, scenario};
use crate::report::Style;

pub fn run(a: &MockArgs, style: &Style) -> Result<Outcome> {
    if a.list {
        return list(a.json);
    }
    let scenario = Scenario::load(&a.scenario)?;
    let name = scenario.name.clone();
    let opts = Options {
        listen: a.listen,
        scenario,
        record: a.record.clone(),
        seed: a.seed,
        run_for: a.run_for.map(Duration::from_secs),
    };
    let rt = super::runtime(true)?;
    let report = rt.block_on(mock::serve(opts, |addr| {
        crate::errln!("claude-429 mock: scenario {name}, listening on http://{addr}");
        crate::errln!(
            "claude-429 mock: export ANTHROPIC_BASE_URL=http://{addr}  (stop with Ctrl-C for the report)"
        );
    }))?;
    rt.shutdown_timeout(Duration::from_millis(200));
    let mut out = BufWriter::new(crate::output::stdout().lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        mock::render(&mut out, &report, style)?;
    }
    out.flush()?;
    Ok(if report.client_problems.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

fn list(json: bool) -> Result<Outcome> {
    let mut out = BufWriter::new(crate::output::stdout().lock());
    let all: Vec<Scenario> = scenario::BUILT_IN
        .iter()
        .map(|(n, t)| Scenario::parse(n, t))
        .collect::<Result<_>>()?;
    if json {
        let v: Vec<_> = all
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "description": s.description}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        let w = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for s in &all {
            writeln!(out, "{:w$}  {}", s.name, s.description)?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
