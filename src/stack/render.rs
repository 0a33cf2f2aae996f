//! `cdcstack graph`: the dependency graph as Graphviz dot or Mermaid.

use std::fmt::Write as _;

use super::Stack;

/// Graphviz dot, one cluster per tier.
pub fn dot(stack: &Stack) -> String {
    let mut out = String::from(
        "digraph cdcstack {\n  rankdir = LR;\n  node [shape = box, fontname = \"monospace\"];\n",
    );
    let mut tiers: Vec<&str> = stack.resources.keys().map(|a| a.tier()).collect();
    tiers.dedup();
    for tier in tiers {
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{tier}\" {{\n    label = \"{tier}\";"
        );
        for r in stack
            .resources
            .values()
            .filter(|r| r.address.tier() == tier)
        {
            let _ = writeln!(
                out,
                "    \"{}\" [label = \"{}\\n({})\"];",
                r.address, r.address, r.kind
            );
        }
        out.push_str("  }\n");
    }
    for r in stack.resources.values() {
        for d in &r.depends_on {
            let _ = writeln!(out, "  \"{d}\" -> \"{}\";", r.address);
        }
    }
    out.push_str("}\n");
    out
}

/// Mermaid flowchart (renders in GitHub markdown).
pub fn mermaid(stack: &Stack) -> String {
    let id = |a: &str| a.replace(['.', '[', ']'], "_");
    let mut out = String::from("flowchart LR\n");
    let mut tiers: Vec<&str> = stack.resources.keys().map(|a| a.tier()).collect();
    tiers.dedup();
    for tier in tiers {
        let _ = writeln!(out, "  subgraph {tier}");
        for r in stack
            .resources
            .values()
            .filter(|r| r.address.tier() == tier)
        {
            let _ = writeln!(
                out,
                "    {}[\"{}<br/>({})\"]",
                id(r.address.as_str()),
                r.address,
                r.kind
            );
        }
        out.push_str("  end\n");
    }
    for r in stack.resources.values() {
        for d in &r.depends_on {
            let _ = writeln!(out, "  {} --> {}", id(d.as_str()), id(r.address.as_str()));
        }
    }
    out
}
