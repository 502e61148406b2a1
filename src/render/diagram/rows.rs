//! Ranks and rows: which row of the grid each node sits in.
//!
//! A node's rank is the longest path to it over forward edges, so the flow reads top to
//! bottom. A plain hand-off between lanes (a task whose only line leads to a task in
//! another lane, the only line into that task) does not need a rank of its own: the
//! second box sits level with the first and the line runs straight across, as
//! cross-functional charts draw a hand-off. A chart of many lanes then takes far fewer
//! rows (a row per rank with one box in it wastes the height of a page).

use super::*;

/// Where each node sits: its rank and row, and which node occupies each cell.
pub(super) struct Rows {
    pub(super) rank: Vec<usize>,
    pub(super) row_of: Vec<usize>,
    /// The rank of each row.
    pub(super) row_rank: Vec<usize>,
    /// `occ[row][lane]`: the node (or bar) covering that cell.
    pub(super) occ: Vec<Vec<Option<usize>>>,
    /// `(row, lane)` of every cell a hand-off line crosses between its two boxes: no box
    /// may spread into it.
    pub(super) crossed: Vec<(usize, usize)>,
}

/// What [`rows`] reads of the chart.
pub(super) struct RowInput<'a> {
    pub(super) kinds: &'a [NodeKind],
    pub(super) lane_of: &'a [usize],
    /// The lanes each node covers (a bar spans its branches).
    pub(super) span: &'a [(usize, usize)],
    pub(super) edges: &'a [Ed],
    pub(super) lanes: usize,
    /// Nodes marked in further lanes (joint signatures): never part of a hand-off, their
    /// marks sit level with them.
    pub(super) marked: &'a [bool],
    /// `(node, lane)` of every joint mark.
    pub(super) marks: &'a [(usize, usize)],
}

/// Ranks and rows of the chart, with level hand-offs where they fit.
pub(super) fn rows(input: &RowInput) -> Rows {
    let n = input.kinds.len();
    let mut beside = handoff_candidates(input);
    loop {
        let rows = pack(input, &beside);
        let failed: Vec<usize> = (0..n)
            .filter(|&v| beside[v].is_some_and(|u| !level(input, &rows, u, v)))
            .collect();
        if failed.is_empty() {
            let mut rows = rows;
            rows.crossed = (0..n)
                .filter_map(|v| beside[v].map(|u| (u, v)))
                .flat_map(|(u, v)| {
                    let row = rows.row_of[v];
                    between(input.lane_of[u], input.lane_of[v]).map(move |l| (row, l))
                })
                .collect();
            return rows;
        }
        // A hand-off that did not come out level is drawn as any other line, one rank
        // down; the rest are tried again (each round drops at least one).
        for v in failed {
            beside[v] = None;
        }
    }
}

/// The lanes strictly between two lanes.
fn between(a: usize, b: usize) -> std::ops::Range<usize> {
    a.min(b) + 1..a.max(b)
}

/// `beside[v] = Some(u)`: `v` may sit level with `u`. Both are task or call boxes in
/// different lanes, the line `u -> v` is the only one out of `u` and the only one into
/// `v`, and neither carries joint marks.
fn handoff_candidates(input: &RowInput) -> Vec<Option<usize>> {
    let n = input.kinds.len();
    let mut outs = vec![0usize; n];
    let mut ins = vec![0usize; n];
    for e in input.edges {
        outs[e.from] += 1;
        ins[e.to] += 1;
    }
    let boxed = |v: usize| matches!(input.kinds[v], NodeKind::Task | NodeKind::Call);
    let mut beside = vec![None; n];
    for e in input.edges {
        let (u, v) = (e.from, e.to);
        if u < v
            && outs[u] == 1
            && ins[v] == 1
            && boxed(u)
            && boxed(v)
            && input.lane_of[u] != input.lane_of[v]
            && !input.marked[u]
            && !input.marked[v]
        {
            beside[v] = Some(u);
        }
    }
    beside
}

/// Whether the hand-off `u -> v` came out level: one row, nothing in the cells between
/// them (no box, bar or joint mark the line would cross).
fn level(input: &RowInput, rows: &Rows, u: usize, v: usize) -> bool {
    let row = rows.row_of[u];
    row == rows.row_of[v]
        && between(input.lane_of[u], input.lane_of[v]).all(|l| {
            rows.occ[row][l].is_none()
                && !input
                    .marks
                    .iter()
                    .any(|&(m, ml)| ml == l && rows.row_of[m] == row)
        })
}

/// Ranks (longest path over forward edges, a hand-off keeping its source's rank), then
/// rows: each rank gets as many rows as it needs so that nodes sharing a lane (or a bar
/// crossing a node's lane) never overlap; a hand-off's target goes into its source's row.
fn pack(input: &RowInput, beside: &[Option<usize>]) -> Rows {
    let n = input.kinds.len();
    let nl = input.lanes;
    // Loop-backs never push their target down. Every forward predecessor has a smaller
    // index, hence a single pass in input order suffices.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in input.edges {
        if e.from < e.to {
            preds[e.to].push(e.from);
        }
    }
    let mut rank = vec![0usize; n];
    for v in 0..n {
        rank[v] = match beside[v] {
            Some(u) => rank[u],
            None => preds[v].iter().map(|&u| rank[u] + 1).max().unwrap_or(0),
        };
    }
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
            let (a, b) = input.span[v];
            let free = |occ: &Vec<Vec<Option<usize>>>, row: usize| {
                occ[row][a..=b].iter().all(|c| c.is_none())
            };
            // The source of a hand-off has a smaller index, so it is placed already.
            let row = match beside[v] {
                Some(u) if free(&occ, row_of[u]) => row_of[u],
                _ => {
                    let mut s = 0;
                    loop {
                        if base + s == occ.len() {
                            occ.push(vec![None; nl]);
                            row_rank.push(r);
                        }
                        if free(&occ, base + s) {
                            break;
                        }
                        s += 1;
                    }
                    base + s
                }
            };
            for c in &mut occ[row][a..=b] {
                *c = Some(v);
            }
            row_of[v] = row;
        }
    }
    Rows {
        rank,
        row_of,
        row_rank,
        occ,
        crossed: Vec::new(),
    }
}
