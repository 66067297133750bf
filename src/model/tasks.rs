//! Where a task lives: `task_urls` wins, else the embedded route `<sign_in_url>/tasks/<key>`.

use std::collections::BTreeMap;

use super::{encode_query_component, TaskKey};

/// The page hosting `task`, carrying `redirect_url` when given.
pub fn task_url(
    task: TaskKey,
    task_urls: &BTreeMap<TaskKey, String>,
    sign_in_url: &str,
    redirect_url: Option<&str>,
) -> String {
    let base = task_urls.get(&task).cloned().unwrap_or_else(|| {
        format!(
            "{}/tasks/{}",
            sign_in_url.trim_end_matches('/'),
            task.as_str()
        )
    });
    match redirect_url.filter(|url| !url.is_empty()) {
        Some(url) => format!("{base}?redirect_url={}", encode_query_component(url)),
        None => base,
    }
}
