//! The rule checker: what is wrong with a register, as findings that point at rows. A plain
//! function of the register's content; the working copy and every published version are
//! checked the same way.

pub mod api;

use std::collections::HashMap;

use uuid::Uuid;

use crate::domain::register::{RegisterContent, RegisterRow};
use crate::domain::{Contact, ContactInput, ContactKind};
use crate::touchpoints::rules::{find_duplicate, mode_conflict, Sibling};

pub use crate::domain::finding::{Finding, Severity};

/// Contact kinds that make sense for a channel type; `None`: any.
fn expected_kinds(channel: &str) -> Option<&'static [ContactKind]> {
    use ContactKind::*;
    Some(match channel {
        "phone" | "call_center" => &[Phone],
        "email" => &[Email],
        "website" | "epgu" | "pos" | "internet_reception" | "mobile_app" | "chat_bot" | "edms"
        | "information_system" | "social_network" | "messenger" => &[Url, Text],
        "post" => &[Address, Text],
        _ => return None,
    })
}

fn finding(
    rule: &str,
    code: &str,
    severity: Severity,
    r: &RegisterRow,
    message: String,
) -> Finding {
    Finding {
        rule: rule.into(),
        code: code.into(),
        severity,
        row: Some(r.n),
        process_id: Some(r.process_id),
        touchpoint_id: r.touchpoint.as_ref().map(|t| t.id),
        message,
    }
}

fn normalized(c: &Contact) -> String {
    // versions store the checked value; normalising it again gives the comparison key
    Contact::parse(
        "c",
        &ContactInput {
            kind: c.kind,
            value: c.value.clone(),
            label: None,
        },
    )
    .map(|p| p.normalized)
    .unwrap_or_else(|_| c.value.to_lowercase())
}

/// Overdue deadlines (R10–R12) as findings of the revision.
pub fn overdue(deadlines: &[crate::deadlines::Deadline]) -> Vec<Finding> {
    use crate::deadlines::DeadlineKind::*;
    deadlines
        .iter()
        .filter(|d| d.overdue)
        .map(|d| {
            let rule = match d.kind {
                Submit | Review | Return | Fix | Consolidate => "R10",
                Publish => "R11",
                YearlyRevision | QuarterlyAnalysis | Obligation => "R12",
            };
            Finding {
                rule: rule.into(),
                code: "overdue".into(),
                severity: Severity::Warning,
                row: None,
                process_id: None,
                touchpoint_id: None,
                message: format!(
                    "{} was due on {}{}",
                    serde_json::to_value(d.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    d.due,
                    d.unit_name
                        .as_ref()
                        .map(|u| format!(" ({u})"))
                        .unwrap_or_default()
                ),
            }
        })
        .collect()
}

/// Every finding of a register, in row order.
pub fn check(content: &RegisterContent) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut earlier: HashMap<Uuid, Vec<Sibling>> = HashMap::new();
    let mut rows_of: HashMap<Uuid, i32> = HashMap::new();
    for r in &content.rows {
        let Some(t) = &r.touchpoint else {
            out.push(finding(
                "R4",
                "process_without_touchpoint",
                Severity::Error,
                r,
                format!("the process «{}» has no touchpoint", r.process),
            ));
            continue;
        };
        if t.needs.is_empty() {
            out.push(finding(
                "R5",
                "touchpoint_without_needs",
                Severity::Error,
                r,
                format!("the touchpoint «{}» lists no client need", t.name),
            ));
        }
        // R6: the same test the write path uses to set `mode_conflict`
        if let Some(stated) = t
            .stated_mode
            .filter(|s| mode_conflict(Some(*s), t.implied_mode))
        {
            out.push(finding(
                "R6",
                "mode_contradicts_rule",
                Severity::Warning,
                r,
                format!(
                    "column 6 says {}, but the agency classifies «{}» ({}) as {}",
                    stated.as_str(),
                    t.channel_label,
                    t.channel,
                    t.implied_mode.as_str()
                ),
            ));
        }
        // column 6 empty: no wording and no stated mark; the exports print it empty rather
        // than the mark the channel rule implies
        if t.stated_mode.is_none() && t.features.as_deref().is_none_or(|f| f.trim().is_empty()) {
            out.push(finding(
                "R6",
                "features_not_stated",
                Severity::Warning,
                r,
                format!(
                    "column 6 of «{}» is empty: no digital/offline mark was written (the agency's rule implies {})",
                    t.name,
                    t.implied_mode.as_str()
                ),
            ));
        }
        if let Some(kinds) = expected_kinds(&t.channel) {
            for c in t.contacts.iter().filter(|c| !kinds.contains(&c.kind)) {
                out.push(finding(
                    "contacts",
                    "contact_shape",
                    Severity::Warning,
                    r,
                    format!(
                        "a {} contact «{}» on a {} touchpoint",
                        c.kind.as_str(),
                        c.value,
                        t.channel
                    ),
                ));
            }
        }
        // R7: the rows above in the same process are the siblings the write path compares with
        let contacts: Vec<Contact> = t
            .contacts
            .iter()
            .map(|c| Contact {
                normalized: normalized(c),
                ..c.clone()
            })
            .collect();
        let siblings = earlier.entry(r.process_id).or_default();
        if let Some(dup) = find_duplicate(siblings, &t.channel, &t.name, &contacts) {
            let first = rows_of.get(&dup.existing_id).copied().unwrap_or_default();
            let message = match contacts.iter().find(|c| {
                siblings.iter().any(|s| {
                    s.id == dup.existing_id && s.contacts.contains(&(c.kind, c.normalized.clone()))
                })
            }) {
                Some(c) => format!(
                    "{} {} is already listed in row {first} of this process",
                    c.kind.as_str(),
                    c.value
                ),
                None => format!("the same touchpoint as row {first} inside one process"),
            };
            out.push(finding(
                "R7",
                "duplicate_touchpoint",
                Severity::Error,
                r,
                message,
            ));
        }
        rows_of.insert(t.id, r.n);
        siblings.push(Sibling {
            id: t.id,
            name: t.name.clone(),
            channel: t.channel.clone(),
            contacts: contacts
                .iter()
                .map(|c| (c.kind, c.normalized.clone()))
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::register::{AgencyInfo, NeedRef, RowTouchpoint};
    use crate::domain::{ClientType, Mode, ProcessKind};

    fn row(
        n: i32,
        process: Uuid,
        channel: &str,
        contacts: Vec<Contact>,
        needs: &[&str],
        stated: Option<Mode>,
        implied: Mode,
    ) -> RegisterRow {
        RegisterRow {
            n,
            direction_id: Uuid::nil(),
            direction_code: None,
            direction: "Рассмотрение обращений и запросов".into(),
            process_id: process,
            process: "Приём обращений".into(),
            registry_code: None,
            process_kind: ProcessKind::Function,
            client_type: ClientType::External,
            unit_id: None,
            unit: None,
            touchpoint: Some(RowTouchpoint {
                id: Uuid::new_v4(),
                channel: channel.into(),
                channel_label: channel.into(),
                name: "Точка".into(),
                as_written: None,
                contacts,
                needs: needs
                    .iter()
                    .map(|c| NeedRef {
                        code: (*c).into(),
                        label: String::new(),
                    })
                    .collect(),
                interaction: None,
                features: None,
                stated_mode: stated,
                implied_mode: implied,
                external_id: None,
                hours: None,
                address: None,
                geo: None,
                accessibility: None,
            }),
            process_external_id: None,
        }
    }

    fn c(kind: ContactKind, v: &str) -> Contact {
        Contact::parse(
            "c",
            &ContactInput {
                kind,
                value: v.into(),
                label: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn finds_each_rule() {
        let p = Uuid::new_v4();
        let mut empty = row(5, Uuid::new_v4(), "phone", vec![], &[], None, Mode::Digital);
        empty.touchpoint = None;
        let content = RegisterContent {
            agency: AgencyInfo {
                id: Uuid::nil(),
                parent_id: None,
                name: "x".into(),
                short_name: None,
                region: "y".into(),
                website: None,
            },
            columns: vec![],
            rows: vec![
                row(
                    1,
                    p,
                    "phone",
                    vec![c(ContactKind::Phone, "+7(8722) 51-61-22")],
                    &["consultation"],
                    Some(Mode::Offline),
                    Mode::Digital,
                ),
                row(
                    2,
                    p,
                    "phone",
                    vec![c(ContactKind::Phone, "88722516122")],
                    &["result"],
                    None,
                    Mode::Digital,
                ),
                row(
                    3,
                    p,
                    "website",
                    vec![c(ContactKind::Phone, "+78722516199")],
                    &[],
                    None,
                    Mode::Digital,
                ),
                row(
                    4,
                    p,
                    "post",
                    vec![c(ContactKind::Address, "367015, Махачкала")],
                    &["information"],
                    Some(Mode::Digital),
                    Mode::Offline,
                ),
                empty,
            ],
            profile: None,
            approval: None,
        };
        let findings = check(&content);
        let found: Vec<(i32, &str)> = findings
            .iter()
            .map(|f| (f.row.unwrap_or(0), f.code.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, "mode_contradicts_rule"),
                (2, "features_not_stated"),
                (2, "duplicate_touchpoint"),
                (3, "touchpoint_without_needs"),
                (3, "features_not_stated"),
                (3, "contact_shape"),
                (4, "mode_contradicts_rule"),
                (5, "process_without_touchpoint"),
            ]
        );
    }
}
