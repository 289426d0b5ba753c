//! The command line, as clap derive types. Doc comments are the manual: `--help`, the man
//! pages and the shell completions are all generated from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod claude_code;
pub use claude_code::{HistoryArgs, HookArgs, SetupArgs, SetupTarget, StatusArgs};

/// Shown at the end of `--help` and in the man page. The README's table says the same, and a
/// test checks that they agree.
pub const EXIT_STATUS: &str = "\
Exit status:
  0  ran fine, nothing wrong found (limits --check: no drift)
  1  ran fine and found rate-limit failures (limits --check: drift)
  2  usage error (bad flags, unreadable input)
  3  API or network error talking to Anthropic (auth, timeout, 5xx)";

/// Tells which Anthropic API rate limit you hit, how sure it is and why, and the fix.
///
/// claude-429 reads captured 429/529 responses (curl -i / -v output, header dumps, JSON error
/// bodies, HAR files, JSON Lines logs, Python/TypeScript SDK errors, LiteLLM and Claude Code
/// error lines, in any mix), classifies each failure (RPM, ITPM, OTPM, spend, workspace,
/// acceleration, overload...) and prints the matching fix. It also reads the org's configured
/// limits through the Rate Limits API and probes live headroom.
#[derive(Debug, Parser)]
#[command(
    name = "claude-429",
    version,
    after_help = EXIT_STATUS,
    after_long_help = EXIT_STATUS,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Command {
    /// The subcommand's name, for hints that depend on it.
    pub fn name(&self) -> &'static str {
        #[allow(unreachable_patterns)]
        match self {
            Command::Replay(_) => "replay",
            Command::Diagnose(_) => "diagnose",
            Command::Limits(_) => "limits",
            Command::Probe(_) => "probe",
            Command::Fixes(_) => "fixes",
            Command::Usage(_) => "usage",
            _ => "",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify captured failures: one row per failure, then a summary by class.
    ///
    /// Reads files, directories (walked) or `-` for stdin, in any supported capture format,
    /// auto-detected per file and per chunk. Streams: memory stays flat whatever the size.
    ///
    /// Examples:
    ///   claude-429 replay examples/
    ///   pbpaste | claude-429 replay -
    ///   claude-429 replay logs/app.jsonl --json | jq '.summary'
    ///   claude-429 replay proxy.har --only itpm --only otpm
    #[command(verbatim_doc_comment)]
    Replay(ReplayArgs),

    /// The incident report: ranked causes, a timeline, client-behaviour findings.
    ///
    /// Everything replay reads, plus failures per minute by class, retries that ignored
    /// retry-after, lockstep retry storms, the ramp before an acceleration refusal and keys
    /// from different tiers or workspaces.
    ///
    /// Examples:
    ///   claude-429 diagnose logs/ --since 14:00
    ///   claude-429 diagnose logs/ --format markdown --redact > incident.md
    #[command(verbatim_doc_comment)]
    Diagnose(DiagnoseArgs),

    /// The org's configured rate limits through the Rate Limits API; save and check a lock file.
    ///
    /// Needs an Admin API key (sk-ant-admin...) in ANTHROPIC_ADMIN_KEY or --admin-key-file.
    ///
    /// Examples:
    ///   claude-429 limits
    ///   claude-429 limits --workspace wrkspc_01AbC --json
    ///   claude-429 limits --save limits.lock.json
    ///   claude-429 limits --check limits.lock.json --min claude-sonnet-4-5:requests_per_minute=1000
    #[command(verbatim_doc_comment)]
    Limits(LimitsArgs),

    /// Live headroom per model: one minimal request each (max_tokens 1), never retried.
    ///
    /// Needs ANTHROPIC_API_KEY or --api-key-file. Reads the anthropic-ratelimit-* headers and
    /// prints limit, remaining, reset and headroom per dimension.
    ///
    /// Examples:
    ///   claude-429 probe --model claude-sonnet-4-5
    ///   claude-429 probe --dry-run
    ///   claude-429 probe --model claude-sonnet-4-5 --watch 30
    #[command(verbatim_doc_comment)]
    Probe(ProbeArgs),

    /// Print the decision table (cause -> fix), or one class's entry.
    ///
    /// Examples:
    ///   claude-429 fixes
    ///   claude-429 fixes itpm
    ///   claude-429 fixes --json
    #[command(verbatim_doc_comment)]
    Fixes(FixesArgs),

    /// Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the
    /// client behaved.
    ///
    /// Serves POST /v1/messages (JSON and streams), /v1/messages/count_tokens, /v1/models,
    /// the Rate Limits API and the Admin usage report (who used the limit) on 127.0.0.1:8430.
    /// Point ANTHROPIC_BASE_URL at it, run your client, stop with Ctrl-C (or --for): the report
    /// names retries that ignored retry-after, retry storms and missing backoff after
    /// overloads (exit 1 when it found any).
    ///
    /// Examples:
    ///   claude-429 mock --list
    ///   claude-429 mock --scenario rpm
    ///   claude-429 mock --scenario overload --for 60 --record mock.jsonl --json
    ///   claude-429 mock --scenario my-limits.toml --listen 127.0.0.1:0
    #[command(verbatim_doc_comment)]
    Mock(MockArgs),

    /// A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.
    ///
    /// Forwards every request to the upstream unchanged and streams the answers back as they
    /// arrive, while writing one JSON Lines record per exchange (status, rate-limit headers,
    /// timing, usage, error bodies, the model and max_tokens asked for; never prompts,
    /// completions or keys) that `diagnose` and `status` read. Prints one line per failure,
    /// with its class and fix, as it happens. Ctrl-C flushes and exits 0.
    ///
    /// Examples:
    ///   claude-429 record
    ///   ANTHROPIC_BASE_URL=http://127.0.0.1:8429 claude
    ///   claude-429 diagnose claude-429-record/
    #[command(verbatim_doc_comment)]
    Record(RecordArgs),

    /// One line of live headroom from the newest records, for statuslines and prompts.
    ///
    /// Per model class seen in the last minutes: the tightest rate-limit dimension with what
    /// is left and when it resets, the requests remaining, and the last failure's class when
    /// one happened recently. Reads only the end of the newest record file.
    ///
    /// Examples:
    ///   claude-429 status
    ///   claude-429 status - < statusline.json     (Claude Code's statusLine command)
    ///   claude-429 status --json
    #[command(verbatim_doc_comment)]
    Status(StatusArgs),

    /// Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.
    ///
    /// Reads the hook's JSON on stdin. On StopFailure, classifies the error it carries, adds
    /// it to the limit-hit history and prints the class and the fix (Claude Code ignores
    /// that output). On UserPromptSubmit or SessionStart, prints {"systemMessage": ...} naming
    /// the newest stop once, which Claude Code shows on screen. Any other event or unreadable
    /// input: prints nothing. Always exits 0 (a hook must never break Claude Code).
    ///
    /// Examples:
    ///   claude-429 setup claude-code          (adds the hooks and the statusline)
    ///   {"hooks": {"StopFailure": [{"hooks": [{"type": "command", "command": "claude-429 hook"}]}]}}
    #[command(verbatim_doc_comment)]
    Hook(HookArgs),

    /// The limit-hit history: every stop the hook saw and every failure record saw.
    ///
    /// A table of the hits (time, where from, class, status, model, fix) and a count per
    /// class, or JSON. The file is JSON Lines in $XDG_STATE_HOME/claude-429/history.jsonl
    /// (~/.local/state/... without XDG_STATE_HOME), or $CLAUDE_429_HISTORY; `diagnose` reads
    /// it like any capture.
    ///
    /// Examples:
    ///   claude-429 history
    ///   claude-429 history --since 2h --json
    ///   claude-429 diagnose ~/.local/state/claude-429/history.jsonl
    #[command(verbatim_doc_comment)]
    History(HistoryArgs),

    /// Set up an integration: `claude-code` adds the statusline and the hooks.
    ///
    /// Merges a statusLine (`claude-429 status -`) and StopFailure, UserPromptSubmit and
    /// SessionStart hooks (`claude-429 hook`) into ~/.claude/settings.json (or the project's
    /// .claude/settings.json). Keeps every other setting; keeps another statusline unless
    /// told to chain to it or replace it; running it twice changes nothing; writes
    /// atomically after a backup; --remove takes out exactly what it added.
    ///
    /// Examples:
    ///   claude-429 setup claude-code --dry-run
    ///   claude-429 setup claude-code
    ///   claude-429 setup claude-code --project
    ///   claude-429 setup claude-code --remove
    #[command(verbatim_doc_comment)]
    Setup(SetupArgs),

    /// Who used the limit: the org's token use per minute or hour against its limits, by key,
    /// workspace or model (the Admin API's usage report).
    ///
    /// Needs an Admin API key (sk-ant-admin...) in ANTHROPIC_ADMIN_KEY or --admin-key-file.
    /// Reads the usage report once (its pages in one burst: within the documented polling rate
    /// of once a minute), names keys and workspaces, and lists the tightest buckets first,
    /// each with its top consumers. Exit 1 when a bucket reached its limit.
    ///
    /// Examples:
    ///   claude-429 usage --since 2h
    ///   claude-429 usage --since 2026-11-20T13:55:00Z --until 2026-11-20T14:10:00Z
    ///   claude-429 usage --since 1d --bucket hour --group-by workspace --json
    #[command(verbatim_doc_comment)]
    Usage(UsageArgs),

    /// Print a shell completion script.
    ///
    /// Example: claude-429 completions bash > ~/.local/share/bash-completion/completions/claude-429
    Completions(CompletionsArgs),

    /// Write completions and man pages into a directory (used to refresh the committed ones).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// How failures are printed.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print one JSON document (verdicts and summary) instead of a table.
    #[arg(long, conflicts_with = "jsonl", help_heading = "Output")]
    pub json: bool,

    /// Print one JSON verdict per line, as found (for streaming into other tools).
    #[arg(long, help_heading = "Output")]
    pub jsonl: bool,

    /// Replace org ids, workspace ids and request ids in the output (API keys are always
    /// removed, with or without this flag).
    #[arg(long, help_heading = "Output")]
    pub redact: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Capture files or directories; `-` reads stdin (the default when stdin is piped).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Show only failures of this class (repeatable).
    #[arg(long, value_name = "CLASS", value_parser = ClassParser, help_heading = "Filter")]
    pub only: Vec<crate::classify::Class>,

    /// Only failures at or after this time: a time before now (15m, 2h, 1d), RFC 3339
    /// (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00) or a UTC time of day
    /// (14:00) on the day of the first timestamped failure.
    ///
    /// Failures without a time are left out when a window is given.
    /// Example: kubectl logs deploy/api --timestamps | claude-429 replay - --since 15m
    #[arg(long, value_name = "TIME", help_heading = "Filter")]
    pub since: Option<String>,

    /// Only failures before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Filter")]
    pub until: Option<String>,

    /// Follow the files like `tail -F`: read them, then wait for new lines (Ctrl-C stops).
    ///
    /// A file that is renamed and re-created (log rotation) or truncated is picked up again,
    /// and one that does not exist yet is waited for. Each verdict is printed within a
    /// second of its line. One file only. Example: claude-429 replay --follow app.log --jsonl
    #[arg(short = 'f', long, help_heading = "Input")]
    pub follow: bool,

    /// Exit 2 when any chunk of input could not be parsed (default: count it on stderr and go on).
    #[arg(long)]
    pub strict: bool,

    /// At most this many rows in the table, 0 to 1000000 (the summary still counts
    /// everything; --json and --jsonl print every verdict).
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1_000_000))]
    pub max_rows: usize,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Parses a class name (with the aliases [`crate::classify::Class::parse`] accepts) and
/// offers the class names to `--help` and the shell completions, from the enum itself.
#[derive(Debug, Clone, Copy)]
pub struct ClassParser;

impl clap::builder::TypedValueParser for ClassParser {
    type Value = crate::classify::Class;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let s = value.to_string_lossy();
        parse_class(&s).map_err(|msg| {
            let what = arg.map_or_else(String::new, |a| match a.get_long() {
                Some(l) => format!(" for '--{l} <CLASS>'"),
                None => " for '<CLASS>'".to_string(),
            });
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value '{s}'{what}: {msg}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::classify::Class::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

pub fn parse_class(s: &str) -> Result<crate::classify::Class, String> {
    crate::classify::Class::parse(s).ok_or_else(|| {
        let names: Vec<&str> = crate::classify::Class::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        format!("unknown class '{s}'; one of: {}", names.join(", "))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A terminal report.
    Text,
    /// Markdown, for a ticket or an incident document.
    Markdown,
    /// One self-contained HTML page with charts (timeline, headroom), for a ticket or a
    /// postmortem: nothing is fetched when it opens.
    Html,
}

#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    /// Capture files or directories; `-` reads stdin (the default when stdin is piped).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Only captures at or after this time: a time before now (15m, 2h, 1d), RFC 3339
    /// (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00), or a UTC time of day
    /// (14:00) on the day of the first timestamped capture. Captures without a time are left
    /// out when a window is given.
    #[arg(long, value_name = "TIME", help_heading = "Filter")]
    pub since: Option<String>,

    /// Only captures before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Filter")]
    pub until: Option<String>,

    /// Follow the files like `tail -F` and print the full report when stopped (Ctrl-C).
    ///
    /// New lines are read as they are written; a rotated (renamed and re-created) or
    /// truncated file is picked up again, a missing one waited for. Meanwhile a terminal
    /// shows the running counts per class and the newest failures; elsewhere one line per
    /// new failure. One file only. Example: claude-429 diagnose --follow /var/log/app.log
    #[arg(short = 'f', long, help_heading = "Input")]
    pub follow: bool,

    /// Only captures for this model (repeatable); a name also matches its dated versions
    /// (claude-sonnet-4-5 matches claude-sonnet-4-5-20250929).
    #[arg(long, value_name = "MODEL", help_heading = "Filter")]
    pub model: Vec<String>,

    /// Also compare the logs with the API now: the org's configured limits per model class
    /// seen (Rate Limits API, needs ANTHROPIC_ADMIN_KEY) and one probe per class (needs
    /// ANTHROPIC_API_KEY; at most 4 requests, never retried). Conclusions say when the logs'
    /// anthropic-ratelimit-*-limit differs from the configured limit (stray key or workspace
    /// override), the binding dimension's headroom now, and limits changed since. With the
    /// admin key and ITPM/OTPM failures, also who used the limit in the incident window (the
    /// usage report per minute by key and workspace; see `claude-429 usage`). A missing key
    /// skips its part (the report says which); an API or network error exits 3.
    #[arg(long, help_heading = "Live")]
    pub live: bool,

    /// With --live: also read this workspace's effective limits and flag overrides below the
    /// org limit. Example: --workspace wrkspc_01AbC
    #[arg(long, value_name = "ID", requires = "live", help_heading = "Live")]
    pub workspace: Option<String>,

    #[command(flatten)]
    pub api: ApiArgs,

    /// Report format for people: text (default), markdown or html.
    ///
    /// html writes one self-contained page (inline SVG charts of the failures per minute by
    /// class and of the headroom per dimension, the causes, the findings, the inputs) that
    /// fetches nothing when opened. Example: --format html -o incident.html
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Write the report to this file instead of stdout (replaced atomically).
    ///
    /// Any format; the file gets no terminal colour. Example: --format html -o incident.html
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub output: Option<PathBuf>,

    /// Print the report as one JSON document: {"causes", "timeline", "findings", "summary"},
    /// causes ordered by rank.
    #[arg(long, conflicts_with = "format", help_heading = "Output")]
    pub json: bool,

    /// Replace org ids, workspace ids, request ids and anything key-like in the report (API
    /// keys are always removed, with or without this flag).
    #[arg(long, help_heading = "Output")]
    pub redact: bool,
}

/// `claude-429 usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Start of the window: RFC 3339, a UTC date and time, or a time ago (15m, 2h, 1d).
    ///
    /// The report snaps to the UTC minute (or hour). At one-minute buckets the window is at
    /// most 1,440 minutes; at one-hour buckets, 31 days. Example: --since 2h
    #[arg(long, value_name = "TIME", default_value = "1h")]
    pub since: String,

    /// End of the window (same forms as --since; default now). The last 5 minutes may not be
    /// in the report yet. Example: --until 2026-11-20T14:10:00Z
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// How to split each bucket's use: key (and its workspace), workspace or model.
    ///
    /// Example: --group-by workspace
    #[arg(long, value_enum, default_value_t = UsageGroupBy::Key, value_name = "BY")]
    pub group_by: UsageGroupBy,

    /// Bucket width: minute (compared with the per-minute limit) or hour (with 60 times it).
    ///
    /// Example: --bucket hour
    #[arg(long, value_enum, default_value_t = UsageBucket::Minute, value_name = "WIDTH")]
    pub bucket: UsageBucket,

    /// Rows shown (tightest buckets first, across limit groups), 1 to 1440.
    ///
    /// Example: --top 5
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub top: u32,

    /// Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY.
    ///
    /// There is no flag that takes the key itself: a key on the command line lands in shell
    /// history and `ps`. The key is never printed, not even in errors.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,

    /// Print one JSON document (schema/usage.schema.json) instead of the table.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

/// `usage --group-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageGroupBy {
    Key,
    Workspace,
    Model,
}

/// `usage --bucket`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageBucket {
    Minute,
    Hour,
}

/// Where the API lives and how long to wait for it.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Base URL of the API (default https://api.anthropic.com; a proxy or a local server).
    #[arg(
        long,
        env = "ANTHROPIC_BASE_URL",
        value_name = "URL",
        help_heading = "API"
    )]
    pub base_url: Option<String>,

    /// Seconds to wait for a connection (0.1 to 3600).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10.0,
        value_parser = parse_secs,
        help_heading = "API"
    )]
    pub connect_timeout: f64,

    /// Seconds to wait for a whole request, body included (0.1 to 3600).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30.0,
        value_parser = parse_secs,
        help_heading = "API"
    )]
    pub timeout: f64,

    /// Allow a plain http:// base URL to a host other than this machine (the key then
    /// crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag.
    #[arg(long, help_heading = "API")]
    pub allow_insecure_http: bool,

    /// Also trust the CA certificates in this PEM file (a corporate TLS proxy's CA).
    ///
    /// Added to the platform's trust store, the bundled roots and SSL_CERT_FILE / SSL_CERT_DIR.
    /// HTTPS_PROXY and NO_PROXY are honoured.
    #[arg(long, value_name = "FILE", value_parser = crate::api::transport::parse_cacert, help_heading = "API")]
    pub cacert: Option<PathBuf>,
}

/// The range of `--timeout` and `--connect-timeout`, in seconds.
pub const SECS_RANGE: std::ops::RangeInclusive<f64> = 0.1..=3600.0;

/// Seconds as a decimal number within [`SECS_RANGE`].
pub fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !v.is_finite() || !SECS_RANGE.contains(&v) {
        return Err(format!(
            "{s} is out of range: give {} to {} seconds",
            SECS_RANGE.start(),
            SECS_RANGE.end()
        ));
    }
    Ok(v)
}

#[derive(Debug, Clone, Args)]
pub struct LimitsArgs {
    /// Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY.
    ///
    /// There is no flag that takes the key itself: a key on the command line lands in shell
    /// history and `ps`. The key is never printed, not even in errors.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,

    /// Only the group that holds this model (full name or alias).
    ///
    /// Exit 3 with "not found" when the org has no limits for it (an unknown or retired
    /// model). Example: --model claude-sonnet-4-5
    #[arg(long, value_name = "MODEL", help_heading = "Filter")]
    pub model: Option<String>,

    /// Only this group type: model_group, batch, files, token_count, web_search, skills.
    ///
    /// Passed to the API as is, so newer group types work too.
    #[arg(long, value_name = "TYPE", help_heading = "Filter")]
    pub group_type: Option<String>,

    /// Show this workspace's effective limits beside the org's, marking overrides.
    ///
    /// Effective = the lower of the workspace value and the org limit. A workspace value below
    /// the org limit is an override that can reject requests (429) while the org limits still
    /// have room; a value above the org limit is stored but not enforced. With --save and
    /// --check, the lock holds the workspace's effective limits. Example: --workspace
    /// wrkspc_01AbC
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,

    /// Write the limits to this lock file: stable, sorted, diff-friendly JSON.
    ///
    /// Keyed by the stable group id and the limiter type, with the time it was taken and the
    /// filters used. Commit it, then run --check in CI to hear when limits change.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "check",
        help_heading = "Lock file"
    )]
    pub save: Option<PathBuf>,

    /// Compare the live limits with this lock file; exit 1 on drift, 0 when equal.
    ///
    /// Prints each change (group, limiter, old -> new, up/down, added/removed); --json prints
    /// the diff as JSON. The filters saved in the lock (--model, --group-type, --workspace)
    /// are used unless given again. Under GitHub Actions (GITHUB_ACTIONS=true) also prints
    /// ::error/::warning annotations and appends a table to $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FILE", help_heading = "Lock file")]
    pub check: Option<PathBuf>,

    /// With --check: also fail when a live limit is below this floor (repeatable).
    ///
    /// Written MATCH:LIMITER=VALUE, where MATCH is a model in the group, a group id or a
    /// group's display name. A floor that matches no live limit fails too. Example:
    /// --min claude-sonnet-4-5:requests_per_minute=1000
    #[arg(
        long,
        value_name = "FLOOR",
        requires = "check",
        help_heading = "Lock file"
    )]
    pub min: Vec<String>,

    /// Print JSON instead of a table (with --check: the diff).
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Retries of a request that failed with 429, 5xx, 529 or a connection error (0 to 10).
    ///
    /// Waits as long as retry-after says (up to 60 s), else backs off from 0.5 s, doubling.
    #[arg(long, value_name = "N", default_value_t = 2, help_heading = "API",
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub max_retries: u32,

    /// Ask for pages of at most N entries (1-1000); the default is one page with everything.
    #[arg(long, value_name = "N", hide = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// The end of `probe --help`: thresholds and exit status as probe uses them.
pub const PROBE_AFTER_HELP: &str = "\
Headroom per dimension (requests, input tokens, output tokens, tokens combined):
  ok         20% or more of the limit remaining
  tight      less than 20% remaining
  exhausted  0 remaining (token values may be rounded to the nearest thousand)

Exit status:
  0  every probe answered; no dimension exhausted
  1  a probe was refused (429, 529: classified, never retried), a dimension is exhausted,
     or the key's requests limit is below the org's (stray key)
  2  usage error
  3  missing key, 401/403, unknown model (404), timeout, refused connection, other API errors";

#[derive(Debug, Clone, Args)]
#[command(after_help = PROBE_AFTER_HELP)]
pub struct ProbeArgs {
    /// Model to probe (repeatable). Without it: one model per model class.
    ///
    /// The classes come from the Rate Limits API when an admin key is there (one model per
    /// model group: the first model the group lists), else from GET /v1/models (all pages;
    /// per class, e.g. "Claude Sonnet 4.x", the newest active model). Never from a built-in
    /// list: model names come and go.
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<String>,

    /// Read the API key from this file instead of ANTHROPIC_API_KEY (a key on the command line
    /// would land in shell history and `ps`).
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,

    /// Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY.
    ///
    /// With an admin key, probe lists the model classes through the Rate Limits API and
    /// compares the limits the key sees with the org's configured ones: a requests limit below
    /// the org's requests_per_minute means the key belongs to another workspace or org.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,

    /// Never send more than this many probes per round, 1 to 1000 (default: one per model).
    ///
    /// Probes are the POST /v1/messages requests; the GETs that list models and limits are
    /// not counted. Models past the budget are listed as not probed.
    #[arg(long, value_name = "N", help_heading = "Safety",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_requests: Option<u32>,

    /// Never spend more than this many tokens (input + output) per round, 1 to 1000000000.
    ///
    /// A probe is counted as 20 tokens before it is sent (a one-word prompt is about 8 input
    /// tokens and max_tokens is 1), then as the usage its answer reports.
    #[arg(long, value_name = "N", default_value_t = 200, help_heading = "Safety",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub max_tokens_budget: u64,

    /// Print the requests that would be sent (key redacted), and send nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,

    /// Repeat every SECS seconds (1 to 86400) until Ctrl-C, showing remaining capacity over time.
    ///
    /// Each round keeps within --max-requests and --max-tokens-budget. A model with an
    /// exhausted dimension is not probed again before that dimension resets; a refused probe
    /// (429, 529) or an error ends the watch. Ctrl-C (or SIGTERM) prints what was gathered.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub watch: Option<u64>,

    /// Stop --watch after this many rounds (for tests and scripts).
    #[arg(long, value_name = "N", hide = true, requires = "watch",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rounds: Option<u32>,

    /// Print JSON instead of tables (with --watch: one document with every round, at the end).
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, Args)]
pub struct FixesArgs {
    /// One class to show (e.g. itpm, overload, spend); all when omitted.
    #[arg(value_name = "CLASS", value_parser = ClassParser)]
    pub class: Option<crate::classify::Class>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Address to listen on. Loopback only unless --allow-remote is given too.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8429")]
    pub listen: std::net::SocketAddr,

    /// Listen on a non-loopback address (--listen or --metrics). Anyone who can reach it can
    /// use your API key's traffic path and read timing; only for a trusted network.
    #[arg(long)]
    pub allow_remote: bool,

    /// Serve Prometheus metrics (headroom, failures by class, latency, tokens) on ADDR.
    ///
    /// `GET http://ADDR/metrics` answers in the Prometheus text format, on a listener of its
    /// own; loopback only unless --allow-remote. A bare port means 127.0.0.1. E.g.
    /// `--metrics 127.0.0.1:9429`, then scrape it with Prometheus (see docs/metrics.md).
    #[arg(long, value_name = "ADDR", value_parser = crate::record::metrics::parse_addr)]
    pub metrics: Option<std::net::SocketAddr>,

    /// Where requests go (a gateway, or a local server for tests).
    ///
    /// Checked like --base-url: no user:password@, no ?query or #fragment, no trailing /v1,
    /// and plain http:// only to this machine (e.g. --upstream http://127.0.0.1:8430 for
    /// `claude-429 mock`) unless --allow-insecure-http.
    #[arg(long, value_name = "URL", default_value = "https://api.anthropic.com")]
    pub upstream: String,

    /// Allow a plain http:// --upstream on another host (keys then cross the network
    /// unencrypted).
    ///
    /// For a gateway on a trusted network only, e.g.
    /// `--upstream http://gateway.internal:8080 --allow-insecure-http`.
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// Client connections served at once; past this a new one gets a 503 at once.
    ///
    /// At the cap the connection idle the longest is closed to make room; only when every
    /// connection has a request in flight is a new one refused. Idle connections are closed
    /// after 60 s (2 s once three quarters of the cap are in use). E.g. `--max-connections
    /// 2048`.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// Directory for the record files (one JSON Lines file per UTC day, created 0600).
    #[arg(long, value_name = "PATH", default_value = "claude-429-record")]
    pub out: PathBuf,

    /// Start a new file when one would grow past this size (K, M, G: powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "100MB", value_parser = crate::record::writer::parse_size)]
    pub max_size: u64,

    /// Keep at most this many record files; the oldest are deleted.
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: u32,

    /// Also trust the CA certificates in FILE (PEM) for the upstream, besides the platform's
    /// store, SSL_CERT_FILE and SSL_CERT_DIR (e.g. a corporate TLS-inspecting proxy's CA).
    #[arg(long, value_name = "FILE", value_parser = crate::api::transport::parse_cacert)]
    pub cacert: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Directory to write `completions/` and `man/` into.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// Arguments of `claude-429 mock` (the server lives in `crate::mock`).
#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8430")]
    pub listen: std::net::SocketAddr,

    /// A built-in scenario (see --list) or a TOML file of your own.
    #[arg(long, value_name = "NAME|FILE", default_value = "steady")]
    pub scenario: String,

    /// Write every exchange as JSON Lines (the format `diagnose` reads; no keys, no prompt
    /// text).
    #[arg(long, value_name = "PATH")]
    pub record: Option<std::path::PathBuf>,

    /// Seed for injected failures (the same seed and requests give the same failures).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Stop after this many seconds and print the report (default: at Ctrl-C or SIGTERM).
    #[arg(long = "for", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub run_for: Option<u64>,

    /// List the built-in scenarios and exit.
    #[arg(long)]
    pub list: bool,

    /// Print the report as JSON (for CI).
    #[arg(long)]
    pub json: bool,
}

impl ApiArgs {
    /// The client config for the `--base-url`/`--timeout`/`--cacert` flags. The base URL is
    /// checked here, before any key is read or request sent (see
    /// [`crate::api::client::check_base_url`]): a bad one is a usage error. Here rather than in
    /// `api`, so `api` does not import `cli`.
    pub fn client_config(&self) -> Result<crate::api::ClientConfig, crate::exit::UsageError> {
        use std::time::Duration;
        let secs =
            |s: f64| Duration::from_secs_f64(if s.is_finite() && s > 0.0 { s } else { 30.0 });
        let raw = self
            .base_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| crate::api::client::DEFAULT_BASE_URL.to_string());
        Ok(crate::api::ClientConfig {
            base_url: crate::api::client::check_base_url(raw.trim(), self.allow_insecure_http)?,
            connect_timeout: secs(self.connect_timeout),
            timeout: secs(self.timeout),
            cacert: self.cacert.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_only_classes() {
        let cli = Cli::try_parse_from([
            "claude-429",
            "replay",
            "x",
            "--only",
            "itpm",
            "--only",
            "batch-queue",
        ])
        .unwrap();
        let Command::Replay(r) = cli.command else {
            panic!()
        };
        assert_eq!(r.only.len(), 2);
        assert!(Cli::try_parse_from(["claude-429", "replay", "--only", "nope"]).is_err());
    }

    #[test]
    fn class_value_names_are_the_json_names_and_all_agree() {
        use crate::classify::Class;
        let names: Vec<String> = Class::value_variants()
            .iter()
            .map(|c| c.to_possible_value().unwrap().get_name().to_string())
            .collect();
        let all: Vec<String> = Class::ALL.iter().map(|c| c.as_str().to_string()).collect();
        assert_eq!(names, all, "Class::ALL and the ValueEnum disagree");
        for c in Class::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().into())
            );
        }
    }

    #[test]
    fn class_arguments_offer_every_class_and_keep_aliases() {
        let cmd = Cli::command();
        let replay = cmd.find_subcommand("replay").unwrap();
        let only = replay
            .get_arguments()
            .find(|a| a.get_id() == "only")
            .unwrap();
        let offered: Vec<String> = only
            .get_possible_values()
            .iter()
            .map(|p| p.get_name().to_string())
            .collect();
        assert!(
            offered.contains(&"subscription_cap".to_string()),
            "{offered:?}"
        );
        assert_eq!(offered.len(), crate::classify::Class::ALL.len());
        for alias in ["ramp", "529", "batch-queue", "ITPM"] {
            assert!(
                Cli::try_parse_from(["claude-429", "fixes", alias]).is_ok(),
                "{alias}"
            );
        }
        let e = Cli::try_parse_from(["claude-429", "replay", "--only", "nope"]).unwrap_err();
        assert!(e.to_string().contains("unknown class 'nope'"), "{e}");
    }

    #[test]
    fn diagnose_live_is_in_help_now_that_it_works() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("diagnose")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("--live"), "{help}");
        assert!(help.contains("--workspace"), "{help}");
    }

    #[test]
    fn json_and_jsonl_conflict() {
        assert!(Cli::try_parse_from(["claude-429", "replay", "--json", "--jsonl"]).is_err());
    }
}
