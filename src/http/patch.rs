//! PATCH semantics: an absent field is left alone, `null` clears a nullable field.

use serde::{Deserialize, Deserializer};

/// Deserialises `"field": null` as `Some(None)` and a value as `Some(Some(v))`; with
/// `#[serde(default)]` an absent field stays `None`.
pub fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
