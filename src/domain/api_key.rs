use secrecy::{ExposeSecret, SecretString};

use super::error::ValidationError;

const MAX_BYTES: usize = 4 * 1024;

/// The API key the registry presents to an MCP server. Write-only: its `Debug`
/// prints a mask, and it is exposed only to be sealed.
#[derive(Debug, Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        let error = |rule: String| Err(ValidationError::new("api_key", rule));
        if value.is_empty() {
            return error("must not be empty; send null or omit it for no key".into());
        }
        if value.len() > MAX_BYTES {
            return error(format!("must be at most {MAX_BYTES} bytes"));
        }
        Ok(Self(value.into()))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::parse("sk-live-123456".into()).unwrap();
        assert!(!format!("{key:?}").contains("sk-live"));
    }
}
