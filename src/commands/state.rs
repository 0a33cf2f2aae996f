//! `cdcstack state list|show|pull` and `force-unlock`.

use crate::cli::{ForceUnlockArgs, GlobalArgs, StateCommand};
use crate::error::{Error, ExitStatus, Result};
use crate::printer::Printer;
use crate::state::{self, Store};

use super::session::{Session, confirm};

pub async fn run(global: &GlobalArgs, p: Printer, cmd: &StateCommand) -> Result<ExitStatus> {
    let env = match cmd {
        StateCommand::List(a) | StateCommand::Pull(a) => &a.env,
        StateCommand::Show(a) => &a.env,
    };
    let s = Session::open(global, env, p).await?;
    let store = Store::load(s.backend.clone()).await?;
    match cmd {
        StateCommand::List(_) => {
            let list: String = store
                .state
                .resources
                .keys()
                .map(|a| format!("{a}\n"))
                .collect();
            if list.is_empty() {
                p.status("Empty", format!("no resources in {}", s.backend.location()));
            } else {
                p.data(&list)?;
            }
        }
        StateCommand::Show(a) => {
            let r = store.state.resources.get(a.address.as_str()).ok_or_else(|| {
                Error::Usage(format!(
                    "no resource `{}` in state; `cdcstack state list --env {}` shows the addresses",
                    a.address, s.env
                ))
            })?;
            let mut out = format!("# {} ({})\nid = {}\n", a.address, r.kind, r.id);
            for (k, v) in &r.attributes {
                out.push_str(&format!("{k} = {v}\n"));
            }
            if !r.depends_on.is_empty() {
                let deps: Vec<String> = r.depends_on.iter().map(ToString::to_string).collect();
                out.push_str(&format!("depends_on = [{}]\n", deps.join(", ")));
            }
            p.data(&out)?;
        }
        StateCommand::Pull(_) => {
            if store.is_new() {
                return Err(Error::Usage(format!(
                    "there is no state at {} yet",
                    s.backend.location()
                )));
            }
            p.data(&String::from_utf8_lossy(&store.state.to_bytes()))?;
        }
    }
    Ok(ExitStatus::Success)
}

pub async fn force_unlock(
    global: &GlobalArgs,
    p: Printer,
    args: &ForceUnlockArgs,
) -> Result<ExitStatus> {
    let s = Session::open(global, &args.env, p).await?;
    if !args.force {
        let q = format!(
            "Remove the lock {} on {}? Only do this if the run that holds it is dead: two runs at once can corrupt the stack.",
            args.lock_id,
            s.backend.location()
        );
        if !confirm(&q) {
            return Err(Error::Aborted(
                "force-unlock cancelled; nothing was changed".into(),
            ));
        }
    }
    let info = state::force_unlock(s.backend.as_ref(), &args.lock_id).await?;
    p.status(
        "Unlocked",
        format!(
            "removed lock {} held by {} since {}",
            info.id, info.who, info.created
        ),
    );
    Ok(ExitStatus::Success)
}
