//! Failures, interrupts and crashes: the lock never stays behind after a
//! clean failure, an interrupted apply records what it started, a killed
//! apply converges on the next run without duplicates. These tests set the
//! emulator's faults, so they run one at a time in their own binary.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::emulator;
use common::envfile::EnvDir;
use serde_json::json;

/// Faults are global to the emulator: one test at a time.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    let g = EXCLUSIVE.lock().await;
    emulator().clear_faults();
    g
}

async fn lock_exists(e: &EnvDir) -> bool {
    let s3 = common::s3(&emulator().sdk_config().await);
    s3.head_object()
        .bucket(&e.bucket)
        .key(format!("{}.tflock", e.key))
        .send()
        .await
        .is_ok()
}

async fn state_serial(e: &EnvDir) -> u64 {
    let s3 = common::s3(&emulator().sdk_config().await);
    match s3.get_object().bucket(&e.bucket).key(&e.key).send().await {
        Ok(o) => {
            let b = o.body.collect().await.unwrap().into_bytes();
            serde_json::from_slice::<serde_json::Value>(&b).unwrap()["serial"]
                .as_u64()
                .unwrap()
        }
        Err(_) => 0,
    }
}

#[tokio::test]
async fn a_failed_command_releases_its_lock() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    emulator().add_fault_rules(json!({"kind": "error", "count": 1, "status": 403, "code": "UnauthorizedOperation",
        "message": "You are not authorized to perform this operation.", "service": "ec2", "operation": "DescribeVpcs"}));
    let (code, _, err) = e.run(&["plan", "--target", "network"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("UnauthorizedOperation") && err.contains("ec2:DescribeVpcs"),
        "{err}"
    );
    assert!(
        !lock_exists(&e).await,
        "the lock is released after a failure"
    );
}

#[tokio::test]
async fn a_failed_resource_stops_its_dependants_only() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    // Route tables cannot be created; everything that does not need them goes on.
    emulator().add_fault_rules(
        json!({"kind": "error", "count": 50, "status": 400, "code": "InvalidParameterValue",
        "message": "injected", "service": "ec2", "operation": "CreateRouteTable"}),
    );
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    emulator().clear_faults();
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("network.route_table.public") && err.contains("InvalidParameterValue"),
        "{err}"
    );
    assert!(!lock_exists(&e).await);
    let (_, listed, _) = e.run(&["state", "list"]);
    for a in [
        "network.vpc",
        "network.subnet.private[2]",
        "network.nat_gateway[0]",
        "network.bastion",
        "network.security_group.msk",
    ] {
        assert!(
            listed.lines().any(|l| l == a),
            "{a} succeeded and is recorded:\n{listed}"
        );
    }
    assert!(!listed.contains("network.route_table"), "{listed}");
    // The next apply finishes the job.
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 0);
}

#[tokio::test]
async fn an_interrupted_apply_records_its_work_and_releases_the_lock() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    // Slow EC2 calls keep the apply busy long enough to interrupt it.
    emulator().set_faults(json!({"latency": {"ms": 400, "service": "ec2"}}));
    let child = emulator()
        .cdcstack_command()
        .args(e.args(&["apply", "--auto-approve", "--target", "network"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while state_serial(&e).await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply never got going"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(lock_exists(&e).await);
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    emulator().clear_faults();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("interrupt"), "{err}");
    assert!(
        !err.contains("dependency failed"),
        "nothing failed; the rest was held back by the interrupt: {err}"
    );
    assert!(!lock_exists(&e).await, "the lock is released after Ctrl-C");
    let (_, listed, _) = e.run(&["state", "list"]);
    assert!(
        listed.contains("network.vpc"),
        "what was done is in state:\n{listed}"
    );
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{err}");
}

#[tokio::test]
async fn a_killed_apply_converges_without_duplicates() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    e.edit("nat_gateways = \"single\"", "nat_gateways = \"one_per_az\"");
    // Slow enough that the kill lands with creates in flight.
    emulator().set_faults(json!({"latency": {"ms": 300, "service": "ec2"}}));
    let mut child = emulator()
        .cdcstack_command()
        .args(e.args(&["apply", "--auto-approve", "--target", "network"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while state_serial(&e).await < 8 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply never got going"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    emulator().clear_faults();
    // Requests already sent are still carried out (after the injected
    // latency), as AWS carries out what it received from a client that died.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The lock stays (the process had no chance): the error says its holder is gone.
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no longer exists") && err.contains("force-unlock"),
        "{err}"
    );
    assert!(
        !err.contains("Wait for it to finish"),
        "a dead holder is not worth waiting for: {err}"
    );
    let id = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID:"))
        .unwrap()
        .trim()
        .to_string();
    let (code, _, err) = e.run(&["force-unlock", "--force", &id]);
    assert_eq!(code, 0, "{err}");

    let (code, out3, err3) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{err3}");
    let (code, out, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    let igw_calls: Vec<String> = emulator()
        .requests()
        .iter()
        .filter(|r| {
            r["operation"]
                .as_str()
                .is_some_and(|o| o.contains("InternetGateway"))
        })
        .map(|r| format!("{} {} {}", r["seq"], r["operation"], r["status"]))
        .collect();
    assert_eq!(
        code, 0,
        "{out}\n--- the apply after the kill:\n{out3}\n{err3}\n--- IGW calls: {igw_calls:?}"
    );

    let ec2 = aws_sdk_ec2::Client::new(&emulator().sdk_config().await);
    let vpcs = ec2
        .describe_vpcs()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "one VPC");
    let nats = ec2
        .describe_nat_gateways()
        .set_filter(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let live: Vec<_> = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
        .collect();
    assert_eq!(live.len(), 3, "one NAT per AZ, no duplicate: {live:?}");
    let eips = ec2
        .describe_addresses()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert_eq!(eips.addresses().len(), 3, "one EIP per NAT");
    let subnets = ec2
        .describe_subnets()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 9);
}

#[tokio::test]
async fn throttling_and_5xx_are_retried() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    emulator().set_faults(json!({"seed": 7, "throttle": {"rate": 0.3, "service": "ec2"}, "error": {"rate": 0.1, "status": 503, "service": ["ec2", "s3"]}}));
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    emulator().clear_faults();
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 0);
}

#[tokio::test]
async fn a_saved_plan_is_refused_once_the_state_moved_on() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    let plan = e.dir.join("net.plan");
    let (code, _, err) = e.run(&[
        "plan",
        "--target",
        "network.vpc",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = e.run(&["apply", plan.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Applied once: the state's serial moved on, so the same plan is stale.
    let (code, _, err) = e.run(&["apply", plan.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("stale"), "{err}");
    // Editing the env file after planning is refused too.
    let (code, _, _) = e.run(&[
        "plan",
        "--target",
        "network.vpc",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    e.edit("Owners = \"data-platform\"", "Owners = \"someone-else\"");
    let (code, _, err) = e.run(&["apply", plan.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("changed since the plan was made"), "{err}");
}

#[tokio::test]
async fn a_plan_reads_in_batches() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{err}");
    let since = emulator().last_seq();
    let (code, _, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 0);
    let calls: Vec<_> = emulator()
        .requests()
        .into_iter()
        .filter(|r| r["seq"].as_u64() > Some(since))
        .collect();
    let (_, listed, _) = e.run(&["state", "list"]);
    let resources = listed.lines().count();
    let ops: Vec<String> = calls
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["service"].as_str().unwrap(),
                c["operation"].as_str().unwrap()
            )
        })
        .collect();
    // One describe per kind (plus the VPC's two DNS attributes), STS, and the
    // lock, state read and unlock: far fewer calls than resources.
    assert!(
        calls.len() <= 15,
        "{} calls for {resources} resources: {ops:?}",
        calls.len()
    );
    assert!(resources >= 20);
    assert_eq!(
        ops.iter()
            .filter(|o| o.as_str() == "ec2:DescribeSubnets")
            .count(),
        1,
        "{ops:?}"
    );
    let s3: Vec<_> = ops.iter().filter(|o| o.starts_with("s3:")).collect();
    assert_eq!(
        s3,
        ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
        "lock, read, unlock"
    );
    eprintln!(
        "plan of the network tier: {} API calls for {resources} resources: {ops:?}",
        calls.len()
    );
}

#[tokio::test]
async fn an_apply_whose_stderr_went_away_still_finishes_and_releases_the_lock() {
    let _g = exclusive().await;
    let e = EnvDir::dev();
    e.init();
    // As `cdcstack apply … 2>&1 | tee log` after a Ctrl-C that took tee down.
    emulator().set_faults(json!({"latency": {"ms": 300, "service": "ec2"}}));
    let mut child = emulator()
        .cdcstack_command()
        .args(e.args(&["apply", "--auto-approve", "--target", "network"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let start = Instant::now();
    while state_serial(&e).await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply never got going"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    emulator().clear_faults();
    assert_eq!(status.code(), Some(1), "interrupted, not a panic (101)");
    assert!(!lock_exists(&e).await, "the lock is released");
    let (code, _, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{err}");
}
