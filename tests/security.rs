//! Security tests: what an attacker or a careless user can do with files, names, values and
//! evidence, one module per area, readable in one sitting.

#[path = "security/loader.rs"]
mod loader;
