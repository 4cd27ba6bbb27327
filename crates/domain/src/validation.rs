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

/// Trims `raw` and checks its length in characters (Unicode scalar values, as JSON Schema's
/// `maxLength` counts them; not bytes): the trimmed text must have at least `min`, and the
/// text as sent at most `max` — the limit the API documents applies to what is sent.
pub fn trimmed_text(raw: &str, what: &str, min: usize, max: usize) -> Result<String, String> {
    no_nul(raw, what)?;
    let value = raw.trim();
    let len = value.chars().count();
    let sent = raw.chars().count();
    if sent > max {
        return Err(format!("{what} must be at most {max} characters (got {sent})"));
    }
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

/// Refuses the NUL character, which no text column stores (PostgreSQL rejects it outright,
/// SQLite's full-text search ends a string there).
pub fn no_nul(raw: &str, what: &str) -> Result<(), String> {
    if raw.contains('\0') {
        return Err(format!("{what} must not contain the NUL character (\\u0000)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_text_counts_characters_and_trims() {
        assert_eq!(trimmed_text("  héllo ", "x", 1, 8), Ok("héllo".into()));
        assert!(trimmed_text("   ", "x", 1, 5).is_err());
        assert!(trimmed_text("ééééééé", "x", 1, 5).is_err());
        // The maximum applies to the text as sent, spaces included.
        assert!(trimmed_text(" abcde ", "x", 1, 5).is_err());
        assert!(trimmed_text(" abc ", "x", 1, 5).is_ok());
        assert!(trimmed_text("a\0b", "x", 1, 5).unwrap_err().contains("NUL"));
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
