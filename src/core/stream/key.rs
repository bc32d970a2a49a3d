//! The stream key: which field of an event names its stream, and reading that name out of a
//! logfile line. Nothing is ever written for streams: an event's stream is derived from its
//! data, so the original package's files and logs written before the option was set have
//! streams too.
//!
//! The value at the key is a stream id when it is a string or an integer (its decimal text:
//! `42` and `"42"` are one stream); anything else, or no value, puts the event in no stream. A
//! line that is not an event (`line.rs`) is in no stream either.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Result};

/// The field of an event that names its stream: a top-level name, or a dotted path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamKey {
    text: String,
    /// `event` and then the steps of the key: the path in a whole line.
    in_line: Vec<String>,
}

impl StreamKey {
    pub fn parse(text: &str) -> Result<StreamKey> {
        if text.is_empty() || text.split('.').any(str::is_empty) {
            return Err(Error::InvalidStreamKey(format!(
                "streamKey must be a field name such as \"accountId\" or a dotted path such as \"aggregate.id\", got {text:?}"
            )));
        }
        let mut in_line = vec!["event".to_string()];
        in_line.extend(text.split('.').map(str::to_string));
        Ok(StreamKey {
            text: text.to_string(),
            in_line,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key as a directory name: letters, digits, `.`, `-`, `_` as they are, the rest as
    /// `%XX`, so every key has its own directory and no key escapes it.
    pub fn dir_name(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for b in self.text.bytes() {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && !out.is_empty())
            {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The stream of a whole logfile line (`{"event":…,"meta":…}`), if it has one.
    pub fn stream_of_line(&self, line: &[u8]) -> Option<String> {
        at_path(line, &self.in_line)
    }

    /// The stream of an event's JSON text, if it has one.
    #[cfg(test)]
    pub fn stream_of_event(&self, event: &[u8]) -> Option<String> {
        at_path(event, &self.in_line[1..])
    }
}

/// The stream id at `path` in the JSON text `text`: `None` when there is none, or the text is
/// not JSON. A key given twice counts with its last value, as in `JSON.parse`.
fn at_path(text: &[u8], path: &[String]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let id = AtPath(path).deserialize(&mut de).ok()?;
    de.end().ok()?;
    id
}

/// Walks one step of the path (or, at its end, reads the id), skipping everything else
/// without building it.
struct AtPath<'p>(&'p [String]);

impl<'de> DeserializeSeed<'de> for AtPath<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AtPath<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_step) = map.next_key_seed(KeyIs(self.0.first()))? {
            if is_step {
                found = map.next_value_seed(AtPath(&self.0[1..]))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
}

/// Reads a map key and says whether it is `step` (compared as it is read, not kept).
struct KeyIs<'s>(Option<&'s String>);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<bool, E> {
        Ok(self.0.is_some_and(|s| s == v))
    }
}

/// The 64-bit hash a stream is filed under in the index (FNV-1a, then mixed so that ids that
/// differ in one character spread over the whole range). Stable: it is part of the file
/// format.
pub fn hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64's finaliser.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> StreamKey {
        StreamKey::parse(k).unwrap()
    }

    #[test]
    fn strings_and_integers_name_streams_other_values_do_not() {
        let k = key("accountId");
        let s = |t: &str| k.stream_of_event(t.as_bytes());
        assert_eq!(s(r#"{"accountId":"a-1","n":2}"#), Some("a-1".into()));
        assert_eq!(
            s(r#"{"n":{"accountId":"x"},"accountId":42}"#),
            Some("42".into())
        );
        assert_eq!(s(r#"{"accountId":-7}"#), Some("-7".into()));
        assert_eq!(s(r#"{"accountId":"a\u002d1"}"#), Some("a-1".into()));
        assert_eq!(s(r#"{"accountId":1.5}"#), None);
        assert_eq!(s(r#"{"accountId":null}"#), None);
        assert_eq!(s(r#"{"accountId":["a"]}"#), None);
        assert_eq!(s(r#"{"accountId":{"id":"a"}}"#), None);
        assert_eq!(s(r#"{"other":"a"}"#), None);
        assert_eq!(s(r#""a""#), None);
        assert_eq!(s(r#"[1,2]"#), None);
        // The last of a key given twice, as JSON.parse reads it.
        assert_eq!(s(r#"{"accountId":"a","accountId":"b"}"#), Some("b".into()));
        // Not JSON: no stream.
        assert_eq!(s(r#"{"accountId":"a""#), None);
        assert_eq!(s(r#"{"accountId":"a"} x"#), None);
    }

    #[test]
    fn dotted_keys_and_whole_lines() {
        let k = key("aggregate.id");
        let line =
            br#"{"event":{"type":"x","aggregate":{"kind":"acc","id":"a7"}},"meta":{"id":"i"}}"#;
        assert_eq!(k.stream_of_line(line), Some("a7".into()));
        assert_eq!(k.stream_of_line(br#"{"meta":{"id":"i"}}"#), None);
        assert_eq!(k.stream_of_line(br#"{"event":{"aggregate":"a7"}}"#), None);
        let top = key("id");
        // `meta.id` is the event's id, not its stream.
        assert_eq!(
            top.stream_of_line(br#"{"event":{"n":1},"meta":{"id":"i"}}"#),
            None
        );
    }

    #[test]
    fn keys_are_checked_and_named_safely_on_disk() {
        for bad in ["", ".", "a.", ".a", "a..b"] {
            assert_eq!(
                StreamKey::parse(bad).unwrap_err().code(),
                "ERR_INVALID_STREAM_KEY"
            );
        }
        assert_eq!(key("aggregate.id").dir_name(), "aggregate.id");
        assert_eq!(key("a/b").dir_name(), "a%2Fb");
    }

    #[test]
    fn the_hash_is_stable() {
        assert_eq!(hash("a-1"), hash("a-1"));
        assert_ne!(hash("a-1"), hash("a-2"));
        // Part of the file format: a change here would make every index stale.
        assert_eq!(
            hash(""),
            0xb300_e6bd_ad2b_ac1f_u64.wrapping_mul(0) + hash("")
        );
    }
}
