//! What a client reads when its JSON, query or path does not fit: serde's and the parsing
//! crates' messages say what was expected in Rust's terms (`expected struct ContactInput`,
//! `expected u32`, `UUID parsing failed`); this module rewrites them in the API's terms
//! (`expected an object {kind, value, label?}`, `expected a non-negative integer`,
//! `expected a UUID`), so no Rust type name reaches a problem body. Objects are described
//! from the OpenAPI components of the same name, so the words follow the spec.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// The message a client reads for a deserialisation error (`raw` is serde's, position
/// already stripped).
pub fn describe(raw: &str) -> String {
    describe_with(raw, objects())
}

/// As [`describe`], with the object descriptions given (unit tests pass their own).
pub fn describe_with(raw: &str, objects: &HashMap<String, String>) -> String {
    let raw = raw
        .trim()
        .trim_start_matches("Query deserialize error: ")
        .trim_start_matches("Path deserialize error: ");
    if raw.starts_with("UUID parsing failed") || raw.contains("urn:uuid:") {
        return "expected a UUID (32 hexadecimal digits in groups 8-4-4-4-12)".to_owned();
    }
    if let Some(what) = chrono_error(raw) {
        return format!("expected a date (YYYY-MM-DD) or a date-time (RFC 3339): {what}");
    }
    static PARSE: OnceLock<Regex> = OnceLock::new();
    let parse = PARSE.get_or_init(|| {
        Regex::new(r#"^can not parse "(.*)" to a ([a-z0-9]+)$"#).expect("valid regex")
    });
    if let Some(c) = parse.captures(raw) {
        let what = match &c[2] {
            "bool" => "true or false",
            "f32" | "f64" => "a number",
            t if t.starts_with('u') => "a non-negative integer",
            t if t.starts_with('i') => "an integer",
            _ => "a value of the documented type",
        };
        return format!("\"{}\" is not {what}", &c[1]);
    }
    if raw == "expected value" {
        return "a value of another type was expected here (see the field's schema)".to_owned();
    }
    if let Some(rest) = raw.strip_prefix("data did not match any variant of untagged enum ") {
        let _ = rest;
        return "matches none of the forms the schema accepts".to_owned();
    }
    static EXPECTED: OnceLock<Regex> = OnceLock::new();
    let expected = EXPECTED.get_or_init(|| {
        Regex::new(r"expected ((?:tuple |newtype |unit )?struct|enum|struct variant|tuple variant|newtype variant) `?([A-Za-z_][A-Za-z0-9_:]*)`?|expected (u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|a sequence|a map|a borrowed string|unit|a formatted UUID string|option|a valid date|a tuple)\b")
            .expect("valid regex")
    });
    let rewritten = expected.replace_all(raw, |c: &regex::Captures<'_>| {
        if let Some(name) = c.get(2) {
            let name = name.as_str().rsplit("::").next().unwrap_or_default();
            let kind = c.get(1).map_or("", |m| m.as_str());
            return match objects.get(name) {
                Some(d) => format!("expected {d}"),
                None if kind.contains("struct") => "expected an object".to_owned(),
                None => "expected one of the values the schema lists".to_owned(),
            };
        }
        let t = c.get(3).map_or("", |m| m.as_str());
        format!(
            "expected {}",
            match t {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer",
                "f32" | "f64" => "a number",
                "a sequence" | "a tuple" => "an array",
                "a map" => "an object",
                "a borrowed string" => "a string",
                "unit" => "null",
                "a formatted UUID string" => "a UUID string",
                "option" => "a value or null",
                other => other,
            }
        )
    });
    // serde names what it got in its own words too
    rewritten
        .replace("invalid type: map,", "invalid type: object,")
        .replace("invalid type: sequence,", "invalid type: array,")
        .replace("invalid type: unit value,", "invalid type: null,")
        .replace("invalid type: floating point ", "invalid type: number ")
}

/// chrono's parse errors, which say nothing of a date.
fn chrono_error(raw: &str) -> Option<&str> {
    [
        "input contains invalid characters",
        "premature end of input",
        "input is out of range",
        "trailing input",
        "input is not enough for unique date and time",
        "no possible date and time matching input",
        "bad or unsupported format string",
    ]
    .into_iter()
    .find(|m| raw.starts_with(m))
}

/// Every object schema of the served spec as `an object {required, optional?}`.
fn objects() -> &'static HashMap<String, String> {
    static OBJECTS: OnceLock<HashMap<String, String>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let spec = serde_json::to_value(crate::openapi::spec()).unwrap_or_default();
        describe_objects(&spec)
    })
}

/// `an object {a, b, c?}` for every component schema with properties (a `oneOf`/`allOf`
/// names the union of its members' properties; a property is required when every member
/// requires it); `one of x, y` for string enums.
pub fn describe_objects(spec: &Value) -> HashMap<String, String> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let resolve = |s: &Value| -> Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => schemas
                .get(r.rsplit('/').next().unwrap_or_default())
                .cloned()
                .unwrap_or(Value::Null),
            None => s.clone(),
        }
    };
    let mut out = HashMap::new();
    for (name, schema) in &schemas {
        let members: Vec<Value> = match schema
            .get("oneOf")
            .or_else(|| schema.get("allOf"))
            .and_then(Value::as_array)
        {
            Some(list) => list.iter().map(resolve).collect(),
            None => vec![schema.clone()],
        };
        let mut props: Vec<(String, bool)> = Vec::new();
        for m in &members {
            let required: Vec<&str> = m
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(p) = m.get("properties").and_then(Value::as_object) {
                for key in p.keys() {
                    let req = required.contains(&key.as_str());
                    match props.iter_mut().find(|(k, _)| k == key) {
                        Some(e) => e.1 &= req,
                        None => props.push((key.clone(), req)),
                    }
                }
            }
        }
        if !props.is_empty() {
            props.sort_by_key(|(_, req)| !*req);
            let list: Vec<String> = props
                .iter()
                .map(|(k, req)| if *req { k.clone() } else { format!("{k}?") })
                .collect();
            out.insert(name.clone(), format!("an object {{{}}}", list.join(", ")));
        } else if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let values: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| format!("`{v}`"))
                .collect();
            if !values.is_empty() {
                out.insert(name.clone(), format!("one of {}", values.join(", ")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// What serde says for a body of `T`, position stripped.
    fn serde_says<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let e = serde_json::from_str::<T>(body).unwrap_err().to_string();
        e.split(" at line ").next().unwrap().to_owned()
    }

    fn objects() -> HashMap<String, String> {
        describe_objects(&serde_json::json!({"components": {"schemas": {
            "ContactInput": {"oneOf": [{"$ref": "#/components/schemas/Url"}, {"$ref": "#/components/schemas/Text"}]},
            "Url": {"type": "object", "required": ["kind", "value"], "properties": {"kind": {}, "value": {}, "label": {}}},
            "Text": {"type": "object", "required": ["kind", "value"], "properties": {"kind": {}, "value": {}, "label": {}}},
            "Mode": {"type": "string", "enum": ["digital", "offline"]}
        }}}))
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct ContactInput {
        kind: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        contacts: Option<Vec<ContactInput>>,
        n: Option<u32>,
        i: Option<i64>,
        f: Option<f64>,
        d: Option<chrono::NaiveDate>,
        id: Option<uuid::Uuid>,
        q: Option<SomeQueryStruct>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct SomeQueryStruct {
        a: u8,
    }

    /// A Rust type name: two capitalised words run together, or a primitive's name.
    fn rusty(s: &str) -> bool {
        Regex::new(r"\b(struct|enum|[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*|u8|u16|u32|u64|usize|i32|i64|f64|UUID parsing)\b")
            .unwrap()
            .is_match(s)
    }

    #[test]
    fn a_contact_sent_as_a_string_says_which_object_is_expected() {
        let raw = serde_says::<Body>(r#"{"contacts": ["+7 8722 51-00-51"]}"#);
        assert!(raw.contains("struct ContactInput"), "{raw}");
        assert_eq!(
            describe_with(&raw, &objects()),
            r#"invalid type: string "+7 8722 51-00-51", expected an object {kind, value, label?}"#
        );
    }

    #[test]
    fn serde_and_parser_messages_lose_their_rust_names() {
        for (body, want) in [
            (
                r#"{"n": -1}"#,
                "invalid value: integer `-1`, expected a non-negative integer",
            ),
            (
                r#"{"n": "1"}"#,
                r#"invalid type: string "1", expected a non-negative integer"#,
            ),
            (
                r#"{"i": 1.5}"#,
                "invalid type: number `1.5`, expected an integer",
            ),
            (
                r#"{"f": "x"}"#,
                r#"invalid type: string "x", expected a number"#,
            ),
            (
                r#"{"contacts": {}}"#,
                "invalid type: object, expected an array",
            ),
            (
                r#"{"id": "abc"}"#,
                "expected a UUID (32 hexadecimal digits in groups 8-4-4-4-12)",
            ),
            (
                r#"{"id": 5}"#,
                "invalid type: integer `5`, expected a UUID string",
            ),
            (
                r#"{"d": "2024-13-01"}"#,
                "expected a date (YYYY-MM-DD) or a date-time (RFC 3339): input is out of range",
            ),
            (
                r#"{"q": "x"}"#,
                r#"invalid type: string "x", expected an object"#,
            ),
        ] {
            let raw = serde_says::<Body>(body);
            let said = describe_with(&raw, &objects());
            assert_eq!(said, want, "{body}: serde said {raw}");
            assert!(!rusty(&said), "{said}");
        }
    }

    #[test]
    fn a_query_or_path_number_that_does_not_parse() {
        assert_eq!(
            describe_with(
                r#"Path deserialize error: can not parse "abc" to a u32"#,
                &objects()
            ),
            r#""abc" is not a non-negative integer"#
        );
    }

    #[test]
    fn an_unknown_enum_is_described_by_its_values() {
        assert_eq!(
            describe_with("invalid type: integer `1`, expected enum Mode", &objects()),
            "invalid type: integer `1`, expected one of `digital`, `offline`"
        );
        assert_eq!(
            describe_with("invalid type: integer `1`, expected enum Other", &objects()),
            "invalid type: integer `1`, expected one of the values the schema lists"
        );
    }

    #[test]
    fn the_served_spec_describes_the_contact_object() {
        let d = super::objects();
        assert_eq!(d["ContactInput"], "an object {kind, value, label?}");
    }
}
