//! What to read: a path expanded into files (a directory walked, `-` for stdin), program
//! source told apart, and the error for an input that cannot be opened.

use std::io;
use std::path::{Path, PathBuf};

/// An input path that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}")]
pub struct InputError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Expands a path into the files to read: a file as is, a directory walked (sorted, hidden
/// entries and special files skipped, symlink loops not entered: [`crate::capture::walk`]), `-` for
/// stdin. Also returns how many paths below a directory could not be read (named on
/// stderr here).
pub fn expand(path: &Path) -> Result<(Vec<PathBuf>, usize), InputError> {
    if path.as_os_str() == "-" {
        return Ok((vec![path.to_path_buf()], 0));
    }
    let meta = std::fs::metadata(path).map_err(|e| InputError {
        path: path.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], 0));
    }
    // The directory itself must be readable; below it, see `walk` (notes go to stderr).
    std::fs::read_dir(path).map_err(|e| InputError {
        path: path.display().to_string(),
        source: e,
    })?;
    let w = crate::capture::walk::walk(path);
    for n in &w.notes {
        crate::errln!("claude-429: {n}");
    }
    Ok((w.files, w.unreadable))
}
/// File names that are program source, skipped with a note.
pub(super) fn is_source_code(path: &Path) -> bool {
    const EXT: &[&str] = &[
        "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "rb", "php",
        "c", "h", "cc", "cpp", "hpp", "cs", "swift", "scala", "sh", "bash", "zsh", "ps1", "ex",
        "exs", "lua", "r", "sql",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXT.contains(&e.to_ascii_lowercase().as_str()))
}
