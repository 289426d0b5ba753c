//! The record files: one JSON Lines file per UTC day in the record directory, a new one when
//! a file would grow past the size cap, the oldest deleted past the count cap. Files are
//! created 0600 (and the directory 0700): records hold org ids and timing, nobody else's.
//!
//! Names sort in time order: `2026-11-30.jsonl`, then `2026-11-30.1.jsonl`, `2026-11-30.2.jsonl`
//! after rotations. [`newest`] and `status` rely on that order, not on modification times.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

/// Where records go and when to rotate.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub dir: PathBuf,
    /// A file is closed once the next line would take it past this many bytes.
    pub max_size: u64,
    /// At most this many record files are kept; the oldest go first.
    pub keep: usize,
}

/// The parts of a record file's name: its day and sequence number.
pub fn parse_name(name: &str) -> Option<(NaiveDate, u32)> {
    let stem = name.strip_suffix(".jsonl")?;
    let (day, seq) = match stem.split_once('.') {
        Some((d, n)) => (d, n.parse().ok()?),
        None => (stem, 0),
    };
    Some((NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?, seq))
}

fn file_name(day: NaiveDate, seq: u32) -> String {
    if seq == 0 {
        format!("{day}.jsonl")
    } else {
        format!("{day}.{seq}.jsonl")
    }
}

/// Record files in `dir`, oldest first.
pub fn list(dir: &Path) -> io::Result<Vec<(NaiveDate, u32, PathBuf)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        if let Some((d, n)) = e.file_name().to_str().and_then(parse_name)
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            out.push((d, n, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The newest record files in `dir`, newest first.
pub fn newest(dir: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(list(dir)?.into_iter().rev().map(|(_, _, p)| p).collect())
}

/// Writes record lines with rotation. Not thread-safe: one writer thread owns it.
pub struct Writer {
    rot: Rotation,
    file: Option<File>,
    day: Option<NaiveDate>,
    seq: u32,
    size: u64,
    path: PathBuf,
    /// A failed write left bytes that could not be cut off: the next line starts on a new
    /// line so the torn one stays separate (readers skip it).
    torn: bool,
}

impl Writer {
    /// Creates the directory (0700) when missing and checks that it can be written to.
    pub fn open(rot: Rotation) -> io::Result<Writer> {
        create_dir(&rot.dir)?;
        let mut w = Writer {
            path: rot.dir.clone(),
            rot,
            file: None,
            day: None,
            seq: 0,
            size: 0,
            torn: false,
        };
        w.roll(Utc::now(), 0)?;
        Ok(w)
    }

    /// Opens the record file again after a failure (the directory may have been removed or
    /// its permissions changed); the next line goes to today's newest file.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        self.day = None;
        create_dir(&self.rot.dir)?;
        self.roll(Utc::now(), 0)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (a newline is added); rotates first when needed.
    pub fn write_line(&mut self, now: DateTime<Utc>, line: &[u8]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        self.write_lines(now, &buf)
    }

    /// Appends whole lines (`lines` ends with a newline) in one write when they fit in the
    /// current file; otherwise line by line, rotating where needed.
    pub fn write_lines(&mut self, now: DateTime<Utc>, lines: &[u8]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let fits = self.day == Some(now.date_naive())
            && (self.size == 0 || self.size + lines.len() as u64 <= self.rot.max_size);
        if fits || memchr::memchr(b'\n', lines) == Some(lines.len() - 1) {
            return self.append(now, lines);
        }
        for line in lines.split_inclusive(|&b| b == b'\n') {
            self.append(now, line)?;
        }
        Ok(())
    }

    /// Appends `bytes` (whole lines); rotates first when needed.
    fn append(&mut self, now: DateTime<Utc>, bytes: &[u8]) -> io::Result<()> {
        let len = bytes.len() as u64;
        if self.day != Some(now.date_naive())
            || (self.size > 0 && self.size + len > self.rot.max_size)
        {
            self.roll(now, len)?;
        }
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("no record file open"));
        };
        // One write per batch. When it fails part way (disk full, file-size limit), the
        // part written is cut off again: a half-written last line is never left behind.
        let before = f.metadata().map(|m| m.len()).unwrap_or(self.size);
        let r = if self.torn {
            f.write_all(b"\n").and_then(|_| f.write_all(bytes))
        } else {
            f.write_all(bytes)
        };
        if let Err(e) = r {
            self.torn = f.set_len(before).is_err();
            return Err(e);
        }
        self.size = before + len + u64::from(self.torn);
        self.torn = false;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.sync_data(),
            None => Ok(()),
        }
    }

    /// Opens the file the next `need` bytes go to: today's newest when it has room, else a
    /// new one; then deletes the oldest past `keep`.
    fn roll(&mut self, now: DateTime<Utc>, need: u64) -> io::Result<()> {
        let day = now.date_naive();
        let existing = list(&self.rot.dir)?;
        let today: Vec<_> = existing.iter().filter(|(d, _, _)| *d == day).collect();
        let mut seq = today.last().map_or(0, |(_, n, _)| *n);
        if self.day == Some(day) {
            seq = seq.max(self.seq + 1);
        } else if let Some((_, n, p)) = today.last() {
            let size = fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            if size > 0 && size + need > self.rot.max_size {
                seq = n + 1;
            }
        }
        let path = self.rot.dir.join(file_name(day, seq));
        let file = open_private(&path)?;
        self.size = file.metadata()?.len();
        self.file = Some(file);
        self.day = Some(day);
        self.seq = seq;
        self.path = path;
        self.prune()
    }

    fn prune(&self) -> io::Result<()> {
        let files = list(&self.rot.dir)?;
        let keep = self.rot.keep.max(1);
        if files.len() > keep {
            for (_, _, p) in &files[..files.len() - keep] {
                if *p != self.path {
                    let _ = fs::remove_file(p);
                }
            }
        }
        Ok(())
    }
}

fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Opens a record file for appending, created 0600. A symbolic link in its place is refused
/// (`O_NOFOLLOW`): records must not be written wherever someone else's link points.
fn open_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
        o.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let f = o.open(path).map_err(|e| {
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is a symbolic link; refusing to write records through it",
                    path.display()
                ),
            )
        } else {
            e
        }
    })?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(f)
}

/// True when `dir` exists and anyone may write to it (others could swap record files).
pub fn world_writable(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// Parses a size: `100MB`, `100M`, `2KiB`, `1G`, `5000` (bytes). Units are powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 100MB, 512K, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{s}': unknown unit (use K, M or G)")),
    };
    let v = (n * mult as f64) as u64;
    if v < 1024 {
        return Err(format!("'{s}' is too small: at least 1K"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_time_order() {
        assert_eq!(
            parse_name("2026-11-30.jsonl"),
            Some((NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), 0))
        );
        assert_eq!(parse_name("2026-11-30.12.jsonl").map(|x| x.1), Some(12));
        assert_eq!(parse_name("notes.jsonl"), None);
        assert_eq!(parse_name("2026-11-30.x.jsonl"), None);
        assert_eq!(parse_name("2026-11-30.json"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn rotates_and_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let rot = Rotation {
            dir: dir.path().join("rec"),
            max_size: 1024,
            keep: 3,
        };
        let mut w = Writer::open(rot.clone()).unwrap();
        let now = Utc::now();
        let line = vec![b'x'; 300];
        for _ in 0..20 {
            w.write_line(now, &line).unwrap();
        }
        let files = list(&rot.dir).unwrap();
        assert_eq!(files.len(), 3, "{files:?}");
        for (_, _, p) in &files {
            assert!(fs::metadata(p).unwrap().len() <= 1024);
        }
        // The newest is the one being written.
        assert_eq!(newest(&rot.dir).unwrap()[0], w.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(w.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A restart the same day appends to the newest file when it has room.
        drop(w);
        let before = list(&rot.dir).unwrap();
        let mut w = Writer::open(rot.clone()).unwrap();
        w.write_line(now, b"y").unwrap();
        let after = list(&rot.dir).unwrap();
        assert!(after.len() <= 3);
        assert!(before.last().unwrap().1 <= after.last().unwrap().1);
    }
}
