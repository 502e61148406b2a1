//! Security tests of procdoc's evidence: the control register, the outputs it names and the
//! run store, tried as an attacker and as a careless user would. One module per kind of
//! fault; each test states the right value and asserts it on real commands, with variants
//! beyond the first input that showed the fault.
//!
//! - [`register`]: the document control register, hand-edited or hostile (paths it names,
//!   its order, its dates, the content of each release) and written by concurrent commands.
//! - [`output_names`]: different things never share one output file (document ids, forms,
//!   run exports), compared as a case-insensitive, normalising disk compares names.
//! - [`release_meaning`]: a released document changes when its meaning or what it prints
//!   changes, and only then.
//! - [`runs`]: run records: tampering with what a run was run against, removed events and
//!   rolled-back databases, read commands that never write, back-dated sign-offs, child run
//!   names.
//! - [`streams`]: a closed or full output stream never cuts a command short.
//! - [`build_outputs`]: the output folder of `build`: a no-op build proves what it keeps,
//!   builds racing into one folder, fonts deciding rebuilds, superseded revisions, links.
//! - [`loader`]: values kept as written, byte-order marks, ids with invisible or look-alike
//!   characters, and oversized input (long words, huge flows, endless files) in bounded time.
//!
//! Shared helpers (a QMS copy to attack, procdoc with a pinned clock) live in [`qms`].

#[path = "../common/mod.rs"]
mod common;

mod qms;

mod build_outputs;
mod loader;
mod output_names;
mod register;
mod release_meaning;
mod runs;
mod streams;
