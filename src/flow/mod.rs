//! Flows as graphs and their execution semantics, shared by the checker and the runner.

pub mod graph;
pub mod reduction;
pub mod semantics;
