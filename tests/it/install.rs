//! `scripts/install.sh` against a directory holding a fake release: an archive built here from
//! the binary under test (laid out as the release workflow lays it out), with its `.sha256`.
//! The script must verify the checksum, install a binary that runs, install the man pages,
//! and refuse a tampered archive.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::root;

fn script() -> PathBuf {
    root().join("scripts/install.sh")
}

/// `sh install.sh ARGS` with a cleared environment (no CLAUDE_429_* or GITHUB_PATH from the
/// shell) plus `extra_env`.
fn install(args: &[&str], extra_env: &[(&str, &Path)]) -> Output {
    let mut c = crate::common::command("sh");
    c.arg(script()).args(args);
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.output().expect("sh runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sha256(path: &Path) -> String {
    let o = Command::new("sha256sum")
        .arg(path)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(path)
                .output()
        })
        .expect("sha256sum or shasum");
    text(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The target the script picks for this machine.
fn target() -> String {
    let o = install(&["--print-target"], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout).trim().to_string()
}

/// A fake release for this machine, built once per test run (compressing the debug binary is
/// the slow part) and copied into `dist` for each test.
fn fake_release(dist: &Path, target: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        build_release(d.path(), target);
        d
    });
    std::fs::create_dir_all(dist).unwrap();
    for e in std::fs::read_dir(built.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dist.join(e.file_name())).unwrap();
    }
    dist.join(format!("claude-429-{target}.tar.gz"))
}

/// Builds `claude-429-<target>.tar.gz` and `claude-429-<target>.sha256` in `dist`, as the
/// release workflow does: the binary, man/, completions/ and the licenses at the top level.
fn build_release(dist: &Path, target: &str) -> PathBuf {
    let stage = dist.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    let bin = crate::common::exe();
    std::fs::copy(&bin, stage.join("claude-429")).unwrap();
    for dir in ["man", "completions"] {
        std::fs::create_dir_all(stage.join(dir)).unwrap();
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), stage.join(dir).join(e.file_name())).unwrap();
        }
    }
    for f in ["LICENSE-MIT", "LICENSE-APACHE"] {
        std::fs::copy(root().join(f), stage.join(f)).unwrap();
    }
    let name = format!("claude-429-{target}.tar.gz");
    let archive = dist.join(&name);
    // gzip -1: the debug binary is large, and the level does not matter here.
    let st = Command::new("sh")
        .arg("-c")
        .arg(
            "tar -cf - -C \"$1\" claude-429 man completions LICENSE-MIT LICENSE-APACHE \
             | gzip -1 > \"$2\"",
        )
        .arg("sh")
        .arg(&stage)
        .arg(&archive)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_dir_all(&stage).unwrap();
    std::fs::write(
        dist.join(format!("claude-429-{target}.sha256")),
        format!("{}  {name}\n", sha256(&archive)),
    )
    .unwrap();
    archive
}

#[test]
fn installs_a_verified_binary_that_runs() {
    let t = target();
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    fake_release(&dist, &t);
    let bin_dir = tmp.path().join("bin");
    let man_dir = tmp.path().join("man");
    let o = install(
        &[
            "--version",
            "v0.1.0",
            "--from-dir",
            dist.to_str().unwrap(),
            "--bin-dir",
            bin_dir.to_str().unwrap(),
            "--man-dir",
            man_dir.to_str().unwrap(),
            "--no-fallback",
        ],
        &[],
    );
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("verified sha256"), "{err}");
    assert!(man_dir.join("man1/claude-429-limits.1").exists());

    let installed = bin_dir.join("claude-429");
    let v = crate::common::command(&installed)
        .arg("--version")
        .output()
        .unwrap();
    assert!(v.status.success());
    assert_eq!(
        text(&v.stdout).trim(),
        format!("claude-429 {}", env!("CARGO_PKG_VERSION"))
    );
    // A real run: the bundled example is a rate-limit failure, so exit 1 with a verdict.
    let r = crate::common::command(&installed)
        .args(["replay", "--json"])
        .arg(root().join("examples/curl-itpm.txt"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("\"itpm\""), "{}", text(&r.stdout));
}

#[test]
fn environment_variables_work_like_the_flags() {
    let t = target();
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    fake_release(&dist, &t);
    let bin_dir = tmp.path().join("bin");
    let gh_path = tmp.path().join("github_path");
    std::fs::write(&gh_path, "").unwrap();
    let o = install(
        &["--no-fallback"],
        &[
            ("CLAUDE_429_DIST_DIR", &dist),
            ("CLAUDE_429_INSTALL_DIR", &bin_dir),
            ("GITHUB_PATH", &gh_path),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(bin_dir.join("claude-429").exists());
    // Under GitHub Actions the directory is put on PATH for later steps.
    assert_eq!(
        std::fs::read_to_string(&gh_path).unwrap().trim(),
        bin_dir.to_str().unwrap()
    );
}

#[test]
fn a_tampered_archive_is_refused() {
    let t = target();
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let archive = fake_release(&dist, &t);
    let mut bytes = std::fs::read(&archive).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let bin_dir = tmp.path().join("bin");
    let o = install(
        &[
            "--from-dir",
            dist.to_str().unwrap(),
            "--bin-dir",
            bin_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("checksum mismatch"),
        "{}",
        text(&o.stderr)
    );
    assert!(!bin_dir.join("claude-429").exists());
}

#[test]
fn a_missing_checksum_file_is_refused() {
    let t = target();
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    fake_release(&dist, &t);
    std::fs::remove_file(dist.join(format!("claude-429-{t}.sha256"))).unwrap();
    let bin_dir = tmp.path().join("bin");
    let o = install(
        &[
            "--from-dir",
            dist.to_str().unwrap(),
            "--bin-dir",
            bin_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("refusing to install an unverified binary"),
        "{}",
        text(&o.stderr)
    );
    assert!(!bin_dir.join("claude-429").exists());
}

#[test]
fn no_binary_for_the_platform_without_fallback_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let o = install(
        &[
            "--from-dir",
            dist.to_str().unwrap(),
            "--bin-dir",
            tmp.path().join("bin").to_str().unwrap(),
            "--target",
            "riscv64gc-unknown-linux-musl",
            "--no-fallback",
        ],
        &[],
    );
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("cannot get claude-429-riscv64gc-unknown-linux-musl.tar.gz"),
        "{err}"
    );
    assert!(err.contains("--no-fallback"), "{err}");
}
