//! No file in `src/` is longer than [`MAX_FILE`] lines without its `#[cfg(test)]` module, and
//! no function is longer than [`MAX_FN`] lines.
//!
//! The count is crude on purpose: strings, characters and comments are blanked, then braces
//! are counted. A function's lines run from its `fn` line to the line that closes its body;
//! a file's lines are all of them except an inline `#[cfg(test)] mod … { … }` block. When
//! this fails, split by meaning: a named step or helper, a submodule per job.

use std::path::{Path, PathBuf};

/// Most lines of a file in `src/`, without its inline test module.
const MAX_FILE: usize = 1000;
/// Most lines of a function, signature to closing brace.
const MAX_FN: usize = 120;

/// Offenders still there, as `path` (the file) or `path fn name`, with why they wait. A new
/// offender fails the test; a listed one that is gone is printed: delete its entry.
const KNOWN: &[(&str, &str)] = &[
    // Empty: every offender is split. (Was: classify/mod.rs, and diagnose/findings.rs's
    // `finish`, report/diagnose.rs's `text`, report/markdown.rs's `diagnosis`, which waited
    // for the accuracy work.)
];

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

/// The text with every comment, string and character literal blanked (newlines kept), so
/// that braces can be counted line by line.
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let keep_lines = |out: &mut String, s: &[char]| {
        out.extend(s.iter().filter(|&&ch| ch == '\n'));
    };
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied().unwrap_or('\0');
        let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        if at(0) == '/' && at(1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(0) == '/' && at(1) == '*' {
            let (start, mut depth) = (i, 0);
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            keep_lines(&mut out, &c[start..i.min(c.len())]);
        } else if !ident_before && (at(0) == 'r' || (at(0) == 'b' && at(1) == 'r')) && {
            let s = if at(0) == 'b' { 2 } else { 1 };
            let mut k = s;
            while at(k) == '#' {
                k += 1;
            }
            at(k) == '"'
        } {
            // A raw string: r#"…"#, as many hashes as it opened with.
            let start = i;
            i += if at(0) == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() {
                if c[i] == '"' && (0..hashes).all(|h| c.get(i + 1 + h) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
            keep_lines(&mut out, &c[start..i.min(c.len())]);
        } else if at(0) == '"' {
            let start = i;
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
            keep_lines(&mut out, &c[start..i.min(c.len())]);
        } else if at(0) == '\'' && (at(1) == '\\' || (at(1) != '\n' && at(2) == '\'')) {
            // A character literal ('x', '\n', '\u{2019}'); a lifetime ('a) is left alone.
            i += 1;
            while i < c.len() && c[i] != '\'' && c[i] != '\n' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("''");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn braces(line: &str) -> i64 {
    line.chars()
        .map(|ch| match ch {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// Whether a (blanked) line starts a function: `[pub[(…)]] [const] [async] [unsafe] fn name`.
fn starts_fn(line: &str) -> bool {
    let mut s = line.trim_start();
    if let Some(rest) = s.strip_prefix("pub") {
        s = rest.trim_start();
        if let Some(rest) = s.strip_prefix('(') {
            s = rest.split_once(')').map_or("", |(_, r)| r).trim_start();
        }
    }
    for word in ["const ", "async ", "unsafe ", "extern \"\" "] {
        if let Some(rest) = s.strip_prefix(word) {
            s = rest.trim_start();
        }
    }
    s.strip_prefix("fn ")
        .is_some_and(|r| r.starts_with(|ch: char| ch.is_alphabetic() || ch == '_'))
}

/// Lines of the file outside an inline `#[cfg(test)] mod … { … }`.
fn file_lines(lines: &[&str]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < lines.len() {
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let is_mod = next.starts_with("mod ") || next.starts_with("pub mod ");
        if lines[i].trim() == "#[cfg(test)]" && is_mod && !next.ends_with(';') {
            let mut depth = 0;
            let mut j = i + 1;
            while j < lines.len() {
                depth += braces(lines[j]);
                j += 1;
                if depth <= 0 && lines[j - 1].contains('}') {
                    break;
                }
            }
            i = j;
            continue;
        }
        n += 1;
        i += 1;
    }
    n
}

/// The name of the function a line starts.
fn fn_name(line: &str) -> &str {
    let after = line.split_once("fn ").map_or("", |(_, r)| r);
    after
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .next()
        .unwrap_or("")
}

/// `(first line, length)` of every function longer than [`MAX_FN`].
fn long_fns(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut long = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if !starts_fn(line) {
            continue;
        }
        let (mut depth, mut started) = (0, false);
        for (j, l) in lines.iter().enumerate().skip(k) {
            depth += braces(l);
            started |= l.contains('{');
            if !started && l.trim_end().ends_with(';') {
                break;
            }
            if started && depth <= 0 {
                if j - k + 1 > MAX_FN {
                    long.push((k + 1, j - k + 1));
                }
                break;
            }
        }
    }
    long
}

#[test]
fn no_file_or_function_in_src_is_too_long() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&root, &mut files);
    files.sort();
    assert!(files.len() > 50, "src/ not found");
    let (mut bad, mut seen) = (Vec::new(), Vec::new());
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let code = blank(&std::fs::read_to_string(f).unwrap());
        let lines: Vec<&str> = code.lines().collect();
        let n = file_lines(&lines);
        let mut report = |id: String, what: String| {
            if KNOWN.iter().any(|(k, _)| *k == id) {
                seen.push(id);
            } else {
                bad.push(what);
            }
        };
        if n > MAX_FILE {
            report(
                format!("src/{rel}"),
                format!("src/{rel}: {n} lines without its tests (at most {MAX_FILE})"),
            );
        }
        for (at, len) in long_fns(&lines) {
            let name = fn_name(lines[at - 1]);
            report(
                format!("src/{rel} fn {name}"),
                format!("src/{rel}:{at}: fn {name} has {len} lines (at most {MAX_FN})"),
            );
        }
    }
    for (k, why) in KNOWN {
        if !seen.iter().any(|s| s == k) {
            eprintln!("note: the known offender {k} ({why}) is gone: delete it from KNOWN");
        }
    }
    assert!(
        bad.is_empty(),
        "too long (split by meaning: a named step or helper, a submodule per job):\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn the_count_skips_strings_comments_and_the_test_module() {
    let code = blank(
        "fn a() {\n    let s = \"{ not a brace\";\n    let r = r#\"}\n}\"#;\n    let c = '{';\n    // }\n    /* { */\n    let l: &'static str = s;\n}\n",
    );
    let lines: Vec<&str> = code.lines().collect();
    assert_eq!(lines.len(), 9, "{code}");
    assert_eq!(lines.iter().map(|l| braces(l)).sum::<i64>(), 0, "{code}");
    assert!(starts_fn("    pub(crate) async fn go("));
    assert!(!starts_fn("    let fn_name = 1;"));
    let mut long = String::from("fn big() {\n");
    long.push_str(&"    x();\n".repeat(MAX_FN));
    long.push_str("}\n");
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(long_fns(&lines), vec![(1, MAX_FN + 2)]);
    assert_eq!(fn_name("pub(crate) async fn go<'a>(x: u8)"), "go");
    let with_tests = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() {\n    }\n}\nfn c() {}\n";
    assert_eq!(file_lines(&with_tests.lines().collect::<Vec<_>>()), 2);
}
