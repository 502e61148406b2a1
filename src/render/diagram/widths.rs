//! How wide a box is: a box whose text would wrap into a tall narrow column in a chart of
//! many lanes spreads over the neighbouring lanes left empty in its row, so that its row,
//! and the chart, stay low.

use super::*;

/// What [`spread_boxes`] reads of the chart laid out so far.
pub(super) struct Spread<'a> {
    pub(super) geo: &'a Geo,
    pub(super) m: &'a Metrics,
    pub(super) kinds: &'a [NodeKind],
    pub(super) lane_of: &'a [usize],
    pub(super) row_of: &'a [usize],
    pub(super) edges: &'a [Ed],
    pub(super) preps: &'a [Prepared],
    /// `(row, lane)` of every joint-signature mark.
    pub(super) marks: &'a [(usize, usize)],
}

/// The most lanes besides its own that a box spreads over.
const SPREAD_LANES: usize = 2;
/// Charts of fewer lanes than this keep every box in its lane: their lanes are wide enough.
const SPREAD_FROM_CHART_LANES: usize = 8;
/// A box whose text wraps into more lines than this in its own lane spreads, where it can.
/// Spreading closes corridors the router might have used, so only boxes that would be
/// really tall spread.
const SPREAD_FROM_LINES: usize = 4;

/// Lets a task box (or a terminator) whose text would wrap into a tall narrow column spread over the
/// neighbouring lanes that are empty in its row, so that its row stays low: the lanes must
/// hold no shape or joint mark in that row, and no line of the flow may run down them past
/// it (a connection between rows above and below that starts or ends in that lane). The
/// box keeps its own lane (its lines still enter and leave at that lane's centre); `span`
/// and `occ` then cover the lanes it spreads over, which the router treats as taken.
pub(super) fn spread_boxes(
    s: &Spread,
    span: &mut [(usize, usize)],
    occ: &mut [Vec<Option<usize>>],
) {
    let nl = s.geo.nl;
    if nl < SPREAD_FROM_CHART_LANES {
        return;
    }
    // Lanes some line runs down past a row: any connection touching the lane whose rows
    // enclose it.
    let passes = |lane: usize, row: usize| {
        s.edges.iter().any(|e| {
            let (ra, rb) = (s.row_of[e.from], s.row_of[e.to]);
            let (la, lb) = (s.lane_of[e.from], s.lane_of[e.to]);
            ra.min(rb) < row && row < ra.max(rb) && (la == lane || lb == lane)
        })
    };
    for (v, sp) in span.iter_mut().enumerate() {
        let diamond = s.kinds[v].is_diamond();
        let terminator = matches!(s.kinds[v], NodeKind::Start | NodeKind::End);
        if !matches!(s.kinds[v], NodeKind::Task | NodeKind::Call) && !diamond && !terminator {
            continue;
        }
        let l = s.lane_of[v];
        // A call box's double side lines and a terminator's round ends take room from
        // its text.
        let inset = match s.kinds[v] {
            NodeKind::Call => s.m.fs * 0.5,
            NodeKind::Start | NodeKind::End => s.m.fs * 0.6,
            _ => 0.0,
        };
        // A diamond's text keeps to about its middle half.
        let part = if diamond { 0.6 } else { 1.0 };
        let lines = |a: usize, b: usize| {
            let w = (s.geo.box_right(b) - s.geo.box_left(a)) * part - 2.0 * (s.m.pad_x + inset);
            let size = fitting_size(&s.preps[v], w, s.m.fs, s.m.min_fs());
            content_lines(&s.preps[v], w * s.m.fs / size, s.m.fs).len()
        };
        let enough = if diamond { 2 } else { SPREAD_FROM_LINES };
        if lines(l, l) <= enough {
            continue;
        }
        let row = s.row_of[v];
        let free =
            |k: usize| occ[row][k].is_none() && !s.marks.contains(&(row, k)) && !passes(k, row);
        let (mut a, mut b) = (l, l);
        for turn in 0..2 * SPREAD_LANES {
            if b - a >= SPREAD_LANES || lines(a, b) < enough {
                break;
            }
            if diamond {
                // A diamond's lines meet its vertices at its own lane's centre, so it
                // spreads evenly to both sides or not at all.
                if a > 0 && b + 1 < nl && free(a - 1) && free(b + 1) {
                    a -= 1;
                    b += 1;
                }
                break;
            }
            if turn % 2 == 0 {
                if b + 1 < nl && free(b + 1) {
                    b += 1;
                }
            } else if a > 0 && free(a - 1) {
                a -= 1;
            }
        }
        if (a, b) != (l, l) {
            *sp = (a, b);
            for c in &mut occ[row][a..=b] {
                *c = Some(v);
            }
        }
    }
}
