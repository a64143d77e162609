use super::error::ValidationError;

const MAX_BYTES: usize = 10 * 1024;

/// What an MCP server provides, in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if value.len() > MAX_BYTES {
            return Err(ValidationError::new(
                "description",
                format!(
                    "must be at most {MAX_BYTES} bytes of UTF-8 (got {})",
                    value.len()
                ),
            ));
        }
        Ok(Self(value))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
