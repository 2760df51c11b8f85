//! Sync that sees deletions (issue 15): the touchpoint change feed with tombstones, touchpoints
//! fetched by id from the current versions, and the upsert by an integrator's own id.

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::domain::register::TouchpointChange;
use touchpoints::error::ErrorCode;
use touchpoints::processes::model::Process;
use touchpoints::sync::api::{PublicTouchpointList, TouchpointChangeFeed};
use touchpoints::touchpoints::model::Touchpoint;
use touchpoints::workflow::model::History;
use uuid::Uuid;

use crate::client::{As, PointSpec, ProcessSpec};
use crate::helpers::TestApp;

/// Walks the agency's revision in progress to publication as the admin; the version number.
async fn publish(admin: &As<'_>, agency: Uuid) -> i32 {
    let rev = admin.current_revision(agency).await.expect("revision");
    for part in &rev.parts {
        admin.submit(&rev, &part.unit_id).await.expect("submit");
        admin.accept(&rev, &part.unit_id).await.expect("accept");
    }
    admin.approve(&rev).await.expect("approve");
    admin.publish(&rev).await.expect("publish").version
}

async fn feed(app: &TestApp, query: &str) -> TouchpointChangeFeed {
    app.portal()
        .get(&format!("/api/v1/public/changes/touchpoints{query}"))
        .await
        .expect("feed")
}

fn summary(f: &TouchpointChangeFeed) -> Vec<(Uuid, i32, TouchpointChange)> {
    f.items
        .iter()
        .map(|i| (i.touchpoint_id, i.version, i.change))
        .collect()
}

/// An agency with one process and `n` touchpoints (phones), its working copy not published.
async fn agency_with_points(app: &TestApp, name: &str, n: usize) -> (Uuid, Uuid, Vec<Touchpoint>) {
    let org = app.org(name).build().await;
    let admin = app.as_admin();
    let p = admin
        .create_process(org.id(), ProcessSpec::function("Прием обращений граждан"))
        .await
        .unwrap();
    let mut points = Vec::new();
    for i in 0..n {
        let t = admin
            .add_point(
                p.id,
                PointSpec::new("phone", &format!("Телефон {i}"))
                    .phone(&format!("+7 8722 51-61-2{i}"))
                    .needs(&["consultation"]),
            )
            .await
            .unwrap();
        points.push(t);
    }
    (org.id(), p.id, points)
}

#[actix_web::test]
async fn the_feed_lists_touchpoints_added_changed_and_removed_in_commit_order() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin();
    let (a, _, ap) = agency_with_points(&app, "Министерство труда", 3).await;
    let (b, _, bp) = agency_with_points(&app, "Министерство культуры", 1).await;
    assert_eq!(publish(&admin, a).await, 1);
    assert_eq!(publish(&admin, b).await, 1);

    let first = feed(&app, "?since=0").await;
    assert_eq!(
        summary(&first),
        vec![
            (ap[0].id, 1, TouchpointChange::Added),
            (ap[1].id, 1, TouchpointChange::Added),
            (ap[2].id, 1, TouchpointChange::Added),
            (bp[0].id, 1, TouchpointChange::Added),
        ]
    );
    assert!(first.items.windows(2).all(|w| w[0].cursor < w[1].cursor));
    assert_eq!(first.next, first.items[3].cursor);
    assert_eq!(first.items[0].agency_id, a);
    assert_eq!(first.items[3].agency_id, b);
    assert_eq!(
        first.items[0].url,
        format!("/api/v1/public/agencies/{a}/register")
    );
    // omitted `since` is from the start; `limit` pages, `next` moves with the page
    let page = feed(&app, "?limit=2").await;
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next, first.items[1].cursor);
    let rest = feed(&app, &format!("?since={}&limit=2", page.next)).await;
    assert_eq!(rest.items[0].touchpoint_id, ap[2].id);
    let only_b = feed(&app, &format!("?agency_id={b}")).await;
    assert_eq!(
        summary(&only_b),
        vec![(bp[0].id, 1, TouchpointChange::Added)]
    );

    // version 2 of A: one touchpoint changed, one removed, one added; the third untouched
    // (its row number moves, which is no change)
    admin
        .patch_point(ap[1].id, json!({"needs": ["consultation", "result"]}))
        .await
        .unwrap();
    admin.delete_point(ap[0].id).await.unwrap();
    let p2 = admin
        .create_process(a, ProcessSpec::service("Выдача справок"))
        .await
        .unwrap();
    let added = admin
        .add_point(
            p2.id,
            PointSpec::new("epgu", "ЕПГУ")
                .url("https://www.gosuslugi.ru")
                .needs(&["submission"]),
        )
        .await
        .unwrap();
    assert_eq!(publish(&admin, a).await, 2);
    let second = feed(&app, &format!("?since={}", first.next)).await;
    assert_eq!(
        summary(&second),
        vec![
            (ap[1].id, 2, TouchpointChange::Changed),
            (added.id, 2, TouchpointChange::Added),
            (ap[0].id, 2, TouchpointChange::Removed),
        ]
    );
    assert!(second.items[0].cursor > first.next);
    // nothing new: the same cursor back
    let none = feed(&app, &format!("?since={}", second.next)).await;
    assert!(none.items.is_empty());
    assert_eq!(none.next, second.next);

    // a version that changes nothing of a touchpoint lists nothing
    admin
        .open_revision(b, "quarterly_analysis", "Без изменений")
        .await
        .unwrap();
    assert_eq!(publish(&admin, b).await, 2);
    assert!(feed(&app, &format!("?since={}", second.next))
        .await
        .items
        .is_empty());

    for bad in [
        "?limit=0",
        "?limit=1001",
        "?since=-1",
        "?since=abc",
        "?agency_id=x",
    ] {
        let p = app
            .portal()
            .get::<Value>(&format!("/api/v1/public/changes/touchpoints{bad}"))
            .await
            .unwrap_err();
        assert_eq!(p.code, ErrorCode::InvalidParameter, "{bad}");
    }

    // the migration's backfill computes, over the published versions, what publication recorded
    let mut conn = app.pool.get().unwrap();
    let sql = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/2026-11-29-000004_external_ids/up.sql"
    ))
    .unwrap();
    let block = sql[sql.find("DO $$").unwrap()..]
        .replace("INSERT INTO touchpoint_changes (", "INSERT INTO backfill (");
    conn.batch_execute(
        "CREATE TEMP TABLE backfill (id bigserial, touchpoint_id uuid, agency_id uuid,
             version int, change text, created_at timestamptz, updated_at timestamptz)",
    )
    .unwrap();
    conn.batch_execute(&block).unwrap();
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let lines = |table: &str, conn: &mut diesel::PgConnection| -> Vec<Line> {
        diesel::sql_query(format!(
            "SELECT concat_ws(' ', touchpoint_id, agency_id, version, change, created_at) AS line
             FROM {table} ORDER BY id"
        ))
        .load(conn)
        .unwrap()
    };
    let recorded = lines("touchpoint_changes", &mut conn);
    assert_eq!(recorded.len(), 7);
    assert_eq!(lines("backfill", &mut conn), recorded);
}

#[actix_web::test]
async fn touchpoints_are_fetched_by_id_from_the_current_versions() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin();
    let (a, _, ap) = agency_with_points(&app, "Министерство труда", 3).await;
    let (b, _, bp) = agency_with_points(&app, "Министерство культуры", 1).await;
    publish(&admin, a).await;
    publish(&admin, b).await;
    admin
        .patch_point(ap[1].id, json!({"name": "Горячая линия"}))
        .await
        .unwrap();
    admin.delete_point(ap[0].id).await.unwrap();
    publish(&admin, a).await;
    // in the working copy only: not published yet
    let p = admin
        .create_process(b, ProcessSpec::function("Новый процесс"))
        .await
        .unwrap();
    let draft = admin
        .add_point(
            p.id,
            PointSpec::new("email", "Почта")
                .email("info@example.ru")
                .needs(&["consultation"]),
        )
        .await
        .unwrap();
    let unknown = Uuid::new_v4();

    let url = format!(
        "/api/v1/public/touchpoints?ids={},{},{unknown}&ids={}&ids={}&ids={}",
        ap[1].id, ap[0].id, bp[0].id, draft.id, ap[1].id
    );
    let resp = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "public, max-age=60");
    let list: PublicTouchpointList = resp.json().await.unwrap();
    let got: Vec<(Uuid, Uuid, i32)> = list
        .items
        .iter()
        .map(|t| (t.id, t.agency_id, t.version))
        .collect();
    assert_eq!(got, vec![(ap[1].id, a, 2), (bp[0].id, b, 1)]);
    assert_eq!(list.missing, vec![ap[0].id, unknown, draft.id]);
    let row = &list.items[0].row;
    assert_eq!(row.touchpoint.as_ref().unwrap().name, "Горячая линия");
    assert_eq!(row.process, "Прием обращений граждан");
    assert_eq!(
        list.items[0].url,
        format!("/api/v1/public/agencies/{a}/register")
    );

    let too_many: Vec<String> = (0..101).map(|_| Uuid::new_v4().to_string()).collect();
    for bad in [
        "".to_owned(),
        "?ids=".to_owned(),
        "?ids=not-a-uuid".to_owned(),
        format!("?ids={},x", ap[1].id),
        format!("?ids={}", too_many.join(",")),
    ] {
        let p = app
            .portal()
            .get::<Value>(&format!("/api/v1/public/touchpoints{bad}"))
            .await
            .unwrap_err();
        assert_eq!(p.code, ErrorCode::InvalidParameter, "{bad}");
        assert_eq!(p.errors[0].field, "ids");
    }
    // 100 is the limit, not past it
    let hundred: Vec<String> = (0..100).map(|_| Uuid::new_v4().to_string()).collect();
    let list: PublicTouchpointList = app
        .portal()
        .get(&format!(
            "/api/v1/public/touchpoints?ids={}",
            hundred.join(",")
        ))
        .await
        .unwrap();
    assert_eq!(list.missing.len(), 100);
}

async fn put(
    who: &As<'_>,
    path: &str,
    body: &Value,
    if_match: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    who.app
        .send(who.bearer(), Method::PUT, path, Some(body), if_match)
        .await
}

fn etag(h: &reqwest::header::HeaderMap) -> String {
    h["etag"].to_str().unwrap().to_owned()
}

async fn history_len(admin: &As<'_>, agency: Uuid) -> usize {
    let rev = admin.current_revision(agency).await.unwrap();
    let h: History = admin.history(&rev).await.unwrap();
    h.items.len()
}

#[actix_web::test]
async fn a_process_is_created_and_replaced_by_its_external_id() {
    let app = TestApp::spawn().await;
    let org = app
        .org("Министерство труда")
        .with_unit("Отдел")
        .build()
        .await;
    let (a, admin) = (org.id(), app.as_admin());
    let appeals = app.catalog_direction("appeals").await;
    let path = format!("/api/v1/agencies/{a}/processes/by-external-id/ptv:1001");
    let body = json!({"direction_id": appeals, "name": "Прием обращений", "kind": "function",
                      "client_type": "external"});

    // no such process, but a version named: nothing to match
    let (s, _, _) = put(&admin, &path, &body, Some("\"x\"")).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let (s, h, v) = put(&admin, &path, &body, None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let created: Process = serde_json::from_value(v).unwrap();
    assert_eq!(created.external_id.as_deref(), Some("ptv:1001"));
    assert_eq!(
        h["location"].to_str().unwrap(),
        format!("/api/v1/processes/{}", created.id)
    );
    let tag = etag(&h);
    let got: Process = admin
        .get(&format!("/api/v1/processes/{}", created.id))
        .await
        .unwrap();
    assert_eq!(got.external_id.as_deref(), Some("ptv:1001"));
    let entries = history_len(&admin, a).await;

    // the same PUT again: nothing written, the same ETag
    let (s, h, v) = put(&admin, &path, &body, Some(&tag)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(etag(&h), tag);
    let same: Process = serde_json::from_value(v).unwrap();
    assert_eq!(same.updated_at, created.updated_at);
    assert_eq!(history_len(&admin, a).await, entries);

    // a body that says something else replaces it (an omitted position keeps its place)
    let mut renamed = body.clone();
    renamed["name"] = json!("Прием и рассмотрение обращений");
    renamed["unit_id"] = json!(org.unit(0));
    let (s, _, v) = put(&admin, &path, &renamed, Some("\"stale\"")).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{v}");
    // the body is checked before If-Match
    let mut blank = renamed.clone();
    blank["name"] = json!("  ");
    let (s, _, v) = put(&admin, &path, &blank, Some("\"stale\"")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, h, v) = put(&admin, &path, &renamed, Some(&tag)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(etag(&h), tag);
    let replaced: Process = serde_json::from_value(v).unwrap();
    assert_eq!(replaced.id, created.id);
    assert_eq!(replaced.name, "Прием и рассмотрение обращений");
    assert_eq!(replaced.unit_id, Some(org.unit(0)));
    assert_eq!(replaced.position, created.position);
    assert_eq!(history_len(&admin, a).await, entries + 1);

    // the path's id is checked; the body has no external_id of its own
    let (s, _, v) = put(
        &admin,
        &format!("/api/v1/agencies/{a}/processes/by-external-id/a%20b"),
        &body,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "invalid_parameter");
    let mut with_id = body.clone();
    with_id["external_id"] = json!("other");
    let (s, _, _) = put(&admin, &path, &with_id, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // unique within the agency: POST and PATCH are refused it, naming the holder
    let p = admin
        .post::<Process>(
            &format!("/api/v1/agencies/{a}/processes"),
            json!({"direction_id": appeals, "name": "Другой", "kind": "function",
                   "client_type": "external", "external_id": "ptv:1001"}),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::AlreadyExists);
    assert_eq!(p.existing_id, Some(created.id));
    let other: Process = admin
        .post(
            &format!("/api/v1/agencies/{a}/processes"),
            json!({"direction_id": appeals, "name": "Другой", "kind": "function",
                   "client_type": "external", "external_id": "ptv:1002"}),
        )
        .await
        .unwrap();
    let p = admin
        .patch::<Process>(
            &format!("/api/v1/processes/{}", other.id),
            json!({"external_id": "ptv:1001"}),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::AlreadyExists);
    let dropped: Process = admin
        .patch(
            &format!("/api/v1/processes/{}", other.id),
            json!({"external_id": null}),
        )
        .await
        .unwrap();
    assert_eq!(dropped.external_id, None);
    let p = admin
        .patch::<Process>(
            &format!("/api/v1/processes/{}", other.id),
            json!({"external_id": "with space"}),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    // another agency has ids of its own
    let second = app.org("Министерство культуры").build().await;
    let (s, _, v) = put(
        &admin,
        &format!(
            "/api/v1/agencies/{}/processes/by-external-id/ptv:1001",
            second.id()
        ),
        &body,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // and someone of another agency may not write here
    let (s, _, _) = put(&second.submitter(), &path, &renamed, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_touchpoint_is_created_and_replaced_by_its_external_id_through_the_workflow() {
    let app = TestApp::spawn().await;
    let org = app.org("Министерство труда").build().await;
    let (a, admin) = (org.id(), app.as_admin());
    let p1 = admin
        .create_process(a, ProcessSpec::function("Прием обращений"))
        .await
        .unwrap();
    let p2 = admin
        .create_process(a, ProcessSpec::function("Выдача справок"))
        .await
        .unwrap();
    let path = format!(
        "/api/v1/processes/{}/points/by-external-id/mfc-05:tel-1",
        p1.id
    );
    let body = json!({"channel": "phone", "name": "Телефон",
                      "contacts": [{"kind": "phone", "value": "+7 8722 51-61-22"}],
                      "needs": ["progress", "consultation"]});

    let (s, h, v) = put(&admin, &path, &body, None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let created: Touchpoint = serde_json::from_value(v).unwrap();
    assert_eq!(created.external_id.as_deref(), Some("mfc-05:tel-1"));
    assert_eq!(
        h["location"].to_str().unwrap(),
        format!("/api/v1/points/{}", created.id)
    );
    let tag = etag(&h);
    let entries = history_len(&admin, a).await;
    // the same again (needs in another order are the same needs): nothing written
    let mut reordered = body.clone();
    reordered["needs"] = json!(["consultation", "progress"]);
    let (s, h, v) = put(&admin, &path, &reordered, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(etag(&h), tag);
    assert_eq!(history_len(&admin, a).await, entries);
    let got: Touchpoint = admin
        .get(&format!("/api/v1/points/{}", created.id))
        .await
        .unwrap();
    assert_eq!(got.external_id.as_deref(), Some("mfc-05:tel-1"));
    assert_eq!(got.updated_at, created.updated_at);

    // replaced: the lists replaced, the place kept
    let mut changed = body.clone();
    changed["needs"] = json!(["consultation"]);
    changed["interaction"] = json!("Консультации по телефону");
    let (s, _, _) = put(&admin, &path, &changed, Some("\"stale\"")).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let (s, h, v) = put(&admin, &path, &changed, Some(&tag)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(etag(&h), tag);
    let replaced: Touchpoint = serde_json::from_value(v).unwrap();
    assert_eq!(replaced.id, created.id);
    assert_eq!(replaced.needs, vec!["consultation"]);
    assert_eq!(replaced.position, created.position);
    assert_eq!(history_len(&admin, a).await, entries + 1);

    // unique within the agency: another process's PUT, POST and PATCH are refused it
    let (s, _, v) = put(
        &admin,
        &format!(
            "/api/v1/processes/{}/points/by-external-id/mfc-05:tel-1",
            p2.id
        ),
        &body,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "already_exists");
    assert_eq!(v["existing_id"], json!(created.id));
    let mut spec: Value = PointSpec::new("email", "Почта")
        .email("a@example.ru")
        .needs(&["consultation"])
        .into();
    spec["external_id"] = json!("mfc-05:tel-1");
    let p = admin
        .post::<Touchpoint>(&format!("/api/v1/processes/{}/points", p2.id), spec.clone())
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::AlreadyExists);
    spec["external_id"] = json!("mfc-05:mail-1");
    let mail: Touchpoint = admin
        .post(&format!("/api/v1/processes/{}/points", p2.id), spec)
        .await
        .unwrap();
    assert_eq!(mail.external_id.as_deref(), Some("mfc-05:mail-1"));
    let p = admin
        .patch_point(mail.id, json!({"external_id": "mfc-05:tel-1"}))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::AlreadyExists);
    // R7 holds as on create
    let (s, _, v) = put(
        &admin,
        &format!("/api/v1/processes/{}/points/by-external-id/dup", p1.id),
        &body,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "duplicate_touchpoint");

    // published content carries the external ids
    publish(&admin, a).await;
    let reg: Value = app
        .portal()
        .get(&format!("/api/v1/public/agencies/{a}/register"))
        .await
        .unwrap();
    let row = reg["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["touchpoint"]["id"] == json!(created.id))
        .unwrap()
        .clone();
    assert_eq!(row["touchpoint"]["external_id"], "mfc-05:tel-1");
    assert!(row.get("process_external_id").is_none(), "{row}");

    // like every edit, through the revision: once the part is submitted, a change is locked
    // out, while the same PUT changes nothing and says so
    let (s, _, v) = put(&admin, &path, &changed, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = put(&admin, &path, &body, None).await;
    assert_eq!(s, StatusCode::OK);
    let rev = admin.current_revision(a).await.unwrap();
    admin.submit(&rev, "agency").await.unwrap();
    let (s, _, v) = put(&admin, &path, &body, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, v) = put(&admin, &path, &changed, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "locked");
}
