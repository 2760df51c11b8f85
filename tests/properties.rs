//! Property tests over the code that reads untrusted input: validation, the JSON body reader,
//! the importer's parsers and recognisers, and the workflow state machine. Bounded (proptest's
//! default case counts), so they run in CI with the rest.

use proptest::prelude::*;
use touchpoints::catalogs::NeedCode;
use touchpoints::domain::chain::{agree, resolve, Agreement, ChainContext, ChainStep};
use touchpoints::domain::contact::{
    expand_local_phone, normalize_email, normalize_phone, normalize_url,
};
use touchpoints::domain::state::{part_transition, PartAction, PartStatus, RevisionStatus};
use touchpoints::domain::{Contact, ContactInput, ContactKind, Mode};
use touchpoints::import::{parse, recognize, xlsx};

fn kinds() -> impl Strategy<Value = ContactKind> {
    prop_oneof![
        Just(ContactKind::Url),
        Just(ContactKind::Email),
        Just(ContactKind::Phone),
        Just(ContactKind::Address),
        Just(ContactKind::Text)
    ]
}

/// A column reference: mostly near the form, sometimes absurd.
fn column() -> impl Strategy<Value = String> {
    prop_oneof![8 => (0usize..80).prop_map(parse::column_letter), 1 => "[A-Z]{1,30}", 1 => Just("XFD".to_owned())]
}

fn row_number() -> impl Strategy<Value = String> {
    prop_oneof![8 => (1u64..25_000).prop_map(|n| n.to_string()), 1 => any::<u64>().prop_map(|n| n.to_string()), 1 => "[0-9]{1,40}", 1 => Just("1048576".to_owned()), 1 => Just("0".to_owned())]
}

/// One `<c>` of any type, with or without a reference and a value.
fn cell() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just(""),
        Just(r#" t="s""#),
        Just(r#" t="inlineStr""#),
        Just(r#" t="b""#),
        Just(r#" t="n""#),
        Just(r#" t="e""#),
        Just(r#" t="str""#),
        Just(r#" t="zz""#)
    ];
    let value = prop_oneof![
        Just(String::new()),
        (0u64..u64::MAX).prop_map(|n| format!("<v>{n}</v>")),
        "[-0-9.eE]{0,12}".prop_map(|v| format!("<v>{v}</v>")),
        "\\PC{0,20}".prop_map(|t| format!(
            "<is><t>{}</t></is>",
            t.replace('&', "&amp;").replace('<', "&lt;")
        )),
        Just("<is><r><t>a</t></r><rPh><t>b</t></rPh></is>".to_owned()),
        Just("<f>SUM(A1:XFD1048576)</f><v>1</v>".to_owned()),
    ];
    (proptest::option::of((column(), row_number())), kind, value).prop_map(|(at, kind, value)| {
        let r = at
            .map(|(c, n)| format!(r#" r="{c}{n}""#))
            .unwrap_or_default();
        format!("<c{r}{kind}>{value}</c>")
    })
}

/// Everything hostile the importer's XLSX reader may meet: huge cell references, absurd
/// declared counts and dimensions, deep nesting, many sheets, garbage XML.
fn hostile_workbook() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((proptest::option::of(row_number()), proptest::collection::vec(cell(), 0..6)), 0..8),
        (any::<u64>(), any::<u64>(), proptest::collection::vec("\\PC{0,12}", 0..6)),
        (column(), row_number()),
        0usize..3_000,
        0usize..40,
        proptest::option::weighted(0.2, (any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 0..40))),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(rows, (count, unique, strings), (dc, dr), depth, sheets, garbage, doctype)| {
            const NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
            let data: String = rows
                .iter()
                .map(|(r, cells)| format!("<row{}>{}</row>", r.as_ref().map(|r| format!(r#" r="{r}""#)).unwrap_or_default(), cells.concat()))
                .collect();
            let nested = format!("{}{}", "<x:a>".repeat(depth), "</x:a>".repeat(depth));
            let prolog = if doctype { r#"<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>"# } else { "" };
            let mut sheet = format!(r#"<?xml version="1.0"?>{prolog}<worksheet {NS} xmlns:x="urn:x"><dimension ref="A1:{dc}{dr}"/>{nested}<sheetData>{data}</sheetData></worksheet>"#).into_bytes();
            if let Some((at, bytes)) = garbage {
                let i = at.index(sheet.len() + 1);
                sheet.splice(i..i, bytes);
            }
            let sst: String = strings.iter().map(|s| format!("<si><t>{}</t></si>", s.replace('&', "&amp;").replace('<', "&lt;"))).collect();
            let shared = format!(r#"<sst {NS} count="{count}" uniqueCount="{unique}">{sst}</sst>"#);
            let listed: String = (0..sheets).map(|i| format!(r#"<sheet name="S{i}" sheetId="{i}" r:id="rId{}"/>"#, sheets - i)).collect();
            let workbook = format!(r#"<workbook {NS}><sheets>{listed}</sheets></workbook>"#);
            let rels: String = (0..sheets).map(|i| format!(r#"<Relationship Id="rId{i}" Target="worksheets/sheet{}.xml"/>"#, i % 3)).collect();
            let rels = format!("<Relationships>{rels}</Relationships>");
            let mut out = Vec::new();
            {
                use std::io::Write;
                let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
                let options = zip::write::SimpleFileOptions::default();
                for (name, bytes) in [("xl/workbook.xml", workbook.into_bytes()), ("xl/_rels/workbook.xml.rels", rels.into_bytes()), ("xl/sharedStrings.xml", shared.into_bytes()), ("xl/worksheets/sheet1.xml", sheet.clone()), ("xl/worksheets/sheet2.xml", sheet)] {
                    zip.start_file(name, options).unwrap();
                    zip.write_all(&bytes).unwrap();
                }
                zip.finish().unwrap();
            }
            out
        })
}

proptest! {
    /// Ok within the bounds, or an error: never a panic, and never an allocation beyond the
    /// bounds (this runs in the test process; an allocation sized by a declared number would
    /// abort it).
    #[test]
    fn hostile_workbooks_are_read_within_bounds_or_refused(bytes in hostile_workbook()) {
        if let Ok(grid) = parse::grid_from_xlsx(&bytes) {
            prop_assert!(grid.len() <= xlsx::MAX_ROWS);
            prop_assert!(grid.iter().all(|row| row.len() <= xlsx::MAX_COLUMNS));
            let _ = parse::rows(&grid);
        }
    }

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
        // each phrase of the cell names at most one need, the same need is listed once, and
        // every code is one of the catalog's (the importer stores them as references)
        let needs = recognize::needs(&cell);
        let phrases = cell.split([',', ';', '\n']).filter(|p| !p.trim().is_empty()).count();
        prop_assert!(needs.len() <= phrases.max(1), "{:?} from {} phrases", needs, phrases);
        let mut distinct = needs.clone();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), needs.len(), "a need repeats: {:?}", needs);
        for code in &needs {
            prop_assert!(
                serde_json::from_value::<NeedCode>(serde_json::json!(code)).is_ok(),
                "{} is not a catalog need", code
            );
        }
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
        let steps = resolve(&[ChainStep::any("Начальник"), ChainStep::any("Министр")], &ChainContext::default());
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
                    let done: Vec<Agreement> = agreed
                        .iter()
                        .enumerate()
                        .map(|(step, sub)| Agreement { step, sub: sub.clone() })
                        .collect();
                    if let Ok(next) = agree(revision, &parts, &steps, &done, &official, true) {
                        prop_assert!(parts.iter().all(|s| *s == PartStatus::Accepted));
                        prop_assert!(!agreed.contains(&official), "an official agreed twice");
                        prop_assert_eq!(next.step, agreed.len());
                        agreed.push(official);
                        revision = next.status;
                    }
                }
            }
        }
        if revision == RevisionStatus::Approved { prop_assert_eq!(agreed.len(), 2); }
    }
}
