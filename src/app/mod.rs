//! The application layer: every operation a user can do, as plain functions over the store
//! and the loaded QMS, returning typed results and typed refusals. The command line and the
//! web server are thin adapters over it; no business rule lives in either.

pub mod documents;
pub mod users;
