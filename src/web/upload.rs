//! Forms that may carry files: a body sent as `multipart/form-data` (RFC 7578) read into its
//! text fields and its files, or a plain form as [`Fields`] reads it. Files are counted as
//! they arrive: the files of one request together may hold at most the server's
//! `--max-upload` bytes, and the text fields at most [`super::routes::BODY_LIMIT`]. A body
//! over either is not read further; the form says which field it was, and nothing is written.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::form::Fields;
use super::routes::BODY_LIMIT;
use crate::app::Upload;
use crate::run::attachments::show_size;

/// A field that made the request larger than the server takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The form field's name (`attachments`, `note`).
    pub field: String,
    /// Why, naming the file when it was one.
    pub message: String,
}

/// A posted form: its text fields, its files (in the order sent) and, when the body was too
/// large, the field it was cut at (the fields and files read before it are kept, to draw
/// the form again).
#[derive(Debug, Default)]
pub struct Posted {
    pub fields: Fields,
    pub files: Vec<Upload>,
    pub too_large: Option<TooLarge>,
}

fn bad_form(message: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!("the form could not be read: {message}"),
    )
        .into_response()
}

impl FromRequest<Arc<AppState>> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let fields = Fields::from_request(request, state).await?;
            return Ok(Posted {
                fields,
                ..Posted::default()
            });
        }
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        read(multipart, state.max_upload).await
    }
}

/// Reads the parts of a multipart body: a part with a file name is a file (one sent with
/// neither a name nor bytes is a file input left empty, and skipped), any other a text field.
async fn read(mut multipart: Multipart, max_files: usize) -> Result<Posted, Response> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let (mut file_bytes, mut text_bytes) = (0usize, 0usize);
    while let Some(mut part) = multipart.next_field().await.map_err(bad_form)? {
        let field = part.name().unwrap_or("").to_string();
        let file_name = part.file_name().map(str::to_string);
        let media_type = part.content_type().map(str::to_string);
        let (used, limit) = match file_name {
            Some(_) => (&mut file_bytes, max_files),
            None => (&mut text_bytes, BODY_LIMIT),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(bad_form)? {
            *used += chunk.len();
            if *used > limit {
                let message = match &file_name {
                    Some(name) => format!(
                        "`{}` makes the files of this form larger than {}, the most one form may carry",
                        crate::run::attachments::safe_name(name),
                        show_size(limit as u64)
                    ),
                    None => format!(
                        "the text of this form is longer than {}",
                        show_size(limit as u64)
                    ),
                };
                let too_large = TooLarge { field, message };
                return Ok(Posted {
                    fields: Fields::from_pairs(pairs),
                    files,
                    too_large: Some(too_large),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(name) if name.is_empty() && bytes.is_empty() => {}
            Some(name) => files.push(Upload::new(&name, media_type.as_deref(), bytes)),
            None => pairs.push((field, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(Posted {
        fields: Fields::from_pairs(pairs),
        files,
        too_large: None,
    })
}

/// A size as `--max-upload` takes it: bytes (`1048576`), or a number with a unit: `kB`, `MB`,
/// `GB` (SI, powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), case ignored.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit `{other}`: write e.g. 500kB, 20MB or 1GiB"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 500kB, 20MB or 1GiB"))?;
    let bytes = (value * factor).round();
    if !(1.0..=1e12).contains(&bytes) {
        return Err(format!("`{text}`: give a size from 1 byte to 1 TB"));
    }
    // Within 1..=1e12, so the conversion is exact enough and in range.
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("500kB"), Ok(500_000));
        assert_eq!(parse_size("1 MiB"), Ok(1_048_576));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("1.5mb"), Ok(1_500_000));
        assert!(parse_size("20 parsecs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("MB").is_err());
    }
}
