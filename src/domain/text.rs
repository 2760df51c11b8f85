//! Free-text fields: trimmed, never blank, bounded.
//!
//! "Blank" and the length limit are defined so the spec can state them exactly: whitespace is
//! what ECMA-262 calls whitespace (JSON Schema's `\s`, so [`NON_BLANK`] as a `pattern` refuses
//! the same strings as [`required`]), and the limit counts the characters as sent, as
//! `maxLength` does.

use super::field::FieldError;

/// The `pattern` of a required text: at least one character that is not whitespace.
pub const NON_BLANK: &str = "\\S";

/// Whitespace as ECMA-262 defines it (`WhiteSpace` and `LineTerminator`): what `\s` matches in
/// a JSON Schema `pattern`. Rust's `char::is_whitespace` differs in two characters (U+0085,
/// U+FEFF).
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Whether `s` has nothing but whitespace.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_space)
}

/// Collapses runs of whitespace (the seeds are full of broken lines) and trims.
pub fn normalize_spaces(s: &str) -> String {
    s.split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A required name: at most `max` characters as sent, not blank; returned
/// whitespace-normalised.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    let v = normalize_spaces(value);
    if v.is_empty() {
        return Err(FieldError::new(field, "blank", "must not be empty"));
    }
    Ok(v)
}

/// An optional text: blank becomes absent.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) if is_blank(v) && v.chars().count() <= max => Ok(None),
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
        assert_eq!(
            required("name", "  Телефон \n  приёмной ", 100).unwrap(),
            "Телефон приёмной"
        );
    }

    #[test]
    fn refuses_blank_and_long() {
        assert_eq!(required("name", " \t\n", 10).unwrap_err().code, "blank");
        assert_eq!(
            required("name", "абвгдеёжзий", 10).unwrap_err().code,
            "too_long"
        );
        assert_eq!(required("name", "абвгдеёжзи", 10).unwrap(), "абвгдеёжзи");
        // the limit counts what was sent, as the spec's maxLength does
        assert_eq!(required("name", "а  б", 3).unwrap_err().code, "too_long");
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

#[cfg(test)]
mod whitespace {
    use super::*;

    #[test]
    fn blank_is_ecma_whitespace() {
        for blank in ["", " ", "\t\n", "\u{a0}\u{3000}", "\u{feff}", "\u{2028}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        // not whitespace for JSON Schema's \s, so not blank here either
        for text in ["\u{85}", "\u{1c}", "\u{180e}", "x"] {
            assert!(!is_blank(text), "{text:?}");
        }
    }
}
