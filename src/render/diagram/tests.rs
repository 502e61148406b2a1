use super::*;

fn lane(id: &str, label: &[&str]) -> Lane {
    Lane {
        id: id.into(),
        label: label.iter().map(|s| s.to_string()).collect(),
        group: None,
    }
}

fn node(id: &str, kind: NodeKind, lane: usize, number: Option<&str>, label: &[&str]) -> Node {
    Node {
        id: id.into(),
        step: id.into(),
        kind,
        lane,
        number: number.map(String::from),
        label: label.iter().map(|s| s.to_string()).collect(),
    }
}

fn edge(from: &str, to: &str, label: &[&str]) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        label: label.iter().map(|s| s.to_string()).collect(),
    }
}

/// Three lanes with a decision, two loop-backs and a fork/join.
fn sample() -> Chart {
    use NodeKind::*;
    Chart {
        lanes: vec![
            lane("cs", &["Customer Service", "客服部"]),
            lane("qa", &["Quality Assurance", "质量保证部"]),
            lane("prod", &["Production", "生产部"]),
        ],
        nodes: vec![
            node(
                "start",
                Start,
                0,
                None,
                &["Customer order received", "收到客户订单"],
            ),
            node(
                "review",
                Task,
                0,
                Some("5.1"),
                &["Review order requirements", "评审订单要求"],
            ),
            node(
                "ok",
                Decision,
                0,
                None,
                &["Requirements complete?", "要求是否完整？"],
            ),
            node(
                "clarify",
                Task,
                1,
                Some("5.2"),
                &["Clarify requirements", "与客户澄清要求"],
            ),
            node("fork", Fork, 0, None, &[]),
            node(
                "plan",
                Task,
                2,
                Some("5.3"),
                &["Plan production", "策划生产"],
            ),
            node(
                "iplan",
                Task,
                1,
                Some("5.4"),
                &["Prepare inspection plan", "编制检验计划"],
            ),
            node("join", Join, 1, None, &[]),
            node(
                "make",
                Task,
                2,
                Some("5.5"),
                &["Manufacture product", "生产产品"],
            ),
            node(
                "inspect",
                Task,
                1,
                Some("5.6"),
                &["Final inspection", "最终检验"],
            ),
            node(
                "pass",
                Decision,
                1,
                None,
                &["Product conforms?", "产品是否合格？"],
            ),
            node(
                "rework",
                Call,
                2,
                Some("QP-10"),
                &["Nonconforming output", "不合格输出控制"],
            ),
            node(
                "ship",
                Task,
                0,
                Some("5.7"),
                &["Ship and invoice", "发货并开具发票"],
            ),
            node("end", End, 0, None, &["Order delivered", "订单交付完成"]),
        ],
        edges: vec![
            edge("start", "review", &[]),
            edge("review", "ok", &[]),
            edge("ok", "fork", &["Yes", "是"]),
            edge("ok", "clarify", &["No", "否"]),
            edge("clarify", "review", &[]),
            edge("fork", "plan", &[]),
            edge("fork", "iplan", &[]),
            edge("plan", "join", &[]),
            edge("iplan", "join", &[]),
            edge("join", "make", &[]),
            edge("make", "inspect", &[]),
            edge("inspect", "pass", &[]),
            edge("pass", "ship", &["Yes", "是"]),
            edge("pass", "rework", &["No", "否"]),
            edge("rework", "inspect", &[]),
            edge("ship", "end", &[]),
        ],
        timers: Vec::new(),
        ..Default::default()
    }
}

fn on_border(n: &PlacedNode, p: Point) -> bool {
    let r = n.rect;
    let eps = 0.02;
    if n.kind == NodeKind::Decision {
        let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
        let d = (p.x - cx).abs() / (r.w / 2.0) + (p.y - cy).abs() / (r.h / 2.0);
        return (d - 1.0).abs() < 0.01;
    }
    let inside =
        p.x >= r.x - eps && p.x <= r.right() + eps && p.y >= r.y - eps && p.y <= r.bottom() + eps;
    let on_edge = (p.x - r.x).abs() < eps
        || (p.x - r.right()).abs() < eps
        || (p.y - r.y).abs() < eps
        || (p.y - r.bottom()).abs() < eps;
    inside && on_edge
}

fn node_by_id<'a>(l: &'a Layout, id: &str) -> &'a PlacedNode {
    l.nodes().iter().find(|n| n.id == id).expect("node exists")
}

fn svg_height(svg: &str) -> f64 {
    let start = svg.find("height=\"").expect("height attribute") + 8;
    let rest = &svg[start..];
    let end = rest.find("pt\"").expect("pt unit");
    rest[..end].parse().expect("number")
}

/// Minimal well-formedness check: balanced tags, quoted attributes and
/// no bare ampersands.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        for (k, _) in text.match_indices('&') {
            let ent = &text[k..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| ent.starts_with(e)),
                "bare ampersand in {text:?}"
            );
        }
        assert!(!text.contains('>'), "stray > in text {text:?}");
        let close = rest[i..].find('>').expect("tag closes") + i;
        let tag = &rest[i + 1..close];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        assert!(!tag.contains('<'), "nested < in <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched close tag");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            stack.push(name);
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
    assert!(svg.starts_with("<svg "));
}

/// Every path and polygon coordinate must lie inside the viewBox.
fn assert_drawing_inside(svg: &str) {
    let vb = svg.find("viewBox=\"0 0 ").expect("viewBox") + 13;
    let rest = &svg[vb..];
    let nums: Vec<f64> = rest[..rest.find('"').unwrap_or(0)]
        .split(' ')
        .filter_map(|v| v.parse().ok())
        .collect();
    let (w, h) = (nums[0], nums[1]);
    // Arrowheads may poke out by their half-width on degenerate,
    // very narrow charts; lines themselves must stay inside.
    for (attr, tol) in [(" d=\"", 0.01), (" points=\"", 3.5)] {
        for (i, _) in svg.match_indices(attr) {
            let body = &svg[i + attr.len()..];
            let body = &body[..body.find('"').unwrap_or(0)];
            let vals: Vec<f64> = body
                .split([' ', ',', 'M', 'L'])
                .filter_map(|v| v.parse().ok())
                .collect();
            for xy in vals.chunks(2) {
                assert!(
                    xy[0] >= -tol && xy[0] <= w + tol,
                    "x {} outside {w} in {attr}{body}",
                    xy[0]
                );
                if let Some(&y) = xy.get(1) {
                    assert!(
                        y >= -tol && y <= h + tol,
                        "y {y} outside {h} in {attr}{body}"
                    );
                }
            }
        }
    }
    // Text too: a baseline below the page cuts the line off.
    for (i, _) in svg.match_indices("<text ") {
        let tag = &svg[i..i + svg[i..].find('>').unwrap_or(0)];
        let Some(at) = tag.find(" y=\"") else {
            continue;
        };
        let value = &tag[at + 4..];
        let y: f64 = value[..value.find('"').unwrap_or(0)].parse().unwrap();
        assert!(
            y >= 0.0 && y <= h + 0.01,
            "text at y {y} outside {h}: {tag}"
        );
    }
}

fn check_geometry(l: &Layout) {
    let nodes = l.nodes();
    for (i, a) in nodes.iter().enumerate() {
        assert!(a.rect.w > 0.0 && a.rect.h > 0.0, "{} has no area", a.id);
        for b in &nodes[i + 1..] {
            assert!(!a.rect.intersects(&b.rect), "{} overlaps {}", a.id, b.id);
        }
    }
    for e in l.edges() {
        assert!(e.points.len() >= 2);
        for p in &e.points {
            assert!(p.x.is_finite() && p.y.is_finite());
        }
        for w in e.points.windows(2) {
            let ortho = (w[0].x - w[1].x).abs() < 1e-6 || (w[0].y - w[1].y).abs() < 1e-6;
            assert!(ortho, "{} -> {} has a diagonal segment", e.from, e.to);
        }
    }
}

#[test]
fn sample_nodes_do_not_overlap_and_edges_are_orthogonal() {
    let l = layout(&sample(), &Style::default());
    assert!(l.issues().is_empty(), "{:?}", l.issues());
    check_geometry(&l);
    assert!((l.width_pt() - 481.0).abs() < 1e-9);
}

#[test]
fn edge_endpoints_touch_node_borders() {
    let l = layout(&sample(), &Style::default());
    for e in l.edges() {
        let (first, last) = (e.points[0], e.points[e.points.len() - 1]);
        assert!(
            on_border(node_by_id(&l, &e.from), first),
            "{} -> {} start {first:?}",
            e.from,
            e.to
        );
        assert!(
            on_border(node_by_id(&l, &e.to), last),
            "{} -> {} end {last:?}",
            e.from,
            e.to
        );
    }
}

#[test]
fn edges_never_pass_through_boxes() {
    let l = layout(&sample(), &Style::default());
    for e in l.edges() {
        for w in e.points.windows(2) {
            for n in l.nodes() {
                assert!(
                    !seg_hits_rect(w[0], w[1], &n.rect.inflate(-0.5)),
                    "{} -> {} crosses {}",
                    e.from,
                    e.to,
                    n.id
                );
            }
        }
    }
}

#[test]
fn decision_labels_are_placed_clear_of_boxes_and_each_other() {
    let l = layout(&sample(), &Style::default());
    let labels: Vec<&PlacedLabel> = l.edges().iter().filter_map(|e| e.label.as_ref()).collect();
    assert_eq!(labels.len(), 4);
    for (i, a) in labels.iter().enumerate() {
        for n in l.nodes() {
            let diamond = n.kind == NodeKind::Decision;
            assert!(
                !shape_hits_rect(&n.rect, diamond, &a.rect),
                "label {:?} covers {}",
                a.lines,
                n.id
            );
        }
        for b in &labels[i + 1..] {
            assert!(!a.rect.intersects(&b.rect), "labels overlap");
        }
        assert!(a.rect.x >= 0.0 && a.rect.right() <= l.width_pt());
    }
    // Next to the start of its edge.
    for e in l.edges() {
        if let Some(lab) = &e.label {
            let p = e.points[0];
            let dx = (lab.rect.x - p.x).abs().min((lab.rect.right() - p.x).abs());
            let dy = (lab.rect.y - p.y)
                .abs()
                .min((lab.rect.bottom() - p.y).abs());
            assert!(dx < 70.0 && dy < 70.0, "label far from its edge start");
        }
    }
}

#[test]
fn loop_backs_do_not_affect_ranks() {
    let l = layout(&sample(), &Style::default());
    let rank = |id: &str| node_by_id(&l, id).rank;
    assert_eq!(rank("start"), 0);
    assert_eq!(rank("review"), 1);
    assert_eq!(rank("ok"), 2);
    assert_eq!(rank("inspect"), rank("make") + 1);
    assert!(l.edges().iter().filter(|e| e.loop_back).count() == 2);
    // Loop-backs run upward to their target.
    for e in l.edges().iter().filter(|e| e.loop_back) {
        let first = e.points[0];
        let last = e.points[e.points.len() - 1];
        assert!(last.y < first.y);
    }
}

#[test]
fn same_lane_and_rank_get_separate_rows() {
    use NodeKind::*;
    let chart = Chart {
        lanes: vec![lane("a", &["A"]), lane("b", &["B"])],
        nodes: vec![
            node("s", Start, 0, None, &["s"]),
            node("x", Task, 1, Some("1"), &["x"]),
            node("y", Task, 1, Some("2"), &["y"]),
            node("e", End, 0, None, &["e"]),
        ],
        edges: vec![
            edge("s", "x", &[]),
            edge("s", "y", &[]),
            edge("x", "e", &[]),
            edge("y", "e", &[]),
        ],
        timers: Vec::new(),
        ..Default::default()
    };
    let l = layout(&chart, &Style::default());
    let (x, y) = (node_by_id(&l, "x"), node_by_id(&l, "y"));
    assert_eq!(x.rank, y.rank);
    assert_ne!(x.row, y.row);
    check_geometry(&l);
}

#[test]
fn fork_and_join_bars_span_their_branches() {
    let l = layout(&sample(), &Style::default());
    let fork = node_by_id(&l, "fork");
    let join = node_by_id(&l, "join");
    for id in ["plan", "iplan"] {
        let n = node_by_id(&l, id);
        let cx = n.rect.x + n.rect.w / 2.0;
        assert!(fork.rect.x < cx && cx < fork.rect.right());
        assert!(fork.rect.bottom() <= n.rect.y);
        assert!(join.rect.x < cx && cx < join.rect.right());
        assert!(join.rect.y >= n.rect.bottom());
    }
    assert!(fork.rect.h < 6.0);
}

#[test]
fn layout_and_svg_are_deterministic() {
    let a = layout(&sample(), &Style::default());
    let b = layout(&sample(), &Style::default());
    assert_eq!(a, b);
    assert_eq!(a.to_svg(), b.to_svg());
    assert_eq!(a.to_svg_pages(300.0), b.to_svg_pages(300.0));
}

#[test]
fn svg_has_required_shape() {
    let l = layout(&sample(), &Style::default());
    let svg = l.to_svg();
    assert_well_formed(&svg);
    assert!(svg.contains(r#"width="481pt""#));
    assert!(svg.contains(r#"viewBox="0 0 481 "#));
    assert!(svg.contains(r#"font-family="Noto Sans, Noto Sans CJK SC""#));
    assert!(svg.contains("客服部"));
    assert!((svg_height(&svg) - l.height_pt()).abs() < 0.01);
    assert!(!svg.contains("<script") && !svg.contains("href"));
    for w in svg.match_indices("stroke-width=\"") {
        let rest = &svg[w.0 + 14..];
        let v: f64 = rest[..rest.find('"').unwrap_or(0)].parse().unwrap_or(0.0);
        assert!(v >= 0.6, "stroke width {v}");
    }
}

#[test]
fn pages_fit_and_carry_connectors() {
    let l = layout(&sample(), &Style::default());
    let max = 300.0;
    let pages = l.to_svg_pages(max);
    assert!(pages.len() >= 2, "expected a split, got {}", pages.len());
    let mut letters: HashMap<String, usize> = HashMap::new();
    for p in &pages {
        assert_well_formed(p);
        assert!(svg_height(p) <= max + 1e-9);
        assert!(p.contains("Customer Service"), "header repeated");
        assert_drawing_inside(p);
        let mut rest = p.as_str();
        while let Some(i) = rest.find("font-weight=\"bold\">") {
            rest = &rest[i + 19..];
            let text = &rest[..rest.find('<').unwrap_or(0)];
            if !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase()) {
                *letters.entry(text.to_string()).or_default() += 1;
            }
        }
    }
    assert!(pages.iter().all(|p| p.contains("<circle")) || pages.len() > 2);
    assert!(!letters.is_empty());
    for (letter, count) in letters {
        assert!(count >= 2, "connector {letter} appears only once");
    }
    // Every node appears on exactly one page.
    for n in l.nodes().iter().filter(|n| n.id.starts_with('r')) {
        let text = &n.lines[n.lines.len() - 1].text;
        assert_eq!(
            pages.iter().filter(|p| p.contains(text.as_str())).count(),
            1
        );
    }
}

#[test]
fn a_page_too_small_for_one_row_is_scaled_not_overflowing() {
    let l = layout(&sample(), &Style::default());
    for p in l.to_svg_pages(40.0) {
        assert!(svg_height(&p) <= 40.0 + 1e-9);
        assert_well_formed(&p);
    }
    assert_eq!(l.to_svg_pages(f64::NAN), vec![l.to_svg()]);
    assert_eq!(l.to_svg_pages(1e9).len(), 1);
}

#[test]
fn special_characters_are_escaped() {
    use NodeKind::*;
    let chart = Chart {
        lanes: vec![lane("a", &["R&D <lab>"])],
        nodes: vec![
            node("a", Task, 0, Some("1<2"), &["if a<b && c>d \"quote\" 'x'"]),
            node("b", End, 0, None, &["done\u{1}"]),
        ],
        edges: vec![edge("a", "b", &["<&>"])],
        timers: Vec::new(),
        ..Default::default()
    };
    let style = Style {
        font_family: "\"Noto Sans\", serif".into(),
        ..Style::default()
    };
    let svg = layout(&chart, &style).to_svg();
    assert_well_formed(&svg);
    assert!(svg.contains("&lt;&amp;&gt;"));
    assert!(svg.contains("R&amp;D &lt;lab&gt;"));
    assert!(svg.contains("&quot;Noto Sans&quot;, serif"));
    assert!(!svg.contains("<&>"));
    assert!(!svg.contains('\u{1}'));
}

#[test]
fn empty_chart_gives_small_valid_svg() {
    let l = layout(&Chart::default(), &Style::default());
    let svg = l.to_svg();
    assert_well_formed(&svg);
    assert!(svg_height(&svg) < 60.0);
    assert_eq!(l.to_svg_pages(100.0).len(), 1);
    let lanes_only = Chart {
        lanes: vec![lane("a", &["A"]), lane("b", &["B"])],
        ..Chart::default()
    };
    assert_well_formed(&layout(&lanes_only, &Style::default()).to_svg());
}

#[test]
fn bad_input_is_reported_not_fatal() {
    use NodeKind::*;
    let chart = Chart {
        lanes: vec![lane("a", &["A"])],
        nodes: vec![
            node("a", Task, 0, None, &["a"]),
            node("a", Task, 0, None, &["dup"]),
            node("b", Decision, 7, None, &["b?"]),
        ],
        edges: vec![
            edge("a", "ghost", &[]),
            edge("a", "b", &[]),
            edge("b", "b", &["again"]),
            edge("b", "a", &["back"]),
        ],
        timers: Vec::new(),
        ..Default::default()
    };
    let style = Style {
        width_pt: f64::NAN,
        font_size_pt: -1.0,
        font_family: String::new(),
    };
    let l = layout(&chart, &style);
    let issues = l.issues();
    assert!(issues.contains(&LayoutIssue::DuplicateNodeId("a".into())));
    assert!(issues.contains(&LayoutIssue::LaneOutOfRange {
        node: "b".into(),
        lane: 7
    }));
    assert!(
        issues
            .iter()
            .any(|i| matches!(i, LayoutIssue::UnknownNode { missing, .. } if missing == "ghost"))
    );
    assert!(issues.contains(&LayoutIssue::InvalidStyle("width_pt")));
    assert_eq!(l.edges().len(), 3);
    check_geometry(&l);
    assert_well_formed(&l.to_svg());
    assert!(!issues[0].to_string().is_empty());
}

/// Deterministic pseudo-random charts: cycles, self-loops, bars with odd
/// spans, decisions with many exits, zero lanes, tiny widths.
#[test]
fn random_charts_never_panic_and_keep_boxes_apart() {
    use NodeKind::*;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |m: usize| -> usize {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % m.max(1) as u64) as usize
    };
    let kinds = [Start, Task, Decision, Fork, Join, End, Call];
    for case in 0..150 {
        let nl = next(6);
        let nn = next(30);
        let lanes = (0..nl)
            .map(|i| lane(&format!("l{i}"), &["Lane", "部门"]))
            .collect();
        let nodes = (0..nn)
            .map(|i| {
                node(
                    &format!("n{i}"),
                    kinds[next(kinds.len())],
                    next(nl + 2),
                    if next(2) == 0 { Some("1.2") } else { None },
                    &["Some words here", "一些中文文字"],
                )
            })
            .collect();
        let edges = (0..next(45))
            .map(|_| {
                let a = next(nn + 1);
                let b = next(nn + 1);
                edge(
                    &format!("n{a}"),
                    &format!("n{b}"),
                    if next(3) == 0 { &["Yes", "是"] } else { &[] },
                )
            })
            .collect();
        let chart = Chart {
            lanes,
            nodes,
            edges,
            timers: Vec::new(),
            ..Default::default()
        };
        let style = Style {
            width_pt: [481.0, 120.0, 30.0, 2000.0][case % 4],
            font_size_pt: [7.5, 12.0, 5.0][case % 3],
            ..Style::default()
        };
        let l = layout(&chart, &style);
        check_geometry(&l);
        for e in l.edges() {
            let (first, last) = (e.points[0], e.points[e.points.len() - 1]);
            assert!(
                on_border(node_by_id_first(&l, &e.from), first),
                "case {case}"
            );
            assert!(on_border(node_by_id_first(&l, &e.to), last), "case {case}");
        }
        assert_well_formed(&l.to_svg());
        assert_drawing_inside(&l.to_svg());
        for p in l.to_svg_pages(150.0 + next(400) as f64) {
            assert_well_formed(&p);
            assert_drawing_inside(&p);
        }
        for e in l.edges() {
            for w in e.points.windows(2) {
                for n in l.nodes() {
                    assert!(
                        !seg_in_shape(n, w[0], w[1]),
                        "case {case}: edge crosses {}",
                        n.id
                    );
                }
            }
        }
    }
}

/// Whether the segment enters the inside of the node's shape (shrunk by half a point): its
/// box, or for a decision the diamond, whose border a line may leave from anywhere.
fn seg_in_shape(n: &PlacedNode, a: Point, b: Point) -> bool {
    let r = n.rect.inflate(-0.5);
    if !seg_hits_rect(a, b, &r) {
        return false;
    }
    if !n.kind.is_diamond() {
        return true;
    }
    let (ha, hb) = (r.w / 2.0, r.h / 2.0);
    let (cx, cy) = (r.x + ha, r.y + hb);
    let nx = cx.clamp(a.x.min(b.x), a.x.max(b.x));
    let ny = cy.clamp(a.y.min(b.y), a.y.max(b.y));
    (nx - cx).abs() / ha + (ny - cy).abs() / hb < 1.0
}

fn node_by_id_first<'a>(l: &'a Layout, id: &str) -> &'a PlacedNode {
    node_by_id(l, id)
}

#[test]
fn sixty_nodes_lay_out_quickly() {
    use NodeKind::*;
    let n = 60;
    let nodes: Vec<Node> = (0..n)
        .map(|i| {
            let kind = if i % 7 == 3 { Decision } else { Task };
            node(
                &format!("n{i}"),
                kind,
                (i * 7 / 5) % 4,
                Some("7.1"),
                &["A step with a long title", "执行本步骤"],
            )
        })
        .collect();
    let mut edges: Vec<Edge> = (1..n)
        .map(|i| edge(&format!("n{}", i - 1), &format!("n{i}"), &[]))
        .collect();
    for i in (3..n - 3).step_by(7) {
        edges.push(edge(&format!("n{i}"), &format!("n{}", i + 3), &["Yes"]));
        edges.push(edge(&format!("n{i}"), &format!("n{}", i - 2), &["No"]));
    }
    let chart = Chart {
        lanes: (0..4).map(|i| lane(&format!("l{i}"), &["Lane"])).collect(),
        nodes,
        edges,
        timers: Vec::new(),
        ..Default::default()
    };
    let style = Style::default();
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let l = layout(&chart, &style);
        best = best.min(t.elapsed());
        check_geometry(&l);
    }
    // Generous bound: unoptimised test builds on a loaded machine.
    assert!(best.as_millis() < 100, "layout took {best:?}");
}

#[test]
fn text_measure_and_wrap() {
    let fs = 10.0;
    assert!((text_width("中文", fs, false) - 20.0).abs() < 1e-9);
    assert!((text_width("ab", fs, false) - 11.0).abs() < 1e-9);
    assert!((text_width("A 1", fs, false) - (6.5 + 2.8 + 5.6)).abs() < 1e-9);
    let lines = wrap(
        "Review the purchase order requirements carefully",
        80.0,
        fs,
        false,
    );
    assert!(lines.len() > 1);
    for l in &lines {
        assert!(text_width(l, fs, false) <= 80.0 + 1e-9, "{l}");
    }
    // CJK breaks between characters but never before closing punctuation.
    let cjk = wrap("接收货物，核对数量与送货单", 65.0, fs, false);
    assert!(cjk.len() > 1);
    assert!(cjk.iter().all(|l| !l.starts_with('，')));
    // Over-long words are split rather than overflowing.
    let long = wrap("Supercalifragilisticexpialidocious", 40.0, fs, false);
    assert!(long.len() > 1 && long.iter().all(|l| text_width(l, fs, false) <= 40.0 + 1e-9));
    assert!(wrap("", 40.0, fs, false).is_empty());
    assert_eq!(letter(0), "A");
    assert_eq!(letter(25), "Z");
    assert_eq!(letter(26), "AA");
}

/// A decision with outcomes below it, into the next lane and into a farther one (as a
/// disposition: scrap, rework, return): the two outcomes going right leave by the right
/// side, the farther one by the vertex and the nearer one below it, so that no outcome
/// crosses the one going straight down.
#[test]
fn two_outcomes_to_the_right_share_the_right_side_and_cross_nothing() {
    use NodeKind::*;
    let chart = Chart {
        lanes: (0..4).map(|i| lane(&format!("l{i}"), &["Lane"])).collect(),
        nodes: vec![
            node("d", Decision, 0, None, &["Which disposition?"]),
            node("scrap", Task, 0, Some("1"), &["Scrap"]),
            node("rework", Task, 2, Some("2"), &["Rework"]),
            node("return", Task, 3, Some("3"), &["Return"]),
        ],
        edges: vec![
            edge("d", "rework", &["Rework"]),
            edge("d", "scrap", &["Scrap"]),
            edge("d", "return", &["Return"]),
        ],
        ..Default::default()
    };
    let l = layout(&chart, &Style::default());
    check_geometry(&l);
    let d = node_by_id(&l, "d").rect;
    let line = |to: &str| l.edges().iter().find(|e| e.to == to).unwrap();
    let (rework, ret, scrap) = (line("rework"), line("return"), line("scrap"));
    let mid = d.y + d.h / 2.0;
    assert!((ret.points[0].y - mid).abs() < 0.01, "{:?}", ret.points);
    let start = rework.points[0];
    assert!(
        start.x > d.x + d.w / 2.0 && start.y > mid + 0.5,
        "{start:?}"
    );
    assert!(on_border(node_by_id(&l, "d"), start));
    for a in [rework, ret] {
        for s in a.points.windows(2) {
            for t in scrap.points.windows(2) {
                let (h, v) = if (s[0].y - s[1].y).abs() < 0.01 {
                    (s, t)
                } else {
                    (t, s)
                };
                let crossed = v[0].x > h[0].x.min(h[1].x)
                    && v[0].x < h[0].x.max(h[1].x)
                    && h[0].y > v[0].y.min(v[1].y)
                    && h[0].y < v[0].y.max(v[1].y);
                assert!(!crossed, "{:?} crosses {:?}", a.points, scrap.points);
            }
        }
    }
}

/// Ten lanes, a chain through lanes 0, 5 and 9 whose middle step has a long title; the
/// first step may also skip it, so that no step sits level with the one before it.
fn wide_chain(long: &str) -> Chart {
    use NodeKind::*;
    Chart {
        lanes: (0..10)
            .map(|i| lane(&format!("l{i}"), &[&format!("部门{i}")]))
            .collect(),
        nodes: vec![
            node("start", Start, 0, None, &["开始"]),
            node("a", Task, 0, Some("1"), &["登记"]),
            node("b", Task, 5, Some("2"), &[long]),
            node("c", Task, 9, Some("3"), &["归档"]),
            node("end", End, 9, None, &["结束"]),
        ],
        edges: vec![
            edge("start", "a", &[]),
            edge("a", "b", &[]),
            edge("a", "c", &[]),
            edge("b", "c", &[]),
            edge("c", "end", &[]),
        ],
        ..Chart::default()
    }
}

#[test]
fn a_long_box_of_a_many_lane_chart_spreads_over_the_empty_lanes_of_its_row() {
    let long = "业务员根据合同约定的交货期与顾客确认提货方式及提货时间，并通知开单处开具提货单";
    let style = Style {
        width_pt: 736.0,
        ..Style::default()
    };
    let spread = layout(&wide_chain(long), &style);
    check_geometry(&spread);
    let b = node_by_id(&spread, "b");
    let own = spread.lanes()[5].w;
    assert!(
        b.rect.w > own,
        "box b ({:.1} pt) stays inside its lane ({own:.1} pt)",
        b.rect.w
    );
    // Wrapped in its own lane the title takes eight lines; spread, the number and three.
    assert!(b.lines.len() <= 4, "{:?}", b.lines);
    // Its lines still leave and enter it within its own lane.
    let cx = spread.lanes()[5].x + own / 2.0;
    for e in spread
        .edges()
        .iter()
        .filter(|e| e.to == "b" || e.from == "b")
    {
        let p = if e.to == "b" {
            *e.points.last().unwrap()
        } else {
            e.points[0]
        };
        assert!((p.x - cx).abs() < own / 2.0, "{e:?} meets b off its lane");
    }
}

#[test]
fn a_hand_off_between_lanes_sits_level_with_its_source() {
    use NodeKind::*;
    let chart = Chart {
        lanes: (0..4)
            .map(|i| lane(&format!("l{i}"), &[&format!("L{i}")]))
            .collect(),
        nodes: vec![
            node("start", Start, 0, None, &["Start"]),
            node("a", Task, 0, Some("1"), &["Register"]),
            node("b", Task, 3, Some("2"), &["Approve"]),
            node("c", Task, 3, Some("3"), &["File"]),
            node("end", End, 3, None, &["Done"]),
        ],
        edges: vec![
            edge("start", "a", &[]),
            edge("a", "b", &[]),
            edge("b", "c", &[]),
            edge("c", "end", &[]),
        ],
        ..Chart::default()
    };
    let l = layout(&chart, &Style::default());
    check_geometry(&l);
    let (a, b, c) = (
        node_by_id(&l, "a"),
        node_by_id(&l, "b"),
        node_by_id(&l, "c"),
    );
    assert_eq!(a.row, b.row, "the hand-off a -> b is not level");
    assert!(c.row > b.row);
    // One straight line across the empty lanes between them.
    let e = l
        .edges()
        .iter()
        .find(|e| e.from == "a" && e.to == "b")
        .unwrap();
    assert_eq!(e.points.len(), 2, "{e:?}");
    assert!((e.points[0].y - e.points[1].y).abs() < 0.01, "{e:?}");
}
