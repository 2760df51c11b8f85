//! A parent's public register with its subordinate organizations' current registers as
//! sections (`include=subordinates`), in every format, through HTTP.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use touchpoints::agencies::model::Agency;
use touchpoints::error::ErrorCode;
use touchpoints::public::sections::RegisterWithSections;
use touchpoints::units::model::Unit;

use crate::client::{PointSpec, ProblemExt, ProcessSpec};
use crate::helpers::TestApp;

/// A unit, a process named `process` with one phone touchpoint: enough to pass the checker.
async fn fill(app: &TestApp, agency: Uuid, process: &str) {
    let admin = app.as_admin();
    let unit: Unit = admin
        .post(
            &format!("/api/v1/agencies/{agency}/units"),
            json!({ "name": "Отдел по работе с обращениями" }),
        )
        .await
        .expect("unit");
    let p = admin
        .create_process(agency, ProcessSpec::function(process).of(unit.id))
        .await
        .expect("process");
    let phone = PointSpec::new("phone", "Телефон приёмной")
        .phone("+7 (8722) 67-00-00")
        .needs(&["consultation"]);
    admin.add_point(p.id, phone).await.expect("point");
}

/// Walks the revision the first edit opened to publication, as the admin.
async fn publish_first(app: &TestApp, agency: Uuid) -> i32 {
    let admin = app.as_admin();
    let rev = admin.current_revision(agency).await.expect("revision");
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    admin.approve(&rev).await.expect("approve");
    admin.publish(&rev).await.expect("publish").version
}

async fn organization(app: &TestApp, parent: Uuid, name: &str) -> Uuid {
    let org: Agency = app
        .as_admin()
        .post(
            &format!("/api/v1/agencies/{parent}/organizations"),
            json!({ "name": name }),
        )
        .await
        .expect("organization");
    org.id
}

struct Tree {
    ministry: Uuid,
    alpha: Uuid,
    omega: Uuid,
    beta: Uuid,
    gamma: Uuid,
}

/// A ministry; «Бета» (created first) and «Альфа» under it, «Омега» and «Гамма» under «Альфа»;
/// all published but «Гамма».
async fn tree(app: &TestApp) -> Tree {
    let ministry = app
        .org("Министерство строительства Республики Дагестан")
        .build()
        .await
        .id();
    let beta = organization(app, ministry, "Учреждение «Бета»").await;
    let alpha = organization(app, ministry, "Учреждение «Альфа»").await;
    let omega = organization(app, alpha, "Филиал «Омега»").await;
    let gamma = organization(app, alpha, "Филиал «Гамма»").await;
    for (id, process) in [
        (ministry, "Процесс министерства"),
        (beta, "Процесс Беты"),
        (alpha, "Процесс Альфы"),
        (omega, "Процесс Омеги"),
    ] {
        fill(app, id, process).await;
        assert_eq!(publish_first(app, id).await, 1);
    }
    Tree {
        ministry,
        alpha,
        omega,
        beta,
        gamma,
    }
}

/// An organization's own current register: its body and `X-Content-SHA256`.
async fn own(app: &TestApp, agency: Uuid) -> (Value, String) {
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/public/agencies/{agency}/register")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let sha = resp.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    (resp.json().await.unwrap(), sha)
}

async fn get(app: &TestApp, path_and_query: &str) -> reqwest::Response {
    app.client
        .get(app.url(path_and_query))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_parent_register_includes_its_subordinates_registers_as_sections() {
    let app = TestApp::spawn().await;
    let t = tree(&app).await;
    let base = format!("/api/v1/public/agencies/{}/register", t.ministry);

    // without the parameter: the register as before, the same bytes as its version URL
    let plain = get(&app, &base).await;
    let plain_etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let plain_sha = plain.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(plain_etag, format!("\"{plain_sha}\""));
    let plain = plain.bytes().await.unwrap();
    let v1 = get(&app, &format!("{base}/versions/1"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(plain, v1);
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert!(plain.get("sections").is_none(), "{plain}");

    // with it: the same fields, then the sections, depth-first, siblings by name
    let resp = get(&app, &format!("{base}?include=subordinates")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "public, max-age=60");
    assert_eq!(resp.headers()["x-content-sha256"], plain_sha.as_str());
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(etag, plain_etag);
    let body: Value = resp.json().await.unwrap();
    let mut own_part = body.as_object().unwrap().clone();
    let sections = own_part.remove("sections").unwrap();
    let without = own_part.remove("without_register").unwrap();
    assert_eq!(
        Value::Object(own_part),
        plain,
        "the agency's own part unchanged"
    );
    let sections = sections.as_array().unwrap();
    let order: Vec<Uuid> = sections
        .iter()
        .map(|s| serde_json::from_value(s["agency_id"].clone()).unwrap())
        .collect();
    assert_eq!(order, vec![t.alpha, t.omega, t.beta]);
    for (s, id) in sections.iter().zip(&order) {
        let (register, sha) = own(&app, *id).await;
        assert_eq!(s["version"], 1);
        assert_eq!(s["sha256"], sha.as_str());
        assert_eq!(s["sha256"], register["sha256"]);
        assert_eq!(s["name"], register["agency"]["name"]);
        assert_eq!(s["published_at"], register["published_at"]);
        assert_eq!(s["rows"], register["rows"], "{id}");
        assert_eq!(s["rows"].as_array().unwrap().len(), 1);
        assert_eq!(
            s["url"],
            format!("/api/v1/public/agencies/{id}/register/versions/1")
        );
    }
    assert_eq!(sections[0]["depth"], 1);
    assert_eq!(sections[1]["depth"], 2);
    assert_eq!(sections[1]["parent_id"], t.alpha.to_string());
    assert_eq!(sections[2]["parent_id"], t.ministry.to_string());
    assert_eq!(sections[1]["rows"][0]["process"], "Процесс Омеги");
    assert_eq!(
        without,
        json!([{"agency_id": t.gamma, "name": "Филиал «Гамма»", "parent_id": t.alpha, "depth": 2}])
    );
    // the typed body reads it too
    let typed: RegisterWithSections = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(typed.sections.len(), 3);
    assert_eq!(typed.register.sha256, plain_sha);

    // row filters apply to every section
    let (beta_register, _) = own(&app, t.beta).await;
    let beta_process = beta_register["rows"][0]["process_id"].as_str().unwrap();
    let filtered: Value = get(
        &app,
        &format!("{base}?include=subordinates&process_id={beta_process}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(filtered["rows"], json!([]));
    let counts: Vec<usize> = filtered["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, vec![0, 0, 1]);

    // a cached copy is still good
    let resp = app
        .client
        .get(app.url(&format!("{base}?include=subordinates")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);

    // a new version of a subordinate changes the combined ETag, not the agency's own
    let v2 = app
        .as_admin()
        .publish_new_revision(t.beta, "channel_changed", "Новый номер телефона")
        .await;
    assert_eq!(v2, 2);
    let resp = app
        .client
        .get(app.url(&format!("{base}?include=subordinates")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let new_etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let body: RegisterWithSections = resp.json().await.unwrap();
    let beta = body
        .sections
        .iter()
        .find(|s| s.agency_id == t.beta)
        .unwrap();
    assert_eq!(beta.version, 2);
    assert_eq!(beta.sha256, own(&app, t.beta).await.1);
    let again = get(&app, &base).await;
    assert_eq!(again.headers()["etag"].to_str().unwrap(), plain_etag);
    assert_eq!(again.bytes().await.unwrap(), v1);

    // `include` knows one value
    for bad in ["units", "", "Subordinates"] {
        let p = app
            .portal()
            .get::<Value>(&format!("{base}?include={bad}"))
            .await
            .unwrap_err();
        assert_eq!(p.code, ErrorCode::InvalidParameter, "{bad}");
        assert_eq!(p.status, 400);
        assert!(p.fields().contains(&"include"), "{p:?}");
    }
}

#[actix_web::test]
async fn sections_in_csv_html_and_xlsx() {
    let app = TestApp::spawn().await;
    let t = tree(&app).await;
    let base = format!("/api/v1/public/agencies/{}/register", t.ministry);
    let shas = [
        own(&app, t.alpha).await.1,
        own(&app, t.omega).await.1,
        own(&app, t.beta).await.1,
    ];

    // CSV as the region's: one header, every body's rows prefixed with its name, each body's
    // rows numbered from 1 as in its own register
    let plain_csv = get(&app, &format!("{base}?format=csv"))
        .await
        .text()
        .await
        .unwrap();
    // the default form: the title (two lines), the header, «1 2 3 4 5 6», the row
    assert_eq!(plain_csv.lines().count(), 5, "{plain_csv}");
    let resp = get(&app, &format!("{base}?format=csv&include=subordinates")).await;
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("\u{feff}№;Направление деятельности;"));
    for (i, (who, process)) in [
        (
            "Министерство строительства Республики Дагестан",
            "Процесс министерства",
        ),
        ("Учреждение «Альфа»", "Процесс Альфы"),
        ("Филиал «Омега»", "Процесс Омеги"),
        ("Учреждение «Бета»", "Процесс Беты"),
    ]
    .iter()
    .enumerate()
    {
        let line = lines[i + 1];
        assert!(line.starts_with(&format!("1;{who}: ")), "{line} ({i})");
        assert!(line.contains(&format!(";{process};")), "{line}");
    }
    let by_accept = app
        .client
        .get(app.url(&format!("{base}?include=subordinates")))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(by_accept, csv);
    assert!(!csv.contains("Гамма"), "nothing published, nothing listed");

    // HTML: a heading per section with «Версия N» and its SHA-256, then its table
    let html = get(&app, &format!("{base}?format=html&include=subordinates"))
        .await
        .text()
        .await
        .unwrap();
    let plain_html = get(&app, &format!("{base}?format=html"))
        .await
        .text()
        .await
        .unwrap();
    // the tables, then the version line with the SHA-256 as the page's footer
    assert!(plain_html.contains("</tbody></table>\n<div class=\"meta\">"));
    assert!(plain_html.ends_with("</div></body></html>\n"));
    assert!(!plain_html.contains("<h2>"));
    let mut at = 0;
    for (name, sha) in ["Учреждение «Альфа»", "Филиал «Омега»", "Учреждение «Бета»"]
        .iter()
        .zip(&shas)
    {
        let heading = format!(
            "<h2>{name}</h2><div class=\"meta\">Версия 1. SHA-256: <code>{sha}</code></div>"
        );
        let found = html[at..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading}"));
        at += found + heading.len();
    }
    for process in [
        "Процесс министерства",
        "Процесс Альфы",
        "Процесс Омеги",
        "Процесс Беты",
    ] {
        assert!(html.contains(process), "{process}");
    }
    assert_eq!(html.matches("<table>").count(), 4);
    assert!(html.ends_with("</body></html>\n"));

    // XLSX: the agency's sheet, then a sheet per section, each the official form
    let bytes = get(&app, &format!("{base}?format=xlsx&include=subordinates"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "Перечень",
            "1. Учреждение «Альфа»",
            "2. Филиал «Омега»",
            "3. Учреждение «Бета»"
        ]
    );
    // the default form: no approval act known, two title lines, the header
    let header_row = 2u32;
    for (sheet, (name, process, sha)) in book.sheet_names().iter().skip(1).zip([
        ("Учреждение «Альфа»", "Процесс Альфы", &shas[0]),
        ("Филиал «Омега»", "Процесс Омеги", &shas[1]),
        ("Учреждение «Бета»", "Процесс Беты", &shas[2]),
    ]) {
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(range.get_value((1, 0)).unwrap().to_string(), name);
        assert!(range
            .rows()
            .any(|r| r.iter().any(|c| c.to_string().contains(sha.as_str()))));
        assert_eq!(
            range.get_value((header_row, 1)).unwrap().to_string(),
            "Направление деятельности"
        );
        assert_eq!(
            range.get_value((header_row + 2, 2)).unwrap().to_string(),
            process
        );
    }
    let plain_xlsx = get(&app, &format!("{base}?format=xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    let plain_book: Xlsx<_> = Xlsx::new(Cursor::new(plain_xlsx.to_vec())).unwrap();
    assert_eq!(plain_book.sheet_names(), vec!["Перечень"]);
}
