//! The revision workflow through HTTP, with tokens of each role (R8–R12).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::auth::Role;

use crate::helpers::{assert_problem, token, TestApp};

struct Org {
    agency: String,
    u1: String,
    u2: String,
    s1: String,
    s2: String,
    approvers: [String; 3],
    publisher: String,
}

async fn setup(app: &TestApp, chain: &[&str]) -> Org {
    let a = app
        .agency("Министерство социальной политики и труда Удмуртской Республики")
        .await;
    let agency = a["id"].as_str().unwrap().to_owned();
    let (_, u1) = app
        .post(
            &format!("/api/v1/agencies/{agency}/units"),
            json!({"name": "Управление социальной поддержки"}),
        )
        .await;
    let (_, u2) = app
        .post(
            &format!("/api/v1/agencies/{agency}/units"),
            json!({"name": "Управление стратегического развития"}),
        )
        .await;
    let (s, _) = app.put(&format!("/api/v1/agencies/{agency}/workflow-settings"), json!({
        "review_days": 5, "return_days": 1, "fix_days": 5, "resubmit_days": 1, "consolidate_days": 2, "publish_days": 10,
        "yearly_month": 2, "yearly_day": 1, "quarterly_analysis": true, "approval_chain": chain
    })).await;
    assert_eq!(s, StatusCode::OK);
    let (u1, u2) = (
        u1["id"].as_str().unwrap().to_owned(),
        u2["id"].as_str().unwrap().to_owned(),
    );
    Org {
        s1: token("s1", &[Role::Submitter], Some(&agency), Some(&u1)),
        s2: token("s2", &[Role::Submitter], Some(&agency), Some(&u2)),
        approvers: ["a1", "a2", "a3"].map(|n| token(n, &[Role::Approver], Some(&agency), None)),
        publisher: token("p1", &[Role::Publisher], Some(&agency), None),
        agency,
        u1,
        u2,
    }
}

async fn call(
    app: &TestApp,
    tok: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.request_as(Some(tok), method, path, body.as_ref()).await
}

async fn ok(app: &TestApp, tok: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (s, v) = call(app, tok, method.clone(), path, body).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

fn part<'a>(revision: &'a Value, unit: &str) -> &'a Value {
    revision["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["unit_id"] == unit)
        .unwrap_or_else(|| panic!("no part {unit} in {revision}"))
}

#[actix_web::test]
async fn the_full_r10_loop_publishes_versions_with_history_and_diff() {
    let app = TestApp::spawn().await;
    let chain = ["Начальник управления", "Заместитель министра", "Министр"];
    let o = setup(&app, &chain).await;
    let appeals = app.catalog_direction("appeals").await;
    let a = &o.agency;

    // units fill in their parts; the first edit opens revision 1
    let p1 = ok(&app, &o.s1, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": o.u1, "name": "Назначение ежемесячной денежной выплаты", "kind": "service", "client_type": "external"}))).await;
    let p2 = ok(&app, &o.s2, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": o.u2, "name": "Рассмотрение обращений граждан", "kind": "function", "client_type": "external"}))).await;
    let (s, body) = call(&app, &o.s1, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": o.u2, "name": "Чужой процесс", "kind": "function", "client_type": "external"}))).await;
    assert_problem(s, &body, 403, "forbidden", None);
    let (p1, p2) = (
        p1["id"].as_str().unwrap().to_owned(),
        p2["id"].as_str().unwrap().to_owned(),
    );
    let t1 = ok(&app, &o.s1, Method::POST, &format!("/api/v1/processes/{p1}/points"), Some(json!({"channel": "epgu", "name": "ЕПГУ", "contacts": [{"kind": "url", "value": "https://www.gosuslugi.ru"}], "needs": ["submission"], "features": "Онлайн-точка"}))).await;
    let t2 = ok(&app, &o.s2, Method::POST, &format!("/api/v1/processes/{p2}/points"), Some(json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+7 (3412) 22-22-22"}], "needs": []}))).await;
    let (t1, t2) = (
        t1["id"].as_str().unwrap().to_owned(),
        t2["id"].as_str().unwrap().to_owned(),
    );

    let list = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    assert_eq!(list["total"], 1);
    let r1 = list["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["items"][0]["reason"], "other");
    assert_eq!(part(&list["items"][0], &o.u1)["status"], "draft");
    assert_eq!(part(&list["items"][0], &o.u2)["status"], "draft");

    // both units submit; a submitted part is read-only, and one unit cannot submit another's part
    let (s, body) = call(
        &app,
        &o.s1,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/submit", o.u2),
        None,
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);
    let r = ok(
        &app,
        &o.s1,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/submit", o.u1),
        None,
    )
    .await;
    assert_eq!(part(&r, &o.u1)["status"], "submitted");
    // unit 2's touchpoint lists no need (R5): the rule checker refuses the submission
    let (s, body) = call(
        &app,
        &o.s2,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/submit", o.u2),
        None,
    )
    .await;
    assert_problem(s, &body, 422, "findings_block_submission", None);
    assert_eq!(body["findings"][0]["rule"], "R5");
    assert_eq!(body["findings"][0]["touchpoint_id"], t2.as_str());
    ok(
        &app,
        &o.s2,
        Method::PATCH,
        &format!("/api/v1/points/{t2}"),
        Some(json!({"needs": ["consultation"]})),
    )
    .await;
    ok(
        &app,
        &o.s2,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/submit", o.u2),
        None,
    )
    .await;
    let (s, body) = call(
        &app,
        &o.s1,
        Method::PATCH,
        &format!("/api/v1/points/{t1}"),
        Some(json!({"name": "ЕПГУ (Госуслуги)"})),
    )
    .await;
    assert_problem(s, &body, 409, "locked", None);
    let (s, body) = call(
        &app,
        &o.s1,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/accept", o.u1),
        None,
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);

    // a bad body is refused for what it is, even with a stale If-Match (RFC 9110 §13.2.1)
    let too_long = "з".repeat(4001);
    let (s, _, body) = app
        .send(
            Some(&o.approvers[0]),
            Method::POST,
            &format!("/api/v1/revisions/{r1}/parts/{}/return", o.u2),
            Some(&json!({"remarks": [{"text": too_long}]})),
            Some("\"stale\""),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("remarks[0].text"));
    let (s, _, body) = app
        .send(
            Some(&o.approvers[0]),
            Method::POST,
            &format!("/api/v1/revisions/{r1}/parts/{}/return", o.u2),
            Some(&json!({"remarks": []})),
            Some("\"stale\""),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("remarks"));

    // the approver returns unit 2 with a remark on its touchpoint and accepts unit 1
    let r = ok(&app, &o.approvers[0], Method::POST, &format!("/api/v1/revisions/{r1}/parts/{}/return", o.u2), Some(json!({"remarks": [{"text": "Укажите также получение информации о ходе рассмотрения", "touchpoint_id": t2}]}))).await;
    assert_eq!(part(&r, &o.u2)["status"], "returned");
    assert_eq!(r["remarks"][0]["touchpoint_id"], t2.as_str());
    assert_eq!(r["remarks"][0]["author_name"], "Тест a1");
    ok(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/accept", o.u1),
        None,
    )
    .await;
    let (s, body) = call(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_problem(s, &body, 409, "invalid_transition", None);

    // unit 2 fixes and resubmits; the fix reopens its part as a draft
    ok(
        &app,
        &o.s2,
        Method::PATCH,
        &format!("/api/v1/points/{t2}"),
        Some(json!({"needs": ["consultation", "progress"]})),
    )
    .await;
    let r = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/revisions/{r1}"),
        None,
    )
    .await;
    assert_eq!(part(&r, &o.u2)["status"], "draft");
    ok(
        &app,
        &o.s2,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/submit", o.u2),
        None,
    )
    .await;
    let r = ok(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/parts/{}/accept", o.u2),
        None,
    )
    .await;
    assert!(r["all_accepted_at"].is_string());

    // the chain of three agreements, by three officials in order (R9)
    let r = ok(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_eq!(r["status"], "approving");
    assert_eq!(r["approvals"][0]["name"], chain[0]);
    assert_eq!(r["approvals"][0]["approved_by"], "a1");
    assert_eq!(r["approvals"][1]["approved_by"], Value::Null);
    let (s, body) = call(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_problem(s, &body, 409, "invalid_transition", None);
    let (s, body) = call(
        &app,
        &o.publisher,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);
    let (s, body) = call(
        &app,
        &o.s2,
        Method::PATCH,
        &format!("/api/v1/points/{t2}"),
        Some(json!({"name": "Телефон приёмной"})),
    )
    .await;
    assert_problem(s, &body, 409, "locked", None);
    ok(
        &app,
        &o.approvers[1],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    let (s, body) = call(
        &app,
        &o.publisher,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/publish"),
        None,
    )
    .await;
    assert_problem(s, &body, 409, "invalid_transition", None);
    let r = ok(
        &app,
        &o.approvers[2],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_eq!(r["status"], "approved");

    let (s, body) = call(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/revisions/{r1}/publish"),
        None,
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);
    let published = ok(
        &app,
        &o.publisher,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/publish"),
        None,
    )
    .await;
    assert_eq!(published["version"], 1);
    assert_eq!(published["revision"]["status"], "published");
    let sha1 = published["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha1.len(), 64);

    // revision 2, opened explicitly, carries one part per unit
    let r2 = ok(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/agencies/{a}/revisions"),
        Some(json!({"reason": "needs_changed", "comment": "Изменение потребностей"})),
    )
    .await;
    assert_eq!(r2["reason"], "needs_changed");
    assert_eq!(r2["number"], 2);
    let mut units: Vec<&str> = r2["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unit_id"].as_str().unwrap())
        .collect();
    units.sort();
    let mut want = vec![o.u1.as_str(), o.u2.as_str()];
    want.sort();
    assert_eq!(units, want);
    assert!(r2["parts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "draft"));
    let (s, body) = call(
        &app,
        &o.approvers[0],
        Method::POST,
        &format!("/api/v1/agencies/{a}/revisions"),
        Some(json!({"reason": "other", "comment": "ещё одна"})),
    )
    .await;
    assert_problem(s, &body, 409, "revision_in_progress", None);
    assert_eq!(body["existing_id"], r2["id"]);
    let r2 = r2["id"].as_str().unwrap().to_owned();

    ok(
        &app,
        &o.s1,
        Method::PATCH,
        &format!("/api/v1/points/{t1}"),
        Some(json!({"needs": ["submission", "result"]})),
    )
    .await;
    let t3 = ok(&app, &o.s1, Method::POST, &format!("/api/v1/processes/{p1}/points"), Some(json!({"channel": "mfc", "name": "МФЦ «Мои документы»", "needs": ["submission"], "features": "Офлайн-точка"}))).await;
    ok(
        &app,
        &o.s2,
        Method::DELETE,
        &format!("/api/v1/points/{t2}"),
        None,
    )
    .await;
    // process 2 without touchpoint would not pass the checker (R4): its phone is replaced by e-mail
    let t4 = ok(&app, &o.s2, Method::POST, &format!("/api/v1/processes/{p2}/points"), Some(json!({"channel": "email", "name": "Электронная почта", "contacts": [{"kind": "email", "value": "obr@minsoc18.ru"}], "needs": ["submission", "result"]}))).await;
    for (sub, unit) in [(&o.s1, &o.u1), (&o.s2, &o.u2)] {
        ok(
            &app,
            sub,
            Method::POST,
            &format!("/api/v1/revisions/{r2}/parts/{unit}/submit"),
            None,
        )
        .await;
        ok(
            &app,
            &o.approvers[0],
            Method::POST,
            &format!("/api/v1/revisions/{r2}/parts/{unit}/accept"),
            None,
        )
        .await;
    }
    for approver in &o.approvers {
        ok(
            &app,
            approver,
            Method::POST,
            &format!("/api/v1/revisions/{r2}/approve"),
            None,
        )
        .await;
    }
    let published = ok(
        &app,
        &o.publisher,
        Method::POST,
        &format!("/api/v1/revisions/{r2}/publish"),
        None,
    )
    .await;
    assert_eq!(published["version"], 2);

    // version 1 is archived and still readable, unchanged
    let versions = ok(
        &app,
        &o.s1,
        Method::GET,
        &format!("/api/v1/agencies/{a}/versions"),
        None,
    )
    .await;
    assert_eq!(versions["items"][0]["number"], 2);
    assert_eq!(versions["items"][0]["status"], "current");
    assert_eq!(versions["items"][1]["status"], "archived");
    let (s, headers, v1) = app
        .send(
            Some(&o.s1),
            Method::GET,
            &format!("/api/v1/agencies/{a}/versions/1"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v1["sha256"], sha1.as_str());
    assert_eq!(headers["x-content-sha256"], sha1.as_str());
    assert_eq!(v1["status"], "archived");
    let rows = v1["content"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(v1["content"]["columns"][3], "Точка взаимодействия");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["touchpoint"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ЕПГУ", "Телефон"]);

    // the diff lists exactly what changed
    let diff = ok(
        &app,
        &o.s1,
        Method::GET,
        &format!("/api/v1/agencies/{a}/versions/diff?from=1&to=2"),
        None,
    )
    .await;
    let added: Vec<&Value> = diff["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["touchpoint"]["id"])
        .collect();
    assert_eq!(added, vec![&t3["id"], &t4["id"]], "{diff}");
    assert_eq!(diff["removed"].as_array().unwrap().len(), 1);
    assert_eq!(diff["removed"][0]["touchpoint"]["id"], t2.as_str());
    assert_eq!(
        diff["changed"],
        json!([{"key": t1, "process": "Назначение ежемесячной денежной выплаты", "touchpoint": "ЕПГУ", "fields": [{"field": "needs", "before": ["submission"], "after": ["submission", "result"]}]}])
    );

    // the history of revision 1: every transition, remark and edit, in order, with who
    let history = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/revisions/{r1}/history"),
        None,
    )
    .await;
    let actions: Vec<String> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}:{}:{}",
                h["actor"].as_str().unwrap(),
                h["entity"].as_str().unwrap(),
                h["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            "s1:revision:open",
            "s1:process:create",
            "s2:process:create",
            "s1:touchpoint:create",
            "s2:touchpoint:create",
            "s1:part:submit",
            "s2:touchpoint:update",
            "s2:part:submit",
            "a1:part:return",
            "a1:remark:create",
            "a1:part:accept",
            "s2:part:reopen",
            "s2:touchpoint:update",
            "s2:part:submit",
            "a1:part:accept",
            "a1:revision:approve",
            "a2:revision:approve",
            "a3:revision:approve",
            "p1:revision:publish",
        ]
    );
    let updates: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "update")
        .collect();
    assert_eq!(updates[0]["before"]["needs"], json!([]));
    assert_eq!(updates[0]["after"]["needs"], json!(["consultation"]));
    assert_eq!(
        updates[1]["after"]["needs"],
        json!(["consultation", "progress"])
    );
}

#[actix_web::test]
async fn stale_if_match_loses_and_concurrent_transitions_are_serialised() {
    let app = TestApp::spawn().await;
    let o = setup(&app, &[]).await;
    let appeals = app.catalog_direction("appeals").await;
    let a = &o.agency;
    let p = ok(&app, &o.s1, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": o.u1, "name": "Приём обращений", "kind": "function", "client_type": "external"}))).await;
    let pid = p["id"].as_str().unwrap();
    let t = ok(&app, &o.s1, Method::POST, &format!("/api/v1/processes/{pid}/points"), Some(json!({"channel": "email", "name": "Почта", "contacts": [{"kind": "email", "value": "mintrud@udm.gov.ru"}], "needs": ["submission"]}))).await;
    let tid = t["id"].as_str().unwrap();
    let (_, headers, _) = app
        .send(
            Some(&o.s1),
            Method::GET,
            &format!("/api/v1/points/{tid}"),
            None,
            None,
        )
        .await;
    let etag = headers["etag"].to_str().unwrap().to_owned();

    // two editors with the same ETag at once: exactly one wins, the other gets 412, nothing is lost
    let mut handles = Vec::new();
    for (i, needs) in [json!(["information"]), json!(["consultation"])]
        .into_iter()
        .enumerate()
    {
        let (client, url, tok, etag) = (
            app.client.clone(),
            app.url(&format!("/api/v1/points/{tid}")),
            o.s1.clone(),
            etag.clone(),
        );
        handles.push(actix_web::rt::spawn(async move {
            let r = client
                .patch(url)
                .bearer_auth(tok)
                .header("if-match", etag)
                .json(&json!({"needs": needs, "name": format!("Почта {i}")}))
                .send()
                .await
                .unwrap();
            r.status()
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap().as_u16());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 412]);
    let (_, now) = app.get(&format!("/api/v1/points/{tid}")).await;
    let winner = now["name"]
        .as_str()
        .unwrap()
        .trim_start_matches("Почта ")
        .parse::<usize>()
        .unwrap();
    assert_eq!(
        now["needs"],
        [json!(["information"]), json!(["consultation"])][winner],
        "the winner's change is whole"
    );

    // a process PATCH with a stale tag is refused
    let (s, _, body) = app
        .send(
            Some(&o.s1),
            Method::PATCH,
            &format!("/api/v1/processes/{pid}"),
            Some(&json!({"name": "x"})),
            Some("\"0\""),
        )
        .await;
    assert_problem(s, &body, 412, "precondition_failed", None);

    // N parallel submits of different parts all land
    let mut units = vec![o.u1.clone(), o.u2.clone()];
    for i in 0..4 {
        let (_, u) = app
            .post(
                &format!("/api/v1/agencies/{a}/units"),
                json!({"name": format!("Отдел {i}")}),
            )
            .await;
        units.push(u["id"].as_str().unwrap().to_owned());
    }
    for u in &units[1..] {
        let sub = token("s-any", &[Role::Submitter], Some(a), Some(u));
        let p = ok(&app, &sub, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": u, "name": format!("Процесс {u}"), "kind": "function", "client_type": "internal"}))).await;
        ok(
            &app,
            &sub,
            Method::POST,
            &format!("/api/v1/processes/{}/points", p["id"].as_str().unwrap()),
            Some(
                json!({"channel": "workplace", "name": "Рабочее место", "needs": ["consultation"]}),
            ),
        )
        .await;
    }
    let rev = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    let rid = rev["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        rev["items"][0]["parts"].as_array().unwrap().len(),
        units.len()
    );
    let submitter = token("s-all", &[Role::Submitter], Some(a), None);
    let mut handles = Vec::new();
    for u in &units {
        let (client, url, tok) = (
            app.client.clone(),
            app.url(&format!("/api/v1/revisions/{rid}/parts/{u}/submit")),
            submitter.clone(),
        );
        handles.push(actix_web::rt::spawn(async move {
            client
                .post(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 200);
    }
    let r = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/revisions/{rid}"),
        None,
    )
    .await;
    assert!(
        r["parts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "submitted"),
        "{r}"
    );
    for u in &units {
        ok(
            &app,
            &o.approvers[0],
            Method::POST,
            &format!("/api/v1/revisions/{rid}/parts/{u}/accept"),
            None,
        )
        .await;
    }

    // two approvers at once on a one-step chain: one approves, the other is told it is too late
    let mut handles = Vec::new();
    for tok in [o.approvers[0].clone(), o.approvers[1].clone()] {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/v1/revisions/{rid}/approve")),
        );
        handles.push(actix_web::rt::spawn(async move {
            client
                .post(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let history = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/revisions/{rid}/history"),
        None,
    )
    .await;
    assert_eq!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "approve")
            .count(),
        1
    );
}

#[actix_web::test]
async fn deadlines_count_working_days_and_flag_overdue() {
    let app = TestApp::spawn().await;
    let o = setup(&app, &[]).await;
    let a = &o.agency;
    let appeals = app.catalog_direction("appeals").await;
    let p = ok(&app, &o.s1, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": appeals, "unit_id": o.u1, "name": "Приём обращений", "kind": "function", "client_type": "external"}))).await;
    let rev = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    let rid = rev["items"][0]["id"].as_str().unwrap().to_owned();
    // a process without touchpoint (R4) cannot be submitted
    let (s, body) = call(
        &app,
        &o.s1,
        Method::POST,
        &format!("/api/v1/revisions/{rid}/parts/{}/submit", o.u1),
        None,
    )
    .await;
    assert_problem(s, &body, 422, "findings_block_submission", None);
    assert_eq!(body["findings"][0]["rule"], "R4");
    let findings = ok(
        &app,
        &o.s1,
        Method::GET,
        &format!("/api/v1/revisions/{rid}/findings"),
        None,
    )
    .await;
    assert_eq!(findings["errors"], 1);
    ok(&app, &o.s1, Method::POST, &format!("/api/v1/processes/{}/points", p["id"].as_str().unwrap()), Some(json!({"channel": "internet_reception", "name": "Интернет-приёмная", "contacts": [{"kind": "url", "value": "https://minsoc18.ru/reception"}], "needs": ["submission"]}))).await;
    ok(
        &app,
        &o.s1,
        Method::POST,
        &format!("/api/v1/revisions/{rid}/parts/{}/submit", o.u1),
        None,
    )
    .await;

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive();
    let d = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/agencies/{a}/deadlines?on={today}"),
        None,
    )
    .await;
    let review = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "review")
        .unwrap()
        .clone();
    assert_eq!(review["unit_id"], o.u1.as_str());
    assert_eq!(review["responsible_role"], "approver");
    assert_eq!(review["overdue"], false);
    assert_eq!(review["working_days_left"], 5);
    let cal = touchpoints::calendar::WorkCalendar::official();
    assert_eq!(review["due"], cal.add_working_days(today, 5).to_string());
    // a month later the review is overdue, and the dashboard lists the agency
    let later = today + chrono::Duration::days(31);
    let d = ok(
        &app,
        &o.approvers[0],
        Method::GET,
        &format!("/api/v1/agencies/{a}/deadlines?on={later}"),
        None,
    )
    .await;
    assert!(d["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "review" && i["overdue"] == true));
    assert!(d["overdue"].as_i64().unwrap() >= 1);
    let overview = ok(
        &app,
        &app.admin.clone(),
        Method::GET,
        &format!("/api/v1/deadlines?on={later}"),
        None,
    )
    .await;
    assert!(overview["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["agency_id"] == a.as_str()));
    // the overview reads every agency's facts at once: each agency's items are exactly what its
    // own report says (a second agency, with no revision, must not borrow the first one's)
    app.agency("Министерство без пересмотра").await;
    let everyone = ok(
        &app,
        &app.admin.clone(),
        Method::GET,
        &format!("/api/v1/deadlines?on={later}&all=true"),
        None,
    )
    .await;
    assert!(
        everyone["items"].as_array().unwrap().len() >= 2,
        "{everyone}"
    );
    for item in everyone["items"].as_array().unwrap() {
        let id = item["agency_id"].as_str().unwrap();
        let own = ok(
            &app,
            &app.admin.clone(),
            Method::GET,
            &format!("/api/v1/agencies/{id}/deadlines?on={later}"),
            None,
        )
        .await;
        assert_eq!(
            (&item["items"], &item["overdue"]),
            (&own["items"], &own["overdue"]),
            "{id}"
        );
    }
    let (s, body) = call(
        &app,
        &o.s1,
        Method::GET,
        "/api/v1/agencies/00000000-0000-0000-0000-000000000000/deadlines",
        None,
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);
}

#[actix_web::test]
async fn the_calendar_ships_the_official_years_and_admins_edit_it() {
    let app = TestApp::spawn().await;
    for (year, working) in [(2024, 248), (2025, 247), (2026, 247)] {
        let (s, cal) = app.get(&format!("/api/v1/calendar?year={year}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(cal["working_days"], working, "{year}");
    }
    let (_, y) = app.get("/api/v1/calendar?year=2024").await;
    assert!(
        y["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2024-04-27" && d["working"] == true),
        "the transferred working Saturday"
    );
    let (s, day) = app
        .put(
            "/api/v1/calendar/2026-06-15",
            json!({"working": false, "name": "Региональный праздник"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{day}");
    let (_, y) = app.get("/api/v1/calendar?year=2026").await;
    assert_eq!(y["working_days"], 246);
    let (s, body) = app
        .put(
            "/api/v1/calendar/2026-06-16",
            json!({"working": true, "name": "x"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("working"));
    let (s, _) = app.delete("/api/v1/calendar/2026-06-15").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.delete("/api/v1/calendar/2026-06-15").await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app.get("/api/v1/calendar?year=12").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let user = token(
        "u",
        &[Role::Approver],
        Some(&uuid::Uuid::new_v4().to_string()),
        None,
    );
    let (s, body) = call(
        &app,
        &user,
        Method::PUT,
        "/api/v1/calendar/2026-06-15",
        Some(json!({"working": false, "name": "x"})),
    )
    .await;
    assert_problem(s, &body, 403, "forbidden", None);
}
