use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::hours::Hours;
use crate::domain::place::{Address, Geo};
use crate::domain::{text, Contact, ContactInput, Mode};
use crate::error::{ApiError, FieldError};
use crate::http::patch::nullable;

/// A touchpoint (точка взаимодействия) of a process.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11",
    "process_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "channel": "phone",
    "name": "Телефон",
    "as_written": "Телефон: +7(8722) 51-61-22",
    "contacts": [{"kind": "phone", "value": "+78722516122", "as_written": "+7(8722) 51-61-22"}],
    "needs": ["consultation", "submission", "progress"],
    "interaction": "Получение консультации клиентом, подача устного обращения клиентом, получение информации клиентом о ходе рассмотрения обращения",
    "features": "Взаимодействие в офлайн-точке",
    "stated_mode": "offline",
    "implied_mode": "digital",
    "mode_conflict": true,
    "position": 3,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
    "external_id": "mfc-05:tel-1"
}))]
pub struct Touchpoint {
    pub id: Uuid,
    pub process_id: Uuid,
    pub agency_id: Uuid,
    /// Channel type code (see `/api/v1/catalogs/channel-types`).
    pub channel: String,
    pub name: String,
    /// Column 4 exactly as the agency wrote it (an import keeps the cell, the demo the seed's
    /// text); exports print it. Absent: exports compose column 4 from `name` and `contacts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
    pub contacts: Vec<Contact>,
    /// Codes of the client needs served (see `/api/v1/catalogs/needs`).
    pub needs: Vec<String>,
    /// Column 5 as the agency worded it.
    pub interaction: Option<String>,
    /// Column 6 as the agency worded it.
    pub features: Option<String>,
    /// The digital/offline mark the agency wrote in column 6; kept as written.
    pub stated_mode: Option<Mode>,
    /// The mark the agency's own channel classification implies (R6).
    pub implied_mode: Mode,
    /// True when the stated mark contradicts the implied one; the row is kept as written.
    pub mode_conflict: bool,
    /// Order of the touchpoint within its process.
    pub position: i32,
    /// Opening hours (offices and phone lines), local times of the agency's `time_zone`.
    pub hours: Option<Hours>,
    /// Where an offline touchpoint is.
    pub address: Option<Address>,
    /// WGS 84 coordinates of an offline touchpoint.
    pub geo: Option<Geo>,
    /// Notes on accessibility (entrances, ramps, lifts, parking for the disabled).
    pub accessibility: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The integrator's own id of the touchpoint (unique within the agency), by which
    /// `PUT /processes/{id}/points/by-external-id/{external_id}` creates or replaces it.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "channel": "email",
    "name": "Электронная почта",
    "contacts": [{"kind": "email", "value": "mchs@e-dag.ru"}, {"kind": "email", "value": "ond.mchs05@mail.ru"}],
    "needs": ["consultation"],
    "interaction": "Получение консультации",
    "features": "Цифровая точка"
}))]
pub struct NewTouchpoint {
    /// Channel type code.
    #[schema(value_type = crate::catalogs::ChannelCode)]
    pub channel: String,
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
    /// Column 4 as the agency wrote it («Телефон: +7(8722) 55-05-28, 51-61-24»), printed by the
    /// exports instead of `name` and `contacts`, which stay the structured, normalised values
    /// that search and R7 use. Omitted: the exports compose column 4 from them.
    #[serde(default)]
    #[schema(pattern = "\\S", max_length = 4000)]
    pub as_written: Option<String>,
    /// At most 50; the same contact given twice (in any spelling) is kept once.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub contacts: Vec<ContactInput>,
    /// Client need codes.
    #[serde(default)]
    #[schema(value_type = Vec<crate::catalogs::NeedCode>)]
    pub needs: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub interaction: Option<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub features: Option<String>,
    /// The mark of column 6; when omitted it is read from `features` («Офлайн-точка» → offline).
    #[serde(default)]
    pub stated_mode: Option<Mode>,
    /// Order within the process; by default after the last touchpoint.
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// The integrator's own id (unique within the agency): letters, digits and `._:~-`.
    #[serde(default)]
    #[schema(
        pattern = "^[A-Za-z0-9._:~-]{1,200}$",
        max_length = 200,
        example = "mfc-05:tel-1"
    )]
    pub external_id: Option<String>,
    /// Opening hours (offices, phone lines; optional elsewhere), local times of the agency's
    /// `time_zone`.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub hours: Option<Hours>,
    /// The structured address of an offline touchpoint.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub address: Option<Address>,
    /// WGS 84 coordinates of an offline touchpoint.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub geo: Option<Geo>,
    /// Notes on accessibility (entrances, ramps, lifts).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub accessibility: Option<String>,
}

/// A touchpoint as `PUT /processes/{id}/points/by-external-id/{external_id}` replaces it: the
/// fields of [`NewTouchpoint`], the external id coming from the path.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "channel": "email",
    "name": "Электронная почта",
    "contacts": [{"kind": "email", "value": "mchs@e-dag.ru"}],
    "needs": ["consultation"],
    "interaction": "Получение консультации",
    "features": "Цифровая точка"
}))]
pub struct TouchpointReplacement {
    /// Channel type code.
    #[schema(value_type = crate::catalogs::ChannelCode)]
    pub channel: String,
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
    /// Column 4 as the agency wrote it («Телефон: +7(8722) 55-05-28, 51-61-24»), printed by the
    /// exports instead of `name` and `contacts`, which stay the structured, normalised values
    /// that search and R7 use. Omitted: the exports compose column 4 from them.
    #[serde(default)]
    #[schema(pattern = "\\S", max_length = 4000)]
    pub as_written: Option<String>,
    /// At most 50; the same contact given twice (in any spelling) is kept once.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub contacts: Vec<ContactInput>,
    /// Client need codes.
    #[serde(default)]
    #[schema(value_type = Vec<crate::catalogs::NeedCode>)]
    pub needs: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub interaction: Option<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub features: Option<String>,
    /// The mark of column 6; when omitted it is read from `features` («Офлайн-точка» → offline).
    #[serde(default)]
    pub stated_mode: Option<Mode>,
    /// Order within the process; omitted: a new touchpoint goes after the last one, an existing one keeps its place.
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// Opening hours (offices, phone lines; optional elsewhere), local times of the agency's
    /// `time_zone`.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub hours: Option<Hours>,
    /// The structured address of an offline touchpoint.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub address: Option<Address>,
    /// WGS 84 coordinates of an offline touchpoint.
    #[serde(default, deserialize_with = "crate::domain::de::object")]
    pub geo: Option<Geo>,
    /// Notes on accessibility (entrances, ramps, lifts).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub accessibility: Option<String>,
}

impl TouchpointReplacement {
    /// The creation the replacement amounts to when no touchpoint has the external id yet.
    pub fn into_new(self, external_id: String) -> NewTouchpoint {
        NewTouchpoint {
            channel: self.channel,
            name: self.name,
            as_written: self.as_written,
            contacts: self.contacts,
            needs: self.needs,
            interaction: self.interaction,
            features: self.features,
            stated_mode: self.stated_mode,
            position: self.position,
            external_id: Some(external_id),
            hours: self.hours,
            address: self.address,
            geo: self.geo,
            accessibility: self.accessibility,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"needs": ["consultation", "result"], "stated_mode": "digital"}))]
pub struct TouchpointPatch {
    #[serde(default)]
    #[schema(value_type = Option<crate::catalogs::ChannelCode>)]
    pub channel: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub name: Option<String>,
    /// Column 4 as the agency wrote it; `null` drops it (the exports then compose the cell).
    /// Changing `name` or `contacts` without giving it drops it too, so the printed cell never
    /// says what the structured fields no longer do.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 4000)]
    pub as_written: Option<Option<String>>,
    /// Replaces the whole list of contacts (at most 50; the same contact given twice is kept once).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub contacts: Option<Vec<ContactInput>>,
    /// Replaces the whole list of needs.
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::catalogs::NeedCode>>)]
    pub needs: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub interaction: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub features: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Mode>)]
    pub stated_mode: Option<Option<Mode>>,
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// `null` drops the external id.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9._:~-]{1,200}$", max_length = 200)]
    pub external_id: Option<Option<String>>,
    /// Replaces the hours; `null` removes them.
    #[serde(default, deserialize_with = "crate::domain::de::nullable_object")]
    #[schema(value_type = Option<Hours>)]
    pub hours: Option<Option<Hours>>,
    /// Replaces the address; `null` removes it.
    #[serde(default, deserialize_with = "crate::domain::de::nullable_object")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    /// Replaces the coordinates; `null` removes them.
    #[serde(default, deserialize_with = "crate::domain::de::nullable_object")]
    #[schema(value_type = Option<Geo>)]
    pub geo: Option<Option<Geo>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub accessibility: Option<Option<String>>,
}

/// Checked changes of a touchpoint. `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TouchpointChanges {
    pub channel: Option<String>,
    pub name: Option<String>,
    pub as_written: Option<Option<String>>,
    pub contacts: Option<Vec<Contact>>,
    pub needs: Option<Vec<String>>,
    pub interaction: Option<Option<String>>,
    pub features: Option<Option<String>>,
    pub stated_mode: Option<Option<Mode>>,
    pub position: Option<i32>,
    pub external_id: Option<Option<String>>,
    pub hours: Option<Option<Hours>>,
    pub address: Option<Option<Address>>,
    pub geo: Option<Option<Geo>>,
    pub accessibility: Option<Option<String>>,
}

impl TouchpointChanges {
    /// Whether applying these changes to `t` would leave it as it is (needs compared as a set:
    /// they are kept in the catalog's order).
    pub fn changes_nothing(&self, t: &Touchpoint) -> bool {
        fn same<T: PartialEq>(new: &Option<T>, old: &T) -> bool {
            new.as_ref().is_none_or(|n| n == old)
        }
        let needs_same = self.needs.as_ref().is_none_or(|n| {
            let mut a = n.clone();
            let mut b = t.needs.clone();
            a.sort();
            b.sort();
            a == b
        });
        same(&self.channel, &t.channel)
            && same(&self.name, &t.name)
            && same(&self.as_written, &t.as_written)
            && same(&self.contacts, &t.contacts)
            && needs_same
            && same(&self.interaction, &t.interaction)
            && same(&self.features, &t.features)
            && same(&self.stated_mode, &t.stated_mode)
            && same(&self.position, &t.position)
            && same(&self.external_id, &t.external_id)
            && same(&self.hours, &t.hours)
            && same(&self.address, &t.address)
            && same(&self.geo, &t.geo)
            && same(&self.accessibility, &t.accessibility)
    }

    /// Whether the place or hours change (the parts kept beside the six columns).
    pub fn touches_place(&self) -> bool {
        self.hours.is_some()
            || self.address.is_some()
            || self.geo.is_some()
            || self.accessibility.is_some()
    }
}

fn check_external_id(e: &mut Vec<FieldError>, v: Option<&str>) -> Option<String> {
    v.and_then(|v| keep(e, text::external_id("external_id", v)))
}

fn check_hours(e: &mut Vec<FieldError>, h: Option<&Hours>) -> Option<Hours> {
    let h = h?;
    let errors = h.validate("hours");
    if errors.is_empty() {
        Some(h.clone().normalized())
    } else {
        e.extend(errors);
        None
    }
}

fn check_address(e: &mut Vec<FieldError>, a: Option<&Address>) -> Option<Address> {
    match a?.validate("address") {
        Ok(a) => a,
        Err(errors) => {
            e.extend(errors);
            None
        }
    }
}

fn check_geo(e: &mut Vec<FieldError>, g: Option<&Geo>) -> Option<Geo> {
    let g = g?;
    let errors = g.validate("geo");
    if errors.is_empty() {
        Some(*g)
    } else {
        e.extend(errors);
        None
    }
}

fn check_accessibility(e: &mut Vec<FieldError>, t: Option<&str>) -> Option<String> {
    keep(
        e,
        text::optional("accessibility", t, crate::domain::place::ACCESSIBILITY_MAX),
    )
    .flatten()
}

const MAX_CONTACTS: usize = 50;

fn check_contacts(e: &mut Vec<FieldError>, inputs: &[ContactInput]) -> Vec<Contact> {
    if inputs.len() > MAX_CONTACTS {
        e.push(FieldError::new(
            "contacts",
            "too_many",
            format!("at most {MAX_CONTACTS} contacts"),
        ));
        return Vec::new();
    }
    let mut out: Vec<Contact> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        match Contact::parse(&format!("contacts[{i}]"), input) {
            Ok(c) => {
                // the same contact twice (`8 (8722) 51-61-22` and `+78722516122`) is one
                // contact, as the same need twice is one need; the first caption given stays
                match out
                    .iter_mut()
                    .find(|o| o.kind == c.kind && o.normalized == c.normalized)
                {
                    Some(first) => {
                        if first.label.is_none() {
                            first.label = c.label;
                        }
                    }
                    None => out.push(c),
                }
            }
            Err(err) => e.push(err),
        }
    }
    out
}

/// Column 4 as written: whitespace runs collapsed (as every cell of the form), at most
/// [`text::DETAILS_MAX`] characters; blank is refused.
fn check_written(e: &mut Vec<FieldError>, w: Option<&str>) -> Option<String> {
    let w = w?;
    if text::is_blank(w) {
        e.push(FieldError::new("as_written", "blank", "must not be blank"));
        return None;
    }
    keep(e, text::optional("as_written", Some(w), text::DETAILS_MAX)).flatten()
}

fn check_needs(e: &mut Vec<FieldError>, needs: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in needs.iter().enumerate() {
        let n = n.trim();
        if n.is_empty() {
            e.push(FieldError::new(
                format!("needs[{i}]"),
                "blank",
                "must not be empty",
            ));
        } else if !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    }
    out
}

fn check_channel(e: &mut Vec<FieldError>, channel: &str) -> Option<String> {
    let c = channel.trim();
    if c.is_empty() {
        e.push(FieldError::new("channel", "blank", "must not be empty"));
        None
    } else {
        Some(c.to_owned())
    }
}

/// Codes outside the catalogs are refused before anything is read or locked.
fn check_codes(channel: Option<&str>, needs: Option<&[String]>) -> Result<(), ApiError> {
    use crate::catalogs::{is_code, ChannelCode, NeedCode};
    let mut errors = Vec::new();
    if let Some(c) = channel.filter(|c| !is_code::<ChannelCode>(c)) {
        errors.push(FieldError::new(
            "channel",
            "unknown",
            format!("{c:?} is not a channel type code (see /api/v1/catalogs/channel-types)"),
        ));
    }
    for (i, n) in needs
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, n)| !is_code::<NeedCode>(n))
    {
        errors.push(FieldError::new(
            format!("needs[{i}]"),
            "unknown",
            format!("{n:?} is not a client need code (see /api/v1/catalogs/needs)"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let detail = errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::Client {
            code: crate::error::ErrorCode::UnknownReference,
            detail,
            errors,
            existing_id: None,
        })
    }
}

fn check_position(e: &mut Vec<FieldError>, p: Option<i32>) -> Option<i32> {
    match p {
        Some(v) if !(0..=1_000_000).contains(&v) => {
            e.push(FieldError::new(
                "position",
                "out_of_range",
                "must be between 0 and 1000000",
            ));
            None
        }
        other => other,
    }
}

fn keep<T>(e: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|x| e.push(x)).ok()
}

impl NewTouchpoint {
    pub fn validate(&self) -> Result<TouchpointChanges, ApiError> {
        let mut e = Vec::new();
        let channel = check_channel(&mut e, &self.channel);
        let name = keep(&mut e, text::required("name", &self.name, text::NAME_MAX));
        let as_written = check_written(&mut e, self.as_written.as_deref());
        let contacts = check_contacts(&mut e, &self.contacts);
        let needs = check_needs(&mut e, &self.needs);
        let interaction = keep(
            &mut e,
            text::optional(
                "interaction",
                self.interaction.as_deref(),
                text::DETAILS_MAX,
            ),
        )
        .flatten();
        let features = keep(
            &mut e,
            text::optional("features", self.features.as_deref(), text::DETAILS_MAX),
        )
        .flatten();
        let position = check_position(&mut e, self.position);
        let external_id = check_external_id(&mut e, self.external_id.as_deref());
        let hours = check_hours(&mut e, self.hours.as_ref());
        let address = check_address(&mut e, self.address.as_ref());
        let geo = check_geo(&mut e, self.geo.as_ref());
        let accessibility = check_accessibility(&mut e, self.accessibility.as_deref());
        if !e.is_empty() {
            return Err(ApiError::validation(e));
        }
        check_codes(channel.as_deref(), Some(&needs))?;
        let stated_mode = self
            .stated_mode
            .or_else(|| features.as_deref().and_then(Mode::from_features));
        Ok(TouchpointChanges {
            channel,
            name,
            as_written: Some(as_written),
            contacts: Some(contacts),
            needs: Some(needs),
            interaction: Some(interaction),
            features: Some(features),
            stated_mode: Some(stated_mode),
            position,
            external_id: Some(external_id),
            hours: Some(hours),
            address: Some(address),
            geo: Some(geo),
            accessibility: Some(accessibility),
        })
    }
}

impl TouchpointPatch {
    pub fn validate(&self) -> Result<TouchpointChanges, ApiError> {
        let mut e = Vec::new();
        let channel = self
            .channel
            .as_deref()
            .and_then(|c| check_channel(&mut e, c));
        let name = self
            .name
            .as_deref()
            .and_then(|n| keep(&mut e, text::required("name", n, text::NAME_MAX)));
        let as_written = match &self.as_written {
            Some(w) => Some(check_written(&mut e, w.as_deref())),
            // the agency's wording of the old name or contacts is no longer theirs
            None if self.name.is_some() || self.contacts.is_some() => Some(None),
            None => None,
        };
        let contacts = self.contacts.as_deref().map(|c| check_contacts(&mut e, c));
        let needs = self.needs.as_deref().map(|n| check_needs(&mut e, n));
        let interaction = self.interaction.as_ref().map(|t| {
            keep(
                &mut e,
                text::optional("interaction", t.as_deref(), text::DETAILS_MAX),
            )
            .flatten()
        });
        let features = self.features.as_ref().map(|t| {
            keep(
                &mut e,
                text::optional("features", t.as_deref(), text::DETAILS_MAX),
            )
            .flatten()
        });
        let position = check_position(&mut e, self.position);
        let external_id = self
            .external_id
            .as_ref()
            .map(|x| check_external_id(&mut e, x.as_deref()));
        let hours = self.hours.as_ref().map(|h| check_hours(&mut e, h.as_ref()));
        let address = self
            .address
            .as_ref()
            .map(|a| check_address(&mut e, a.as_ref()));
        let geo = self.geo.as_ref().map(|g| check_geo(&mut e, g.as_ref()));
        let accessibility = self
            .accessibility
            .as_ref()
            .map(|t| check_accessibility(&mut e, t.as_deref()));
        if !e.is_empty() {
            return Err(ApiError::validation(e));
        }
        check_codes(channel.as_deref(), needs.as_deref())?;
        Ok(TouchpointChanges {
            channel,
            name,
            as_written,
            contacts,
            needs,
            interaction,
            features,
            stated_mode: self.stated_mode,
            position,
            external_id,
            hours,
            address,
            geo,
            accessibility,
        })
    }
}
