//! Security tests of procdoc's evidence: the control register, the outputs it names and the
//! run store, tried as an attacker and as a careless user would. One module per kind of
//! fault; each test states the right value and asserts it on real commands, with variants
//! beyond the first input that showed the fault.
//!
//! - [`register`]: the document control register, hand-edited or hostile.
//! - [`runs`]: run records: tampering with what a run was run against, removed events and
//!   rolled-back databases, read commands that never write, back-dated sign-offs, child run
//!   names.
//! - [`streams`]: a closed or full output stream never cuts a command short.
//! - [`loader`]: values kept as written, byte-order marks, ids with invisible or look-alike
//!   characters, and oversized input (long words, huge flows, endless files) in bounded time.
//!
//! Shared helpers (a QMS copy to attack, procdoc with a pinned clock) live in [`qms`].

#[path = "../common/mod.rs"]
mod common;

mod qms;

mod loader;
mod register;
mod runs;
mod streams;
