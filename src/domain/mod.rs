//! Domain rules as plain functions and validated types. Nothing here knows about HTTP or
//! the database; every rule has its unit tests beside it.

pub mod catalog;
pub mod chain;
pub mod contact;
pub mod de;
pub mod enums;
pub mod field;
pub mod finding;
pub mod form;
pub mod hours;
pub mod part;
pub mod place;
pub mod register;
pub mod settings;
pub mod state;
pub mod text;

pub use contact::{Contact, ContactInput, ContactKind};
pub use enums::{AgencyKind, ClientType, DeliveryOutcome, DeliveryStatus, Mode, ProcessKind};
pub use part::PartKey;
