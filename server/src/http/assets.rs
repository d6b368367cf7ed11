//! The app's own files as the build named them. `scripts/build.sh` names the hydrate module,
//! its glue and the style sheet by their content (`petpixel.{16 hex}.js`, `…_bg.wasm`,
//! `petpixel.{16 hex}.css`) and lists the names in `pkg/assets.json`: pages link those names,
//! and `/pkg` serves them as immutable.

use std::path::Path;

use serde::Deserialize;

/// Where the build lists the names, under the site root.
pub const MANIFEST: &str = "pkg/assets.json";

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SiteAssets {
    /// The hydrate module's name without extension (Leptos's `output_name`): the page loads
    /// `/pkg/{app}.js` and `/pkg/{app}_bg.wasm`.
    pub app: String,
    /// The style sheet's file name under `/pkg`.
    pub css: String,
}

impl SiteAssets {
    pub fn load(site_root: &Path) -> Result<Self, String> {
        let path = site_root.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "{}: {e} — build the web assets first (scripts/build.sh)",
                path.display()
            )
        })?;
        let assets: Self =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for name in [&assets.app, &assets.css] {
            if !content_named(name) {
                return Err(format!(
                    "{}: {name:?} is not a content-named file — rebuild (scripts/build.sh)",
                    path.display()
                ));
            }
        }
        for file in [
            format!("{}.js", assets.app),
            format!("{}_bg.wasm", assets.app),
            assets.css.clone(),
        ] {
            if !site_root.join("pkg").join(&file).is_file() {
                return Err(format!(
                    "{}: lists {file}, which is not there — rebuild (scripts/build.sh)",
                    path.display()
                ));
            }
        }
        Ok(assets)
    }

    /// The style sheet's address.
    pub fn stylesheet(&self) -> String {
        format!("/pkg/{}", self.css)
    }
}

/// Whether a file name carries its content's tag: `{stem}.{16 lowercase hex}`, then `_bg`
/// and/or an extension. Such a file never changes under its name.
pub fn content_named(name: &str) -> bool {
    !name.contains('/')
        && name.split('.').skip(1).any(|part| {
            let tag = part.strip_suffix("_bg").unwrap_or(part);
            tag.len() == 16 && tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_content_tag_are_recognised() {
        for name in [
            "petpixel.0123456789abcdef.js",
            "petpixel.0123456789abcdef_bg.wasm",
            "petpixel.0123456789abcdef.css",
            "petpixel.0123456789abcdef",
        ] {
            assert!(content_named(name), "{name}");
        }
        for name in [
            "petpixel.js",
            "petpixel_bg.wasm",
            "petpixel.0123456789ABCDEF.js",
            "petpixel.0123456789abcde.js",
            "petpixel.0123456789abcdef0.js",
            "0123456789abcdef",
            "game/petpixel.0123456789abcdef.js/x",
            "loader.js",
        ] {
            assert!(!content_named(name), "{name}");
        }
    }
}
