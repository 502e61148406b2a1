//! The flowchart of one flow as the documents print it: the chart built from the checked
//! flow, laid out for a portrait or, when it has many lanes, a landscape page, and written
//! as marked SVG (whole, and cut into the pages the PDF shows).

use super::context::{self, Printing};
use super::diagram::{self, Layout, Style};
use crate::flow::graph::FlowGraph;
use crate::spec::model::Procedure;

/// Drawing width on a portrait A4 page inside the document margins, in pt.
pub const PORTRAIT_WIDTH_PT: f64 = 481.0;
/// Drawing height one portrait page holds below the heading, in pt.
pub const PORTRAIT_HEIGHT_PT: f64 = 610.0;
/// The same on a landscape A4 page (842 x 595 pt; the same side margins, narrower ones
/// above and below, see the document template).
pub const LANDSCAPE_WIDTH_PT: f64 = 736.0;
pub const LANDSCAPE_HEIGHT_PT: f64 = 432.0;
/// From this many lanes a chart goes on landscape pages: below about 44 pt a lane can no
/// longer hold a word of a department name at a legible size.
pub const LANDSCAPE_FROM_LANES: usize = 8;

/// Rooms, in pt, that a portrait chart's first page may be fitted to when the chart starts
/// below the top of a page (after its heading, or after a short flow's table): a chart
/// that would leave that much of a page empty starts on it instead.
const FIRST_PAGE_ROOMS_PT: [f64; 8] = [150.0, 210.0, 270.0, 330.0, 390.0, 450.0, 510.0, 570.0];
/// The same for a landscape chart, which starts below its title or below the end of the
/// landscape chart printed before it.
const LANDSCAPE_FIRST_PAGE_ROOMS_PT: [f64; 9] = [
    100.0, 140.0, 180.0, 220.0, 260.0, 300.0, 340.0, 380.0, 410.0,
];

/// A flow's drawing: its layout, the whole chart as one SVG, and the page-sized SVGs the
/// controlled document prints.
pub struct Flowchart {
    pub layout: Layout,
    pub whole: String,
    pub pages: Vec<String>,
    /// The chart paginated to start in a part of a page: `(room in pt, pages)`, smallest
    /// room first. `pages` is `None` where the pagination equals `Flowchart::pages`, and
    /// rooms whose pagination equals a smaller room's are left out.
    pub starts: Vec<(f64, Option<Vec<String>>)>,
    /// The pages are meant for landscape paper.
    pub landscape: bool,
}

/// Draws a flow with the document's fonts (`fonts`, in fallback order).
pub fn draw(
    printing: &Printing,
    flow_ctx: &context::FlowContext,
    graph: &FlowGraph,
    fonts: &[String],
) -> Flowchart {
    let chart = context::chart(printing, flow_ctx, graph);
    let landscape = chart.lanes.len() >= LANDSCAPE_FROM_LANES;
    let (width_pt, page_h) = if landscape {
        (LANDSCAPE_WIDTH_PT, LANDSCAPE_HEIGHT_PT)
    } else {
        (PORTRAIT_WIDTH_PT, PORTRAIT_HEIGHT_PT)
    };
    let style = Style {
        width_pt,
        font_family: fonts.join(", "),
        font_size_pt: 7.0,
    };
    let layout = diagram::layout(&chart, &style);
    let whole = layout.to_svg();
    let pages = layout.to_svg_pages(page_h);
    let mut starts: Vec<(f64, Option<Vec<String>>)> = Vec::new();
    let rooms: &[f64] = if landscape {
        &LANDSCAPE_FIRST_PAGE_ROOMS_PT
    } else {
        &FIRST_PAGE_ROOMS_PT
    };
    let mut last: Option<Vec<String>> = None;
    for &room in rooms {
        let Some(fitted) = layout.to_svg_pages_from(room, page_h) else {
            continue;
        };
        if last.as_ref() == Some(&fitted) {
            continue;
        }
        let same = fitted == pages;
        starts.push((room, (!same).then(|| fitted.clone())));
        last = Some(fitted);
        if same {
            break;
        }
    }
    Flowchart {
        layout,
        whole,
        pages,
        starts,
        landscape,
    }
}

/// Draws flow `flow` (an index into `doc.flows`) as the document of `doc` prints it, in
/// the printed languages `langs` (primary first).
pub fn of_flow(
    settings: &crate::spec::model::Settings,
    procedures: Vec<&Procedure>,
    doc: &Procedure,
    flow: usize,
    langs: Vec<String>,
) -> Option<Flowchart> {
    let printing = Printing {
        settings,
        langs,
        procedures,
        logo: None,
    };
    let fp = crate::control::fingerprint::of(doc);
    let ctx = context::document(&printing, doc, "draft", &fp);
    let fonts = super::build::bundled_fonts(settings.primary_language());
    let graph = FlowGraph::new(doc.flows.get(flow)?);
    Some(draw(&printing, ctx.doc.flows.get(flow)?, &graph, &fonts))
}

/// The whole chart of flow `flow` (its id) of `doc`, worded in `lang`, with the boxes of the
/// steps `marked` highlighted (a run's page marks its active steps); `None` for a flow `doc`
/// does not have.
pub fn marked_svg(
    settings: &crate::spec::model::Settings,
    procedures: Vec<&Procedure>,
    doc: &Procedure,
    flow: &str,
    lang: &str,
    marked: &[String],
) -> Option<String> {
    let index = doc.flows.iter().position(|f| f.id == flow)?;
    let chart = of_flow(settings, procedures, doc, index, vec![lang.to_string()])?;
    Some(chart.layout.to_svg_marked(marked))
}
