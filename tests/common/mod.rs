//! Shared fixture of the integration tests: one AWS emulator
//! (`tests/emulator/run`) per test binary, and helpers around it.
//!
//! Every test binary that says `mod common;` gets, on the first call to
//! [`emulator()`], its own emulator process on a free port.  The child's stdin
//! is a pipe held for the life of the test binary and the emulator runs with
//! `--exit-on-stdin-eof`, so it exits when the test binary does, however that
//! ends (success, panic, Ctrl-C, SIGKILL).
//!
//! Tests of one binary run in parallel against that one emulator: each test
//! names its resources with [`unique()`], and treats the control knobs
//! (faults, time scale, request log) as shared: prefer fault rules scoped to
//! an operation no other test calls, and request-log queries filtered by
//! operation.
//!
//! Environment:
//! * `CDCSTACK_TEST_TIME_SCALE`: the emulator's `--time-scale` (default
//!   [`DEFAULT_TIME_SCALE`]: MSK cluster creation, the slowest transition,
//!   takes about one second).
//! * `CDCSTACK_TEST_EMULATOR_URL`: use an emulator that is already running
//!   instead of starting one (debugging; its knobs and its time scale are then
//!   the running one's).

#![allow(dead_code)]

pub mod envfile;

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use serde_json::Value;

/// Real AWS seconds of the slowest emulated transition (`msk.cluster.create`).
const SLOWEST_TRANSITION_S: f64 = 1800.0;

/// Default `--time-scale`: the slowest transition takes about 1 s.
pub const DEFAULT_TIME_SCALE: f64 = 1.0 / SLOWEST_TRANSITION_S;

/// How long the first start may take (it may create the Python venv: ~30 s).
const READY_TIMEOUT: Duration = Duration::from_secs(180);

/// The account every emulated resource belongs to.
pub const ACCOUNT_ID: &str = "123456789012";

/// The region the fixture's SDK configuration uses.
pub const REGION: &str = "us-east-1";

/// A running emulator, shared by every test of the binary.
pub struct Emulator {
    /// `http://127.0.0.1:N`
    pub url: String,
    /// The `--time-scale` it was started with.
    pub time_scale: f64,
    /// Where its stderr goes (also named in panic messages).
    pub stderr_path: Option<PathBuf>,
    /// Kept open for the life of the process: its EOF stops the emulator.
    _stdin: Option<ChildStdin>,
}

static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();

/// The emulator of this test binary, started on first use.
///
/// Panics (in every test that asks, not only the first) with the emulator's
/// stderr when it cannot be started.
pub fn emulator() -> &'static Emulator {
    match EMULATOR.get_or_init(start) {
        Ok(emulator) => emulator,
        Err(message) => panic!("{message}"),
    }
}

fn time_scale_from_env() -> Result<f64, String> {
    match std::env::var("CDCSTACK_TEST_TIME_SCALE") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("CDCSTACK_TEST_TIME_SCALE={text:?} is not a number >= 0")),
        _ => Ok(DEFAULT_TIME_SCALE),
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory for this binary's scratch files (`target/tmp`).
pub fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn start() -> Result<Emulator, String> {
    let time_scale = time_scale_from_env()?;
    if let Ok(url) = std::env::var("CDCSTACK_TEST_EMULATOR_URL")
        && !url.trim().is_empty()
    {
        let mut emulator = Emulator {
            url: url.trim().trim_end_matches('/').to_string(),
            time_scale,
            stderr_path: None,
            _stdin: None,
        };
        // Its own scale, whatever CDCSTACK_TEST_TIME_SCALE says.
        let (_, health) = http(&emulator.url, "GET", "/_emulator/health", None)
            .map_err(|e| format!("CDCSTACK_TEST_EMULATOR_URL={url}: {e}"))?;
        let health: Value = serde_json::from_str(&health).map_err(|e| e.to_string())?;
        emulator.time_scale = health["time_scale"].as_f64().unwrap_or(time_scale);
        return Ok(emulator);
    }

    let run = manifest_dir().join("tests/emulator/run");
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "test".into());
    prune_old_logs(&binary);
    let stderr_path =
        scratch_dir().join(format!("emulator-{binary}-{}.stderr", std::process::id()));
    let stderr_file = std::fs::File::create(&stderr_path)
        .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;

    let mut child = Command::new(&run)
        .args(["--port", "0", "--exit-on-stdin-eof", "--time-scale"])
        .arg(time_scale.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr_file))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", run.display()))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped stdout");

    // The ready line is read on a thread so that the wait can time out; the
    // thread then keeps draining stdout (nothing else is expected there).
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::Builder::new()
        .name("emulator-stdout".into())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut sent = false;
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if !sent => {
                        sent = true;
                        let _ = tx.send(line.trim_end().to_string());
                    }
                    Ok(_) => {}
                }
            }
        })
        .map_err(|e| format!("cannot spawn a thread: {e}"))?;

    let started = Instant::now();
    let failure = |child: &mut std::process::Child, why: String| -> String {
        let _ = child.kill();
        let _ = child.wait();
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        format!(
            "the AWS emulator ({}) {why}\n--- its stderr ({}) ---\n{stderr}",
            run.display(),
            stderr_path.display()
        )
    };
    let line = match rx.recv_timeout(READY_TIMEOUT) {
        Ok(line) => line,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(failure(
                &mut child,
                format!("was not ready within {READY_TIMEOUT:?}"),
            ));
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // stdout closed: the process is exiting; give it a moment to be reaped.
            let mut status = None;
            for _ in 0..50 {
                status = child.try_wait().ok().flatten();
                if status.is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            return Err(failure(
                &mut child,
                format!("exited before it was ready (status {status:?})"),
            ));
        }
    };
    let Some(url) = line.strip_prefix("ready ") else {
        return Err(failure(
            &mut child,
            format!("printed {line:?} instead of `ready http://…`"),
        ));
    };
    eprintln!(
        "[common] AWS emulator ready at {url} in {:.1}s (time scale {time_scale}, stderr {})",
        started.elapsed().as_secs_f64(),
        stderr_path.display()
    );
    // `child` is dropped without wait(): it is not killed by that, and it exits
    // by itself once `stdin` is closed (when this process exits).
    Ok(Emulator {
        url: url.trim().to_string(),
        time_scale,
        stderr_path: Some(stderr_path),
        _stdin: stdin,
    })
}

/// Removes this binary's emulator stderr files of earlier runs (older than an hour).
fn prune_old_logs(binary: &str) {
    let Ok(entries) = std::fs::read_dir(scratch_dir()) else {
        return;
    };
    let prefix = format!("emulator-{binary}-");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old && name.starts_with(&prefix) && name.ends_with(".stderr") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Emulator {
    /// One blocking HTTP request to the control endpoint `/_emulator/<path>`
    /// (`path` may also be given with its `/_emulator/` prefix), JSON in and
    /// out.  Panics on a transport error or an HTTP status >= 400.
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = path.trim_start_matches('/');
        let path = path.strip_prefix("_emulator/").unwrap_or(path);
        let full = format!("/_emulator/{path}");
        let (status, text) = http(&self.url, method, &full, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {}{full}: {e}", self.url));
        if status >= 400 {
            panic!("{method} {}{full}: HTTP {status}: {text}", self.url);
        }
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {}{full}: not JSON ({e}): {text}", self.url))
    }

    /// The whole request log (entries: seq, time, service, region, operation,
    /// method, path, status, latency_ms, fault).
    pub fn requests(&self) -> Vec<Value> {
        as_array(self.control("GET", "requests", None))
    }

    /// Log entries of one operation (e.g. "DescribeNatGateways") with seq > `since`.
    pub fn requests_of(&self, operation: &str, since: u64) -> Vec<Value> {
        as_array(self.control(
            "GET",
            &format!("requests?operation={operation}&since={since}"),
            None,
        ))
    }

    /// The seq of the newest request log entry (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.requests()
            .iter()
            .filter_map(|e| e["seq"].as_u64())
            .max()
            .unwrap_or(0)
    }

    /// Empties the request log (shared by the whole binary: other tests' entries go too).
    pub fn clear_requests(&self) {
        self.control("DELETE", "requests", None);
    }

    /// Replaces the whole fault configuration (see tests/emulator/README.md).
    pub fn set_faults(&self, config: Value) -> Value {
        self.control("POST", "faults", Some(config))
    }

    /// Appends deterministic next-N fault rules (one rule or a list).
    pub fn add_fault_rules(&self, rules: Value) -> Value {
        self.control("POST", "faults/next", Some(rules))
    }

    /// No faults.
    pub fn clear_faults(&self) {
        self.control("DELETE", "faults", None);
    }

    /// Sets the time scale (applies to transitions in flight too; shared by the binary).
    pub fn set_time_scale(&self, scale: f64) {
        self.control(
            "POST",
            "time-scale",
            Some(serde_json::json!({ "time_scale": scale })),
        );
    }

    /// The `cdcstack` binary, pointed at this emulator and isolated from the
    /// developer's AWS setup: every `AWS_*` variable of the test process is
    /// removed, then only the endpoint, dummy credentials and nonexistent
    /// config/credentials files are set.
    pub fn cdcstack(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.cdcstack_command())
    }

    /// [`Emulator::cdcstack`] as a plain `std::process::Command`, for tests
    /// that spawn it and signal it.
    pub fn cdcstack_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdcstack"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(&key);
            }
        }
        // Empty AWS config files: the developer's ~/.aws never leaks in.
        let dir = scratch_dir().join("aws-empty");
        let _ = std::fs::create_dir_all(&dir);
        for f in ["config", "credentials"] {
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(f));
        }
        cmd.env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("CDCSTACK_POLL_MIN", "50ms")
            .env("CDCSTACK_POLL_MAX", "500ms")
            .env("NO_COLOR", "1");
        cmd
    }

    /// SDK configuration for this emulator: region us-east-1, the endpoint,
    /// static test credentials, no profile files, standard retries (3
    /// attempts, 20 ms initial backoff) and a 60 s operation timeout.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_loader().load().await
    }

    /// The loader behind [`Emulator::sdk_config`], to adjust before `load()`.
    pub fn sdk_config_loader(&self) -> aws_config::ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(
                "test",
                "test",
                None,
                None,
                "cdcstack-tests",
            ))
            .profile_files(empty_profile_files())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(20)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            )
    }
}

/// Profile files with nothing in them: the developer's ~/.aws never leaks in.
/// (aws-config's own names for these types are deprecated aliases of
/// aws-runtime's, which is not a direct dependency.)
#[allow(deprecated)]
pub fn empty_profile_files() -> aws_config::profile::profile_file::ProfileFiles {
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    ProfileFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false)
        .with_contents(ProfileFileKind::Config, "")
        .with_contents(ProfileFileKind::Credentials, "")
        .build()
}

/// An S3 client for `config`, path-style (the emulator has no per-bucket host names).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A name unique within this test binary's run: `<prefix>-<n><tag>`, only
/// lowercase letters, digits and hyphens (valid for S3 buckets, RDS, MSK,
/// Redshift Serverless, IAM…), as long as `prefix` is.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static TAG: OnceLock<String> = OnceLock::new();
    let tag = TAG.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base36(u64::from(nanos ^ std::process::id()) % (36 * 36 * 36 * 36))
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{n}{tag}")
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// Polls `probe` every 50 ms until it returns `Some`, for at most `timeout`;
/// panics naming `what` when time runs out.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn as_array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, got {other}"),
    }
}

/// Minimal HTTP/1.0 client for the control endpoint (no extra dependency):
/// one request per connection, the server closes it after the response.
fn http(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, String), String> {
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported, not {base}"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("malformed HTTP response: {text:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("malformed status line: {head:?}"))?;
    Ok((status, body.to_string()))
}
