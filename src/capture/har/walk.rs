//! The streaming walk: serde seeds and visitors from the document root down to each entry,
//! and the few fields of an entry a verdict needs ([`Entry`] and its parts).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Ctx, MAX_HEADERS, Shared};

/// Visitor methods for JSON scalars a lenient visitor has no use for.
macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// The root object: only `log` is read.
pub(super) struct DocSeed<'c, 'a>(pub(super) &'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document (an object with a log)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(k) = map.next_key_seed(KeySeed(&["log"]))? {
            match k {
                Some(_) => map.next_value_seed(LogSeed(&mut *ctx))?,
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// `log`: only `entries` is read.
pub(super) struct LogSeed<'c, 'a>(pub(super) &'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(k) = map.next_key_seed(KeySeed(&["entries"]))? {
            match k {
                Some(_) => {
                    ctx.saw_entries = true;
                    map.next_value_seed(EntriesSeed(&mut *ctx))?;
                }
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// `log.entries`: each entry is read, turned into a capture and dropped before the next.
pub(super) struct EntriesSeed<'c, 'a>(pub(super) &'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR entries array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while seq.next_element_seed(EntrySeed(&mut *ctx))?.is_some() {}
        Ok(())
    }
}

pub(super) struct EntrySeed<'c, 'a>(pub(super) &'c mut Ctx<'a>);

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let ctx = self.0;
        // The entry's first byte has been peeked: the newlines so far give its line.
        let line = 1 + ctx.shared.newlines.get();
        ctx.entries += 1;
        ctx.current = Some((ctx.entries, line));
        let entry = Obj::<Entry>::new(ctx.shared).deserialize(d)?;
        ctx.current = None;
        // A placeholder `{}` stands for an entry [`Splice`] already parsed.
        if entry.is_some() && ctx.sink.ready(ctx.entries) {
            // (The sink credited the entry's newlines.)
            ctx.stats.captures += 1;
            return Ok(());
        }
        match entry {
            Some(e) => ctx.emit(e, line),
            None => {
                let n = ctx.entries;
                ctx.stats
                    .skip(ctx.source, line, format!("HAR entry {n} is not an object"));
            }
        }
        Ok(())
    }
}

/// Map keys matched against a list of wanted names, without allocating.
pub(super) struct KeySeed(pub(super) &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == s))
    }
}

/// An object with a few wanted fields, read leniently: a wanted field of an unexpected JSON
/// type is ignored rather than failing the document.
pub(super) trait Fields: Default {
    const NAMES: &'static [&'static str];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error>;
}

/// Reads a [`Fields`] object; anything but an object gives `None`.
pub(super) struct Obj<'s, T>(pub(super) &'s Shared, PhantomData<T>);

impl<'s, T> Obj<'s, T> {
    pub(super) fn new(sh: &'s Shared) -> Self {
        Obj(sh, PhantomData)
    }
}

impl<'de, T: Fields> DeserializeSeed<'de> for Obj<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Fields> Visitor<'de> for Obj<'_, T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut t = T::default();
        while let Some(k) = map.next_key_seed(KeySeed(T::NAMES))? {
            match k {
                Some(i) => t.set(i, &mut map, self.0)?,
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(Some(t))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }
    ignore_scalars!(None);
}

/// A scalar field.
pub(super) enum Leaf {
    Str(String),
    /// A string too long to keep whole: its last whole lines (see [`StringCap`]).
    Cut(String),
    Num(f64),
    Int(u64),
    Bool(bool),
    /// `null`, a negative integer, an array or an object.
    Other,
}

impl Leaf {
    /// The text of a whole string, number or boolean.
    pub(super) fn into_string(self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s),
            Leaf::Int(n) => Some(n.to_string()),
            Leaf::Num(n) => Some(n.to_string()),
            Leaf::Bool(b) => Some(b.to_string()),
            Leaf::Cut(_) | Leaf::Other => None,
        }
    }

    /// An HTTP status (a number or a string starting with one); HAR's `0` (no response) and
    /// other out-of-range values give `None`.
    pub(super) fn status(&self) -> Option<u16> {
        let n = match self {
            Leaf::Int(n) => u16::try_from(*n).ok(),
            Leaf::Num(n) if n.fract() == 0.0 && (0.0..1000.0).contains(n) => Some(*n as u16),
            Leaf::Str(s) => s.trim().get(..3).and_then(|d| d.parse().ok()),
            _ => None,
        };
        n.filter(|s| (100..600).contains(s))
    }
}

pub(super) struct LeafSeed<'s>(pub(super) &'s Shared);

impl<'de> DeserializeSeed<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Leaf, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Leaf, E> {
        // The string has just closed, so the filter's note is about this one.
        Ok(match self.0.cut.get() {
            Some(_) => Leaf::Cut(s.to_owned()),
            None => Leaf::Str(s.to_owned()),
        })
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Leaf, E> {
        Ok(Leaf::Int(n))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Leaf, E> {
        Ok(Leaf::Num(n))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Leaf, E> {
        Ok(Leaf::Bool(b))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Leaf, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Leaf::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Leaf, A::Error> {
        IgnoredAny.visit_map(map).map(|_| Leaf::Other)
    }
}

/// `response.headers`: HAR's list of `{name, value}`; an object of `name: value` is taken too.
pub(super) struct HeadersSeed<'s>(pub(super) &'s Shared);

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_> {
    type Value = Vec<(String, String)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed<'_> {
    type Value = Vec<(String, String)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of headers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(h) = seq.next_element_seed(Obj::<Header>::new(self.0))? {
            if let Some(Header {
                name: Some(n),
                value: Some(val),
            }) = h
                && v.len() < MAX_HEADERS
            {
                v.push((n, val));
            }
        }
        Ok(v)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(n) = map.next_key::<String>()? {
            if let Some(val) = map.next_value_seed(LeafSeed(self.0))?.into_string()
                && v.len() < MAX_HEADERS
            {
                v.push((n, val));
            }
        }
        Ok(v)
    }
    ignore_scalars!(Vec::new());
}

// ---- What an entry keeps ------------------------------------------------------------------

#[derive(Default)]
pub(super) struct Entry {
    pub(super) started: Option<String>,
    pub(super) request: Option<Request>,
    pub(super) response: Option<Response>,
}

impl Fields for Entry {
    const NAMES: &'static [&'static str] = &["startedDateTime", "request", "response"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.started = map.next_value_seed(LeafSeed(sh))?.into_string(),
            1 => self.request = map.next_value_seed(Obj::new(sh))?,
            _ => self.response = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct Request {
    pub(super) method: Option<String>,
    pub(super) url: Option<String>,
    pub(super) post: Option<PostData>,
}

impl Fields for Request {
    const NAMES: &'static [&'static str] = &["method", "url", "postData"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.method = map.next_value_seed(LeafSeed(sh))?.into_string(),
            1 => self.url = map.next_value_seed(LeafSeed(sh))?.into_string(),
            _ => self.post = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct PostData {
    pub(super) text: Option<Leaf>,
}

impl Fields for PostData {
    const NAMES: &'static [&'static str] = &["text"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        _: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        self.text = Some(map.next_value_seed(LeafSeed(sh))?);
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct Response {
    pub(super) status: Option<u16>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) content: Option<Content>,
}

impl Fields for Response {
    const NAMES: &'static [&'static str] = &["status", "headers", "content"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        match field {
            0 => self.status = map.next_value_seed(LeafSeed(sh))?.status(),
            1 => self.headers = map.next_value_seed(HeadersSeed(sh))?,
            _ => self.content = map.next_value_seed(Obj::new(sh))?,
        }
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct Content {
    pub(super) text: Option<Leaf>,
    pub(super) encoding: Option<String>,
    pub(super) mime: Option<String>,
}

impl Fields for Content {
    const NAMES: &'static [&'static str] = &["text", "encoding", "mimeType"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        let leaf = map.next_value_seed(LeafSeed(sh))?;
        match field {
            0 => self.text = Some(leaf),
            1 => self.encoding = leaf.into_string(),
            _ => self.mime = leaf.into_string(),
        }
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct Header {
    pub(super) name: Option<String>,
    pub(super) value: Option<String>,
}

impl Fields for Header {
    const NAMES: &'static [&'static str] = &["name", "value"];
    fn set<'de, A: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut A,
        sh: &Shared,
    ) -> Result<(), A::Error> {
        let v = map.next_value_seed(LeafSeed(sh))?.into_string();
        if field == 0 {
            self.name = v;
        } else {
            self.value = v;
        }
        Ok(())
    }
}
