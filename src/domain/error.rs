use std::fmt;

/// A client input that breaks a rule. Its message names the field and the rule,
/// because that is what a caller needs to fix the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    pub field: String,
    pub rule: String,
}

impl ValidationError {
    pub fn new(field: impl fmt::Display, rule: impl fmt::Display) -> Self {
        Self {
            field: field.to_string(),
            rule: rule.to_string(),
        }
    }
}
