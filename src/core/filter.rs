//! Filtering before parsing: a consumer that asks only for some event types is handed only
//! those lines. The others are passed over in the core, most of them without being parsed at
//! all: a line whose text does not hold any wanted type as a JSON string cannot have it (a
//! line with a backslash is the exception, since an escape can spell a type differently, and
//! is parsed). A line that does hold one is parsed to read its type field for certain.

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
        TypeFilter {
            path: key.split('.').map(str::to_string).collect(),
            types,
            needles,
        }
    }

    /// Whether the event (its JSON text) has one of the types; `None` if the text is not
    /// JSON alone (the caller judges the whole line, `line.rs`, and asks again).
    pub fn keeps(&self, event: &[u8]) -> Option<bool> {
        let plain = memchr::memchr(b'\\', event).is_none();
        if plain && !self.needles.iter().any(|n| n.find(event).is_some()) {
            return Some(false);
        }
        let value = value_at(event, &self.path)?;
        Some(match value {
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

    fn filter(key: &str, types: &[&str]) -> TypeFilter {
        TypeFilter::new(key, types.iter().map(|t| t.to_string()).collect())
    }

    #[test]
    fn keeps_the_types_asked_for() {
        let f = filter("type", &["deposited", "opened"]);
        assert_eq!(f.keeps(br#"{"type":"deposited","amount":1}"#), Some(true));
        assert_eq!(f.keeps(br#"{"amount":1,"type":"opened"}"#), Some(true));
        assert_eq!(f.keeps(br#"{"type":"withdrawn"}"#), Some(false));
        // The word elsewhere is not the type.
        assert_eq!(
            f.keeps(br#"{"type":"withdrawn","note":"deposited"}"#),
            Some(false)
        );
        assert_eq!(f.keeps(br#"{"data":{"type":"deposited"}}"#), Some(false));
        // Not an object, no type, a type that is not a string.
        assert_eq!(f.keeps(br#""deposited""#), Some(false));
        assert_eq!(f.keeps(br#"{"kind":"deposited"}"#), Some(false));
        assert_eq!(f.keeps(br#"{"type":["deposited"]}"#), Some(false));
        // Spelled with an escape, or with spaces: still found.
        assert_eq!(f.keeps(br#"{"type":"dep\u006fsited"}"#), Some(true));
        assert_eq!(f.keeps(br#"{ "type" : "deposited" }"#), Some(true));
        // The last of a key given twice.
        assert_eq!(f.keeps(br#"{"type":"deposited","type":"x"}"#), Some(false));
        // Not JSON alone: the caller judges the line.
        assert_eq!(f.keeps(br#"{"type":"deposited"},"x":1"#), None);
    }

    #[test]
    fn a_dotted_key_reads_nested_objects() {
        let f = filter("meta.kind", &["a"]);
        assert_eq!(f.keeps(br#"{"meta":{"kind":"a"}}"#), Some(true));
        assert_eq!(f.keeps(br#"{"meta":{"kind":"b"},"kind":"a"}"#), Some(false));
        assert_eq!(f.keeps(br#"{"meta":"a"}"#), Some(false));
    }
}
