use sha2::{Digest, Sha256};

use super::error::ValidationError;

const MAX_BYTES: usize = 255;

/// The key a client sends to make retrying a create safe (1 to 255 visible
/// ASCII characters), held as it is stored: hashed with the caller who sent
/// it. Keys are the caller's own, so no one can replay another's key with a
/// guess of what was sent (a write-only secret) and learn from 201 or 422
/// whether the guess was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `value` as sent by `caller` (a token's name; anonymous callers share one).
    pub fn parse(value: String, caller: &str) -> Result<Self, ValidationError> {
        if value.is_empty()
            || value.len() > MAX_BYTES
            || !value.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ValidationError::new(
                "Idempotency-Key",
                format!("must be 1 to {MAX_BYTES} visible ASCII characters"),
            ));
        }
        // The caller's name comes with its length: no two (caller, key)
        // pairs run together into the same bytes.
        let digest = Sha256::new()
            .chain_update((caller.len() as u64).to_be_bytes())
            .chain_update(caller)
            .chain_update(&value)
            .finalize();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(Self(format!("{SCOPED}{hex}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a stored scoped key begins with (earlier keys were stored as sent).
const SCOPED: &str = "scoped:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_ascii_up_to_255_bytes_and_nothing_else() {
        assert!(IdempotencyKey::parse("order-42_retry.1".into(), "a").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(255), "a").is_ok());
        for bad in ["", "with space", "tab\t", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad.into(), "a").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_key_is_its_callers_own() {
        let key = |value: &str, caller: &str| IdempotencyKey::parse(value.into(), caller).unwrap();
        assert_eq!(key("k1", "agent"), key("k1", "agent"));
        assert_ne!(key("k1", "agent"), key("k1", "deployer"));
        assert_ne!(
            key("1k1", "agent"),
            key("k1", "agent1"),
            "no running together"
        );
        assert!(key("k1", "agent").as_str().len() <= MAX_BYTES);
    }
}
