//! `claude-429 limits`: the org's (or a workspace's) configured rate limits through the Rate
//! Limits API, as a table or JSON; `--save` writes a lock file and `--check` compares with
//! one, exiting 1 on drift or when a limit fell below a `--min` floor.

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::api::rate_limits::{self, OverrideStatus, RateLimitGroup, WorkspaceRateLimitGroup, num};
use crate::api::{ApiError, Client, ClientConfig, client::RetryPolicy};
use crate::cli::LimitsArgs;
use crate::exit::Outcome;
use crate::report::Style;
use crate::report::table::new_table;

// The domain lives in `crate::limits`; re-exported so renderers keep their paths.
pub use crate::limits::{
    Change, ChangeKind, CheckReport, Filters, Floor, FloorResult, KEY_VAR, LOCK_VERSION, Live,
    Lock, LockGroup, Snapshot, Value, check_workspace_id, fetch, label, old_new,
};

pub fn run(a: &LimitsArgs, style: &Style) -> Result<Outcome> {
    // Usage errors first (exit 2), before any key or network.
    let floors = a
        .min
        .iter()
        .map(|s| Floor::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let lock = match &a.check {
        Some(path) => Some(Lock::read(path)?),
        None => None,
    };
    let filters = Filters::resolve(
        Filters {
            model: a.model.clone(),
            group_type: a.group_type.clone(),
            workspace: a.workspace.clone(),
        },
        lock.as_ref(),
    )?;
    if let Some(w) = &filters.workspace {
        check_workspace_id(w)?;
    }

    let key = crate::api::client::load_key(
        KEY_VAR,
        a.admin_key_file.as_deref(),
        " (an Admin API key) or pass --admin-key-file FILE",
    )?;
    let looks_admin = key.expose().starts_with("sk-ant-admin");
    let client = Client::new(ClientConfig::from_args(&a.api), key)?.with_retry(RetryPolicy {
        max_retries: a.max_retries,
        ..RetryPolicy::default()
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let live = rt
        .block_on(fetch(&client, &filters, a.page_size, &mut |_| {}))
        .map_err(|e| admin_key_context(e, looks_admin))?;
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let snapshot = live.snapshot();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();

    if let Some(path) = &a.save {
        let lock = Lock {
            version: LOCK_VERSION,
            taken_at: taken_at.clone(),
            filters: filters.clone(),
            groups: snapshot.clone(),
        };
        lock.write(path)?;
        let n: usize = snapshot.values().map(|g| g.limits.len()).sum();
        eprintln!(
            "claude-429: saved {n} limit{} in {} group{} to {}",
            plural(n),
            snapshot.len(),
            plural(snapshot.len()),
            path.display()
        );
    }

    if let (Some(path), Some(lock)) = (&a.check, lock) {
        let report = CheckReport::new(path, &lock, &snapshot, &floors);
        let drift = report.drift;
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            github::emit(&report, a.json)?;
        }
        if a.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        } else {
            report.render(&mut out, style)?;
        }
        return Ok(if drift {
            Outcome::Found
        } else {
            Outcome::Clean
        });
    }

    if a.json {
        live.render_json(&mut out, &taken_at)?;
    } else {
        live.render_table(&mut out, style, &filters)?;
    }
    Ok(Outcome::Clean)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A 401/403 with a key that does not look like an Admin key says so first.
fn admin_key_context(e: ApiError, looks_admin: bool) -> anyhow::Error {
    match e {
        ApiError::Auth { .. } if !looks_admin => anyhow::Error::new(e).context(format!(
            "the key in {KEY_VAR} (or --admin-key-file) does not have the Admin API key prefix"
        )),
        e => e.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Rendering the listing.

/// The group's name over its id (one line each), or the id alone. Ids never wrap: they are
/// what --min and the lock file use.
fn group_lines(style: &Style, id: &str, name: &Option<String>) -> Vec<String> {
    match name {
        Some(n) if !n.is_empty() => vec![n.clone(), style.dim(id)],
        _ => vec![id.to_string()],
    }
}

fn models_lines(models: &Option<Vec<String>>) -> Vec<String> {
    match models {
        Some(m) if !m.is_empty() => m.clone(),
        Some(_) => vec!["(none)".into()],
        None => vec!["-".into()],
    }
}

/// Adds one group as rows: line `i` of every column goes into row `i`, so each limiter sits
/// on one row with its values, whatever wraps. A blank row separates groups.
fn add_group_rows(t: &mut comfy_table::Table, cols: Vec<Vec<String>>, first: bool) {
    if !first {
        t.add_row(vec![String::new(); cols.len()]);
    }
    let n = cols.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..n {
        t.add_row(
            cols.iter()
                .map(|c| c.get(i).cloned().unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
}

/// The house table without lines between rows (groups are separated by a blank row).
fn group_table(style: &Style, header: &[&str]) -> comfy_table::Table {
    let mut t = new_table(style, header);
    t.remove_style(comfy_table::TableComponent::HorizontalLines);
    t.remove_style(comfy_table::TableComponent::MiddleIntersections);
    t.remove_style(comfy_table::TableComponent::LeftBorderIntersections);
    t.remove_style(comfy_table::TableComponent::RightBorderIntersections);
    t
}

/// `--json` without a workspace.
#[derive(Serialize)]
struct OrgJson<'a> {
    /// When the limits were read (RFC 3339, UTC).
    taken_at: &'a str,
    /// One entry per group, in the API's order.
    groups: &'a [RateLimitGroup],
}

/// `--json` with --workspace.
#[derive(Serialize)]
struct WorkspaceJson<'a> {
    taken_at: &'a str,
    workspace_id: &'a str,
    groups: Vec<WorkspaceGroupJson<'a>>,
}

#[derive(Serialize)]
struct WorkspaceGroupJson<'a> {
    group_id: &'a str,
    group_type: &'a str,
    display_name: &'a Option<String>,
    models: &'a Option<Vec<String>>,
    rate_limit_id: &'a Option<String>,
    limits: Vec<WorkspaceLimitJson<'a>>,
}

#[derive(Serialize)]
struct WorkspaceLimitJson<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    /// The workspace's stored value.
    value: Value,
    /// The org's limit of this type (null: the org has none).
    org_limit: Value,
    /// What is enforced: min(value, org_limit).
    effective: Value,
    source: rate_limits::Source,
    /// inherited, below_org, workspace_only, same_as_org, above_org_not_enforced.
    status: OverrideStatus,
    /// True when the workspace is stricter than the org (it can explain 429s the org limits
    /// do not).
    stricter_than_org: bool,
}

impl Live {
    fn render_json(&self, out: &mut dyn Write, taken_at: &str) -> Result<()> {
        let text = match self {
            Live::Org(groups) => serde_json::to_string_pretty(&OrgJson { taken_at, groups })?,
            Live::Workspace { id, groups } => serde_json::to_string_pretty(&WorkspaceJson {
                taken_at,
                workspace_id: id,
                groups: groups
                    .iter()
                    .map(|g| WorkspaceGroupJson {
                        group_id: &g.group_id,
                        group_type: &g.group_type,
                        display_name: &g.display_name,
                        models: &g.models,
                        rate_limit_id: &g.rate_limit_id,
                        limits: g
                            .limits
                            .iter()
                            .map(|l| WorkspaceLimitJson {
                                kind: &l.kind,
                                value: Value(l.value),
                                org_limit: Value(l.org_limit),
                                effective: Value(l.effective()),
                                source: l.source,
                                status: l.status(),
                                stricter_than_org: l.status().is_stricter(),
                            })
                            .collect(),
                    })
                    .collect(),
            })?,
        };
        writeln!(out, "{text}")?;
        Ok(())
    }

    fn render_table(&self, out: &mut dyn Write, style: &Style, f: &Filters) -> Result<()> {
        match self {
            Live::Org(groups) => render_org(out, style, groups, f),
            Live::Workspace { id, groups } => render_workspace(out, style, id, groups, f),
        }
    }
}

fn render_org(
    out: &mut dyn Write,
    style: &Style,
    groups: &[RateLimitGroup],
    f: &Filters,
) -> Result<()> {
    if groups.is_empty() {
        writeln!(
            out,
            "No rate limits returned{}.",
            if f.describe().is_empty() {
                String::new()
            } else {
                format!(" for {}", f.describe())
            }
        )?;
        return Ok(());
    }
    let mut t = group_table(style, &["group", "models", "limiter", "limit"]);
    for (i, g) in groups.iter().enumerate() {
        let (kinds, values): (Vec<_>, Vec<_>) = if g.limits.is_empty() {
            (vec!["(none)".to_string()], vec![String::new()])
        } else {
            g.limits
                .iter()
                .map(|l| (l.kind.clone(), num::display(l.value)))
                .unzip()
        };
        add_group_rows(
            &mut t,
            vec![
                {
                    let mut lines = group_lines(style, &g.group_id, &g.display_name);
                    lines.push(style.dim(&g.group_type));
                    lines
                },
                models_lines(&g.models),
                kinds,
                values,
            ],
            i == 0,
        );
    }
    right_align(&mut t, &[3]);
    no_wrap(&mut t, &[0, 2, 3], &[(1, 16)]);
    writeln!(out, "{t}")?;
    let n: usize = groups.iter().map(|g| g.limits.len()).sum();
    writeln!(
        out,
        "{}",
        style.dim(&format!(
            "{n} limit{} in {} group{} (organization level; --workspace ID shows a workspace's overrides)",
            plural(n),
            groups.len(),
            plural(groups.len())
        ))
    )?;
    Ok(())
}

fn right_align(t: &mut comfy_table::Table, cols: &[usize]) {
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
}

/// Limiter names and numbers never wrap (a wrapped identifier is hard to copy); the other
/// columns give way on a narrow terminal, down to `min` characters each (then the table is
/// wider than the terminal rather than one character per line).
fn no_wrap(t: &mut comfy_table::Table, cols: &[usize], min: &[(usize, u16)]) {
    use comfy_table::{ColumnConstraint, Width};
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    for &(c, w) in min {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
        }
    }
}

fn status_note(s: OverrideStatus) -> &'static str {
    match s {
        OverrideStatus::Inherited => "inherited",
        OverrideStatus::BelowOrg => "OVERRIDE (lower)",
        OverrideStatus::WorkspaceOnly => "OVERRIDE (org: none)",
        OverrideStatus::SameAsOrg => "same as org",
        OverrideStatus::AboveOrgNotEnforced => "higher: not enforced",
    }
}

fn render_workspace(
    out: &mut dyn Write,
    style: &Style,
    id: &str,
    groups: &[WorkspaceRateLimitGroup],
    f: &Filters,
) -> Result<()> {
    if groups.is_empty() {
        writeln!(
            out,
            "No rate limits listed for workspace {id}{}.",
            match f
                .describe()
                .replace(&format!("--workspace {id}"), "")
                .trim()
            {
                "" => String::new(),
                rest => format!(" ({rest})"),
            }
        )?;
        return Ok(());
    }
    let mut t = group_table(
        style,
        &[
            "group",
            "limiter",
            "org limit",
            "workspace",
            "effective",
            "note",
        ],
    );
    let (mut stricter, mut above) = (0usize, 0usize);
    for (i, g) in groups.iter().enumerate() {
        let mut cols: [Vec<String>; 5] = Default::default();
        for l in &g.limits {
            let s = l.status();
            stricter += usize::from(s.is_stricter());
            above += usize::from(s == OverrideStatus::AboveOrgNotEnforced);
            let note = status_note(s);
            cols[0].push(l.kind.clone());
            cols[1].push(num::display(l.org_limit));
            cols[2].push(num::display(l.value));
            cols[3].push(if s.is_stricter() {
                style.bold(&num::display(l.effective()))
            } else {
                num::display(l.effective())
            });
            cols[4].push(match s {
                OverrideStatus::Inherited => style.dim(note),
                _ if s.is_stricter() => style.bold(note),
                _ => note.to_string(),
            });
        }
        let [kinds, org, ws, eff, notes] = cols;
        add_group_rows(
            &mut t,
            vec![
                group_lines(style, &g.group_id, &g.display_name),
                kinds,
                org,
                ws,
                eff,
                notes,
            ],
            i == 0,
        );
    }
    right_align(&mut t, &[2, 3, 4]);
    no_wrap(&mut t, &[0, 1, 2, 3, 4], &[(5, 12)]);
    writeln!(
        out,
        "Workspace {id}: effective limit = min(workspace value, org limit)"
    )?;
    writeln!(out, "{t}")?;
    if stricter > 0 {
        writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{stricter} override{} below the org limit: {} can reject requests (429) in this workspace while the org limits still have room.",
                plural(stricter),
                if stricter == 1 { "it" } else { "they" }
            ))
        )?;
    } else {
        writeln!(
            out,
            "No override below the org limit: this workspace gets the org's limits."
        )?;
    }
    if above > 0 {
        writeln!(
            out,
            "{above} workspace value{} above the org limit {} stored but not enforced: the org limit applies.",
            plural(above),
            if above == 1 { "is" } else { "are" }
        )?;
    }
    Ok(())
}

impl CheckReport {
    fn render(&self, out: &mut dyn Write, style: &Style) -> Result<()> {
        if self.changes.is_empty() {
            writeln!(
                out,
                "No drift: {} limit{} match {} (taken {}).",
                self.compared,
                plural(self.compared),
                self.lock,
                self.lock_taken_at
            )?;
        } else {
            writeln!(
                out,
                "{}",
                style.bold(&format!(
                    "Drift: {} change{} since {} (taken {}).",
                    self.changes.len(),
                    plural(self.changes.len()),
                    self.lock,
                    self.lock_taken_at
                ))
            )?;
            let mut t = group_table(style, &["group", "limiter", "old", "new", "change"]);
            for c in &self.changes {
                let kind = c.change.as_str();
                t.add_row(vec![
                    c.group_label(),
                    c.limiter.clone(),
                    old_new(c.change, c.old, true),
                    old_new(c.change, c.new, false),
                    if c.change.is_worse() {
                        style.bold(kind)
                    } else {
                        kind.to_string()
                    },
                ]);
            }
            right_align(&mut t, &[2, 3]);
            writeln!(out, "{t}")?;
        }
        let failed: Vec<_> = self.failed_floors().collect();
        if !failed.is_empty() {
            writeln!(
                out,
                "{}",
                style.bold(&format!(
                    "{} floor{} failed (--min):",
                    failed.len(),
                    plural(failed.len())
                ))
            )?;
            for f in failed {
                let group = f
                    .group_id
                    .as_ref()
                    .map(|id| format!("{}: ", label(id, &f.display_name)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}  {group}{} {}",
                    f.floor,
                    f.limiter,
                    f.reason.as_deref().unwrap_or("")
                )?;
            }
        } else if !self.floors.is_empty() {
            writeln!(
                out,
                "All {} floor check{} passed (--min).",
                self.floors.len(),
                plural(self.floors.len())
            )?;
        }
        for n in &self.notes {
            writeln!(out, "{}", style.dim(&format!("note: {n}")))?;
        }
        if !self.changes.is_empty() {
            let f = self.filters.describe();
            writeln!(
                out,
                "If the change is expected, update the lock: claude-429 limits{}{} --save {}",
                if f.is_empty() { "" } else { " " },
                f,
                self.lock
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// GitHub Actions.

mod github {
    use std::io::Write;

    use super::{CheckReport, old_new};

    /// Escapes the message of a workflow command (`%`, CR, LF), as @actions/core does.
    fn escape_data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// Escapes a property value (also `:` and `,`).
    fn escape_prop(s: &str) -> String {
        escape_data(s).replace(':', "%3A").replace(',', "%2C")
    }

    fn escape_md(s: &str) -> String {
        s.replace('|', "\\|").replace(['\n', '\r'], " ")
    }

    /// The annotation lines: `::error` for a lower or removed limit and a failed floor,
    /// `::warning` for a higher or added one.
    pub fn annotations(r: &CheckReport) -> Vec<String> {
        let mut lines = Vec::new();
        for c in &r.changes {
            let level = if c.change.is_worse() {
                "error"
            } else {
                "warning"
            };
            lines.push(format!(
                "::{level} title={}::{}",
                escape_prop("claude-429 limits drift"),
                escape_data(&format!(
                    "{} {}: {} since {}",
                    c.group_label(),
                    c.limiter,
                    c.describe(),
                    r.lock
                ))
            ));
        }
        for f in r.failed_floors() {
            lines.push(format!(
                "::error title={}::{}",
                escape_prop("claude-429 limits floor"),
                escape_data(&format!(
                    "--min {}: {}",
                    f.floor,
                    f.reason.as_deref().unwrap_or("failed")
                ))
            ));
        }
        lines
    }

    /// The markdown appended to $GITHUB_STEP_SUMMARY.
    pub fn summary(r: &CheckReport) -> String {
        let mut md = String::new();
        if !r.drift {
            md.push_str(&format!(
                "### claude-429 limits: no drift\n\n{} limits match `{}` (taken {}).\n\n",
                r.compared,
                escape_md(&r.lock),
                r.lock_taken_at
            ));
            return md;
        }
        md.push_str(&format!(
            "### claude-429 limits: drift against `{}`\n\nLock taken {}.\n\n",
            escape_md(&r.lock),
            r.lock_taken_at
        ));
        if !r.changes.is_empty() {
            md.push_str("| group | limiter | old | new | change |\n|---|---|--:|--:|---|\n");
            for c in &r.changes {
                md.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    escape_md(&c.group_label()),
                    escape_md(&c.limiter),
                    old_new(c.change, c.old, true),
                    old_new(c.change, c.new, false),
                    if c.change.is_worse() {
                        format!("**{}**", c.change.as_str())
                    } else {
                        c.change.as_str().to_string()
                    }
                ));
            }
            md.push('\n');
        }
        let failed: Vec<_> = r.failed_floors().collect();
        if !failed.is_empty() {
            md.push_str("| floor (`--min`) | result |\n|---|---|\n");
            for f in failed {
                md.push_str(&format!(
                    "| `{}` | {} |\n",
                    escape_md(&f.floor),
                    escape_md(f.reason.as_deref().unwrap_or("failed"))
                ));
            }
            md.push('\n');
        }
        md
    }

    /// Prints the annotations (on stdout, where the runner reads them; on stderr with --json so
    /// stdout stays one JSON document) and appends the summary when $GITHUB_STEP_SUMMARY is set.
    pub fn emit(r: &CheckReport, json: bool) -> anyhow::Result<()> {
        for line in annotations(r) {
            if json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| {
                    crate::exit::UsageError(format!(
                        "cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                        std::path::Path::new(&path).display()
                    ))
                })?;
            f.write_all(summary(r).as_bytes())?;
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_workflow_commands() {
            assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
            assert_eq!(escape_prop("a:b,c"), "a%3Ab%2Cc");
        }
    }
}
