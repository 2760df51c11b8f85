//! Approval chains that name people (R9, 003 §3.4): the steps an agency configures, and —
//! as plain functions — who must agree each step of a given revision and whether a caller's
//! agreement is the one the next open step needs.
//!
//! A step is one of:
//! - `unit_head`: the head of every unit whose processes the revision changed, each agreeing;
//! - `direction_curator`: the curator of every direction whose processes it changed;
//! - `official`: one named official;
//! - `any_approver`: any holder of the approver role (the behaviour before officials existed).
//!
//! A plain string in a stored or submitted chain is read as an `any_approver` step of that
//! name, so chains written before officials existed keep working.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::state::{Illegal, PartStatus, RevisionStatus};

/// One step of an agency's approval chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainStep {
    /// The heads of every unit whose processes the revision changed, each agreeing.
    UnitHead {
        /// A caption for the step; a default is shown when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The curators of every direction whose processes the revision changed, each agreeing.
    DirectionCurator {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// One named official of the agency.
    Official {
        official_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Any approver of the agency (a different person from every earlier step).
    AnyApprover {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum TaggedStep {
    UnitHead {
        #[serde(default)]
        name: Option<String>,
    },
    DirectionCurator {
        #[serde(default)]
        name: Option<String>,
    },
    Official {
        official_id: Uuid,
        #[serde(default)]
        name: Option<String>,
    },
    AnyApprover {
        #[serde(default)]
        name: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawStep {
    Name(String),
    Step(TaggedStep),
}

impl<'de> Deserialize<'de> for ChainStep {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        const SHAPE: &str = "a step is a name (an any_approver step) or {\"kind\": \"unit_head\" | \"direction_curator\" | \"official\" (with official_id) | \"any_approver\"}";
        let value = serde_json::Value::deserialize(de)?;
        // serde would take a variant's index (`"kind": 0`) for its name: only names are words
        if value
            .as_object()
            .is_some_and(|o| !o.get("kind").is_some_and(|k| k.is_string()))
        {
            return Err(serde::de::Error::custom(SHAPE));
        }
        let raw: RawStep =
            serde_json::from_value(value).map_err(|_| serde::de::Error::custom(SHAPE))?;
        Ok(match raw {
            RawStep::Name(name) => ChainStep::AnyApprover { name: Some(name) },
            RawStep::Step(TaggedStep::UnitHead { name }) => ChainStep::UnitHead { name },
            RawStep::Step(TaggedStep::DirectionCurator { name }) => {
                ChainStep::DirectionCurator { name }
            }
            RawStep::Step(TaggedStep::Official { official_id, name }) => {
                ChainStep::Official { official_id, name }
            }
            RawStep::Step(TaggedStep::AnyApprover { name }) => ChainStep::AnyApprover { name },
        })
    }
}

impl ChainStep {
    /// A named any_approver step (the shape of chains before officials existed).
    pub fn any(name: impl Into<String>) -> Self {
        ChainStep::AnyApprover {
            name: Some(name.into()),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ChainStep::UnitHead { .. } => "unit_head",
            ChainStep::DirectionCurator { .. } => "direction_curator",
            ChainStep::Official { .. } => "official",
            ChainStep::AnyApprover { .. } => "any_approver",
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            ChainStep::UnitHead { name }
            | ChainStep::DirectionCurator { name }
            | ChainStep::Official { name, .. }
            | ChainStep::AnyApprover { name } => name.as_deref(),
        }
    }

    pub fn name_mut(&mut self) -> &mut Option<String> {
        match self {
            ChainStep::UnitHead { name }
            | ChainStep::DirectionCurator { name }
            | ChainStep::Official { name, .. }
            | ChainStep::AnyApprover { name } => name,
        }
    }

    fn default_name(&self) -> &'static str {
        match self {
            ChainStep::UnitHead { .. } => "Руководители структурных подразделений",
            ChainStep::DirectionCurator { .. } => "Кураторы направлений деятельности",
            ChainStep::Official { .. } => "Согласование должностным лицом",
            ChainStep::AnyApprover { .. } => "Утверждение",
        }
    }
}

/// An official as the chain needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub official_id: Uuid,
    pub sub: String,
    pub name: String,
    pub position: String,
}

/// What the revision changed and who heads and curates what, as loaded for one revision.
#[derive(Debug, Clone, Default)]
pub struct ChainContext {
    /// Units whose processes the revision changed.
    pub changed_units: BTreeSet<Uuid>,
    /// Directions whose processes the revision changed.
    pub changed_directions: BTreeSet<Uuid>,
    /// unit → its head official.
    pub unit_heads: HashMap<Uuid, Uuid>,
    /// direction → its curator official in this agency.
    pub direction_curators: HashMap<Uuid, Uuid>,
    /// The agency's officials by id.
    pub officials: HashMap<Uuid, Person>,
    /// Names for messages.
    pub unit_names: HashMap<Uuid, String>,
    pub direction_names: HashMap<Uuid, String>,
}

/// Who must agree one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needs {
    /// Any approver who agreed no earlier step.
    AnyApprover,
    /// Each of these officials (none: nothing to agree, the step is done by itself).
    Officials(Vec<Person>),
}

/// One step of a revision's chain, resolved against what the revision changed.
#[derive(Debug, Clone)]
pub struct ResolvedStep {
    pub step: usize,
    pub kind: &'static str,
    pub name: String,
    pub needs: Needs,
    /// Why the step cannot be agreed as configured (a unit without a head, an official who
    /// no longer exists): approval stops here until an admin fixes it.
    pub problem: Option<String>,
}

/// An agreement given: at which step, by whom (`sub`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub step: usize,
    pub sub: String,
}

/// Who must agree each step of `chain` for a revision that changed what `ctx` says. An empty
/// chain is one `any_approver` step. Several units with one head (or directions with one
/// curator) need that official once.
pub fn resolve(chain: &[ChainStep], ctx: &ChainContext) -> Vec<ResolvedStep> {
    let default = [ChainStep::AnyApprover { name: None }];
    let chain = if chain.is_empty() {
        &default[..]
    } else {
        chain
    };
    chain
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = s.name().unwrap_or(s.default_name()).to_owned();
            let mut problems = Vec::new();
            let mut people: Vec<Person> = Vec::new();
            let mut add = |id: Uuid, what: String, problems: &mut Vec<String>| match ctx
                .officials
                .get(&id)
            {
                Some(p) if !people.iter().any(|q| q.official_id == id) => people.push(p.clone()),
                Some(_) => {}
                None => problems.push(format!("the official {id} named for {what} does not exist")),
            };
            let needs = match s {
                ChainStep::AnyApprover { .. } => Needs::AnyApprover,
                ChainStep::Official { official_id, .. } => {
                    add(*official_id, format!("step {i}"), &mut problems);
                    Needs::Officials(people.clone())
                }
                ChainStep::UnitHead { .. } => {
                    for u in &ctx.changed_units {
                        let what = format!(
                            "unit «{}»",
                            ctx.unit_names
                                .get(u)
                                .cloned()
                                .unwrap_or_else(|| u.to_string())
                        );
                        match ctx.unit_heads.get(u) {
                            Some(h) => add(*h, what, &mut problems),
                            None => problems.push(format!("{what} has no head official")),
                        }
                    }
                    Needs::Officials(people.clone())
                }
                ChainStep::DirectionCurator { .. } => {
                    for d in &ctx.changed_directions {
                        let what = format!(
                            "direction «{}»",
                            ctx.direction_names
                                .get(d)
                                .cloned()
                                .unwrap_or_else(|| d.to_string())
                        );
                        match ctx.direction_curators.get(d) {
                            Some(c) => add(*c, what, &mut problems),
                            None => problems.push(format!("{what} has no curator official")),
                        }
                    }
                    Needs::Officials(people.clone())
                }
            };
            ResolvedStep {
                step: i,
                kind: s.kind(),
                name,
                needs,
                problem: (!problems.is_empty()).then(|| problems.join("; ")),
            }
        })
        .collect()
}

/// Whether `step` is agreed. An official who agreed an earlier step counts as agreeing a
/// later one that names them too: one person agrees once (R9).
pub fn step_done(step: &ResolvedStep, agreements: &[Agreement]) -> bool {
    if step.problem.is_some() {
        return false;
    }
    match &step.needs {
        Needs::AnyApprover => agreements.iter().any(|a| a.step == step.step),
        Needs::Officials(people) => people.iter().all(|p| {
            agreements
                .iter()
                .any(|a| a.sub == p.sub && a.step <= step.step)
        }),
    }
}

/// Why an agreement is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The state does not allow it (409 `invalid_transition`).
    Illegal(Illegal),
    /// The caller is not who the next open step needs (403 `wrong_official`).
    WrongOfficial(String),
}

/// The agreement the caller gives: its step, the official it is recorded for, and the
/// revision's status after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    pub step: usize,
    pub official_id: Option<Uuid>,
    pub status: RevisionStatus,
}

fn illegal(message: impl Into<String>) -> Refusal {
    Refusal::Illegal(Illegal {
        message: message.into(),
    })
}

fn describe(p: &Person) -> String {
    format!("{} ({}, sub {})", p.name, p.position, p.sub)
}

/// The caller (`sub`, and whether they hold the approver role) agrees the next open step.
/// Every part must be accepted; steps are agreed in order; R9: one person agrees once.
pub fn agree(
    revision: RevisionStatus,
    parts: &[PartStatus],
    steps: &[ResolvedStep],
    agreements: &[Agreement],
    sub: &str,
    is_approver: bool,
) -> Result<Agreed, Refusal> {
    super::state::ready_for_agreement(revision, parts).map_err(Refusal::Illegal)?;
    let Some(next) = steps.iter().find(|s| !step_done(s, agreements)) else {
        return Err(illegal("every step of the chain is already agreed"));
    };
    if let Some(problem) = &next.problem {
        return Err(illegal(format!(
            "step {} «{}» cannot be agreed: {problem}",
            next.step, next.name
        )));
    }
    let already = || {
        illegal("you have already agreed this revision; the next step needs another official (R9)")
    };
    let official_id = match &next.needs {
        Needs::AnyApprover => {
            if agreements.iter().any(|a| a.sub == sub) {
                return Err(already());
            }
            if !is_approver {
                return Err(Refusal::WrongOfficial(format!(
                    "step {} «{}» is agreed by an approver of the agency",
                    next.step, next.name
                )));
            }
            None
        }
        Needs::Officials(people) => {
            let pending: Vec<&Person> = people
                .iter()
                .filter(|p| !agreements.iter().any(|a| a.sub == p.sub))
                .collect();
            match pending.iter().find(|p| p.sub == sub) {
                Some(p) => Some(p.official_id),
                None if agreements.iter().any(|a| a.sub == sub) => return Err(already()),
                None => {
                    let expected: Vec<String> = pending.iter().map(|p| describe(p)).collect();
                    return Err(Refusal::WrongOfficial(format!(
                        "step {} «{}» waits for the agreement of {}",
                        next.step,
                        next.name,
                        expected.join(", ")
                    )));
                }
            }
        }
    };
    let mut after = agreements.to_vec();
    after.push(Agreement {
        step: next.step,
        sub: sub.to_owned(),
    });
    let status = if steps.iter().all(|s| step_done(s, &after)) {
        RevisionStatus::Approved
    } else {
        RevisionStatus::Approving
    };
    Ok(Agreed {
        step: next.step,
        official_id,
        status,
    })
}

/// Who may refuse a revision: an official some step of its chain names, or an approver when
/// the chain has an `any_approver` step.
pub fn may_refuse(steps: &[ResolvedStep], sub: &str, is_approver: bool) -> bool {
    steps.iter().any(|s| match &s.needs {
        Needs::AnyApprover => is_approver,
        Needs::Officials(people) => people.iter().any(|p| p.sub == sub),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_a_word_not_a_variant_index() {
        for bad in [
            r#"{"kind": 0}"#,
            r#"{"kind": 3, "name": null}"#,
            r#"{"name": "x"}"#,
            "7",
        ] {
            assert!(serde_json::from_str::<ChainStep>(bad).is_err(), "{bad}");
        }
        let ok: ChainStep = serde_json::from_str(r#"{"kind": "unit_head"}"#).unwrap();
        assert_eq!(ok, ChainStep::UnitHead { name: None });
    }
    use PartStatus::*;

    fn person(n: u128, sub: &str) -> Person {
        Person {
            official_id: Uuid::from_u128(n),
            sub: sub.into(),
            name: format!("Имя {sub}"),
            position: "должность".into(),
        }
    }

    /// 003 §3.4: two changed units with their heads, one direction with its curator, and the
    /// deputy for client-centricity.
    fn ctx() -> ChainContext {
        let (u1, u2, d) = (
            Uuid::from_u128(101),
            Uuid::from_u128(102),
            Uuid::from_u128(201),
        );
        let mut c = ChainContext::default();
        for (n, sub) in [(1, "head1"), (2, "head2"), (3, "curator"), (4, "deputy")] {
            c.officials.insert(Uuid::from_u128(n), person(n, sub));
        }
        c.changed_units = [u1, u2].into();
        c.changed_directions = [d].into();
        c.unit_heads = [(u1, Uuid::from_u128(1)), (u2, Uuid::from_u128(2))].into();
        c.direction_curators = [(d, Uuid::from_u128(3))].into();
        c
    }

    fn chain() -> Vec<ChainStep> {
        vec![
            ChainStep::UnitHead { name: None },
            ChainStep::DirectionCurator { name: None },
            ChainStep::Official {
                official_id: Uuid::from_u128(4),
                name: Some("Заместитель по клиентоцентричности".into()),
            },
        ]
    }

    fn ag(step: usize, sub: &str) -> Agreement {
        Agreement {
            step,
            sub: sub.into(),
        }
    }

    #[test]
    fn strings_are_any_approver_steps_and_objects_are_read_by_kind() {
        let v: Vec<ChainStep> = serde_json::from_value(serde_json::json!([
            "Министр", {"kind": "unit_head"}, {"kind": "official", "official_id": Uuid::from_u128(4)}
        ]))
        .unwrap();
        assert_eq!(v[0], ChainStep::any("Министр"));
        assert_eq!(v[1], ChainStep::UnitHead { name: None });
        assert_eq!(v[2].kind(), "official");
        assert!(serde_json::from_value::<ChainStep>(serde_json::json!({"kind": "boss"})).is_err());
        assert!(
            serde_json::from_value::<ChainStep>(serde_json::json!({"kind": "official"})).is_err()
        );
        let back = serde_json::to_value(&v[0]).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"kind": "any_approver", "name": "Министр"})
        );
    }

    #[test]
    fn resolution_names_each_head_and_curator() {
        let steps = resolve(&chain(), &ctx());
        assert_eq!(steps.len(), 3);
        let subs = |s: &ResolvedStep| match &s.needs {
            Needs::Officials(p) => p.iter().map(|p| p.sub.clone()).collect::<Vec<_>>(),
            Needs::AnyApprover => vec!["*".into()],
        };
        assert_eq!(subs(&steps[0]), ["head1", "head2"]);
        assert_eq!(subs(&steps[1]), ["curator"]);
        assert_eq!(subs(&steps[2]), ["deputy"]);
        assert!(steps.iter().all(|s| s.problem.is_none()));
        // an empty chain is one approval by any approver
        let one = resolve(&[], &ctx());
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].needs, Needs::AnyApprover);
    }

    #[test]
    fn a_unit_without_head_or_a_missing_official_stops_the_chain() {
        let mut c = ctx();
        c.unit_heads.remove(&Uuid::from_u128(102));
        c.officials.remove(&Uuid::from_u128(4));
        let steps = resolve(&chain(), &c);
        assert!(steps[0].problem.as_deref().unwrap().contains("no head"));
        assert!(steps[2]
            .problem
            .as_deref()
            .unwrap()
            .contains("does not exist"));
        let e = agree(
            RevisionStatus::Open,
            &[Accepted],
            &steps,
            &[],
            "head1",
            false,
        );
        assert!(matches!(e, Err(Refusal::Illegal(_))));
        // nothing changed in a unit: the unit_head step needs nobody and is done by itself
        let mut c = ctx();
        c.changed_units.clear();
        let steps = resolve(&chain(), &c);
        assert!(step_done(&steps[0], &[]));
    }

    #[test]
    fn the_three_person_agreement_in_order() {
        let steps = resolve(&chain(), &ctx());
        let parts = [Accepted, Accepted];
        let go = |done: &[Agreement], sub: &str| {
            agree(RevisionStatus::Approving, &parts, &steps, done, sub, false)
        };
        // the curator and the deputy wait for the unit heads
        match go(&[], "deputy") {
            Err(Refusal::WrongOfficial(m)) => {
                assert!(m.contains("head1") && m.contains("head2"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let a = go(&[], "head2").unwrap();
        assert_eq!((a.step, a.status), (0, RevisionStatus::Approving));
        assert_eq!(a.official_id, Some(Uuid::from_u128(2)));
        let done = vec![ag(0, "head2")];
        // R9: the same head again
        assert!(matches!(go(&done, "head2"), Err(Refusal::Illegal(_))));
        match go(&done, "curator") {
            Err(Refusal::WrongOfficial(m)) => assert!(m.contains("head1") && !m.contains("head2")),
            other => panic!("{other:?}"),
        }
        let done = vec![ag(0, "head2"), ag(0, "head1")];
        assert_eq!(go(&done, "curator").unwrap().step, 1);
        let done = vec![ag(0, "head2"), ag(0, "head1"), ag(1, "curator")];
        let last = go(&done, "deputy").unwrap();
        assert_eq!((last.step, last.status), (2, RevisionStatus::Approved));
        // approvers are no official of this chain; nobody may refuse but its officials
        assert!(may_refuse(&steps, "curator", false));
        assert!(!may_refuse(&steps, "a1", true));
    }

    #[test]
    fn any_approver_steps_keep_todays_behaviour() {
        let chain = vec![ChainStep::any("Начальник"), ChainStep::any("Министр")];
        let steps = resolve(&chain, &ChainContext::default());
        let go = |done: &[Agreement], sub: &str, approver: bool| {
            agree(
                RevisionStatus::Approving,
                &[Accepted],
                &steps,
                done,
                sub,
                approver,
            )
        };
        assert!(matches!(
            go(&[], "x", false),
            Err(Refusal::WrongOfficial(_))
        ));
        assert_eq!(
            go(&[], "a", true).unwrap().status,
            RevisionStatus::Approving
        );
        let done = [ag(0, "a")];
        assert!(matches!(go(&done, "a", true), Err(Refusal::Illegal(_))));
        assert_eq!(
            go(&done, "b", true).unwrap().status,
            RevisionStatus::Approved
        );
        assert!(may_refuse(&steps, "b", true));
        // every part must be accepted, and only an open or approving revision is agreed
        assert!(agree(RevisionStatus::Open, &[Submitted], &steps, &[], "a", true).is_err());
        assert!(agree(RevisionStatus::Open, &[], &steps, &[], "a", true).is_err());
        assert!(agree(
            RevisionStatus::Cancelled,
            &[Accepted],
            &steps,
            &[],
            "a",
            true
        )
        .is_err());
    }

    #[test]
    fn one_person_in_two_steps_agrees_once() {
        let mut c = ctx();
        // the deputy also curates the direction
        c.direction_curators
            .insert(Uuid::from_u128(201), Uuid::from_u128(4));
        let steps = resolve(&chain(), &c);
        let done = vec![ag(0, "head1"), ag(0, "head2")];
        let a = agree(
            RevisionStatus::Approving,
            &[Accepted],
            &steps,
            &done,
            "deputy",
            false,
        )
        .unwrap();
        // their agreement of step 1 covers step 2: the chain is approved
        assert_eq!((a.step, a.status), (1, RevisionStatus::Approved));
    }
}
