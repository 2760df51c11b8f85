//! A published version's pieces of its region's consolidated CSV and HTML: rendered and
//! gzip-compressed once, when the version is published (versions never change), and kept in
//! `register_version_pieces` beside it. A region stream is then these pieces read in order and
//! joined into one gzip member (or inflated back for a client that takes no gzip): nothing is
//! rendered or compressed per request, whatever the region's size.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Integer, Text, Uuid as SqlUuid};
use std::io::Read;
use uuid::Uuid;

use super::encoding::GzipPiece;
use super::render;
use crate::background::Background;
use crate::domain::register::RegisterContent;
use crate::schema::register_versions;

/// Which consolidated export a piece belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PieceKind {
    Csv,
    Html,
}

impl PieceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PieceKind::Csv => "region_csv",
            PieceKind::Html => "region_html",
        }
    }
}

/// The compression level of stored pieces: made once per version, so the smaller output is
/// worth the time (level 9 is a few per cent smaller again at twice the time).
const LEVEL: u32 = 6;

/// A version's part of the region export of `kind`, as plain text: its rows in the region CSV
/// (the body's (short) name before each direction, numbered as in the body's own register), or
/// its section of the region HTML page (heading, version, SHA-256, table).
pub fn plain(kind: PieceKind, content: &RegisterContent, number: i32, sha256: &str) -> String {
    let a = &content.agency;
    match kind {
        PieceKind::Csv => render::csv_rows(
            &content.rows,
            1,
            Some(a.short_name.as_deref().unwrap_or(&a.name)),
        ),
        PieceKind::Html => render::html_section(&a.name, number, sha256, &content.rows),
    }
}

/// Renders and stores both pieces of a version (in the caller's transaction when there is one).
pub fn store(
    conn: &mut PgConnection,
    version_id: Uuid,
    content: &RegisterContent,
    number: i32,
    sha256: &str,
) -> QueryResult<()> {
    for kind in [PieceKind::Csv, PieceKind::Html] {
        let p = GzipPiece::new(plain(kind, content, number, sha256).as_bytes(), LEVEL);
        diesel::sql_query(
            "INSERT INTO register_version_pieces (version_id, kind, deflate, crc32, plain_len) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version_id, kind) DO NOTHING",
        )
        .bind::<SqlUuid, _>(version_id)
        .bind::<Text, _>(kind.as_str())
        .bind::<Binary, _>(&p.deflate[..])
        .bind::<BigInt, _>(i64::from(p.crc.clone().finalize()))
        .bind::<BigInt, _>(p.len as i64)
        .execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct PieceRow {
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
    #[diesel(sql_type = Integer)]
    number: i32,
    #[diesel(sql_type = Binary)]
    deflate: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    crc32: i64,
    #[diesel(sql_type = BigInt)]
    plain_len: i64,
}

/// The stored pieces of `kind` for the versions `keys` names (agency, number); versions
/// without one (published before pieces existed and not yet filled in) are absent.
pub fn load(
    conn: &mut PgConnection,
    keys: &[(Uuid, i32)],
    kind: PieceKind,
) -> QueryResult<std::collections::HashMap<(Uuid, i32), GzipPiece>> {
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let (agencies, numbers): (Vec<Uuid>, Vec<i32>) = keys.iter().copied().unzip();
    let rows: Vec<PieceRow> = diesel::sql_query(
        "SELECT v.agency_id, v.number, p.deflate, p.crc32, p.plain_len \
           FROM register_versions v \
           JOIN unnest($1::uuid[], $2::int4[]) AS k(agency_id, number) \
             ON k.agency_id = v.agency_id AND k.number = v.number \
           JOIN register_version_pieces p ON p.version_id = v.id AND p.kind = $3",
    )
    .bind::<Array<SqlUuid>, _>(&agencies)
    .bind::<Array<Integer>, _>(&numbers)
    .bind::<Text, _>(kind.as_str())
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let len = r.plain_len as u64;
            let piece = GzipPiece {
                deflate: r.deflate.into(),
                crc: crc32fast::Hasher::new_with_initial_len(r.crc32 as u32, len),
                len,
            };
            ((r.agency_id, r.number), piece)
        })
        .collect())
}

/// The plain text a stored piece holds (for a client that takes no gzip).
pub fn inflate(piece: &GzipPiece) -> std::io::Result<Vec<u8>> {
    // the piece ends in a full flush, not a final block: an empty final block closes it
    let closed = [&piece.deflate[..], &[0x03, 0x00]].concat();
    let mut out = Vec::with_capacity(piece.len as usize);
    flate2::read::DeflateDecoder::new(&closed[..]).read_to_end(&mut out)?;
    if out.len() as u64 != piece.len {
        return Err(std::io::Error::other(format!(
            "a stored piece inflated to {} bytes, not {}",
            out.len(),
            piece.len
        )));
    }
    Ok(out)
}

/// Versions published before pieces were stored get theirs now, `batch` at a time in
/// publication order after `after_seq`: returns the last `seq` looked at (None when no version
/// is left) and how many were filled in. A version whose content cannot be read is skipped
/// (the stream renders it from its content as before) and logged.
pub fn backfill(
    conn: &mut PgConnection,
    after_seq: i64,
    batch: i64,
) -> QueryResult<(Option<i64>, usize)> {
    use crate::schema::register_version_pieces as rvp;
    let missing: Vec<(Uuid, i64, i32, String, serde_json::Value)> = register_versions::table
        .filter(register_versions::seq.gt(after_seq))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            rvp::table.filter(rvp::version_id.eq(register_versions::id)),
        )))
        .order(register_versions::seq)
        .limit(batch)
        .select((
            register_versions::id,
            register_versions::seq,
            register_versions::number,
            register_versions::sha256,
            register_versions::content,
        ))
        .load(conn)?;
    let mut filled = 0;
    for (id, _, number, sha, content) in &missing {
        match serde_json::from_value::<RegisterContent>(content.clone()) {
            Ok(content) => {
                store(conn, *id, &content, *number, sha)?;
                filled += 1;
            }
            Err(e) => {
                tracing::error!(version = %id, error = %e, "a version's content cannot be read")
            }
        }
    }
    Ok((missing.last().map(|m| m.1), filled))
}

/// Starts the thread that fills in the pieces of earlier versions; it stops when none is left.
pub fn start_backfill(pool: crate::db::PgPool, background: &Background) {
    background.spawn("version-pieces", move |bg| {
        let (mut after, mut filled) = (0, 0);
        while !bg.stopping() {
            let step = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut c| Ok(backfill(&mut c, after, 16)?));
            match step {
                Ok((None, _)) => break,
                Ok((Some(last), n)) => {
                    after = last;
                    filled += n;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "filling in the region pieces of earlier versions");
                    bg.sleep(std::time::Duration::from_secs(5));
                }
            }
        }
        if filled > 0 {
            tracing::info!(
                versions = filled,
                "region pieces filled in for earlier versions"
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_piece_inflates_to_its_text() {
        let text = "№;Направление\r\n".repeat(500);
        let p = GzipPiece::new(text.as_bytes(), LEVEL);
        assert_eq!(inflate(&p).unwrap(), text.as_bytes());
        let short = GzipPiece {
            len: p.len + 1,
            ..GzipPiece::new(text.as_bytes(), LEVEL)
        };
        assert!(inflate(&short).is_err());
    }
}
