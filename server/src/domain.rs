//! Domain values parsed once at the edge: short codes and pet names.

use rand::Rng;

/// Letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// 10 symbols of a 31-letter alphabet: ~49 bits, unguessable enough for unlisted games.
pub const SHORT_CODE_LEN: usize = 10;

/// The public code of a game in `/g/{code}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShortCode(String);

impl ShortCode {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self(
            (0..SHORT_CODE_LEN)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect(),
        )
    }

    /// Accepts only codes this module could have made.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == SHORT_CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A pet's name: trimmed, 1 to `MAX_PET_NAME_CHARS` characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PetName(String);

impl PetName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let name = s.trim();
        if name.is_empty() {
            return Err("give your pet a name");
        }
        if name.chars().count() > app::dto::MAX_PET_NAME_CHARS {
            return Err("that name is too long (40 characters at most)");
        }
        if name.chars().any(char::is_control) {
            return Err("the name contains control characters");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_short_codes_parse_and_differ() {
        let a = ShortCode::generate();
        let b = ShortCode::generate();
        assert_eq!(ShortCode::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a, b);
    }

    #[test]
    fn short_codes_with_ambiguous_or_foreign_characters_are_refused() {
        for bad in [
            "",
            "abc",
            "0000000000",
            "llllllllll",
            "ABCDEFGHJK",
            "abcdefghj/",
            "abcdefghjkm",
        ] {
            assert_eq!(ShortCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pet_names_are_trimmed_and_bounded() {
        assert_eq!(
            PetName::parse("  Chelsea ").expect("valid").as_str(),
            "Chelsea"
        );
        assert!(PetName::parse("   ").is_err());
        assert!(PetName::parse(&"x".repeat(41)).is_err());
        assert!(PetName::parse(&"é".repeat(40)).is_ok());
        assert!(PetName::parse("a\u{0}b").is_err());
    }
}
