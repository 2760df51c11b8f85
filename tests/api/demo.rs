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

    // its register prints in its own form: its title and headers as its order words them,
    // and no approval block (its order approved the procedure, not a register)
    let (_, register) = app
        .get(&format!("/api/v1/public/agencies/{press}/register"))
        .await;
    assert_eq!(register["columns"][1], "Направление Деятельности Агентства");
    assert_eq!(
        register["profile"]["titles"]["combined"],
        "Перечень точек взаимодействия агентства\nв рамках взаимодействия с внешним и внутренним клиентами"
    );
    assert!(
        register["approval"]["order_number"].is_null(),
        "{}",
        register["approval"]
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
    // what people read: the page without its schema.org data block, whose values are the
    // normalised ones machines compare
    let ld = html.find("<script").unwrap();
    let html = format!(
        "{}{}",
        &html[..ld],
        &html[ld + html[ld..].find("</script>").unwrap()..]
    );
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

/// The МЧС register in XLSX prints without overlapping text: every row of the tables is at
/// least as tall as its wrapped cells need by the exporter's own measure (a direction or
/// process merged over several rows: their heights together), and № is a number. The file
/// is left in the temp directory (`touchpoints-mchs.xlsx`) to look at.
#[actix_web::test]
async fn the_mchs_xlsx_rows_fit_their_text_and_number_cells_are_numbers() {
    use calamine::{Data, Reader, Xlsx};
    use std::collections::HashMap;
    use std::io::{Cursor, Read};
    use touchpoints::public::xlsx::{column_widths, row_height, SHEET};

    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let mchs = agency_id(&app, "МЧС Дагестана").await;
    let bytes = app
        .client
        .get(app.url(&format!(
            "/api/v1/public/agencies/{mchs}/register?format=xlsx"
        )))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let _ = std::fs::write(std::env::temp_dir().join("touchpoints-mchs.xlsx"), &bytes);

    // row heights as written: <row r="…" … ht="…" customHeight="1">
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let re = regex::Regex::new(r#"<row r="(\d+)"[^>]*? ht="([0-9.]+)""#).unwrap();
    let heights: HashMap<u32, f64> = re
        .captures_iter(&xml)
        .map(|c| (c[1].parse::<u32>().unwrap() - 1, c[2].parse().unwrap()))
        .collect();

    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range(SHEET).unwrap();
    let merged = book.merge_cells_by_sheet_name(SHEET).unwrap();
    let widths = column_widths(6);
    let text = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let height = |r: u32| heights.get(&r).copied().unwrap_or(15.0);
    // data rows: a number in №, text in column 4
    let data: Vec<u32> = (0..sheet.height() as u32)
        .filter(|&r| matches!(sheet.get_value((r, 3)), Some(Data::String(_))))
        .filter(|&r| text(r, 0) != "№")
        .collect();
    assert_eq!(data.len(), 58, "the МЧС register's rows");
    let starts_merge = |r: u32, c: u32| {
        merged
            .iter()
            .find(|d| d.start == (r, c) && d.end.0 > d.start.0)
    };
    for &r in &data {
        assert!(
            matches!(sheet.get_value((r, 0)), Some(Data::Float(_))),
            "row {r}: № is a number: {:?}",
            sheet.get_value((r, 0))
        );
        let cells: Vec<String> = (0..6u32)
            .map(|c| {
                if starts_merge(r, c).is_some() {
                    String::new()
                } else {
                    text(r, c)
                }
            })
            .collect();
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        let needed = row_height(&cells, &widths);
        assert!(
            height(r) + 1e-6 >= needed,
            "row {r} is {} pt, its text needs {needed}: {cells:?}",
            height(r)
        );
        for c in [1u32, 2] {
            if let Some(d) = starts_merge(r, c) {
                let have: f64 = (d.start.0..=d.end.0).map(height).sum();
                let needed = row_height(&[&text(r, c)], &widths[c as usize..]);
                assert!(
                    have + 1e-6 >= needed,
                    "rows {}..={} hold {have} pt of column {}, its text needs {needed}",
                    d.start.0,
                    d.end.0,
                    c + 1
                );
            }
        }
    }
    // the «1 2 3 4 5 6» row(s): numbers
    let number_rows: Vec<u32> = (0..sheet.height() as u32)
        .filter(|&r| {
            (0..6u32).all(|c| sheet.get_value((r, c)) == Some(&Data::Float(f64::from(c + 1))))
        })
        .collect();
    assert!(!number_rows.is_empty(), "the «1 2 3 4 5 6» row is numeric");
}
