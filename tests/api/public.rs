//! The public read API as a regional portal uses it: no token, cacheable, verifiable.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};

use touchpoints::agencies::model::Agency;
use touchpoints::error::ErrorCode;
use touchpoints::public::api::{ChangeFeed, PublicAgencyList, PublishedRegister};
use touchpoints::public::region::RegionRegister;
use touchpoints::rules::api::FindingReport;
use uuid::Uuid;

use crate::client::ProblemExt;
use crate::helpers::TestApp;

async fn demo(app: &TestApp) -> (Uuid, Uuid) {
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let list: PublicAgencyList = app.portal().get("/api/v1/public/agencies").await.unwrap();
    assert_eq!(list.total, 2, "{list:?}");
    let find = |short: &str| {
        let agency = list
            .items
            .iter()
            .find(|a| a.short_name.as_deref() == Some(short));
        agency.unwrap().id
    };
    (
        find("МЧС Дагестана"),
        find("Агентство информации и печати РД"),
    )
}

#[actix_web::test]
async fn a_portal_reads_verifies_and_caches_the_current_register() {
    let app = TestApp::spawn().await;
    let (mchs, _) = demo(&app).await;
    let url = app.url(&format!("/api/v1/public/agencies/{mchs}/register"));
    let resp = app.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["cache-control"], "public, max-age=60");
    let etag = h["etag"].to_str().unwrap().to_owned();
    let sha = h["x-content-sha256"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["sha256"], sha.as_str());
    assert_eq!(body["rows"].as_array().unwrap().len(), 58);
    assert_eq!(body["columns"][1], "Направление деятельности МЧС Дагестана");
    // the SHA-256 is that of the canonical content: a portal can recompute it (the form
    // profile and the approval act are part of the approved document)
    let content = json!({
        "agency": body["agency"], "columns": body["columns"], "rows": body["rows"],
        "profile": body["profile"], "approval": body["approval"]
    });
    assert_eq!(touchpoints::workflow::snapshot::sha256_hex(&content), sha);

    let resp = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert!(resp.bytes().await.unwrap().is_empty());

    let v1 = app
        .client
        .get(app.url(&format!(
            "/api/v1/public/agencies/{mchs}/register/versions/1"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        v1.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(v1.headers()["etag"].to_str().unwrap(), etag);

    let gz = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");

    // filters select rows; the ETag tells the variants apart
    let resp = app
        .client
        .get(format!("{url}?channel=phone"))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["etag"].to_str().unwrap(), etag);
    let phones: Value = resp.json().await.unwrap();
    let rows = phones["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() < 58);
    assert!(rows.iter().all(|r| r["touchpoint"]["channel"] == "phone"));
    let filtered = format!("{url}?client_type=internal&need=consultation");
    assert_eq!(
        app.client.get(filtered).send().await.unwrap().status(),
        StatusCode::OK
    );

    let portal = app.portal();
    for (path, code) in [
        (
            format!("/api/v1/public/agencies/{}/register", Uuid::new_v4()),
            ErrorCode::NotFound,
        ),
        (
            format!("/api/v1/public/agencies/{mchs}/register/versions/7"),
            ErrorCode::NotFound,
        ),
        (
            format!("/api/v1/public/agencies/{mchs}/register?format=pdf"),
            ErrorCode::InvalidParameter,
        ),
    ] {
        let p = portal.get::<Value>(&path).await.unwrap_err();
        assert_eq!(p.code, code, "{path}");
    }
}

#[actix_web::test]
async fn the_official_form_as_csv_html_and_xlsx() {
    let app = TestApp::spawn().await;
    let (mchs, _) = demo(&app).await;
    let url = app.url(&format!("/api/v1/public/agencies/{mchs}/register"));

    let csv = app
        .client
        .get(format!("{url}?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    // the approval block, two titled tables (each with its header and «1 2 3 4 5 6» row): 58 rows
    assert!(text.starts_with("\u{feff}УТВЕРЖДЕН\r\n"));
    assert!(text.contains("\r\n№;Направление деятельности МЧС Дагестана;"));
    assert_eq!(text.lines().count(), 2 + 2 + 1 + 1 + 2 + 1 + 1 + 58);
    assert!(
        text.contains(";\"Почта России 367015 РД, г. Махачкала, ул. Ярагского, д.124\"\"а\"\"\";"),
        "column 4 as the seed writes it, quoted as Excel needs"
    );

    let by_accept = app
        .client
        .get(&url)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(by_accept, text);

    let html = app
        .client
        .get(format!("{url}?format=html"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<th>Особенности взаимодействия с клиентом</th>"));
    assert!(html.contains("rowspan="), "directions and processes merged");
    assert!(html.contains("SHA-256"));

    let bytes = app
        .client
        .get(format!("{url}?format=xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("Перечень").unwrap();
    let header_row = (0..20u32)
        .find(|r| sheet.get_value((*r, 0)).map(|v| v.to_string()) == Some("№".into()))
        .unwrap() as usize;
    let headers: Vec<String> = (0..6)
        .map(|c| sheet.get_value((header_row as u32, c)).unwrap().to_string())
        .collect();
    // the МЧС's own wording of the mandatory columns (its form profile)
    let mut want = touchpoints::workflow::snapshot::COLUMNS
        .map(String::from)
        .to_vec();
    want[1] = "Направление деятельности МЧС Дагестана".into();
    want[2] = "Наименование конкретного процесса".into();
    assert_eq!(headers, want);
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "УТВЕРЖДЕН");
    assert_eq!(
        sheet
            .get_value((header_row as u32 + 2, 0))
            .unwrap()
            .to_string(),
        "1",
        "under the «1 2 3 4 5 6» row"
    );
    let merged = book.merge_cells_by_sheet_name("Перечень").unwrap();
    assert!(
        merged.iter().any(|d| d.start.1 == 1 && d.end.0 > d.start.0),
        "a direction spans rows"
    );
    assert!(
        merged.iter().any(|d| d.start.1 == 2 && d.end.0 > d.start.0),
        "a process spans rows"
    );
}

#[actix_web::test]
async fn consolidated_region_view_and_change_feed() {
    let app = TestApp::spawn().await;
    let (mchs, press) = demo(&app).await;
    // «Республика Дагестан», percent-encoded
    let region = concat!(
        "/api/v1/public/regions/",
        "%D0%A0%D0%B5%D1%81%D0%BF%D1%83%D0%B1%D0%BB%D0%B8%D0%BA%D0%B0%20",
        "%D0%94%D0%B0%D0%B3%D0%B5%D1%81%D1%82%D0%B0%D0%BD/register"
    );
    let portal = app.portal();
    let page: RegionRegister = portal
        .get(&format!("{region}?limit=10&offset=100"))
        .await
        .unwrap();
    assert_eq!(page.total, 106);
    assert_eq!(page.agencies, 2);
    assert_eq!(page.rows.len(), 6);
    // every row of the region view is the agency's own published row, plus where it comes from
    let all: Value = portal.get(&format!("{region}?limit=500")).await.unwrap();
    let mut by_agency: HashMap<Uuid, Vec<Value>> = HashMap::new();
    for id in [mchs, press] {
        let register = portal.public_register(id).await.unwrap();
        by_agency.insert(id, register.content.rows.iter().map(|r| json!(r)).collect());
    }
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    for row in all["rows"].as_array().unwrap() {
        // the row as the agency publishes it, and nothing else besides where it comes from
        let mut own = row.as_object().unwrap().clone();
        let agency: Uuid = serde_json::from_value(own.remove("agency_id").unwrap()).unwrap();
        assert_eq!(own.remove("version").unwrap(), 1);
        assert!(own.remove("agency").unwrap().is_string());
        let n = seen.entry(agency).or_default();
        assert_eq!(
            Value::Object(own),
            by_agency[&agency][*n],
            "row {n} of {agency}"
        );
        *n += 1;
    }
    assert_eq!(seen.values().sum::<usize>(), 106);
    let csv = app
        .client
        .get(app.url(&format!("{region}?format=csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 107);
    let empty: RegionRegister = portal
        .get("/api/v1/public/regions/Nowhere/register")
        .await
        .unwrap();
    assert_eq!(empty.total, 0);

    let feed: ChangeFeed = portal.get("/api/v1/public/changes").await.unwrap();
    assert_eq!(feed.items.len(), 2);
    let ids: Vec<Uuid> = feed.items.iter().map(|i| i.agency_id).collect();
    assert!(ids.contains(&mchs) && ids.contains(&press));
    let next = feed.next;
    let none: ChangeFeed = portal
        .get(&format!("/api/v1/public/changes?since={next}"))
        .await
        .unwrap();
    assert_eq!(none.items.len(), 0);
    assert_eq!(none.next, next);
    let by_time: ChangeFeed = portal
        .get("/api/v1/public/changes?since=2020-01-01T00:00:00Z&limit=1")
        .await
        .unwrap();
    assert_eq!(by_time.items.len(), 1);
    let p = portal
        .get::<ChangeFeed>("/api/v1/public/changes?since=yesterday")
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidParameter);
    assert!(p.fields().contains(&"since"), "{p:?}");
}

/// Scale-out: a version published through one instance is served by another at once.
#[actix_web::test]
async fn a_second_instance_serves_a_new_publication_at_once() {
    let a = TestApp::spawn().await;
    let b = a.second_instance().await;
    let (mchs, _) = demo(&a).await;
    // b has served version 1 and keeps it in memory
    let on_b = || async { b.portal().public_register(mchs).await.unwrap().version };
    assert_eq!(on_b().await, 1);
    // a new revision published through instance a
    assert_eq!(publish_again(&a, mchs).await, 2);
    let started = Instant::now();
    loop {
        let version = on_b().await;
        if version == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "instance b still serves version {version}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    println!("served by the other instance after {:?}", started.elapsed());
}

/// Opens a revision of `agency`, has every part submitted and accepted, approves and
/// publishes it; returns the new version number.
async fn publish_again(app: &TestApp, agency: Uuid) -> i32 {
    app.as_admin()
        .publish_new_revision(agency, "channel_changed", "Новый номер телефона")
        .await
}

/// With a read replica configured, the public API reads there, and a version the replica has
/// not replayed yet (this one never catches up) is read from the primary: a publication is
/// served at once however far the replica lags.
#[actix_web::test]
async fn the_public_api_reads_the_replica_and_falls_back_to_the_primary() {
    use diesel::{Connection, RunQueryDsl};
    let (app, replica) = TestApp::spawn_with_replica(|c| {
        touchpoints::demo::load(c).unwrap();
    })
    .await;
    // a change only the replica has: the public list shows it, the internal API does not
    let mut r = diesel::PgConnection::establish(&TestApp::database_url(&replica)).unwrap();
    diesel::sql_query(
        "UPDATE agencies SET short_name = short_name || ' (реплика)' \
         WHERE short_name = 'МЧС Дагестана'",
    )
    .execute(&mut r)
    .unwrap();
    drop(r);
    let portal = app.portal();
    let list: PublicAgencyList = portal.get("/api/v1/public/agencies").await.unwrap();
    let mchs = list
        .items
        .iter()
        .find(|a| a.short_name.as_deref() == Some("МЧС Дагестана (реплика)"))
        .expect("the public list is read from the replica")
        .id;
    let internal: Agency = app
        .as_admin()
        .get(&format!("/api/v1/agencies/{mchs}"))
        .await
        .unwrap();
    assert_eq!(
        internal.short_name.as_deref(),
        Some("МЧС Дагестана"),
        "the internal API reads the primary"
    );

    // version 2 exists only on the primary
    assert_eq!(publish_again(&app, mchs).await, 2);
    let current = portal.public_register(mchs).await.unwrap();
    assert_eq!(
        current.version, 2,
        "the new version is read from the primary"
    );
    let v2: PublishedRegister = portal
        .get(&format!(
            "/api/v1/public/agencies/{mchs}/register/versions/2"
        ))
        .await
        .unwrap();
    assert_eq!(v2.sha256, current.sha256);
    // lists may lag: the replica's version list still ends at 1
    let versions: Value = portal
        .get(&format!("/api/v1/public/agencies/{mchs}/register/versions"))
        .await
        .unwrap();
    assert_eq!(versions["total"], 1, "{versions}");

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fallbacks: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("touchpoints_replica_fallbacks_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(fallbacks >= 1.0, "{fallbacks}");

    // the replica goes away: public reads are answered by the primary, not with 503
    let mut admin = diesel::PgConnection::establish(&TestApp::database_url("postgres")).unwrap();
    diesel::sql_query(format!("DROP DATABASE {replica} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    for _ in 0..5 {
        let list: PublicAgencyList = portal.get("/api/v1/public/agencies").await.unwrap();
        assert!(
            list.items
                .iter()
                .any(|a| a.short_name.as_deref() == Some("МЧС Дагестана")),
            "now read from the primary: {list:?}"
        );
    }
}

/// The checker on the seeds' real registers finds the contradictions they really contain.
#[actix_web::test]
async fn the_seeds_own_contradictions_are_found() {
    let app = TestApp::spawn().await;
    let (mchs, press) = demo(&app).await;
    let mut found = Vec::new();
    for (name, id) in [("mchs", &mchs), ("press", &press)] {
        let portal = app.portal();
        let report: FindingReport = portal
            .get(&format!("/api/v1/public/agencies/{id}/register/findings"))
            .await
            .unwrap();
        let register = portal.public_register(*id).await.unwrap();
        for f in report.items {
            let row = f.row.unwrap();
            let point = register.content.rows[row as usize - 1]
                .touchpoint
                .clone()
                .unwrap();
            found.push(format!(
                "{name} {row} {} {} {}: {} -> {}",
                f.rule,
                f.code,
                point.channel,
                point.stated_mode.unwrap(),
                point.implied_mode
            ));
        }
    }
    let pinned: Vec<&str> = PINNED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(found, pinned);
}

/// What the seeds' tables really contain, under the default classification (which follows
/// 000's and 001's own definitions: telephone is digital): Почта России marked digital,
/// on-site inspections and reception desks marked online, e-mail and telephones marked offline.
const PINNED: &str = "
    mchs 2 R6 mode_contradicts_rule email: offline -> digital
    mchs 3 R6 mode_contradicts_rule phone: offline -> digital
    mchs 5 R6 mode_contradicts_rule other: digital -> offline
    mchs 8 R6 mode_contradicts_rule reception: digital -> offline
    mchs 13 R6 mode_contradicts_rule phone: offline -> digital
    mchs 15 R6 mode_contradicts_rule phone: offline -> digital
    mchs 18 R6 mode_contradicts_rule phone: offline -> digital
    mchs 20 R6 mode_contradicts_rule phone: offline -> digital
    mchs 21 R6 mode_contradicts_rule phone: offline -> digital
    mchs 24 R6 mode_contradicts_rule phone: offline -> digital
    mchs 27 R6 mode_contradicts_rule phone: offline -> digital
    mchs 30 R6 mode_contradicts_rule reception: digital -> offline
    mchs 37 R6 mode_contradicts_rule post: digital -> offline
    mchs 39 R6 mode_contradicts_rule onsite_inspection: digital -> offline
    mchs 40 R6 mode_contradicts_rule onsite_inspection: digital -> offline
    mchs 44 R6 mode_contradicts_rule phone: offline -> digital
    mchs 52 R6 mode_contradicts_rule phone: offline -> digital
    press 3 R6 mode_contradicts_rule phone: offline -> digital
    press 10 R6 mode_contradicts_rule phone: offline -> digital
    press 21 R6 mode_contradicts_rule phone: offline -> digital
    press 26 R6 mode_contradicts_rule reception: digital -> offline
    press 29 R6 mode_contradicts_rule reception: digital -> offline
    press 42 R6 mode_contradicts_rule phone: offline -> digital
    press 45 R6 mode_contradicts_rule phone: offline -> digital
";
