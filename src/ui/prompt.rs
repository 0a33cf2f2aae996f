//! Asking the user, on stderr.

use std::io::{BufRead, IsTerminal};

use super::printer::stderr;

/// Asks `question`; true only for "yes".
pub fn confirm(question: &str) -> bool {
    stderr(&format!("{question}\n  Only 'yes' will be accepted: "));
    let mut line = String::new();
    let stdin = std::io::stdin();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    if !stdin.is_terminal() {
        stderr("\n");
    }
    line.trim() == "yes"
}
