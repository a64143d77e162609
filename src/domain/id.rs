use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::error::ValidationError;

const PREFIX: &str = "mcp_";

/// `mcp_` and the 32 lowercase hex digits of a UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct McpServerId(Uuid);

impl McpServerId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

impl fmt::Display for McpServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.0.simple())
    }
}

impl FromStr for McpServerId {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid =
            || ValidationError::new("id", "must be mcp_ followed by 32 lowercase hex digits");
        let hex = value.strip_prefix(PREFIX).ok_or_else(invalid)?;
        let well_formed = hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(invalid());
        }
        Uuid::try_parse(hex).map(Self).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_prefix_and_32_lowercase_hex_digits_and_parses_back() {
        let id = McpServerId::generate();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<McpServerId>().unwrap(), id);
    }

    #[test]
    fn rejects_uppercase_and_short_forms() {
        assert!(
            "mcp_01933B5A000070008000000000000001"
                .parse::<McpServerId>()
                .is_err()
        );
        assert!(
            "mcp_01933b5a00007000800000000000001"
                .parse::<McpServerId>()
                .is_err()
        );
    }
}
