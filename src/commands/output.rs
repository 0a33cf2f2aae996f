//! `cdcstack output`: endpoints, ARNs and ids from the state (never secret values).

use serde_json::Value;

use super::session::Session;
use crate::cli::{GlobalArgs, OutputArgs};
use crate::error::{Error, ExitStatus, Result};
use crate::printer::Printer;
use crate::stack::Stack;
use crate::state::Store;

pub async fn run(global: &GlobalArgs, p: Printer, args: &OutputArgs) -> Result<ExitStatus> {
    let s = Session::open(global, &args.env, p).await?;
    let store = Store::load(s.backend.clone()).await?;
    // Outputs of what exists so far, even after a partial apply.
    let stack = Stack::build(&s.cfg)?;
    let outputs = crate::apply::outputs(&stack, &store.state);
    if let Some(name) = &args.name {
        let v = outputs.get(name).ok_or_else(|| {
            let known = stack.outputs.iter().any(|o| o.name == name.as_str());
            Error::Usage(if known {
                format!("output `{name}` has no value yet: the resources it comes from do not exist (run `cdcstack apply --env {}`)", s.env)
            } else {
                let names: Vec<&str> = stack.outputs.iter().map(|o| o.name).collect();
                format!("no output `{name}`; outputs are: {}", names.join(", "))
            })
        })?;
        p.data(&if args.json { v.to_string() } else { raw(v) })?;
        return Ok(ExitStatus::Success);
    }
    if args.json {
        p.data(&serde_json::to_string_pretty(&outputs).expect("json"))?;
    } else if outputs.is_empty() {
        p.status(
            "Empty",
            format!(
                "no outputs yet: nothing in {} (run `cdcstack apply --env {}`)",
                s.backend.location(),
                s.env
            ),
        );
    } else {
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        let text: String = outputs
            .iter()
            .map(|(k, v)| format!("{k:width$} = {}\n", display(v)))
            .collect();
        p.data(&text)?;
    }
    Ok(ExitStatus::Success)
}

fn raw(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(raw).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
