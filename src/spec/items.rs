//! The registers a QMS keeps (`procdoc.yaml` `registers:`): UTF-8 CSV files with a header
//! row, whose rows are the items of per-item recurring flows.
//!
//! The loader reads each into [`ItemTable`], keeping the byte span of every cell so the
//! checker can point at the line and column of a duplicate key or a value without an
//! interval. Reading never fails the load: a problem is kept with the table and reported by
//! the checker.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Component, Path};

use super::source::FileId;

/// One register file as read.
#[derive(Debug, Clone, Default)]
pub struct ItemTable {
    /// The register's id (`registers[i].id`).
    pub id: String,
    /// Index in `registers:` of `procdoc.yaml`.
    pub index: usize,
    /// The file in the QMS's sources, when it could be read.
    pub file: Option<FileId>,
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    /// Why the file cannot be used, if it cannot.
    pub problem: Option<TableProblem>,
}

/// A register file as a procedure uses it (`Procedure::register_files`): its cells only, so
/// quoting, line endings and spacing outside the values are no change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterCopy {
    /// The register's id (`for_each`).
    pub id: String,
    /// The CSV file, relative to the QMS folder.
    pub file: String,
    /// The column that names an item.
    pub key: String,
    pub header: Vec<String>,
    /// One row per item, in the file's order.
    pub rows: Vec<Vec<String>>,
}

impl RegisterCopy {
    /// The key of each row (empty where the row has no key cell).
    pub fn keys(&self) -> Vec<&str> {
        let k = self.header.iter().position(|h| *h == self.key);
        self.rows
            .iter()
            .map(|r| k.and_then(|k| r.get(k)).map_or("", String::as_str))
            .collect()
    }
}

/// A cell's text (unquoted) and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableProblem {
    /// The path leaves the QMS folder.
    Outside(String),
    /// No such file.
    Missing(String),
    /// Not UTF-8 or not CSV; the span is where in the file, when known.
    Malformed(String, Option<Range<usize>>),
}

impl ItemTable {
    /// The index of column `name` in the header.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|c| c.text == name)
    }

    /// The row of item `key` as (column, value) pairs in the header's order, for a run.
    pub fn item(&self, key_column: &str, key: &str) -> Option<Vec<(String, String)>> {
        let k = self.column(key_column)?;
        let row = self
            .rows
            .iter()
            .find(|r| r.get(k).is_some_and(|c| c.text == key))?;
        Some(
            self.header
                .iter()
                .zip(row)
                .map(|(h, c)| (h.text.clone(), c.text.clone()))
                .collect(),
        )
    }

    /// A row as column → value.
    pub fn columns_of(&self, row: &[Cell]) -> BTreeMap<String, String> {
        self.header
            .iter()
            .zip(row)
            .map(|(h, c)| (h.text.clone(), c.text.clone()))
            .collect()
    }
}

/// Give each procedure a copy of the register files its per-item flows go through
/// (`Procedure::register_files`), each once, in the order of `registers:`. A register that
/// could not be read is left out (the checker reports it). `register_files` written in a
/// procedure file is an unknown field there, reported at its key.
pub fn copy_into(
    procedures: &mut [super::load::LoadedProcedure],
    registers: &[super::model::ItemRegister],
    tables: &[ItemTable],
    sources: &super::source::Sources,
    diagnostics: &mut Vec<crate::check::diagnostic::Diagnostic>,
) {
    use super::model::Trigger;
    for p in procedures {
        if !p.doc.register_files.is_empty() {
            diagnostics.push(
                crate::check::diagnostic::Diagnostic::new(
                    &crate::check::codes::UNKNOWN_FIELD,
                    sources.key(p.file, "register_files"),
                    "unknown field `register_files`",
                )
                .hint("remove it: procdoc copies the register files named in `procdoc.yaml` `registers:` by itself"),
            );
            p.doc.register_files.clear();
        }
        let used: Vec<&str> = p
            .doc
            .flows
            .iter()
            .filter_map(|f| match &f.trigger {
                Some(Trigger::ForEach(per)) => Some(per.for_each.as_str()),
                _ => None,
            })
            .collect();
        for (register, table) in registers.iter().zip(tables) {
            if !used.contains(&register.id.as_str()) || table.problem.is_some() {
                continue;
            }
            let texts = |cells: &[Cell]| cells.iter().map(|c| c.text.clone()).collect();
            p.doc.register_files.push(RegisterCopy {
                id: register.id.clone(),
                file: register.file.clone(),
                key: register.key.clone(),
                header: texts(&table.header),
                rows: table.rows.iter().map(|r| texts(r)).collect(),
            });
        }
    }
}

/// Whether `relative` stays inside `root` (also through links) and names a file; the file's
/// real path, or why not.
pub fn file_inside(root: &Path, relative: &str) -> Result<std::path::PathBuf, TableProblem> {
    let rel = Path::new(relative);
    if rel.is_absolute()
        || rel.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        })
    {
        return Err(TableProblem::Outside(format!(
            "the register path `{relative}` leaves the QMS folder"
        )));
    }
    let path = root.join(rel);
    let (Ok(real_root), Ok(real)) = (root.canonicalize(), path.canonicalize()) else {
        return Err(TableProblem::Missing(format!(
            "the register file `{relative}` does not exist"
        )));
    };
    if !real.starts_with(&real_root) {
        return Err(TableProblem::Outside(format!(
            "the register path `{relative}` leads outside the QMS folder"
        )));
    }
    if !real.is_file() {
        return Err(TableProblem::Missing(format!(
            "the register `{relative}` is not a file"
        )));
    }
    Ok(real)
}

/// A CSV file read: the header's cells, then each row's.
pub type Csv = (Vec<Cell>, Vec<Vec<Cell>>);

/// Reads CSV (RFC 4180: comma-separated, `"` quotes, `""` inside quotes) into rows of cells
/// with their byte spans. Blank lines are skipped; every row must have as many cells as the
/// header.
pub fn parse_csv(text: &str) -> Result<Csv, (String, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line_start = i;
    loop {
        // One cell from i.
        let start = i;
        let mut value = String::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        return Err((
                            "a quoted value is never closed (a `\"` is missing)".to_string(),
                            start..start + 1,
                        ));
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        value.push('"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            if !matches!(bytes.get(i), None | Some(b',' | b'\n' | b'\r')) {
                return Err((
                    "text after a closing quote: quote the whole value".to_string(),
                    i..i + 1,
                ));
            }
        } else {
            while !matches!(bytes.get(i), None | Some(b',' | b'\n' | b'\r')) {
                if bytes[i] == b'"' {
                    return Err((
                        "a `\"` inside an unquoted value: quote the value and double the `\"`"
                            .to_string(),
                        i..i + 1,
                    ));
                }
                i += 1;
            }
            value = text[start..i].to_string();
        }
        row.push(Cell {
            text: value.trim().to_string(),
            span: start..i,
        });
        match bytes.get(i) {
            Some(b',') => i += 1,
            end => {
                let blank = row.len() == 1 && row[0].text.is_empty();
                if !blank {
                    if let Some(header) = rows.first()
                        && header.len() != row.len()
                    {
                        return Err((
                            format!(
                                "this row has {} values, the header {}",
                                row.len(),
                                header.len()
                            ),
                            line_start..i,
                        ));
                    }
                    rows.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
                match end {
                    None => break,
                    Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i += 2,
                    _ => i += 1,
                }
                if i >= bytes.len() {
                    break;
                }
                line_start = i;
            }
        }
    }
    let mut rows = rows.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| ("the file has no header row".to_string(), 0..0))?;
    if let Some(empty) = header.iter().find(|c| c.text.is_empty()) {
        return Err((
            "a column of the header has no name".to_string(),
            empty.span.clone(),
        ));
    }
    Ok((header, rows.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_spans_and_blank_lines() {
        let text = "key,name\r\nA-1,\"Smith, \"\"J\"\"\"\n\nA-2,Lee\n";
        let (header, rows) = parse_csv(text).unwrap();
        assert_eq!(header[1].text, "name");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1].text, "Smith, \"J\"");
        assert_eq!(&text[rows[1][0].span.clone()], "A-2");
    }

    #[test]
    fn refuses_what_is_not_csv() {
        assert!(parse_csv("a,b\n1\n").is_err());
        assert!(parse_csv("a,b\n\"1,2\n").is_err());
        assert!(parse_csv("a,b\n1\"x,2\n").is_err());
        assert!(parse_csv("").is_err());
        assert!(parse_csv("a,,b\n").is_err());
    }
}
