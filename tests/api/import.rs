//! Importing the official form (XLSX, CSV) into a revision's working copy.

use std::io::Write;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(
    app: &TestApp,
    revision: &str,
    content_type: &str,
    body: Vec<u8>,
    dry_run: bool,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(&format!(
            "/api/v1/revisions/{revision}/import?dry_run={dry_run}"
        )))
        .bearer_auth(&app.admin)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn an_exported_version_imported_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let (_, list) = app
        .request_as(None, Method::GET, "/api/v1/public/agencies", None)
        .await;
    for agency in list["items"].as_array().unwrap() {
        let id = agency["id"].as_str().unwrap();
        let xlsx = app
            .client
            .get(app.url(&format!(
                "/api/v1/public/agencies/{id}/register?format=xlsx"
            )))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let (s, rev) = app
            .post(
                &format!("/api/v1/agencies/{id}/revisions"),
                json!({"reason": "yearly_revision"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{rev}");
        let rid = rev["id"].as_str().unwrap();
        let (s, report) = upload(&app, rid, XLSX, xlsx.to_vec(), false).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        assert_eq!(report["rejected"], 0, "{report}");
        assert_eq!(
            report["created"],
            0,
            "{}",
            serde_json::to_string_pretty(
                &report["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["outcome"] != "unchanged")
                    .collect::<Vec<_>>()
            )
            .unwrap()
        );
        assert_eq!(report["merged"], 0);
        for p in rev["parts"].as_array().unwrap() {
            let u = p["unit_id"].as_str().unwrap();
            let (s, b) = app
                .post(
                    &format!("/api/v1/revisions/{rid}/parts/{u}/submit"),
                    Value::Null,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            app.post(
                &format!("/api/v1/revisions/{rid}/parts/{u}/accept"),
                Value::Null,
            )
            .await;
        }
        app.post(&format!("/api/v1/revisions/{rid}/approve"), Value::Null)
            .await;
        let (s, published) = app
            .post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK, "{published}");
        let (_, diff) = app
            .request_as(
                None,
                Method::GET,
                &format!("/api/v1/public/agencies/{id}/register/diff?from=1&to=2"),
                None,
            )
            .await;
        assert_eq!(
            (
                diff["added"].as_array().unwrap().len(),
                diff["removed"].as_array().unwrap().len(),
                diff["changed"].as_array().unwrap().len()
            ),
            (0, 0, 0),
            "{diff}"
        );
    }
}

const FORM: &str = "\u{feff}№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\r
1;2;3;4;5;6\r
1;Рассмотрение обращений и запросов;Прием и рассмотрение обращений;Телефон: +7(8722) 55-05-28, 51-61-24;Получение консультации клиентом, получение информации клиентом о ходе рассмотрения обращения;Взаимодействие в офлайн-точке\r
2;;;Электронная почта: mchs@e-dag.ru ond.mchs05@mail.ru;Подача письменного обращения клиентом;Цифровая точка\r
3;;;Тел. +7 (8722) 55-05-28;Получение ответа на обращение;Онлайн- точка\r
4;;Информирование;Почта России 367015 РД, г. Махачкала, ул. Ярагского, д.124;Получение информации;Цифровая точка\r
5;Региональный государственный надзор;Плановая выездная проверка;Место осуществления деятельности контролируемого лица;Получение результата проверки;Онлайн- точка\r
";

#[actix_web::test]
async fn a_unit_csv_in_the_seeds_wording_is_read_row_by_row() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rev) = app
        .post(
            &format!("/api/v1/agencies/{a}/revisions"),
            json!({"reason": "regulation_change"}),
        )
        .await;
    let rid = rev["id"].as_str().unwrap();

    let (s, dry) = upload(&app, rid, "text/csv", FORM.as_bytes().to_vec(), true).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["written"].as_bool()),
        (Some(true), Some(false))
    );
    let (_, points) = app.get(&format!("/api/v1/points?agency_id={a}")).await;
    assert_eq!(points["total"], 0, "a dry run writes nothing");

    let (s, report) = upload(&app, rid, "text/csv", FORM.as_bytes().to_vec(), false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let outcomes: Vec<(&str, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["channel"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    // row 3 repeats the phone of row 1 in the same process: merged into it (R7)
    assert_eq!(
        outcomes,
        vec![
            ("created", "phone"),
            ("created", "email"),
            ("merged", "phone"),
            ("created", "post"),
            ("created", "onsite_inspection")
        ]
    );
    assert_eq!(
        report["rows"][2]["touchpoint_id"],
        report["rows"][0]["touchpoint_id"]
    );

    let phone = report["rows"][0]["touchpoint_id"].as_str().unwrap();
    let (_, t) = app.get(&format!("/api/v1/points/{phone}")).await;
    assert_eq!(
        t["contacts"],
        json!([{"kind": "phone", "value": "+78722550528", "as_written": "+7(8722) 55-05-28"},
               {"kind": "phone", "value": "+78722516124", "as_written": "51-61-24"}])
    );
    assert_eq!(t["as_written"], "Телефон: +7(8722) 55-05-28, 51-61-24");
    assert_eq!(t["needs"], json!(["consultation", "progress", "result"]));
    assert_eq!(t["stated_mode"], "offline");
    let (_, all) = app
        .get(&format!("/api/v1/points?agency_id={a}&limit=100"))
        .await;
    assert_eq!(all["total"], 4);
    let inspection = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["channel"] == "onsite_inspection")
        .unwrap();
    assert_eq!(
        (
            inspection["stated_mode"].as_str(),
            inspection["mode_conflict"].as_bool()
        ),
        (Some("digital"), Some(true)),
        "kept as written"
    );
    let (_, own) = app
        .get(&format!("/api/v1/agencies/{a}/directions?scope=own"))
        .await;
    assert_eq!(
        own["items"][0]["name"],
        "Региональный государственный надзор"
    );
    let (_, history) = app.get(&format!("/api/v1/revisions/{rid}/history")).await;
    assert!(history["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["action"] == "import"));

    // the working copy, for its editors, in the official form
    let (s, copy) = app.get(&format!("/api/v1/agencies/{a}/register")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(copy["rows"].as_array().unwrap().len(), 4);
    let html = app
        .client
        .get(app.url(&format!("/api/v1/agencies/{a}/register?format=html")))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Рабочая копия (не опубликована)"));
    let outsider = crate::helpers::token(
        "o",
        &[touchpoints::auth::Role::Approver],
        Some(&uuid::Uuid::new_v4().to_string()),
        None,
    );
    let (s, _) = app
        .request_as(
            Some(&outsider),
            Method::GET,
            &format!("/api/v1/agencies/{a}/register"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn bad_files_get_a_clear_4xx_and_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rev) = app
        .post(
            &format!("/api/v1/agencies/{a}/revisions"),
            json!({"reason": "other", "comment": "проверка"}),
        )
        .await;
    let rid = rev["id"].as_str().unwrap();

    let (s, body) = upload(
        &app,
        rid,
        XLSX,
        b"this is not a spreadsheet".to_vec(),
        false,
    )
    .await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    let (s, body) = upload(
        &app,
        rid,
        "text/csv",
        "a;b;c\n1;2;3\n".as_bytes().to_vec(),
        false,
    )
    .await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    assert_eq!(body["errors"][0]["code"], "wrong_columns");
    let (s, body) = upload(&app, rid, "application/pdf", b"%PDF-1.4".to_vec(), false).await;
    assert_problem(s, &body, 415, "unsupported_media_type", None);
    let (s, body) = upload(&app, rid, "text/csv", vec![b'x'; 11 * 1024 * 1024], false).await;
    assert_problem(s, &body, 413, "payload_too_large", None);

    // a zip bomb: 200 MB of zeros in a small archive
    let mut bomb = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bomb));
        zip.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        let chunk = vec![0u8; 1024 * 1024];
        for _ in 0..200 {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
    }
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let (s, body) = upload(&app, rid, XLSX, bomb, false).await;
    assert_problem(s, &body, 413, "payload_too_large", None);

    // one bad row (a touchpoint before any direction or process): the report says which and
    // where, and nothing is written
    let broken = FORM.replace(
        "1;2;3;4;5;6\r\n",
        "1;2;3;4;5;6\r\n0;;;Телефон: +7 (8722) 11-11-11;Получение информации;Офлайн-точка\r\n",
    );
    let (s, body) = upload(&app, rid, "text/csv", broken.into_bytes(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["report"]["written"], false);
    assert_eq!(body["report"]["rejected"], 1);
    let bad = body["report"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "rejected")
        .unwrap()
        .clone();
    assert_eq!(bad["cell"], "B3");
    assert!(bad["reason"].as_str().unwrap().contains("no direction"));
    let (_, points) = app.get(&format!("/api/v1/points?agency_id={a}")).await;
    assert_eq!(points["total"], 0, "nothing half-imported: {body}");
}

/// The seeds' registers, as a unit would send them in the CSV form, go through the importer
/// into an empty agency: every row is read, and the checker finds the same kind of
/// contradictions as in the transcription.
#[actix_web::test]
async fn the_seed_registers_go_through_the_importer() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let (_, list) = app
        .request_as(None, Method::GET, "/api/v1/public/agencies", None)
        .await;
    for source in list["items"].as_array().unwrap() {
        let csv = app
            .client
            .get(app.url(&format!(
                "/api/v1/public/agencies/{}/register?format=csv",
                source["id"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let target = app
            .agency(&format!("{} (импорт)", source["name"].as_str().unwrap()))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, rev) = app
            .post(
                &format!("/api/v1/agencies/{target}/revisions"),
                json!({"reason": "other", "comment": "импорт перечня"}),
            )
            .await;
        let (s, report) = upload(
            &app,
            rev["id"].as_str().unwrap(),
            "text/csv",
            csv.to_vec(),
            false,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{report}");
        let (_, original) = app
            .request_as(
                None,
                Method::GET,
                &format!(
                    "/api/v1/public/agencies/{}/register",
                    source["id"].as_str().unwrap()
                ),
                None,
            )
            .await;
        let (_, imported) = app
            .get(&format!("/api/v1/agencies/{target}/register"))
            .await;
        let channels = |v: &Value| {
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["touchpoint"]["channel"]
                        .as_str()
                        .unwrap_or("-")
                        .to_owned()
                })
                .collect::<Vec<_>>()
        };
        let modes = |v: &Value| {
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["touchpoint"]["stated_mode"].clone())
                .collect::<Vec<_>>()
        };
        // the same rows, channel by channel, with column 6 read the same way
        assert_eq!(
            channels(&imported),
            channels(&original),
            "{}",
            source["name"]
        );
        assert_eq!(modes(&imported), modes(&original));
        let (_, findings) = app
            .get(&format!(
                "/api/v1/revisions/{}/findings",
                rev["id"].as_str().unwrap()
            ))
            .await;
        let r6 = findings["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "R6")
            .count();
        let (_, published) = app
            .request_as(
                None,
                Method::GET,
                &format!(
                    "/api/v1/public/agencies/{}/register/findings",
                    source["id"].as_str().unwrap()
                ),
                None,
            )
            .await;
        assert_eq!(
            r6 as i64,
            published["total"].as_i64().unwrap(),
            "the same R6 contradictions"
        );
    }
}

/// An XLSX archive: the sheet's content and the shared strings, with the package parts a
/// workbook has.
fn workbook(sheet: &str, shared: Option<&str>) -> Vec<u8> {
    workbook_with("", sheet, shared)
}

/// The same, with a prolog (a document type declaration) before the sheet's root element.
fn workbook_with(prolog: &str, sheet: &str, shared: Option<&str>) -> Vec<u8> {
    const NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let mut parts = vec![
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook {NS}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {NS}>{sheet}</worksheet>"#)),
    ];
    if let Some(s) = shared {
        parts.push((
            "xl/sharedStrings.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?>{s}"#),
        ));
    }
    let mut out = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
    for (name, xml) in parts {
        zip.start_file(
            name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out
}

async fn open_revision(app: &TestApp, name: &str) -> (String, String) {
    let a = app.agency(name).await["id"].as_str().unwrap().to_owned();
    let (s, rev) = app
        .post(
            &format!("/api/v1/agencies/{a}/revisions"),
            json!({"reason": "other", "comment": "проверка"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rev}");
    (a, rev["id"].as_str().unwrap().to_owned())
}

async fn assert_alive(app: &TestApp) {
    let resp = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(resp.status(), StatusCode::OK);
}

/// Two files of the security review, each under 2 KB, that made the old reader allocate
/// hundreds of GB and abort the process: refused with a 4xx, and the server lives on.
#[actix_web::test]
async fn hostile_workbooks_are_refused_and_the_server_lives_on() {
    let app = TestApp::spawn().await;
    let (_, rid) = open_revision(&app, "МЧС Республики Дагестан").await;

    let far = workbook(
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>№</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#,
        None,
    );
    assert!(far.len() < 2048, "{}", far.len());
    let (s, body) = upload(&app, &rid, XLSX, far, true).await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    assert_eq!(body["errors"][0]["code"], "out_of_bounds", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "cell XFD1048576 is outside the form's bounds: at most 64 columns and 20000 rows"
    );
    assert_alive(&app).await;

    let counted = workbook(
        r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#,
        Some(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1000000000000" uniqueCount="1000000000000"><si><t>Точка взаимодействия</t></si></sst>"#,
        ),
    );
    assert!(counted.len() < 2048, "{}", counted.len());
    let (s, body) = upload(&app, &rid, XLSX, counted, true).await;
    assert!(s.is_client_error(), "{s} {body}");
    assert_eq!(
        body["errors"][0]["code"], "wrong_columns",
        "read, and found not to be the form: {body}"
    );
    assert_alive(&app).await;

    // a document type with an external entity (XXE) is refused, not resolved
    let xxe = workbook_with(
        r#"<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData>"#,
        None,
    );
    let (s, body) = upload(&app, &rid, XLSX, xxe, true).await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    assert!(
        body["detail"].as_str().unwrap().contains("DOCTYPE"),
        "{body}"
    );
    assert!(!body.to_string().contains("root:"), "{body}");
    assert_alive(&app).await;
}

/// The revision and the caller's rights are settled before a byte of the body is read: an
/// 11 MB body gets 404 or 403, not 413.
#[actix_web::test]
async fn the_revision_and_the_rights_come_before_the_body() {
    let app = TestApp::spawn().await;
    let (_, rid) = open_revision(&app, "МЧС Республики Дагестан").await;
    let big = vec![b'x'; 11 * 1024 * 1024];

    let (s, body) = upload(
        &app,
        &uuid::Uuid::new_v4().to_string(),
        "text/csv",
        big.clone(),
        false,
    )
    .await;
    assert_problem(s, &body, 404, "not_found", None);

    let other = app.agency("Минтранс Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = crate::helpers::token(
        "o",
        &[touchpoints::auth::Role::Submitter],
        Some(&other),
        None,
    );
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/revisions/{rid}/import")))
        .bearer_auth(&outsider)
        .header("content-type", "text/csv")
        .body(big)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_problem(s, &body, 403, "forbidden", None);
    assert_alive(&app).await;
}

type Feed = tokio::sync::mpsc::UnboundedSender<Result<Vec<u8>, std::io::Error>>;

/// An import whose body is fed by hand through the returned sender; it ends when the sender
/// is dropped.
fn held_upload(
    app: &TestApp,
    revision: &str,
) -> (
    Feed,
    actix_web::rt::task::JoinHandle<(StatusCode, reqwest::header::HeaderMap, Value)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Vec<u8>, std::io::Error>>();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let request = app
        .client
        .post(app.url(&format!("/api/v1/revisions/{revision}/import")))
        .bearer_auth(&app.admin)
        .header("content-type", "text/csv")
        .body(reqwest::Body::wrap_stream(stream));
    let handle = actix_web::rt::spawn(async move {
        let resp = request.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.json().await.unwrap_or(Value::Null))
    });
    (tx, handle)
}

/// With one import slot, an import still receiving its file makes the next one answer 503 with
/// Retry-After; the slot is free again once the first is done.
#[actix_web::test]
async fn imports_past_the_concurrency_limit_are_told_to_retry() {
    let app = TestApp::spawn_with(|s| s.import_concurrency = 1).await;
    let (_, rid) = open_revision(&app, "МЧС Республики Дагестан").await;
    let (head, tail) = FORM.as_bytes().split_at(FORM.len() / 2);
    let (mut held, mut busy) = (None, None);
    // poll: the probing imports (dry runs) may take the slot before the held one does, which
    // then is refused itself and started again
    for _ in 0..200 {
        let (tx, first) = held.take().unwrap_or_else(|| {
            let (tx, first) = held_upload(&app, &rid);
            tx.send(Ok(head.to_vec())).unwrap();
            (tx, first)
        });
        if first.is_finished() {
            let (s, _, body) = first.await.unwrap();
            assert_problem(s, &body, 503, "service_unavailable", None);
            continue;
        }
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/revisions/{rid}/import?dry_run=true")))
            .bearer_auth(&app.admin)
            .header("content-type", "text/csv")
            .body(FORM.as_bytes().to_vec())
            .send()
            .await
            .unwrap();
        let (s, headers) = (resp.status(), resp.headers().clone());
        let body: Value = resp.json().await.unwrap();
        held = Some((tx, first));
        if s == StatusCode::SERVICE_UNAVAILABLE {
            busy = Some((headers, body));
            break;
        }
        assert_eq!(s, StatusCode::OK, "{body}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (headers, body) =
        busy.expect("a second import is refused while the first holds the only slot");
    assert_problem(
        StatusCode::SERVICE_UNAVAILABLE,
        &body,
        503,
        "service_unavailable",
        None,
    );
    let retry: u32 = headers
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);

    let (tx, first) = held.unwrap();
    tx.send(Ok(tail.to_vec())).unwrap();
    drop(tx);
    let (s, _, report) = first.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 4, "{report}");
    let (s, again) = upload(&app, &rid, "text/csv", FORM.as_bytes().to_vec(), true).await;
    assert_eq!(s, StatusCode::OK, "the slot is free again: {again}");
}

/// A body that never finishes is cut off after the upload timeout with 408.
#[actix_web::test]
async fn a_body_that_never_ends_times_out() {
    let app = TestApp::spawn_with(|s| s.upload_timeout_s = 1).await;
    let (_, rid) = open_revision(&app, "МЧС Республики Дагестан").await;
    let (tx, first) = held_upload(&app, &rid);
    tx.send(Ok(FORM.as_bytes()[..100].to_vec())).unwrap();
    let started = std::time::Instant::now();
    let (s, _, body) = first.await.unwrap();
    assert_problem(s, &body, 408, "request_timeout", None);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    drop(tx);
    // and the slot it held is free
    let (s, report) = upload(&app, &rid, "text/csv", FORM.as_bytes().to_vec(), true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
}

/// Uploads as the holder of `token`.
async fn upload_as(
    app: &TestApp,
    token: &str,
    revision: &str,
    body: &str,
    dry_run: bool,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(&format!(
            "/api/v1/revisions/{revision}/import?dry_run={dry_run}"
        )))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

const HEADER: &str = "№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\r\n";

/// Column 5 empty: no need is invented (R5 reports the row); column 6 empty: no mark is
/// printed (the checker warns); column 4 is kept and printed as written; the report says what
/// was inferred and from where.
#[actix_web::test]
async fn an_import_with_empty_columns_5_and_6_invents_nothing_and_says_what_it_inferred() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rev) = app
        .post(
            &format!("/api/v1/agencies/{a}/revisions"),
            json!({"reason": "regulation_change"}),
        )
        .await;
    let rid = rev["id"].as_str().unwrap();
    let csv = format!(
        "\u{feff}{HEADER}1;Рассмотрение обращений и запросов;Прием и рассмотрение обращений;Телефон: +7(8722) 55-05-28, 51-61-24;;\r\n\
         2;;;Официальный сайт Министерства: www.mchsrd.ru;Получение консультации клиентом;Взаимодействие в цифровой точке\r\n"
    );
    let (s, report) = upload_as(&app, &app.admin, rid, &csv, false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let row = &report["rows"][0];
    assert_eq!(row["outcome"], "created", "{report}");
    let inferred = row["inferred"].as_array().unwrap();
    let fields: Vec<&str> = inferred
        .iter()
        .map(|i| i["field"].as_str().unwrap())
        .collect();
    assert!(
        !fields.contains(&"needs"),
        "no need from an empty cell: {row}"
    );
    assert!(!fields.contains(&"stated_mode"), "{row}");
    assert!(
        inferred.contains(&json!({"field": "channel", "value": "phone",
        "from": "column 4 text «Телефон: +7(8722) 55-05-28, 51-61-24»"}))
    );
    assert!(
        inferred.contains(&json!({"field": "contacts", "value": "phone +78722516124",
        "from": "column 4 text «Телефон: +7(8722) 55-05-28, 51-61-24»"}))
    );
    let client_type = inferred
        .iter()
        .find(|i| i["field"] == "client_type")
        .unwrap();
    assert_eq!(client_type["value"], "external");
    assert!(
        client_type["from"]
            .as_str()
            .unwrap()
            .starts_with("default:"),
        "{client_type}"
    );
    assert!(report["rows"][1]["inferred"]
        .as_array()
        .unwrap()
        .contains(&json!({"field": "needs", "value": "consultation",
            "from": "column 5 text «Получение консультации клиентом»"})));

    let phone = row["touchpoint_id"].as_str().unwrap();
    let (_, t) = app.get(&format!("/api/v1/points/{phone}")).await;
    assert_eq!(t["needs"], json!([]));
    assert_eq!(
        (&t["features"], &t["stated_mode"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(t["as_written"], "Телефон: +7(8722) 55-05-28, 51-61-24");
    // the machine fields stay normalised; each contact keeps its own spelling beside
    assert_eq!(
        t["contacts"],
        json!([{"kind": "phone", "value": "+78722550528", "as_written": "+7(8722) 55-05-28"},
               {"kind": "phone", "value": "+78722516124", "as_written": "51-61-24"}])
    );

    let (_, findings) = app.get(&format!("/api/v1/revisions/{rid}/findings")).await;
    let codes: Vec<(i64, &str)> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["row"].as_i64().unwrap_or(0), f["code"].as_str().unwrap()))
        .collect();
    assert!(
        codes.contains(&(1, "touchpoint_without_needs")),
        "{findings}"
    );
    assert!(codes.contains(&(1, "features_not_stated")), "{findings}");
    assert!(!codes.contains(&(2, "features_not_stated")), "{findings}");

    // the working copy prints column 4 as written and column 6 empty, not an implied mark
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/agencies/{a}/register?format=csv")))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = csv
        .lines()
        .find(|l| l.contains("55-05-28"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        line.ends_with(";Телефон: +7(8722) 55-05-28, 51-61-24;;"),
        "{line}"
    );
    assert!(
        csv.contains(";Официальный сайт Министерства: www.mchsrd.ru;"),
        "{csv}"
    );
}

/// A unit's submitter imports the unit's part: its rows and new processes are the unit's, and
/// the client type comes from the table's heading.
#[actix_web::test]
async fn a_unit_submitter_imports_into_the_units_part() {
    let app = TestApp::spawn().await;
    let org = app
        .org("МЧС Республики Дагестан")
        .with_unit("Отдел правовой, кадровой и организационной работы")
        .build()
        .await;
    let (a, unit) = (org.id(), org.unit(0));
    let (s, rev) = app
        .post(
            &format!("/api/v1/agencies/{a}/revisions"),
            json!({"reason": "regulation_change"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rev}");
    let rid = rev["id"].as_str().unwrap();
    let token = crate::helpers::token(
        "s1",
        &[touchpoints::auth::Role::Submitter],
        Some(&a.to_string()),
        Some(&unit.to_string()),
    );
    let csv = format!(
        "ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ МИНИСТЕРСТВА В РАМКАХ ВЗАИМОДЕЙСТВИЯ С ВНУТРЕННИМ КЛИЕНТОМ;;;;;\r\n{HEADER}\
         1;Обеспечение внутренних отношений;Организация проведения конкурса на замещение вакантных должностей;Электронная почта: mchs@e-dag.ru;Получение информации клиентом;Взаимодействие в цифровой точке\r\n\
         2;;;Телефон: +7(8722) 55-05-28, 51-61-24;Получение консультации клиентом;Взаимодействие в офлайн-точке\r\n"
    );
    let (s, report) = upload_as(&app, &token, rid, &csv, false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    let inferred = report["rows"][0]["inferred"].as_array().unwrap();
    assert!(inferred.contains(&json!({"field": "client_type", "value": "internal",
        "from": "heading «ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ МИНИСТЕРСТВА В РАМКАХ ВЗАИМОДЕЙСТВИЯ С ВНУТРЕННИМ КЛИЕНТОМ»"})), "{inferred:?}");
    assert!(
        inferred.contains(&json!({"field": "unit_id", "value": unit.to_string(),
        "from": "token: the submitter's unit"}))
    );

    let (_, owned) = app
        .get(&format!("/api/v1/agencies/{a}/processes?unit={unit}"))
        .await;
    assert_eq!(owned["total"], 1, "{owned}");
    assert_eq!(owned["items"][0]["client_type"], "internal");
    let (_, agency_part) = app
        .get(&format!("/api/v1/agencies/{a}/processes?unit=agency"))
        .await;
    assert_eq!(
        agency_part["total"], 0,
        "nothing lands in the agency's own part"
    );
    let (_, rev) = app.get(&format!("/api/v1/revisions/{rid}")).await;
    assert!(
        rev["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["unit_id"] == unit.to_string()),
        "{rev}"
    );
    // the unit's submitter submits the part it filled
    let (s, body) = app
        .request_as(
            Some(&token),
            Method::POST,
            &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// The official form with `processes` processes of four touchpoints each (a phone, an e-mail,
/// a website, a contactless reception), and in every tenth process a fifth row repeating the
/// phone in another wording with another need (R7: merged into the first).
fn large_form(processes: usize) -> String {
    let mut csv = String::from("№;Направление деятельности;Наименование конкретного процесса;Точка взаимодействия;Осуществляемое взаимодействие с клиентом;Особенности взаимодействия с клиентом\n1;2;3;4;5;6\n");
    let mut n = 0;
    let mut line = |csv: &mut String, cells: [&str; 5]| {
        n += 1;
        csv.push_str(&format!("{n};{}\n", cells.join(";")));
    };
    for i in 0..processes {
        let direction = format!("Направление деятельности номер {}", i % 3);
        let process = format!("Процесс номер {i}");
        let phone = format!("+7(8722) {}-{:02}-{:02}", 50 + i / 100, i % 100, 17);
        line(
            &mut csv,
            [
                &direction,
                &process,
                &format!("Телефон: {phone}"),
                "Получение консультации",
                "Офлайн-точка",
            ],
        );
        line(
            &mut csv,
            [
                "",
                "",
                &format!("Электронная почта: process{i}@example.ru"),
                "Подача обращения",
                "Цифровая точка",
            ],
        );
        line(
            &mut csv,
            [
                "",
                "",
                &format!("Официальный сайт: www.process{i}.ru"),
                "Получение информации",
                "Цифровая точка",
            ],
        );
        line(
            &mut csv,
            [
                "",
                "",
                &format!("Личный приём в кабинете {i}"),
                "Получение консультации",
                "Офлайн-точка",
            ],
        );
        if i % 10 == 0 {
            line(
                &mut csv,
                [
                    "",
                    "",
                    &format!("Тел. {phone}"),
                    "Получение результата",
                    "Офлайн-точка",
                ],
            );
        }
    }
    csv
}

/// The rows of a report without the ids a dry run makes up.
fn without_ids(report: &Value) -> Vec<Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["touchpoint_id"] = Value::Null;
            r
        })
        .collect()
}

#[actix_web::test]
async fn a_large_file_is_imported_whole_and_reported_row_by_row() {
    let app = TestApp::spawn().await;
    let (a, rid) = open_revision(&app, "Министерство большого реестра").await;
    let processes = 600;
    let form = large_form(processes);
    let rows = processes * 4 + processes / 10;
    assert!(rows >= 2000);

    // one row that continues nothing refuses the whole file: nothing is written
    let bad = form.replacen("1;2;3;4;5;6\n", "1;2;3;4;5;6\n0;;;ЕПГУ;;\n", 1);
    let (s, refused) = upload(&app, &rid, "text/csv", bad.into_bytes(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["report"]["rejected"], 1);
    assert_eq!(refused["report"]["rows"][0]["cell"], "B3");
    assert_eq!(
        refused["report"]["rows"].as_array().unwrap().len(),
        rows + 1
    );
    let (_, points) = app
        .get(&format!("/api/v1/points?agency_id={a}&limit=1"))
        .await;
    assert_eq!(points["total"], 0, "a refused file writes nothing");

    let (s, dry) = upload(&app, &rid, "text/csv", form.clone().into_bytes(), true).await;
    assert_eq!(s, StatusCode::OK);
    let (_, points) = app
        .get(&format!("/api/v1/points?agency_id={a}&limit=1"))
        .await;
    assert_eq!(points["total"], 0, "a dry run writes nothing");

    let (s, report) = upload(&app, &rid, "text/csv", form.clone().into_bytes(), false).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(report["written"], true);
    assert_eq!(
        (
            &report["created"],
            &report["merged"],
            &report["unchanged"],
            &report["rejected"]
        ),
        (
            &json!(processes * 4),
            &json!(processes / 10),
            &json!(0),
            &json!(0)
        )
    );
    assert_eq!(
        without_ids(&dry),
        without_ids(&report),
        "the dry run says what the import does"
    );
    let rows_of = report["rows"].as_array().unwrap();
    assert_eq!(rows_of.len(), rows);
    // the first process: its new process inferred, its phone merged with the fifth row's need
    assert_eq!(rows_of[0]["line"], 3);
    assert_eq!(rows_of[0]["channel"], "phone");
    assert!(rows_of[0]["inferred"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["field"] == "client_type" && i["value"] == "external"));
    assert_eq!(rows_of[4]["outcome"], "merged");
    assert_eq!(rows_of[4]["touchpoint_id"], rows_of[0]["touchpoint_id"]);

    let (_, points) = app
        .get(&format!("/api/v1/points?agency_id={a}&limit=1"))
        .await;
    assert_eq!(points["total"], processes * 4);
    let (_, procs) = app
        .get(&format!("/api/v1/agencies/{a}/processes?limit=1"))
        .await;
    assert_eq!(procs["total"], processes);
    let (_, own) = app
        .get(&format!("/api/v1/agencies/{a}/directions?scope=own"))
        .await;
    assert_eq!(own["total"], 3);
    let phone = rows_of[0]["touchpoint_id"].as_str().unwrap();
    let (_, t) = app.get(&format!("/api/v1/points/{phone}")).await;
    assert_eq!(t["as_written"], "Телефон: +7(8722) 50-00-17");
    assert_eq!(t["contacts"][0]["value"], "+78722500017");
    assert_eq!(t["interaction"], "Получение консультации");
    assert_eq!(t["stated_mode"], "offline");
    assert_eq!(t["position"], 1);
    assert!(t["needs"].as_array().unwrap().len() >= 2, "{t}");
    let last = rows_of.last().unwrap()["touchpoint_id"].as_str().unwrap();
    let (_, t) = app.get(&format!("/api/v1/points/{last}")).await;
    assert_eq!(
        t["name"],
        format!("Личный приём в кабинете {}", processes - 1)
    );
    assert_eq!(t["contacts"], json!([]));
    assert_eq!(t["position"], 4);

    // the history: each new process and touchpoint, each merge with the touchpoint before
    let (_, history) = app.get(&format!("/api/v1/revisions/{rid}/history")).await;
    let items = history["items"].as_array().unwrap();
    let count = |entity: &str, action: &str| {
        items
            .iter()
            .filter(|h| h["entity"] == entity && h["action"] == action)
            .count()
    };
    assert_eq!(count("process", "import"), processes);
    assert_eq!(count("touchpoint", "import"), processes * 4);
    assert_eq!(count("touchpoint", "import_merge"), processes / 10);
    let merge = items
        .iter()
        .find(|h| h["action"] == "import_merge")
        .unwrap();
    assert_eq!(merge["entity_id"], phone);
    assert_eq!(merge["before"]["needs"], json!(["consultation"]));
    let (_, stored) = app.get(&format!("/api/v1/points/{phone}")).await;
    assert_eq!(merge["after"]["needs"], stored["needs"]);
    let created = items
        .iter()
        .find(|h| h["entity"] == "touchpoint" && h["action"] == "import" && h["entity_id"] == last)
        .unwrap();
    let (_, stored) = app.get(&format!("/api/v1/points/{last}")).await;
    assert_eq!(
        created["after"], stored,
        "the entry holds the touchpoint as stored"
    );

    // the same file again: every row finds its touchpoint
    let (s, again) = upload(&app, &rid, "text/csv", form.into_bytes(), false).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (&again["created"], &again["merged"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(rows))
    );
    let (_, points) = app
        .get(&format!("/api/v1/points?agency_id={a}&limit=1"))
        .await;
    assert_eq!(points["total"], processes * 4);
}
