//! Aurora specifics: the manual CDC-user route prints commands without any
//! secret, and parameter changes are `pending-reboot` until the writer
//! restarts, which apply does only with `reboot_for_parameters`.

mod common;

use common::emulator;
use common::envfile::EnvDir;
use serde_json::Value;

fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap()
}

#[tokio::test]
async fn manual_cdc_user_and_parameters_pending_reboot() {
    let e = EnvDir::dev();
    e.edit("data_api = true", "data_api = false");
    e.init();
    let (plan, _) = e.ok(&["plan", "--target", "aurora"]);
    assert!(
        plan.contains("the CDC user is not created by cdcstack (aurora.data_api = false)"),
        "{plan}"
    );
    let (_, err) = e.ok(&["apply", "--auto-approve", "--target", "aurora"]);
    // The exact commands, with the secret ARNs and the endpoint but no secret value.
    let (outputs, _) = e.ok(&["output", "--json"]);
    let outputs: Value = serde_json::from_str(&outputs).unwrap();
    for k in [
        "aurora_master_secret_arn",
        "aurora_cdc_secret_arn",
        "aurora_writer_endpoint",
    ] {
        assert!(
            err.contains(outputs[k].as_str().unwrap()),
            "{k} in the instructions:\n{err}"
        );
    }
    assert!(err.contains("GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'"), "{err}");
    // Pasteable into an interactive bash: the `rds!cluster-…` ARN is quoted
    // (history expansion), and no password goes on a command line.
    let master = outputs["aurora_master_secret_arn"].as_str().unwrap();
    assert!(err.contains(&format!("--secret-id '{master}'")), "{err}");
    assert!(err.contains("MYSQL_PWD=") && !err.contains(" -p"), "{err}");
    let sm = aws_sdk_secretsmanager::Client::new(&emulator().sdk_config().await);
    for k in ["aurora_master_secret_arn", "aurora_cdc_secret_arn"] {
        let v = sm
            .get_secret_value()
            .secret_id(outputs[k].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let pw: Value = serde_json::from_str(v.secret_string().unwrap()).unwrap();
        assert!(
            !err.contains(pw["password"].as_str().unwrap()),
            "no password printed"
        );
    }
    let cluster_arn = change(
        &serde_json::from_str(&e.ok(&["plan", "--json", "--target", "aurora"]).0).unwrap(),
        "aurora.cluster",
    )["change"]["before"]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let sql = emulator().control("GET", "rds-data/statements", None);
    assert!(
        sql.as_array()
            .unwrap()
            .iter()
            .all(|s| s["resourceArn"] != cluster_arn.as_str()),
        "nothing went through the Data API"
    );

    // A new parameter: applied pending-reboot, and the plan says so.
    e.edit(
        "backup_retention_days = 1",
        "backup_retention_days = 1\nparameters = { binlog_row_metadata = \"FULL\" }",
    );
    let (plan, _) = e.ok(&["plan", "--target", "aurora"]);
    assert!(
        plan.contains(
            "~ aurora.parameter_group (db_cluster_parameter_group) will be updated in place"
        ),
        "{plan}"
    );
    assert!(plan.contains("pending-reboot"), "{plan}");
    e.ok(&["apply", "--auto-approve", "--target", "aurora"]);
    let (code, plan, _) = e.run(&["plan", "--detailed-exitcode", "--target", "aurora"]);
    assert_eq!(code, 0, "only a note, no change: {plan}");
    assert!(plan.contains("pending-reboot: the parameter group's changes (binlog settings included) are not in effect"), "{plan}");

    // With reboot_for_parameters, apply reboots the writer.
    e.edit(
        "data_api = false",
        "data_api = false\nreboot_for_parameters = true",
    );
    let plan: Value =
        serde_json::from_str(&e.ok(&["plan", "--json", "--target", "aurora"]).0).unwrap();
    let c = change(&plan, "aurora.cluster");
    assert_eq!(c["change"]["actions"], serde_json::json!(["update"]), "{c}");
    assert_eq!(
        c["change"]["changed_attributes"],
        serde_json::json!(["parameters_digest"]),
        "{c}"
    );
    e.ok(&["apply", "--auto-approve", "--target", "aurora"]);
    let rds = aws_sdk_rds::Client::new(&emulator().sdk_config().await);
    let out = rds
        .describe_db_clusters()
        .db_cluster_identifier(format!("{}-dev-aurora", e.stack))
        .send()
        .await
        .unwrap();
    let members = out.db_clusters()[0].db_cluster_members();
    assert!(!members.is_empty());
    assert!(
        members
            .iter()
            .all(|m| m.db_cluster_parameter_group_status() == Some("in-sync")),
        "{members:?}"
    );
    let (code, plan, _) = e.run(&["plan", "--detailed-exitcode", "--target", "aurora"]);
    assert_eq!(code, 0, "{plan}");
    assert!(!plan.contains("pending-reboot"), "{plan}");
    // Deletion protection: a destroy that would delete the cluster is refused before anything is deleted.
    e.edit(
        "data_api = false",
        "data_api = false\ndeletion_protection = true",
    );
    e.ok(&["apply", "--auto-approve", "--target", "aurora"]);
    let before = e.ok(&["state", "list"]).0;
    let (code, out, err) = e.run(&["destroy", "--auto-approve"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("aurora.cluster")
            && err.contains("deletion protection")
            && err.contains("aurora.deletion_protection = false"),
        "{err}"
    );
    assert_eq!(e.ok(&["state", "list"]).0, before, "nothing was deleted");
    e.edit("deletion_protection = true", "deletion_protection = false");
    e.ok(&["apply", "--auto-approve", "--target", "aurora"]);
    e.ok(&["destroy", "--auto-approve"]);
}

#[tokio::test]
async fn a_secret_scheduled_for_deletion_is_restored_with_its_value() {
    let e = EnvDir::dev();
    e.init();
    let target = ["--target", "aurora.cdc_secret"];
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    let sm = aws_sdk_secretsmanager::Client::new(&emulator().sdk_config().await);
    let name = format!("{}-dev-aurora-cdc-user", e.stack);
    let value = |sm: aws_sdk_secretsmanager::Client, name: String| async move {
        sm.get_secret_value()
            .secret_id(name)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap()
            .to_string()
    };
    let before = value(sm.clone(), name.clone()).await;
    sm.delete_secret()
        .secret_id(&name)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();

    let (plan, _) = e.ok(&[&["plan"][..], &target[..]].concat());
    assert!(
        plan.contains("aurora.cdc_secret (secret) will be created again"),
        "{plan}"
    );
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    let d = sm.describe_secret().secret_id(&name).send().await.unwrap();
    assert!(d.deleted_date().is_none(), "restored");
    assert_eq!(
        value(sm.clone(), name.clone()).await,
        before,
        "the password in use is kept"
    );
    let (code, out, _) = e.run(&[&["plan", "--detailed-exitcode"][..], &target[..]].concat());
    assert_eq!(code, 0, "{out}");
}
