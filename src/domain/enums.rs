//! The closed vocabularies of the register. Stored as text in the database (with CHECK
//! constraints spelling the same values) and exchanged as these lower-case words.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored or query-string form; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// For values read back from the database, whose CHECK constraint admits only
            /// these words; anything else means the schema and the code disagree.
            pub fn from_db(s: &str) -> Self {
                Self::parse(s).unwrap_or_else(|| panic!(concat!("unexpected ", stringify!($name), " in database: {}"), s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Kind of public body.
    AgencyKind {
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
    ClientType {
        External => "external",
        Internal => "internal",
        Both => "both",
    }
}

text_enum! {
    /// Kind of registry process: услуга, функция, сервис.
    ProcessKind {
        /// услуга (state service)
        Service => "service",
        /// функция
        Function => "function",
        /// сервис (digital service)
        DigitalService => "digital_service",
    }
}

text_enum! {
    /// Digital (online) or offline touchpoint.
    Mode {
        /// цифровая / онлайн-точка
        Digital => "digital",
        /// офлайн-точка
        Offline => "offline",
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
    fn round_trips_every_word() {
        for k in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(k.as_str()), Some(*k));
        }
        for k in ProcessKind::ALL {
            assert_eq!(ProcessKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(ClientType::parse("internal"), Some(ClientType::Internal));
        assert_eq!(ClientType::parse("Internal"), None);
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
