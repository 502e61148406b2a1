//! Placement of decision outcome labels beside their edges.

use super::*;

/// Whether rectangle `r` overlaps a node's shape: its box, or for a
/// decision the diamond inscribed in the box, whose empty corners are
/// where decision labels fit best.
pub(super) fn shape_hits_rect(b: &Rect, diamond: bool, r: &Rect) -> bool {
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

pub(super) fn seg_hits_rect(a: Point, b: Point, r: &Rect) -> bool {
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
pub(super) fn place_labels(
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
    let mut boxes: Vec<(Rect, bool)> = nodes
        .iter()
        .map(|n| (n.rect.inflate(1.0), n.kind.is_diamond()))
        .collect();
    // A question may reach past its diamond's slanted sides: its lines are obstacles too,
    // so that no outcome label is printed over them.
    for n in nodes.iter().filter(|n| n.kind.is_diamond()) {
        for l in &n.lines {
            let w = text_width(&l.text, l.size, l.bold);
            let r = Rect {
                x: l.x - w / 2.0,
                y: l.y - l.size,
                w,
                h: l.size * 1.25,
            };
            boxes.push((r.inflate(0.5), false));
        }
    }
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
        // First near the start of the line, where a label reads best; when nothing
        // there is free of shapes, labels and lines, anywhere along it.
        let mut best: Option<(usize, Rect)> = None;
        let mut first_cand: Option<Rect> = None;
        for (segments, reach) in [(2, m.fs * 8.0), (usize::MAX, f64::INFINITY)] {
            if best.is_some_and(|(score, _)| score == 0) {
                break;
            }
            let mut cands: Vec<Rect> = Vec::new();
            for (k, s) in e.points.windows(2).take(segments).enumerate() {
                let (a, b) = (s[0], s[1]);
                let len = (b.x - a.x).abs() + (b.y - a.y).abs();
                let step = 2.0;
                let mut o = if k == 0 { 2.0 } else { 0.0 };
                let mut first = true;
                // Far from the edge start a label no longer reads as
                // belonging to it, so candidates stop after a short distance.
                while first || (o + 2.0 <= len && o <= reach) {
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
            for r in cands.iter().filter(|r| fits(r)) {
                let score = hides(r);
                if best.is_none_or(|(s, _)| score < s) {
                    best = Some((score, *r));
                    if score == 0 {
                        break;
                    }
                }
            }
            if first_cand.is_none() {
                first_cand = cands.first().copied();
            }
        }
        let rect = match best {
            Some((_, r)) => r,
            // Nowhere free (a chart far too narrow for its text): next to the edge start
            // anyway, but kept on the page, where it can still be read.
            None => match first_cand {
                Some(r) => Rect {
                    x: r.x.min(width - 1.0 - r.w).max(1.0),
                    y: r.y.min(height - 1.0 - r.h).max(header_h + 1.0),
                    ..r
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
