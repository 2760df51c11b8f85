//! The closed vocabularies of the register. Stored as text in the database (with CHECK
//! constraints spelling the same values) and exchanged as these lower-case words.

/// The vocabulary of a closed enum stored as text: its variants in order and each one's word.
/// [`text_enum!`] implements it; [`check_words`] is the unit test every such enum runs.
pub trait TextEnum: Sized + Copy + PartialEq + std::fmt::Debug + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self>;
}

/// Declares an enum stored as `text` (its column keeps a CHECK constraint with the same words)
/// and exchanged in JSON as the same words: each variant's word is written once and is both its
/// `serde(rename)` and its database value. Diesel reads and writes the enum itself
/// (`ToSql`/`FromSql<Text, Pg>`), so filters compare enums (`.eq(RevisionStatus::Published)`);
/// a word the enum does not know is a deserialization error returned to diesel, not a panic.
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
            ::diesel::AsExpression, ::diesel::FromSqlRow,
        )]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        $vis enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored or query-string form; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl $crate::domain::enums::TextEnum for $name {
            const ALL: &'static [Self] = $name::ALL;
            fn as_str(self) -> &'static str { $name::as_str(self) }
            fn parse(s: &str) -> Option<Self> { $name::parse(s) }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::diesel::serialize::ToSql<::diesel::sql_types::Text, ::diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, ::diesel::pg::Pg>,
            ) -> ::diesel::serialize::Result {
                <str as ::diesel::serialize::ToSql<::diesel::sql_types::Text, ::diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl ::diesel::deserialize::FromSql<::diesel::sql_types::Text, ::diesel::pg::Pg> for $name {
            fn from_sql(value: ::diesel::pg::PgValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let word = ::std::str::from_utf8(value.as_bytes())?;
                $name::parse(word).ok_or_else(|| {
                    format!(concat!("unexpected ", stringify!($name), " in the database: {:?}"), word).into()
                })
            }
        }
    };
}
pub(crate) use text_enum;

/// The unit test of a [`TextEnum`]: every variant round-trips through its word, serde writes
/// and reads the same word, and nothing else parses.
#[cfg(test)]
pub fn check_words<T>()
where
    T: TextEnum + serde::Serialize + serde::de::DeserializeOwned,
{
    assert!(!T::ALL.is_empty());
    for v in T::ALL {
        let word = v.as_str();
        assert_eq!(T::parse(word), Some(*v), "{word}");
        assert_eq!(
            serde_json::to_value(v).unwrap(),
            serde_json::Value::String(word.to_owned()),
            "serde and the database disagree on {v:?}"
        );
        assert_eq!(serde_json::from_value::<T>(word.into()).unwrap(), *v);
        assert_eq!(T::parse(&word.to_uppercase()), None);
    }
    let words: std::collections::HashSet<_> = T::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(words.len(), T::ALL.len(), "two variants share a word");
    assert_eq!(T::parse(""), None);
    assert_eq!(T::parse("no such word"), None);
}

text_enum! {
    /// Kind of public body.
    pub enum AgencyKind {
        /// министерство
        Ministry => "ministry",
        /// агентство
        Agency => "agency",
        /// служба
        Service => "service",
        /// комитет
        Committee => "committee",
        /// инспекция
        Inspectorate => "inspectorate",
        /// учреждение (typically a subordinate organization)
        Institution => "institution",
        /// предприятие
        Enterprise => "enterprise",
        /// other
        Other => "other",
    }
}

text_enum! {
    /// Who the process serves: внешний / внутренний клиент.
    pub enum ClientType {
        External => "external",
        Internal => "internal",
        Both => "both",
    }
}

text_enum! {
    /// Kind of registry process: услуга, функция, сервис.
    pub enum ProcessKind {
        /// услуга (state service)
        Service => "service",
        /// функция
        Function => "function",
        /// сервис (digital service)
        DigitalService => "digital_service",
    }
}

text_enum! {
    /// What a unit's part needs before it can be submitted, besides having no errors.
    pub enum PartAgreement {
        /// The agreement of the official who curates the unit (the unit's
        /// `curator_official_id`): 000 §III.1, «согласованных с курирующим заместителем
        /// Министра».
        UnitCurator => "unit_curator",
    }
}

text_enum! {
    /// Where an agency's workflow settings come from.
    #[derive(Default)]
    pub enum SettingsSource {
        /// The agency set its own.
        Own => "own",
        /// Inherited from the parent agency (or a further ancestor): `source_agency_id`.
        Inherited => "inherited",
        /// Neither the agency nor an ancestor set any: the service's defaults.
        #[default]
        Default => "default",
    }
}

text_enum! {
    /// Digital (online) or offline touchpoint.
    pub enum Mode {
        /// цифровая / онлайн-точка
        Digital => "digital",
        /// офлайн-точка
        Offline => "offline",
    }
}

text_enum! {
    /// Where a webhook delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its first attempt, or retrying with backoff.
        Pending => "pending",
        /// The receiver answered 2xx.
        Delivered => "delivered",
        /// Given up after the last attempt.
        Failed => "failed",
    }
}

text_enum! {
    /// What became of a delivery's last attempt, coarse on purpose (never the network stack's
    /// words).
    pub enum DeliveryOutcome {
        /// The receiver answered 2xx.
        Delivered => "delivered",
        /// Another HTTP status (redirects are not followed).
        HttpError => "http_error",
        /// No answer in time.
        Timeout => "timeout",
        /// No connection, or it broke before an answer.
        ConnectError => "connect_error",
        /// The egress policy refused every address of the host.
        Blocked => "blocked",
    }
}

impl Mode {
    /// Reads the mark an agency wrote in column 6 («Особенности взаимодействия с клиентом»).
    /// The seeds word it many ways: «Взаимодействие в офлайн-точке», «Офлайн-точка»,
    /// «Онлайн- точка», «Цифровая точка», «Взаимодействие в цифровой точке».
    pub fn from_features(text: &str) -> Option<Mode> {
        let folded: String = text
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .replace('ё', "е");
        let offline =
            folded.contains("офлайн") || folded.contains("оффлайн") || folded.contains("offline");
        let digital = folded.contains("онлайн")
            || folded.contains("цифров")
            || folded.contains("online")
            || folded.contains("digital");
        match (digital, offline) {
            (true, false) => Some(Mode::Digital),
            (false, true) => Some(Mode::Offline),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_kind_words() {
        check_words::<AgencyKind>();
    }

    #[test]
    fn client_type_words() {
        check_words::<ClientType>();
        assert_eq!(ClientType::parse("internal"), Some(ClientType::Internal));
        assert_eq!(ClientType::parse("Internal"), None);
    }

    #[test]
    fn process_kind_words() {
        check_words::<ProcessKind>();
    }

    #[test]
    fn mode_words() {
        check_words::<Mode>();
    }

    #[test]
    fn delivery_status_words() {
        check_words::<DeliveryStatus>();
    }

    #[test]
    fn delivery_outcome_words() {
        check_words::<DeliveryOutcome>();
    }

    #[test]
    fn reads_the_seeds_column_6_wordings() {
        assert_eq!(
            Mode::from_features("Взаимодействие в офлайн-точке"),
            Some(Mode::Offline)
        );
        assert_eq!(Mode::from_features("Офлайн-точка"), Some(Mode::Offline));
        assert_eq!(Mode::from_features("Онлайн- точка"), Some(Mode::Digital));
        assert_eq!(Mode::from_features("Цифровая точка"), Some(Mode::Digital));
        assert_eq!(
            Mode::from_features("Взаимодействие в цифровой\n\nточке"),
            Some(Mode::Digital)
        );
        assert_eq!(
            Mode::from_features("Взаимодействие в онлайн - точке"),
            Some(Mode::Digital)
        );
        assert_eq!(Mode::from_features(""), None);
        assert_eq!(Mode::from_features("онлайн и офлайн"), None);
    }
}
