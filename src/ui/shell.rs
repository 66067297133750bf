//! Pieces of the server-rendered document shell.

use leptos::prelude::*;

/// The build's stylesheet (`<link rel="stylesheet" id="leptos">`), for the app's `shell`. Like
/// `leptos_meta::HashedStylesheet`, it follows `hash-files` (`/pkg/<name>.<hash>.css`), but it
/// reads the build's hash file once per process instead of on every page render.
#[component]
pub fn BuildStylesheet(
    /// Leptos' options (output name, pkg dir, hash file).
    options: LeptosOptions,
) -> impl IntoView {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let href = HREF.get_or_init(|| stylesheet_href(&options)).clone();
    view! { <link rel="stylesheet" id="leptos" href=href/> }
}

/// `/<pkg>/<output>[.<hash>].css`, the hash read from the file the build wrote next to the
/// server binary.
fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let path = std::env::current_exe()
                .ok()?
                .parent()?
                .join(options.hash_file.as_ref());
            let hashes = std::fs::read_to_string(path).ok()?;
            hashes.lines().find_map(|line| {
                let (kind, hash) = line.split_once(':')?;
                (kind.trim() == "css").then(|| hash.trim().to_string())
            })
        })
        .flatten();
    match hash {
        Some(hash) => format!(
            "/{}/{}.{hash}.css",
            options.site_pkg_dir, options.output_name
        ),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}
