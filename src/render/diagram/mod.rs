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

mod grid;
mod jogs;
mod labels;
mod nudge;
mod pages;
mod place;
mod route;
mod rows;
mod runs;
mod svg;
#[cfg(test)]
mod tests;
mod text;
mod tracks;
mod widths;

use grid::*;
use labels::*;
use place::*;
use route::*;
use rows::*;
use runs::*;
use svg::*;
use text::*;
use widths::*;

pub use place::layout;

// ---------------------------------------------------------------- input --

/// A procedure flowchart: lanes (responsible functions), steps and flows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub lanes: Vec<Lane>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The `step` of the task boxes drawn with a timer mark: steps left by a `timeout`, whose
    /// timeout exit is an edge of its own from the box.
    pub timers: Vec<String>,
    /// Steps signed by several departments: besides its box (in the first department's
    /// lane) each is marked in the lane of every other department that signs it.
    pub joint: Vec<JointMark>,
}

/// A step box marked in further lanes: a dashed box with the step's number, level with
/// the step's box, in each of `lanes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JointMark {
    /// The id of the step's node (see [`Node::id`]).
    pub node: String,
    pub lanes: Vec<usize>,
    /// The step's number, printed in each mark.
    pub label: String,
}

/// A swimlane; `label` holds one line per language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lane {
    pub id: String,
    pub label: Vec<String>,
    /// The department this lane's role belongs to (`in:`), if any. Neighbouring lanes of
    /// one group share a band above their headers that names the department.
    pub group: Option<LaneGroup>,
}

/// A department whose roles' lanes are grouped under one header band.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaneGroup {
    /// Department code: neighbouring lanes with the same code share one band.
    pub id: String,
    /// Department name, one line per language.
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
    /// A decision that may take several outcomes (`multiple: true`): a diamond with a circle,
    /// as BPMN draws an inclusive gateway.
    Inclusive,
    /// A bar with a circle where the branches that were started meet (`join: started`).
    InclusiveJoin,
}

impl NodeKind {
    /// The kind as written in `data-kind`.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Start => "start",
            NodeKind::Task => "task",
            NodeKind::Decision => "decision",
            NodeKind::Fork => "fork",
            NodeKind::Join => "join",
            NodeKind::End => "end",
            NodeKind::Call => "call",
            NodeKind::Inclusive => "inclusive",
            NodeKind::InclusiveJoin => "inclusive-join",
        }
    }
    fn is_bar(self) -> bool {
        matches!(
            self,
            NodeKind::Fork | NodeKind::Join | NodeKind::InclusiveJoin
        )
    }

    /// A diamond holding a question: an exclusive or an inclusive decision.
    fn is_diamond(self) -> bool {
        matches!(self, NodeKind::Decision | NodeKind::Inclusive)
    }
}

/// A step; nodes are given in flow order, `lane` indexes `Chart::lanes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    /// The node of the flow this shape draws, written as `data-step` on the shape: a step
    /// id, `start`, or `end:<step id>` for the terminator ending a step. A decision diamond
    /// and a fork bar carry the id of the step whose exit they draw, a join bar the id of
    /// the step it leads into.
    pub step: String,
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
    /// The lane sits under a group band, so its header starts below the band.
    pub grouped: bool,
}

/// The band naming a department above the headers of its roles' lanes, spanning lanes
/// `first..=last`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBand {
    pub id: String,
    pub first: usize,
    pub last: usize,
    pub x: f64,
    pub w: f64,
    /// The department name, centred in the band.
    pub lines: Vec<TextLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacedNode {
    pub id: String,
    /// See [`Node::step`].
    pub step: String,
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
    /// The flow connections this line draws, as flow node names (see [`Node::step`]):
    /// every pair of `from_steps` x `to_steps`. A line into a decision, a fork or out of
    /// a join is shared by several connections; any other line draws exactly one.
    pub from_steps: Vec<String>,
    pub to_steps: Vec<String>,
    /// The outcome (first language) for a line leaving a decision, or the label of a
    /// timeout line leaving a task.
    pub outcome: Option<String>,
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
    /// Height of the group bands at the top of the header (0 without groups).
    group_h: f64,
    groups: Vec<GroupBand>,
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
    /// See [`Chart::timers`].
    timers: Vec<String>,
    joint: Vec<JointMark>,
}

// --------------------------------------------------------- measurements --

/// Visual constants derived from the font size so that a larger font keeps
/// the proportions of the drawing.
#[derive(Debug, Clone)]
pub(super) struct Metrics {
    pub(super) width: f64,
    pub(super) fs: f64,
    pub(super) lh: f64,
    pub(super) pad_x: f64,
    pub(super) pad_y: f64,
    pub(super) label_fs: f64,
    pub(super) label_lh: f64,
    pub(super) family: String,
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
        self.fs * 0.65
    }
    fn stroke_gap_bottom(&self) -> f64 {
        self.fs * 1.05
    }
    fn track_sp(&self) -> f64 {
        self.fs * 0.55
    }
    /// The smallest size a box or lane text shrinks to so that a long word fits whole.
    fn min_fs(&self) -> f64 {
        self.fs * 0.8
    }
    fn bar_thickness(&self) -> f64 {
        (self.fs * 0.45).max(2.5)
    }
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
    /// The department bands above grouped lanes, left to right.
    pub fn groups(&self) -> &[GroupBand] {
        &self.groups
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

    pub(super) fn row_bottom(&self, r: usize) -> f64 {
        self.rows.get(r).map(|b| b.y + b.h).unwrap_or(self.header_h)
    }
    pub(super) fn gap_top(&self, g: usize) -> f64 {
        self.gaps.get(g).map(|b| b.y).unwrap_or(self.header_h)
    }
}
