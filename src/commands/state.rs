//! `cdcstack state list|show|pull` and `force-unlock`.

use super::Context;
use crate::cli::{ForceUnlockArgs, StateCommand};
use crate::error::{Error, ExitStatus, Result};
use crate::ops;
use crate::ui::prompt;

pub async fn run(cx: &Context, cmd: &StateCommand) -> Result<ExitStatus> {
    let env = match cmd {
        StateCommand::List(a) | StateCommand::Pull(a) => &a.env,
        StateCommand::Show(a) => &a.env,
    };
    let s = cx.session(&env.name).await?;
    match cmd {
        StateCommand::List(_) => {
            let list: String = ops::resources(&s)
                .await?
                .iter()
                .map(|a| format!("{a}\n"))
                .collect();
            if list.is_empty() {
                cx.printer
                    .status("Empty", format!("no resources in {}", s.backend.location()));
            } else {
                cx.data(&list)?;
            }
        }
        StateCommand::Show(a) => {
            let r = ops::show(&s, &a.address).await?;
            let mut out = format!("# {} ({})\nid = {}\n", a.address, r.kind, r.id);
            for (k, v) in &r.attributes {
                out.push_str(&format!("{k} = {v}\n"));
            }
            if !r.depends_on.is_empty() {
                let deps: Vec<String> = r.depends_on.iter().map(ToString::to_string).collect();
                out.push_str(&format!("depends_on = [{}]\n", deps.join(", ")));
            }
            cx.data(&out)?;
        }
        StateCommand::Pull(_) => {
            cx.data(&String::from_utf8_lossy(&ops::pull(&s).await?))?;
        }
    }
    Ok(ExitStatus::Success)
}

pub async fn force_unlock(cx: &Context, args: &ForceUnlockArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    if !args.force {
        let q = format!(
            "Remove the lock {} on {}? Only do this if the run that holds it is dead: two runs at once can corrupt the stack.",
            args.lock_id,
            s.backend.location()
        );
        if !prompt::confirm(&q) {
            return Err(Error::Declined {
                what: "force-unlock",
            });
        }
    }
    let info = ops::force_unlock(&s, &args.lock_id).await?;
    cx.printer.status(
        "Unlocked",
        format!(
            "removed lock {} held by {} since {}",
            info.id, info.who, info.created
        ),
    );
    Ok(ExitStatus::Success)
}
