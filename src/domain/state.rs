//! The state machine of a revision and its parts, as plain functions (R8–R10).
//!
//! A part moves `draft → submitted → (returned → [draft] → submitted)* → accepted`; a revision
//! moves `open → (approving)* → approved → published` once every part is accepted, through the
//! agency's ordered chain of agreements (R9). An official of the chain may refuse it
//! (`approving`/`approved` → `open`, the named parts back to `returned`); an open, approving or
//! approved revision may be cancelled (→ `cancelled`, final). Who agrees which step is
//! [`super::chain`].

use super::enums::text_enum;

text_enum! {
    pub enum PartStatus {
        /// Being filled in by the unit.
        Draft => "draft",
        /// Sent for review; the unit's processes and touchpoints are read-only.
        Submitted => "submitted",
        /// Sent back with remarks; editable again.
        Returned => "returned",
        /// Checked and accepted; read-only.
        Accepted => "accepted",
    }
}

text_enum! {
    pub enum RevisionStatus {
        /// Parts are being filled in, reviewed and accepted.
        Open => "open",
        /// Some steps of the approval chain are done.
        Approving => "approving",
        /// Approved by the whole chain; waiting for the publisher.
        Approved => "approved",
        /// Published as an immutable version.
        Published => "published",
        /// Ended without publishing (`POST /revisions/{id}/cancel`); its edits stay in the
        /// working copy for the next revision.
        Cancelled => "cancelled",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartAction {
    Edit,
    Submit,
    Return,
    Accept,
}

/// A transition that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Illegal {
    pub message: String,
}

/// The part's status after `action`, or why not. Editing a returned part reopens it as a draft.
pub fn part_transition(
    revision: RevisionStatus,
    part: PartStatus,
    action: PartAction,
) -> Result<PartStatus, Illegal> {
    if revision != RevisionStatus::Open {
        return Err(Illegal {
            message: format!(
                "the revision is {}; its parts can no longer change",
                revision.as_str()
            ),
        });
    }
    use PartAction::*;
    use PartStatus::*;
    match (part, action) {
        (Draft, Edit) => Ok(Draft),
        (Returned, Edit) => Ok(Draft),
        (Draft | Returned, Submit) => Ok(Submitted),
        (Submitted, Return) => Ok(Returned),
        (Submitted, Accept) => Ok(Accepted),
        (s, a) => Err(Illegal {
            message: format!("a {} part cannot be {}", s.as_str(), action_past(a)),
        }),
    }
}

fn action_past(a: PartAction) -> &'static str {
    match a {
        PartAction::Edit => "edited",
        PartAction::Submit => "submitted",
        PartAction::Return => "returned",
        PartAction::Accept => "accepted",
    }
}

/// Whether a part can be agreed by its unit's curator (000 §III.1): only while it could be
/// submitted (a draft or returned part of an open revision), since the agreement is what its
/// submission waits for.
pub fn agree_part(revision: RevisionStatus, part: PartStatus) -> Result<(), Illegal> {
    part_transition(revision, part, PartAction::Submit)
        .map(|_| ())
        .map_err(|e| Illegal {
            message: match revision {
                RevisionStatus::Open => format!(
                    "a {} part cannot be agreed: only a draft or returned part, before its submission",
                    part.as_str()
                ),
                _ => e.message,
            },
        })
}

/// Whether a revision can be agreed now: open or approving, every part accepted (R8).
pub fn ready_for_agreement(revision: RevisionStatus, parts: &[PartStatus]) -> Result<(), Illegal> {
    match revision {
        RevisionStatus::Open | RevisionStatus::Approving => {}
        other => {
            return Err(Illegal {
                message: format!("the revision is already {}", other.as_str()),
            })
        }
    }
    let waiting = parts.iter().filter(|p| **p != PartStatus::Accepted).count();
    if waiting > 0 || parts.is_empty() {
        return Err(Illegal { message: format!("{waiting} part(s) are not accepted yet; every part must be accepted before approval") });
    }
    Ok(())
}

/// A refusal by an official of the chain: once every part is accepted (the chain may have
/// started or even finished, as long as nothing is published), the revision goes back to
/// `open` and the refused parts to `returned`.
pub fn refuse(revision: RevisionStatus, parts: &[PartStatus]) -> Result<RevisionStatus, Illegal> {
    match revision {
        RevisionStatus::Approving | RevisionStatus::Approved => Ok(RevisionStatus::Open),
        RevisionStatus::Open => {
            ready_for_agreement(revision, parts).map_err(|e| Illegal {
                message: format!(
                    "only a revision whose parts are all accepted can be refused: {}",
                    e.message
                ),
            })?;
            Ok(RevisionStatus::Open)
        }
        other => Err(Illegal {
            message: format!(
                "the revision is {}; it can no longer be refused",
                other.as_str()
            ),
        }),
    }
}

/// Cancelling ends a revision that is not published yet; a cancelled one stays cancelled.
pub fn cancel(revision: RevisionStatus) -> Result<RevisionStatus, Illegal> {
    match revision {
        RevisionStatus::Open | RevisionStatus::Approving | RevisionStatus::Approved => {
            Ok(RevisionStatus::Cancelled)
        }
        other => Err(Illegal {
            message: format!("the revision is {}; it cannot be cancelled", other.as_str()),
        }),
    }
}

pub fn publish(revision: RevisionStatus) -> Result<RevisionStatus, Illegal> {
    match revision {
        RevisionStatus::Approved => Ok(RevisionStatus::Published),
        other => Err(Illegal {
            message: format!(
                "only an approved revision can be published; this one is {}",
                other.as_str()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PartAction::*;
    use PartStatus::*;

    #[test]
    fn part_status_words() {
        crate::domain::enums::check_words::<PartStatus>();
    }

    #[test]
    fn revision_status_words() {
        crate::domain::enums::check_words::<RevisionStatus>();
    }

    #[test]
    fn the_r10_loop() {
        let open = RevisionStatus::Open;
        let s = part_transition(open, Draft, Submit).unwrap();
        let s = part_transition(open, s, Return).unwrap();
        assert_eq!(s, Returned);
        let s = part_transition(open, s, Edit).unwrap();
        assert_eq!(s, Draft);
        let s = part_transition(open, s, Submit).unwrap();
        assert_eq!(part_transition(open, s, Accept).unwrap(), Accepted);
        // resubmitting without an edit is allowed too
        assert_eq!(part_transition(open, Returned, Submit).unwrap(), Submitted);
    }

    #[test]
    fn locked_states_refuse_edits() {
        for s in [Submitted, Accepted] {
            assert!(part_transition(RevisionStatus::Open, s, Edit).is_err());
        }
        assert!(part_transition(RevisionStatus::Open, Draft, Accept).is_err());
        assert!(part_transition(RevisionStatus::Open, Accepted, Return).is_err());
        assert!(part_transition(RevisionStatus::Approving, Draft, Edit).is_err());
    }

    #[test]
    fn a_part_is_agreed_before_its_submission() {
        let open = RevisionStatus::Open;
        assert!(agree_part(open, Draft).is_ok());
        assert!(agree_part(open, Returned).is_ok());
        for s in [Submitted, Accepted] {
            assert!(agree_part(open, s)
                .unwrap_err()
                .message
                .contains("cannot be agreed"));
        }
        assert!(agree_part(RevisionStatus::Approving, Draft).is_err());
    }

    #[test]
    fn agreement_needs_every_part_accepted() {
        use RevisionStatus as R;
        assert!(ready_for_agreement(R::Open, &[Accepted, Submitted]).is_err());
        assert!(ready_for_agreement(R::Open, &[]).is_err());
        assert!(ready_for_agreement(R::Open, &[Accepted]).is_ok());
        assert!(ready_for_agreement(R::Approving, &[Accepted]).is_ok());
        for r in [R::Approved, R::Published, R::Cancelled] {
            assert!(ready_for_agreement(r, &[Accepted]).is_err());
        }
        assert!(publish(R::Approving).is_err());
        assert_eq!(publish(R::Approved).unwrap(), R::Published);
        assert!(publish(R::Published).is_err());
        assert!(publish(R::Cancelled).is_err());
    }

    #[test]
    fn refusal_reopens_and_cancellation_ends() {
        use RevisionStatus as R;
        assert_eq!(refuse(R::Approving, &[Accepted]).unwrap(), R::Open);
        assert_eq!(refuse(R::Approved, &[Accepted]).unwrap(), R::Open);
        assert_eq!(refuse(R::Open, &[Accepted, Accepted]).unwrap(), R::Open);
        assert!(refuse(R::Open, &[Accepted, Submitted]).is_err());
        assert!(refuse(R::Published, &[Accepted]).is_err());
        assert!(refuse(R::Cancelled, &[Accepted]).is_err());
        for r in [R::Open, R::Approving, R::Approved] {
            assert_eq!(cancel(r).unwrap(), R::Cancelled);
        }
        assert!(cancel(R::Published).is_err());
        assert!(cancel(R::Cancelled).is_err());
        // a cancelled revision's parts no longer move
        assert!(part_transition(R::Cancelled, Draft, Edit).is_err());
        assert!(part_transition(R::Cancelled, Submitted, Accept).is_err());
    }

    /// Every sequence of actions (up to length 6) from a fresh part: the machine never leaves
    /// its four states, never accepts without a submission in between, and a locked part is
    /// never edited.
    #[test]
    fn no_sequence_reaches_an_illegal_state() {
        let actions = [Edit, Submit, Return, Accept];
        let mut frontier = vec![(Draft, false)];
        for _ in 0..6 {
            let mut next = Vec::new();
            for (state, submitted_since_return) in &frontier {
                for a in actions {
                    if let Ok(s) = part_transition(RevisionStatus::Open, *state, a) {
                        if a == Accept {
                            assert_eq!(*state, Submitted);
                            assert!(*submitted_since_return);
                        }
                        if a == Edit {
                            assert!(matches!(state, Draft | Returned));
                        }
                        let flag = match a {
                            Submit => true,
                            Return | Edit => false,
                            Accept => *submitted_since_return,
                        };
                        next.push((s, flag));
                    }
                }
            }
            frontier = next;
        }
        assert!(!frontier.is_empty());
    }
}
