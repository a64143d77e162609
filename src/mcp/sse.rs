//! Reading an MCP server's event stream: whole events as the bytes arrive,
//! within a cap per event, and what each one says.

use bytes::Bytes;
use sse_stream::Sse;

/// A buffer this small is not counted in the answers' room: every stream,
/// idle or not, keeps one.
const KEPT_BYTES: usize = 8 * 1024;

/// Splits an event stream into whole events, each with its closing blank
/// line, as the bytes arrive; an event may not grow past `max_bytes`.
pub struct EventSplitter {
    buffer: Vec<u8>,
    /// Scanned up to here for line ends.
    scanned: usize,
    /// Where the current line began.
    line_start: usize,
    max_bytes: usize,
    /// The stream has ended: nothing more will come.
    at_end: bool,
}

impl EventSplitter {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            buffer: Vec::new(),
            scanned: 0,
            line_start: 0,
            max_bytes,
            at_end: false,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// Bytes the splitter holds (what it has room for) beyond the little
    /// every stream keeps: an idle stream holds none of the answers' room.
    pub fn held_bytes(&self) -> usize {
        let capacity = self.buffer.capacity();
        if capacity > KEPT_BYTES { capacity } else { 0 }
    }

    /// No event is half-read: something else may go out now.
    pub fn is_between_events(&self) -> bool {
        self.buffer.is_empty()
    }

    pub fn is_over(&self) -> bool {
        self.buffer.len() > self.max_bytes
    }

    /// The next whole event, if one has arrived.
    pub fn next_event(&mut self) -> Option<Bytes> {
        let bytes = &self.buffer;
        let mut at = self.scanned;
        while at < bytes.len() {
            let line_end = match bytes[at] {
                b'\n' => 1,
                // A CR at the end may be the first half of a CRLF: wait.
                b'\r' if at + 1 == bytes.len() && !self.at_end => break,
                b'\r' if bytes.get(at + 1) == Some(&b'\n') => 2,
                b'\r' => 1,
                _ => {
                    at += 1;
                    continue;
                }
            };
            let blank_line = at == self.line_start;
            at += line_end;
            self.line_start = at;
            if blank_line {
                // The event keeps the buffer (not copied: it may be MBs),
                // the rest of what came goes on in a new one, no larger
                // than it needs.
                let rest = self.buffer.split_off(at);
                let event = std::mem::replace(&mut self.buffer, rest);
                self.scanned = 0;
                self.line_start = 0;
                return Some(Bytes::from(event));
            }
        }
        self.scanned = at;
        if !self.at_end || self.buffer.is_empty() {
            return None;
        }
        // An event cut short of its blank line still goes on, completed.
        let mut event = std::mem::take(&mut self.buffer);
        let ends_a_line = matches!(event.last(), Some(b'\n' | b'\r'));
        event.extend_from_slice(if ends_a_line { b"\n" } else { b"\n\n" });
        (self.scanned, self.line_start) = (0, 0);
        Some(Bytes::from(event))
    }

    /// The stream has ended: what is left goes out as the last event.
    pub fn finish(&mut self) {
        self.at_end = true;
    }
}

/// The fields of an event's lines (`name: value`), its comments left out.
fn fields(event: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    event
        .split(|b| *b == b'\n' || *b == b'\r')
        .filter(|line| !line.is_empty() && !line.starts_with(b":"))
        .map(|line| match line.iter().position(|b| *b == b':') {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        })
}

/// The data of an event (its `data:` lines joined), the JSON-RPC message.
pub fn event_data(event: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    for (_, value) in fields(event).filter(|(name, _)| *name == b"data") {
        if !data.is_empty() {
            data.push(b'\n');
        }
        data.extend_from_slice(value);
    }
    data
}

/// Whether an event names its id (and so can be resumed after).
pub fn has_id(event: &[u8]) -> bool {
    fields(event).any(|(name, _)| name == b"id")
}

/// An event as the SDK's client reads it.
pub fn sse_of(event: &[u8]) -> Sse {
    let text = |value: &[u8]| String::from_utf8_lossy(value).into_owned();
    let mut sse = Sse::default();
    for (name, value) in fields(event) {
        match name {
            b"event" => sse.event = Some(text(value)),
            b"id" => sse.id = Some(text(value)),
            b"retry" => sse.retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()),
            _ => {}
        }
    }
    let data = event_data(event);
    if !data.is_empty() || fields(event).any(|(name, _)| name == b"data") {
        sse.data = Some(String::from_utf8(data).unwrap_or_else(|e| text(e.as_bytes())));
    }
    sse
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_whatever_the_line_ends_and_chunks() {
        let stream = b"id: 1\ndata: {\"a\":1}\n\n: comment\r\n\r\ndata: x\rdata: y\r\r";
        for chunk_size in [1, 2, 3, 7, stream.len()] {
            let mut splitter = EventSplitter::new(1024);
            let mut events = Vec::new();
            for chunk in stream.chunks(chunk_size) {
                splitter.push(chunk);
                while let Some(event) = splitter.next_event() {
                    events.push(event);
                }
            }
            splitter.finish();
            while let Some(event) = splitter.next_event() {
                events.push(event);
            }
            assert_eq!(
                events,
                vec![
                    Bytes::from_static(b"id: 1\ndata: {\"a\":1}\n\n"),
                    Bytes::from_static(b": comment\r\n\r\n"),
                    Bytes::from_static(b"data: x\rdata: y\r\r"),
                ],
                "chunks of {chunk_size}"
            );
        }
        assert_eq!(event_data(b"id: 1\ndata: {\"a\":1}\n\n"), b"{\"a\":1}");
        assert_eq!(event_data(b"data: x\rdata:y\r\r"), b"x\ny");
        assert!(has_id(b"id: 1\ndata: {}\n\n") && !has_id(b"data: {\"id\": 1}\n\n"));
        let sse = sse_of(
            b": hi\r\nevent: message\r\nid: 7\r\nretry: 300\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n",
        );
        assert_eq!(sse.event.as_deref(), Some("message"));
        assert_eq!(sse.id.as_deref(), Some("7"));
        assert_eq!(sse.retry, Some(300));
        assert_eq!(sse.data.as_deref(), Some("{\"a\":\n1}"));
        assert_eq!(sse_of(b": only a comment\n\n").data, None);
    }

    #[test]
    fn an_event_cut_short_is_completed_when_the_stream_ends() {
        let mut splitter = EventSplitter::new(64);
        splitter.push(b"data: {}");
        assert!(splitter.next_event().is_none());
        splitter.finish();
        assert_eq!(
            splitter.next_event(),
            Some(Bytes::from_static(b"data: {}\n\n"))
        );
    }

    #[test]
    fn a_large_event_holds_room_until_it_is_taken_and_an_idle_stream_none() {
        let mut splitter = EventSplitter::new(1024 * 1024);
        splitter.push(b"data: {}\n\n");
        assert!(splitter.next_event().is_some());
        assert_eq!(splitter.held_bytes(), 0);
        splitter.push(b"data: ");
        splitter.push(&[b'x'; 200_000]);
        assert!(splitter.held_bytes() >= 200_000);
        splitter.push(b"\n\ndata: next");
        assert!(splitter.next_event().is_some());
        assert_eq!(splitter.held_bytes(), 0, "the buffer shrinks back");
    }

    #[test]
    fn an_event_past_the_cap_is_noticed_before_it_ends() {
        let mut splitter = EventSplitter::new(8);
        splitter.push(b"data: 0123456789");
        assert!(splitter.next_event().is_none());
        assert!(splitter.is_over());
    }
}
