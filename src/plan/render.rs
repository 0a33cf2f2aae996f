//! The human plan: Terraform's symbols (`+`, `~`, `-/+`, `-`), one block per
//! resource with attribute-level before → after, and the summary line
//! every CI tool parses ("Plan: N to add, N to change, N to destroy.").

use std::fmt::Write as _;

use serde_json::Value;

use super::{Action, Change, Mode, Plan, Reason};

const KNOWN_AFTER: &str = "(known after apply)";

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn header(c: &Change) -> Option<(String, String)> {
    let what = format!("{} ({})", c.address, c.kind);
    let (sym, text) = match c.action {
        Action::Create if c.reason == Some(Reason::DeletedOutside) => (
            "+",
            "will be created again (it was deleted outside cdcstack)",
        ),
        Action::Create => ("+", "will be created"),
        Action::Update => ("~", "will be updated in place"),
        Action::Replace if c.reason == Some(Reason::Broken) => {
            ("-/+", "must be replaced (it is broken)")
        }
        Action::Replace => ("-/+", "must be replaced"),
        Action::Delete => match c.reason {
            Some(Reason::Stray) => (
                "-",
                "will be destroyed (it carries this environment's ownership tags but is not in the file or state)",
            ),
            Some(Reason::NotInConfig) => {
                ("-", "will be destroyed (no longer in the environment file)")
            }
            _ if c.live_id.is_none() => ("-", "is already gone (removed from state)"),
            _ => ("-", "will be destroyed"),
        },
        Action::NoOp if c.reason == Some(Reason::Drift) => ("~", "has changed outside cdcstack"),
        Action::NoOp if c.adopt && c.wait => (
            "=",
            "will be adopted into state once AWS finishes creating it",
        ),
        Action::NoOp if c.adopt => (
            "=",
            "will be adopted into state (found by its ownership tags or name; nothing changes in AWS)",
        ),
        Action::NoOp if c.wait => (
            "…",
            "is still being created or changed by AWS: apply waits for it",
        ),
        Action::NoOp => return None,
    };
    Some((format!("{sym:>3}"), format!("{what} {text}")))
}

/// The entries of a map attribute, one line each: `+`, `~`, `-`, with the
/// entries in `unknown` shown as known after apply.
fn map_lines(
    out: &mut String,
    pad: &str,
    before: Option<&serde_json::Map<String, Value>>,
    after: &serde_json::Map<String, Value>,
    unknown: &[String],
) {
    let empty = serde_json::Map::new();
    let before = before.unwrap_or(&empty);
    let keys: std::collections::BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .chain(unknown.iter())
        .collect();
    let mut lines = Vec::new();
    for k in keys {
        let a = if unknown.contains(k) {
            Some(KNOWN_AFTER.to_string())
        } else {
            after.get(k).map(show)
        };
        match (before.get(k), a) {
            (Some(x), Some(y)) if show(x) == y => {}
            (Some(x), Some(y)) => lines.push(('~', k, format!("{} -> {y}", show(x)))),
            (None, Some(y)) => lines.push(('+', k, y)),
            (Some(x), None) => lines.push(('-', k, show(x))),
            (None, None) => {}
        }
    }
    // Aligned on the keys shown, as Terraform does.
    let width = lines
        .iter()
        .map(|(_, k, _)| format!("{k:?}").chars().count())
        .max()
        .unwrap_or(0);
    for (sym, k, v) in lines {
        let q = format!("{k:?}");
        let _ = writeln!(out, "{pad}    {sym} {q:width$} = {v}");
    }
}

/// The object a string holds as JSON, if it holds one.
fn json_doc(v: &Value) -> Option<Value> {
    let doc: Value = serde_json::from_str(v.as_str()?).ok()?;
    doc.is_object().then_some(doc)
}

/// `before -> after` for nested values: objects key by key, lists as the
/// elements that go and come (a reorder alone stays `before -> after`).
fn nested(out: &mut String, pad: &str, label: &str, b: &Value, a: &Value, note: &str) {
    let inner = format!("{pad}    ");
    match (b, a) {
        _ if b == a => {}
        (Value::Object(bo), Value::Object(ao)) => {
            let _ = writeln!(out, "{pad}~ {label} = {{{note}");
            let keys: std::collections::BTreeSet<&String> = bo.keys().chain(ao.keys()).collect();
            for k in keys {
                let l = format!("{k:?}");
                match (bo.get(k), ao.get(k)) {
                    (Some(x), Some(y)) => nested(out, &inner, &l, x, y, ""),
                    (None, Some(y)) => {
                        let _ = writeln!(out, "{inner}+ {l} = {}", show(y));
                    }
                    (Some(x), None) => {
                        let _ = writeln!(out, "{inner}- {l} = {}", show(x));
                    }
                    (None, None) => {}
                }
            }
            let _ = writeln!(out, "{pad}  }}");
        }
        (Value::Array(ba), Value::Array(aa))
            if ba.iter().any(|x| !aa.contains(x)) || aa.iter().any(|y| !ba.contains(y)) =>
        {
            let _ = writeln!(out, "{pad}~ {label} = [{note}");
            for x in ba.iter().filter(|x| !aa.contains(x)) {
                let _ = writeln!(out, "{inner}- {}", show(x));
            }
            for y in aa.iter().filter(|y| !ba.contains(y)) {
                let _ = writeln!(out, "{inner}+ {}", show(y));
            }
            let _ = writeln!(out, "{pad}  ]");
        }
        _ => {
            let _ = writeln!(out, "{pad}~ {label} = {} -> {}{note}", show(b), show(a));
        }
    }
}

/// One attribute line: `~ key = before -> after`, with nested maps by key.
fn attr_lines(out: &mut String, c: &Change, key: &str, indent: usize, width: usize) {
    let before = c.before.as_ref().and_then(|b| b.get(key));
    let after = c.after.as_ref().and_then(|a| a.get(key));
    let unknown = c.unknown.iter().any(|u| u == key);
    let partial = c.partial.get(key).filter(|_| unknown);
    let forces = if c.replace_paths.iter().any(|p| p == key) {
        " # forces replacement"
    } else {
        ""
    };
    let pad = " ".repeat(indent);
    let key = &format!("{key:width$}");
    if let Some(p) = partial {
        let sym = if c.action == Action::Create { '+' } else { '~' };
        let before = match before {
            Some(Value::Object(b)) => Some(b),
            _ => None,
        };
        let _ = writeln!(out, "{pad}{sym} {key} = {{{forces}");
        map_lines(out, &pad, before, &p.known, &p.unknown);
        let _ = writeln!(out, "{pad}  }}");
        return;
    }
    match (c.action, before, after) {
        (Action::Create, _, Some(Value::Object(a))) if !a.is_empty() => {
            let _ = writeln!(out, "{pad}+ {key} = {{");
            map_lines(out, &pad, None, a, &[]);
            let _ = writeln!(out, "{pad}  }}");
        }
        (Action::Create, _, Some(a)) => {
            let _ = writeln!(out, "{pad}+ {key} = {}", show(a));
        }
        (Action::Create, _, None) if unknown => {
            let _ = writeln!(out, "{pad}+ {key} = {KNOWN_AFTER}");
        }
        (_, Some(Value::Object(b)), Some(Value::Object(a))) => {
            let _ = writeln!(out, "{pad}~ {key} = {{{forces}");
            map_lines(out, &pad, Some(b), a, &[]);
            let _ = writeln!(out, "{pad}  }}");
        }
        (_, Some(b @ Value::Array(_)), Some(a @ Value::Array(_))) if !unknown => {
            nested(out, &pad, key, b, a, forces);
        }
        // A JSON document in a string (an IAM policy), diffed as a document.
        (_, Some(b), Some(a))
            if !unknown && let (Some(b), Some(a)) = (json_doc(b), json_doc(a)) =>
        {
            nested(out, &pad, key, &b, &a, forces);
        }
        (_, b, a) => {
            let b = b.map_or_else(|| "null".to_string(), show);
            let a = if unknown {
                KNOWN_AFTER.to_string()
            } else {
                a.map_or_else(|| "null".to_string(), show)
            };
            let _ = writeln!(out, "{pad}~ {key} = {b} -> {a}{forces}");
        }
    }
}

/// The whole plan as text.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let mut shown = 0;
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    // Creates and updates first, then deletes; by address within each.
    changes.sort_by(|a, b| {
        (a.action == Action::Delete, &a.address).cmp(&(b.action == Action::Delete, &b.address))
    });
    for c in changes {
        let head = header(c);
        if head.is_none() && c.notes.is_empty() {
            continue;
        }
        shown += 1;
        match head {
            Some((sym, head)) => {
                let _ = writeln!(out, "{sym} {head}");
            }
            None => {
                let _ = writeln!(out, "    {} ({})", c.address, c.kind);
            }
        }
        let keys: Vec<&String> = match c.action {
            Action::Create => c
                .after
                .iter()
                .flat_map(|a| a.keys())
                .chain(c.unknown.iter())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            Action::Update | Action::Replace => c.changed.iter().collect(),
            Action::NoOp if c.reason == Some(Reason::Drift) => c.changed.iter().collect(),
            _ => Vec::new(),
        };
        let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
        for k in keys {
            attr_lines(&mut out, c, k, 6, width);
        }
        for n in &c.notes {
            let _ = writeln!(out, "      note: {n}");
        }
        out.push('\n');
    }
    let s = plan.summary();
    if plan.mode == Mode::RefreshOnly {
        if shown == 0 {
            out.push_str("No changes. The state matches what exists.\n");
        } else {
            out.push_str(
                "Refresh only: the above differs between the state and what exists; nothing in AWS would change.\n",
            );
        }
    } else if !plan.has_changes() {
        out.push_str("No changes. Your infrastructure matches the configuration.\n");
    } else {
        let _ = writeln!(
            out,
            "Plan: {} to add, {} to change, {} to destroy.",
            s.add, s.change, s.destroy
        );
    }
    out
}
