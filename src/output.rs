//! Standard output and standard error that never panic.
//!
//! `std`'s `println!` panics when the stream is closed (`procdoc schema | head -c0`), which
//! ends the process with exit code 101 and skips whatever the command had left to do. The
//! macros defined here replace `print!`, `println!`, `eprint!` and `eprintln!` for the whole
//! crate (they are declared before every module, so they shadow the standard ones):
//!
//! - a reader that went away (broken pipe) is not the command's failure: the rest of the
//!   output is dropped quietly and the command finishes its work and exit code as usual;
//! - any other write error (a full disk behind `> file`) is remembered, and
//!   [`finish`] reports it once with exit code 2, so a truncated output never passes for a
//!   complete one.

use std::fmt::Arguments;
use std::io::{self, ErrorKind, Write};
use std::sync::Mutex;

/// The first write error other than a broken pipe, if any.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

fn note(result: io::Result<()>, stream: &str) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {}
        Err(e) => {
            if let Ok(mut failed) = FAILED.lock()
                && failed.is_none()
            {
                *failed = Some(format!("cannot write to standard {stream}: {e}"));
            }
        }
    }
}

/// Writes to standard output; see the module docs for what happens on errors.
#[doc(hidden)]
pub fn out(args: Arguments, newline: bool) {
    let mut s = io::stdout().lock();
    let result = s
        .write_fmt(args)
        .and_then(|()| if newline { s.write_all(b"\n") } else { Ok(()) });
    note(result, "output");
}

/// Writes to standard error; see the module docs for what happens on errors.
#[doc(hidden)]
pub fn err(args: Arguments, newline: bool) {
    let mut s = io::stderr().lock();
    let result = s
        .write_fmt(args)
        .and_then(|()| if newline { s.write_all(b"\n") } else { Ok(()) });
    note(result, "error");
}

/// Whether an I/O error only says that the reader went away: callers that write through
/// their own handles treat it as success, like the macros do.
pub fn reader_gone(e: &io::Error) -> bool {
    e.kind() == ErrorKind::BrokenPipe
}

/// Flushes standard output and turns `code` into 2 if some output could not be written
/// (other than to a reader that went away), saying so on standard error.
pub fn finish(code: u8) -> u8 {
    note(io::stdout().lock().flush(), "output");
    let failed = FAILED.lock().ok().and_then(|mut f| f.take());
    match failed {
        Some(why) => {
            let _ = writeln!(io::stderr().lock(), "error: {why}");
            code.max(2)
        }
        None => code,
    }
}

macro_rules! print {
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*), false) };
}

macro_rules! println {
    () => { $crate::output::out(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*), true) };
}

// Not used yet; defined so that a future `eprint!` cannot bypass the others.
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::output::err(format_args!($($arg)*), false) };
}

macro_rules! eprintln {
    () => { $crate::output::err(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::err(format_args!($($arg)*), true) };
}
