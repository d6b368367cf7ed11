//! Names people type or share: a game's short code and a pet's name.

use serde::{Deserialize, Serialize};

/// Letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// 10 symbols of a 31-letter alphabet: ~49 bits, unguessable enough for unlisted games.
pub const SHORT_CODE_LEN: usize = 10;
/// Longest pet name, in characters.
pub const MAX_PET_NAME_CHARS: usize = 40;

/// The public code of a game in `/g/{code}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortCode(String);

impl ShortCode {
    /// A new code, each symbol chosen by `pick(n)`, which must return a number below `n`
    /// (the caller brings the randomness: this crate has none).
    pub fn generate(mut pick: impl FnMut(usize) -> usize) -> Self {
        Self(
            (0..SHORT_CODE_LEN)
                .map(|_| char::from(ALPHABET[pick(ALPHABET.len()) % ALPHABET.len()]))
                .collect(),
        )
    }

    /// Accepts only codes [`ShortCode::generate`] could have made.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == SHORT_CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ShortCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ShortCode {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or("not a game code")
    }
}

impl From<ShortCode> for String {
    fn from(code: ShortCode) -> String {
        code.0
    }
}

/// Bidirectional embeddings, overrides, isolates and marks, and zero-width characters
/// (Unicode general category Cf among them): invisible, and able to reorder what is shown.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A pet's name: trimmed, 1 to [`MAX_PET_NAME_CHARS`] characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PetName(String);

impl PetName {
    /// Bidirectional controls and zero-width characters are taken out first: they would let
    /// a name read differently from what it is (in a mail's subject, on the gallery).
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let stripped: String = s.chars().filter(|&c| !is_invisible_format(c)).collect();
        let name = stripped.trim();
        if name.is_empty() {
            return Err("give your pet a name");
        }
        if name.chars().count() > MAX_PET_NAME_CHARS {
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

impl std::fmt::Display for PetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PetName {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PetName> for String {
    fn from(name: PetName) -> String {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_short_codes_parse() {
        let mut n = 0;
        let code = ShortCode::generate(|len| {
            n += 7;
            n % len
        });
        assert_eq!(ShortCode::parse(code.as_str()), Some(code.clone()));
        // Out-of-range picks still give a valid code.
        assert!(ShortCode::parse(ShortCode::generate(|_| usize::MAX).as_str()).is_some());
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
        let err = serde_json::from_str::<PetName>("\"  \"").expect_err("blank");
        assert!(err.to_string().contains("give your pet a name"), "{err}");
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_taken_out_of_pet_names() {
        // "Rex" written with a right-to-left override, an isolate and zero-width joiners:
        // it would show as something else in a mail's subject.
        for disguised in [
            "\u{202E}Rex",
            "R\u{200B}e\u{200D}x",
            "\u{2067}Rex\u{2069}",
            "\u{FEFF} Rex \u{200F}",
            "Re\u{061C}x\u{2060}",
        ] {
            assert_eq!(
                PetName::parse(disguised).expect("valid").as_str(),
                "Rex",
                "{disguised:?}"
            );
        }
        // Nothing visible left is no name at all.
        assert!(PetName::parse("\u{200B}\u{202E}").is_err());
        let parsed: PetName = serde_json::from_str("\"Ma\\u202ex\"").expect("valid");
        assert_eq!(parsed.as_str(), "Max");
    }
}
