//! The catalogs' codes as types: channel types and client needs, as the catalogs migration
//! seeds them. Plain values; the labels live in the database (`catalogs`).

/// Channel type codes, as seeded by the catalogs migration (the API checks against the table;
/// this type states the same list in the OpenAPI document, and a test keeps the two equal).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    Website,
    Epgu,
    Pos,
    SocialNetwork,
    Messenger,
    Email,
    Edms,
    InformationSystem,
    InternetReception,
    ServiceDesk,
    MobileApp,
    ChatBot,
    VoiceAssistant,
    CallCenter,
    Phone,
    Reception,
    Correspondence,
    InfoStand,
    Post,
    OnsiteInspection,
    Mfc,
    Workplace,
    RequestLog,
    Meeting,
    Other,
}

/// Client need codes, as seeded by the catalogs migration.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NeedCode {
    Information,
    Consultation,
    DocumentForms,
    Submission,
    Progress,
    Result,
    Inspection,
    Feedback,
    FeedbackResult,
    Other,
}

/// The code as stored and exchanged (`social_network`).
pub fn code_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// True when `code` is one of the enum's codes.
pub fn is_code<T: serde::de::DeserializeOwned>(code: &str) -> bool {
    serde_json::from_value::<T>(serde_json::Value::String(code.to_owned())).is_ok()
}
