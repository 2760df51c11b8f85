//! The enums stored as text, against a real PostgreSQL: each word is written and read back
//! through diesel, and a word the enum does not know is an error diesel returns, not a panic.
//! Only literal SELECTs on the server's maintenance database; nothing is written.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use touchpoints::domain::state::{PartStatus, RevisionStatus};
use touchpoints::domain::{
    AgencyKind, ClientType, ContactKind, DeliveryOutcome, DeliveryStatus, Mode, ProcessKind,
};
use touchpoints::workflow::model::RevisionReason;

fn connect() -> PgConnection {
    let raw = std::env::var("TOUCHPOINTS_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut url = url::Url::parse(&raw).expect("test database URL");
    url.set_path("/postgres");
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    PgConnection::establish(url.as_str()).expect("a PostgreSQL server (scripts/test.sh starts one)")
}

/// Every variant goes in as a bind parameter and comes back as itself, also through a
/// NULL-able column; an unknown word is an `Err`.
macro_rules! round_trip {
    ($conn:expr, $t:ty) => {{
        let conn: &mut PgConnection = $conn;
        for v in <$t>::ALL {
            let back: $t = diesel::select(v.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(back, *v);
            let word: String = diesel::select(v.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(word, v.as_str());
            let again: Option<$t> = diesel::select(sql::<Nullable<Text>>("").bind::<Text, _>(word))
                .get_result(conn)
                .unwrap();
            assert_eq!(again, Some(*v));
        }
        let none: Option<$t> = diesel::select(sql::<Nullable<Text>>("NULL::text"))
            .get_result(conn)
            .unwrap();
        assert_eq!(none, None);
        let err = diesel::select(sql::<Text>("'no such word'"))
            .get_result::<$t>(conn)
            .expect_err("an unknown word must not deserialize");
        // "Error deserializing field '?column?'", caused by the enum's own message
        assert!(
            format!("{err:?}").contains(&format!(
                "unexpected {} in the database: \\\"no such word\\\"",
                stringify!($t)
            )),
            "{err:?}"
        );
    }};
}

#[test]
fn every_text_enum_round_trips_through_postgres_and_refuses_unknown_words() {
    let mut c = connect();
    round_trip!(&mut c, AgencyKind);
    round_trip!(&mut c, ClientType);
    round_trip!(&mut c, ProcessKind);
    round_trip!(&mut c, Mode);
    round_trip!(&mut c, ContactKind);
    round_trip!(&mut c, PartStatus);
    round_trip!(&mut c, RevisionStatus);
    round_trip!(&mut c, RevisionReason);
    round_trip!(&mut c, DeliveryStatus);
    round_trip!(&mut c, DeliveryOutcome);
}
