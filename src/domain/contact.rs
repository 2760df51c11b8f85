//! Contacts of a touchpoint (URL, e-mail, phone, postal address, free text), each checked
//! by its kind and given a normalised form used to compare them (R7).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A web address; `www.example.ru` is read as `https://www.example.ru`.
    Url,
    /// An e-mail address.
    Email,
    /// A Russian phone number; stored in E.164 (`+7` and 10 digits).
    Phone,
    /// A postal or street address.
    Address,
    /// Anything else (a social network's name, a room number).
    Text,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Url => "url",
            ContactKind::Email => "email",
            ContactKind::Phone => "phone",
            ContactKind::Address => "address",
            ContactKind::Text => "text",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "url" => ContactKind::Url,
            "email" => ContactKind::Email,
            "phone" => ContactKind::Phone,
            "address" => ContactKind::Address,
            "text" => ContactKind::Text,
            other => panic!("unexpected contact kind in database: {other}"),
        }
    }
}

/// A contact as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "phone", "value": "+7 (8722) 51-61-22", "label": "приёмная"}))]
pub struct ContactInput {
    pub kind: ContactKind,
    /// The address, number or text as written; it is checked and normalised by kind.
    #[schema(pattern = "\\S")]
    pub value: String,
    /// Optional caption, e.g. «приёмная», «ВКонтакте».
    #[serde(default)]
    pub label: Option<String>,
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
                let e164 = normalize_phone(&input.value).map_err(|m| FieldError::new(&value_field, "invalid_phone", m))?;
                (e164.clone(), e164)
            }
            ContactKind::Email => {
                let email = normalize_email(&input.value).map_err(|m| FieldError::new(&value_field, "invalid_email", m))?;
                (email.clone(), email)
            }
            ContactKind::Url => normalize_url(&input.value).map_err(|m| FieldError::new(&value_field, "invalid_url", m))?,
            ContactKind::Address | ContactKind::Text => {
                let v = text::required(&value_field, &input.value, 1000)?;
                let folded = text::fold(&v);
                (v, folded)
            }
        };
        let label = text::optional(&format!("{field}.label"), input.label.as_deref(), 300)?;
        Ok(Contact { kind: input.kind, value, label, normalized })
    }
}

/// Normalises a Russian phone number to E.164: `+7 (8722) 51-61-22`, `8 8722 516122` and
/// `88722516122` all become `+78722516122`.
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    let s = raw.trim().trim_end_matches([',', ';', '.']).trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_digit() || " +()-.\u{a0}".contains(*c))) {
        return Err(format!("unexpected character {bad:?} in a phone number"));
    }
    if s.chars().skip(1).any(|c| c == '+') {
        return Err("'+' may only start the number".into());
    }
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = if s.starts_with('+') {
        match digits.strip_prefix('7') {
            Some(rest) if rest.len() == 10 => rest.to_owned(),
            _ => return Err("not a Russian phone number: expected +7 and 10 digits".into()),
        }
    } else if digits.len() == 11 && (digits.starts_with('8') || digits.starts_with('7')) {
        digits[1..].to_owned()
    } else if digits.len() == 10 {
        digits
    } else {
        return Err("not a Russian phone number: expected +7 and 10 digits".into());
    };
    // Russian numbering: geographic codes start with 3, 4 or 8, mobile with 9
    // (+7 6xx and +7 7xx are Kazakhstan).
    if !matches!(national.as_bytes()[0], b'3' | b'4' | b'8' | b'9') {
        return Err("not a Russian phone number: the code after +7 must start with 3, 4, 8 or 9".into());
    }
    Ok(format!("+7{national}"))
}

/// Completes a local number written after a full one in the same cell, as Russian forms do:
/// in «+7(8722) 55-05-28, 51-61-24» the second number shares the area code of the first.
/// Returns `None` unless `short` is 5 to 7 digits and `previous` is an E.164 +7 number.
pub fn expand_local_phone(short: &str, previous: &str) -> Option<String> {
    let s = short.trim().trim_end_matches([',', ';', '.']);
    if s.chars().any(|c| !(c.is_ascii_digit() || " -()".contains(c))) {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let national = previous.strip_prefix("+7").filter(|n| n.len() == 10 && n.chars().all(|c| c.is_ascii_digit()))?;
    if !(5..=7).contains(&digits.len()) {
        return None;
    }
    normalize_phone(&format!("+7{}{}", &national[..10 - digits.len()], digits)).ok()
}

/// Checks the syntax of an e-mail address (Cyrillic domains such as `.рф` allowed) and
/// lower-cases it.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let (local, domain) = s.split_once('@').ok_or("an e-mail address needs an '@'")?;
    if domain.contains('@') {
        return Err("an e-mail address has exactly one '@'".into());
    }
    if local.is_empty() || local.len() > 64 {
        return Err("the part before '@' must have 1 to 64 characters".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before '@' has misplaced dots".into());
    }
    if let Some(bad) = local.chars().find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(*c))) {
        return Err(format!("unexpected character {bad:?} before '@'"));
    }
    check_domain(domain)?;
    Ok(format!("{local}@{domain}").to_lowercase())
}

fn check_domain(domain: &str) -> Result<(), String> {
    if domain.len() > 253 {
        return Err("the domain is too long".into());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain needs at least one dot".into());
    }
    for label in &labels {
        if label.is_empty() || label.chars().count() > 63 {
            return Err("the domain has an empty or over-long part".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a domain part may not start or end with '-'".into());
        }
        if let Some(bad) = label.chars().find(|c| !(c.is_alphanumeric() || *c == '-')) {
            return Err(format!("unexpected character {bad:?} in the domain"));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().count() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("the domain needs a top-level part such as .ru or .рф".into());
    }
    Ok(())
}

/// Checks a web address; a bare `www.site.ru` gets `https://`. Returns the value to keep
/// (as written, Cyrillic hosts stay readable) and the comparison key.
pub fn normalize_url(raw: &str) -> Result<(String, String), String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().any(char::is_whitespace) {
        return Err("a web address may not contain spaces".into());
    }
    let with_scheme = if s.contains("://") { s.to_owned() } else { format!("https://{s}") };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("not a web address: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses are accepted".into());
    }
    let host = url.host_str().ok_or("a web address needs a host")?;
    if let Some(url::Host::Domain(d)) = url.host() {
        // url punycodes Cyrillic hosts; check the form the user wrote
        let written = with_scheme.split("://").nth(1).unwrap_or("").split(['/', '?', '#', ':']).next().unwrap_or("");
        check_domain(if written.is_empty() { d } else { written })?;
    }
    let mut key = format!("{}{}", host.to_lowercase(), url.path());
    if let Some(q) = url.query() {
        key.push('?');
        key.push_str(q);
    }
    if let Some(f) = url.fragment() {
        key.push('#');
        key.push_str(f);
    }
    let key = key.trim_end_matches('/').to_owned();
    Ok((with_scheme, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_from_the_seeds_become_e164() {
        assert_eq!(normalize_phone("+7(8722) 55-16-32").unwrap(), "+78722551632");
        assert_eq!(normalize_phone("+7 (8722) 51-03-48,").unwrap(), "+78722510348");
        assert_eq!(normalize_phone("8 (8722) 51-61-22").unwrap(), "+78722516122");
        assert_eq!(normalize_phone("89281234567").unwrap(), "+79281234567");
        assert_eq!(normalize_phone("9281234567").unwrap(), "+79281234567");
        assert_eq!(normalize_phone("8-800-100-00-00").unwrap(), "+78001000000");
    }

    #[test]
    fn refuses_what_is_not_a_russian_phone() {
        for bad in ["", "12345", "+1 202 555 0100", "+7 701 123 45 67", "+7(8722)55-16-3x", "8722+516122", "+7 8722 516 1222"] {
            assert!(normalize_phone(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn local_numbers_take_the_area_code_of_the_previous_one() {
        assert_eq!(expand_local_phone("51-61-24", "+78722550528").as_deref(), Some("+78722516124"));
        assert_eq!(expand_local_phone("2-22-22", "+73412222222").as_deref(), Some("+73412222222"));
        assert_eq!(expand_local_phone("51-61-24", "mchs@e-dag.ru"), None);
        assert_eq!(expand_local_phone("1234", "+78722550528"), None);
        assert_eq!(expand_local_phone("доб. 123", "+78722550528"), None);
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" MCHS@e-dag.ru ").unwrap(), "mchs@e-dag.ru");
        assert_eq!(normalize_email("ond.mchs05@mail.ru").unwrap(), "ond.mchs05@mail.ru");
        assert_eq!(normalize_email("info@минстрой.рф").unwrap(), "info@минстрой.рф");
        for bad in ["mchs", "@e-dag.ru", "a@b", "a@@b.ru", "a b@c.ru", "a@-b.ru", "a..b@c.ru", "a@b.1"] {
            assert!(normalize_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn urls() {
        let (v, k) = normalize_url("www.mchsrd.ru").unwrap();
        assert_eq!(v, "https://www.mchsrd.ru");
        assert_eq!(k, "www.mchsrd.ru");
        let (v, k) = normalize_url("https://sed.e-dag.ru/").unwrap();
        assert_eq!((v.as_str(), k.as_str()), ("https://sed.e-dag.ru/", "sed.e-dag.ru"));
        let (v, _) = normalize_url("http://cсту.рф").unwrap();
        assert_eq!(v, "http://cсту.рф");
        assert_eq!(normalize_url("https://im.gosuslugi.ru/#/login").unwrap().1, "im.gosuslugi.ru/#/login");
        for bad in ["", "ftp://x.ru", "https://", "not a url", "https://sed.e- dag.ru/", "localhost", "javascript:alert(1)"] {
            assert!(normalize_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn contact_errors_name_the_field() {
        let input = ContactInput { kind: ContactKind::Phone, value: "abc".into(), label: None };
        let err = Contact::parse("contacts[1]", &input).unwrap_err();
        assert_eq!(err.field, "contacts[1].value");
        assert_eq!(err.code, "invalid_phone");
    }

    #[test]
    fn text_contacts_fold_for_comparison() {
        let a = Contact::parse("c", &ContactInput { kind: ContactKind::Text, value: "ВКонтакте".into(), label: None }).unwrap();
        let b = Contact::parse("c", &ContactInput { kind: ContactKind::Text, value: " вконтакте ".into(), label: None }).unwrap();
        assert_eq!(a.normalized, b.normalized);
    }
}
