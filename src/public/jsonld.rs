//! `format=jsonld` and the `<script type="application/ld+json">` block of the HTML register:
//! the register in schema.org terms, for search engines and catalogues.
//!
//! The agency is a `GovernmentOrganization`; each process a `GovernmentService` (its
//! `provider` the agency, `serviceType` the activity direction, `areaServed` the region) whose
//! touchpoints are its `availableChannel`s, each a `ServiceChannel`: `serviceUrl` for web
//! addresses and e-mail (`mailto:`), `servicePhone` a `ContactPoint` for phones (with the
//! phone line's `hoursAvailable`), `serviceLocation` a `Place` with its `PostalAddress`,
//! `GeoCoordinates` and `openingHoursSpecification` (exceptions as
//! `specialOpeningHoursSpecification`), `availableLanguage` Russian. Every property is used on
//! a type whose schema.org domain includes it (the contract check expands the document and
//! verifies that). Nodes are named by `urn:uuid:` IRIs of the service's own ids.

use serde_json::{json, Map, Value};

use crate::domain::hours::{Hours, HoursException};
use crate::domain::register::{RegisterContent, RegisterRow, RowTouchpoint};
use crate::domain::ContactKind;

fn urn(id: impl std::fmt::Display) -> String {
    format!("urn:uuid:{id}")
}

fn time(t: &str) -> String {
    format!("{t}:00")
}

/// Weekly slots as `OpeningHoursSpecification`s (one per slot), within the hours' validity.
pub fn opening_hours(h: &Hours) -> Vec<Value> {
    h.weekly
        .iter()
        .map(|s| {
            let mut o = json!({
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": s.day.schema_org(),
                "opens": time(&s.opens),
                "closes": time(&s.closes),
            });
            if let Some(f) = h.valid_from {
                o["validFrom"] = json!(f);
            }
            if let Some(t) = h.valid_to {
                o["validThrough"] = json!(t);
            }
            o
        })
        .collect()
}

/// Exceptions by date: a closed day is opens = closes = 00:00 (schema.org's convention).
pub fn special_hours(h: &Hours) -> Vec<Value> {
    h.exceptions
        .iter()
        .map(|x| {
            let (date, opens, closes) = match x {
                HoursException::Closed(c) => (c.date, "00:00:00".to_owned(), "00:00:00".to_owned()),
                HoursException::Open(o) => (o.date, time(&o.opens), time(&o.closes)),
            };
            json!({
                "@type": "OpeningHoursSpecification",
                "validFrom": date,
                "validThrough": date,
                "opens": opens,
                "closes": closes,
            })
        })
        .collect()
}

fn place(t: &RowTouchpoint) -> Option<Value> {
    if t.address.is_none() && t.geo.is_none() {
        return None;
    }
    let mut p = Map::new();
    p.insert("@type".into(), json!("Place"));
    p.insert("name".into(), json!(t.name));
    if let Some(a) = &t.address {
        let mut pa = Map::new();
        pa.insert("@type".into(), json!("PostalAddress"));
        pa.insert("addressCountry".into(), json!("RU"));
        if let Some(r) = &a.region {
            pa.insert("addressRegion".into(), json!(r));
        }
        if let Some(c) = &a.city {
            pa.insert("addressLocality".into(), json!(c));
        }
        if let Some(s) = a.street_line() {
            pa.insert("streetAddress".into(), json!(s));
        }
        if let Some(f) = &a.fias_id {
            pa.insert("identifier".into(), json!(format!("ФИАС:{f}")));
        }
        p.insert("address".into(), Value::Object(pa));
    }
    if let Some(g) = t.geo {
        p.insert(
            "geo".into(),
            json!({"@type": "GeoCoordinates", "latitude": g.lat, "longitude": g.lon}),
        );
    }
    if let Some(text) = &t.accessibility {
        // schema.org has no free-text accessibility property on Place: the notes describe it
        p.insert("description".into(), json!(text));
    }
    if let Some(h) = &t.hours {
        p.insert("openingHoursSpecification".into(), json!(opening_hours(h)));
        let special = special_hours(h);
        if !special.is_empty() {
            p.insert("specialOpeningHoursSpecification".into(), json!(special));
        }
    }
    Some(Value::Object(p))
}

fn channel(r: &RegisterRow, t: &RowTouchpoint) -> Value {
    let mut c = Map::new();
    c.insert("@type".into(), json!("ServiceChannel"));
    c.insert("@id".into(), json!(urn(t.id)));
    c.insert("name".into(), json!(super::render::touchpoint_cell(r)));
    c.insert("availableLanguage".into(), json!("ru"));
    let urls: Vec<String> = t
        .contacts
        .iter()
        .filter_map(|x| match x.kind {
            ContactKind::Url => Some(x.value.clone()),
            ContactKind::Email => Some(format!("mailto:{}", x.value)),
            _ => None,
        })
        .collect();
    if !urls.is_empty() {
        c.insert("serviceUrl".into(), json!(urls));
    }
    let phones: Vec<Value> = t
        .contacts
        .iter()
        .filter(|x| x.kind == ContactKind::Phone)
        .map(|x| {
            let mut p = json!({"@type": "ContactPoint", "telephone": x.value});
            if let Some(l) = &x.label {
                p["name"] = json!(l);
            }
            if let (Some(h), None) = (&t.hours, &t.address) {
                // a phone line's hours; an office's are its place's
                p["hoursAvailable"] = json!(opening_hours(h));
            }
            p
        })
        .collect();
    if !phones.is_empty() {
        c.insert("servicePhone".into(), json!(phones));
    }
    if let Some(p) = place(t) {
        c.insert("serviceLocation".into(), p);
    }
    if let Some(i) = &t.interaction {
        c.insert("description".into(), json!(i));
    }
    Value::Object(c)
}

/// The nodes of one register: the organization, then its services.
pub fn graph(content: &RegisterContent) -> Vec<Value> {
    let a = &content.agency;
    let org_id = urn(a.id);
    let mut org = json!({
        "@type": "GovernmentOrganization",
        "@id": org_id,
        "name": a.name,
        "areaServed": a.region,
    });
    if let Some(s) = &a.short_name {
        org["alternateName"] = json!(s);
    }
    if let Some(w) = &a.website {
        org["url"] = json!(w);
    }
    if let Some(p) = a.parent_id {
        org["parentOrganization"] = json!({"@id": urn(p)});
    }
    let mut nodes = vec![org];
    let mut i = 0;
    while i < content.rows.len() {
        let first = &content.rows[i];
        let mut service = json!({
            "@type": "GovernmentService",
            "@id": urn(first.process_id),
            "name": first.process,
            "serviceType": first.direction,
            "provider": {"@id": org_id},
            "areaServed": a.region,
        });
        if let Some(code) = &first.registry_code {
            service["identifier"] = json!(code);
        }
        let mut channels = Vec::new();
        while i < content.rows.len() && content.rows[i].process_id == first.process_id {
            let r = &content.rows[i];
            if let Some(t) = &r.touchpoint {
                channels.push(channel(r, t));
            }
            i += 1;
        }
        if !channels.is_empty() {
            service["availableChannel"] = json!(channels);
        }
        nodes.push(service);
    }
    nodes
}

/// The JSON-LD document of one or several registers.
pub fn document<'a>(contents: impl IntoIterator<Item = &'a RegisterContent>) -> Value {
    let graph: Vec<Value> = contents.into_iter().flat_map(graph).collect();
    json!({"@context": "https://schema.org", "@graph": graph})
}

/// The document as the body of a `<script type="application/ld+json">`: `<` escaped, so no
/// text of the register can close the element.
pub fn script_text(doc: &Value) -> String {
    serde_json::to_string(doc)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
