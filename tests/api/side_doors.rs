//! Everything a published register prints changes only through the workflow: a direction's
//! name, a unit's name, the agency's heading and its channel rule are edits of the working copy
//! of the parts they touch (issue «Hostile input and hostile neighbours», point 4).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::domain::state::RevisionStatus;
use touchpoints::error::{ErrorCode, Problem};

use crate::client::{As, PointSpec, ProcessSpec};
use crate::helpers::TestApp;

/// A change the register prints, refused while the revision is being approved.
async fn refused(who: &As<'_>, method: Method, path: &str, body: Value) -> ErrorCode {
    who.call::<Value>(method, path, Some(body))
        .await
        .expect_err(path)
        .code
}

#[actix_web::test]
async fn renames_and_rules_that_change_the_register_go_through_the_workflow() -> Result<(), Problem>
{
    let app = TestApp::spawn().await;
    let supervision = "Региональный надзор в области защиты от ЧС";
    let org = app
        .org("МЧС Республики Дагестан")
        .with_unit("Отдел надзорной деятельности")
        .with_unit("Отдел информирования")
        .with_direction(supervision)
        .build()
        .await;
    let (a, u1, u2, direction) = (org.id(), org.unit(0), org.unit(1), org.directions[0].id);
    let (admin, s1, s_all, approver) = (
        org.admin(),
        org.submitter_of(0),
        org.submitter(),
        org.approver("a1"),
    );

    // two units file a process under the agency's own direction; unit 1's phone leaves column 6
    // empty, so it prints the agency's rule for phones
    for (unit, name) in [
        (u1, "Плановая выездная проверка"),
        (u2, "Информирование населения"),
    ] {
        let spec = ProcessSpec::function(name).of(unit).under(direction);
        let p = s_all.create_process(a, spec).await?;
        let phone = PointSpec::new("phone", "Телефон")
            .phone("+7 (8722) 55-05-28")
            .needs(&["consultation"]);
        s_all.add_point(p.id, phone).await?;
    }
    let r1 = approver.current_revision(a).await?;
    let r = org.approve_all(&r1, &["a1"]).await;
    assert_eq!(r.status, RevisionStatus::Approved);

    // the approved register cannot be changed behind the workflow's back
    let (direction_path, unit_path, agency_path, rule_path) = (
        format!("/api/v1/directions/{direction}"),
        format!("/api/v1/units/{u1}"),
        format!("/api/v1/agencies/{a}"),
        format!("/api/v1/agencies/{a}/channel-rules/phone"),
    );
    let rename = json!({"name": "Надзор (переименован)"});
    // unit 1's submitter may not rewrite unit 2's rows
    let code = refused(&s1, Method::PATCH, &direction_path, rename.clone()).await;
    assert_eq!(code, ErrorCode::Forbidden);
    let code = refused(&s_all, Method::PATCH, &direction_path, rename).await;
    assert_eq!(code, ErrorCode::Locked);
    for (method, path, body) in [
        (
            Method::PATCH,
            &unit_path,
            json!({"name": "Отдел (переименован)"}),
        ),
        (
            Method::PATCH,
            &agency_path,
            json!({"name": "МЧС (переименовано)"}),
        ),
        (Method::PUT, &rule_path, json!({"mode": "offline"})),
    ] {
        assert_eq!(
            refused(&admin, method, path, body).await,
            ErrorCode::Locked,
            "{path}"
        );
    }
    // what the register does not print stays free: a unit's responsible persons, the agency's kind
    admin
        .patch::<Value>(&unit_path, json!({"responsible_persons": []}))
        .await?;
    admin
        .patch::<Value>(&agency_path, json!({"kind": "agency"}))
        .await?;

    // the publication carries exactly what was approved
    org.publisher().publish(&r1).await?;
    let register = admin.public_register(a).await?;
    let rows = &register.content.rows;
    assert!(
        rows.iter().all(|r| r.direction == supervision),
        "{register:?}"
    );
    assert_eq!(register.content.agency.name, "МЧС Республики Дагестан");
    assert_eq!(
        rows[0].unit.as_deref(),
        Some("Отдел надзорной деятельности")
    );
    assert!(
        rows.iter()
            .all(|r| r.touchpoint.as_ref().unwrap().implied_mode.as_str() == "digital"),
        "{register:?}"
    );

    // once published, the same changes open a revision and are recorded with before and after
    let renamed: Value = s_all
        .patch(
            &direction_path,
            json!({"name": "Надзор в области защиты от ЧС"}),
        )
        .await?;
    assert_eq!(renamed["name"], "Надзор в области защиты от ЧС");
    admin
        .patch::<Value>(&unit_path, json!({"name": "Отдел надзора"}))
        .await?;
    admin
        .patch::<Value>(&agency_path, json!({"name": "ГУ МЧС Республики Дагестан"}))
        .await?;
    admin
        .put::<Value>(&rule_path, json!({"mode": "offline"}))
        .await?;
    // setting the rule in force again changes nothing and records nothing
    admin
        .put::<Value>(&rule_path, json!({"mode": "offline"}))
        .await?;

    let revisions = approver.revisions(a).await?;
    assert_eq!(revisions.total, 2);
    let r2 = revisions.items.iter().find(|r| r.number == 2).unwrap();
    let history = approver.history(r2).await?;
    let items = &history.items;
    let entries: Vec<String> = items
        .iter()
        .filter(|h| h.action == "update")
        .map(|h| format!("{}:{}", h.actor, h.entity))
        .collect();
    assert_eq!(
        entries,
        vec![
            "s0:direction",
            "admin:unit",
            "admin:agency",
            "admin:channel_rule"
        ],
        "{history:?}"
    );
    let entry = |entity: &str| items.iter().find(|h| h.entity == entity).unwrap();
    let field = |v: &Option<Value>, f: &str| v.as_ref().unwrap()[f].clone();
    let direction_entry = entry("direction");
    assert_eq!(field(&direction_entry.before, "name"), supervision);
    assert_eq!(
        field(&direction_entry.after, "name"),
        "Надзор в области защиты от ЧС"
    );
    let rule_entry = entry("channel_rule");
    assert_eq!(
        (
            field(&rule_entry.before, "mode"),
            field(&rule_entry.after, "mode")
        ),
        (json!("digital"), json!("offline"))
    );
    // the rename touched both units' parts and the heading the agency's own part
    let mut parts: Vec<String> = r2.parts.iter().map(|p| p.unit_id.clone()).collect();
    parts.sort();
    let mut want = vec![u1.to_string(), u2.to_string(), "agency".to_owned()];
    want.sort();
    assert_eq!(parts, want, "{r2:?}");
    // the published version is untouched until the new revision is published
    let register = admin.public_register(a).await?;
    assert_eq!(register.content.agency.name, "МЧС Республики Дагестан");
    Ok(())
}

#[actix_web::test]
async fn a_stale_if_match_on_another_agencys_row_is_forbidden_not_a_precondition(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = app.org("Минстрой Дагестана").build().await;
    let other = app.org("Минтранс Дагестана").build().await;
    let admin = org.admin();
    let p = admin
        .create_process(org.id(), ProcessSpec::function("Выдача разрешений"))
        .await?;
    let phone = PointSpec::new("phone", "Телефон")
        .phone("+7 (8722) 51-61-22")
        .needs(&["consultation"]);
    let t = admin.add_point(p.id, phone).await?;
    let stranger = other.submitter_named("x", None);
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/points/{}", t.id)),
        (Method::DELETE, format!("/api/v1/points/{}", t.id)),
        (Method::PATCH, format!("/api/v1/processes/{}", p.id)),
        (Method::DELETE, format!("/api/v1/processes/{}", p.id)),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "Чужое"}));
        let (s, headers, body) = app
            .send(
                Some(&stranger.token),
                method.clone(),
                &path,
                body.as_ref(),
                Some("\"stale\""),
            )
            .await;
        let p = crate::client::problem_of(s, body);
        assert_eq!(p.code, ErrorCode::Forbidden);
        assert!(
            headers.get("etag").is_none(),
            "{method} {path} leaks the row's ETag"
        );
    }
    let (s, _) = app.get(&format!("/api/v1/points/{}", t.id)).await;
    assert_eq!(s, StatusCode::OK);
    Ok(())
}
