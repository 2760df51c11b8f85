//! The register as open data (открытые данные): each agency's published versions, and each
//! region's consolidated register, as a data set laid out as the Russian methodological
//! recommendations on publishing open data, version 3.0, lay one out — a passport (`meta.csv`,
//! and the same as `meta.json`), a structure file, and dated data files, every version listed
//! in the passport so each links to the earlier ones; a registry of the sets (`list.csv`).
//! Which parts of that layout were confirmed, and from where, is in the README («Open data»).
//!
//! Plain functions here (names, dates, rows, CSV); the settings in `model`, storage in `db`,
//! HTTP in `api`.

pub mod api;
pub mod db;
pub mod model;

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::form::Marks;
use crate::domain::register::RegisterRow;
use crate::public::render;

/// The `standardversion` of every passport and registry: the recommendations' version 3.0.
pub const STANDARD_VERSION: &str = "http://opendata.gosmonitor.ru/standard/3.0";

/// `format` of the passport: every file is CSV.
pub const FORMAT: &str = "csv";

/// A version's date in file names: `YYYYMMDDTHHMM` (UTC).
pub const STAMP_FORMAT: &str = "%Y%m%dT%H%M";

/// The `pattern` of a stamp in a path (the spec's; [`parse_stamp`] also refuses impossible
/// dates and times, answered 404 as any name the passport does not list).
pub const STAMP_PATTERN: &str = "^[0-9]{8}T[0-9]{4}$";

/// A date in the passport (`created`, `modified`, `valid`): `YYYYMMDD`.
pub const DATE_FORMAT: &str = "%Y%m%d";

/// The minute of each publication, for file names: `published` oldest first; a publication in
/// the same minute as the one before it (or, with clocks of several instances, earlier) takes
/// the next free minute, so every data file has a name of its own and names sort as versions
/// do. A version's stamp depends only on it and the versions before it: it never changes.
pub fn stamps(published: &[DateTime<Utc>]) -> Vec<NaiveDateTime> {
    let mut out: Vec<NaiveDateTime> = Vec::with_capacity(published.len());
    for t in published {
        let minute = t
            .naive_utc()
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or_else(|| t.naive_utc());
        let stamp = match out.last() {
            Some(prev) if minute <= *prev => *prev + chrono::Duration::minutes(1),
            _ => minute,
        };
        out.push(stamp);
    }
    out
}

pub fn stamp_text(stamp: NaiveDateTime) -> String {
    stamp.format(STAMP_FORMAT).to_string()
}

/// Reads a `YYYYMMDDTHHMM` from a file name; `None` for anything else.
pub fn parse_stamp(s: &str) -> Option<NaiveDateTime> {
    if s.len() != 13 {
        return None;
    }
    NaiveDateTime::parse_from_str(s, STAMP_FORMAT).ok()
}

/// `data-<stamp>-structure-<stamp>`: a data file's name (the passport's property; the file is
/// that and `.csv`).
pub fn data_name(data: NaiveDateTime, structure: NaiveDateTime) -> String {
    format!(
        "data-{}-structure-{}",
        stamp_text(data),
        stamp_text(structure)
    )
}

/// `structure-<stamp>`: the structure file's name (without `.csv`).
pub fn structure_name(structure: NaiveDateTime) -> String {
    format!("structure-{}", stamp_text(structure))
}

/// The date the data are current until: `from` plus the update period.
pub fn valid_until(from: NaiveDate, periodicity: model::Periodicity) -> NaiveDate {
    from.checked_add_months(Months::new(periodicity.months()))
        .unwrap_or(from)
}

/// One column of the data files, as the structure file describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// `field name`: the header of the data file.
    pub name: &'static str,
    pub english: &'static str,
    pub russian: &'static str,
    /// `format`: `string` or `integer`.
    pub format: &'static str,
}

/// The columns of every data file (an agency's and a region's alike): the six mandatory
/// columns of the form with the ids behind them, and the body the row belongs to.
pub const COLUMNS: [Column; 12] = [
    Column {
        name: "agency_id",
        english: "Identifier of the public body (UUID)",
        russian: "Идентификатор органа власти (организации) в сервисе (UUID)",
        format: "string",
    },
    Column {
        name: "agency",
        english: "Name of the public body",
        russian: "Наименование органа власти (организации)",
        format: "string",
    },
    Column {
        name: "version",
        english: "Number of the published version of the body's register",
        russian: "Номер опубликованной версии перечня органа",
        format: "integer",
    },
    Column {
        name: "n",
        english: "Row number in the body's register",
        russian: "№ п/п в перечне органа",
        format: "integer",
    },
    Column {
        name: "direction_id",
        english: "Identifier of the activity direction (UUID)",
        russian: "Идентификатор направления деятельности (UUID)",
        format: "string",
    },
    Column {
        name: "direction",
        english: "Activity direction",
        russian: "Направление деятельности",
        format: "string",
    },
    Column {
        name: "process_id",
        english: "Identifier of the process (UUID)",
        russian: "Идентификатор процесса (UUID)",
        format: "string",
    },
    Column {
        name: "process",
        english: "Process (function, service)",
        russian: "Наименование процесса (функции, услуги)",
        format: "string",
    },
    Column {
        name: "touchpoint_id",
        english: "Identifier of the touchpoint (UUID); empty for a process without touchpoints",
        russian: "Идентификатор точки взаимодействия (UUID); пусто у процесса без точек",
        format: "string",
    },
    Column {
        name: "touchpoint",
        english: "Touchpoint with its contacts (column 4 of the form)",
        russian: "Точка взаимодействия с клиентом и её контакты (графа 4 формы)",
        format: "string",
    },
    Column {
        name: "interaction",
        english: "Interaction with the client (column 5 of the form)",
        russian: "Осуществляемое взаимодействие с клиентом (графа 5 формы)",
        format: "string",
    },
    Column {
        name: "features",
        english:
            "Features of the interaction: digital or offline touchpoint (column 6 of the form)",
        russian: "Особенности взаимодействия: цифровая или офлайн-точка (графа 6 формы)",
        format: "string",
    },
];

/// Every column of a data file, in order.
pub fn columns() -> Vec<Column> {
    COLUMNS.to_vec()
}

/// The header of the structure file.
pub const STRUCTURE_HEADER: [&str; 4] = [
    "field name",
    "english description",
    "russian description",
    "format",
];

/// One CSV cell, comma-separated (RFC 4180): quoted when it holds `,`, `"` or a line break,
/// and never a formula (a leading `'`, as the register's own CSV export does,
/// [`render::starts_a_formula`]).
pub fn csv_cell(s: &str) -> String {
    let neutral;
    let s = if render::starts_a_formula(s) {
        neutral = format!("'{s}");
        neutral.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A line of cells ending in CRLF (RFC 4180).
pub fn csv_line<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c.as_ref())).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The structure file: a row per data column.
pub fn structure_csv() -> String {
    let mut out = String::new();
    csv_line(&mut out, &STRUCTURE_HEADER);
    for c in columns() {
        csv_line(&mut out, &[c.name, c.english, c.russian, c.format]);
    }
    out
}

/// The header line of a data file.
pub fn data_header() -> String {
    let mut out = String::new();
    let names: Vec<&str> = columns().iter().map(|c| c.name).collect();
    csv_line(&mut out, &names);
    out
}

/// A register row as a data row, in [`columns`] order; column 6 in the words of the version's
/// form profile (`marks`), as the register prints it.
pub fn data_cells(
    agency_id: Uuid,
    agency: &str,
    version: i32,
    row: &RegisterRow,
    marks: &Marks,
) -> Vec<String> {
    let t = row.touchpoint.as_ref();
    vec![
        agency_id.to_string(),
        agency.to_owned(),
        version.to_string(),
        row.n.to_string(),
        row.direction_id.to_string(),
        row.direction.clone(),
        row.process_id.to_string(),
        row.process.clone(),
        t.map(|t| t.id.to_string()).unwrap_or_default(),
        render::touchpoint_cell(row),
        render::interaction_cell(row),
        render::features_text(row, marks),
    ]
}

/// One body's version in a data file.
pub struct Section<'a> {
    pub agency_id: Uuid,
    pub agency: &'a str,
    pub version: i32,
    pub rows: &'a [RegisterRow],
    pub marks: Marks,
}

/// A data file: the header, then each section's rows in the register's order.
pub fn data_csv(sections: &[Section<'_>]) -> String {
    let mut out = data_header();
    for s in sections {
        for r in s.rows {
            csv_line(
                &mut out,
                &data_cells(s.agency_id, s.agency, s.version, r, &s.marks),
            );
        }
    }
    out
}

/// One data file of a set, as the passport lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DataFile {
    /// The file's address.
    pub source: String,
    /// Its stamp, `YYYYMMDDTHHMM` (the publication's minute, UTC).
    pub created: String,
    /// What this version changed.
    pub provenance: String,
    /// The date the data are current until, `YYYYMMDD`.
    pub valid: String,
    /// The stamp of the structure it follows.
    pub structure: String,
}

/// One structure file of a set.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StructureFile {
    pub source: String,
    /// `YYYYMMDDTHHMM`.
    pub created: String,
}

/// The responsible official.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PassportPublisher {
    pub name: String,
    pub phone: String,
    pub mbox: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PassportLicense {
    pub title: String,
    pub url: String,
}

/// A set's passport: `meta.json` as it is, `meta.csv` through [`passport_rows`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "standardversion": "http://opendata.gosmonitor.ru/standard/3.0",
    "identifier": "0541018037-touchpoints",
    "title": "Перечень точек взаимодействия Главного управления МЧС России по Республике Дагестан",
    "description": "Точки взаимодействия с гражданами и организациями …",
    "creator": "Главное управление МЧС России по Республике Дагестан",
    "created": "20261129",
    "modified": "20261129",
    "subject": "перечень точек взаимодействия, клиентоцентричность",
    "format": "csv",
    "provenance": "Версия 1 перечня, SHA-256 5f3a…",
    "valid": "20271129",
    "publisher": {"name": "Магомедов Рашид Ахмедович", "phone": "+78722516122", "mbox": "opendata@mchsrd.ru"},
    "license": {"title": "Creative Commons Attribution 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "data": [{"source": "https://reestr.example.ru/api/v1/public/opendata/agencies/0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10/data-20261129T0300-structure-20261129T0300.csv", "created": "20261129T0300", "provenance": "Версия 1 перечня, SHA-256 5f3a…", "valid": "20271129", "structure": "20261129T0300"}],
    "structure": [{"source": "https://reestr.example.ru/api/v1/public/opendata/agencies/0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10/structure-20261129T0300.csv", "created": "20261129T0300"}]
}))]
pub struct Passport {
    pub standardversion: String,
    /// `<INN>-<code>`.
    pub identifier: String,
    pub title: String,
    pub description: String,
    /// The body that owns the set.
    pub creator: String,
    /// First publication, `YYYYMMDD`.
    pub created: String,
    /// Latest publication, `YYYYMMDD`.
    pub modified: String,
    /// Keywords joined with «, ».
    pub subject: String,
    pub format: String,
    /// What the latest version changed.
    pub provenance: String,
    /// The latest version is current until, `YYYYMMDD`.
    pub valid: String,
    pub publisher: PassportPublisher,
    pub license: PassportLicense,
    /// Every data file, newest first.
    pub data: Vec<DataFile>,
    /// Every structure file, newest first.
    pub structure: Vec<StructureFile>,
}

/// The rows of `meta.csv` after its `property,value` header, in the order real passports
/// published under version 3.0 print them (see the README): the fixed properties, then one
/// `data-…-structure-…` row per data file and one `structure-…` row per structure file, newest
/// first, each with the file's address.
pub fn passport_rows(p: &Passport) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = [
        ("standardversion", p.standardversion.as_str()),
        ("identifier", &p.identifier),
        ("title", &p.title),
        ("description", &p.description),
        ("creator", &p.creator),
        ("created", &p.created),
        ("modified", &p.modified),
        ("subject", &p.subject),
        ("format", &p.format),
        ("provenance", &p.provenance),
        ("valid", &p.valid),
        ("publishername", &p.publisher.name),
        ("publisherphone", &p.publisher.phone),
        ("publishermbox", &p.publisher.mbox),
        ("license", &p.license.url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for d in &p.data {
        rows.push((
            format!("data-{}-structure-{}", d.created, d.structure),
            d.source.clone(),
        ));
    }
    for s in &p.structure {
        rows.push((format!("structure-{}", s.created), s.source.clone()));
    }
    rows
}

/// The properties every passport has, in order (what the tests hold `meta.csv` to).
pub const REQUIRED_PROPERTIES: [&str; 15] = [
    "standardversion",
    "identifier",
    "title",
    "description",
    "creator",
    "created",
    "modified",
    "subject",
    "format",
    "provenance",
    "valid",
    "publishername",
    "publisherphone",
    "publishermbox",
    "license",
];

/// `meta.csv`: `property,value`, then [`passport_rows`]. Values are cells as everywhere: a
/// phone in E.164 starts with `+` and would be neutralised as a formula, so the phone row is
/// written as the settings checked it (digits after the `+`, nothing a spreadsheet runs).
pub fn meta_csv(p: &Passport) -> String {
    let mut out = String::new();
    csv_line(&mut out, &["property", "value"]);
    for (k, v) in passport_rows(p) {
        if k == "publisherphone" && is_e164(&v) {
            out.push_str(&format!("{k},{v}\r\n"));
        } else {
            csv_line(&mut out, &[k, v]);
        }
    }
    out
}

fn is_e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.len() <= 15 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// One set in the registry.
pub struct ListEntry {
    pub identifier: String,
    pub title: String,
    /// The address of its `meta.csv`.
    pub meta: String,
}

/// `list.csv`: `property,title,value,format`, the `standardversion` row, then a row per set.
pub fn list_csv(entries: &[ListEntry]) -> String {
    let mut out = String::new();
    csv_line(&mut out, &["property", "title", "value", "format"]);
    csv_line(
        &mut out,
        &[
            "standardversion",
            "Версия методических рекомендаций",
            STANDARD_VERSION,
            "",
        ],
    );
    for e in entries {
        csv_line(&mut out, &[&e.identifier, &e.title, &e.meta, FORMAT]);
    }
    out
}

/// The default title and description of an agency's set.
pub fn agency_title(agency: &str) -> String {
    format!("Перечень точек взаимодействия: {agency}")
}

pub fn agency_description(agency: &str) -> String {
    format!(
        "Точки взаимодействия с гражданами и организациями (клиентами), которые ведёт {agency}: \
         направления деятельности, процессы (функции, услуги), точки взаимодействия с контактами, \
         осуществляемое взаимодействие и его особенности (цифровая или офлайн-точка). \
         Каждый файл данных — опубликованная версия перечня."
    )
}

pub fn region_title(region: &str) -> String {
    format!("Сводный перечень точек взаимодействия органов власти: {region}")
}

pub fn region_description(region: &str) -> String {
    format!(
        "Действующие опубликованные перечни точек взаимодействия с гражданами и организациями \
         органов власти и подведомственных организаций ({region}) в одном наборе. Каждый файл \
         данных — состояние сводного перечня после очередной публикации одного из органов."
    )
}

/// A published version of a set, oldest first, as the passport needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct SetVersion {
    pub published_at: DateTime<Utc>,
    pub provenance: String,
}

/// Builds a passport: `versions` oldest first (at least one); addresses are `base` (the set's
/// directory, ending in `/`) and the file name.
#[allow(clippy::too_many_arguments)]
pub fn passport(
    settings: &model::Checked,
    title: String,
    description: String,
    creator: String,
    versions: &[SetVersion],
    base: &str,
) -> Passport {
    let published: Vec<DateTime<Utc>> = versions.iter().map(|v| v.published_at).collect();
    let stamps = stamps(&published);
    // one structure for every version: the columns are the service's, fixed since the first
    // publication of the set
    let structure = stamps[0];
    let mut data: Vec<DataFile> = versions
        .iter()
        .zip(&stamps)
        .map(|(v, s)| DataFile {
            source: format!("{base}{}.csv", data_name(*s, structure)),
            created: stamp_text(*s),
            provenance: v.provenance.clone(),
            valid: valid_until(s.date(), settings.periodicity)
                .format(DATE_FORMAT)
                .to_string(),
            structure: stamp_text(structure),
        })
        .collect();
    data.reverse();
    let newest = &data[0];
    Passport {
        standardversion: STANDARD_VERSION.to_owned(),
        identifier: settings.identifier(),
        title: settings.title.clone().unwrap_or(title),
        description: settings.description.clone().unwrap_or(description),
        creator,
        created: stamps[0].format(DATE_FORMAT).to_string(),
        modified: stamps[stamps.len() - 1].format(DATE_FORMAT).to_string(),
        subject: settings.keywords.join(", "),
        format: FORMAT.to_owned(),
        provenance: newest.provenance.clone(),
        valid: newest.valid.clone(),
        publisher: PassportPublisher {
            name: settings.publisher.name.clone(),
            phone: settings.publisher.phone.clone(),
            mbox: settings.publisher.email.clone(),
        },
        license: PassportLicense {
            title: settings.license.title.clone(),
            url: settings.license.url.clone(),
        },
        structure: vec![StructureFile {
            source: format!("{base}{}.csv", structure_name(structure)),
            created: stamp_text(structure),
        }],
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).unwrap()
    }

    fn settings() -> model::Checked {
        serde_json::from_value::<model::OpenDataSettings>(serde_json::json!({
            "inn": "0541018037",
            "keywords": ["МЧС", "точки взаимодействия"],
            "periodicity": "quarterly",
            "license": {"title": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "publisher": {"name": "Иванов Иван Иванович", "phone": "+78722516122", "email": "od@mchsrd.ru"}
        }))
        .unwrap()
        .validate()
        .unwrap()
    }

    #[test]
    fn stamps_are_minutes_unique_and_increasing() {
        let s = stamps(&[at(3, 0, 59), at(3, 0, 1), at(3, 1, 30), at(5, 7, 0)]);
        let text: Vec<String> = s.into_iter().map(stamp_text).collect();
        assert_eq!(
            text,
            [
                "20261129T0300",
                "20261129T0301",
                "20261129T0302",
                "20261129T0507"
            ]
        );
        assert_eq!(
            parse_stamp("20261129T0507").map(stamp_text).as_deref(),
            Some("20261129T0507")
        );
        let pattern = regex::Regex::new(STAMP_PATTERN).unwrap();
        assert!(pattern.is_match("20261129T0507") && !pattern.is_match("2026112T0507"));
        for bad in [
            "2026112T0507",
            "20261129T2507",
            "20261129 0507",
            "+2026112T0507",
        ] {
            assert_eq!(parse_stamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn file_names_follow_the_recommendations() {
        let a = parse_stamp("20261129T0300").unwrap();
        let b = parse_stamp("20261201T1745").unwrap();
        assert_eq!(
            data_name(b, a),
            "data-20261201T1745-structure-20261129T0300"
        );
        assert_eq!(structure_name(a), "structure-20261129T0300");
    }

    #[test]
    fn the_passport_lists_every_version_newest_first() {
        let versions = [
            SetVersion {
                published_at: at(3, 0, 10),
                provenance: "Версия 1".into(),
            },
            SetVersion {
                published_at: at(3, 0, 40),
                provenance: "Версия 2".into(),
            },
        ];
        let p = passport(
            &settings(),
            agency_title("МЧС"),
            agency_description("МЧС"),
            "ГУ МЧС".into(),
            &versions,
            "https://x.ru/od/",
        );
        assert_eq!(p.identifier, "0541018037-touchpoints");
        assert_eq!(
            (p.created.as_str(), p.modified.as_str()),
            ("20261129", "20261129")
        );
        // three months on, the end of February (no 29 February 2027)
        assert_eq!(p.valid, "20270228");
        assert_eq!(p.provenance, "Версия 2");
        assert_eq!(p.subject, "МЧС, точки взаимодействия");
        let rows = passport_rows(&p);
        let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(&keys[..15], REQUIRED_PROPERTIES);
        assert_eq!(
            &keys[15..],
            [
                "data-20261129T0301-structure-20261129T0300",
                "data-20261129T0300-structure-20261129T0300",
                "structure-20261129T0300"
            ]
        );
        assert_eq!(
            rows[15].1,
            "https://x.ru/od/data-20261129T0301-structure-20261129T0300.csv"
        );
        let csv = meta_csv(&p);
        assert!(csv.starts_with("property,value\r\nstandardversion,http://opendata.gosmonitor.ru/standard/3.0\r\nidentifier,0541018037-touchpoints\r\n"));
        assert!(csv.contains("\r\npublisherphone,+78722516122\r\n"), "{csv}");
        assert!(
            csv.contains("\r\nsubject,\"МЧС, точки взаимодействия\"\r\n"),
            "{csv}"
        );
    }

    #[test]
    fn cells_are_rfc4180_and_never_formulas() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("a;b"), "a;b");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1),2"), "\"'@SUM(A1),2\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn the_structure_describes_exactly_the_data_columns() {
        let structure = structure_csv();
        let mut lines = structure.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("field name,english description,russian description,format")
        );
        let described: Vec<&str> = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').next().unwrap())
            .collect();
        let header = data_header();
        let names: Vec<&str> = header.trim_end().split(',').collect();
        assert_eq!(described, names);
        assert_eq!(names.len(), 12);
    }

    #[test]
    fn the_registry_names_each_set_and_its_passport() {
        let csv = list_csv(&[ListEntry {
            identifier: "0541018037-touchpoints".into(),
            title: "Перечень, МЧС".into(),
            meta: "https://x.ru/meta.csv".into(),
        }]);
        assert_eq!(
            csv,
            "property,title,value,format\r\nstandardversion,Версия методических рекомендаций,http://opendata.gosmonitor.ru/standard/3.0,\r\n0541018037-touchpoints,\"Перечень, МЧС\",https://x.ru/meta.csv,csv\r\n"
        );
    }
}
