//! Ranks, rows, box sizes and final coordinates of a chart.

use super::*;

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

    // Bars span the lanes of the branches they split or join.
    let mut span: Vec<(usize, usize)> = lane_of.iter().map(|&l| (l, l)).collect();
    for e in &edges {
        if e.from < e.to {
            if kinds[e.from] == NodeKind::Fork {
                let l = lane_of[e.to];
                let sp = &mut span[e.from];
                *sp = (sp.0.min(l), sp.1.max(l));
            }
            if matches!(kinds[e.to], NodeKind::Join | NodeKind::InclusiveJoin) {
                let l = lane_of[e.from];
                let sp = &mut span[e.to];
                *sp = (sp.0.min(l), sp.1.max(l));
            }
        }
    }

    // Ranks and rows; a plain hand-off between lanes sits level with its source.
    let mut marked = vec![false; n];
    let mut mark_cells: Vec<(usize, usize)> = Vec::new();
    for j in &chart.joint {
        if let Some(&v) = index.get(j.node.as_str()) {
            marked[v] = true;
            mark_cells.extend(j.lanes.iter().map(|&l| (v, l)));
        }
    }
    let Rows {
        rank,
        row_of,
        row_rank,
        mut occ,
        crossed,
    } = rows::rows(&RowInput {
        kinds: &kinds,
        lane_of: &lane_of,
        span: &span,
        edges: &edges,
        lanes: nl,
        marked: &marked,
        marks: &mark_cells,
    });
    let nrows = occ.len();

    // Box sizes follow the wrapped text; widths are fixed by the lane, or by the lanes a
    // long box spreads over.
    let preps: Vec<Prepared> = chart.nodes.iter().map(|node| prepare(node, m.fs)).collect();
    let geo = Geo::new(&m, nl);
    let marks: Vec<(usize, usize)> = mark_cells
        .iter()
        .map(|&(v, l)| (row_of[v], l))
        // A box must not spread over the line of a hand-off either.
        .chain(crossed)
        .collect();
    spread_boxes(
        &Spread {
            geo: &geo,
            m: &m,
            kinds: &kinds,
            lane_of: &lane_of,
            row_of: &row_of,
            edges: &edges,
            preps: &preps,
            marks: &marks,
        },
        &mut span,
        &mut occ,
    );
    let mut bars_in_row: Vec<Vec<usize>> = vec![Vec::new(); nrows];
    for v in 0..n {
        // A box spread over several lanes closes their corridors as a bar does.
        if kinds[v].is_bar() || span[v].0 != span[v].1 {
            bars_in_row[row_of[v]].push(v);
        }
    }
    let mut nx = vec![0.0; n];
    let mut nw = vec![0.0; n];
    let mut nh = vec![0.0; n];
    let mut content: Vec<Vec<Line>> = vec![Vec::new(); n];
    // Text size of each node: smaller than the base size only where a word would not fit.
    let mut nsize = vec![m.fs; n];
    for (v, node) in chart.nodes.iter().enumerate() {
        let l = lane_of[v];
        let prep = &preps[v];
        let (a, b) = span[v];
        // A box spread over further lanes is as wide as they are; a diamond stays centred
        // on its own lane, where its lines meet its vertices.
        let (box_w, centre) = if (a, b) == (l, l) {
            (geo.box_w, geo.cx(l))
        } else if node.kind.is_diamond() {
            let half = (geo.cx(l) - geo.box_left(a)).min(geo.box_right(b) - geo.cx(l));
            (2.0 * half, geo.cx(l))
        } else {
            let (x0, x1) = (geo.box_left(a), geo.box_right(b));
            (x1 - x0, (x0 + x1) / 2.0)
        };
        let (w, h, lines) = match node.kind {
            NodeKind::Task | NodeKind::Call => {
                let inset = if node.kind == NodeKind::Call {
                    m.fs * 0.5
                } else {
                    0.0
                };
                let ww = box_w - 2.0 * (m.pad_x + inset);
                let size = fitting_size(prep, ww, m.fs, m.min_fs());
                nsize[v] = size;
                let lines = content_lines(prep, ww * m.fs / size, m.fs);
                let lh = m.lh * size / m.fs;
                let h = (lines.len() as f64 * lh + 2.0 * m.pad_y).max(m.fs * 3.4);
                (box_w, h, lines)
            }
            NodeKind::Decision | NodeKind::Inclusive => {
                // Each line must fit the diamond's width at its own height:
                // half-height >= (|dy| + lh/2) / (1 - line_w / w). A wider
                // measure means fewer lines but a steeper diamond, so try
                // several and keep the flattest.
                let mut best: Option<(f64, Vec<Line>)> = None;
                let size = fitting_size(prep, box_w * 0.8 - m.fs * 0.9, m.fs, m.min_fs());
                nsize[v] = size;
                let lh = m.lh * size / m.fs;
                for ratio in [0.5, 0.6, 0.7, 0.8] {
                    // Never narrower than the longest word: a narrow measure must not
                    // cut words that fit a wider one.
                    let longest = prep
                        .iter()
                        .flat_map(|(paras, _, _)| paras.iter().flatten())
                        .map(|(_, w)| *w)
                        .fold(0.0, f64::max);
                    let measure_w = (box_w * ratio * m.fs / size).max(longest);
                    let lines = content_lines(prep, measure_w, m.fs);
                    let k = lines.len() as f64;
                    let mut half: f64 = 0.0;
                    for (i, l) in lines.iter().enumerate() {
                        let dy = ((i as f64 + 0.5) - k / 2.0).abs() * lh;
                        let lw = text_width(&l.text, size, l.bold) + m.fs * 0.9;
                        let room = (1.0 - lw / box_w).max(0.12);
                        half = half.max((dy + lh * 0.5) / room);
                    }
                    let h = (2.0 * half + m.fs * 0.3).max(m.fs * 4.6);
                    if best.as_ref().is_none_or(|(bh, _)| h < *bh - 0.01) {
                        best = Some((h, lines));
                    }
                }
                let (h, lines) = best.unwrap_or((m.fs * 4.6, Vec::new()));
                // Room above and below the question for the inclusive gateway's circle.
                let h = if node.kind == NodeKind::Inclusive {
                    h + m.fs * 2.4
                } else {
                    h
                };
                (box_w, h, lines)
            }
            NodeKind::Start | NodeKind::End => {
                let ww = box_w - 2.0 * m.pad_x - m.fs * 1.2;
                let size = fitting_size(prep, ww, m.fs, m.min_fs());
                nsize[v] = size;
                let lines = content_lines(prep, ww * m.fs / size, m.fs);
                let h = (lines.len() as f64 * m.lh * size / m.fs + 2.0 * m.pad_y).max(m.fs * 2.5);
                let rx = (h / 2.0).min(m.fs * 1.4);
                // A terminator spread over further lanes spans them whole, so that its own
                // lane's centre, where its line leaves or enters, stays under its flat side.
                let w = if (a, b) == (l, l) {
                    (widest(&lines, size) + 2.0 * m.pad_x + rx).clamp(box_w * 0.55, box_w)
                } else {
                    box_w
                };
                (w, h, lines)
            }
            NodeKind::Fork | NodeKind::Join | NodeKind::InclusiveJoin => {
                let pad = geo.box_w * 0.3;
                let w = geo.cx(b) - geo.cx(a) + 2.0 * pad;
                nx[v] = geo.cx(a) - pad;
                (w, m.bar_thickness(), Vec::new())
            }
        };
        if !node.kind.is_bar() {
            nx[v] = centre - w / 2.0;
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
    let (mut sides, low) = exit_sides(&plan, &edges, n);
    // A timeout (the only labelled line out of a task box) leaves by the side towards its
    // target, apart from the box's own flow out of the bottom.
    for (i, e) in edges.iter().enumerate() {
        let timeout = plan.kinds[e.from] == NodeKind::Task
            && !chart.edges[e.src].label.is_empty()
            && plan.row_of[e.to] > plan.row_of[e.from];
        if timeout {
            sides[i] = if plan.lane_of[e.to] < plan.lane_of[e.from] {
                Side::Left
            } else {
                Side::Right
            };
        }
    }
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
    router.reserve_exits(&edges, &sides);
    let mut routes: Vec<Vec<APt>> = vec![Vec::new(); edges.len()];
    for &i in &order {
        let e = edges[i];
        let t = e.to;
        let right_ok = !plan.kinds[t].is_bar() && !right_exit[t];
        let left_ok = !plan.kinds[t].is_bar() && !left_exit[t];
        routes[i] = router.route(e.from, t, sides[i], low[i], right_ok, left_ok);
    }
    let (gap_lo, gap_hi) = (router.gap_lo.clone(), router.gap_hi.clone());
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
                    // A label floats beside its line, so it widens to its longest word
                    // rather than cutting it.
                    let longest = measure(lang, m.label_fs, false)
                        .iter()
                        .flatten()
                        .map(|(_, w)| *w)
                        .fold(0.0, f64::max);
                    for text in wrap(lang, ww.max(longest), m.label_fs, false) {
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
    // Lane headers wrap between words; a word too long for its lane shrinks the
    // lane's header text rather than being cut.
    let header_w = plan.geo.lane_w - 2.0 * m.pad_x;
    let mut header_size = vec![m.fs; nl];
    let header_lines: Vec<Vec<Line>> = (0..nl)
        .map(|l| {
            let mut out = Vec::new();
            if let Some(lane) = chart.lanes.get(l) {
                let prep: Prepared = lane
                    .label
                    .iter()
                    .enumerate()
                    .map(|(k, lang)| (measure(lang, m.fs, k == 0), k == 0, k > 0))
                    .collect();
                let size = fitting_size(&prep, header_w, m.fs, m.min_fs());
                header_size[l] = size;
                out = content_lines(&prep, header_w * m.fs / size, m.fs);
            }
            out
        })
        .collect();
    let header_text_h = header_lines
        .iter()
        .zip(&header_size)
        .map(|(lines, size)| lines.len() as f64 * m.lh * size / m.fs)
        .fold(0.0, f64::max);
    let lane_header_h = (header_text_h + 2.0 * m.pad_y + m.fs * 0.4).max(m.fs * 2.4);
    // Runs of neighbouring lanes of one department share a band above their headers.
    let mut runs: Vec<(usize, usize, &LaneGroup)> = Vec::new();
    for (l, lane) in chart.lanes.iter().enumerate().take(nl) {
        let Some(g) = &lane.group else { continue };
        match runs.last_mut() {
            Some(run) if run.1 + 1 == l && run.2.id == g.id => run.1 = l,
            _ => runs.push((l, l, g)),
        }
    }
    let group_lines: Vec<(Vec<Line>, f64)> = runs
        .iter()
        .map(|&(a, b, g)| {
            let w = plan.geo.lane_w * (b - a + 1) as f64 - 2.0 * m.pad_x;
            let prep: Prepared = g
                .label
                .iter()
                .enumerate()
                .map(|(k, lang)| (measure(lang, m.fs, k == 0), k == 0, k > 0))
                .collect();
            let size = fitting_size(&prep, w, m.fs, m.min_fs());
            (content_lines(&prep, w * m.fs / size, m.fs), size)
        })
        .collect();
    let group_h = group_lines
        .iter()
        .map(|(lines, size)| lines.len() as f64 * m.lh * size / m.fs + 2.0 * m.pad_y)
        .fold(0.0, f64::max);
    let header_h = group_h + lane_header_h;
    let mut gaps = Vec::with_capacity(nrows + 1);
    let mut rows = Vec::with_capacity(nrows);
    let mut y = header_h;
    for g in 0..=nrows {
        let tracks = (gap_hi[g] - gap_lo[g]).max(1);
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
            Ay::Gap(g, t) => {
                gaps[g].y
                    + reserve[g]
                    + m.stroke_gap_top()
                    + t.saturating_sub(gap_lo[g]) as f64 * m.track_sp()
            }
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
                step: node.step.clone(),
                kind: node.kind,
                lane: plan.lane_of[v],
                rank: rank[v],
                row: plan.row_of[v],
                rect,
                lines: place_lines(
                    &content[v],
                    rect.x + rect.w / 2.0,
                    rect.y + rect.h / 2.0,
                    nsize[v],
                    m.lh * nsize[v] / m.fs,
                ),
            }
        })
        .collect();

    let mut routed: Vec<RoutedEdge> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut pts: Vec<Point> = routes[i]
                .iter()
                .map(|&(x, a)| Point { x, y: y_of(a) })
                .collect();
            // A lower port lies on the diamond's border below the vertex.
            if low[i] && plan.kinds[e.from].is_diamond() {
                let (a, b) = (plan.nw[e.from] / 2.0, nh[e.from] / 2.0);
                let cx = plan.nx[e.from] + a;
                let dy = (pts[0].y - (ny[e.from] + b)).abs().min(b);
                let sign = if pts[0].x > cx { 1.0 } else { -1.0 };
                pts[0].x = cx + sign * a * (1.0 - dy / b);
            }
            RoutedEdge {
                from: chart.nodes[e.from].id.clone(),
                to: chart.nodes[e.to].id.clone(),
                points: simplify(pts),
                loop_back: e.to <= e.from,
                label: None,
                from_steps: ends_of(&edges, &chart.nodes, e.from, true),
                to_steps: ends_of(&edges, &chart.nodes, e.to, false),
                // A decision's outcome, or the time of a timeout line out of a task box.
                outcome: chart.edges[e.src].label.first().cloned().filter(|_| {
                    plan.kinds[e.from].is_diamond() || plan.kinds[e.from] == NodeKind::Task
                }),
                from_idx: e.from,
                to_idx: e.to,
            }
        })
        .collect();

    let lanes: Vec<LaneColumn> = (0..nl)
        .map(|l| {
            let grouped = runs.iter().any(|&(a, b, _)| (a..=b).contains(&l));
            // A lane outside any group has its header cell over the full header height.
            let top = if grouped { group_h } else { 0.0 };
            LaneColumn {
                id: chart.lanes.get(l).map(|x| x.id.clone()).unwrap_or_default(),
                x: plan.geo.lane_x(l),
                w: plan.geo.lane_w,
                lines: place_lines(
                    &header_lines[l],
                    plan.geo.lane_x(l) + plan.geo.lane_w / 2.0,
                    (top + header_h) / 2.0,
                    header_size[l],
                    m.lh * header_size[l] / m.fs,
                ),
                grouped,
            }
        })
        .collect();
    let groups: Vec<GroupBand> = runs
        .iter()
        .zip(&group_lines)
        .map(|(&(a, b, g), (lines, size))| {
            let x = plan.geo.lane_x(a);
            let w = plan.geo.lane_w * (b - a + 1) as f64;
            GroupBand {
                id: g.id.clone(),
                first: a,
                last: b,
                x,
                w,
                lines: place_lines(lines, x + w / 2.0, group_h / 2.0, *size, m.lh * size / m.fs),
            }
        })
        .collect();

    nudge::separate(&mut routed, &placed, &m);
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
        group_h,
        groups,
        font_family: m.family.clone(),
        font_size: m.fs,
        lanes,
        nodes: placed,
        edges: routed,
        rows,
        gaps,
        row_starts_rank,
        issues,
        timers: chart.timers.clone(),
        joint: chart.joint.clone(),
    }
}

/// Drops repeated points and straight-through bends; endpoints stay.
pub(super) fn simplify(pts: Vec<Point>) -> Vec<Point> {
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

/// The flow nodes a line ending (`back`: starting) at node `v` connects to: `v`'s own step
/// for a box or terminator, and through a decision or bar the steps on its other side.
pub(super) fn ends_of(edges: &[Ed], nodes: &[Node], v: usize, back: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![v];
    while let Some(u) = stack.pop() {
        if std::mem::replace(&mut seen[u], true) {
            continue;
        }
        let node = &nodes[u];
        let junction = matches!(
            node.kind,
            NodeKind::Decision
                | NodeKind::Inclusive
                | NodeKind::Fork
                | NodeKind::Join
                | NodeKind::InclusiveJoin
        );
        if !junction {
            if !out.contains(&node.step) {
                out.push(node.step.clone());
            }
            continue;
        }
        // Walk on in the same direction; collected in edge order for stable output.
        for e in edges.iter().rev() {
            match back {
                true if e.to == u => stack.push(e.from),
                false if e.from == u => stack.push(e.to),
                _ => {}
            }
        }
    }
    out
}
