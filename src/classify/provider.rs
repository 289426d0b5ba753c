//! Which service answered: Anthropic's own API, Claude on AWS Bedrock, Claude on Google
//! Vertex AI, or unknown when nothing tells. Read from the evidence only (exception names,
//! `x-amzn-*` headers, endpoints, model id shapes, request id prefixes), as
//! `cloud-providers.md` §4 lists the signals and their strength.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::exchange::Capture;

// The enum lives in the `verdict` leaf so `fixes` can name it without importing `classify`.
pub use crate::verdict::Provider;

/// How much a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Medium,
    Strong,
}

/// Signals in lower-cased text: (needle, provider, strength).
const SIGNALS: &[(&str, Provider, Strength)] = &[
    // Bedrock endpoints, operations, clients and texts.
    ("bedrock-runtime", Provider::Bedrock, Strength::Strong),
    ("bedrock-mantle", Provider::Bedrock, Strength::Strong),
    ("bedrockruntime", Provider::Bedrock, Strength::Strong),
    ("bedrockexception", Provider::Bedrock, Strength::Strong),
    ("anthropicbedrock", Provider::Bedrock, Strength::Strong),
    ("invokemodel", Provider::Bedrock, Strength::Strong),
    (
        "invoke-with-response-stream",
        Provider::Bedrock,
        Strength::Strong,
    ),
    ("converse operation", Provider::Bedrock, Strength::Strong),
    (
        "conversestream operation",
        Provider::Bedrock,
        Strength::Strong,
    ),
    ("/converse", Provider::Bedrock, Strength::Strong),
    ("arn:aws:bedrock:", Provider::Bedrock, Strength::Strong),
    ("anthropic.claude-", Provider::Bedrock, Strength::Strong),
    ("msg_bdrk_", Provider::Bedrock, Strength::Medium),
    (
        "claude_code_use_bedrock",
        Provider::Bedrock,
        Strength::Medium,
    ),
    (
        "please wait before trying again",
        Provider::Bedrock,
        Strength::Strong,
    ),
    (
        "your request rate is too high",
        Provider::Bedrock,
        Strength::Strong,
    ),
    (
        "bedrock is unable to process",
        Provider::Bedrock,
        Strength::Strong,
    ),
    (
        "bedrock model invocation",
        Provider::Bedrock,
        Strength::Strong,
    ),
    (
        "with on-demand throughput isn't supported",
        Provider::Bedrock,
        Strength::Strong,
    ),
    (
        "modelnotreadyexception",
        Provider::Bedrock,
        Strength::Medium,
    ),
    (
        "modelstreamerrorexception",
        Provider::Bedrock,
        Strength::Medium,
    ),
    ("modeltimeoutexception", Provider::Bedrock, Strength::Medium),
    ("modelerrorexception", Provider::Bedrock, Strength::Medium),
    // AWS in general (Bedrock when nothing else tells, in a Claude tool's input).
    ("throttlingexception", Provider::Bedrock, Strength::Medium),
    (
        "serviceunavailableexception",
        Provider::Bedrock,
        Strength::Medium,
    ),
    (
        "servicequotaexceededexception",
        Provider::Bedrock,
        Strength::Medium,
    ),
    ("x-amzn-errortype", Provider::Bedrock, Strength::Medium),
    ("x-amzn-requestid", Provider::Bedrock, Strength::Medium),
    ("$metadata", Provider::Bedrock, Strength::Medium),
    ("botocore", Provider::Bedrock, Strength::Medium),
    (":exception-type", Provider::Bedrock, Strength::Medium),
    // Vertex endpoints, metrics, ids and clients.
    (
        "aiplatform.googleapis.com",
        Provider::Vertex,
        Strength::Strong,
    ),
    (
        "aiplatform.us.rep.googleapis.com",
        Provider::Vertex,
        Strength::Strong,
    ),
    (
        "aiplatform.eu.rep.googleapis.com",
        Provider::Vertex,
        Strength::Strong,
    ),
    (
        "publishers/anthropic/models",
        Provider::Vertex,
        Strength::Strong,
    ),
    (":rawpredict", Provider::Vertex, Strength::Strong),
    (":streamrawpredict", Provider::Vertex, Strength::Strong),
    ("quotas-genai", Provider::Vertex, Strength::Strong),
    (
        "with base model: anthropic-claude",
        Provider::Vertex,
        Strength::Strong,
    ),
    ("_per_base_model", Provider::Vertex, Strength::Strong),
    ("req_vrtx_", Provider::Vertex, Strength::Strong),
    ("msg_vrtx_", Provider::Vertex, Strength::Strong),
    ("vertexaiexception", Provider::Vertex, Strength::Strong),
    ("anthropicvertex", Provider::Vertex, Strength::Strong),
    (
        "google.api_core.exceptions",
        Provider::Vertex,
        Strength::Strong,
    ),
    (
        "exceeded the provisioned throughput",
        Provider::Vertex,
        Strength::Strong,
    ),
    (
        "resource exhausted, please try again later",
        Provider::Vertex,
        Strength::Strong,
    ),
    ("claude_code_use_vertex", Provider::Vertex, Strength::Medium),
    ("cloud_ml_region", Provider::Vertex, Strength::Medium),
    (
        "anthropic_vertex_project_id",
        Provider::Vertex,
        Strength::Medium,
    ),
    ("resource_exhausted", Provider::Vertex, Strength::Medium),
    ("resourceexhausted", Provider::Vertex, Strength::Medium),
    // Anthropic's own API.
    ("api.anthropic.com", Provider::Anthropic, Strength::Strong),
    (
        "anthropic-ratelimit-",
        Provider::Anthropic,
        Strength::Strong,
    ),
    (
        "console.anthropic.com",
        Provider::Anthropic,
        Strength::Strong,
    ),
    ("platform.claude.com", Provider::Anthropic, Strength::Strong),
    (
        "aws-external-anthropic",
        Provider::Anthropic,
        Strength::Strong,
    ),
    ("anthropicaws", Provider::Anthropic, Strength::Strong),
    ("your organization's", Provider::Anthropic, Strength::Medium),
    ("anthropic api", Provider::Anthropic, Strength::Medium),
    ("credit balance", Provider::Anthropic, Strength::Medium),
    ("usage limit reached", Provider::Anthropic, Strength::Medium),
    ("limit reached", Provider::Anthropic, Strength::Medium),
    ("hit your", Provider::Anthropic, Strength::Medium),
    (
        "anthropic-organization-id",
        Provider::Anthropic,
        Strength::Strong,
    ),
];

/// Other vendors' signals in lower-cased text: each names its vendor for sure (endpoints,
/// error codes only that vendor sends). The bare Google status `RESOURCE_EXHAUSTED` is not one:
/// Vertex sends it too.
const FOREIGN: &[(&str, Provider)] = &[
    ("insufficient_quota", Provider::OpenAi),
    ("platform.openai.com", Provider::OpenAi),
    ("api.openai.com", Provider::OpenAi),
    ("openai.com/account", Provider::OpenAi),
    ("generativelanguage.googleapis.com", Provider::Gemini),
    ("generativelanguage.googleapis", Provider::Gemini),
    ("ai.google.dev/gemini-api", Provider::Gemini),
    ("generate_content_free_tier", Provider::Gemini),
    ("generaterequestsperday", Provider::Gemini),
    ("api.moonshot.", Provider::Moonshot),
    ("platform.moonshot.", Provider::Moonshot),
    ("moonshot ai", Provider::Moonshot),
    ("exceeded_current_quota_error", Provider::Moonshot),
    ("rate_limit_reached_error", Provider::Moonshot),
    ("engine_overloaded_error", Provider::Moonshot),
    ("kimi-k", Provider::Moonshot),
    ("api.kimi.com", Provider::Moonshot),
    ("githubcopilot.com", Provider::Copilot),
    ("github copilot", Provider::Copilot),
    ("copilot token usage", Provider::Copilot),
    ("copilot chat", Provider::Copilot),
];

/// Every needle of [`SIGNALS`] then [`FOREIGN`] in one automaton, built once: which of them
/// occur in a text is one overlapping pass instead of a substring search per needle (a
/// failure line paid ~60 of those).
struct Needles {
    ac: AhoCorasick,
    /// Per table entry (SIGNALS first, then FOREIGN): its pattern in `ac` (needles repeated
    /// between entries share one).
    pattern: Vec<usize>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| {
    let mut uniq: Vec<&str> = Vec::new();
    let pattern = SIGNALS
        .iter()
        .map(|(n, _, _)| *n)
        .chain(FOREIGN.iter().map(|(n, _)| *n))
        .map(|n| {
            uniq.iter().position(|u| *u == n).unwrap_or_else(|| {
                uniq.push(n);
                uniq.len() - 1
            })
        })
        .collect();
    Needles {
        // A contiguous NFA: built in a fraction of a DFA's time (this runs once per process,
        // and a 1 KB input with one failure pays it), and searched as fast here: a DFA built
        // once a process had searched 512 failures left a failure-dense log's time as it was.
        ac: AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&uniq)
            .expect("the provider needles build an automaton"),
        pattern,
    }
});

/// How many entries SIGNALS and FOREIGN hold together (and so at most how many distinct
/// needles).
const ENTRIES: usize = SIGNALS.len() + FOREIGN.len();

/// Which needles (by pattern of the automaton) occur in a text.
type Marks = [bool; ENTRIES];

impl Needles {
    /// Marks in `found` the patterns that occur in `hay` (on the stack: this runs for every
    /// failure).
    fn mark(hay: &str, found: &mut Marks) {
        for m in NEEDLES.ac.find_overlapping_iter(hay) {
            found[m.pattern().as_usize()] = true;
        }
    }

    /// Per entry of SIGNALS then FOREIGN: whether its needle was marked.
    fn entries(found: &Marks) -> Marks {
        let n = &*NEEDLES;
        std::array::from_fn(|i| found[n.pattern[i]])
    }
}

thread_local! {
    /// The last list of header names searched on this thread (lower-cased, each followed by
    /// a newline, as in the haystack) and the needles found in it: a log repeats the same
    /// names on every line, and they were two thirds of each failure's haystack.
    static NAMES: std::cell::RefCell<(String, Marks)> =
        const { std::cell::RefCell::new((String::new(), [false; ENTRIES])) };
}

/// Appends `s` lower-cased and a newline: ASCII (nearly every capture) copied and lowered in
/// place, anything else through `str::to_lowercase` (the same text either way).
fn push_lower(hay: &mut String, s: &str) {
    if s.is_ascii() {
        let from = hay.len();
        hay.push_str(s);
        hay[from..].make_ascii_lowercase();
    } else {
        hay.push_str(&s.to_lowercase());
    }
    hay.push('\n');
}

/// The provider and the signal that decided it (for the evidence line), from the capture.
pub fn detect(c: &Capture) -> (Provider, Option<String>) {
    // The header names are searched apart from the rest, and only when they differ from the
    // last capture's: no needle holds a newline, so what occurs in the whole haystack is what
    // occurs in either part. Only the first `claude-` (a Vertex model id) depends on where
    // the names stand: a name holding one takes the haystack as it always was.
    let mut names = String::with_capacity(c.headers.0.len() * 32);
    let hay = haystack(c, Some(&mut names));
    if memchr::memmem::find(names.as_bytes(), b"claude-").is_some() {
        return detect_in(&haystack(c, None), c.request_id());
    }
    let mut found = NAMES.with_borrow_mut(|(last, marks)| {
        if *last != names {
            *marks = [false; ENTRIES];
            Needles::mark(&names, marks);
            *last = names;
        }
        *marks
    });
    Needles::mark(&hay, &mut found);
    decide(&hay, c.request_id(), &Needles::entries(&found))
}

/// A capture's haystack, lower-cased, a newline after each part: its text, its
/// [`pieces`], then each header's name (into `names` instead, when given) and the value of
/// those whose value is a signal.
fn haystack(c: &Capture, mut names: Option<&mut String>) -> String {
    let mut hay = String::with_capacity(c.text.len() + 256);
    push_lower(&mut hay, &c.text);
    for s in pieces(c) {
        push_lower(&mut hay, s);
    }
    for (n, v) in &c.headers.0 {
        push_lower(names.as_deref_mut().unwrap_or(&mut hay), n);
        if value_is_signal(n) {
            push_lower(&mut hay, v);
        }
    }
    hay
}

/// Headers whose value the haystack holds (AWS ids and error types, request ids, event-stream
/// headers).
fn value_is_signal(name: &str) -> bool {
    name.starts_with("x-amzn") || name == "request-id" || name.starts_with(':')
}

/// The capture's texts the haystack holds after its own text, in order.
fn pieces(c: &Capture) -> impl Iterator<Item = &str> {
    [
        c.error.message.as_deref(),
        c.error.kind.as_deref(),
        c.error.code.as_deref(),
        c.error.error_code.as_deref(),
        c.url.as_deref(),
        c.model.as_deref(),
        c.request_id.as_deref(),
    ]
    .into_iter()
    .flatten()
}

/// [`detect`] over lower-cased text, plus the request id (`req_011…` is first party).
pub fn detect_in(hay: &str, request_id: Option<&str>) -> (Provider, Option<String>) {
    let mut found = [false; ENTRIES];
    Needles::mark(hay, &mut found);
    decide(hay, request_id, &Needles::entries(&found))
}

/// [`detect_in`] with the needles present (per entry of SIGNALS then FOREIGN) found already.
fn decide(hay: &str, request_id: Option<&str>, seen: &Marks) -> (Provider, Option<String>) {
    let mut best: [Option<(Strength, &str)>; 3] = [None, None, None];
    let idx = |p: Provider| match p {
        Provider::Anthropic => 0,
        Provider::Bedrock => 1,
        _ => 2,
    };
    for (i, (needle, p, s)) in SIGNALS.iter().enumerate() {
        if seen[i] {
            let slot = &mut best[idx(*p)];
            if slot.is_none_or(|(old, _)| *s > old) {
                *slot = Some((*s, needle));
            }
        }
    }
    // Vertex model ids: `claude-sonnet-4@20250514`.
    if best[2].is_none()
        && let Some(at) = memchr::memmem::find(hay.as_bytes(), b"claude-")
        && hay[at..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '@')))
            .next()
            .is_some_and(|id| id.contains('@'))
    {
        best[2] = Some((Strength::Strong, "claude-…@YYYYMMDD model id"));
    }
    if best[0].is_none() && request_id.is_some_and(|r| r.starts_with("req_") && !r.contains("vrtx"))
    {
        best[0] = Some((Strength::Medium, "req_ request id"));
    }
    let strong = |i: usize| best[i].is_some_and(|(s, _)| s == Strength::Strong);
    // Another vendor's own endpoint or code decides unless Anthropic or a cloud serving Claude
    // shows a strong sign of its own (a log that mentions both is not read as foreign).
    if !strong(0)
        && !strong(1)
        && !strong(2)
        && let Some((needle, p)) = FOREIGN
            .iter()
            .enumerate()
            .find_map(|(i, f)| seen[SIGNALS.len() + i].then_some(f))
    {
        return (*p, Some((*needle).to_string()));
    }
    let cloud = match (best[1], best[2]) {
        (Some(b), Some(v)) => {
            // Both clouds named: only a strong signal on one side alone decides.
            match (strong(1), strong(2)) {
                (true, false) => Some((Provider::Bedrock, b.1)),
                (false, true) => Some((Provider::Vertex, v.1)),
                _ => return (Provider::Unknown, None),
            }
        }
        (Some(b), None) => Some((Provider::Bedrock, b.1)),
        (None, Some(v)) => Some((Provider::Vertex, v.1)),
        (None, None) => None,
    };
    if let Some((p, why)) = cloud {
        // A medium AWS/Google sign loses to a strong first-party one (an Anthropic 429 that
        // merely mentions `resource_exhausted` in a log prefix).
        let cloud_strong = strong(idx(p));
        if !cloud_strong && strong(0) {
            return (Provider::Anthropic, best[0].map(|(_, n)| n.to_string()));
        }
        return (p, Some(why.to_string()));
    }
    match best[0] {
        Some((_, n)) => (Provider::Anthropic, Some(n.to_string())),
        None => (Provider::Unknown, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Provider {
        detect_in(&s.to_lowercase(), None).0
    }

    /// The automaton answers as a substring search per needle would, overlapping and nested
    /// needles included ("limit reached" inside "usage limit reached").
    #[test]
    fn needles_present_is_a_contains_per_needle() {
        let all: Vec<&str> = SIGNALS
            .iter()
            .map(|(n, _, _)| *n)
            .chain(FOREIGN.iter().map(|(n, _)| *n))
            .collect();
        let mut hays: Vec<String> = vec![String::new(), "nothing here".into()];
        for (i, n) in all.iter().enumerate() {
            hays.push((*n).to_string());
            hays.push(format!("x{n}y {}", all[(i * 7 + 3) % all.len()]));
            hays.push(format!("{}{n}", &n[..n.len() / 2]));
            hays.push(n[1..].to_string());
        }
        hays.push(all.join(""));
        for hay in &hays {
            let mut found = [false; ENTRIES];
            Needles::mark(hay, &mut found);
            let got = Needles::entries(&found);
            for (i, n) in all.iter().enumerate() {
                assert_eq!(got[i], hay.contains(n), "{n:?} in {hay:?}");
            }
        }
    }

    /// `detect` searches the header names apart (and reuses the last list's needles): the
    /// answer is the one the whole haystack gives, for names that repeat, change, hold
    /// needles, hold `claude-` or are not ASCII, in any order of calls.
    #[test]
    fn header_names_searched_apart_answer_as_the_whole_haystack() {
        assert!(
            SIGNALS
                .iter()
                .map(|(n, _, _)| *n)
                .chain(FOREIGN.iter().map(|(n, _)| *n))
                .all(|n| !n.contains('\n')),
            "a needle with a newline could span two parts of the haystack"
        );
        fn whole(c: &Capture) -> (Provider, Option<String>) {
            let mut hay = String::new();
            let mut add = |s: &str| {
                hay.push_str(&s.to_lowercase());
                hay.push('\n');
            };
            add(&c.text);
            for s in pieces(c) {
                add(s);
            }
            for (n, v) in &c.headers.0 {
                add(n);
                if value_is_signal(n) {
                    add(v);
                }
            }
            detect_in(&hay, c.request_id())
        }
        let names: &[&[(&str, &str)]] = &[
            &[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("retry-after", "3"),
            ],
            &[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("retry-after", "3"),
            ],
            &[
                ("x-amzn-errortype", "ThrottlingException"),
                ("x-amzn-requestid", "abc"),
            ],
            &[("content-type", "application/json")],
            &[("x-claude-model", "claude-3-5-sonnet@20240620")],
            &[
                ("x-claude-3@x", "1"),
                ("x-goog-foo", "aiplatform.googleapis.com"),
            ],
            &[
                ("anthropic-organization-id", "org"),
                ("x-amzn-requestid", "r"),
            ],
            &[("Straße-ÄNTHROPIC-RATELIMIT-x", "1")],
            &[],
            &[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("retry-after", "3"),
            ],
        ];
        let texts = [
            (
                "",
                Some("rate limit of 50 requests per minute"),
                Some("claude-sonnet-4@20250514"),
            ),
            ("ThrottlingException from InvokeModel", None, None),
            (
                "",
                Some("Your organization's limit"),
                Some("claude-opus-4-1"),
            ),
            ("insufficient_quota api.openai.com", None, None),
        ];
        for (i, hs) in names.iter().chain(names.iter().rev()).enumerate() {
            let (text, message, model) = texts[i % texts.len()];
            let mut c = Capture::new("t".into(), 1, crate::exchange::Format::Jsonl);
            c.text = text.into();
            c.model = model.map(str::to_string);
            c.error.message = message.map(str::to_string);
            for (n, v) in *hs {
                c.headers.set(n, v);
            }
            assert_eq!(detect(&c), whole(&c), "{hs:?} {text:?}");
        }
    }

    #[test]
    fn signals_table() {
        for (text, want) in [
            (
                "botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the InvokeModel operation",
                Provider::Bedrock,
            ),
            (
                "Too many tokens, please wait before trying again.",
                Provider::Bedrock,
            ),
            ("ThrottlingException", Provider::Bedrock),
            (
                "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model",
                Provider::Vertex,
            ),
            ("RESOURCE_EXHAUSTED", Provider::Vertex),
            ("model claude-sonnet-4@20250514", Provider::Vertex),
            (
                "POST https://api.anthropic.com/v1/messages",
                Provider::Anthropic,
            ),
            ("Rate limited", Provider::Unknown),
            (
                "aiplatform.googleapis.com and bedrock-runtime.us-east-1.amazonaws.com",
                Provider::Unknown,
            ),
            // Other vendors: named as such, the Gemini API is not Vertex.
            (
                "429 You exceeded your current quota. insufficient_quota https://platform.openai.com/account/billing",
                Provider::OpenAi,
            ),
            (
                "RESOURCE_EXHAUSTED generativelanguage.googleapis.com/generate_content_free_tier_requests",
                Provider::Gemini,
            ),
            (
                "openai.RateLimitError: Error code: 429 - {'error': {'type': 'rate_limit_reached_error', 'message': 'Your account org-x request reached max request: 3'}} kimi-k2",
                Provider::Moonshot,
            ),
            (
                "Sorry, you have exceeded your Copilot token usage. https://api.githubcopilot.com/chat",
                Provider::Copilot,
            ),
            // A foreign word beside a strong first-party sign is not enough.
            ("api.anthropic.com insufficient_quota", Provider::Anthropic),
            // A strong first-party sign outranks a medium cloud one.
            (
                "anthropic-ratelimit-requests-remaining: 0 RESOURCE_EXHAUSTED",
                Provider::Anthropic,
            ),
        ] {
            assert_eq!(p(text), want, "{text}");
        }
        assert_eq!(
            detect_in("overloaded", Some("req_011CZ")).0,
            Provider::Anthropic
        );
        assert_eq!(
            detect_in("overloaded", Some("req_vrtx_011CZ")).0,
            Provider::Unknown
        );
    }
}
