//! Accounts' words: an email address as we compare it, a password we accept, and a role.

use serde::{Deserialize, Serialize};

use crate::named_enum;

/// Longest address SMTP can carry (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Shortest password accepted (NIST SP 800-63B asks at least 8; we ask a little more).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: long passphrases are welcome, unbounded hashing input is not.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// An email address, trimmed and lower-cased, so `Cat@Example.com` and `cat@example.com`
/// are one account. Checked for the shape mail needs (one `@`, a dotted domain, no spaces or
/// control characters); whether it receives mail is what verification finds out.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let email = s.trim().to_lowercase();
        if email.is_empty() {
            return Err("enter your email address");
        }
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err("that email address is too long");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("that is not an email address (it has no @)");
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>';
        if local.is_empty()
            || local.contains('@')
            || email.chars().any(bad_char)
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err("that is not an email address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Addresses are personal data: debug output does not print them.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email(..)")
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// A password as typed: between [`MIN_PASSWORD_CHARS`] and [`MAX_PASSWORD_CHARS`]
/// characters, kept exactly (no trimming: spaces are part of passphrases). Never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let chars = s.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err("use at least 10 characters for your password");
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err("use at most 128 characters for your password");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl TryFrom<String> for Password {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// What an account may do beyond its own things.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

named_enum!(Role, "role", {
    User => "user",
    Moderator => "moderator",
    Admin => "admin",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_lower_cased_and_trimmed() {
        assert_eq!(
            Email::parse("  Cat@Example.COM ").expect("valid").as_str(),
            "cat@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "cat",
            "@example.com",
            "cat@",
            "cat@localhost",
            "cat@@example.com",
            "c at@example.com",
            "cat@example..com",
            "cat@.example.com",
            "cat@example.com.",
            "cat\u{0}@example.com",
            "<cat@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn emails_do_not_show_in_debug_output() {
        let email = Email::parse("secret@example.com").expect("valid");
        assert!(!format!("{email:?}").contains("secret"));
    }

    #[test]
    fn passwords_have_a_length_range_and_stay_as_typed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let p = Password::parse(" correct horse ").expect("valid");
        assert_eq!(p.expose(), " correct horse ");
        assert!(!format!("{p:?}").contains("horse"));
        // Characters, not bytes: ten emoji are ten characters.
        assert!(Password::parse(&"🐈".repeat(10)).is_ok());
    }

    #[test]
    fn roles_round_trip_by_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
