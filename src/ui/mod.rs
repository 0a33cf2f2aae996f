//! What the user sees: the printer (data on stdout, status on stderr), the
//! text observer that turns a run's events into today's lines, and the
//! prompt. Nothing below `commands/` prints; the engine and the operations
//! emit events that these show.

pub mod printer;
pub mod prompt;
pub mod text;

pub use printer::Printer;
