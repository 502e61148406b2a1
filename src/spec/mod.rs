//! The spec model: typed values (serde + schemars), texts, durations, the loader and the
//! source map that lets every later finding point at a line.

pub mod by;
pub mod calendar;
pub mod duration;
pub mod field_decision;
pub mod ident;
pub mod intervals;
pub mod items;
pub mod limits;
pub mod load;
pub mod model;
pub mod numbers;
pub mod rules;
pub mod source;
pub mod text;
pub mod trigger;
mod written;
