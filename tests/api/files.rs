//! Files attached to a part, with their detached CAdES signatures (parsed, digest compared).
//!
//! The signature is a real `openssl cms -sign` detached signature, made once with a self-signed
//! certificate and committed (tests/fixtures/files/README.md), so no `openssl` is needed here.

use reqwest::StatusCode;
use sha2::Digest;
use touchpoints::domain::state::PartStatus;
use touchpoints::error::ErrorCode;
use touchpoints::files::api::PartFileList;
use touchpoints::workflow::model::Revision;
use touchpoints::workflow::settings::WorkflowSettings;

use crate::client::{part, Org, PointSpec, ProcessSpec};
use crate::helpers::TestApp;

const CSV: &[u8] = include_bytes!("../fixtures/files/part.csv");
const SIG: &[u8] = include_bytes!("../fixtures/files/part.csv.sig");
const PEM: &[u8] = include_bytes!("../fixtures/files/part.csv.p7s.pem");

/// A ministry with one unit whose submitter has filled in a process (revision 1 is open).
async fn ministry(app: &TestApp) -> (Org<'_>, Revision) {
    let org = app
        .org("Министерство цифрового развития Республики Дагестан")
        .with_unit("Отдел государственных услуг")
        .build()
        .await;
    let s1 = org.submitter_of(0);
    let p = s1
        .create_process(
            org.id(),
            ProcessSpec::service("Запись в школу").of(org.unit(0)),
        )
        .await
        .expect("process");
    let epgu = PointSpec::new("epgu", "ЕПГУ")
        .url("https://www.gosuslugi.ru")
        .needs(&["submission"]);
    s1.add_point(p.id, epgu).await.expect("touchpoint");
    let rev = s1.current_revision(org.id()).await.expect("revision");
    (org, rev)
}

async fn download(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_signed_file_is_stored_listed_and_downloaded() {
    let app = TestApp::spawn().await;
    let (org, rev) = ministry(&app).await;
    let (s1, u1) = (org.submitter_of(0), org.unit(0));

    let f = s1
        .upload_part_file(
            &rev,
            u1,
            ("перечень.csv", "text/csv", CSV),
            Some(("part.csv.sig", SIG)),
        )
        .await
        .expect("upload");
    assert_eq!(f.file_name, "перечень.csv");
    assert_eq!(f.content_type, "text/csv");
    assert_eq!(f.size, CSV.len() as i64);
    assert_eq!(f.sha256, hex::encode(sha2::Sha256::digest(CSV)));
    assert_eq!(f.uploaded_by, "s1");
    let sig = f.signature.as_ref().expect("signature read");
    assert_eq!(sig.digest_matches, Some(true));
    assert!(sig.detached);
    assert_eq!(sig.size, SIG.len() as i64);
    let subject = sig.signers[0].subject.as_ref().expect("signer certificate");
    assert_eq!(
        subject.common_name.as_deref(),
        Some("Иванова Мария Петровна")
    );
    assert_eq!(subject.surname.as_deref(), Some("Иванова"));
    assert_eq!(subject.given_name.as_deref(), Some("Мария Петровна"));
    assert_eq!(subject.title.as_deref(), Some("Начальник отдела"));
    assert_eq!(
        subject.organization.as_deref(),
        Some("Министерство цифрового развития Республики Дагестан")
    );
    assert_eq!(subject.snils.as_deref(), Some("12345678901"));

    // the same signature in PEM; then the signature over another file: stored, but it does not match
    let pem = s1
        .upload_part_file(
            &rev,
            u1,
            ("part.csv", "text/csv", CSV),
            Some(("part.p7s", PEM)),
        )
        .await
        .expect("PEM upload");
    assert_eq!(pem.signature.unwrap().digest_matches, Some(true));
    let mut tampered = CSV.to_vec();
    tampered.extend_from_slice("Здравоохранение;Запись к врачу;ЕПГУ\n".as_bytes());
    let t = s1
        .upload_part_file(
            &rev,
            u1,
            ("part.csv", "text/csv", &tampered),
            Some(("part.csv.sig", SIG)),
        )
        .await
        .expect("tampered upload");
    assert_eq!(t.signature.unwrap().digest_matches, Some(false));

    // the agency's approver lists them, oldest first
    let list: PartFileList = org
        .approver("a1")
        .get(&format!("/api/v1/revisions/{}/parts/{u1}/files", rev.id))
        .await
        .expect("list");
    assert_eq!(list.total, 3);
    assert_eq!(list.items[0].id, f.id);
    assert_eq!(
        list.items[0].signature.as_ref().unwrap().signers[0]
            .subject
            .as_ref()
            .unwrap()
            .title
            .as_deref(),
        Some("Начальник отдела")
    );

    // download: the bytes, the type, the name, the digest
    let token = org.approver("a1").token;
    let resp = download(&app, &token, &f.download_url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/csv");
    assert_eq!(h["x-content-sha256"].to_str().unwrap(), f.sha256);
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment"), "{cd}");
    assert!(cd.contains("filename*=UTF-8''"), "{cd}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), CSV);
    let resp = download(&app, &token, &sig.download_url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), SIG);

    // an unsigned file has no signature to download
    let plain = s1
        .upload_part_file(&rev, u1, ("part.csv", "text/csv", CSV), None)
        .await
        .expect("unsigned upload");
    assert!(plain.signature.is_none());
    let resp = download(&app, &token, &format!("{}/signature", plain.download_url)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // the uploads are in the revision's history
    let history = s1.history(&rev).await.expect("history");
    let uploads = history
        .items
        .iter()
        .filter(|e| e.entity == "part_file" && e.action == "upload")
        .count();
    assert_eq!(uploads, 4);
}

#[actix_web::test]
async fn bad_signatures_strangers_and_oversize_files_are_refused() {
    let app = TestApp::spawn().await;
    let (org, rev) = ministry(&app).await;
    let (s1, u1) = (org.submitter_of(0), org.unit(0));

    for garbage in [
        &b"not a signature"[..],
        &SIG[..SIG.len() / 2],
        b"\x30\x84\xff\xff\xff\xff",
    ] {
        let p = s1
            .upload_part_file(
                &rev,
                u1,
                ("part.csv", "text/csv", CSV),
                Some(("x.sig", garbage)),
            )
            .await
            .unwrap_err();
        assert_eq!(p.code, ErrorCode::ValidationFailed, "{}", p.detail);
        assert_eq!(p.errors[0].field, "signature");
        assert_eq!(p.errors[0].code, "invalid_signature");
    }
    // neither XLSX nor CSV
    let p = s1
        .upload_part_file(&rev, u1, ("x.exe", "application/octet-stream", b"MZ"), None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::UnsupportedMediaType);

    // another agency's submitter may neither upload nor read
    let other = app
        .org("Министерство здравоохранения Республики Дагестан")
        .build()
        .await;
    let p = other
        .submitter()
        .upload_part_file(
            &rev,
            u1,
            ("part.csv", "text/csv", CSV),
            Some(("s.sig", SIG)),
        )
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let f = s1
        .upload_part_file(&rev, u1, ("part.csv", "text/csv", CSV), None)
        .await
        .expect("upload");
    let p = other
        .submitter()
        .get::<PartFileList>(&format!("/api/v1/revisions/{}/parts/{u1}/files", rev.id))
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::Forbidden);
    let resp = download(&app, &other.submitter().token, &f.download_url).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // larger than 10 MB
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let p = s1
        .upload_part_file(&rev, u1, ("big.csv", "text/csv", &big), None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::PayloadTooLarge);

    // an accepted part takes no more files
    let rev = s1.submit(&rev, u1).await.expect("submit");
    let rev = org.approver("a1").accept(&rev, u1).await.expect("accept");
    assert_eq!(part(&rev, u1).status, PartStatus::Accepted);
    let p = s1
        .upload_part_file(&rev, u1, ("part.csv", "text/csv", CSV), None)
        .await
        .unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
}

#[actix_web::test]
async fn require_signed_file_blocks_submission_until_a_signed_file_is_uploaded() {
    let app = TestApp::spawn().await;
    let (org, rev) = ministry(&app).await;
    let (s1, u1) = (org.submitter_of(0), org.unit(0));
    let settings = WorkflowSettings {
        require_signed_file: true,
        ..WorkflowSettings::default()
    };
    let s = org
        .admin()
        .put_settings(org.id(), &settings)
        .await
        .expect("settings");
    assert!(s.require_signed_file);

    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    assert!(p.detail.contains("signed file"), "{}", p.detail);
    // unsigned, or signed over another file: still refused
    s1.upload_part_file(&rev, u1, ("part.csv", "text/csv", CSV), None)
        .await
        .expect("unsigned upload");
    let other = b"another file".to_vec();
    s1.upload_part_file(
        &rev,
        u1,
        ("part.csv", "text/csv", &other),
        Some(("s.sig", SIG)),
    )
    .await
    .expect("mismatched upload");
    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);

    s1.upload_part_file(
        &rev,
        u1,
        ("part.csv", "text/csv", CSV),
        Some(("s.sig", SIG)),
    )
    .await
    .expect("signed upload");
    let rev = s1.submit(&rev, u1).await.expect("submitted once signed");
    assert_eq!(part(&rev, u1).status, PartStatus::Submitted);

    // returned: a new signed file is needed
    let rev = org
        .approver("a1")
        .return_part(&rev, u1, serde_json::json!("Уточните телефон"))
        .await
        .expect("return");
    let p = s1.submit(&rev, u1).await.unwrap_err();
    assert_eq!(p.code, ErrorCode::InvalidTransition);
    s1.upload_part_file(
        &rev,
        u1,
        ("part.csv", "text/csv", CSV),
        Some(("s.sig", SIG)),
    )
    .await
    .expect("signed again");
    s1.submit(&rev, u1).await.expect("resubmitted");
}
