//! The machine-readable plan (`plan --json`), versioned by `format_version`.
//!
//! ```json
//! { "format_version": "1", "cdcstack_version": "0.1.0", "env": "dev", "mode": "normal",
//!   "state": { "lineage": "…", "serial": 4, "exists": true }, "account_id": "…",
//!   "resource_changes": [ { "address": "network.vpc", "kind": "vpc",
//!       "action_reason": null | "adopt" | "deleted_outside" | "not_in_config" | "stray"
//!                         | "replace_because_cannot_update" | "broken" | "drift" | "destroy",
//!       "change": { "actions": ["create"] | ["update"] | ["delete","create"] | ["delete"] | ["no-op"],
//!                   "before": {…} | null, "after": {…} | null,
//!                   "after_unknown": { "id": true, "configuration": { "bootstrap.servers": true } },
//!                   "changed_attributes": ["cidr_block"],
//!                   "replace_paths": [["cidr_block"]] },
//!       "wait": false, "adopt": false, "notes": [] } ],
//!   "summary": { "add": 1, "change": 0, "destroy": 0 }, "changes": true }
//! ```
//! As in Terraform's JSON plan, a map with some entries known after apply
//! has its known entries in `after` and the others marked in `after_unknown`.
//! Consumers should accept fields and `action_reason` values they do not know.

use serde_json::{Value, json};

use super::Plan;

pub const FORMAT_VERSION: &str = "1";

pub fn render(plan: &Plan) -> Value {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| {
            let mut after = c.after.clone();
            let unknown: serde_json::Map<String, Value> = c
                .unknown
                .iter()
                .map(|u| match c.partial.get(u) {
                    Some(p) => {
                        if let Some(a) = after.as_mut() {
                            a.insert(u.clone(), Value::Object(p.known.clone()));
                        }
                        let keys = p.unknown.iter().map(|k| (k.clone(), Value::Bool(true)));
                        (u.clone(), Value::Object(keys.collect()))
                    }
                    None => (u.clone(), Value::Bool(true)),
                })
                .collect();
            json!({
                "address": c.address,
                "kind": c.kind,
                "action_reason": c.reason,
                "change": {
                    "actions": c.action.actions(),
                    "before": c.before,
                    "after": after,
                    "after_unknown": unknown,
                    "changed_attributes": c.changed,
                    "replace_paths": c.replace_paths.iter().map(|p| vec![p]).collect::<Vec<_>>(),
                },
                "wait": c.wait,
                "adopt": c.adopt,
                "notes": c.notes,
            })
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "cdcstack_version": env!("CARGO_PKG_VERSION"),
        "env": plan.env,
        "mode": plan.mode,
        "state": { "lineage": plan.state_lineage, "serial": plan.state_serial, "exists": plan.state_exists },
        "account_id": plan.account_id,
        "resource_changes": changes,
        "summary": plan.summary(),
        "changes": plan.has_changes(),
    })
}
