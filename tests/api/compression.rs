//! Content codings of the public API: bodies compressed once (gzip, brotli) that decompress
//! to exactly the plain bytes, one ETag per representation and its own 304, `Vary`,
//! `Content-Length`, q-values; a tiny version cache that evicts and still serves every
//! version; the region streams, complete, in gzip put together from pieces.

use std::io::Read;

use diesel::RunQueryDsl;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use touchpoints::public::api::{PublicAgencyList, PublishedRegister};
use touchpoints::public::region::RegionRegister;

use crate::helpers::TestApp;

/// «Республика Дагестан», percent-encoded: the demo's region.
const REGION: &str = concat!(
    "/api/v1/public/regions/",
    "%D0%A0%D0%B5%D1%81%D0%BF%D1%83%D0%B1%D0%BB%D0%B8%D0%BA%D0%B0%20",
    "%D0%94%D0%B0%D0%B3%D0%B5%D1%81%D1%82%D0%B0%D0%BD/register"
);

async fn demo(app: &TestApp) -> Vec<Uuid> {
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let list: PublicAgencyList = app.portal().get("/api/v1/public/agencies").await.unwrap();
    assert_eq!(list.total, 2, "{list:?}");
    list.items.iter().map(|a| a.id).collect()
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body as sent, decoded by its Content-Encoding.
    fn decoded(&self) -> Vec<u8> {
        decode(self.header("content-encoding"), &self.body)
    }
}

fn decode(coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        None => out.extend_from_slice(body),
        // one gzip member: a stream put together from pieces must still be a single member
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("valid brotli");
        }
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// GET with `Accept-Encoding` (reqwest sends none of its own and decodes nothing) and
/// `If-None-Match`, if given.
async fn get(app: &TestApp, path: &str, ae: Option<&str>, inm: Option<&str>) -> Got {
    let mut r = app.client.get(app.url(path));
    if let Some(ae) = ae {
        r = r.header("accept-encoding", ae);
    }
    if let Some(t) = inm {
        r = r.header("if-none-match", t);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    Got {
        status,
        headers,
        body,
    }
}

#[actix_web::test]
async fn precompressed_bodies_are_the_plain_bytes_with_their_own_etags_and_304s() {
    let app = TestApp::spawn().await;
    let agencies = demo(&app).await;
    let a = agencies[0];
    for base in [
        format!("/api/v1/public/agencies/{a}/register"),
        format!("/api/v1/public/agencies/{a}/register/versions/1"),
    ] {
        for format in ["json", "csv", "html"] {
            let path = format!("{base}?format={format}");
            let plain = get(&app, &path, None, None).await;
            assert_eq!(plain.status, StatusCode::OK, "{path}");
            assert_eq!(plain.header("content-encoding"), None, "{path}");
            assert_eq!(
                plain.header("content-length").unwrap(),
                plain.body.len().to_string()
            );
            let sha = plain.header("x-content-sha256").unwrap().to_owned();
            if format == "json" {
                // X-Content-SHA256 names the canonical JSON of the plain content
                let body: Value = serde_json::from_slice(&plain.body).unwrap();
                let content = json!({
                    "agency": body["agency"], "columns": body["columns"], "rows": body["rows"],
                    "profile": body["profile"], "approval": body["approval"]
                });
                assert_eq!(touchpoints::workflow::snapshot::sha256_hex(&content), sha);
            }
            let mut etags = vec![plain.header("etag").unwrap().to_owned()];
            for (ae, coding) in [("gzip", "gzip"), ("br", "br"), ("gzip, deflate, br", "br")] {
                // twice: the second is served from the bytes the first one made
                for _ in 0..2 {
                    let got = get(&app, &path, Some(ae), None).await;
                    assert_eq!(got.status, StatusCode::OK);
                    assert_eq!(got.header("content-encoding"), Some(coding), "{path} {ae}");
                    assert!(got
                        .header("vary")
                        .unwrap()
                        .to_ascii_lowercase()
                        .contains("accept-encoding"));
                    assert_eq!(
                        got.header("content-length").unwrap(),
                        got.body.len().to_string(),
                        "{path} {ae}"
                    );
                    assert!(got.body.len() < plain.body.len());
                    // decoded once it is the plain body: it was not compressed twice
                    assert_eq!(got.decoded(), plain.body, "{path} {ae}");
                    assert_eq!(got.header("x-content-sha256"), Some(sha.as_str()));
                    let etag = got.header("etag").unwrap().to_owned();
                    if !etags.contains(&etag) {
                        etags.push(etag.clone());
                    }
                    // its own ETag revalidates it…
                    let again = get(&app, &path, Some(ae), Some(&etag)).await;
                    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {ae}");
                    assert!(again.body.is_empty());
                    assert_eq!(again.header("etag"), Some(etag.as_str()));
                    // …the plain body's does not (another representation would be sent)
                    let other = get(&app, &path, Some(ae), Some(&etags[0])).await;
                    assert_eq!(other.status, StatusCode::OK);
                }
            }
            assert_eq!(etags.len(), 3, "identity, gzip and br differ: {etags:?}");
            // the plain body's ETag revalidates the plain body
            let again = get(&app, &path, None, Some(&etags[0])).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        }
    }
}

#[actix_web::test]
async fn accept_encoding_q_values_and_identity_are_honoured() {
    let app = TestApp::spawn().await;
    let a = demo(&app).await[0];
    let path = format!("/api/v1/public/agencies/{a}/register");
    let plain = get(&app, &path, None, None).await.body;
    for (ae, expected) in [
        ("gzip;q=0, br;q=0", None),
        ("identity", None),
        ("br;q=0", None),
        ("br;q=0, gzip", Some("gzip")),
        ("br;q=0.5, gzip;q=0.8", Some("gzip")),
        ("gzip;q=0.5, br", Some("br")),
        ("*", Some("br")),
        ("*;q=0.1, br;q=0", Some("gzip")),
        ("identity;q=0, gzip", Some("gzip")),
        ("x-gzip", Some("gzip")),
        // identity refused and nothing else acceptable: the header is disregarded (RFC 9110
        // §12.1), the body is sent as it is rather than nothing
        ("identity;q=0, zstd", None),
        ("*;q=0", None),
        ("garbage;;q=, ,", None),
    ] {
        let got = get(&app, &path, Some(ae), None).await;
        assert_eq!(got.status, StatusCode::OK, "{ae}");
        assert_eq!(got.header("content-encoding"), expected, "{ae}");
        assert_eq!(got.decoded(), plain, "{ae}");
    }
}

#[actix_web::test]
async fn dynamic_answers_are_compressed_only_when_it_pays_off() {
    let app = TestApp::spawn().await;
    let a = demo(&app).await[0];
    // a filtered variant is rendered per request: compressed, with its coding's ETag and 304
    let path = format!("/api/v1/public/agencies/{a}/register?channel=phone");
    let plain = get(&app, &path, None, None).await;
    assert!(plain.body.len() >= 1024, "{}", plain.body.len());
    for ae in ["gzip", "br"] {
        let got = get(&app, &path, Some(ae), None).await;
        assert_eq!(got.header("content-encoding"), Some(ae));
        assert_eq!(got.decoded(), plain.body);
        assert_eq!(
            got.header("content-length").unwrap(),
            got.body.len().to_string()
        );
        let etag = got.header("etag").unwrap();
        assert_ne!(Some(etag), plain.header("etag"));
        let again = get(&app, &path, Some(ae), Some(etag)).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    }
    // include=subordinates likewise
    let path = format!("/api/v1/public/agencies/{a}/register?include=subordinates&format=csv");
    let plain = get(&app, &path, None, None).await;
    let got = get(&app, &path, Some("gzip"), None).await;
    assert_eq!(got.header("content-encoding"), Some("gzip"));
    assert_eq!(got.decoded(), plain.body);
    let etag = got.header("etag").unwrap();
    assert_eq!(
        get(&app, &path, Some("gzip"), Some(etag)).await.status,
        StatusCode::NOT_MODIFIED
    );

    // a small answer (under 1 KiB) is sent as it is…
    let small = get(
        &app,
        "/api/v1/public/changes?limit=1",
        Some("gzip, br"),
        None,
    )
    .await;
    assert_eq!(small.status, StatusCode::OK);
    assert!(small.body.len() < 1024);
    assert_eq!(small.header("content-encoding"), None);
    // …unless identity is refused
    let refused = get(
        &app,
        "/api/v1/public/changes?limit=1",
        Some("gzip, identity;q=0"),
        None,
    )
    .await;
    assert_eq!(refused.header("content-encoding"), Some("gzip"));
    assert_eq!(refused.decoded(), small.body);
    // a large one is compressed by the middleware
    let page = format!("{REGION}?limit=50");
    let plain = get(&app, &page, None, None).await;
    for ae in ["gzip", "br"] {
        let got = get(&app, &page, Some(ae), None).await;
        assert_eq!(got.header("content-encoding"), Some(ae));
        assert_eq!(got.decoded(), plain.body);
    }
    // XLSX is a zip already: never compressed again
    let xlsx = get(
        &app,
        &format!("/api/v1/public/agencies/{a}/register?format=xlsx"),
        Some("gzip, br"),
        None,
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.header("content-encoding"), None);
    assert_eq!(&xlsx.body[..2], b"PK");
}

/// Copies `source`'s published version `count` times as further agencies of its region
/// (new ids, names sorting around the others), announced as a publication is.
fn clone_agencies(app: &TestApp, source: Uuid, count: usize) {
    let mut c = app.pool.get().unwrap();
    for i in 0..count {
        let id = Uuid::new_v4();
        let revision = Uuid::new_v4();
        // before and after the demo's names (А… and М…), so batches mix cached and not
        let name = if i % 2 == 0 {
            format!(
                "Агентство-копия {} {i:02}",
                &source.simple().to_string()[..8]
            )
        } else {
            format!(
                "Ведомство-копия {} {i:02}",
                &source.simple().to_string()[..8]
            )
        };
        let short = if i % 3 == 0 {
            "NULL".to_owned()
        } else {
            format!("'Копия {i}'")
        };
        diesel::sql_query(format!(
            "INSERT INTO agencies SELECT (jsonb_populate_record(NULL::agencies, to_jsonb(a) || \
             jsonb_build_object('id', '{id}', 'name', '{name}', 'short_name', {short}::text))).* \
             FROM agencies a WHERE id = '{source}'"
        ))
        .execute(&mut c)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO revisions SELECT (jsonb_populate_record(NULL::revisions, to_jsonb(r) || \
             jsonb_build_object('id', '{revision}', 'agency_id', '{id}'))).* \
             FROM revisions r WHERE agency_id = '{source}' AND version_number = 1"
        ))
        .execute(&mut c)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO register_versions SELECT (jsonb_populate_record(NULL::register_versions, \
             to_jsonb(v) || jsonb_build_object('id', gen_random_uuid(), 'agency_id', '{id}', \
             'revision_id', '{revision}', 'seq', nextval('register_versions_seq_seq'), \
             'content', jsonb_set(jsonb_set(jsonb_set(v.content, '{{agency,id}}', '\"{id}\"'), \
             '{{agency,name}}', '\"{name}\"'), '{{agency,short_name}}', COALESCE(to_jsonb({short}::text), 'null'::jsonb))))).* \
             FROM register_versions v WHERE agency_id = '{source}' AND number = 1"
        ))
        .execute(&mut c)
        .unwrap();
        diesel::sql_query(format!(
            "SELECT pg_notify('touchpoints_versions', '{id}:1')"
        ))
        .execute(&mut c)
        .unwrap();
    }
}

/// The region CSV as it should be: one header, then every body of the region (name order,
/// then id) with its rows, the (short) name before the direction, each body's rows numbered
/// from 1 as in its own register.
async fn expected_region_csv(app: &TestApp) -> String {
    let list: PublicAgencyList = app
        .portal()
        .get("/api/v1/public/agencies?limit=100")
        .await
        .unwrap();
    let mut registers = Vec::new();
    for a in &list.items {
        let r: PublishedRegister = app.portal().public_register(a.id).await.unwrap();
        registers.push(r);
    }
    registers.sort_by(|a, b| {
        (a.content.agency.name.as_str(), a.content.agency.id)
            .cmp(&(b.content.agency.name.as_str(), b.content.agency.id))
    });
    let mut out = touchpoints::public::render::csv_header();
    for r in &registers {
        let agency = &r.content.agency;
        let name = agency.short_name.as_deref().unwrap_or(&agency.name);
        out.push_str(&touchpoints::public::render::csv_rows(
            &r.content.rows,
            1,
            Some(name),
        ));
    }
    out
}

/// Waits until the region view counts `agencies` bodies (the clones' notifications arrive).
async fn region_settles(app: &TestApp, agencies: i64) -> RegionRegister {
    let started = std::time::Instant::now();
    loop {
        let page: RegionRegister = app
            .portal()
            .get(&format!("{REGION}?limit=1"))
            .await
            .unwrap();
        if page.agencies == agencies {
            return page;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the region has {} bodies",
            page.agencies
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn region_streams_are_complete(app: &TestApp, agencies: &[Uuid]) {
    clone_agencies(app, agencies[0], 13);
    clone_agencies(app, agencies[1], 6);
    let page = region_settles(app, 21).await;
    let expected = expected_region_csv(app).await;
    assert_eq!(
        expected.lines().count() as i64,
        page.total + 1,
        "the expected file has every row"
    );
    let path = format!("{REGION}?format=csv");
    // read cold, then warm (pieces made once and reused), then with a filled cache
    for round in 0..3 {
        let plain = get(app, &path, None, None).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(
            String::from_utf8(plain.body.clone()).unwrap(),
            expected,
            "round {round}"
        );
        let gz = get(app, &path, Some("gzip, br"), None).await;
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "round {round}");
        assert!(gz.header("vary").unwrap().contains("Accept-Encoding"));
        assert!(gz.body.len() * 4 < plain.body.len());
        assert_eq!(gz.decoded(), plain.body, "round {round}");
        // brotli alone: the stream as it is
        let br = get(app, &path, Some("br"), None).await;
        assert_eq!(br.header("content-encoding"), None);
        assert_eq!(br.body, plain.body);
        // every register read in between, so versions come and go in a small cache
        for a in agencies {
            get(
                app,
                &format!("/api/v1/public/agencies/{a}/register?format=html"),
                Some("br"),
                None,
            )
            .await;
        }
    }
    // the clones were inserted by hand, without stored pieces, and were rendered from their
    // content above; the start-up backfill fills them in, and the stream stays the same bytes
    let mut c = app.pool.get().unwrap();
    let (_, filled) = touchpoints::public::pieces::backfill(&mut c, 0, 1000).unwrap();
    assert_eq!(filled, 19, "the hand-made clones get their pieces");
    assert_eq!(
        touchpoints::public::pieces::backfill(&mut c, 0, 1000)
            .unwrap()
            .1,
        0
    );
    drop(c);
    let plain = get(app, &path, None, None).await;
    assert_eq!(String::from_utf8(plain.body.clone()).unwrap(), expected);
    let gz = get(app, &path, Some("gzip"), None).await;
    assert_eq!(gz.decoded(), plain.body);
    let html_path = format!("{REGION}?format=html");
    let html = get(app, &html_path, None, None).await;
    let text = String::from_utf8(html.body.clone()).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>") && text.ends_with("</body></html>\n"));
    assert_eq!(text.matches("Версия 1").count(), 21);
    let gz = get(app, &html_path, Some("gzip"), None).await;
    assert_eq!(gz.decoded(), html.body);
    let gz = get(app, &html_path, Some("gzip"), None).await;
    assert_eq!(gz.decoded(), html.body);
    // the JSON pages cover every row once, in the same order as the CSV
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let p: Value = app
            .portal()
            .get(&format!("{REGION}?limit=37&offset={offset}"))
            .await
            .unwrap();
        let got = p["rows"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        offset += got.len();
        rows.extend(got);
    }
    assert_eq!(rows.len() as i64, page.total);
    // a page is made once and kept with its compressed copies: each coding, read twice,
    // decompresses to the plain page
    let page_path = format!("{REGION}?limit=37&offset=37");
    let plain = get(app, &page_path, None, None).await;
    for coding in ["gzip", "br", "gzip", "br"] {
        let r = get(app, &page_path, Some(coding), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-encoding"), Some(coding));
        assert!(r.header("vary").unwrap().contains("Accept-Encoding"));
        assert!(r.body.len() * 3 < plain.body.len(), "{coding} compresses");
        assert_eq!(r.decoded(), plain.body, "{coding}");
    }
    let csv_processes: Vec<&str> = expected
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(2).unwrap_or(""))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let process = row["process"].as_str().unwrap();
        if !process.contains([';', '"', '\n']) && !process.starts_with(['=', '+', '-', '@']) {
            assert_eq!(csv_processes[i], process, "row {i}");
        }
    }
}

#[actix_web::test]
async fn the_region_csv_streams_complete_in_plain_and_gzip() {
    let app = TestApp::spawn().await;
    let agencies = demo(&app).await;
    region_streams_are_complete(&app, &agencies).await;
}

#[actix_web::test]
async fn a_tiny_cache_evicts_and_still_serves_every_version() {
    // room for about one version with its bodies: reads keep evicting and reloading
    let app = TestApp::spawn_with(|s| s.cache_bytes = 400 * 1024).await;
    let agencies = demo(&app).await;
    let mut first: Vec<(String, Vec<u8>, String)> = Vec::new();
    for round in 0..3 {
        let mut i = 0;
        for a in &agencies {
            for format in ["json", "csv", "html"] {
                for ae in [None, Some("gzip"), Some("br")] {
                    let path =
                        format!("/api/v1/public/agencies/{a}/register/versions/1?format={format}");
                    let got = get(&app, &path, ae, None).await;
                    assert_eq!(got.status, StatusCode::OK, "{path}");
                    let etag = got.header("etag").unwrap().to_owned();
                    let plain = got.decoded();
                    if round == 0 {
                        first.push((path, plain, etag));
                    } else {
                        assert_eq!(first[i].1, plain, "{path} {ae:?} round {round}");
                        assert_eq!(first[i].2, etag, "{path} {ae:?} round {round}");
                    }
                    i += 1;
                }
            }
        }
    }
    // the plain bodies of each format agree whatever the coding
    for chunk in first.chunks(3) {
        assert_eq!(chunk[0].1, chunk[1].1);
        assert_eq!(chunk[0].1, chunk[2].1);
    }
    region_streams_are_complete(&app, &agencies).await;
}
