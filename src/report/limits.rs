//! `limits` for people: the listing (org or workspace) and the `--check` report. The data
//! and the JSON live with the command; this only renders, to the terminal's width.

use std::io::Write;

use anyhow::Result;
use comfy_table::Cell;

use super::table::{new_table, print_table};
use super::{Paint, Style};
use crate::api::rate_limits::{OverrideStatus, RateLimitGroup, WorkspaceRateLimitGroup, num};
use crate::limits::{CheckReport, Filters, Live, label, old_new};

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The listing for people: the org's groups, or a workspace's effective limits.
pub fn listing(out: &mut dyn Write, style: &Style, live: &Live, f: &Filters) -> Result<()> {
    match live {
        Live::Org(groups) => render_org(out, style, groups, f),
        Live::Workspace { id, groups } => render_workspace(out, style, id, groups, f),
    }
}

/// The group's name over its id (one line each), or the id alone. Ids never wrap: they are
/// what --min and the lock file use.
fn group_lines(style: &Style, id: &str, name: &Option<String>) -> Vec<Cell> {
    match name {
        Some(n) if !n.is_empty() => vec![Cell::new(n), style.dim_cell(id)],
        _ => vec![Cell::new(id)],
    }
}

fn models_lines(models: &Option<Vec<String>>) -> Vec<Cell> {
    match models {
        Some(m) if !m.is_empty() => m.iter().map(Cell::new).collect(),
        Some(_) => vec![Cell::new("(none)")],
        None => vec![Cell::new("-")],
    }
}

/// Adds one group as rows: line `i` of every column goes into row `i`, so each limiter sits
/// on one row with its values, whatever wraps. A blank row separates groups.
fn add_group_rows(t: &mut comfy_table::Table, cols: Vec<Vec<Cell>>, first: bool) {
    if !first {
        t.add_row(vec![String::new(); cols.len()]);
    }
    let n = cols.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..n {
        t.add_row(
            cols.iter()
                .map(|c| c.get(i).cloned().unwrap_or_else(|| Cell::new("")))
                .collect::<Vec<_>>(),
        );
    }
}

/// The house table (no lines between rows: groups are separated by a blank row).
fn group_table(style: &Style, header: &[&str]) -> comfy_table::Table {
    new_table(style, header)
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
    // Four columns when every identifier fits whole; else the models go under the group.
    let longest = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0) + 2;
    let group_w = longest(&mut groups.iter().flat_map(|g| {
        [
            g.group_id.len(),
            g.group_type.len(),
            g.display_name.as_deref().map_or(0, str::len),
        ]
    }));
    let models_w = longest(
        &mut groups
            .iter()
            .flat_map(|g| g.models.iter().flatten().map(String::len)),
    )
    .max(8);
    let limiter_w = longest(
        &mut groups
            .iter()
            .flat_map(|g| g.limits.iter().map(|l| l.kind.len())),
    );
    let value_w = longest(
        &mut groups
            .iter()
            .flat_map(|g| g.limits.iter().map(|l| num::display(l.value).len())),
    )
    .max(7);
    let four = group_w + models_w + limiter_w + value_w <= style.columns();
    let header: &[&str] = if four {
        &["group", "models", "limiter", "limit"]
    } else {
        &["group / models", "limiter", "limit"]
    };
    let mut t = group_table(style, header);
    for (i, g) in groups.iter().enumerate() {
        let (kinds, values): (Vec<_>, Vec<_>) = if g.limits.is_empty() {
            (vec![Cell::new("(none)")], vec![Cell::new("")])
        } else {
            g.limits
                .iter()
                .map(|l| (Cell::new(&l.kind), Cell::new(num::display(l.value))))
                .unzip()
        };
        let mut group = group_lines(style, &g.group_id, &g.display_name);
        group.push(style.dim_cell(&g.group_type));
        let cols = if four {
            vec![group, models_lines(&g.models), kinds, values]
        } else {
            group.extend(g.models.iter().flatten().map(Cell::new));
            vec![group, kinds, values]
        };
        add_group_rows(&mut t, cols, i == 0);
    }
    if four {
        right_align(&mut t, &[3]);
        no_wrap(&mut t, &[0, 1, 2, 3], &[]);
    } else {
        right_align(&mut t, &[2]);
        no_wrap(&mut t, &[0, 1, 2], &[]);
    }
    print_table(out, &t)?;
    let n: usize = groups.iter().map(|g| g.limits.len()).sum();
    style.para(
        out,
        &format!(
            "{n} limit{} in {} group{} (organization level; --workspace ID shows a workspace's overrides)",
            plural(n),
            groups.len(),
            plural(groups.len())
        ),
        "",
        "",
        Paint::Dim,
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
    let wide = workspace_fits_wide(style, groups);
    let header: &[&str] = if wide {
        &[
            "group",
            "limiter",
            "org limit",
            "workspace",
            "effective",
            "note",
        ]
    } else {
        &[
            "group / limiter",
            "org limit",
            "workspace",
            "effective",
            "note",
        ]
    };
    let mut t = group_table(style, header);
    let (mut stricter, mut above) = (0usize, 0usize);
    for (i, g) in groups.iter().enumerate() {
        let mut cols: [Vec<Cell>; 5] = Default::default();
        for l in &g.limits {
            let s = l.status();
            stricter += usize::from(s.is_stricter());
            above += usize::from(s == OverrideStatus::AboveOrgNotEnforced);
            let note = status_note(s);
            cols[0].push(Cell::new(&l.kind));
            cols[1].push(Cell::new(num::display(l.org_limit)));
            cols[2].push(Cell::new(num::display(l.value)));
            cols[3].push(if s.is_stricter() {
                style.bold_cell(&num::display(l.effective()))
            } else {
                Cell::new(num::display(l.effective()))
            });
            cols[4].push(match s {
                OverrideStatus::Inherited => style.dim_cell(note),
                _ if s.is_stricter() => style.bold_cell(note),
                _ => Cell::new(note),
            });
        }
        let [kinds, org, ws, eff, notes] = cols;
        let head = group_lines(style, &g.group_id, &g.display_name);
        if wide {
            add_group_rows(&mut t, vec![head, kinds, org, ws, eff, notes], i == 0);
        } else {
            let blanks = || vec![Cell::new(""); head.len()];
            let with_blanks = |c: Vec<Cell>| blanks().into_iter().chain(c).collect::<Vec<_>>();
            let first: Vec<Cell> = head
                .iter()
                .cloned()
                .chain(g.limits.iter().map(|l| Cell::new(format!("  {}", l.kind))))
                .collect();
            let _ = kinds;
            add_group_rows(
                &mut t,
                vec![
                    first,
                    with_blanks(org),
                    with_blanks(ws),
                    with_blanks(eff),
                    with_blanks(notes),
                ],
                i == 0,
            );
        }
    }
    if wide {
        right_align(&mut t, &[2, 3, 4]);
        no_wrap(&mut t, &[0, 1, 2, 3, 4], &[(5, 12)]);
    } else {
        right_align(&mut t, &[1, 2, 3]);
        no_wrap(&mut t, &[0, 1, 2, 3], &[(4, 10)]);
    }
    style.para(
        out,
        &format!("Workspace {id}: effective limit = min(workspace value, org limit)"),
        "",
        "",
        Paint::Plain,
    )?;
    print_table(out, &t)?;
    workspace_summary(out, style, stricter, above)
}

/// Six columns when they fit whole; else each group's name and id head its limiters in the
/// first column.
fn workspace_fits_wide(style: &Style, groups: &[WorkspaceRateLimitGroup]) -> bool {
    let group_w = groups
        .iter()
        .flat_map(|g| {
            [
                g.group_id.len(),
                g.display_name.as_deref().map_or(0, str::len),
            ]
        })
        .max()
        .unwrap_or(0);
    let limiter_w = groups
        .iter()
        .flat_map(|g| g.limits.iter().map(|l| l.kind.len()))
        .max()
        .unwrap_or(0);
    let numbers_w = 3 * 12;
    group_w + 2 + limiter_w + 2 + numbers_w + 14 <= style.columns()
}

/// The paragraphs under the workspace table: the overrides below the org limit, the values
/// above it.
fn workspace_summary(
    out: &mut dyn Write,
    style: &Style,
    stricter: usize,
    above: usize,
) -> Result<()> {
    if stricter > 0 {
        style.para(
            out,
            &format!(
                "{stricter} override{} below the org limit: {} can reject requests (429) in this workspace while the org limits still have room.",
                plural(stricter),
                if stricter == 1 { "it" } else { "they" }
            ),
            "",
            "",
            Paint::Bold,
        )?;
    } else {
        style.para(
            out,
            "No override below the org limit: this workspace gets the org's limits.",
            "",
            "",
            Paint::Plain,
        )?;
    }
    if above > 0 {
        style.para(
            out,
            &format!(
                "{above} workspace value{} above the org limit {} stored but not enforced: the org limit applies.",
                plural(above),
                if above == 1 { "is" } else { "are" }
            ),
            "",
            "",
            Paint::Plain,
        )?;
    }
    Ok(())
}

/// `limits --check` for people: the changes, the floors, the notes, how to update the lock.
pub fn check_report(out: &mut dyn Write, style: &Style, r: &CheckReport) -> Result<()> {
    if r.changes.is_empty() {
        style.para(
            out,
            &format!(
                "No drift: {} limit{} match {} (taken {}).",
                r.compared,
                plural(r.compared),
                r.lock,
                r.lock_taken_at
            ),
            "",
            "",
            Paint::Plain,
        )?;
    } else {
        style.para(
            out,
            &format!(
                "Drift: {} change{} since {} (taken {}).",
                r.changes.len(),
                plural(r.changes.len()),
                r.lock,
                r.lock_taken_at
            ),
            "",
            "",
            Paint::Bold,
        )?;
        let mut t = group_table(style, &["group", "limiter", "old", "new", "change"]);
        for c in &r.changes {
            let kind = c.change.as_str();
            t.add_row(vec![
                Cell::new(c.group_label()),
                Cell::new(&c.limiter),
                Cell::new(old_new(c.change, c.old, true)),
                Cell::new(old_new(c.change, c.new, false)),
                if c.change.is_worse() {
                    style.bold_cell(kind)
                } else {
                    Cell::new(kind)
                },
            ]);
        }
        right_align(&mut t, &[2, 3]);
        no_wrap(&mut t, &[1, 2, 3, 4], &[(0, 16)]);
        print_table(out, &t)?;
    }
    let failed: Vec<_> = r.failed_floors().collect();
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
            style.para(
                out,
                &format!(
                    "{}  {group}{} {}",
                    f.floor,
                    f.limiter,
                    f.reason.as_deref().unwrap_or("")
                ),
                "  ",
                "    ",
                Paint::Plain,
            )?;
        }
    } else if !r.floors.is_empty() {
        writeln!(
            out,
            "All {} floor check{} passed (--min).",
            r.floors.len(),
            plural(r.floors.len())
        )?;
    }
    for n in &r.notes {
        style.para(out, &format!("note: {n}"), "", "      ", Paint::Dim)?;
    }
    if !r.changes.is_empty() {
        let f = r.filters.describe();
        style.para(
            out,
            &format!(
                "If the change is expected, update the lock: claude-429 limits{}{} --save {}",
                if f.is_empty() { "" } else { " " },
                f,
                r.lock
            ),
            "",
            "  ",
            Paint::Plain,
        )?;
    }
    Ok(())
}
