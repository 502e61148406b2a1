//! The flowchart of one flow as the documents print it: the chart built from the checked
//! flow, laid out for a portrait or, when it has many lanes, a landscape page, and written
//! as marked SVG (whole, and cut into the pages the PDF shows).

use super::context::{self, Printing};
use super::diagram::{self, Layout, Style};
use crate::flow::graph::FlowGraph;
use crate::spec::model::Procedure;

/// Drawing width on a portrait A4 page inside the document margins, in pt.
const PORTRAIT_WIDTH_PT: f64 = 481.0;
/// Drawing height one portrait page holds below the heading, in pt.
const PORTRAIT_HEIGHT_PT: f64 = 610.0;
/// The same on a landscape A4 page (842 x 595 pt, same margins).
const LANDSCAPE_WIDTH_PT: f64 = 736.0;
const LANDSCAPE_HEIGHT_PT: f64 = 400.0;
/// From this many lanes a chart goes on landscape pages: below about 44 pt a lane can no
/// longer hold a word of a department name at a legible size.
pub const LANDSCAPE_FROM_LANES: usize = 8;

/// A flow's drawing: its layout, the whole chart as one SVG, and the page-sized SVGs the
/// controlled document prints.
pub struct Flowchart {
    pub layout: Layout,
    pub whole: String,
    pub pages: Vec<String>,
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
    Flowchart {
        layout,
        whole,
        pages,
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
