//! Reviews in the database; recording one runs in the caller's transaction.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::{NewReview, Review, ReviewOutcome};
use crate::auth::User;
use crate::error::ApiResult;
use crate::schema::reviews;
use crate::workflow::audit::{self, Entry};
use crate::workflow::db as wf_db;

type Row = (
    Uuid,
    Uuid,
    super::ReviewKind,
    ReviewOutcome,
    Option<String>,
    Option<Uuid>,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
);

fn columns() -> (
    reviews::id,
    reviews::agency_id,
    reviews::kind,
    reviews::outcome,
    reviews::comment,
    reviews::revision_id,
    reviews::reviewed_by,
    reviews::reviewed_by_name,
    reviews::created_at,
) {
    (
        reviews::id,
        reviews::agency_id,
        reviews::kind,
        reviews::outcome,
        reviews::comment,
        reviews::revision_id,
        reviews::reviewed_by,
        reviews::reviewed_by_name,
        reviews::created_at,
    )
}

fn review(r: Row) -> Review {
    let (id, agency_id, kind, outcome, comment, revision_id, by, name, created_at) = r;
    Review {
        id,
        agency_id,
        kind,
        outcome,
        comment,
        revision_id,
        reviewed_by: by,
        reviewed_by_name: name,
        created_at,
    }
}

/// Records a review (the comment already checked). `changes_found` joins the revision in
/// progress, or opens one with the review's reason.
pub fn record(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    body: NewReview,
) -> ApiResult<Review> {
    // serialises with opening revisions and edits of the agency
    crate::agencies::db::lock(conn, agency_id)?;
    let revision_id = match body.outcome {
        ReviewOutcome::NoChanges => None,
        ReviewOutcome::ChangesFound => Some(match wf_db::active(conn, agency_id, true)? {
            Some(r) => r.id,
            None => {
                wf_db::open(
                    conn,
                    user,
                    agency_id,
                    body.kind.reason(),
                    body.comment.clone(),
                )?
                .id
            }
        }),
    };
    let row: Row = diesel::insert_into(reviews::table)
        .values((
            reviews::agency_id.eq(agency_id),
            reviews::kind.eq(body.kind),
            reviews::outcome.eq(body.outcome),
            reviews::comment.eq(&body.comment),
            reviews::revision_id.eq(revision_id),
            reviews::reviewed_by.eq(&user.sub),
            reviews::reviewed_by_name.eq(user.display()),
        ))
        .returning(columns())
        .get_result(conn)?;
    let r = review(row);
    audit::record(
        conn,
        user,
        Entry {
            agency_id,
            revision_id,
            entity: "review",
            entity_id: r.id.to_string(),
            action: "create",
            before: None,
            after: audit::json(&r),
        },
    )?;
    Ok(r)
}

/// The agency's reviews, newest first.
pub fn list(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Review>> {
    Ok(reviews::table
        .filter(reviews::agency_id.eq(agency_id))
        .order((reviews::created_at.desc(), reviews::id.desc()))
        .select(columns())
        .load::<Row>(conn)?
        .into_iter()
        .map(review)
        .collect())
}
