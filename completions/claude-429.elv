# Install: claude-429 completions elvish > ~/.config/elvish/lib/claude-429.elv, then `use claude-429` in rc.elv

use builtin;
use str;

set edit:completion:arg-completer[claude-429] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'claude-429'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'claude-429'= {
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand replay 'Classify captured failures: one row per failure, then a summary by class.'
            cand diagnose 'The incident report: ranked causes, a timeline, client-behaviour findings.'
            cand limits 'The org''s configured rate limits through the Rate Limits API; save and check a lock file.'
            cand probe 'Live headroom per model: one minimal request each (max_tokens 1), never retried.'
            cand fixes 'Print the decision table (cause -> fix), or one class''s entry.'
            cand mock 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.'
            cand record 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.'
            cand status 'One line of live headroom from the newest records, for statuslines and prompts.'
            cand hook 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.'
            cand history 'The limit-hit history: every stop the hook saw and every failure record saw.'
            cand setup 'Set up an integration: `claude-code` adds the statusline and the hooks.'
            cand usage 'Who used the limit: the org''s token use per minute or hour against its limits, by key, workspace or model (the Admin API''s usage report).'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-429;replay'= {
            cand --only 'Show only failures of this class (repeatable)'
            cand --max-rows 'At most this many rows in the table, 0 to 1000000 (the summary still counts everything; --json and --jsonl print every verdict)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --strict 'Exit 2 when any chunk of input could not be parsed (default: count it on stderr and go on)'
            cand --json 'Print one JSON document (verdicts and summary) instead of a table'
            cand --jsonl 'Print one JSON verdict per line, as found (for streaming into other tools)'
            cand --redact 'Replace org ids, workspace ids and request ids in the output (API keys are always removed, with or without this flag)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;diagnose'= {
            cand --since 'Only captures at or after this time: RFC 3339 (2026-11-20T14:00:00Z), a UTC date and time (2026-11-20 14:00), or a UTC time of day (14:00) on the day of the first timestamped capture. Captures without a time are left out when a window is given'
            cand --until 'Only captures before this time (same forms as --since)'
            cand --model 'Only captures for this model (repeatable); a name also matches its dated versions (claude-sonnet-4-5 matches claude-sonnet-4-5-20250929)'
            cand --workspace 'With --live: also read this workspace''s effective limits and flag overrides below the org limit. Example: --workspace wrkspc_01AbC'
            cand --base-url 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)'
            cand --connect-timeout 'Seconds to wait for a connection (0.1 to 3600)'
            cand --timeout 'Seconds to wait for a whole request, body included (0.1 to 3600)'
            cand --cacert 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)'
            cand --format 'Report format for people: text (default), markdown or html'
            cand -o 'Write the report to this file instead of stdout (replaced atomically)'
            cand --output 'Write the report to this file instead of stdout (replaced atomically)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --live 'Also compare the logs with the API now: the org''s configured limits per model class seen (Rate Limits API, needs ANTHROPIC_ADMIN_KEY) and one probe per class (needs ANTHROPIC_API_KEY; at most 4 requests, never retried). Conclusions say when the logs'' anthropic-ratelimit-*-limit differs from the configured limit (stray key or workspace override), the binding dimension''s headroom now, and limits changed since. With the admin key and ITPM/OTPM failures, also who used the limit in the incident window (the usage report per minute by key and workspace; see `claude-429 usage`). A missing key skips its part (the report says which); an API or network error exits 3'
            cand --allow-insecure-http 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
            cand --json 'Print the report as one JSON document: {"causes", "timeline", "findings", "summary"}, causes ordered by rank'
            cand --redact 'Replace org ids, workspace ids, request ids and anything key-like in the report (API keys are always removed, with or without this flag)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;limits'= {
            cand --admin-key-file 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY'
            cand --model 'Only the group that holds this model (full name or alias)'
            cand --group-type 'Only this group type: model_group, batch, files, token_count, web_search, skills'
            cand --workspace 'Show this workspace''s effective limits beside the org''s, marking overrides'
            cand --save 'Write the limits to this lock file: stable, sorted, diff-friendly JSON'
            cand --check 'Compare the live limits with this lock file; exit 1 on drift, 0 when equal'
            cand --min 'With --check: also fail when a live limit is below this floor (repeatable)'
            cand --max-retries 'Retries of a request that failed with 429, 5xx, 529 or a connection error (0 to 10)'
            cand --page-size 'Ask for pages of at most N entries (1-1000); the default is one page with everything'
            cand --base-url 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)'
            cand --connect-timeout 'Seconds to wait for a connection (0.1 to 3600)'
            cand --timeout 'Seconds to wait for a whole request, body included (0.1 to 3600)'
            cand --cacert 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --json 'Print JSON instead of a table (with --check: the diff)'
            cand --allow-insecure-http 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;probe'= {
            cand --model 'Model to probe (repeatable). Without it: one model per model class'
            cand --api-key-file 'Read the API key from this file instead of ANTHROPIC_API_KEY (a key on the command line would land in shell history and `ps`)'
            cand --admin-key-file 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY'
            cand --max-requests 'Never send more than this many probes per round, 1 to 1000 (default: one per model)'
            cand --max-tokens-budget 'Never spend more than this many tokens (input + output) per round, 1 to 1000000000'
            cand --watch 'Repeat every SECS seconds (1 to 86400) until Ctrl-C, showing remaining capacity over time'
            cand --rounds 'Stop --watch after this many rounds (for tests and scripts)'
            cand --base-url 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)'
            cand --connect-timeout 'Seconds to wait for a connection (0.1 to 3600)'
            cand --timeout 'Seconds to wait for a whole request, body included (0.1 to 3600)'
            cand --cacert 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --dry-run 'Print the requests that would be sent (key redacted), and send nothing'
            cand --json 'Print JSON instead of tables (with --watch: one document with every round, at the end)'
            cand --allow-insecure-http 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;fixes'= {
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;mock'= {
            cand --listen 'Address to listen on (port 0 picks a free port; the address is printed on stderr)'
            cand --scenario 'A built-in scenario (see --list) or a TOML file of your own'
            cand --record 'Write every exchange as JSON Lines (the format `diagnose` reads; no keys, no prompt text)'
            cand --seed 'Seed for injected failures (the same seed and requests give the same failures)'
            cand --for 'Stop after this many seconds and print the report (default: at Ctrl-C or SIGTERM)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --list 'List the built-in scenarios and exit'
            cand --json 'Print the report as JSON (for CI)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;record'= {
            cand --listen 'Address to listen on. Loopback only unless --allow-remote is given too'
            cand --metrics 'Serve Prometheus metrics (headroom, failures by class, latency, tokens) on ADDR'
            cand --upstream 'Where requests go (a gateway, or a local server for tests)'
            cand --max-connections 'Client connections served at once; past this a new one gets a 503 at once'
            cand --out 'Directory for the record files (one JSON Lines file per UTC day, created 0600)'
            cand --max-size 'Start a new file when one would grow past this size (K, M, G: powers of 1024)'
            cand --keep 'Keep at most this many record files; the oldest are deleted'
            cand --cacert 'Also trust the CA certificates in FILE (PEM) for the upstream, besides the platform''s store, SSL_CERT_FILE and SSL_CERT_DIR (e.g. a corporate TLS-inspecting proxy''s CA)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --allow-remote 'Listen on a non-loopback address (--listen or --metrics). Anyone who can reach it can use your API key''s traffic path and read timing; only for a trusted network'
            cand --allow-insecure-http 'Allow a plain http:// --upstream on another host (keys then cross the network unencrypted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;status'= {
            cand --dir 'The record directory when PATH is `-`'
            cand --minutes 'Only records from the last this many minutes count (1 to 10080, a week)'
            cand --model 'Only this model''s class (e.g. claude-sonnet-4-5 shows the sonnet-4 class)'
            cand --then 'With `-`: run this statusline command first (same stdin) and show its first line, then claude-429''s in the columns left'
            cand --history 'The limit-hit history file (with `-`, the last stop is shown for 5 minutes)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --json 'Print JSON instead of one line'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;hook'= {
            cand --history 'The limit-hit history file the stops are written to and announced from'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;history'= {
            cand --since 'Only hits at or after this time: 30m, 2h, 7d, 1w ago, or a time'
            cand --last 'Only the newest N hits'
            cand --history 'The history file'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --json 'Print JSON (`path`, `entries` and a `summary` by class) instead of a table'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;setup'= {
            cand --settings 'This settings file instead of ~/.claude/settings.json ($CLAUDE_CONFIG_DIR is honoured)'
            cand --records 'The record directory the statusline reads headroom from (`claude-429 record --out`)'
            cand --history 'A history file for the hook and the statusline to use (written into their commands)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --project 'The project''s .claude/settings.json (in the current directory) instead of the user''s'
            cand --dry-run 'Show what would change and the new settings; write nothing'
            cand --remove 'Take out what setup added (the original file comes back byte for byte when nothing else changed since)'
            cand --chain-statusline 'With a statusline that is not claude-429''s: run it first and show claude-429''s line after its output (`status - --then CMD`)'
            cand --replace-statusline 'Replace a statusline that is not claude-429''s (the backup keeps it; --remove puts it back)'
            cand --no-statusline 'Add no statusline; only the hooks'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;usage'= {
            cand --since 'Start of the window: RFC 3339, a UTC date and time, or a time ago (15m, 2h, 1d)'
            cand --until 'End of the window (same forms as --since; default now). The last 5 minutes may not be in the report yet. Example: --until 2026-11-20T14:10:00Z'
            cand --group-by 'How to split each bucket''s use: key (and its workspace), workspace or model'
            cand --bucket 'Bucket width: minute (compared with the per-minute limit) or hour (with 60 times it)'
            cand --top 'Rows shown (tightest buckets first, across limit groups), 1 to 1440'
            cand --admin-key-file 'Read the Admin API key from this file instead of ANTHROPIC_ADMIN_KEY'
            cand --base-url 'Base URL of the API (default https://api.anthropic.com; a proxy or a local server)'
            cand --connect-timeout 'Seconds to wait for a connection (0.1 to 3600)'
            cand --timeout 'Seconds to wait for a whole request, body included (0.1 to 3600)'
            cand --cacert 'Also trust the CA certificates in this PEM file (a corporate TLS proxy''s CA)'
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand --allow-insecure-http 'Allow a plain http:// base URL to a host other than this machine (the key then crosses the network unencrypted). http://localhost and http://127.0.0.1 need no flag'
            cand --json 'Print one JSON document (schema/usage.schema.json) instead of the table'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;completions'= {
            cand --color 'When to use colour: auto (only on a terminal, never with NO_COLOR set), always, never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'claude-429;help'= {
            cand replay 'Classify captured failures: one row per failure, then a summary by class.'
            cand diagnose 'The incident report: ranked causes, a timeline, client-behaviour findings.'
            cand limits 'The org''s configured rate limits through the Rate Limits API; save and check a lock file.'
            cand probe 'Live headroom per model: one minimal request each (max_tokens 1), never retried.'
            cand fixes 'Print the decision table (cause -> fix), or one class''s entry.'
            cand mock 'Rehearse: a local Anthropic API with a real limiter and scenarios; reports how the client behaved.'
            cand record 'A recording proxy: point ANTHROPIC_BASE_URL at it and every exchange is logged.'
            cand status 'One line of live headroom from the newest records, for statuslines and prompts.'
            cand hook 'Claude Code hook handler: a turn that ended on an API error gets its verdict and fix.'
            cand history 'The limit-hit history: every stop the hook saw and every failure record saw.'
            cand setup 'Set up an integration: `claude-code` adds the statusline and the hooks.'
            cand usage 'Who used the limit: the org''s token use per minute or hour against its limits, by key, workspace or model (the Admin API''s usage report).'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'claude-429;help;replay'= {
        }
        &'claude-429;help;diagnose'= {
        }
        &'claude-429;help;limits'= {
        }
        &'claude-429;help;probe'= {
        }
        &'claude-429;help;fixes'= {
        }
        &'claude-429;help;mock'= {
        }
        &'claude-429;help;record'= {
        }
        &'claude-429;help;status'= {
        }
        &'claude-429;help;hook'= {
        }
        &'claude-429;help;history'= {
        }
        &'claude-429;help;setup'= {
        }
        &'claude-429;help;usage'= {
        }
        &'claude-429;help;completions'= {
        }
        &'claude-429;help;help'= {
        }
    ]
    $completions[$command]
}
