//! What portals and maps read beyond the six columns: opening hours and "open now" on the
//! production calendar, addresses and coordinates (GeoJSON), schema.org markup (JSON-LD), and
//! the hours in the printed register.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, TestApp};

/// An office open Monday to Friday 09:00–18:00 with a break 13:00–14:00.
fn office_hours() -> Value {
    let mut weekly = Vec::new();
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        weekly.push(json!({"day": day, "opens": "09:00", "closes": "13:00"}));
        weekly.push(json!({"day": day, "opens": "14:00", "closes": "18:00"}));
    }
    json!({"weekly": weekly})
}

struct Published {
    agency: Uuid,
    office: String,
    phone: String,
    site: String,
}

/// An agency in `time_zone` with a reception office (hours, address, coordinates), a hot line
/// (hours, no place) and a website (nothing), published as version 1.
async fn publish_office(app: &TestApp, time_zone: Option<&str>) -> Published {
    let mut body = json!({"name": "Министерство юстиции", "region": "Республика Дагестан", "kind": "ministry"});
    if let Some(z) = time_zone {
        body["time_zone"] = json!(z);
    }
    let (s, agency) = app.post("/api/v1/agencies", body).await;
    assert_eq!(s, StatusCode::CREATED, "{agency}");
    assert_eq!(agency["time_zone"], time_zone.unwrap_or("Europe/Moscow"));
    let agency_id = agency["id"].as_str().unwrap().to_owned();
    let process = app.process(&agency_id, "Приём граждан").await;
    let pid = process["id"].as_str().unwrap();
    let office = app
        .point(
            pid,
            json!({
                "channel": "reception", "name": "Приёмная министерства", "needs": ["consultation"],
                "hours": office_hours(),
                "address": {"region": "Республика Дагестан", "city": "Махачкала",
                            "street": "ул. Магомеда Гаджиева", "house": "176", "office": "каб. 12",
                            "fias_id": "727CDF1E-1B70-4E07-8995-9BF7CA9ABEFB"},
                "geo": {"lat": 42.9849, "lon": 47.5047},
                "accessibility": "Пандус у главного входа, кнопка вызова"
            }),
        )
        .await;
    assert_eq!(
        office["address"]["fias_id"],
        "727cdf1e-1b70-4e07-8995-9bf7ca9abefb"
    );
    assert_eq!(office["geo"], json!({"lat": 42.9849, "lon": 47.5047}));
    let phone = app
        .point(
            pid,
            json!({
                "channel": "phone", "name": "Горячая линия", "needs": ["consultation"],
                "contacts": [{"kind": "phone", "value": "+7 (8722) 67-00-00"}],
                "hours": {"weekly": [{"day": "mon", "opens": "08:00", "closes": "20:00"}],
                          "exceptions": [{"date": "2026-12-31", "opens": "10:00", "closes": "14:00"}]}
            }),
        )
        .await;
    let site = app
        .point(
            pid,
            json!({"channel": "website", "name": "Официальный сайт", "needs": ["consultation"],
                   "contacts": [{"kind": "url", "value": "https://minjust.e-dag.ru"}]}),
        )
        .await;
    let agency = Uuid::parse_str(&agency_id).unwrap();
    assert_eq!(publish_current(app, agency).await, 1);
    Published {
        agency,
        office: office["id"].as_str().unwrap().to_owned(),
        phone: phone["id"].as_str().unwrap().to_owned(),
        site: site["id"].as_str().unwrap().to_owned(),
    }
}

/// Publishes the revision a new agency starts with: every part submitted and accepted,
/// approved, published.
async fn publish_current(app: &TestApp, agency: Uuid) -> i32 {
    let a = app.as_admin();
    let rev = a.current_revision(agency).await.expect("revision");
    for part in &rev.parts {
        a.submit(&rev, &part.unit_id).await.expect("submit");
        a.accept(&rev, &part.unit_id).await.expect("accept");
    }
    a.approve(&rev).await.expect("approve");
    a.publish(&rev).await.expect("publish").version
}

async fn open_now(app: &TestApp, agency: Uuid, at: &str) -> Value {
    let (s, body) = app
        .get(&format!(
            "/api/v1/public/agencies/{agency}/register/open-now?at={}",
            at.replace('+', "%2B")
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

fn item<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["touchpoint_id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {body}"))
}

#[actix_web::test]
async fn open_now_follows_the_hours_and_the_production_calendar() {
    let app = TestApp::spawn().await;
    let p = publish_office(&app, None).await;

    // an ordinary Wednesday: open in a slot, closed in the break with the afternoon next
    let b = open_now(&app, p.agency, "2026-11-25T10:00:00+03:00").await;
    assert_eq!(b["time_zone"], "Europe/Moscow");
    assert_eq!(item(&b, &p.office)["open"], true);
    assert_eq!(
        item(&b, &p.office)["closes_at"],
        "2026-11-25T13:00:00+03:00"
    );
    assert_eq!(b["without_hours"], json!([p.site]));
    let b = open_now(&app, p.agency, "2026-11-25T13:30:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2026-11-25T14:00:00+03:00"
    );

    // 31 December 2026: a day off moved from 4 January; then the New Year holidays and the
    // weekend: the office opens on Monday 11 January. The hot line's exception opens it.
    let b = open_now(&app, p.agency, "2026-12-31T11:00:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2027-01-11T09:00:00+03:00"
    );
    assert_eq!(item(&b, &p.phone)["open"], true);
    assert_eq!(item(&b, &p.phone)["closes_at"], "2026-12-31T14:00:00+03:00");

    // 4 November 2026, a Wednesday, is a holiday
    let b = open_now(&app, p.agency, "2026-11-04T10:00:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2026-11-05T09:00:00+03:00"
    );

    // 3 November 2026 precedes it: the day ends at 17:00, not 18:00
    let b = open_now(&app, p.agency, "2026-11-03T16:30:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], true);
    assert_eq!(
        item(&b, &p.office)["closes_at"],
        "2026-11-03T17:00:00+03:00"
    );
    let b = open_now(&app, p.agency, "2026-11-03T17:15:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], false);

    // the moment may be given in any offset: 07:00 UTC is 10:00 in Moscow
    let b = open_now(&app, p.agency, "2026-11-25T07:00:00Z").await;
    assert_eq!(b["at"], "2026-11-25T10:00:00+03:00");
    assert_eq!(item(&b, &p.office)["open"], true);

    // an admin's edit of the calendar counts at once: 25 November declared a day off
    let (s, body) = app
        .put(
            "/api/v1/calendar/2026-11-25",
            json!({"working": false, "name": "Региональный нерабочий день"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let b = open_now(&app, p.agency, "2026-11-25T10:00:00+03:00").await;
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2026-11-26T09:00:00+03:00"
    );

    let (s, body) = app
        .get(&format!(
            "/api/v1/public/agencies/{}/register/open-now?at=tomorrow",
            p.agency
        ))
        .await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("at"));
}

#[actix_web::test]
async fn hours_are_local_times_of_the_agencys_time_zone() {
    let app = TestApp::spawn().await;
    // Udmurtia: UTC+4
    let p = publish_office(&app, Some("Europe/Samara")).await;
    // 09:30 in Moscow is 10:30 in Izhevsk: open; 08:30 Moscow is 09:30 Izhevsk: open; 07:30
    // Moscow is 08:30 there: closed, opening at 09:00 local
    let b = open_now(&app, p.agency, "2026-11-25T07:30:00+03:00").await;
    assert_eq!(b["time_zone"], "Europe/Samara");
    assert_eq!(b["at"], "2026-11-25T08:30:00+04:00");
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2026-11-25T09:00:00+04:00"
    );

    let (s, body) = app
        .patch(
            &format!("/api/v1/agencies/{}", p.agency),
            json!({"time_zone": "Europe/Kyiv"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("time_zone"));
    let (s, body) = app
        .patch(
            &format!("/api/v1/agencies/{}", p.agency),
            json!({"time_zone": "Asia/Yekaterinburg"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["time_zone"], "Asia/Yekaterinburg");
}

#[actix_web::test]
async fn hours_and_places_are_validated_and_edited_through_the_working_copy() {
    let app = TestApp::spawn().await;
    let agency = app.agency("Министерство труда").await;
    let process = app.process(agency["id"].as_str().unwrap(), "Приём").await;
    let points = format!(
        "/api/v1/processes/{}/points",
        process["id"].as_str().unwrap()
    );
    let bad = [
        (
            json!({"hours": {"weekly": [{"day": "mon", "opens": "25:00", "closes": "18:00"}]}}),
            "hours.weekly[0].opens",
        ),
        (
            json!({"hours": {"weekly": [], "valid_from": "2026-02-01", "valid_to": "2026-01-01"}}),
            "hours.valid_to",
        ),
        (
            json!({"hours": {"exceptions": [{"date": "2026-12-31", "closed": true},
                                          {"date": "2026-12-31", "opens": "09:00", "closes": "10:00"}]}}),
            "hours.exceptions[1]",
        ),
        (json!({"geo": {"lat": 91, "lon": 0}}), "geo.lat"),
        (
            json!({"address": {"fias_id": "not-a-guid"}}),
            "address.fias_id",
        ),
    ];
    for (extra, field) in bad {
        let mut body = json!({"channel": "reception", "name": "Приёмная", "needs": []});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, p) = app.post(&points, body).await;
        assert_problem(s, &p, 422, "validation_failed", Some(field));
    }
    // an exception is closed or has times: a bare date is not a timetable
    let (s, p) = app
        .post(
            &points,
            json!({"channel": "reception", "name": "Приёмная", "hours": {"exceptions": [{"date": "2026-12-31"}]}}),
        )
        .await;
    assert!(s.is_client_error(), "{s} {p}");

    let t = app
        .point(
            process["id"].as_str().unwrap(),
            json!({"channel": "reception", "name": "Приёмная", "needs": [], "hours": office_hours()}),
        )
        .await;
    let url = format!("/api/v1/points/{}", t["id"].as_str().unwrap());
    // two spellings of one timetable store alike: slots in day and time order
    assert_eq!(
        t["hours"]["weekly"][0],
        json!({"day": "mon", "opens": "09:00", "closes": "13:00"})
    );
    let (s, body) = app
        .patch(&url, json!({"geo": {"lat": 56.85, "lon": 53.2}, "address": {"city": "Ижевск", "street": " ул.  Пушкинская ", "house": "214"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["address"]["street"], "ул. Пушкинская");
    assert_eq!(body["hours"], t["hours"], "untouched fields stay");
    let (s, body) = app.patch(&url, json!({"hours": null, "geo": null})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["hours"], Value::Null);
    assert_eq!(body["geo"], Value::Null);
    assert_eq!(body["address"]["city"], "Ижевск");
}

#[actix_web::test]
async fn geojson_and_jsonld_describe_the_places_and_services() {
    let app = TestApp::spawn().await;
    let p = publish_office(&app, None).await;
    for url in [
        format!(
            "/api/v1/public/agencies/{}/register?format=geojson",
            p.agency
        ),
        format!(
            "/api/v1/public/agencies/{}/register/versions/1?format=geojson",
            p.agency
        ),
        "/api/v1/public/regions/Республика Дагестан/register?format=geojson".to_owned(),
    ] {
        let resp = app.client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{url}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/geo+json",
            "{url}"
        );
        let fc: Value = resp.json().await.unwrap();
        assert_eq!(fc["type"], "FeatureCollection");
        let features = fc["features"].as_array().unwrap();
        // the office is the only place: the hot line and the website are not
        assert_eq!(features.len(), 1, "{url}: {fc}");
        let f = &features[0];
        assert_eq!(f["id"], p.office.as_str());
        assert_eq!(
            f["geometry"],
            json!({"type": "Point", "coordinates": [47.5047, 42.9849]})
        );
        assert_eq!(f["properties"]["address"]["house"], "176");
        assert_eq!(
            f["properties"]["accessibility"],
            "Пандус у главного входа, кнопка вызова"
        );
        assert_eq!(
            f["properties"]["hours_text"],
            "Пн–Пт 09:00–13:00, 14:00–18:00; Сб–Вс выходной"
        );
    }

    let resp = app
        .client
        .get(app.url(&format!("/api/v1/public/agencies/{}/register", p.agency)))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/ld+json");
    let ld: Value = resp.json().await.unwrap();
    assert_eq!(ld["@context"], "https://schema.org");
    let graph = ld["@graph"].as_array().unwrap();
    assert_eq!(graph[0]["@type"], "GovernmentOrganization");
    assert_eq!(graph[0]["@id"], format!("urn:uuid:{}", p.agency));
    let service = &graph[1];
    assert_eq!(service["@type"], "GovernmentService");
    assert_eq!(service["provider"]["@id"], graph[0]["@id"]);
    let channels = service["availableChannel"].as_array().unwrap();
    assert_eq!(channels.len(), 3);
    let office = &channels[0];
    assert_eq!(office["@type"], "ServiceChannel");
    let place = &office["serviceLocation"];
    assert_eq!(place["@type"], "Place");
    assert_eq!(place["address"]["@type"], "PostalAddress");
    assert_eq!(
        place["address"]["streetAddress"],
        "ул. Магомеда Гаджиева, 176, каб. 12"
    );
    assert_eq!(
        place["geo"],
        json!({"@type": "GeoCoordinates", "latitude": 42.9849, "longitude": 47.5047})
    );
    assert_eq!(
        place["openingHoursSpecification"].as_array().unwrap().len(),
        10
    );
    assert_eq!(
        place["openingHoursSpecification"][0],
        json!({"@type": "OpeningHoursSpecification", "dayOfWeek": "https://schema.org/Monday", "opens": "09:00:00", "closes": "13:00:00"})
    );
    let phone = &channels[1]["servicePhone"][0];
    assert_eq!(phone["@type"], "ContactPoint");
    assert_eq!(phone["telephone"], "+78722670000");
    assert_eq!(
        phone["hoursAvailable"][0]["dayOfWeek"],
        "https://schema.org/Monday"
    );
    assert_eq!(channels[1]["@id"], format!("urn:uuid:{}", p.phone));
    assert_eq!(
        channels[2]["serviceUrl"],
        json!(["https://minjust.e-dag.ru"])
    );

    // the HTML register carries the same document in a data block
    let (s, html) = app
        .get(&format!(
            "/api/v1/public/agencies/{}/register?format=html",
            p.agency
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = html.as_str().unwrap().to_owned();
    let start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let embedded: Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(embedded, ld);
}

#[actix_web::test]
async fn the_printed_register_shows_the_hours_where_the_profile_says() {
    let app = TestApp::spawn().await;
    let p = publish_office(&app, None).await;
    let csv = |n: i32| {
        let app = &app;
        async move {
            let (s, body) = app
                .get(&format!(
                    "/api/v1/public/agencies/{}/register/versions/{n}?format=csv",
                    p.agency
                ))
                .await;
            assert_eq!(s, StatusCode::OK);
            body.as_str().unwrap().to_owned()
        }
    };
    let v1 = csv(1).await;
    let header = v1
        .lines()
        .find(|l| l.contains("Точка взаимодействия"))
        .unwrap();
    assert!(header.ends_with(";Режим работы"), "{header}");
    let office_line = v1
        .lines()
        .find(|l| l.contains("Приёмная министерства"))
        .unwrap();
    assert!(
        office_line.ends_with(";Пн–Пт 09:00–13:00, 14:00–18:00; Сб–Вс выходной")
            || office_line.ends_with(";\"Пн–Пт 09:00–13:00, 14:00–18:00; Сб–Вс выходной\""),
        "{office_line}"
    );
    // the profile puts them in column 4 instead: no seventh column
    let (s, profile) = app
        .get(&format!("/api/v1/agencies/{}/form-profile", p.agency))
        .await;
    assert_eq!(s, StatusCode::OK, "{profile}");
    let mut profile = profile.clone();
    let obj = profile.as_object_mut().unwrap();
    obj.remove("source");
    obj.remove("source_agency_id");
    obj.insert("hours_placement".into(), json!("cell"));
    let (s, body) = app
        .put(
            &format!("/api/v1/agencies/{}/form-profile", p.agency),
            profile,
        )
        .await;
    assert!(s.is_success(), "{body}");
    let v = app
        .as_admin()
        .publish_new_revision(p.agency, "touchpoint_changed", "Часы в ячейке")
        .await;
    let v2 = csv(v).await;
    assert!(
        !v2.contains("Режим работы;") && !v2.contains(";Режим работы"),
        "{v2}"
    );
    assert!(
        v2.contains(
            "Приёмная министерства; режим работы: Пн–Пт 09:00–13:00, 14:00–18:00; Сб–Вс выходной"
        ),
        "{v2}"
    );
}

#[actix_web::test]
async fn a_change_of_hours_is_reviewed_published_and_diffed() {
    let app = TestApp::spawn().await;
    let p = publish_office(&app, None).await;
    let a = app.as_admin();
    let rev = a
        .open_revision(p.agency, "touchpoint_changed", "Новый режим работы")
        .await
        .expect("open");
    let (s, body) = app
        .patch(
            &format!("/api/v1/points/{}", p.office),
            json!({"hours": {"weekly": [{"day": "mon", "opens": "10:00", "closes": "17:00"}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // the published version keeps the old hours until the new ones are approved
    let b = open_now(&app, p.agency, "2026-11-24T09:30:00+03:00").await;
    assert_eq!(
        item(&b, &p.office)["open"],
        true,
        "Tuesday 09:30 under version 1"
    );
    for part in &rev.parts {
        a.submit(&rev, &part.unit_id).await.expect("submit");
        a.accept(&rev, &part.unit_id).await.expect("accept");
    }
    a.approve(&rev).await.expect("approve");
    assert_eq!(a.publish(&rev).await.expect("publish").version, 2);
    let b = open_now(&app, p.agency, "2026-11-24T09:30:00+03:00").await;
    assert_eq!(b["version"], 2);
    assert_eq!(item(&b, &p.office)["open"], false);
    assert_eq!(
        item(&b, &p.office)["next_open"],
        "2026-11-30T10:00:00+03:00"
    );
    let (s, diff) = app
        .get(&format!(
            "/api/v1/public/agencies/{}/register/diff?from=1&to=2",
            p.agency
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{diff}");
    let changed = diff["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{diff}");
    assert_eq!(changed[0]["key"], p.office.as_str());
    let fields: Vec<&str> = changed[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["hours"]);
}
