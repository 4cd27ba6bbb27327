//! Field-level validation errors, shaped like the API's `errors: {field: [messages]}`.

use std::collections::BTreeMap;

/// Messages per field name. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Errors with one message for one field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the error of a parse under `field` and returns the value when it parsed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationError> {
        if self.is_empty() { Ok(value()) } else { Err(ValidationError(self)) }
    }
}

/// Input that breaks a rule; carries every failing field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", summary(.0))]
pub struct ValidationError(pub FieldErrors);

impl ValidationError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(FieldErrors::single(field, message))
    }
}

fn summary(errors: &FieldErrors) -> String {
    errors
        .0
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join("; ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Trims `raw` and checks its length in characters (not bytes).
pub fn trimmed_text(raw: &str, what: &str, min: usize, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        if min == 1 {
            return Err(format!("{what} must not be empty"));
        }
        return Err(format!("{what} must be at least {min} characters"));
    }
    if len > max {
        return Err(format!("{what} must be at most {max} characters (got {len})"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_text_counts_characters_and_trims() {
        assert_eq!(trimmed_text("  héllo ", "x", 1, 5), Ok("héllo".into()));
        assert!(trimmed_text("   ", "x", 1, 5).is_err());
        assert!(trimmed_text("ééééééé", "x", 1, 5).is_err());
    }

    #[test]
    fn errors_accumulate_per_field() {
        let mut errors = FieldErrors::new();
        errors.add("subject", "a");
        errors.add("subject", "b");
        errors.add("body", "c");
        assert_eq!(errors.0["subject"], vec!["a", "b"]);
        assert!(errors.into_result(|| ()).is_err());
    }
}
