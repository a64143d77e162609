use super::error::ValidationError;

const MAX_BYTES: usize = 255;

/// The key a client sends to make retrying a create safe: 1 to 255 visible
/// ASCII characters, so it can be stored, compared and logged as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if value.is_empty()
            || value.len() > MAX_BYTES
            || !value.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ValidationError::new(
                "Idempotency-Key",
                format!("must be 1 to {MAX_BYTES} visible ASCII characters"),
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_ascii_up_to_255_bytes_and_nothing_else() {
        assert!(IdempotencyKey::parse("order-42_retry.1".into()).is_ok());
        assert!(IdempotencyKey::parse("k".repeat(255)).is_ok());
        for bad in ["", "with space", "tab\t", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad.into()).is_err(), "{bad:?}");
        }
    }
}
