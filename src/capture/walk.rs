//! The directory walk behind `replay DIR` and `diagnose DIR`.
//!
//! Built on `walkdir`, which detects symlink loops: links are followed (a log directory is
//! often a link), but a link back to an ancestor (`x -> .`) is a loop and is not entered, and
//! every file is listed once even when two links lead to it (files are told apart by device
//! and inode). Hidden entries (`.git`, `.cache`) are skipped, as before. Special files
//! (FIFOs, sockets, devices) are skipped with a note: opening a FIFO would block forever.
//! A path that cannot be read (an unreadable subdirectory, a dangling link) is reported and
//! the walk goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What the walk found: the files to read, sorted, and notes about what it left out.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// One line per path left out: `PATH: why`.
    pub notes: Vec<String>,
    /// How many of those could not be read (a dangling link, an unreadable subdirectory),
    /// as opposed to left out on purpose (a loop, a FIFO): the run's exit status is 2.
    pub unreadable: usize,
}

/// Walks `root` (a directory) and lists its capture files (see the module docs).
pub fn walk(root: &Path) -> Walk {
    let mut out = Walk::default();
    let mut seen = HashSet::new();
    let it = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let why = if e.loop_ancestor().is_some() {
                    "a symbolic link back to a directory above it; not entered again".to_string()
                } else {
                    out.unreadable += 1;
                    e.io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string())
                };
                out.notes.push(format!("{path}: {why}"));
                continue;
            }
        };
        let t = entry.file_type();
        if t.is_dir() {
            continue;
        }
        if !t.is_file() {
            out.notes.push(format!(
                "{}: skipped, not a regular file ({})",
                entry.path().display(),
                crate::fsutil::describe(&t)
            ));
            continue;
        }
        // Two links to one file: read it once.
        if let Some(id) = file_id(&entry)
            && !seen.insert(id)
        {
            continue;
        }
        out.files.push(entry.into_path());
    }
    out.files.sort();
    out
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

#[cfg(unix)]
fn file_id(e: &walkdir::DirEntry) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    e.metadata().ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(e: &walkdir::DirEntry) -> Option<PathBuf> {
    std::fs::canonicalize(e.path()).ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(w: &Walk, root: &Path) -> Vec<String> {
        w.files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn lists_files_sorted_and_skips_hidden() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        for f in ["z.log", "a.log", "b/c/x.txt", ".hidden", ".git/HEAD"] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        let w = walk(d.path());
        assert_eq!(names(&w, d.path()), ["a.log", "b/c/x.txt", "z.log"]);
        assert!(w.notes.is_empty(), "{:?}", w.notes);
    }

    #[test]
    fn self_links_are_loops_and_each_file_is_listed_once() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.log"), "x").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/b.log"), "x").unwrap();
        symlink(".", d.path().join("x")).unwrap();
        symlink(".", d.path().join("y")).unwrap();
        symlink("..", d.path().join("sub/up")).unwrap();
        // A second way to the same directory and file.
        symlink("sub", d.path().join("alias")).unwrap();
        symlink("a.log", d.path().join("link.log")).unwrap();
        let w = walk(d.path());
        assert_eq!(names(&w, d.path()).len(), 2, "{:?}", w.files);
        assert!(w.notes.iter().any(|n| n.contains("back to a directory")));
    }

    #[test]
    fn fifos_are_skipped_and_dangling_links_reported() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.log"), "x").unwrap();
        let fifo = d.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        symlink("nowhere", d.path().join("dangling")).unwrap();
        let w = walk(d.path());
        assert_eq!(names(&w, d.path()), ["a.log"]);
        if made {
            assert!(w.notes.iter().any(|n| n.contains("FIFO")), "{:?}", w.notes);
        }
        assert!(
            w.notes.iter().any(|n| n.contains("dangling")),
            "{:?}",
            w.notes
        );
    }
}
