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
    let href = HREF.get_or_init(|| asset_href(&options, "css")).clone();
    view! { <link rel="stylesheet" id="leptos" href=href/> }
}

/// For an app in Leptos' islands mode, instead of `<HydrationScripts islands=true/>`: loads the
/// build's JS and wasm only on a page that has an island, then hydrates each island. A page
/// without one (a server-rendered form, say) costs the browser no code at all. Islands must
/// not be nested (each `<leptos-island>` is hydrated on its own). Reads the build's hash file
/// once per process.
#[component]
pub fn IslandScripts(
    /// Leptos' options (output name, pkg dir, hash file).
    options: LeptosOptions,
) -> impl IntoView {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let script = SCRIPT
        .get_or_init(|| {
            let js = serde_json::to_string(&asset_href(&options, "js")).unwrap_or_default();
            let wasm = serde_json::to_string(&asset_href(&options, "wasm")).unwrap_or_default();
            format!("({ISLAND_LOADER})({js},{wasm});")
        })
        .clone();
    // As `<HydrationScripts islands=true/>` does: outside islands the server renders plain
    // HTML, without hydration markers or serialized resources.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    // A module script runs once the document is parsed, so it sees every island of the page.
    view! { <script type="module" inner_html=script></script> }
}

/// Loads the app's module and hydrates each `<leptos-island>` with its exported function.
const ISLAND_LOADER: &str = r#"async (js, wasm) => {
  const islands = document.querySelectorAll("leptos-island");
  if (islands.length === 0) return;
  const app = await import(js);
  await app.default({ module_or_path: wasm });
  app.hydrate();
  for (const island of islands) {
    const hydrate = app[island.dataset.component];
    if (hydrate) hydrate(island);
    else console.warn(`gatehouse: no wasm function for the island ${island.dataset.component}`);
  }
}"#;

/// `/<pkg>/<output>[.<hash>].<extension>`, the hash read from the file the build wrote next to
/// the server binary (lines `css: <hash>`, `js: …`, `wasm: …`).
fn asset_href(options: &LeptosOptions, extension: &str) -> String {
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
                (kind.trim() == extension).then(|| hash.trim().to_string())
            })
        })
        .flatten();
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    match hash {
        Some(hash) => format!("/{pkg}/{name}.{hash}.{extension}"),
        // Without hashes wasm-bindgen's file is `<name>_bg.wasm` unless cargo-leptos renamed it.
        None if extension == "wasm" && option_env!("LEPTOS_OUTPUT_NAME").is_none() => {
            format!("/{pkg}/{name}_bg.wasm")
        }
        None => format!("/{pkg}/{name}.{extension}"),
    }
}
