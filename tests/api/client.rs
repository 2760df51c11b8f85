//! A typed client over [`TestApp`]: calls send the crate's own request shapes and return the
//! crate's own response types, or the [`Problem`] the server answered with. Fixture builders
//! (`app.org(..)`) read like the procedures: an agency with its units and approval chain, and
//! the tokens of each role in it.
//!
//! The crate's request types only implement `Deserialize`, so requests are built by the small
//! typed builders below ([`ProcessSpec`], [`PointSpec`]) and sent as JSON.

use std::fmt::Display;

use chrono::NaiveDate;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use touchpoints::agencies::model::Agency;
use touchpoints::auth::Role;
use touchpoints::deadlines::api::AgencyDeadlines;
use touchpoints::deadlines::{Obligation, Obligations};
use touchpoints::directions::model::Direction;
use touchpoints::domain::chain::ChainStep;
use touchpoints::domain::state::PartStatus;
use touchpoints::error::Problem;
use touchpoints::files::db::PartFile;
use touchpoints::officials::model::{DirectionCurator, Official};
use touchpoints::processes::model::Process;
use touchpoints::public::api::PublishedRegister;
use touchpoints::reviews::{Review, ReviewList};
use touchpoints::touchpoints::model::Touchpoint;
use touchpoints::units::model::Unit;
use touchpoints::workflow::api::{Version, VersionList};
use touchpoints::workflow::model::{History, Published, Revision};
use touchpoints::workflow::settings::WorkflowSettings;
use touchpoints::workflow::snapshot::VersionDiff;
use uuid::Uuid;

use crate::helpers::{token, TestApp};

/// What every call answers: the typed body, or the problem (already checked to be well-formed).
pub type Reply<T> = Result<T, Problem>;

/// A list answer: `{items, total}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Someone holding a token, talking to the app; an empty token sends no Authorization (a
/// portal reading the public API).
#[derive(Clone)]
pub struct As<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl TestApp {
    /// Speaks with `token`.
    pub fn with_token(&self, token: impl Into<String>) -> As<'_> {
        As {
            app: self,
            token: token.into(),
        }
    }

    /// A portal: no token at all.
    pub fn portal(&self) -> As<'_> {
        self.with_token("")
    }

    /// Speaks as the admin.
    pub fn as_admin(&self) -> As<'_> {
        self.with_token(self.admin.clone())
    }

    /// An agency (a ministry of the Republic of Dagestan) to be built with its units.
    pub fn org(&self, name: &str) -> OrgBuilder<'_> {
        OrgBuilder {
            app: self,
            name: name.to_owned(),
            units: Vec::new(),
            directions: Vec::new(),
            chain: None,
        }
    }
}

/// Checks what every problem body promises (RFC 9457 and the crate's own codes) and decodes it.
pub fn problem_of(status: reqwest::StatusCode, body: Value) -> Problem {
    let p: Problem = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{status}: not a problem body ({e}): {body}"));
    assert_eq!(p.status, status.as_u16(), "{body}");
    assert_eq!(p.code.status().as_u16(), p.status, "{body}");
    assert_eq!(p.type_, format!("/problems/{}", p.code.as_str()), "{body}");
    assert!(!p.title.is_empty() && !p.detail.is_empty(), "{body}");
    p
}

/// Field names a validation problem points at.
pub trait ProblemExt {
    fn fields(&self) -> Vec<&str>;
}

impl ProblemExt for Problem {
    fn fields(&self) -> Vec<&str> {
        self.errors.iter().map(|e| e.field.as_str()).collect()
    }
}

impl<'a> As<'a> {
    /// The token to send, if any.
    pub fn bearer(&self) -> Option<&str> {
        Some(self.token.as_str()).filter(|t| !t.is_empty())
    }

    /// Any call: a success is decoded as `T` (an empty body as `null`), a failure as a problem.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply<T> {
        self.call_if_match(method, path, body, None).await
    }

    pub async fn call_if_match<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply<T> {
        let (status, _, v) = self
            .app
            .send(self.bearer(), method.clone(), path, body.as_ref(), if_match)
            .await;
        if status.is_success() {
            Ok(serde_json::from_value(v.clone())
                .unwrap_or_else(|e| panic!("{method} {path}: {status} {e}: {v}")))
        } else {
            Err(problem_of(status, v))
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Reply<T> {
        self.call(Method::GET, path, None).await
    }
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> Reply<T> {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: Value) -> Reply<T> {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn put<T: DeserializeOwned>(&self, path: &str, body: Value) -> Reply<T> {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply<()> {
        self.call::<Value>(Method::DELETE, path, None)
            .await
            .map(|_| ())
    }

    // ---- the register ----

    pub async fn create_process(&self, agency: Uuid, spec: ProcessSpec) -> Reply<Process> {
        let direction = match spec.direction {
            Some(d) => d,
            None => self.app.catalog_direction("appeals").await.parse().unwrap(),
        };
        let mut body = json!({
            "direction_id": direction, "name": spec.name, "kind": spec.kind,
            "client_type": spec.client_type,
        });
        if let Some(u) = spec.unit {
            body["unit_id"] = json!(u);
        }
        self.post(&format!("/api/v1/agencies/{agency}/processes"), body)
            .await
    }

    pub async fn add_point(&self, process: Uuid, spec: PointSpec) -> Reply<Touchpoint> {
        self.post(&format!("/api/v1/processes/{process}/points"), spec.0)
            .await
    }

    pub async fn patch_point(&self, point: Uuid, changes: Value) -> Reply<Touchpoint> {
        self.patch(&format!("/api/v1/points/{point}"), changes)
            .await
    }

    pub async fn delete_point(&self, point: Uuid) -> Reply<()> {
        self.delete(&format!("/api/v1/points/{point}")).await
    }

    // ---- the workflow ----

    pub async fn revisions(&self, agency: Uuid) -> Reply<Page<Revision>> {
        self.get(&format!("/api/v1/agencies/{agency}/revisions"))
            .await
    }

    /// The agency's newest revision (the one the first edit opened).
    pub async fn current_revision(&self, agency: Uuid) -> Reply<Revision> {
        Ok(self.revisions(agency).await?.items.remove(0))
    }

    pub async fn revision(&self, rev: &Revision) -> Reply<Revision> {
        self.get(&format!("/api/v1/revisions/{}", rev.id)).await
    }

    pub async fn open_revision(
        &self,
        agency: Uuid,
        reason: &str,
        comment: &str,
    ) -> Reply<Revision> {
        let body = json!({"reason": reason, "comment": comment});
        self.post(&format!("/api/v1/agencies/{agency}/revisions"), body)
            .await
    }

    async fn part_action(
        &self,
        rev: &Revision,
        unit: impl Display,
        action: &str,
        body: Option<Value>,
    ) -> Reply<Revision> {
        let path = format!("/api/v1/revisions/{}/parts/{unit}/{action}", rev.id);
        self.call(Method::POST, &path, body).await
    }

    pub async fn submit(&self, rev: &Revision, unit: impl Display) -> Reply<Revision> {
        self.part_action(rev, unit, "submit", None).await
    }

    /// The unit's curator agrees its part before its submission (000 §III.1).
    pub async fn agree(&self, rev: &Revision, unit: impl Display) -> Reply<Revision> {
        self.part_action(rev, unit, "agree", None).await
    }

    pub async fn accept(&self, rev: &Revision, unit: impl Display) -> Reply<Revision> {
        self.part_action(rev, unit, "accept", None).await
    }

    /// Returns a part with remarks: `[{"text": .., "touchpoint_id": ..}]` or one text.
    pub async fn return_part(
        &self,
        rev: &Revision,
        unit: impl Display,
        remarks: Value,
    ) -> Reply<Revision> {
        let body = json!({ "remarks": remarks });
        self.part_action(rev, unit, "return", Some(body)).await
    }

    pub async fn approve(&self, rev: &Revision) -> Reply<Revision> {
        self.call(
            Method::POST,
            &format!("/api/v1/revisions/{}/approve", rev.id),
            None,
        )
        .await
    }

    /// An official of the chain (or an approver) refuses the revision: `parts` back to
    /// `returned` (`None`: every part), agreements cleared.
    pub async fn refuse(
        &self,
        rev: &Revision,
        remarks: Value,
        parts: Option<&[String]>,
    ) -> Reply<Revision> {
        let mut body = json!({ "remarks": remarks });
        if let Some(p) = parts {
            body["parts"] = json!(p);
        }
        self.post(&format!("/api/v1/revisions/{}/refuse", rev.id), body)
            .await
    }

    pub async fn cancel(&self, rev: &Revision, reason: &str) -> Reply<Revision> {
        self.post(
            &format!("/api/v1/revisions/{}/cancel", rev.id),
            json!({ "reason": reason }),
        )
        .await
    }

    // ---- officials ----

    pub async fn create_official(
        &self,
        agency: Uuid,
        sub: &str,
        name: &str,
        position: &str,
        unit: Option<Uuid>,
    ) -> Reply<Official> {
        let body = json!({"sub": sub, "name": name, "position": position,
                          "email": format!("{sub}@mchsrd.ru"), "unit_id": unit});
        self.post(&format!("/api/v1/agencies/{agency}/officials"), body)
            .await
    }

    pub async fn officials(&self, agency: Uuid) -> Reply<Page<Official>> {
        self.get(&format!("/api/v1/agencies/{agency}/officials"))
            .await
    }

    /// Sets a unit's head and curating deputy.
    pub async fn set_unit_officials(
        &self,
        unit: Uuid,
        head: Option<Uuid>,
        curator: Option<Uuid>,
    ) -> Reply<Unit> {
        self.patch(
            &format!("/api/v1/units/{unit}"),
            json!({"head_official_id": head, "curator_official_id": curator}),
        )
        .await
    }

    pub async fn set_direction_curator(
        &self,
        agency: Uuid,
        direction: Uuid,
        official: Option<Uuid>,
    ) -> Reply<DirectionCurator> {
        self.put(
            &format!("/api/v1/agencies/{agency}/directions/{direction}/curator"),
            json!({ "official_id": official }),
        )
        .await
    }

    /// Replaces the agency's approval chain (steps as JSON), other settings as they are.
    pub async fn set_chain(&self, agency: Uuid, chain: Value) -> Reply<WorkflowSettings> {
        let path = format!("/api/v1/agencies/{agency}/workflow-settings");
        let mut settings: Value = self.get(&path).await?;
        settings["approval_chain"] = chain;
        self.put(&path, settings).await
    }

    pub async fn publish(&self, rev: &Revision) -> Reply<Published> {
        self.call(
            Method::POST,
            &format!("/api/v1/revisions/{}/publish", rev.id),
            None,
        )
        .await
    }

    /// Opens a revision and walks it to publication alone, which only an admin's token can:
    /// every part submitted and accepted, one approval (an empty chain), the publication.
    pub async fn publish_new_revision(&self, agency: Uuid, reason: &str, comment: &str) -> i32 {
        let rev = self
            .open_revision(agency, reason, comment)
            .await
            .expect("open");
        for part in &rev.parts {
            self.submit(&rev, &part.unit_id).await.expect("submit");
            self.accept(&rev, &part.unit_id).await.expect("accept");
        }
        self.approve(&rev).await.expect("approve");
        self.publish(&rev).await.expect("publish").version
    }

    pub async fn history(&self, rev: &Revision) -> Reply<History> {
        self.get(&format!("/api/v1/revisions/{}/history", rev.id))
            .await
    }

    pub async fn versions(&self, agency: Uuid) -> Reply<VersionList> {
        self.get(&format!("/api/v1/agencies/{agency}/versions"))
            .await
    }

    pub async fn version(&self, agency: Uuid, number: i32) -> Reply<Version> {
        self.get(&format!("/api/v1/agencies/{agency}/versions/{number}"))
            .await
    }

    pub async fn diff(&self, agency: Uuid, from: i32, to: i32) -> Reply<VersionDiff> {
        self.get(&format!(
            "/api/v1/agencies/{agency}/versions/diff?from={from}&to={to}"
        ))
        .await
    }

    // ---- reviews and deadlines ----

    /// Records a review: `kind` is `quarterly_analysis` or `yearly_monitoring`, `outcome`
    /// `no_changes` or `changes_found`.
    pub async fn record_review(
        &self,
        agency: Uuid,
        kind: &str,
        outcome: &str,
        comment: &str,
    ) -> Reply<Review> {
        let body = json!({"kind": kind, "outcome": outcome, "comment": comment});
        self.post(&format!("/api/v1/agencies/{agency}/reviews"), body)
            .await
    }

    pub async fn reviews(&self, agency: Uuid) -> Reply<ReviewList> {
        self.get(&format!("/api/v1/agencies/{agency}/reviews"))
            .await
    }

    /// What is due for the agency as of `on`.
    pub async fn deadlines(&self, agency: Uuid, on: NaiveDate) -> Reply<AgencyDeadlines> {
        self.get(&format!("/api/v1/agencies/{agency}/deadlines?on={on}"))
            .await
    }

    /// Attaches a file (and a signature) to a part: `multipart/form-data` with the fields
    /// `file` and, when given, `signature`, each as `(file name, content type, bytes)`.
    pub async fn upload_part_file(
        &self,
        rev: &Revision,
        unit: impl Display,
        file: (&str, &str, &[u8]),
        signature: Option<(&str, &[u8])>,
    ) -> Reply<PartFile> {
        let boundary = "touchpoints-test-boundary-7f3a";
        let mut body = Vec::new();
        let mut field = |name: &str, (file_name, content_type, bytes): (&str, &str, &[u8])| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        };
        field("file", file);
        if let Some((name, bytes)) = signature {
            field("signature", (name, "application/pkcs7-signature", bytes));
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/api/v1/revisions/{}/parts/{unit}/files", rev.id)),
            )
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(t) = self.bearer() {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("upload sent");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{status} {e}: {v}")))
        } else {
            Err(problem_of(status, v))
        }
    }

    pub async fn put_settings(
        &self,
        agency: Uuid,
        settings: &WorkflowSettings,
    ) -> Reply<WorkflowSettings> {
        let body = serde_json::to_value(settings).unwrap();
        self.put(
            &format!("/api/v1/agencies/{agency}/workflow-settings"),
            body,
        )
        .await
    }

    pub async fn put_obligations(
        &self,
        agency: Uuid,
        list: &[Obligation],
    ) -> Reply<Vec<Obligation>> {
        let body = json!({ "items": list });
        self.put::<Obligations>(&format!("/api/v1/agencies/{agency}/obligations"), body)
            .await
            .map(|o| o.items)
    }

    /// The published register, as portals read it (no token needed; this one is sent anyway).
    pub async fn public_register(&self, agency: Uuid) -> Reply<PublishedRegister> {
        self.get(&format!("/api/v1/public/agencies/{agency}/register"))
            .await
    }
}

/// A process to file: `ProcessSpec::function("..").of(unit)`.
pub struct ProcessSpec {
    name: String,
    kind: &'static str,
    client_type: &'static str,
    unit: Option<Uuid>,
    direction: Option<Uuid>,
}

impl ProcessSpec {
    /// A function (функция) for external clients, under the catalog's «appeals» direction.
    pub fn function(name: impl Into<String>) -> Self {
        ProcessSpec {
            name: name.into(),
            kind: "function",
            client_type: "external",
            unit: None,
            direction: None,
        }
    }
    /// A service (услуга) for external clients.
    pub fn service(name: impl Into<String>) -> Self {
        ProcessSpec {
            kind: "service",
            ..Self::function(name)
        }
    }
    /// Owned by a unit (the agency as a whole otherwise).
    pub fn of(mut self, unit: Uuid) -> Self {
        self.unit = Some(unit);
        self
    }
    pub fn internal(mut self) -> Self {
        self.client_type = "internal";
        self
    }
    pub fn under(mut self, direction: Uuid) -> Self {
        self.direction = Some(direction);
        self
    }
}

/// A touchpoint to add: `PointSpec::new("phone", "Телефон").phone("+7 ..").needs(&[..])`.
pub struct PointSpec(Value);

impl PointSpec {
    pub fn new(channel: &str, name: &str) -> Self {
        PointSpec(json!({"channel": channel, "name": name, "needs": []}))
    }
    fn contact(mut self, kind: &str, value: &str) -> Self {
        let c = json!({"kind": kind, "value": value});
        match self.0["contacts"].as_array_mut() {
            Some(list) => list.push(c),
            None => self.0["contacts"] = json!([c]),
        }
        self
    }
    pub fn phone(self, value: &str) -> Self {
        self.contact("phone", value)
    }
    pub fn email(self, value: &str) -> Self {
        self.contact("email", value)
    }
    pub fn url(self, value: &str) -> Self {
        self.contact("url", value)
    }
    pub fn needs(mut self, needs: &[&str]) -> Self {
        self.0["needs"] = json!(needs);
        self
    }
    /// A contact of any kind (`address`, `text`, ..), optionally with its caption.
    pub fn contact_labelled(mut self, kind: &str, value: &str, label: Option<&str>) -> Self {
        self = self.contact(kind, value);
        if let Some(l) = label {
            let last = self.0["contacts"]
                .as_array_mut()
                .unwrap()
                .last_mut()
                .unwrap();
            last["label"] = json!(l);
        }
        self
    }
    pub fn interaction(mut self, text: &str) -> Self {
        self.0["interaction"] = json!(text);
        self
    }
    pub fn features(mut self, text: &str) -> Self {
        self.0["features"] = json!(text);
        self
    }
}

/// Builds an agency with its units, own directions and approval chain.
pub struct OrgBuilder<'a> {
    app: &'a TestApp,
    name: String,
    units: Vec<String>,
    directions: Vec<String>,
    chain: Option<Vec<ChainStep>>,
}

impl<'a> OrgBuilder<'a> {
    pub fn with_unit(mut self, name: &str) -> Self {
        self.units.push(name.to_owned());
        self
    }
    /// An activity direction of the agency's own (besides the shared catalog).
    pub fn with_direction(mut self, name: &str) -> Self {
        self.directions.push(name.to_owned());
        self
    }
    /// The approval chain (R9): one agreement per approver, in order (`any_approver` steps
    /// named as given).
    pub fn with_chain(mut self, chain: &[&str]) -> Self {
        self.chain = Some(chain.iter().map(|s| ChainStep::any(*s)).collect());
        self
    }

    pub async fn build(self) -> Org<'a> {
        let admin = self.app.as_admin();
        let agency: Agency = admin
            .post(
                "/api/v1/agencies",
                json!({"name": self.name, "short_name": null, "region": "Республика Дагестан",
                       "kind": "ministry", "website": "www.example.ru"}),
            )
            .await
            .expect("agency created");
        let mut units = Vec::new();
        for name in &self.units {
            let unit: Unit = admin
                .post(
                    &format!("/api/v1/agencies/{}/units", agency.id),
                    json!({ "name": name }),
                )
                .await
                .expect("unit created");
            units.push(unit);
        }
        let mut directions = Vec::new();
        for name in &self.directions {
            let d: Direction = admin
                .post(
                    &format!("/api/v1/agencies/{}/directions", agency.id),
                    json!({ "name": name }),
                )
                .await
                .expect("direction created");
            directions.push(d);
        }
        if let Some(chain) = self.chain {
            let settings = WorkflowSettings {
                quarterly_analysis: true,
                approval_chain: chain,
                ..WorkflowSettings::default()
            };
            let _: WorkflowSettings = admin
                .put(
                    &format!("/api/v1/agencies/{}/workflow-settings", agency.id),
                    serde_json::to_value(&settings).unwrap(),
                )
                .await
                .expect("workflow settings");
        }
        Org {
            app: self.app,
            agency,
            units,
            directions,
        }
    }
}

/// An agency with its units, and the people of each role in it.
pub struct Org<'a> {
    pub app: &'a TestApp,
    pub agency: Agency,
    pub units: Vec<Unit>,
    pub directions: Vec<Direction>,
}

impl<'a> Org<'a> {
    pub fn id(&self) -> Uuid {
        self.agency.id
    }
    /// The id of the n-th unit (from 0), in the order they were added.
    pub fn unit(&self, n: usize) -> Uuid {
        self.units[n].id
    }
    fn person(&self, sub: &str, role: Role, unit: Option<Uuid>) -> As<'a> {
        let agency = self.agency.id.to_string();
        let unit = unit.map(|u| u.to_string());
        self.app
            .with_token(token(sub, &[role], Some(&agency), unit.as_deref()))
    }
    /// The submitter of the n-th unit (from 0), whose `sub` is `s{n+1}`.
    pub fn submitter_of(&self, n: usize) -> As<'a> {
        self.person(&format!("s{}", n + 1), Role::Submitter, Some(self.unit(n)))
    }
    /// A submitter for the agency as a whole (every unit): `s0`.
    pub fn submitter(&self) -> As<'a> {
        self.person("s0", Role::Submitter, None)
    }
    pub fn submitter_named(&self, sub: &str, unit: Option<Uuid>) -> As<'a> {
        self.person(sub, Role::Submitter, unit)
    }
    /// Someone of the agency with these roles (an official is recognised by `sub`).
    pub fn person_as(&self, sub: &str, roles: &[Role]) -> As<'a> {
        let agency = self.agency.id.to_string();
        self.app.with_token(token(sub, roles, Some(&agency), None))
    }
    /// An approver, one official of the chain.
    pub fn approver(&self, sub: &str) -> As<'a> {
        self.person(sub, Role::Approver, None)
    }
    /// The publisher: `p1`.
    pub fn publisher(&self) -> As<'a> {
        self.person("p1", Role::Publisher, None)
    }
    pub fn admin(&self) -> As<'a> {
        self.app.as_admin()
    }

    /// Walks a revision to approval: every part still open is submitted (by `s0`) and
    /// accepted (by `a1`), then each of `approvers` agrees in turn.
    pub async fn approve_all(&self, rev: &Revision, approvers: &[&str]) -> Revision {
        let (submitter, first) = (self.submitter(), self.approver("a1"));
        let mut rev = first.revision(rev).await.expect("revision");
        for part in rev.parts.clone() {
            if matches!(part.status, PartStatus::Draft | PartStatus::Returned) {
                rev = submitter.submit(&rev, &part.unit_id).await.expect("submit");
            }
            if part.status != PartStatus::Accepted {
                rev = first.accept(&rev, &part.unit_id).await.expect("accept");
            }
        }
        for a in approvers {
            rev = self.approver(a).approve(&rev).await.expect("approve");
        }
        rev
    }

    /// Walks a revision all the way to publication (see [`Org::approve_all`]).
    pub async fn publish_all(&self, rev: &Revision, approvers: &[&str]) -> Published {
        let rev = self.approve_all(rev, approvers).await;
        self.publisher().publish(&rev).await.expect("publish")
    }
}

/// The part of `unit` in a revision.
pub fn part(rev: &Revision, unit: impl Display) -> &touchpoints::workflow::model::Part {
    let unit = unit.to_string();
    rev.parts
        .iter()
        .find(|p| p.unit_id == unit)
        .unwrap_or_else(|| panic!("no part {unit} in revision {}", rev.number))
}

impl From<PointSpec> for Value {
    fn from(spec: PointSpec) -> Value {
        spec.0
    }
}
