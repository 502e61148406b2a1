//! SVG output: one document for a whole chart or one page of it.

use super::*;

pub(super) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{:.2}", (v * 100.0).round() / 100.0);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Escapes text and attribute values; characters XML 1.0 forbids are
/// dropped because one of them would make the whole document unreadable.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xFFFE | 0xFFFF) => {}
            c => out.push(c),
        }
    }
    out
}

/// One drawn piece of an edge, in page coordinates.
pub(super) struct DrawEdge {
    pub(super) pts: Vec<Point>,
    pub(super) arrow: bool,
    pub(super) label: Option<PlacedLabel>,
    /// `data-` attributes naming the connections the line draws.
    pub(super) marks: String,
    /// The lines' targets: lines into one target may meet, others cross with a gap.
    pub(super) target: String,
}

pub(super) struct Circle {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) text: String,
}

/// What one SVG document shows: a range of rows shifted by `dy`.
pub(super) struct Page {
    pub(super) a: usize,
    pub(super) b: usize,
    pub(super) dy: f64,
    pub(super) height: f64,
    pub(super) edges: Vec<DrawEdge>,
    pub(super) circles: Vec<Circle>,
}

pub(super) const INK: &str = "#000";
pub(super) const GREY: &str = "#7f7f7f";
pub(super) const HEADER_FILL: &str = "#e6e6e6";
pub(super) const SECONDARY: &str = "#3a3a3a";
/// The fill of a marked step's box (an active step on a run's page).
pub const MARKED_FILL: &str = "#ffd966";

pub(super) fn letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// The `data-from`, `data-to` (and `data-outcome`) attributes of a drawn line;
/// `connector` adds the letter of the off-page connector the line runs into or out of.
pub(super) fn edge_marks(e: &RoutedEdge, connector: Option<&str>) -> String {
    let mut m = format!(
        r#" data-from="{}" data-to="{}""#,
        esc(&e.from_steps.join(" ")),
        esc(&e.to_steps.join(" "))
    );
    if let Some(o) = &e.outcome {
        let _ = write!(m, r#" data-outcome="{}""#, esc(o));
    }
    if let Some(c) = connector {
        let _ = write!(m, r#" data-connector="{}""#, esc(c));
    }
    m
}

impl Layout {
    /// The whole chart as one SVG, `width_pt` wide.
    pub fn to_svg(&self) -> String {
        self.to_svg_marked(&[])
    }

    /// [`Self::to_svg`] with the boxes of the steps `marked` (ids) filled in
    /// [`MARKED_FILL`] and drawn with a heavier outline: the active steps of a run.
    pub fn to_svg_marked(&self, marked: &[String]) -> String {
        let edges = self
            .edges
            .iter()
            .map(|e| DrawEdge {
                pts: e.points.clone(),
                arrow: true,
                label: e.label.clone(),
                marks: edge_marks(e, None),
                target: e.to_steps.join(" "),
            })
            .collect();
        let mut page = Page {
            a: 0,
            b: self.rows.len(),
            dy: 0.0,
            height: self.height,
            edges,
            circles: Vec::new(),
        };
        self.clear_labels(&mut page);
        self.render_marked(&page, None, marked)
    }

    pub(super) fn conn_r(&self) -> f64 {
        self.font_size * 0.9
    }
    pub(super) fn conn_margin(&self) -> f64 {
        self.conn_r() * 2.0 + 14.0
    }

    pub(super) fn render(&self, page: &Page, fit_height: Option<f64>) -> String {
        self.render_marked(page, fit_height, &[])
    }

    fn render_marked(&self, page: &Page, fit_height: Option<f64>, marked: &[String]) -> String {
        let w = self.width;
        let h = page.height;
        let fs = self.font_size;
        let mut o = String::with_capacity(4096 + self.nodes.len() * 600);
        let cjk = cjk_families(&self.font_family);
        let (attr_w, attr_h) = match fit_height {
            Some(max_h) if h > 0.0 => (w * max_h / h, max_h),
            _ => (w, h),
        };
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{}pt" height="{}pt" viewBox="0 0 {} {}" font-family="{}" font-size="{}">"#,
            num(attr_w),
            num(attr_h),
            num(w),
            num(h),
            esc(&self.font_family),
            num(fs)
        );
        o.push('\n');
        let _ = writeln!(
            o,
            r#"<rect x="0" y="0" width="{}" height="{}" fill="white"/>"#,
            num(w),
            num(h)
        );
        // Lane headers and separators.
        let _ = writeln!(
            o,
            r#"<rect x="0.45" y="0.45" width="{}" height="{}" fill="{HEADER_FILL}" stroke="none"/>"#,
            num(w - 0.9),
            num(self.header_h - 0.45)
        );
        for (i, lane) in self.lanes.iter().enumerate() {
            if i > 0 {
                // Between two lanes of one group the line starts below the group's band.
                let inside_group = self.groups.iter().any(|g| g.first < i && i <= g.last);
                let y1 = if inside_group { self.group_h } else { 0.0 };
                let _ = writeln!(
                    o,
                    r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{GREY}" stroke-width="0.6"/>"#,
                    num(y1),
                    num(h),
                    x = num(lane.x)
                );
            }
            for l in &lane.lines {
                text_el(&mut o, l, 0.0, &cjk);
            }
        }
        for g in &self.groups {
            let _ = writeln!(
                o,
                r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{GREY}" stroke-width="0.6"/>"#,
                num(g.x),
                num(g.x + g.w),
                y = num(self.group_h)
            );
            for l in &g.lines {
                text_el(&mut o, l, 0.0, &cjk);
            }
        }
        let _ = writeln!(
            o,
            r#"<line x1="0" y1="{y}" x2="{}" y2="{y}" stroke="{INK}" stroke-width="0.8"/>"#,
            num(w),
            y = num(self.header_h)
        );
        let _ = writeln!(
            o,
            r#"<rect x="0.45" y="0.45" width="{}" height="{}" fill="none" stroke="{INK}" stroke-width="0.9"/>"#,
            num(w - 0.9),
            num(h - 0.9)
        );

        // Edges below boxes so that a box always has a clean outline.
        let al = fs * 0.68;
        let ah = fs * 0.28;
        for e in &page.edges {
            if e.pts.len() < 2 {
                continue;
            }
            let pts = &e.pts;
            let n = pts.len();
            let (tip, prev) = (pts[n - 1], pts[n - 2]);
            let len = ((tip.x - prev.x).powi(2) + (tip.y - prev.y).powi(2)).sqrt();
            let (ux, uy) = if len > 1e-9 {
                ((tip.x - prev.x) / len, (tip.y - prev.y) / len)
            } else {
                (0.0, 1.0)
            };
            // Only squeezed charts have a last run shorter than an
            // arrowhead; shrinking the head keeps it on its own line.
            let al = if len > 1e-9 { al.min(len) } else { al };
            let mut d = String::new();
            for (i, p) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{} {}",
                    if i == 0 { "M" } else { " L" },
                    num(p.x),
                    num(p.y)
                );
            }
            // The path keeps its true end on the target's border (so that it can be read
            // back); the stroke stops inside the arrowhead so that it does not poke
            // through the tip.
            let mut dash = String::new();
            if e.arrow && len > al * 0.5 {
                let total: f64 = pts
                    .windows(2)
                    .map(|w| (w[1].x - w[0].x).abs() + (w[1].y - w[0].y).abs())
                    .sum();
                let _ = write!(
                    dash,
                    r#" stroke-dasharray="{} {}""#,
                    num(total - al * 0.6),
                    num(total + 1.0)
                );
            }
            let _ = writeln!(
                o,
                r#"<path d="{d}"{} fill="none" stroke="{INK}" stroke-width="0.75" stroke-linejoin="miter"{dash}/>"#,
                e.marks
            );
            if e.arrow {
                let bx = tip.x - ux * al;
                let by = tip.y - uy * al;
                let _ = writeln!(
                    o,
                    r#"<polygon points="{},{} {},{} {},{}" fill="{INK}"/>"#,
                    num(tip.x),
                    num(tip.y),
                    num(bx - uy * ah),
                    num(by + ux * ah),
                    num(bx + uy * ah),
                    num(by - ux * ah)
                );
            }
        }

        write_gaps(&mut o, &page.edges);

        for node in self
            .nodes
            .iter()
            .filter(|n| n.row >= page.a && n.row < page.b)
        {
            let r = Rect {
                y: node.rect.y + page.dy,
                ..node.rect
            };
            let is_marked = marked.contains(&node.step);
            let _ = writeln!(
                o,
                r#"<g data-step="{}" data-kind="{}"{}>"#,
                esc(&node.step),
                node.kind.name(),
                if is_marked { r#" data-marked="""# } else { "" }
            );
            let (fill, outline) = if is_marked {
                (MARKED_FILL, "2")
            } else {
                ("white", "0.9")
            };
            match node.kind {
                NodeKind::Task => {
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="{INK}" stroke-width="{outline}"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                    if self.timers.contains(&node.step) {
                        timer_mark(&mut o, &r, fs);
                    }
                }
                NodeKind::Call => {
                    let inset = fs * 0.5;
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="{INK}" stroke-width="{outline}"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                    for x in [r.x + inset, r.right() - inset] {
                        let _ = writeln!(
                            o,
                            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{INK}" stroke-width="0.7"/>"#,
                            num(r.y),
                            num(r.bottom()),
                            x = num(x)
                        );
                    }
                }
                NodeKind::Start | NodeKind::End => {
                    let rx = (r.h / 2.0).min(fs * 1.4);
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" ry="{}" fill="{fill}" stroke="{INK}" stroke-width="{outline}"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h),
                        num(rx),
                        num(rx)
                    );
                }
                NodeKind::Decision | NodeKind::Inclusive => {
                    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
                    let _ = writeln!(
                        o,
                        r#"<polygon points="{},{} {},{} {},{} {},{}" fill="{fill}" stroke="{INK}" stroke-width="{outline}" stroke-linejoin="miter"/>"#,
                        num(cx),
                        num(r.y),
                        num(r.right()),
                        num(cy),
                        num(cx),
                        num(r.bottom()),
                        num(r.x),
                        num(cy)
                    );
                }
                NodeKind::Fork | NodeKind::Join | NodeKind::InclusiveJoin => {
                    let _ = writeln!(
                        o,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{INK}"/>"#,
                        num(r.x),
                        num(r.y),
                        num(r.w),
                        num(r.h)
                    );
                }
            }
            // The inclusive gateway's mark: a circle in the diamond (above the question,
            // in the room placing left for it) or on the bar.
            let mark = match node.kind {
                NodeKind::Inclusive => Some((r.y + fs * 1.45, fs * 0.6)),
                NodeKind::InclusiveJoin => Some((r.y + r.h / 2.0, fs * 0.6)),
                _ => None,
            };
            if let Some((cy, radius)) = mark {
                let _ = writeln!(
                    o,
                    r#"<circle data-inclusive="" cx="{}" cy="{}" r="{}" fill="white" stroke="{INK}" stroke-width="1.4"/>"#,
                    num(r.x + r.w / 2.0),
                    num(cy),
                    num(radius)
                );
            }
            for l in &node.lines {
                text_el(&mut o, l, page.dy, &cjk);
            }
            o.push_str("</g>\n");
        }
        self.write_joint_marks(&mut o, page.a, page.b, page.dy);

        for e in &page.edges {
            if let Some(label) = &e.label {
                let r = label.rect;
                let _ = writeln!(
                    o,
                    r#"<rect data-label="" x="{}" y="{}" width="{}" height="{}" fill="white"/>"#,
                    num(r.x),
                    num(r.y),
                    num(r.w),
                    num(r.h)
                );
                for l in &label.lines {
                    text_el(&mut o, l, 0.0, &cjk);
                }
            }
        }
        let cr = self.conn_r();
        for c in &page.circles {
            let _ = writeln!(o, r#"<g data-connector="{}">"#, esc(&c.text));
            let _ = writeln!(
                o,
                r#"<circle cx="{}" cy="{}" r="{}" fill="white" stroke="{INK}" stroke-width="0.8"/>"#,
                num(c.x),
                num(c.y),
                num(cr)
            );
            let size = fs * 0.9;
            let _ = writeln!(
                o,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="{}" font-weight="bold">{}</text>"#,
                num(c.x),
                num(c.y + 0.35 * size),
                num(size),
                esc(&c.text)
            );
            o.push_str("</g>\n");
        }
        o.push_str("</svg>\n");
        o
    }
}

impl Layout {
    /// The marks of steps signed by several departments (see [`JointMark`]): a dashed box
    /// with the step's number, level with the step's box, in each other signing lane where
    /// that row holds no box of its own.
    fn write_joint_marks(&self, o: &mut String, a: usize, b: usize, dy: f64) {
        for mark in &self.joint {
            let Some(node) = self
                .nodes
                .iter()
                .find(|n| n.id == mark.node && n.row >= a && n.row < b)
            else {
                continue;
            };
            for &lane in &mark.lanes {
                let Some(column) = self.lanes.get(lane) else {
                    continue;
                };
                let taken = self
                    .nodes
                    .iter()
                    .any(|n| n.lane == lane && n.row == node.row);
                if taken {
                    continue;
                }
                let w = (column.w * 0.5).min(node.rect.w);
                let x = column.x + (column.w - w) / 2.0;
                let y = node.rect.y + dy;
                let _ = writeln!(
                    o,
                    r#"<g data-joint="{}"><rect x="{}" y="{}" width="{}" height="{}" fill="white" stroke="{INK}" stroke-width="0.9" stroke-dasharray="3 2"/>"#,
                    esc(&node.step),
                    num(x),
                    num(y),
                    num(w),
                    num(node.rect.h)
                );
                let _ = writeln!(
                    o,
                    r#"<text x="{}" y="{}" text-anchor="middle" font-size="{}" font-weight="bold">{}</text></g>"#,
                    num(x + w / 2.0),
                    num(y + node.rect.h / 2.0 + self.font_size * 0.35),
                    num(self.font_size),
                    esc(&mark.label)
                );
            }
        }
    }
}

/// The font families for CJK text in a drawing whose root names `families` (a CSS list, the
/// document's fonts in order: the Latin font first, then the CJK font of the primary
/// language): all but the first; empty when there is no other.
fn cjk_families(families: &str) -> String {
    let list: Vec<&str> = families.split(',').map(str::trim).collect();
    list.get(1..)
        .map(|rest| rest.join(", "))
        .unwrap_or_default()
}

/// The `font-family` attribute of a line of drawing text: the CJK families `cjk` for a line
/// with CJK characters, none (the root's, Latin first) for others. SVG text takes the
/// first family of its list and finds a glyph that font lacks in whatever font the renderer
/// loaded first, so CJK text under the Latin font would print in Simplified, Traditional,
/// Japanese or Korean form by font load order, not the document's language; and mixing
/// families within a line (spans) sends its digits the same way.
fn family_attr(text: &str, cjk: &str) -> String {
    if cjk.is_empty() || !text.chars().any(crate::render::fonts::is_cjk) {
        String::new()
    } else {
        format!(r#" font-family="{}""#, esc(cjk))
    }
}

pub(super) fn text_el(o: &mut String, l: &TextLine, dy: f64, cjk: &str) {
    let _ = write!(
        o,
        r#"<text x="{}" y="{}" text-anchor="middle""#,
        num(l.x),
        num(l.y + dy)
    );
    if (l.size - 0.0).abs() > 0.0 {
        let _ = write!(o, r#" font-size="{}""#, num(l.size));
    }
    if l.bold {
        o.push_str(r#" font-weight="bold""#);
    }
    if l.secondary {
        let _ = write!(o, r#" fill="{SECONDARY}""#);
    }
    o.push_str(&family_attr(&l.text, cjk));
    let _ = writeln!(o, ">{}</text>", esc(&l.text));
}

/// Half the height of the gap cut into a vertical line where a horizontal one crosses it.
const GAP_HALF: f64 = 2.4;

/// Where a horizontal line crosses a vertical one of a line into another target, the
/// vertical one is interrupted (a white gap marked `data-gap="x,y"`) and the horizontal one
/// drawn on across it, so that a crossing never reads as a junction.
fn write_gaps(o: &mut String, edges: &[DrawEdge]) {
    let segs = |e: &DrawEdge| -> Vec<(Point, Point)> {
        e.pts
            .windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|(a, b)| (a.x - b.x).abs() + (a.y - b.y).abs() > 0.01)
            .collect()
    };
    let all: Vec<Vec<(Point, Point)>> = edges.iter().map(segs).collect();
    let mut done: Vec<(f64, f64)> = Vec::new();
    for (i, hs) in all.iter().enumerate() {
        for h in hs.iter().filter(|(a, b)| (a.y - b.y).abs() < 0.01) {
            let (hx0, hx1) = (h.0.x.min(h.1.x), h.0.x.max(h.1.x));
            for (j, vs) in all.iter().enumerate() {
                if i == j || edges[i].target == edges[j].target {
                    continue;
                }
                for v in vs.iter().filter(|(a, b)| (a.x - b.x).abs() < 0.01) {
                    let (x, y) = (v.0.x, h.0.y);
                    let (vy0, vy1) = (v.0.y.min(v.1.y), v.0.y.max(v.1.y));
                    let m = 0.6;
                    if x <= hx0 + m || x >= hx1 - m || y <= vy0 + m || y >= vy1 - m {
                        continue;
                    }
                    if done
                        .iter()
                        .any(|&(dx, dy)| (dx - x).abs() < 0.01 && (dy - y).abs() < 0.01)
                    {
                        continue;
                    }
                    done.push((x, y));
                    // Wide enough to see in print (a little over 1.5 mm), but short of an
                    // end of the line on a shape, so that no arrowhead or port is cut; at
                    // a bend the gap may take the corner.
                    let pts = &edges[j].pts;
                    let ends = [pts[0], pts[pts.len() - 1]];
                    let room = ends
                        .iter()
                        .filter(|p| (p.x - x).abs() < 0.01)
                        .map(|p| (p.y - y).abs() - 0.75)
                        .fold(GAP_HALF, f64::min);
                    let gap = room.max(1.75);
                    let _ = writeln!(
                        o,
                        r#"<rect data-gap="{},{}" x="{}" y="{}" width="2" height="{}" fill="white"/>"#,
                        num(x),
                        num(y),
                        num(x - 1.0),
                        num(y - gap),
                        num(2.0 * gap)
                    );
                    let _ = writeln!(
                        o,
                        r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{INK}" stroke-width="0.75"/>"#,
                        num(x - 1.6),
                        num(x + 1.6),
                        y = num(y)
                    );
                }
            }
        }
    }
}

/// The timer mark of a step with a `timeout`: a small clock face straddling the box's top
/// right corner (as BPMN draws a timer on a task's border), so the line leaving the box by
/// time is told apart from the line a person takes.
fn timer_mark(o: &mut String, r: &Rect, fs: f64) {
    let radius = fs * 0.55;
    let (cx, cy) = (r.right() - fs * 0.9, r.y);
    let _ = writeln!(
        o,
        r#"<g data-timer=""><circle cx="{}" cy="{}" r="{}" fill="white" stroke="{INK}" stroke-width="0.7"/><path d="M{} {}V{}H{}" fill="none" stroke="{INK}" stroke-width="0.6"/></g>"#,
        num(cx),
        num(cy),
        num(radius),
        num(cx),
        num(cy - radius * 0.7),
        num(cy),
        num(cx + radius * 0.55),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line with CJK characters names the document's CJK fonts, in its order; other lines
    /// keep the root's.
    #[test]
    fn cjk_lines_name_the_documents_cjk_fonts() {
        let cjk = cjk_families("Noto Sans, Noto Sans T Chinese, Noto Sans S Chinese");
        assert_eq!(cjk, "Noto Sans T Chinese, Noto Sans S Chinese");
        assert_eq!(
            family_attr("每1年", &cjk),
            r#" font-family="Noto Sans T Chinese, Noto Sans S Chinese""#
        );
        assert_eq!(family_attr("①", &cjk), family_attr("年", &cjk));
        assert_eq!(family_attr("Review 4.1.2", &cjk), "");
        assert_eq!(cjk_families("Noto Sans"), "");
        assert_eq!(family_attr("年", ""), "");
    }
}
