//! Long corridor runs: a detour past blocked columns, a loop-back round the outside.
//!
//! Such a run goes from one gap to another in a corridor that no bar cuts on the way.
//! In a crowded chart every track of every such corridor may be taken somewhere on the
//! stretch (bars close the corridors they span, so a long run often has only the outer
//! ones), and two lines on one track read as one line, which draws another graph. Each
//! part of the stretch may still have a free track, though, in the same corridor or in
//! another: the run then changes corridor (or track) in a gap on the way, with a short
//! crossing in that gap, rather than lie on another line.

use super::tracks::BESIDE_BAR;
use super::*;

/// A vertical run from one gap to another: it leaves the first gap at x `first`, makes
/// the crossings in `change` (pairs of points in gaps on the way, empty when it keeps
/// one track) and reaches the last gap at x `last`.
pub(super) struct Run {
    pub(super) first: f64,
    pub(super) change: Vec<APt>,
    pub(super) last: f64,
}

/// The most corridor changes one run may make.
const MOST_CHANGES: usize = 3;

impl Router<'_> {
    /// Takes a run from gap `ga` to gap `gb` through the corridors `cands` (in order of
    /// preference): one corridor with a free track over the whole stretch if there is
    /// one; else as few changes of corridor as give each part a free track, at the
    /// shortest crossings; else (nothing free anywhere) the first open corridor, sharing
    /// its outermost track.
    pub(super) fn long_run(
        &mut self,
        cands: &[(usize, Side)],
        ga: usize,
        gb: usize,
        from: PortKey,
        to: PortKey,
    ) -> Run {
        let (lo, hi) = (ga.min(gb), ga.max(gb));
        let (a, b) = (lvl_gap_start(lo), lvl_gap_end(hi));
        if let Some((l, side)) = self.pick_cor(cands, lo, hi, a, b, from, to) {
            let x = self.take_cor(l, side, a, b, from, to);
            return Run {
                first: x,
                change: Vec::new(),
                last: x,
            };
        }
        if let Some(parts) = self.split(cands, lo, hi, from, to) {
            return self.take_parts(&parts, ga > gb, from, to);
        }
        let p = self.p;
        let (l, side) = cands
            .iter()
            .copied()
            .find(|&(l, side)| p.cor_open(l, side, lo, hi))
            .unwrap_or(cands[0]);
        let x = self.take_cor(l, side, a, b, from, to);
        Run {
            first: x,
            change: Vec::new(),
            last: x,
        }
    }

    /// The corridor (and its free track's x) of each part of the stretch between gaps
    /// `lo` and `hi`, top down, and the gaps where the parts meet: the fewest parts (at
    /// most [`MOST_CHANGES`] + 1) with a free track each, then the shortest crossings.
    pub(super) fn split(
        &self,
        cands: &[(usize, Side)],
        lo: usize,
        hi: usize,
        from: PortKey,
        to: PortKey,
    ) -> Option<Vec<Part>> {
        let p = self.p;
        // The corridors with a free track between gaps `g0` and `g1`, with that track.
        let fits = |g0: usize, g1: usize| -> Vec<((usize, Side), usize)> {
            let (a, b) = (lvl_gap_start(g0), lvl_gap_end(g1));
            let mut out: Vec<((usize, Side), usize)> = cands
                .iter()
                .copied()
                .filter(|&(l, side)| p.cor_open(l, side, g0, g1))
                .filter_map(|(l, side)| {
                    self.find_cor(l, side, a, b, from, to)
                        .map(|t| ((l, side), t))
                })
                .collect();
            if g1 == g0 + 1 {
                out.extend(self.beside_bars(g0, from, to));
            }
            out
        };
        // best[g]: the cheapest way down from gap `lo` to gap `g` ending in each corridor,
        // as (changes, crossing length, parts). Gaps lie a row apart, so the stretch has
        // few of them and this stays small.
        type Way = (usize, f64, Vec<Part>);
        let mut best: Vec<Vec<Way>> = vec![Vec::new(); hi + 1];
        for g in lo + 1..=hi {
            let mut ways: Vec<Way> = Vec::new();
            for (g0, ends) in best.iter().enumerate().take(g).skip(lo) {
                let starts: Vec<Option<&Way>> = if g0 == lo {
                    vec![None]
                } else {
                    ends.iter().map(Some).collect()
                };
                if starts.is_empty() {
                    continue;
                }
                for (cor, track) in fits(g0, g) {
                    let x = p.geo.track_x(cor.0, cor.1, track);
                    for start in &starts {
                        let (changes, len, mut parts) = match start {
                            None => (0, 0.0, Vec::new()),
                            Some((c, len, parts)) => {
                                let prev = parts.last().map_or(x, |q: &Part| q.x);
                                (c + 1, len + (prev - x).abs(), parts.clone())
                            }
                        };
                        if changes > MOST_CHANGES {
                            continue;
                        }
                        parts.push(Part {
                            cor,
                            track,
                            x,
                            g0,
                            g1: g,
                        });
                        ways.push((changes, len, parts));
                    }
                }
            }
            // One way per track it ends on: the fewest changes, then the shortest.
            ways.sort_by(|u, v| u.0.cmp(&v.0).then(u.1.total_cmp(&v.1)));
            let mut kept: Vec<Way> = Vec::new();
            for w in ways {
                let end = w.2.last().map(|q| (q.cor, q.track));
                if !kept
                    .iter()
                    .any(|k| k.2.last().map(|q| (q.cor, q.track)) == end)
                {
                    kept.push(w);
                }
            }
            best[g] = kept;
        }
        best[hi].first().filter(|w| w.0 > 0).map(|w| w.2.clone())
    }

    /// The free tracks past the box edge of a corridor beside a bar in row `r` (see
    /// [`BESIDE_BAR`]): a bar ends short of its outer lanes' box edges, so a row of a bar
    /// across many lanes, which closes every corridor it crosses, leaves the corridors at
    /// its ends more room than their own tracks. A run takes one over that row alone.
    fn beside_bars(&self, r: usize, from: PortKey, to: PortKey) -> Vec<((usize, Side), usize)> {
        let p = self.p;
        let geo = &p.geo;
        // Clear of the bar's end by more than a line's width.
        let margin = geo.sp * 0.3;
        let (a, b) = (lvl_gap_start(r), lvl_gap_end(r + 1));
        let mut out = Vec::new();
        for &bar in p.bars_in_row.get(r).into_iter().flatten() {
            if !p.kinds[bar].is_bar() {
                continue;
            }
            let (l0, l1) = p.span[bar];
            let (x0, x1) = (p.nx[bar], p.nx[bar] + p.nw[bar]);
            for (l, side) in [(l0, Side::Left), (l1, Side::Right)] {
                let clear = |x: f64| {
                    if side == Side::Left {
                        x <= x0 - margin
                    } else {
                        x >= x1 + margin
                    }
                };
                let free = (BESIDE_BAR..)
                    .take_while(|&t| clear(geo.track_x(l, side, t)))
                    .find(|&t| self.vfree(Chan::Cor(l, side), t, a, b, from, to));
                if let Some(t) = free {
                    out.push(((l, side), t));
                }
            }
        }
        out
    }

    /// Takes the tracks of `parts` (top down) and the crossings between them; `up`: the run
    /// starts at the bottom.
    fn take_parts(&mut self, parts: &[Part], up: bool, from: PortKey, to: PortKey) -> Run {
        let mut xs = Vec::with_capacity(parts.len());
        for q in parts {
            let (a, b) = (lvl_gap_start(q.g0), lvl_gap_end(q.g1));
            self.vtake(Chan::Cor(q.cor.0, q.cor.1), q.track, a, b, from, to);
            xs.push(q.x);
        }
        let mut change = Vec::new();
        for (k, w) in parts.windows(2).enumerate() {
            let g = w[0].g1;
            let tr = self.pick_gap(g, xs[k], xs[k + 1], from, to, &[]);
            change.push((xs[k], Ay::Gap(g, tr)));
            change.push((xs[k + 1], Ay::Gap(g, tr)));
        }
        let (mut first, mut last) = (xs[0], xs[xs.len() - 1]);
        if up {
            change.reverse();
            std::mem::swap(&mut first, &mut last);
        }
        Run {
            first,
            change,
            last,
        }
    }
}

/// One part of a run that changes corridor: its corridor, track and the track's x, between
/// gaps `g0` (above) and `g1`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    cor: (usize, Side),
    track: usize,
    x: f64,
    g0: usize,
    g1: usize,
}
