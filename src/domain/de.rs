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
