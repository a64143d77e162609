//! What data costs once held in memory, for the budgets that bound it.

/// What a JSON text costs once parsed into values: its bytes, and a value's
/// size for each value or key in it, as `[0,0,0]` takes 6 bytes of text and
/// over 100 parsed. Separators inside strings count too, so this errs on the
/// safe side.
pub fn parsed_json_bytes(text: &[u8]) -> usize {
    const VALUE_BYTES: usize = std::mem::size_of::<serde_json::Value>();
    text.len() + json_values(text) * VALUE_BYTES
}

/// How many values and keys a JSON text holds, at most: one after each
/// separator or opening (inside strings too, so never fewer).
pub fn json_values(text: &[u8]) -> usize {
    text.iter()
        .filter(|byte| matches!(byte, b',' | b'[' | b'{' | b':'))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_values_cost_far_more_than_their_text() {
        assert_eq!(parsed_json_bytes(b"\"text\""), 6);
        assert!(parsed_json_bytes(b"[0,0,0]") >= 7 + 3 * 32);
    }
}
