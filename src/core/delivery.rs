//! A delivery: what a consumer hands JavaScript at once — up to `BATCH_LINES` lines, possibly
//! from several days — in the form that is cheapest to turn into events there.
//!
//! Our lines (and the original package's) are exactly `{"event":E,"meta":{"id":"I"}}` with a
//! 32-character id. A delivery carries only the `E`s, as the text of one JSON array, and the
//! ids side by side as one string, so JavaScript parses the events alone (no wrapper objects to
//! build and drop). A line of any other shape is judged here by the one rule (`line.rs`): an
//! event's text joins the array and its id, whatever it is, goes in `other_ids`; a corrupt
//! line is `null` in the array and its error is in `corrupt`, in order, so it still counts as
//! a position and is reported, never fatal.

use std::sync::Arc;

use crate::error::Error;
use crate::filter::TypeFilter;
pub use crate::line::ID_LEN;
use crate::line::{judge, split, Judged};

/// Most lines in one delivery.
pub const BATCH_LINES: usize = 256;
/// Most bytes in one delivery (a single longer line still goes whole).
pub const BATCH_BYTES: usize = 1 << 20;
/// Most days one delivery spans (short days go together; empty ones still say open/close).
pub const BATCH_DAYS: usize = 64;
/// Most lines a filtered consumer reads for one delivery (most may be passed over).
pub const SCAN_LINES: usize = 64 * BATCH_LINES;

/// One hand-over to JavaScript, applied in order: each segment's `closed`, `opened` and lines,
/// then `synced`, then `error`.
#[derive(Debug, Default)]
pub struct Delivery {
    /// The `count` events as a JSON array text, elements separated by `"\n,"` (a line never
    /// holds a newline, so the separator is unambiguous).
    pub events: String,
    /// Each line's id, `ID_LEN` characters per line (spaces for the lines of `other_ids`
    /// and `corrupt`).
    pub ids: String,
    /// Lines not in our exact form that are events: their index and id (if they have one).
    pub other_ids: Vec<(u32, Option<String>)>,
    /// Corrupt lines (`null` in `events`): their index and the error to report.
    pub corrupt: Vec<(u32, Error)>,
    pub count: usize,
    /// The days the lines come from, in order (at least one when there are lines).
    pub segments: Vec<Segment>,
    /// After these lines the consumer has caught up with everything written so far.
    pub synced: Option<Synced>,
    /// Something the user should know of; the consumer goes on.
    pub error: Option<Error>,
    /// For a filtered consumer (their lines are not consecutive), each line's position and
    /// the position of the line before it in the log; empty otherwise.
    pub positions: Vec<u64>,
    pub prev_positions: Vec<Option<u64>>,
    /// For a filtered consumer, the last line read (delivered or passed over): once the
    /// delivery is handled, a named consumer's checkpoint moves there.
    pub last_pos: Option<u64>,
}

/// The lines of one day within a delivery, from index `at` to the next segment's `at`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub at: usize,
    /// The logfile the consumer finished before these lines.
    pub closed: Option<String>,
    /// The logfile the consumer started before these lines.
    pub opened: Option<String>,
    /// Position of line `at`; the others follow one by one.
    pub first_pos: u64,
    /// Position of the line before it.
    pub prev_pos: Option<u64>,
}

#[derive(Debug)]
pub struct Synced {
    /// The logfile caught up in (today's, if there is none yet).
    pub logfile: String,
    /// Lines in it.
    pub rows: u64,
    /// The position the next line will have in it.
    pub next_pos: u64,
}

/// A delivery being filled.
#[derive(Default)]
pub struct Batch {
    events: Vec<u8>,
    ids: Vec<u8>,
    other_ids: Vec<(u32, Option<String>)>,
    corrupt: Vec<(u32, Error)>,
    pub count: usize,
    /// Lines read, delivered or passed over.
    pub consumed: usize,
    segments: Vec<Segment>,
    /// A new day was entered: the next line starts a segment.
    day_changed: bool,
    /// Only events of these types are delivered; the others are passed over.
    filter: Option<Arc<TypeFilter>>,
    positions: Vec<u64>,
    prev_positions: Vec<Option<u64>>,
    /// Lines passed over by the filter, and the last line read.
    pub passed: usize,
    last_pos: Option<u64>,
}

impl Batch {
    /// A batch for a consumer, with its filter if it has one.
    pub fn new(filter: Option<Arc<TypeFilter>>) -> Batch {
        // Buffers are allocated with the first line: most live wake-ups find nothing new.
        Batch {
            filter,
            ..Batch::default()
        }
    }

    /// Whether a filtered batch may read on: it holds few events so far, and has not read
    /// so many lines that its consumer should hear of them (its checkpoint, a stop).
    pub fn wants_more(&self) -> bool {
        self.filter.is_some()
            && self.count < BATCH_LINES
            && self.events.len() < BATCH_BYTES
            && self.consumed < SCAN_LINES
    }

    /// Bytes of events so far.
    pub fn bytes(&self) -> usize {
        self.events.len()
    }

    pub fn days(&self) -> usize {
        self.segments.len()
    }

    /// Marks a move to another day (`closed`, `opened`: the logfiles, as shown); its lines
    /// then start a segment of their own.
    pub fn switch_day(&mut self, closed: Option<String>, opened: Option<String>) {
        self.segments.push(Segment {
            at: self.count,
            closed,
            opened,
            ..Segment::default()
        });
        self.day_changed = true;
    }

    /// Adds line `line` (without its newline) at `pos`; `prev_pos` is the line before it,
    /// `file` the logfile it is in (as shown), for the error of a corrupt line. A filtered
    /// batch passes over the events of other types.
    pub fn push(&mut self, line: &[u8], pos: u64, prev_pos: Option<u64>, file: &str) {
        if let Some(filter) = &self.filter {
            self.last_pos = Some(pos);
            if !keeps(filter, line) {
                self.passed += 1;
                return;
            }
            self.positions.push(pos);
            self.prev_positions.push(prev_pos);
        }
        if self.count == 0 {
            self.events.reserve(64 * 1024);
            self.ids.reserve(ID_LEN * BATCH_LINES);
            self.events.push(b'[');
        } else {
            self.events.extend_from_slice(b"\n,");
        }
        if self.count == 0 || self.day_changed {
            match self.segments.last_mut() {
                // The segment a day switch opened, still without lines.
                Some(s) if self.day_changed && s.at == self.count => {
                    s.first_pos = pos;
                    s.prev_pos = prev_pos;
                }
                _ => self.segments.push(Segment {
                    at: self.count,
                    first_pos: pos,
                    prev_pos,
                    ..Segment::default()
                }),
            }
            self.day_changed = false;
        }
        match split(line) {
            Some((event, id)) => {
                self.events.extend_from_slice(event);
                self.ids.extend_from_slice(id);
            }
            None => {
                self.ids.extend_from_slice(&[b' '; ID_LEN]);
                match judge(line) {
                    Judged::Event { event, id } => {
                        self.events.extend_from_slice(event.as_bytes());
                        self.other_ids.push((self.count as u32, id));
                    }
                    Judged::Corrupt(detail) => {
                        self.events.extend_from_slice(b"null");
                        let error = Error::CorruptLine {
                            file: file.to_string(),
                            line: crate::position::line_of(pos) + 1,
                            pos,
                            detail,
                        };
                        self.corrupt.push((self.count as u32, error));
                    }
                }
            }
        }
        self.count += 1;
    }

    /// Whether there is anything to hand over (lines, days opened or closed, or lines a
    /// filter passed over).
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.segments.is_empty() && self.passed == 0
    }

    pub fn finish(mut self, synced: Option<Synced>) -> Delivery {
        if self.count > 0 {
            self.events.push(b']');
        }
        Delivery {
            events: text(self.events),
            // Ids are ASCII by construction; spaces stand for raw lines.
            ids: text(self.ids),
            other_ids: self.other_ids,
            corrupt: self.corrupt,
            count: self.count,
            segments: self.segments,
            synced,
            error: None,
            positions: self.positions,
            prev_positions: self.prev_positions,
            last_pos: self.last_pos,
        }
    }
}

/// Whether a filtered consumer gets this line: an event of one of its types, or a corrupt
/// line (reported to every consumer, as `verify` would).
fn keeps(filter: &TypeFilter, line: &[u8]) -> bool {
    let judged = || match judge(line) {
        Judged::Event { event, .. } => filter.keeps(event.as_bytes(), false).unwrap_or(false),
        Judged::Corrupt(_) => true,
    };
    match split(line) {
        Some((event, _)) => filter.keeps(event, true).unwrap_or_else(judged),
        None => judged(),
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdefghijABCDEFGHIJ01";

    fn ours(event: &str) -> String {
        format!("{{\"event\":{event},\"meta\":{{\"id\":\"{ID}\"}}}}")
    }

    #[test]
    fn other_lines_are_judged_by_the_rule() {
        let mut b = Batch::new(None);
        b.push(ours("1").as_bytes(), 100, None, "d1");
        b.push(
            br#"{"meta":{"id":"abc"},"event":{"a":2}}"#,
            101,
            Some(100),
            "d1",
        );
        b.push(br#"{"event":3,"meta":{}}"#, 102, Some(101), "d1");
        b.push(b"[1,2]", 103, Some(102), "d1");
        b.push(br#"{"meta":{"id":"abc"}}"#, 104, Some(103), "d1");
        let d = b.finish(None);
        assert_eq!(d.events, "[1\n,{\"a\":2}\n,3\n,null\n,null]");
        assert_eq!(d.other_ids, vec![(1, Some("abc".into())), (2, None)]);
        let corrupt: Vec<_> = d
            .corrupt
            .iter()
            .map(|(k, e)| match e {
                Error::CorruptLine {
                    file, line, pos, ..
                } => (*k, file.as_str(), *line, *pos),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(corrupt, vec![(3, "d1", 104, 103), (4, "d1", 105, 104)]);
    }

    #[test]
    fn batches_keep_days_apart() {
        let mut b = Batch::new(None);
        b.switch_day(None, Some("d1".into()));
        b.push(ours("1").as_bytes(), 100, None, "d1");
        b.push(b"junk", 101, Some(100), "d1");
        b.switch_day(Some("d1".into()), Some("d2".into()));
        b.switch_day(Some("d2".into()), Some("d3".into()));
        b.push(ours("\"x\"").as_bytes(), 300, Some(101), "d3");
        let d = b.finish(None);
        assert_eq!(d.events, "[1\n,null\n,\"x\"]");
        assert_eq!(d.ids, format!("{ID}{}{ID}", " ".repeat(32)));
        assert_eq!(d.corrupt.len(), 1);
        let segs: Vec<_> = d
            .segments
            .iter()
            .map(|s| {
                (
                    s.at,
                    s.closed.as_deref(),
                    s.opened.as_deref(),
                    s.first_pos,
                    s.prev_pos,
                )
            })
            .collect();
        assert_eq!(
            segs,
            vec![
                (0, None, Some("d1"), 100, None),
                (2, Some("d1"), Some("d2"), 0, None),
                (2, Some("d2"), Some("d3"), 300, Some(101)),
            ]
        );
    }

    #[test]
    fn a_filtered_batch_passes_over_other_types_and_says_where_each_line_is() {
        let filter = TypeFilter::new("type", vec!["a".into()]);
        let mut b = Batch::new(Some(Arc::new(filter)));
        b.push(ours(r#"{"type":"b"}"#).as_bytes(), 100, None, "d1");
        b.push(
            ours(r#"{"type":"a","n":1}"#).as_bytes(),
            101,
            Some(100),
            "d1",
        );
        b.push(b"junk", 102, Some(101), "d1");
        b.push(ours(r#"{"type":"b"}"#).as_bytes(), 103, Some(102), "d1");
        // Not JSON alone: judged as a whole line, an event of type a.
        b.push(
            format!("{{\"event\":{{\"type\":\"a\"}},\"x\":1,\"meta\":{{\"id\":\"{ID}\"}}}}")
                .as_bytes(),
            104,
            Some(103),
            "d1",
        );
        b.push(ours(r#"{"type":"c"}"#).as_bytes(), 105, Some(104), "d1");
        assert!(!b.is_empty());
        let d = b.finish(None);
        assert_eq!(
            d.count, 3,
            "two of type a, and the corrupt line (reported to every consumer)"
        );
        assert_eq!(d.positions, vec![101, 102, 104]);
        assert_eq!(d.prev_positions, vec![Some(100), Some(101), Some(103)]);
        assert_eq!(d.last_pos, Some(105));
        assert_eq!(d.corrupt.len(), 1);
        // Only lines passed over: still handed over, so a checkpoint can move.
        let mut only = Batch::new(Some(Arc::new(TypeFilter::new("type", vec!["z".into()]))));
        only.push(ours(r#"{"type":"b"}"#).as_bytes(), 200, None, "d1");
        assert!(!only.is_empty());
        assert_eq!(only.finish(None).last_pos, Some(200));
    }
}
