//! The registers as open data: each file checked against the layout of the methodological
//! recommendations on publishing open data (version 3.0) — the passport's properties and
//! their order, the identifier, the file names and dates — and against the register itself.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use touchpoints::auth::Role;
use touchpoints::error::ErrorCode;
use touchpoints::opendata::REQUIRED_PROPERTIES;
use touchpoints::public::api::{PublicAgencyList, PublicVersionList};

use crate::client::ProblemExt;
use crate::helpers::{token, TestApp};

/// «Республика Дагестан», percent-encoded.
const REGION: &str = "%D0%A0%D0%B5%D1%81%D0%BF%D1%83%D0%B1%D0%BB%D0%B8%D0%BA%D0%B0%20%D0%94%D0%B0%D0%B3%D0%B5%D1%81%D1%82%D0%B0%D0%BD";

async fn demo(app: &TestApp) -> (Uuid, Uuid) {
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let list: PublicAgencyList = app.portal().get("/api/v1/public/agencies").await.unwrap();
    let find = |short: &str| {
        list.items
            .iter()
            .find(|a| a.short_name.as_deref() == Some(short))
            .unwrap()
            .id
    };
    (
        find("МЧС Дагестана"),
        find("Агентство информации и печати РД"),
    )
}

fn settings() -> Value {
    json!({
        "inn": "0541018037",
        "keywords": ["перечень точек взаимодействия", "МЧС"],
        "periodicity": "annually",
        "license": {"title": "Creative Commons Attribution 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        "publisher": {"name": "Магомедов Рашид Ахмедович", "phone": "8 (8722) 51-61-22", "email": "OpenData@mchsrd.ru"}
    })
}

fn region_settings() -> Value {
    let mut s = settings();
    s["inn"] = json!("0572012345");
    s["creator"] = json!("Министерство цифрового развития Республики Дагестан");
    s
}

/// A public file: status, content type, body.
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String) {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        app.url(url)
    };
    let resp = app.client.get(&url).send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

/// RFC 4180 records of a CSV body (which must be CRLF-terminated UTF-8 with commas).
fn records(body: &str) -> Vec<Vec<String>> {
    assert!(body.ends_with("\r\n"), "{body}");
    assert!(!body.starts_with('\u{feff}'), "no BOM in open data");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn is_stamp(s: &str) -> bool {
    s.len() == 13
        && s.as_bytes()[8] == b'T'
        && s.bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit())
}

/// `property,value` pairs.
type Rows = Vec<(String, String)>;

/// The passport's rows, checked against the recommendations' layout: `property,value`, the
/// required properties in order, then data rows and structure rows with their addresses.
fn check_passport(body: &str, identifier: &str) -> (Rows, Rows, Rows) {
    let rows = records(body);
    assert_eq!(rows[0], ["property", "value"]);
    let rows: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        &keys[..REQUIRED_PROPERTIES.len()],
        REQUIRED_PROPERTIES,
        "{body}"
    );
    let fixed: Vec<(String, String)> = rows[..REQUIRED_PROPERTIES.len()].to_vec();
    for (k, v) in &fixed {
        assert!(!v.trim().is_empty(), "{k} is empty: {body}");
    }
    let get = |k: &str| fixed.iter().find(|(p, _)| p == k).unwrap().1.clone();
    assert_eq!(
        get("standardversion"),
        "http://opendata.gosmonitor.ru/standard/3.0"
    );
    assert_eq!(get("identifier"), identifier);
    let (inn, code) = identifier.split_once('-').unwrap();
    assert!(inn.len() == 10 && inn.bytes().all(|b| b.is_ascii_digit()));
    assert!(!code.is_empty());
    for k in ["created", "modified", "valid"] {
        let v = get(k);
        assert!(
            v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()),
            "{k}: {v}"
        );
    }
    assert!(get("created") <= get("modified") && get("modified") < get("valid"));
    assert_eq!(get("format"), "csv");
    assert_eq!(get("publisherphone"), "+78722516122");
    assert_eq!(get("publishermbox"), "opendata@mchsrd.ru");
    assert_eq!(
        get("license"),
        "https://creativecommons.org/licenses/by/4.0/"
    );
    let rest = &rows[REQUIRED_PROPERTIES.len()..];
    let data: Vec<(String, String)> = rest
        .iter()
        .filter(|(k, _)| k.starts_with("data-"))
        .cloned()
        .collect();
    let structure: Vec<(String, String)> = rest
        .iter()
        .filter(|(k, _)| k.starts_with("structure-"))
        .cloned()
        .collect();
    assert_eq!(data.len() + structure.len(), rest.len(), "{body}");
    assert!(!data.is_empty() && !structure.is_empty());
    // data rows before the structure rows, newest first, each a link to its file
    assert!(rest[..data.len()]
        .iter()
        .all(|(k, _)| k.starts_with("data-")));
    for (name, url) in data.iter().chain(&structure) {
        assert!(
            url.starts_with("http://") && url.ends_with(&format!("/{name}.csv")),
            "{url}"
        );
    }
    for (name, _) in &data {
        let (d, s) = name
            .strip_prefix("data-")
            .unwrap()
            .split_once("-structure-")
            .unwrap();
        assert!(is_stamp(d) && is_stamp(s), "{name}");
        assert!(structure
            .iter()
            .any(|(k, _)| *k == format!("structure-{s}")));
    }
    let mut sorted = data.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(sorted, data, "newest first");
    assert_eq!(
        get("modified"),
        data[0].0[5..13],
        "modified is the newest data file's date"
    );
    assert_eq!(
        get("created"),
        data[data.len() - 1].0[5..13],
        "created is the oldest data file's date"
    );
    (fixed, data, structure)
}

#[actix_web::test]
async fn an_agency_set_follows_the_recommendations_and_grows_with_each_publication() {
    let app = TestApp::spawn().await;
    let (mchs, _) = demo(&app).await;
    let meta = format!("/api/v1/public/opendata/agencies/{mchs}/meta.csv");

    // published, but no settings yet: no open-data set
    let (status, ct, body) = fetch(&app, &meta).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(ct, "application/problem+json");

    let stored: Value = app
        .as_admin()
        .put(&format!("/api/v1/agencies/{mchs}/open-data"), settings())
        .await
        .unwrap();
    assert_eq!(stored["code"], "touchpoints");
    assert_eq!(stored["publisher"]["phone"], "+78722516122");
    assert_eq!(stored["title"], Value::Null);
    // what GET answers can be sent back unchanged
    let again: Value = app
        .as_admin()
        .put(
            &format!("/api/v1/agencies/{mchs}/open-data"),
            stored.clone(),
        )
        .await
        .unwrap();
    assert_eq!(again, stored);

    let (status, ct, body) = fetch(&app, &meta).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ct, "text/csv; charset=utf-8");
    let (fixed, data, structure) = check_passport(&body, "0541018037-touchpoints");
    assert_eq!(data.len(), 1);
    assert_eq!(structure.len(), 1);
    let get = |k: &str| fixed.iter().find(|(p, _)| p == k).unwrap().1.clone();
    let name = "Министерство по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан";
    assert_eq!(get("creator"), name);
    assert!(get("title").contains(name));
    assert_eq!(get("subject"), "перечень точек взаимодействия, МЧС");
    assert_eq!(get("publishername"), "Магомедов Рашид Ахмедович");
    assert!(get("provenance").starts_with("Версия 1 перечня, SHA-256 "));

    // the data file is dated with the version's publication (its minute, UTC)
    let versions: PublicVersionList = app
        .portal()
        .get(&format!("/api/v1/public/agencies/{mchs}/register/versions"))
        .await
        .unwrap();
    let v1 = versions.items.iter().find(|v| v.number == 1).unwrap();
    let stamp = v1.published_at.format("%Y%m%dT%H%M").to_string();
    assert_eq!(data[0].0, format!("data-{stamp}-structure-{stamp}"));
    assert_eq!(get("created"), v1.published_at.format("%Y%m%d").to_string());
    assert!(get("provenance").ends_with(&v1.sha256));

    // the structure describes exactly the data file's columns
    let (status, ct, structure_body) = fetch(&app, &structure[0].1).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let described = records(&structure_body);
    assert_eq!(
        described[0],
        [
            "field name",
            "english description",
            "russian description",
            "format"
        ]
    );
    for r in &described[1..] {
        assert!(r.iter().all(|c| !c.is_empty()), "{r:?}");
        assert!(["string", "integer"].contains(&r[3].as_str()), "{r:?}");
    }
    let names: Vec<&str> = described[1..].iter().map(|r| r[0].as_str()).collect();

    // the data file is the register, row for row
    let (status, _, data_body) = fetch(&app, &data[0].1).await;
    assert_eq!(status, StatusCode::OK, "{data_body}");
    let table = records(&data_body);
    assert_eq!(table[0], names);
    let col = |name: &str| names.iter().position(|n| *n == name).unwrap();
    let register: Value = app
        .portal()
        .get(&format!(
            "/api/v1/public/agencies/{mchs}/register/versions/1"
        ))
        .await
        .unwrap();
    let rows = register["rows"].as_array().unwrap();
    assert_eq!(table.len() - 1, rows.len());
    assert_eq!(rows.len(), 58);
    for (line, row) in table[1..].iter().zip(rows) {
        assert_eq!(line[col("agency_id")], mchs.to_string());
        assert_eq!(line[col("version")], "1");
        assert_eq!(line[col("n")], row["n"].to_string());
        assert_eq!(
            line[col("direction_id")],
            row["direction_id"].as_str().unwrap()
        );
        assert_eq!(line[col("direction")], row["direction"].as_str().unwrap());
        assert_eq!(line[col("process_id")], row["process_id"].as_str().unwrap());
        assert_eq!(line[col("process")], row["process"].as_str().unwrap());
        assert_eq!(
            line[col("touchpoint_id")],
            row["touchpoint"]["id"].as_str().unwrap_or("")
        );
        for c in ["touchpoint", "interaction", "features"] {
            assert!(
                !touchpoints::public::render::starts_a_formula(&line[col(c)]),
                "{c}: {}",
                line[col(c)]
            );
        }
    }
    // the official form's columns 4–6 as the register's CSV prints them
    let official = fetch(
        &app,
        &format!("/api/v1/public/agencies/{mchs}/register/versions/1?format=csv"),
    )
    .await
    .2;
    let first_touchpoint = &table[1][col("touchpoint")];
    assert!(!first_touchpoint.is_empty());
    assert!(
        official.contains(first_touchpoint.as_str()),
        "{first_touchpoint}"
    );

    // the JSON form of the same passport
    let (status, ct, json_body) = fetch(
        &app,
        &format!("/api/v1/public/opendata/agencies/{mchs}/meta.json"),
    )
    .await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
    let p: Value = serde_json::from_str(&json_body).unwrap();
    assert_eq!(p["identifier"], "0541018037-touchpoints");
    assert_eq!(p["publisher"]["mbox"], "opendata@mchsrd.ru");
    assert_eq!(p["data"][0]["source"], data[0].1.as_str());
    assert_eq!(p["structure"][0]["source"], structure[0].1.as_str());

    // cacheable: the ETag answers 304
    let resp = app.client.get(app.url(&meta)).send().await.unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(resp.headers()["cache-control"], "public, max-age=60");
    assert!(resp.headers()["vary"]
        .to_str()
        .unwrap()
        .contains("X-Forwarded-Host"));
    // the addresses follow the host the portal was reached at
    let proxied = app
        .client
        .get(app.url(&meta))
        .header("x-forwarded-host", "opendata.e-dag.ru")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(proxied.contains(&format!(
        ",https://opendata.e-dag.ru/api/v1/public/opendata/agencies/{mchs}/structure-"
    )));
    let resp = app
        .client
        .get(app.url(&meta))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);

    // a second publication adds a second data file; the passport links both, the first
    // unchanged
    let v2 = app
        .as_admin()
        .publish_new_revision(mchs, "channel_changed", "Новый номер телефона")
        .await;
    assert_eq!(v2, 2);
    let (_, _, body2) = fetch(&app, &meta).await;
    let (fixed2, data2, structure2) = check_passport(&body2, "0541018037-touchpoints");
    assert_eq!(data2.len(), 2);
    assert_eq!(
        data2[1], data[0],
        "the first version keeps its name and address"
    );
    assert_ne!(data2[0].0, data[0].0);
    assert_eq!(structure2, structure, "one structure for both");
    let get2 = |k: &str| fixed2.iter().find(|(p, _)| p == k).unwrap().1.clone();
    assert_eq!(get2("created"), get("created"));
    assert!(get2("provenance").starts_with("Версия 2 перечня"));
    let (_, _, again_v1) = fetch(&app, &data2[1].1).await;
    assert_eq!(again_v1, data_body, "a published data file never changes");
    let (status, _, v2_body) = fetch(&app, &data2[0].1).await;
    assert_eq!(status, StatusCode::OK);
    let v2_rows = records(&v2_body);
    assert_eq!(v2_rows[0], names);
    assert!(v2_rows[1..].iter().all(|r| r[col("version")] == "2"));

    // names the passport does not list are 404 problems
    let base = format!("/api/v1/public/opendata/agencies/{mchs}");
    for path in [
        format!("{base}/data-19990101T0000-structure-19990101T0000.csv"),
        format!("{base}/data-20261399T9999-structure-20261399T9999.csv"),
        format!("{base}/structure-19990101T0000.csv"),
        format!("{base}/data-x-structure-y.csv"),
        format!(
            "/api/v1/public/opendata/agencies/{}/meta.csv",
            Uuid::new_v4()
        ),
        format!(
            "/api/v1/public/opendata/agencies/{}/meta.json",
            Uuid::new_v4()
        ),
    ] {
        let (status, ct, body) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(ct, "application/problem+json", "{path}");
    }
}

#[actix_web::test]
async fn a_region_set_consolidates_its_agencies_and_the_registry_lists_every_set() {
    let app = TestApp::spawn().await;
    let (mchs, press) = demo(&app).await;
    let meta = format!("/api/v1/public/opendata/regions/{REGION}/meta.csv");
    assert_eq!(fetch(&app, &meta).await.0, StatusCode::NOT_FOUND);

    let stored: Value = app
        .as_admin()
        .put(
            &format!("/api/v1/regions/{REGION}/open-data"),
            region_settings(),
        )
        .await
        .unwrap();
    assert_eq!(stored["code"], "touchpoints-region");
    let (status, _, body) = fetch(&app, &meta).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (fixed, data, _) = check_passport(&body, "0572012345-touchpoints-region");
    let get = |k: &str| fixed.iter().find(|(p, _)| p == k).unwrap().1.clone();
    assert_eq!(
        get("creator"),
        "Министерство цифрового развития Республики Дагестан"
    );
    // the demo published both agencies: two states of the consolidated register
    assert_eq!(data.len(), 2);
    let (_, _, newest) = fetch(&app, &data[0].1).await;
    let table = records(&newest);
    let agencies: std::collections::BTreeSet<&str> =
        table[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        agencies,
        [mchs.to_string(), press.to_string()]
            .iter()
            .map(String::as_str)
            .collect()
    );
    let region_register: Value = app
        .portal()
        .get(&format!("/api/v1/public/regions/{REGION}/register?limit=1"))
        .await
        .unwrap();
    assert_eq!(
        table.len() as i64 - 1,
        region_register["total"].as_i64().unwrap()
    );
    let (_, _, oldest) = fetch(&app, &data[1].1).await;
    let first = records(&oldest);
    assert!(
        first.len() < table.len(),
        "the first state holds one agency"
    );

    // the registry: a row per set with its passport's address
    app.as_admin()
        .put(&format!("/api/v1/agencies/{mchs}/open-data"), settings())
        .await
        .map(|_: Value| ())
        .unwrap();
    let (status, ct, list) = fetch(&app, "/api/v1/public/opendata/list.csv").await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let rows = records(&list);
    assert_eq!(rows[0], ["property", "title", "value", "format"]);
    assert_eq!(
        rows[1][..3],
        [
            "standardversion",
            "Версия методических рекомендаций",
            "http://opendata.gosmonitor.ru/standard/3.0"
        ]
    );
    let ids: Vec<&str> = rows[2..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ids,
        ["0541018037-touchpoints", "0572012345-touchpoints-region"]
    );
    for r in &rows[2..] {
        assert_eq!(r[3], "csv");
        let (status, _, _) = fetch(&app, &r[2]).await;
        assert_eq!(status, StatusCode::OK, "{}", r[2]);
    }
    // the press agency has no settings: no set, not listed
    assert_eq!(
        fetch(
            &app,
            &format!("/api/v1/public/opendata/agencies/{press}/meta.csv")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    for path in [
        "/api/v1/public/opendata/regions/Nowhere/meta.csv".to_owned(),
        format!("/api/v1/public/opendata/regions/{REGION}/structure-19990101T0000.csv"),
        format!(
            "/api/v1/public/opendata/regions/{REGION}/data-19990101T0000-structure-19990101T0000.csv"
        ),
    ] {
        assert_eq!(fetch(&app, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn settings_are_validated_and_only_publishers_and_admins_write_them() {
    let app = TestApp::spawn().await;
    let (mchs, press) = demo(&app).await;
    let path = format!("/api/v1/agencies/{mchs}/open-data");
    let admin = app.as_admin();

    // none yet
    let p = admin.get::<Value>(&path).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);
    let p = admin
        .get::<Value>(&format!("/api/v1/agencies/{}/open-data", Uuid::new_v4()))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);

    // every wrong field named
    let mut bad = settings();
    bad["inn"] = json!("12345");
    bad["code"] = json!("не латиница");
    bad["keywords"] = json!(["a,b"]);
    bad["license"]["url"] = json!("creativecommons.org/licenses/by/4.0/");
    bad["publisher"]["email"] = json!("nobody");
    bad["publisher"]["phone"] = json!("+1 202 555 0100");
    let p = admin.put::<Value>(&path, bad).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    assert_eq!(
        p.fields(),
        [
            "inn",
            "code",
            "keywords[0]",
            "license.url",
            "publisher.phone",
            "publisher.email"
        ]
    );
    let mut long = settings();
    long["title"] = json!("т".repeat(1001));
    long["keywords"] = json!([]);
    let p = admin.put::<Value>(&path, long).await.unwrap_err();
    assert_eq!(p.fields(), ["title", "keywords"]);
    let mut unknown = settings();
    unknown["license_url"] = json!("https://x.ru");
    assert!(admin.put::<Value>(&path, unknown).await.is_err());
    let mut missing = settings();
    missing.as_object_mut().unwrap().remove("publisher");
    assert!(admin.put::<Value>(&path, missing).await.is_err());

    // a publisher of the agency writes; its submitter reads but may not write; another
    // agency's publisher does neither
    let a = mchs.to_string();
    let publisher = app.with_token(token("pub", &[Role::Publisher], Some(&a), None));
    let submitter = app.with_token(token("sub", &[Role::Submitter], Some(&a), None));
    let other = app.with_token(token(
        "other",
        &[Role::Publisher],
        Some(&press.to_string()),
        None,
    ));
    let p = submitter.put::<Value>(&path, settings()).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let p = other.put::<Value>(&path, settings()).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    publisher.put::<Value>(&path, settings()).await.unwrap();
    let read: Value = submitter.get(&path).await.unwrap();
    assert_eq!(read["inn"], "0541018037");
    let p = other.get::<Value>(&path).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);

    // a region's settings: admins only, regions some agency names
    let region = format!("/api/v1/regions/{REGION}/open-data");
    let p = publisher
        .put::<Value>(&region, region_settings())
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let p = publisher.get::<Value>(&region).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let p = admin.get::<Value>(&region).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);
    let p = admin
        .put::<Value>("/api/v1/regions/Nowhere/open-data", region_settings())
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);
    let mut no_creator = region_settings();
    no_creator["creator"] = json!("   ");
    let p = admin.put::<Value>(&region, no_creator).await.unwrap_err();
    assert_eq!(p.fields(), ["creator"]);
    admin
        .put::<Value>(&region, region_settings())
        .await
        .unwrap();
    let read: Value = admin.get(&region).await.unwrap();
    assert_eq!(
        read["creator"],
        "Министерство цифрового развития Республики Дагестан"
    );
}
