//! Orthogonal edge routing over the grid, with free-channel bookkeeping.

use super::*;

pub(super) struct Router<'a> {
    pub(super) p: &'a Plan,
    pub(super) vreg: HashMap<(Chan, usize), Vec<VUse>>,
    pub(super) hreg: HashMap<HKey, Vec<HUse>>,
    /// Tracks used in each gap: `lo..hi`. Track numbers start at [`TRACK_BASE`] so that
    /// a run that must turn above every other one in its gap still gets a track.
    pub(super) gap_lo: Vec<usize>,
    pub(super) gap_hi: Vec<usize>,
    /// Where lines leave a shape sideways into a corridor: `(lane, side, level, node)`
    /// (see [`Router::reserve_exits`]).
    pub(super) exits: Vec<(usize, Side, u64, usize)>,
}

pub(super) fn pk(node: usize, side: Side, x: f64) -> PortKey {
    PortKey {
        node,
        side,
        xq: (x * 100.0).round() as i64,
    }
}

impl<'a> Router<'a> {
    pub(super) fn new(p: &'a Plan) -> Router<'a> {
        Router {
            p,
            vreg: HashMap::new(),
            hreg: HashMap::new(),
            gap_lo: vec![TRACK_BASE; p.nrows + 1],
            gap_hi: vec![TRACK_BASE; p.nrows + 1],
            exits: Vec::new(),
        }
    }

    pub(super) fn vfree(
        &self,
        ch: Chan,
        tr: usize,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        self.vreg.get(&(ch, tr)).is_none_or(|uses| {
            uses.iter()
                // Runs that only touch at a row level are apart: the box is between them.
                .all(|u| u.hi <= lo || hi <= u.lo || u.from == from || u.to == to)
        })
    }

    pub(super) fn vtake(
        &mut self,
        ch: Chan,
        tr: usize,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) {
        self.vreg.entry((ch, tr)).or_default().push(VUse {
            lo: a.min(b),
            hi: a.max(b),
            from,
            to,
        });
    }

    pub(super) fn hfree(&self, key: HKey, x0: f64, x1: f64, from: PortKey, to: PortKey) -> bool {
        // A small margin keeps unrelated runs from touching end to end,
        // which would read as one line.
        let (lo, hi) = (x0.min(x1) - 1.5, x0.max(x1) + 1.5);
        // Runs out of one port may share a track where they go the same way from it (a
        // fan-out); going opposite ways they would read as one line through the port.
        let px = from.xq as f64 / 100.0;
        let sentinel = from.xq < i64::MIN + 16;
        let one_way = |u: &HUse| {
            sentinel
                || (u.x0 >= px - 0.01 && x0.min(x1) >= px - 0.01)
                || (u.x1 <= px + 0.01 && x0.max(x1) <= px + 0.01)
        };
        self.hreg.get(&key).is_none_or(|uses| {
            uses.iter()
                .all(|u| u.x1 < lo || hi < u.x0 || (u.from == from && one_way(u)) || u.to == to)
        })
    }

    pub(super) fn htake(&mut self, key: HKey, x0: f64, x1: f64, from: PortKey, to: PortKey) {
        self.hreg.entry(key).or_default().push(HUse {
            x0: x0.min(x1),
            x1: x0.max(x1),
            from,
            to,
        });
    }

    /// Picks a track in gap `g` for a run from xa to xb. `checks` are the
    /// centre-line verticals that join the run (to a row level); a track is
    /// preferred where none of them overlaps an unrelated vertical, because
    /// two such runs on one x would read as a single line.
    pub(super) fn pick_gap(
        &mut self,
        g: usize,
        xa: f64,
        xb: f64,
        from: PortKey,
        to: PortKey,
        checks: &[(Chan, u64)],
    ) -> usize {
        let good = self.track_order(g).find(|&t| {
            self.hfree(HKey::Gap(g, t), xa, xb, from, to)
                && checks
                    .iter()
                    .all(|&(ch, other)| self.vfree(ch, 0, lvl_gap(g, t), other, from, to))
        });
        let t = match good {
            Some(t) => t,
            None => {
                let mut t = TRACK_BASE;
                while !self.hfree(HKey::Gap(g, t), xa, xb, from, to) {
                    t += 1;
                }
                t
            }
        };
        self.htake(HKey::Gap(g, t), xa, xb, from, to);
        for &(ch, other) in checks {
            self.vtake(ch, 0, lvl_gap(g, t), other, from, to);
        }
        if let Some(n) = self.gap_hi.get_mut(g) {
            *n = (*n).max(t + 1);
        }
        if let Some(n) = self.gap_lo.get_mut(g) {
            *n = (*n).min(t);
        }
        t
    }

    /// Tracks of gap `g` to try, in order: the used ones and a few below them, then a few
    /// above all of them (a run leaving the box above must turn above a run that enters
    /// the box below on the same line).
    pub(super) fn track_order(&self, g: usize) -> impl Iterator<Item = usize> + use<> {
        let lo = self.gap_lo.get(g).copied().unwrap_or(TRACK_BASE);
        let hi = self.gap_hi.get(g).copied().unwrap_or(TRACK_BASE);
        (lo..hi + 3).chain((lo.saturating_sub(4).max(1)..lo).rev())
    }

    /// The first corridor track free over the level range: one of its own before one
    /// shared with a line out of the same port, a regular track (see [`Geo::tracks`])
    /// before a squeezed one; `None` when all are taken.
    pub(super) fn find_cor(
        &self,
        lane: usize,
        side: Side,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> Option<usize> {
        let free = |alone, squeezed| {
            self.free_tracks(lane, side, (a, b), (from, to), alone, squeezed)
                .next()
        };
        free(true, false)
            .or_else(|| free(true, true))
            .or_else(|| free(false, false))
            .or_else(|| free(false, true))
    }

    /// Takes the first free track of a corridor; when all are taken the outermost regular
    /// one is shared, which only costs legibility.
    pub(super) fn take_cor(
        &mut self,
        lane: usize,
        side: Side,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> f64 {
        let t = self
            .find_cor(lane, side, a, b, from, to)
            .unwrap_or(self.p.geo.cap(side).saturating_sub(1));
        self.vtake(Chan::Cor(lane, side), t, a, b, from, to);
        self.p.geo.track_x(lane, side, t)
    }

    /// The corridors to try for a long vertical run: `first` in order, then every other
    /// lane's corridors, nearest to lane `near` first, so that a full corridor never
    /// has to be shared while another one is free.
    pub(super) fn corridors(&self, first: &[(usize, Side)], near: usize) -> Vec<(usize, Side)> {
        let mut out: Vec<(usize, Side)> = first.to_vec();
        let mut lanes: Vec<usize> = (0..self.p.geo.nl).collect();
        lanes.sort_by_key(|&l| (l.abs_diff(near), l));
        for l in lanes {
            for side in [Side::Left, Side::Right] {
                if !out.contains(&(l, side)) {
                    out.push((l, side));
                }
            }
        }
        out
    }

    /// The first corridor of `cands` open from row `r0` to `r1` with a free track over
    /// levels `a..b`; `None` when every open one has all its tracks taken.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn pick_cor(
        &self,
        cands: &[(usize, Side)],
        r0: usize,
        r1: usize,
        a: u64,
        b: u64,
        from: PortKey,
        to: PortKey,
    ) -> Option<(usize, Side)> {
        let p = self.p;
        let free = |l: usize, side: Side, alone: bool, squeezed: bool| {
            self.free_tracks(l, side, (a, b), (from, to), alone, squeezed)
                .count()
        };
        let pass = |ok: &dyn Fn(usize, Side) -> bool| {
            cands
                .iter()
                .copied()
                .find(|&(l, side)| p.cor_open(l, side, r0, r1) && ok(l, side))
        };
        // A track of its own in any corridor before a shared one in the first, a regular
        // one before a squeezed one; first of all in a corridor that passes no other
        // shape's side exit, unless it has tracks to spare.
        pass(&|l, side| {
            free(l, side, true, false) > 0
                && (free(l, side, true, false) + free(l, side, true, true) > 1
                    || !self.passes_exit(l, side, a, b, from))
        })
        .or_else(|| pass(&|l, side| free(l, side, true, false) > 0))
        .or_else(|| pass(&|l, side| free(l, side, true, true) > 0))
        .or_else(|| pass(&|l, side| free(l, side, false, false) + free(l, side, false, true) > 0))
    }

    pub(super) fn route(
        &mut self,
        s: usize,
        t: usize,
        exit: Side,
        low: bool,
        entry_right_ok: bool,
        entry_left_ok: bool,
    ) -> Vec<APt> {
        if s == t {
            return self.self_loop(s, exit);
        }
        let p = self.p;
        if p.row_of[t] > p.row_of[s] {
            match exit {
                Side::Left | Side::Right => self.fwd_side(s, t, exit, low),
                _ => self.fwd_bottom(s, t),
            }
        } else {
            self.back(s, t, exit, entry_right_ok, entry_left_ok)
        }
    }

    pub(super) fn fwd_bottom(&mut self, s: usize, t: usize) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (sx, sl) = p.tb_port(s, p.lane_of[t]);
        let (tx, tl) = p.tb_port(t, sl);
        let from = pk(s, Side::Bottom, sx);
        let to = pk(t, Side::Top, tx);
        let start = (sx, Ay::Bottom(s));
        let end = (tx, Ay::Top(t));
        if sl == tl
            && p.center_free(tl, rs + 1, rt)
            && self.vfree(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to)
        {
            self.vtake(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to);
            return vec![start, end];
        }
        // Across in the gap right below the source, then down the target's
        // column: the usual shape of a hand-off between lanes.
        if p.center_free(tl, rs + 1, rt) {
            let g = rs + 1;
            let checks = [
                (Chan::Center(sl), lvl_row(rs)),
                (Chan::Center(tl), lvl_row(rt)),
            ];
            if rt == rs + 1
                || self.track_order(g).any(|tr| {
                    self.vfree(Chan::Center(tl), 0, lvl_gap(g, tr), lvl_row(rt), from, to)
                })
            {
                let tr = self.pick_gap(g, sx, tx, from, to, &checks);
                return vec![start, (sx, Ay::Gap(g, tr)), (tx, Ay::Gap(g, tr)), end];
            }
        }
        if p.center_free(sl, rs + 1, rt)
            && self.vfree(
                Chan::Center(sl),
                0,
                lvl_row(rs),
                lvl_gap_start(rt),
                from,
                to,
            )
        {
            let g = rt;
            let checks = [
                (Chan::Center(sl), lvl_row(rs)),
                (Chan::Center(tl), lvl_row(rt)),
            ];
            let tr = self.pick_gap(g, sx, tx, from, to, &checks);
            return vec![start, (sx, Ay::Gap(g, tr)), (tx, Ay::Gap(g, tr)), end];
        }
        // Both columns are blocked: detour through a corridor.
        let run = self.detour(sl, tl, rs, rt, from, to);
        let g1 = rs + 1;
        let t1 = self.pick_gap(
            g1,
            sx,
            run.first,
            from,
            to,
            &[(Chan::Center(sl), lvl_row(rs))],
        );
        let pts = vec![start, (sx, Ay::Gap(g1, t1)), (run.first, Ay::Gap(g1, t1))];
        self.arrive_by_run(pts, run, t, tl, tx, from)
    }

    /// A line out of a side of `s` and down into `t`; `low`: out of the side's lower
    /// port, below the vertex (the second outcome leaving a diamond on that side), whose
    /// start the layout moves onto the diamond's border once heights are known.
    pub(super) fn fwd_side(&mut self, s: usize, t: usize, side: Side, low: bool) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (xv, cl) = p.side_port(s, side);
        let (tx, tl) = p.tb_port(t, cl);
        let (from, level, row) = if low {
            let from = PortKey {
                node: s,
                side,
                xq: i64::MIN + 2,
            };
            (from, Ay::MidOff(s, 1.0), HKey::RowLow(rs))
        } else {
            (pk(s, side, xv), Ay::Mid(s), HKey::Row(rs))
        };
        let to = pk(t, Side::Top, tx);
        let start = (xv, level);
        let end = (tx, Ay::Top(t));
        let dir = if side == Side::Right { 1.0 } else { -1.0 };
        // Straight out of the vertex and down into the target: the classic
        // "No" branch shape, possible when the cells on the way are empty.
        if (tx - xv) * dir > 1.0
            && p.row_clear(rs, xv, tx, &[s])
            && p.center_free(tl, rs + 1, rt)
            && self.hfree(row, xv, tx, from, to)
            && self.vfree(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to)
        {
            self.htake(row, xv, tx, from, to);
            self.vtake(Chan::Center(tl), 0, lvl_row(rs), lvl_row(rt), from, to);
            return vec![start, (tx, level), end];
        }
        let t_col = p.center_free(tl, rs + 1, rt);
        if t_col || p.cor_open(cl, side, rs + 1, rt) {
            let g = if t_col { rs + 1 } else { rt };
            let xc = self.take_cor(cl, side, lvl_row(rs), lvl_gap_end(g), from, to);
            self.htake(row, xv, xc, from, to);
            let tr = self.pick_gap(g, xc, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
            return vec![
                start,
                (xc, level),
                (xc, Ay::Gap(g, tr)),
                (tx, Ay::Gap(g, tr)),
                end,
            ];
        }
        // A bar cuts the own corridor further down: step into the next gap
        // and continue in a corridor that is open all the way.
        let g1 = rs + 1;
        let xc = self.take_cor(cl, side, lvl_row(rs), lvl_gap_end(g1), from, to);
        self.htake(row, xv, xc, from, to);
        let run = self.detour(cl, tl, rs, rt, from, to);
        let t1 = self.pick_gap(g1, xc, run.first, from, to, &[]);
        let pts = vec![
            start,
            (xc, level),
            (xc, Ay::Gap(g1, t1)),
            (run.first, Ay::Gap(g1, t1)),
        ];
        self.arrive_by_run(pts, run, t, tl, tx, from)
    }

    /// The rest of a line down into the top port `tx` of `t` (in lane `tl`) that has
    /// reached the first end of the corridor run `run`, its points so far `pts`: along the
    /// run, then across in the gap above `t`'s row, on a track no centre line joining `t`
    /// there overlaps.
    fn arrive_by_run(
        &mut self,
        mut pts: Vec<APt>,
        run: Run,
        t: usize,
        tl: usize,
        tx: f64,
        from: PortKey,
    ) -> Vec<APt> {
        let rt = self.p.row_of[t];
        let to = pk(t, Side::Top, tx);
        let tr = self.pick_gap(
            rt,
            run.last,
            tx,
            from,
            to,
            &[(Chan::Center(tl), lvl_row(rt))],
        );
        pts.extend(run.change);
        pts.extend([
            (run.last, Ay::Gap(rt, tr)),
            (tx, Ay::Gap(rt, tr)),
            (tx, Ay::Top(t)),
        ]);
        pts
    }

    /// Takes a corridor run from the gap below row `rs` to the gap above row `rt`
    /// without crossing a bar, preferring corridors near the two ends of the edge (see
    /// [`Router::long_run`]).
    pub(super) fn detour(
        &mut self,
        sl: usize,
        tl: usize,
        rs: usize,
        rt: usize,
        from: PortKey,
        to: PortKey,
    ) -> Run {
        let p = self.p;
        let cands = self.corridors(
            &[
                (tl, Side::Left),
                (sl, Side::Right),
                (sl, Side::Left),
                (tl, Side::Right),
                (0, Side::Left),
                (p.geo.nl - 1, Side::Right),
            ],
            tl,
        );
        self.long_run(&cands, rs + 1, rt, from, to)
    }

    pub(super) fn back(
        &mut self,
        s: usize,
        t: usize,
        exit: Side,
        right_ok: bool,
        left_ok: bool,
    ) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        if exit == Side::Bottom {
            return self.back_outer(s, t, exit);
        }
        let (xs, cl) = p.side_port(s, exit);
        let from = pk(s, exit, xs);
        let start = (xs, Ay::Mid(s));
        // Same row: a plain horizontal arrow when nothing is in between.
        if rs == rt {
            let t_right = p.nx[t] > p.nx[s];
            let entry = if t_right { Side::Left } else { Side::Right };
            let facing = (exit == Side::Right && t_right && left_ok)
                || (exit == Side::Left && !t_right && right_ok);
            let (xt, _) = p.side_port(t, entry);
            let to = pk(t, entry, xt);
            if facing
                && p.row_clear(rs, xs, xt, &[s, t])
                && self.hfree(HKey::Row(rs), xs, xt, from, to)
            {
                self.htake(HKey::Row(rs), xs, xt, from, to);
                return vec![start, (xt, Ay::Mid(t))];
            }
        }
        // Up the exit corridor and sideways into the target's facing side:
        // a loop-back that enters from the top would merge with the forward
        // flow into the same box and hide which way it runs.
        if p.cor_open(cl, exit, rt, rs + 1) {
            let x0 = p.geo.cor_x(cl, exit, 0);
            let entry = if p.nx[t] + p.nw[t] / 2.0 < x0 {
                Side::Right
            } else {
                Side::Left
            };
            let ok = if entry == Side::Right {
                right_ok
            } else {
                left_ok
            };
            let (xt, _) = p.side_port(t, entry);
            let to = pk(t, entry, xt);
            if ok
                && p.row_clear(rt, x0, xt, &[t])
                && self.hfree(HKey::Row(rt), x0, xt, from, to)
                && self
                    .find_cor(cl, exit, lvl_row(rt), lvl_row(rs), from, to)
                    .is_some()
            {
                let xc = self.take_cor(cl, exit, lvl_row(rt), lvl_row(rs), from, to);
                self.htake(HKey::Row(rs), xs, xc, from, to);
                self.htake(HKey::Row(rt), xt, xc, from, to);
                return vec![start, (xc, Ay::Mid(s)), (xc, Ay::Mid(t)), (xt, Ay::Mid(t))];
            }
        }
        // Otherwise up the exit corridor and into the target from above, unless every
        // track of it is taken on the way: then round through a corridor with room.
        let (tx, tl) = p.tb_port(t, cl);
        let to = pk(t, Side::Top, tx);
        if p.cor_open(cl, exit, rt, rs + 1)
            && (self
                .find_cor(cl, exit, lvl_gap_start(rt), lvl_row(rs), from, to)
                .is_some()
                || !self.outer_has_room(s, t, (cl, exit), from, to))
        {
            let xc = self.take_cor(cl, exit, lvl_gap_start(rt), lvl_row(rs), from, to);
            self.htake(HKey::Row(rs), xs, xc, from, to);
            let tr = self.pick_gap(rt, xc, tx, from, to, &[(Chan::Center(tl), lvl_row(rt))]);
            return vec![
                start,
                (xc, Ay::Mid(s)),
                (xc, Ay::Gap(rt, tr)),
                (tx, Ay::Gap(rt, tr)),
                (tx, Ay::Top(t)),
            ];
        }
        self.back_outer(s, t, exit)
    }

    /// The corridors a loop-back round the outside tries, for a target in lane `tl`.
    fn outer_cands(&self, tl: usize) -> Vec<(usize, Side)> {
        let nl = self.p.geo.nl;
        self.corridors(
            &[
                (nl - 1, Side::Right),
                (0, Side::Left),
                (tl, Side::Right),
                (tl, Side::Left),
            ],
            tl,
        )
    }

    /// Whether a loop-back from `s` to `t` round the outside (see [`Router::back_outer`])
    /// finds a corridor with a free track other than `exit`, the corridor it leaves by, or
    /// free tracks in corridors it changes between on the way (see [`Router::long_run`]).
    fn outer_has_room(
        &self,
        s: usize,
        t: usize,
        exit: (usize, Side),
        from: PortKey,
        to: PortKey,
    ) -> bool {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (_, tl) = p.tb_port(t, p.lane_of[s]);
        let (a, b) = (lvl_gap_start(rt), lvl_gap_end(rs + 1));
        let cands = self.outer_cands(tl);
        cands.iter().any(|&(l, side)| {
            (l, side) != exit
                && p.cor_open(l, side, rt, rs + 1)
                && self.find_cor(l, side, a, b, from, to).is_some()
        }) || self.split(&cands, rt, rs + 1, from, to).is_some()
    }

    /// Fallback loop-back: down to the gap below the source, over to a
    /// corridor that no bar crosses, up, and into the target from above.
    pub(super) fn back_outer(&mut self, s: usize, t: usize, exit: Side) -> Vec<APt> {
        let p = self.p;
        let (rs, rt) = (p.row_of[s], p.row_of[t]);
        let (tx, tl) = p.tb_port(t, p.lane_of[s]);
        let g1 = rs + 1;
        let mut pts = Vec::new();
        let (from, x1, first_check) = if exit == Side::Bottom {
            let (sx, sl) = p.tb_port(s, p.lane_of[t]);
            pts.push((sx, Ay::Bottom(s)));
            (
                pk(s, Side::Bottom, sx),
                sx,
                Some((Chan::Center(sl), lvl_row(rs))),
            )
        } else {
            let (xs, cl) = p.side_port(s, exit);
            let from = pk(s, exit, xs);
            let to = pk(t, Side::Top, tx);
            let xc = self.take_cor(cl, exit, lvl_row(rs), lvl_gap_end(g1), from, to);
            pts.push((xs, Ay::Mid(s)));
            pts.push((xc, Ay::Mid(s)));
            (from, xc, None)
        };
        let to = pk(t, Side::Top, tx);
        let cands = self.outer_cands(tl);
        let run = self.long_run(&cands, g1, rt, from, to);
        let checks: Vec<(Chan, u64)> = first_check.into_iter().collect();
        let t1 = self.pick_gap(g1, x1, run.first, from, to, &checks);
        pts.extend([(x1, Ay::Gap(g1, t1)), (run.first, Ay::Gap(g1, t1))]);
        self.arrive_by_run(pts, run, t, tl, tx, from)
    }

    pub(super) fn self_loop(&mut self, s: usize, side: Side) -> Vec<APt> {
        let p = self.p;
        let rs = p.row_of[s];
        if p.kinds[s].is_diamond() || p.kinds[s].is_bar() {
            // Diamonds and bars have no vertical side to loop on, so go
            // round through the gaps above and below.
            let (sx, sl) = p.tb_port(s, p.lane_of[s]);
            let from = pk(s, Side::Bottom, sx);
            let to = pk(s, Side::Top, sx);
            let cl = p.span[s].1;
            let xc = self.take_cor(
                cl,
                Side::Right,
                lvl_gap_start(rs),
                lvl_gap_end(rs + 1),
                from,
                to,
            );
            let t1 = self.pick_gap(rs + 1, sx, xc, from, to, &[(Chan::Center(sl), lvl_row(rs))]);
            let t2 = self.pick_gap(rs, xc, sx, from, to, &[(Chan::Center(sl), lvl_row(rs))]);
            return vec![
                (sx, Ay::Bottom(s)),
                (sx, Ay::Gap(rs + 1, t1)),
                (xc, Ay::Gap(rs + 1, t1)),
                (xc, Ay::Gap(rs, t2)),
                (sx, Ay::Gap(rs, t2)),
                (sx, Ay::Top(s)),
            ];
        }
        let side = if side == Side::Left {
            Side::Left
        } else {
            Side::Right
        };
        let (xr, cl) = p.side_port(s, side);
        // The loop leaves and re-enters off mid-height, so its ports are
        // distinct from a loop-back leaving the same side at mid-height;
        // sharing a key would let both claim the same corridor track.
        let from = PortKey {
            node: s,
            side,
            xq: i64::MIN,
        };
        let to = PortKey {
            node: s,
            side,
            xq: i64::MIN + 1,
        };
        let xc = self.take_cor(cl, side, lvl_row(rs), lvl_row(rs), from, to);
        vec![
            (xr, Ay::MidOff(s, 1.0)),
            (xc, Ay::MidOff(s, 1.0)),
            (xc, Ay::MidOff(s, -1.0)),
            (xr, Ay::MidOff(s, -1.0)),
        ]
    }
}

/// Chooses the side each outgoing edge leaves a node by. Decisions spread
/// their outcomes over three vertices so that each outcome has its own
/// line and label; other shapes use one bottom port (a fan-out) for the
/// flow and a side port for loop-backs.
///
/// The second element marks an outcome that leaves by the lower port of a side whose
/// vertex another outcome to a farther lane takes: leaving by the opposite vertex instead
/// would cross the outcome leaving the bottom.
pub(super) fn exit_sides(p: &Plan, edges: &[Ed], n_nodes: usize) -> (Vec<Side>, Vec<bool>) {
    let mut sides = vec![Side::Bottom; edges.len()];
    let mut low = vec![false; edges.len()];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    for (i, e) in edges.iter().enumerate() {
        outs[e.from].push(i);
    }
    for (n, list) in outs.iter().enumerate() {
        let ln = p.lane_of[n];
        let is_down = |i: usize| p.row_of[edges[i].to] > p.row_of[n];
        let toward = |i: usize| {
            let e = edges[i];
            if p.lane_of[e.to] < ln || (p.lane_of[e.to] == ln && p.nx[e.to] < p.nx[n]) {
                Side::Left
            } else {
                Side::Right
            }
        };
        let is_self = |i: usize| edges[i].to == n;
        if !p.kinds[n].is_diamond() {
            for &i in list.iter().filter(|&&i| !is_self(i)) {
                sides[i] = if is_down(i) { Side::Bottom } else { toward(i) };
            }
            // A self-loop takes whichever side no other edge leaves by.
            let right_used = list.iter().any(|&i| !is_self(i) && sides[i] == Side::Right);
            for &i in list.iter().filter(|&&i| is_self(i)) {
                sides[i] = if right_used { Side::Left } else { Side::Right };
            }
            continue;
        }
        let mut same: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] == ln)
            .collect();
        same.sort_by_key(|&i| (p.row_of[edges[i].to], i));
        let mut right: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] > ln)
            .collect();
        right.sort_by_key(|&i| (std::cmp::Reverse(p.lane_of[edges[i].to]), i));
        let mut left: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| is_down(i) && p.lane_of[edges[i].to] < ln)
            .collect();
        left.sort_by_key(|&i| (p.lane_of[edges[i].to], i));
        // Decision self-loops go round through the gaps, not a vertex.
        let ups: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| !is_down(i) && !is_self(i))
            .collect();

        let mut taken: Vec<Side> = Vec::new();
        let assign = |i: usize, prefs: &[Side], sides: &mut Vec<Side>, taken: &mut Vec<Side>| {
            let side = prefs
                .iter()
                .copied()
                .find(|s| !taken.contains(s))
                .unwrap_or(prefs[0]);
            taken.push(side);
            sides[i] = side;
        };
        if let Some(&i) = same.first() {
            assign(i, &[Side::Bottom], &mut sides, &mut taken);
        }
        if let Some(&i) = right.first() {
            assign(
                i,
                &[Side::Right, Side::Bottom, Side::Left],
                &mut sides,
                &mut taken,
            );
        }
        if let Some(&i) = left.first() {
            assign(
                i,
                &[Side::Left, Side::Bottom, Side::Right],
                &mut sides,
                &mut taken,
            );
        }
        let rest = same
            .iter()
            .skip(1)
            .chain(right.iter().skip(1))
            .chain(left.iter().skip(1))
            .copied();
        let mut low_taken: Vec<Side> = Vec::new();
        for i in rest {
            let side = toward(i);
            if taken.contains(&Side::Bottom) && taken.contains(&side) && !low_taken.contains(&side)
            {
                low_taken.push(side);
                sides[i] = side;
                low[i] = true;
                continue;
            }
            let prefs = if side == Side::Left {
                [Side::Bottom, Side::Left, Side::Right]
            } else {
                [Side::Bottom, Side::Right, Side::Left]
            };
            assign(i, &prefs, &mut sides, &mut taken);
        }
        for i in ups {
            let prefs = if toward(i) == Side::Left {
                [Side::Left, Side::Right, Side::Bottom]
            } else {
                [Side::Right, Side::Left, Side::Bottom]
            };
            assign(i, &prefs, &mut sides, &mut taken);
        }
    }
    (sides, low)
}
