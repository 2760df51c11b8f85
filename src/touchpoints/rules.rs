//! Rule R7 as a plain function: no duplicate touchpoint inside one process. A touchpoint
//! duplicates another when it has the same channel and shares a contact with it, or, for
//! touchpoints without contacts, the same channel and name. The remedy the procedures give
//! (003 §2.3, 004 §11) is one touchpoint with several needs.

use uuid::Uuid;

use crate::domain::{text, Contact, ContactKind, Mode};

/// What R7 needs to know of a touchpoint already in the process.
#[derive(Debug, Clone)]
pub struct Sibling {
    pub id: Uuid,
    pub name: String,
    pub channel: String,
    pub contacts: Vec<(ContactKind, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub existing_id: Uuid,
    /// The offending field of the request (`contacts[1]` or `name`).
    pub field: String,
    pub message: String,
}

/// The key that makes a contactless touchpoint unique within its process and channel.
pub fn contactless_key(name: &str, contacts: &[Contact]) -> Option<String> {
    contacts.is_empty().then(|| text::fold(name))
}

/// Looks for a sibling the candidate would duplicate (R7); `siblings` excludes the candidate itself.
pub fn find_duplicate(
    siblings: &[Sibling],
    channel: &str,
    name: &str,
    contacts: &[Contact],
) -> Option<Duplicate> {
    for s in siblings.iter().filter(|s| s.channel == channel) {
        if contacts.is_empty() {
            if s.contacts.is_empty() && text::fold(&s.name) == text::fold(name) {
                return Some(Duplicate {
                    existing_id: s.id,
                    field: "name".into(),
                    message: format!("the process already has the touchpoint «{}» on this channel; add the needs to it instead (R7)", s.name),
                });
            }
            continue;
        }
        for (i, c) in contacts.iter().enumerate() {
            if s.contacts
                .iter()
                .any(|(k, n)| *k == c.kind && *n == c.normalized)
            {
                return Some(Duplicate {
                    existing_id: s.id,
                    field: format!("contacts[{i}]"),
                    message: format!(
                        "the process already has the touchpoint «{}» with {} {} on this channel; add the needs to it instead (R7)",
                        s.name,
                        c.kind.as_str(),
                        c.value
                    ),
                });
            }
        }
    }
    None
}

/// The stated mark contradicts the agency's rule (R6): a finding, never a reason to rewrite.
pub fn mode_conflict(stated: Option<Mode>, implied: Mode) -> bool {
    stated.is_some_and(|s| s != implied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ContactInput;

    fn contact(kind: ContactKind, v: &str) -> Contact {
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

    fn sibling(channel: &str, name: &str, contacts: &[Contact]) -> Sibling {
        Sibling {
            id: Uuid::new_v4(),
            name: name.into(),
            channel: channel.into(),
            contacts: contacts
                .iter()
                .map(|c| (c.kind, c.normalized.clone()))
                .collect(),
        }
    }

    #[test]
    fn same_channel_and_contact_is_a_duplicate_whatever_the_spelling() {
        let existing = sibling(
            "phone",
            "Телефон",
            &[contact(ContactKind::Phone, "+7(8722) 51-61-22")],
        );
        let dup = find_duplicate(
            std::slice::from_ref(&existing),
            "phone",
            "Тел.",
            &[
                contact(ContactKind::Phone, "+7 928 123 45 67"),
                contact(ContactKind::Phone, "8 8722 516122"),
            ],
        )
        .unwrap();
        assert_eq!(dup.existing_id, existing.id);
        assert_eq!(dup.field, "contacts[1]");
    }

    #[test]
    fn another_channel_with_the_same_contact_is_not() {
        // «Проведение рабочих встреч. Тел. …» beside «Тел. …» in one process (000)
        let existing = sibling(
            "phone",
            "Телефон",
            &[contact(ContactKind::Phone, "+7(8722) 51-61-22")],
        );
        assert!(find_duplicate(
            &[existing],
            "meeting",
            "Проведение рабочих встреч",
            &[contact(ContactKind::Phone, "+7(8722) 51-61-22")]
        )
        .is_none());
    }

    #[test]
    fn contactless_touchpoints_compare_by_name() {
        let existing = sibling(
            "reception",
            "Место проведения личного приема в здании Министерства",
            &[],
        );
        let d = find_duplicate(
            std::slice::from_ref(&existing),
            "reception",
            "место проведения личного приёма  в здании министерства",
            &[],
        )
        .unwrap();
        assert_eq!(d.field, "name");
        assert!(find_duplicate(&[existing], "reception", "Места приема документов", &[]).is_none());
    }

    #[test]
    fn contactless_key_only_without_contacts() {
        assert_eq!(contactless_key("Стенды ", &[]), Some("стенды".into()));
        assert_eq!(
            contactless_key("Сайт", &[contact(ContactKind::Url, "www.mchsrd.ru")]),
            None
        );
    }

    #[test]
    fn conflicts() {
        assert!(mode_conflict(Some(Mode::Offline), Mode::Digital));
        assert!(!mode_conflict(Some(Mode::Digital), Mode::Digital));
        assert!(!mode_conflict(None, Mode::Offline));
    }
}
