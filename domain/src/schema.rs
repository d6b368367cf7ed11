//! JSON Schemas of the types whose serde form is written by hand, for the server's OpenAPI
//! document: what the type accepts, said the way the parsing says it.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::{
    Email, LevelCount, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MAX_PET_NAME_CHARS, MIN_PASSWORD_CHARS,
    Password, PetName, SHORT_CODE_LEN, ShortCode, SpriteSize,
};

/// A string that is one of `names`.
pub(crate) fn names(names: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .into()
}

impl PartialSchema for SpriteSize {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(SpriteSize::ALL.map(SpriteSize::get)))
            .description(Some("Frame height in pixels."))
            .into()
    }
}

impl ToSchema for SpriteSize {}

impl PartialSchema for LevelCount {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(LevelCount::MAX))
            .into()
    }
}

impl ToSchema for LevelCount {}

impl PartialSchema for PetName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_PET_NAME_CHARS))
            .description(Some(
                "Trimmed; at least one character that is not a space, none a control character.",
            ))
            .into()
    }
}

impl ToSchema for PetName {}

impl PartialSchema for ShortCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(
                "^[23456789abcdefghjkmnpqrstuvwxyz]{{{SHORT_CODE_LEN}}}$"
            )))
            .into()
    }
}

impl ToSchema for ShortCode {}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Email,
            )))
            .max_length(Some(MAX_EMAIL_CHARS))
            .description(Some("Compared trimmed and lower-cased."))
            .into()
    }
}

impl ToSchema for Email {}

impl PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(MIN_PASSWORD_CHARS))
            .max_length(Some(MAX_PASSWORD_CHARS))
            .description(Some("Characters, not bytes; kept exactly as typed."))
            .into()
    }
}

impl ToSchema for Password {}
