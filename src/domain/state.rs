//! The state machine of a revision and its parts, as plain functions (R8–R10).
//!
//! A part moves `draft → submitted → (returned → [draft] → submitted)* → accepted`; a revision
//! moves `open → (approving)* → approved → published` once every part is accepted, through the
//! agency's ordered chain of agreements (R9).

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

/// After one more agreement, by `official`: the revision's status. `agreed` lists who agreed
/// the steps already done, `chain` is the number of steps (an empty chain needs one
/// approval). R9: each step is agreed by another official; one person agrees once.
pub fn approve(
    revision: RevisionStatus,
    parts: &[PartStatus],
    agreed: &[&str],
    chain: usize,
    official: &str,
) -> Result<RevisionStatus, Illegal> {
    let done = agreed.len();
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
    if agreed.contains(&official) {
        return Err(Illegal {
            message:
                "you have already agreed this revision; the next step needs another official (R9)"
                    .to_owned(),
        });
    }
    let needed = chain.max(1);
    if done + 1 >= needed {
        Ok(RevisionStatus::Approved)
    } else {
        Ok(RevisionStatus::Approving)
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
    fn approval_needs_every_part_and_walks_the_chain() {
        assert!(approve(RevisionStatus::Open, &[Accepted, Submitted], &[], 0, "a").is_err());
        assert!(approve(RevisionStatus::Open, &[], &[], 0, "a").is_err());
        assert_eq!(
            approve(RevisionStatus::Open, &[Accepted], &[], 0, "a").unwrap(),
            RevisionStatus::Approved
        );
        assert_eq!(
            approve(RevisionStatus::Open, &[Accepted], &[], 3, "a").unwrap(),
            RevisionStatus::Approving
        );
        assert_eq!(
            approve(RevisionStatus::Approving, &[Accepted], &["a"], 3, "b").unwrap(),
            RevisionStatus::Approving
        );
        assert_eq!(
            approve(RevisionStatus::Approving, &[Accepted], &["a", "b"], 3, "c").unwrap(),
            RevisionStatus::Approved
        );
        assert!(approve(
            RevisionStatus::Approved,
            &[Accepted],
            &["a", "b", "c"],
            3,
            "d"
        )
        .is_err());
    }

    #[test]
    fn r9_one_official_agrees_once() {
        let e = approve(RevisionStatus::Approving, &[Accepted], &["a"], 3, "a").unwrap_err();
        assert!(e.message.contains("R9"), "{}", e.message);
        assert!(approve(RevisionStatus::Approving, &[Accepted], &["a", "b"], 3, "b").is_err());
        assert!(approve(RevisionStatus::Approving, &[Accepted], &["a", "b"], 3, "c").is_ok());
        assert!(publish(RevisionStatus::Approving).is_err());
        assert_eq!(
            publish(RevisionStatus::Approved).unwrap(),
            RevisionStatus::Published
        );
        assert!(publish(RevisionStatus::Published).is_err());
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
