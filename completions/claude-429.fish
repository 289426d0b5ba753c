# Install: claude-429 completions fish > ~/.config/fish/completions/claude-429.fish
# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_claude_429_global_optspecs
    string join \n color= h/help V/version
end

function __fish_claude_429_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_claude_429_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_claude_429_using_subcommand
    set -l cmd (__fish_claude_429_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c claude-429 -n "__fish_claude_429_needs_command" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_needs_command" -s h -l help -d 'Print help'
complete -c claude-429 -n "__fish_claude_429_needs_command" -s V -l version -d 'Print version'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "replay" -d 'Classify captured failures: one row per failure, then a summary by class.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "diagnose" -d 'The incident report: ranked causes, a timeline, client-behaviour findings.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "limits" -d 'The org\'s configured rate limits through the Rate Limits API; save and check a lock file.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "probe" -d 'Live headroom per model: one minimal request each (max_tokens 1), never retried.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "fixes" -d 'Print the decision table (cause -> fix), or one class\'s entry.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "mock" -d 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "record" -d 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "status" -d 'One line of live headroom from the newest records, for statuslines and prompts.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "hook" -d 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "history" -d 'The limit-hit history: every stop the hook saw and every failure record saw.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "setup" -d 'Set up an integration: `claude-code` adds the statusline and the hooks.'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "usage" -d 'Who used the limit: the org\'s token use per minute or hour against its limits, by key, workspace or model (the Admin API\'s usage report).'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c claude-429 -n "__fish_claude_429_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l only -d 'Show only failures of this class (repeatable)' -r -f -a "rpm\t''
itpm\t''
otpm\t''
daily\t''
concurrency\t''
spend\t''
workspace\t''
acceleration\t''
overload\t''
batch_queue\t''
subscription_cap\t''
not_rate_limit\t''
unknown\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l max-rows -d 'At most this many rows in the table, 0 to 1000000 (the summary still counts everything; --json and --jsonl print every verdict)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l strict -d 'Exit 2 when any chunk of input could not be parsed (default: count it on stderr and go on)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l json -d 'Print one JSON document (verdicts and summary) instead of a table'
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l jsonl -d 'Print one JSON verdict per line, as found (for streaming into other tools)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -l redact -d 'Replace org ids, workspace ids and request ids in the output (API keys are always removed, with or without this flag)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l since -d 'Only captures at or after this time: RFC 3339 (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00), or a UTC time of day (14:00) on the day of the first timestamped capture. Captures without a time are left out when a window is given' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l until -d 'Only captures before this time (same forms as --since)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l model -d 'Only captures for this model (repeatable); a name also matches its dated versions (claude-sonnet-4-5 matches claude-sonnet-4-5-20250929)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l workspace -d 'With --live: also read this workspace\'s effective limits and flag overrides below the org limit. Example: --workspace wrkspc_01AbC' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l base-url -d 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l connect-timeout -d 'Seconds to wait for a connection (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l timeout -d 'Seconds to wait for a whole request, body included (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l cacert -d 'Also trust the CA certificates in this PEM file (a corporate TLS proxy\'s CA)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l format -d 'Report format for people: text (default), markdown or html' -r -f -a "text\t'A terminal report'
markdown\t'Markdown, for a ticket or an incident document'
html\t'One self-contained HTML page with charts (timeline, headroom), for a ticket or a postmortem: nothing is fetched when it opens'"
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -s o -l output -d 'Write the report to this file instead of stdout (replaced atomically)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l live -d 'Also compare the logs with the API now: the org\'s configured limits per model class seen (Rate Limits API, needs ANTHROPIC_ADMIN_KEY) and one probe per class (needs ANTHROPIC_API_KEY; at most 4 requests, never retried). Conclusions say when the logs\' anthropic-ratelimit-*-limit differs from the configured limit (stray key or workspace override), the binding dimension\'s headroom now, and limits changed since. With the admin key and ITPM/OTPM failures, also who used the limit in the incident window (the usage report per minute by key and workspace; see `claude-429 usage`). A missing key skips its part (the report says which); an API or network error exits 3'
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l allow-insecure-http -d 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l json -d 'Print the report as one JSON document: {"causes", "timeline", "findings", "summary"}, causes ordered by rank'
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -l redact -d 'Replace org ids, workspace ids, request ids and anything key-like in the report (API keys are always removed, with or without this flag)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l admin-key-file -d 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l model -d 'Only the group that holds this model (full name or alias)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l group-type -d 'Only this group type: model_group, batch, files, token_count, web_search, skills' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l workspace -d 'Show this workspace\'s effective limits beside the org\'s, marking overrides' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l save -d 'Write the limits to this lock file: stable, sorted, diff-friendly JSON' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l check -d 'Compare the live limits with this lock file; exit 1 on drift, 0 when equal' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l min -d 'With --check: also fail when a live limit is below this floor (repeatable)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l max-retries -d 'Retries of a request that failed with 429, 5xx, 529 or a connection error (0 to 10)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l page-size -d 'Ask for pages of at most N entries (1-1000); the default is one page with everything' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l base-url -d 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l connect-timeout -d 'Seconds to wait for a connection (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l timeout -d 'Seconds to wait for a whole request, body included (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l cacert -d 'Also trust the CA certificates in this PEM file (a corporate TLS proxy\'s CA)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l json -d 'Print JSON instead of a table (with --check: the diff)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -l allow-insecure-http -d 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
complete -c claude-429 -n "__fish_claude_429_using_subcommand limits" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l model -d 'Model to probe (repeatable). Without it: one model per model class' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l api-key-file -d 'Read the API key from this file instead of ANTHROPIC_API_KEY (a key on the command line would land in shell history and `ps`)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l admin-key-file -d 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l max-requests -d 'Never send more than this many probes per round, 1 to 1000 (default: one per model)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l max-tokens-budget -d 'Never spend more than this many tokens (input + output) per round, 1 to 1000000000' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l watch -d 'Repeat every SECS seconds (1 to 86400) until Ctrl-C, showing remaining capacity over time' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l rounds -d 'Stop --watch after this many rounds (for tests and scripts)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l base-url -d 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l connect-timeout -d 'Seconds to wait for a connection (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l timeout -d 'Seconds to wait for a whole request, body included (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l cacert -d 'Also trust the CA certificates in this PEM file (a corporate TLS proxy\'s CA)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l dry-run -d 'Print the requests that would be sent (key redacted), and send nothing'
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l json -d 'Print JSON instead of tables (with --watch: one document with every round, at the end)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -l allow-insecure-http -d 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
complete -c claude-429 -n "__fish_claude_429_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand fixes" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand fixes" -l json -d 'Print JSON instead of a table'
complete -c claude-429 -n "__fish_claude_429_using_subcommand fixes" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l listen -d 'Address to listen on (port 0 picks a free port; the address is printed on stderr)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l scenario -d 'A built-in scenario (see --list) or a TOML file of your own' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l record -d 'Write every exchange as JSON Lines (the format `diagnose` reads; no keys, no prompt text)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l seed -d 'Seed for injected failures (the same seed and requests give the same failures)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l for -d 'Stop after this many seconds and print the report (default: at Ctrl-C or SIGTERM)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l list -d 'List the built-in scenarios and exit'
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -l json -d 'Print the report as JSON (for CI)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand mock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l listen -d 'Address to listen on. Loopback only unless --allow-remote is given too' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l metrics -d 'Serve Prometheus metrics (headroom, failures by class, latency, tokens) on ADDR' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l upstream -d 'Where requests go (a gateway, or a local server for tests)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l max-connections -d 'Client connections served at once; past this a new one gets a 503 at once' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l out -d 'Directory for the record files (one JSON Lines file per UTC day, created 0600)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l max-size -d 'Start a new file when one would grow past this size (K, M, G: powers of 1024)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l keep -d 'Keep at most this many record files; the oldest are deleted' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for the upstream, besides the platform\'s store, SSL_CERT_FILE and SSL_CERT_DIR (e.g. a corporate TLS-inspecting proxy\'s CA)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l allow-remote -d 'Listen on a non-loopback address (--listen or --metrics). Anyone who can reach it can use your API key\'s traffic path and read timing; only for a trusted network'
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -l allow-insecure-http -d 'Allow a plain http:// --upstream on another host (keys then cross the network unencrypted)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand record" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l dir -d 'The record directory when PATH is `-`' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l minutes -d 'Only records from the last this many minutes count (1 to 10080, a week)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l model -d 'Only this model\'s class (e.g. claude-sonnet-4-5 shows the sonnet-4 class)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l then -d 'With `-`: run this statusline command first (same stdin) and show its first line, then claude-429\'s in the columns left' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l history -d 'The limit-hit history file (with `-`, the last stop is shown for 5 minutes)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -l json -d 'Print JSON instead of one line'
complete -c claude-429 -n "__fish_claude_429_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand hook" -l history -d 'The limit-hit history file the stops are written to and announced from' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand hook" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -l since -d 'Only hits at or after this time: 30m, 2h, 7d, 1w ago, or a time' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -l last -d 'Only the newest N hits' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -l history -d 'The history file' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -l json -d 'Print JSON (`path`, `entries` and a `summary` by class) instead of a table'
complete -c claude-429 -n "__fish_claude_429_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l settings -d 'This settings file instead of ~/.claude/settings.json ($CLAUDE_CONFIG_DIR is honoured)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l records -d 'The record directory the statusline reads headroom from (`claude-429 record --out`)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l history -d 'A history file for the hook and the statusline to use (written into their commands)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l project -d 'The project\'s .claude/settings.json (in the current directory) instead of the user\'s'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l dry-run -d 'Show what would change and the new settings; write nothing'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l remove -d 'Take out what setup added (the original file comes back byte for byte when nothing else changed since)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l chain-statusline -d 'With a statusline that is not claude-429\'s: run it first and show claude-429\'s line after its output (`status - --then CMD`)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l replace-statusline -d 'Replace a statusline that is not claude-429\'s (the backup keeps it; --remove puts it back)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -l no-statusline -d 'Add no statusline; only the hooks'
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l since -d 'Start of the window: RFC 3339, a UTC date and time, or a time ago (15m, 2h, 1d)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l until -d 'End of the window (same forms as --since; default now). The last 5 minutes may not be in the report yet. Example: --until 2026-11-20T14:10:00Z' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l group-by -d 'How to split each bucket\'s use: key (and its workspace), workspace or model' -r -f -a "key\t''
workspace\t''
model\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l bucket -d 'Bucket width: minute (compared with the per-minute limit) or hour (with 60 times it)' -r -f -a "minute\t''
hour\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l top -d 'Rows shown (tightest buckets first, across limit groups), 1 to 1440' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l admin-key-file -d 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l base-url -d 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l connect-timeout -d 'Seconds to wait for a connection (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l timeout -d 'Seconds to wait for a whole request, body included (0.1 to 3600)' -r
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l cacert -d 'Also trust the CA certificates in this PEM file (a corporate TLS proxy\'s CA)' -r -F
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l allow-insecure-http -d 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -l json -d 'Print one JSON document (schema/usage.schema.json) instead of the table'
complete -c claude-429 -n "__fish_claude_429_using_subcommand usage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand completions" -l color -d 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c claude-429 -n "__fish_claude_429_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "replay" -d 'Classify captured failures: one row per failure, then a summary by class.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "diagnose" -d 'The incident report: ranked causes, a timeline, client-behaviour findings.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "limits" -d 'The org\'s configured rate limits through the Rate Limits API; save and check a lock file.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "probe" -d 'Live headroom per model: one minimal request each (max_tokens 1), never retried.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "fixes" -d 'Print the decision table (cause -> fix), or one class\'s entry.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "mock" -d 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "record" -d 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "status" -d 'One line of live headroom from the newest records, for statuslines and prompts.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "hook" -d 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "history" -d 'The limit-hit history: every stop the hook saw and every failure record saw.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "setup" -d 'Set up an integration: `claude-code` adds the statusline and the hooks.'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "usage" -d 'Who used the limit: the org\'s token use per minute or hour against its limits, by key, workspace or model (the Admin API\'s usage report).'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c claude-429 -n "__fish_claude_429_using_subcommand help; and not __fish_seen_subcommand_from replay diagnose limits probe fixes mock record status hook history setup usage completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c claude-429 -n "__fish_claude_429_using_subcommand fixes" -f -a "rpm itpm otpm daily concurrency spend workspace acceleration overload batch_queue subscription_cap not_rate_limit unknown"
complete -c claude-429 -n "__fish_claude_429_using_subcommand setup" -f -a "claude-code\t'Claude Code\'s settings.json: the statusline and the hooks'"
complete -c claude-429 -n "__fish_claude_429_using_subcommand completions" -f -a "bash elvish fish powershell zsh"
