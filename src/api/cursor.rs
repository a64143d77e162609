//! The opaque `cursor` of list pages: where the previous page ended.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{McpServerId, ValidationError};

const VERSION: &str = "v1:";

pub fn encode(last: &McpServerId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}{last}"))
}

pub fn decode(cursor: &str) -> Result<McpServerId, ValidationError> {
    let invalid = || ValidationError::new("cursor", "is not a cursor this server issued");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(VERSION)
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let id = McpServerId::generate();
        assert_eq!(decode(&encode(&id)).unwrap(), id);
        assert!(decode("bm9wZQ").is_err());
        assert!(decode("!!").is_err());
    }
}
