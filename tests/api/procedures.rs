//! The procedures walked end to end through HTTP, as their texts order the steps (see the
//! README's "The procedures, step by step" and docs/procedures.md).

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use touchpoints::agencies::model::Agency;
use touchpoints::auth::Role;
use touchpoints::calendar::WorkCalendar;
use touchpoints::deadlines::api::AgencyDeadlines;
use touchpoints::deadlines::{Deadline, DeadlineKind};
use touchpoints::domain::enums::{PartAgreement, SettingsSource};
use touchpoints::domain::state::{PartStatus, RevisionStatus};
use touchpoints::error::{ErrorCode, Problem};
use touchpoints::reviews::ReviewOutcome;
use touchpoints::units::model::Unit;
use touchpoints::workflow::settings::WorkflowSettings;
use uuid::Uuid;

use crate::client::{part, Org, PointSpec, ProcessSpec};
use crate::helpers::TestApp;

/// Today in Moscow, the day the deadlines count from.
fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive()
}

fn quarter_end(d: NaiveDate) -> NaiveDate {
    let last = ((d.month() - 1) / 3 + 1) * 3;
    let next = if last == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), last + 1, 1)
    };
    next.unwrap().pred_opt().unwrap()
}

fn of(d: &AgencyDeadlines, kind: DeadlineKind) -> Vec<&Deadline> {
    d.items.iter().filter(|i| i.kind == kind).collect()
}

/// 004's settings (pp. 13–18, 20): 1 / 5 / 1 / 5 / 1 / 2 working days, no publication period
/// (004 has no publication step), no yearly date, a quarterly analysis; the chain is one
/// named official.
fn settings_004(minister: Uuid) -> WorkflowSettings {
    let chain = json!([{"kind": "official", "official_id": minister, "name": "Министр"}]);
    WorkflowSettings {
        submit_days: Some(1),
        review_days: Some(5),
        return_days: Some(1),
        fix_days: Some(5),
        resubmit_days: Some(1),
        consolidate_days: Some(2),
        publish_days: None,
        yearly_month: None,
        yearly_day: None,
        quarterly_analysis: true,
        approval_chain: serde_json::from_value(chain).unwrap(),
        ..WorkflowSettings::default()
    }
}

/// Минсоцполитики УР with two of its управления (the «разработчики», 004 p. 6), the minister
/// as an official, and 004's settings. `a1` stands for the authorised unit (управление
/// стратегического развития, 004 p. 12) that checks, returns and accepts.
async fn ministry_004(app: &TestApp) -> (Org<'_>, Uuid) {
    let admin = app.as_admin();
    let agency: Agency = admin
        .post(
            "/api/v1/agencies",
            json!({"name": "Министерство социальной политики и труда Удмуртской Республики",
                   "short_name": "Минсоцполитики УР", "region": "Удмуртская Республика",
                   "kind": "ministry", "website": "https://minsoc18.ru"}),
        )
        .await
        .expect("agency");
    let mut units = Vec::new();
    for name in [
        "Управление по вопросам семьи и демографической политики",
        "Управление по труду и занятости населения",
    ] {
        let unit: Unit = admin
            .post(
                &format!("/api/v1/agencies/{}/units", agency.id),
                json!({ "name": name }),
            )
            .await
            .expect("unit");
        units.push(unit);
    }
    let org = Org {
        app,
        agency,
        units,
        directions: Vec::new(),
    };
    let minister = admin
        .create_official(org.id(), "minister", "Лубнина О.В.", "Министр", None)
        .await
        .expect("the minister")
        .id;
    let settings = settings_004(minister);
    let stored = admin
        .put_settings(org.id(), &settings)
        .await
        .expect("settings");
    assert_eq!(
        stored,
        WorkflowSettings {
            source: SettingsSource::Own,
            source_agency_id: Some(org.id()),
            ..settings
        }
    );
    (org, minister)
}

#[actix_web::test]
async fn procedure_004_refusal_after_every_part_was_accepted_then_resubmission_and_a_quarterly_review_without_changes(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, minister_id) = ministry_004(&app).await;
    let (a, u1, u2) = (org.id(), org.unit(0), org.unit(1));
    let (s1, s2) = (org.submitter_of(0), org.submitter_of(1));
    let checker = org.approver("a1");
    let minister = org.person_as("minister", &[Role::Approver]);
    let cal = WorkCalendar::official();
    let on = today();

    // p. 12–13: each developer forms its part and sends it (the first edit opens the revision)
    let support: Uuid = app
        .catalog_direction("state_support")
        .await
        .parse()
        .unwrap();
    let p1 = s1
        .create_process(
            a,
            ProcessSpec::service("Назначение ежемесячной выплаты на ребёнка")
                .of(u1)
                .under(support),
        )
        .await?;
    s1.add_point(
        p1.id,
        PointSpec::new("epgu", "ЕПГУ")
            .url("https://www.gosuslugi.ru")
            .needs(&["submission", "result"]),
    )
    .await?;
    let p2 = s2
        .create_process(
            a,
            ProcessSpec::function("Рассмотрение обращений по вопросам занятости").of(u2),
        )
        .await?;
    let t2 = s2
        .add_point(
            p2.id,
            PointSpec::new("phone", "Телефонная связь").needs(&["consultation"]),
        )
        .await?;
    let rev = checker.current_revision(a).await?;
    assert_eq!(rev.parts.len(), 2, "one part per unit: {:?}", rev.parts);
    let d = checker.deadlines(a, on).await?;
    let submit = of(&d, DeadlineKind::Submit);
    assert_eq!(submit.len(), 2, "{:?}", d.items);
    assert!(submit.iter().all(|s| s.due == cal.add_working_days(on, 1)));
    // a developer sends only its own part
    let p = s1.submit(&rev, u2).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    s1.submit(&rev, u1).await?;
    let r = s2.submit(&rev, u2).await?;
    assert!(r.parts.iter().all(|p| p.status == PartStatus::Submitted));
    // p. 14–15: the check (5 days) and the return or acceptance (1 more) are the approver's
    let d = checker.deadlines(a, on).await?;
    let ret = of(&d, DeadlineKind::Return);
    assert_eq!(ret.len(), 2, "{:?}", d.items);
    assert!(ret
        .iter()
        .all(|r| r.due == cal.add_working_days(on, 6) && r.responsible_role == Role::Approver));

    // p. 15: the authorised unit returns unit 2's part with remarks; p. 16–17: it is fixed
    // (5 days) and resubmitted (1 day)
    let remark = "Телефонная связь: не указан номер телефона";
    let r = checker
        .return_part(&rev, u2, json!([{"text": remark, "touchpoint_id": t2.id}]))
        .await?;
    assert_eq!(part(&r, u2).status, PartStatus::Returned);
    assert_eq!(part(&r, u1).status, PartStatus::Submitted);
    let first_return = part(&r, u2).returned_at.expect("returned_at");
    let d = s2.deadlines(a, on).await?;
    let fix = of(&d, DeadlineKind::Fix);
    assert_eq!(fix.len(), 1, "{:?}", d.items);
    assert_eq!(fix[0].unit_id.as_deref(), Some(u2.to_string().as_str()));
    assert_eq!(fix[0].due, cal.add_working_days(on, 6));
    assert_eq!(fix[0].responsible_role, Role::Submitter);
    s2.patch_point(
        t2.id,
        json!({"contacts": [{"kind": "phone", "value": "+7 (3412) 22-22-22"}]}),
    )
    .await?;
    let r = checker.revision(&rev).await?;
    assert_eq!(part(&r, u2).status, PartStatus::Draft);
    s2.submit(&rev, u2).await?;
    checker.accept(&rev, u1).await?;
    let r = checker.accept(&rev, u2).await?;
    assert!(r.parts.iter().all(|p| p.status == PartStatus::Accepted));
    // p. 18: the consolidated register is formed within 2 days of receiving every part
    let d = checker.deadlines(a, on).await?;
    let consolidate = of(&d, DeadlineKind::Consolidate);
    assert_eq!(consolidate.len(), 1, "{:?}", d.items);
    assert_eq!(consolidate[0].due, cal.add_working_days(on, 2));

    // the chain is the minister alone: another approver is the wrong official
    assert_eq!(r.approvals.len(), 1);
    assert_eq!(r.approvals[0].required[0].official_id, minister_id);
    for sub in ["a1", "a2"] {
        let p = org.approver(sub).approve(&rev).await.unwrap_err();
        assert_eq!(p.code, ErrorCode::WrongOfficial, "{sub}");
        assert_eq!(p.status, 403);
        assert!(p.detail.contains("minister"), "{}", p.detail);
    }
    // nor may an approver outside the chain refuse
    let p = checker.refuse(&rev, json!("нет"), None).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::WrongOfficial);

    // the minister agrees, then refuses (before publication) with remarks on unit 2's part:
    // only that part goes back, the agreement is cleared, the revision is open again
    let r = minister.approve(&rev).await?;
    assert_eq!(r.status, RevisionStatus::Approved);
    assert!(r.approvals[0].done);
    let reason = "Не указан режим работы телефонной линии по вопросам занятости";
    let r = minister
        .refuse(&rev, json!([{ "text": reason }]), Some(&[u2.to_string()]))
        .await?;
    assert_eq!(r.status, RevisionStatus::Open);
    assert_eq!(part(&r, u2).status, PartStatus::Returned);
    assert_eq!(part(&r, u1).status, PartStatus::Accepted);
    assert!(r.approvals[0].agreements.is_empty() && !r.approvals[0].done);
    assert_eq!(r.approved_at, None);
    assert_eq!(r.all_accepted_at, None);
    // the refusal is the part's new return: its fix period starts from it
    assert!(part(&r, u2).returned_at.expect("returned_at") > first_return);
    let r = checker.revision(&rev).await?;
    let refused: Vec<&str> = r
        .remarks
        .iter()
        .filter(|m| m.author == "minister")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(refused, [reason]);
    assert!(r
        .remarks
        .iter()
        .any(|m| m.author == "minister" && m.unit_id == u2.to_string()));
    let history = checker.history(&rev).await?;
    let refusal = history
        .items
        .iter()
        .find(|e| e.entity == "revision" && e.action == "refuse")
        .expect("the refusal is in the history");
    assert_eq!(refusal.actor, "minister");
    assert_eq!(
        refusal.before.as_ref().unwrap()["agreements"],
        json!([{"step": 0, "by": "minister"}])
    );
    let after = refusal.after.as_ref().unwrap();
    assert_eq!(after["remarks"], json!([reason]));
    assert_eq!(after["parts"], json!([u2.to_string()]));
    // refused: neither publishable nor approvable until every part is accepted again
    let p = org.publisher().publish(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let p = minister.approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    // the unit of the refused part has its fix deadline again; the other has nothing due
    let d = s2.deadlines(a, on).await?;
    let fix = of(&d, DeadlineKind::Fix);
    assert_eq!(fix.len(), 1, "{:?}", d.items);
    assert_eq!(fix[0].unit_id.as_deref(), Some(u2.to_string().as_str()));

    // the unit fixes and resubmits; accepted; the minister approves; the publisher publishes
    s2.patch_point(
        t2.id,
        json!({"features": "Пн–Пт 8:30–17:30, перерыв 12:30–13:18"}),
    )
    .await?;
    s2.submit(&rev, u2).await?;
    checker.accept(&rev, u2).await?;
    let r = minister.approve(&rev).await?;
    assert_eq!(r.status, RevisionStatus::Approved);
    assert_eq!(r.approvals[0].agreements.len(), 1);
    assert_eq!(r.approvals[0].agreements[0].by, "minister");
    assert_eq!(r.approvals[0].agreements[0].official_id, Some(minister_id));
    // 004 sets no publication period: nothing is due for the publisher
    let d = checker.deadlines(a, on).await?;
    assert!(of(&d, DeadlineKind::Publish).is_empty(), "{:?}", d.items);
    let published = org.publisher().publish(&rev).await?;
    assert_eq!(published.version, 1);
    let register = app.portal().public_register(a).await?;
    assert_eq!(register.version, 1);
    assert_eq!(register.sha256, published.sha256);

    // p. 20: the quarterly analysis finds nothing to change
    let d = checker.deadlines(a, on).await?;
    let q = of(&d, DeadlineKind::QuarterlyAnalysis);
    assert_eq!(q.len(), 1, "{:?}", d.items);
    assert_eq!(q[0].due, quarter_end(on));
    let review = checker
        .record_review(
            a,
            "quarterly_analysis",
            "no_changes",
            "Анализ перечня за квартал: изменений не требуется",
        )
        .await?;
    assert_eq!(review.outcome, ReviewOutcome::NoChanges);
    assert_eq!(review.revision_id, None);
    let d = checker.deadlines(a, on).await?;
    let q = of(&d, DeadlineKind::QuarterlyAnalysis);
    assert_eq!(q.len(), 1, "{:?}", d.items);
    assert_eq!(q[0].due, quarter_end(quarter_end(on).succ_opt().unwrap()));
    assert!(!q[0].overdue);
    // no new revision, no new version: the public register is still version 1
    let revisions = checker.revisions(a).await?;
    assert_eq!(revisions.total, 1);
    assert_eq!(revisions.items[0].status, RevisionStatus::Published);
    assert_eq!(checker.versions(a).await?.total, 1);
    let register = app.portal().public_register(a).await?;
    assert_eq!(register.version, 1);
    Ok(())
}

/// 000's settings: calendar dates only (the yearly proposals by 1 February), each unit's
/// part agreed by its curating deputy, the minister approves.
fn settings_000(minister: Uuid) -> WorkflowSettings {
    let chain = json!([{"kind": "official", "official_id": minister}]);
    WorkflowSettings {
        submit_days: None,
        review_days: None,
        return_days: None,
        fix_days: None,
        resubmit_days: None,
        consolidate_days: None,
        publish_days: None,
        yearly_month: Some(2),
        yearly_day: Some(1),
        quarterly_analysis: false,
        approval_chain: serde_json::from_value(chain).unwrap(),
        part_agreement: Some(PartAgreement::UnitCurator),
        ..WorkflowSettings::default()
    }
}

#[actix_web::test]
async fn procedure_000_a_unit_s_list_is_agreed_by_its_curating_deputy_before_submission(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let admin = app.as_admin();
    let agency: Agency = admin
        .post(
            "/api/v1/agencies",
            json!({"name": "Главное управление МЧС России по Республике Дагестан",
                   "short_name": "МЧС Дагестана", "region": "Республика Дагестан",
                   "kind": "other", "website": "https://05.mchs.gov.ru"}),
        )
        .await
        .expect("agency");
    let mut units = Vec::new();
    for name in [
        "Управление надзорной деятельности и профилактической работы",
        "Управление гражданской обороны и защиты населения",
    ] {
        let unit: Unit = admin
            .post(
                &format!("/api/v1/agencies/{}/units", agency.id),
                json!({ "name": name }),
            )
            .await
            .expect("unit");
        units.push(unit);
    }
    let org = Org {
        app: &app,
        agency,
        units,
        directions: Vec::new(),
    };
    let (a, u1, u2) = (org.id(), org.unit(0), org.unit(1));
    let minister_id = admin
        .create_official(
            a,
            "minister",
            "Казиахмедов Н.К.",
            "Начальник Главного управления",
            None,
        )
        .await?
        .id;
    let d1 = admin
        .create_official(
            a,
            "deputy1",
            "Магомедов М.М.",
            "Заместитель начальника (по надзорной деятельности)",
            None,
        )
        .await?
        .id;
    let d2 = admin
        .create_official(
            a,
            "deputy2",
            "Алиев А.А.",
            "Заместитель начальника (по гражданской обороне)",
            None,
        )
        .await?
        .id;
    admin.put_settings(a, &settings_000(minister_id)).await?;
    let (s1, s2) = (org.submitter_of(0), org.submitter_of(1));
    let checker = org.approver("a1");
    let deputy1 = org.person_as("deputy1", &[Role::Approver]);
    let deputy2 = org.person_as("deputy2", &[Role::Approver]);
    let minister = org.person_as("minister", &[Role::Approver]);

    // §III.1 step 1: the units collect their information (the first edit opens the revision)
    let p1 = s1
        .create_process(
            a,
            ProcessSpec::function("Федеральный государственный пожарный надзор").of(u1),
        )
        .await?;
    let t1 = s1
        .add_point(
            p1.id,
            PointSpec::new("phone", "Телефон отдела надзорной деятельности")
                .phone("+7 (8722) 67-32-01")
                .needs(&["consultation"]),
        )
        .await?;
    let p2 = s2
        .create_process(
            a,
            ProcessSpec::function("Обучение населения в области гражданской обороны").of(u2),
        )
        .await?;
    s2.add_point(
        p2.id,
        PointSpec::new("phone", "Телефон доверия")
            .phone("+7 (8722) 39-99-99")
            .needs(&["consultation"]),
    )
    .await?;
    let rev = checker.current_revision(a).await?;
    assert_eq!(rev.parts.len(), 2, "{:?}", rev.parts);

    // a unit without a curator: nobody can agree its part, and it cannot be submitted
    let p = deputy1.agree(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "{}", p.detail);
    assert!(p.detail.contains("an admin must set"), "{}", p.detail);
    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "{}", p.detail);
    admin.set_unit_officials(u1, None, Some(d1)).await?;
    admin.set_unit_officials(u2, None, Some(d2)).await?;

    // before the curator's agreement the part is not submitted
    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "{}", p.detail);
    assert_eq!(p.status, 409);
    assert!(
        p.detail.contains("deputy1"),
        "names the curator: {}",
        p.detail
    );
    // only that curator agrees: not the other unit's, not the minister, not an admin
    for (who, person) in [
        ("deputy2", &deputy2),
        ("minister", &minister),
        ("admin", &admin),
    ] {
        let p = person.agree(&rev, u1).await.unwrap_err();
        assert_eq!(p.code, ErrorCode::WrongOfficial, "{who}: {}", p.detail);
        assert_eq!(p.status, 403);
        assert!(p.detail.contains("deputy1"), "{who}: {}", p.detail);
    }
    // the agency-level part has no curator
    let p = deputy1.agree(&rev, "agency").await.unwrap_err();
    assert!(
        matches!(p.code, ErrorCode::InvalidTransition | ErrorCode::NotFound),
        "{p:?}"
    );

    // the curator agrees: the part shows it
    let r = deputy1.agree(&rev, u1).await?;
    let agreed = part(&r, u1);
    assert_eq!(agreed.status, PartStatus::Draft);
    assert_eq!(agreed.agreed_by.as_deref(), Some("deputy1"));
    assert_eq!(agreed.agreed_official_id, Some(d1));
    assert!(agreed.agreed_at.is_some());
    assert_eq!(part(&r, u2).agreed_by, None);
    let p = deputy1.agree(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "once: {}", p.detail);
    // an edit of the part afterwards clears the agreement: submitted only once agreed again
    s1.patch_point(t1.id, json!({"features": "Пн–Пт 9:00–18:00"}))
        .await?;
    let r = checker.revision(&rev).await?;
    assert_eq!(part(&r, u1).agreed_by, None);
    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "{}", p.detail);
    deputy1.agree(&rev, u1).await?;
    let r = s1.submit(&rev, u1).await?;
    assert_eq!(part(&r, u1).status, PartStatus::Submitted);
    assert_eq!(part(&r, u1).agreed_by.as_deref(), Some("deputy1"));
    // a submitted part is not agreed again
    let p = deputy1.agree(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition, "{}", p.detail);
    deputy2.agree(&rev, u2).await?;
    s2.submit(&rev, u2).await?;

    // step 2: entered into the register; step 3: approved by the minister; step 4: published
    checker.accept(&rev, u1).await?;
    let r = checker.accept(&rev, u2).await?;
    assert!(r.parts.iter().all(|p| p.status == PartStatus::Accepted));
    let r = minister.approve(&rev).await?;
    assert_eq!(r.status, RevisionStatus::Approved);
    let published = org.publisher().publish(&rev).await?;
    assert_eq!(published.version, 1);
    assert_eq!(app.portal().public_register(a).await?.version, 1);

    // the history keeps every agreement and the one the edit cleared
    let history = checker.history(&rev).await?;
    let agreements: Vec<(&str, &str)> = history
        .items
        .iter()
        .filter(|e| e.entity == "part" && e.action.starts_with("agree"))
        .map(|e| (e.entity_id.as_str(), e.action.as_str()))
        .collect();
    let (k1, k2) = (u1.to_string(), u2.to_string());
    assert_eq!(
        agreements,
        [
            (k1.as_str(), "agree"),
            (k1.as_str(), "agreement_cleared"),
            (k1.as_str(), "agree"),
            (k2.as_str(), "agree")
        ]
    );
    Ok(())
}
