//! Where a task lives: `task_urls` wins, else the embedded route `<sign_in_url>/tasks/<key>`.

use std::collections::BTreeMap;

use super::{with_redirect_url, TaskKey};

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
    with_redirect_url(&base, redirect_url)
}
