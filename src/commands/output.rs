//! `cdcstack output`: endpoints, ARNs and ids from the state (never secret values).

use serde_json::Value;

use super::Context;
use crate::cli::OutputArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::ops;

pub async fn run(cx: &Context, args: &OutputArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    let (stack, outputs) = ops::outputs(&s).await?;
    if let Some(name) = &args.name {
        let v = outputs.get(name).ok_or_else(|| {
            if stack.outputs.iter().any(|o| o.name == name.as_str()) {
                Error::OutputUnknown {
                    name: name.clone(),
                    env: s.env.clone(),
                }
            } else {
                Error::NoOutput {
                    name: name.clone(),
                    known: stack.outputs.iter().map(|o| o.name.to_string()).collect(),
                }
            }
        })?;
        cx.data(&if args.json { v.to_string() } else { raw(v) })?;
        return Ok(ExitStatus::Success);
    }
    if args.json {
        cx.data(&serde_json::to_string_pretty(&outputs).expect("json"))?;
    } else if outputs.is_empty() {
        cx.printer.status(
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
        cx.data(&text)?;
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
