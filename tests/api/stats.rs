//! Figures for dashboards: the stats equal what counting the published registers gives, for
//! the demo registers and for a region of generated agencies (with a subordinate organization
//! and an agency with nothing published); caching, formats, access.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use touchpoints::agencies::model::Agency;
use touchpoints::auth::Role;
use touchpoints::units::model::Unit;

use crate::client::{PointSpec, ProcessSpec};
use crate::helpers::{token, TestApp};

/// The figures the contract names, counted here from a published register's rows.
fn count(register: &Value) -> Value {
    let rows = register["rows"].as_array().unwrap();
    let mut processes = std::collections::HashSet::new();
    let (mut touchpoints, mut without_tp, mut without_needs, mut conflicts) = (0, 0, 0, 0);
    let (mut digital, mut offline) = (0, 0);
    let mut by_channel: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        processes.insert(r["process_id"].as_str().unwrap().to_owned());
        let t = &r["touchpoint"];
        if t.is_null() {
            without_tp += 1;
            continue;
        }
        touchpoints += 1;
        *by_channel
            .entry(t["channel"].as_str().unwrap().to_owned())
            .or_default() += 1;
        if t["needs"].as_array().unwrap().is_empty() {
            without_needs += 1;
        }
        let effective = if t["stated_mode"].is_null() {
            &t["implied_mode"]
        } else {
            &t["stated_mode"]
        };
        if effective == "digital" {
            digital += 1;
        } else {
            offline += 1;
        }
        if !t["stated_mode"].is_null() && t["stated_mode"] != t["implied_mode"] {
            conflicts += 1;
        }
    }
    json!({
        "processes": processes.len(),
        "touchpoints": touchpoints,
        "by_channel": by_channel,
        "by_mode": {"digital": digital, "offline": offline},
        "processes_without_touchpoints": without_tp,
        "touchpoints_without_needs": without_needs,
        "mode_conflicts": conflicts,
    })
}

/// The contract's figures of a stats body, for comparing.
fn contract(stats: &Value) -> Value {
    let keys = [
        "processes",
        "touchpoints",
        "by_channel",
        "by_mode",
        "processes_without_touchpoints",
        "touchpoints_without_needs",
        "mode_conflicts",
    ];
    Value::Object(
        keys.iter()
            .map(|k| ((*k).to_owned(), stats[*k].clone()))
            .collect(),
    )
}

fn sum(a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    for (k, v) in b.as_object().unwrap() {
        out[k] = match v {
            Value::Number(n) => json!(a[k].as_i64().unwrap_or(0) + n.as_i64().unwrap()),
            Value::Object(m) => {
                let mut o = a[k].as_object().cloned().unwrap_or_default();
                for (kk, vv) in m {
                    let prev = o.get(kk).and_then(Value::as_i64).unwrap_or(0);
                    o.insert(kk.clone(), json!(prev + vv.as_i64().unwrap()));
                }
                Value::Object(o)
            }
            other => other.clone(),
        };
    }
    out
}

fn share(figures: &Value) -> f64 {
    let t = figures["touchpoints"].as_f64().unwrap();
    if t == 0.0 {
        0.0
    } else {
        figures["by_mode"]["digital"].as_f64().unwrap() / t
    }
}

async fn get(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut rb = app.client.get(app.url(path));
    if let Some(e) = etag {
        rb = rb.header("if-none-match", e);
    }
    rb.send().await.unwrap()
}

async fn public_register(app: &TestApp, agency: &str) -> Value {
    let (s, v) = app
        .request_as(
            None,
            reqwest::Method::GET,
            &format!("/api/v1/public/agencies/{agency}/register"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

#[actix_web::test]
async fn stats_of_the_demo_registers_equal_counting_them() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let (_, list) = app.get("/api/v1/agencies?limit=500").await;
    let ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let mut region = String::new();
    let mut summed = Value::Object(Default::default());
    for id in &ids {
        let register = public_register(&app, id).await;
        region = register["agency"]["region"].as_str().unwrap().to_owned();
        let counted = count(&register);
        assert!(counted["touchpoints"].as_i64().unwrap() > 10, "{counted}");
        let resp = get(&app, &format!("/api/v1/public/agencies/{id}/stats"), None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
        let stats: Value = resp.json().await.unwrap();
        assert_eq!(contract(&stats), counted, "agency {id}");
        assert_eq!(stats["version"], register["version"]);
        assert_eq!(stats["approved_at"], register["approved_at"]);
        assert_eq!(stats["basis"], "published");
        assert!(stats["age_working_days"].as_i64().unwrap() >= 0);
        assert!((stats["digital_share"].as_f64().unwrap() - share(&counted)).abs() < 1e-4);
        // by_need and by_client_type add up to what the rows say
        let with_tp: i64 = stats["by_client_type"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum();
        assert_eq!(json!(with_tp), stats["touchpoints"]);
        let needs: usize = register["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["touchpoint"]["needs"].as_array())
            .map(|n| {
                n.iter()
                    .map(|x| x["code"].as_str().unwrap())
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            })
            .sum();
        let need_sum: i64 = stats["by_need"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum();
        assert_eq!(need_sum as usize, needs);
        // the same as the rule checker's findings
        let (_, findings) = app
            .request_as(
                None,
                reqwest::Method::GET,
                &format!("/api/v1/public/agencies/{id}/register/findings"),
                None,
            )
            .await;
        let items = findings["items"].as_array().expect("findings");
        let n = |code: &str| items.iter().filter(|f| f["code"] == code).count() as i64;
        assert_eq!(
            n("mode_contradicts_rule"),
            stats["mode_conflicts"].as_i64().unwrap()
        );
        assert_eq!(
            n("touchpoint_without_needs"),
            stats["touchpoints_without_needs"].as_i64().unwrap()
        );
        // ETag/304
        let again = get(
            &app,
            &format!("/api/v1/public/agencies/{id}/stats"),
            Some(&etag),
        )
        .await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        summed = sum(&summed, &counted);
    }

    let resp = get(
        &app,
        &format!("/api/v1/public/regions/{region}/stats"),
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(contract(&body), summed);
    assert_eq!(body["agencies_total"], 2);
    assert_eq!(body["agencies_published"], 2);
    assert_eq!(body["agencies"]["total"], 2);

    // CSV: BOM, header, one line per agency and the total
    let csv = get(
        &app,
        &format!("/api/v1/public/regions/{region}/stats?format=csv"),
        None,
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("\u{feff}agency_id;agency;parent_id;version;"));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{text}");
    let header: Vec<&str> = lines[0].split(';').collect();
    let total: Vec<&str> = lines[3].split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(total[col("agency")], "total");
    assert_eq!(total[col("touchpoints")], summed["touchpoints"].to_string());
}

async fn agency_in(app: &TestApp, region: &str, name: &str) -> Uuid {
    let a: Agency = app
        .as_admin()
        .post(
            "/api/v1/agencies",
            json!({"name": name, "short_name": null, "region": region, "kind": "ministry", "website": null}),
        )
        .await
        .expect("agency");
    a.id
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

/// A unit and processes with one touchpoint each: receptions (offline) and websites (digital).
async fn fill(app: &TestApp, agency: Uuid, offices: usize, sites: usize) {
    let admin = app.as_admin();
    let unit: Unit = admin
        .post(
            &format!("/api/v1/agencies/{agency}/units"),
            json!({ "name": "Отдел по работе с обращениями" }),
        )
        .await
        .expect("unit");
    for i in 0..offices + sites {
        let p = admin
            .create_process(
                agency,
                ProcessSpec::function(format!("Процесс {i}")).of(unit.id),
            )
            .await
            .expect("process");
        let point = if i < offices {
            PointSpec::new("reception", "Приёмная")
                .contact_labelled("address", "г. Махачкала, ул. Ленина, д. 1", None)
                .needs(&["consultation"])
        } else {
            PointSpec::new("website", "Официальный сайт")
                .url("https://example.ru")
                .needs(&["information"])
        };
        admin.add_point(p.id, point).await.expect("point");
    }
}

async fn publish(app: &TestApp, agency: Uuid) -> i32 {
    let admin = app.as_admin();
    let rev = admin.current_revision(agency).await.expect("revision");
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    admin.approve(&rev).await.expect("approve");
    admin.publish(&rev).await.expect("publish").version
}

#[actix_web::test]
async fn region_stats_sum_the_published_registers_with_organizations_under_their_ministry() {
    let app = TestApp::spawn().await;
    let region = "Тестовая область";
    let ministry = agency_in(&app, region, "Министерство А").await;
    let org = organization(&app, ministry, "Учреждение при министерстве").await;
    let other = agency_in(&app, region, "Министерство Б").await;
    let empty = agency_in(&app, region, "Министерство В").await;
    // another region's agency stays out
    let elsewhere = agency_in(&app, "Другая область", "Министерство Г").await;
    fill(&app, ministry, 2, 1).await;
    fill(&app, org, 1, 1).await;
    fill(&app, other, 0, 3).await;
    fill(&app, elsewhere, 5, 0).await;
    for a in [ministry, org, other, elsewhere] {
        assert_eq!(publish(&app, a).await, 1);
    }
    // «В» has a working copy but nothing published
    fill(&app, empty, 1, 0).await;

    let path = format!("/api/v1/public/regions/{region}/stats");
    let resp = get(&app, &path, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    let mut summed = Value::Object(Default::default());
    for a in [ministry, org, other] {
        summed = sum(
            &summed,
            &count(&public_register(&app, &a.to_string()).await),
        );
    }
    assert_eq!(contract(&body), summed);
    assert_eq!(body["touchpoints"], 8);
    assert_eq!(body["by_mode"], json!({"digital": 5, "offline": 3}));
    assert_eq!(body["digital_share"], 0.625);
    assert_eq!(body["agencies_total"], 4);
    assert_eq!(body["agencies_published"], 3);
    let items = body["agencies"]["items"].as_array().unwrap();
    let order: Vec<Uuid> = items
        .iter()
        .map(|a| serde_json::from_value(a["agency_id"].clone()).unwrap())
        .collect();
    assert_eq!(order, vec![ministry, org, other, empty]);
    assert_eq!(items[1]["parent_id"], ministry.to_string());
    for (item, id) in items.iter().zip(&order).take(3) {
        let register = public_register(&app, &id.to_string()).await;
        assert_eq!(contract(item), count(&register), "{id}");
        assert_eq!(item["version"], 1);
    }
    assert_eq!(items[3]["version"], Value::Null);
    assert_eq!(items[3]["age_working_days"], Value::Null);
    assert_eq!(items[3]["touchpoints"], 0);

    // 304 while nothing changes; paging
    assert_eq!(
        get(&app, &path, Some(&etag)).await.status(),
        StatusCode::NOT_MODIFIED
    );
    codings_of_the_same_answer(&app, &path).await;
    codings_of_the_same_answer(&app, &format!("{path}?format=csv")).await;
    let page: Value = get(&app, &format!("{path}?limit=1&offset=1"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["agencies"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["agencies"]["items"][0]["agency_id"], org.to_string());
    assert_eq!(page["agencies"]["total"], 4);
    assert_eq!(page["touchpoints"], 8, "the sums cover every page");

    // a publication changes the figures and the ETag
    assert_eq!(publish(&app, empty).await, 1);
    let resp = get(&app, &path, Some(&etag)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_ne!(resp.headers()["etag"].to_str().unwrap(), etag);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["agencies_published"], 4);
    assert_eq!(body["touchpoints"], 9);

    // so does a renamed agency (no publication: the agencies' own stamp notices it)
    let etag = body_etag(&app, &path).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/agencies/{empty}"),
            json!({"name": "Министерство Г"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let resp = get(&app, &path, Some(&etag)).await;
    assert_eq!(resp.status(), StatusCode::OK, "a rename is a change");
    let body: Value = resp.json().await.unwrap();
    let names: Vec<&str> = body["agencies"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agency"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Министерство Г"), "{names:?}");

    // the headline gauges
    let metrics = get(&app, "/metrics", None).await.text().await.unwrap();
    let gauge = |name: &str| -> f64 {
        let prefix = format!("{name}{{region=\"{region}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{prefix} in {metrics}"))
            .parse()
            .unwrap()
    };
    assert_eq!(gauge("touchpoints_region_agencies_published"), 4.0);
    assert_eq!(gauge("touchpoints_region_touchpoints"), 9.0);
    assert!((gauge("touchpoints_region_digital_share") - 5.0 / 9.0).abs() < 1e-3);
    assert!(gauge("touchpoints_region_agencies_overdue") >= 0.0);
}

#[actix_web::test]
async fn unknown_regions_agencies_and_bad_parameters_are_problems() {
    let app = TestApp::spawn().await;
    let a = agency_in(&app, "Тестовая область", "Министерство А").await;
    let cases = [
        (
            "/api/v1/public/regions/Нет такого/stats".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/public/agencies/{}/stats", Uuid::new_v4()),
            StatusCode::NOT_FOUND,
        ),
        // nothing published yet
        (
            format!("/api/v1/public/agencies/{a}/stats"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/public/regions/Тестовая область/stats?format=xml".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/public/regions/Тестовая область/stats?limit=0".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/public/regions/Тестовая область/stats?offset=-1".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, status) in cases {
        let (s, body) = app
            .request_as(None, reqwest::Method::GET, &path, None)
            .await;
        assert_eq!(s, status, "{path}: {body}");
        assert!(body["code"].is_string(), "{body}");
    }
    // an agency with nothing published is listed in its region with zero figures
    let (s, body) = app
        .request_as(
            None,
            reqwest::Method::GET,
            "/api/v1/public/regions/Тестовая область/stats",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["agencies_published"], 0);
    assert_eq!(body["digital_share"], 0.0);
    assert_eq!(body["agencies"]["items"][0]["version"], Value::Null);
}

#[actix_web::test]
async fn the_working_copy_stats_are_for_the_agency_s_own_people() {
    let app = TestApp::spawn().await;
    let a = agency_in(&app, "Тестовая область", "Министерство А").await;
    let b = agency_in(&app, "Тестовая область", "Министерство Б").await;
    fill(&app, a, 1, 1).await;
    publish(&app, a).await;
    // an edit after publication: one more process, without touchpoints
    app.as_admin()
        .create_process(a, ProcessSpec::function("Новый процесс"))
        .await
        .expect("process");
    let path = format!("/api/v1/agencies/{a}/stats");
    let own = token("editor", &[Role::Submitter], Some(&a.to_string()), None);
    let (s, stats) = app
        .request_as(Some(&own), reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["basis"], "working_copy");
    assert_eq!(stats["version"], 1);
    assert_eq!(stats["processes"], 3);
    assert_eq!(stats["touchpoints"], 2);
    assert_eq!(stats["processes_without_touchpoints"], 1);
    let public: Value = get(&app, &format!("/api/v1/public/agencies/{a}/stats"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["processes"], 2, "the published figures stay");
    assert_eq!(public["processes_without_touchpoints"], 0);

    let (s, _) = app
        .request_as(None, reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let stranger = token("other", &[Role::Submitter], Some(&b.to_string()), None);
    let (s, _) = app
        .request_as(Some(&stranger), reqwest::Method::GET, &path, None)
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    // CSV
    let resp = app
        .client
        .get(app.url(&format!("{path}?format=csv")))
        .bearer_auth(&own)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert_eq!(text.trim_end().split("\r\n").count(), 2, "{text}");
}

#[actix_web::test]
async fn deadline_stats_aggregate_what_deadlines_lists() {
    let app = TestApp::spawn().await;
    let a = agency_in(&app, "Тестовая область", "Министерство А").await;
    let b = agency_in(&app, "Тестовая область", "Министерство Б").await;
    fill(&app, a, 1, 0).await;
    publish(&app, a).await;
    // «Б» has an open revision (the first edit opens one)
    fill(&app, b, 1, 0).await;
    let on = "2028-06-01";
    let (s, stats) = app
        .get(&format!("/api/v1/stats/deadlines?on={on}&limit=500"))
        .await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    let (_, overview) = app
        .get(&format!("/api/v1/deadlines?on={on}&all=true"))
        .await;
    let overview = overview["items"].as_array().unwrap();
    let items = stats["agencies"]["items"].as_array().unwrap();
    assert_eq!(items.len(), overview.len());
    assert_eq!(stats["agencies_total"], json!(overview.len()));
    for o in overview {
        let s = items
            .iter()
            .find(|i| i["agency_id"] == o["agency_id"])
            .unwrap();
        let list = o["items"].as_array().unwrap();
        let overdue: Vec<&Value> = list.iter().filter(|d| d["overdue"] == true).collect();
        assert_eq!(s["overdue"], json!(overdue.len()));
        assert_eq!(s["due"], json!(list.len() - overdue.len()));
        let worst = overdue
            .iter()
            .map(|d| -d["working_days_left"].as_i64().unwrap())
            .max()
            .unwrap_or(0);
        assert_eq!(s["overdue_working_days"], json!(worst));
    }
    let b_stats = items
        .iter()
        .find(|i| i["agency_id"] == b.to_string())
        .unwrap();
    assert!(b_stats["revision_status"].is_string(), "{b_stats}");
    assert!(b_stats["overdue"].as_i64().unwrap() > 0, "two years later");
    assert_eq!(
        stats["agencies_overdue"],
        json!(items
            .iter()
            .filter(|i| i["overdue"].as_i64().unwrap() > 0)
            .count())
    );

    // approvers see their own agency; submitters not at all
    let approver = token("appr", &[Role::Approver], Some(&a.to_string()), None);
    let (s, mine) = app
        .request_as(
            Some(&approver),
            reqwest::Method::GET,
            "/api/v1/stats/deadlines",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["agencies_total"], 1);
    assert_eq!(mine["agencies"]["items"][0]["agency_id"], a.to_string());
    let submitter = token("sub", &[Role::Submitter], Some(&a.to_string()), None);
    let (s, _) = app
        .request_as(
            Some(&submitter),
            reqwest::Method::GET,
            "/api/v1/stats/deadlines",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/stats/deadlines?on=3000-01-01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// The region stats of 1,000 agencies (each a copy of a demo register, 58 rows): the first
/// answer computes every version's figures, the next ones come from memory. A measurement,
/// not a check of speed: `scripts/test.sh --run-ignored only -E 'test(/thousand/)' --no-capture`.
#[actix_web::test]
#[ignore]
async fn region_stats_of_a_thousand_agencies_from_cache() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let region = "Нагрузочный регион";
    diesel::sql_query(format!(
        "WITH src AS (SELECT content, sha256 FROM register_versions ORDER BY jsonb_array_length(content->'rows') DESC LIMIT 1), \
         a AS (INSERT INTO agencies (name, region, kind) SELECT 'Орган ' || lpad(i::text, 4, '0'), '{region}', 'ministry' \
               FROM generate_series(1, 1000) i RETURNING id), \
         r AS (INSERT INTO revisions (agency_id, number, reason, status, opened_by, opened_by_name, approved_at, published_at, version_number) \
               SELECT id, 1, 'yearly_revision', 'published', 'bench', 'bench', now(), now(), 1 FROM a RETURNING id, agency_id) \
         INSERT INTO register_versions (agency_id, number, revision_id, content, sha256, approved_at, published_by, published_by_name) \
         SELECT r.agency_id, 1, r.id, src.content, src.sha256, now(), 'bench', 'bench' FROM r, src"
    ))
    .execute(&mut conn)
    .unwrap();
    let path = format!("/api/v1/public/regions/{region}/stats");
    let time = |label: &'static str| {
        let app = &app;
        let path = path.clone();
        async move {
            let t = std::time::Instant::now();
            let resp = get(app, &path, None).await;
            assert_eq!(resp.status(), StatusCode::OK);
            let body = resp.bytes().await.unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            println!("{label}: {ms:.1} ms, {} bytes", body.len());
            (ms, body)
        }
    };
    let (_, cold) = time("cold (every version's figures computed)").await;
    let cold: Value = serde_json::from_slice(&cold).unwrap();
    assert_eq!(cold["agencies_published"], 1000);
    let mut warm = Vec::new();
    for _ in 0..20 {
        warm.push(time("warm").await.0);
    }
    warm.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("warm median {:.1} ms over 20", warm[10]);
}

/// The `ETag` of a fresh read of `path`.
async fn body_etag(app: &TestApp, path: &str) -> String {
    get(app, path, None).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// gzip and br answers of `path` (kept, compressed once) decode to exactly the plain bytes,
/// each coding with its own ETag and 304; asked again, the same bytes come back. A body under
/// 1 KiB is sent plain.
async fn codings_of_the_same_answer(app: &TestApp, path: &str) {
    use std::io::Read;
    let fetch = |ae: Option<&'static str>, inm: Option<String>| {
        let mut r = app.client.get(app.url(path));
        if let Some(ae) = ae {
            r = r.header("accept-encoding", ae);
        }
        if let Some(inm) = inm {
            r = r.header("if-none-match", inm);
        }
        r.send()
    };
    let plain = fetch(None, None).await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_tag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let plain = plain.bytes().await.unwrap();
    if plain.len() < 1024 {
        // not worth compressing: sent as it is, under the plain tag, whatever is asked
        let resp = fetch(Some("gzip, br"), None).await.unwrap();
        assert!(resp.headers().get("content-encoding").is_none(), "{path}");
        assert_eq!(resp.headers()["etag"].to_str().unwrap(), plain_tag);
        assert_eq!(resp.bytes().await.unwrap(), plain);
        return;
    }
    for (ae, coding) in [("gzip", "gzip"), ("gzip, deflate, br", "br")] {
        let resp = fetch(Some(ae), None).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-encoding"], coding, "{path}");
        assert_eq!(resp.headers()["vary"], "Accept-Encoding");
        let tag = resp.headers()["etag"].to_str().unwrap().to_owned();
        let expected = format!("{}-{coding}\"", plain_tag.trim_end_matches('"'));
        assert_eq!(tag, expected, "{path}");
        let body = resp.bytes().await.unwrap();
        let mut decoded = Vec::new();
        if coding == "gzip" {
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut decoded)
                .unwrap();
        } else {
            brotli::Decompressor::new(&body[..], 4096)
                .read_to_end(&mut decoded)
                .unwrap();
        }
        assert_eq!(decoded, plain, "{path} in {coding}");
        let again = fetch(Some(ae), None).await.unwrap().bytes().await.unwrap();
        assert_eq!(again, body, "{path}: the kept {coding} copy");
        let cached = fetch(Some(ae), Some(tag.clone())).await.unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path} {coding}");
        // another coding's tag does not match this representation
        let other = fetch(Some(ae), Some(plain_tag.clone())).await.unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{path} {coding}");
    }
}
