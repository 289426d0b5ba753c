# Install: claude-429 completions powershell >> $PROFILE (or dot-source this file from it)

using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'claude-429' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'claude-429'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'claude-429' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Classify captured failures: one row per failure, then a summary by class.')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'The incident report: ranked causes, a timeline, client-behaviour findings.')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'The org''s configured rate limits through the Rate Limits API; save and check a lock file.')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Live headroom per model: one minimal request each (max_tokens 1), never retried.')
            [CompletionResult]::new('fixes', 'fixes', [CompletionResultType]::ParameterValue, 'Print the decision table (cause -> fix), or one class''s entry.')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.')
            [CompletionResult]::new('record', 'record', [CompletionResultType]::ParameterValue, 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One line of live headroom from the newest records, for statuslines and prompts.')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'The limit-hit history: every stop the hook saw and every failure record saw.')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Set up an integration: `claude-code` adds the statusline and the hooks.')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Who used the limit: the org''s token use per minute or hour against its limits, by key, workspace or model (the Admin API''s usage report).')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-429;replay' {
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Show only failures of this class (repeatable)')
            [CompletionResult]::new('--max-rows', '--max-rows', [CompletionResultType]::ParameterName, 'At most this many rows in the table, 0 to 1000000 (the summary still counts everything; --json and --jsonl print every verdict)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 2 when any chunk of input could not be parsed (default: count it on stderr and go on)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (verdicts and summary) instead of a table')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Print one JSON verdict per line, as found (for streaming into other tools)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace org ids, workspace ids and request ids in the output (API keys are always removed, with or without this flag)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;diagnose' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only captures at or after this time: RFC 3339 (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00), or a UTC time of day (14:00) on the day of the first timestamped capture. Captures without a time are left out when a window is given')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only captures before this time (same forms as --since)')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only captures for this model (repeatable); a name also matches its dated versions (claude-sonnet-4-5 matches claude-sonnet-4-5-20250929)')
            [CompletionResult]::new('--workspace', '--workspace', [CompletionResultType]::ParameterName, 'With --live: also read this workspace''s effective limits and flag overrides below the org limit. Example: --workspace wrkspc_01AbC')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection (0.1 to 3600)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a whole request, body included (0.1 to 3600)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format for people: text (default), markdown or html')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report to this file instead of stdout (replaced atomically)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to this file instead of stdout (replaced atomically)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Also compare the logs with the API now: the org''s configured limits per model class seen (Rate Limits API, needs ANTHROPIC_ADMIN_KEY) and one probe per class (needs ANTHROPIC_API_KEY; at most 4 requests, never retried). Conclusions say when the logs'' anthropic-ratelimit-*-limit differs from the configured limit (stray key or workspace override), the binding dimension''s headroom now, and limits changed since. With the admin key and ITPM/OTPM failures, also who used the limit in the incident window (the usage report per minute by key and workspace; see `claude-429 usage`). A missing key skips its part (the report says which); an API or network error exits 3')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as one JSON document: {"causes", "timeline", "findings", "summary"}, causes ordered by rank')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace org ids, workspace ids, request ids and anything key-like in the report (API keys are always removed, with or without this flag)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;limits' {
            [CompletionResult]::new('--admin-key-file', '--admin-key-file', [CompletionResultType]::ParameterName, 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only the group that holds this model (full name or alias)')
            [CompletionResult]::new('--group-type', '--group-type', [CompletionResultType]::ParameterName, 'Only this group type: model_group, batch, files, token_count, web_search, skills')
            [CompletionResult]::new('--workspace', '--workspace', [CompletionResultType]::ParameterName, 'Show this workspace''s effective limits beside the org''s, marking overrides')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Write the limits to this lock file: stable, sorted, diff-friendly JSON')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Compare the live limits with this lock file; exit 1 on drift, 0 when equal')
            [CompletionResult]::new('--min', '--min', [CompletionResultType]::ParameterName, 'With --check: also fail when a live limit is below this floor (repeatable)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries of a request that failed with 429, 5xx, 529 or a connection error (0 to 10)')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Ask for pages of at most N entries (1-1000); the default is one page with everything')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection (0.1 to 3600)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a whole request, body included (0.1 to 3600)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table (with --check: the diff)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;probe' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to probe (repeatable). Without it: one model per model class')
            [CompletionResult]::new('--api-key-file', '--api-key-file', [CompletionResultType]::ParameterName, 'Read the API key from this file instead of ANTHROPIC_API_KEY (a key on the command line would land in shell history and `ps`)')
            [CompletionResult]::new('--admin-key-file', '--admin-key-file', [CompletionResultType]::ParameterName, 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY')
            [CompletionResult]::new('--max-requests', '--max-requests', [CompletionResultType]::ParameterName, 'Never send more than this many probes per round, 1 to 1000 (default: one per model)')
            [CompletionResult]::new('--max-tokens-budget', '--max-tokens-budget', [CompletionResultType]::ParameterName, 'Never spend more than this many tokens (input + output) per round, 1 to 1000000000')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Repeat every SECS seconds (1 to 86400) until Ctrl-C, showing remaining capacity over time')
            [CompletionResult]::new('--rounds', '--rounds', [CompletionResultType]::ParameterName, 'Stop --watch after this many rounds (for tests and scripts)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection (0.1 to 3600)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a whole request, body included (0.1 to 3600)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the requests that would be sent (key redacted), and send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of tables (with --watch: one document with every round, at the end)')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;fixes' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;mock' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; the address is printed on stderr)')
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'A built-in scenario (see --list) or a TOML file of your own')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write every exchange as JSON Lines (the format `diagnose` reads; no keys, no prompt text)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for injected failures (the same seed and requests give the same failures)')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Stop after this many seconds and print the report (default: at Ctrl-C or SIGTERM)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the built-in scenarios and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON (for CI)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;record' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on. Loopback only unless --allow-remote is given too')
            [CompletionResult]::new('--metrics', '--metrics', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (headroom, failures by class, latency, tokens) on ADDR')
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'Where requests go (a gateway, or a local server for tests)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Client connections served at once; past this a new one gets a 503 at once')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory for the record files (one JSON Lines file per UTC day, created 0600)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Start a new file when one would grow past this size (K, M, G: powers of 1024)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep at most this many record files; the oldest are deleted')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in FILE (PEM) for the upstream, besides the platform''s store, SSL_CERT_FILE and SSL_CERT_DIR (e.g. a corporate TLS-inspecting proxy''s CA)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Listen on a non-loopback address (--listen or --metrics). Anyone who can reach it can use your API key''s traffic path and read timing; only for a trusted network')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow a plain http:// --upstream on another host (keys then cross the network unencrypted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;status' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The record directory when PATH is `-`')
            [CompletionResult]::new('--minutes', '--minutes', [CompletionResultType]::ParameterName, 'Only records from the last this many minutes count (1 to 10080, a week)')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only this model''s class (e.g. claude-sonnet-4-5 shows the sonnet-4 class)')
            [CompletionResult]::new('--then', '--then', [CompletionResultType]::ParameterName, 'With `-`: run this statusline command first (same stdin) and show its first line, then claude-429''s in the columns left')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'The limit-hit history file (with `-`, the last stop is shown for 5 minutes)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of one line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;hook' {
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'The limit-hit history file the stops are written to and announced from')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;history' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only hits at or after this time: 30m, 2h, 7d, 1w ago, or a time')
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'Only the newest N hits')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'The history file')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (`path`, `entries` and a `summary` by class) instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;setup' {
            [CompletionResult]::new('--settings', '--settings', [CompletionResultType]::ParameterName, 'This settings file instead of ~/.claude/settings.json ($CLAUDE_CONFIG_DIR is honoured)')
            [CompletionResult]::new('--records', '--records', [CompletionResultType]::ParameterName, 'The record directory the statusline reads headroom from (`claude-429 record --out`)')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'A history file for the hook and the statusline to use (written into their commands)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'The project''s .claude/settings.json (in the current directory) instead of the user''s')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change and the new settings; write nothing')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Take out what setup added (the original file comes back byte for byte when nothing else changed since)')
            [CompletionResult]::new('--chain-statusline', '--chain-statusline', [CompletionResultType]::ParameterName, 'With a statusline that is not claude-429''s: run it first and show claude-429''s line after its output (`status - --then CMD`)')
            [CompletionResult]::new('--replace-statusline', '--replace-statusline', [CompletionResultType]::ParameterName, 'Replace a statusline that is not claude-429''s (the backup keeps it; --remove puts it back)')
            [CompletionResult]::new('--no-statusline', '--no-statusline', [CompletionResultType]::ParameterName, 'Add no statusline; only the hooks')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;usage' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start of the window: RFC 3339, a UTC date and time, or a time ago (15m, 2h, 1d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'End of the window (same forms as --since; default now). The last 5 minutes may not be in the report yet. Example: --until 2026-11-20T14:10:00Z')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'How to split each bucket''s use: key (and its workspace), workspace or model')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Bucket width: minute (compared with the per-minute limit) or hour (with 60 times it)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Rows shown (tightest buckets first, across limit groups), 1 to 1440')
            [CompletionResult]::new('--admin-key-file', '--admin-key-file', [CompletionResultType]::ParameterName, 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection (0.1 to 3600)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a whole request, body included (0.1 to 3600)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document (schema/usage.schema.json) instead of the table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'claude-429;help' {
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Classify captured failures: one row per failure, then a summary by class.')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'The incident report: ranked causes, a timeline, client-behaviour findings.')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'The org''s configured rate limits through the Rate Limits API; save and check a lock file.')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Live headroom per model: one minimal request each (max_tokens 1), never retried.')
            [CompletionResult]::new('fixes', 'fixes', [CompletionResultType]::ParameterValue, 'Print the decision table (cause -> fix), or one class''s entry.')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.')
            [CompletionResult]::new('record', 'record', [CompletionResultType]::ParameterValue, 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One line of live headroom from the newest records, for statuslines and prompts.')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'The limit-hit history: every stop the hook saw and every failure record saw.')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Set up an integration: `claude-code` adds the statusline and the hooks.')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Who used the limit: the org''s token use per minute or hour against its limits, by key, workspace or model (the Admin API''s usage report).')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'claude-429;help;replay' {
            break
        }
        'claude-429;help;diagnose' {
            break
        }
        'claude-429;help;limits' {
            break
        }
        'claude-429;help;probe' {
            break
        }
        'claude-429;help;fixes' {
            break
        }
        'claude-429;help;mock' {
            break
        }
        'claude-429;help;record' {
            break
        }
        'claude-429;help;status' {
            break
        }
        'claude-429;help;hook' {
            break
        }
        'claude-429;help;history' {
            break
        }
        'claude-429;help;setup' {
            break
        }
        'claude-429;help;usage' {
            break
        }
        'claude-429;help;completions' {
            break
        }
        'claude-429;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
