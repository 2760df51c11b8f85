//! Reviews without changes and the deadlines down to parts (R10–R12), through HTTP: 004's
//! quarterly loop, agencies with no yearly date (003, 004), the approver's and the units'
//! deadlines, and dated obligations (000: the first register by 1 April 2024).

use chrono::{Datelike, Duration, NaiveDate};
use touchpoints::deadlines::api::AgencyDeadlines;
use touchpoints::deadlines::{Deadline, DeadlineKind, Obligation, Obligations};
use touchpoints::error::{ErrorCode, Problem};
use touchpoints::reviews::{ReviewKind, ReviewOutcome};
use touchpoints::workflow::model::RevisionReason;
use touchpoints::workflow::settings::WorkflowSettings;

use crate::client::{Org, PointSpec, ProblemExt, ProcessSpec};
use crate::helpers::TestApp;

/// 004's ministry: one unit, quarterly analysis on.
async fn ministry(app: &TestApp) -> Org<'_> {
    app.org("Министерство цифрового развития Республики Дагестан")
        .with_unit("Отдел цифровой трансформации")
        .with_chain(&[])
        .build()
        .await
}

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

#[actix_web::test]
async fn a_quarterly_review_without_changes_meets_the_quarter_without_a_version(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, a1, s1) = (org.id(), org.approver("a1"), org.submitter_of(0));
    let on = today();
    let before = a1.deadlines(a, on).await?;
    let q = of(&before, DeadlineKind::QuarterlyAnalysis);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].due, quarter_end(on));
    let versions = a1.versions(a).await?.total;

    // a submitter reads reviews but does not record them
    let p = s1
        .record_review(a, "quarterly_analysis", "no_changes", "")
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let review = a1
        .record_review(
            a,
            "quarterly_analysis",
            "no_changes",
            "Анализ перечня за квартал: изменений не требуется",
        )
        .await?;
    assert_eq!(review.kind, ReviewKind::QuarterlyAnalysis);
    assert_eq!(review.outcome, ReviewOutcome::NoChanges);
    assert_eq!(review.revision_id, None);
    assert_eq!(review.reviewed_by, "a1");
    assert_eq!(review.agency_id, a);

    let after = a1.deadlines(a, on).await?;
    let q = of(&after, DeadlineKind::QuarterlyAnalysis);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].due, quarter_end(quarter_end(on) + Duration::days(1)));
    assert!(!q[0].overdue);
    // nothing published, nothing opened
    assert_eq!(a1.versions(a).await?.total, versions);
    assert_eq!(a1.revisions(a).await?.total, 0);
    let list = s1.reviews(a).await?;
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0].id, review.id);
    // another agency's people see nothing
    let other = app.org("Другое министерство").build().await;
    let p = other.approver("x").reviews(a).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    // an unknown kind is refused
    let p = a1
        .record_review(a, "monthly", "no_changes", "")
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    assert_eq!(p.fields(), vec!["kind"]);
    Ok(())
}

#[actix_web::test]
async fn changes_found_opens_a_revision_with_the_matching_reason_or_joins_it() -> Result<(), Problem>
{
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, a1) = (org.id(), org.approver("a1"));
    let first = a1
        .record_review(
            a,
            "quarterly_analysis",
            "changes_found",
            "Изменился регламент приёма обращений",
        )
        .await?;
    let rev = a1.current_revision(a).await?;
    assert_eq!(first.revision_id, Some(rev.id));
    assert_eq!(rev.reason, RevisionReason::QuarterlyAnalysis);
    assert_eq!(
        rev.comment.as_deref(),
        Some("Изменился регламент приёма обращений")
    );
    // the yearly monitoring finding changes joins the revision in progress
    let second = org
        .admin()
        .record_review(a, "yearly_monitoring", "changes_found", "")
        .await?;
    assert_eq!(second.revision_id, Some(rev.id));
    assert_eq!(second.comment, None);
    assert_eq!(a1.revisions(a).await?.total, 1);
    let list = a1.reviews(a).await?;
    assert_eq!(
        list.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![second.id, first.id],
        "newest first"
    );

    // in another agency with no revision, a yearly monitoring opens a yearly revision
    let other = app.org("Министерство труда").build().await;
    let r = other
        .approver("b1")
        .record_review(other.id(), "yearly_monitoring", "changes_found", "")
        .await?;
    let rev = other.approver("b1").current_revision(other.id()).await?;
    assert_eq!(r.revision_id, Some(rev.id));
    assert_eq!(rev.reason, RevisionReason::YearlyRevision);
    Ok(())
}

#[actix_web::test]
async fn settings_without_a_yearly_date_have_no_yearly_deadline() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, admin) = (org.id(), org.admin());
    let on = today();
    assert_eq!(
        of(&admin.deadlines(a, on).await?, DeadlineKind::YearlyRevision).len(),
        1
    );
    // 004 sets no yearly date and no publication period
    let none = WorkflowSettings {
        yearly_month: None,
        yearly_day: None,
        publish_days: None,
        submit_days: Some(1),
        quarterly_analysis: true,
        ..WorkflowSettings::default()
    };
    let stored = admin.put_settings(a, &none).await?;
    // what the agency set, now its own (source is read-only)
    let none = WorkflowSettings {
        source: touchpoints::domain::enums::SettingsSource::Own,
        source_agency_id: Some(a),
        ..none
    };
    assert_eq!(stored, none);
    assert_eq!(
        org.submitter()
            .get::<WorkflowSettings>(&format!("/api/v1/agencies/{a}/workflow-settings"))
            .await?,
        none
    );
    let d = admin.deadlines(a, on + Duration::days(800)).await?;
    assert!(
        of(&d, DeadlineKind::YearlyRevision).is_empty(),
        "{:?}",
        d.items
    );
    // a month without a day (or the reverse) is refused
    let half = WorkflowSettings {
        yearly_day: Some(31),
        ..none.clone()
    };
    let p = admin.put_settings(a, &half).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    assert_eq!(p.fields(), vec!["yearly_month"]);
    Ok(())
}

#[actix_web::test]
async fn a_submitted_part_not_returned_within_return_days_is_overdue_for_the_approver(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, u1, s1, a1) = (
        org.id(),
        org.unit(0),
        org.submitter_of(0),
        org.approver("a1"),
    );
    // 004 §14–15: 5 working days to check, then 1 to return or accept
    let p = s1
        .create_process(a, ProcessSpec::function("Приём обращений").of(u1))
        .await?;
    s1.add_point(
        p.id,
        PointSpec::new("internet_reception", "Интернет-приёмная")
            .url("https://example.ru/reception")
            .needs(&["submission"]),
    )
    .await?;
    let rev = a1.current_revision(a).await?;
    s1.submit(&rev, u1).await?;
    let on = today();
    let cal = touchpoints::calendar::WorkCalendar::official();
    let d = a1.deadlines(a, on).await?;
    let ret = of(&d, DeadlineKind::Return);
    assert_eq!(ret.len(), 1, "{:?}", d.items);
    assert_eq!(ret[0].unit_id.as_deref(), Some(u1.to_string().as_str()));
    assert_eq!(
        ret[0].unit_name.as_deref(),
        Some("Отдел цифровой трансформации")
    );
    assert_eq!(ret[0].responsible_role, touchpoints::auth::Role::Approver);
    assert_eq!(ret[0].due, cal.add_working_days(on, 6));
    assert!(!ret[0].overdue);
    let late = on + Duration::days(20);
    let d = a1.deadlines(a, late).await?;
    assert!(of(&d, DeadlineKind::Return)[0].overdue);
    // accepted: nothing left for the approver on this part
    a1.accept(&rev, u1).await?;
    let d = a1.deadlines(a, late).await?;
    assert!(of(&d, DeadlineKind::Return).is_empty());
    assert!(of(&d, DeadlineKind::Review).is_empty());
    Ok(())
}

#[actix_web::test]
async fn a_part_not_submitted_within_submit_days_is_overdue_for_its_unit() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, u1, s1, admin) = (org.id(), org.unit(0), org.submitter_of(0), org.admin());
    // 004 §13: 1 working day
    let settings = WorkflowSettings {
        submit_days: Some(1),
        quarterly_analysis: true,
        ..WorkflowSettings::default()
    };
    admin.put_settings(a, &settings).await?;
    s1.create_process(a, ProcessSpec::function("Приём обращений").of(u1))
        .await?;
    let on = today();
    let cal = touchpoints::calendar::WorkCalendar::official();
    let d = s1.deadlines(a, on).await?;
    let submit = of(&d, DeadlineKind::Submit);
    assert_eq!(submit.len(), 1, "{:?}", d.items);
    assert_eq!(submit[0].unit_id.as_deref(), Some(u1.to_string().as_str()));
    assert_eq!(
        submit[0].responsible_role,
        touchpoints::auth::Role::Submitter
    );
    assert_eq!(submit[0].due, cal.add_working_days(on, 1));
    assert!(!submit[0].overdue);
    let d = s1.deadlines(a, on + Duration::days(10)).await?;
    assert!(of(&d, DeadlineKind::Submit)[0].overdue);
    assert!(d.overdue >= 1);
    // the dashboard shows it too
    let overview: serde_json::Value = admin
        .get(&format!("/api/v1/deadlines?on={}", on + Duration::days(10)))
        .await?;
    let mine = overview["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["agency_id"] == a.to_string())
        .expect("listed");
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "submit" && i["overdue"] == true));
    Ok(())
}

#[actix_web::test]
async fn an_obligation_in_the_past_without_a_publication_is_overdue() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = ministry(&app).await;
    let (a, admin) = (org.id(), org.admin());
    let first = Obligation {
        date: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        what: "Утвердить и разместить первый перечень точек взаимодействия".into(),
    };
    // only an admin sets them, as the workflow settings
    let p = org
        .approver("a1")
        .put_obligations(a, std::slice::from_ref(&first))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let stored = admin
        .put_obligations(a, &[first.clone(), first.clone()])
        .await?;
    assert_eq!(stored, vec![first.clone()]);
    let read: Obligations = org
        .submitter()
        .get(&format!("/api/v1/agencies/{a}/obligations"))
        .await?;
    assert_eq!(read.items, stored);
    let d = org.approver("a1").deadlines(a, today()).await?;
    let ob = of(&d, DeadlineKind::Obligation);
    assert_eq!(ob.len(), 1, "{:?}", d.items);
    assert!(ob[0].overdue);
    assert_eq!(ob[0].due, first.date);
    assert_eq!(ob[0].what.as_deref(), Some(first.what.as_str()));
    assert_eq!(ob[0].responsible_role, touchpoints::auth::Role::Approver);
    // a blank wording is refused; an empty list clears them
    let p = admin
        .put(
            &format!("/api/v1/agencies/{a}/obligations"),
            serde_json::json!({"items": [{"date": "2024-04-01", "what": " "}]}),
        )
        .await
        .map(|_: serde_json::Value| ())
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    assert_eq!(p.fields(), vec!["items[0].what"]);
    assert!(admin.put_obligations(a, &[]).await?.is_empty());
    let d = admin.deadlines(a, today()).await?;
    assert!(of(&d, DeadlineKind::Obligation).is_empty());
    Ok(())
}
