//! Officials and approval chains that name people (R9, 003 §3.4), through HTTP: the
//! three-person agreement, refusal back to the units, cancellation.

use serde_json::json;
use touchpoints::auth::Role;
use touchpoints::domain::state::{PartStatus, RevisionStatus};
use touchpoints::error::{ErrorCode, Problem};
use uuid::Uuid;

use crate::client::{part, Org, PointSpec, ProcessSpec};
use crate::helpers::TestApp;

/// 003: an agency with two units, each unit's head, the deputy curating the «appeals»
/// direction, and the deputy responsible for client-centricity; the chain
/// `[unit_head, direction_curator, official(deputy)]`.
struct Officials {
    head1: Uuid,
    head2: Uuid,
    curator: Uuid,
    deputy: Uuid,
}

async fn agency_003(app: &TestApp) -> (Org<'_>, Officials) {
    let org = app
        .org("Главное управление МЧС России по Республике Дагестан")
        .with_unit("Отдел надзорной деятельности")
        .with_unit("Пожарно-спасательный отряд")
        .build()
        .await;
    let admin = org.admin();
    let a = org.id();
    let official = |sub: &'static str, name: &'static str, position: &'static str, unit| {
        let admin = admin.clone();
        async move {
            admin
                .create_official(a, sub, name, position, unit)
                .await
                .expect("official")
                .id
        }
    };
    let o = Officials {
        head1: official("head1", "Алиев А.А.", "Начальник отдела", Some(org.unit(0))).await,
        head2: official(
            "head2",
            "Гасанов Г.Г.",
            "Начальник отряда",
            Some(org.unit(1)),
        )
        .await,
        curator: official(
            "curator",
            "Магомедов М.М.",
            "Заместитель начальника отряда",
            None,
        )
        .await,
        deputy: official(
            "deputy",
            "Расулова Р.Р.",
            "Заместитель начальника управления, ответственный за клиентоцентричность",
            None,
        )
        .await,
    };
    admin
        .set_unit_officials(org.unit(0), Some(o.head1), Some(o.curator))
        .await
        .expect("unit 1 head");
    let u2 = admin
        .set_unit_officials(org.unit(1), Some(o.head2), Some(o.curator))
        .await
        .expect("unit 2 head");
    assert_eq!(u2.head_official_id, Some(o.head2));
    assert_eq!(u2.curator_official_id, Some(o.curator));
    let appeals: Uuid = app.catalog_direction("appeals").await.parse().unwrap();
    let c = admin
        .set_direction_curator(a, appeals, Some(o.curator))
        .await
        .expect("curator of a catalog direction");
    assert_eq!(c.official_id, Some(o.curator));
    let settings = admin
        .set_chain(
            a,
            json!([{"kind": "unit_head"}, {"kind": "direction_curator"},
                   {"kind": "official", "official_id": o.deputy, "name": "Заместитель по клиентоцентричности"}]),
        )
        .await
        .expect("chain");
    assert_eq!(settings.approval_chain.len(), 3);
    (org, o)
}

/// Both units file a process under «appeals» with a touchpoint; the first edit opens the
/// revision.
async fn fill_in(org: &Org<'_>) -> Result<(), Problem> {
    for n in 0..2 {
        let s = org.submitter_of(n);
        let p = s
            .create_process(
                org.id(),
                ProcessSpec::function(format!("Рассмотрение обращений {n}")).of(org.unit(n)),
            )
            .await?;
        let phone = PointSpec::new("phone", "Телефон доверия")
            .phone("+7 (8722) 39-99-99")
            .needs(&["consultation"]);
        s.add_point(p.id, phone).await?;
    }
    Ok(())
}

#[actix_web::test]
async fn officials_are_kept_by_the_agency_admin_manages_members_read() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, o) = agency_003(&app).await;
    let member = org.submitter();
    let list = member.officials(org.id()).await?;
    assert_eq!(list.total, 4);
    let p = member
        .create_official(org.id(), "x", "Икс", "Никто", None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    // one sub per agency
    let p = org
        .admin()
        .create_official(org.id(), "head1", "Дубль", "Начальник", None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::AlreadyExists);
    // another agency's official cannot head this agency's unit
    let other = app.org("Агентство информации и печати РД").build().await;
    let stranger = other
        .admin()
        .create_official(other.id(), "s", "Чужой", "Начальник", None)
        .await?;
    let p = org
        .admin()
        .set_unit_officials(org.unit(0), Some(stranger.id), None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::UnknownReference);
    let outsider = other.submitter();
    let p = outsider
        .get::<serde_json::Value>(&format!("/api/v1/officials/{}", o.deputy))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let changed: touchpoints::officials::model::Official = org
        .admin()
        .patch(
            &format!("/api/v1/officials/{}", o.curator),
            json!({"position": "Первый заместитель начальника отряда"}),
        )
        .await?;
    assert_eq!(changed.position, "Первый заместитель начальника отряда");
    org.admin()
        .delete(&format!("/api/v1/officials/{}", stranger.id))
        .await?;
    let p = org
        .admin()
        .get::<serde_json::Value>(&format!("/api/v1/officials/{}", stranger.id))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::NotFound);
    Ok(())
}

#[actix_web::test]
async fn the_three_person_agreement_of_003_then_a_refusal_and_a_new_round() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, o) = agency_003(&app).await;
    fill_in(&org).await?;
    let a = org.id();
    let (u1, u2) = (org.unit(0), org.unit(1));
    let rev = org.approver("a1").current_revision(a).await?;
    let rev = org.approve_all(&rev, &[]).await;
    assert!(rev.parts.iter().all(|p| p.status == PartStatus::Accepted));
    let who = |sub: &str| org.person_as(sub, &[Role::Submitter]);

    // the step shows whom it waits for
    assert_eq!(rev.approvals.len(), 3);
    assert_eq!(rev.approvals[0].kind, "unit_head");
    let mut needed: Vec<&str> = rev.approvals[0]
        .required
        .iter()
        .map(|r| r.sub.as_str())
        .collect();
    needed.sort();
    assert_eq!(needed, ["head1", "head2"]);
    assert_eq!(rev.approvals[1].required[0].official_id, o.curator);
    assert_eq!(rev.approvals[2].required[0].official_id, o.deputy);

    // the wrong official: 403 wrong_official naming who is expected
    for sub in ["deputy", "curator"] {
        let p = who(sub).approve(&rev).await.unwrap_err();
        assert_eq!(p.code, ErrorCode::WrongOfficial, "{sub}");
        assert_eq!(p.status, 403);
        assert!(
            p.detail.contains("head1") && p.detail.contains("head2"),
            "{}",
            p.detail
        );
    }
    // an approver is no official of this chain
    let p = org.approver("a1").approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::WrongOfficial);

    // each head agrees; one person agrees once (R9)
    let r = who("head2").approve(&rev).await?;
    assert_eq!(r.status, RevisionStatus::Approving);
    assert!(!r.approvals[0].done);
    let p = who("head2").approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let p = who("curator").approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::WrongOfficial);
    assert!(
        p.detail.contains("head1") && !p.detail.contains("head2"),
        "{}",
        p.detail
    );
    let r = who("head1").approve(&rev).await?;
    assert!(r.approvals[0].done);
    let r = who("curator").approve(&rev).await?;
    assert!(r.approvals[1].done);

    // the deputy refuses: unit 2's part goes back, every agreement is cleared
    let remark = "Не указан режим работы телефона доверия";
    let r = who("deputy")
        .refuse(&rev, json!([{ "text": remark }]), Some(&[u2.to_string()]))
        .await?;
    assert_eq!(r.status, RevisionStatus::Open);
    assert_eq!(part(&r, u2).status, PartStatus::Returned);
    assert_eq!(part(&r, u1).status, PartStatus::Accepted);
    assert!(r
        .approvals
        .iter()
        .all(|s| s.agreements.is_empty() && !s.done));
    assert!(r
        .remarks
        .iter()
        .any(|m| m.text == remark && m.unit_id == u2.to_string()));
    let history = org.approver("a1").history(&rev).await?;
    let refusal = history
        .items
        .iter()
        .find(|e| e.entity == "revision" && e.action == "refuse")
        .expect("the refusal is in the history");
    assert_eq!(refusal.actor, "deputy");
    assert_eq!(
        refusal.before.as_ref().unwrap()["agreements"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // nobody outside the chain refuses
    let p = org
        .approver("a1")
        .refuse(&rev, json!("нет"), None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::WrongOfficial);
    // the chain waits until every part is accepted again
    let p = who("head1").approve(&rev).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);

    // unit 2 resubmits, the part is accepted, the three agree again and the revision is published
    org.submitter_of(1).submit(&rev, u2).await?;
    org.approver("a1").accept(&rev, u2).await?;
    for sub in ["head1", "head2", "curator", "deputy"] {
        who(sub).approve(&rev).await?;
    }
    let r = org.approver("a1").revision(&rev).await?;
    assert_eq!(r.status, RevisionStatus::Approved);
    let signed: Vec<Vec<&str>> = r
        .approvals
        .iter()
        .map(|s| s.agreements.iter().map(|g| g.by.as_str()).collect())
        .collect();
    assert_eq!(
        signed,
        [vec!["head1", "head2"], vec!["curator"], vec!["deputy"]]
    );
    assert_eq!(r.approvals[2].agreements[0].official_id, Some(o.deputy));
    assert_eq!(
        r.approvals[2].approved_by_name.as_deref(),
        Some("Тест deputy")
    );
    assert!(r.approvals.iter().all(|s| s.done));
    let published = org.publisher().publish(&rev).await?;
    assert_eq!(published.version, 1);
    Ok(())
}

#[actix_web::test]
async fn a_unit_without_head_stops_the_chain_at_its_step() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, _) = agency_003(&app).await;
    org.admin()
        .set_unit_officials(org.unit(1), None, None)
        .await?;
    fill_in(&org).await?;
    let rev = org.approver("a1").current_revision(org.id()).await?;
    let rev = org.approve_all(&rev, &[]).await;
    assert!(rev.approvals[0]
        .problem
        .as_deref()
        .unwrap()
        .contains("no head"));
    let p = org
        .person_as("head1", &[Role::Submitter])
        .approve(&rev)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    Ok(())
}

#[actix_web::test]
async fn cancel_ends_the_revision_keeps_its_edits_and_a_new_one_can_be_opened(
) -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, _) = agency_003(&app).await;
    fill_in(&org).await?;
    let a = org.id();
    let rev = org.approver("a1").current_revision(a).await?;
    let p = org.submitter().cancel(&rev, "ошибочно").await.unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let p = org.approver("a1").cancel(&rev, "  ").await.unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    let r = org
        .approver("a1")
        .cancel(&rev, "Открыта ошибочно: актуализация перенесена")
        .await?;
    assert_eq!(r.status, RevisionStatus::Cancelled);
    assert!(r.cancelled_at.is_some());
    // final: nothing moves any more
    let p = org
        .approver("a1")
        .cancel(&rev, "ещё раз")
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let p = org
        .submitter_of(0)
        .submit(&rev, org.unit(0))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    let history = org.approver("a1").history(&rev).await?;
    let last = history.items.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("cancel", "a1")
    );

    // the edits stay in the working copy; nothing was published
    let procs: serde_json::Value = org
        .approver("a1")
        .get(&format!("/api/v1/agencies/{a}/processes"))
        .await?;
    assert_eq!(procs["total"], 2);
    assert!(app.portal().public_register(a).await.is_err());

    // a new revision opens and its chain counts the cancelled revision's edits as changed
    let r2 = org
        .approver("a1")
        .open_revision(a, "yearly_revision", "Ежегодная актуализация")
        .await?;
    assert_eq!(r2.number, 2);
    assert_eq!(r2.status, RevisionStatus::Open);
    assert!(r2.parts.iter().all(|p| p.status == PartStatus::Draft));
    assert_eq!(r2.approvals[0].required.len(), 2);
    let list = org.approver("a1").revisions(a).await?;
    assert_eq!(list.total, 2);
    Ok(())
}

#[actix_web::test]
async fn chains_of_plain_names_keep_working_as_any_approver_steps() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let org = app.org("Министерство").with_unit("Отдел").build().await;
    let settings = org
        .admin()
        .set_chain(
            org.id(),
            json!(["Начальник отдела", {"kind": "any_approver", "name": "Министр"}]),
        )
        .await?;
    assert_eq!(
        serde_json::to_value(&settings.approval_chain).unwrap(),
        json!([{"kind": "any_approver", "name": "Начальник отдела"}, {"kind": "any_approver", "name": "Министр"}])
    );
    let p = org
        .admin()
        .set_chain(org.id(), json!([{"kind": "official"}]))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::ValidationFailed);
    let p = org
        .admin()
        .set_chain(
            org.id(),
            json!([{"kind": "official", "official_id": Uuid::from_u128(7)}]),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::UnknownReference);
    Ok(())
}
