//! The committed completions and man pages must match what the clap definitions generate.
//! Refresh them with `cargo run --features generate -- generate .` after changing `src/cli/`.

/// Without the `generate` feature the generator is not compiled in: shown as ignored.
#[cfg(not(feature = "generate"))]
#[test]
#[ignore = "the generator needs `--features generate` (CI runs it)"]
fn completions_and_man_pages_are_fresh() {}

#[cfg(feature = "generate")]
#[test]
fn completions_and_man_pages_are_fresh() {
    let root = crate::common::root();
    let mut stale = Vec::new();
    for (rel, want) in claude_429::commands::generate::files().expect("generate") {
        match std::fs::read(root.join(&rel)) {
            Ok(got) if got == want => {}
            Ok(_) => stale.push(format!("{rel} differs")),
            Err(e) => stale.push(format!("{rel}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files (run `cargo run --features generate -- generate .`):\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn every_subcommand_has_a_man_page() {
    use clap::CommandFactory;
    let root = crate::common::root();
    for sub in claude_429::cli::Cli::command().get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let page = root.join(format!("man/claude-429-{}.1", sub.get_name()));
        assert!(page.exists(), "missing {}", page.display());
    }
}

#[test]
fn readme_exit_codes_match_the_cli() {
    let readme =
        std::fs::read_to_string(crate::common::root().join("README.md")).expect("README.md");
    for line in claude_429::cli::EXIT_STATUS.lines().skip(1) {
        let (code, meaning) = line.trim().split_once("  ").expect("code and meaning");
        let row = format!("| {} | {} |", code.trim(), meaning.trim());
        assert!(
            readme.contains(&row),
            "README.md lacks the exit-code row: {row}"
        );
    }
}

/// The README's offline examples (`replay`, `diagnose`, `fixes` on the bundled files) are
/// real runs: rerun each and compare, so a classifier change cannot leave them stale.
#[test]
fn readme_examples_are_what_the_commands_print() {
    let root = crate::common::root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut checked = 0;
    for block in readme.split("```console\n$ claude-429 ").skip(1) {
        let (cmd, rest) = block.split_once('\n').expect("a command line");
        let want = rest.split("```").next().unwrap_or_default();
        let args: Vec<&str> = cmd.split_whitespace().collect();
        if !matches!(args.first(), Some(&("replay" | "diagnose" | "fixes"))) {
            continue; // limits and probe need a server
        }
        let out = crate::common::std_bin()
            .args(&args)
            .current_dir(root)
            .env_remove("NO_COLOR")
            .env("COLUMNS", "100")
            .output()
            .expect("run claude-429");
        let got = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            got.trim_end(),
            want.trim_end(),
            "README example `claude-429 {cmd}`"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} README examples found");
}
