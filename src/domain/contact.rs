//! Contacts of a touchpoint (URL, e-mail, phone, postal address, free text), each checked
//! by its kind and given a normalised form used to compare them (R7).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    AdditionalProperties, Discriminator, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType,
    Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

use super::field::FieldError;
use super::text;

super::enums::text_enum! {
    pub enum ContactKind {
        /// A web address; `www.example.ru` is read as `https://www.example.ru`.
        Url => "url",
        /// An e-mail address.
        Email => "email",
        /// A Russian phone number; stored in E.164 (`+7` and 10 digits).
        Phone => "phone",
        /// A postal or street address.
        Address => "address",
        /// Anything else (a social network's name, a room number).
        Text => "text",
    }
}

/// A contact as a client sends it. Its schema (below, by hand) is a `oneOf` by `kind`, so the
/// spec states the pattern each kind's `value` must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub kind: ContactKind,
    /// The address, number or text as written; it is checked and normalised by kind.
    pub value: String,
    /// Optional caption, e.g. «приёмная», «ВКонтакте».
    #[serde(default)]
    pub label: Option<String>,
}

/// Longest address or free-text contact, and longest caption, accepted (in characters).
pub use super::text::{CONTACT_LABEL_MAX as LABEL_MAX, CONTACT_TEXT_MAX as TEXT_MAX};

/// The variants of [`ContactInput`]'s schema: name, kinds, the `value` schema, description, example.
fn contact_variants() -> [(
    &'static str,
    &'static [&'static str],
    Object,
    &'static str,
    serde_json::Value,
); 4] {
    [
        (
            "UrlContactInput",
            &["url"],
            string_schema(pattern::URL, Some(pattern::URL_MAX), "A web address; `www.site.ru` is read as `https://www.site.ru`."),
            "A web address.",
            serde_json::json!({"kind": "url", "value": "https://www.mchsrd.ru", "label": "официальный сайт"}),
        ),
        (
            "EmailContactInput",
            &["email"],
            string_schema(pattern::EMAIL, Some(pattern::EMAIL_MAX), "An e-mail address; stored lower-cased."),
            "An e-mail address.",
            serde_json::json!({"kind": "email", "value": "mchs@e-dag.ru"}),
        ),
        (
            "PhoneContactInput",
            &["phone"],
            string_schema(pattern::PHONE, None, "A Russian phone number in any usual spelling; stored in E.164 (`+78722516122`)."),
            "A Russian phone number.",
            serde_json::json!({"kind": "phone", "value": "+7 (8722) 51-61-22", "label": "приёмная"}),
        ),
        (
            "TextContactInput",
            &["address", "text"],
            string_schema(crate::domain::text::NON_BLANK, Some(TEXT_MAX), "The address or text; runs of whitespace are collapsed."),
            "A postal or street address, or any other text (a social network's name, a room number).",
            serde_json::json!({"kind": "address", "value": "367000, г. Махачкала, ул. Абубакарова, 113"}),
        ),
    ]
}

/// A string schema with a pattern, an optional length limit and a description.
pub fn string_schema(pattern: &str, max_length: Option<usize>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(max_length)
        .description(Some(description))
        .build()
}

/// [`string_schema`] that also admits `null`.
pub fn nullable_string_schema(
    pattern: &str,
    max_length: Option<usize>,
    description: &str,
) -> Object {
    let mut schema = string_schema(pattern, max_length, description);
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

impl utoipa::PartialSchema for ContactInput {
    #[allow(deprecated)] // `example`, as the derived schemas have it
    fn schema() -> RefOr<Schema> {
        let variants = contact_variants();
        let mapping = variants.iter().flat_map(|(name, kinds, ..)| {
            kinds
                .iter()
                .map(move |k| (*k, format!("#/components/schemas/{name}")))
        });
        let mut one_of = OneOfBuilder::new()
            .description(Some("A contact as a client sends it: `kind` says which pattern `value` must match."))
            .discriminator(Some(Discriminator::with_mapping("kind", mapping)))
            .example(Some(serde_json::json!({"kind": "phone", "value": "+7 (8722) 51-61-22", "label": "приёмная"})));
        for (name, ..) in &variants {
            one_of = one_of.item(Ref::from_schema_name(*name));
        }
        one_of.into()
    }
}

impl ToSchema for ContactInput {
    #[allow(deprecated)]
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, kinds, value, description, example) in contact_variants() {
            let kind = ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(kinds.iter().copied()));
            let label = ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .max_length(Some(LABEL_MAX))
                .description(Some("Optional caption, e.g. «приёмная», «ВКонтакте»."));
            let object = ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(description))
                .property("kind", kind)
                .required("kind")
                .property("value", value)
                .required("value")
                .property("label", label)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .example(Some(example));
            schemas.push((name.to_owned(), object.into()));
        }
    }
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "phone", "value": "+78722516122", "label": "приёмная"}))]
pub struct Contact {
    pub kind: ContactKind,
    /// The normalised value: E.164 for phones, a full URL for web addresses.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The contact as the agency wrote it (`www.mchsrd.ru`, `8 (8722) 51-61-22`), when that
    /// differs from `value`; absent otherwise. Printing only: comparisons use `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
    /// Comparison key (R7): case-folded, scheme-less for URLs.
    #[serde(skip)]
    pub normalized: String,
}

impl Contact {
    /// Checks `input` by its kind; `field` names it in errors (e.g. `contacts[2]`).
    pub fn parse(field: &str, input: &ContactInput) -> Result<Contact, FieldError> {
        let value_field = format!("{field}.value");
        let (value, normalized) = match input.kind {
            ContactKind::Phone => {
                let e164 = normalize_phone(&input.value)
                    .map_err(|m| FieldError::new(&value_field, "invalid_phone", m))?;
                (e164.clone(), e164)
            }
            ContactKind::Email => {
                let email = normalize_email(&input.value)
                    .map_err(|m| FieldError::new(&value_field, "invalid_email", m))?;
                (email.clone(), email)
            }
            ContactKind::Url => normalize_url(&input.value)
                .map_err(|m| FieldError::new(&value_field, "invalid_url", m))?,
            ContactKind::Address | ContactKind::Text => {
                let v = text::required(&value_field, &input.value, TEXT_MAX)?;
                let folded = text::fold(&v);
                (v, folded)
            }
        };
        let label = text::optional(&format!("{field}.label"), input.label.as_deref(), LABEL_MAX)?;
        let written = text::normalize_spaces(&input.value);
        let as_written = (written != value && !written.is_empty()).then_some(written);
        Ok(Contact {
            kind: input.kind,
            value,
            label,
            as_written,
            normalized,
        })
    }

    /// [`Contact::parse`] for a value copied from a document rather than sent by a client:
    /// surrounding whitespace, and line breaks or a trailing comma in a phone number, are
    /// tolerated.
    pub fn read(field: &str, input: &ContactInput) -> Result<Contact, FieldError> {
        let value = match input.kind {
            ContactKind::Phone => read_phone(&input.value).unwrap_or_else(|_| input.value.clone()),
            ContactKind::Url | ContactKind::Email => {
                input.value.trim_matches(text::is_space).to_owned()
            }
            ContactKind::Address | ContactKind::Text => input.value.clone(),
        };
        Contact::parse(
            field,
            &ContactInput {
                value,
                ..input.clone()
            },
        )
        .map(|c| c.written_as(&input.value))
    }

    /// The same contact, remembering `written` as the agency's spelling of it (whitespace
    /// normalised) when that differs from the normalised value.
    pub fn written_as(mut self, written: &str) -> Contact {
        let written = text::normalize_spaces(written);
        self.as_written = (written != self.value && !written.is_empty()).then_some(written);
        self
    }
}

/// The written form of each checked contact kind, as regular expressions that the OpenAPI spec
/// publishes unchanged (`pattern`) and the server applies as they are: a value is accepted
/// exactly when it matches. They are built only from explicit character classes, anchors,
/// groups and counted repetition, so they mean the same in Rust's `regex`, in ECMA-262 (what
/// JSON Schema validators and browsers use) and in Python's `re`.
pub mod pattern {
    macro_rules! label {
        () => {
            "[0-9A-Za-zА-Яа-яЁё](?:[0-9A-Za-zА-Яа-яЁё-]{0,61}[0-9A-Za-zА-Яа-яЁё])?"
        };
    }
    /// A host: domain labels (Latin or Cyrillic letters, digits, inner hyphens) and a
    /// top-level part of letters (`.ru`, `.рф`) or punycode (`.xn--p1ai`); or an IPv4 address.
    macro_rules! host {
        () => {
            concat!("(?:(?:", label!(), "\\.)+(?:[A-Za-zА-Яа-яЁё]{2,63}|xn--[0-9A-Za-z]{1,59})|(?:[0-9]{1,3}\\.){3}[0-9]{1,3})")
        };
    }
    macro_rules! url {
        () => {
            concat!(
                "(?:https?://)?",
                host!(),
                "(?::[0-9]{1,5})?(?:[/?#][!-~А-Яа-яЁё]*)?"
            )
        };
    }
    macro_rules! email {
        () => {
            concat!(
                "[0-9A-Za-z!#$%&'*+/=?^_`{|}~-]+(?:\\.[0-9A-Za-z!#$%&'*+/=?^_`{|}~-]+)*@",
                host!()
            )
        };
    }
    /// Separators allowed between the digits of a phone number (the last one is U+00A0).
    macro_rules! sep {
        () => {
            "[ ().\u{a0}-]*"
        };
    }
    macro_rules! phone {
        () => {
            concat!(
                "(?:\\+",
                sep!(),
                "7|",
                sep!(),
                "[78])?",
                sep!(),
                "[3489](?:",
                sep!(),
                "[0-9]){9}",
                sep!()
            )
        };
    }

    /// A web address: optional `http://`/`https://`, a host, optional port, then a path, query
    /// or fragment of printable ASCII or Cyrillic letters (no spaces).
    pub const URL: &str = concat!("^", url!(), "$");
    /// [`URL`] with its scheme written out: `http://` or `https://` first (a link printed in a
    /// file, such as an open-data licence).
    pub const ABSOLUTE_URL: &str = concat!(
        "^https?://",
        host!(),
        "(?::[0-9]{1,5})?(?:[/?#][!-~А-Яа-яЁё]*)?$"
    );
    /// [`URL`], or the empty string (no address).
    pub const URL_OR_EMPTY: &str = concat!("^(?:", url!(), ")?$");
    /// An e-mail address: dot-separated atoms of RFC 5322 characters, `@`, a host as in [`URL`].
    pub const EMAIL: &str = concat!("^", email!(), "$");
    /// [`EMAIL`], or the empty string.
    pub const EMAIL_OR_EMPTY: &str = concat!("^(?:", email!(), ")?$");
    /// A Russian phone number: `+7` and 10 digits, 11 digits starting with 7 or 8, or 10 digits;
    /// the 10-digit national number starts with 3, 4, 8 or 9. Digits may be separated by spaces,
    /// no-break spaces, `(`, `)`, `-` and `.`; `+` only first.
    pub const PHONE: &str = concat!("^", phone!(), "$");
    /// [`PHONE`], or the empty string.
    pub const PHONE_OR_EMPTY: &str = concat!("^(?:", phone!(), ")?$");

    /// Longest web address (stored with `https://` added, under the database's 2000) and
    /// e-mail address (RFC 5321 path limit) accepted, in characters.
    pub use crate::domain::text::{EMAIL_MAX, URL_MAX};
}

static PHONE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(pattern::PHONE).expect("phone pattern"));
static EMAIL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(pattern::EMAIL).expect("e-mail pattern"));
static URL_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(pattern::URL).expect("URL pattern"));

/// Normalises a Russian phone number, written as [`pattern::PHONE`] allows, to E.164:
/// `+7 (8722) 51-61-22`, `8 8722 516122` and `88722516122` all become `+78722516122`.
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    if !PHONE_RE.is_match(raw) {
        return Err(phone_problem(raw));
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    Ok(format!("+7{}", &digits[digits.len() - 10..]))
}

/// Why `raw` is not a phone number, in words.
fn phone_problem(raw: &str) -> String {
    if raw.trim().is_empty() {
        return "must not be empty".into();
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_digit() || " +()-.\u{a0}".contains(*c)))
    {
        return format!("unexpected character {bad:?} in a phone number");
    }
    if raw.chars().skip(1).any(|c| c == '+') {
        return "'+' may only start the number".into();
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 if !raw.starts_with('+') => &digits[..],
        11 if digits.starts_with('7') || (!raw.starts_with('+') && digits.starts_with('8')) => {
            &digits[1..]
        }
        _ => return "not a Russian phone number: expected +7 and 10 digits".into(),
    };
    if !matches!(national.as_bytes()[0], b'3' | b'4' | b'8' | b'9') {
        // Russian numbering: geographic codes start with 3, 4 or 8, mobile with 9
        // (+7 6xx and +7 7xx are Kazakhstan).
        return "not a Russian phone number: the code after +7 must start with 3, 4, 8 or 9".into();
    }
    "not a Russian phone number: expected +7 and 10 digits".into()
}

/// Reads a phone number as documents write it: line breaks and tabs inside, a trailing comma
/// or semicolon (`+7 (8722) 51-03-48,`). Used by the importer and the demo data; the API takes
/// [`normalize_phone`]'s stricter form.
pub fn read_phone(written: &str) -> Result<String, String> {
    let spaced = text::normalize_spaces(written);
    normalize_phone(spaced.trim_end_matches([',', ';', '.']).trim_end())
}

/// Completes a local number written after a full one in the same cell, as Russian forms do:
/// in «+7(8722) 55-05-28, 51-61-24» the second number shares the area code of the first.
/// Returns `None` unless `short` is 5 to 7 digits and `previous` is an E.164 +7 number.
pub fn expand_local_phone(short: &str, previous: &str) -> Option<String> {
    let s = short.trim().trim_end_matches([',', ';', '.']);
    if s.chars()
        .any(|c| !(c.is_ascii_digit() || " -()".contains(c)))
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let national = previous
        .strip_prefix("+7")
        .filter(|n| n.len() == 10 && n.chars().all(|c| c.is_ascii_digit()))?;
    if !(5..=7).contains(&digits.len()) {
        return None;
    }
    normalize_phone(&format!("+7{}{}", &national[..10 - digits.len()], digits)).ok()
}

/// Checks an e-mail address against [`pattern::EMAIL`] (Cyrillic domains such as `.рф`
/// allowed) and lower-cases it.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    if raw.chars().count() > pattern::EMAIL_MAX {
        return Err(format!(
            "an e-mail address has at most {} characters",
            pattern::EMAIL_MAX
        ));
    }
    if EMAIL_RE.is_match(raw) {
        return Ok(raw.to_lowercase());
    }
    Err(match raw.split_once('@') {
        None => "an e-mail address needs an '@'".into(),
        Some((_, domain)) if domain.contains('@') => "an e-mail address has exactly one '@'".into(),
        Some(("", _)) => "the part before '@' must not be empty".into(),
        Some((local, _))
            if local.starts_with('.') || local.ends_with('.') || local.contains("..") =>
        {
            "the part before '@' has misplaced dots".into()
        }
        Some((local, domain)) => match local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(*c)))
        {
            Some(bad) => format!("unexpected character {bad:?} before '@'"),
            None => domain_problem(domain),
        },
    })
}

/// Why `domain` is not a host name, in words.
fn domain_problem(domain: &str) -> String {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return "the domain needs at least one dot".into();
    }
    for label in &labels {
        if label.is_empty() || label.chars().count() > 63 {
            return "the domain has an empty or over-long part".into();
        }
        if label.starts_with('-') || label.ends_with('-') {
            return "a domain part may not start or end with '-'".into();
        }
        if let Some(bad) = label.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || matches!(c, 'А'..='я' | 'Ё' | 'ё') || *c == '-')
        }) {
            return format!("unexpected character {bad:?} in the domain (Latin or Cyrillic letters, digits and '-')");
        }
    }
    "the domain needs a top-level part such as .ru or .рф".into()
}

/// Checks a web address against [`pattern::URL`]; a bare `www.site.ru` gets `https://`.
/// Returns the value to keep (as written, Cyrillic hosts stay readable) and the comparison
/// key: scheme-less, host lower-cased, no trailing `/`.
pub fn normalize_url(raw: &str) -> Result<(String, String), String> {
    if raw.chars().count() > pattern::URL_MAX {
        return Err(format!(
            "a web address has at most {} characters",
            pattern::URL_MAX
        ));
    }
    if !URL_RE.is_match(raw) {
        return Err(url_problem(raw));
    }
    // the pattern allows `://` later in the path, so only a leading scheme counts
    let (with_scheme, rest) = match raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
    {
        Some(rest) => (raw.to_owned(), rest),
        None => (format!("https://{raw}"), raw),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    let key = format!("{}{}", host.to_lowercase(), tail);
    Ok((with_scheme, key.trim_end_matches('/').to_owned()))
}

/// Why `raw` is not a web address, in words.
fn url_problem(raw: &str) -> String {
    if raw.trim().is_empty() {
        return "must not be empty".into();
    }
    if raw.chars().any(char::is_whitespace) {
        return "a web address may not contain spaces".into();
    }
    let rest = match raw.split_once("://") {
        Some((scheme, rest)) if scheme == "http" || scheme == "https" => rest,
        Some(_) => return "only http and https addresses are accepted".into(),
        None => raw,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    if host.is_empty() {
        return "a web address needs a host".into();
    }
    let tail = &rest[rest.find(['/', '?', '#']).unwrap_or(rest.len())..];
    if let Some(bad) = tail
        .chars()
        .find(|c| !(matches!(c, '!'..='~' | 'А'..='я' | 'Ё' | 'ё')))
    {
        return format!("unexpected character {bad:?} in the address: percent-encode it");
    }
    format!("not a web address: {}", domain_problem(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_kind_words() {
        crate::domain::enums::check_words::<ContactKind>();
    }

    #[test]
    fn phones_from_the_seeds_become_e164() {
        assert_eq!(
            normalize_phone("+7(8722) 55-16-32").unwrap(),
            "+78722551632"
        );
        assert_eq!(read_phone("+7 (8722) 51-03-48,").unwrap(), "+78722510348");
        assert_eq!(
            read_phone("+7\n(8722)\t51-03-48; ").unwrap(),
            "+78722510348"
        );
        assert!(
            normalize_phone("+7 (8722) 51-03-48,").is_err(),
            "the API takes the pattern's form only"
        );
        assert_eq!(
            normalize_phone("8 (8722) 51-61-22").unwrap(),
            "+78722516122"
        );
        assert_eq!(normalize_phone("89281234567").unwrap(), "+79281234567");
        assert_eq!(normalize_phone("9281234567").unwrap(), "+79281234567");
        assert_eq!(normalize_phone("8-800-100-00-00").unwrap(), "+78001000000");
    }

    #[test]
    fn refuses_what_is_not_a_russian_phone() {
        for bad in [
            "",
            "12345",
            "+1 202 555 0100",
            "+7 701 123 45 67",
            "+7(8722)55-16-3x",
            "8722+516122",
            "+7 8722 516 1222",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn local_numbers_take_the_area_code_of_the_previous_one() {
        assert_eq!(
            expand_local_phone("51-61-24", "+78722550528").as_deref(),
            Some("+78722516124")
        );
        assert_eq!(
            expand_local_phone("2-22-22", "+73412222222").as_deref(),
            Some("+73412222222")
        );
        assert_eq!(expand_local_phone("51-61-24", "mchs@e-dag.ru"), None);
        assert_eq!(expand_local_phone("1234", "+78722550528"), None);
        assert_eq!(expand_local_phone("доб. 123", "+78722550528"), None);
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email("MCHS@e-dag.ru").unwrap(), "mchs@e-dag.ru");
        assert_eq!(
            normalize_email("ond.mchs05@mail.ru").unwrap(),
            "ond.mchs05@mail.ru"
        );
        assert_eq!(
            normalize_email("info@минстрой.рф").unwrap(),
            "info@минстрой.рф"
        );
        for bad in [
            "mchs",
            "@e-dag.ru",
            "a@b",
            "a@@b.ru",
            "a b@c.ru",
            "a@-b.ru",
            "a..b@c.ru",
            "a@b.1",
            " a@b.ru",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn urls() {
        let (v, k) = normalize_url("www.mchsrd.ru").unwrap();
        assert_eq!(v, "https://www.mchsrd.ru");
        assert_eq!(k, "www.mchsrd.ru");
        let (v, k) = normalize_url("https://sed.e-dag.ru/").unwrap();
        assert_eq!(
            (v.as_str(), k.as_str()),
            ("https://sed.e-dag.ru/", "sed.e-dag.ru")
        );
        let (v, _) = normalize_url("http://cсту.рф").unwrap();
        assert_eq!(v, "http://cсту.рф");
        assert_eq!(
            normalize_url("https://im.gosuslugi.ru/#/login").unwrap().1,
            "im.gosuslugi.ru/#/login"
        );
        assert_eq!(
            normalize_url("http://127.0.0.1:8080/hook").unwrap().1,
            "127.0.0.1:8080/hook"
        );
        assert_eq!(
            normalize_url("x.ru/go?to=http://y.ru").unwrap(),
            (
                "https://x.ru/go?to=http://y.ru".to_owned(),
                "x.ru/go?to=http://y.ru".to_owned()
            )
        );
        assert_eq!(
            normalize_url("HTTPS://Сайт.РФ/новости/").unwrap_err(),
            "only http and https addresses are accepted"
        );
        assert_eq!(
            normalize_url("https://Сайт.РФ/новости/?a=1").unwrap().1,
            "сайт.рф/новости/?a=1"
        );
        for bad in [
            "",
            "ftp://x.ru",
            "https://",
            "not a url",
            "https://sed.e- dag.ru/",
            "localhost",
            "javascript:alert(1)",
            " www.x.ru",
            "www.x.ru\n",
            "x.ru/a b",
            "x.ru/ä",
            "-x.ru",
            "x-.ru",
            "x..ru",
        ] {
            assert!(normalize_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn contact_errors_name_the_field() {
        let input = ContactInput {
            kind: ContactKind::Phone,
            value: "abc".into(),
            label: None,
        };
        let err = Contact::parse("contacts[1]", &input).unwrap_err();
        assert_eq!(err.field, "contacts[1].value");
        assert_eq!(err.code, "invalid_phone");
    }

    #[test]
    fn text_contacts_fold_for_comparison() {
        let a = Contact::parse(
            "c",
            &ContactInput {
                kind: ContactKind::Text,
                value: "ВКонтакте".into(),
                label: None,
            },
        )
        .unwrap();
        let b = Contact::parse(
            "c",
            &ContactInput {
                kind: ContactKind::Text,
                value: " вконтакте ".into(),
                label: None,
            },
        )
        .unwrap();
        assert_eq!(a.normalized, b.normalized);
    }
}
