//! Swimlane flowchart layout and SVG writer for controlled procedures.
//!
//! The layout is grid based rather than a general-purpose graph router:
//! procedure charts are mostly sequential, a grid of lane columns and rank
//! rows is what readers of ISO procedure manuals expect, and a grid lets every
//! edge be routed with a handful of free-channel checks, so even large charts
//! lay out in well under a millisecond per node.
//!
//! Grid vocabulary used throughout:
//! * a *lane* is a vertical column; inside it a node box sits in the middle
//!   and the free strips on either side are *corridors* that only edges use;
//! * a *row* is a horizontal band holding at most one node per lane;
//! * a *gap* is the box-free band above a row (gap `r` is above row `r`,
//!   gap `rows` is the bottom margin); horizontal edge runs live in gaps on
//!   numbered *tracks* so that unrelated edges never share a line.

use std::collections::HashMap;
use std::fmt::{self, Write as _};

// ---------------------------------------------------------------- input --

/// A procedure flowchart: lanes (responsible functions), steps and flows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub lanes: Vec<Lane>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A swimlane; `label` holds one line per language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lane {
    pub id: String,
    pub label: Vec<String>,
}

/// Flowchart symbol of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// Rounded terminator showing the trigger.
    Start,
    /// Process box with step number and title.
    Task,
    /// Diamond with a question.
    Decision,
    /// Thick bar splitting the flow into parallel branches.
    Fork,
    /// Thick bar where parallel branches meet.
    Join,
    /// Rounded terminator showing the outcome.
    End,
    /// Box with double side lines: calls another procedure.
    Call,
}

impl NodeKind {
    fn is_bar(self) -> bool {
        matches!(self, NodeKind::Fork | NodeKind::Join)
    }
}

/// A step; nodes are given in flow order, `lane` indexes `Chart::lanes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub lane: usize,
    pub number: Option<String>,
    pub label: Vec<String>,
}

/// A flow between two nodes; `label` holds decision outcomes per language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Vec<String>,
}

/// Page-related drawing parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Maximum drawing width (the chart always uses the full width).
    pub width_pt: f64,
    /// CSS font-family list written on the SVG root.
    pub font_family: String,
    /// Base font size; every other measure scales with it.
    pub font_size_pt: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width_pt: 481.0,
            font_family: "Noto Sans, Noto Sans CJK SC".to_string(),
            font_size_pt: 7.5,
        }
    }
}

/// Something in the input that the layout had to ignore or repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutIssue {
    /// A later node reused an id; edges resolve to the first node.
    DuplicateNodeId(String),
    /// The node was drawn in the last lane instead.
    LaneOutOfRange { node: String, lane: usize },
    /// The edge was dropped because `missing` names no node.
    UnknownNode {
        from: String,
        to: String,
        missing: String,
    },
    /// A style field was unusable and a default was used.
    InvalidStyle(&'static str),
}

impl fmt::Display for LayoutIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutIssue::DuplicateNodeId(id) => write!(f, "duplicate node id `{id}`"),
            LayoutIssue::LaneOutOfRange { node, lane } => {
                write!(f, "node `{node}` refers to missing lane {lane}")
            }
            LayoutIssue::UnknownNode { from, to, missing } => {
                write!(
                    f,
                    "edge `{from}` -> `{to}` refers to unknown node `{missing}`"
                )
            }
            LayoutIssue::InvalidStyle(field) => write!(f, "invalid style value `{field}`"),
        }
    }
}

// --------------------------------------------------------------- output --

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    /// Interior overlap; rectangles that merely touch do not intersect.
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x < o.right() - 1e-6
            && o.x < self.right() - 1e-6
            && self.y < o.bottom() - 1e-6
            && o.y < self.bottom() - 1e-6
    }
    fn inflate(&self, d: f64) -> Rect {
        Rect {
            x: self.x - d,
            y: self.y - d,
            w: self.w + 2.0 * d,
            h: self.h + 2.0 * d,
        }
    }
}

/// One line of text; `x` is the centre, `y` the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub text: String,
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub bold: bool,
    /// Lines of the second and further languages are printed in dark grey.
    pub secondary: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LaneColumn {
    pub id: String,
    pub x: f64,
    pub w: f64,
    /// Header lines, positioned inside the header band at the top.
    pub lines: Vec<TextLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacedNode {
    pub id: String,
    pub kind: NodeKind,
    pub lane: usize,
    pub rank: usize,
    pub row: usize,
    /// Bounding box; for a decision the diamond's vertices touch its sides.
    pub rect: Rect,
    pub lines: Vec<TextLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLabel {
    pub rect: Rect,
    pub lines: Vec<TextLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutedEdge {
    pub from: String,
    pub to: String,
    /// Orthogonal polyline from the source border to the target border.
    pub points: Vec<Point>,
    /// True when the edge leads to an earlier node in the input order.
    pub loop_back: bool,
    pub label: Option<PlacedLabel>,
    from_idx: usize,
    to_idx: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Band {
    y: f64,
    h: f64,
}

/// Positioned boxes and routed edges, ready to be written as SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    width: f64,
    height: f64,
    header_h: f64,
    font_family: String,
    font_size: f64,
    lanes: Vec<LaneColumn>,
    nodes: Vec<PlacedNode>,
    edges: Vec<RoutedEdge>,
    rows: Vec<Band>,
    /// `gaps[r]` is the band above row `r`; the last one is the bottom margin.
    gaps: Vec<Band>,
    row_starts_rank: Vec<bool>,
    issues: Vec<LayoutIssue>,
}

// --------------------------------------------------------- measurements --

/// Visual constants derived from the font size so that a larger font keeps
/// the proportions of the drawing.
#[derive(Debug, Clone)]
struct Metrics {
    width: f64,
    fs: f64,
    lh: f64,
    pad_x: f64,
    pad_y: f64,
    label_fs: f64,
    label_lh: f64,
    family: String,
}

impl Metrics {
    fn new(style: &Style, issues: &mut Vec<LayoutIssue>) -> Metrics {
        let width = if style.width_pt.is_finite() && style.width_pt > 0.0 {
            // Below ~40 pt nothing is legible; above 100k pt numbers lose
            // precision in the two-decimal SVG output.
            style.width_pt.clamp(40.0, 100_000.0)
        } else {
            issues.push(LayoutIssue::InvalidStyle("width_pt"));
            481.0
        };
        let fs = if style.font_size_pt.is_finite() && style.font_size_pt > 0.0 {
            style.font_size_pt.clamp(2.0, 72.0)
        } else {
            issues.push(LayoutIssue::InvalidStyle("font_size_pt"));
            7.5
        };
        let label_fs = fs * 0.88;
        Metrics {
            width,
            fs,
            lh: fs * 1.22,
            pad_x: fs * 0.55,
            pad_y: fs * 0.5,
            label_fs,
            label_lh: label_fs * 1.18,
            family: style.font_family.clone(),
        }
    }
    fn stroke_gap_top(&self) -> f64 {
        self.fs * 0.8
    }
    fn stroke_gap_bottom(&self) -> f64 {
        self.fs * 1.25
    }
    fn track_sp(&self) -> f64 {
        self.fs * 0.55
    }
    fn bar_thickness(&self) -> f64 {
        (self.fs * 0.45).max(2.5)
    }
}

/// Full-width characters: CJK ideographs, kana, hangul, full-width forms.
fn is_wide(c: char) -> bool {
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
fn char_em(c: char) -> f64 {
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

fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = s.chars().map(char_em).sum();
    em * size * if bold { 1.06 } else { 1.0 }
}

struct Tok {
    text: String,
    space_before: bool,
}

fn is_open_punct(c: char) -> bool {
    matches!(
        c,
        '（' | '「' | '『' | '【' | '《' | '〈' | '“' | '‘' | '(' | '[' | '{'
    )
}

fn is_close_punct(c: char) -> bool {
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
fn tokenize(s: &str) -> Vec<Tok> {
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
fn break_lines(
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
fn wrap(s: &str, max_w: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for para in measure(s, size, bold) {
        wrap_measured(&para, max_w, size, bold, &mut lines);
    }
    lines
}

/// Tokenizes and measures each paragraph once, so that callers trying
/// several measures (decision diamonds) only repeat the cheap breaking.
fn measure(s: &str, size: f64, bold: bool) -> Vec<Vec<(Tok, f64)>> {
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

fn wrap_measured(toks: &[(Tok, f64)], max_w: f64, size: f64, bold: bool, out: &mut Vec<String>) {
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
struct Line {
    text: String,
    bold: bool,
    secondary: bool,
}

fn widest(lines: &[Line], size: f64) -> f64 {
    lines
        .iter()
        .map(|l| text_width(&l.text, size, l.bold))
        .fold(0.0, f64::max)
}

/// A node's text, measured but not yet wrapped: (paragraphs, bold,
/// secondary language) in print order, the step number first.
type Prepared = Vec<(Vec<Vec<(Tok, f64)>>, bool, bool)>;

fn prepare(node: &Node, fs: f64) -> Prepared {
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
fn content_lines(prep: &Prepared, wrap_w: f64, fs: f64) -> Vec<Line> {
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
fn place_lines(lines: &[Line], cx: f64, cy: f64, size: f64, lh: f64) -> Vec<TextLine> {
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

// ------------------------------------------------------------- geometry --

/// Horizontal geometry shared by all rows.
#[derive(Debug, Clone)]
struct Geo {
    nl: usize,
    lane_w: f64,
    box_w: f64,
    ml: f64,
    mr: f64,
    first: f64,
    sp: f64,
    cap_l: usize,
    cap_r: usize,
}

impl Geo {
    fn new(m: &Metrics, nl: usize) -> Geo {
        let lane_w = m.width / nl as f64;
        // Wide lanes would give long, shallow boxes that read poorly, so
        // the box width is capped and the spare room goes to the corridors.
        let box_w = (lane_w * 0.76).min(m.fs * 26.0);
        let spare = lane_w - box_w;
        // The right corridor carries loop-backs and decision exits, so it
        // gets a little more room than the left one.
        let ml = spare / 2.0 - (spare * 0.08).min(m.fs * 0.5);
        let mr = spare - ml;
        let sp = m.track_sp();
        let first = (m.fs * 0.85).min(mr * 0.5).min(ml * 0.5);
        let cap = |c: f64| -> usize {
            let room = c - first - 1.5;
            if room > 0.0 {
                ((room / sp).floor() as usize + 1).min(64)
            } else {
                1
            }
        };
        Geo {
            nl,
            lane_w,
            box_w,
            ml,
            mr,
            first,
            sp,
            cap_l: cap(ml),
            cap_r: cap(mr),
        }
    }
    fn lane_x(&self, l: usize) -> f64 {
        l as f64 * self.lane_w
    }
    fn box_left(&self, l: usize) -> f64 {
        self.lane_x(l) + self.ml
    }
    fn box_right(&self, l: usize) -> f64 {
        self.box_left(l) + self.box_w
    }
    fn cx(&self, l: usize) -> f64 {
        self.box_left(l) + self.box_w / 2.0
    }
    fn cap(&self, side: Side) -> usize {
        if side == Side::Left {
            self.cap_l
        } else {
            self.cap_r
        }
    }
    fn cor_x(&self, l: usize, side: Side, t: usize) -> f64 {
        let off = self.first + self.sp * t as f64;
        if side == Side::Left {
            self.box_left(l) - off.min(self.ml - 0.5)
        } else {
            self.box_right(l) + off.min(self.mr - 0.5)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// Abstract y coordinate: rows and gap tracks get their real positions only
/// after routing has decided how many tracks each gap needs.
#[derive(Debug, Clone, Copy)]
enum Ay {
    Top(usize),
    Bottom(usize),
    Mid(usize),
    MidOff(usize, f64),
    Gap(usize, usize),
}

type APt = (f64, Ay);

/// Ordering key for vertical extents: it interleaves gaps and rows and
/// resolves gap tracks, so that two vertical runs on the same x can be
/// tested for overlap before any real y is known.
const BIG: u64 = 1 << 20;

fn lvl_row(r: usize) -> u64 {
    (2 * r as u64 + 1) * BIG
}
fn lvl_gap(g: usize, t: usize) -> u64 {
    2 * g as u64 * BIG + 1 + (t as u64).min(BIG / 2)
}
fn lvl_gap_start(g: usize) -> u64 {
    2 * g as u64 * BIG
}
fn lvl_gap_end(g: usize) -> u64 {
    2 * g as u64 * BIG + BIG / 2 + 2
}

/// Identity of an attachment point; runs that share their start or end
/// point may overlap because they visibly belong together (a fan-out from
/// one box or a merge into one box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PortKey {
    node: usize,
    side: Side,
    xq: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Chan {
    Center(usize),
    Cor(usize, Side),
}

#[derive(Debug, Clone, Copy)]
struct VUse {
    lo: u64,
    hi: u64,
    from: PortKey,
    to: PortKey,
}

#[derive(Debug, Clone, Copy)]
struct HUse {
    x0: f64,
    x1: f64,
    from: PortKey,
    to: PortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HKey {
    Gap(usize, usize),
    Row(usize),
}

#[derive(Debug, Clone, Copy)]
struct Ed {
    from: usize,
    to: usize,
    src: usize,
}

/// Everything known about the grid before edges are routed.
struct Plan {
    geo: Geo,
    kinds: Vec<NodeKind>,
    lane_of: Vec<usize>,
    span: Vec<(usize, usize)>,
    row_of: Vec<usize>,
    nrows: usize,
    /// `occ[row][lane]`: the node (or bar) covering that cell.
    occ: Vec<Vec<Option<usize>>>,
    bars_in_row: Vec<Vec<usize>>,
    nx: Vec<f64>,
    nw: Vec<f64>,
}

impl Plan {
    fn chan_lane(&self, n: usize, toward: usize) -> usize {
        if self.kinds[n].is_bar() {
            let (a, b) = self.span[n];
            toward.clamp(a, b)
        } else {
            self.lane_of[n]
        }
    }
    /// x of a top or bottom port and the lane whose centre line it is on.
    fn tb_port(&self, n: usize, toward: usize) -> (f64, usize) {
        let l = self.chan_lane(n, toward);
        (self.geo.cx(l), l)
    }
    /// x of a side port and the lane whose corridor it opens into.
    fn side_port(&self, n: usize, side: Side) -> (f64, usize) {
        let (a, b) = self.span[n];
        if side == Side::Left {
            (self.nx[n], a)
        } else {
            (self.nx[n] + self.nw[n], b)
        }
    }
    fn center_free(&self, lane: usize, r0: usize, r1: usize) -> bool {
        (r0..r1.min(self.nrows)).all(|r| {
            self.occ
                .get(r)
                .and_then(|row| row.get(lane))
                .is_none_or(|c| c.is_none())
        })
    }
    /// Bars are the only shapes that reach into corridors.
    fn cor_open(&self, lane: usize, side: Side, r0: usize, r1: usize) -> bool {
        (r0..r1.min(self.nrows)).all(|r| {
            self.bars_in_row[r].iter().all(|&b| {
                let (a, z) = self.span[b];
                if side == Side::Right {
                    !(a <= lane && lane < z)
                } else {
                    !(a < lane && lane <= z)
                }
            })
        })
    }
    /// Whether a horizontal run at mid-height of `row` between x0 and x1
    /// stays clear of every box except those listed.
    fn row_clear(&self, row: usize, x0: f64, x1: f64, except: &[usize]) -> bool {
        let (lo, hi) = (x0.min(x1), x0.max(x1));
        let Some(cells) = self.occ.get(row) else {
            return true;
        };
        cells.iter().flatten().all(|&n| {
            except.contains(&n) || self.nx[n] + self.nw[n] <= lo + 0.01 || self.nx[n] >= hi - 0.01
        })
    }
}

struct Router<'a> {
    p: &'a Plan,
    vreg: HashMap<(Chan, usize), Vec<VUse>>,
    hreg: HashMap<HKey, Vec<HUse>>,
    gap_tracks: Vec<usize>,
}

fn pk(node: usize, side: Side, x: f64) -> PortKey {
    PortKey {
        node,
        side,
        xq: (x * 100.0).round() as i64,
    }
}

impl<'a> Router<'a> {
    fn new(p: &'a Plan) -> Router<'a> {
        Router {
            p,
            vreg: HashMap::new(),
            hreg: HashMap::new(),
            gap_tracks: vec![0; p.nrows + 1],
        }
    }

    fn vfree(&self, ch: Chan, tr: usize, a: u64, b: u64, from: PortKey, to: PortKey) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        self.vreg.get(&(ch, tr)).is_none_or(|uses| {
            uses.iter()
                .all(|u| u.hi < lo || hi < u.lo || u.from == from || u.to == to)
        })
    }

    fn vtake(&mut self, ch: Chan, tr: usize, a: u64, b: u64, from: PortKey, to: PortKey) {
        self.vreg.entry((ch, tr)).or_default().push(VUse {
            lo: a.min(b),
            hi: a.max(b),
            from,
            to,
        });
    }

    fn hfree(&self, key: HKey, x0: f64, x1: f64, from: PortKey, to: PortKey) -> bool {
        // A small margin keeps unrelated runs from touching end to end,
        // which would read as one line.
        let (lo, hi) = (x0.min(x1) - 1.5, x0.max(x1) + 1.5);
        self.hreg.get(&key).is_none_or(|uses| {
            uses.iter()
                .all(|u| u.x1 < lo || hi < u.x0 || u.from == from || u.to == to)
        })
    }

    fn htake(&mut self, key: HKey, x0: f64, x1: f64, from: PortKey, to: PortKey) {
        self.hreg.entry(key).or_default().push(HUse {
            x0: x0.min(x1),
            x1: x0.max(x1),
            from,
            to,
        });
    }

    /// Picks a track in gap `g` for a run from xa to xb. `checks` are the
    /// centre-line verticals that join the run (to a row level); a track is
    /// preferred where none of them overlaps an unrelated vertical, because
    /// two such runs on one x would read as a single line.
    fn pick_gap(
        &mut self,
        g: usize,
        xa: f64,
        xb: f64,
        from: PortKey,
        to: PortKey,
        checks: &[(Chan, u64)],
    ) -> usize {
        let limit = self.gap_tracks.get(g).copied().unwrap_or(0) + 3;
        let good = (0..limit).find(|&t| {
            self.hfree(HKey::Gap(g, t), xa, xb, from, to)
                && checks
                    .iter()
                    .all(|&(ch, other)| self.vfree(ch, 0, lvl_gap(g, t), other, from, to))
        });
        let t = match good {
            Some(t) => t,
            None => {
                let mut t = 0;
                while !self.hfree(HKey::Gap(g, t), xa, xb, from, to) {
                    t += 1;
                }
                t
            }
        };
        self.htake(HKey::Gap(g, t), xa, xb, from, to);
        for &(ch, other) in checks {
            self.vtake(ch, 0, lvl_gap(g, t), other, from, to);
        }
        if let Some(n) = self.gap_tracks.get_mut(g) {
            *n = (*n).max(t + 1);
        }
        t
    }

    /// First corridor track free over the level range; when all are taken
    /// the outermost is shared, which only costs legibility.
    fn find_cor(
        &self,
        lane: usize,
        side: Side,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> Option<usize> {
        (0..self.p.geo.cap(side)).find(|&t| self.vfree(Chan::Cor(lane, side), t, a, b, from, to))
    }

    fn take_cor(
        &mut self,
        lane: usize,
        side: Side,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> f64 {
        let t = self
            .find_cor(lane, side, a, b, from, to)
            .unwrap_or(self.p.geo.cap(side).saturating_sub(1));
        self.vtake(Chan::Cor(lane, side), t, a, b, from, to);
        self.p.geo.cor_x(lane, side, t)
    }

    fn route(
        &mut self,
        s: usize,
        t: usize,
        exit: Side,
        entry_right_ok: bool,
        entry_left_ok: bool,
    ) -> Vec<APt> {
        if s == t {
            return self.self_loop(s, exit);
        }
        let p = self.p;
        if p.row_of[t] > p.row_of[s] {
            match exit {
                Side::Left | Side::Right => self.fwd_side(s, t, exit),
                _ => self.fwd_bottom(s, t),
            }
        } else {
            self.back(s, t, exit, entry_right_ok, entry_left_ok)
        }
    }

    fn fwd_bottom(&mut self, s: usize, t: usize) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (sx, sl) = p.tb_port(s, p.lane_of[t]);
        let (tx, tl) = p.tb_port(t, sl);
        let from = pk(s, Side::Bottom, sx);
        let to = pk(t, Side::Top, tx);
        let start = (sx, Ay::Bottom(s));
        let end = (tx, Ay::Top(t));
        if sl == tl
            && p.center_free(tl, rs + 1, rt)
            && self.vfree(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to)
        {
            self.vtake(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to);
            return vec![start, end];
        }
        // Across in the gap right below the source, then down the target's
        // column: the usual shape of a hand-off between lanes.
        if p.center_free(tl, rs + 1, rt) {
            let g = rs + 1;
            let checks = [
                (Chan::Center(sl), lvl_row(rs)),
                (Chan::Center(tl), lvl_row(rt)),
            ];
            if rt == rs + 1
                || (0..self.gap_tracks[g] + 2).any(|tr| {
                    self.vfree(Chan::Center(tl), 0, lvl_gap(g, tr), lvl_row(rt), from, to)
                })
            {
                let tr = self.pick_gap(g, sx, tx, from, to, &checks);
                return vec![start, (sx, Ay::Gap(g, tr)), (tx, Ay::Gap(g, tr)), end];
            }
        }
        if p.center_free(sl, rs + 1, rt)
            && self.vfree(
                Chan::Center(sl),
                0,
                lvl_row(rs),
                lvl_gap_start(rt),
                from,
                to,
            )
        {
            let g = rt;
            let checks = [
                (Chan::Center(sl), lvl_row(rs)),
                (Chan::Center(tl), lvl_row(rt)),
            ];
            let tr = self.pick_gap(g, sx, tx, from, to, &checks);
            return vec![start, (sx, Ay::Gap(g, tr)), (tx, Ay::Gap(g, tr)), end];
        }
        // Both columns are blocked: detour through a corridor.
        let xc = self.detour(sl, tl, rs, rt, from, to);
        let g1 = rs + 1;
        let t1 = self.pick_gap(g1, sx, xc, from, to, &[(Chan::Center(sl), lvl_row(rs))]);
        let t2 = self.pick_gap(rt, xc, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
        vec![
            start,
            (sx, Ay::Gap(g1, t1)),
            (xc, Ay::Gap(g1, t1)),
            (xc, Ay::Gap(rt, t2)),
            (tx, Ay::Gap(rt, t2)),
            end,
        ]
    }

    fn fwd_side(&mut self, s: usize, t: usize, side: Side) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (xv, cl) = p.side_port(s, side);
        let (tx, tl) = p.tb_port(t, cl);
        let from = pk(s, side, xv);
        let to = pk(t, Side::Top, tx);
        let start = (xv, Ay::Mid(s));
        let end = (tx, Ay::Top(t));
        let dir = if side == Side::Right { 1.0 } else { -1.0 };
        // Straight out of the vertex and down into the target: the classic
        // "No" branch shape, possible when the cells on the way are empty.
        if (tx - xv) * dir > 1.0
            && p.row_clear(rs, xv, tx, &[s])
            && p.center_free(tl, rs + 1, rt)
            && self.hfree(HKey::Row(rs), xv, tx, from, to)
            && self.vfree(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to)
        {
            self.htake(HKey::Row(rs), xv, tx, from, to);
            self.vtake(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to);
            return vec![start, (tx, Ay::Mid(s)), end];
        }
        let t_col = p.center_free(tl, rs + 1, rt);
        if t_col || p.cor_open(cl, side, rs + 1, rt) {
            let g = if t_col { rs + 1 } else { rt };
            let xc = self.take_cor(cl, side, lvl_row(rs), lvl_gap_end(g), from, to);
            self.htake(HKey::Row(rs), xv, xc, from, to);
            let tr = self.pick_gap(g, xc, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
            return vec![
                start,
                (xc, Ay::Mid(s)),
                (xc, Ay::Gap(g, tr)),
                (tx, Ay::Gap(g, tr)),
                end,
            ];
        }
        // A bar cuts the own corridor further down: step into the next gap
        // and continue in a corridor that is open all the way.
        let g1 = rs + 1;
        let xc = self.take_cor(cl, side, lvl_row(rs), lvl_gap_end(g1), from, to);
        self.htake(HKey::Row(rs), xv, xc, from, to);
        let xd = self.detour(cl, tl, rs, rt, from, to);
        let t1 = self.pick_gap(g1, xc, xd, from, to, &[]);
        let t2 = self.pick_gap(rt, xd, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
        vec![
            start,
            (xc, Ay::Mid(s)),
            (xc, Ay::Gap(g1, t1)),
            (xd, Ay::Gap(g1, t1)),
            (xd, Ay::Gap(rt, t2)),
            (tx, Ay::Gap(rt, t2)),
            end,
        ]
    }

    /// Takes a corridor track that runs from the gap below row `rs` to the
    /// gap above row `rt` without crossing a bar, preferring corridors near
    /// the two ends of the edge.
    fn detour(
        &mut self,
        sl: usize,
        tl: usize,
        rs: usize,
        rt: usize,
        from: PortKey,
        to: PortKey,
    ) -> f64 {
        let p = self.p;
        let cands = [
            (tl, Side::Left),
            (sl, Side::Right),
            (sl, Side::Left),
            (tl, Side::Right),
            (0, Side::Left),
            (p.geo.nl - 1, Side::Right),
        ];
        let (a, b) = (lvl_gap_start(rs + 1), lvl_gap_end(rt));
        let pick = cands
            .iter()
            .copied()
            .find(|&(l, side)| {
                p.cor_open(l, side, rs + 1, rt) && self.find_cor(l, side, a, b, from, to).is_some()
            })
            .or_else(|| {
                cands
                    .iter()
                    .copied()
                    .find(|&(l, side)| p.cor_open(l, side, rs + 1, rt))
            })
            .unwrap_or(cands[4]);
        self.take_cor(pick.0, pick.1, a, b, from, to)
    }

    fn back(&mut self, s: usize, t: usize, exit: Side, right_ok: bool, left_ok: bool) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        if exit == Side::Bottom {
            return self.back_outer(s, t, exit);
        }
        let (xs, cl) = p.side_port(s, exit);
        let from = pk(s, exit, xs);
        let start = (xs, Ay::Mid(s));
        // Same row: a plain horizontal arrow when nothing is in between.
        if rs == rt {
            let t_right = p.nx[t] > p.nx[s];
            let entry = if t_right { Side::Left } else { Side::Right };
            let facing = (exit == Side::Right && t_right && left_ok)
                || (exit == Side::Left && !t_right && right_ok);
            let (xt, _) = p.side_port(t, entry);
            let to = pk(t, entry, xt);
            if facing
                && p.row_clear(rs, xs, xt, &[s, t])
                && self.hfree(HKey::Row(rs), xs, xt, from, to)
            {
                self.htake(HKey::Row(rs), xs, xt, from, to);
                return vec![start, (xt, Ay::Mid(t))];
            }
        }
        // Up the exit corridor and sideways into the target's facing side:
        // a loop-back that enters from the top would merge with the forward
        // flow into the same box and hide which way it runs.
        if p.cor_open(cl, exit, rt, rs + 1) {
            let x0 = p.geo.cor_x(cl, exit, 0);
            let entry = if p.nx[t] + p.nw[t] / 2.0 < x0 {
                Side::Right
            } else {
                Side::Left
            };
            let ok = if entry == Side::Right {
                right_ok
            } else {
                left_ok
            };
            let (xt, _) = p.side_port(t, entry);
            let to = pk(t, entry, xt);
            if ok && p.row_clear(rt, x0, xt, &[t]) && self.hfree(HKey::Row(rt), x0, xt, from, to) {
                let xc = self.take_cor(cl, exit, lvl_row(rt), lvl_row(rs), from, to);
                self.htake(HKey::Row(rs), xs, xc, from, to);
                self.htake(HKey::Row(rt), xt, xc, from, to);
                return vec![start, (xc, Ay::Mid(s)), (xc, Ay::Mid(t)), (xt, Ay::Mid(t))];
            }
        }
        // Otherwise up the exit corridor and into the target from above.
        if p.cor_open(cl, exit, rt, rs + 1) {
            let (tx, tl) = p.tb_port(t, cl);
            let to = pk(t, Side::Top, tx);
            let xc = self.take_cor(cl, exit, lvl_gap_start(rt), lvl_row(rs), from, to);
            self.htake(HKey::Row(rs), xs, xc, from, to);
            let tr = self.pick_gap(rt, xc, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
            return vec![
                start,
                (xc, Ay::Mid(s)),
                (xc, Ay::Gap(rt, tr)),
                (tx, Ay::Gap(rt, tr)),
                (tx, Ay::Top(t)),
            ];
        }
        self.back_outer(s, t, exit)
    }

    /// Fallback loop-back: down to the gap below the source, over to a
    /// corridor that no bar crosses, up, and into the target from above.
    fn back_outer(&mut self, s: usize, t: usize, exit: Side) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (tx, tl) = p.tb_port(t, p.lane_of[s]);
        let g1 = rs + 1;
        let mut pts = Vec::new();
        let (from, x1, first_check) = if exit == Side::Bottom {
            let (sx, sl) = p.tb_port(s, p.lane_of[t]);
            pts.push((sx, Ay::Bottom(s)));
            (
                pk(s, Side::Bottom, sx),
                sx,
                Some((Chan::Center(sl), lvl_row(rs))),
            )
        } else {
            let (xs, cl) = p.side_port(s, exit);
            let from = pk(s, exit, xs);
            let to = pk(t, Side::Top, tx);
            let xc = self.take_cor(cl, exit, lvl_row(rs), lvl_gap_end(g1), from, to);
            pts.push((xs, Ay::Mid(s)));
            pts.push((xc, Ay::Mid(s)));
            (from, xc, None)
        };
        let to = pk(t, Side::Top, tx);
        let cands = [
            (p.geo.nl - 1, Side::Right),
            (0, Side::Left),
            (tl, Side::Right),
            (tl, Side::Left),
        ];
        let (a, b) = (lvl_gap_start(rt), lvl_gap_end(g1));
        let pick = cands
            .iter()
            .copied()
            .find(|&(l, side)| p.cor_open(l, side, rt, rs + 1))
            .unwrap_or(cands[0]);
        let xo = self.take_cor(pick.0, pick.1, a, b, from, to);
        let checks: Vec<(Chan, u64)> = first_check.into_iter().collect();
        let t1 = self.pick_gap(g1, x1, xo, from, to, &checks);
        let t2 = self.pick_gap(rt, xo, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
        pts.extend([
            (x1, Ay::Gap(g1, t1)),
            (xo, Ay::Gap(g1, t1)),
            (xo, Ay::Gap(rt, t2)),
            (tx, Ay::Gap(rt, t2)),
            (tx, Ay::Top(t)),
        ]);
        pts
    }

    fn self_loop(&mut self, s: usize, side: Side) -> Vec<APt> {
        let p = self.p;
        let rs = p.row_of[s];
        if p.kinds[s] == NodeKind::Decision || p.kinds[s].is_bar() {
            // Diamonds and bars have no vertical side to loop on, so go
            // round through the gaps above and below.
            let (sx, sl) = p.tb_port(s, p.lane_of[s]);
            let from = pk(s, Side::Bottom, sx);
            let to = pk(s, Side::Top, sx);
            let cl = p.span[s].1;
            let xc = self.take_cor(
                cl,
                Side::Right,
                lvl_gap_start(rs),
                lvl_gap_end(rs + 1),
                from,
                to,
            );
            let t1 = self.pick_gap(rs + 1, sx, xc, from, to, &[(Chan::Center(sl), lvl_row(rs))]);
            let t2 = self.pick_gap(rs, xc, sx, from, to, &[(Chan::Center(sl), lvl_row(rs))]);
            return vec![
                (sx, Ay::Bottom(s)),
                (sx, Ay::Gap(rs + 1, t1)),
                (xc, Ay::Gap(rs + 1, t1)),
                (xc, Ay::Gap(rs, t2)),
                (sx, Ay::Gap(rs, t2)),
                (sx, Ay::Top(s)),
            ];
        }
        let side = if side == Side::Left {
            Side::Left
        } else {
            Side::Right
        };
        let (xr, cl) = p.side_port(s, side);
        // The loop leaves and re-enters off mid-height, so its ports are
        // distinct from a loop-back leaving the same side at mid-height;
        // sharing a key would let both claim the same corridor track.
        let from = PortKey {
            node: s,
            side,
            xq: i64::MIN,
        };
        let to = PortKey {
            node: s,
            side,
            xq: i64::MIN + 1,
        };
        let xc = self.take_cor(cl, side, lvl_row(rs), lvl_row(rs), from, to);
        vec![
            (xr, Ay::MidOff(s, 1.0)),
            (xc, Ay::MidOff(s, 1.0)),
            (xc, Ay::MidOff(s, -1.0)),
            (xr, Ay::MidOff(s, -1.0)),
        ]
    }
}

/// Chooses the side each outgoing edge leaves a node by. Decisions spread
/// their outcomes over three vertices so that each outcome has its own
/// line and label; other shapes use one bottom port (a fan-out) for the
/// flow and a side port for loop-backs.
fn exit_sides(p: &Plan, edges: &[Ed], n_nodes: usize) -> Vec<Side> {
    let mut sides = vec![Side::Bottom; edges.len()];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    for (i, e) in edges.iter().enumerate() {
        outs[e.from].push(i);
    }
    for (n, list) in outs.iter().enumerate() {
        let ln = p.lane_of[n];
        let is_down = |i: usize| p.row_of[edges[i].to] > p.row_of[n];
        let toward = |i: usize| {
            let e = edges[i];
            if p.lane_of[e.to] < ln || (p.lane_of[e.to] == ln && p.nx[e.to] < p.nx[n]) {
                Side::Left
            } else {
                Side::Right
            }
        };
        let is_self = |i: usize| edges[i].to == n;
        if p.kinds[n] != NodeKind::Decision {
            for &i in list.iter().filter(|&&i| !is_self(i)) {
                sides[i] = if is_down(i) { Side::Bottom } else { toward(i) };
            }
            // A self-loop takes whichever side no other edge leaves by.
            let right_used = list.iter().any(|&i| !is_self(i) && sides[i] == Side::Right);
            for &i in list.iter().filter(|&&i| is_self(i)) {
                sides[i] = if right_used { Side::Left } else { Side::Right };
            }
            continue;
        }
        let mut same: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] == ln)
            .collect();
        same.sort_by_key(|&i| (p.row_of[edges[i].to], i));
        let mut right: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] > ln)
            .collect();
        right.sort_by_key(|&i| (std::cmp::Reverse(p.lane_of[edges[i].to]), i));
        let mut left: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] < ln)
            .collect();
        left.sort_by_key(|&i| (p.lane_of[edges[i].to], i));
        // Decision self-loops go round through the gaps, not a vertex.
        let ups: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| !is_down(i) && !is_self(i))
            .collect();

        let mut taken: Vec<Side> = Vec::new();
        let mut assign = |i: usize, prefs: &[Side], sides: &mut Vec<Side>| {
            let side = prefs
                .iter()
                .copied()
                .find(|s| !taken.contains(s))
                .unwrap_or(prefs[0]);
            taken.push(side);
            sides[i] = side;
        };
        if let Some(&i) = same.first() {
            assign(i, &[Side::Bottom], &mut sides);
        }
        if let Some(&i) = right.first() {
            assign(i, &[Side::Right, Side::Bottom, Side::Left], &mut sides);
        }
        if let Some(&i) = left.first() {
            assign(i, &[Side::Left, Side::Bottom, Side::Right], &mut sides);
        }
        let rest = same
            .iter()
            .skip(1)
            .chain(right.iter().skip(1))
            .chain(left.iter().skip(1))
            .copied();
        for i in rest {
            let prefs = if toward(i) == Side::Left {
                [Side::Bottom, Side::Left, Side::Right]
            } else {
                [Side::Bottom, Side::Right, Side::Left]
            };
            assign(i, &prefs, &mut sides);
        }
        for i in ups {
            let prefs = if toward(i) == Side::Left {
                [Side::Left, Side::Right, Side::Bottom]
            } else {
                [Side::Right, Side::Left, Side::Bottom]
            };
            assign(i, &prefs, &mut sides);
        }
    }
    sides
}

// --------------------------------------------------------------- layout --

/// Lays out the chart. Never fails: unusable input is repaired or dropped
/// and reported through [`Layout::issues`].
pub fn layout(chart: &Chart, style: &Style) -> Layout {
    let mut issues = Vec::new();
    let m = Metrics::new(style, &mut issues);
    let nl = chart.lanes.len().max(1);
    let n = chart.nodes.len();

    let mut index: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, node) in chart.nodes.iter().enumerate() {
        if index.contains_key(node.id.as_str()) {
            issues.push(LayoutIssue::DuplicateNodeId(node.id.clone()));
        } else {
            index.insert(node.id.as_str(), i);
        }
    }
    let kinds: Vec<NodeKind> = chart.nodes.iter().map(|x| x.kind).collect();
    let mut lane_of = Vec::with_capacity(n);
    for node in &chart.nodes {
        if node.lane < nl {
            lane_of.push(node.lane);
        } else {
            issues.push(LayoutIssue::LaneOutOfRange {
                node: node.id.clone(),
                lane: node.lane,
            });
            lane_of.push(nl - 1);
        }
    }
    let mut edges: Vec<Ed> = Vec::new();
    for (src, e) in chart.edges.iter().enumerate() {
        let a = index.get(e.from.as_str()).copied();
        let b = index.get(e.to.as_str()).copied();
        match (a, b) {
            (Some(from), Some(to)) => edges.push(Ed { from, to, src }),
            _ => issues.push(LayoutIssue::UnknownNode {
                from: e.from.clone(),
                to: e.to.clone(),
                missing: if a.is_none() {
                    e.from.clone()
                } else {
                    e.to.clone()
                },
            }),
        }
    }

    // Ranks: longest path over edges that go forward in input order, so a
    // loop-back never pushes its target down. Every forward predecessor has
    // a smaller index, hence a single pass in input order suffices.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &edges {
        if e.from < e.to {
            preds[e.to].push(e.from);
        }
    }
    let mut rank = vec![0usize; n];
    for v in 0..n {
        rank[v] = preds[v].iter().map(|&u| rank[u] + 1).max().unwrap_or(0);
    }

    // Bars span the lanes of the branches they split or join.
    let mut span: Vec<(usize, usize)> = lane_of.iter().map(|&l| (l, l)).collect();
    for e in &edges {
        if e.from < e.to {
            if kinds[e.from] == NodeKind::Fork {
                let l = lane_of[e.to];
                let sp = &mut span[e.from];
                *sp = (sp.0.min(l), sp.1.max(l));
            }
            if kinds[e.to] == NodeKind::Join {
                let l = lane_of[e.from];
                let sp = &mut span[e.to];
                *sp = (sp.0.min(l), sp.1.max(l));
            }
        }
    }

    // Rows: each rank gets as many rows as it needs so that nodes sharing a
    // lane (or a bar crossing a node's lane) never overlap.
    let max_rank = rank.iter().copied().max().unwrap_or(0);
    let mut by_rank: Vec<Vec<usize>> = vec![Vec::new(); if n == 0 { 0 } else { max_rank + 1 }];
    for (v, &r) in rank.iter().enumerate() {
        by_rank[r].push(v);
    }
    let mut row_of = vec![0usize; n];
    let mut row_rank: Vec<usize> = Vec::new();
    let mut occ: Vec<Vec<Option<usize>>> = Vec::new();
    for (r, members) in by_rank.iter().enumerate() {
        let base = occ.len();
        for &v in members {
            let (a, b) = span[v];
            let mut s = 0;
            loop {
                if base + s == occ.len() {
                    occ.push(vec![None; nl]);
                    row_rank.push(r);
                }
                if occ[base + s][a..=b].iter().all(|c| c.is_none()) {
                    break;
                }
                s += 1;
            }
            for c in &mut occ[base + s][a..=b] {
                *c = Some(v);
            }
            row_of[v] = base + s;
        }
    }
    let nrows = occ.len();
    let mut bars_in_row: Vec<Vec<usize>> = vec![Vec::new(); nrows];
    for v in 0..n {
        if kinds[v].is_bar() {
            bars_in_row[row_of[v]].push(v);
        }
    }

    // Box sizes follow the wrapped text; widths are fixed by the lane.
    let geo = Geo::new(&m, nl);
    let mut nx = vec![0.0; n];
    let mut nw = vec![0.0; n];
    let mut nh = vec![0.0; n];
    let mut content: Vec<Vec<Line>> = vec![Vec::new(); n];
    for (v, node) in chart.nodes.iter().enumerate() {
        let l = lane_of[v];
        let prep = prepare(node, m.fs);
        let (w, h, lines) = match node.kind {
            NodeKind::Task | NodeKind::Call => {
                let inset = if node.kind == NodeKind::Call {
                    m.fs * 0.5
                } else {
                    0.0
                };
                let ww = geo.box_w - 2.0 * (m.pad_x + inset);
                let lines = content_lines(&prep, ww, m.fs);
                let h = (lines.len() as f64 * m.lh + 2.0 * m.pad_y).max(m.fs * 3.4);
                (geo.box_w, h, lines)
            }
            NodeKind::Decision => {
                // Each line must fit the diamond's width at its own height:
                // half-height >= (|dy| + lh/2) / (1 - line_w / w). A wider
                // measure means fewer lines but a steeper diamond, so try
                // several and keep the flattest.
                let mut best: Option<(f64, Vec<Line>)> = None;
                for ratio in [0.5, 0.6, 0.7, 0.8] {
                    let lines = content_lines(&prep, geo.box_w * ratio, m.fs);
                    let k = lines.len() as f64;
                    let mut half: f64 = 0.0;
                    for (i, l) in lines.iter().enumerate() {
                        let dy = ((i as f64 + 0.5) - k / 2.0).abs() * m.lh;
                        let lw = text_width(&l.text, m.fs, l.bold) + m.fs * 0.9;
                        let room = (1.0 - lw / geo.box_w).max(0.12);
                        half = half.max((dy + m.lh * 0.5) / room);
                    }
                    let h = (2.0 * half + m.fs * 0.3).max(m.fs * 4.6);
                    if best.as_ref().is_none_or(|(bh, _)| h < *bh - 0.01) {
                        best = Some((h, lines));
                    }
                }
                let (h, lines) = best.unwrap_or((m.fs * 4.6, Vec::new()));
                (geo.box_w, h, lines)
            }
            NodeKind::Start | NodeKind::End => {
                let ww = geo.box_w - 2.0 * m.pad_x - m.fs * 1.2;
                let lines = content_lines(&prep, ww, m.fs);
                let h = (lines.len() as f64 * m.lh + 2.0 * m.pad_y).max(m.fs * 2.5);
                let rx = (h / 2.0).min(m.fs * 1.4);
                let w =
                    (widest(&lines, m.fs) + 2.0 * m.pad_x + rx).clamp(geo.box_w * 0.55, geo.box_w);
                (w, h, lines)
            }
            NodeKind::Fork | NodeKind::Join => {
                let (a, b) = span[v];
                let pad = geo.box_w * 0.3;
                let w = geo.cx(b) - geo.cx(a) + 2.0 * pad;
                nx[v] = geo.cx(a) - pad;
                (w, m.bar_thickness(), Vec::new())
            }
        };
        if !node.kind.is_bar() {
            nx[v] = geo.cx(l) - w / 2.0;
        }
        nw[v] = w;
        nh[v] = h;
        content[v] = lines;
    }
    let mut row_h = vec![0.0f64; nrows];
    for v in 0..n {
        let r = row_of[v];
        row_h[r] = row_h[r].max(nh[v]);
    }

    let plan = Plan {
        geo,
        kinds,
        lane_of,
        span,
        row_of,
        nrows,
        occ,
        bars_in_row,
        nx,
        nw,
    };

    // Routing: forward edges first in input order so that short decision
    // exits get the corridor tracks next to the boxes, then loop-backs from
    // shortest to longest so that they nest instead of crossing.
    let sides = exit_sides(&plan, &edges, n);
    let mut right_exit = vec![false; n];
    let mut left_exit = vec![false; n];
    for (i, e) in edges.iter().enumerate() {
        match sides[i] {
            Side::Right => right_exit[e.from] = true,
            Side::Left => left_exit[e.from] = true,
            _ => {}
        }
    }
    let mut order: Vec<usize> = (0..edges.len()).collect();
    order.sort_by_key(|&i| {
        let e = edges[i];
        let (rs, rt) = (plan.row_of[e.from], plan.row_of[e.to]);
        if rt > rs { (0, 0, i) } else { (1, rs - rt, i) }
    });
    let mut router = Router::new(&plan);
    let mut routes: Vec<Vec<APt>> = vec![Vec::new(); edges.len()];
    for &i in &order {
        let e = edges[i];
        let t = e.to;
        let right_ok = !plan.kinds[t].is_bar() && !right_exit[t];
        let left_ok = !plan.kinds[t].is_bar() && !left_exit[t];
        routes[i] = router.route(e.from, t, sides[i], right_ok, left_ok);
    }
    let gap_tracks = router.gap_tracks.clone();
    drop(router);

    // Labels leaving downwards sit in the gap below their decision, so that
    // gap grows by the label height.
    let label_lines: Vec<Vec<Line>> = edges
        .iter()
        .map(|e| {
            let mut out = Vec::new();
            if let Some(edge) = chart.edges.get(e.src) {
                let ww = (plan.geo.box_w * 0.55).min(m.fs * 14.0).max(m.fs * 3.0);
                for (k, lang) in edge.label.iter().enumerate() {
                    for text in wrap(lang, ww, m.label_fs, false) {
                        out.push(Line {
                            text,
                            bold: false,
                            secondary: k > 0,
                        });
                    }
                }
            }
            out
        })
        .collect();
    let mut reserve = vec![0.0f64; nrows + 1];
    for (i, e) in edges.iter().enumerate() {
        if !label_lines[i].is_empty()
            && sides[i] == Side::Bottom
            && let Some(r) = reserve.get_mut(plan.row_of[e.from] + 1)
        {
            *r = r.max(label_lines[i].len() as f64 * m.label_lh + 2.0);
        }
    }

    // Vertical positions are known only now that every gap knows how
    // many tracks and how much label room it needs.
    let header_lines: Vec<Vec<Line>> = (0..nl)
        .map(|l| {
            let mut out = Vec::new();
            if let Some(lane) = chart.lanes.get(l) {
                for (k, lang) in lane.label.iter().enumerate() {
                    for text in wrap(lang, plan.geo.lane_w - 2.0 * m.pad_x, m.fs, k == 0) {
                        out.push(Line {
                            text,
                            bold: k == 0,
                            secondary: k > 0,
                        });
                    }
                }
            }
            out
        })
        .collect();
    let max_header = header_lines.iter().map(Vec::len).max().unwrap_or(0);
    let header_h = (max_header as f64 * m.lh + 2.0 * m.pad_y + m.fs * 0.4).max(m.fs * 2.4);
    let mut gaps = Vec::with_capacity(nrows + 1);
    let mut rows = Vec::with_capacity(nrows);
    let mut y = header_h;
    for g in 0..=nrows {
        let tracks = gap_tracks.get(g).copied().unwrap_or(0).max(1);
        let h = reserve[g]
            + m.stroke_gap_top()
            + (tracks - 1) as f64 * m.track_sp()
            + m.stroke_gap_bottom();
        gaps.push(Band { y, h });
        y += h;
        if g < nrows {
            rows.push(Band { y, h: row_h[g] });
            y += row_h[g];
        }
    }
    let height = y;
    let ny: Vec<f64> = (0..n)
        .map(|v| {
            let r = rows[plan.row_of[v]];
            r.y + (r.h - nh[v]) / 2.0
        })
        .collect();
    let y_of = |a: Ay| -> f64 {
        match a {
            Ay::Top(v) => ny[v],
            Ay::Bottom(v) => ny[v] + nh[v],
            Ay::Mid(v) => ny[v] + nh[v] / 2.0,
            Ay::MidOff(v, sgn) => ny[v] + nh[v] / 2.0 + sgn * (nh[v] / 4.0).min(m.fs),
            Ay::Gap(g, t) => gaps[g].y + reserve[g] + m.stroke_gap_top() + t as f64 * m.track_sp(),
        }
    };

    let placed: Vec<PlacedNode> = chart
        .nodes
        .iter()
        .enumerate()
        .map(|(v, node)| {
            let rect = Rect {
                x: plan.nx[v],
                y: ny[v],
                w: plan.nw[v],
                h: nh[v],
            };
            PlacedNode {
                id: node.id.clone(),
                kind: node.kind,
                lane: plan.lane_of[v],
                rank: rank[v],
                row: plan.row_of[v],
                rect,
                lines: place_lines(
                    &content[v],
                    rect.x + rect.w / 2.0,
                    rect.y + rect.h / 2.0,
                    m.fs,
                    m.lh,
                ),
            }
        })
        .collect();

    let mut routed: Vec<RoutedEdge> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let pts: Vec<Point> = routes[i]
                .iter()
                .map(|&(x, a)| Point { x, y: y_of(a) })
                .collect();
            RoutedEdge {
                from: chart.nodes[e.from].id.clone(),
                to: chart.nodes[e.to].id.clone(),
                points: simplify(pts),
                loop_back: e.to <= e.from,
                label: None,
                from_idx: e.from,
                to_idx: e.to,
            }
        })
        .collect();

    let lanes: Vec<LaneColumn> = (0..nl)
        .map(|l| LaneColumn {
            id: chart.lanes.get(l).map(|x| x.id.clone()).unwrap_or_default(),
            x: plan.geo.lane_x(l),
            w: plan.geo.lane_w,
            lines: place_lines(
                &header_lines[l],
                plan.geo.lane_x(l) + plan.geo.lane_w / 2.0,
                header_h / 2.0,
                m.fs,
                m.lh,
            ),
        })
        .collect();

    place_labels(
        &mut routed,
        &label_lines,
        &placed,
        &lanes,
        &m,
        header_h,
        height,
    );

    let mut row_starts_rank = vec![true; nrows];
    for r in 1..nrows {
        row_starts_rank[r] = row_rank[r] != row_rank[r - 1];
    }

    Layout {
        width: m.width,
        height,
        header_h,
        font_family: m.family.clone(),
        font_size: m.fs,
        lanes,
        nodes: placed,
        edges: routed,
        rows,
        gaps,
        row_starts_rank,
        issues,
    }
}

/// Drops repeated points and straight-through bends; endpoints stay.
fn simplify(pts: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(pts.len());
    for p in pts {
        if let Some(last) = out.last()
            && (last.x - p.x).abs() < 0.01
            && (last.y - p.y).abs() < 0.01
        {
            continue;
        }
        out.push(p);
    }
    let mut i = 1;
    while i + 1 < out.len() {
        let (a, b, c) = (out[i - 1], out[i], out[i + 1]);
        let vertical = (a.x - b.x).abs() < 0.01 && (b.x - c.x).abs() < 0.01;
        let horizontal = (a.y - b.y).abs() < 0.01 && (b.y - c.y).abs() < 0.01;
        // Only a point the path passes straight through is removable; a
        // reversal must stay or the drawn line would change.
        let same_dir = if vertical {
            (b.y - a.y) * (c.y - b.y) > 0.0
        } else {
            (b.x - a.x) * (c.x - b.x) > 0.0
        };
        if (vertical || horizontal) && same_dir {
            out.remove(i);
        } else {
            i += 1;
        }
    }
    if out.len() == 1
        && let Some(&p) = out.first()
    {
        out.push(p);
    }
    out
}

/// Whether rectangle `r` overlaps a node's shape: its box, or for a
/// decision the diamond inscribed in the box, whose empty corners are
/// where decision labels fit best.
fn shape_hits_rect(b: &Rect, diamond: bool, r: &Rect) -> bool {
    if !b.intersects(r) {
        return false;
    }
    if !diamond {
        return true;
    }
    let (a, h) = (b.w / 2.0, b.h / 2.0);
    if a <= 0.0 || h <= 0.0 {
        return true;
    }
    let (cx, cy) = (b.x + a, b.y + h);
    // |x-cx|/a + |y-cy|/h is separable and grows away from the centre, so
    // its minimum over the rectangle is at the point nearest the centre.
    let dx = (r.x - cx).max(cx - r.right()).max(0.0);
    let dy = (r.y - cy).max(cy - r.bottom()).max(0.0);
    dx / a + dy / h < 1.0
}

fn seg_hits_rect(a: Point, b: Point, r: &Rect) -> bool {
    let (x0, x1) = (a.x.min(b.x), a.x.max(b.x));
    let (y0, y1) = (a.y.min(b.y), a.y.max(b.y));
    x0 < r.right()
        && r.x < x1 + 1e-9
        && y0 < r.bottom()
        && r.y < y1 + 1e-9
        && !(x1 <= r.x || x0 >= r.right() || y1 <= r.y || y0 >= r.bottom())
}

/// Puts each edge label next to the start of its edge, trying positions
/// along the first two segments. A position must not cover a box, another
/// label or the page edge; among those, one that hides no line wins.
fn place_labels(
    edges: &mut [RoutedEdge],
    label_lines: &[Vec<Line>],
    nodes: &[PlacedNode],
    lanes: &[LaneColumn],
    m: &Metrics,
    header_h: f64,
    height: f64,
) {
    let mut segs: Vec<(Point, Point)> = Vec::new();
    for e in edges.iter() {
        for w in e.points.windows(2) {
            segs.push((w[0], w[1]));
        }
    }
    for l in lanes.iter().skip(1) {
        segs.push((
            Point {
                x: l.x,
                y: header_h,
            },
            Point { x: l.x, y: height },
        ));
    }
    let boxes: Vec<(Rect, bool)> = nodes
        .iter()
        .map(|n| (n.rect.inflate(1.0), n.kind == NodeKind::Decision))
        .collect();
    let mut placed: Vec<Rect> = Vec::new();
    let width = lanes.last().map(|l| l.x + l.w).unwrap_or(0.0);
    for (i, e) in edges.iter_mut().enumerate() {
        let Some(lines) = label_lines.get(i) else {
            continue;
        };
        if lines.is_empty() || e.points.len() < 2 {
            continue;
        }
        let w = widest(lines, m.label_fs) + 3.0;
        let h = lines.len() as f64 * m.label_lh + 1.0;
        let mut cands: Vec<Rect> = Vec::new();
        for (k, s) in e.points.windows(2).take(2).enumerate() {
            let (a, b) = (s[0], s[1]);
            let len = (b.x - a.x).abs() + (b.y - a.y).abs();
            let step = 2.0;
            let mut o = if k == 0 { 2.0 } else { 0.0 };
            let mut first = true;
            // Far from the edge start a label no longer reads as
            // belonging to it, so candidates stop after a short distance.
            while first || (o + 2.0 <= len && o <= m.fs * 8.0) {
                first = false;
                if (a.x - b.x).abs() < 0.01 {
                    let down = b.y >= a.y;
                    let y = if down { a.y + o } else { a.y - o - h };
                    cands.push(Rect {
                        x: a.x + 2.5,
                        y,
                        w,
                        h,
                    });
                    cands.push(Rect {
                        x: a.x - 2.5 - w,
                        y,
                        w,
                        h,
                    });
                } else {
                    let right = b.x >= a.x;
                    let x = if right { a.x + o } else { a.x - o - w };
                    cands.push(Rect {
                        x,
                        y: a.y - 2.0 - h,
                        w,
                        h,
                    });
                    cands.push(Rect {
                        x,
                        y: a.y + 2.0,
                        w,
                        h,
                    });
                }
                o += step;
            }
        }
        // Only shapes near the candidates can collide; filtering first keeps
        // the per-candidate checks short on large charts.
        let area = cands
            .iter()
            .skip(1)
            .fold(
                cands.first().copied().unwrap_or(Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 0.0,
                    h: 0.0,
                }),
                |u, r| {
                    let x = u.x.min(r.x);
                    let y = u.y.min(r.y);
                    Rect {
                        x,
                        y,
                        w: u.right().max(r.right()) - x,
                        h: u.bottom().max(r.bottom()) - y,
                    }
                },
            )
            .inflate(3.0);
        let near_boxes: Vec<(Rect, bool)> = boxes
            .iter()
            .filter(|b| b.0.intersects(&area))
            .copied()
            .collect();
        let near_segs: Vec<(Point, Point)> = segs
            .iter()
            .filter(|(a, b)| seg_hits_rect(*a, *b, &area))
            .copied()
            .collect();
        let fits = |r: &Rect| {
            r.x >= 1.0
                && r.right() <= width - 1.0
                && r.y >= header_h + 1.0
                && r.bottom() <= height - 1.0
                && !near_boxes
                    .iter()
                    .any(|&(b, diamond)| shape_hits_rect(&b, diamond, r))
                && !placed.iter().any(|p| p.inflate(1.0).intersects(r))
        };
        let hides = |r: &Rect| {
            near_segs
                .iter()
                .filter(|(a, b)| seg_hits_rect(*a, *b, &r.inflate(0.5)))
                .count()
        };
        let mut best: Option<(usize, Rect)> = None;
        for r in cands.iter().filter(|r| fits(r)) {
            let score = hides(r);
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, *r));
                if score == 0 {
                    break;
                }
            }
        }
        let rect = match best {
            Some((_, r)) => r,
            // Nowhere free (a chart far too narrow for its text): next to the edge start
            // anyway, but kept on the page, where it can still be read.
            None => match cands.first() {
                Some(r) => Rect {
                    x: r.x.min(width - 1.0 - r.w).max(1.0),
                    y: r.y.min(height - 1.0 - r.h).max(header_h + 1.0),
                    ..*r
                },
                None => continue,
            },
        };
        placed.push(rect);
        e.label = Some(PlacedLabel {
            rect,
            lines: place_lines(
                lines,
                rect.x + rect.w / 2.0,
                rect.y + rect.h / 2.0,
                m.label_fs,
                m.label_lh,
            ),
        });
    }
}

// ------------------------------------------------------------------ svg --

fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{:.2}", (v * 100.0).round() / 100.0);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Escapes text and attribute values; characters XML 1.0 forbids are
/// dropped because one of them would make the whole document unreadable.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xFFFE | 0xFFFF) => {}
            c => out.push(c),
        }
    }
    out
}

/// One drawn piece of an edge, in page coordinates.
struct DrawEdge {
    pts: Vec<Point>,
    arrow: bool,
    label: Option<PlacedLabel>,
}

struct Circle {
    x: f64,
    y: f64,
    text: String,
}

/// What one SVG document shows: a range of rows shifted by `dy`.
struct Page {
    a: usize,
    b: usize,
    dy: f64,
    height: f64,
    edges: Vec<DrawEdge>,
    circles: Vec<Circle>,
}

const INK: &str = "#000";
const GREY: &str = "#7f7f7f";
const HEADER_FILL: &str = "#e6e6e6";
const SECONDARY: &str = "#3a3a3a";

fn letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

impl Layout {
    pub fn width_pt(&self) -> f64 {
        self.width
    }
    pub fn height_pt(&self) -> f64 {
        self.height
    }
    pub fn lanes(&self) -> &[LaneColumn] {
        &self.lanes
    }
    pub fn nodes(&self) -> &[PlacedNode] {
        &self.nodes
    }
    pub fn edges(&self) -> &[RoutedEdge] {
        &self.edges
    }
    /// Input problems that were repaired or ignored.
    pub fn issues(&self) -> &[LayoutIssue] {
        &self.issues
    }

    fn row_bottom(&self, r: usize) -> f64 {
        self.rows.get(r).map(|b| b.y + b.h).unwrap_or(self.header_h)
    }
    fn gap_top(&self, g: usize) -> f64 {
        self.gaps.get(g).map(|b| b.y).unwrap_or(self.header_h)
    }

    /// The whole chart as one SVG, `width_pt` wide.
    pub fn to_svg(&self) -> String {
        let edges = self
            .edges
            .iter()
            .map(|e| DrawEdge {
                pts: e.points.clone(),
                arrow: true,
                label: e.label.clone(),
            })
            .collect();
        let page = Page {
            a: 0,
            b: self.rows.len(),
            dy: 0.0,
            height: self.height,
            edges,
            circles: Vec::new(),
        };
        self.render(&page, None)
    }

    /// Splits the chart across pages of at most `max_height_pt` at rank
    /// boundaries. Every page repeats the lane headers; an edge crossing a
    /// break ends in a lettered off-page connector that reappears on the
    /// page where the edge continues.
    pub fn to_svg_pages(&self, max_height_pt: f64) -> Vec<String> {
        let nrows = self.rows.len();
        if nrows == 0 || !max_height_pt.is_finite() || max_height_pt <= 0.0 {
            return vec![self.to_svg()];
        }
        let cm = self.conn_margin();
        let end_pad = self.font_size;
        // An edge whose two ends share a page is drawn whole, so a break
        // must not cut through a detour it makes below or above its ends.
        let mut no_break = vec![false; nrows];
        for e in &self.edges {
            let (rs, rt) = (self.nodes[e.from_idx].row, self.nodes[e.to_idx].row);
            let (lo, hi) = (rs.min(rt), rs.max(rt));
            let min_y = e.points.iter().map(|p| p.y).fold(f64::INFINITY, f64::min);
            let max_y = e
                .points
                .iter()
                .map(|p| p.y)
                .fold(f64::NEG_INFINITY, f64::max);
            if max_y > self.row_bottom(hi) + 0.01 {
                no_break[hi] = true;
            }
            if lo > 0 && min_y < self.gap_top(lo) - 0.01 {
                no_break[lo - 1] = true;
            }
        }
        // crosses[r]: a break below row r would need connector room, either
        // for an edge spanning it or for a detour cut despite no_break.
        let mut crosses = no_break.clone();
        for e in &self.edges {
            let (rs, rt) = (self.nodes[e.from_idx].row, self.nodes[e.to_idx].row);
            for c in &mut crosses[rs.min(rt)..rs.max(rt)] {
                *c = true;
            }
        }
        let page_h = |a: usize, b: usize| -> f64 {
            let top = if a > 0 && crosses[a - 1] { cm } else { 0.0 };
            let bottom = if b + 1 == nrows {
                self.gaps[nrows].h
            } else if crosses[b] {
                cm
            } else {
                end_pad
            };
            self.header_h + top + (self.row_bottom(b) - self.gap_top(a)) + bottom
        };
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut a = 0;
        while a < nrows {
            let mut best_rank = None;
            let mut best_row = None;
            let mut best_any = None;
            for (b, &cut_detour) in no_break.iter().enumerate().skip(a) {
                let h = page_h(a, b);
                if h > max_height_pt + 1e-9 {
                    if self.row_bottom(b) - self.gap_top(a) > max_height_pt {
                        break;
                    }
                    continue;
                }
                best_any = Some(b);
                if b + 1 < nrows && cut_detour {
                    continue;
                }
                best_row = Some(b);
                if b + 1 == nrows || self.row_starts_rank[b + 1] {
                    best_rank = Some(b);
                }
            }
            let b = best_rank.or(best_row).or(best_any).unwrap_or(a);
            ranges.push((a, b));
            a = b + 1;
        }
        let npages = ranges.len();
        let mut page_of_row = vec![0usize; nrows];
        for (p, &(a, b)) in ranges.iter().enumerate() {
            for r in &mut page_of_row[a..=b] {
                *r = p;
            }
        }
        let bounds: Vec<(f64, f64)> = ranges
            .iter()
            .map(|&(a, b)| (self.gap_top(a), self.row_bottom(b)))
            .collect();
        let inside = |p: usize, y: f64| -> bool {
            let (y0, y1) = bounds[p];
            (p == 0 || y > y0 + 0.01) && (p + 1 == npages || y <= y1 + 0.01)
        };

        struct Cut {
            page: usize,
            top: bool,
            x: f64,
            letter: usize,
        }
        // For every edge that changes page: the kept part on the source
        // page, the kept part on the target page, and the connector letter.
        struct Split {
            edge: usize,
            src_pts: Vec<Point>,
            src_cut: Cut,
            tgt_pts: Vec<Point>,
            tgt_cut: Cut,
        }
        let mut splits: Vec<Split> = Vec::new();
        let mut letters: Vec<(usize, bool, i64)> = Vec::new();
        for (ei, e) in self.edges.iter().enumerate() {
            let ps = page_of_row[self.nodes[e.from_idx].row];
            let pt = page_of_row[self.nodes[e.to_idx].row];
            let leaves = e.points.iter().any(|p| !inside(ps, p.y));
            if (ps == pt && !leaves) || e.points.len() < 2 {
                continue;
            }
            let (src_pts, sx, s_top) = clip_walk(&e.points, |y| inside(ps, y), bounds[ps]);
            let rev: Vec<Point> = e.points.iter().rev().copied().collect();
            let (mut tgt_pts, tx, t_top) = clip_walk(&rev, |y| inside(pt, y), bounds[pt]);
            tgt_pts.reverse();
            let key = (ps, s_top, (sx * 10.0).round() as i64);
            let letter_idx = match letters.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    letters.push(key);
                    letters.len() - 1
                }
            };
            splits.push(Split {
                edge: ei,
                src_pts,
                src_cut: Cut {
                    page: ps,
                    top: s_top,
                    x: sx,
                    letter: letter_idx,
                },
                tgt_pts,
                tgt_cut: Cut {
                    page: pt,
                    top: t_top,
                    x: tx,
                    letter: letter_idx,
                },
            });
        }

        // Connector circles on one margin must not overlap: spread them to
        // the right and join them to their line with a short jog.
        let r = self.conn_r();
        let mut circle_x: HashMap<(usize, bool, usize), f64> = HashMap::new();
        for p in 0..npages {
            for top in [true, false] {
                let mut xs: Vec<(f64, usize)> = Vec::new();
                for s in &splits {
                    for c in [&s.src_cut, &s.tgt_cut] {
                        if c.page == p && c.top == top && !xs.iter().any(|&(_, l)| l == c.letter) {
                            xs.push((c.x, c.letter));
                        }
                    }
                }
                xs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut last = f64::NEG_INFINITY;
                let mut placed: Vec<(usize, f64)> = Vec::new();
                for (x, l) in xs {
                    let cx = x.max(last + 2.0 * r + 2.0);
                    last = cx;
                    placed.push((l, cx));
                }
                let overflow = last - (self.width - r - 2.0);
                for (l, cx) in placed {
                    let cx = if overflow > 0.0 { cx - overflow } else { cx };
                    circle_x.insert((p, top, l), cx.max(r + 2.0));
                }
            }
        }

        let mut pages: Vec<Page> = ranges
            .iter()
            .map(|&(a, b)| {
                let top = if a > 0 && crosses[a - 1] { cm } else { 0.0 };
                Page {
                    a,
                    b: b + 1,
                    dy: self.header_h + top - self.gap_top(a),
                    height: page_h(a, b),
                    edges: Vec::new(),
                    circles: Vec::new(),
                }
            })
            .collect();
        let mut split_of: Vec<Option<usize>> = vec![None; self.edges.len()];
        for (i, s) in splits.iter().enumerate() {
            split_of[s.edge] = Some(i);
        }
        for (ei, e) in self.edges.iter().enumerate() {
            let shift = |pts: &[Point], dy: f64| -> Vec<Point> {
                pts.iter()
                    .map(|p| Point {
                        x: p.x,
                        y: p.y + dy,
                    })
                    .collect()
            };
            match split_of[ei].and_then(|i| splits.get(i)) {
                None => {
                    let ps = page_of_row[self.nodes[e.from_idx].row];
                    let page = &mut pages[ps];
                    let label = e.label.as_ref().map(|l| shift_label(l, page.dy));
                    let pts = shift(&e.points, page.dy);
                    page.edges.push(DrawEdge {
                        pts,
                        arrow: true,
                        label,
                    });
                }
                Some(s) => {
                    for (is_src, cut, pts) in [
                        (true, &s.src_cut, &s.src_pts),
                        (false, &s.tgt_cut, &s.tgt_pts),
                    ] {
                        let page = &mut pages[cut.page];
                        let dy = page.dy;
                        let yb = if cut.top {
                            self.gap_top(page.a) + dy
                        } else {
                            self.row_bottom(page.b - 1) + dy
                        };
                        let dir = if cut.top { -1.0 } else { 1.0 };
                        let cx = circle_x
                            .get(&(cut.page, cut.top, cut.letter))
                            .copied()
                            .unwrap_or(cut.x);
                        let cy = yb + dir * (10.0 + r);
                        let jog = yb + dir * 3.5;
                        let mut tail = vec![Point { x: cut.x, y: yb }];
                        if (cx - cut.x).abs() > 0.01 {
                            tail.push(Point { x: cut.x, y: jog });
                            tail.push(Point { x: cx, y: jog });
                        }
                        tail.push(Point {
                            x: cx,
                            y: cy - dir * r,
                        });
                        let mut body = shift(pts, dy);
                        let full = if is_src {
                            body.pop();
                            body.extend(tail);
                            body
                        } else {
                            tail.reverse();
                            tail.pop();
                            tail.extend(body);
                            tail
                        };
                        let label = if is_src {
                            e.label.as_ref().map(|l| {
                                let moved = shift_label(l, dy);
                                let top = self.gap_top(page.a) + dy;
                                let bottom = self.row_bottom(page.b - 1) + dy;
                                if moved.rect.y >= top && moved.rect.bottom() <= bottom {
                                    moved
                                } else {
                                    // The label's spot fell onto the next
                                    // page; put it beside the connector,
                                    // below the lane headers.
                                    let rect = Rect {
                                        x: cx + r + 2.0,
                                        y: (cy - l.rect.h / 2.0).max(self.header_h + 1.0),
                                        ..l.rect
                                    };
                                    move_label(l, rect)
                                }
                            })
                        } else {
                            None
                        };
                        // A label beside a bottom connector may reach below
                        // the connector margin: the page grows to hold it.
                        if let Some(l) = &label {
                            page.height = page.height.max(l.rect.bottom() + 2.0);
                        }
                        page.edges.push(DrawEdge {
                            pts: simplify(full),
                            arrow: true,
                            label,
                        });
                        if !page
                            .circles
                            .iter()
                            .any(|c| (c.x - cx).abs() < 0.01 && (c.y - cy).abs() < 0.01)
                        {
                            page.circles.push(Circle {
                                x: cx,
                                y: cy,
                                text: letter(cut.letter),
                            });
                        }
                    }
                }
            }
        }
        pages
            .iter()
            .map(|p| {
                let scale = (p.height > max_height_pt).then_some(max_height_pt);
                self.render(p, scale)
            })
            .collect()
    }

    fn conn_r(&self) -> f64 {
        self.font_size * 0.9
    }
    fn conn_margin(&self) -> f64 {
        self.conn_r() * 2.0 + 14.0
    }

    fn render(&self, page: &Page, fit_height: Option<f64>) -> String {
        let w = self.width;
        let h = page.height;
        let fs = self.font_size;
        let mut o = String::with_capacity(4096 + self.nodes.len() * 600);
        let (attr_w, attr_h) = match fit_height {
            Some(max_h) if h > 0.0 => (w * max_h / h, max_h),
            _ => (w, h),
        };
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{}pt" height="{}pt" viewBox="0 0 {} {}" font-family="{}" font-size="{}">"#,
            num(attr_w),
            num(attr_h),
            num(w),
            num(h),
            esc(&self.font_family),
            num(fs)
        );
        o.push('\n');
        let _ = writeln!(
            o,
            r#"<rect x="0" y="0" width="{}" height="{}" fill="white"/>"#,
            num(w),
            num(h)
        );
        // Lane headers and separators.
        let _ = writeln!(
            o,
            r#"<rect x="0.45" y="0.45" width="{}" height="{}" fill="{HEADER_FILL}" stroke="none"/>"#,
            num(w - 0.9),
            num(self.header_h - 0.45)
        );
        for (i, lane) in self.lanes.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(
                    o,
                    r#"<line x1="{x}" y1="0" x2="{x}" y2="{}" stroke="{GREY}" stroke-width="0.6"/>"#,
                    num(h),
                    x = num(lane.x)
                );
            }
            for l in &lane.lines {
                text_el(&mut o, l, 0.0);
            }
        }
        let _ = writeln!(
            o,
            r#"<line x1="0" y1="{y}" x2="{}" y2="{y}" stroke="{INK}" stroke-width="0.8"/>"#,
            num(w),
            y = num(self.header_h)
        );
        let _ = writeln!(
            o,
            r#"<rect x="0.45" y="0.45" width="{}" height="{}" fill="none" stroke="{INK}" stroke-width="0.9"/>"#,
            num(w - 0.9),
            num(h - 0.9)
        );

        // Edges below boxes so that a box always has a clean outline.
        let al = fs * 0.68;
        let ah = fs * 0.28;
        for e in &page.edges {
            if e.pts.len() < 2 {
                continue;
            }
            let mut pts = e.pts.clone();
            let n = pts.len();
            let (tip, prev) = (pts[n - 1], pts[n - 2]);
            let len = ((tip.x - prev.x).powi(2) + (tip.y - prev.y).powi(2)).sqrt();
            let (ux, uy) = if len > 1e-9 {
                ((tip.x - prev.x) / len, (tip.y - prev.y) / len)
            } else {
                (0.0, 1.0)
            };
            // Only squeezed charts have a last run shorter than an
            // arrowhead; shrinking the head keeps it on its own line.
            let al = if len > 1e-9 { al.min(len) } else { al };
            if e.arrow && len > al * 0.5 {
                // Stop the line inside the arrowhead so its end does not
                // poke through the tip.
                pts[n - 1] = Point {
                    x: tip.x - ux * al * 0.6,
                    y: tip.y - uy * al * 0.6,
                };
            }
            let mut d = String::new();
            for (i, p) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{} {}",
                    if i == 0 { "M" } else { " L" },
                    num(p.x),
                    num(p.y)
                );
            }
            let _ = writeln!(
                o,
                r#"<path d="{d}" fill="none" stroke="{INK}" stroke-width="0.75" stroke-linejoin="miter"/>"#
            );
            if e.arrow {
                let bx = tip.x - ux * al;
                let by = tip.y - uy * al;
                let _ = writeln!(
                    o,
                    r#"<polygon points="{},{} {},{} {},{}" fill="{INK}"/>"#,
                    num(tip.x),
                    num(tip.y),
                    num(bx - uy * ah),
                    num(by + ux * ah),
                    num(bx + uy * ah),
                    num(by - ux * ah)
                );
            }
        }

        for node in self
            .nodes
            .iter()
            .filter(|n| n.row >= page.a && n.row < page.b)
        {
            let r = Rect {
                y: node.rect.y + page.dy,
                ..node.rect
            };
            match node.kind {
                NodeKind::Task => {
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="white" stroke="{INK}" stroke-width="0.9"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                }
                NodeKind::Call => {
                    let inset = fs * 0.5;
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="white" stroke="{INK}" stroke-width="0.9"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                    for x in [r.x + inset, r.right() - inset] {
                        let _ = writeln!(
                            o,
                            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{INK}" stroke-width="0.7"/>"#,
                            num(r.y),
                            num(r.bottom()),
                            x = num(x)
                        );
                    }
                }
                NodeKind::Start | NodeKind::End => {
                    let rx = (r.h / 2.0).min(fs * 1.4);
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" ry="{}" fill="white" stroke="{INK}" stroke-width="0.9"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h),
                        num(rx),
                        num(rx)
                    );
                }
                NodeKind::Decision => {
                    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
                    let _ = writeln!(
                        o,
                        r#"<polygon points="{},{} {},{} {},{} {},{}" fill="white" stroke="{INK}" stroke-width="0.9" stroke-linejoin="miter"/>"#,
                        num(cx),
                        num(r.y),
                        num(r.right()),
                        num(cy),
                        num(cx),
                        num(r.bottom()),
                        num(r.x),
                        num(cy)
                    );
                }
                NodeKind::Fork | NodeKind::Join => {
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{INK}"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                }
            }
            for l in &node.lines {
                text_el(&mut o, l, page.dy);
            }
        }

        for e in &page.edges {
            if let Some(label) = &e.label {
                let r = label.rect;
                let _ = writeln!(
                    o,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="white"/>"#,
                    num(r.x),
                    num(r.y),
                    num(r.w),
                    num(r.h)
                );
                for l in &label.lines {
                    text_el(&mut o, l, 0.0);
                }
            }
        }
        let cr = self.conn_r();
        for c in &page.circles {
            let _ = writeln!(
                o,
                r#"<circle cx="{}" cy="{}" r="{}" fill="white" stroke="{INK}" stroke-width="0.8"/>"#,
                num(c.x),
                num(c.y),
                num(cr)
            );
            let size = fs * 0.9;
            let _ = writeln!(
                o,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="{}" font-weight="bold">{}</text>"#,
                num(c.x),
                num(c.y + 0.35 * size),
                num(size),
                esc(&c.text)
            );
        }
        o.push_str("</svg>\n");
        o
    }
}

fn text_el(o: &mut String, l: &TextLine, dy: f64) {
    let _ = write!(
        o,
        r#"<text x="{}" y="{}" text-anchor="middle""#,
        num(l.x),
        num(l.y + dy)
    );
    if (l.size - 0.0).abs() > 0.0 {
        let _ = write!(o, r#" font-size="{}""#, num(l.size));
    }
    if l.bold {
        o.push_str(r#" font-weight="bold""#);
    }
    if l.secondary {
        let _ = write!(o, r#" fill="{SECONDARY}""#);
    }
    let _ = writeln!(o, ">{}</text>", esc(&l.text));
}

fn shift_label(l: &PlacedLabel, dy: f64) -> PlacedLabel {
    PlacedLabel {
        rect: Rect {
            y: l.rect.y + dy,
            ..l.rect
        },
        lines: l
            .lines
            .iter()
            .map(|t| TextLine {
                y: t.y + dy,
                ..t.clone()
            })
            .collect(),
    }
}

fn move_label(l: &PlacedLabel, to: Rect) -> PlacedLabel {
    let (dx, dy) = (to.x - l.rect.x, to.y - l.rect.y);
    PlacedLabel {
        rect: to,
        lines: l
            .lines
            .iter()
            .map(|t| TextLine {
                x: t.x + dx,
                y: t.y + dy,
                ..t.clone()
            })
            .collect(),
    }
}

/// Follows a polyline from its first point while it stays on the page and
/// cuts it where it leaves. Returns the kept points (ending at the cut),
/// the cut's x, and whether the cut is at the page top.
fn clip_walk(
    pts: &[Point],
    inside: impl Fn(f64) -> bool,
    bounds: (f64, f64),
) -> (Vec<Point>, f64, bool) {
    let mut kept = Vec::new();
    let Some(&first) = pts.first() else {
        return (kept, 0.0, false);
    };
    kept.push(first);
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if inside(b.y) {
            kept.push(b);
            continue;
        }
        let top = b.y < a.y;
        let yb = if top { bounds.0 } else { bounds.1 };
        let x = if (b.y - a.y).abs() > 1e-9 {
            a.x + (b.x - a.x) * ((yb - a.y) / (b.y - a.y)).clamp(0.0, 1.0)
        } else {
            a.x
        };
        kept.push(Point { x, y: yb });
        return (kept, x, top);
    }
    // Never left the page; should not happen for split edges, but cut at
    // the last point so callers still get a consistent answer.
    let last = kept.last().copied().unwrap_or(first);
    (kept, last.x, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(id: &str, label: &[&str]) -> Lane {
        Lane {
            id: id.into(),
            label: label.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn node(id: &str, kind: NodeKind, lane: usize, number: Option<&str>, label: &[&str]) -> Node {
        Node {
            id: id.into(),
            kind,
            lane,
            number: number.map(String::from),
            label: label.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn edge(from: &str, to: &str, label: &[&str]) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            label: label.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Three lanes with a decision, two loop-backs and a fork/join.
    fn sample() -> Chart {
        use NodeKind::*;
        Chart {
            lanes: vec![
                lane("cs", &["Customer Service", "客服部"]),
                lane("qa", &["Quality Assurance", "质量保证部"]),
                lane("prod", &["Production", "生产部"]),
            ],
            nodes: vec![
                node(
                    "start",
                    Start,
                    0,
                    None,
                    &["Customer order received", "收到客户订单"],
                ),
                node(
                    "review",
                    Task,
                    0,
                    Some("5.1"),
                    &["Review order requirements", "评审订单要求"],
                ),
                node(
                    "ok",
                    Decision,
                    0,
                    None,
                    &["Requirements complete?", "要求是否完整？"],
                ),
                node(
                    "clarify",
                    Task,
                    1,
                    Some("5.2"),
                    &["Clarify requirements", "与客户澄清要求"],
                ),
                node("fork", Fork, 0, None, &[]),
                node(
                    "plan",
                    Task,
                    2,
                    Some("5.3"),
                    &["Plan production", "策划生产"],
                ),
                node(
                    "iplan",
                    Task,
                    1,
                    Some("5.4"),
                    &["Prepare inspection plan", "编制检验计划"],
                ),
                node("join", Join, 1, None, &[]),
                node(
                    "make",
                    Task,
                    2,
                    Some("5.5"),
                    &["Manufacture product", "生产产品"],
                ),
                node(
                    "inspect",
                    Task,
                    1,
                    Some("5.6"),
                    &["Final inspection", "最终检验"],
                ),
                node(
                    "pass",
                    Decision,
                    1,
                    None,
                    &["Product conforms?", "产品是否合格？"],
                ),
                node(
                    "rework",
                    Call,
                    2,
                    Some("QP-10"),
                    &["Nonconforming output", "不合格输出控制"],
                ),
                node(
                    "ship",
                    Task,
                    0,
                    Some("5.7"),
                    &["Ship and invoice", "发货并开具发票"],
                ),
                node("end", End, 0, None, &["Order delivered", "订单交付完成"]),
            ],
            edges: vec![
                edge("start", "review", &[]),
                edge("review", "ok", &[]),
                edge("ok", "fork", &["Yes", "是"]),
                edge("ok", "clarify", &["No", "否"]),
                edge("clarify", "review", &[]),
                edge("fork", "plan", &[]),
                edge("fork", "iplan", &[]),
                edge("plan", "join", &[]),
                edge("iplan", "join", &[]),
                edge("join", "make", &[]),
                edge("make", "inspect", &[]),
                edge("inspect", "pass", &[]),
                edge("pass", "ship", &["Yes", "是"]),
                edge("pass", "rework", &["No", "否"]),
                edge("rework", "inspect", &[]),
                edge("ship", "end", &[]),
            ],
        }
    }

    fn on_border(n: &PlacedNode, p: Point) -> bool {
        let r = n.rect;
        let eps = 0.02;
        if n.kind == NodeKind::Decision {
            let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
            let d = (p.x - cx).abs() / (r.w / 2.0) + (p.y - cy).abs() / (r.h / 2.0);
            return (d - 1.0).abs() < 0.01;
        }
        let inside = p.x >= r.x - eps
            && p.x <= r.right() + eps
            && p.y >= r.y - eps
            && p.y <= r.bottom() + eps;
        let on_edge = (p.x - r.x).abs() < eps
            || (p.x - r.right()).abs() < eps
            || (p.y - r.y).abs() < eps
            || (p.y - r.bottom()).abs() < eps;
        inside && on_edge
    }

    fn node_by_id<'a>(l: &'a Layout, id: &str) -> &'a PlacedNode {
        l.nodes().iter().find(|n| n.id == id).expect("node exists")
    }

    fn svg_height(svg: &str) -> f64 {
        let start = svg.find("height=\"").expect("height attribute") + 8;
        let rest = &svg[start..];
        let end = rest.find("pt\"").expect("pt unit");
        rest[..end].parse().expect("number")
    }

    /// Minimal well-formedness check: balanced tags, quoted attributes and
    /// no bare ampersands.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            let text = &rest[..i];
            for (k, _) in text.match_indices('&') {
                let ent = &text[k..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| ent.starts_with(e)),
                    "bare ampersand in {text:?}"
                );
            }
            assert!(!text.contains('>'), "stray > in text {text:?}");
            let close = rest[i..].find('>').expect("tag closes") + i;
            let tag = &rest[i + 1..close];
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
            assert!(!tag.contains('<'), "nested < in <{tag}>");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched close tag");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("").to_string();
                stack.push(name);
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed tags {stack:?}");
        assert!(svg.starts_with("<svg "));
    }

    /// Every path and polygon coordinate must lie inside the viewBox.
    fn assert_drawing_inside(svg: &str) {
        let vb = svg.find("viewBox=\"0 0 ").expect("viewBox") + 13;
        let rest = &svg[vb..];
        let nums: Vec<f64> = rest[..rest.find('"').unwrap_or(0)]
            .split(' ')
            .filter_map(|v| v.parse().ok())
            .collect();
        let (w, h) = (nums[0], nums[1]);
        // Arrowheads may poke out by their half-width on degenerate,
        // very narrow charts; lines themselves must stay inside.
        for (attr, tol) in [(" d=\"", 0.01), (" points=\"", 3.5)] {
            for (i, _) in svg.match_indices(attr) {
                let body = &svg[i + attr.len()..];
                let body = &body[..body.find('"').unwrap_or(0)];
                let vals: Vec<f64> = body
                    .split([' ', ',', 'M', 'L'])
                    .filter_map(|v| v.parse().ok())
                    .collect();
                for xy in vals.chunks(2) {
                    assert!(
                        xy[0] >= -tol && xy[0] <= w + tol,
                        "x {} outside {w} in {attr}{body}",
                        xy[0]
                    );
                    if let Some(&y) = xy.get(1) {
                        assert!(
                            y >= -tol && y <= h + tol,
                            "y {y} outside {h} in {attr}{body}"
                        );
                    }
                }
            }
        }
        // Text too: a baseline below the page cuts the line off.
        for (i, _) in svg.match_indices("<text ") {
            let tag = &svg[i..i + svg[i..].find('>').unwrap_or(0)];
            let Some(at) = tag.find(" y=\"") else {
                continue;
            };
            let value = &tag[at + 4..];
            let y: f64 = value[..value.find('"').unwrap_or(0)].parse().unwrap();
            assert!(
                y >= 0.0 && y <= h + 0.01,
                "text at y {y} outside {h}: {tag}"
            );
        }
    }

    fn check_geometry(l: &Layout) {
        let nodes = l.nodes();
        for (i, a) in nodes.iter().enumerate() {
            assert!(a.rect.w > 0.0 && a.rect.h > 0.0, "{} has no area", a.id);
            for b in &nodes[i + 1..] {
                assert!(!a.rect.intersects(&b.rect), "{} overlaps {}", a.id, b.id);
            }
        }
        for e in l.edges() {
            assert!(e.points.len() >= 2);
            for p in &e.points {
                assert!(p.x.is_finite() && p.y.is_finite());
            }
            for w in e.points.windows(2) {
                let ortho = (w[0].x - w[1].x).abs() < 1e-6 || (w[0].y - w[1].y).abs() < 1e-6;
                assert!(ortho, "{} -> {} has a diagonal segment", e.from, e.to);
            }
        }
    }

    #[test]
    fn sample_nodes_do_not_overlap_and_edges_are_orthogonal() {
        let l = layout(&sample(), &Style::default());
        assert!(l.issues().is_empty(), "{:?}", l.issues());
        check_geometry(&l);
        assert!((l.width_pt() - 481.0).abs() < 1e-9);
    }

    #[test]
    fn edge_endpoints_touch_node_borders() {
        let l = layout(&sample(), &Style::default());
        for e in l.edges() {
            let (first, last) = (e.points[0], e.points[e.points.len() - 1]);
            assert!(
                on_border(node_by_id(&l, &e.from), first),
                "{} -> {} start {first:?}",
                e.from,
                e.to
            );
            assert!(
                on_border(node_by_id(&l, &e.to), last),
                "{} -> {} end {last:?}",
                e.from,
                e.to
            );
        }
    }

    #[test]
    fn edges_never_pass_through_boxes() {
        let l = layout(&sample(), &Style::default());
        for e in l.edges() {
            for w in e.points.windows(2) {
                for n in l.nodes() {
                    assert!(
                        !seg_hits_rect(w[0], w[1], &n.rect.inflate(-0.5)),
                        "{} -> {} crosses {}",
                        e.from,
                        e.to,
                        n.id
                    );
                }
            }
        }
    }

    #[test]
    fn decision_labels_are_placed_clear_of_boxes_and_each_other() {
        let l = layout(&sample(), &Style::default());
        let labels: Vec<&PlacedLabel> = l.edges().iter().filter_map(|e| e.label.as_ref()).collect();
        assert_eq!(labels.len(), 4);
        for (i, a) in labels.iter().enumerate() {
            for n in l.nodes() {
                let diamond = n.kind == NodeKind::Decision;
                assert!(
                    !shape_hits_rect(&n.rect, diamond, &a.rect),
                    "label {:?} covers {}",
                    a.lines,
                    n.id
                );
            }
            for b in &labels[i + 1..] {
                assert!(!a.rect.intersects(&b.rect), "labels overlap");
            }
            assert!(a.rect.x >= 0.0 && a.rect.right() <= l.width_pt());
        }
        // Next to the start of its edge.
        for e in l.edges() {
            if let Some(lab) = &e.label {
                let p = e.points[0];
                let dx = (lab.rect.x - p.x).abs().min((lab.rect.right() - p.x).abs());
                let dy = (lab.rect.y - p.y)
                    .abs()
                    .min((lab.rect.bottom() - p.y).abs());
                assert!(dx < 70.0 && dy < 70.0, "label far from its edge start");
            }
        }
    }

    #[test]
    fn loop_backs_do_not_affect_ranks() {
        let l = layout(&sample(), &Style::default());
        let rank = |id: &str| node_by_id(&l, id).rank;
        assert_eq!(rank("start"), 0);
        assert_eq!(rank("review"), 1);
        assert_eq!(rank("ok"), 2);
        assert_eq!(rank("inspect"), rank("make") + 1);
        assert!(l.edges().iter().filter(|e| e.loop_back).count() == 2);
        // Loop-backs run upward to their target.
        for e in l.edges().iter().filter(|e| e.loop_back) {
            let first = e.points[0];
            let last = e.points[e.points.len() - 1];
            assert!(last.y < first.y);
        }
    }

    #[test]
    fn same_lane_and_rank_get_separate_rows() {
        use NodeKind::*;
        let chart = Chart {
            lanes: vec![lane("a", &["A"]), lane("b", &["B"])],
            nodes: vec![
                node("s", Start, 0, None, &["s"]),
                node("x", Task, 1, Some("1"), &["x"]),
                node("y", Task, 1, Some("2"), &["y"]),
                node("e", End, 0, None, &["e"]),
            ],
            edges: vec![
                edge("s", "x", &[]),
                edge("s", "y", &[]),
                edge("x", "e", &[]),
                edge("y", "e", &[]),
            ],
        };
        let l = layout(&chart, &Style::default());
        let (x, y) = (node_by_id(&l, "x"), node_by_id(&l, "y"));
        assert_eq!(x.rank, y.rank);
        assert_ne!(x.row, y.row);
        check_geometry(&l);
    }

    #[test]
    fn fork_and_join_bars_span_their_branches() {
        let l = layout(&sample(), &Style::default());
        let fork = node_by_id(&l, "fork");
        let join = node_by_id(&l, "join");
        for id in ["plan", "iplan"] {
            let n = node_by_id(&l, id);
            let cx = n.rect.x + n.rect.w / 2.0;
            assert!(fork.rect.x < cx && cx < fork.rect.right());
            assert!(fork.rect.bottom() <= n.rect.y);
            assert!(join.rect.x < cx && cx < join.rect.right());
            assert!(join.rect.y >= n.rect.bottom());
        }
        assert!(fork.rect.h < 6.0);
    }

    #[test]
    fn layout_and_svg_are_deterministic() {
        let a = layout(&sample(), &Style::default());
        let b = layout(&sample(), &Style::default());
        assert_eq!(a, b);
        assert_eq!(a.to_svg(), b.to_svg());
        assert_eq!(a.to_svg_pages(300.0), b.to_svg_pages(300.0));
    }

    #[test]
    fn svg_has_required_shape() {
        let l = layout(&sample(), &Style::default());
        let svg = l.to_svg();
        assert_well_formed(&svg);
        assert!(svg.contains(r#"width="481pt""#));
        assert!(svg.contains(r#"viewBox="0 0 481 "#));
        assert!(svg.contains(r#"font-family="Noto Sans, Noto Sans CJK SC""#));
        assert!(svg.contains("客服部"));
        assert!((svg_height(&svg) - l.height_pt()).abs() < 0.01);
        assert!(!svg.contains("<script") && !svg.contains("href"));
        for w in svg.match_indices("stroke-width=\"") {
            let rest = &svg[w.0 + 14..];
            let v: f64 = rest[..rest.find('"').unwrap_or(0)].parse().unwrap_or(0.0);
            assert!(v >= 0.6, "stroke width {v}");
        }
    }

    #[test]
    fn pages_fit_and_carry_connectors() {
        let l = layout(&sample(), &Style::default());
        let max = 300.0;
        let pages = l.to_svg_pages(max);
        assert!(pages.len() >= 2, "expected a split, got {}", pages.len());
        let mut letters: HashMap<String, usize> = HashMap::new();
        for p in &pages {
            assert_well_formed(p);
            assert!(svg_height(p) <= max + 1e-9);
            assert!(p.contains("Customer Service"), "header repeated");
            assert_drawing_inside(p);
            let mut rest = p.as_str();
            while let Some(i) = rest.find("font-weight=\"bold\">") {
                rest = &rest[i + 19..];
                let text = &rest[..rest.find('<').unwrap_or(0)];
                if !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase()) {
                    *letters.entry(text.to_string()).or_default() += 1;
                }
            }
        }
        assert!(pages.iter().all(|p| p.contains("<circle")) || pages.len() > 2);
        assert!(!letters.is_empty());
        for (letter, count) in letters {
            assert!(count >= 2, "connector {letter} appears only once");
        }
        // Every node appears on exactly one page.
        for n in l.nodes().iter().filter(|n| n.id.starts_with('r')) {
            let text = &n.lines[n.lines.len() - 1].text;
            assert_eq!(
                pages.iter().filter(|p| p.contains(text.as_str())).count(),
                1
            );
        }
    }

    #[test]
    fn a_page_too_small_for_one_row_is_scaled_not_overflowing() {
        let l = layout(&sample(), &Style::default());
        for p in l.to_svg_pages(40.0) {
            assert!(svg_height(&p) <= 40.0 + 1e-9);
            assert_well_formed(&p);
        }
        assert_eq!(l.to_svg_pages(f64::NAN), vec![l.to_svg()]);
        assert_eq!(l.to_svg_pages(1e9).len(), 1);
    }

    #[test]
    fn special_characters_are_escaped() {
        use NodeKind::*;
        let chart = Chart {
            lanes: vec![lane("a", &["R&D <lab>"])],
            nodes: vec![
                node("a", Task, 0, Some("1<2"), &["if a<b && c>d \"quote\" 'x'"]),
                node("b", End, 0, None, &["done\u{1}"]),
            ],
            edges: vec![edge("a", "b", &["<&>"])],
        };
        let style = Style {
            font_family: "\"Noto Sans\", serif".into(),
            ..Style::default()
        };
        let svg = layout(&chart, &style).to_svg();
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;&amp;&gt;"));
        assert!(svg.contains("R&amp;D &lt;lab&gt;"));
        assert!(svg.contains("&quot;Noto Sans&quot;, serif"));
        assert!(!svg.contains("<&>"));
        assert!(!svg.contains('\u{1}'));
    }

    #[test]
    fn empty_chart_gives_small_valid_svg() {
        let l = layout(&Chart::default(), &Style::default());
        let svg = l.to_svg();
        assert_well_formed(&svg);
        assert!(svg_height(&svg) < 60.0);
        assert_eq!(l.to_svg_pages(100.0).len(), 1);
        let lanes_only = Chart {
            lanes: vec![lane("a", &["A"]), lane("b", &["B"])],
            ..Chart::default()
        };
        assert_well_formed(&layout(&lanes_only, &Style::default()).to_svg());
    }

    #[test]
    fn bad_input_is_reported_not_fatal() {
        use NodeKind::*;
        let chart = Chart {
            lanes: vec![lane("a", &["A"])],
            nodes: vec![
                node("a", Task, 0, None, &["a"]),
                node("a", Task, 0, None, &["dup"]),
                node("b", Decision, 7, None, &["b?"]),
            ],
            edges: vec![
                edge("a", "ghost", &[]),
                edge("a", "b", &[]),
                edge("b", "b", &["again"]),
                edge("b", "a", &["back"]),
            ],
        };
        let style = Style {
            width_pt: f64::NAN,
            font_size_pt: -1.0,
            font_family: String::new(),
        };
        let l = layout(&chart, &style);
        let issues = l.issues();
        assert!(issues.contains(&LayoutIssue::DuplicateNodeId("a".into())));
        assert!(issues.contains(&LayoutIssue::LaneOutOfRange {
            node: "b".into(),
            lane: 7
        }));
        assert!(
            issues.iter().any(
                |i| matches!(i, LayoutIssue::UnknownNode { missing, .. } if missing == "ghost")
            )
        );
        assert!(issues.contains(&LayoutIssue::InvalidStyle("width_pt")));
        assert_eq!(l.edges().len(), 3);
        check_geometry(&l);
        assert_well_formed(&l.to_svg());
        assert!(!issues[0].to_string().is_empty());
    }

    /// Deterministic pseudo-random charts: cycles, self-loops, bars with odd
    /// spans, decisions with many exits, zero lanes, tiny widths.
    #[test]
    fn random_charts_never_panic_and_keep_boxes_apart() {
        use NodeKind::*;
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |m: usize| -> usize {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m.max(1) as u64) as usize
        };
        let kinds = [Start, Task, Decision, Fork, Join, End, Call];
        for case in 0..150 {
            let nl = next(6);
            let nn = next(30);
            let lanes = (0..nl)
                .map(|i| lane(&format!("l{i}"), &["Lane", "部门"]))
                .collect();
            let nodes = (0..nn)
                .map(|i| {
                    node(
                        &format!("n{i}"),
                        kinds[next(kinds.len())],
                        next(nl + 2),
                        if next(2) == 0 { Some("1.2") } else { None },
                        &["Some words here", "一些中文文字"],
                    )
                })
                .collect();
            let edges = (0..next(45))
                .map(|_| {
                    let a = next(nn + 1);
                    let b = next(nn + 1);
                    edge(
                        &format!("n{a}"),
                        &format!("n{b}"),
                        if next(3) == 0 { &["Yes", "是"] } else { &[] },
                    )
                })
                .collect();
            let chart = Chart {
                lanes,
                nodes,
                edges,
            };
            let style = Style {
                width_pt: [481.0, 120.0, 30.0, 2000.0][case % 4],
                font_size_pt: [7.5, 12.0, 5.0][case % 3],
                ..Style::default()
            };
            let l = layout(&chart, &style);
            check_geometry(&l);
            for e in l.edges() {
                let (first, last) = (e.points[0], e.points[e.points.len() - 1]);
                assert!(
                    on_border(node_by_id_first(&l, &e.from), first),
                    "case {case}"
                );
                assert!(on_border(node_by_id_first(&l, &e.to), last), "case {case}");
            }
            assert_well_formed(&l.to_svg());
            assert_drawing_inside(&l.to_svg());
            for p in l.to_svg_pages(150.0 + next(400) as f64) {
                assert_well_formed(&p);
                assert_drawing_inside(&p);
            }
            for e in l.edges() {
                for w in e.points.windows(2) {
                    for n in l.nodes() {
                        assert!(
                            !seg_hits_rect(w[0], w[1], &n.rect.inflate(-0.5)),
                            "case {case}: edge crosses {}",
                            n.id
                        );
                    }
                }
            }
        }
    }

    fn node_by_id_first<'a>(l: &'a Layout, id: &str) -> &'a PlacedNode {
        node_by_id(l, id)
    }

    #[test]
    fn sixty_nodes_lay_out_quickly() {
        use NodeKind::*;
        let n = 60;
        let nodes: Vec<Node> = (0..n)
            .map(|i| {
                let kind = if i % 7 == 3 { Decision } else { Task };
                node(
                    &format!("n{i}"),
                    kind,
                    (i * 7 / 5) % 4,
                    Some("7.1"),
                    &["A step with a long title", "执行本步骤"],
                )
            })
            .collect();
        let mut edges: Vec<Edge> = (1..n)
            .map(|i| edge(&format!("n{}", i - 1), &format!("n{i}"), &[]))
            .collect();
        for i in (3..n - 3).step_by(7) {
            edges.push(edge(&format!("n{i}"), &format!("n{}", i + 3), &["Yes"]));
            edges.push(edge(&format!("n{i}"), &format!("n{}", i - 2), &["No"]));
        }
        let chart = Chart {
            lanes: (0..4).map(|i| lane(&format!("l{i}"), &["Lane"])).collect(),
            nodes,
            edges,
        };
        let style = Style::default();
        let mut best = std::time::Duration::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let l = layout(&chart, &style);
            best = best.min(t.elapsed());
            check_geometry(&l);
        }
        // Generous bound: unoptimised test builds on a loaded machine.
        assert!(best.as_millis() < 100, "layout took {best:?}");
    }

    #[test]
    fn text_measure_and_wrap() {
        let fs = 10.0;
        assert!((text_width("中文", fs, false) - 20.0).abs() < 1e-9);
        assert!((text_width("ab", fs, false) - 11.0).abs() < 1e-9);
        assert!((text_width("A 1", fs, false) - (6.5 + 2.8 + 5.6)).abs() < 1e-9);
        let lines = wrap(
            "Review the purchase order requirements carefully",
            80.0,
            fs,
            false,
        );
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, fs, false) <= 80.0 + 1e-9, "{l}");
        }
        // CJK breaks between characters but never before closing punctuation.
        let cjk = wrap("接收货物，核对数量与送货单", 65.0, fs, false);
        assert!(cjk.len() > 1);
        assert!(cjk.iter().all(|l| !l.starts_with('，')));
        // Over-long words are split rather than overflowing.
        let long = wrap("Supercalifragilisticexpialidocious", 40.0, fs, false);
        assert!(long.len() > 1 && long.iter().all(|l| text_width(l, fs, false) <= 40.0 + 1e-9));
        assert!(wrap("", 40.0, fs, false).is_empty());
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
    }
}
