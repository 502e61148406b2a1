//! Splitting a chart over pages with lettered off-page connectors.

use super::*;

/// A page may end at a break between ranks instead of a later break between rows of one
/// rank when it still holds this share of the height the later break would give it.
const RANK_BREAK_FILL: f64 = 0.8;

impl Layout {
    /// Splits the chart across pages of at most `max_height_pt` at rank
    /// boundaries. Every page repeats the lane headers; an edge crossing a
    /// break ends in a lettered off-page connector that reappears on the
    /// page where the edge continues.
    pub fn to_svg_pages(&self, max_height_pt: f64) -> Vec<String> {
        self.to_svg_pages_from(max_height_pt, max_height_pt)
            .unwrap_or_else(|| vec![self.to_svg()])
    }

    /// As [`Layout::to_svg_pages`], with a first page of at most `first_pt` (the room left
    /// on the page where the chart starts) and further pages of at most `max_height_pt`.
    /// `None` when not even the first two rows (of a chart of more than one) fit in
    /// `first_pt` unscaled, or a height is not a positive number.
    pub fn to_svg_pages_from(&self, first_pt: f64, max_height_pt: f64) -> Option<Vec<String>> {
        let nrows = self.rows.len();
        if !(max_height_pt.is_finite() && max_height_pt > 0.0 && first_pt.is_finite()) {
            return None;
        }
        if nrows == 0 {
            return (self.height <= first_pt).then(|| vec![self.to_svg()]);
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
        let limit = |page: usize| if page == 0 { first_pt } else { max_height_pt };
        let mut a = 0;
        while a < nrows {
            let max_height_pt = limit(ranges.len());
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
            // A chart starting in the room left on a page starts with more than its first
            // row: a start box alone at the foot of a page says nothing.
            let too_little = best_any.is_none_or(|b| b == 0 && nrows > 1);
            if ranges.is_empty() && too_little && first_pt < max_height_pt {
                return None;
            }
            // A break between ranks reads best (rows of one rank are parallel branches), but
            // not at the price of a page left part empty.
            let b = match (best_rank, best_row) {
                (Some(r), Some(w)) if page_h(a, r) >= RANK_BREAK_FILL * page_h(a, w) => Some(r),
                (_, Some(w)) => Some(w),
                (r, None) => r,
            };
            let b = b.or(best_any).unwrap_or(a);
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
        // Lines cut at one spot share a letter only when they lead to the same step: a
        // letter names one destination.
        let mut letters: Vec<(usize, bool, i64, usize)> = Vec::new();
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
            let key = (ps, s_top, (sx * 10.0).round() as i64, e.to_idx);
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
                let mut cuts: Vec<(f64, usize)> = Vec::new();
                for s in &splits {
                    for c in [&s.src_cut, &s.tgt_cut] {
                        if c.page == p && c.top == top {
                            cuts.push((c.x, c.letter));
                            if !xs.iter().any(|&(_, l)| l == c.letter) {
                                xs.push((c.x, c.letter));
                            }
                        }
                    }
                }
                let (lo, hi) = (r + 2.0, self.width - r - 2.0);
                let placed = jogs::circle_xs(xs, &cuts, lo, hi, 2.0 * r + 2.0);
                for (l, cx) in placed {
                    circle_x.insert((p, top, l), cx);
                }
            }
        }

        // The jogs from cut lines to their circles at one margin each get a height of
        // their own where they would read as one line with another (see `jogs`).
        let mut jog_level: HashMap<(usize, bool), f64> = HashMap::new();
        for p in 0..npages {
            for top in [true, false] {
                let mut keys: Vec<(usize, bool)> = Vec::new();
                let mut tails: Vec<jogs::Tail> = Vec::new();
                for (si, s) in splits.iter().enumerate() {
                    for (is_src, c) in [(true, &s.src_cut), (false, &s.tgt_cut)] {
                        if c.page == p && c.top == top {
                            let cx = circle_x.get(&(p, top, c.letter)).copied().unwrap_or(c.x);
                            keys.push((si, is_src));
                            tails.push(jogs::Tail {
                                cut: c.x,
                                circle: cx,
                                letter: c.letter,
                            });
                        }
                    }
                }
                for (key, level) in keys.into_iter().zip(jogs::jog_levels(&tails)) {
                    if let Some(level) = level {
                        jog_level.insert(key, level);
                    }
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
            match split_of[ei].and_then(|i| splits.get(i).map(|s| (i, s))) {
                None => {
                    let ps = page_of_row[self.nodes[e.from_idx].row];
                    let page = &mut pages[ps];
                    let label = e.label.as_ref().map(|l| shift_label(l, page.dy));
                    let pts = shift(&e.points, page.dy);
                    page.edges.push(DrawEdge {
                        pts,
                        arrow: true,
                        label,
                        marks: edge_marks(e, None),
                        target: e.to_steps.join(" "),
                    });
                }
                Some((si, s)) => {
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
                        let cy = yb + dir * (jogs::CIRCLE_DEPTH + r);
                        let level = jog_level.get(&(si, is_src)).copied().unwrap_or(3.5);
                        let jog = yb + dir * level;
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
                            marks: edge_marks(e, Some(&letter(cut.letter))),
                            target: e.to_steps.join(" "),
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
        for page in &mut pages {
            self.clear_labels(page);
        }
        Some(
            pages
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let scale = (p.height > limit(i)).then_some(limit(i));
                    self.render(p, scale)
                })
                .collect(),
        )
    }
}

pub(super) fn shift_label(l: &PlacedLabel, dy: f64) -> PlacedLabel {
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

pub(super) fn move_label(l: &PlacedLabel, to: Rect) -> PlacedLabel {
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
pub(super) fn clip_walk(
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

impl Layout {
    /// Labels were placed on the whole chart; on a page, connectors and the lines to them
    /// are new. A label that now covers a connector, another label or a line moves to the
    /// nearest free spot around it (or stays, when there is none).
    pub(super) fn clear_labels(&self, page: &mut Page) {
        let r = self.conn_r();
        let circles: Vec<Rect> = page
            .circles
            .iter()
            .map(|c| Rect {
                x: c.x - r,
                y: c.y - r,
                w: 2.0 * r,
                h: 2.0 * r,
            })
            .collect();
        let segs: Vec<(Point, Point)> = page
            .edges
            .iter()
            .flat_map(|e| e.pts.windows(2).map(|w| (w[0], w[1])))
            .collect();
        let shapes: Vec<(Rect, bool)> = self
            .nodes
            .iter()
            .filter(|n| n.row >= page.a && n.row < page.b)
            .map(|n| {
                let rect = Rect {
                    y: n.rect.y + page.dy,
                    ..n.rect
                };
                (rect.inflate(1.0), n.kind.is_diamond())
            })
            .collect();
        for i in 0..page.edges.len() {
            let Some(label) = page.edges[i].label.clone() else {
                continue;
            };
            let others: Vec<Rect> = page
                .edges
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .filter_map(|(_, e)| e.label.as_ref().map(|l| l.rect))
                .collect();
            let free = |rect: &Rect| {
                rect.x >= 1.0
                    && rect.right() <= self.width - 1.0
                    && rect.y >= self.header_h + 1.0
                    && rect.bottom() <= page.height - 1.0
                    && !circles.iter().any(|c| c.inflate(1.0).intersects(rect))
                    && !others.iter().any(|o| o.inflate(1.0).intersects(rect))
                    && !shapes
                        .iter()
                        .any(|(b, diamond)| shape_hits_rect(b, *diamond, rect))
                    && !segs
                        .iter()
                        .any(|(a, b)| seg_hits_rect(*a, *b, &rect.inflate(0.5)))
            };
            if free(&label.rect) {
                continue;
            }
            let (w, h) = (label.rect.w, label.rect.h);
            let mut best: Option<(f64, Rect)> = None;
            for ky in -12..=12 {
                for kx in -6..=6 {
                    let rect = Rect {
                        x: label.rect.x + kx as f64 * (w / 2.0 + 1.0),
                        y: label.rect.y + ky as f64 * (h / 2.0 + 1.0),
                        w,
                        h,
                    };
                    let dist = (kx as f64 * w).abs() + (ky as f64 * h).abs();
                    if best.is_none_or(|(d, _)| dist < d) && free(&rect) {
                        best = Some((dist, rect));
                    }
                }
            }
            if let Some((_, rect)) = best {
                page.edges[i].label = Some(move_label(&label, rect));
            }
        }
    }
}
