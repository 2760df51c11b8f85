//! The open-data settings of an agency and of a region: what the passport (`meta.csv`) needs
//! and the register does not know. Checked here, stored as one JSON object (db.rs).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{contact, text};
use crate::error::{ApiError, FieldError};

/// The longest set code (the part of the identifier after the INN).
pub const CODE_MAX: usize = 64;
/// The longest keyword of `subject`.
pub const KEYWORD_MAX: usize = 100;
/// At most this many keywords.
pub const KEYWORDS_MAX_ITEMS: usize = 20;
/// A set's title.
pub const TITLE_MAX: usize = 1000;
/// A set's description.
pub const DESCRIPTION_MAX: usize = 4000;
/// A licence's name.
pub const LICENSE_TITLE_MAX: usize = 300;
/// The regional body publishing a consolidated set.
pub const CREATOR_MAX: usize = 1000;

/// The INN of a legal entity: 10 digits (the control digit is not checked, so the pattern says
/// exactly what is accepted).
pub const INN_PATTERN: &str = "^[0-9]{10}$";
/// A set's code: Latin letters, digits, `_` and `-`, a letter or digit first.
pub const CODE_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";
/// A keyword: no comma (the passport joins them with «, »), not blank.
pub const KEYWORD_PATTERN: &str = "^[^,]*[^,\\s][^,]*$";

/// The code of an agency's set when none is given: the identifier is `<INN>-touchpoints`.
pub const DEFAULT_AGENCY_CODE: &str = "touchpoints";
/// The code of a region's consolidated set when none is given.
pub const DEFAULT_REGION_CODE: &str = "touchpoints-region";
/// The keywords (`subject`) when none are given.
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "перечень точек взаимодействия",
    "клиентоцентричность",
    "государственное управление",
    "обращения граждан",
];

/// How often the set is brought up to date: the passport's `valid` (the date the data are
/// current until) is the last publication's date plus this period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Periodicity {
    Monthly,
    Quarterly,
    Semiannually,
    /// The register is revised every year (the default).
    #[default]
    Annually,
}

impl Periodicity {
    pub fn months(self) -> u32 {
        match self {
            Periodicity::Monthly => 1,
            Periodicity::Quarterly => 3,
            Periodicity::Semiannually => 6,
            Periodicity::Annually => 12,
        }
    }
}

/// The terms of use of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Creative Commons Attribution 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}))]
pub struct License {
    #[schema(pattern = "\\S", max_length = 300)]
    pub title: String,
    /// An `http://` or `https://` address of the licence's text.
    #[schema(schema_with = license_url_schema)]
    pub url: String,
}

/// The official responsible for the set (the passport's `publishername`, `publisherphone`,
/// `publishermbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Магомедов Рашид Ахмедович", "phone": "+78722516122", "email": "opendata@mchsrd.ru"}))]
pub struct Publisher {
    /// Surname, name and patronymic (a position may follow after a comma).
    #[schema(pattern = "\\S", max_length = 300)]
    pub name: String,
    #[schema(schema_with = phone_schema)]
    pub phone: String,
    #[schema(schema_with = email_schema)]
    pub email: String,
}

/// An agency's open-data settings: what its set's passport needs besides the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "inn": "0541018037",
    "code": "touchpoints",
    "title": null,
    "description": null,
    "keywords": ["перечень точек взаимодействия", "МЧС"],
    "periodicity": "annually",
    "license": {"title": "Creative Commons Attribution 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "publisher": {"name": "Магомедов Рашид Ахмедович", "phone": "+78722516122", "email": "opendata@mchsrd.ru"}
}))]
pub struct OpenDataSettings {
    /// The body's INN: the identifier is `<inn>-<code>`.
    #[schema(pattern = "^[0-9]{10}$", example = "0541018037")]
    pub inn: String,
    /// The set's code after the INN; absent or null: `touchpoints`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", max_length = 64, example = "touchpoints")]
    pub code: Option<String>,
    /// The set's title; absent or null: «Перечень точек взаимодействия <agency name>».
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub title: Option<String>,
    /// The set's description; absent or null: one derived from the agency's name.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 4000)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(schema_with = keywords_schema)]
    pub keywords: Option<Vec<Keyword>>,
    /// Absent or null: `annually`.
    #[serde(default)]
    pub periodicity: Option<Periodicity>,
    pub license: License,
    pub publisher: Publisher,
}

/// A region's open-data settings: the consolidated set's creator and the rest as an agency's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "creator": "Министерство цифрового развития Республики Дагестан",
    "inn": "0572012345",
    "code": "touchpoints-region",
    "title": null,
    "description": null,
    "keywords": null,
    "periodicity": "annually",
    "license": {"title": "Creative Commons Attribution 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "publisher": {"name": "Алиев Алий Алиевич", "phone": "+78722670000", "email": "opendata@e-dag.ru"}
}))]
pub struct RegionOpenDataSettings {
    /// The regional body that publishes the consolidated set (the passport's `creator`).
    #[schema(pattern = "\\S", max_length = 1000)]
    pub creator: String,
    /// That body's INN: the identifier is `<inn>-<code>`.
    #[schema(pattern = "^[0-9]{10}$", example = "0572012345")]
    pub inn: String,
    /// Absent or null: `touchpoints-region`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", max_length = 64, example = "touchpoints-region")]
    pub code: Option<String>,
    /// Absent or null: «Сводный перечень точек взаимодействия органов власти: <region>».
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub title: Option<String>,
    /// Absent or null: one derived from the region's name.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 4000)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(schema_with = keywords_schema)]
    pub keywords: Option<Vec<Keyword>>,
    #[serde(default)]
    pub periodicity: Option<Periodicity>,
    pub license: License,
    pub publisher: Publisher,
}

/// One keyword (a string; its schema is stated on the list).
pub type Keyword = String;

/// Checked settings as stored (defaults filled in where a default is fixed; title and
/// description stay absent when derived, so they follow the agency's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub creator: Option<String>,
    pub inn: String,
    pub code: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub periodicity: Periodicity,
    pub license: License,
    pub publisher: Publisher,
}

struct Common<'a> {
    inn: &'a str,
    code: Option<&'a str>,
    title: Option<&'a str>,
    description: Option<&'a str>,
    keywords: Option<&'a [String]>,
    periodicity: Option<Periodicity>,
    license: &'a License,
    publisher: &'a Publisher,
}

fn check(c: Common<'_>, creator: Option<&str>, default_code: &str) -> Result<Checked, ApiError> {
    let mut e: Vec<FieldError> = Vec::new();
    let creator = creator.and_then(|v| {
        text::required("creator", v, CREATOR_MAX)
            .map_err(|x| e.push(x))
            .ok()
    });
    if !(c.inn.len() == 10 && c.inn.bytes().all(|b| b.is_ascii_digit())) {
        e.push(FieldError::new(
            "inn",
            "invalid",
            "the INN of a legal entity: 10 digits",
        ));
    }
    let code = match c.code {
        None => default_code.to_owned(),
        Some(v) => {
            let ok = v.len() <= CODE_MAX
                && v.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                e.push(FieldError::new(
                    "code",
                    "invalid",
                    format!("1 to {CODE_MAX} Latin letters, digits, '_' or '-', a letter or digit first"),
                ));
            }
            v.to_owned()
        }
    };
    let title = c.title.and_then(|v| {
        text::required("title", v, TITLE_MAX)
            .map_err(|x| e.push(x))
            .ok()
    });
    let description = c.description.and_then(|v| {
        text::required("description", v, DESCRIPTION_MAX)
            .map_err(|x| e.push(x))
            .ok()
    });
    let keywords = match c.keywords {
        None => DEFAULT_KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
        Some(list) => {
            if list.is_empty() || list.len() > KEYWORDS_MAX_ITEMS {
                e.push(FieldError::new(
                    "keywords",
                    "wrong_count",
                    format!("1 to {KEYWORDS_MAX_ITEMS} keywords, or null for the default ones"),
                ));
            }
            let mut out = Vec::new();
            for (i, k) in list.iter().enumerate() {
                let field = format!("keywords[{i}]");
                if k.contains(',') {
                    e.push(FieldError::new(
                        &field,
                        "invalid",
                        "a keyword may not contain ','",
                    ));
                    continue;
                }
                match text::required(&field, k, KEYWORD_MAX) {
                    Ok(k) => out.push(k),
                    Err(x) => e.push(x),
                }
            }
            out
        }
    };
    let license = License {
        title: text::required("license.title", &c.license.title, LICENSE_TITLE_MAX)
            .map_err(|x| e.push(x))
            .unwrap_or_default(),
        url: match check_absolute_url(&c.license.url) {
            Ok(u) => u,
            Err(msg) => {
                e.push(FieldError::new("license.url", "invalid_url", msg));
                String::new()
            }
        },
    };
    let publisher = Publisher {
        name: text::required("publisher.name", &c.publisher.name, text::PERSON_MAX)
            .map_err(|x| e.push(x))
            .unwrap_or_default(),
        phone: contact::normalize_phone(&c.publisher.phone)
            .map_err(|msg| e.push(FieldError::new("publisher.phone", "invalid_phone", msg)))
            .unwrap_or_default(),
        email: contact::normalize_email(&c.publisher.email)
            .map_err(|msg| e.push(FieldError::new("publisher.email", "invalid_email", msg)))
            .unwrap_or_default(),
    };
    if !e.is_empty() {
        return Err(ApiError::validation(e));
    }
    Ok(Checked {
        creator,
        inn: c.inn.to_owned(),
        code,
        title,
        description,
        keywords,
        periodicity: c.periodicity.unwrap_or_default(),
        license,
        publisher,
    })
}

/// A licence's address: [`contact::pattern::ABSOLUTE_URL`], at most [`text::URL_MAX`]
/// characters; kept as written.
pub fn check_absolute_url(raw: &str) -> Result<String, String> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(contact::pattern::ABSOLUTE_URL).expect("absolute URL pattern")
    });
    if raw.chars().count() > text::URL_MAX {
        return Err(format!(
            "a web address has at most {} characters",
            text::URL_MAX
        ));
    }
    if !(raw.starts_with("http://") || raw.starts_with("https://")) {
        return Err("an http:// or https:// address".into());
    }
    if !RE.is_match(raw) {
        // the same words as a touchpoint's address would get
        return Err(contact::normalize_url(raw)
            .err()
            .unwrap_or_else(|| "not a web address".into()));
    }
    Ok(raw.to_owned())
}

impl OpenDataSettings {
    pub fn validate(&self) -> Result<Checked, ApiError> {
        check(
            Common {
                inn: &self.inn,
                code: self.code.as_deref(),
                title: self.title.as_deref(),
                description: self.description.as_deref(),
                keywords: self.keywords.as_deref(),
                periodicity: self.periodicity,
                license: &self.license,
                publisher: &self.publisher,
            },
            None,
            DEFAULT_AGENCY_CODE,
        )
    }
}

impl RegionOpenDataSettings {
    pub fn validate(&self) -> Result<Checked, ApiError> {
        check(
            Common {
                inn: &self.inn,
                code: self.code.as_deref(),
                title: self.title.as_deref(),
                description: self.description.as_deref(),
                keywords: self.keywords.as_deref(),
                periodicity: self.periodicity,
                license: &self.license,
                publisher: &self.publisher,
            },
            Some(&self.creator),
            DEFAULT_REGION_CODE,
        )
    }
}

impl Checked {
    /// `<INN>-<code>`: the set's identifier (its directory name).
    pub fn identifier(&self) -> String {
        format!("{}-{}", self.inn, self.code)
    }

    pub fn agency_settings(&self) -> OpenDataSettings {
        OpenDataSettings {
            inn: self.inn.clone(),
            code: Some(self.code.clone()),
            title: self.title.clone(),
            description: self.description.clone(),
            keywords: Some(self.keywords.clone()),
            periodicity: Some(self.periodicity),
            license: self.license.clone(),
            publisher: self.publisher.clone(),
        }
    }

    pub fn region_settings(&self) -> RegionOpenDataSettings {
        RegionOpenDataSettings {
            creator: self.creator.clone().unwrap_or_default(),
            inn: self.inn.clone(),
            code: Some(self.code.clone()),
            title: self.title.clone(),
            description: self.description.clone(),
            keywords: Some(self.keywords.clone()),
            periodicity: Some(self.periodicity),
            license: self.license.clone(),
            publisher: self.publisher.clone(),
        }
    }
}

fn keywords_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, SchemaType, Type};
    let item = contact::string_schema(
        KEYWORD_PATTERN,
        Some(KEYWORD_MAX),
        "A keyword: no comma, not blank.",
    );
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(item)
        .min_items(Some(1))
        .max_items(Some(KEYWORDS_MAX_ITEMS))
        .description(Some(
            "The passport's `subject`, joined with «, »; absent or null: a default list.",
        ))
        .build()
}

fn license_url_schema() -> utoipa::openapi::Object {
    contact::string_schema(
        contact::pattern::ABSOLUTE_URL,
        Some(text::URL_MAX),
        "The licence's text: an http:// or https:// address, kept as written.",
    )
}

fn phone_schema() -> utoipa::openapi::Object {
    contact::string_schema(
        contact::pattern::PHONE,
        None,
        "A Russian phone number in any usual spelling; stored in E.164 (`+78722516122`), as the passport prints it.",
    )
}

fn email_schema() -> utoipa::openapi::Object {
    contact::string_schema(
        contact::pattern::EMAIL,
        Some(contact::pattern::EMAIL_MAX),
        "The official's e-mail address; stored lower-cased.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OpenDataSettings {
        serde_json::from_value(serde_json::json!({
            "inn": "0541018037",
            "license": {"title": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "publisher": {"name": "Иванов Иван Иванович", "phone": "8 (8722) 51-61-22", "email": "OpenData@mchsrd.ru"}
        }))
        .unwrap()
    }

    #[test]
    fn defaults_are_filled_and_contacts_normalised() {
        let c = settings().validate().unwrap();
        assert_eq!(c.identifier(), "0541018037-touchpoints");
        assert_eq!(c.publisher.phone, "+78722516122");
        assert_eq!(c.publisher.email, "opendata@mchsrd.ru");
        assert_eq!(c.periodicity, Periodicity::Annually);
        assert_eq!(c.keywords.len(), DEFAULT_KEYWORDS.len());
        assert_eq!(c.title, None);
        // what GET answers can be PUT back and means the same
        assert_eq!(c.agency_settings().validate().unwrap(), c);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let mut s = settings();
        s.inn = "05410180".into();
        s.code = Some("-x".into());
        s.title = Some("  ".into());
        s.keywords = Some(vec!["a,b".into(), " ".into()]);
        s.license.url = "creativecommons.org/licenses/by/4.0/".into();
        s.publisher.phone = "+1 555 0100".into();
        s.publisher.email = "nobody".into();
        let ApiError::Client { errors, .. } = s.validate().unwrap_err() else {
            panic!("not a validation error")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "inn",
                "code",
                "title",
                "keywords[0]",
                "keywords[1]",
                "license.url",
                "publisher.phone",
                "publisher.email"
            ]
        );
    }

    #[test]
    fn the_patterns_say_what_validation_accepts() {
        let inn = regex::Regex::new(INN_PATTERN).unwrap();
        let code = regex::Regex::new(CODE_PATTERN).unwrap();
        let keyword = regex::Regex::new(KEYWORD_PATTERN).unwrap();
        let url = regex::Regex::new(contact::pattern::ABSOLUTE_URL).unwrap();
        for (v, ok) in [
            ("0541018037", true),
            ("054101803", false),
            ("05410180371", false),
        ] {
            assert_eq!(inn.is_match(v), ok, "{v}");
        }
        for (v, ok) in [
            ("touchpoints", true),
            ("a", true),
            ("_a", false),
            ("a.b", false),
        ] {
            assert_eq!(code.is_match(v), ok, "{v}");
        }
        assert!(code.is_match(&"a".repeat(64)) && !code.is_match(&"a".repeat(65)));
        for (v, ok) in [("МЧС", true), (" a ", true), ("a,b", false), ("  ", false)] {
            assert_eq!(keyword.is_match(v), ok, "{v}");
        }
        for (v, ok) in [
            ("https://creativecommons.org/licenses/by/4.0/", true),
            ("http://data.gov.ru/license", true),
            ("creativecommons.org", false),
            ("ftp://x.ru", false),
        ] {
            assert_eq!(url.is_match(v), ok, "{v}");
            assert_eq!(check_absolute_url(v).is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn a_region_needs_its_creator() {
        let s: RegionOpenDataSettings = serde_json::from_value(serde_json::json!({
            "creator": " ",
            "inn": "0572012345",
            "license": {"title": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "publisher": {"name": "Алиев А.А.", "phone": "+78722670000", "email": "od@e-dag.ru"}
        }))
        .unwrap();
        assert!(s.validate().is_err());
        let ok = RegionOpenDataSettings {
            creator: "Минцифры РД".into(),
            ..s
        };
        let c = ok.validate().unwrap();
        assert_eq!(c.identifier(), "0572012345-touchpoints-region");
        assert_eq!(c.region_settings().validate().unwrap(), c);
    }
}
