//! Roles and what they permit, decided in this one place: a route asks for a [`Permission`]
//! and [`SignedIn::require`] answers, whether the caller came with a session or a token.

use app::error::AppError;
use domain::Role;
use uuid::Uuid;

use super::tokens::Claims;

/// Something beyond managing one's own things, which every account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Make games and manage one's own photos and games.
    OwnGames,
    /// Review reported content (moderators and admins).
    Moderate,
    /// Manage accounts and roles (admins).
    ManageUsers,
    /// Refund orders (admins).
    ManagePayments,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Self::OwnGames,
        Self::Moderate,
        Self::ManageUsers,
        Self::ManagePayments,
    ];

    /// The name tokens carry in `permissions`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnGames => "games:own",
            Self::Moderate => "content:moderate",
            Self::ManageUsers => "users:manage",
            Self::ManagePayments => "payments:manage",
        }
    }
}

/// What each role may do.
pub fn permissions(role: Role) -> &'static [Permission] {
    match role {
        Role::User => &[Permission::OwnGames],
        Role::Moderator => &[Permission::OwnGames, Permission::Moderate],
        Role::Admin => &[
            Permission::OwnGames,
            Permission::Moderate,
            Permission::ManageUsers,
            Permission::ManagePayments,
        ],
    }
}

/// A signed-in caller: the account, and what it may do. A session's permissions come from
/// the account's role as stored now; a token's from its claims (a token outlives a role
/// change by at most its fifteen minutes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    pub id: Uuid,
    pub permissions: Vec<Permission>,
    /// Whether the caller came with a bearer token rather than a session cookie.
    pub by_token: bool,
    /// The signed-in browser a session caller is ([`super::devices`]); `None` for a token.
    pub device: Option<Uuid>,
}

impl SignedIn {
    pub fn session(id: Uuid, role: Role, device: Uuid) -> Self {
        Self {
            id,
            permissions: permissions(role).to_vec(),
            by_token: false,
            device: Some(device),
        }
    }

    /// Unknown permission names (from a newer server) are ignored, never widened.
    pub fn from_claims(claims: &Claims) -> Self {
        Self {
            id: claims.sub,
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| claims.permissions.iter().any(|c| c == p.as_str()))
                .collect(),
            by_token: true,
            device: None,
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// `Forbidden` unless the caller has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_by_inclusion() {
        for permission in permissions(Role::User) {
            assert!(permissions(Role::Moderator).contains(permission));
        }
        for permission in permissions(Role::Moderator) {
            assert!(permissions(Role::Admin).contains(permission));
        }
        assert!(!permissions(Role::User).contains(&Permission::Moderate));
        assert!(!permissions(Role::Moderator).contains(&Permission::ManageUsers));
    }

    #[test]
    fn tokens_grant_only_names_we_know() {
        let claims = Claims {
            sub: Uuid::new_v4(),
            email: String::new(),
            tier: "free".into(),
            permissions: vec!["games:own".into(), "everything".into()],
            iat: 0,
            exp: 1,
            iss: String::new(),
        };
        let caller = SignedIn::from_claims(&claims);
        assert_eq!(caller.permissions, vec![Permission::OwnGames]);
        assert_eq!(
            caller.require(Permission::ManageUsers),
            Err(AppError::Forbidden)
        );
        assert!(caller.require(Permission::OwnGames).is_ok());
    }
}
