use super::error::ValidationError;

/// As in the MCP registry's `server.json`.
const MAX_CHARS: usize = 255;

/// The version of the MCP server a record describes (not the record's own
/// revision, which is its ETag): a Semantic Versioning 2.0.0 string, as the
/// MCP Registry API publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release(String);

impl Release {
    /// What a record that was given none carries.
    pub const DEFAULT: &'static str = "1.0.0";

    pub fn parse(value: String) -> Result<Self, ValidationError> {
        let error = |rule: String| Err(ValidationError::new("version", rule));
        let chars = value.chars().count();
        if chars > MAX_CHARS {
            return error(format!(
                "must be at most {MAX_CHARS} characters (got {chars})"
            ));
        }
        if semver::Version::parse(&value).is_err() {
            return error(format!(
                "must be a Semantic Versioning 2.0.0 version such as 1.4.2 or 2.0.0-rc.1 (got {value:?})"
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

impl Default for Release {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantic_versions_only() {
        for good in ["1.0.0", "0.4.2-beta.1", "2.0.0+build.7", Release::DEFAULT] {
            assert_eq!(Release::parse(good.into()).unwrap().as_str(), good);
        }
        for bad in [
            "", "1", "1.0", "v1.0.0", "latest", "^1.2.0", "1.0.0 ", "01.0.0",
        ] {
            let err = Release::parse(bad.into()).unwrap_err();
            assert!(err.to_string().contains("version"), "{bad}: {err}");
        }
        assert!(Release::parse(format!("1.0.0-{}", "a".repeat(300))).is_err());
    }
}
