//! One set of settings, resolved once from the command line, the
//! `CDCSTACK_*` and `NO_COLOR` variables and the defaults (uv's
//! `settings.rs`): nothing below `main` reads a flag or a variable again.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::GlobalArgs;

/// How much goes to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Quiet,
    Default,
    Verbose,
}

/// Where output goes and how it looks.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub level: Level,
    /// `-v` count: 1 our own steps, 2 the SDK's too.
    pub verbosity: u8,
    /// Colour on stderr: not asked off and stderr is a terminal.
    pub color: bool,
}

/// Poll pacing for waiters: first delay, growth ×1.5, ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    pub min: Duration,
    pub max: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            min: Duration::from_secs(2),
            max: Duration::from_secs(30),
        }
    }
}

/// Everything a command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub env_dir: PathBuf,
    pub plans_dir: PathBuf,
    pub output: Output,
    pub pacing: Pacing,
    /// A tracing filter (`CDCSTACK_LOG`), overriding the level's.
    pub log_filter: Option<String>,
}

/// A variable whose value cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not {wanted}")]
pub struct SettingsError {
    pub name: &'static str,
    pub value: String,
    pub wanted: &'static str,
}

impl SettingsError {
    pub fn hint(&self) -> String {
        format!("set {} to {}, or unset it", self.name, self.example())
    }

    fn example(&self) -> &'static str {
        match self.name {
            "CDCSTACK_POLL_MIN" | "CDCSTACK_POLL_MAX" => "a duration such as `500ms` or `10s`",
            _ => "a valid value",
        }
    }
}

impl Settings {
    /// Resolves the settings from the global flags and `var` (the
    /// process environment, or a map in tests).
    ///
    /// # Errors
    /// A variable that is set but cannot be used.
    pub fn resolve(
        args: &GlobalArgs,
        var: impl Fn(&str) -> Option<String>,
        stderr_is_terminal: bool,
    ) -> Result<Settings, SettingsError> {
        let set = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let duration = |name: &'static str| -> Result<Option<Duration>, SettingsError> {
            set(name)
                .map(|v| {
                    humantime::parse_duration(v.trim()).map_err(|_| SettingsError {
                        name,
                        value: v.clone(),
                        wanted: "a duration",
                    })
                })
                .transpose()
        };
        let d = Pacing::default();
        let min = duration("CDCSTACK_POLL_MIN")?.unwrap_or(d.min);
        let max = duration("CDCSTACK_POLL_MAX")?.unwrap_or(d.max).max(min);
        let level = if args.quiet {
            Level::Quiet
        } else if args.verbose > 0 {
            Level::Verbose
        } else {
            Level::Default
        };
        let no_color = args.no_color || set("NO_COLOR").is_some();
        Ok(Settings {
            env_dir: args.env_dir.clone(),
            plans_dir: args.plans_dir.clone(),
            output: Output {
                level,
                verbosity: args.verbose,
                color: !no_color && stderr_is_terminal,
            },
            pacing: Pacing { min, max },
            log_filter: set("CDCSTACK_LOG"),
        })
    }

    /// Where a saved plan named `out` lives: a bare file name in
    /// `--plans-dir`, a path as given.
    pub fn plan_path(&self, out: &std::path::Path) -> PathBuf {
        if out.components().count() == 1 && !out.is_absolute() {
            self.plans_dir.join(out)
        } else {
            out.to_path_buf()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn resolve(args: &[&str], vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let cli = crate::cli::Cli::try_parse_from(
            ["cdcstack"]
                .iter()
                .chain(args)
                .chain(&["validate", "--env", "dev"]),
        )
        .unwrap();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(
            &cli.global,
            |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            true,
        )
    }

    #[test]
    fn defaults_flags_and_variables_resolve_once() {
        let s = resolve(&[], &[]).unwrap();
        assert_eq!(s.pacing, Pacing::default());
        assert_eq!(s.output.level, Level::Default);
        assert!(s.output.color);
        assert_eq!(
            s.plan_path("x.plan".as_ref()),
            PathBuf::from("plans/x.plan")
        );
        assert_eq!(s.plan_path("./x.plan".as_ref()), PathBuf::from("./x.plan"));

        let s = resolve(
            &["-q", "--plans-dir", "out"],
            &[
                ("CDCSTACK_POLL_MIN", "50ms"),
                ("CDCSTACK_POLL_MAX", "10ms"),
                ("NO_COLOR", "1"),
            ],
        )
        .unwrap();
        assert_eq!(s.output.level, Level::Quiet);
        assert!(!s.output.color);
        assert_eq!(s.pacing.min, Duration::from_millis(50));
        assert_eq!(
            s.pacing.max, s.pacing.min,
            "the ceiling is never below the start"
        );
        assert_eq!(s.plan_path("x.plan".as_ref()), PathBuf::from("out/x.plan"));
    }

    #[test]
    fn an_unusable_variable_is_named() {
        let e = resolve(&[], &[("CDCSTACK_POLL_MAX", "soon")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CDCSTACK_POLL_MAX=\"soon\" is not a duration"
        );
        assert!(e.hint().contains("500ms"));
        assert!(
            resolve(&[], &[("CDCSTACK_POLL_MAX", "")]).is_ok(),
            "empty is unset"
        );
    }
}
