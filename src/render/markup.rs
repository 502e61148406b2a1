//! Turning spec text into typst markup that prints exactly what the author wrote.
//!
//! Typst markup is a programming language in disguise: `#` starts code (`#read(..)` can
//! pull files into the PDF), `$` starts math, `<x>` is a label, `//` a comment, `= ` a
//! heading. Anything an author types into a YAML spec must come out as the same
//! characters on paper, so every character that has a markup meaning is
//! backslash-escaped. Typst accepts a backslash before any non-whitespace character and
//! prints that character, so escaping more than strictly needed is harmless; escaping
//! too little is a bug. Where in doubt this module escapes.

use std::fmt::Write as _;

/// Characters escaped wherever they appear.
///
/// Several only matter in some positions (`=` and `+` at line start, `-` before a digit,
/// another `-`, `?` or a space, `*` and `_` outside words, `/` before `/` or `*`), but
/// where a value finally lands is decided by the template, not here: a value printed at
/// the start of a template line is at a line start. Escaping them everywhere keeps the
/// guarantee independent of the template.
const ALWAYS_ESCAPED: &[char] = &[
    '\\', '#', '$', '*', '_', '@', '<', '>', '[', ']', '`', '~', '/', '=', '-', '+',
];

/// The characters typst itself treats as line breaks in source text.
///
/// Rust's `lines()` knows only `\n` and `\r\n`; a U+2028 in a spec would otherwise slip
/// through as a line start inside typst and revive list markers.
fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\x0B' | '\x0C' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Whitespace that typst markup folds into spaces or paragraph breaks.
fn is_markup_space(c: char) -> bool {
    c == ' ' || c == '\t' || is_newline(c)
}

/// Escape text for typst markup mode so it prints literally.
///
/// Every character with a markup meaning is escaped (``# $ * _ @ < > [ ] ` ~ \ / = - +``);
/// dots are escaped where they could form `...` or an enum marker like `12.`; quotes
/// are left alone because typst only turns them into smart quotes.
/// A single line break becomes a space (typst would treat it as one anyway, but as a
/// line start it could begin a list); two or more become one paragraph break.
///
/// A long unbroken token ([`LONG_TOKEN`] characters or more without a space or a CJK
/// character: an id, a file name, a URL) gets a [`TOKEN_BREAK`] after each of its
/// punctuation marks ([`TOKEN_BREAKS`]), so that in a narrow table cell it wraps there
/// instead of running over the next column. Elsewhere the line rarely needs the break.
pub fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let long = long_tokens(&chars);
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_markup_space(c) {
            let start = i;
            let mut newlines = 0;
            while let Some(&w) = chars.get(i).filter(|w| is_markup_space(**w)) {
                // `\r\n` is one line break, as in typst.
                if is_newline(w) && !(w == '\r' && chars.get(i + 1) == Some(&'\n')) {
                    newlines += 1;
                }
                i += 1;
            }
            match newlines {
                0 => out.extend(&chars[start..i]),
                1 => out.push(' '),
                _ => out.push_str("\n\n"),
            }
            continue;
        }
        if ALWAYS_ESCAPED.contains(&c) || (c == '.' && dot_needs_escape(&chars, i)) {
            out.push('\\');
        }
        out.push(c);
        if long[i] && TOKEN_BREAKS.contains(&c) {
            out.push_str(TOKEN_BREAK);
        }
        i += 1;
    }
    out
}

/// Length in characters from which a token without spaces gets break points.
pub const LONG_TOKEN: usize = 16;

/// A place a line may break, as typst markup: an empty box, which line breaking treats as
/// an object that may stand on either side of a break. It has no size and, unlike a
/// zero-width space, puts no character into the PDF's text, so that the token is still
/// found by a search and copied whole. (`#h(0pt)` would be no break at all.) The semicolon
/// ends the call, so that a following `(`, `[` or `.` stays text.
pub const TOKEN_BREAK: &str = "#box();";

/// The characters a long token may break after.
pub const TOKEN_BREAKS: &[char] = &['.', '_', '@', ':', '/', '=', '&', '?', '#', '\\', '-'];

/// For each character, whether it is part of a token of [`LONG_TOKEN`] characters or more:
/// a run of characters none of which is whitespace, a zero-width space or CJK (CJK text
/// breaks between any two characters anyway).
///
/// Why here and not in a typst show rule: a regex show rule costs typst about a
/// millisecond per match; a master list of 200 procedures has thousands of 16-character
/// form numbers, which took seconds, most of that list's typesetting time.
fn long_tokens(chars: &[char]) -> Vec<bool> {
    let mut long = vec![false; chars.len()];
    let mut start = 0;
    for i in 0..=chars.len() {
        let ends = chars
            .get(i)
            .is_none_or(|&c| c.is_whitespace() || c == '\u{200B}' || super::fonts::is_cjk(c));
        if ends {
            if i - start >= LONG_TOKEN {
                long[start..i].fill(true);
            }
            start = i + 1;
        }
    }
    long
}

/// Whether the dot at `chars[i]` could be read as markup.
fn dot_needs_escape(chars: &[char], i: usize) -> bool {
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = chars.get(i + 1).copied();
    // `...` is the ellipsis shorthand; escaping every dot of a run leaves no `..` behind.
    let in_run = prev == Some('.') || next == Some('.');
    // `12. ` is an enum marker at a line start. Whether this is a line start depends on
    // the template, so any digit-dot-space is escaped.
    let enum_marker =
        prev.is_some_and(|p| p.is_ascii_digit()) && next.is_none_or(char::is_whitespace);
    in_run || enum_marker
}

/// Escape text for use inside a typst string literal `"..."` in code mode.
///
/// Typst strings know `\\`, `\"`, `\n`, `\r`, `\t` and `\u{..}`; everything else is
/// literal. Control characters and typst's extra line separators are written as
/// `\u{..}` so the literal never spans lines and nothing invisible reaches the source.
pub fn escape_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_newline(c) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Render the Markdown subset allowed in long texts into typst markup.
///
/// Supported: paragraphs separated by blank lines; `-`/`*` bullet and `1.` numbered
/// lists with one nesting level by indentation; `**bold**`, `*italic*` and
/// `***both***`; pipe tables (`| a | b |` with a `|---|---|` separator row, `\|` for a
/// literal pipe in a cell) rendered as `#table(..)` with a strong header row.
/// Everything else, including unbalanced `*`, headings and backslashes, prints
/// literally: all text goes through [`escape`].
pub fn markdown(text: &str) -> String {
    let normalized = normalize_newlines(text);
    let lines: Vec<&str> = normalized.split('\n').collect();
    parse_blocks(&lines)
        .iter()
        .map(render_block)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Map every typst line separator to `\n` so line-based parsing sees what typst sees.
fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(if is_newline(c) { '\n' } else { c });
    }
    out
}

enum Block<'a> {
    Paragraph(Vec<&'a str>),
    List {
        base_indent: usize,
        items: Vec<Item>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

struct Item {
    nested: bool,
    number: Option<u64>,
    text: String,
}

struct ListLine<'a> {
    indent: usize,
    number: Option<u64>,
    text: &'a str,
}

fn parse_blocks<'a>(lines: &[&'a str]) -> Vec<Block<'a>> {
    let mut blocks = Vec::new();
    // Whether the last block still takes lines; a blank line or a table closes it.
    let mut open = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            open = false;
            i += 1;
            continue;
        }
        if is_table_row(line) {
            let header = split_row(line);
            if lines
                .get(i + 1)
                .is_some_and(|next| is_separator_row(next, header.len()))
            {
                i += 2;
                let mut rows = Vec::new();
                while let Some(row) = lines.get(i).filter(|l| is_table_row(l)) {
                    rows.push(split_row(row));
                    i += 1;
                }
                blocks.push(Block::Table { header, rows });
                open = false;
                continue;
            }
        }
        if let Some(item) = parse_list_line(line) {
            let in_paragraph = open && matches!(blocks.last(), Some(Block::Paragraph(_)));
            // As in CommonMark only `1.` may interrupt a paragraph, so a wrapped line that
            // happens to start with "2024. " stays prose.
            if !in_paragraph || item.number.is_none_or(|n| n == 1) {
                let text = item.text.to_string();
                match blocks.last_mut() {
                    Some(Block::List { base_indent, items }) if open => items.push(Item {
                        nested: item.indent > *base_indent,
                        number: item.number,
                        text,
                    }),
                    _ => blocks.push(Block::List {
                        base_indent: item.indent,
                        items: vec![Item {
                            nested: false,
                            number: item.number,
                            text,
                        }],
                    }),
                }
                open = true;
                i += 1;
                continue;
            }
        }
        let text = line.trim();
        match blocks.last_mut() {
            Some(Block::Paragraph(paragraph)) if open => paragraph.push(text),
            // A plain line right under an item continues it (Markdown's lazy continuation).
            Some(Block::List { items, .. }) if open => {
                if let Some(last) = items.last_mut() {
                    if !last.text.is_empty() {
                        last.text.push(' ');
                    }
                    last.text.push_str(text);
                }
            }
            _ => blocks.push(Block::Paragraph(vec![text])),
        }
        open = true;
        i += 1;
    }
    blocks
}

fn parse_list_line(line: &str) -> Option<ListLine<'_>> {
    let rest = line.trim_start_matches([' ', '\t']);
    let indent: usize = line[..line.len() - rest.len()]
        .chars()
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let (number, after_marker) = if let Some(after) = rest.strip_prefix(['-', '*']) {
        (None, after)
    } else {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        // CommonMark caps list numbers at nine digits; longer runs are prose.
        if digits == 0 || digits > 9 {
            return None;
        }
        let after = rest[digits..].strip_prefix('.')?;
        (Some(rest[..digits].parse().ok()?), after)
    };
    // The marker needs whitespace after it, otherwise `-5 °C` or `*word*` would be items.
    if !after_marker.starts_with([' ', '\t']) {
        return None;
    }
    Some(ListLine {
        indent,
        number,
        text: after_marker.trim(),
    })
}

fn is_table_row(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

/// Split `| a | b |` into trimmed cells, honouring `\|` as a literal pipe.
fn split_row(line: &str) -> Vec<String> {
    let trimmed = line.trim();
    let inner = trimmed.strip_prefix('|').unwrap_or(trimmed);
    let inner = match inner.strip_suffix('|') {
        Some(stripped) if !stripped.ends_with('\\') => stripped,
        _ => inner,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Whether `line` is a `|---|:---:|` row with exactly `columns` cells.
fn is_separator_row(line: &str, columns: usize) -> bool {
    if !is_table_row(line) {
        return false;
    }
    let cells = split_row(line);
    cells.len() == columns
        && cells.iter().all(|cell| {
            let dashes = cell.strip_prefix(':').unwrap_or(cell);
            let dashes = dashes.strip_suffix(':').unwrap_or(dashes);
            !dashes.is_empty() && dashes.chars().all(|c| c == '-')
        })
}

fn render_block(block: &Block<'_>) -> String {
    match block {
        Block::Paragraph(lines) => inline(&lines.join(" ")),
        Block::List { items, .. } => render_list(items),
        Block::Table { header, rows } => render_table(header, rows),
    }
}

fn render_list(items: &[Item]) -> String {
    let mut out = String::new();
    // Per level, whether the previous sibling was numbered: Markdown only honours the
    // first number of a run and counts on from there, which is what typst's `+` does.
    let mut in_numbered_run = [false; 2];
    for (idx, item) in items.iter().enumerate() {
        if idx > 0 {
            out.push('\n');
        }
        let level = usize::from(item.nested);
        if level == 0 {
            in_numbered_run[1] = false;
        } else {
            out.push_str("  ");
        }
        match item.number {
            None => {
                out.push_str("- ");
                in_numbered_run[level] = false;
            }
            Some(number) => {
                // Typst numbering starts at 1; a Markdown `0.` start is rare enough to
                // fall back to automatic numbering instead of risking a typst error.
                if in_numbered_run[level] || number <= 1 {
                    out.push_str("+ ");
                } else {
                    let _ = write!(out, "{number}. ");
                }
                in_numbered_run[level] = true;
            }
        }
        out.push_str(&inline(&item.text));
    }
    out
}

fn render_table(header: &[String], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut out = format!("#table(\n  columns: {columns},\n ");
    for cell in header {
        if cell.is_empty() {
            out.push_str(" [],");
        } else {
            let _ = write!(out, " [#strong[{}]],", inline(cell));
        }
    }
    for row in rows {
        out.push_str("\n ");
        // Like GFM: short rows are padded, surplus cells dropped, so the grid stays
        // rectangular and typst never shifts cells into the wrong column.
        for col in 0..columns {
            let cell = row.get(col).map_or("", String::as_str);
            let _ = write!(out, " [{}],", inline(cell));
        }
    }
    out.push_str("\n)");
    out
}

/// A piece of a line: literal text or a run of asterisks that may become emphasis.
enum Piece<'a> {
    Text(&'a str),
    Stars {
        len: usize,
        can_open: bool,
        can_close: bool,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Literal,
    Open,
    Close,
}

fn split_stars(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if c != '*' {
            continue;
        }
        let mut end = start + 1;
        while let Some(&(idx, '*')) = iter.peek() {
            end = idx + 1;
            iter.next();
        }
        if text_start < start {
            pieces.push(Piece::Text(&text[text_start..start]));
        }
        let prev = text[..start].chars().next_back();
        let next = text[end..].chars().next();
        // Simplified CommonMark flanking: `* ` cannot open and ` *` cannot close, so
        // `5 * 3 * 2` stays arithmetic.
        pieces.push(Piece::Stars {
            len: end - start,
            can_open: next.is_some_and(|n| !n.is_whitespace()),
            can_close: prev.is_some_and(|p| !p.is_whitespace()),
        });
        text_start = end;
    }
    if text_start < text.len() {
        pieces.push(Piece::Text(&text[text_start..]));
    }
    pieces
}

/// Render one line of inline Markdown (`**bold**`, `*italic*`) as typst markup.
fn inline(text: &str) -> String {
    let pieces = split_stars(text);
    let mut roles = vec![Role::Literal; pieces.len()];
    let mut openers: Vec<(usize, usize)> = Vec::new();
    for (idx, piece) in pieces.iter().enumerate() {
        let Piece::Stars {
            len,
            can_open,
            can_close,
        } = *piece
        else {
            continue;
        };
        // Runs longer than `***` have no meaning in the subset and print as typed.
        if len > 3 {
            continue;
        }
        if can_close && let Some(pos) = openers.iter().rposition(|&(_, l)| l == len) {
            roles[openers[pos].0] = Role::Open;
            roles[idx] = Role::Close;
            // Openers between the pair could only close across it, which would not nest;
            // they stay literal.
            openers.truncate(pos);
            continue;
        }
        if can_open {
            openers.push((idx, len));
        }
    }

    let mut out = String::with_capacity(text.len() + 16);
    // After `#strong[..]` typst would read a directly following `.x`, `(..)`, `[..]` or
    // `;` as part of the code expression; the first character of the text after it is
    // escaped so `**a**.pdf` stays text.
    let mut after_code = false;
    for (piece, role) in pieces.iter().zip(&roles) {
        match (piece, role) {
            (Piece::Text(t), _) => {
                let escaped = escape(t);
                if after_code && escaped.starts_with(['.', '(', '[', ';']) {
                    out.push('\\');
                }
                out.push_str(&escaped);
                after_code = false;
            }
            (Piece::Stars { len, .. }, Role::Open) => {
                out.push_str(match len {
                    1 => "#emph[",
                    2 => "#strong[",
                    _ => "#strong[#emph[",
                });
                after_code = false;
            }
            (Piece::Stars { len, .. }, Role::Close) => {
                out.push_str(if *len == 3 { "]]" } else { "]" });
                after_code = true;
            }
            (Piece::Stars { len, .. }, Role::Literal) => {
                out.push_str(&"\\*".repeat(*len));
                after_code = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters that must never appear unescaped in `escape` output, because each
    /// one starts typst syntax somewhere.
    const DANGEROUS: &[char] = &[
        '#', '$', '*', '_', '@', '<', '>', '[', ']', '`', '~', '/', '=', '-', '+', '\\',
    ];

    /// Asserts every dangerous character in `escaped` is preceded by a backslash that is
    /// itself not escaped, i.e. typst sees only escape sequences and plain text.
    fn assert_inert(escaped: &str) {
        let without_breaks = escaped.replace(TOKEN_BREAK, "");
        let escaped = without_breaks.as_str();
        let chars: Vec<char> = escaped.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '\\' {
                let next = chars.get(i + 1);
                assert!(
                    next.is_some_and(|n| !n.is_whitespace()),
                    "backslash without escaped char (a typst linebreak) in {escaped:?}"
                );
                i += 2;
                continue;
            }
            assert!(
                !DANGEROUS.contains(&chars[i]),
                "unescaped {:?} at {i} in {escaped:?}",
                chars[i]
            );
            assert!(
                !(chars[i] == '.' && chars.get(i + 1) == Some(&'.')),
                "unescaped `..` in {escaped:?}"
            );
            if chars[i] == '\n' {
                // Only whole paragraph breaks may appear, never a lone line start.
                assert!(
                    chars.get(i + 1) == Some(&'\n') && chars.get(i + 2) != Some(&'\n'),
                    "line break other than one paragraph break in {escaped:?}"
                );
                i += 2;
                continue;
            }
            i += 1;
        }
    }

    /// Undo `escape` as typst would print it: `\x` prints `x`, a [`TOKEN_BREAK`] prints
    /// nothing, whitespace folds.
    fn unescape(escaped: &str) -> String {
        let mut out = String::new();
        let without_breaks = escaped.replace(TOKEN_BREAK, "");
        let mut chars = without_breaks.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    const INJECTIONS: &[&str] = &[
        "#read(\"/etc/passwd\")",
        "#import \"/etc/x.typ\": *",
        "$x^2$",
        "*bold* and _emph_",
        "@ref and @label:x",
        "<label> and <a.b:c>",
        "]",
        "[unclosed",
        "// line comment",
        "/* block comment */",
        "*/",
        "\\",
        "C:\\Users\\x",
        "\\u{41}",
        "\\#",
        "= Heading",
        "== Sub",
        "- item",
        "+ item",
        "/ Term: description",
        "1. x",
        "12. x",
        "1.",
        "ISO 9001-2015",
        "a -- b --- c -? d",
        "wait...",
        "`raw` and ```rust fn```",
        "x~y",
        "https://example.com/a_b",
        "#set page(paper: \"a3\")",
        "#{panic()}",
        "#let x = 1;",
        "\\\n= after backslash newline",
    ];

    #[test]
    fn escape_table() {
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            ("#read(\"/etc\")", "\\#read(\"\\/etc\")"),
            (
                "#read(\"/etc/passwd\")",
                "\\##box();read(\"\\/#box();etc\\/#box();passwd\")",
            ),
            ("$5", "\\$5"),
            ("a*b_c", "a\\*b\\_c"),
            ("@john", "\\@john"),
            ("<label>", "\\<label\\>"),
            ("a]b[", "a\\]b\\["),
            ("// c", "\\/\\/ c"),
            ("/* c */", "\\/\\* c \\*\\/"),
            ("C:\\dir", "C:\\\\dir"),
            ("= Heading", "\\= Heading"),
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("1. x", "1\\. x"),
            ("v1.2", "v1.2"),
            ("end 2024.", "end 2024\\."),
            ("wait...", "wait\\.\\.\\."),
            ("a~b", "a\\~b"),
            ("`code`", "\\`code\\`"),
            ("it's \"quoted\"", "it's \"quoted\""),
            ("line one\nline two", "line one line two"),
            ("line one\r\n- two", "line one \\- two"),
            ("para one\n\npara two", "para one\n\npara two"),
            ("para one\n \n\n  1. two", "para one\n\n1\\. two"),
            ("a\u{2028}b", "a b"),
            ("tab\there", "tab\there"),
            ("ISO 9001-2015", "ISO 9001\\-2015"),
            ("http://x.y", "http:\\/\\/x.y"),
            // A long token may break after its punctuation; a short one, a space-separated
            // one or CJK text is left alone.
            (
                "G001-ASA-QDFM-91",
                "G001\\-#box();ASA\\-#box();QDFM\\-#box();91",
            ),
            ("G01-ASA-QDFM-91", "G01\\-ASA\\-QDFM\\-91"),
            ("see a.b c.d e.f g.h i", "see a.b c.d e.f g.h i"),
            (
                "记录www.example.com/x_y",
                "记录www.#box();example.#box();com\\/#box();x\\_#box();y",
            ),
            (
                "记录编号记录编号记录编号记录编号-1",
                "记录编号记录编号记录编号记录编号\\-1",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(escape(input), *expected, "escape({input:?})");
        }
    }

    #[test]
    fn injections_are_inert_and_print_literally() {
        for input in INJECTIONS {
            let escaped = escape(input);
            assert_inert(&escaped);
            // Whitespace aside, what typst prints is exactly the input.
            let folded: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
            let printed: String = unescape(&escaped)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(printed, folded, "for {input:?}");
        }
    }

    #[test]
    fn every_ascii_character_is_inert() {
        let all: String = (' '..='~').collect();
        let escaped = escape(&all);
        assert_inert(&escaped);
        assert_eq!(unescape(&escaped), all);
    }

    #[test]
    fn line_starts_never_survive() {
        // Every marker after every kind of line break: the output may only contain
        // paragraph breaks, and what follows them is escaped.
        for brk in [
            "\n", "\r\n", "\r", "\n\n", "\n \n", "\u{2028}", "\u{85}", "\x0C",
        ] {
            for marker in ["= h", "- l", "+ e", "/ t: d", "7. n", "  3. n"] {
                let text = format!("before{brk}{marker}");
                let escaped = escape(&text);
                assert_inert(&escaped);
                assert!(!escaped.contains(['\r', '\u{2028}', '\u{85}', '\x0C']));
            }
        }
    }

    #[test]
    fn escape_str_table() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("say \"hi\"", "say \\\"hi\\\""),
            ("C:\\x", "C:\\\\x"),
            ("a\nb\r\tc", "a\\nb\\r\\tc"),
            ("#read(\"/etc/passwd\")", "#read(\\\"/etc/passwd\\\")"),
            ("\u{0}\u{2028}", "\\u{0}\\u{2028}"),
            ("\\\"", "\\\\\\\""),
        ];
        for (input, expected) in cases {
            assert_eq!(escape_str(input), *expected, "escape_str({input:?})");
        }
    }

    #[test]
    fn escape_str_never_closes_the_literal() {
        for input in INJECTIONS.iter().chain(&["\"", "\\\"", "\\", "\"\"\\\\\""]) {
            let escaped = escape_str(input);
            // Scan like typst's string lexer: an unescaped quote would end the literal.
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        let n = chars.next();
                        assert!(
                            matches!(n, Some('\\' | '"' | 'n' | 'r' | 't' | 'u')),
                            "bad escape in {escaped:?}"
                        );
                    }
                    '"' | '\n' | '\r' => panic!("literal broken by {c:?} in {escaped:?}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn markdown_table() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("**bold** text", "#strong[bold] text"),
            ("an *italic* word", "an #emph[italic] word"),
            ("***both***", "#strong[#emph[both]]"),
            ("**a *b* c**", "#strong[a #emph[b] c]"),
            ("*a **b** c*", "#emph[a #strong[b] c]"),
            ("un*believ*able", "un#emph[believ]able"),
            ("5 * 3 * 2", "5 \\* 3 \\* 2"),
            ("**unclosed", "\\*\\*unclosed"),
            ("*unclosed", "\\*unclosed"),
            ("**a*", "\\*\\*a\\*"),
            ("****", "\\*\\*\\*\\*"),
            ("**file**.pdf", "#strong[file]\\.pdf"),
            ("**f**(x)", "#strong[f]\\(x)"),
            ("**a**;b", "#strong[a]\\;b"),
            ("**a**[b]", "#strong[a]\\[b\\]"),
            ("**#read(\"/x\")**", "#strong[\\#read(\"\\/x\")]"),
            ("one\ntwo", "one two"),
            ("one\n\ntwo", "one\n\ntwo"),
            ("# Title", "\\# Title"),
            ("- a\n- b", "- a\n- b"),
            ("* a\n* b", "- a\n- b"),
            ("1. a\n2. b\n3. c", "+ a\n+ b\n+ c"),
            ("1. a\n1. b", "+ a\n+ b"),
            ("3. a\n4. b", "3. a\n+ b"),
            ("- a\n  - b\n- c", "- a\n  - b\n- c"),
            ("1. a\n   - x\n2. b", "+ a\n  - x\n+ b"),
            ("- a\n      - deep", "- a\n  - deep"),
            (
                "- a\n  1. x\n  2. y\n- b\n  1. z",
                "- a\n  + x\n  + y\n- b\n  + z",
            ),
            ("- a\ncontinued", "- a continued"),
            ("Steps:\n- a\n- b", "Steps:\n\n- a\n- b"),
            ("in\n2024. it", "in 2024\\. it"),
            ("- **a** = 1", "- #strong[a] \\= 1"),
            ("- 1. x", "- 1\\. x"),
            ("-5 degrees", "\\-5 degrees"),
            ("*word*", "#emph[word]"),
            ("a | b", "a | b"),
            (
                "| A | B |\n|---|:-:|\n| 1 | *x* |",
                "#table(\n  columns: 2,\n  [#strong[A]], [#strong[B]],\n  [1], [#emph[x]],\n)",
            ),
            (
                "| A | B |\n| --- | --- |\n| only |\n| 1 | 2 | 3 |",
                "#table(\n  columns: 2,\n  [#strong[A]], [#strong[B]],\n  [only], [],\n  [1], [2],\n)",
            ),
            (
                "| a \\| b | ] |\n|-|-|",
                "#table(\n  columns: 2,\n  [#strong[a | b]], [#strong[\\]]],\n)",
            ),
            (
                "| not | a table |\n| x | y |",
                "| not | a table | | x | y |",
            ),
            (
                "Intro\n\n| H |\n|---|\n| v |\nafter",
                "Intro\n\n#table(\n  columns: 1,\n  [#strong[H]],\n  [v],\n)\n\nafter",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(markdown(input), *expected, "markdown({input:?})");
        }
    }

    #[test]
    fn markdown_only_emits_its_own_code() {
        for input in INJECTIONS {
            let rendered = markdown(input);
            let chars: Vec<char> = rendered.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '#' => {
                        let rest: String = chars[i..].iter().collect();
                        assert!(
                            ["#strong[", "#emph[", "#table(", TOKEN_BREAK]
                                .iter()
                                .any(|ok| rest.starts_with(ok)),
                            "{input:?} -> {rendered:?}"
                        );
                        i += 1;
                    }
                    c => {
                        assert!(
                            !['$', '@', '<', '>', '`', '~', '/', '='].contains(&c),
                            "unescaped {c:?}: {input:?} -> {rendered:?}"
                        );
                        i += 1;
                    }
                }
            }
        }
    }

    #[test]
    fn markdown_inline_text_is_escape_output() {
        // Without any Markdown syntax, a paragraph renders exactly like `escape`.
        for input in INJECTIONS {
            if input.contains('*') || input.contains('\n') || input.trim_start().starts_with('|') {
                continue;
            }
            if parse_list_line(input).is_some() {
                continue;
            }
            assert_eq!(markdown(input), escape(input.trim()), "{input:?}");
        }
    }

    #[test]
    fn markdown_handles_exotic_line_breaks_as_lines() {
        assert_eq!(markdown("- a\u{2028}- b"), "- a\n- b");
        assert_eq!(markdown("a\r\n\r\nb"), "a\n\nb");
        assert_eq!(markdown(""), "");
        assert_eq!(markdown("\n\n\n"), "");
    }
}
