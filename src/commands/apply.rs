//! `cdcstack apply` and `cdcstack destroy`.

use super::plan::plan_path;
use super::session::{Session, confirm};
use super::workflow::{execute, make_plan, prepare, report};
use crate::cli::{ApplyArgs, DestroyArgs, GlobalArgs};
use crate::error::{Error, ExitStatus, Result};
use crate::plan::{self, Mode, Plan};
use crate::printer::Printer;
use crate::state::{Operation, Store};

pub async fn apply(global: &GlobalArgs, p: Printer, args: &ApplyArgs) -> Result<ExitStatus> {
    let s = Session::open(global, &args.env, p).await?;
    let saved = match &args.plan_file {
        Some(f) => {
            let path = if f.exists() {
                f.clone()
            } else {
                plan_path(global, f)
            };
            Some(plan::file::load(&path).map_err(Error::Usage)?)
        }
        None => None,
    };
    let prepared = prepare(&s, &args.target.targets)?;
    if let Some(sp) = &saved {
        if sp.env != s.env {
            return Err(Error::Usage(format!(
                "the plan was made for env `{}`, not `{}`",
                sp.env, s.env
            )));
        }
        if sp.config_digest != prepared.digest {
            return Err(Error::Usage(format!(
                "{} changed since the plan was made; run `cdcstack plan --env {} --out FILE` again",
                s.cfg.path.display(),
                s.env
            )));
        }
    }
    let account = s.account_id().await?;
    s.locked(
        Operation::Apply,
        args.lock.lock_timeout,
        true,
        |cancel| async {
            let mut store = Store::load(s.backend.clone()).await?;
            let plan = match saved {
                Some(plan) => {
                    check_fresh(&plan, &store)?;
                    // The first state takes the lineage the plan was made with.
                    if store.is_new() {
                        store.state.lineage = plan.state_lineage.clone();
                    }
                    if plan.account_id != account {
                        return Err(Error::Usage(format!(
                            "the plan was made in account {}, these credentials are for {account}",
                            plan.account_id
                        )));
                    }
                    plan
                }
                None => {
                    let plan = make_plan(
                        &s,
                        &prepared,
                        &store,
                        Mode::Normal,
                        &account,
                        cancel.clone(),
                    )
                    .await?;
                    p.data(&plan::render::text(&plan))?;
                    if !plan.has_changes() {
                        return Ok(ExitStatus::Success);
                    }
                    if !args.auto_approve && !confirm("Do you want to perform these actions?") {
                        return Err(Error::Aborted(
                            "apply cancelled; nothing was changed".into(),
                        ));
                    }
                    plan
                }
            };
            let (_, outcome) = execute(
                &s,
                &prepared,
                &plan,
                store,
                usize::from(args.parallel.parallelism),
                cancel,
            )
            .await?;
            report(&s, &plan, &outcome, "Apply")?;
            Ok(ExitStatus::Success)
        },
    )
    .await
}

/// Refuses a saved plan when the state moved on since it was made.
fn check_fresh(plan: &Plan, store: &Store) -> Result<()> {
    let st = &store.state;
    if plan.state_exists && (store.is_new() || st.lineage != plan.state_lineage) {
        return Err(Error::Usage(format!(
            "the saved plan does not match the state (plan: lineage {}, serial {}; state: lineage {}): it was made against another state. Plan again",
            plan.state_lineage,
            plan.state_serial,
            if store.is_new() {
                "none (there is no state)".to_string()
            } else {
                st.lineage.clone()
            },
        )));
    }
    let then = if plan.state_exists {
        plan.state_serial
    } else {
        0
    };
    let now = if store.is_new() { 0 } else { st.serial };
    if then != now || plan.state_exists == store.is_new() {
        return Err(Error::Usage(format!(
            "the saved plan is stale: the state changed since it was made (serial {then} then, {now} now). Plan again"
        )));
    }
    Ok(())
}

pub async fn destroy(global: &GlobalArgs, p: Printer, args: &DestroyArgs) -> Result<ExitStatus> {
    let s = Session::open(global, &args.env, p).await?;
    let prepared = prepare(&s, &args.target.targets)?;
    let account = s.account_id().await?;
    s.locked(
        Operation::Destroy,
        args.lock.lock_timeout,
        true,
        |cancel| async {
            let store = Store::load(s.backend.clone()).await?;
            let plan = make_plan(
                &s,
                &prepared,
                &store,
                Mode::Destroy,
                &account,
                cancel.clone(),
            )
            .await?;
            p.data(&plan::render::text(&plan))?;
            if !plan.has_changes() {
                p.status("Nothing", "to destroy");
                return Ok(ExitStatus::Success);
            }
            if !args.auto_approve
                && !confirm(&format!(
                    "Destroy every resource of env `{}` listed above? There is no undo.",
                    s.env
                ))
            {
                return Err(Error::Aborted(
                    "destroy cancelled; nothing was changed".into(),
                ));
            }
            let (_, outcome) = execute(
                &s,
                &prepared,
                &plan,
                store,
                usize::from(args.parallel.parallelism),
                cancel,
            )
            .await?;
            report(&s, &plan, &outcome, "Destroy")?;
            Ok(ExitStatus::Success)
        },
    )
    .await
}
