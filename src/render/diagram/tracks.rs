//! Corridor tracks: the regular ones, a track spacing apart, and squeezed ones at half a
//! spacing between and beside them.
//!
//! Corridors are narrow in charts of many lanes (one regular track each from about 14
//! lanes on a landscape page), and a corridor the flow crowds may need more tracks than it
//! has. Two lines on one track read as one line, which draws another graph; two lines
//! half a spacing apart are still two. So a corridor whose regular tracks are taken over a
//! stretch offers its squeezed tracks before any line has to share one.

use super::*;

/// How close (in track spacings) a squeezed track may come to the box beside its corridor.
const FROM_BOX: f64 = 0.36;
/// How close (in track spacings) a squeezed track may come to the lane's border.
const FROM_BORDER: f64 = 0.3;
/// The first number of the tracks of a corridor that lie past its box's edge, a track
/// spacing apart from half a spacing in: there is room for them only in a row where a bar
/// stands in the box's place and ends short of the edge (see `runs.rs`).
pub(super) const BESIDE_BAR: usize = 1 << 12;

impl Geo {
    fn width_of(&self, side: Side) -> f64 {
        if side == Side::Left { self.ml } else { self.mr }
    }

    /// Distance from the box of regular track `t` (`t < cap`).
    fn regular_off(&self, side: Side, t: usize) -> f64 {
        (self.first + self.sp * t as f64).min(self.width_of(side) - 0.5)
    }

    /// Distances from the box of the squeezed tracks of a corridor on `side`, nearest to
    /// the box first: halfway between regular tracks and half a spacing beside the first
    /// and last, wherever that stays clear of the box and of the lane's border.
    fn squeezed(&self, side: Side) -> Vec<f64> {
        let cap = self.cap(side);
        let regular: Vec<f64> = (0..cap).map(|t| self.regular_off(side, t)).collect();
        let (lo, hi) = (
            self.sp * FROM_BOX,
            self.width_of(side) - self.sp * FROM_BORDER,
        );
        (-1..=cap as i64)
            .map(|k| self.first + self.sp * (k as f64 + 0.5))
            .filter(|&o| o >= lo && o <= hi)
            .filter(|&o| regular.iter().all(|r| (r - o).abs() >= self.sp * 0.45))
            .collect()
    }

    /// All tracks of a corridor on `side`: the regular ones (`0..cap`) first.
    pub(super) fn tracks(&self, side: Side) -> usize {
        self.cap(side) + self.squeezed(side).len()
    }

    /// x of track `t` of lane `l`'s corridor on `side` (see [`Geo::tracks`] and
    /// [`BESIDE_BAR`]).
    pub(super) fn track_x(&self, l: usize, side: Side, t: usize) -> f64 {
        let cap = self.cap(side);
        let off = if t >= BESIDE_BAR {
            -self.sp * (0.5 + (t - BESIDE_BAR) as f64)
        } else if t < cap {
            self.regular_off(side, t)
        } else {
            self.squeezed(side)
                .get(t - cap)
                .copied()
                .unwrap_or_else(|| self.regular_off(side, cap.saturating_sub(1)))
        };
        if side == Side::Left {
            self.box_left(l) - off
        } else {
            self.box_right(l) + off
        }
    }
}

impl Router<'_> {
    /// The tracks of lane `lane`'s corridor on `side` free over levels `a..b` (`span`)
    /// for a line between ports `ends`: `alone`, free even of lines out of the same port
    /// to another target (else such lines may share, as a fan-out does); `squeezed`, the
    /// squeezed tracks (else only the regular ones).
    pub(super) fn free_tracks(
        &self,
        lane: usize,
        side: Side,
        span: (u64, u64),
        ends: (PortKey, PortKey),
        alone: bool,
        squeezed: bool,
    ) -> impl Iterator<Item = usize> + '_ {
        let ch = Chan::Cor(lane, side);
        let (a, b) = span;
        let (from, to) = ends;
        let (lo, hi) = (a.min(b), a.max(b));
        let cap = self.p.geo.cap(side);
        let tracks = if squeezed {
            cap..self.p.geo.tracks(side)
        } else {
            0..cap
        };
        tracks.filter(move |&t| {
            self.vfree(ch, t, a, b, from, to)
                && (!alone
                    || self.vreg.get(&(ch, t)).is_none_or(|uses| {
                        uses.iter().all(|u| u.hi <= lo || hi <= u.lo || u.to == to)
                    }))
        })
    }

    /// Notes where lines will leave a shape sideways (`sides[i]` is edge `i`'s exit), so
    /// that a long run through other rows keeps off a corridor such a line has to enter
    /// at its shape's row when another corridor has room: in a chart of many lanes a
    /// corridor may hold a single track, and a line that takes it past a decision leaves
    /// that decision's side exit nowhere to go but onto it.
    pub(super) fn reserve_exits(&mut self, edges: &[Ed], sides: &[Side]) {
        for (e, &side) in edges.iter().zip(sides) {
            if matches!(side, Side::Left | Side::Right) && e.from != e.to {
                let (_, cl) = self.p.side_port(e.from, side);
                self.exits
                    .push((cl, side, lvl_row(self.p.row_of[e.from]), e.from));
            }
        }
    }

    /// Whether a run of node `from` over levels `a..b` in a corridor passes a row where
    /// another shape's line leaves into that corridor.
    pub(super) fn passes_exit(
        &self,
        lane: usize,
        side: Side,
        a: u64,
        b: u64,
        from: PortKey,
    ) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        self.exits.iter().any(|&(l, s, lvl, n)| {
            l == lane && s == side && n != from.node && lo <= lvl && lvl <= hi
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(width: f64, lanes: usize) -> Geo {
        let m = Metrics::new(
            &Style {
                width_pt: width,
                font_family: String::new(),
                font_size_pt: 7.0,
            },
            &mut Vec::new(),
        );
        Geo::new(&m, lanes)
    }

    #[test]
    fn regular_tracks_keep_their_place_and_squeezed_ones_lie_between_box_and_border() {
        for (width, lanes) in [
            (481.0, 2),
            (481.0, 5),
            (736.0, 11),
            (736.0, 15),
            (736.0, 16),
        ] {
            let g = geo(width, lanes);
            for side in [Side::Left, Side::Right] {
                for t in 0..g.cap(side) {
                    assert_eq!(g.track_x(1, side, t), g.cor_x(1, side, t));
                }
                let mut xs: Vec<f64> = (0..g.tracks(side)).map(|t| g.track_x(1, side, t)).collect();
                xs.sort_by(f64::total_cmp);
                for w in xs.windows(2) {
                    assert!(
                        w[1] - w[0] >= g.sp * 0.45,
                        "{width} {lanes} {side:?}: {xs:?}"
                    );
                }
                for x in xs {
                    let (l0, l1) = (g.lane_x(1), g.lane_x(2));
                    assert!(x > l0 + 1.0 && x < l1 - 1.0, "{x} outside lane {l0}..{l1}");
                    assert!(
                        x < g.box_left(1) - 1.0 || x > g.box_right(1) + 1.0,
                        "{x} on the box"
                    );
                }
            }
        }
        // Tracks beside a bar lie past the box's edge, a spacing apart, nearest first.
        for (width, lanes) in [(481.0, 6), (736.0, 16)] {
            let g = geo(width, lanes);
            let (l0, l1) = (
                g.track_x(1, Side::Left, BESIDE_BAR),
                g.track_x(1, Side::Left, BESIDE_BAR + 1),
            );
            assert!(g.box_left(1) < l0 && l0 < l1, "{l0} {l1}");
            assert!((l1 - l0 - g.sp).abs() < 1e-9);
            let r0 = g.track_x(1, Side::Right, BESIDE_BAR);
            assert!(r0 < g.box_right(1) && r0 > g.cx(1), "{r0}");
        }
        // A landscape chart of 15 lanes has one regular track a side; its wider right
        // corridor gains a squeezed one.
        let g = geo(736.0, 15);
        assert_eq!(g.cap(Side::Right), 1);
        assert!(g.tracks(Side::Right) >= 2);
    }
}
