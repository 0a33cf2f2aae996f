//! The plain text view of a run: one status line per resource started and
//! finished, "Still creating…" every 10 seconds while one takes its time,
//! warnings, and Terraform's summary line.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::Printer;
use crate::engine::{Event, Observer, Step};
use crate::stack::Address;

/// How often a resource still in progress is mentioned.
const TICK: Duration = Duration::from_secs(10);

pub struct Text {
    printer: Printer,
    /// The "Still …" reminder of each resource in progress.
    tickers: Mutex<HashMap<Address, tokio::task::JoinHandle<()>>>,
}

impl Text {
    pub fn new(printer: Printer) -> Self {
        Text {
            printer,
            tickers: Mutex::default(),
        }
    }

    fn stop(&self, address: &Address) {
        if let Some(t) = self.lock().remove(address) {
            t.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Address, tokio::task::JoinHandle<()>>> {
        self.tickers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `creating network.vpc`, as the reminder says it.
fn what(step: Step, address: &Address) -> String {
    match step {
        Step::Create => format!("creating {address}"),
        Step::Update => format!("updating {address}"),
        Step::Delete => format!("destroying {address}"),
        Step::Wait => format!("waiting for {address}"),
    }
}

impl Observer for Text {
    fn on(&self, event: &Event) {
        let p = self.printer;
        match event {
            Event::ResourceStarted { address, step } => {
                p.status(step.doing(), address);
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    let what = what(*step, address);
                    let ticker = rt.spawn(async move {
                        let mut n = 0;
                        loop {
                            tokio::time::sleep(TICK).await;
                            n += 1;
                            p.status(
                                "Still",
                                format!("{what}… [{}s elapsed]", TICK.as_secs() * n),
                            );
                        }
                    });
                    if let Some(old) = self.lock().insert(address.clone(), ticker) {
                        old.abort();
                    }
                }
            }
            Event::ResourceDone {
                address,
                step,
                id,
                elapsed,
            } => {
                self.stop(address);
                let secs = elapsed.as_secs();
                match id {
                    Some(id) => p.status(step.done(), format!("{address} ({id}) [{secs}s]")),
                    None => p.status(step.done(), format!("{address} [{secs}s]")),
                }
            }
            Event::ResourceFailed {
                address,
                step,
                error,
            } => {
                self.stop(address);
                p.status("Failed", format!("{} {address}: {error}", step.doing()));
            }
            Event::ResourceInterrupted { address } => self.stop(address),
            Event::Note { address, message } => p.warn(format!("{address}: {message}")),
            Event::Warning { message } => p.warn(message),
            Event::Summary {
                destroy,
                add,
                change,
                remove,
            } => {
                // Terraform's wording, which CI log scrapers already know.
                let line = if *destroy {
                    format!("Destroy complete! Resources: {remove} destroyed.")
                } else {
                    format!(
                        "Apply complete! Resources: {add} added, {change} changed, {remove} destroyed."
                    )
                };
                p.status("Complete", line);
            }
            Event::RefreshStarted { .. }
            | Event::KindRead { .. }
            | Event::RefreshDone
            | Event::Progress { .. } => {}
        }
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        for (_, t) in self.lock().drain() {
            t.abort();
        }
    }
}
