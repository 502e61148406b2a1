//! Rendering: the template environment, the embedded typst engine, flowchart layout, the
//! data templates print, and the build that writes every output.

pub mod build;
pub mod chart;
pub mod context;
pub mod diagram;
pub mod file_stat;
pub mod flowchart;
pub mod fonts;
pub mod forms;
pub mod graph_export;
pub mod jobs;
pub mod labels;
pub mod markup;
pub mod master;
pub mod matrix;
pub mod output;
pub mod pdf;
pub mod rules;
pub mod sign_text;
pub mod step_text;
pub mod templates;
pub mod typeset;
pub mod windows;
mod workers;
