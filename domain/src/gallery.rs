//! What the public gallery is made of: whether a game may be seen there, its owner's
//! description of it, and a search as people type it.

use crate::named_enum;
use crate::names::is_invisible_format;

/// Who can find a game. Every game plays for anyone holding its link; only a `public` one is
/// listed in the gallery and found by search. An owner publishes (`private → pending`), a
/// moderator decides (`pending → public` or `rejected`), and may later hide a public game
/// (`public → hidden`), which also stops its embed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    /// Link-only, the default.
    #[default]
    Private,
    /// Published by its owner, waiting for a moderator.
    Pending,
    /// In the gallery and search.
    Public,
    /// Turned down by a moderator, with a reason its owner sees.
    Rejected,
    /// Taken down by a moderator after it was public.
    Hidden,
}

named_enum!(Visibility, "visibility", {
    Private => "private",
    Pending => "pending",
    Public => "public",
    Rejected => "rejected",
    Hidden => "hidden",
});

impl Visibility {
    /// Whether a moderator turned it down or took it down: its embed shows a notice instead
    /// of the game.
    pub const fn taken_down(self) -> bool {
        matches!(self, Self::Rejected | Self::Hidden)
    }

    /// Whether its owner may publish it now: a rejected game may be sent again (changed, one
    /// hopes); a hidden one stays down.
    pub const fn may_publish(self) -> bool {
        matches!(self, Self::Private | Self::Rejected)
    }
}

/// Why someone reports a game to the moderators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportReason {
    /// Not suitable for everyone (children play these games).
    Inappropriate,
    /// Hateful or offensive words in its title, name or description.
    Offensive,
    /// Made from a photo that is not the owner's to use.
    SomeoneElses,
    /// Advertising or junk.
    Spam,
    Other,
}

named_enum!(ReportReason, "report reason", {
    Inappropriate => "inappropriate",
    Offensive => "offensive",
    SomeoneElses => "someone_elses",
    Spam => "spam",
    Other => "other",
});

impl ReportReason {
    /// What the report form offers.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Inappropriate => "Not suitable for everyone",
            Self::Offensive => "Offensive words",
            Self::SomeoneElses => "Someone else's photo",
            Self::Spam => "Advertising or junk",
            Self::Other => "Something else",
        }
    }
}

/// Characters a game's description may have.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// What the owner says about their game in the gallery: trimmed, at most
/// [`MAX_DESCRIPTION_CHARS`], line breaks kept, other control and invisible formatting
/// characters refused or taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let stripped: String = s.chars().filter(|&c| !is_invisible_format(c)).collect();
        let text = stripped.trim();
        if text.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err("the description is too long (500 characters at most)");
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err("the description contains control characters");
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Characters of a search people may type.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Words of a search that count.
pub const MAX_SEARCH_TERMS: usize = 8;

/// A search as typed, cut into lower-case words of letters and digits: every other character
/// separates words, so no query syntax of either engine can be written into it. The last
/// word matches as a prefix (type-ahead), so do the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() > MAX_SEARCH_CHARS {
            return Err("the search is too long (100 characters at most)");
        }
        let terms: Vec<String> = s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_SEARCH_TERMS)
            .map(str::to_lowercase)
            .collect();
        if terms.is_empty() {
            return Err("type a word to search for");
        }
        Ok(Self(terms))
    }

    pub fn terms(&self) -> &[String] {
        &self.0
    }

    /// PostgreSQL's `to_tsquery('simple', …)`: every word, each as a prefix.
    pub fn tsquery(&self) -> String {
        self.0
            .iter()
            .map(|t| format!("{t}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// SQLite FTS5's `MATCH`: every word quoted, each as a prefix.
    pub fn fts5(&self) -> String {
        self.0
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_words_and_nothing_else() {
        let q = SearchTerms::parse("  Chel' OR 1=1; -- \"x\" NEAR(a b) *").expect("words");
        assert_eq!(q.terms(), ["chel", "or", "1", "1", "x", "near", "a", "b"]);
        assert_eq!(
            SearchTerms::parse("Chelsea garden").expect("two").tsquery(),
            "chelsea:* & garden:*"
        );
        assert_eq!(
            SearchTerms::parse("Chelsea garden").expect("two").fts5(),
            "\"chelsea\"* \"garden\"*"
        );
        assert_eq!(
            SearchTerms::parse("Ünïcödé").expect("one").terms(),
            ["ünïcödé"]
        );
        for bad in ["", "   ", "!!! --- ***"] {
            assert!(SearchTerms::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SearchTerms::parse(&"a".repeat(101)).is_err());
        assert_eq!(
            SearchTerms::parse("a b c d e f g h i j")
                .expect("many")
                .terms()
                .len(),
            MAX_SEARCH_TERMS
        );
    }

    #[test]
    fn descriptions_are_plain_text_within_limits() {
        assert_eq!(
            Description::parse("  Chelsea chases\nbutterflies \u{202e} ")
                .expect("fine")
                .as_str(),
            "Chelsea chases\nbutterflies"
        );
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Description::parse(&"x".repeat(501)).is_err());
        assert!(Description::parse(&"x".repeat(500)).is_ok());
        assert!(Description::parse("").expect("empty").is_empty());
    }

    #[test]
    fn visibility_moves_as_moderation_allows() {
        assert!(Visibility::Private.may_publish());
        assert!(Visibility::Rejected.may_publish());
        assert!(!Visibility::Hidden.may_publish());
        assert!(!Visibility::Public.may_publish());
        assert!(Visibility::Hidden.taken_down());
        assert!(Visibility::Rejected.taken_down());
        assert!(!Visibility::Pending.taken_down());
        assert_eq!("pending".parse::<Visibility>(), Ok(Visibility::Pending));
    }
}
