//! procdoc: controlled procedures for ISO 9001 quality systems from declarative YAML specs.
//!
//! The pipeline: [`spec::load`] reads a QMS folder into the typed model and a source map;
//! [`check`] proves each flow sound and collects located diagnostics; the generators take
//! the checked model.

// First, so that every module below prints through macros that never panic.
#[macro_use]
pub mod output;

pub mod app;
pub mod check;
pub mod cli;
pub mod columns;
pub mod control;
pub mod flow;
pub mod init;
pub mod mail;
pub mod render;
pub mod run;
pub mod schema;
pub mod spec;
pub mod web;
