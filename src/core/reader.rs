//! Reading one day line by line, from wherever it lives (`source.rs`), with big sequential
//! reads and memory bounded by the batch, never past the last newline: a line still being
//! written (or torn by a crash) is left for later, and its bytes are read afresh then, since a
//! writer may cut a torn tail and write another line in its place.

use std::fs::File;
use std::io;

use crate::source::DaySource;

const INITIAL_BUFFER: usize = 256 * 1024;

pub struct LineReader {
    /// The day's logfile as shown to the user.
    path: String,
    source: DaySource,
    /// File offset of `buf[start]`: always the start of a line.
    offset: u64,
    /// Complete lines consumed so far.
    lines: u64,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `buf[start..scanned]` is known to hold no newline.
    scanned: usize,
    /// Bytes after the last complete line at the last end of file.
    partial: usize,
}

/// Why `read_lines` returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// A limit was reached; more complete lines may follow at once.
    Limit,
    /// No further complete line is in the file yet.
    EndOfFile,
}

impl LineReader {
    /// Opens a local logfile.
    pub fn open(path: &str) -> io::Result<LineReader> {
        Ok(LineReader::new(path, DaySource::Local(File::open(path)?)))
    }

    /// A reader at the start of `source`, shown as `path`.
    pub fn new(path: &str, source: DaySource) -> LineReader {
        LineReader {
            path: path.to_string(),
            source,
            offset: 0,
            lines: 0,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            scanned: 0,
            partial: 0,
        }
    }

    /// Moves on to another day, keeping the buffer (days can be many and short).
    pub fn reopen(&mut self, path: &str, source: DaySource) {
        self.path.clear();
        self.path.push_str(path);
        self.source = source;
        self.restart_at(0, 0);
    }

    /// Starts reading at byte `offset`, the start of line number `line` (from an index). The
    /// index is not trusted: unless the byte before `offset` is a newline, the reader stays
    /// where it is and returns `false`.
    pub fn seek(&mut self, offset: u64, line: u64) -> io::Result<bool> {
        if offset > 0 {
            let mut before = [0u8; 1];
            if self.source.read_at(&mut before, offset - 1)? != 1 || before[0] != b'\n' {
                return Ok(false);
            }
        }
        self.restart_at(offset, line);
        Ok(true)
    }

    /// Reads on from byte `offset`, line number `line`, with nothing buffered.
    fn restart_at(&mut self, offset: u64, line: u64) {
        self.offset = offset;
        self.lines = line;
        self.start = 0;
        self.end = 0;
        self.scanned = 0;
        self.partial = 0;
    }

    pub fn source(&self) -> &DaySource {
        &self.source
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Complete lines consumed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes of an incomplete last line seen at the last end of file.
    pub fn partial_tail(&self) -> usize {
        self.partial
    }

    /// The size the file now has, and how far we have read in it.
    pub fn sizes(&self) -> io::Result<(u64, u64)> {
        Ok((self.source.size()?, self.offset))
    }

    /// Hands each complete line (without its newline) to `f` until `max_lines` lines or
    /// `max_bytes` bytes were handed over, or the file has no further complete line.
    pub fn read_lines(
        &mut self,
        max_lines: usize,
        max_bytes: usize,
        mut f: impl FnMut(&[u8]),
    ) -> io::Result<Stop> {
        let (mut n, mut bytes) = (0usize, 0usize);
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let line_end = self.scanned + i;
                f(&self.buf[self.start..line_end]);
                let consumed = line_end + 1 - self.start;
                self.start = line_end + 1;
                self.scanned = self.start;
                self.offset += consumed as u64;
                self.lines += 1;
                n += 1;
                bytes += consumed;
                if n >= max_lines || bytes >= max_bytes {
                    return Ok(Stop::Limit);
                }
                continue;
            }
            self.scanned = self.end;
            // Need more bytes: move what is left to the front, grow for lines longer than
            // the buffer, then read on.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.scanned = self.end;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let grown = self.buf.len() * 2;
                self.buf.resize(grown, 0);
            }
            let read = self
                .source
                .read_at(&mut self.buf[self.end..], self.offset + self.end as u64)?;
            if read == 0 {
                self.partial = self.end;
                // Forget the incomplete line; it is read again once complete.
                self.end = 0;
                self.scanned = 0;
                if self.buf.len() > INITIAL_BUFFER {
                    self.buf = vec![0; INITIAL_BUFFER];
                }
                return Ok(Stop::EndOfFile);
            }
            self.end += read;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(r: &mut LineReader, max: usize) -> (Vec<String>, Stop) {
        let mut out = Vec::new();
        let stop = r
            .read_lines(max, usize::MAX, |l| {
                out.push(String::from_utf8_lossy(l).into_owned())
            })
            .unwrap();
        (out, stop)
    }

    #[test]
    fn never_delivers_a_torn_last_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.log");
        std::fs::write(&path, "a\nb\n{\"half").unwrap();
        let mut r = LineReader::open(path.to_str().unwrap()).unwrap();
        assert_eq!(
            collect(&mut r, 100),
            (vec!["a".into(), "b".into()], Stop::EndOfFile)
        );
        assert_eq!(r.partial_tail(), 6);
        // The writer completes the line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"\"}\n").unwrap();
        assert_eq!(
            collect(&mut r, 100),
            (vec!["{\"half\"}".into()], Stop::EndOfFile)
        );
        assert_eq!(r.lines(), 3);
    }

    #[test]
    fn a_cut_and_replaced_tail_is_read_afresh() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.log");
        std::fs::write(&path, "a\ntorn-by-a-crash").unwrap();
        let mut r = LineReader::open(path.to_str().unwrap()).unwrap();
        assert_eq!(collect(&mut r, 100).0, vec!["a".to_string()]);
        std::fs::write(&path, "a\nnew\n").unwrap();
        assert_eq!(collect(&mut r, 100).0, vec!["new".to_string()]);
    }

    #[test]
    fn seeks_only_to_line_starts_and_reopens_with_its_buffer() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.log");
        std::fs::write(&path, "aa\nbb\ncc\n").unwrap();
        let mut r = LineReader::open(path.to_str().unwrap()).unwrap();
        assert!(!r.seek(4, 1).unwrap(), "offset 4 is inside a line");
        assert!(r.seek(3, 1).unwrap());
        assert_eq!(
            collect(&mut r, 100).0,
            vec!["bb".to_string(), "cc".to_string()]
        );
        assert_eq!(r.lines(), 3);
        let other = tmp.path().join("g.log");
        std::fs::write(&other, "x\n").unwrap();
        r.reopen("g", DaySource::Local(File::open(&other).unwrap()));
        assert_eq!(
            (collect(&mut r, 100).0, r.lines(), r.path()),
            (vec!["x".to_string()], 1, "g")
        );
    }

    #[test]
    fn limits_and_lines_longer_than_the_buffer() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.log");
        let long = "x".repeat(3 * INITIAL_BUFFER + 17);
        std::fs::write(&path, format!("1\n{long}\n3\n")).unwrap();
        let mut r = LineReader::open(path.to_str().unwrap()).unwrap();
        assert_eq!(collect(&mut r, 1), (vec!["1".into()], Stop::Limit));
        let (lines, stop) = collect(&mut r, 10);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), long.len());
        assert_eq!(stop, Stop::EndOfFile);
    }
}
