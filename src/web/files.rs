//! Downloads from the output folder: a requested path is resolved inside the folder and
//! refused if it would leave it (`..`, an absolute path, a link pointing outside).

use std::path::{Component, Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The file a request path names inside `root`, if it is a file there; `None` for anything
/// that is not (missing, a folder, outside `root` by `..` or by a link).
pub fn confined(root: &Path, requested: &str) -> Option<PathBuf> {
    let relative = Path::new(requested);
    if requested.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let file = root.join(relative).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// Whether the output folder holds this file (for links to show only what exists).
pub fn exists(root: &Path, requested: &str) -> bool {
    confined(root, requested).is_some()
}

/// Serves a PDF (shown by the browser) or CSV (downloaded) of the output folder; any other
/// kind of file is not served, so nothing there can run as a page of this site.
pub fn serve(root: &Path, requested: &str) -> Response {
    let Some(file) = confined(root, requested) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let (kind, disposition) = match extension.as_deref() {
        Some("pdf") => ("application/pdf", "inline"),
        Some("csv") => ("text/csv; charset=utf-8", "attachment"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let name: String = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    match std::fs::read(&file) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        std::fs::create_dir_all(root.join("forms")).unwrap();
        std::fs::write(root.join("forms/F-1.pdf"), b"%PDF").unwrap();
        std::fs::write(dir.path().join("secret.pdf"), b"%PDF").unwrap();
        assert!(confined(&root, "forms/F-1.pdf").is_some());
        assert!(confined(&root, "../secret.pdf").is_none());
        assert!(confined(&root, "forms/../../secret.pdf").is_none());
        assert!(confined(&root, &dir.path().join("secret.pdf").to_string_lossy()).is_none());
        assert!(confined(&root, "forms").is_none());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.pdf"), root.join("link.pdf"))
                .unwrap();
            assert!(confined(&root, "link.pdf").is_none());
        }
    }
}
