//! The demo loader fills the database with the seeds' real registers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

fn seed_rows(key: &str) -> usize {
    let file = touchpoints::demo::demo_file().unwrap();
    let a = file.agencies.iter().find(|a| a.key == key).unwrap();
    a.registers.iter().map(|r| r.rows.len()).sum()
}

async fn agency_id(app: &TestApp, short: &str) -> String {
    let (_, list) = app.get("/api/v1/agencies?limit=500").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["short_name"] == short)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn demo_loads_the_real_registers_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    let report = touchpoints::demo::load(&mut conn).unwrap();
    assert_eq!(report.agencies_created, 2);
    let again = touchpoints::demo::load(&mut conn).unwrap();
    assert_eq!(
        (again.agencies_created, again.agencies_skipped),
        (0, 2),
        "loading twice adds nothing"
    );

    // МЧС РД: both tables of the seed, 41 rows for internal and 17 for external clients
    assert_eq!(seed_rows("mchs-rd"), 58);
    let mchs = agency_id(&app, "МЧС Дагестана").await;
    let (s, points) = app
        .get(&format!("/api/v1/points?agency_id={mchs}&limit=500"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(points["total"], 58);
    let file = touchpoints::demo::demo_file().unwrap();
    let internal_rows = file
        .agencies
        .iter()
        .find(|a| a.key == "mchs-rd")
        .unwrap()
        .registers
        .iter()
        .flat_map(|r| &r.rows)
        .filter(|r| r.process_client_type == touchpoints::domain::ClientType::Internal)
        .count();
    let (_, internal) = app
        .get(&format!(
            "/api/v1/points?agency_id={mchs}&client_type=internal&limit=500"
        ))
        .await;
    assert_eq!(internal["total"].as_u64().unwrap() as usize, internal_rows);
    assert!(internal_rows >= 30, "{internal_rows}");

    let press = agency_id(&app, "Агентство информации и печати РД").await;
    let (_, points) = app
        .get(&format!("/api/v1/points?agency_id={press}&limit=1"))
        .await;
    assert_eq!(
        points["total"].as_u64().unwrap() as usize,
        seed_rows("press-rd")
    );

    // the units the seeds name, with their processes assigned
    let (_, units) = app.get(&format!("/api/v1/agencies/{press}/units")).await;
    let names: Vec<&str> = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Отдел правовой, кадровой и организационной работы"),
        "{names:?}"
    );
    let unit = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Отдел правовой, кадровой и организационной работы")
        .unwrap();
    let (_, owned) = app
        .get(&format!(
            "/api/v1/agencies/{press}/processes?unit={}",
            unit["id"].as_str().unwrap()
        ))
        .await;
    assert!(owned["total"].as_i64().unwrap() >= 1);
    let (_, unowned) = app
        .get(&format!("/api/v1/agencies/{press}/processes?unit=agency"))
        .await;
    assert!(
        unowned["total"].as_i64().unwrap() >= 1,
        "processes with no named unit belong to the agency"
    );

    // the seeds' own contradictions are kept as written and flagged: Почта России marked digital
    let (_, post) = app
        .get(&format!("/api/v1/points?agency_id={mchs}&channel=post"))
        .await;
    let post: &Value = &post["items"][0];
    assert_eq!(post["stated_mode"], "digital");
    assert_eq!(post["implied_mode"], "offline");
    assert_eq!(post["mode_conflict"], true);
    // the agency-specific direction of 000 exists beside the catalog
    let (_, own) = app
        .get(&format!("/api/v1/agencies/{mchs}/directions?scope=own"))
        .await;
    assert_eq!(own["total"], 1);
    assert!(own["items"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("Региональный государственный надзор"));
}

/// The published register prints column 4 as the seed writes it, not the normalised contacts
/// (which stay in the JSON); column 6 as written.
#[actix_web::test]
async fn the_mchs_telephone_cell_is_printed_as_the_seed_writes_it() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let mchs = agency_id(&app, "МЧС Дагестана").await;
    let fetch = |format: &'static str| {
        let url = app.url(&format!(
            "/api/v1/public/agencies/{mchs}/register?format={format}"
        ));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let (csv, html) = (fetch("csv").await, fetch("html").await);
    for (what, body) in [("csv", &csv), ("html", &html)] {
        assert!(
            body.contains("Телефон: +7(8722) 55-05-28, 51-61-24"),
            "{what}: {body}"
        );
        assert!(!body.contains("+78722550528"), "{what}");
        assert!(
            body.contains("Официальный сайт Министерства: www.mchsrd.ru"),
            "{what}"
        );
        assert!(!body.contains("https://www.mchsrd.ru"), "{what}");
        assert!(
            body.contains("Почта России 367015 РД, г. Махачкала"),
            "{what}"
        );
    }
    assert!(csv.contains(";Телефон: +7(8722) 55-05-28, 51-61-24;Получение информации клиентом, получение консультации клиентом;Взаимодействие в офлайн-точке\r\n"), "{csv}");
    // the JSON keeps the normalised contacts beside the wording
    let (_, json) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{mchs}/register"),
            None,
        )
        .await;
    let t = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["touchpoint"])
        .find(|t| t["as_written"] == "Телефон: +7(8722) 55-05-28, 51-61-24")
        .unwrap();
    let values: Vec<&str> = t["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["+78722550528", "+78722516124"]);
}
