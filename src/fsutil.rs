//! Writing files safely: the lock file of `limits --save` and anything else the tool writes.
//!
//! [`write_atomic`] writes to a temporary file created exclusively (`O_CREAT | O_EXCL`, a
//! random name, so a symlink planted beside the target is never followed) in the target's
//! directory, syncs it and renames it over the target. A failed run leaves the old file as it
//! was and no temporary file behind. A target that exists and is not a regular file (a
//! symlink, a directory, a FIFO, a device) is refused: renaming over it would replace
//! something the user did not mean to hand over.

use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(m) = &existing
        && !m.file_type().is_file()
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "refusing to replace {}, which is not a regular file",
                describe(&m.file_type())
            ),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_via_temp(dir, path, bytes, existing.map(|m| m.permissions()))
}

/// What kind of file this is, in words ("a FIFO", "a directory"...), for messages.
pub fn describe(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The temporary file and the rename. The temporary file is removed on any failure
/// (`NamedTempFile` deletes itself when dropped, and `persist` hands it back on error).
/// Errors name no temporary path (see [`without_temp_path`]).
fn write_via_temp(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    perms: Option<std::fs::Permissions>,
) -> io::Result<()> {
    write_temp_and_rename(dir, path, bytes, perms).map_err(without_temp_path)
}

fn write_temp_and_rename(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    perms: Option<std::fs::Permissions>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    // Keep the old file's mode; a new file gets rw-r--r-- (a lock file is meant to be
    // committed and read), not the temporary file's private 0600.
    #[cfg(unix)]
    let perms = Some(perms.unwrap_or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o644)
    }));
    if let Some(p) = perms {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The error without tempfile's `at path "…/.x.html.AbC123.tmp"`: the caller names the
/// user's file, and a temporary name the user never chose (and that no longer exists) only
/// confuses. The operating system's reason and the error's kind are kept. (tempfile's own
/// error type is private, so its message is cut where it appends the path.)
fn without_temp_path(e: io::Error) -> io::Error {
    if e.get_ref().is_none() {
        return e;
    }
    let msg = e.to_string();
    match msg.rfind(" at path \"") {
        Some(at) => io::Error::new(e.kind(), &msg[..at]),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_names_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("missing-dir").join("report.html");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let msg = e.to_string();
        assert!(!msg.contains(".tmp") && !msg.contains("at path"), "{msg}");
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn writes_and_replaces_a_regular_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("limits.lock.json");
        write_atomic(&p, b"one\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one\n");
        write_atomic(&p, b"two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        assert!(leftovers(d.path()).is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_tmp_symlink_is_never_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let p = d.path().join("lock.json");
        // The old writer used LOCK.tmp; plant a link there and at the dotted form.
        std::os::unix::fs::symlink(&victim, d.path().join("lock.json.tmp")).unwrap();
        std::os::unix::fs::symlink(&victim, d.path().join(".lock.json.tmp")).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_directory_or_fifo_target() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");

        let sub = d.path().join("dir.json");
        std::fs::create_dir(&sub).unwrap();
        let e = write_atomic(&sub, b"x").unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");

        let fifo = d.path().join("fifo.json");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let e = write_atomic(&fifo, b"x").unwrap_err();
            assert!(e.to_string().contains("FIFO"), "{e}");
        }
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        // A non-empty directory at the target: the rename fails after the temp file is written.
        let target = d.path().join("busy");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_via_temp(d.path(), &target, b"data", None).is_err());
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(write_atomic(&d.path().join("no/such/dir/lock.json"), b"x").is_err());
    }
}
