//! Records the versions of the main libraries as the lock file pins them, for `/health`, so
//! the server reports what it was built with rather than what someone once typed.

fn main() {
    // Read when the script runs (not baked in when it was compiled): a build script compiled
    // in one checkout may be run for another that shares the target folder.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let lock = std::path::Path::new(&manifest_dir).join("../Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    for name in ["leptos", "axum", "burn", "sqlx"] {
        let version = locked_version(&text, name).unwrap_or_else(|| "unknown".into());
        println!(
            "cargo::rustc-env=PETPIXEL_VERSION_{}={version}",
            name.to_ascii_uppercase()
        );
    }
}

/// The version of package `name` in a Cargo.lock (the first, if several).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_owned());
        }
    }
    None
}
