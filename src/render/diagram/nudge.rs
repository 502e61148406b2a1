//! Lines moved apart where the grid router left them on one line.
//!
//! The router keeps unrelated runs on separate tracks, but lines that leave one port (a
//! fan-out from a bar or from a decision vertex with more outcomes than vertices) or that
//! fell back to a shared corridor track still lie on each other for a stretch. A reader
//! cannot tell such lines apart, so the drawing would show a different graph: each such
//! stretch is moved sideways by part of a track spacing, its neighbours stretched to
//! follow, and an end on a shape slid along the shape's border.

use super::*;

type Seg = (Point, Point);

fn horizontal(s: &Seg) -> bool {
    (s.0.y - s.1.y).abs() < 0.01
}

fn segs(pts: &[Point]) -> impl Iterator<Item = (usize, Seg)> + '_ {
    pts.windows(2)
        .enumerate()
        .map(|(k, w)| (k, (w[0], w[1])))
        .filter(|(_, (a, b))| (a.x - b.x).abs() + (a.y - b.y).abs() > 0.01)
}

/// How far two parallel segments within `tol` of each other run side by side (negative:
/// the gap between their ends); `None` when they are not parallel and that close.
fn overlap(s: &Seg, t: &Seg, tol: f64) -> Option<f64> {
    let (hs, ht) = (horizontal(s), horizontal(t));
    if hs != ht {
        return None;
    }
    let (off, a0, a1, b0, b1) = if hs {
        (s.0.y - t.0.y, s.0.x, s.1.x, t.0.x, t.1.x)
    } else {
        (s.0.x - t.0.x, s.0.y, s.1.y, t.0.y, t.1.y)
    };
    if off.abs() >= tol {
        return None;
    }
    Some(a0.max(a1).min(b0.max(b1)) - a0.min(a1).max(b0.min(b1)))
}

/// Two collinear lines whose ends are less than this apart read as one line going on.
const CONTINUE_GAP: f64 = 6.0;
/// ... unless they are at least this far apart sideways.
const CONTINUE_SIDE: f64 = 3.5;

/// Whether two segments read as one line: they lie on one line and overlap, or one
/// continues where the other ends, across a short break.
fn one_line(s: &Seg, t: &Seg, through: bool) -> bool {
    let min = if through { 0.3 } else { -CONTINUE_GAP };
    overlap(s, t, 0.5).is_some_and(|l| l > min)
}

/// Whether one of the lines leads into the shape the other leaves: across the shape,
/// one line going on as the other is the flow through it.
fn through(a: &RoutedEdge, b: &RoutedEdge) -> bool {
    a.to_idx == b.from_idx || b.to_idx == a.from_idx
}

/// Whether a horizontal and a vertical segment cross inside both.
fn crosses(s: &Seg, t: &Seg) -> bool {
    let (h, v) = match (horizontal(s), horizontal(t)) {
        (true, false) => (s, t),
        (false, true) => (t, s),
        _ => return false,
    };
    let (x, y) = (v.0.x, h.0.y);
    x > h.0.x.min(h.1.x) + 0.6
        && x < h.0.x.max(h.1.x) - 0.6
        && y > v.0.y.min(v.1.y) + 0.6
        && y < v.0.y.max(v.1.y) - 0.6
}

/// Whether the segment runs through or along the shape of `n`, kept `m` away from it.
fn hits_shape(n: &PlacedNode, s: &Seg, m: f64) -> bool {
    let r = n.rect.inflate(m);
    let (x0, x1) = (s.0.x.min(s.1.x), s.0.x.max(s.1.x));
    let (y0, y1) = (s.0.y.min(s.1.y), s.0.y.max(s.1.y));
    if x1 <= r.x || x0 >= r.right() || y1 <= r.y || y0 >= r.bottom() {
        return false;
    }
    if !n.kind.is_diamond() {
        return true;
    }
    let (a, b) = (r.w / 2.0, r.h / 2.0);
    let (cx, cy) = (r.x + a, r.y + b);
    let nx = cx.clamp(x0, x1);
    let ny = cy.clamp(y0, y1);
    (nx - cx).abs() / a + (ny - cy).abs() / b < 1.0
}

/// Where an end on node `n` goes when its segment moves by `d` across its direction
/// (`along_x`: the segment is vertical, so the end moves along x), or `None` when it
/// would leave the shape's side.
fn slide(n: &PlacedNode, p: Point, along_x: bool, d: f64) -> Option<Point> {
    let r = n.rect;
    if n.kind.is_diamond() {
        let (a, b) = (r.w / 2.0, r.h / 2.0);
        let (cx, cy) = (r.x + a, r.y + b);
        if along_x {
            let dx = p.x + d - cx;
            if dx.abs() > a * 0.55 {
                return None;
            }
            let y = cy + (p.y - cy).signum() * b * (1.0 - dx.abs() / a);
            return Some(Point { x: cx + dx, y });
        }
        let dy = p.y + d - cy;
        if dy.abs() > b * 0.55 {
            return None;
        }
        let x = cx + (p.x - cx).signum() * a * (1.0 - dy.abs() / b);
        return Some(Point { x, y: cy + dy });
    }
    // The rounded ends of a terminator are no place for a line.
    let margin = if matches!(n.kind, NodeKind::Start | NodeKind::End) {
        (r.h / 2.0).min(r.w / 4.0)
    } else {
        1.5
    };
    if along_x {
        let x = p.x + d;
        (x >= r.x + margin && x <= r.right() - margin).then_some(Point { x, ..p })
    } else {
        let y = p.y + d;
        (y >= r.y + margin.min(r.h / 2.0) && y <= r.bottom() - margin.min(r.h / 2.0))
            .then_some(Point { y, ..p })
    }
}

/// The points of `e` with segment `k` moved by `d`, or `None` when an end cannot follow.
fn shifted(e: &RoutedEdge, k: usize, d: f64, nodes: &[PlacedNode]) -> Option<Vec<Point>> {
    let mut pts = e.points.clone();
    let last = pts.len() - 1;
    let vertical = !horizontal(&(pts[k], pts[k + 1]));
    for p in &mut pts[k..=k + 1] {
        if vertical {
            p.x += d;
        } else {
            p.y += d;
        }
    }
    if k == 0 {
        pts[0] = slide(&nodes[e.from_idx], e.points[0], vertical, d)?;
    }
    if k + 1 == last {
        pts[last] = slide(&nodes[e.to_idx], e.points[last], vertical, d)?;
    }
    Some(pts)
}

/// Separates every stretch where a line lies on a line into another target.
pub(super) fn separate(edges: &mut [RoutedEdge], nodes: &[PlacedNode], m: &Metrics) {
    let sp = m.track_sp();
    let offsets: Vec<f64> = [
        0.5, -0.5, 0.25, -0.25, 0.75, -0.75, 0.375, -0.375, 0.625, -0.625, 1.25, -1.25, 1.5, -1.5,
    ]
    .iter()
    .map(|f| f * sp)
    .collect();
    let min_last = m.fs * 0.8;
    for _ in 0..6 {
        let mut changed = false;
        // Later lines move first: earlier ones took their tracks first.
        for j in (0..edges.len()).rev() {
            let mut k = 0;
            while k + 1 < edges[j].points.len() {
                let s = (edges[j].points[k], edges[j].points[k + 1]);
                let degenerate = (s.0.x - s.1.x).abs() + (s.0.y - s.1.y).abs() <= 0.01;
                let on_other = !degenerate
                    && edges.iter().enumerate().any(|(i, o)| {
                        i != j
                            && o.to_steps != edges[j].to_steps
                            && segs(&o.points).any(|(_, t)| one_line(&s, &t, through(&edges[j], o)))
                    });
                if on_other {
                    let best = offsets
                        .iter()
                        .enumerate()
                        .filter_map(|(rank, &d)| {
                            let pts = shifted(&edges[j], k, d, nodes)?;
                            let cost = fits(&pts, k, j, edges, nodes, min_last, m.width)?;
                            Some(((cost, rank), pts))
                        })
                        .min_by_key(|(c, _)| *c);
                    if let Some((_, pts)) = best {
                        edges[j].points = pts;
                        changed = true;
                    }
                }
                k += 1;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Whether the moved points of line `j` (segment `k` and its neighbours) keep the rules,
/// and if so how many lines they cross.
fn fits(
    pts: &[Point],
    k: usize,
    j: usize,
    edges: &[RoutedEdge],
    nodes: &[PlacedNode],
    min_last: f64,
    width: f64,
) -> Option<usize> {
    let old = &edges[j].points;
    let last = pts.len() - 1;
    let lo = k.saturating_sub(1);
    let hi = (k + 1).min(last - 1);
    for q in lo..=hi {
        let (a, b) = (pts[q], pts[q + 1]);
        if a.x < 0.5 || b.x < 0.5 || a.x > width - 0.5 || b.x > width - 0.5 {
            return None;
        }
        // A line that doubles back on itself has a neighbour in line with the moved
        // segment, which the move would turn into a slant.
        if (a.x - b.x).abs() > 1e-6 && (a.y - b.y).abs() > 1e-6 {
            return None;
        }
        if q != k {
            // A neighbour keeps its direction and some length, so no hook appears.
            let (oa, ob) = (old[q], old[q + 1]);
            let (ol, nl) = ((ob.x - oa.x) + (ob.y - oa.y), (b.x - a.x) + (b.y - a.y));
            let need = if q + 1 == last { min_last } else { 1.0 };
            if ol.abs() > 0.01 && (ol * nl <= 0.0 || nl.abs() < need.min(ol.abs())) {
                return None;
            }
        }
    }
    // Each moved segment with what it was: a neighbour may keep a stretch it already
    // shared (a later move separates that one), but gains none.
    let mine: Vec<(Seg, Seg, bool)> = (lo..=hi)
        .map(|q| ((pts[q], pts[q + 1]), (old[q], old[q + 1]), q == k))
        .filter(|((a, b), _, _)| (a.x - b.x).abs() + (a.y - b.y).abs() > 0.01)
        .collect();
    let e = &edges[j];
    for (v, n) in nodes.iter().enumerate() {
        // A line may touch its own ends, but not run through them.
        let m = if v == e.from_idx || v == e.to_idx {
            -0.5
        } else {
            1.0
        };
        if mine.iter().any(|(s, _, _)| hits_shape(n, s, m)) {
            return None;
        }
    }
    let mut crossings = 0;
    for (i, o) in edges.iter().enumerate() {
        if i == j {
            continue;
        }
        let other = o.to_steps != e.to_steps;
        for (_, t) in segs(&o.points) {
            for (s, was, moved) in &mine {
                // Parallel lines closer than this, or end to end, read as one line.
                let across = through(e, o);
                let close = |s: &Seg| {
                    overlap(s, &t, 1.2).is_some_and(|l| l > -1.5)
                        || (!across
                            && overlap(s, &t, CONTINUE_SIDE)
                                .is_some_and(|l| l < 0.3 && l > -CONTINUE_GAP))
                };
                if other && close(s) && (*moved || !close(was)) {
                    return None;
                }
                if other && crosses(s, &t) {
                    crossings += 1;
                }
            }
        }
    }
    Some(crossings)
}
