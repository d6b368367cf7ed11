//! The words PetPixel's parts share, each defined once: a theme the create page offers is the
//! theme the request carries, the store records, the level generator builds and the game
//! data encodes.
//!
//! Every type here is valid by construction: parsing (`FromStr`, or serde for requests) is
//! the only way in, and its error says in plain words what is accepted.

mod account;
mod gallery;
mod game;
mod leaderboard;
mod look;
mod names;
mod package;
#[cfg(feature = "openapi")]
mod schema;

pub use account::{Email, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Password, Role};
pub use gallery::{
    Description, MAX_DESCRIPTION_CHARS, MAX_SEARCH_CHARS, MAX_SEARCH_TERMS, ReportReason,
    SearchTerms, Visibility,
};
pub use game::{Difficulty, GameStatus, LevelCount, PipelineStage, StudioState, Theme};
pub use leaderboard::{MAX_PLAYER_NAME_CHARS, PlayerName, run_time};
pub use look::{CutoutMethod, Gait, Look, SpriteSize, Style};
pub use names::{MAX_PET_NAME_CHARS, PetName, SHORT_CODE_LEN, ShortCode};
pub use package::{Allowance, Currency, FREE_STYLES, OrderStatus, Package, Refusal};

/// A name that is not one of a type's known names, with the names that are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// What was expected, e.g. "theme".
    pub kind: &'static str,
    /// The accepted names, comma-separated.
    pub accepted: String,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {}: choose one of {}", self.kind, self.accepted)
    }
}

impl std::error::Error for Unknown {}

/// Implements `as_str`, `Display` and `FromStr` for a fieldless enum from one table of names,
/// so a name cannot be spelt two ways.
macro_rules! named_enum {
    ($ty:ident, $kind:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order they are offered.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// Position in declaration order, which [`Self::ALL`] follows (tested): what a
            /// derived `Serialize` would write.
            fn position(self) -> u32 {
                self as u32
            }

            /// The stable name used in URLs, forms, JSON and the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Named in JSON and forms; by position in compact binary formats (the game data's
        /// postcard), where it encodes exactly as a derived enum would.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(self.as_str())
                } else {
                    s.serialize_u32(self.position())
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                if d.is_human_readable() {
                    let name = String::deserialize(d)?;
                    name.parse().map_err(D::Error::custom)
                } else {
                    let index = u32::deserialize(d)?;
                    usize::try_from(index)
                        .ok()
                        .and_then(|i| Self::ALL.get(i).copied())
                        .ok_or_else(|| D::Error::custom(format!("{} #{index} does not exist", $kind)))
                }
            }
        }

        /// A string, one of the names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::schema::names(&[$($name),+])
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {}

        impl std::str::FromStr for $ty {
            type Err = $crate::Unknown;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::Unknown {
                        kind: $kind,
                        accepted: Self::ALL.map(|v| v.as_str()).join(", "),
                    })
            }
        }
    };
}
pub(crate) use named_enum;
