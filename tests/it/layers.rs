//! The module graph has no new import circle, between top-level modules or between files.
//!
//! Reads every `src/**/*.rs`, takes the `crate::…` and `super::…` paths it names (in `use`
//! lines and inline), resolves each to the file that defines it, and finds the circles
//! (strongly connected components) of that graph. A path into a child module written without
//! `crate::` (`pub use causes::Cause` in `diagnose/mod.rs`) is the parent's own facade and not
//! counted; a child reaching back with `super::` is.
//!
//! [`KNOWN`] lists the circles that were there when this test was written, each with the move
//! that breaks it. A circle not in the list fails the test. A listed circle that is gone is
//! printed: delete its entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Circles that still exist, each as its sorted members, with the move that breaks it.
const KNOWN: &[(&[&str], &str)] = &[
    // Empty: every circle is gone. (Was: capture <-> classify <-> fixes, broken by the
    // `exchange` and `verdict` leaves; diagnose <-> report, broken by report/diagnose.rs.)
];

fn src() -> PathBuf {
    crate::common::root().join("src")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `diagnose/live.rs` → `["diagnose", "live"]`; `diagnose/mod.rs` → `["diagnose"]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// The file defining the longest prefix of `path` that is a module.
fn file_of(files: &BTreeSet<String>, path: &[String]) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let p = path[..n].join("/");
        for cand in [format!("{p}.rs"), format!("{p}/mod.rs")] {
            if files.contains(&cand) {
                return Some(cand);
            }
        }
    }
    None
}

/// Drops comments and string literals, keeping code.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Every `crate::a::b` / `super::a` path in the code, with `use` groups expanded
/// (`crate::x::{a, b::c}` gives `crate::x::a` and `crate::x::b::c`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let boundary = i == 0
            || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if boundary && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (p, end) = parse_path(&bytes, i);
            out.extend(p);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Parses a path (with `{…}` groups) starting at `i`; returns the expanded paths and the end.
fn parse_path(b: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut segs: Vec<String> = Vec::new();
    let mut cur = String::new();
    while i < b.len() {
        let c = b[i];
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
            i += 1;
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            segs.push(std::mem::take(&mut cur));
            i += 2;
        } else if c == '{' {
            // A group: each comma-separated item is a path relative to `segs`.
            let mut out = Vec::new();
            i += 1;
            loop {
                while i < b.len() && (b[i].is_whitespace() || b[i] == ',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == '}' {
                    i += 1;
                    break;
                }
                let (sub, end) = parse_path(b, i);
                for s in sub {
                    let mut p = segs.clone();
                    p.extend(s);
                    out.push(p);
                }
                i = end.max(i + 1);
            }
            return (out, i);
        } else {
            break;
        }
    }
    if !cur.is_empty() {
        segs.push(cur);
    }
    (vec![segs], i)
}

/// Resolves a `crate::`/`super::` path written in module `m` to an absolute module path.
fn absolute(m: &[String], p: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = p;
    match rest.first().map(String::as_str) {
        Some("crate") => rest = &rest[1..],
        Some("super") => {
            base = m.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().filter(|s| s.as_str() != "self").cloned());
    Some(base)
}

type Graph = BTreeMap<String, BTreeSet<String>>;

fn graphs() -> (Graph, Graph) {
    let root = src();
    let mut files = Vec::new();
    rs_files(&root, &mut files);
    let rels: BTreeSet<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let (mut by_file, mut by_top) = (Graph::new(), Graph::new());
    for rel in &rels {
        if rel == "main.rs" || rel == "lib.rs" {
            continue;
        }
        let m = module_of(rel);
        let text = std::fs::read_to_string(root.join(rel)).unwrap();
        for p in paths(&code(&text)) {
            let Some(abs) = absolute(&m, &p) else {
                continue;
            };
            if abs.is_empty() {
                continue;
            }
            if let Some(target) = file_of(&rels, &abs)
                && &target != rel
                && target != "lib.rs"
            {
                by_file.entry(rel.clone()).or_default().insert(target);
            }
            if abs[0] != m[0] && rels.iter().any(|r| module_of(r).first() == Some(&abs[0])) {
                by_top
                    .entry(m[0].clone())
                    .or_default()
                    .insert(abs[0].clone());
            }
        }
    }
    (by_file, by_top)
}

/// Strongly connected components with more than one member (Tarjan).
fn circles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        n: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.n);
        t.low.insert(v, t.n);
        t.n += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.g.get(v) {
            for w in ws {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut c = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                c.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if c.len() > 1 {
                c.sort();
                t.out.push(c);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        n: 0,
        out: Vec::new(),
    };
    let nodes: Vec<&str> = g.keys().map(String::as_str).collect();
    for v in nodes {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn check(found: Vec<Vec<String>>, what: &str, g: &Graph) {
    let known: Vec<Vec<String>> = KNOWN
        .iter()
        .map(|(m, _)| m.iter().map(|s| s.to_string()).collect())
        .collect();
    let mut new = Vec::new();
    for c in &found {
        if !known.contains(c) {
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    g.get(a)
                        .into_iter()
                        .flatten()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{a} -> {b}"))
                })
                .collect();
            new.push(format!(
                "{}\n      {}",
                c.join(", "),
                edges.join("\n      ")
            ));
        }
    }
    for (k, why) in KNOWN {
        let k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        let is_this_kind = k[0].contains('/') == (what == "file");
        if is_this_kind && !found.contains(&k) {
            eprintln!("note: the known {what} circle {k:?} is gone ({why}): delete it from KNOWN");
        }
    }
    assert!(
        new.is_empty(),
        "new import circle(s) between {what}s of src/ (see the layer order in src/lib.rs):\n  {}",
        new.join("\n  ")
    );
}

#[test]
fn no_new_circle_between_top_level_modules() {
    let (_, top) = graphs();
    check(circles(&top), "top-level module", &top);
}

#[test]
fn no_new_circle_between_files() {
    let (files, _) = graphs();
    check(circles(&files), "file", &files);
}

#[test]
fn the_new_domain_layers_are_not_in_any_circle() {
    let (files, top) = graphs();
    for c in circles(&top).iter().chain(circles(&files).iter()) {
        for m in c {
            assert!(
                !(m.starts_with("limits")
                    || m.starts_with("probe")
                    || m == "fmt.rs"
                    || m == "exit.rs"),
                "{m} is in the circle {c:?}"
            );
        }
    }
    // Leaves import nothing from the crate.
    for leaf in ["fmt.rs", "exit.rs"] {
        assert!(
            files.get(leaf).is_none_or(BTreeSet::is_empty),
            "{leaf} imports {:?}",
            files[leaf]
        );
    }
}

#[test]
fn the_parser_reads_groups_and_super() {
    let p = paths("use crate::a::{b, c::{D, e}};\nlet x = super::f::g();");
    assert_eq!(
        p,
        vec![
            vec!["crate", "a", "b"],
            vec!["crate", "a", "c", "D"],
            vec!["crate", "a", "c", "e"],
            vec!["super", "f", "g"],
        ]
    );
    assert_eq!(
        absolute(&["x".into(), "y".into()], &["super".into(), "z".into()]),
        Some(vec!["x".to_string(), "z".to_string()])
    );
}
