//! The `cdcstack` binary: everything is in the library.

fn main() -> std::process::ExitCode {
    cdcstack::main()
}
