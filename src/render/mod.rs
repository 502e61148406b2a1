//! Rendering: templates, typst, diagrams and graph exports.

pub mod graph_export;
pub mod labels;
pub mod markup;
pub mod templates;
