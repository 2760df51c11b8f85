//! Property tests over the code that reads untrusted input: validation, the JSON body reader,
//! the importer's parsers and recognisers, and the workflow state machine. Bounded (proptest's
//! default case counts), so they run in CI with the rest.

use proptest::prelude::*;
use touchpoints::domain::contact::{expand_local_phone, normalize_email, normalize_phone, normalize_url};
use touchpoints::domain::{Contact, ContactInput, ContactKind, Mode};
use touchpoints::import::{parse, recognize};
use touchpoints::workflow::state::{approve, part_transition, PartAction, PartStatus, RevisionStatus};

fn kinds() -> impl Strategy<Value = ContactKind> {
    prop_oneof![Just(ContactKind::Url), Just(ContactKind::Email), Just(ContactKind::Phone), Just(ContactKind::Address), Just(ContactKind::Text)]
}

proptest! {
    #[test]
    fn validation_never_panics_and_is_idempotent(s in "\\PC{0,80}", kind in kinds()) {
        let _ = normalize_email(&s);
        let _ = normalize_url(&s);
        let _ = expand_local_phone(&s, "+78722516122");
        if let Ok(p) = normalize_phone(&s) {
            // a normalised number normalises to itself
            prop_assert_eq!(normalize_phone(&p).unwrap(), p.clone());
            prop_assert!(p.starts_with("+7") && p.len() == 12);
        }
        if let Ok(c) = Contact::parse("c", &ContactInput { kind, value: s.clone(), label: None }) {
            let again = Contact::parse("c", &ContactInput { kind, value: c.value.clone(), label: None }).unwrap();
            prop_assert_eq!(again.normalized, c.normalized);
        }
    }

    #[test]
    fn phones_in_any_spelling(digits in "[3489][0-9]{9}", style in 0usize..4) {
        let written = match style {
            0 => format!("+7{digits}"),
            1 => format!("8 ({}) {}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8], &digits[8..]),
            2 => format!("+7 {} {}", &digits[..3], &digits[3..]),
            _ => format!("7{digits}"),
        };
        prop_assert_eq!(normalize_phone(&written).unwrap(), format!("+7{digits}"));
    }

    #[test]
    fn the_json_reader_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = touchpoints::http::extract::parse_json::<touchpoints::touchpoints::model::NewTouchpoint>(&body);
    }

    #[test]
    fn the_importer_reads_any_text(cell in "\\PC{0,200}") {
        let (_, contacts) = recognize::contacts(&cell);
        let _ = recognize::channel(&cell, &contacts);
        prop_assert!(!recognize::needs(&cell).is_empty());
        let _ = Mode::from_features(&cell);
    }

    #[test]
    fn the_file_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(grid) = parse::grid_from_csv(&bytes) {
            let _ = parse::rows(&grid);
        }
        let _ = parse::grid_from_xlsx(&bytes);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&bytes);
        let _ = parse::grid_from_xlsx(&zipped);
    }

    /// No sequence of actions by any role reaches an illegal state: a part is accepted only
    /// after a submission, a locked part is never edited, approval needs every part accepted.
    #[test]
    fn the_state_machine_stays_legal(actions in proptest::collection::vec((0usize..3, 0usize..5), 0..40)) {
        let mut parts = [PartStatus::Draft; 3];
        let mut revision = RevisionStatus::Open;
        let mut agreed: Vec<String> = Vec::new();
        for (p, a) in actions {
            match a {
                0..=3 => {
                    let action = [PartAction::Edit, PartAction::Submit, PartAction::Return, PartAction::Accept][a];
                    let before = parts[p];
                    if let Ok(next) = part_transition(revision, before, action) {
                        if action == PartAction::Accept { prop_assert_eq!(before, PartStatus::Submitted); }
                        if action == PartAction::Edit { prop_assert!(matches!(before, PartStatus::Draft | PartStatus::Returned)); }
                        prop_assert_eq!(revision, RevisionStatus::Open);
                        parts[p] = next;
                    }
                }
                _ => {
                    // the actor index doubles as the official: some try to agree twice (R9)
                    let official = format!("official{p}");
                    let done: Vec<&str> = agreed.iter().map(String::as_str).collect();
                    if let Ok(next) = approve(revision, &parts, &done, 2, &official) {
                        prop_assert!(parts.iter().all(|s| *s == PartStatus::Accepted));
                        prop_assert!(!agreed.contains(&official), "an official agreed twice");
                        agreed.push(official);
                        revision = next;
                    }
                }
            }
        }
        if revision == RevisionStatus::Approved { prop_assert_eq!(agreed.len(), 2); }
    }
}
