//! The responsibility matrix of a controlled document: departments (columns) × steps (rows),
//! R for `by`, C for `with`. Its columns are laid out here, so that the matrix is never
//! wider than the page: department names are printed turned on their side, each column as
//! narrow as its name allows, and a matrix still too wide is split into several tables by
//! department groups, each repeating the step number and title.

use serde::Serialize;
use unicode_width::UnicodeWidthChar;

use super::context::{Multi, Printing};
use crate::spec::model::{Procedure, Step};
use crate::spec::numbers::DocNumbers;

/// Width of the matrix on the page: an A4 portrait page less its margins (1.8 cm each side).
const TABLE_WIDTH_PT: f64 = 493.0;
/// The step title column never gets narrower than this (about 16 Chinese characters at the
/// matrix's 7.5 pt), so titles stay readable.
const TITLE_MIN_PT: f64 = 120.0;
/// Department names: their size, the distance between their lines, and the longest line
/// (the height of the header row), all in points.
const HEAD_SIZE_PT: f64 = 6.5;
const HEAD_LINE_PT: f64 = 8.5;
const HEAD_MAX_PT: f64 = 90.0;
const HEAD_MIN_PT: f64 = 28.0;
/// Horizontal padding inside a cell (both sides together), and the narrowest column, wide
/// enough for a bold R.
const CELL_PAD_PT: f64 = 4.0;
const COLUMN_MIN_PT: f64 = 12.0;
/// Step numbers are printed at 7.5 pt.
const NUMBER_SIZE_PT: f64 = 7.5;

#[derive(Serialize)]
pub struct MatrixContext {
    pub departments: Vec<MatrixDepartment>,
    pub rows: Vec<MatrixRow>,
    /// The tables the matrix is printed as, each a list of indices into `departments`
    /// (one table unless the departments do not fit across the page).
    pub tables: Vec<Vec<usize>>,
    /// The height of the header row: the longest line of a department name, in points.
    pub header_pt: f64,
}

#[derive(Serialize)]
pub struct MatrixDepartment {
    pub code: String,
    pub name: Multi,
    /// A department (not one of its roles, nor an outside party): printed in bold.
    pub head: bool,
    /// The first column of a department group (a department and its roles): a heavier rule
    /// separates it from the columns before.
    pub group_start: bool,
}

#[derive(Serialize)]
pub struct MatrixRow {
    pub number: String,
    pub title: Multi,
    pub cells: Vec<&'static str>,
}

/// The matrix of `doc`: a column for each department, role and party that acts in a step, in
/// the order procdoc.yaml lists them (a role right after its department); a row per step.
pub fn matrix(
    p: &Printing,
    doc: &Procedure,
    numbering: &DocNumbers,
    step_title: impl Fn(&Step) -> Multi,
) -> MatrixContext {
    let settings = p.settings;
    let mut codes: Vec<String> = Vec::new();
    for flow in &doc.flows {
        for step in &flow.steps {
            for code in step.by.iter().chain(step.with.iter()) {
                if !codes.contains(code) {
                    codes.push(code.clone());
                }
            }
        }
    }
    // A department's group: itself, for a role the department it is in.
    let group_of = |code: &str| -> String {
        settings
            .departments
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.within.clone())
            .unwrap_or_else(|| code.to_string())
    };
    // The reader's order: departments as listed, each followed by its roles, then parties.
    let listed: Vec<&str> = settings
        .departments
        .iter()
        .map(|d| d.code.as_str())
        .chain(settings.parties.iter().map(|x| x.code.as_str()))
        .collect();
    let position = |code: &str| listed.iter().position(|c| *c == code).unwrap_or(usize::MAX);
    codes.sort_by_key(|c| {
        let group = group_of(c);
        (position(&group), group != *c, position(c), c.clone())
    });
    let mut rows = Vec::new();
    for &f in &numbering.flow_order {
        for (s, step) in doc.flows[f].steps.iter().enumerate() {
            rows.push(MatrixRow {
                number: numbering.step(f, s).to_string(),
                title: step_title(step),
                cells: codes
                    .iter()
                    .map(|c| {
                        if step.by.iter().any(|b| b == c) {
                            "R"
                        } else if step.with.iter().any(|w| w == c) {
                            "C"
                        } else {
                            ""
                        }
                    })
                    .collect(),
            });
        }
    }
    let departments: Vec<MatrixDepartment> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| MatrixDepartment {
            code: c.clone(),
            name: p.actor(c),
            head: settings
                .departments
                .iter()
                .any(|d| d.code == *c && d.within.is_none()),
            group_start: i == 0 || group_of(c) != group_of(&codes[i - 1]),
        })
        .collect();
    let header_pt = header_height(&departments);
    let number_pt = rows
        .iter()
        .map(|r| text_width(&r.number, NUMBER_SIZE_PT))
        .fold(0.0, f64::max)
        + CELL_PAD_PT
        + 2.0;
    let widths: Vec<f64> = departments
        .iter()
        .map(|d| column_width(d, header_pt))
        .collect();
    let tables = split(
        &widths,
        &departments
            .iter()
            .map(|d| d.group_start)
            .collect::<Vec<_>>(),
        TABLE_WIDTH_PT - number_pt - TITLE_MIN_PT,
    );
    MatrixContext {
        departments,
        rows,
        tables,
        header_pt,
    }
}

/// The printed name of a department on one line: every language, " / " between.
fn joined(d: &MatrixDepartment) -> String {
    d.name.join(" / ")
}

/// The header row's height: the longest name, within bounds (a longer name wraps).
fn header_height(departments: &[MatrixDepartment]) -> f64 {
    departments
        .iter()
        .map(|d| text_width(&joined(d), HEAD_SIZE_PT) + 2.0)
        .fold(HEAD_MIN_PT, f64::max)
        .min(HEAD_MAX_PT)
        .ceil()
}

/// A column is as wide as the lines of its turned name.
fn column_width(d: &MatrixDepartment, header_pt: f64) -> f64 {
    // Words do not fill a line exactly: a little more for names that wrap.
    let length = text_width(&joined(d), HEAD_SIZE_PT);
    let lines = if length + 2.0 <= header_pt {
        1.0
    } else {
        (length * 1.2 / header_pt).ceil()
    };
    (lines * HEAD_LINE_PT + CELL_PAD_PT).max(COLUMN_MIN_PT)
}

/// A generous estimate of how wide `text` prints at `size` points in the bundled fonts:
/// CJK characters take a full em, Latin capitals and digits at most 0.68 em, other
/// characters 0.58 em.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c.width().unwrap_or(0) {
            0 => 0.0,
            2 => 1.0,
            _ if c.is_ascii_uppercase() || c.is_ascii_digit() => 0.68,
            _ if c == ' ' => 0.3,
            _ => 0.58,
        })
        .sum::<f64>()
        * size
}

/// The columns split into tables no wider than `room` points: whole department groups
/// (a group starts where `starts` is true) while they fit, a group wider than a table
/// on its own split where it has to.
fn split(widths: &[f64], starts: &[bool], room: f64) -> Vec<Vec<usize>> {
    let total: f64 = widths.iter().sum();
    if total <= room {
        return vec![(0..widths.len()).collect()];
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, _) in widths.iter().enumerate() {
        if starts[i] || groups.is_empty() {
            groups.push(Vec::new());
        }
        groups.last_mut().unwrap().push(i);
    }
    let mut tables: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0.0;
    for group in groups {
        let width: f64 = group.iter().map(|&i| widths[i]).sum();
        // A group that would overfill this table starts the next, when it fits there whole.
        if !tables.last().unwrap().is_empty() && used + width > room + 0.01 && width <= room {
            tables.push(Vec::new());
            used = 0.0;
        }
        for i in group {
            if used + widths[i] > room + 0.01 && !tables.last().unwrap().is_empty() {
                tables.push(Vec::new());
                used = 0.0;
            }
            tables.last_mut().unwrap().push(i);
            used += widths[i];
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_that_fit_make_one_table() {
        assert_eq!(
            split(&[20.0, 20.0, 20.0], &[true, false, true], 100.0),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn too_many_columns_split_between_groups_into_balanced_tables() {
        // Five groups of three 12 pt columns (180 pt) into tables of at most 120 pt: two
        // tables, cut between groups.
        let widths = vec![12.0; 15];
        let starts: Vec<bool> = (0..15).map(|i| i % 3 == 0).collect();
        let tables = split(&widths, &starts, 120.0);
        assert_eq!(tables.len(), 2, "{tables:?}");
        for table in &tables {
            assert!(table.len() * 12 <= 120, "{tables:?}");
            assert!(
                starts[table[0]],
                "a table starts inside a group: {tables:?}"
            );
        }
        let all: Vec<usize> = tables.concat();
        assert_eq!(all, (0..15).collect::<Vec<_>>());
    }

    #[test]
    fn a_group_wider_than_a_table_is_split_inside() {
        let widths = vec![30.0; 6];
        let starts = vec![true, false, false, false, false, false];
        let tables = split(&widths, &starts, 100.0);
        for table in &tables {
            assert!(table.iter().map(|&i| widths[i]).sum::<f64>() <= 100.0);
        }
        assert_eq!(tables.concat(), (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn chinese_takes_a_full_em_and_latin_less() {
        assert_eq!(text_width("销售部", 10.0), 30.0);
        assert!(text_width("Sales", 10.0) < 35.0);
    }
}
