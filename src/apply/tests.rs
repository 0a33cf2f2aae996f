//! Apply scheduling against the fake cloud: dependency order, the
//! parallelism bound, failures that stop only their dependants, interrupts,
//! panics, state writes and events.

use std::time::Duration;

use crate::engine::Event;
use crate::engine::fake::{FakeAttrs, World, resource, stack, thing};
use crate::model::{E, id_of};
use crate::plan::Mode;
use crate::stack::Stack;

/// `a` ← `b` ← `c` (each one's parent is the one before), and `z` alone.
fn chain() -> Stack {
    stack(vec![
        resource::<false>("t.a", thing("t.a", "a")),
        resource::<false>(
            "t.b",
            FakeAttrs {
                parent: E::some(id_of("t.a")),
                ..thing("t.b", "b")
            },
        ),
        resource::<false>(
            "t.c",
            FakeAttrs {
                parent: E::some(id_of("t.b")),
                ..thing("t.c", "c")
            },
        ),
        resource::<false>("t.z", thing("t.z", "z")),
    ])
}

fn position(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("no `{call}` in {calls:?}"))
}

#[tokio::test]
async fn resources_are_created_after_what_they_depend_on_with_its_outputs() {
    let w = World::default();
    let (_, outcome) = w.converge(&chain()).await;
    assert_eq!(outcome.done, 4);
    assert!(outcome.failed.is_empty() && outcome.skipped.is_empty());
    let calls = w.cloud.calls();
    assert!(position(&calls, "create a") < position(&calls, "create b"));
    assert!(position(&calls, "create b") < position(&calls, "create c"));
    let objects = w.cloud.objects();
    let b = &objects[&w.cloud.id_of("b").unwrap()];
    assert_eq!(
        b.attrs.parent,
        w.cloud.id_of("a"),
        "the reference resolved to a's id"
    );
    let state = w.state().await;
    assert_eq!(state.resources["t.c"].depends_on, vec!["t.b".into()]);
    assert_eq!(
        state.account_id.as_deref(),
        Some(crate::engine::fake::ACCOUNT)
    );
}

#[tokio::test(start_paused = true)]
async fn no_more_than_the_parallelism_run_at_once() {
    let w = World::default();
    w.cloud.faults(|f| f.create_delay = Duration::from_secs(5));
    let s = stack(
        (0..8)
            .map(|i| {
                let a = format!("t.r[{i}]");
                resource::<false>(&a, thing(&a, &format!("r{i}")))
            })
            .collect(),
    );
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let outcome = w.apply(&s, &plan, 3).await.unwrap();
    assert_eq!(outcome.done, 8);
    assert_eq!(w.cloud.max_in_flight(), 3);

    let w = World::default();
    w.cloud.faults(|f| f.create_delay = Duration::from_secs(5));
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(
        w.cloud.max_in_flight(),
        8,
        "independent resources start together"
    );
}

#[tokio::test]
async fn a_failure_stops_only_what_depends_on_it() {
    let w = World::default();
    w.cloud.faults(|f| {
        f.fail_create.insert("b".into());
    });
    let s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].0.as_str(), "t.b");
    assert!(outcome.failed[0].1.contains("injected failure creating b"));
    assert_eq!(outcome.skipped, vec!["t.c".into()]);
    let state = w.state().await;
    assert!(state.resources.contains_key("t.a") && state.resources.contains_key("t.z"));
    assert!(!state.resources.contains_key("t.c"));
    assert!(w.events.events().iter().any(|e| matches!(
        e,
        Event::ResourceFailed { address, .. } if address.as_str() == "t.b"
    )));
    // The next run finishes the job.
    w.cloud.faults(|f| f.fail_create.clear());
    let (_, outcome) = w.converge(&s).await;
    assert_eq!(outcome.done, 2);
    assert!(!w.plan(&s, Mode::Normal).await.unwrap().has_changes());
}

#[tokio::test]
async fn a_panicking_driver_fails_its_resource_and_the_run_goes_on() {
    let w = World::default();
    w.cloud.faults(|f| {
        f.panic_create.insert("a".into());
    });
    let s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].0.as_str(), "t.a");
    assert!(
        outcome.failed[0]
            .1
            .contains("the fake driver panicked while creating it"),
        "{}",
        outcome.failed[0].1
    );
    assert_eq!(outcome.skipped.len(), 2, "b and c wait for a");
    assert!(
        w.state().await.resources.contains_key("t.z"),
        "z is done and recorded"
    );
}

#[tokio::test(start_paused = true)]
async fn after_an_interrupt_nothing_new_starts_and_what_finished_is_recorded() {
    let w = World::default();
    w.cloud.faults(|f| f.create_delay = Duration::from_secs(10));
    let s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let cancel = w.cancel.clone();
    let interrupt = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(15)).await;
        cancel.cancel();
    });
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    interrupt.await.unwrap();
    assert!(outcome.interrupted);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let calls = w.cloud.calls();
    assert!(!calls.contains(&"create c".to_string()), "{calls:?}");
    let state = w.state().await;
    assert!(state.resources.contains_key("t.a") && state.resources.contains_key("t.b"));
}

#[tokio::test]
async fn every_finished_resource_is_in_state_before_its_dependants_start() {
    let w = World::default();
    let s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    w.apply(&s, &plan, 10).await.unwrap();
    // One write for the run's bookkeeping, then at least one per level of the chain.
    assert!(w.backend.writes() >= 4, "{} writes", w.backend.writes());
    assert_eq!(w.state().await.resources.len(), 4);
}

#[tokio::test]
async fn deletes_run_in_reverse_dependency_order() {
    let w = World::default();
    let s = chain();
    w.converge(&s).await;
    w.cloud.clear_calls();
    let plan = w.plan(&s, Mode::Destroy).await.unwrap();
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(outcome.done, 4);
    let calls = w.cloud.calls();
    assert!(position(&calls, "delete c") < position(&calls, "delete b"));
    assert!(position(&calls, "delete b") < position(&calls, "delete a"));
}

#[tokio::test]
async fn a_replacement_deletes_the_old_one_first_and_its_dependants_follow() {
    let w = World::default();
    w.converge(&chain()).await;
    w.cloud.clear_calls();
    let mut s = chain();
    s.resources
        .insert("t.a".into(), resource::<false>("t.a", thing("t.a", "a2")));
    let (plan, outcome) = w.converge(&s).await;
    assert_eq!(
        plan.summary().destroy,
        3,
        "a, and b and c which refer to it"
    );
    assert!(outcome.failed.is_empty());
    let calls = w.cloud.calls();
    assert!(position(&calls, "delete a") < position(&calls, "create a2"));
    assert!(position(&calls, "delete b") < position(&calls, "delete a"));
    assert!(position(&calls, "create a2") < position(&calls, "create b"));
    assert!(!w.plan(&s, Mode::Normal).await.unwrap().has_changes());
}

#[tokio::test]
async fn an_update_gets_exactly_the_changed_attributes() {
    let w = World::default();
    w.converge(&chain()).await;
    w.cloud.clear_calls();
    let mut s = chain();
    s.resources.insert(
        "t.z".into(),
        resource::<false>(
            "t.z",
            FakeAttrs {
                size: 3.into(),
                items: E::lit(vec!["x".into()]),
                ..thing("t.z", "z")
            },
        ),
    );
    w.converge(&s).await;
    let updates: Vec<String> = w
        .cloud
        .calls()
        .into_iter()
        .filter(|c| !c.starts_with("read"))
        .collect();
    assert_eq!(updates, vec!["update z size,items".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn a_resource_still_being_created_is_waited_for_with_progress_events() {
    let w = World::default();
    w.cloud.faults(|f| f.pending_polls = 3);
    let s = stack(vec![resource::<false>("t.a", thing("t.a", "a"))]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    w.apply(&s, &plan, 10).await.unwrap();
    let events = w.events.events();
    let progress: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Progress {
                address, status, ..
            } if address.as_str() == "t.a" => Some(status),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 3, "{events:?}");
    assert!(progress.iter().all(|s| *s == "CREATING"));
    assert!(matches!(
        events.last(),
        Some(Event::ResourceDone { address, id: Some(_), .. }) if address.as_str() == "t.a"
    ));
    let state = w.state().await;
    assert_eq!(state.resources["t.a"].attributes["state"], "READY");
}

#[tokio::test]
async fn every_resource_is_started_and_done_and_notes_are_events() {
    let w = World::default();
    let s = stack(vec![resource::<false>(
        "t.a",
        FakeAttrs {
            labels: E::lit([("manual".to_string(), "grant it".to_string())].into()),
            ..thing("t.a", "a")
        },
    )]);
    w.converge(&s).await;
    let events = w.events.events();
    let at = |want: fn(&Event) -> bool| events.iter().position(want).expect("the event");
    let started =
        at(|e| matches!(e, Event::ResourceStarted { address, .. } if address.as_str() == "t.a"));
    let done =
        at(|e| matches!(e, Event::ResourceDone { address, .. } if address.as_str() == "t.a"));
    assert!(started < done, "{events:?}");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Note { message, .. } if message == "do by hand: grant it"
    )));
}

#[tokio::test]
async fn a_state_write_that_fails_stops_the_run_with_that_error() {
    let w = World::default();
    let s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    // Someone else writes the state after the plan (a forced unlock).
    let cp_store = w.store().await;
    w.backend.overwrite(&cp_store.state.to_bytes());
    let cp = std::sync::Arc::new(crate::apply::Checkpoints::new(cp_store));
    let err = crate::apply::run(&w.ctx(), &w.registry, &plan, &s, cp, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, crate::state::StateError::Stale { .. }),
        "the backend's own error, not re-wrapped: {err}"
    );
}

#[tokio::test]
async fn operations_that_wait_on_each_other_stop_the_run_before_anything_changes() {
    let w = World::default();
    let mut s = chain();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    // A cycle the stack builder would refuse, forced in.
    s.resources
        .get_mut("t.a")
        .unwrap()
        .depends_on
        .insert("t.c".into());
    let mut plan = plan;
    for c in &mut plan.changes {
        if c.address.as_str() == "t.a" {
            c.depends_on.push("t.c".into());
        }
    }
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(outcome.failed.len(), 1);
    assert!(
        outcome.failed[0].1.contains("wait on each other"),
        "{:?}",
        outcome.failed
    );
    assert!(w.cloud.calls().iter().all(|c| !c.starts_with("create")));
}
