//! A part of a register: one unit's, or the agency's own (processes that belong to the agency
//! as a whole). Paths, filters and the database all name it the same way: the unit's id, or
//! `agency`.

use std::fmt;
use std::str::FromStr;

use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartKey {
    /// The agency's own part.
    Agency,
    Unit(Uuid),
}

impl PartKey {
    pub const AGENCY: &'static str = "agency";
    /// What the spec states for a part key (a UUID in any case, or `agency`).
    pub const PATTERN: &'static str =
        "^(agency|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

    pub fn of(unit: Option<Uuid>) -> Self {
        unit.map_or(PartKey::Agency, PartKey::Unit)
    }

    pub fn unit(self) -> Option<Uuid> {
        match self {
            PartKey::Agency => None,
            PartKey::Unit(u) => Some(u),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPartKey(pub String);

impl fmt::Display for NotAPartKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is neither a unit id nor `agency`", self.0)
    }
}

impl std::error::Error for NotAPartKey {}

impl FromStr for PartKey {
    type Err = NotAPartKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == Self::AGENCY {
            return Ok(PartKey::Agency);
        }
        // exactly the spec's pattern: the hyphenated form only (Uuid::parse_str also takes
        // braces, URNs and the simple form)
        let hyphenated = s.len() == 36
            && s.bytes().enumerate().all(|(i, b)| {
                if [8, 13, 18, 23].contains(&i) {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            });
        match Uuid::parse_str(s) {
            Ok(u) if hyphenated => Ok(PartKey::Unit(u)),
            _ => Err(NotAPartKey(s.to_owned())),
        }
    }
}

impl fmt::Display for PartKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartKey::Agency => f.write_str(Self::AGENCY),
            PartKey::Unit(u) => write!(f, "{u}"),
        }
    }
}

impl utoipa::PartialSchema for PartKey {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Self::PATTERN))
            .into()
    }
}

impl utoipa::ToSchema for PartKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_key_is_a_unit_id_or_agency() {
        let u = Uuid::new_v4();
        assert_eq!("agency".parse::<PartKey>(), Ok(PartKey::Agency));
        assert_eq!(u.to_string().parse::<PartKey>(), Ok(PartKey::Unit(u)));
        assert_eq!(
            u.to_string().to_uppercase().parse::<PartKey>(),
            Ok(PartKey::Unit(u))
        );
        for bad in [
            "Agency",
            "",
            "x",
            &u.simple().to_string(),
            &format!("{{{u}}}"),
            &format!("urn:uuid:{u}"),
        ] {
            assert!(bad.parse::<PartKey>().is_err(), "{bad}");
        }
        assert_eq!(PartKey::of(Some(u)).to_string(), u.to_string());
        assert_eq!(PartKey::of(None).to_string(), "agency");
        assert_eq!(PartKey::Unit(u).unit(), Some(u));
    }

    #[test]
    fn the_parser_and_the_spec_agree() {
        let re = regex::Regex::new(PartKey::PATTERN).unwrap();
        for s in [
            "agency",
            "AGENCY",
            "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
            "0B9A4C1E-3A52-4F7E-9F1E-6D2B8C3A5E10",
            "0b9a4c1e3a524f7e9f1e6d2b8c3a5e10",
            "x",
        ] {
            assert_eq!(re.is_match(s), s.parse::<PartKey>().is_ok(), "{s}");
        }
    }
}
