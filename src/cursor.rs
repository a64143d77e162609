//! The opaque `cursor`s of list pages (the API's, and `/mcp`'s): where the
//! previous page ended, behind a prefix naming the kind of list, in URL-safe
//! base64.

use std::fmt::Display;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{McpServerId, McpServerRecord, ValidationError};
use crate::storage::{Page, ToolSearchCursor};

/// Records: the last id.
const RECORDS: &str = "v1:";
/// A catalog: the last position.
const POSITIONS: &str = "p1:";
/// The tool search: the last server and position.
const SEARCH: &str = "t1:";

fn wrap(prefix: &str, body: impl Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{prefix}{body}"))
}

fn invalid() -> ValidationError {
    ValidationError::new("cursor", "is not a cursor this server issued")
}

/// What follows `prefix` in `cursor`, parsed.
fn unwrap<T: std::str::FromStr>(prefix: &str, cursor: &str) -> Result<T, ValidationError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(prefix)
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())
}

pub fn encode(last: &McpServerId) -> String {
    wrap(RECORDS, last)
}

pub fn decode(cursor: &str) -> Result<McpServerId, ValidationError> {
    unwrap(RECORDS, cursor)
}

/// How many records to read for a page of `page`: one more tells whether
/// another page follows.
pub fn read_ahead(page: u32) -> u64 {
    u64::from(page) + 1
}

/// Cuts a page of records read with `read_ahead(page)` to its count, and
/// answers the cursor of the next page, if one follows.
pub fn cut_page(page_read: &mut Page<McpServerRecord>, page: u32) -> Option<String> {
    page_read.cut(page as usize).map(|last| encode(&last.id))
}

pub fn encode_position(position: u32) -> String {
    wrap(POSITIONS, position)
}

pub fn decode_position(cursor: &str) -> Result<u32, ValidationError> {
    unwrap(POSITIONS, cursor)
}

pub fn encode_search(server: &McpServerId, position: u32) -> String {
    wrap(SEARCH, format!("{server}:{position}"))
}

pub fn decode_search(cursor: &str) -> Result<ToolSearchCursor, ValidationError> {
    let body: String = unwrap(SEARCH, cursor)?;
    let (server, position) = body.split_once(':').ok_or_else(invalid)?;
    Ok((
        server.parse().map_err(|_| invalid())?,
        position.parse().map_err(|_| invalid())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_or_another_kind_is_refused() {
        let id = McpServerId::generate();
        assert_eq!(decode(&encode(&id)).unwrap(), id);
        assert_eq!(decode_position(&encode_position(7)).unwrap(), 7);
        assert_eq!(decode_search(&encode_search(&id, 3)).unwrap(), (id, 3));
        assert!(decode("bm9wZQ").is_err());
        assert!(decode("!!").is_err());
        assert!(decode_position(&encode(&id)).is_err());
        assert!(decode(&encode_search(&id, 3)).is_err());
    }
}
