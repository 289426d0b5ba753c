//! Scanners that read what a record needs from bodies as their bytes pass through the proxy,
//! without holding the bodies: memory per exchange stays bounded whatever their size.
//!
//! * [`TopLevel`] picks a few top-level keys out of a JSON object (the request's `model`,
//!   `max_tokens`, `stream`; the answer's `model`, `usage`, `stop_reason`...), skipping
//!   everything else (prompts, completions) without keeping it.
//! * [`Sse`] reads a server-sent-events stream line by line and keeps only `message_start`,
//!   `message_delta` and `error` events.

use serde_json::Value;

/// Longest value kept for a wanted key (a `usage` object is well under this).
const MAX_VALUE: usize = 16 * 1024;
/// Longest key name compared (longer keys are never wanted).
const MAX_KEY: usize = 64;
/// Top-level keys looked at; past this (a body of ever-new keys) the rest is not examined.
pub const MAX_KEYS: u32 = 4096;
/// Bytes examined; past this the rest passes unexamined (the wanted keys come well before
/// in any real request or answer, or not at all).
pub const MAX_EXAMINED: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// Inside the top-level object, waiting for a key (or `}`).
    Key,
    /// Inside a top-level key string.
    InKey,
    /// After a key, waiting for `:`.
    Colon,
    /// After `:`, waiting for the value's first byte.
    Value,
    /// Inside a value (any depth).
    InValue,
    /// The top-level object closed, or the input is not an object.
    Done,
}

/// Picks the values of a few top-level keys out of a JSON object fed in pieces.
#[derive(Debug)]
pub struct TopLevel {
    wanted: &'static [&'static str],
    state: State,
    key: Vec<u8>,
    key_too_long: bool,
    /// The wanted key whose value is being read, if any.
    current: Option<usize>,
    value: Vec<u8>,
    value_too_long: bool,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// The last whole value seen for each wanted key (one slot per key: a body that repeats
    /// a key keeps one value, not all of them).
    found: Vec<Option<Vec<u8>>>,
    keys_seen: u32,
    examined: u64,
}

impl TopLevel {
    pub fn new(wanted: &'static [&'static str]) -> Self {
        TopLevel {
            wanted,
            state: State::Start,
            key: Vec::new(),
            key_too_long: false,
            current: None,
            value: Vec::new(),
            value_too_long: false,
            depth: 0,
            in_string: false,
            escape: false,
            found: vec![None; wanted.len()],
            keys_seen: 0,
            examined: 0,
        }
    }

    /// True once the object is closed or the input turned out not to be an object.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.examined += bytes.len() as u64;
        if self.examined > MAX_EXAMINED {
            self.state = State::Done;
            return;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match self.state {
                State::Done => return,
                State::Start => match b {
                    b'{' => self.state = State::Key,
                    b' ' | b'\t' | b'\r' | b'\n' => {}
                    // A UTF-8 byte-order mark.
                    0xEF | 0xBB | 0xBF => {}
                    _ => self.state = State::Done,
                },
                State::Key => match b {
                    b'"' => {
                        self.keys_seen += 1;
                        if self.keys_seen > MAX_KEYS {
                            self.state = State::Done;
                            return;
                        }
                        self.key.clear();
                        self.key_too_long = false;
                        self.escape = false;
                        self.state = State::InKey;
                    }
                    b'}' => self.state = State::Done,
                    _ => {}
                },
                State::InKey => {
                    if self.escape {
                        self.escape = false;
                        self.push_key(b);
                    } else if b == b'\\' {
                        self.escape = true;
                        self.push_key(b);
                    } else if b == b'"' {
                        self.state = State::Colon;
                    } else {
                        self.push_key(b);
                    }
                }
                State::Colon => {
                    if b == b':' {
                        self.current = if self.key_too_long {
                            None
                        } else {
                            self.wanted.iter().position(|w| w.as_bytes() == self.key)
                        };
                        self.value.clear();
                        self.value_too_long = false;
                        self.state = State::Value;
                    }
                }
                State::Value => match b {
                    b' ' | b'\t' | b'\r' | b'\n' => {}
                    _ => {
                        self.depth = 0;
                        self.in_string = false;
                        self.escape = false;
                        self.state = State::InValue;
                        continue; // read this byte as part of the value
                    }
                },
                State::InValue => {
                    // Skip quickly through long strings of values nobody wants.
                    if self.in_string && self.current.is_none() {
                        if self.escape {
                            self.escape = false;
                        } else if let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                            i += j;
                            if bytes[i] == b'\\' {
                                self.escape = true;
                            } else {
                                self.in_string = false;
                            }
                        } else {
                            return;
                        }
                        i += 1;
                        continue;
                    }
                    let mut end = false;
                    if self.in_string {
                        if self.escape {
                            self.escape = false;
                        } else if b == b'\\' {
                            self.escape = true;
                        } else if b == b'"' {
                            self.in_string = false;
                        }
                    } else {
                        match b {
                            b'"' => self.in_string = true,
                            b'{' | b'[' => self.depth += 1,
                            b'}' | b']' if self.depth > 0 => self.depth -= 1,
                            b'}' | b',' if self.depth == 0 => end = true,
                            _ => {}
                        }
                    }
                    if end {
                        self.finish_value();
                        self.state = if b == b'}' { State::Done } else { State::Key };
                    } else if self.current.is_some() {
                        if self.value.len() < MAX_VALUE {
                            self.value.push(b);
                        } else {
                            self.value_too_long = true;
                        }
                    }
                }
            }
            i += 1;
        }
    }

    fn push_key(&mut self, b: u8) {
        if self.key.len() < MAX_KEY {
            self.key.push(b);
        } else {
            self.key_too_long = true;
        }
    }

    fn finish_value(&mut self) {
        if let Some(k) = self.current.take()
            && !self.value_too_long
        {
            let v = std::mem::take(&mut self.value);
            self.found[k] = Some(v);
        }
    }

    /// The parsed value of a wanted key, when it was seen whole (the last one wins).
    pub fn get(&self, key: &str) -> Option<Value> {
        let idx = self.wanted.iter().position(|w| *w == key)?;
        self.found[idx]
            .as_ref()
            .and_then(|v| serde_json::from_slice(trim(v)).ok())
    }
}

fn trim(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &v[s..e.max(s)]
}

/// Longest SSE line kept; longer lines (big text deltas) are skipped, never needed.
const MAX_LINE: usize = 64 * 1024;

/// What a stream told about itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StreamFacts {
    /// `message_start`'s `message.id`.
    pub id: Option<String>,
    /// `message_start`'s `message.model`.
    pub model: Option<String>,
    /// Usage counts (the documented keys only): `message_start`'s, updated by every
    /// `message_delta`'s (cumulative counts).
    pub usage: Option<serde_json::Map<String, Value>>,
    /// The last `message_delta`'s `delta.stop_reason`.
    pub stop_reason: Option<String>,
    /// The `data:` of an `error` event as it came (the first one; a record keeps only its
    /// allowed fields, see [`crate::record::safe::error_body`]).
    pub error: Option<String>,
    /// A `message_stop` event was seen: the stream ended normally.
    pub stopped: bool,
}

/// Reads an SSE stream fed in pieces, keeping only the events a record needs.
#[derive(Debug, Default)]
pub struct Sse {
    line: Vec<u8>,
    /// The current line is longer than [`MAX_LINE`]: skip to its end.
    skipping: bool,
    event: Option<String>,
    pub facts: StreamFacts,
}

impl Sse {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match memchr::memchr(b'\n', bytes) {
                Some(j) => {
                    if !self.skipping && self.line.len() + j <= MAX_LINE {
                        self.line.extend_from_slice(&bytes[..j]);
                        let line = std::mem::take(&mut self.line);
                        self.on_line(&line);
                        self.line = line;
                    }
                    self.line.clear();
                    self.skipping = false;
                    bytes = &bytes[j + 1..];
                }
                None => {
                    if !self.skipping {
                        if self.line.len() + bytes.len() <= MAX_LINE {
                            self.line.extend_from_slice(bytes);
                        } else {
                            self.line.clear();
                            self.skipping = true;
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Reads a last line that had no newline.
    pub fn finish(&mut self) {
        if !self.skipping && !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.on_line(&line);
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.event = None;
            return;
        }
        if let Some(ev) = line.strip_prefix(b"event:") {
            self.event = Some(String::from_utf8_lossy(trim(ev)).into_owned());
            return;
        }
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let data = trim(data);
        let interesting = match self.event.as_deref() {
            Some("message_start" | "message_delta" | "error" | "message_stop") => true,
            // A stream without `event:` lines: look at the data's type.
            None => data.starts_with(b"{"),
            Some(_) => false,
        };
        if !interesting {
            return;
        }
        let Ok(v) = serde_json::from_slice::<Value>(data) else {
            return;
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
        match (self.event.as_deref(), kind) {
            (Some("error"), _) | (None, "error") if self.facts.error.is_none() => {
                self.facts.error = Some(String::from_utf8_lossy(data).into_owned());
            }
            (_, "message_start") => {
                if let Some(m) = v.get("message") {
                    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
                    self.facts.id = s("id");
                    self.facts.model = s("model");
                    if let Some(u) = m.get("usage").and_then(Value::as_object) {
                        self.facts.usage = crate::record::safe::usage(u);
                    }
                }
            }
            (_, "message_delta") => {
                if let Some(r) = v
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.facts.stop_reason = Some(r.to_string());
                }
                if let Some(u) = v.get("usage").and_then(Value::as_object) {
                    // Only the documented counts: a stream of ever-new usage keys keeps none.
                    crate::record::safe::merge_usage(&mut self.facts.usage, u);
                }
            }
            (_, "message_stop") => self.facts.stopped = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &[&str] = &["model", "max_tokens", "stream"];

    fn top(input: &[u8], piece: usize) -> TopLevel {
        let mut t = TopLevel::new(REQ);
        for c in input.chunks(piece.max(1)) {
            t.feed(c);
        }
        t
    }

    #[test]
    fn request_keys_in_any_order_and_any_split() {
        let body = br#"{"max_tokens": 1024, "messages": [{"role": "user", "content": "say \"model\": 1, {\"stream\":true} ]}"}], "model" : "claude-sonnet-4-5", "system": [{"type":"text","text":"x"}], "stream":true}"#;
        for piece in [1, 2, 3, 7, 64, body.len()] {
            let t = top(body, piece);
            assert_eq!(t.get("model"), Some(Value::from("claude-sonnet-4-5")));
            assert_eq!(t.get("max_tokens"), Some(Value::from(1024)));
            assert_eq!(t.get("stream"), Some(Value::from(true)));
            assert!(t.done());
        }
    }

    #[test]
    fn nested_keys_are_not_top_level() {
        let t = top(
            br#"{"metadata": {"model": "nested", "stream": false}, "model": "top"}"#,
            5,
        );
        assert_eq!(t.get("model"), Some(Value::from("top")));
        assert_eq!(t.get("stream"), None);
    }

    #[test]
    fn not_an_object_or_truncated() {
        assert!(top(b"[1,2]", 1).done());
        assert_eq!(top(b"[1,2]", 1).get("model"), None);
        let t = top(br#"{"model": "claude-x", "max_tokens": 10"#, 4);
        assert_eq!(t.get("model"), Some(Value::from("claude-x")));
        assert_eq!(t.get("max_tokens"), None);
        assert_eq!(top(b"", 1).get("model"), None);
        assert_eq!(top(b"\x00\xff garbage", 1).get("model"), None);
    }

    #[test]
    fn huge_values_are_not_kept() {
        let mut body = br#"{"model": ""#.to_vec();
        body.extend(std::iter::repeat_n(b'a', MAX_VALUE * 2));
        body.extend(br#"", "max_tokens": 5}"#);
        let t = top(&body, 1000);
        assert_eq!(t.get("model"), None);
        assert_eq!(t.get("max_tokens"), Some(Value::from(5)));
    }

    #[test]
    fn repeated_and_ever_new_keys_keep_fixed_memory() {
        // A repeated wanted key keeps one value, not one per repeat.
        let mut t = TopLevel::new(REQ);
        t.feed(b"{");
        for _ in 0..10_000 {
            t.feed(br#""model":"claude-x","#);
        }
        assert_eq!(t.found.len(), REQ.len());
        assert_eq!(t.get("model"), Some(Value::from("claude-x")));
        // Ever-new keys: past the cap the rest is not examined.
        let mut t = TopLevel::new(REQ);
        t.feed(b"{");
        for i in 0..(MAX_KEYS + 10) {
            t.feed(format!("\"k{i}\":1,").as_bytes());
        }
        assert!(t.done());
        t.feed(br#""model":"late"}"#);
        assert_eq!(t.get("model"), None);
        // A stream of ever-new usage keys keeps only the documented counts.
        let mut sse = Sse::new();
        for i in 0..1000 {
            sse.feed(format!("event: message_delta\ndata: {{\"type\":\"message_delta\",\"usage\":{{\"output_tokens\":{i},\"k{i}\":1}}}}\n\n").as_bytes());
        }
        let u = sse.facts.usage.unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u["output_tokens"], 999);
    }

    const STREAM: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"secret words\"}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    #[test]
    fn stream_usage_in_any_split() {
        for piece in [1, 3, 17, STREAM.len()] {
            let mut s = Sse::new();
            for c in STREAM.as_bytes().chunks(piece) {
                s.feed(c);
            }
            s.finish();
            let f = &s.facts;
            assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5"));
            assert_eq!(f.id.as_deref(), Some("msg_1"));
            let u = f.usage.as_ref().unwrap();
            assert_eq!(u["input_tokens"], 25);
            assert_eq!(u["output_tokens"], 15);
            assert_eq!(f.stop_reason.as_deref(), Some("end_turn"));
            assert!(f.stopped);
            assert!(f.error.is_none());
        }
    }

    #[test]
    fn error_event_inside_a_stream() {
        let s = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\r\n\r\nevent: error\r\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\r\n\r\n";
        let mut sse = Sse::new();
        for c in s.as_bytes().chunks(5) {
            sse.feed(c);
        }
        let e = sse.facts.error.unwrap();
        assert!(e.contains("overloaded_error"), "{e}");
        assert!(!sse.facts.stopped);
    }

    #[test]
    fn long_lines_are_skipped_with_bounded_memory() {
        let mut sse = Sse::new();
        sse.feed(b"event: content_block_delta\ndata: ");
        for _ in 0..100 {
            sse.feed(&[b'x'; 10_000]);
        }
        assert!(sse.line.capacity() <= MAX_LINE * 2);
        sse.feed(b"\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n");
        assert!(sse.facts.error.is_some());
    }
}
