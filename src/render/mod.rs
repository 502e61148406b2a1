//! Rendering: templates, typst, diagrams and graph exports.

pub mod graph_export;
