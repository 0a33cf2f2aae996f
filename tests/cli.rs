//! The command line without AWS: what a mistake in the invocation or the
//! environment is told, and that output it cannot write is no reason to die.

use std::path::Path;
use std::process::{Command, Stdio};

fn cdcstack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdcstack"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap_or(-1), err)
}

#[test]
fn a_closed_stderr_is_not_a_crash() {
    let mut child = cdcstack()
        .args(["validate", "--env", "dev"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reading end goes away before cdcstack writes its status line.
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "exit 101 would be a panic");
}

#[test]
fn an_unusable_endpoint_override_is_named_not_panicked_on() {
    for (value, why) in [
        ("", "it is empty"),
        ("localhost:4566", "http:// or https://"),
    ] {
        let (code, err) = run(cdcstack()
            .args(["plan", "--env", "dev"])
            .env("AWS_ENDPOINT_URL", value));
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!(
                "error: AWS_ENDPOINT_URL={value:?} is not an endpoint URL"
            )) && err.contains(why),
            "{err}"
        );
        assert!(
            err.contains("\nhint: set AWS_ENDPOINT_URL to a URL"),
            "{err}"
        );
        assert!(!err.contains("Request {"), "no debug dump: {err}");
    }
    let (code, err) = run(cdcstack()
        .args(["plan", "--env", "dev"])
        .env("AWS_ENDPOINT_URL_STS", "sts.local"));
    assert_eq!(code, 1);
    assert!(err.contains("AWS_ENDPOINT_URL_STS=\"sts.local\""), "{err}");
}

#[test]
fn a_file_name_given_for_an_environment_gets_a_hint() {
    let (code, err) = run(cdcstack().args(["validate", "--env", "dev.toml"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("error: --env `dev.toml` must be an environment name"),
        "{err}"
    );
    assert!(err.contains("\nhint: use `--env dev`"), "{err}");
    let (code, err) = run(cdcstack().args(["validate", "--env", "env/dev.toml"]));
    assert_eq!(code, 1);
    assert!(err.contains("hint: use `--env-dir env --env dev`"), "{err}");
}

#[test]
fn a_setting_that_cannot_be_used_is_named() {
    let (code, err) = run(cdcstack()
        .args(["validate", "--env", "dev"])
        .env("CDCSTACK_POLL_MIN", "fast"));
    assert_eq!(code, 1);
    assert!(
        err.contains("error: CDCSTACK_POLL_MIN=\"fast\" is not a duration"),
        "{err}"
    );
    assert!(
        err.contains("hint: set CDCSTACK_POLL_MIN to a duration such as `500ms`"),
        "{err}"
    );
}

#[test]
fn a_target_that_matches_nothing_points_at_graph() {
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins");
    assert!(plugin.exists());
    // Checked before any AWS call: an endpoint nobody listens on is never reached.
    let (code, err) = run(cdcstack()
        .args(["plan", "--env", "dev", "--target", "nothing.here"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x"));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error: --target `nothing.here` matches no resource"),
        "{err}"
    );
    assert!(
        err.contains("hint: `cdcstack graph` lists the addresses"),
        "{err}"
    );
}
