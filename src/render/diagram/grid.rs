//! The grid the router works on: lane geometry, abstract y levels, channels.

use super::*;

/// Horizontal geometry shared by all rows.
#[derive(Debug, Clone)]
pub(super) struct Geo {
    pub(super) nl: usize,
    pub(super) lane_w: f64,
    pub(super) box_w: f64,
    pub(super) ml: f64,
    pub(super) mr: f64,
    pub(super) first: f64,
    pub(super) sp: f64,
    pub(super) cap_l: usize,
    pub(super) cap_r: usize,
}

impl Geo {
    pub(super) fn new(m: &Metrics, nl: usize) -> Geo {
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
    pub(super) fn lane_x(&self, l: usize) -> f64 {
        l as f64 * self.lane_w
    }
    pub(super) fn box_left(&self, l: usize) -> f64 {
        self.lane_x(l) + self.ml
    }
    pub(super) fn box_right(&self, l: usize) -> f64 {
        self.box_left(l) + self.box_w
    }
    pub(super) fn cx(&self, l: usize) -> f64 {
        self.box_left(l) + self.box_w / 2.0
    }
    pub(super) fn cap(&self, side: Side) -> usize {
        if side == Side::Left {
            self.cap_l
        } else {
            self.cap_r
        }
    }
    pub(super) fn cor_x(&self, l: usize, side: Side, t: usize) -> f64 {
        let off = self.first + self.sp * t as f64;
        if side == Side::Left {
            self.box_left(l) - off.min(self.ml - 0.5)
        } else {
            self.box_right(l) + off.min(self.mr - 0.5)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// Abstract y coordinate: rows and gap tracks get their real positions only
/// after routing has decided how many tracks each gap needs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ay {
    Top(usize),
    Bottom(usize),
    Mid(usize),
    MidOff(usize, f64),
    Gap(usize, usize),
}

pub(super) type APt = (f64, Ay);

/// Ordering key for vertical extents: it interleaves gaps and rows and
/// resolves gap tracks, so that two vertical runs on the same x can be
/// tested for overlap before any real y is known.
pub(super) const BIG: u64 = 1 << 20;

/// The number of the first track of a gap; tracks above it are numbered down from it.
pub(super) const TRACK_BASE: usize = 256;

pub(super) fn lvl_row(r: usize) -> u64 {
    (2 * r as u64 + 1) * BIG
}
pub(super) fn lvl_gap(g: usize, t: usize) -> u64 {
    2 * g as u64 * BIG + 1 + (t as u64).min(BIG / 2)
}
pub(super) fn lvl_gap_start(g: usize) -> u64 {
    2 * g as u64 * BIG
}
pub(super) fn lvl_gap_end(g: usize) -> u64 {
    2 * g as u64 * BIG + BIG / 2 + 2
}

/// Identity of an attachment point; runs that share their start or end
/// point may overlap because they visibly belong together (a fan-out from
/// one box or a merge into one box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct PortKey {
    pub(super) node: usize,
    pub(super) side: Side,
    pub(super) xq: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Chan {
    Center(usize),
    Cor(usize, Side),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct VUse {
    pub(super) lo: u64,
    pub(super) hi: u64,
    pub(super) from: PortKey,
    pub(super) to: PortKey,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct HUse {
    pub(super) x0: f64,
    pub(super) x1: f64,
    pub(super) from: PortKey,
    pub(super) to: PortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum HKey {
    Gap(usize, usize),
    Row(usize),
    /// Below the middle of a row: runs out of a side's lower port.
    RowLow(usize),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Ed {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) src: usize,
}

/// Everything known about the grid before edges are routed.
pub(super) struct Plan {
    pub(super) geo: Geo,
    pub(super) kinds: Vec<NodeKind>,
    pub(super) lane_of: Vec<usize>,
    pub(super) span: Vec<(usize, usize)>,
    pub(super) row_of: Vec<usize>,
    pub(super) nrows: usize,
    /// `occ[row][lane]`: the node (or bar) covering that cell.
    pub(super) occ: Vec<Vec<Option<usize>>>,
    pub(super) bars_in_row: Vec<Vec<usize>>,
    pub(super) nx: Vec<f64>,
    pub(super) nw: Vec<f64>,
}

impl Plan {
    pub(super) fn chan_lane(&self, n: usize, toward: usize) -> usize {
        if self.kinds[n].is_bar() {
            let (a, b) = self.span[n];
            toward.clamp(a, b)
        } else {
            self.lane_of[n]
        }
    }
    /// x of a top or bottom port and the lane whose centre line it is on.
    pub(super) fn tb_port(&self, n: usize, toward: usize) -> (f64, usize) {
        let l = self.chan_lane(n, toward);
        (self.geo.cx(l), l)
    }
    /// x of a side port and the lane whose corridor it opens into.
    pub(super) fn side_port(&self, n: usize, side: Side) -> (f64, usize) {
        let (a, b) = self.span[n];
        if side == Side::Left {
            (self.nx[n], a)
        } else {
            (self.nx[n] + self.nw[n], b)
        }
    }
    pub(super) fn center_free(&self, lane: usize, r0: usize, r1: usize) -> bool {
        (r0..r1.min(self.nrows)).all(|r| {
            self.occ
                .get(r)
                .and_then(|row| row.get(lane))
                .is_none_or(|c| c.is_none())
        })
    }
    /// Bars are the only shapes that reach into corridors.
    pub(super) fn cor_open(&self, lane: usize, side: Side, r0: usize, r1: usize) -> bool {
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
    pub(super) fn row_clear(&self, row: usize, x0: f64, x1: f64, except: &[usize]) -> bool {
        let (lo, hi) = (x0.min(x1), x0.max(x1));
        let Some(cells) = self.occ.get(row) else {
            return true;
        };
        cells.iter().flatten().all(|&n| {
            except.contains(&n) || self.nx[n] + self.nw[n] <= lo + 0.01 || self.nx[n] >= hi - 0.01
        })
    }
}
