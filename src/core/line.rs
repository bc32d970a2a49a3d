//! The one rule for what a logfile line holds, followed by every reader of the log: consumers
//! (`delivery`), `verify`, and the CLI's `cat` and `tail` (which are consumers).
//!
//! **A line is an event when it is a JSON object with the key `event`.** Its value, whatever
//! it is (`null` included), is the event; `meta.id`, when `meta` is an object whose `id` is a
//! string, is the event's id (else it has none). The line is read as UTF-8, bytes that are not
//! becoming U+FFFD, as Node reads a file. Any other line (not JSON, an array, a number, an
//! object without `event`) is corrupt: readers skip it and report it, and it still counts as a
//! position, so positions never shift.
//!
//! The package writes exactly `{"event":E,"meta":{"id":"I"}}` with a 32-character id, which
//! `split` recognises without parsing; every other line is judged here in full.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The length of the ids the package writes.
pub const ID_LEN: usize = 32;

/// What a line holds, by the rule above.
#[derive(Debug, PartialEq, Eq)]
pub enum Judged {
    /// An event: its JSON text exactly as in the line, and its id if it has one.
    Event { event: String, id: Option<String> },
    /// Not an event; the reason, for the error readers report.
    Corrupt(String),
}

/// Judges one line (without its newline).
pub fn judge(line: &[u8]) -> Judged {
    let text = String::from_utf8_lossy(line);
    match serde_json::from_str::<Shape>(&text) {
        Ok(Shape::Event { event, id }) => Judged::Event { event, id },
        Ok(Shape::NotAnObject(kind)) => Judged::Corrupt(format!(
            "a JSON {kind}, not an object with an \"event\" key"
        )),
        Ok(Shape::NoEvent) => Judged::Corrupt("a JSON object without an \"event\" key".into()),
        Err(e) => Judged::Corrupt(format!("not JSON ({})", without_position(&e))),
    }
}

/// Whether a line is an event (a shortcut for `verify`, which needs no event text).
pub fn is_event(line: &[u8]) -> bool {
    if split(line).is_some_and(|(event, _)| serde_json::from_slice::<IgnoredAny>(event).is_ok()) {
        return true;
    }
    matches!(judge(line), Judged::Event { .. })
}

/// A line in the package's own form, as its event text and its id (neither checked as JSON:
/// the reader that parses the event finds out, and judges the whole line if it must).
pub fn split(line: &[u8]) -> Option<(&[u8], &[u8])> {
    const PREFIX: &[u8] = b"{\"event\":";
    const META: &[u8] = b",\"meta\":{\"id\":\"";
    const END: &[u8] = b"\"}}";
    let n = line.len();
    let tail = META.len() + ID_LEN + END.len();
    if n <= PREFIX.len() + tail || !line.starts_with(PREFIX) || !line.ends_with(END) {
        return None;
    }
    let id_at = n - END.len() - ID_LEN;
    let meta_at = id_at - META.len();
    let id = &line[id_at..n - END.len()];
    (&line[meta_at..id_at] == META && alphanumeric(id)).then(|| (&line[PREFIX.len()..meta_at], id))
}

/// Whether every byte is an ASCII letter or digit: folded without a branch per byte, so that
/// the check of every line's id (a filtered replay reads millions) is vectorised.
fn alphanumeric(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        ok & (letter | digit)
    })
}

/// serde_json's message without its " at line 1 column N" (a line is one line; the column
/// means little to a user who did not write it).
fn without_position(e: &serde_json::Error) -> Cow<'static, str> {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => Cow::Owned(text[..at].to_string()),
        None => Cow::Owned(text),
    }
}

/// A line's top level, read without building the event (its text is kept as it is).
enum Shape {
    Event { event: String, id: Option<String> },
    NoEvent,
    NotAnObject(&'static str),
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        // As JSON.parse does, a key given twice counts with its last value.
        let mut event: Option<Box<RawValue>> = None;
        let mut id: Option<String> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "event" => event = Some(map.next_value()?),
                "meta" => id = map.next_value::<MetaId>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match event {
            Some(e) => Shape::Event {
                event: e.get().to_string(),
                id,
            },
            None => Shape::NoEvent,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::NotAnObject("array"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("string"))
    }

    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::NotAnObject("null"))
    }
}

/// `meta.id` when `meta` is an object and `id` a string; `None` for any other `meta`.
struct MetaId(Option<String>);

impl<'de> serde::Deserialize<'de> for MetaId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MetaId, D::Error> {
        d.deserialize_any(MetaVisitor)
    }
}

struct MetaVisitor;

impl<'de> Visitor<'de> for MetaVisitor {
    type Value = MetaId;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetaId, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "id" {
                id = map.next_value::<IdValue>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(MetaId(id))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MetaId, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MetaId(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }

    fn visit_unit<E>(self) -> Result<MetaId, E> {
        Ok(MetaId(None))
    }
}

/// An id: a string, or nothing for any other value.
struct IdValue(Option<String>);

impl<'de> serde::Deserialize<'de> for IdValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IdValue, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(IdValue(Some(s))),
            _ => Ok(IdValue(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_check_agrees_with_the_standard_one_on_every_byte() {
        for b in 0..=255u8 {
            assert_eq!(alphanumeric(&[b]), b.is_ascii_alphanumeric(), "byte {b}");
            assert_eq!(
                alphanumeric(&[b'a', b, b'9']),
                b.is_ascii_alphanumeric(),
                "byte {b}"
            );
        }
        assert!(alphanumeric(b""));
    }

    const ID: &str = "0123456789abcdefghijABCDEFGHIJ01";

    fn event(text: &str, id: Option<&str>) -> Judged {
        Judged::Event {
            event: text.to_string(),
            id: id.map(str::to_string),
        }
    }

    fn corrupt(line: &str) -> bool {
        matches!(judge(line.as_bytes()), Judged::Corrupt(_))
    }

    #[test]
    fn an_object_with_an_event_key_is_an_event() {
        let ours = format!("{{\"event\":{{\"a\":[1,2]}},\"meta\":{{\"id\":\"{ID}\"}}}}");
        assert_eq!(judge(ours.as_bytes()), event("{\"a\":[1,2]}", Some(ID)));
        // Any id, any order, extra keys, no meta, a meta that is not an object.
        assert_eq!(
            judge(br#"{"meta":{"id":"abc","x":1},"x":[{}],"event":"e"}"#),
            event("\"e\"", Some("abc"))
        );
        assert_eq!(
            judge(br#"{"event":{"t":1},"meta":{}}"#),
            event("{\"t\":1}", None)
        );
        assert_eq!(judge(br#"{"event":null}"#), event("null", None));
        assert_eq!(judge(br#"{"event":1,"meta":5}"#), event("1", None));
        assert_eq!(judge(br#"{"event":1,"meta":{"id":7}}"#), event("1", None));
        // A key twice counts with its last value, as in JSON.parse.
        assert_eq!(judge(br#"{"event":1,"event":2}"#), event("2", None));
        // Text around the event is kept exactly.
        assert_eq!(
            judge(br#"{ "event" : [ 1 , 2 ] }"#),
            event("[ 1 , 2 ]", None)
        );
    }

    #[test]
    fn anything_else_is_corrupt() {
        for line in [
            "",
            "not json",
            "[1,2]",
            "123",
            "\"event\"",
            "null",
            "true",
            r#"{"meta":{"id":"abc"}}"#,
            r#"{"event":1"#,
            r#"{"event":1}{"event":2}"#,
        ] {
            assert!(corrupt(line), "{line}");
        }
        match judge(b"[1,2]") {
            Judged::Corrupt(why) => assert!(why.contains("array"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_read_as_replacement_characters() {
        let line = b"{\"event\":\"a\xffb\"}";
        assert_eq!(judge(line), event("\"a\u{fffd}b\"", None));
    }

    #[test]
    fn what_json_parse_accepts_is_an_event_here_too() {
        // Lone surrogates (JSON.stringify writes them escaped), huge numbers, deep nesting.
        assert!(is_event(br#"{"event":"\ud800"}"#));
        assert!(is_event(br#"{"event":1e400}"#));
        let deep = format!("{{\"event\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(is_event(deep.as_bytes()));
    }

    #[test]
    fn split_recognises_only_our_exact_form() {
        let ours = format!("{{\"event\":{{\"a\":1}},\"meta\":{{\"id\":\"{ID}\"}}}}");
        assert_eq!(
            split(ours.as_bytes()),
            Some((&b"{\"a\":1}"[..], ID.as_bytes()))
        );
        for other in [
            "not json".to_string(),
            format!("{{\"meta\":{{\"id\":\"{ID}\"}},\"event\":1}}"),
            "{\"event\":1,\"meta\":{\"id\":\"short\"}}".to_string(),
            format!("{{\"event\":1,\"meta\":{{\"id\":\"{}\"}}}}", "-".repeat(32)),
        ] {
            assert_eq!(split(other.as_bytes()), None, "{other}");
        }
        // Our form with event text that is not JSON: split, and judged corrupt in full.
        let bad = format!("{{\"event\":x,\"meta\":{{\"id\":\"{ID}\"}}}}");
        assert!(split(bad.as_bytes()).is_some());
        assert!(!is_event(bad.as_bytes()));
    }
}
