# Sourced by the scripts: puts the project's tools first on PATH.
export PATH="$HOME/.local/leptos-tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
