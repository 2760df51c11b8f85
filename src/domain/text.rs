//! Free-text fields: trimmed, never blank, bounded.
//!
//! "Blank" and the length limit are defined so the spec can state them exactly: whitespace is
//! what ECMA-262 calls whitespace (JSON Schema's `\s`, so [`NON_BLANK`] as a `pattern` refuses
//! the same strings as [`required`]), and the limit counts the characters as sent, as
//! `maxLength` does.

use super::field::FieldError;

// The length limits of every free-text field, in characters as sent (what the spec's
// `maxLength` counts). Validation uses these; the `max_length` attributes of the API types must
// be literals, so a test below (`spec_limits`) checks every `maxLength` of the OpenAPI document
// against them. The database's CHECK constraints state the same numbers.

/// An agency's, unit's, direction's or touchpoint's name.
pub const NAME_MAX: usize = 1000;
/// A process's name (the registry's full wording can be long).
pub const PROCESS_NAME_MAX: usize = 2000;
/// An agency's short name.
pub const SHORT_NAME_MAX: usize = 300;
/// An agency's region.
pub const REGION_MAX: usize = 300;
/// A responsible person's full name, and their position.
pub const PERSON_MAX: usize = 300;
/// A process's direction as the agency words it.
pub const DIRECTION_LABEL_MAX: usize = 1000;
/// A process's code in the registry of services.
pub const REGISTRY_CODE_MAX: usize = 100;
/// A touchpoint's interaction and features (columns 5 and 6).
pub const DETAILS_MAX: usize = 4000;
/// The comment of a revision.
pub const COMMENT_MAX: usize = 4000;
/// One remark of a return.
pub const REMARK_MAX: usize = 4000;
/// One step of an agency's approval chain.
pub const APPROVAL_STEP_MAX: usize = 300;
/// The name of a calendar day (a holiday, a moved working day).
pub const CALENDAR_DAY_NAME_MAX: usize = 300;
/// A webhook's description.
pub const WEBHOOK_DESCRIPTION_MAX: usize = 1000;
/// A webhook's address.
pub const WEBHOOK_URL_MAX: usize = 2000;
/// A web address (a contact, an agency's website).
pub const URL_MAX: usize = 1900;
/// An e-mail address (RFC 5321's limit on a path).
pub const EMAIL_MAX: usize = 254;
/// An address or free-text contact.
pub const CONTACT_TEXT_MAX: usize = 1000;
/// A contact's caption.
pub const CONTACT_LABEL_MAX: usize = 300;

/// The `pattern` of a required text: at least one character that is not whitespace.
/// An approval act's number, or its date as printed.
pub const ACT_TEXT_MAX: usize = 100;

pub const NON_BLANK: &str = "\\S";

/// An integrator's id of a process or touchpoint (`external_id`): letters, digits and `._:~-`.
pub const EXTERNAL_ID_MAX: usize = 200;
pub const EXTERNAL_ID_PATTERN: &str = "^[A-Za-z0-9._:~-]{1,200}$";

/// An integrator's id, as sent (never rewritten: it is the integrator's key).
pub fn external_id(field: &str, value: &str) -> Result<String, FieldError> {
    let ok = (1..=EXTERNAL_ID_MAX).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:_~-".contains(&b));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid",
            format!("1 to {EXTERNAL_ID_MAX} of the characters A-Z a-z 0-9 . _ : ~ -"),
        ))
    }
}

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
    collapse_spaces(s, |out, c| out.push(c))
}

/// `s` with its whitespace runs made one space and trimmed, each other character written by
/// `put`: one pass and one allocation (an import folds every cell of thousands of rows).
fn collapse_spaces(s: &str, mut put: impl FnMut(&mut String, char)) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if is_space(c) {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            put(&mut out, c);
        }
    }
    out
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
    // str::to_lowercase lowers a capital sigma by its place in the word, which char's does
    // not: such a text takes the long way, so every key stays what it always was
    if s.contains('Σ') {
        return normalize_spaces(s).to_lowercase().replace('ё', "е");
    }
    collapse_spaces(s, |out, c| match c {
        'ё' | 'Ё' => out.push('е'),
        c => push_lower(out, c),
    })
}

/// `s` in lower case: what `str::to_lowercase` gives, with ASCII and Cyrillic (nearly all of a
/// register's text) mapped without a look-up in the Unicode tables.
pub fn lower(s: &str) -> String {
    if s.contains('Σ') {
        // the one letter whose lower case depends on its place in the word
        return s.to_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_lower(&mut out, c);
    }
    out
}

/// Writes `c` in lower case (a capital sigma as `σ`: callers route texts with one elsewhere).
#[inline]
fn push_lower(out: &mut String, c: char) {
    match c {
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        // А..Я and Ѐ..Џ sit a fixed distance from а..я and ѐ..џ
        'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'Ѐ'..='Џ' => out.push(char::from_u32(c as u32 + 0x50).unwrap_or(c)),
        'а'..='я' | 'ѐ'..='џ' => out.push(c),
        c => out.extend(c.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `fold` and `normalize_spaces` were before they became single passes.
    fn fold_reference(s: &str) -> String {
        normalize_spaces_reference(s)
            .to_lowercase()
            .replace('ё', "е")
    }

    fn normalize_spaces_reference(s: &str) -> String {
        s.split(is_space)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn lower_is_str_to_lowercase() {
        // every character of the first planes' letters, alone and in words
        // (without Σ, which takes the standard library's own path)
        let all: String = (0u32..0x3000)
            .filter_map(char::from_u32)
            .filter(|&c| c != 'Σ')
            .collect();
        assert_eq!(lower(&all), all.to_lowercase());
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let word = format!("Ё{c}Ж{c}");
            assert_eq!(lower(&word), word.to_lowercase(), "{c:?}");
        }
        for s in ["ΟΔΟΣ ΣΟΦΙΑΣ Σ", "Приёмная ЁЛКИ Ѐ Џ", "İstanbul ǅ ß ẞ"]
        {
            assert_eq!(lower(s), s.to_lowercase());
        }
    }

    #[test]
    fn single_pass_folding_keeps_every_key() {
        let samples = [
            "",
            "   ",
            "  Телефон \n  приёмной ",
            "ЁЛКА\u{a0}\u{2003}Ёжик\tёж",
            "ΟΔΟΣ ΣΟΦΙΑΣ Σ",
            "İstanbul ǅ ß ẞ Ω K Å",
            "a\u{2028}b\u{2029}\u{1680}c\r\n",
            "МЧС России: 8 (8722) 39-99-99, www.05.mchs.gov.ru",
        ];
        for s in samples {
            assert_eq!(fold(s), fold_reference(s), "{s:?}");
            assert_eq!(normalize_spaces(s), normalize_spaces_reference(s), "{s:?}");
        }
        // every character of the planes a register's text comes from, in and between words
        for block in [0x20u32..0x250, 0x370..0x530, 0x1e00..0x2100, 0x2c00..0x2c80] {
            let text: String = block
                .filter_map(char::from_u32)
                // (a capital sigma sends the whole text the long way: the samples have it)
                .filter(|c| *c != 'Σ')
                .flat_map(|c| [c, 'x', c, ' ', c])
                .collect();
            assert_eq!(fold(&text), fold_reference(&text));
            assert_eq!(normalize_spaces(&text), normalize_spaces_reference(&text));
        }
    }

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

/// The spec states the limits as literals (`#[schema(max_length = …)]` takes no constant):
/// every `maxLength` of the OpenAPI document must be the constant its field is validated with,
/// and every row of this table must still be in the document.
#[cfg(test)]
mod spec_limits {
    use super::*;

    /// (schema, the property's path inside it without `properties/`, the constant).
    const LIMITS: &[(&str, &str, usize)] = &[
        ("AgencyPatch", "name", NAME_MAX),
        ("AgencyPatch", "short_name", SHORT_NAME_MAX),
        ("AgencyPatch", "region", REGION_MAX),
        ("AgencyPatch", "website", URL_MAX),
        ("NewAgency", "name", NAME_MAX),
        ("NewAgency", "short_name", SHORT_NAME_MAX),
        ("NewAgency", "region", REGION_MAX),
        ("NewAgency", "website", URL_MAX),
        ("NewOrganization", "name", NAME_MAX),
        ("NewOrganization", "short_name", SHORT_NAME_MAX),
        ("NewOrganization", "region", REGION_MAX),
        ("NewOrganization", "website", URL_MAX),
        ("CalendarDayInput", "name", CALENDAR_DAY_NAME_MAX),
        ("DirectionPatch", "name", NAME_MAX),
        ("NewDirection", "name", NAME_MAX),
        ("NewUnit", "name", NAME_MAX),
        ("UnitPatch", "name", NAME_MAX),
        ("ResponsiblePerson", "name", PERSON_MAX),
        ("ResponsiblePerson", "position", PERSON_MAX),
        ("ResponsiblePerson", "email", EMAIL_MAX),
        ("NewProcess", "name", PROCESS_NAME_MAX),
        ("NewProcess", "direction_label", DIRECTION_LABEL_MAX),
        ("NewProcess", "registry_code", REGISTRY_CODE_MAX),
        ("ProcessPatch", "name", PROCESS_NAME_MAX),
        ("ProcessPatch", "direction_label", DIRECTION_LABEL_MAX),
        ("ProcessPatch", "registry_code", REGISTRY_CODE_MAX),
        ("NewProcess", "external_id", EXTERNAL_ID_MAX),
        ("ProcessPatch", "external_id", EXTERNAL_ID_MAX),
        ("ProcessReplacement", "direction_label", DIRECTION_LABEL_MAX),
        ("ProcessReplacement", "name", PROCESS_NAME_MAX),
        ("ProcessReplacement", "registry_code", REGISTRY_CODE_MAX),
        ("NewTouchpoint", "external_id", EXTERNAL_ID_MAX),
        ("TouchpointPatch", "external_id", EXTERNAL_ID_MAX),
        ("TouchpointReplacement", "name", NAME_MAX),
        ("TouchpointReplacement", "as_written", DETAILS_MAX),
        ("TouchpointReplacement", "interaction", DETAILS_MAX),
        ("TouchpointReplacement", "features", DETAILS_MAX),
        (
            "TouchpointReplacement",
            "accessibility",
            crate::domain::place::ACCESSIBILITY_MAX,
        ),
        ("Address", "region", crate::domain::place::ADDRESS_PART_MAX),
        ("Address", "city", crate::domain::place::ADDRESS_PART_MAX),
        ("Address", "street", crate::domain::place::ADDRESS_PART_MAX),
        ("Address", "house", crate::domain::place::ADDRESS_PART_MAX),
        ("Address", "office", crate::domain::place::ADDRESS_PART_MAX),
        (
            "NewTouchpoint",
            "accessibility",
            crate::domain::place::ACCESSIBILITY_MAX,
        ),
        (
            "TouchpointPatch",
            "accessibility",
            crate::domain::place::ACCESSIBILITY_MAX,
        ),
        ("NewTouchpoint", "name", NAME_MAX),
        ("NewTouchpoint", "as_written", DETAILS_MAX),
        ("NewTouchpoint", "interaction", DETAILS_MAX),
        ("NewTouchpoint", "features", DETAILS_MAX),
        ("TouchpointPatch", "name", NAME_MAX),
        ("TouchpointPatch", "as_written", DETAILS_MAX),
        ("TouchpointPatch", "interaction", DETAILS_MAX),
        ("TouchpointPatch", "features", DETAILS_MAX),
        ("UrlContactInput", "value", URL_MAX),
        ("UrlContactInput", "label", CONTACT_LABEL_MAX),
        ("EmailContactInput", "value", EMAIL_MAX),
        ("EmailContactInput", "label", CONTACT_LABEL_MAX),
        ("PhoneContactInput", "label", CONTACT_LABEL_MAX),
        ("TextContactInput", "value", CONTACT_TEXT_MAX),
        ("TextContactInput", "label", CONTACT_LABEL_MAX),
        ("NewRevision", "comment", COMMENT_MAX),
        ("NewReview", "comment", COMMENT_MAX),
        ("Obligation", "what", crate::deadlines::OBLIGATION_WHAT_MAX),
        ("RemarkInput", "text", REMARK_MAX),
        ("Remarks", "oneOf/0", REMARK_MAX),
        (
            "WorkflowSettings",
            "approval_chain/items/oneOf/0",
            APPROVAL_STEP_MAX,
        ),
        ("CancelBody", "reason", COMMENT_MAX),
        ("ApprovalActBody", "order_number", ACT_TEXT_MAX),
        ("ApprovalActBody", "order_date_text", ACT_TEXT_MAX),
        ("ExtraColumn", "name", crate::domain::form::HEADER_MAX),
        (
            "FormProfile",
            "approval_heading",
            crate::domain::form::APPROVAL_HEADING_MAX,
        ),
        (
            "FormProfile",
            "approver_body_genitive",
            crate::domain::form::BODY_GENITIVE_MAX,
        ),
        ("Marks", "digital", crate::domain::form::MARK_MAX),
        ("Marks", "offline", crate::domain::form::MARK_MAX),
        ("Titles", "combined", crate::domain::form::TITLE_MAX),
        ("Titles", "internal", crate::domain::form::TITLE_MAX),
        ("Titles", "external", crate::domain::form::TITLE_MAX),
        (
            "FormProfile",
            "columns/items",
            crate::domain::form::HEADER_MAX,
        ),
        (
            "FormProfile",
            "footnotes/items",
            crate::domain::form::FOOTNOTE_MAX,
        ),
        (
            "FormProfileInForce",
            "columns/items",
            crate::domain::form::HEADER_MAX,
        ),
        (
            "FormProfileInForce",
            "footnotes/items",
            crate::domain::form::FOOTNOTE_MAX,
        ),
        (
            "FormProfileInForce",
            "approval_heading",
            crate::domain::form::APPROVAL_HEADING_MAX,
        ),
        (
            "FormProfileInForce",
            "approver_body_genitive",
            crate::domain::form::BODY_GENITIVE_MAX,
        ),
        ("NewOfficial", "sub", PERSON_MAX),
        ("NewOfficial", "name", PERSON_MAX),
        ("NewOfficial", "position", PERSON_MAX),
        ("NewOfficial", "email", EMAIL_MAX),
        ("OfficialPatch", "sub", PERSON_MAX),
        ("OfficialPatch", "name", PERSON_MAX),
        ("OfficialPatch", "position", PERSON_MAX),
        ("OfficialPatch", "email", EMAIL_MAX),
        ("NewWebhook", "url", WEBHOOK_URL_MAX),
        ("NewWebhook", "description", WEBHOOK_DESCRIPTION_MAX),
        ("OpenDataSettings", "code", crate::opendata::model::CODE_MAX),
        (
            "OpenDataSettings",
            "title",
            crate::opendata::model::TITLE_MAX,
        ),
        (
            "OpenDataSettings",
            "description",
            crate::opendata::model::DESCRIPTION_MAX,
        ),
        (
            "OpenDataSettings",
            "keywords/items",
            crate::opendata::model::KEYWORD_MAX,
        ),
        (
            "RegionOpenDataSettings",
            "creator",
            crate::opendata::model::CREATOR_MAX,
        ),
        (
            "RegionOpenDataSettings",
            "code",
            crate::opendata::model::CODE_MAX,
        ),
        (
            "RegionOpenDataSettings",
            "title",
            crate::opendata::model::TITLE_MAX,
        ),
        (
            "RegionOpenDataSettings",
            "description",
            crate::opendata::model::DESCRIPTION_MAX,
        ),
        (
            "RegionOpenDataSettings",
            "keywords/items",
            crate::opendata::model::KEYWORD_MAX,
        ),
        (
            "License",
            "title",
            crate::opendata::model::LICENSE_TITLE_MAX,
        ),
        ("License", "url", URL_MAX),
        ("Publisher", "name", PERSON_MAX),
        ("Publisher", "email", EMAIL_MAX),
    ];

    /// Every `maxLength` under `value`, by its path (with the `properties` segments left out).
    fn max_lengths(
        value: &serde_json::Value,
        path: &mut Vec<String>,
        out: &mut Vec<(String, u64)>,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(n) = map.get("maxLength") {
                    out.push((path.join("/"), n.as_u64().expect("maxLength is a number")));
                }
                for (k, v) in map {
                    let pushed = k != "properties";
                    if pushed {
                        path.push(k.clone());
                    }
                    max_lengths(v, path, out);
                    if pushed {
                        path.pop();
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    max_lengths(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_max_length_of_the_spec_is_its_constant() {
        let doc = serde_json::to_value(crate::openapi::spec()).unwrap();
        let mut found = Vec::new();
        max_lengths(&doc, &mut Vec::new(), &mut found);
        assert!(!found.is_empty());
        for (path, n) in &found {
            let (schema, property) = path
                .strip_prefix("components/schemas/")
                .and_then(|p| p.split_once('/'))
                .unwrap_or_else(|| panic!("a maxLength outside components/schemas: {path}"));
            let row = LIMITS
                .iter()
                .find(|(s, p, _)| *s == schema && *p == property)
                .unwrap_or_else(|| {
                    panic!("{schema}.{property} has maxLength {n}; add it to LIMITS with the constant its validation uses")
                });
            assert_eq!(
                *n as usize, row.2,
                "{schema}.{property}: the spec says {n}, the validation's constant {}",
                row.2
            );
        }
        for (schema, property, _) in LIMITS {
            let path = format!("components/schemas/{schema}/{property}");
            assert!(
                found.iter().any(|(p, _)| *p == path),
                "{schema}.{property} no longer has a maxLength in the spec"
            );
        }
    }
}
