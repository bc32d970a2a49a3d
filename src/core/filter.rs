//! Filtering before parsing: a consumer that asks only for some event types is handed only
//! those lines. The others are passed over in the core, most of them without being parsed at
//! all: a line whose text does not hold any wanted type as a JSON string cannot have it. An
//! escape could spell a type differently (`"dep\u006fsited"`), so a line with a backslash is
//! parsed anyway, except a line in the package's own form (written by `JSON.stringify`, here
//! or by the original package), which escapes only quotes, backslashes and control
//! characters: for types without those, its text is searched once and that is all. A line
//! that does hold a wanted type is parsed to read its type field for certain.

use std::borrow::Cow;
use std::collections::BTreeMap;

use memchr::memmem;
use serde_json::value::RawValue;

/// Keeps events whose field at `path` (a top-level name, or a dotted path such as
/// `meta.kind`) is a string among `types`.
#[derive(Debug)]
pub struct TypeFilter {
    path: Vec<String>,
    types: Vec<String>,
    /// Each type as JSON writes it, quotes included: what a line that has it must contain.
    needles: Vec<memmem::Finder<'static>>,
    /// No type holds a character `JSON.stringify` escapes: in its lines, a type is spelled
    /// one way only.
    unescaped: bool,
    /// An integer at the path matches by its decimal text (a stream's id, `stream/key.rs`).
    integers: bool,
}

impl TypeFilter {
    pub fn new(key: &str, types: Vec<String>) -> TypeFilter {
        let needles = types
            .iter()
            .map(|t| {
                let json = serde_json::to_string(t).unwrap_or_default();
                memmem::Finder::new(json.as_bytes()).into_owned()
            })
            .collect();
        let unescaped = types
            .iter()
            .all(|t| !t.chars().any(|c| c == '"' || c == '\\' || c < ' '));
        TypeFilter {
            path: key.split('.').map(str::to_string).collect(),
            types,
            needles,
            unescaped,
            integers: false,
        }
    }

    /// Keeps the events of one stream: those whose field at `key` is the string `id`, or an
    /// integer whose decimal text it is.
    pub fn stream(key: &str, id: String) -> TypeFilter {
        let mut filter = TypeFilter::new(key, vec![id]);
        // Without its quotes: `"42"` and `42` both hold the text.
        let json = serde_json::to_string(&filter.types[0]).unwrap_or_default();
        let inner = &json[1..json.len().saturating_sub(1).max(1)];
        filter.needles = vec![memmem::Finder::new(inner.as_bytes()).into_owned()];
        filter.integers = true;
        filter
    }

    /// Whether the event (its JSON text) has one of the types; `None` if the text is not
    /// JSON alone (the caller judges the whole line, `line.rs`, and asks again).
    /// `stringified`: the line is in the package's own form, as `JSON.stringify` writes.
    pub fn keeps(&self, event: &[u8], stringified: bool) -> Option<bool> {
        if !self.needles.iter().any(|n| n.find(event).is_some()) {
            let one_spelling = stringified && self.unescaped;
            if one_spelling || memchr::memchr(b'\\', event).is_none() {
                return Some(false);
            }
        }
        let value = value_at(event, &self.path)?;
        Some(match value {
            Some(v) if self.integers && !v.get().starts_with('"') => {
                let text = v.get();
                let integer = serde_json::from_str::<i64>(text).is_ok()
                    || serde_json::from_str::<u64>(text).is_ok();
                integer && self.types.iter().any(|w| w == text)
            }
            Some(v) => serde_json::from_str::<Cow<str>>(v.get())
                .is_ok_and(|t| self.types.iter().any(|w| *w == t)),
            None => false,
        })
    }
}

/// The value at `path` in the JSON text `text`: `Some(None)` when there is none (or a step is
/// not an object), `None` when the text is not JSON.
fn value_at<'a>(text: &'a [u8], path: &[String]) -> Option<Option<&'a RawValue>> {
    let mut current: &'a RawValue = serde_json::from_slice(text).ok()?;
    for step in path {
        if !current.get().starts_with('{') {
            return Some(None);
        }
        // A key given twice counts with its last value, as in JSON.parse.
        let map: BTreeMap<Cow<'a, str>, &'a RawValue> = serde_json::from_str(current.get()).ok()?;
        match map.get(step.as_str()) {
            Some(v) => current = v,
            None => return Some(None),
        }
    }
    Some(Some(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl TypeFilter {
        /// As for a line of another writer's (escapes may spell a type differently).
        fn keeps_any(&self, event: &[u8]) -> Option<bool> {
            self.keeps(event, false)
        }
    }

    fn filter(key: &str, types: &[&str]) -> TypeFilter {
        TypeFilter::new(key, types.iter().map(|t| t.to_string()).collect())
    }

    #[test]
    fn keeps_the_types_asked_for() {
        let f = filter("type", &["deposited", "opened"]);
        assert_eq!(
            f.keeps_any(br#"{"type":"deposited","amount":1}"#),
            Some(true)
        );
        assert_eq!(f.keeps_any(br#"{"amount":1,"type":"opened"}"#), Some(true));
        assert_eq!(f.keeps_any(br#"{"type":"withdrawn"}"#), Some(false));
        // The word elsewhere is not the type.
        assert_eq!(
            f.keeps_any(br#"{"type":"withdrawn","note":"deposited"}"#),
            Some(false)
        );
        assert_eq!(
            f.keeps_any(br#"{"data":{"type":"deposited"}}"#),
            Some(false)
        );
        // Not an object, no type, a type that is not a string.
        assert_eq!(f.keeps_any(br#""deposited""#), Some(false));
        assert_eq!(f.keeps_any(br#"{"kind":"deposited"}"#), Some(false));
        assert_eq!(f.keeps_any(br#"{"type":["deposited"]}"#), Some(false));
        // Spelled with an escape, or with spaces: still found.
        assert_eq!(f.keeps_any(br#"{"type":"dep\u006fsited"}"#), Some(true));
        assert_eq!(f.keeps_any(br#"{ "type" : "deposited" }"#), Some(true));
        // The last of a key given twice.
        assert_eq!(
            f.keeps_any(br#"{"type":"deposited","type":"x"}"#),
            Some(false)
        );
        // Not JSON alone: the caller judges the line.
        assert_eq!(f.keeps_any(br#"{"type":"deposited"},"x":1"#), None);
        // In the package's own form, a plain type has one spelling: no parse for an escape.
        assert_eq!(
            f.keeps(br#"{"type":"withdrawn","n":"a\"b"}"#, true),
            Some(false)
        );
        assert_eq!(
            f.keeps(br#"{"type":"deposited","n":"a\"b"}"#, true),
            Some(true)
        );
        let quoted = filter("type", &["say \"hi\""]);
        assert_eq!(quoted.keeps(br#"{"type":"say \"hi\""}"#, true), Some(true));
    }

    #[test]
    fn a_stream_filter_matches_strings_and_integers_by_text() {
        let f = TypeFilter::stream("acc", "42".into());
        assert_eq!(f.keeps_any(br#"{"acc":"42"}"#), Some(true));
        assert_eq!(f.keeps_any(br#"{"acc":42}"#), Some(true));
        assert_eq!(f.keeps_any(br#"{"acc":42.0}"#), Some(false));
        assert_eq!(f.keeps_any(br#"{"acc":420}"#), Some(false));
        assert_eq!(f.keeps_any(br#"{"n":42}"#), Some(false));
        let f = TypeFilter::stream("a.id", "x-1".into());
        assert_eq!(f.keeps(br#"{"a":{"id":"x-1"}}"#, true), Some(true));
        assert_eq!(f.keeps(br#"{"a":{"id":"x-2"}}"#, true), Some(false));
    }

    #[test]
    fn a_dotted_key_reads_nested_objects() {
        let f = filter("meta.kind", &["a"]);
        assert_eq!(f.keeps_any(br#"{"meta":{"kind":"a"}}"#), Some(true));
        assert_eq!(
            f.keeps_any(br#"{"meta":{"kind":"b"},"kind":"a"}"#),
            Some(false)
        );
        assert_eq!(f.keeps_any(br#"{"meta":"a"}"#), Some(false));
    }
}
