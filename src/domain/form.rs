//! The form an agency prints its register in (R13, the «form profile»), and the act that
//! approved a published version. Plain values: the titles, the six mandatory headers in the
//! agency's own wording, footnotes, the words of the digital/offline mark, the «1 2 3 4 5 6»
//! row, extra columns, one table or one per client type, and how the approval is printed
//! («УТВЕРЖДЕН приказом … от … № …» or «УТВЕРЖДАЮ» / position / name / date).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::enums::SettingsSource;
use super::field::FieldError;
use super::Mode;

/// One table for every row, or one per client type (internal first, then external, as the
/// МЧС РД register prints them; a process serving both kinds of client is in the external one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TablesLayout {
    #[default]
    Combined,
    ByClientType,
}

/// Where the printed register (CSV, HTML, XLSX) shows the touchpoints' opening hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoursPlacement {
    /// A column «Режим работы» right after the six mandatory ones (only when some row has hours).
    #[default]
    Column,
    /// In column 4, after the touchpoint: «…; режим работы: Пн–Пт 09:00–18:00».
    Cell,
}

impl HoursPlacement {
    pub fn is_column(&self) -> bool {
        *self == HoursPlacement::Column
    }
}

/// The header of the hours column.
pub const HOURS_COLUMN: &str = "Режим работы";

/// How the approval is printed above the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStyle {
    /// Right-aligned «УТВЕРЖДЕН приказом <approver_body_genitive> от «28» 03 2024 г. № 53».
    #[default]
    Order,
    /// «УТВЕРЖДАЮ» / the approving official's position / name / date.
    Head,
}

/// The titles printed above the table(s). `combined` is the title of the single table
/// (`tables: combined`); `internal` and `external` those of the two tables of
/// `tables: by_client_type`. A line break (`\n`) starts a new line of the title. Null:
/// «Перечень точек взаимодействия с клиентом» and the agency's name (combined),
/// «Перечень точек взаимодействия с внутренним / внешним клиентом» (by client type).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Titles {
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub combined: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub internal: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub external: Option<String>,
}

/// The words column 6 prints for a stated digital or offline mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Marks {
    #[schema(
        pattern = "\\S",
        max_length = 200,
        example = "Взаимодействие в цифровой точке"
    )]
    pub digital: String,
    #[schema(
        pattern = "\\S",
        max_length = 200,
        example = "Взаимодействие в офлайн-точке"
    )]
    pub offline: String,
}

impl Default for Marks {
    fn default() -> Self {
        Marks {
            digital: "Взаимодействие в цифровой точке".into(),
            offline: "Взаимодействие в офлайн-точке".into(),
        }
    }
}

/// A column the agency adds after the six mandatory ones (printed empty: the service keeps
/// no values for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraColumn {
    #[schema(pattern = "\\S", max_length = 300, example = "Примечание")]
    pub name: String,
    /// The column's number in the form, 7 or more; extra columns print in this order.
    #[schema(minimum = 7, maximum = 20, example = 7)]
    pub position: i32,
}

/// The mandatory columns of the official form (R13: never dropped).
pub const COLUMNS: [&str; 6] = [
    "№",
    "Направление деятельности",
    "Наименование конкретного процесса (услуги, функции, сервиса)",
    "Точка взаимодействия",
    "Осуществляемое взаимодействие с клиентом",
    "Особенности взаимодействия с клиентом",
];

pub const TITLE_MAX: usize = 1000;
pub const HEADER_MAX: usize = 300;
pub const FOOTNOTE_MAX: usize = 2000;
pub const FOOTNOTES_MAX: usize = 20;
pub const MARK_MAX: usize = 200;
pub const EXTRA_MAX: usize = 5;
pub const APPROVAL_HEADING_MAX: usize = 100;
pub const BODY_GENITIVE_MAX: usize = 500;

fn default_true() -> bool {
    true
}

fn default_columns() -> Vec<String> {
    COLUMNS.iter().map(|c| (*c).to_owned()).collect()
}

/// The form profile (R13): every field optional in a PUT (absent: the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "titles": {"combined": "ПЕРЕЧЕНЬ\nточек взаимодействия Министерства социальной политики и труда Удмуртской Республики с внутренним и внешним клиентом по всем группам функций, услуг (сервисов)"},
    "columns": ["№ п/п", "Наименование группы услуг, функций (сервисов)*", "Наименование услуги, функции (сервиса)*", "Точка взаимодействия**", "Осуществляемое взаимодействие***", "Особенности взаимодействия с клиентом****"],
    "footnotes": ["*В соответствии с Реестром процессов Министерства;", "**Онлайн-точки: официальные сайты, порталы …; офлайн-точки: места приема граждан в Министерстве, личный прием;", "*** На основании анализа процессов, указанных в Реестре процессов Министерства;", "**** Офлайн-точка / онлайн-точка."],
    "marks": {"digital": "Онлайн-точка", "offline": "Офлайн-точка"},
    "number_row": true,
    "extra_columns": [],
    "tables": "combined",
    "approval_style": "order",
    "approval_heading": "УТВЕРЖДЕНА",
    "approver_body_genitive": "Министерства социальной политики и труда Удмуртской Республики"
}))]
pub struct FormProfile {
    /// Null or absent in a PUT: no titles of its own (the default ones print).
    #[serde(default, deserialize_with = "object_or_null")]
    #[schema(value_type = Option<Titles>)]
    pub titles: Titles,
    /// The six mandatory headers in the agency's wording (exactly six, in the form's order:
    /// №, direction, process, touchpoint, interaction, features).
    #[serde(default = "default_columns")]
    #[schema(schema_with = columns_schema)]
    pub columns: Vec<String>,
    /// Printed under the table(s), in order.
    #[serde(default)]
    #[schema(schema_with = footnotes_schema)]
    pub footnotes: Vec<String>,
    #[serde(default, deserialize_with = "object_or_null")]
    #[schema(value_type = Option<Marks>)]
    pub marks: Marks,
    /// Print the «1 2 3 4 5 6» row under the header.
    #[serde(default = "default_true")]
    pub number_row: bool,
    #[serde(default)]
    #[schema(max_items = 5)]
    pub extra_columns: Vec<ExtraColumn>,
    #[serde(default)]
    pub tables: TablesLayout,
    #[serde(default)]
    pub approval_style: ApprovalStyle,
    /// The first word of the approval block; null: «УТВЕРЖДЕН» (order) or «УТВЕРЖДАЮ» (head).
    /// 004 prints «УТВЕРЖДЕНА» (the form).
    #[serde(default)]
    #[schema(max_length = 100, example = "УТВЕРЖДЕН")]
    pub approval_heading: Option<String>,
    /// The approving body in the genitive, for «УТВЕРЖДЕН приказом <…>».
    #[serde(default)]
    #[schema(
        max_length = 500,
        example = "Министерства по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан"
    )]
    pub approver_body_genitive: Option<String>,
    /// Where the printed register shows opening hours: `column` (default, after the six) or
    /// `cell` (in column 4).
    #[serde(default, skip_serializing_if = "HoursPlacement::is_column")]
    pub hours_placement: HoursPlacement,
}

impl Default for FormProfile {
    fn default() -> Self {
        FormProfile {
            titles: Titles::default(),
            columns: default_columns(),
            footnotes: Vec::new(),
            marks: Marks::default(),
            number_row: true,
            extra_columns: Vec::new(),
            tables: TablesLayout::Combined,
            approval_style: ApprovalStyle::Order,
            approval_heading: None,
            approver_body_genitive: None,
            hours_placement: HoursPlacement::Column,
        }
    }
}

fn opt_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: &Option<String>,
    max: usize,
) -> Option<String> {
    match v.as_deref() {
        None => None,
        Some(t) if super::text::is_blank(t) && t.chars().count() <= max => None,
        Some(t) => Some(text(errors, field, t, max)),
    }
}

/// A required text of the form: blank as the spec's `\S` pattern reads it (`domain::text`),
/// its line breaks kept (a title prints on the lines the agency gave it).
fn text(errors: &mut Vec<FieldError>, field: &str, v: &str, max: usize) -> String {
    if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    } else if super::text::is_blank(v) {
        errors.push(FieldError::new(field, "required", "must not be empty"));
    }
    v.trim().to_owned()
}

impl FormProfile {
    /// Trims every text, drops empty optional ones; 422 field errors for what is refused.
    pub fn validate(self) -> Result<FormProfile, Vec<FieldError>> {
        let mut e = Vec::new();
        let titles = Titles {
            combined: opt_text(&mut e, "titles.combined", &self.titles.combined, TITLE_MAX),
            internal: opt_text(&mut e, "titles.internal", &self.titles.internal, TITLE_MAX),
            external: opt_text(&mut e, "titles.external", &self.titles.external, TITLE_MAX),
        };
        if self.columns.len() != 6 {
            e.push(FieldError::new(
                "columns",
                "wrong_count",
                "exactly the six mandatory headers (R13: none is dropped; add others as extra_columns)",
            ));
        }
        let columns: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| text(&mut e, &format!("columns[{i}]"), c, HEADER_MAX))
            .collect();
        if self.footnotes.len() > FOOTNOTES_MAX {
            e.push(FieldError::new(
                "footnotes",
                "too_many",
                format!("at most {FOOTNOTES_MAX}"),
            ));
        }
        let footnotes: Vec<String> = self
            .footnotes
            .iter()
            .enumerate()
            .map(|(i, c)| text(&mut e, &format!("footnotes[{i}]"), c, FOOTNOTE_MAX))
            .collect();
        let marks = Marks {
            digital: text(&mut e, "marks.digital", &self.marks.digital, MARK_MAX),
            offline: text(&mut e, "marks.offline", &self.marks.offline, MARK_MAX),
        };
        if self.extra_columns.len() > EXTRA_MAX {
            e.push(FieldError::new(
                "extra_columns",
                "too_many",
                format!("at most {EXTRA_MAX}"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut extra_columns: Vec<ExtraColumn> = self
            .extra_columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if !(7..=20).contains(&c.position) {
                    e.push(FieldError::new(
                        format!("extra_columns[{i}].position"),
                        "out_of_range",
                        "between 7 and 20: extra columns come after the six mandatory ones",
                    ));
                } else if !seen.insert(c.position) {
                    e.push(FieldError::new(
                        format!("extra_columns[{i}].position"),
                        "duplicate",
                        "two extra columns at the same position",
                    ));
                }
                ExtraColumn {
                    name: text(
                        &mut e,
                        &format!("extra_columns[{i}].name"),
                        &c.name,
                        HEADER_MAX,
                    ),
                    position: c.position,
                }
            })
            .collect();
        extra_columns.sort_by_key(|c| c.position);
        let approval_heading = opt_text(
            &mut e,
            "approval_heading",
            &self.approval_heading,
            APPROVAL_HEADING_MAX,
        );
        let approver_body_genitive = opt_text(
            &mut e,
            "approver_body_genitive",
            &self.approver_body_genitive,
            BODY_GENITIVE_MAX,
        );
        if !e.is_empty() {
            return Err(e);
        }
        Ok(FormProfile {
            titles,
            columns,
            footnotes,
            marks,
            number_row: self.number_row,
            extra_columns,
            tables: self.tables,
            approval_style: self.approval_style,
            approval_heading,
            approver_body_genitive,
            hours_placement: self.hours_placement,
        })
    }

    /// The header row: the six columns, then the extra ones.
    pub fn header(&self) -> Vec<String> {
        let mut out = self.columns.clone();
        if out.len() != 6 {
            out = default_columns();
        }
        out.extend(self.extra_columns.iter().map(|c| c.name.clone()));
        out
    }

    /// The title of a table, line by line.
    pub fn title(&self, table: Table, agency_name: &str) -> Vec<String> {
        let set = match table {
            Table::Combined => &self.titles.combined,
            Table::Internal => &self.titles.internal,
            Table::External => &self.titles.external,
        };
        match set {
            Some(t) => t.lines().map(str::to_owned).collect(),
            None => match table {
                Table::Combined => vec![
                    "Перечень точек взаимодействия с клиентом".to_owned(),
                    agency_name.to_owned(),
                ],
                Table::Internal => vec![
                    "Перечень точек взаимодействия с внутренним клиентом".to_owned(),
                    agency_name.to_owned(),
                ],
                Table::External => vec![
                    "Перечень точек взаимодействия с внешним клиентом".to_owned(),
                    agency_name.to_owned(),
                ],
            },
        }
    }
}

/// Which of a register's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Combined,
    Internal,
    External,
}

/// Column 6's word for a stated mode, in the profile's wording.
pub fn mark_text(mode: Mode, marks: &Marks) -> &str {
    match mode {
        Mode::Digital => &marks.digital,
        Mode::Offline => &marks.offline,
    }
}

/// A nested object of the profile as a JSON object only (serde would also read a struct from
/// an array of its fields in order, which the spec does not allow); null: the default.
fn object_or_null<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    use serde::de::Error;
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::Null => Ok(T::default()),
        serde_json::Value::Object(_) => serde_json::from_value(v).map_err(D::Error::custom),
        _ => Err(D::Error::custom("must be an object")),
    }
}

/// An array of required texts (at least one character that is not whitespace, at most `max`).
fn texts_schema(
    min: Option<usize>,
    max_items: usize,
    max: usize,
    description: &str,
) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(super::text::NON_BLANK))
        .max_length(Some(max));
    ArrayBuilder::new()
        .items(item)
        .min_items(min)
        .max_items(Some(max_items))
        .description(Some(description))
        .build()
}

fn columns_schema() -> utoipa::openapi::schema::Array {
    texts_schema(
        Some(6),
        6,
        HEADER_MAX,
        "The six mandatory headers in the agency's wording (exactly six, in the form's order: №, direction, process, touchpoint, interaction, features)",
    )
}

fn footnotes_schema() -> utoipa::openapi::schema::Array {
    texts_schema(
        None,
        FOOTNOTES_MAX,
        FOOTNOTE_MAX,
        "Printed under the table(s), in order",
    )
}

/// The profile in force for an agency, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormProfileInForce {
    #[serde(flatten)]
    pub profile: FormProfile,
    /// `own`, `inherited` (from `source_agency_id`, an ancestor) or `default`.
    pub source: SettingsSource,
    pub source_agency_id: Option<Uuid>,
}

/// The approval act of a published version, as the approved document prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "order_number": "53", "order_date": "2024-03-28", "order_date_text": "«28» 03 2024 г.",
    "approver_name": "Н.Н. Назаров", "approver_position": "Министр", "style": "order"
}))]
pub struct Approval {
    /// The order's number («№ 53»); null when not given.
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    /// The date as the act prints it («28» 03 2024 г.); null: printed «dd» month yyyy г.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date_text: Option<String>,
    /// The approving official: the one who gave the chain's last agreement (their official's
    /// name and position when the chain named officials, else their display name).
    pub approver_name: Option<String>,
    pub approver_position: Option<String>,
    pub style: ApprovalStyle,
}

const MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// «28» марта 2024 г.
pub fn date_words(d: NaiveDate) -> String {
    format!(
        "«{:02}» {} {} г.",
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

impl Approval {
    /// The date as printed: the act's own wording, else «dd» month yyyy г.
    pub fn date_text(&self) -> Option<String> {
        self.order_date_text
            .clone()
            .or_else(|| self.order_date.map(date_words))
    }

    /// The approval block, line by line (printed right-aligned above the title); empty when
    /// nothing of the act is known.
    pub fn lines(&self, profile: &FormProfile) -> Vec<String> {
        match self.style {
            ApprovalStyle::Order => {
                if self.order_number.is_none() && self.date_text().is_none() {
                    return Vec::new();
                }
                let heading = profile
                    .approval_heading
                    .clone()
                    .unwrap_or_else(|| "УТВЕРЖДЕН".into());
                let mut act = String::from("приказом");
                if let Some(g) = &profile.approver_body_genitive {
                    act.push(' ');
                    act.push_str(g);
                }
                if let Some(d) = self.date_text() {
                    act.push_str(" от ");
                    act.push_str(&d);
                }
                if let Some(n) = &self.order_number {
                    act.push_str(" № ");
                    act.push_str(n);
                }
                vec![heading, act]
            }
            ApprovalStyle::Head => {
                if self.approver_name.is_none() {
                    return Vec::new();
                }
                let mut out = vec![profile
                    .approval_heading
                    .clone()
                    .unwrap_or_else(|| "УТВЕРЖДАЮ".into())];
                out.extend(self.approver_position.clone());
                out.extend(self.approver_name.clone());
                out.extend(self.date_text());
                out
            }
        }
    }
}

/// The profile's own schema (which allows no other field) with `source` and
/// `source_agency_id` added: `allOf` with a closed schema could never be satisfied.
impl utoipa::PartialSchema for FormProfileInForce {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let mut object = match <FormProfile as utoipa::PartialSchema>::schema() {
            RefOr::T(Schema::Object(o)) => o,
            _ => Object::new(),
        };
        object.description =
            Some("The profile in force for an agency, and where it comes from.".into());
        object.example = None;
        object.properties.insert(
            "source".into(),
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name("SettingsSource")),
        );
        object.properties.insert(
            "source_agency_id".into(),
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ]))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Uuid,
                )))
                .description(Some(
                    "The agency whose profile this is (an ancestor when inherited; null: the default)",
                ))
                .into(),
        );
        object.required.push("source".into());
        RefOr::T(Schema::Object(object))
    }
}

impl utoipa::ToSchema for FormProfileInForce {
    fn schemas(
        out: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <FormProfile as utoipa::ToSchema>::schemas(out);
        out.push((
            "FormProfile".into(),
            <FormProfile as utoipa::PartialSchema>::schema(),
        ));
        out.push((
            "SettingsSource".into(),
            <SettingsSource as utoipa::PartialSchema>::schema(),
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nested_objects_are_objects_only_and_null_is_the_default() {
        let arr = serde_json::json!({"titles": [null], "marks": {"digital": "a", "offline": "b"}});
        assert!(serde_json::from_value::<FormProfile>(arr).is_err());
        let arr = serde_json::json!({"marks": ["a", "b"]});
        assert!(serde_json::from_value::<FormProfile>(arr).is_err());
        let null = serde_json::json!({"titles": null, "marks": null});
        let p: FormProfile = serde_json::from_value(null).unwrap();
        assert_eq!(p.titles, Titles::default());
        assert_eq!(p.marks, Marks::default());
    }

    use super::*;

    #[test]
    fn the_order_block_prints_the_act_as_written() {
        let p = FormProfile {
            approver_body_genitive: Some("МЧС Дагестана".into()),
            ..Default::default()
        };
        let a = Approval {
            order_number: Some("53".into()),
            order_date: NaiveDate::from_ymd_opt(2024, 3, 28),
            order_date_text: Some("«28» 03 2024 г.".into()),
            ..Default::default()
        };
        assert_eq!(
            a.lines(&p),
            vec![
                "УТВЕРЖДЕН",
                "приказом МЧС Дагестана от «28» 03 2024 г. № 53"
            ]
        );
        let b = Approval {
            order_date_text: None,
            ..a.clone()
        };
        assert_eq!(
            b.lines(&p)[1],
            "приказом МЧС Дагестана от «28» марта 2024 г. № 53"
        );
        assert!(Approval::default().lines(&p).is_empty());
        let head = Approval {
            style: ApprovalStyle::Head,
            approver_name: Some("Д.А. Шалягин".into()),
            approver_position: Some("И.о. начальника".into()),
            ..b
        };
        assert_eq!(
            head.lines(&p),
            vec![
                "УТВЕРЖДАЮ",
                "И.о. начальника",
                "Д.А. Шалягин",
                "«28» марта 2024 г."
            ]
        );
    }

    #[test]
    fn a_profile_keeps_the_six_columns() {
        assert_eq!(FormProfile::default().validate().unwrap().header().len(), 6);
        let five = FormProfile {
            columns: vec!["a".into(); 5],
            extra_columns: vec![ExtraColumn {
                name: " ".into(),
                position: 3,
            }],
            ..Default::default()
        };
        let e = five.validate().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "columns",
                "extra_columns[0].position",
                "extra_columns[0].name"
            ]
        );
        let p: FormProfile = serde_json::from_str("{}").unwrap();
        assert_eq!(p, FormProfile::default());
    }
}
