//! Environment files for integration tests: a valid file with unique names
//! (so tests sharing one emulator never collide), edited per test.

use std::path::{Path, PathBuf};

use super::{scratch_dir, unique};

/// A temporary env dir holding `<env>.toml`.
pub struct EnvDir {
    pub dir: PathBuf,
    pub env: String,
    /// `stack.name`, unique per test.
    pub stack: String,
    /// The state bucket.
    pub bucket: String,
    pub key: String,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl EnvDir {
    /// A copy of `env/dev.toml` with a unique stack name, state bucket and
    /// artifact bucket, in its own directory.
    pub fn dev() -> EnvDir {
        let stack = unique("t");
        let dir = scratch_dir().join(format!("env-{stack}"));
        std::fs::create_dir_all(&dir).unwrap();
        let bucket = format!("{stack}-state");
        let key = format!("{stack}/dev/cdcstack.tfstate");
        let text = std::fs::read_to_string(repo().join("env/dev.toml"))
            .unwrap()
            .replace("name = \"cdc\"", &format!("name = \"{stack}\""))
            .replace(
                "bucket = \"acme-cdcstack-state\"",
                &format!("bucket = \"{bucket}\""),
            )
            .replace(
                "key = \"cdc/dev/cdcstack.tfstate\"",
                &format!("key = \"{key}\""),
            )
            .replace(
                "artifact_bucket = \"acme-cdc-dev-connector-artifacts\"",
                &format!("artifact_bucket = \"{stack}-artifacts\""),
            )
            .replace("../plugins/", &format!("{}/plugins/", repo().display()));
        let e = EnvDir {
            dir,
            env: "dev".into(),
            stack,
            bucket,
            key,
        };
        e.write(&text);
        e
    }

    /// Runs `cdcstack init` (creates the state bucket); panics on failure.
    pub fn init(&self) -> &Self {
        self.ok(&["init"]);
        self
    }

    /// Runs `cdcstack <cmd> --env-dir … --env …`: (exit code, stdout, stderr).
    /// Panics if cdcstack itself panicked.
    pub fn run(&self, cmd: &[&str]) -> (i32, String, String) {
        let out = super::emulator()
            .cdcstack()
            .args(self.args(cmd))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stderr.contains("panicked"),
            "cdcstack {cmd:?} panicked:\n{stderr}"
        );
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    /// [`EnvDir::run`], which must succeed: (stdout, stderr).
    pub fn ok(&self, cmd: &[&str]) -> (String, String) {
        let (code, out, err) = self.run(cmd);
        assert_eq!(code, 0, "cdcstack {cmd:?} failed:\n{out}\n{err}");
        (out, err)
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.toml", self.env))
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(self.path()).unwrap()
    }

    pub fn write(&self, text: &str) {
        std::fs::write(self.path(), text).unwrap();
    }

    /// Replaces `from` with `to` in the file (panics when `from` is absent).
    pub fn edit(&self, from: &str, to: &str) {
        let t = self.text();
        assert!(
            t.contains(from),
            "{from:?} not in {}",
            self.path().display()
        );
        self.write(&t.replacen(from, to, 1));
    }

    /// EC2 filters for this environment's ownership tags.
    pub fn owner_filters(&self) -> Vec<aws_sdk_ec2::types::Filter> {
        let f = |k: &str, v: &str| {
            aws_sdk_ec2::types::Filter::builder()
                .name(format!("tag:{k}"))
                .values(v)
                .build()
        };
        vec![
            f("cdcstack:stack", &self.stack),
            f("cdcstack:env", &self.env),
        ]
    }

    /// `--env-dir DIR` and `--env NAME` after `cmd`'s global flags.
    pub fn args<'a>(&'a self, command: &'a [&'a str]) -> Vec<String> {
        let mut v = vec!["--env-dir".to_string(), self.dir.display().to_string()];
        v.extend(command.iter().map(|s| s.to_string()));
        v.push("--env".into());
        v.push(self.env.clone());
        v
    }
}
