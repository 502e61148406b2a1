//! Document control: content fingerprints of procedures.

pub mod fingerprint;
