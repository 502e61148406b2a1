//! The drawn flowchart is the flow: the graph rebuilt from the SVG's geometry alone (which
//! shape each line leaves and reaches, following off-page connectors) equals the flow's
//! connections, for every flow of every example and for generated flows, in the whole
//! drawing and in the pages the PDF prints. The same drawings keep the routing rules:
//! lines into different targets never share a segment, no line runs along or through a
//! shape that is not its end, crossings show a gap, and no label covers a label, a shape
//! or a line.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use procdoc::flow::graph::{Exit, FlowGraph};
use procdoc::render::diagram::{self, Chart, Edge, Lane, Node, NodeKind, Style};
use procdoc::render::flowchart;

// ------------------------------------------------------------ svg reading --

#[derive(Debug, Clone, Copy, PartialEq)]
struct P {
    x: f64,
    y: f64,
}

#[derive(Debug, Clone)]
enum Outline {
    Rect { x: f64, y: f64, w: f64, h: f64 },
    Diamond { cx: f64, cy: f64, a: f64, b: f64 },
    Circle { cx: f64, cy: f64, r: f64 },
}

impl Outline {
    fn bbox(&self) -> (f64, f64, f64, f64) {
        match *self {
            Outline::Rect { x, y, w, h } => (x, y, x + w, y + h),
            Outline::Diamond { cx, cy, a, b } => (cx - a, cy - b, cx + a, cy + b),
            Outline::Circle { cx, cy, r } => (cx - r, cy - r, cx + r, cy + r),
        }
    }
    /// Distance-like measure of how far `p` is from the outline (0 on it).
    fn off(&self, p: P) -> f64 {
        match *self {
            Outline::Rect { x, y, w, h } => {
                let dx = (x - p.x).max(p.x - (x + w)).max(0.0);
                let dy = (y - p.y).max(p.y - (y + h)).max(0.0);
                if dx > 0.0 || dy > 0.0 {
                    dx.max(dy)
                } else {
                    // Inside: distance to the nearest side.
                    (p.x - x).min(x + w - p.x).min(p.y - y).min(y + h - p.y)
                }
            }
            Outline::Diamond { cx, cy, a, b } => {
                let k = (p.x - cx).abs() / a + (p.y - cy).abs() / b;
                (k - 1.0).abs() * a.min(b)
            }
            Outline::Circle { cx, cy, r } => {
                (((p.x - cx).powi(2) + (p.y - cy).powi(2)).sqrt() - r).abs()
            }
        }
    }
    /// Whether the open segment a-b passes through the shape's inside (shrunk by `m`).
    fn crossed_by(&self, a: P, b: P, m: f64) -> bool {
        let (x0, y0, x1, y1) = self.bbox();
        let (x0, y0, x1, y1) = (x0 + m, y0 + m, x1 - m, y1 - m);
        if x0 >= x1 || y0 >= y1 {
            return false;
        }
        let (sx0, sx1) = (a.x.min(b.x), a.x.max(b.x));
        let (sy0, sy1) = (a.y.min(b.y), a.y.max(b.y));
        if sx1 <= x0 || sx0 >= x1 || sy1 <= y0 || sy0 >= y1 {
            return false;
        }
        match *self {
            Outline::Diamond {
                cx,
                cy,
                a: da,
                b: db,
            } => {
                // Orthogonal segment: the point of it nearest the centre decides.
                let nx = cx.clamp(sx0, sx1);
                let ny = cy.clamp(sy0, sy1);
                (nx - cx).abs() / (da - m) + (ny - cy).abs() / (db - m) < 1.0
            }
            _ => true,
        }
    }
}

#[derive(Debug, Clone)]
struct Shape {
    step: String,
    kind: String,
    outline: Outline,
}

#[derive(Debug, Clone)]
struct Line {
    pts: Vec<P>,
    from: Vec<String>,
    to: Vec<String>,
    outcome: Option<String>,
}

#[derive(Debug, Clone)]
struct Drawing {
    shapes: Vec<Shape>,
    /// Off-page connectors: letter and circle.
    connectors: Vec<(String, Outline)>,
    lines: Vec<Line>,
    labels: Vec<(f64, f64, f64, f64)>,
    gaps: Vec<P>,
}

fn attr(el: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = el.find(&key)? + key.len();
    let end = el[at..].find('"')? + at;
    Some(
        el[at..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

fn num(el: &str, name: &str) -> f64 {
    attr(el, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number `{name}` in {el}"))
}

fn words(v: Option<String>) -> Vec<String> {
    v.unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn path_points(d: &str) -> Vec<P> {
    let nums: Vec<f64> = d
        .split(|c: char| c == 'M' || c == 'L' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    nums.chunks(2).map(|c| P { x: c[0], y: c[1] }).collect()
}

fn read(svg: &str) -> Drawing {
    let mut d = Drawing {
        shapes: Vec::new(),
        connectors: Vec::new(),
        lines: Vec::new(),
        labels: Vec::new(),
        gaps: Vec::new(),
    };
    let mut group: Option<(String, String)> = None;
    let mut connector: Option<String> = None;
    for el in svg.lines() {
        let el = el.trim();
        if el.starts_with("<g data-step=") {
            group = Some((
                attr(el, "data-step").unwrap(),
                attr(el, "data-kind").unwrap(),
            ));
        } else if el.starts_with("<g data-connector=") {
            connector = attr(el, "data-connector");
        } else if el.starts_with("</g>") {
            group = None;
            connector = None;
        } else if el.starts_with("<path ") && attr(el, "data-from").is_some() {
            d.lines.push(Line {
                pts: path_points(&attr(el, "d").unwrap()),
                from: words(attr(el, "data-from")),
                to: words(attr(el, "data-to")),
                outcome: attr(el, "data-outcome"),
            });
        } else if el.starts_with("<rect ") && attr(el, "data-label").is_some() {
            let (x, y) = (num(el, "x"), num(el, "y"));
            d.labels
                .push((x, y, x + num(el, "width"), y + num(el, "height")));
        } else if attr(el, "data-gap").is_some() {
            let v: Vec<f64> = attr(el, "data-gap")
                .unwrap()
                .split(',')
                .map(|s| s.parse().unwrap())
                .collect();
            // A gap a reader sees in print: over a millimetre of the vertical line, and
            // wider than its stroke. A hairline gap reads as a junction.
            if num(el, "height") >= 3.5 && num(el, "width") >= 1.0 {
                d.gaps.push(P { x: v[0], y: v[1] });
            }
        } else if let Some((step, kind)) = &group {
            let outline = if el.starts_with("<rect ") {
                Outline::Rect {
                    x: num(el, "x"),
                    y: num(el, "y"),
                    w: num(el, "width"),
                    h: num(el, "height"),
                }
            } else if el.starts_with("<polygon ") {
                let v: Vec<f64> = attr(el, "points")
                    .unwrap()
                    .split([' ', ','])
                    .map(|s| s.parse().unwrap())
                    .collect();
                // top, right, bottom, left vertices
                Outline::Diamond {
                    cx: v[0],
                    cy: v[3],
                    a: v[2] - v[0],
                    b: v[3] - v[1],
                }
            } else {
                continue;
            };
            // A call box draws its side lines as `<line>`: only the first outline counts.
            if d.shapes
                .last()
                .is_some_and(|s| &s.step == step && &s.kind == kind)
            {
                continue;
            }
            d.shapes.push(Shape {
                step: step.clone(),
                kind: kind.clone(),
                outline,
            });
        } else if let Some(letter) = &connector
            && el.starts_with("<circle ")
        {
            d.connectors.push((
                letter.clone(),
                Outline::Circle {
                    cx: num(el, "cx"),
                    cy: num(el, "cy"),
                    r: num(el, "r"),
                },
            ));
        }
    }
    d
}

// ------------------------------------------------------- graph rebuilding --

/// A place a line can start or end: a shape (index) or a connector (page, letter).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Shape(usize, usize),
    Connector(usize, String),
}

fn end_at(d: &Drawing, page: usize, p: P) -> Option<End> {
    let mut best: Option<(f64, End)> = None;
    for (i, s) in d.shapes.iter().enumerate() {
        let off = s.outline.off(p);
        if off < 0.8 && best.as_ref().is_none_or(|b| off < b.0) {
            best = Some((off, End::Shape(page, i)));
        }
    }
    for (letter, c) in &d.connectors {
        let off = c.off(p);
        if off < 0.8 && best.as_ref().is_none_or(|b| off < b.0) {
            best = Some((off, End::Connector(page, letter.clone())));
        }
    }
    best.map(|b| b.1)
}

type Conn = (String, String, Option<String>);

/// The flow's connections as the drawing shows them. Panics with the offending line when a
/// line starts or ends nowhere.
fn rebuild(pages: &[Drawing], what: &str) -> BTreeSet<Conn> {
    // Out-going lines of every end, with the outcome the line carries when it leaves a decision.
    let mut out: BTreeMap<End, Vec<(End, Option<String>)>> = BTreeMap::new();
    for (pi, d) in pages.iter().enumerate() {
        for l in &d.lines {
            let a = end_at(d, pi, l.pts[0]).unwrap_or_else(|| {
                panic!(
                    "{what}: line {:?}->{:?} starts at no shape: {:?}",
                    l.from, l.to, l.pts
                )
            });
            let b = end_at(d, pi, *l.pts.last().unwrap()).unwrap_or_else(|| {
                panic!(
                    "{what}: line {:?}->{:?} ends at no shape: {:?}",
                    l.from, l.to, l.pts
                )
            });
            let outcome = match &a {
                // A decision's outcome, or the time of a timeout line out of a task.
                End::Shape(_, i)
                    if matches!(
                        d.shapes[*i].kind.as_str(),
                        "decision" | "inclusive" | "task"
                    ) =>
                {
                    l.outcome.clone()
                }
                _ => None,
            };
            out.entry(a).or_default().push((b, outcome));
        }
    }
    let shape = |e: &End| -> Option<&Shape> {
        match e {
            End::Shape(p, i) => Some(&pages[*p].shapes[*i]),
            End::Connector(..) => None,
        }
    };
    let is_junction = |e: &End| {
        shape(e).is_none_or(|s| {
            matches!(
                s.kind.as_str(),
                "decision" | "inclusive" | "fork" | "join" | "inclusive-join"
            )
        })
    };
    let mut conns = BTreeSet::new();
    for start in out.keys() {
        if is_junction(start) {
            continue;
        }
        let from = shape(start).unwrap().step.clone();
        let mut stack: Vec<(End, Option<String>)> = vec![(start.clone(), None)];
        let mut seen = BTreeSet::new();
        while let Some((at, outcome)) = stack.pop() {
            if !seen.insert((at.clone(), outcome.clone())) {
                continue;
            }
            // A connector on one page continues at the connector with its letter on the others.
            let mut nexts: Vec<End> = vec![at.clone()];
            if let End::Connector(p, letter) = &at {
                nexts.extend(pages.iter().enumerate().filter(|(q, _)| q != p).flat_map(
                    |(q, d)| {
                        d.connectors
                            .iter()
                            .filter(|(l, _)| l == letter)
                            .map(move |_| End::Connector(q, letter.clone()))
                    },
                ));
            }
            for n in nexts {
                for (b, o) in out.get(&n).into_iter().flatten() {
                    // The outcome is printed where the line leaves its decision.
                    let o = outcome.clone().or(o.clone());
                    if is_junction(b) {
                        stack.push((b.clone(), o));
                    } else {
                        conns.insert((from.clone(), shape(b).unwrap().step.clone(), o));
                    }
                }
            }
        }
    }
    conns
}

/// The connections the lines claim in their `data-` attributes.
fn claimed(d: &Drawing) -> BTreeSet<(String, String)> {
    let mut c = BTreeSet::new();
    for l in &d.lines {
        for f in &l.from {
            for t in &l.to {
                c.insert((f.clone(), t.clone()));
            }
        }
    }
    c
}

// ----------------------------------------------------------------- rules --

type Seg = (P, P);

fn segs(l: &Line) -> impl Iterator<Item = Seg> + '_ {
    l.pts
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| (a.x - b.x).abs() + (a.y - b.y).abs() > 0.01)
}

fn horizontal(s: &Seg) -> bool {
    (s.0.y - s.1.y).abs() < 0.01
}

/// Length over which two segments lie on one line.
fn shared_len(s: &Seg, t: &Seg) -> f64 {
    let tol = 0.3;
    if horizontal(s) && horizontal(t) && (s.0.y - t.0.y).abs() < tol {
        let lo = s.0.x.min(s.1.x).max(t.0.x.min(t.1.x));
        let hi = s.0.x.max(s.1.x).min(t.0.x.max(t.1.x));
        return hi - lo;
    }
    if !horizontal(s) && !horizontal(t) && (s.0.x - t.0.x).abs() < tol {
        let lo = s.0.y.min(s.1.y).max(t.0.y.min(t.1.y));
        let hi = s.0.y.max(s.1.y).min(t.0.y.max(t.1.y));
        return hi - lo;
    }
    0.0
}

/// Whether one segment goes on where the other ends, on the same line across a break too
/// short to see as one (under 3 pt) with no shape in it: the two read as one line.
fn continues(s: &Seg, t: &Seg, shapes: &[Shape]) -> bool {
    let tol = 0.3;
    let h = horizontal(s);
    let (a, b) = if h && horizontal(t) && (s.0.y - t.0.y).abs() < tol {
        ((s.0.x, s.1.x), (t.0.x, t.1.x))
    } else if !h && !horizontal(t) && (s.0.x - t.0.x).abs() < tol {
        ((s.0.y, s.1.y), (t.0.y, t.1.y))
    } else {
        return false;
    };
    let (lo, hi) = (
        a.0.max(a.1).min(b.0.max(b.1)),
        a.0.min(a.1).max(b.0.min(b.1)),
    );
    let mid = (lo + hi) / 2.0;
    let at = if h {
        P { x: mid, y: s.0.y }
    } else {
        P { x: s.0.x, y: mid }
    };
    let in_shape = shapes.iter().any(|sh| {
        let (x0, y0, x1, y1) = sh.outline.bbox();
        at.x > x0 && at.x < x1 && at.y > y0 && at.y < y1
    });
    (-0.5..3.0).contains(&(hi - lo)) && !in_shape
}

/// The point where a horizontal and a vertical segment cross inside both.
fn crossing(s: &Seg, t: &Seg) -> Option<P> {
    let (h, v) = match (horizontal(s), horizontal(t)) {
        (true, false) => (s, t),
        (false, true) => (t, s),
        _ => return None,
    };
    let (x, y) = (v.0.x, h.0.y);
    let m = 0.6;
    let inside_h = x > h.0.x.min(h.1.x) + m && x < h.0.x.max(h.1.x) - m;
    let inside_v = y > v.0.y.min(v.1.y) + m && y < v.0.y.max(v.1.y) - m;
    (inside_h && inside_v).then_some(P { x, y })
}

fn rect_hits_seg(r: (f64, f64, f64, f64), s: &Seg) -> bool {
    let (x0, x1) = (s.0.x.min(s.1.x), s.0.x.max(s.1.x));
    let (y0, y1) = (s.0.y.min(s.1.y), s.0.y.max(s.1.y));
    x0 < r.2 && x1 > r.0 && y0 < r.3 && y1 > r.1
}

fn shrink(r: (f64, f64, f64, f64), m: f64) -> (f64, f64, f64, f64) {
    (r.0 + m, r.1 + m, r.2 - m, r.3 - m)
}

fn rects_overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Every rule broken in one page, as readable lines.
fn broken_rules(d: &Drawing, page: usize) -> Vec<String> {
    let mut bad = Vec::new();
    let name = |l: &Line| format!("{}->{}", l.from.join(" "), l.to.join(" "));
    let lines: Vec<(&Line, Vec<Seg>)> = d.lines.iter().map(|l| (l, segs(l).collect())).collect();
    let ends: Vec<(Option<End>, Option<End>)> = d
        .lines
        .iter()
        .map(|l| {
            (
                end_at(d, page, l.pts[0]),
                end_at(d, page, *l.pts.last().unwrap()),
            )
        })
        .collect();
    for (i, (a, sa)) in lines.iter().enumerate() {
        for (b, sb) in lines.iter().skip(i + 1) {
            let same_target = a.to == b.to;
            for s in sa {
                for t in sb {
                    if !same_target && shared_len(s, t) > 0.5 {
                        bad.push(format!(
                            "{} and {} share a segment at {:?}",
                            name(a),
                            name(b),
                            s
                        ));
                    } else if !same_target && continues(s, t, &d.shapes) {
                        bad.push(format!("{} goes on as {} at {:?}", name(a), name(b), s));
                    }
                    if !same_target
                        && let Some(p) = crossing(s, t)
                        && !d
                            .gaps
                            .iter()
                            .any(|g| (g.x - p.x).abs() < 0.6 && (g.y - p.y).abs() < 0.6)
                    {
                        bad.push(format!(
                            "{} crosses {} at {:?} without a gap",
                            name(a),
                            name(b),
                            p
                        ));
                    }
                }
            }
        }
        // Through or along a shape other than its own ends.
        for (k, shape) in d.shapes.iter().enumerate() {
            let own = |e: &Option<End>| matches!(e, Some(End::Shape(_, x)) if *x == k);
            if own(&ends[i].0) || own(&ends[i].1) {
                continue;
            }
            for s in sa {
                if shape.outline.crossed_by(s.0, s.1, -0.3) {
                    bad.push(format!(
                        "{} runs through or along {} {} ({:?})",
                        name(a),
                        shape.kind,
                        shape.step,
                        s
                    ));
                    break;
                }
            }
        }
    }
    // An off-page connector's letter is a label too: no line but its own runs through
    // its circle, and it covers no other connector and no shape.
    for (i, (a, sa)) in lines.iter().enumerate() {
        for (letter, c) in &d.connectors {
            let own = |e: &Option<End>| matches!(e, Some(End::Connector(_, l)) if l == letter);
            if own(&ends[i].0) || own(&ends[i].1) {
                continue;
            }
            if sa.iter().any(|s| c.crossed_by(s.0, s.1, -0.3)) {
                bad.push(format!("{} runs through connector {letter}", name(a)));
            }
        }
    }
    for (k, (l1, c1)) in d.connectors.iter().enumerate() {
        for (l2, c2) in d.connectors.iter().skip(k + 1) {
            if rects_overlap(c1.bbox(), c2.bbox()) {
                bad.push(format!("connectors {l1} and {l2} overlap"));
            }
        }
        for s in &d.shapes {
            if rects_overlap(c1.bbox(), s.outline.bbox()) {
                bad.push(format!("connector {l1} covers {} {}", s.kind, s.step));
            }
        }
    }
    for (i, l) in d.labels.iter().enumerate() {
        let r = shrink(*l, 0.2);
        for m in d.labels.iter().skip(i + 1) {
            if rects_overlap(r, *m) {
                bad.push(format!("labels overlap at {l:?}"));
            }
        }
        for s in &d.shapes {
            let hit = match s.outline {
                Outline::Diamond { .. } => {
                    // the diamond's inside, tested at the label's corners and edges' midpoints
                    s.outline
                        .crossed_by(P { x: r.0, y: r.1 }, P { x: r.2, y: r.1 }, 0.0)
                        || s.outline
                            .crossed_by(P { x: r.0, y: r.3 }, P { x: r.2, y: r.3 }, 0.0)
                        || s.outline
                            .crossed_by(P { x: r.0, y: r.1 }, P { x: r.0, y: r.3 }, 0.0)
                        || s.outline
                            .crossed_by(P { x: r.2, y: r.1 }, P { x: r.2, y: r.3 }, 0.0)
                        || {
                            let (cx, cy) = match s.outline {
                                Outline::Diamond { cx, cy, .. } => (cx, cy),
                                _ => unreachable!(),
                            };
                            cx > r.0 && cx < r.2 && cy > r.1 && cy < r.3
                        }
                }
                _ => rects_overlap(r, s.outline.bbox()),
            };
            if hit {
                bad.push(format!("label {l:?} covers {} {}", s.kind, s.step));
            }
        }
        for (c, o) in &d.connectors {
            if rects_overlap(r, o.bbox()) {
                bad.push(format!("label {l:?} covers connector {c}"));
            }
        }
        for (line, ss) in &lines {
            if ss.iter().any(|s| rect_hits_seg(r, s)) {
                bad.push(format!("label {l:?} covers line {}", name(line)));
            }
        }
    }
    bad
}

/// Checks one flow drawn whole and paged: graph, claims and rules. Returns the problems.
fn check_drawing(
    what: &str,
    whole: &str,
    pages: &[String],
    expected: &BTreeSet<Conn>,
) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    let whole_d = read(whole);
    let pages_d: Vec<Drawing> = pages.iter().map(|p| read(p)).collect();
    let plain: BTreeSet<(String, String)> = expected
        .iter()
        .map(|c| (c.0.clone(), c.1.clone()))
        .collect();
    for (kind, drawings) in [("whole", vec![whole_d.clone()]), ("paged", pages_d.clone())] {
        let got = rebuild(&drawings, what);
        if &got != expected {
            let missing: Vec<_> = expected.difference(&got).collect();
            let extra: Vec<_> = got.difference(expected).collect();
            problems.push(format!(
                "{what} ({kind}): drawn graph differs: missing {missing:?}, extra {extra:?}"
            ));
        }
        let mut claims = BTreeSet::new();
        for d in &drawings {
            claims.extend(claimed(d));
        }
        if claims != plain {
            problems.push(format!(
                "{what} ({kind}): data-from/data-to claim {claims:?}, flow has {plain:?}"
            ));
        }
        for (p, d) in drawings.iter().enumerate() {
            for b in broken_rules(d, p) {
                rules.push(format!("{what} ({kind} page {}): {b}", p + 1));
            }
        }
    }
    (problems, rules)
}

// ---------------------------------------------------------------- examples --

/// The content of a `<text>` element line.
fn text_of(el: &str) -> Option<String> {
    let el = el.trim();
    if !el.starts_with("<text ") {
        return None;
    }
    let start = el.find('>')? + 1;
    let end = el.rfind("</text>")?;
    Some(
        el[start..end]
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

fn flow_connections(graph: &FlowGraph, primary: &str) -> BTreeSet<Conn> {
    let mut c = BTreeSet::new();
    let id = |s: usize| graph.flow.steps[s].id.clone();
    let several = graph.flow.trigger.as_ref().map_or(&[][..], |t| t.starts());
    if !several.is_empty() {
        // Several triggers: one start each (`start`, `start:2`, ...), to the step it names.
        for (i, t) in several.iter().enumerate() {
            let from = if i == 0 {
                "start".to_string()
            } else {
                format!("start:{}", i + 1)
            };
            c.insert((from, t.start.clone(), None));
        }
    } else if !graph.flow.steps.is_empty() {
        c.insert(("start".to_string(), id(0), None));
    }
    for (s, exit) in graph.exits.iter().enumerate() {
        match exit {
            Exit::Continue(t) => {
                c.insert((id(s), id(*t), None));
            }
            Exit::Next(ts) => {
                for t in ts {
                    c.insert((id(s), id(*t), None));
                }
            }
            Exit::Decision(outs) => {
                let d = graph.flow.steps[s].decision.as_ref().unwrap();
                for &(o, t) in outs {
                    let when = &d.outcomes[o].when;
                    let label = when
                        .get(primary, primary)
                        .unwrap_or_else(|| when.best(primary, primary));
                    c.insert((id(s), id(t), Some(label.to_string())));
                }
            }
            Exit::End => {
                c.insert((id(s), format!("end:{}", id(s)), None));
            }
            Exit::FallsOff => {}
        }
        // A timeout is a line of its own out of the step's box, labelled with its time.
        if let (Some(t), Some(timeout)) = (graph.timeouts[s], &graph.flow.steps[s].timeout) {
            c.insert((
                id(s),
                id(t),
                Some(format!("no answer in {}", timeout.after)),
            ));
        }
    }
    c
}

#[test]
fn a_timeout_is_drawn_as_a_labelled_line_out_of_a_step_with_a_timer_mark() {
    let dir = Path::new("tests/fixtures/run/supplier-timeout");
    let (qms, _) = procdoc::spec::load::load(dir).unwrap();
    let settings = qms.settings.as_ref().unwrap();
    let primary = settings.primary_language().to_string();
    let p = &qms.procedures[0];
    let procedures = qms.procedures.iter().map(|p| &p.doc).collect();
    let drawn =
        flowchart::of_flow(settings, procedures, &p.doc, 0, settings.languages.clone()).unwrap();
    let graph = FlowGraph::new(&p.doc.flows[0]);
    let expected = flow_connections(&graph, &primary);
    assert!(expected.contains(&(
        "ask-supplier".to_string(),
        "hold".to_string(),
        Some("no answer in 10 working days".to_string())
    )));
    let (graph_problems, rule_problems) =
        check_drawing("supplier-timeout", &drawn.whole, &drawn.pages, &expected);
    assert!(graph_problems.is_empty(), "{graph_problems:#?}");
    // The timeout line keeps every routing rule (the rest of this flow is the router's as
    // for any flow: its decision into two steps of one lane shares a run, as in the examples).
    let timeout_breaks: Vec<&String> = rule_problems
        .iter()
        .filter(|p| p.contains("ask-supplier->hold"))
        .collect();
    assert!(timeout_breaks.is_empty(), "{timeout_breaks:#?}");
    // One timer mark, on the step that times out.
    assert_eq!(drawn.whole.matches("data-timer").count(), 1);
    let group = drawn
        .whole
        .split("<g data-step=")
        .find(|g| g.contains("data-timer"))
        .unwrap();
    assert!(group.starts_with("\"ask-supplier\""), "{group}");
}

#[test]
fn every_example_flowchart_draws_its_flow() {
    let mut problems = Vec::new();
    let mut broken = Vec::new();
    let mut flows = 0;
    for folder in common::example_folders() {
        let (qms, _) = procdoc::spec::load::load(&Path::new("specs").join(&folder)).unwrap();
        let settings = qms.settings.as_ref().unwrap();
        let primary = settings.primary_language().to_string();
        for p in &qms.procedures {
            for (f, flow) in p.doc.flows.iter().enumerate() {
                let procedures = qms.procedures.iter().map(|p| &p.doc).collect();
                let drawn =
                    flowchart::of_flow(settings, procedures, &p.doc, f, settings.languages.clone())
                        .unwrap();
                let graph = FlowGraph::new(flow);
                let expected = flow_connections(&graph, &primary);
                let lanes = drawn.layout.lanes().len();
                assert_eq!(
                    drawn.landscape,
                    lanes >= flowchart::LANDSCAPE_FROM_LANES,
                    "{folder} {} {}: {lanes} lanes",
                    p.doc.id,
                    flow.id
                );
                // Every Latin word of a step title or a lane name prints whole on one line.
                let printed: Vec<String> = drawn
                    .whole
                    .lines()
                    .chain(drawn.pages.iter().flat_map(|p| p.lines()))
                    .filter_map(text_of)
                    .collect();
                let mut names: Vec<String> = flow
                    .steps
                    .iter()
                    .filter_map(|s| s.title.as_ref())
                    .map(|t| t.best(&primary, &primary).to_string())
                    .collect();
                names.extend(
                    settings
                        .departments
                        .iter()
                        .map(|d| d.name.best(&primary, &primary).to_string()),
                );
                for name in names {
                    for word in name
                        .split_whitespace()
                        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_alphabetic()))
                    {
                        // Consecutive text elements are consecutive lines of one block.
                        let cut = printed.windows(2).find(|w| {
                            (2..word.len())
                                .any(|k| w[0].ends_with(&word[..k]) && w[1].starts_with(&word[k..]))
                        });
                        if let Some(lines) = cut {
                            problems.push(format!(
                                "{folder} {} flow {}: `{word}` is broken across lines {lines:?}",
                                p.doc.id, flow.id
                            ));
                        }
                    }
                }
                let what = format!("{folder} {} flow {}", p.doc.id, flow.id);
                // To look at the drawings: PROCDOC_GEOMETRY_DUMP=<folder>.
                if let Ok(dir) = std::env::var("PROCDOC_GEOMETRY_DUMP") {
                    let stem = format!("{folder}_{}_{}", p.doc.id.replace('/', "-"), flow.id);
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(Path::new(&dir).join(format!("{stem}.svg")), &drawn.whole)
                        .unwrap();
                    for (i, page) in drawn.pages.iter().enumerate() {
                        std::fs::write(Path::new(&dir).join(format!("{stem}-{}.svg", i + 1)), page)
                            .unwrap();
                    }
                }
                let (graph_problems, rule_problems) =
                    check_drawing(&what, &drawn.whole, &drawn.pages, &expected);
                problems.extend(graph_problems);
                broken.extend(rule_problems);
                flows += 1;
            }
        }
    }
    assert!(flows >= 10, "only {flows} flows found");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Every example keeps every rule, drawn whole and paged.
    assert!(
        broken.is_empty(),
        "{} routing or label rules broken:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// An inclusive choice and join (`multiple: true`, `join: started`) draw as BPMN's inclusive
/// gateway: a diamond with a circle above its question, a join bar with a circle; the
/// drawing is still the flow, under the same routing rules.
#[test]
fn inclusive_choices_and_joins_draw_their_flow_with_a_circle() {
    let (qms, _) = procdoc::spec::load::load(Path::new("tests/fixtures/inclusive")).unwrap();
    let settings = qms.settings.as_ref().unwrap();
    let p = &qms.procedures[0];
    let procedures = qms.procedures.iter().map(|p| &p.doc).collect();
    let drawn =
        flowchart::of_flow(settings, procedures, &p.doc, 0, settings.languages.clone()).unwrap();
    let graph = FlowGraph::new(&p.doc.flows[0]);
    let expected = flow_connections(&graph, "en");
    let (problems, broken) = check_drawing("inclusive", &drawn.whole, &drawn.pages, &expected);
    assert!(
        problems.is_empty() && broken.is_empty(),
        "{problems:?} {broken:?}"
    );
    let d = read(&drawn.whole);
    let lines: Vec<&str> = drawn.whole.lines().map(str::trim).collect();
    let circles: Vec<(f64, f64, f64)> = lines
        .iter()
        .filter(|l| l.starts_with("<circle data-inclusive"))
        .map(|l| (num(l, "cx"), num(l, "cy"), num(l, "r")))
        .collect();
    assert_eq!(circles.len(), 2, "{}", drawn.whole);
    let diamond = d
        .shapes
        .iter()
        .find(|s| s.kind == "inclusive")
        .expect("an inclusive diamond");
    let Outline::Diamond { cx, cy, a, b } = diamond.outline else {
        panic!("not a diamond: {:?}", diamond.outline)
    };
    let (x, y, r) = circles[0];
    // The whole circle lies inside the diamond, above every line of the question.
    for (dx, dy) in [(0.0, -r), (r, 0.0), (-r, 0.0), (0.0, r)] {
        assert!(
            (x + dx - cx).abs() / a + (y + dy - cy).abs() / b < 1.0,
            "circle leaves the diamond"
        );
    }
    let question_top = lines
        .iter()
        .skip_while(|l| !l.contains(r#"data-kind="inclusive""#))
        .take_while(|l| !l.starts_with("</g>"))
        .filter(|l| l.starts_with("<text "))
        .map(|l| num(l, "y") - num(l, "font-size"))
        .fold(f64::MAX, f64::min);
    assert!(
        y + r < question_top,
        "circle {y}+{r} over the question at {question_top}"
    );
    let bar = d
        .shapes
        .iter()
        .find(|s| s.kind == "inclusive-join")
        .expect("an inclusive join bar");
    let (x0, y0, x1, y1) = bar.outline.bbox();
    let (x, y, _) = circles[1];
    assert!(
        x > x0 && x < x1 && y >= y0 && y <= y1,
        "the circle is not on the join bar"
    );
}

/// Generated flows (of 300) that may break a routing rule: none. A long corridor run
/// that finds every track of every open corridor taken over its stretch changes corridor
/// on the way instead of sharing a track (seeds 48 and 266 did), and passes the row of a
/// bar across every lane beside the bar's end (see the test below). Of 1,500 flows
/// (`PROCDOC_GEOMETRY_FLOWS=1500`) two still break one.
const GENERATED_RULE_BREAKS: usize = 0;

// ------------------------------------------------------- generated flows --

/// A small deterministic generator (xorshift), so that every run checks the same flows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone)]
enum GExit {
    Open,
    Cont(usize),
    Next(Vec<usize>),
    Dec(Vec<(String, usize)>),
    End,
}

struct Gen {
    rng: Rng,
    lanes: usize,
    budget: usize,
    lane: Vec<usize>,
    exit: Vec<GExit>,
    join: Vec<bool>,
}

/// A loose end of a generated sequence: a step, and the outcome label when it is a decision's.
type Open = (usize, Option<String>);

const OUTCOMES: &[&str] = &["Yes", "No", "Partly", "Not now", "合格", "不合格"];

impl Gen {
    fn step(&mut self) -> usize {
        self.budget = self.budget.saturating_sub(1);
        let lane = if self.rng.chance(40) && !self.lane.is_empty() {
            *self.lane.last().unwrap()
        } else {
            self.rng.below(self.lanes)
        };
        self.lane.push(lane);
        self.exit.push(GExit::Open);
        self.join.push(false);
        self.lane.len() - 1
    }
    fn connect(&mut self, opens: &[Open], to: usize) {
        for (s, outcome) in opens {
            match (&mut self.exit[*s], outcome) {
                (GExit::Dec(outs), Some(o)) => outs.push((o.clone(), to)),
                (e @ GExit::Open, None) => *e = GExit::Cont(to),
                (e, o) => panic!("generator: cannot connect {e:?} with {o:?}"),
            }
        }
    }
    /// A sequence of blocks; returns its entry step and its loose ends.
    fn seq(&mut self, depth: usize, in_branch: bool) -> (usize, Vec<Open>) {
        let first = self.step();
        let mut opens: Vec<Open> = vec![(first, None)];
        let blocks = 1 + self.rng.below(4);
        for _ in 0..blocks {
            if self.budget < 4 {
                break;
            }
            let choice = self.rng.below(if depth >= 3 { 2 } else { 6 });
            match choice {
                0 | 1 => {
                    let s = self.step();
                    self.connect(&opens, s);
                    opens = vec![(s, None)];
                }
                2 => {
                    // if / else, sometimes with more than two outcomes or an empty branch
                    let d = self.step();
                    self.connect(&opens, d);
                    self.exit[d] = GExit::Dec(Vec::new());
                    let n = 2 + usize::from(self.rng.chance(25)) + usize::from(self.rng.chance(10));
                    opens = Vec::new();
                    for k in 0..n {
                        let label = OUTCOMES[k % OUTCOMES.len()].to_string();
                        if k == n - 1 && self.rng.chance(40) {
                            opens.push((d, Some(label)));
                        } else {
                            let (entry, ends) = self.seq(depth + 1, in_branch);
                            self.connect(&[(d, Some(label))], entry);
                            opens.extend(ends);
                        }
                    }
                }
                3 => {
                    // a loop back to the start of this sequence or to itself
                    let d = self.step();
                    self.connect(&opens, d);
                    let back = if self.rng.chance(20) {
                        d
                    } else {
                        first + self.rng.below(d - first)
                    };
                    self.exit[d] = GExit::Dec(vec![("Again".to_string(), back)]);
                    opens = vec![(d, Some("Done".to_string()))];
                }
                4 if !in_branch => {
                    // an early end
                    let d = self.step();
                    self.connect(&opens, d);
                    let e = self.step();
                    self.exit[e] = GExit::End;
                    self.exit[d] = GExit::Dec(vec![("Stop".to_string(), e)]);
                    opens = vec![(d, Some("Go on".to_string()))];
                }
                _ => {
                    // parallel branches and their join
                    let f = self.step();
                    self.connect(&opens, f);
                    let n = 2 + self.rng.below(3);
                    let mut entries = Vec::new();
                    let mut ends = Vec::new();
                    for _ in 0..n {
                        let (entry, e) = self.seq(depth + 1, true);
                        entries.push(entry);
                        ends.extend(e);
                    }
                    self.exit[f] = GExit::Next(entries);
                    let j = self.step();
                    self.join[j] = true;
                    self.connect(&ends, j);
                    opens = vec![(j, None)];
                }
            }
        }
        (first, opens)
    }
}

const WORDS: &[&str] = &[
    "Review",
    "the",
    "customer",
    "order",
    "Record",
    "disputed",
    "items",
    "approve",
    "Production",
    "Department",
    "Quality",
    "Assurance",
    "internationalisation",
    "合同",
    "评审",
    "客户",
    "确认",
    "交货期",
    "Manager",
    "and",
    "return",
    "notice",
];

fn words_of(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A random sound flow as a chart (built the way the documents build theirs) and its
/// connections.
fn generated(seed: u64) -> (Chart, BTreeSet<Conn>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let lanes = 2 + rng.below(15);
    let budget = 6 + rng.below(55);
    let mut g = Gen {
        rng,
        lanes,
        budget,
        lane: Vec::new(),
        exit: Vec::new(),
        join: Vec::new(),
    };
    let (_, opens) = g.seq(0, false);
    let last = g.step();
    g.connect(&opens, last);
    g.exit[last] = GExit::End;
    let n = g.lane.len();
    let id = |s: usize| format!("S{s}");
    let mut chart = Chart::default();
    for l in 0..lanes {
        let w = 1 + g.rng.below(4);
        chart.lanes.push(Lane {
            id: format!("L{l}"),
            label: vec![words_of(&mut g.rng, w)],
            group: None,
        });
    }
    let entry = |t: usize| {
        if g.join[t] {
            format!("join:{t}")
        } else {
            format!("step:{t}")
        }
    };
    let mut conns = BTreeSet::new();
    let node = |id: String, step: String, kind: NodeKind, lane: usize, label: Vec<String>| Node {
        id,
        step,
        kind,
        lane,
        number: None,
        label,
    };
    let edge = |from: String, to: String, label: Vec<String>| Edge { from, to, label };
    chart.nodes.push(node(
        "start".into(),
        "start".into(),
        NodeKind::Start,
        g.lane[0],
        vec!["Start".into()],
    ));
    chart.edges.push(edge("start".into(), entry(0), vec![]));
    conns.insert(("start".to_string(), id(0), None));
    for s in 0..n {
        let lane = g.lane[s];
        if g.join[s] {
            chart.nodes.push(node(
                format!("join:{s}"),
                id(s),
                NodeKind::Join,
                lane,
                vec![],
            ));
            chart
                .edges
                .push(edge(format!("join:{s}"), format!("step:{s}"), vec![]));
        }
        let words = 1 + g.rng.below(9);
        let mut nd = node(
            format!("step:{s}"),
            id(s),
            NodeKind::Task,
            lane,
            vec![words_of(&mut g.rng, words)],
        );
        nd.number = Some(format!("5.{s}"));
        chart.nodes.push(nd);
        let from = format!("step:{s}");
        match g.exit[s].clone() {
            GExit::Cont(t) => {
                chart.edges.push(edge(from, entry(t), vec![]));
                conns.insert((id(s), id(t), None));
            }
            GExit::Next(ts) => {
                chart.nodes.push(node(
                    format!("fork:{s}"),
                    id(s),
                    NodeKind::Fork,
                    lane,
                    vec![],
                ));
                chart.edges.push(edge(from, format!("fork:{s}"), vec![]));
                for t in ts {
                    chart
                        .edges
                        .push(edge(format!("fork:{s}"), entry(t), vec![]));
                    conns.insert((id(s), id(t), None));
                }
            }
            GExit::Dec(outs) => {
                let q = 1 + g.rng.below(6);
                chart.nodes.push(node(
                    format!("decision:{s}"),
                    id(s),
                    NodeKind::Decision,
                    lane,
                    vec![words_of(&mut g.rng, q) + "?"],
                ));
                chart
                    .edges
                    .push(edge(from, format!("decision:{s}"), vec![]));
                for (label, t) in outs {
                    chart
                        .edges
                        .push(edge(format!("decision:{s}"), entry(t), vec![label.clone()]));
                    conns.insert((id(s), id(t), Some(label)));
                }
            }
            GExit::End => {
                chart.nodes.push(node(
                    format!("end:{s}"),
                    format!("end:{}", id(s)),
                    NodeKind::End,
                    lane,
                    vec!["Done".into()],
                ));
                chart.edges.push(edge(from, format!("end:{s}"), vec![]));
                conns.insert((id(s), format!("end:{}", id(s)), None));
            }
            GExit::Open => panic!("generator left step {s} open"),
        }
    }
    (chart, conns)
}

/// Draws generated flow `seed` as the documents print it and checks the drawing: the
/// problems with its graph, and the routing or label rules it breaks.
fn check_generated(seed: u64) -> (Vec<String>, Vec<String>) {
    let (chart, expected) = generated(seed);
    let wide = chart.lanes.len() >= flowchart::LANDSCAPE_FROM_LANES;
    // Drawn and paged as the documents print them.
    let (width_pt, page_h) = if wide {
        (
            flowchart::LANDSCAPE_WIDTH_PT,
            flowchart::LANDSCAPE_HEIGHT_PT,
        )
    } else {
        (flowchart::PORTRAIT_WIDTH_PT, flowchart::PORTRAIT_HEIGHT_PT)
    };
    let style = Style {
        width_pt,
        font_family: "Noto Sans".into(),
        font_size_pt: 7.0,
    };
    let layout = diagram::layout(&chart, &style);
    let whole = layout.to_svg();
    let pages = layout.to_svg_pages(page_h);
    let what = format!(
        "seed {seed} ({} lanes, {} nodes)",
        chart.lanes.len(),
        chart.nodes.len()
    );
    if let Ok(dir) = std::env::var("PROCDOC_GEOMETRY_DUMP") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("seed{seed}.svg")), &whole).unwrap();
        for (i, page) in pages.iter().enumerate() {
            std::fs::write(
                Path::new(&dir).join(format!("seed{seed}-{}.svg", i + 1)),
                page,
            )
            .unwrap();
        }
    }
    check_drawing(&what, &whole, &pages, &expected)
}

#[test]
fn generated_flowcharts_draw_their_flows() {
    let count: u64 = std::env::var("PROCDOC_GEOMETRY_FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut problems = Vec::new();
    let mut failed = 0;
    let mut graph_wrong = Vec::new();
    for seed in 1..=count {
        let (graph_problems, rule_problems) = check_generated(seed);
        graph_wrong.extend(graph_problems);
        if !rule_problems.is_empty() {
            failed += 1;
            if problems.len() < 60 {
                problems.extend(rule_problems.into_iter().take(5));
            }
        }
    }
    assert!(
        graph_wrong.is_empty(),
        "drawn graphs differ from their flows:\n{}",
        graph_wrong.join("\n")
    );
    let mut msg = String::new();
    let _ = write!(
        msg,
        "{failed} of {count} generated flows break a routing or label rule (at most {GENERATED_RULE_BREAKS} are known):\n{}",
        problems.join("\n")
    );
    assert!(
        failed <= GENERATED_RULE_BREAKS * count as usize / 300,
        "{msg}"
    );
}

/// Crowded generated flows (beyond the usual 300) where a bar across every lane leaves
/// only the outer corridors open in its row, for more lines than they have tracks: the
/// lines pass the bar's ends beside it.
#[test]
fn lines_past_a_bar_across_every_lane_keep_apart() {
    for seed in [529, 1157, 1493] {
        let (graph_problems, rule_problems) = check_generated(seed);
        assert!(graph_problems.is_empty(), "{graph_problems:#?}");
        assert!(rule_problems.is_empty(), "{rule_problems:#?}");
    }
}
