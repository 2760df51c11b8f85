//! The approved document itself: the form profile (R13) and the approval act, in every format.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::TestApp;

async fn text(app: &TestApp, path: &str) -> String {
    app.client
        .get(app.url(path))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn bytes(app: &TestApp, path: &str) -> Vec<u8> {
    app.client
        .get(app.url(path))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

fn sheet_rows(xlsx: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let range = book.worksheet_range("Перечень").unwrap();
    let (r0, _) = range.start().unwrap();
    let mut out = vec![Vec::new(); r0 as usize];
    for row in range.rows() {
        out.push(
            row.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    out
}

async fn mchs(app: &TestApp) -> String {
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let (_, list) = app.get("/api/v1/agencies?limit=500").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["short_name"] == "МЧС Дагестана")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const APPROVED: &str = "приказом Министерства по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан от «28» 03 2024 г. № 53";

/// The numbers under each table's title: the «1 2 3 4 5 6» row, then rows 1, 2, … of the table.
fn tables_numbered_from_one(lines: &[Vec<String>], titles: &[&str]) {
    for title in titles {
        let at = lines
            .iter()
            .position(|l| l.first().map(String::as_str) == Some(*title))
            .unwrap_or_else(|| panic!("no title {title}: {lines:?}"));
        let mut i = at + 1;
        // the title's further lines, then the table's header
        while lines[i].first().map(String::as_str) != Some("1") {
            i += 1;
        }
        assert_eq!(lines[i][..6], ["1", "2", "3", "4", "5", "6"], "{title}");
        assert_eq!(lines[i + 1][0], "1", "{title}: numbered from 1");
        assert_eq!(lines[i + 2][0], "2", "{title}");
    }
}

#[actix_web::test]
async fn the_mchs_demo_prints_two_tables_and_its_approval_in_every_format() {
    let app = TestApp::spawn().await;
    let a = mchs(&app).await;
    let base = format!("/api/v1/public/agencies/{a}/register");

    // JSON: the profile and the approval travel with the content (and are hashed with it)
    let (_, v) = app.get(&base).await;
    assert_eq!(v["approval"]["order_number"], "53");
    assert_eq!(v["approval"]["order_date"], "2024-03-28");
    assert_eq!(v["approval"]["style"], "order");
    assert_eq!(v["profile"]["tables"], "by_client_type");
    assert_eq!(v["profile"]["number_row"], true);
    let mut content = v.clone();
    for k in ["version", "sha256", "approved_at", "published_at"] {
        content.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(
        touchpoints::domain::register::sha256_hex(&content),
        v["sha256"].as_str().unwrap(),
        "the approval and the profile are part of the hashed content"
    );

    // CSV
    let csv = text(&app, &format!("{base}?format=csv")).await;
    let lines: Vec<Vec<String>> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| {
            l.split(';')
                .map(|c| c.trim_matches('"').to_owned())
                .collect()
        })
        .collect();
    assert_eq!(lines[0], ["УТВЕРЖДЕН"]);
    assert_eq!(lines[1], [APPROVED]);
    let internal = "ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ МИНИСТЕРСТВА";
    let external = "ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ";
    assert_eq!(lines[3], ["В РАМКАХ ВЗАИМОДЕЙСТВИЯ С ВНУТРЕННИМ КЛИЕНТОМ"]);
    tables_numbered_from_one(&lines, &[internal, external]);
    let ext = lines.iter().position(|l| l[0] == external).unwrap();
    assert!(ext > 10, "internal first, then external");
    assert_eq!(lines[ext + 1], ["С ВНЕШНИМ КЛИЕНТОМ"]);
    // each table has its header under its title, as the seed prints it
    assert_eq!(lines[4][1], "Направление деятельности МЧС Дагестана");
    assert_eq!(lines[ext + 2], lines[4], "the external table's own header");
    // each table holds the rows the seed prints in it: 41 internal, 17 external (the last
    // row of a table carries its count as its number)
    assert_eq!(
        lines[ext - 1][0],
        "41",
        "the internal table ends at its 41st row"
    );
    assert_eq!(
        lines.last().unwrap()[0],
        "17",
        "the external table ends at its 17th row"
    );
    // approval (2), two titles (2 lines each), two headers, two «1–6» rows, 58 rows
    assert_eq!(lines.len(), 2 + 2 + 2 + 2 + 2 + 58, "58 rows in all");

    // XLSX
    let sheet = sheet_rows(bytes(&app, &format!("{base}?format=xlsx")).await);
    assert_eq!(sheet[0][0], "УТВЕРЖДЕН");
    assert_eq!(sheet[1][0], APPROVED);
    tables_numbered_from_one(&sheet, &[internal, external]);
    assert!(sheet.iter().any(|r| r[0].contains("SHA-256")));

    // HTML: each table with its title, its header and its «1 2 3 4 5 6» row
    let html = text(&app, &format!("{base}?format=html")).await;
    assert!(html.contains(&format!("<p>УТВЕРЖДЕН</p><p>{APPROVED}</p>")));
    let i = html
        .find("<h1>ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ МИНИСТЕРСТВА<br>В РАМКАХ ВЗАИМОДЕЙСТВИЯ С ВНУТРЕННИМ КЛИЕНТОМ</h1>")
        .unwrap();
    let e = html
        .find("<h1>ПЕРЕЧЕНЬ ТОЧЕК ВЗАИМОДЕЙСТВИЯ<br>С ВНЕШНИМ КЛИЕНТОМ</h1>")
        .unwrap();
    assert!(i < e);
    let numbers =
        "<tr class=\"numbers\"><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td><td>6</td></tr>";
    assert_eq!(html.matches(numbers).count(), 2);
    assert_eq!(
        html.matches("<tbody>\n<tr><td>1</td>").count(),
        2,
        "each numbered from 1"
    );
    assert!(html.contains("SHA-256"));
}

/// An agency in 004's form: its own headers, footnotes and «Онлайн-точка».
#[actix_web::test]
async fn a_form_profile_like_004_prints_its_own_headers_footnotes_and_marks() {
    let app = TestApp::spawn().await;
    let a = app
        .agency("Министерство социальной политики и труда Удмуртской Республики")
        .await;
    let a = a["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/agencies/{a}/form-profile");
    let (s, default) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(default["source"], "default");
    assert_eq!(default["columns"].as_array().unwrap().len(), 6);

    // refused: five headers, an extra column among the mandatory ones
    let (s, p) = app
        .put(&path, json!({"columns": ["a", "b", "c", "d", "e"], "extra_columns": [{"name": "x", "position": 3}]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["columns", "extra_columns[0].position"]);

    let profile = json!({
        "titles": {"combined": "ПЕРЕЧЕНЬ\nточек взаимодействия Министерства социальной политики и труда Удмуртской Республики с внутренним и внешним клиентом"},
        "columns": ["№ п/п", "Наименование группы услуг, функций (сервисов)*", "Наименование услуги, функции (сервиса)*", "Точка взаимодействия**", "Осуществляемое взаимодействие***", "Особенности взаимодействия с клиентом****"],
        "footnotes": ["*В соответствии с Реестром процессов Министерства;", "**** Офлайн-точка / онлайн-точка."],
        "marks": {"digital": "Онлайн-точка", "offline": "Офлайн-точка"},
        "approval_style": "order",
        "approval_heading": "УТВЕРЖДЕНА",
        "approver_body_genitive": "Министерства социальной политики и труда Удмуртской Республики"
    });
    let (s, set) = app.put(&path, profile).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["source"], "own");
    assert_eq!(set["marks"]["digital"], "Онлайн-точка");

    // a subordinate organization prints in its ministry's form
    let (s, org) = app
        .post(
            &format!("/api/v1/agencies/{a}/organizations"),
            json!({"name": "ГКУ УР «Центр»", "short_name": null, "website": null}),
        )
        .await;
    if s == StatusCode::CREATED {
        let (_, inherited) = app
            .get(&format!(
                "/api/v1/agencies/{}/form-profile",
                org["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(inherited["source"], "inherited");
        assert_eq!(inherited["source_agency_id"], a.as_str());
    }

    let p = app.process(&a, "Прием обращений").await;
    let p = p["id"].as_str().unwrap();
    app.point(p, json!({"channel": "website", "name": "Официальный сайт", "contacts": [{"kind": "url", "value": "www.minsoc18.ru"}], "needs": ["information"], "stated_mode": "digital"})).await;
    app.point(p, json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+73412111111"}], "needs": ["consultation"]})).await;
    let admin = app.as_admin();
    let rev = admin
        .current_revision(Uuid::parse_str(&a).unwrap())
        .await
        .unwrap();
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    admin.approve(&rev).await.expect("approve");
    let (s, published) = app
        .post(&format!("/api/v1/revisions/{}/publish", rev.id), json!({"order_number": "82", "order_date": "2024-06-03", "order_date_text": "«3» июня 2024 года"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");

    let base = format!("/api/v1/public/agencies/{a}/register");
    let csv = text(&app, &format!("{base}?format=csv")).await;
    assert!(csv.contains("\r\nприказом Министерства социальной политики и труда Удмуртской Республики от «3» июня 2024 года № 82\r\n"), "{csv}");
    assert!(csv.starts_with("\u{feff}УТВЕРЖДЕНА\r\n"));
    assert!(
        csv.contains("\r\n№ п/п;Наименование группы услуг, функций (сервисов)*;"),
        "{csv}"
    );
    assert!(
        csv.contains(";Онлайн-точка\r\n"),
        "the stated digital mode in the profile's words"
    );
    assert!(
        !csv.contains("Офлайн-точка\r\n"),
        "no mark invented for an unstated mode: {csv}"
    );
    assert!(
        csv.ends_with("\r\n**** Офлайн-точка / онлайн-точка.\r\n"),
        "footnotes after the table"
    );

    let html = text(&app, &format!("{base}?format=html")).await;
    assert!(html.contains("<th>Точка взаимодействия**</th>"));
    assert!(html.contains("<p>*В соответствии с Реестром процессов Министерства;</p>"));
    assert!(html.contains("<td>Онлайн-точка</td>"));

    let sheet = sheet_rows(bytes(&app, &format!("{base}?format=xlsx")).await);
    let header = sheet.iter().position(|r| r[0] == "№ п/п").unwrap();
    assert_eq!(sheet[header][3], "Точка взаимодействия**");
    assert_eq!(sheet[header + 1][..6], ["1", "2", "3", "4", "5", "6"]);
    assert!(sheet
        .iter()
        .any(|r| r[0] == "**** Офлайн-точка / онлайн-точка."));
    assert!(sheet
        .iter()
        .any(|r| r.get(5).map(String::as_str) == Some("Онлайн-точка")));
}

#[actix_web::test]
async fn workflow_publish_with_an_order_fills_the_version_approval() {
    let app = TestApp::spawn().await;
    let a = app.agency("Агентство с приказом").await;
    let a = a["id"].as_str().unwrap().to_owned();
    let p = app.process(&a, "Прием обращений").await;
    app.point(p["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}], "needs": ["consultation"]})).await;
    let admin = app.as_admin();
    let id = Uuid::parse_str(&a).unwrap();
    // without a body, as before
    let rev = admin.current_revision(id).await.unwrap();
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    admin.approve(&rev).await.expect("approve");
    assert_eq!(admin.publish(&rev).await.expect("publish").version, 1);
    let (_, v1) = app.get(&format!("/api/v1/agencies/{a}/versions/1")).await;
    assert_eq!(v1["content"]["approval"]["order_number"], Value::Null);
    assert_eq!(v1["content"]["approval"]["style"], "order");

    app.point(p["id"].as_str().unwrap(), json!({"channel": "email", "name": "Электронная почта", "contacts": [{"kind": "email", "value": "info@example.ru"}], "needs": ["information"]})).await;
    let rev = admin.current_revision(id).await.unwrap();
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    // the number with the last agreement, the date with the publication
    let (s, r) = app
        .post(
            &format!("/api/v1/revisions/{}/approve", rev.id),
            json!({"order_number": "17-п"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, bad) = app
        .post(
            &format!("/api/v1/revisions/{}/publish", rev.id),
            json!({"order_date": "28.03.2024"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (s, published) = app
        .post(
            &format!("/api/v1/revisions/{}/publish", rev.id),
            json!({"order_date": "2024-03-28"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");
    assert_eq!(published["version"], 2);
    assert_eq!(published["approval"]["order_number"], "17-п");
    let (_, v2) = app.get(&format!("/api/v1/agencies/{a}/versions/2")).await;
    let approval = &v2["content"]["approval"];
    assert_eq!(approval["order_number"], "17-п");
    assert_eq!(approval["order_date"], "2024-03-28");
    assert!(approval["approver_name"].is_string(), "{approval}");
    assert_eq!(approval["approver_position"], Value::Null);
    let (_, public) = app
        .get(&format!("/api/v1/public/agencies/{a}/register/versions/2"))
        .await;
    assert_eq!(public["approval"], *approval);
    let csv = text(
        &app,
        &format!("/api/v1/public/agencies/{a}/register/versions/2?format=csv"),
    )
    .await;
    assert!(
        csv.starts_with("\u{feff}УТВЕРЖДЕН\r\nприказом от «28» марта 2024 г. № 17-п\r\n"),
        "{csv}"
    );
}

/// The МЧС register exported as XLSX (two tables in one sheet, the approval block above)
/// goes through the importer into an empty agency with the same rows.
#[actix_web::test]
async fn import_of_the_exported_two_table_xlsx_reads_every_row() {
    let app = TestApp::spawn().await;
    let a = mchs(&app).await;
    let xlsx = bytes(
        &app,
        &format!("/api/v1/public/agencies/{a}/register?format=xlsx"),
    )
    .await;
    let target = app.agency("МЧС (импорт XLSX)").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rev) = app
        .post(
            &format!("/api/v1/agencies/{target}/revisions"),
            json!({"reason": "other", "comment": "импорт"}),
        )
        .await;
    let resp = app
        .client
        .post(app.url(&format!(
            "/api/v1/revisions/{}/import?dry_run=false",
            rev["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.admin)
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(xlsx)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let report: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, original) = app
        .get(&format!("/api/v1/public/agencies/{a}/register"))
        .await;
    let (_, imported) = app
        .get(&format!("/api/v1/agencies/{target}/register"))
        .await;
    let channels = |v: &Value| {
        let mut c: Vec<String> = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["touchpoint"]["channel"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned()
            })
            .collect();
        c.sort();
        c
    };
    assert_eq!(channels(&imported), channels(&original), "{report}");
}

#[actix_web::test]
async fn only_an_approver_sets_the_form_and_deleting_it_falls_back_to_the_parents() {
    use reqwest::Method;
    use touchpoints::auth::Role;

    use crate::helpers::token;

    let app = TestApp::spawn().await;
    let m = app
        .agency("Министерство труда и социального развития РД")
        .await;
    let m = m["id"].as_str().unwrap().to_owned();
    let (s, org) = app
        .post(
            &format!("/api/v1/agencies/{m}/organizations"),
            json!({"name": "ГКУ РД «Центр занятости населения»"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{org}");
    let o = org["id"].as_str().unwrap().to_owned();
    let ministry_form = format!("/api/v1/agencies/{m}/form-profile");
    let org_form = format!("/api/v1/agencies/{o}/form-profile");
    let marks = |d: &str| json!({"marks": {"digital": d, "offline": "Офлайн-точка"}});

    // a submitter reads the form but may not change it: 403, nothing written
    let submitter = token("s1", &[Role::Submitter], Some(&o), None);
    let (s, p) = app
        .request_as(
            Some(&submitter),
            Method::PUT,
            &org_form,
            Some(&marks("Онлайн")),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, p) = app
        .request_as(Some(&submitter), Method::DELETE, &org_form, None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, read) = app
        .request_as(Some(&submitter), Method::GET, &org_form, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_eq!(read["source"], "default");

    // the ministry's approver sets the ministry's form; the organization inherits it
    let approver = token("a1", &[Role::Approver], Some(&m), None);
    let (s, set) = app
        .request_as(
            Some(&approver),
            Method::PUT,
            &ministry_form,
            Some(&marks("Онлайн-точка")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let (_, inherited) = app.get(&org_form).await;
    assert_eq!(inherited["source"], "inherited");
    assert_eq!(inherited["source_agency_id"], m.as_str());
    assert_eq!(inherited["marks"]["digital"], "Онлайн-точка");

    // the organization's own approver gives it a form of its own, then deletes it
    let own_approver = token("a2", &[Role::Approver], Some(&o), None);
    let (s, own) = app
        .request_as(
            Some(&own_approver),
            Method::PUT,
            &org_form,
            Some(&marks("Цифровая точка")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own["source"], "own");
    let (s, after) = app
        .request_as(Some(&own_approver), Method::DELETE, &org_form, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["source"], "inherited", "back to the ministry's form");
    assert_eq!(after["marks"]["digital"], "Онлайн-точка");
    let (_, read) = app.get(&org_form).await;
    assert_eq!(read, after);
    // nothing of its own left to delete
    let (s, p) = app
        .request_as(Some(&own_approver), Method::DELETE, &org_form, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(p["code"], "not_found");

    // the ministry's own deletion leaves the defaults for both
    let (s, after) = app.delete(&ministry_form).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["source"], "default");
    let (_, read) = app.get(&org_form).await;
    assert_eq!(read["source"], "default");
}
