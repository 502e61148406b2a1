//! `GET /runs/{ref}/attachments/{sha256}`: a file attached to a step of the run, handed back
//! only as a download, never shown by the browser: whatever the file holds (HTML, a script,
//! an SVG), it is sent as opaque bytes under the name it was attached with.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::AppState;
use super::auth::{SignedIn, internal};
use super::form::Fields;
use super::pages::signed_page;
use crate::app::{self, RefusalKind, RunRef};

/// The characters RFC 8187 lets an extended header value (`filename*`) hold unencoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` for a download named `name` (already a safe file name, see
/// [`crate::run::attachments::safe_name`]), RFC 6266: `attachment`, the name in ASCII for
/// old clients (other characters, and those no file name may hold on Windows, as `_`) and
/// in UTF-8 (RFC 8187).
pub fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !"\"\\<>:/|?*".contains(c) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(name, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /runs/{ref}/attachments/{sha256}`: the file, for a user who may see the run (as its
/// page); 404 for a malformed or unknown digest, or one that only another run attaches.
pub async fn download(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path((reference, sha256)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let flow = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("flow");
    let run = RunRef {
        reference,
        flow: (!flow.trim().is_empty()).then(|| flow.trim().to_string()),
    };
    let user = signed_in.user.clone();
    let found = state
        .with_reader(move |store| app::download(store, &user, &run, &sha256))
        .await;
    match found {
        Ok(file) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    disposition(&file.attachment.name),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                ),
            ],
            file.bytes,
        )
            .into_response(),
        Err(refusal)
            if matches!(
                refusal.kind,
                RefusalKind::Storage | RefusalKind::Broken | RefusalKind::Unavailable
            ) =>
        {
            internal(&refusal)
        }
        Err(refusal) => {
            let (status, key) = match refusal.kind {
                RefusalKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
                _ => (StatusCode::FORBIDDEN, "forbidden"),
            };
            let own = context! { message_key => key, detail => refusal.message.clone() };
            signed_page(&state, &signed_in.user, status, "refused.html", own).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_name_cannot_break_out_of_its_header() {
        let d = disposition("résumé \"final\".pdf");
        assert_eq!(
            d.to_str().unwrap(),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        let d = disposition("a;b\\c.txt");
        assert_eq!(
            d.to_str().unwrap(),
            "attachment; filename=\"a;b_c.txt\"; filename*=UTF-8''a%3Bb%5Cc.txt"
        );
    }
}
