//! A realistic data set for the benchmark (`touchpoints bench-data`): agencies × processes ×
//! touchpoints whose Russian wording and lengths come from the seeds' real registers, each
//! agency walked through the workflow to a published version. Also the static route the
//! benchmark compares against (`TOUCHPOINTS_BENCH_ROUTES=1`).

use actix_web::web::{Bytes, Path};
use actix_web::HttpResponse;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::demo::demo_file;
use crate::domain::{AgencyKind, ClientType, Contact, ContactInput, ContactKind, ProcessKind};
use crate::schema::{
    agencies, directions, processes, touchpoint_contacts as tc, touchpoint_needs as tn,
    touchpoints as tp,
};

pub struct Shape {
    pub agencies: usize,
    pub processes: usize,
    pub points: usize,
    pub region: String,
    /// Versions published per agency (the same rows each time): with 2 or more, version 1 is an
    /// archived version, as the benchmark's archived reads need.
    pub versions: usize,
}

/// Fills the database unless it already holds the bench region; returns the agencies created.
pub fn generate(conn: &mut PgConnection, shape: &Shape) -> anyhow::Result<usize> {
    let existing: i64 = agencies::table
        .filter(agencies::region.eq(&shape.region))
        .count()
        .get_result(conn)?;
    if existing as usize >= shape.agencies {
        return Ok(0);
    }
    let demo = demo_file()?;
    let templates: Vec<&crate::demo::DemoRow> = demo
        .agencies
        .iter()
        .flat_map(|a| a.registers.iter().flat_map(|r| r.rows.iter()))
        .collect();
    let catalog: Vec<Uuid> = directions::table
        .filter(directions::agency_id.is_null())
        .order(directions::position)
        .select(directions::id)
        .load(conn)?;
    let loader = crate::auth::User {
        sub: "bench".into(),
        name: "Генератор нагрузочных данных".into(),
        roles: [crate::auth::Role::Admin].into_iter().collect(),
        agency_id: None,
        unit_id: None,
    };
    let mut created = 0;
    for i in existing as usize..shape.agencies {
        conn.transaction::<_, anyhow::Error, _>(|c| {
            let agency: Uuid = diesel::insert_into(agencies::table)
                .values((
                    agencies::name.eq(format!(
                        "Министерство № {i} {}",
                        demo.agencies[i % demo.agencies.len()].name
                    )),
                    agencies::short_name.eq(format!("Ведомство {i}")),
                    agencies::region.eq(&shape.region),
                    agencies::kind.eq(AgencyKind::Ministry),
                    agencies::website.eq(format!("https://agency{i}.e-dag.ru")),
                ))
                .returning(agencies::id)
                .get_result(c)?;
            let process_rows: Vec<_> = (0..shape.processes)
                .map(|j| {
                    let t = templates[(i + j) % templates.len()];
                    (
                        processes::agency_id.eq(agency),
                        processes::direction_id.eq(catalog[j % catalog.len()]),
                        processes::name.eq(format!("{} (процесс {j})", t.process)),
                        processes::kind.eq(ProcessKind::Function),
                        processes::client_type.eq(if j % 3 == 0 {
                            ClientType::Internal
                        } else {
                            ClientType::External
                        }),
                        processes::position.eq(j as i32 + 1),
                    )
                })
                .collect();
            let pids: Vec<Uuid> = diesel::insert_into(processes::table)
                .values(process_rows)
                .returning(processes::id)
                .get_results(c)?;
            let mut point_rows = Vec::new();
            let mut pending = Vec::new();
            for (j, pid) in pids.iter().enumerate() {
                for k in 0..shape.points {
                    let t = templates[(i * 7 + j * shape.points + k) % templates.len()];
                    let serial = (i * shape.processes + j) * shape.points + k;
                    let contact = match t.contacts.first().map(|c| c.kind) {
                        Some(ContactKind::Phone) | None => ContactInput {
                            kind: ContactKind::Phone,
                            value: format!("+78722{:06}", serial % 1_000_000),
                            label: None,
                        },
                        Some(ContactKind::Email) => ContactInput {
                            kind: ContactKind::Email,
                            value: format!("t{k}.p{j}@agency{i}.e-dag.ru"),
                            label: None,
                        },
                        Some(ContactKind::Url) => ContactInput {
                            kind: ContactKind::Url,
                            value: format!("https://agency{i}.e-dag.ru/p{j}/t{k}"),
                            label: None,
                        },
                        Some(kind) => ContactInput {
                            kind,
                            value: format!("{} {i}-{j}-{k}", t.contacts[0].value),
                            label: None,
                        },
                    };
                    let contact =
                        Contact::parse("c", &contact).map_err(|e| anyhow::anyhow!(e.message))?;
                    point_rows.push((
                        tp::process_id.eq(*pid),
                        tp::channel_code.eq(t.channel.clone()),
                        tp::name.eq(format!("{} {k}", t.name)),
                        tp::interaction.eq(Some(t.interaction.clone())),
                        tp::features.eq(Some(t.features.clone())),
                        tp::stated_mode.eq(t.stated_mode),
                        tp::position.eq(k as i32 + 1),
                    ));
                    pending.push((*pid, t.channel.clone(), contact, t.needs.clone()));
                }
            }
            let tids: Vec<Uuid> = diesel::insert_into(tp::table)
                .values(point_rows)
                .returning(tp::id)
                .get_results(c)?;
            let contacts: Vec<_> = tids
                .iter()
                .zip(&pending)
                .map(|(tid, (pid, ch, ct, _))| {
                    (
                        tc::touchpoint_id.eq(*tid),
                        tc::process_id.eq(*pid),
                        tc::channel_code.eq(ch.clone()),
                        tc::kind.eq(ct.kind),
                        tc::value.eq(ct.value.clone()),
                        tc::normalized.eq(ct.normalized.clone()),
                        tc::position.eq(0),
                    )
                })
                .collect();
            diesel::insert_into(tc::table).values(contacts).execute(c)?;
            let needs: Vec<_> = tids
                .iter()
                .zip(&pending)
                .flat_map(|(tid, (_, _, _, needs))| {
                    needs
                        .iter()
                        .map(move |n| (tn::touchpoint_id.eq(*tid), tn::need_code.eq(n.clone())))
                })
                .collect();
            diesel::insert_into(tn::table).values(needs).execute(c)?;
            for _ in 0..shape.versions.max(1) {
                publish(c, &loader, agency).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            Ok(())
        })?;
        created += 1;
        if created % 50 == 0 {
            // a bulk load outruns autovacuum: fresh statistics keep the planner on the indexes
            diesel::sql_query("ANALYZE processes, touchpoints, touchpoint_contacts, touchpoint_needs, register_versions").execute(conn)?;
        }
        if created % 100 == 0 {
            tracing::info!(created, "bench agencies");
        }
    }
    Ok(created)
}

fn publish(
    c: &mut PgConnection,
    user: &crate::auth::User,
    agency: Uuid,
) -> crate::error::ApiResult<()> {
    use crate::domain::state::PartAction;
    use crate::workflow::db as wf;
    let none = crate::http::etag::IfMatch(None);
    let r = wf::open(
        c,
        user,
        agency,
        crate::workflow::model::RevisionReason::YearlyRevision,
        None,
    )?;
    for part in wf::parts(c, r.id)? {
        wf::transition_part(
            c,
            user,
            r.id,
            part.unit_id,
            PartAction::Submit,
            &none,
            Vec::new(),
            // the data set is about size, not about the rules' findings
            |_, _| Ok(()),
        )?;
        wf::transition_part(
            c,
            user,
            r.id,
            part.unit_id,
            PartAction::Accept,
            &none,
            Vec::new(),
            |_, _| Ok(()),
        )?;
    }
    wf::approve(c, user, r.id, &none)?;
    wf::publish(c, user, r.id, &none, &Default::default())?;
    Ok(())
}

/// The ceiling the benchmark measures against: a static JSON body of the requested size, through
/// the same middleware.
pub async fn static_body(bytes: Path<usize>) -> HttpResponse {
    let n = bytes.into_inner().min(16 * 1024 * 1024);
    let body = STATIC.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.len() != n {
            let mut v = Vec::with_capacity(n);
            v.extend_from_slice(b"{\"pad\":\"");
            v.resize(n.saturating_sub(2).max(8), b'x');
            v.extend_from_slice(b"\"}");
            *cached = Bytes::from(v);
        }
        cached.clone()
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

thread_local! {
    static STATIC: std::cell::RefCell<Bytes> = const { std::cell::RefCell::new(Bytes::new()) };
}
