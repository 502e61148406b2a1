//! Where the words of a PDF are printed: a small interpreter of PDF content streams (text
//! state, graphics state, form XObjects) that gives each word its box on the page, from the
//! fonts' own advance widths. Enough for the PDFs typst writes; not a general PDF reader.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

/// A word as printed: its text and box in points, origin at the top left of the page.
#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    pub text: String,
    /// Font size as printed (the size times the text's scale), in points.
    pub size: f64,
    /// Printed inside a drawing embedded as an image (a flowchart page), not by the page's
    /// own text: typst places its own text unscaled, an image scaled to its frame, or as a
    /// form XObject.
    pub in_drawing: bool,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Word {
    fn area(&self) -> f64 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }
}

/// The size of a page in points.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    pub width: f64,
    pub height: f64,
}

/// Every word of every page (pages numbered from 1) and each page's size.
pub fn words(path: &Path) -> (Vec<PageSize>, Vec<Word>) {
    let doc = Document::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut sizes = Vec::new();
    let mut out = Vec::new();
    for (number, id) in doc.get_pages() {
        let page = doc.get_dictionary(id).unwrap();
        let media = inherited(&doc, id, b"MediaBox")
            .and_then(|b| numbers(&doc, b))
            .unwrap_or_else(|| vec![0.0, 0.0, 595.0, 842.0]);
        let size = PageSize {
            width: media[2] - media[0],
            height: media[3] - media[1],
        };
        sizes.push(size);
        let resources = inherited(&doc, id, b"Resources")
            .and_then(|r| deref(&doc, r).as_dict().ok())
            .cloned()
            .unwrap_or_default();
        let _ = page;
        let content = doc.get_page_content(id);
        let mut run = Interpreter {
            doc: &doc,
            page: number as usize,
            flip: [1.0, 0.0, 0.0, -1.0, -media[0], media[3]],
            fonts: HashMap::new(),
            words: Vec::new(),
            depth: 0,
        };
        run.stream(&content, &resources, IDENTITY);
        out.extend(run.words);
    }
    (sizes, out)
}

/// What is wrong with the text of one PDF: pairs of words that overprint each other, and
/// words that leave the page. Text of 40 pt and more (the draft watermark, meant to lie
/// behind the text) is left out, and so is the text of drawings unless `drawings`.
pub fn text_faults(path: &Path, drawings: bool) -> Vec<String> {
    let (sizes, words) = words(path);
    let words: Vec<Word> = words
        .into_iter()
        .filter(|w| w.size < 40.0 && (drawings || !w.in_drawing))
        .collect();
    let mut faults = Vec::new();
    for w in &words {
        let page = sizes[w.page - 1];
        let tol = 0.5;
        if w.x0 < -tol || w.y0 < -tol || w.x1 > page.width + tol || w.y1 > page.height + tol {
            faults.push(format!(
                "page {}: “{}” leaves the page (box {:.1},{:.1}–{:.1},{:.1}, page {:.0}×{:.0})",
                w.page, w.text, w.x0, w.y0, w.x1, w.y1, page.width, page.height
            ));
        }
    }
    let mut by_page: HashMap<usize, Vec<&Word>> = HashMap::new();
    for w in &words {
        by_page.entry(w.page).or_default().push(w);
    }
    let mut pages: Vec<_> = by_page.into_iter().collect();
    pages.sort_by_key(|(p, _)| *p);
    for (page, mut list) in pages {
        list.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if b.x0 >= a.x1 {
                    break;
                }
                if overprint(a, b) {
                    faults.push(format!(
                        "page {page}: “{}” ({:.1},{:.1}–{:.1},{:.1}) and “{}” ({:.1},{:.1}–{:.1},{:.1}) overprint",
                        a.text, a.x0, a.y0, a.x1, a.y1, b.text, b.x0, b.y0, b.x1, b.y1
                    ));
                }
            }
        }
    }
    faults
}

/// Two words overprint when their boxes share more than a sliver: a fifth of the smaller
/// box. Touching boxes and the slight overhang of kerned or compressed punctuation do not
/// count.
fn overprint(a: &Word, b: &Word) -> bool {
    let w = a.x1.min(b.x1) - a.x0.max(b.x0);
    let h = a.y1.min(b.y1) - a.y0.max(b.y0);
    if w <= 0.3 || h <= 0.3 {
        return false;
    }
    w * h > 0.2 * a.area().min(b.area())
}

/// A PDF matrix `[a b c d e f]`: a point `(x, y)` maps to `(a x + c y + e, b x + d y + f)`.
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` then `n`.
fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// How much a matrix enlarges areas, as a length factor.
fn scale(m: &Matrix) -> f64 {
    (m[0] * m[3] - m[1] * m[2]).abs().sqrt()
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

fn num(o: &Object) -> f64 {
    o.as_float().map(f64::from).unwrap_or(0.0)
}

fn numbers(doc: &Document, o: &Object) -> Option<Vec<f64>> {
    deref(doc, o)
        .as_array()
        .ok()
        .map(|a| a.iter().map(|x| num(deref(doc, x))).collect())
}

/// A page attribute, looked up the page tree (MediaBox and Resources are inheritable).
fn inherited<'a>(doc: &'a Document, mut id: ObjectId, key: &[u8]) -> Option<&'a Object> {
    for _ in 0..32 {
        let dict = doc.get_dictionary(id).ok()?;
        if let Ok(v) = dict.get(key) {
            return Some(v);
        }
        id = dict.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// What the interpreter needs of a font: the advance of each code and its text.
struct Font {
    /// Codes are two bytes (Identity-H composite fonts) rather than one.
    two_byte: bool,
    widths: HashMap<u32, f64>,
    default_width: f64,
    /// Glyph space to text space (1/1000 except for Type3 fonts).
    scale: f64,
    unicode: HashMap<u32, String>,
}

impl Font {
    fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .unwrap_or(b"");
        let mut font = Font {
            two_byte: subtype == b"Type0",
            widths: HashMap::new(),
            default_width: 0.0,
            scale: 0.001,
            unicode: dict
                .get(b"ToUnicode")
                .ok()
                .and_then(|o| deref(doc, o).as_stream().ok())
                .and_then(|s| {
                    s.decompressed_content()
                        .ok()
                        .or_else(|| Some(s.content.clone()))
                })
                .map(|bytes| to_unicode(&bytes))
                .unwrap_or_default(),
        };
        if font.two_byte {
            let descendant = dict
                .get(b"DescendantFonts")
                .ok()
                .and_then(|o| deref(doc, o).as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| deref(doc, o).as_dict().ok());
            if let Some(cid) = descendant {
                font.default_width = cid.get(b"DW").map(num).unwrap_or(1000.0);
                if let Some(w) = cid
                    .get(b"W")
                    .ok()
                    .and_then(|o| deref(doc, o).as_array().ok())
                {
                    let mut i = 0;
                    while i + 1 < w.len() {
                        let first = num(deref(doc, &w[i])) as u32;
                        match deref(doc, &w[i + 1]) {
                            Object::Array(list) => {
                                for (k, x) in list.iter().enumerate() {
                                    font.widths.insert(first + k as u32, num(deref(doc, x)));
                                }
                                i += 2;
                            }
                            last if i + 2 < w.len() => {
                                let last = num(last) as u32;
                                let width = num(deref(doc, &w[i + 2]));
                                for c in first..=last {
                                    font.widths.insert(c, width);
                                }
                                i += 3;
                            }
                            _ => break,
                        }
                    }
                }
            }
        } else {
            if let Some(m) = dict.get(b"FontMatrix").ok().and_then(|m| numbers(doc, m)) {
                font.scale = m[0];
            }
            let first = dict.get(b"FirstChar").map(num).unwrap_or(0.0) as u32;
            if let Some(w) = dict.get(b"Widths").ok().and_then(|o| numbers(doc, o)) {
                for (k, x) in w.into_iter().enumerate() {
                    font.widths.insert(first + k as u32, x);
                }
            }
        }
        font
    }

    fn codes(&self, bytes: &[u8]) -> Vec<u32> {
        if self.two_byte {
            bytes
                .chunks(2)
                .map(|c| (u32::from(c[0]) << 8) | u32::from(*c.get(1).unwrap_or(&0)))
                .collect()
        } else {
            bytes.iter().map(|&b| u32::from(b)).collect()
        }
    }

    fn width(&self, code: u32) -> f64 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            * self.scale
    }

    fn text(&self, code: u32) -> String {
        self.unicode
            .get(&code)
            .cloned()
            .unwrap_or_else(|| char::from_u32(code).map(String::from).unwrap_or_default())
    }
}

/// The `bfchar` and `bfrange` entries of a ToUnicode CMap.
fn to_unicode(bytes: &[u8]) -> HashMap<u32, String> {
    let text = String::from_utf8_lossy(bytes);
    let hex = |s: &str| u32::from_str_radix(s.trim_matches(['<', '>']), 16).ok();
    let utf16 = |s: &str| {
        let s = s.trim_matches(['<', '>']);
        let units: Vec<u16> = (0..s.len() / 4)
            .filter_map(|i| u16::from_str_radix(&s[i * 4..i * 4 + 4], 16).ok())
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut map = HashMap::new();
    let mut section = "";
    for line in text.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") {
            section = "char";
            continue;
        }
        if line.ends_with("beginbfrange") {
            section = "range";
            continue;
        }
        if line.starts_with("end") {
            section = "";
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match (section, tokens.as_slice()) {
            ("char", [code, text]) => {
                if let Some(c) = hex(code) {
                    map.insert(c, utf16(text));
                }
            }
            ("range", [lo, hi, start]) if start.starts_with('<') => {
                if let (Some(lo), Some(hi), Some(start)) = (hex(lo), hex(hi), hex(start)) {
                    for c in lo..=hi.min(lo + 0xFFFF) {
                        if let Some(ch) = char::from_u32(start + (c - lo)) {
                            map.insert(c, ch.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    map
}

#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<ObjectId>,
    font_key: Vec<u8>,
    size: f64,
    char_space: f64,
    word_space: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

struct Interpreter<'a> {
    doc: &'a Document,
    page: usize,
    /// PDF user space (origin bottom left) to top-left page coordinates.
    flip: Matrix,
    fonts: HashMap<(Option<ObjectId>, Vec<u8>), Font>,
    words: Vec<Word>,
    depth: usize,
}

impl Interpreter<'_> {
    fn stream(&mut self, content: &[u8], resources: &Dictionary, ctm: Matrix) {
        if self.depth > 16 {
            return;
        }
        let Ok(content) = Content::decode(content) else {
            return;
        };
        let mut st = State {
            ctm,
            font: None,
            font_key: Vec::new(),
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        for op in &content.operations {
            let n = |i: usize| op.operands.get(i).map(num).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" => stack.push(st.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        st = s;
                    }
                }
                "cm" => st.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &st.ctm),
                "BT" | "ET" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    st.font_key = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .unwrap_or(b"")
                        .to_vec();
                    st.font = None;
                    st.size = n(1);
                    self.font_of(resources, &mut st);
                }
                "Tc" => st.char_space = n(0),
                "Tw" => st.word_space = n(0),
                "Tz" => st.scale = n(0) / 100.0,
                "TL" => st.leading = n(0),
                "Ts" => st.rise = n(0),
                "Td" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                "TD" => {
                    st.leading = -n(1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" => {
                    if op.operator != "Tj" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(Object::String(bytes, _)) = op.operands.last() {
                        self.show(
                            &st,
                            &mut tm,
                            &[Object::String(bytes.clone(), lopdf::StringFormat::Literal)],
                        );
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(parts)) = op.operands.first() {
                        self.show(&st, &mut tm, parts);
                    }
                }
                "Do" => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some(xobject) = resources
                        .get(b"XObject")
                        .ok()
                        .and_then(|o| deref(self.doc, o).as_dict().ok())
                        .and_then(|d| d.get(name).ok())
                        .and_then(|o| deref(self.doc, o).as_stream().ok())
                    else {
                        continue;
                    };
                    if xobject.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Form")
                    {
                        continue;
                    }
                    let matrix = xobject
                        .dict
                        .get(b"Matrix")
                        .ok()
                        .and_then(|m| numbers(self.doc, m))
                        .filter(|m| m.len() == 6)
                        .map(|m| [m[0], m[1], m[2], m[3], m[4], m[5]])
                        .unwrap_or(IDENTITY);
                    let inner = xobject
                        .dict
                        .get(b"Resources")
                        .ok()
                        .and_then(|o| deref(self.doc, o).as_dict().ok())
                        .cloned()
                        .unwrap_or_else(|| resources.clone());
                    let bytes = xobject
                        .decompressed_content()
                        .unwrap_or_else(|_| xobject.content.clone());
                    self.depth += 1;
                    self.stream(&bytes, &inner, mul(&matrix, &st.ctm));
                    self.depth -= 1;
                }
                _ => {}
            }
        }
    }

    fn font_of(&mut self, resources: &Dictionary, st: &mut State) {
        let reference = resources
            .get(b"Font")
            .ok()
            .and_then(|o| deref(self.doc, o).as_dict().ok())
            .and_then(|d| d.get(&st.font_key).ok());
        let id = reference.and_then(|o| o.as_reference().ok());
        st.font = id;
        let key = (id, st.font_key.clone());
        if !self.fonts.contains_key(&key)
            && let Some(dict) = reference.and_then(|o| deref(self.doc, o).as_dict().ok())
        {
            let font = Font::load(self.doc, dict);
            self.fonts.insert(key, font);
        }
    }

    /// Prints the strings and adjustments of a `TJ` array, splitting it into words at spaces
    /// and at gaps wider than a fifth of the font size.
    fn show(&mut self, st: &State, tm: &mut Matrix, parts: &[Object]) {
        let Some(font) = self.fonts.get(&(st.font, st.font_key.clone())) else {
            return;
        };
        let mut word: Option<Word> = None;
        let mut finished = Vec::new();
        for part in parts {
            match part {
                Object::String(bytes, _) => {
                    for code in font.codes(bytes) {
                        let w0 = font.width(code);
                        let text = font.text(code);
                        let space = text.chars().all(char::is_whitespace);
                        let trm = mul(
                            &mul(&[st.size * st.scale, 0.0, 0.0, st.size, 0.0, st.rise], tm),
                            &mul(&st.ctm, &self.flip),
                        );
                        let printed = (trm[0] * trm[3] - trm[1] * trm[2]).abs().sqrt();
                        if space {
                            finished.extend(word.take());
                        } else {
                            // Glyph box: the advance across, from just under the baseline to
                            // about the cap height, in glyph units (the font size).
                            let corners = [(0.0, -0.1), (w0, -0.1), (0.0, 0.75), (w0, 0.75)]
                                .map(|(x, y)| apply(&trm, x, y));
                            let x0 = corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
                            let x1 = corners
                                .iter()
                                .map(|c| c.0)
                                .fold(f64::NEG_INFINITY, f64::max);
                            let y0 = corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
                            let y1 = corners
                                .iter()
                                .map(|c| c.1)
                                .fold(f64::NEG_INFINITY, f64::max);
                            match &mut word {
                                Some(w) => {
                                    w.text.push_str(&text);
                                    w.x0 = w.x0.min(x0);
                                    w.x1 = w.x1.max(x1);
                                    w.y0 = w.y0.min(y0);
                                    w.y1 = w.y1.max(y1);
                                }
                                None => {
                                    word = Some(Word {
                                        page: self.page,
                                        text,
                                        size: printed,
                                        in_drawing: self.depth > 0
                                            || (scale(&st.ctm) - 1.0).abs() > 1e-3,
                                        x0,
                                        y0,
                                        x1,
                                        y1,
                                    })
                                }
                            }
                        }
                        let mut advance = w0 * st.size + st.char_space;
                        if space && !font.two_byte && code == 32 {
                            advance += st.word_space;
                        }
                        *tm = mul(&[1.0, 0.0, 0.0, 1.0, advance * st.scale, 0.0], tm);
                    }
                }
                other => {
                    let adjust = num(other);
                    if -adjust / 1000.0 > 0.2 {
                        finished.extend(word.take());
                    }
                    *tm = mul(
                        &[
                            1.0,
                            0.0,
                            0.0,
                            1.0,
                            -adjust / 1000.0 * st.size * st.scale,
                            0.0,
                        ],
                        tm,
                    );
                }
            }
        }
        finished.extend(word);
        self.words.extend(finished);
    }
}
