//! Security tests: each module is one kind of fault from the issue, tried as an attacker
//! and as a careless user would.

#[path = "../common/mod.rs"]
mod common;

mod runs;
mod streams;
