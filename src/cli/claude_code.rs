//! The flags of the Claude Code side: `status` (the statusline), `hook`, `history` and
//! `setup claude-code`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The record directory or file; `-` reads Claude Code's statusline JSON on stdin and
    /// uses the default directory (and the model it names).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// The record directory when PATH is `-`.
    #[arg(long, value_name = "DIR", default_value = "claude-429-record")]
    pub dir: PathBuf,

    /// Only records from the last this many minutes count (1 to 10080, a week).
    #[arg(long, value_name = "MIN", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=crate::status::MAX_MINUTES))]
    pub minutes: u64,

    /// Only records since this time count, instead of --minutes: a time before now (15m,
    /// 2h, 1d) or an absolute time (2026-11-20T14:00:00Z), at most a week back.
    ///
    /// Example: claude-429 status --since 2h
    #[arg(long, value_name = "TIME", conflicts_with = "minutes")]
    pub since: Option<String>,

    /// Only this model's class (e.g. claude-sonnet-4-5 shows the sonnet-4 class).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Print JSON instead of one line.
    #[arg(long)]
    pub json: bool,

    /// With `-`: run this statusline command first (same stdin) and show its first line,
    /// then claude-429's in the columns left.
    ///
    /// Written by `setup claude-code --chain-statusline`; the command gets 1 s.
    /// Example: claude-429 status - --then ~/.claude/statusline.sh
    #[arg(long, value_name = "CMD")]
    pub then: Option<String>,

    /// The limit-hit history file (with `-`, the last stop is shown for 5 minutes).
    ///
    /// Default: $CLAUDE_429_HISTORY, else $XDG_STATE_HOME/claude-429/history.jsonl, else
    /// ~/.local/state/claude-429/history.jsonl. Example: --history ~/h.jsonl
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct HookArgs {
    /// The limit-hit history file the stops are written to and announced from.
    ///
    /// Default: $CLAUDE_429_HISTORY (`off` turns the history off), else
    /// $XDG_STATE_HOME/claude-429/history.jsonl, else ~/.local/state/claude-429/history.jsonl.
    /// Example: claude-429 hook --history ~/h.jsonl
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Only hits at or after this time: 30m, 2h, 7d, 1w ago, or a time.
    ///
    /// A time is RFC 3339 (2026-11-20T14:00:00Z) or a UTC date and time (2026-11-20 14:00).
    /// Example: claude-429 history --since 1d
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only the newest N hits.
    ///
    /// Example: claude-429 history --last 5
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,

    /// Print JSON (`path`, `entries` and a `summary` by class) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// The history file.
    ///
    /// Default: $CLAUDE_429_HISTORY, else $XDG_STATE_HOME/claude-429/history.jsonl, else
    /// ~/.local/state/claude-429/history.jsonl. Example: --history ~/h.jsonl
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// What `setup` sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetupTarget {
    /// Claude Code's settings.json: the statusline and the hooks.
    ClaudeCode,
}

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// What to set up.
    #[arg(value_enum, value_name = "TARGET")]
    pub target: SetupTarget,

    /// The project's .claude/settings.json (in the current directory) instead of the user's.
    ///
    /// Example: cd ~/app && claude-429 setup claude-code --project
    #[arg(long, conflicts_with = "settings")]
    pub project: bool,

    /// This settings file instead of ~/.claude/settings.json ($CLAUDE_CONFIG_DIR is honoured).
    ///
    /// Example: --settings .claude/settings.local.json
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Show what would change and the new settings; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Take out what setup added (the original file comes back byte for byte when nothing
    /// else changed since).
    #[arg(long, conflicts_with_all = ["replace_statusline", "chain_statusline", "no_statusline"])]
    pub remove: bool,

    /// With a statusline that is not claude-429's: run it first and show claude-429's line
    /// after its output (`status - --then CMD`).
    ///
    /// Without this flag (or --replace-statusline) an existing statusline is kept as it is
    /// and only the hooks are added. --remove puts your command back.
    #[arg(long, conflicts_with_all = ["replace_statusline", "no_statusline"])]
    pub chain_statusline: bool,

    /// Replace a statusline that is not claude-429's (the backup keeps it; --remove puts it
    /// back).
    #[arg(long, conflicts_with = "no_statusline")]
    pub replace_statusline: bool,

    /// Add no statusline; only the hooks.
    #[arg(long)]
    pub no_statusline: bool,

    /// The record directory the statusline reads headroom from (`claude-429 record --out`).
    ///
    /// Without it the statusline reads ./claude-429-record in Claude Code's working directory.
    /// Example: --records ~/claude-429-record
    #[arg(long, value_name = "DIR", conflicts_with = "remove")]
    pub records: Option<PathBuf>,

    /// A history file for the hook and the statusline to use (written into their commands).
    ///
    /// Example: --history ~/claude-429-history.jsonl
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}
