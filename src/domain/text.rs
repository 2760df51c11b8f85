//! Free-text fields: trimmed, never blank, bounded.

use crate::error::FieldError;

/// Collapses runs of whitespace (the seeds are full of broken lines) and trims.
pub fn normalize_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A required name: whitespace-normalised, non-empty, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = normalize_spaces(value);
    if v.is_empty() {
        return Err(FieldError::new(field, "blank", "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
    Ok(v)
}

/// An optional text: blank becomes absent.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

/// Key used to compare names: case- and whitespace-insensitive, ё = е.
pub fn fold(s: &str) -> String {
    normalize_spaces(s).to_lowercase().replace('ё', "е")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_collapses() {
        assert_eq!(required("name", "  Телефон \n  приёмной ", 100).unwrap(), "Телефон приёмной");
    }

    #[test]
    fn refuses_blank_and_long() {
        assert_eq!(required("name", " \t\n", 10).unwrap_err().code, "blank");
        assert_eq!(required("name", "абвгдеёжзий", 10).unwrap_err().code, "too_long");
        assert_eq!(required("name", "абвгдеёжзи", 10).unwrap(), "абвгдеёжзи");
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(optional("f", Some("  "), 10).unwrap(), None);
        assert_eq!(optional("f", None, 10).unwrap(), None);
        assert_eq!(optional("f", Some(" x "), 10).unwrap(), Some("x".into()));
    }

    #[test]
    fn folds_case_and_yo() {
        assert_eq!(fold("Приём  Граждан"), fold("прием граждан"));
    }
}
