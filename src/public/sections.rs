//! A parent's current register with its subordinate organizations' current registers as
//! sections (`include=subordinates`): every descendant, depth-first, siblings by name then
//! id; those with nothing published are listed apart. Each section is the body's own
//! published version (the one its own register serves, same SHA-256), put together as the
//! region view puts agencies together: rendered versions from the cache, read in one batch
//! when cold ([`super::api::rendered_many`]), the same CSV, HTML and XLSX pieces.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::cache::{PublicCache, Rendered};
use super::serve::{
    negotiate, rendered_many, send_dynamic, Format, PublishedRegister, RegisterQuery,
    Representation,
};
use super::{render, xlsx};
use crate::db::ReadDb;
use crate::domain::register::{RegisterContent, RegisterRow};
use crate::error::{ApiError, ApiResult};
use crate::schema::{agencies, register_versions};

/// A subordinate organization of the agency, where it sits in the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubordinateRef {
    pub agency_id: Uuid,
    pub name: String,
    /// The agency it reports to: the requested one, or another subordinate organization.
    pub parent_id: Uuid,
    /// 1 for the agency's own organizations, 2 for theirs, and so on.
    pub depth: i32,
}

/// A subordinate organization's current published register, as a section of its parent's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegisterSection {
    pub agency_id: Uuid,
    /// The name as the published version states it.
    pub name: String,
    pub short_name: Option<String>,
    pub parent_id: Uuid,
    /// 1 for the agency's own organizations, 2 for theirs, and so on.
    pub depth: i32,
    /// The organization's own version number.
    pub version: i32,
    /// The version's SHA-256: what the organization's own register sends as `X-Content-SHA256`.
    pub sha256: String,
    pub approved_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    /// URL of the version.
    pub url: String,
    /// Its rows in the official form (the request's row filters applied; `n` as in its register).
    pub rows: Vec<RegisterRow>,
}

/// `include=subordinates`: the agency's published register (every field of
/// `PublishedRegister`), then its subordinate organizations' registers. Without `include`,
/// `sections` and `without_register` are absent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "version": 3,
    "sha256": "9f2c4e1b7a0d5c3e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
    "approved_at": "2026-02-01T09:00:00Z",
    "published_at": "2026-02-02T10:30:00Z",
    "agency": {"id": "0b5e6a4e-3c1f-4f4e-9d1a-2f3b4c5d6e7f", "parent_id": null,
               "name": "Министерство строительства, архитектуры и ЖКХ Республики Дагестан",
               "short_name": "Минстрой РД", "region": "Республика Дагестан", "website": null},
    "columns": ["№", "Направление деятельности", "Наименование конкретного процесса (услуги, функции, сервиса)",
                "Точка взаимодействия", "Осуществляемое взаимодействие с клиентом", "Особенности взаимодействия с клиентом"],
    "rows": [],
    "sections": [{
        "agency_id": "5d0c2b7e-8a41-4c59-b1e2-6f7a8b9c0d1e",
        "name": "ГКУ РД «Управление капитального строительства»",
        "short_name": "ГКУ РД «УКС»",
        "parent_id": "0b5e6a4e-3c1f-4f4e-9d1a-2f3b4c5d6e7f",
        "depth": 1,
        "version": 1,
        "sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        "approved_at": "2026-01-20T08:00:00Z",
        "published_at": "2026-01-21T12:00:00Z",
        "url": "/api/v1/public/agencies/5d0c2b7e-8a41-4c59-b1e2-6f7a8b9c0d1e/register/versions/1",
        "rows": [{
            "n": 1, "direction_id": "6a1f0c3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b", "direction_code": "appeals",
            "direction": "Работа с обращениями граждан", "process_id": "7b2e1d4f-3c5e-4f6a-9b0c-1d2e3f4a5b6c",
            "process": "Рассмотрение обращений граждан", "registry_code": null, "process_kind": "function",
            "client_type": "external", "unit_id": null, "unit": null,
            "touchpoint": null
        }]
    }],
    "without_register": [{
        "agency_id": "9e4a3f6b-5e7a-4b8c-9d2e-3f4a5b6c7d8e",
        "name": "ГБУ РД «Дагестанстройинформ»",
        "parent_id": "0b5e6a4e-3c1f-4f4e-9d1a-2f3b4c5d6e7f",
        "depth": 1
    }]
}))]
pub struct RegisterWithSections {
    #[serde(flatten)]
    pub register: PublishedRegister,
    /// One per subordinate organization with a published register, depth-first, siblings by
    /// name then id.
    #[serde(default)]
    pub sections: Vec<RegisterSection>,
    /// Subordinate organizations with nothing published yet, in the same order.
    #[serde(default)]
    pub without_register: Vec<SubordinateRef>,
}

/// The parent's version and its subordinates' current versions.
pub struct Assembled {
    pub parent: Arc<Rendered>,
    pub sections: Vec<(SubordinateRef, Arc<Rendered>)>,
    pub without_register: Vec<SubordinateRef>,
}

/// Every descendant of `root`, depth-first, siblings by name then id, with its newest
/// published version number, if any.
fn subordinates(
    c: &mut PgConnection,
    root: Uuid,
) -> ApiResult<(Vec<SubordinateRef>, HashMap<Uuid, i32>)> {
    let mut children: HashMap<Uuid, Vec<(String, Uuid)>> = HashMap::new();
    let mut seen = HashSet::from([root]);
    let mut frontier = vec![root];
    while !frontier.is_empty() {
        let rows: Vec<(Uuid, Option<Uuid>, String)> = agencies::table
            .filter(agencies::parent_id.eq_any(&frontier))
            .select((agencies::id, agencies::parent_id, agencies::name))
            .load(c)?;
        frontier.clear();
        for (id, parent, name) in rows {
            if let Some(parent) = parent.filter(|_| seen.insert(id)) {
                children.entry(parent).or_default().push((name, id));
                frontier.push(id);
            }
        }
    }
    for list in children.values_mut() {
        list.sort();
    }
    fn walk(
        children: &HashMap<Uuid, Vec<(String, Uuid)>>,
        parent: Uuid,
        depth: i32,
        out: &mut Vec<SubordinateRef>,
    ) {
        for (name, id) in children.get(&parent).into_iter().flatten() {
            out.push(SubordinateRef {
                agency_id: *id,
                name: name.clone(),
                parent_id: parent,
                depth,
            });
            walk(children, *id, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(&children, root, 1, &mut out);
    let ids: Vec<Uuid> = out.iter().map(|s| s.agency_id).collect();
    let versions: Vec<(Uuid, Option<i32>)> = register_versions::table
        .filter(register_versions::agency_id.eq_any(&ids))
        .group_by(register_versions::agency_id)
        .select((
            register_versions::agency_id,
            diesel::dsl::max(register_versions::number),
        ))
        .load(c)?;
    let versions = versions
        .into_iter()
        .filter_map(|(a, n)| n.map(|n| (a, n)))
        .collect();
    Ok((out, versions))
}

/// The parent's version `parent` with the current version of each of its subordinate
/// organizations that has one.
pub async fn assemble(
    db: &ReadDb,
    cache: &PublicCache,
    parent: Arc<Rendered>,
) -> ApiResult<Assembled> {
    let root = parent.agency_id;
    let (tree, mut current) = db.run(move |c| subordinates(c, root)).await?;
    // a publication this instance has heard of but the replica not yet replayed counts too
    for s in &tree {
        if let Some(Some(n)) = cache.current(s.agency_id) {
            let e = current.entry(s.agency_id).or_insert(n);
            *e = (*e).max(n);
        }
    }
    let keys: Vec<(Uuid, i32)> = tree
        .iter()
        .filter_map(|s| current.get(&s.agency_id).map(|n| (s.agency_id, *n)))
        .collect();
    let mut versions = rendered_many(db, cache, &keys).await?.into_iter();
    let mut sections = Vec::new();
    let mut without_register = Vec::new();
    for s in tree {
        if current.contains_key(&s.agency_id) {
            let r = versions.next().expect("one rendered version per key");
            sections.push((s, r));
        } else {
            without_register.push(s);
        }
    }
    Ok(Assembled {
        parent,
        sections,
        without_register,
    })
}

/// A version's content with the request's row filters applied.
fn content_of(r: &Rendered, q: &RegisterQuery) -> RegisterContent {
    RegisterContent {
        agency: r.content.agency.clone(),
        columns: r.content.columns.clone(),
        rows: rows_of(r, q),
        profile: r.content.profile.clone(),
        approval: r.content.approval.clone(),
    }
}

fn rows_of(r: &Rendered, q: &RegisterQuery) -> Vec<RegisterRow> {
    r.content
        .rows
        .iter()
        .filter(|row| q.keep(row))
        .cloned()
        .collect()
}

/// Changes whenever the parent's version, any section's version, the set of subordinate
/// organizations, the format or the filters do.
fn etag(a: &Assembled, format: Format, q: &RegisterQuery) -> String {
    let mut h = Sha256::new();
    h.update(a.parent.sha256.as_bytes());
    for (s, r) in &a.sections {
        h.update(format!("|{}:{}:{}:{}", s.agency_id, s.depth, r.number, r.sha256).as_bytes());
    }
    for s in &a.without_register {
        h.update(format!("|-{}:{}:{}", s.agency_id, s.depth, s.name).as_bytes());
    }
    let mut qh = DefaultHasher::new();
    q.hash(&mut qh);
    format!(
        "\"{}-subordinates-{:?}-{:x}\"",
        hex::encode(h.finalize()),
        format,
        qh.finish()
    )
    .to_lowercase()
}

fn meta(r: &Rendered) -> render::Meta<'_> {
    render::Meta {
        version: Some((r.number, r.approved_at, &r.sha256)),
    }
}

/// The body as JSON.
pub fn json_body(a: &Assembled, q: &RegisterQuery) -> RegisterWithSections {
    let p = &a.parent;
    RegisterWithSections {
        register: PublishedRegister {
            version: p.number,
            sha256: p.sha256.clone(),
            approved_at: p.approved_at,
            published_at: p.published_at,
            content: content_of(p, q),
        },
        sections: a
            .sections
            .iter()
            .map(|(s, r)| RegisterSection {
                agency_id: s.agency_id,
                name: r.content.agency.name.clone(),
                short_name: r.content.agency.short_name.clone(),
                parent_id: s.parent_id,
                depth: s.depth,
                version: r.number,
                sha256: r.sha256.clone(),
                approved_at: r.approved_at,
                published_at: r.published_at,
                url: format!(
                    "/api/v1/public/agencies/{}/register/versions/{}",
                    s.agency_id, r.number
                ),
                rows: rows_of(r, q),
            })
            .collect(),
        without_register: a.without_register.clone(),
    }
}

/// As the consolidated region CSV: one header, every body's rows with its (short) name before
/// the direction, numbered from 1 in each body as in its own register.
pub fn csv(a: &Assembled, q: &RegisterQuery) -> String {
    let mut out = render::csv_header();
    for r in std::iter::once(&a.parent).chain(a.sections.iter().map(|(_, r)| r)) {
        let agency = &r.content.agency;
        let name = agency.short_name.as_deref().unwrap_or(&agency.name);
        out.push_str(&render::csv_rows(&rows_of(r, q), 1, Some(name)));
    }
    out
}

/// The agency's page, then per section a heading with the body's name, «Версия N», its
/// SHA-256 and its table (as the region page).
pub fn html(a: &Assembled, q: &RegisterQuery) -> String {
    render::html_with_sections(
        &content_of(&a.parent, q),
        &meta(&a.parent),
        a.sections.iter().map(|(_, r)| {
            render::html_section(&r.content.agency.name, r.number, &r.sha256, &rows_of(r, q))
        }),
    )
}

/// The agency's sheet, then a sheet per section, each the official form with its header block.
pub fn workbook(a: &Assembled, q: &RegisterQuery) -> ApiResult<Vec<u8>> {
    let contents: Vec<RegisterContent> = a.sections.iter().map(|(_, r)| content_of(r, q)).collect();
    let sections: Vec<(&RegisterContent, render::Meta<'_>)> = contents
        .iter()
        .zip(&a.sections)
        .map(|(c, (_, r))| (c, meta(r)))
        .collect();
    xlsx::workbook_with_sections(&content_of(&a.parent, q), &meta(&a.parent), &sections)
}

/// Serves an assembled register in the negotiated format, with its own ETag (304 on a match).
/// The variant depends on every section's current version and on the filters, so it is
/// rendered per request and compressed when that pays off (see `serve::send_dynamic`), not
/// cached.
pub async fn respond(
    req: &HttpRequest,
    a: &Assembled,
    q: &RegisterQuery,
) -> ApiResult<HttpResponse> {
    let format = negotiate(req, q);
    let tag = etag(a, format, q);
    let file = format!(
        "perechen-{}-v{}-podvedomstvennye",
        a.parent.agency_id, a.parent.number
    );
    let rep = Representation {
        etag: &tag,
        cache_control: "public, max-age=60",
        sha256: &a.parent.sha256,
        format,
        file: &file,
    };
    send_dynamic(req, rep, || {
        Ok(match format {
            Format::Json => {
                serde_json::to_vec(&json_body(a, q)).map_err(|e| ApiError::Internal(e.into()))?
            }
            Format::Csv => csv(a, q).into_bytes(),
            Format::Html => html(a, q).into_bytes(),
            Format::Xlsx => workbook(a, q)?,
            Format::Geojson | Format::Jsonld => {
                let mut contents = vec![content_of(&a.parent, q)];
                contents.extend(a.sections.iter().map(|(_, r)| RegisterContent {
                    rows: rows_of(r, q),
                    ..content_of(r, &RegisterQuery::default())
                }));
                super::serve::derived(format, &contents, None)?
            }
        })
    })
    .await
}
