use std::process::ExitCode;

/// mimalloc, not the system allocator. A build typesets on every core, and typst frees on
/// one thread much of what it allocated on another (its memoization cache is shared and
/// trimmed by whichever thread finishes a document). glibc's allocator takes the lock of
/// the arena the memory came from for each such free, so the build threads spent a tenth
/// of their time waiting for each other (measured with `perf`: most of their sleeps were in
/// `_int_free`); mimalloc frees across threads without a lock. On a QMS of 50 procedures it
/// made the build a third faster (16.4 s to 11.2 s wall, `bench/build.sh` with mimalloc
/// preloaded), the peak memory unchanged.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    procdoc::cli::main()
}
