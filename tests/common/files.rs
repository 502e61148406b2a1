//! A recursive copy of a folder, shared by the tests, the browser tests' harness and the
//! benchmarks (through `#[path]`), so that each writes into its own QMS without touching
//! `specs/`.

use std::path::Path;

/// Copies `from` into `to` (created), folders and files alike; panics on any failure, as a
/// test or benchmark set-up must not go on without its files.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder") {
        let entry = entry.expect("read a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}
