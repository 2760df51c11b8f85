//! Who takes an agency's revisions through the procedure. A subordinate organization keeps its
//! own register, but when its parent's settings say `approves_subordinates` (002 §1.1, §5.1:
//! the ministry's Порядок covers its organizations and the minister approves), the parent —
//! its approvers, officials and publishers — opens, reviews, agrees, refuses, cancels and
//! publishes the organization's revisions, and may read them; the organization's own
//! submitters still fill in and submit its parts. The rule climbs: an organization of an
//! organization whose parent governs it is governed by that parent's governor.

use diesel::pg::PgConnection;
use uuid::Uuid;

use super::settings;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The agency whose approvers and publishers act on `agency_id`'s revisions: the agency itself
/// unless its parent approves its subordinates (then the parent's governor).
pub fn governing(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Uuid> {
    let line = crate::agencies::db::ancestors_many(conn, &[agency_id])?
        .remove(&agency_id)
        .ok_or_else(|| ApiError::not_found("agency", agency_id))?;
    if line.len() == 1 {
        return Ok(agency_id);
    }
    let in_force = settings::get_many(conn, &line[1..])?;
    Ok(governor(&line, |a| {
        in_force.get(&a).is_some_and(|s| s.approves_subordinates)
    }))
}

/// The governor along a line up the tree (`line[0]` the agency itself): climb while the next
/// ancestor approves its subordinates.
pub fn governor(line: &[Uuid], approves_subordinates: impl Fn(Uuid) -> bool) -> Uuid {
    let mut g = line[0];
    for &a in &line[1..] {
        if !approves_subordinates(a) {
            break;
        }
        g = a;
    }
    g
}

/// The organizations whose revisions `agency_id` governs (its subordinates, theirs while each
/// approves its own, …), in tree order; empty unless the agency approves its subordinates.
pub fn governed_by(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Uuid>> {
    use crate::schema::agencies;
    use diesel::prelude::*;
    let mut out = Vec::new();
    let mut frontier = vec![agency_id];
    for _ in 0..32 {
        let in_force = settings::get_many(conn, &frontier)?;
        let approving: Vec<Uuid> = frontier
            .iter()
            .copied()
            .filter(|a| in_force.get(a).is_some_and(|s| s.approves_subordinates))
            .collect();
        if approving.is_empty() {
            break;
        }
        frontier = agencies::table
            .filter(agencies::parent_id.eq_any(&approving))
            .order((agencies::name, agencies::id))
            .select(agencies::id)
            .load(conn)?;
        frontier.retain(|a| !out.contains(a) && *a != agency_id);
        out.extend(frontier.iter().copied());
    }
    Ok(out)
}

/// Holds `role` for the agency's revisions: the submitter's role in the agency itself; the
/// approver's and publisher's in the governing agency (only there: a governed organization's
/// own approvers and publishers do not act on its revisions).
pub fn require_role(
    conn: &mut PgConnection,
    user: &User,
    role: Role,
    agency_id: Uuid,
) -> ApiResult<()> {
    if matches!(role, Role::Submitter | Role::Admin) {
        return user.require_role_in(role, agency_id);
    }
    let g = governing(conn, agency_id)?;
    if g != agency_id && user.agency_id == Some(agency_id) && !user.is_admin() {
        return Err(ApiError::client(
            ErrorCode::Forbidden,
            format!(
                "the revisions of organization {agency_id} are reviewed, agreed and published by its parent agency {g} (its settings approve subordinates): this needs the {} role there",
                role.as_str()
            ),
        ));
    }
    user.require_role_in(role, g)
}

/// Whether the user acts as an approver for the agency's revisions (admin, or the approver
/// role in the governing agency).
pub fn is_approver_for(user: &User, governing: Uuid) -> bool {
    user.is_admin() || (user.has(Role::Approver) && user.agency_id == Some(governing))
}

/// May read the agency's internal data: its own members (and admins), and the approvers and
/// publishers of the agency that governs it.
pub fn require_reader(conn: &mut PgConnection, user: &User, agency_id: Uuid) -> ApiResult<()> {
    let own = user.require_member(agency_id);
    if own.is_ok() || !(user.has(Role::Approver) || user.has(Role::Publisher)) {
        return own;
    }
    // an agency that does not exist answers as before: not open to this user (403), so a
    // reader learns nothing more than without the rule
    let g = match governing(conn, agency_id) {
        Ok(g) => g,
        Err(e) if e.code() == ErrorCode::NotFound => return own,
        Err(e) => return Err(e),
    };
    if g != agency_id && user.agency_id == Some(g) {
        Ok(())
    } else {
        own
    }
}

/// [`require_reader`] for a handler outside a transaction: no query unless the caller is not
/// a member of the agency.
pub async fn may_read(db: &Db, user: &User, agency_id: Uuid) -> ApiResult<()> {
    if user.require_member(agency_id).is_ok() {
        return Ok(());
    }
    let user = user.clone();
    db.run(move |c| require_reader(c, &user, agency_id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_governor_climbs_while_parents_approve_their_subordinates() {
        let (org, ministry, government) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let line = [org, ministry, government];
        assert_eq!(governor(&line, |_| false), org);
        assert_eq!(governor(&line, |a| a == ministry), ministry);
        assert_eq!(governor(&line, |_| true), government);
        // a grandparent that approves does not reach past a parent that does not
        assert_eq!(governor(&line, |a| a == government), org);
        assert_eq!(governor(&[org], |_| true), org);
    }
}
