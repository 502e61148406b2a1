//! Heights of the jogs that join lines cut at a page break to their off-page connectors.
//!
//! At a break every cut line goes on from its cut to its connector's circle: straight on
//! when the circle is in line with the cut, otherwise by a short horizontal jog between
//! the break and the circle. Where many lines are cut side by side the circles are spread
//! apart, so jogs overlap and a circle may sit in line with another line's cut. Each jog
//! then gets a height of its own, chosen so that no two lines to different connectors lie
//! on each other: not two jogs on one height, and not the part of a line before its jog
//! in line with the part of another line after its jog.

/// One cut line at one margin of a page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tail {
    /// x of the cut (where the line crosses the break).
    pub(super) cut: f64,
    /// x of its connector's centre.
    pub(super) circle: f64,
    /// The connector's letter: lines to one connector lead to one step and may merge.
    pub(super) letter: usize,
}

/// Distances from the break (pt) at which a jog may run, in order of preference; the
/// connector's circle begins [`CIRCLE_DEPTH`] from the break. The first four are the
/// usual ones, the others lie between them for margins crowded with jogs.
const LEVELS: [f64; 8] = [3.5, 5.6, 1.6, 7.6, 2.55, 4.55, 6.6, 8.6];

/// Distance from the break to the nearest point of a connector's circle.
pub(super) const CIRCLE_DEPTH: f64 = 10.0;

/// Horizontal jogs on one height closer than this end to end read as one line.
const END_GAP: f64 = 6.0;
/// Vertical pieces closer than this sideways are in line with each other.
const IN_LINE: f64 = 1.5;
/// ... and read as one line unless this far apart along it.
const ALONG_GAP: f64 = 3.2;

impl Tail {
    fn jogs(&self) -> bool {
        (self.circle - self.cut).abs() > 0.01
    }
}

/// Whether tails `a` at jog height `la` and `b` at `lb` would show as one line.
fn clash(a: &Tail, la: f64, b: &Tail, lb: f64) -> bool {
    if a.letter == b.letter {
        return false;
    }
    let span = |t: &Tail| (t.cut.min(t.circle), t.cut.max(t.circle));
    let ((a0, a1), (b0, b1)) = (span(a), span(b));
    if (la - lb).abs() < 0.5 && a1 + END_GAP >= b0 && b1 + END_GAP >= a0 {
        return true;
    }
    // The piece of one line from the break to its jog, in line with the piece of the
    // other from its jog to its circle: they must end apart.
    let before_after = |p: &Tail, lp: f64, q: &Tail, lq: f64| {
        (p.cut - q.circle).abs() < IN_LINE && lp + ALONG_GAP > lq
    };
    before_after(a, la, b, lb) || before_after(b, lb, a, la)
}

/// Where the connectors at one margin go: `xs` holds each letter's cut x, `cuts` every
/// cut (x and letter), circles lie between `lo` and `hi` at least `d` apart. Left to right
/// each circle is at its cut or as near as the one before allows, then they are pulled
/// back from the right edge; a circle is kept out of line with another letter's cut,
/// since the stub into it would read as that line going on. When the margin is too short
/// for all of them they are evenly spaced.
pub(super) fn circle_xs(
    mut xs: Vec<(f64, usize)>,
    cuts: &[(f64, usize)],
    lo: f64,
    hi: f64,
    d: f64,
) -> Vec<(usize, f64)> {
    xs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // The nearest x at or beyond `x` (in direction `dir`) out of line with other cuts.
    let clear = |x: f64, letter: usize, dir: f64| {
        let mut x = x;
        for _ in 0..cuts.len() {
            match cuts
                .iter()
                .find(|&&(c, l)| l != letter && (c - x).abs() < IN_LINE)
            {
                Some(&(c, _)) => x = c + dir * (IN_LINE + 0.2),
                None => break,
            }
        }
        x
    };
    let mut placed: Vec<(usize, f64)> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for (x, l) in xs {
        let cx = x.max(last + d).max(lo);
        let cx = if (cx - x).abs() > 0.01 {
            clear(cx, l, 1.0)
        } else {
            cx
        };
        last = cx;
        placed.push((l, cx));
    }
    let mut limit = hi;
    for item in placed.iter_mut().rev() {
        if item.1 > limit {
            item.1 = clear(limit, item.0, -1.0);
        }
        limit = item.1 - d;
    }
    if placed.first().is_some_and(|f| f.1 < lo) && placed.len() > 1 {
        let step = (hi - lo) / (placed.len() - 1) as f64;
        for (i, item) in placed.iter_mut().enumerate() {
            item.1 = lo + step * i as f64;
        }
    }
    placed
}

/// The jog height of each tail (`None` for a line that goes straight into its circle).
/// A small search finds heights where no two tails clash; only when it finds none (or
/// gives up) each tail takes, in turn, the height with the fewest clashes.
pub(super) fn jog_levels(tails: &[Tail]) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..tails.len()).filter(|&i| tails[i].jogs()).collect();
    // Ties in the search go to the longest jog.
    order.sort_by(|&i, &j| {
        let len = |t: &Tail| (t.circle - t.cut).abs();
        len(&tails[j])
            .total_cmp(&len(&tails[i]))
            .then(tails[i].cut.total_cmp(&tails[j].cut))
    });
    let mut level: Vec<Option<f64>> = vec![None; tails.len()];
    let mut budget = 4_000usize;
    let found = search(tails, &order, &mut level, &mut budget);
    if !found {
        // Greedy, fewest clashes first.
        level = vec![None; tails.len()];
        for &i in &order {
            let best = LEVELS
                .iter()
                .copied()
                .min_by_key(|&l| {
                    order
                        .iter()
                        .filter(|&&j| level[j].is_some_and(|lj| clash(&tails[i], l, &tails[j], lj)))
                        .count()
                })
                .unwrap_or(LEVELS[0]);
            level[i] = Some(best);
        }
    }
    level
}

/// Depth-first search that always goes on with the tail that has the fewest heights left
/// (so a tail left with none is met at once, not after trying every choice in between).
fn search(tails: &[Tail], order: &[usize], level: &mut [Option<f64>], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let options = |i: usize, level: &[Option<f64>]| -> Vec<f64> {
        LEVELS
            .iter()
            .copied()
            .filter(|&l| {
                order
                    .iter()
                    .all(|&j| level[j].is_none_or(|lj| !clash(&tails[i], l, &tails[j], lj)))
            })
            .collect()
    };
    let next = order
        .iter()
        .copied()
        .filter(|&i| level[i].is_none())
        .map(|i| (options(i, level), i))
        .min_by_key(|(o, _)| o.len());
    let Some((opts, i)) = next else {
        return true;
    };
    for l in opts {
        level[i] = Some(l);
        if search(tails, order, level, budget) {
            return true;
        }
        level[i] = None;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_before_its_jog_ends_well_before_another_line_after_its_jog_in_line_with_it() {
        // Line 0 is cut at 472.46 and jogs right to its circle; line 1's circle is in
        // line with that cut.
        let tails = [
            Tail {
                cut: 472.46,
                circle: 317.9,
                letter: 0,
            },
            Tail {
                cut: 478.23,
                circle: 472.7,
                letter: 1,
            },
        ];
        let l = jog_levels(&tails);
        let (l0, l1) = (l[0].unwrap(), l[1].unwrap());
        assert!(l0 + ALONG_GAP <= l1, "{l0} {l1}");
    }

    #[test]
    fn overlapping_jogs_get_heights_of_their_own() {
        let tails: Vec<Tail> = (0..6)
            .map(|k| Tail {
                cut: 440.0 + 5.0 * k as f64,
                circle: 380.0 + 14.6 * k as f64,
                letter: k,
            })
            .collect();
        let l = jog_levels(&tails);
        for i in 0..tails.len() {
            for j in i + 1..tails.len() {
                assert!(
                    !clash(&tails[i], l[i].unwrap(), &tails[j], l[j].unwrap()),
                    "{i} {j}: {l:?}"
                );
            }
        }
    }
}
