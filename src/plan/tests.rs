//! Plans against the fake cloud: every action and reason, refusals, notes.

use crate::engine::fake::{self, FakeAttrs, World, known, resource, stack, thing};
use crate::model::{E, id_of};
use crate::plan::{Action, Mode, Plan, PlanError, Reason};
use crate::stack::Stack;

fn change<'a>(plan: &'a Plan, address: &str) -> &'a crate::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.address.as_str() == address)
        .unwrap_or_else(|| panic!("no change for {address}: {plan:#?}"))
}

/// `a` and `b`, where `b`'s parent is `a`'s id.
fn pair() -> Stack {
    stack(vec![
        resource::<false>("t.a", thing("t.a", "a")),
        resource::<false>(
            "t.b",
            FakeAttrs {
                parent: E::some(id_of("t.a")),
                ..thing("t.b", "b")
            },
        ),
    ])
}

#[tokio::test]
async fn nothing_exists_so_everything_is_created_and_references_are_known_after_apply() {
    let w = World::default();
    let plan = w.plan(&pair(), Mode::Normal).await.unwrap();
    assert_eq!(change(&plan, "t.a").action, Action::Create);
    let b = change(&plan, "t.b");
    assert_eq!(b.action, Action::Create);
    assert_eq!(b.unknown, vec!["parent".to_string()]);
    assert!(b.depends_on.iter().any(|d| d.as_str() == "t.a"));
    assert_eq!(plan.summary().add, 2);
    assert!(plan.has_changes());
}

#[tokio::test]
async fn right_after_an_apply_there_is_nothing_to_do() {
    let w = World::default();
    let s = pair();
    let (_, outcome) = w.converge(&s).await;
    assert_eq!(outcome.done, 2);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    assert!(!plan.has_changes(), "{plan:#?}");
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
}

#[tokio::test]
async fn a_change_that_can_be_made_in_place_is_an_update() {
    let w = World::default();
    w.converge(&pair()).await;
    let s = stack(vec![
        resource::<false>(
            "t.a",
            FakeAttrs {
                size: 5.into(),
                ..thing("t.a", "a")
            },
        ),
        pair().resources["t.b"].clone(),
    ]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!(a.action, Action::Update);
    assert_eq!(a.changed, vec!["size".to_string()]);
    assert!(a.replace_paths.is_empty());
    assert_eq!(a.notes, vec!["size 1 → 5".to_string()], "the driver's note");
    assert_eq!(change(&plan, "t.b").action, Action::NoOp, "its id stays");
}

#[tokio::test]
async fn a_change_that_cannot_be_made_in_place_replaces_it_and_what_refers_to_it() {
    let w = World::default();
    w.converge(&pair()).await;
    let s = stack(vec![
        resource::<false>("t.a", thing("t.a", "a2")),
        pair().resources["t.b"].clone(),
    ]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!(a.action, Action::Replace);
    assert_eq!(a.reason, Some(Reason::ReplaceBecauseCannotUpdate));
    assert_eq!(a.replace_paths, vec!["name".to_string()]);
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("data loss") && n.contains("its data")),
        "{:?}",
        a.notes
    );
    let b = change(&plan, "t.b");
    assert_eq!(
        b.action,
        Action::Replace,
        "its parent's id is unknown again"
    );
    assert_eq!(b.replace_paths, vec!["parent".to_string()]);
    let sum = plan.summary();
    assert_eq!((sum.add, sum.change, sum.destroy), (2, 0, 2));
}

#[tokio::test]
async fn a_value_dependent_rule_decides_between_update_and_replacement() {
    let w = World::default();
    let big = stack(vec![resource::<false>(
        "t.a",
        FakeAttrs {
            size: 5.into(),
            ..thing("t.a", "a")
        },
    )]);
    w.converge(&big).await;
    let small = stack(vec![resource::<false>("t.a", thing("t.a", "a"))]);
    let plan = w.plan(&small, Mode::Normal).await.unwrap();
    assert_eq!(
        change(&plan, "t.a").action,
        Action::Replace,
        "size only grows"
    );
    assert_eq!(change(&plan, "t.a").replace_paths, vec!["size".to_string()]);
}

#[tokio::test]
async fn sets_compare_without_order() {
    let w = World::default();
    let s = |items: Vec<&str>| {
        stack(vec![resource::<false>(
            "t.a",
            FakeAttrs {
                items: E::lit(items.into_iter().map(String::from).collect()),
                ..thing("t.a", "a")
            },
        )])
    };
    w.converge(&s(vec!["x", "y"])).await;
    let plan = w.plan(&s(vec!["y", "x"]), Mode::Normal).await.unwrap();
    assert!(!plan.has_changes(), "{plan:#?}");
    let plan = w.plan(&s(vec!["y", "z"]), Mode::Normal).await.unwrap();
    assert_eq!(change(&plan, "t.a").action, Action::Update);
}

#[tokio::test]
async fn what_is_no_longer_in_the_file_is_deleted() {
    let w = World::default();
    w.converge(&pair()).await;
    let s = stack(vec![resource::<false>("t.a", thing("t.a", "a"))]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let b = change(&plan, "t.b");
    assert_eq!(
        (b.action, b.reason),
        (Action::Delete, Some(Reason::NotInConfig))
    );
    assert!(b.prior_depends_on.iter().any(|d| d.as_str() == "t.a"));
}

#[tokio::test]
async fn an_object_found_by_its_tags_but_not_in_state_is_adopted() {
    let w = World::default();
    w.cloud.put("fake", known("t.a", "a"), "READY");
    let s = stack(vec![resource::<false>("t.a", thing("t.a", "a"))]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!((a.action, a.reason), (Action::NoOp, Some(Reason::Adopt)));
    assert!(a.adopt);
    assert!(plan.has_changes(), "adopting writes the state");
    w.apply(&s, &plan, 10).await.unwrap();
    assert!(w.state().await.resources.contains_key("t.a"));
    assert!(w.cloud.calls().iter().all(|c| !c.starts_with("create")));
}

#[tokio::test]
async fn what_was_deleted_outside_is_created_again() {
    let w = World::default();
    w.converge(&pair()).await;
    w.cloud.remove(&w.cloud.id_of("a").unwrap());
    let plan = w.plan(&pair(), Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!(
        (a.action, a.reason),
        (Action::Create, Some(Reason::DeletedOutside))
    );
}

#[tokio::test]
async fn an_object_with_our_tags_at_no_known_address_is_a_stray() {
    let w = World::default();
    w.cloud.put("fake", known("t.crashed", "x"), "READY");
    let plan = w.plan(&pair(), Mode::Normal).await.unwrap();
    let x = change(&plan, "t.crashed");
    assert_eq!((x.action, x.reason), (Action::Delete, Some(Reason::Stray)));
    assert_eq!(x.kind, "fake", "the kind whose read found it");
    // Someone else's objects are never touched.
    let mut other = known("t.other", "o");
    other.tags.insert("cdcstack:env".into(), "prod".into());
    w.cloud.put("fake", other, "READY");
    let plan = w.plan(&pair(), Mode::Normal).await.unwrap();
    assert!(plan.changes.iter().all(|c| c.address.as_str() != "t.other"));
}

#[tokio::test]
async fn strays_outside_the_targets_are_left_alone() {
    let w = World::default();
    w.cloud.put("fake", known("u.crashed", "x"), "READY");
    let mut s = pair();
    s.retain_targets(&["t.a".into()]).unwrap();
    let plan = w
        .plan_targets(&s, Mode::Normal, &["t.a".into()])
        .await
        .unwrap();
    assert!(
        plan.changes
            .iter()
            .all(|c| c.address.as_str() != "u.crashed")
    );
    let plan = w
        .plan_targets(&s, Mode::Normal, &["u".into()])
        .await
        .unwrap();
    assert_eq!(change(&plan, "u.crashed").reason, Some(Reason::Stray));
}

#[tokio::test]
async fn an_object_aws_is_still_creating_is_waited_for() {
    let w = World::default();
    let id = w.cloud.put("fake", known("t.a", "a"), "CREATING");
    w.cloud.edit(&id, |o| o.polls_left = 2);
    let s = stack(vec![resource::<false>("t.a", thing("t.a", "a"))]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert!(a.wait && a.adopt, "{a:#?}");
    let outcome = w.apply(&s, &plan, 10).await.unwrap();
    assert_eq!(outcome.done, 1);
    assert_eq!(w.cloud.objects()[&id].state, "READY");
}

#[tokio::test]
async fn a_broken_object_is_replaced_with_the_reason() {
    let w = World::default();
    w.converge(&pair()).await;
    w.cloud
        .edit(&w.cloud.id_of("a").unwrap(), |o| o.state = "FAILED".into());
    let plan = w.plan(&pair(), Mode::Normal).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!(
        (a.action, a.reason),
        (Action::Replace, Some(Reason::Broken))
    );
    assert!(
        a.notes.iter().any(|n| n.contains("it FAILED")),
        "{:?}",
        a.notes
    );
}

#[tokio::test]
async fn destroy_deletes_what_state_and_tags_know() {
    let w = World::default();
    w.converge(&pair()).await;
    w.cloud.put("fake", known("t.orphan", "o"), "READY");
    let plan = w.plan(&pair(), Mode::Destroy).await.unwrap();
    let deleted: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    assert!(
        plan.changes
            .iter()
            .filter(|c| c.address.as_str() != "t.orphan")
            .all(|c| c.reason == Some(Reason::Destroy))
    );
    w.apply(&pair(), &plan, 10).await.unwrap();
    assert!(w.cloud.objects().is_empty());
    assert!(w.state().await.resources.is_empty());
}

#[tokio::test]
async fn a_protected_object_stops_a_plan_that_would_delete_it() {
    let w = World::default();
    w.converge(&pair()).await;
    w.cloud.faults(|f| {
        f.protected.insert("a".into());
    });
    match w.plan(&pair(), Mode::Destroy).await {
        Err(PlanError::Protected(lines)) => {
            assert!(
                lines.iter().any(|l| l.contains("t.a: a is protected")),
                "{lines:?}"
            );
        }
        other => panic!("expected a refusal: {other:?}"),
    }
    // Changing it in place is fine.
    assert!(w.plan(&pair(), Mode::Normal).await.is_ok());
}

#[tokio::test]
async fn refresh_only_reports_drift_and_proposes_nothing() {
    let w = World::default();
    w.converge(&pair()).await;
    w.cloud
        .edit(&w.cloud.id_of("a").unwrap(), |o| o.attrs.size = 9);
    let plan = w.plan(&pair(), Mode::RefreshOnly).await.unwrap();
    let a = change(&plan, "t.a");
    assert_eq!((a.action, a.reason), (Action::NoOp, Some(Reason::Drift)));
    assert_eq!(a.changed, vec!["size".to_string()]);
    assert_eq!(a.after.as_ref().unwrap()["size"], 9, "after is what exists");
    assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
    // Applying it records what exists, and changes nothing in the cloud.
    w.apply(&pair(), &plan, 10).await.unwrap();
    assert_eq!(w.state().await.resources["t.a"].attributes["size"], 9);
    assert!(w.cloud.calls().iter().all(|c| !c.starts_with("update")));
}

#[tokio::test]
async fn a_state_of_another_account_environment_or_region_is_refused() {
    for (field, expect) in [
        ("account", "account"),
        ("env", "environment"),
        ("region", "region"),
    ] {
        let w = World::default();
        w.converge(&pair()).await;
        let mut store = w.store().await;
        match field {
            "account" => store.state.account_id = Some("999".into()),
            "env" => store.state.environment = Some("prod".into()),
            _ => store.state.region = Some("eu-west-1".into()),
        }
        store.persist().await.unwrap();
        let err = w.plan(&pair(), Mode::Normal).await.unwrap_err();
        let ok = matches!(
            (&err, field),
            (PlanError::WrongAccount { .. }, "account")
                | (PlanError::WrongEnvironment { .. }, "env")
                | (PlanError::WrongRegion { .. }, "region")
        );
        assert!(ok, "{field}: {err}");
        assert!(err.to_string().contains(expect), "{err}");
    }
}

#[tokio::test]
async fn a_resource_bound_to_one_that_is_replaced_is_refused_up_front() {
    let w = World::default();
    let s = |name: &str| {
        stack(vec![
            resource::<false>("t.net", thing("t.net", name)),
            crate::stack::Resource::new::<fake::Fake<true>>(
                "t.db".into(),
                &thing("t.db", "db"),
                &["t.net"],
            ),
        ])
    };
    w.converge(&s("net")).await;
    match w.plan(&s("net2"), Mode::Normal).await {
        Err(PlanError::Unbuildable(lines)) => assert!(
            lines
                .iter()
                .any(|l| l.contains("t.db: t.net is replaced (name changes)")),
            "{lines:?}"
        ),
        other => panic!("expected a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_preflight_problem_stops_the_plan_before_anything_is_built() {
    let w = World::default();
    w.cloud.faults(|f| {
        f.preflight_refused.insert("b".into());
    });
    match w.plan(&pair(), Mode::Normal).await {
        Err(PlanError::Unbuildable(lines)) => {
            assert_eq!(lines, vec!["  t.b: b cannot be built".to_string()]);
        }
        other => panic!("expected a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_map_with_one_unknown_entry_keeps_its_known_ones() {
    let w = World::default();
    let s = stack(vec![
        resource::<false>("t.a", thing("t.a", "a")),
        resource::<false>(
            "t.b",
            FakeAttrs {
                labels: E::map([("fixed", "1".into()), ("from_a", id_of("t.a"))]),
                ..thing("t.b", "b")
            },
        ),
    ]);
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    let b = change(&plan, "t.b");
    let partial = &b.partial["labels"];
    assert_eq!(partial.known["fixed"], "1");
    assert_eq!(partial.unknown, vec!["from_a".to_string()]);
}

#[tokio::test]
async fn a_plan_reads_each_kind_once_however_many_resources_it_has() {
    let w = World::default();
    let s = stack(
        (0..12)
            .map(|i| {
                let a = format!("t.r[{i}]");
                resource::<false>(&a, thing(&a, &format!("r{i}")))
            })
            .collect(),
    );
    w.converge(&s).await;
    w.cloud.clear_calls();
    let plan = w.plan(&s, Mode::Normal).await.unwrap();
    assert!(!plan.has_changes());
    assert_eq!(w.cloud.calls(), vec!["read fake".to_string()]);
}

#[tokio::test]
async fn reading_what_exists_is_reported_kind_by_kind() {
    use crate::engine::Event;
    let w = World::default();
    let s = stack(vec![
        resource::<false>("t.a", thing("t.a", "a")),
        crate::stack::Resource::new::<fake::Fake<true>>("t.db".into(), &thing("t.db", "db"), &[]),
    ]);
    w.plan(&s, Mode::Normal).await.unwrap();
    let events = w.events.events();
    assert_eq!(events.first(), Some(&Event::RefreshStarted { kinds: 2 }));
    let reads: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::KindRead { done, total: 2, .. } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(reads, vec![1, 2]);
    assert_eq!(events.last(), Some(&Event::RefreshDone));
}
