//! Names on a game's leaderboard.

use crate::names::is_invisible_format;

/// Longest name on a leaderboard, in characters (it must fit the game's end screen).
pub const MAX_PLAYER_NAME_CHARS: usize = 24;

/// A player's name on a leaderboard: trimmed, 1 to [`MAX_PLAYER_NAME_CHARS`] characters, no
/// control or invisible formatting characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlayerName(String);

impl PlayerName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let stripped: String = s.chars().filter(|&c| !is_invisible_format(c)).collect();
        let name = stripped.trim();
        if name.is_empty() {
            return Err("enter a name for the leaderboard");
        }
        if name.chars().count() > MAX_PLAYER_NAME_CHARS {
            return Err("that name is too long (24 characters at most)");
        }
        if name.chars().any(char::is_control) {
            return Err("the name contains control characters");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What makes two names the same name on a board: case and surrounding space aside.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A run's time as people read it, from 1/60 s steps: `m:ss.cc`.
pub fn run_time(steps: u32) -> String {
    let hundredths = u64::from(steps) * 100 / 60;
    let (minutes, rest) = (hundredths / 6000, hundredths % 6000);
    format!("{minutes}:{:02}.{:02}", rest / 100, rest % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_names_are_trimmed_bounded_and_compared_without_case() {
        let name = PlayerName::parse("  Speedy Pip \u{200B}").expect("valid");
        assert_eq!(name.as_str(), "Speedy Pip");
        assert_eq!(
            name.key(),
            PlayerName::parse("SPEEDY pip").expect("valid").key()
        );
        assert!(PlayerName::parse(" ").is_err());
        assert!(PlayerName::parse("\u{202E}").is_err());
        assert!(PlayerName::parse(&"é".repeat(24)).is_ok());
        assert!(PlayerName::parse(&"x".repeat(25)).is_err());
        assert!(PlayerName::parse("a\tb").is_err());
    }

    #[test]
    fn times_read_as_minutes_seconds_and_hundredths() {
        assert_eq!(run_time(0), "0:00.00");
        assert_eq!(run_time(1), "0:00.01");
        assert_eq!(run_time(60), "0:01.00");
        assert_eq!(run_time(3747), "1:02.45");
        assert_eq!(run_time(108_000), "30:00.00");
    }
}
