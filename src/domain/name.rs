use super::error::ValidationError;

const MAX_CHARS: usize = 255;

/// The unique, human-chosen name of an MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerName(String);

impl ServerName {
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        let error = |rule: &str| Err(ValidationError::new("name", rule));
        let chars = value.chars().count();
        if chars == 0 {
            return error("must not be empty");
        }
        if chars > MAX_CHARS {
            return error(&format!(
                "must be at most {MAX_CHARS} characters (got {chars})"
            ));
        }
        if value.trim() != value {
            return error("must not start or end with whitespace");
        }
        if value.chars().any(char::is_control) {
            return error("must not contain control characters");
        }
        Ok(Self(value))
    }

    /// A name read back from storage, where it was stored only after `parse`.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form the unique index compares: names that differ only in case collide.
    pub fn uniqueness_key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_in_case_share_a_key() {
        let a = ServerName::parse("GitHub".into()).unwrap();
        let b = ServerName::parse("github".into()).unwrap();
        assert_eq!(a.uniqueness_key(), b.uniqueness_key());
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(ServerName::parse("é".repeat(255)).is_ok());
        assert!(ServerName::parse("é".repeat(256)).is_err());
    }
}
