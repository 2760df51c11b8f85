//! `format=geojson`: the offline touchpoints of a register as a GeoJSON `FeatureCollection`
//! (RFC 7946) for map widgets. A feature per touchpoint that is offline under the agency's
//! rule or has coordinates; its geometry is the `Point` (longitude, latitude — GeoJSON's
//! order), or `null` for an office whose coordinates are not known yet (RFC 7946 §3.2), so a
//! map shows what it can and a list shows everything.

use serde_json::{json, Map, Value};

use crate::domain::register::{RegisterContent, RegisterRow};
use crate::domain::Mode;

/// The feature of one row, when it is a place.
fn feature(agency: &crate::domain::register::AgencyInfo, r: &RegisterRow) -> Option<Value> {
    let t = r.touchpoint.as_ref()?;
    if t.implied_mode != Mode::Offline && t.geo.is_none() {
        return None;
    }
    let geometry = match t.geo {
        Some(g) => json!({"type": "Point", "coordinates": [g.lon, g.lat]}),
        None => Value::Null,
    };
    let mut p = Map::new();
    p.insert("agency_id".into(), json!(agency.id));
    p.insert("agency".into(), json!(agency.name));
    p.insert("n".into(), json!(r.n));
    p.insert("direction".into(), json!(r.direction));
    p.insert("process_id".into(), json!(r.process_id));
    p.insert("process".into(), json!(r.process));
    p.insert("channel".into(), json!(t.channel));
    p.insert("channel_label".into(), json!(t.channel_label));
    p.insert("name".into(), json!(t.name));
    p.insert(
        "touchpoint".into(),
        json!(super::render::touchpoint_cell(r)),
    );
    p.insert("mode".into(), json!(t.implied_mode));
    p.insert("address".into(), json!(t.address));
    p.insert(
        "address_text".into(),
        json!(t.address.as_ref().map(|a| a.one_line())),
    );
    p.insert("accessibility".into(), json!(t.accessibility));
    p.insert("hours".into(), json!(t.hours));
    p.insert("hours_text".into(), json!(super::render::hours_text(r)));
    Some(json!({
        "type": "Feature",
        "id": t.id,
        "geometry": geometry,
        "properties": p,
    }))
}

/// The features of several registers (a region, an agency with its subordinates).
pub fn features<'a>(contents: impl IntoIterator<Item = &'a RegisterContent>) -> Vec<Value> {
    contents
        .into_iter()
        .flat_map(|c| c.rows.iter().filter_map(|r| feature(&c.agency, r)))
        .collect()
}

/// The collection, with the version it comes from as foreign members (RFC 7946 §6.1).
pub fn collection(features: Vec<Value>, version: Option<(i32, &str)>) -> Value {
    let mut out = json!({"type": "FeatureCollection", "features": features});
    if let Some((n, sha)) = version {
        out["version"] = json!(n);
        out["sha256"] = json!(sha);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::place::{Address, Geo};
    use crate::domain::register::{AgencyInfo, RowTouchpoint};
    use crate::domain::{ClientType, ProcessKind};
    use uuid::Uuid;

    fn row(mode: Mode, geo: Option<Geo>) -> RegisterRow {
        RegisterRow {
            n: 1,
            direction_id: Uuid::nil(),
            direction_code: None,
            direction: "Предоставление государственных услуг".into(),
            process_id: Uuid::nil(),
            process: "Выдача справок".into(),
            registry_code: None,
            process_kind: ProcessKind::Service,
            client_type: ClientType::External,
            unit_id: None,
            unit: None,
            touchpoint: Some(RowTouchpoint {
                id: Uuid::from_u128(7),
                channel: "reception".into(),
                channel_label: "Офис".into(),
                name: "Приёмная".into(),
                as_written: None,
                contacts: vec![],
                needs: vec![],
                interaction: None,
                features: None,
                stated_mode: None,
                implied_mode: mode,
                hours: None,
                address: Some(Address {
                    region: None,
                    city: Some("Махачкала".into()),
                    street: Some("ул. Гаджиева".into()),
                    house: Some("176".into()),
                    office: None,
                    fias_id: None,
                }),
                geo,
                accessibility: None,
                external_id: None,
            }),
            process_external_id: None,
        }
    }

    fn content(rows: Vec<RegisterRow>) -> RegisterContent {
        RegisterContent {
            agency: AgencyInfo {
                id: Uuid::from_u128(1),
                parent_id: None,
                name: "Министерство".into(),
                short_name: None,
                region: "Республика Дагестан".into(),
                website: None,
            },
            columns: vec![],
            rows,
            profile: None,
            approval: None,
        }
    }

    #[test]
    fn points_are_lon_lat_and_unlocated_offices_have_null_geometry() {
        let c = content(vec![
            row(
                Mode::Offline,
                Some(Geo {
                    lat: 42.98,
                    lon: 47.5,
                }),
            ),
            row(Mode::Offline, None),
            row(Mode::Digital, None),
        ]);
        let f = features([&c]);
        assert_eq!(
            f.len(),
            2,
            "the digital touchpoint without coordinates is no place"
        );
        assert_eq!(f[0]["geometry"]["coordinates"], json!([47.5, 42.98]));
        assert_eq!(f[1]["geometry"], Value::Null);
        assert_eq!(
            f[0]["properties"]["address_text"],
            "Махачкала, ул. Гаджиева, 176"
        );
        let fc = collection(f, Some((3, "ab")));
        assert_eq!(fc["type"], "FeatureCollection");
        assert_eq!(fc["version"], 3);
    }
}
