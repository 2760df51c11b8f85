//! The revision workflow through HTTP, with tokens of each role (R8–R12).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::auth::Role;

use touchpoints::domain::state::{PartStatus, RevisionStatus};
use touchpoints::error::{ErrorCode, Problem};
use touchpoints::workflow::model::{Revision, RevisionReason};
use touchpoints::workflow::snapshot::RegisterRow;
use uuid::Uuid;

use crate::client::{part, Org, PointSpec, ProblemExt, ProcessSpec};
use touchpoints::touchpoints::model::Touchpoint;
use touchpoints::units::model::Unit;

use crate::helpers::{assert_problem, token, TestApp};

/// The ministry of the R10 loop: two units and a chain of three agreements.
async fn ministry<'a>(app: &'a TestApp, chain: &[&str]) -> Org<'a> {
    app.org("Министерство социальной политики и труда Удмуртской Республики")
        .with_unit("Управление социальной поддержки")
        .with_unit("Управление стратегического развития")
        .with_chain(chain)
        .build()
        .await
}

#[actix_web::test]
async fn the_full_r10_loop_publishes_versions_with_history_and_diff() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let chain = ["Начальник управления", "Заместитель министра", "Министр"];
    let org = ministry(&app, &chain).await;
    let (a, u1, u2) = (org.id(), org.unit(0), org.unit(1));
    let (s1, s2) = (org.submitter_of(0), org.submitter_of(1));
    let [a1, a2, a3] = ["a1", "a2", "a3"].map(|n| org.approver(n));
    let publisher = org.publisher();

    // units fill in their parts; the first edit opens revision 1
    let monthly = "Назначение ежемесячной денежной выплаты";
    let p1 = s1
        .create_process(a, ProcessSpec::service(monthly).of(u1))
        .await?;
    let appeals = ProcessSpec::function("Рассмотрение обращений граждан").of(u2);
    let p2 = s2.create_process(a, appeals).await?;
    let foreign = ProcessSpec::function("Чужой процесс").of(u2);
    let p = s1.create_process(a, foreign).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let epgu = PointSpec::new("epgu", "ЕПГУ")
        .url("https://www.gosuslugi.ru")
        .needs(&["submission"])
        .features("Онлайн-точка");
    let t1 = s1.add_point(p1.id, epgu).await?;
    let phone = PointSpec::new("phone", "Телефон").phone("+7 (3412) 22-22-22");
    let t2 = s2.add_point(p2.id, phone).await?;

    let list = a1.revisions(a).await?;
    assert_eq!(list.total, 1);
    let r1 = &list.items[0];
    assert_eq!(r1.reason, RevisionReason::Other);
    assert_eq!(part(r1, u1).status, PartStatus::Draft);
    assert_eq!(part(r1, u2).status, PartStatus::Draft);

    // both units submit; a submitted part is read-only, and one unit cannot submit another's part
    let p = s1.submit(r1, u2).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let r = s1.submit(r1, u1).await?;
    assert_eq!(part(&r, u1).status, PartStatus::Submitted);
    // unit 2's touchpoint lists no need (R5): the rule checker refuses the submission
    let p = s2.submit(r1, u2).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::FindingsBlockSubmission);
    assert_eq!(p.findings[0].rule, "R5");
    assert_eq!(p.findings[0].touchpoint_id, Some(t2.id));
    s2.patch_point(t2.id, json!({"needs": ["consultation"]}))
        .await?;
    s2.submit(r1, u2).await?;
    let p = s1
        .patch_point(t1.id, json!({"name": "ЕПГУ (Госуслуги)"}))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Locked);
    let p = s1.accept(r1, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);

    // a bad body is refused for what it is, even with a stale If-Match (RFC 9110 §13.2.1)
    let return_u2 = format!("/api/v1/revisions/{}/parts/{u2}/return", r1.id);
    let too_long = json!({"remarks": [{"text": "з".repeat(4001)}]});
    for (body, field) in [
        (too_long, "remarks[0].text"),
        (json!({"remarks": []}), "remarks"),
    ] {
        let p = a1
            .call_if_match::<Revision>(Method::POST, &return_u2, Some(body), Some("\"stale\""))
            .await
            .unwrap_err();
        assert_eq!(p.code, ErrorCode::ValidationFailed);
        assert!(p.fields().contains(&field), "{field}: {p:?}");
    }

    // the approver returns unit 2 with a remark on its touchpoint and accepts unit 1
    let remark = "Укажите также получение информации о ходе рассмотрения";
    let r = a1
        .return_part(r1, u2, json!([{"text": remark, "touchpoint_id": t2.id}]))
        .await?;
    assert_eq!(part(&r, u2).status, PartStatus::Returned);
    assert_eq!(r.remarks[0].touchpoint_id, Some(t2.id));
    assert_eq!(r.remarks[0].author_name, "Тест a1");
    a1.accept(r1, u1).await?;
    let p = a1.approve(r1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);

    // unit 2 fixes and resubmits; the fix reopens its part as a draft
    s2.patch_point(t2.id, json!({"needs": ["consultation", "progress"]}))
        .await?;
    let r = a1.revision(r1).await?;
    assert_eq!(part(&r, u2).status, PartStatus::Draft);
    s2.submit(r1, u2).await?;
    let r = a1.accept(r1, u2).await?;
    assert!(r.all_accepted_at.is_some());

    // the chain of three agreements, by three officials in order (R9)
    let r = a1.approve(r1).await?;
    assert_eq!(r.status, RevisionStatus::Approving);
    assert_eq!(r.approvals[0].name, chain[0]);
    assert_eq!(r.approvals[0].approved_by.as_deref(), Some("a1"));
    assert_eq!(r.approvals[1].approved_by, None);
    let p = a1.approve(r1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let p = publisher.approve(r1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let p = s2
        .patch_point(t2.id, json!({"name": "Телефон приёмной"}))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Locked);
    a2.approve(r1).await?;
    let p = publisher.publish(r1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let r = a3.approve(r1).await?;
    assert_eq!(r.status, RevisionStatus::Approved);

    let p = a1.publish(r1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let published = publisher.publish(r1).await?;
    assert_eq!(published.version, 1);
    assert_eq!(published.revision.status, RevisionStatus::Published);
    let sha1 = published.sha256;
    assert_eq!(sha1.len(), 64);

    // revision 2, opened explicitly, carries one part per unit
    let r2 = a1
        .open_revision(a, "needs_changed", "Изменение потребностей")
        .await?;
    assert_eq!(r2.reason, RevisionReason::NeedsChanged);
    assert_eq!(r2.number, 2);
    let mut units: Vec<String> = r2.parts.iter().map(|p| p.unit_id.clone()).collect();
    units.sort();
    let mut want = vec![u1.to_string(), u2.to_string()];
    want.sort();
    assert_eq!(units, want);
    assert!(r2.parts.iter().all(|p| p.status == PartStatus::Draft));
    let p = a1.open_revision(a, "other", "ещё одна").await.unwrap_err();
    assert_eq!(p.code, ErrorCode::RevisionInProgress);
    assert_eq!(p.existing_id, Some(r2.id));

    s1.patch_point(t1.id, json!({"needs": ["submission", "result"]}))
        .await?;
    let mfc = PointSpec::new("mfc", "МФЦ «Мои документы»")
        .needs(&["submission"])
        .features("Офлайн-точка");
    let t3 = s1.add_point(p1.id, mfc).await?;
    s2.delete_point(t2.id).await?;
    // process 2 without touchpoint would not pass the checker (R4): its phone is replaced by e-mail
    let email = PointSpec::new("email", "Электронная почта")
        .email("obr@minsoc18.ru")
        .needs(&["submission", "result"]);
    let t4 = s2.add_point(p2.id, email).await?;
    let published = org.publish_all(&r2, &["a1", "a2", "a3"]).await;
    assert_eq!(published.version, 2);

    // version 1 is archived and still readable, unchanged
    let versions = s1.versions(a).await?;
    assert_eq!(versions.items[0].number, 2);
    assert_eq!(versions.items[0].status, "current");
    assert_eq!(versions.items[1].status, "archived");
    let v1_path = format!("/api/v1/agencies/{a}/versions/1");
    let (s, headers, _) = app
        .send(Some(&s1.token), Method::GET, &v1_path, None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["x-content-sha256"], sha1.as_str());
    let v1 = s1.version(a, 1).await?;
    assert_eq!(v1.summary.sha256, sha1);
    assert_eq!(v1.summary.status, "archived");
    let rows = &v1.content.rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(v1.content.columns[3], "Точка взаимодействия");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r.touchpoint.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, vec!["ЕПГУ", "Телефон"]);

    // the diff lists exactly what changed
    let diff = s1.diff(a, 1, 2).await?;
    let point_id = |r: &RegisterRow| r.touchpoint.as_ref().unwrap().id;
    let added: Vec<Uuid> = diff.added.iter().map(point_id).collect();
    assert_eq!(added, vec![t3.id, t4.id], "{diff:?}");
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(point_id(&diff.removed[0]), t2.id);
    assert_eq!(
        serde_json::to_value(&diff.changed).unwrap(),
        json!([{"key": t1.id, "process": monthly, "touchpoint": "ЕПГУ", "fields": [
            {"field": "needs", "before": ["submission"], "after": ["submission", "result"]}
        ]}])
    );

    // the history of revision 1: every transition, remark and edit, in order, with who
    let history = a1.history(r1).await?;
    let actions: Vec<String> = history
        .items
        .iter()
        .map(|h| format!("{}:{}:{}", h.actor, h.entity, h.action))
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
    let updates: Vec<_> = history
        .items
        .iter()
        .filter(|h| h.action == "update")
        .collect();
    let needs = |v: &Option<Value>| v.as_ref().unwrap()["needs"].clone();
    assert_eq!(needs(&updates[0].before), json!([]));
    assert_eq!(needs(&updates[0].after), json!(["consultation"]));
    assert_eq!(
        needs(&updates[1].after),
        json!(["consultation", "progress"])
    );
    Ok(())
}

/// Spawns a request on the runtime; answers its status.
fn race(rb: reqwest::RequestBuilder) -> actix_web::rt::task::JoinHandle<u16> {
    actix_web::rt::spawn(async move { rb.send().await.unwrap().status().as_u16() })
}

async fn sorted(handles: Vec<actix_web::rt::task::JoinHandle<u16>>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    statuses.sort();
    statuses
}

#[actix_web::test]
async fn stale_if_match_loses_and_concurrent_transitions_are_serialised() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app, &[]).await;
    let (a, s1, a1) = (org.id(), org.submitter_of(0), org.approver("a1"));
    let p = s1
        .create_process(a, ProcessSpec::function("Приём обращений").of(org.unit(0)))
        .await?;
    let mail = PointSpec::new("email", "Почта")
        .email("mintrud@udm.gov.ru")
        .needs(&["submission"]);
    let t = s1.add_point(p.id, mail).await?;
    let point = format!("/api/v1/points/{}", t.id);
    let (_, headers, _) = app
        .send(Some(&s1.token), Method::GET, &point, None, None)
        .await;
    let etag = headers["etag"].to_str().unwrap().to_owned();

    // two editors with the same ETag at once: exactly one wins, the other gets 412, nothing is lost
    let needs = [json!(["information"]), json!(["consultation"])];
    let handles = (0..2)
        .map(|i| {
            let body = json!({"needs": needs[i], "name": format!("Почта {i}")});
            race(
                app.client
                    .patch(app.url(&point))
                    .bearer_auth(&s1.token)
                    .header("if-match", &etag)
                    .json(&body),
            )
        })
        .collect();
    assert_eq!(sorted(handles).await, vec![200, 412]);
    let now: Touchpoint = app.as_admin().get(&point).await?;
    let winner: usize = now.name.trim_start_matches("Почта ").parse().unwrap();
    assert_eq!(
        json!(now.needs),
        needs[winner],
        "the winner's change is whole"
    );

    // a process PATCH with a stale tag is refused
    let p = s1
        .call_if_match::<Value>(
            Method::PATCH,
            &format!("/api/v1/processes/{}", p.id),
            Some(json!({"name": "x"})),
            Some("\"0\""),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::PreconditionFailed);

    // N parallel submits of different parts all land
    let mut units = vec![org.unit(0), org.unit(1)];
    for i in 0..4 {
        let body = json!({"name": format!("Отдел {i}")});
        let u: Unit = app
            .as_admin()
            .post(&format!("/api/v1/agencies/{a}/units"), body)
            .await?;
        units.push(u.id);
    }
    for u in &units[1..] {
        let sub = org.submitter_named("s-any", Some(*u));
        let spec = ProcessSpec::function(format!("Процесс {u}"))
            .of(*u)
            .internal();
        let p = sub.create_process(a, spec).await?;
        let workplace = PointSpec::new("workplace", "Рабочее место").needs(&["consultation"]);
        sub.add_point(p.id, workplace).await?;
    }
    let rev = a1.current_revision(a).await?;
    assert_eq!(rev.parts.len(), units.len());
    let submitter = org.submitter_named("s-all", None);
    let handles = units
        .iter()
        .map(|u| {
            let url = app.url(&format!("/api/v1/revisions/{}/parts/{u}/submit", rev.id));
            race(app.client.post(url).bearer_auth(&submitter.token))
        })
        .collect::<Vec<_>>();
    for status in sorted(handles).await {
        assert_eq!(status, 200);
    }
    let r = a1.revision(&rev).await?;
    assert!(
        r.parts.iter().all(|p| p.status == PartStatus::Submitted),
        "{r:?}"
    );
    for u in &units {
        a1.accept(&rev, u).await?;
    }

    // two approvers at once on a one-step chain: one approves, the other is told it is too late
    let url = app.url(&format!("/api/v1/revisions/{}/approve", rev.id));
    let handles = ["a1", "a2"]
        .map(|n| race(app.client.post(&url).bearer_auth(org.approver(n).token)))
        .into();
    assert_eq!(sorted(handles).await, vec![200, 409]);
    let history = a1.history(&rev).await?;
    let approvals = history.items.iter().filter(|h| h.action == "approve");
    assert_eq!(approvals.count(), 1);
    Ok(())
}

#[actix_web::test]
async fn deadlines_count_working_days_and_flag_overdue() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app, &[]).await;
    let (a, u1, s1, a1, admin) = (
        org.id(),
        org.unit(0),
        org.submitter_of(0),
        org.approver("a1"),
        app.as_admin(),
    );
    let p = s1
        .create_process(a, ProcessSpec::function("Приём обращений").of(u1))
        .await?;
    let rev = a1.current_revision(a).await?;
    // a process without touchpoint (R4) cannot be submitted
    let p_err = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p_err.code, ErrorCode::FindingsBlockSubmission);
    assert_eq!(p_err.findings[0].rule, "R4");
    let findings: Value = s1
        .get(&format!("/api/v1/revisions/{}/findings", rev.id))
        .await?;
    assert_eq!(findings["errors"], 1);
    let reception = PointSpec::new("internet_reception", "Интернет-приёмная")
        .url("https://minsoc18.ru/reception")
        .needs(&["submission"]);
    s1.add_point(p.id, reception).await?;
    s1.submit(&rev, u1).await?;

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive();
    let d: Value = a1
        .get(&format!("/api/v1/agencies/{a}/deadlines?on={today}"))
        .await?;
    let items = d["items"].as_array().unwrap();
    let review = items.iter().find(|i| i["kind"] == "review").unwrap();
    assert_eq!(review["unit_id"], u1.to_string());
    assert_eq!(review["responsible_role"], "approver");
    assert_eq!(review["overdue"], false);
    assert_eq!(review["working_days_left"], 5);
    let cal = touchpoints::calendar::WorkCalendar::official();
    assert_eq!(review["due"], cal.add_working_days(today, 5).to_string());
    // a month later the review is overdue, and the dashboard lists the agency
    let later = today + chrono::Duration::days(31);
    let d: Value = a1
        .get(&format!("/api/v1/agencies/{a}/deadlines?on={later}"))
        .await?;
    let items = d["items"].as_array().unwrap();
    assert!(items
        .iter()
        .any(|i| i["kind"] == "review" && i["overdue"] == true));
    assert!(d["overdue"].as_i64().unwrap() >= 1);
    let overview: Value = admin.get(&format!("/api/v1/deadlines?on={later}")).await?;
    let items = overview["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["agency_id"] == a.to_string()));
    // the overview reads every agency's facts at once: each agency's items are exactly what its
    // own report says (a second agency, with no revision, must not borrow the first one's)
    app.agency("Министерство без пересмотра").await;
    let everyone: Value = admin
        .get(&format!("/api/v1/deadlines?on={later}&all=true"))
        .await?;
    let items = everyone["items"].as_array().unwrap();
    assert!(items.len() >= 2, "{everyone}");
    for item in items {
        let id = item["agency_id"].as_str().unwrap();
        let own: Value = admin
            .get(&format!("/api/v1/agencies/{id}/deadlines?on={later}"))
            .await?;
        assert_eq!(
            (&item["items"], &item["overdue"]),
            (&own["items"], &own["overdue"]),
            "{id}"
        );
    }
    let nobody = "/api/v1/agencies/00000000-0000-0000-0000-000000000000/deadlines";
    let p = s1.get::<Value>(nobody).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    Ok(())
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
    let p = app
        .with_token(user)
        .put::<Value>(
            "/api/v1/calendar/2026-06-15",
            json!({"working": false, "name": "x"}),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
}
