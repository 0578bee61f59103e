//! Shared helpers for the integration tests.

pub mod app;
pub mod pg;

use seminarflow::catalog::Catalog;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn catalog() -> Catalog {
    Catalog::open(root().join("workflows")).expect("shipped workflows load")
}
