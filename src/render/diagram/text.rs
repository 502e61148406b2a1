//! Text measurement and line breaking for box, lane and label texts.

use super::*;

/// Full-width characters: CJK ideographs, kana, hangul, full-width forms.
pub(super) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x20000..=0x3FFFD)
}

/// Advance width in em. There is no font file at layout time, so these are
/// estimates tuned to Noto Sans; the few very narrow or wide Latin letters
/// get their own value because long words of them wrap visibly wrong
/// otherwise.
pub(super) fn char_em(c: char) -> f64 {
    if is_wide(c) {
        return 1.0;
    }
    match c {
        ' ' | '\u{a0}' => 0.28,
        '0'..='9' => 0.56,
        'i' | 'j' | 'l' => 0.3,
        'm' => 0.9,
        'w' => 0.8,
        'a'..='z' => 0.55,
        'I' | 'J' => 0.32,
        'M' => 0.9,
        'W' => 0.95,
        'A'..='Z' => 0.65,
        '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.28,
        '(' | ')' | '[' | ']' | '{' | '}' | '/' | '\\' | '-' | '"' => 0.36,
        c if c.is_control() => 0.0,
        c if c.is_uppercase() => 0.68,
        _ => 0.6,
    }
}

pub(super) fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = s.chars().map(char_em).sum();
    em * size * if bold { 1.06 } else { 1.0 }
}

pub(super) struct Tok {
    pub(super) text: String,
    pub(super) space_before: bool,
}

pub(super) fn is_open_punct(c: char) -> bool {
    matches!(
        c,
        '（' | '「' | '『' | '【' | '《' | '〈' | '“' | '‘' | '(' | '[' | '{'
    )
}

pub(super) fn is_close_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '」'
            | '』'
            | '】'
            | '》'
            | '〉'
            | '”'
            | '’'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '%'
            | '…'
    )
}

/// Splits text into unbreakable pieces: Latin words, and single CJK
/// characters (CJK may break between any two characters). Punctuation is
/// glued so that no line starts with a closing mark or ends with an opening
/// one, as Chinese typesetting requires.
pub(super) fn tokenize(s: &str) -> Vec<Tok> {
    let mut atoms: Vec<Tok> = Vec::new();
    let mut cur: Option<Tok> = None;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if let Some(t) = cur.take() {
                atoms.push(t);
            }
            space = true;
            continue;
        }
        if c.is_control() {
            continue;
        }
        if is_wide(c) {
            if let Some(t) = cur.take() {
                atoms.push(t);
            }
            atoms.push(Tok {
                text: c.to_string(),
                space_before: space,
            });
            space = false;
        } else if let Some(t) = cur.as_mut() {
            t.text.push(c);
        } else {
            cur = Some(Tok {
                text: c.to_string(),
                space_before: space,
            });
            space = false;
        }
    }
    if let Some(t) = cur.take() {
        atoms.push(t);
    }
    let mut out: Vec<Tok> = Vec::with_capacity(atoms.len());
    let mut glue_next = false;
    for a in atoms {
        let starts_closing = a.text.chars().next().is_some_and(is_close_punct);
        let glue = !a.space_before && (starts_closing || glue_next);
        match out.last_mut() {
            Some(last) if glue => last.text.push_str(&a.text),
            _ => out.push(a),
        }
        glue_next = out
            .last()
            .and_then(|t| t.text.chars().last())
            .is_some_and(is_open_punct);
    }
    out
}

/// Breaks measured tokens into lines no wider than `max_w`; a token wider
/// than a line is split by character. Returns the line count and, when
/// `out` is given, the lines themselves (the count-only mode keeps the
/// balancing search below allocation-free).
pub(super) fn break_lines(
    toks: &[(Tok, f64)],
    max_w: f64,
    sp: f64,
    size: f64,
    bold: bool,
    mut out: Option<&mut Vec<String>>,
) -> usize {
    let mut count = 0;
    let mut line = String::new();
    let mut lw = 0.0;
    let mut empty = true;
    let mut flush = |line: &mut String, out: &mut Option<&mut Vec<String>>| {
        count += 1;
        let taken = std::mem::take(line);
        if let Some(o) = out.as_mut() {
            o.push(taken);
        }
    };
    for (tok, tw) in toks {
        let gap = if tok.space_before && !empty { sp } else { 0.0 };
        if !empty && lw + gap + tw > max_w + 1e-9 {
            flush(&mut line, &mut out);
            lw = 0.0;
            empty = true;
        }
        if empty && *tw > max_w + 1e-9 {
            for c in tok.text.chars() {
                let mut buf = [0u8; 4];
                let cw = text_width(c.encode_utf8(&mut buf), size, bold);
                if !empty && lw + cw > max_w + 1e-9 {
                    flush(&mut line, &mut out);
                    lw = 0.0;
                }
                if out.is_some() {
                    line.push(c);
                }
                lw += cw;
                empty = false;
            }
            continue;
        }
        if !empty && tok.space_before {
            if out.is_some() {
                line.push(' ');
            }
            lw += sp;
        }
        if out.is_some() {
            line.push_str(&tok.text);
        }
        lw += tw;
        empty = false;
    }
    if !empty {
        flush(&mut line, &mut out);
    }
    count
}

/// Wraps text to `max_w`, then narrows the measure as far as possible
/// without adding a line, so that a two-line label reads as two similar
/// lines instead of a full line followed by a stray word.
pub(super) fn wrap(s: &str, max_w: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for para in measure(s, size, bold) {
        wrap_measured(&para, max_w, size, bold, &mut lines);
    }
    lines
}

/// Tokenizes and measures each paragraph once, so that callers trying
/// several measures (decision diamonds) only repeat the cheap breaking.
pub(super) fn measure(s: &str, size: f64, bold: bool) -> Vec<Vec<(Tok, f64)>> {
    s.split('\n')
        .map(|para| {
            tokenize(para)
                .into_iter()
                .map(|t| {
                    let w = text_width(&t.text, size, bold);
                    (t, w)
                })
                .collect()
        })
        .collect()
}

pub(super) fn wrap_measured(
    toks: &[(Tok, f64)],
    max_w: f64,
    size: f64,
    bold: bool,
    out: &mut Vec<String>,
) {
    let sp = text_width(" ", size, bold);
    let n = break_lines(toks, max_w, sp, size, bold, None);
    let mut hi = max_w;
    if n > 1 {
        // Never narrower than the widest word: balancing must not start
        // splitting words that fit at the full measure.
        let widest_tok = toks.iter().map(|t| t.1).fold(0.0, f64::max).min(max_w);
        let mut lo = (max_w * 0.4).max(widest_tok);
        // Seven halvings resolve the measure to well under a point, which
        // is finer than the width estimate itself.
        for _ in 0..7 {
            let mid = (lo + hi) / 2.0;
            if break_lines(toks, mid, sp, size, bold, None) <= n {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    break_lines(toks, hi, sp, size, bold, Some(out));
}

/// A text line before it has a position.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) text: String,
    pub(super) bold: bool,
    pub(super) secondary: bool,
}

pub(super) fn widest(lines: &[Line], size: f64) -> f64 {
    lines
        .iter()
        .map(|l| text_width(&l.text, size, l.bold))
        .fold(0.0, f64::max)
}

/// A node's text, measured but not yet wrapped: (paragraphs, bold,
/// secondary language) in print order, the step number first.
pub(super) type Prepared = Vec<(Vec<Vec<(Tok, f64)>>, bool, bool)>;

pub(super) fn prepare(node: &Node, fs: f64) -> Prepared {
    let mut out = Vec::new();
    if !node.kind.is_bar()
        && let Some(num) = node.number.as_deref()
        && !num.trim().is_empty()
    {
        out.push((measure(num.trim(), fs, true), true, false));
    }
    for (i, lang) in node.label.iter().enumerate() {
        out.push((measure(lang, fs, false), false, i > 0));
    }
    out
}

/// Number (bold) first, then every language on its own lines.
pub(super) fn content_lines(prep: &Prepared, wrap_w: f64, fs: f64) -> Vec<Line> {
    let mut out = Vec::new();
    let mut texts = Vec::new();
    for (paras, bold, secondary) in prep {
        texts.clear();
        for para in paras {
            wrap_measured(para, wrap_w, fs, *bold, &mut texts);
        }
        out.extend(texts.drain(..).map(|text| Line {
            text,
            bold: *bold,
            secondary: *secondary,
        }));
    }
    out
}

/// Places a block of lines centred on (cx, cy).
pub(super) fn place_lines(lines: &[Line], cx: f64, cy: f64, size: f64, lh: f64) -> Vec<TextLine> {
    let top = cy - lines.len() as f64 * lh / 2.0;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| TextLine {
            text: l.text.clone(),
            x: cx,
            // 0.35 em below the line centre puts both Latin capitals and CJK
            // ideographs visually centred on the line.
            y: top + (i as f64 + 0.5) * lh + 0.35 * size,
            size,
            bold: l.bold,
            secondary: l.secondary,
        })
        .collect()
}

/// The size at which every unbreakable piece of `prep` (measured at `fs`) fits `width`:
/// `fs` when they already do, else smaller, but never below `min`, the smallest size
/// still legible in print. Only a piece too wide even at `min` is ever broken inside.
pub(super) fn fitting_size(prep: &Prepared, width: f64, fs: f64, min: f64) -> f64 {
    let widest = prep
        .iter()
        .flat_map(|(paras, _, _)| paras.iter().flatten())
        .map(|(_, w)| *w)
        .fold(0.0, f64::max);
    if widest <= width || widest <= 0.0 {
        fs
    } else {
        (fs * width / widest).max(min.min(fs))
    }
}
