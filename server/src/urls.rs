//! Every path the product links to, built in one place: pages, API resources and files. The
//! router's patterns are the other half of this contract (`http/`); the tests fetch what these
//! build.
//!
//! Paths are site-relative. Messages that leave the site (emails, pushes) make them absolute
//! with [`PublicUrl`], the one base every process computes the same way.

use domain::{Look, ShortCode};
use uuid::Uuid;

use crate::infra::links::Purpose;

/// The API's prefix.
pub const API: &str = "/api/v1";

/// The site's address as people reach it: the configured `public_url`, else the address
/// served. `serve` and `worker` build it from the same configuration, so a message sent by a
/// worker links where a page served by a web node would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn new(base: &str) -> Self {
        Self(base.trim_end_matches('/').to_owned())
    }

    /// `path` (site-relative, from this module) as an absolute URL.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `/g/{code}`: the public page of a game.
pub fn play_page(code: &ShortCode) -> String {
    format!("/g/{code}")
}

/// `/embed/{code}`: the bare page other sites may frame.
pub fn embed_page(code: &ShortCode) -> String {
    format!("/embed/{code}")
}

/// The page an emailed link opens, with its secret: `/verify-email`, `/reset-password` or
/// `/confirm-email`, `?token=...`.
pub fn emailed_link(purpose: Purpose, secret: &str) -> String {
    let page = match purpose {
        Purpose::VerifyEmail => "/verify-email",
        Purpose::ResetPassword => "/reset-password",
        Purpose::ConfirmNotification => "/confirm-email",
    };
    // The secret is base64url: nothing in it needs escaping.
    format!("{page}?token={secret}")
}

/// `/games/{id}`: the owner's page of a game.
pub fn game_page(id: Uuid) -> String {
    format!("/games/{id}")
}

/// A public file of a game: `/api/v1/play/{code}/{file}` (`sprite.png`, `game.wasm`,
/// `download`, `plays`, ...).
pub fn game_public_file(code: &ShortCode, file: &str) -> String {
    format!("{API}/play/{code}/{file}")
}

/// The photo a game waiting in the moderation queue (item `item`) was made from.
pub fn moderation_photo(item: Uuid) -> String {
    format!("{API}/moderation/{item}/photo")
}

/// An uploaded photo's resource.
pub fn image(id: Uuid) -> String {
    format!("{API}/images/{id}")
}

/// A file of an uploaded photo: `thumbnail.png`, `preview.png`, `cutout.png`, `mask.png`.
pub fn image_file(id: Uuid, file: &str) -> String {
    format!("{API}/images/{id}/{file}")
}

/// A file of a look drawn from a photo: `sprite.png`, `sheet.png`, `sheet.json`,
/// `preview.gif`.
pub fn art_file(image_id: Uuid, look: &Look, file: &str) -> String {
    format!("{API}/images/{image_id}/art/{}/{file}", look.slug())
}

/// A pixel-art job's status.
pub fn pixel_art_status(id: Uuid) -> String {
    format!("{API}/pixel-art/{id}/status")
}

/// `/api/v1/auth/social/{provider}/callback`: where a sign-in provider sends the person back.
pub fn social_callback(provider: &str) -> String {
    format!("{API}/auth/social/{provider}/callback")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls_join_without_doubled_slashes() {
        let base = PublicUrl::new("https://petpixel.example/");
        let code = ShortCode::parse("abcdefghjk").expect("valid");
        assert_eq!(
            base.absolute(&play_page(&code)),
            "https://petpixel.example/g/abcdefghjk"
        );
    }
}
