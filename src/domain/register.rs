//! A register's content as the official form prints it (the six columns and every structured
//! field behind them), frozen in each published version; its canonical JSON and SHA-256; the
//! diff between two versions. Plain values and functions: building the content from the
//! working copy is `workflow::snapshot::build`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ClientType, Contact, Mode, ProcessKind};

/// The mandatory columns of the official form (kept with the form profile, `form`).
pub use super::form::COLUMNS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgencyInfo {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub short_name: Option<String>,
    pub region: String,
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NeedRef {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RowTouchpoint {
    pub id: Uuid,
    pub channel: String,
    pub channel_label: String,
    pub name: String,
    /// Column 4 as the agency wrote it, printed instead of `name` and `contacts`; absent when
    /// the cell is composed from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
    pub contacts: Vec<Contact>,
    pub needs: Vec<NeedRef>,
    pub interaction: Option<String>,
    pub features: Option<String>,
    pub stated_mode: Option<Mode>,
    pub implied_mode: Mode,
    /// The integrator's id of the touchpoint (unique within the agency); absent when none
    /// was given, and in versions published before external ids existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Opening hours, local times of the agency's time zone; absent when not given (and from
    /// versions published before hours existed, whose SHA-256 stays what it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<super::hours::Hours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<super::place::Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<super::place::Geo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<String>,
}

/// One row of the form: a touchpoint of a process (or a process still without touchpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegisterRow {
    pub n: i32,
    pub direction_id: Uuid,
    pub direction_code: Option<String>,
    /// Column 2, as the agency words it.
    pub direction: String,
    pub process_id: Uuid,
    /// Column 3.
    pub process: String,
    pub registry_code: Option<String>,
    pub process_kind: ProcessKind,
    pub client_type: ClientType,
    pub unit_id: Option<Uuid>,
    pub unit: Option<String>,
    /// Columns 4–6; null for a process that has no touchpoint yet (a finding under R4).
    pub touchpoint: Option<RowTouchpoint>,
    /// The integrator's id of the process (unique within the agency); absent as the
    /// touchpoint's `external_id` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_external_id: Option<String>,
}

impl RegisterRow {
    /// Identity of the row across versions.
    pub fn key(&self) -> String {
        match &self.touchpoint {
            Some(t) => t.id.to_string(),
            None => format!("process:{}", self.process_id),
        }
    }
}

/// The whole register as frozen in a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegisterContent {
    pub agency: AgencyInfo,
    pub columns: Vec<String>,
    pub rows: Vec<RegisterRow>,
    /// The form the register prints in (R13), frozen at publication with the rows, so a portal
    /// prints the same document. Absent from the working copy's content as the rule checker
    /// sees it, and from versions published before form profiles existed (their SHA-256 stays
    /// what it was: an absent field is not hashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<super::form::FormProfile>,
    /// The act that approved the version (order number and date, the approving official),
    /// part of the approved document and so of the hashed content; absent as `profile` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<super::form::Approval>,
}

/// JSON with object keys sorted and no whitespace: the same content always hashes the same,
/// whatever order a serializer or PostgreSQL's jsonb keeps keys in.
pub fn canonical_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let b: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
                let mut out = serde_json::Map::new();
                for (k, v) in b {
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // keys are inserted in sorted order, and serde_json keeps insertion order or sorts: either way sorted
    serde_json::to_string(&sorted(v)).unwrap_or_default()
}

/// SHA-256 (hex) of the canonical JSON of a version's content.
pub fn sha256_hex(content: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(content).as_bytes()))
}

/// A field that differs between two versions of a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub before: Value,
    #[schema(value_type = Object)]
    pub after: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RowChange {
    /// The touchpoint id (or `process:<id>` for a row without touchpoint).
    pub key: String,
    pub process: String,
    pub touchpoint: Option<String>,
    pub fields: Vec<FieldChange>,
}

/// What changed between two versions, row by row and field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    pub added: Vec<RegisterRow>,
    pub removed: Vec<RegisterRow>,
    pub changed: Vec<RowChange>,
}

fn fields(r: &RegisterRow) -> Vec<(&'static str, Value)> {
    let t = r.touchpoint.as_ref();
    let j = |v: &dyn erased::Ser| v.to_value();
    vec![
        ("direction", j(&r.direction)),
        ("process", j(&r.process)),
        ("registry_code", j(&r.registry_code)),
        ("process_kind", j(&r.process_kind)),
        ("client_type", j(&r.client_type)),
        ("unit", j(&r.unit)),
        ("channel", j(&t.map(|t| &t.channel))),
        ("name", j(&t.map(|t| &t.name))),
        ("as_written", j(&t.and_then(|t| t.as_written.as_ref()))),
        ("contacts", j(&t.map(|t| &t.contacts))),
        (
            "needs",
            j(&t.map(|t| t.needs.iter().map(|n| &n.code).collect::<Vec<_>>())),
        ),
        ("interaction", j(&t.and_then(|t| t.interaction.as_ref()))),
        ("features", j(&t.and_then(|t| t.features.as_ref()))),
        ("stated_mode", j(&t.and_then(|t| t.stated_mode))),
        ("implied_mode", j(&t.map(|t| t.implied_mode))),
        ("hours", j(&t.and_then(|t| t.hours.as_ref()))),
        ("address", j(&t.and_then(|t| t.address.as_ref()))),
        ("geo", j(&t.and_then(|t| t.geo.as_ref()))),
        (
            "accessibility",
            j(&t.and_then(|t| t.accessibility.as_ref())),
        ),
    ]
}

mod erased {
    pub trait Ser {
        fn to_value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

pub fn diff(from_n: i32, from: &RegisterContent, to_n: i32, to: &RegisterContent) -> VersionDiff {
    let old: HashMap<String, &RegisterRow> = from.rows.iter().map(|r| (r.key(), r)).collect();
    let new: HashMap<String, &RegisterRow> = to.rows.iter().map(|r| (r.key(), r)).collect();
    let added = to
        .rows
        .iter()
        .filter(|r| !old.contains_key(&r.key()))
        .cloned()
        .collect();
    let removed = from
        .rows
        .iter()
        .filter(|r| !new.contains_key(&r.key()))
        .cloned()
        .collect();
    let mut changed = Vec::new();
    for r in &to.rows {
        if let Some(before) = old.get(&r.key()) {
            let fs: Vec<FieldChange> = fields(before)
                .into_iter()
                .zip(fields(r))
                .filter(|((_, a), (_, b))| a != b)
                .map(|((name, a), (_, b))| FieldChange {
                    field: name.to_owned(),
                    before: a,
                    after: b,
                })
                .collect();
            if !fs.is_empty() {
                changed.push(RowChange {
                    key: r.key(),
                    process: r.process.clone(),
                    touchpoint: r.touchpoint.as_ref().map(|t| t.name.clone()),
                    fields: fs,
                });
            }
        }
    }
    VersionDiff {
        from: from_n,
        to: to_n,
        added,
        removed,
        changed,
    }
}

/// What a publication did to one touchpoint, compared with the agency's previous version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TouchpointChange {
    /// Not in the previous version.
    Added,
    /// In both, and its row differs (any column, its process's or direction's wording, its
    /// contacts, needs, marks or external ids; not the row's number alone).
    Changed,
    /// In the previous version and no longer: a tombstone.
    Removed,
}

impl TouchpointChange {
    pub fn as_str(self) -> &'static str {
        match self {
            TouchpointChange::Added => "added",
            TouchpointChange::Changed => "changed",
            TouchpointChange::Removed => "removed",
        }
    }
}

/// The touchpoints a version adds, changes and removes relative to the agency's previous one
/// (`None`: the first version, where every touchpoint is added), by touchpoint id: added and
/// changed in the new version's row order, then the removed in the old one's.
pub fn touchpoint_changes(
    before: Option<&RegisterContent>,
    after: &RegisterContent,
) -> Vec<(Uuid, TouchpointChange)> {
    fn by_id(c: Option<&RegisterContent>) -> Vec<(Uuid, &RegisterRow)> {
        c.map(|c| c.rows.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.touchpoint.as_ref().map(|t| (t.id, r)))
            .collect()
    }
    let old = by_id(before);
    let new = by_id(Some(after));
    let old_map: HashMap<Uuid, &RegisterRow> = old.iter().copied().collect();
    let new_map: HashMap<Uuid, &RegisterRow> = new.iter().copied().collect();
    // compared as published (fields kept out of the JSON, such as a contact's normalised
    // form, are not read back from an older version); the row's number moves whenever a row
    // is added above it, which is no change of the touchpoint
    let published = |r: &RegisterRow| {
        let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.remove("n");
        }
        v
    };
    let same = |a: &RegisterRow, b: &RegisterRow| published(a) == published(b);
    let mut out = Vec::new();
    for (id, row) in &new {
        match old_map.get(id) {
            None => out.push((*id, TouchpointChange::Added)),
            Some(prev) if !same(prev, row) => out.push((*id, TouchpointChange::Changed)),
            Some(_) => {}
        }
    }
    for (id, _) in &old {
        if !new_map.contains_key(id) {
            out.push((*id, TouchpointChange::Removed));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_ignores_key_order() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}});
        let b = json!({"a": {"x": null, "y": [1, {"c": 3, "d": 2}]}, "b": 1});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        assert_eq!(sha256_hex(&a), sha256_hex(&b));
        assert_eq!(
            sha256_hex(&json!({})),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    fn row(tp: Uuid, name: &str, needs: &[&str]) -> RegisterRow {
        RegisterRow {
            n: 1,
            direction_id: Uuid::nil(),
            direction_code: Some("appeals".into()),
            direction: "Рассмотрение обращений и запросов".into(),
            process_id: Uuid::nil(),
            process: "Прием обращений".into(),
            registry_code: None,
            process_kind: ProcessKind::Function,
            client_type: ClientType::External,
            unit_id: None,
            unit: None,
            touchpoint: Some(RowTouchpoint {
                id: tp,
                channel: "phone".into(),
                channel_label: "Телефонная связь".into(),
                name: name.into(),
                as_written: None,
                contacts: vec![],
                needs: needs
                    .iter()
                    .map(|n| NeedRef {
                        code: (*n).into(),
                        label: String::new(),
                    })
                    .collect(),
                interaction: None,
                features: None,
                stated_mode: None,
                implied_mode: Mode::Digital,
                external_id: None,
                hours: None,
                address: None,
                geo: None,
                accessibility: None,
            }),
            process_external_id: None,
        }
    }

    #[test]
    fn diff_lists_added_removed_and_changed_fields() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let info = AgencyInfo {
            id: Uuid::nil(),
            parent_id: None,
            name: "x".into(),
            short_name: None,
            region: "y".into(),
            website: None,
        };
        let v1 = RegisterContent {
            agency: info.clone(),
            columns: vec![],
            rows: vec![
                row(a, "Телефон", &["consultation"]),
                row(b, "Сайт", &["information"]),
            ],
            profile: None,
            approval: None,
        };
        let v2 = RegisterContent {
            agency: info,
            columns: vec![],
            rows: vec![
                row(a, "Телефон", &["consultation", "result"]),
                row(c, "ПОС", &["feedback"]),
            ],
            profile: None,
            approval: None,
        };
        let d = diff(1, &v1, 2, &v2);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].touchpoint.as_ref().unwrap().id, c);
        assert_eq!(d.removed[0].touchpoint.as_ref().unwrap().id, b);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            d.changed[0].fields,
            vec![FieldChange {
                field: "needs".into(),
                before: json!(["consultation"]),
                after: json!(["consultation", "result"])
            }]
        );
        assert!(diff(2, &v2, 2, &v2).changed.is_empty());
    }

    #[test]
    fn touchpoint_changes_by_id_with_tombstones() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let info = AgencyInfo {
            id: Uuid::nil(),
            parent_id: None,
            name: "x".into(),
            short_name: None,
            region: "y".into(),
            website: None,
        };
        let content = |rows: Vec<RegisterRow>| RegisterContent {
            agency: info.clone(),
            columns: vec![],
            rows,
            profile: None,
            approval: None,
        };
        let v1 = content(vec![
            row(a, "Телефон", &["consultation"]),
            row(b, "Сайт", &[]),
        ]);
        assert_eq!(
            touchpoint_changes(None, &v1),
            vec![(a, TouchpointChange::Added), (b, TouchpointChange::Added)]
        );
        // a row added above renumbers the others: no change of theirs
        let mut first = row(c, "ПОС", &["feedback"]);
        first.n = 0;
        let mut renumbered = v1.rows.clone();
        for r in &mut renumbered {
            r.n += 1;
        }
        let v2 = content([vec![first.clone()], renumbered].concat());
        assert_eq!(
            touchpoint_changes(Some(&v1), &v2),
            vec![(c, TouchpointChange::Added)]
        );
        // a need more for a, the external id of c, b gone
        let mut c2 = first.clone();
        c2.touchpoint.as_mut().unwrap().external_id = Some("mfc:1".into());
        let v3 = content(vec![c2, row(a, "Телефон", &["consultation", "result"])]);
        assert_eq!(
            touchpoint_changes(Some(&v2), &v3),
            vec![
                (c, TouchpointChange::Changed),
                (a, TouchpointChange::Changed),
                (b, TouchpointChange::Removed)
            ]
        );
        assert!(touchpoint_changes(Some(&v3), &v3).is_empty());
    }
}
