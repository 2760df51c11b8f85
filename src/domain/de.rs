//! Integers as JSON Schema counts them: `12.0` is the integer 12 (serde alone refuses it).

use serde::{Deserialize, Deserializer};

fn whole(v: serde_json::Number) -> Option<i32> {
    if let Some(i) = v.as_i64() {
        return i32::try_from(i).ok();
    }
    v.as_f64()
        .filter(|f| f.fract() == 0.0 && *f >= f64::from(i32::MIN) && *f <= f64::from(i32::MAX))
        .map(|f| f as i32)
}

pub fn int<'de, D: Deserializer<'de>>(de: D) -> Result<i32, D::Error> {
    let n = serde_json::Number::deserialize(de)?;
    whole(n)
        .ok_or_else(|| serde::de::Error::custom("expected a whole number within the 32-bit range"))
}

pub fn opt_int<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i32>, D::Error> {
    match Option::<serde_json::Number>::deserialize(de)? {
        None => Ok(None),
        Some(n) => whole(n).map(Some).ok_or_else(|| {
            serde::de::Error::custom("expected a whole number within the 32-bit range")
        }),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::int")]
        a: i32,
        #[serde(default, deserialize_with = "super::opt_int")]
        b: Option<i32>,
    }

    #[test]
    fn whole_floats_are_integers() {
        let t: T = serde_json::from_str(r#"{"a": 12629.0, "b": 3}"#).unwrap();
        assert_eq!((t.a, t.b), (12629, Some(3)));
        assert!(serde_json::from_str::<T>(r#"{"a": 1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a": 1e12}"#).is_err());
        let t: T = serde_json::from_str(r#"{"a": 1, "b": null}"#).unwrap();
        assert_eq!(t.b, None);
    }
}

/// A JSON object whose arrays hold objects only, as the spec's schemas of hours, addresses and
/// coordinates are. serde's derive would also take a struct written as an array of its fields
/// in order (`"geo": [42.9, 47.5]`, `"address": [null, null]`), which the spec does not allow.
fn objects_only(v: &serde_json::Value) -> bool {
    fn arrays_of_objects(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Array(items) => {
                items.iter().all(|i| i.is_object() && arrays_of_objects(i))
            }
            serde_json::Value::Object(m) => m.values().all(arrays_of_objects),
            _ => true,
        }
    }
    v.is_object() && arrays_of_objects(v)
}

fn from_object<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    v: serde_json::Value,
) -> Result<T, E> {
    if objects_only(&v) {
        serde_json::from_value(v).map_err(E::custom)
    } else {
        Err(E::custom("must be an object (its lists of objects)"))
    }
}

/// An optional object (see [`objects_only`]); null is absent.
pub fn object<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(de)? {
        serde_json::Value::Null => Ok(None),
        v => from_object(v).map(Some),
    }
}

/// A PATCH field holding an object: absent leaves it (with `#[serde(default)]`), null clears it.
pub fn nullable_object<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    object(de).map(Some)
}

#[cfg(test)]
mod object_tests {
    use crate::domain::hours::Hours;
    use crate::domain::place::{Address, Geo};

    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "super::object")]
        geo: Option<Geo>,
        #[serde(default, deserialize_with = "super::object")]
        address: Option<Address>,
        #[serde(default, deserialize_with = "super::nullable_object")]
        hours: Option<Option<Hours>>,
    }

    #[test]
    fn structs_are_objects_never_arrays() {
        let ok: T = serde_json::from_str(
            r#"{"geo": {"lat": 1, "lon": 2}, "address": {}, "hours": {"weekly": [{"day": "mon", "opens": "09:00", "closes": "10:00"}]}}"#,
        )
        .unwrap();
        assert!(ok.geo.is_some() && ok.hours.is_some() && ok.address.is_some());
        let cleared: T = serde_json::from_str(r#"{"hours": null}"#).unwrap();
        assert!(matches!(cleared.hours, Some(None)));
        for bad in [
            r#"{"geo": [1, 2]}"#,
            r#"{"address": [null, null]}"#,
            r#"{"hours": [[]]}"#,
            r#"{"hours": {"weekly": [["mon", "09:00", "10:00"]]}}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }
}
