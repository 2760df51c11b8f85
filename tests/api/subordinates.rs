//! 002: subordinate organizations under their ministry (002 §1.1, §4.1, §5.1, §5.5), through
//! HTTP: the organization inherits the ministry's channel rule, periods and chain; with
//! `approves_subordinates` the ministry's approvers, officials and publishers take its
//! revision through review, agreement and publication, and its rows appear as a section of
//! the ministry's register.

use reqwest::StatusCode;
use serde_json::{json, Value};
use touchpoints::agencies::model::Agency;
use touchpoints::auth::Role;
use touchpoints::domain::enums::SettingsSource;
use touchpoints::domain::state::RevisionStatus;
use touchpoints::domain::Mode;
use touchpoints::error::{ErrorCode, Problem};
use touchpoints::workflow::settings::WorkflowSettings;
use uuid::Uuid;

use crate::client::{Org, Page, PointSpec, ProcessSpec};
use crate::helpers::{token, TestApp};

/// Минстрой Дагестана: phone offline (002 §4.1.2), 10 working days to publish (§5.5), the
/// yearly monitoring by 31 December, the minister approving (§5.1) — and approving its
/// organizations' registers too.
async fn ministry_002(app: &TestApp) -> (Org<'_>, Uuid) {
    let org = app
        .org("Министерство строительства, архитектуры и жилищно-коммунального хозяйства Республики Дагестан")
        .with_unit("Отдел по работе с обращениями граждан")
        .build()
        .await;
    let admin = app.as_admin();
    let minister = admin
        .create_official(org.id(), "minister", "Министр", "Министр", None)
        .await
        .expect("the minister")
        .id;
    let (s, body) = app
        .put(
            &format!("/api/v1/agencies/{}/channel-rules/phone", org.id()),
            json!({"mode": "offline"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let settings = WorkflowSettings {
        publish_days: Some(10),
        yearly_month: Some(12),
        yearly_day: Some(31),
        approval_chain: serde_json::from_value(
            json!([{"kind": "official", "official_id": minister, "name": "Министр"}]),
        )
        .unwrap(),
        approves_subordinates: true,
        ..WorkflowSettings::default()
    };
    admin
        .put_settings(org.id(), &settings)
        .await
        .expect("settings");
    (org, minister)
}

fn person<'a>(app: &'a TestApp, agency: Uuid, sub: &str, role: Role) -> crate::client::As<'a> {
    app.with_token(token(sub, &[role], Some(&agency.to_string()), None))
}

#[actix_web::test]
async fn procedure_002_a_subordinate_inherits_the_rule_and_the_ministry_agrees_and_publishes_it(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (ministry, minister_id) = ministry_002(&app).await;
    let m = ministry.id();
    let admin = app.as_admin();
    let uks: Agency = admin
        .post(
            &format!("/api/v1/agencies/{m}/organizations"),
            json!({"name": "ГКУ РД «Управление капитального строительства»"}),
        )
        .await?;
    let o = uks.id;

    // inherited: periods, chain and the approval of subordinates, with where they come from
    let s: WorkflowSettings = person(&app, o, "s0", Role::Submitter)
        .get(&format!("/api/v1/agencies/{o}/workflow-settings"))
        .await?;
    assert_eq!(s.source, SettingsSource::Inherited);
    assert_eq!(s.source_agency_id, Some(m));
    assert_eq!(
        (s.publish_days, s.yearly_month, s.yearly_day),
        (Some(10), Some(12), Some(31))
    );
    assert!(s.approves_subordinates);
    // and the channel rule: phone offline, from the ministry
    let rules: Value = admin
        .get(&format!("/api/v1/agencies/{o}/channel-rules"))
        .await?;
    let phone = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(phone["mode"], "offline", "{phone}");
    assert_eq!(phone["source"], "inherited");
    assert_eq!(phone["source_agency_id"], m.to_string());
    assert_eq!(phone["overridden"], false);

    // the organization's own submitter fills in its register; the phone comes out offline
    let submitter = person(&app, o, "uks-s", Role::Submitter);
    let p = submitter
        .create_process(o, ProcessSpec::function("Рассмотрение обращений граждан"))
        .await?;
    let point = submitter
        .add_point(
            p.id,
            PointSpec::new("phone", "Телефон приёмной")
                .phone("+7 (8722) 51-61-24")
                .needs(&["consultation"]),
        )
        .await?;
    assert_eq!(point.implied_mode, Mode::Offline);
    let rev = submitter.current_revision(o).await?;
    let rev = submitter.submit(&rev, "agency").await?;

    // its own approver and publisher no longer act on it; the ministry's do
    let own_approver = person(&app, o, "uks-a", Role::Approver);
    let p403 = own_approver.accept(&rev, "agency").await.unwrap_err();
    assert_eq!(p403.code, ErrorCode::Forbidden, "{}", p403.detail);
    assert!(p403.detail.contains(&m.to_string()), "{}", p403.detail);
    let checker = person(&app, m, "a1", Role::Approver);
    // the ministry's approver reads the organization's revision and working copy
    let seen = checker.revision(&rev).await?;
    assert_eq!(seen.agency_id, o);
    let _: Page<Value> = checker
        .get(&format!("/api/v1/agencies/{o}/processes"))
        .await?;
    // …but another agency's approver does not
    let stranger = app
        .org("Министерство финансов Республики Дагестан")
        .build()
        .await;
    let p = stranger.approver("x1").revision(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let rev = checker.accept(&rev, "agency").await?;
    assert!(rev.all_accepted_at.is_some(), "{:?}", rev.parts);

    // the chain is the ministry's: its minister agrees (nobody else)
    let p = own_approver.approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden, "{}", p.detail);
    let p = checker.approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::WrongOfficial, "{}", p.detail);
    let minister = person(&app, m, "minister", Role::Approver);
    let rev = minister.approve(&rev).await?;
    assert_eq!(rev.status, RevisionStatus::Approved);
    let step = &rev.approvals[0];
    assert_eq!(step.approved_by.as_deref(), Some("minister"));
    assert_eq!(step.agreements[0].official_id, Some(minister_id));

    // the organization's publisher cannot publish; the ministry's does
    let p = person(&app, o, "uks-p", Role::Publisher)
        .publish(&rev)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let published = person(&app, m, "p1", Role::Publisher).publish(&rev).await?;
    assert_eq!(published.version, 1);

    // the ministry publishes its own register; with include=subordinates it carries the
    // organization's as a section, with its own version and SHA-256
    let mp = ministry
        .submitter()
        .create_process(
            m,
            ProcessSpec::function("Выдача разрешений на строительство"),
        )
        .await?;
    ministry
        .submitter()
        .add_point(
            mp.id,
            PointSpec::new("website", "Официальный сайт")
                .url("https://minstroyrd.ru")
                .needs(&["information"]),
        )
        .await?;
    let mrev = ministry.submitter().current_revision(m).await?;
    ministry.publish_all(&mrev, &["minister"]).await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/public/agencies/{o}/register")))
        .send()
        .await
        .unwrap();
    let own_sha = resp.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let (s, body) = app
        .get(&format!(
            "/api/v1/public/agencies/{m}/register?include=subordinates"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sections = body["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 1, "{body}");
    assert_eq!(sections[0]["agency_id"], o.to_string());
    assert_eq!(sections[0]["version"], 1);
    assert_eq!(sections[0]["sha256"], own_sha);
    let row = &sections[0]["rows"][0];
    assert_eq!(row["process"], "Рассмотрение обращений граждан", "{row}");
    assert_eq!(row["touchpoint"]["implied_mode"], "offline", "{row}");
    // the ministry's own rows stay its own
    assert!(body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["process"] != "Рассмотрение обращений граждан"));

    // the ministry's approver sees the organization among its deadlines
    let overview: Value = checker.get("/api/v1/deadlines?all=true").await?;
    let agencies: Vec<&str> = overview["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["agency_id"].as_str().unwrap())
        .collect();
    assert!(agencies.contains(&o.to_string().as_str()), "{overview}");
    Ok(())
}

#[actix_web::test]
async fn own_settings_and_rules_override_the_inherited_ones_until_dropped() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (ministry, _) = ministry_002(&app).await;
    let m = ministry.id();
    let admin = app.as_admin();
    let org: Agency = admin
        .post(
            &format!("/api/v1/agencies/{m}/organizations"),
            json!({"name": "ГБУ РД «Дагестанстройзаказчик»"}),
        )
        .await?;
    let o = org.id;
    let path = format!("/api/v1/agencies/{o}/workflow-settings");
    // nothing of its own to drop
    let p = admin.delete(&path).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);
    let own = WorkflowSettings {
        publish_days: Some(5),
        ..WorkflowSettings::default()
    };
    let s = admin.put_settings(o, &own).await?;
    assert_eq!(
        (s.source, s.source_agency_id),
        (SettingsSource::Own, Some(o))
    );
    assert_eq!(s.publish_days, Some(5));
    assert!(!s.approves_subordinates);
    // its own periods, but the ministry still approves its subordinates (the parent decides
    // that): the ministry's approver accepts, its own does not
    let submitter = person(&app, o, "s", Role::Submitter);
    let p = submitter
        .create_process(o, ProcessSpec::function("Строительный контроль"))
        .await?;
    submitter
        .add_point(
            p.id,
            PointSpec::new("email", "Электронная почта")
                .email("dsz@e-dag.ru")
                .needs(&["consultation"]),
        )
        .await?;
    let rev = submitter.current_revision(o).await?;
    let rev = submitter.submit(&rev, "agency").await?;
    let p = person(&app, o, "a", Role::Approver)
        .accept(&rev, "agency")
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let rev = person(&app, m, "a1", Role::Approver)
        .accept(&rev, "agency")
        .await?;
    assert!(rev.all_accepted_at.is_some());
    // the organization's own (empty) chain: one approval by an approver of the ministry
    let rev = person(&app, m, "a1", Role::Approver).approve(&rev).await?;
    assert_eq!(rev.status, RevisionStatus::Approved);
    // dropped: inherited again
    let s: WorkflowSettings = admin.call(reqwest::Method::DELETE, &path, None).await?;
    assert_eq!(s.source, SettingsSource::Inherited);
    assert_eq!(s.publish_days, Some(10));

    // a rule of its own wins over the ministry's; cleared, the ministry's is back
    let rules = format!("/api/v1/agencies/{o}/channel-rules/phone");
    let (st, body) = app.put(&rules, json!({"mode": "digital"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let phone = |b: &Value| {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == "phone")
            .unwrap()
            .clone()
    };
    let rule = phone(&body);
    assert_eq!(
        (&rule["mode"], &rule["source"], &rule["inherited_mode"]),
        (&json!("digital"), &json!("own"), &json!("offline"))
    );
    let (st, body) = app.delete(&rules).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let rule = phone(&body);
    assert_eq!(
        (&rule["mode"], &rule["source"]),
        (&json!("offline"), &json!("inherited"))
    );
    Ok(())
}
