//! The public read API as a regional portal uses it: no token, cacheable, verifiable.

use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

async fn demo(app: &TestApp) -> (String, String) {
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let (_, list) = app
        .request_as(None, reqwest::Method::GET, "/api/v1/public/agencies", None)
        .await;
    assert_eq!(list["total"], 2, "{list}");
    let find = |short: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["short_name"] == short)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
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
    assert_eq!(body["columns"][1], "Направление деятельности");
    // the SHA-256 is that of the canonical content: a portal can recompute it
    let content = serde_json::json!({"agency": body["agency"], "columns": body["columns"], "rows": body["rows"]});
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
    let (s, _) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!(
                "/api/v1/public/agencies/{mchs}/register?client_type=internal&need=consultation"
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, body) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{}/register", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    crate::helpers::assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register/versions/7"),
            None,
        )
        .await;
    crate::helpers::assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register?format=pdf"),
            None,
        )
        .await;
    crate::helpers::assert_problem(s, &body, 400, "invalid_parameter", None);
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
    assert!(text.starts_with("\u{feff}№;Направление деятельности;"));
    assert_eq!(text.lines().count(), 59);
    assert!(
        text.contains(";\"Почта России: 367015 РД, г. Махачкала, ул. Ярагского, д.124\"\"а\"\"\";"),
        "contacts in column 4, quoted as Excel needs"
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
    let header_row = touchpoints::public::xlsx::HEADER_ROW as usize;
    let headers: Vec<String> = (0..6)
        .map(|c| sheet.get_value((header_row as u32, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        headers,
        touchpoints::workflow::snapshot::COLUMNS
            .map(String::from)
            .to_vec()
    );
    assert_eq!(sheet.get_value((1, 0)).unwrap().to_string(), "Министерство по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан");
    assert_eq!(
        sheet
            .get_value((header_row as u32 + 58, 0))
            .unwrap()
            .to_string(),
        "58"
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
    let region = "/api/v1/public/regions/%D0%A0%D0%B5%D1%81%D0%BF%D1%83%D0%B1%D0%BB%D0%B8%D0%BA%D0%B0%20%D0%94%D0%B0%D0%B3%D0%B5%D1%81%D1%82%D0%B0%D0%BD/register";
    let (s, page) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("{region}?limit=10&offset=100"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 106);
    assert_eq!(page["agencies"], 2);
    assert_eq!(page["rows"].as_array().unwrap().len(), 6);
    // every row of the region view is the agency's own published row, plus where it comes from
    let (_, all) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("{region}?limit=500"),
            None,
        )
        .await;
    let mut by_agency: std::collections::HashMap<String, Vec<Value>> =
        std::collections::HashMap::new();
    for id in [&mchs, &press] {
        let (_, register) = app
            .request_as(
                None,
                reqwest::Method::GET,
                &format!("/api/v1/public/agencies/{id}/register"),
                None,
            )
            .await;
        by_agency.insert(id.clone(), register["rows"].as_array().unwrap().clone());
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for row in all["rows"].as_array().unwrap() {
        let mut own = row.as_object().unwrap().clone();
        let agency = own
            .remove("agency_id")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(own.remove("version").unwrap(), 1);
        assert!(own.remove("agency").unwrap().is_string());
        let n = seen.entry(agency.clone()).or_default();
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
    let (_, empty) = app
        .request_as(
            None,
            reqwest::Method::GET,
            "/api/v1/public/regions/Nowhere/register",
            None,
        )
        .await;
    assert_eq!(empty["total"], 0);

    let (_, feed) = app
        .request_as(None, reqwest::Method::GET, "/api/v1/public/changes", None)
        .await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["agency_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&mchs.as_str()) && ids.contains(&press.as_str()));
    let next = feed["next"].as_i64().unwrap();
    let (_, none) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/changes?since={next}"),
            None,
        )
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    assert_eq!(none["next"], next);
    let (_, by_time) = app
        .request_as(
            None,
            reqwest::Method::GET,
            "/api/v1/public/changes?since=2020-01-01T00:00:00Z&limit=1",
            None,
        )
        .await;
    assert_eq!(by_time["items"].as_array().unwrap().len(), 1);
    let (s, body) = app
        .request_as(
            None,
            reqwest::Method::GET,
            "/api/v1/public/changes?since=yesterday",
            None,
        )
        .await;
    crate::helpers::assert_problem(s, &body, 400, "invalid_parameter", Some("since"));
}

/// Scale-out: a version published through one instance is served by another at once.
#[actix_web::test]
async fn a_second_instance_serves_a_new_publication_at_once() {
    let a = TestApp::spawn().await;
    let b = a.second_instance().await;
    let (mchs, _) = demo(&a).await;
    // b has served version 1 and keeps it in memory
    let (_, v) = b
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register"),
            None,
        )
        .await;
    assert_eq!(v["version"], 1);
    // a new revision published through instance a
    assert_eq!(publish_again(&a, &mchs).await, 2);
    let started = Instant::now();
    loop {
        let (_, v) = b
            .request_as(
                None,
                reqwest::Method::GET,
                &format!("/api/v1/public/agencies/{mchs}/register"),
                None,
            )
            .await;
        if v["version"] == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "instance b still serves version {}",
            v["version"]
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    println!("served by the other instance after {:?}", started.elapsed());
}

/// Opens a revision of `agency`, has every part submitted and accepted, approves and
/// publishes it; returns the new version number.
async fn publish_again(app: &TestApp, agency: &str) -> i64 {
    let (_, rev) = app
        .post(
            &format!("/api/v1/agencies/{agency}/revisions"),
            serde_json::json!({"reason": "channel_changed", "comment": "Новый номер телефона"}),
        )
        .await;
    let rid = rev["id"].as_str().unwrap();
    for p in rev["parts"].as_array().unwrap() {
        let unit = p["unit_id"].as_str().unwrap();
        app.post(
            &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
            serde_json::json!(null),
        )
        .await;
        app.post(
            &format!("/api/v1/revisions/{rid}/parts/{unit}/accept"),
            serde_json::json!(null),
        )
        .await;
    }
    let (s, r) = app
        .post(
            &format!("/api/v1/revisions/{rid}/approve"),
            serde_json::json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, p) = app
        .post(
            &format!("/api/v1/revisions/{rid}/publish"),
            serde_json::json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p["version"].as_i64().unwrap()
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
    diesel::sql_query("UPDATE agencies SET short_name = short_name || ' (реплика)' WHERE short_name = 'МЧС Дагестана'").execute(&mut r).unwrap();
    drop(r);
    let (s, list) = app
        .request_as(None, reqwest::Method::GET, "/api/v1/public/agencies", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let mchs = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["short_name"] == "МЧС Дагестана (реплика)")
        .expect("the public list is read from the replica")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, internal) = app.get(&format!("/api/v1/agencies/{mchs}")).await;
    assert_eq!(
        internal["short_name"], "МЧС Дагестана",
        "the internal API reads the primary"
    );

    // version 2 exists only on the primary
    assert_eq!(publish_again(&app, &mchs).await, 2);
    let (s, current) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{current}");
    assert_eq!(
        current["version"], 2,
        "the new version is read from the primary"
    );
    let (s, v2) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register/versions/2"),
            None,
        )
        .await;
    assert_eq!((s, &v2["sha256"]), (StatusCode::OK, &current["sha256"]));
    // lists may lag: the replica's version list still ends at 1
    let (_, versions) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register/versions"),
            None,
        )
        .await;
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
        let (s, list) = app
            .request_as(None, reqwest::Method::GET, "/api/v1/public/agencies", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["short_name"] == "МЧС Дагестана"),
            "now read from the primary: {list}"
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
        let (s, report) = app
            .request_as(
                None,
                reqwest::Method::GET,
                &format!("/api/v1/public/agencies/{id}/register/findings"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, register) = app
            .request_as(
                None,
                reqwest::Method::GET,
                &format!("/api/v1/public/agencies/{id}/register"),
                None,
            )
            .await;
        for f in report["items"].as_array().unwrap() {
            let row = &register["rows"][f["row"].as_u64().unwrap() as usize - 1]["touchpoint"];
            found.push(format!(
                "{name} {} {} {} {}: {} -> {}",
                f["row"],
                f["rule"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                row["channel"].as_str().unwrap(),
                row["stated_mode"].as_str().unwrap(),
                row["implied_mode"].as_str().unwrap()
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
