//! State and lock in S3 against the emulator: one lock holder among many,
//! conditional writes, force-unlock, corrupted state, `init`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cdcstack::testing::{
    self as state, Backend, Location, Operation, S3Backend, StateError, Store,
};
use common::envfile::EnvDir;
use common::{emulator, s3};

async fn backend(e: &EnvDir) -> (Arc<S3Backend>, aws_sdk_s3::Client) {
    let sdk = emulator().sdk_config().await;
    let client = s3(&sdk);
    match client.create_bucket().bucket(&e.bucket).send().await {
        Ok(_) => {}
        Err(err) => {
            let msg = format!("{err:?}");
            assert!(msg.contains("BucketAlreadyOwnedByYou"), "{msg}");
        }
    }
    let at = Location {
        bucket: &e.bucket,
        key: &e.key,
        env: "dev",
    };
    (
        Arc::new(S3Backend::new(client.clone(), at, true, None)),
        client,
    )
}

async fn lock_body(s3: &aws_sdk_s3::Client, e: &EnvDir) -> Option<(String, String)> {
    let out = s3
        .get_object()
        .bucket(&e.bucket)
        .key(format!("{}.tflock", e.key))
        .send()
        .await
        .ok()?;
    let etag = out.e_tag().unwrap_or_default().to_string();
    let body = out.body.collect().await.unwrap().into_bytes();
    Some((String::from_utf8(body.to_vec()).unwrap(), etag))
}

#[tokio::test]
async fn twenty_concurrent_lockers_one_winner() {
    let e = EnvDir::dev();
    let (b, _) = backend(&e).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO).await
        }));
    }
    let mut winners = Vec::new();
    let mut holders = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(token) => winners.push(token),
            Err(StateError::Locked { info, .. }) => holders.push(info.id.clone()),
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one holder");
    assert_eq!(holders.len(), 19);
    let id = &winners[0].info.id;
    assert!(
        holders.iter().all(|h| h == id),
        "every loser names the holder {id}: {holders:?}"
    );
    assert_eq!(state::release(b.as_ref(), &winners[0]).await.unwrap(), None);
    assert!(b.read_lock().await.unwrap().is_none());
}

#[tokio::test]
async fn a_stale_write_is_refused_and_the_state_unchanged() {
    let e = EnvDir::dev();
    let (b, s3c) = backend(&e).await;
    let mut first = Store::load(b.clone()).await.unwrap();
    first.persist().await.unwrap();
    // Two writers read the same version; the second write must fail.
    let mut a = Store::load(b.clone()).await.unwrap();
    let mut c = Store::load(b.clone()).await.unwrap();
    a.state.outputs.insert("who".into(), "a".into());
    a.persist().await.unwrap();
    c.state.outputs.insert("who".into(), "c".into());
    let err = c.persist().await.unwrap_err();
    assert!(matches!(err, StateError::Stale { .. }), "{err}");
    let now = Store::load(b.clone()).await.unwrap();
    assert_eq!(now.state.serial, 2);
    assert_eq!(now.state.outputs["who"], "a");
    assert_eq!(
        now.state.lineage, first.state.lineage,
        "lineage is set once"
    );
    let obj = s3c
        .get_object()
        .bucket(&e.bucket)
        .key(&e.key)
        .send()
        .await
        .unwrap();
    let body = obj.body.collect().await.unwrap().into_bytes();
    assert!(String::from_utf8_lossy(&body).contains("\"who\": \"a\""));
}

#[tokio::test]
async fn a_held_lock_names_its_holder_and_force_unlock_needs_the_right_id() {
    let e = EnvDir::dev();
    let (b, s3c) = backend(&e).await;
    let token = state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
        .await
        .unwrap();
    let id = token.info.id.clone();

    let out = emulator()
        .cdcstack()
        .args(e.args(&["plan"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for want in [
        id.as_str(),
        "OperationTypeApply",
        "Who:",
        "force-unlock --env dev",
        "ago",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }

    let before = lock_body(&s3c, &e).await.unwrap();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["force-unlock", "--force", "not-the-id"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&id) && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(
        lock_body(&s3c, &e).await.unwrap(),
        before,
        "a wrong ID changes nothing"
    );

    let out = emulator()
        .cdcstack()
        .args(e.args(&["force-unlock", "--force", &id]))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lock_body(&s3c, &e).await.is_none(), "the lock is gone");
    // The old holder's conditional delete no longer matches anything.
    assert!(state::release(b.as_ref(), &token).await.unwrap().is_some());
}

#[tokio::test]
async fn waiting_for_a_lock_succeeds_once_it_is_released() {
    let e = EnvDir::dev();
    let (b, _) = backend(&e).await;
    let token = state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
        .await
        .unwrap();
    let releaser = {
        let b = b.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            state::release(b.as_ref(), &token).await.unwrap();
        })
    };
    // A plan that reads little, waiting up to 30 s for the lock.
    let args = e.args(&["plan", "--lock-timeout", "30s", "--target", "network.vpc"]);
    let out =
        tokio::task::spawn_blocking(move || emulator().cdcstack().args(args).output().unwrap())
            .await
            .unwrap();
    releaser.await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn ctrl_c_while_waiting_for_a_lock_stops_at_once() {
    let e = EnvDir::dev();
    let (b, s3c) = backend(&e).await;
    let token = state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
        .await
        .unwrap();
    let mut child = emulator()
        .cdcstack_command()
        .args(e.args(&["apply", "--auto-approve", "--lock-timeout", "10m"]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it reach the lock and start waiting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(child.try_wait().unwrap().is_none(), "it waits for the lock");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    // Without the fix it would sit out the whole 10-minute lock timeout; a
    // generous bound far below that tells the two apart on a slow machine.
    let waited = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await;
    let out = waited
        .expect("one Ctrl-C stops the wait for a lock, not the lock timeout")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "one Ctrl-C is enough: {err}");
    assert!(err.contains("interrupt"), "{err}");
    let (held, _) = lock_body(&s3c, &e)
        .await
        .expect("the other holder keeps its lock");
    assert!(held.contains(&token.info.id), "{held}");
    state::release(b.as_ref(), &token).await.unwrap();
}

#[tokio::test]
async fn a_corrupted_state_is_refused_and_left_alone() {
    let e = EnvDir::dev();
    let (b, s3c) = backend(&e).await;
    s3c.put_object()
        .bucket(&e.bucket)
        .key(&e.key)
        .body(b"{\"format_version\": 1, oops".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["plan"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot be used") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("list-object-versions"),
        "says how to recover: {stderr}"
    );
    let obj = s3c
        .get_object()
        .bucket(&e.bucket)
        .key(&e.key)
        .send()
        .await
        .unwrap();
    let body = obj.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"{\"format_version\": 1, oops", "untouched");
    assert!(
        b.read_lock().await.unwrap().is_none(),
        "the lock was released after the failure"
    );

    // A state from a newer cdcstack is refused too.
    s3c.put_object()
        .bucket(&e.bucket)
        .key(&e.key)
        .body(b"{\"format_version\": 7}".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["plan"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("newer"), "{stderr}");
}

#[tokio::test]
async fn init_creates_a_safe_bucket_once() {
    let e = EnvDir::dev();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["init"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Created"), "{stderr}");
    let out = emulator()
        .cdcstack()
        .args(e.args(&["init"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("no changes"),
        "second run changes nothing: {stderr}"
    );

    let sdk = emulator().sdk_config().await;
    let s3c = s3(&sdk);
    let v = s3c
        .get_bucket_versioning()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
    let enc = s3c
        .get_bucket_encryption()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let pab = s3c
        .get_public_access_block()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    let c = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let policy = s3c
        .get_bucket_policy()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    assert!(policy.policy().unwrap().contains("aws:SecureTransport"));

    // Versioning turned off behind our back: reported, fixed only when asked.
    s3c.put_bucket_versioning()
        .bucket(&e.bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["init"]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("versioning") && stderr.contains("--fix"),
        "{stderr}"
    );
    let v = s3c
        .get_bucket_versioning()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        v.status().map(|s| s.as_str()),
        Some("Suspended"),
        "not fixed without --fix"
    );
    let out = emulator()
        .cdcstack()
        .args(e.args(&["init", "--fix"]))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = s3c
        .get_bucket_versioning()
        .bucket(&e.bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
}

#[tokio::test]
async fn the_state_can_be_listed_shown_and_pulled() {
    let e = EnvDir::dev();
    let (b, _) = backend(&e).await;
    let mut s = Store::load(b.clone()).await.unwrap();
    s.state.resources.insert(
        "network.vpc".into(),
        cdcstack::testing::ResourceState {
            kind: "vpc".into(),
            id: "vpc-123".into(),
            attributes: serde_json::json!({"cidr_block": "10.20.0.0/16"})
                .as_object()
                .unwrap()
                .clone(),
            depends_on: vec![],
        },
    );
    s.persist().await.unwrap();
    let out = emulator()
        .cdcstack()
        .args(e.args(&["state", "list"]))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "network.vpc\n");
    let out = emulator()
        .cdcstack()
        .args(e.args(&["state", "show", "network.vpc"]))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("vpc-123") && stdout.contains("10.20.0.0/16"),
        "{stdout}"
    );
    let out = emulator()
        .cdcstack()
        .args(e.args(&["state", "pull"]))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["serial"], 1);
    assert_eq!(v["format_version"], 1);
    let out = emulator()
        .cdcstack()
        .args(e.args(&["state", "show", "network.nope"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn a_backend_key_copied_from_another_environment_is_refused() {
    let e = EnvDir::dev();
    e.init();
    e.ok(&["apply", "--auto-approve", "--target", "network.vpc"]);
    let (_, s3c) = backend(&e).await;
    let read = || async {
        let o = s3c
            .get_object()
            .bucket(&e.bucket)
            .key(&e.key)
            .send()
            .await
            .unwrap();
        o.body.collect().await.unwrap().into_bytes()
    };
    let before = read().await;
    let state: serde_json::Value = serde_json::from_slice(&before).unwrap();
    assert_eq!(state["environment"], "dev", "{state}");
    assert_eq!(state["stack"], e.stack.as_str(), "{state}");

    // uat.toml is dev.toml copied, backend.key included.
    std::fs::write(e.dir.join("uat.toml"), e.text()).unwrap();
    for cmd in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
    ] {
        let mut args = vec!["--env-dir".to_string(), e.dir.display().to_string()];
        args.extend(cmd.iter().map(|s| s.to_string()));
        args.extend(["--env".to_string(), "uat".to_string()]);
        let out = emulator().cdcstack().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains("belongs to environment `dev`") && err.contains("backend.key"),
            "{cmd:?}: {err}"
        );
    }
    assert_eq!(read().await, before, "dev's state is untouched");
    assert!(lock_body(&s3c, &e).await.is_none(), "no lock left behind");

    // stack.region edited: cdcstack cannot move a VPC, and must not lose it.
    let dev = e.text();
    e.write(
        &dev.replace("us-east-1", "us-west-2")
            .replace("[backend]\n", "[backend]\nregion = \"us-east-1\"\n"),
    );
    let (code, _, err) = e.run(&["plan"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("live in us-east-1, but stack.region is now us-west-2"),
        "{err}"
    );
    assert_eq!(read().await, before, "the state is untouched");
    e.write(&dev);
    e.ok(&["destroy", "--auto-approve"]);
}
