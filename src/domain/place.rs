//! Where an offline touchpoint is: a structured Russian address (region, city, street, house,
//! office, and optionally the ФИАС/ГАР object's identifier), WGS 84 coordinates, and notes on
//! accessibility. Maps and the GeoJSON and JSON-LD formats read them.
//!
//! Pure logic: no database, no HTTP.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text;
use crate::error::FieldError;

pub const ADDRESS_PART_MAX: usize = 300;
pub const ACCESSIBILITY_MAX: usize = 4000;
/// A ФИАС/ГАР object's GUID (`OBJECTGUID`), lower- or upper-case.
pub const FIAS_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// A structured Russian address. Every part is optional and kept as written (whitespace runs
/// collapsed); a blank part is absent, and an address without any part is no address (null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "region": "Республика Дагестан",
    "city": "Махачкала",
    "street": "ул. Магомеда Гаджиева",
    "house": "176",
    "office": "каб. 12",
    "fias_id": "727cdf1e-1b70-4e07-8995-9bf7ca9abefb"
}))]
pub struct Address {
    /// Субъект Российской Федерации.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub region: Option<String>,
    /// Город или населённый пункт.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub street: Option<String>,
    /// Дом (корпус, строение).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub house: Option<String>,
    /// Офис, кабинет, помещение.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub office: Option<String>,
    /// The ФИАС/ГАР object's GUID, stored lower-case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        example = "727cdf1e-1b70-4e07-8995-9bf7ca9abefb"
    )]
    pub fias_id: Option<String>,
}

impl Address {
    /// The address in one line, as a letter or a map label prints it.
    pub fn one_line(&self) -> String {
        [
            &self.region,
            &self.city,
            &self.street,
            &self.house,
            &self.office,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// The street and house (and office) for schema.org's `streetAddress`.
    pub fn street_line(&self) -> Option<String> {
        let parts: Vec<String> = [&self.street, &self.house, &self.office]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Checked and normalised; `None` when every part is blank.
    pub fn validate(&self, field: &str) -> Result<Option<Address>, Vec<FieldError>> {
        let mut e = Vec::new();
        let mut part = |name: &str, v: &Option<String>| -> Option<String> {
            match text::optional(&format!("{field}.{name}"), v.as_deref(), ADDRESS_PART_MAX) {
                Ok(v) => v,
                Err(x) => {
                    e.push(x);
                    None
                }
            }
        };
        let a = Address {
            region: part("region", &self.region),
            city: part("city", &self.city),
            street: part("street", &self.street),
            house: part("house", &self.house),
            office: part("office", &self.office),
            fias_id: self.fias_id.as_deref().map(str::to_ascii_lowercase),
        };
        if let Some(f) = &a.fias_id {
            if uuid::Uuid::parse_str(f).is_err() || f.len() != 36 {
                e.push(FieldError::new(
                    format!("{field}.fias_id"),
                    "invalid",
                    "a ФИАС/ГАР GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                ));
            }
        }
        if !e.is_empty() {
            return Err(e);
        }
        let empty = a.region.is_none()
            && a.city.is_none()
            && a.street.is_none()
            && a.house.is_none()
            && a.office.is_none()
            && a.fias_id.is_none();
        Ok((!empty).then_some(a))
    }
}

/// WGS 84 coordinates in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lat": 42.9849, "lon": 47.5047}))]
pub struct Geo {
    /// Latitude, −90…90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, −180…180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

impl Geo {
    pub fn validate(&self, field: &str) -> Vec<FieldError> {
        let mut e = Vec::new();
        if !(-90.0..=90.0).contains(&self.lat) || !self.lat.is_finite() {
            e.push(FieldError::new(
                format!("{field}.lat"),
                "out_of_range",
                "must be between -90 and 90",
            ));
        }
        if !(-180.0..=180.0).contains(&self.lon) || !self.lon.is_finite() {
            e.push(FieldError::new(
                format!("{field}.lon"),
                "out_of_range",
                "must be between -180 and 180",
            ));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_normalised_and_blank_is_absent() {
        let a = Address {
            region: Some(" Республика  Дагестан ".into()),
            city: Some("Махачкала".into()),
            street: None,
            house: Some("176".into()),
            office: Some("  ".into()),
            fias_id: Some("727CDF1E-1B70-4E07-8995-9BF7CA9ABEFB".into()),
        };
        let a = a.validate("address").unwrap().unwrap();
        assert_eq!(a.region.as_deref(), Some("Республика Дагестан"));
        assert_eq!(a.office, None);
        assert_eq!(
            a.fias_id.as_deref(),
            Some("727cdf1e-1b70-4e07-8995-9bf7ca9abefb")
        );
        assert_eq!(a.one_line(), "Республика Дагестан, Махачкала, 176");
        let blank = Address {
            region: Some(" ".into()),
            city: None,
            street: None,
            house: None,
            office: None,
            fias_id: None,
        };
        assert_eq!(blank.validate("address").unwrap(), None);
    }

    #[test]
    fn a_bad_fias_id_and_coordinates_are_refused() {
        let a = Address {
            region: None,
            city: None,
            street: None,
            house: None,
            office: None,
            fias_id: Some("not-a-guid".into()),
        };
        assert_eq!(
            a.validate("address").unwrap_err()[0].field,
            "address.fias_id"
        );
        let e = Geo {
            lat: 91.0,
            lon: -181.0,
        }
        .validate("geo");
        assert_eq!(e.len(), 2);
        assert!(Geo {
            lat: 42.98,
            lon: 47.5
        }
        .validate("geo")
        .is_empty());
    }
}
