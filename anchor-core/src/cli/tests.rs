//! `CliExtension`: an extension's command runs with its arguments and the global `--config`, its
//! failure exits 1, and a missing argument or unknown command is a usage error (exit 2).
//! `Anchor::before_configuration` runs before every command that loads the configuration and
//! never for help, `--version`, a usage error or `keys generate`.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

static RUNS: AtomicUsize = AtomicUsize::new(0);

struct Greeter;

impl CliExtension for Greeter {
    fn command(&self) -> clap::Command {
        clap::Command::new("greet").arg(clap::Arg::new("name").long("name").required(true))
    }

    fn run(&self, matches: &clap::ArgMatches, config_file: Option<&std::path::Path>) -> Result<(), String> {
        let name = matches.get_one::<String>("name").cloned().unwrap_or_default();
        RUNS.fetch_add(1, Ordering::SeqCst);
        match (name.as_str(), config_file) {
            ("world", Some(path)) if path.ends_with("anchor.toml") => Ok(()),
            _ => Err(format!("unexpected input {name}")),
        }
    }
}

struct Minimal;

impl Anchor for Minimal {
    fn modules(&self) -> Vec<Arc<dyn SepModule>> {
        Vec::new()
    }

    fn integrations(&self, _: &Settings, _: &Database) -> Result<Integrations, ConfigError> {
        Ok(Integrations::new())
    }

    fn commands(&self) -> Vec<Box<dyn CliExtension>> {
        vec![Box::new(Greeter)]
    }
}

fn args(items: &[&str]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

#[test]
fn extension_commands_run_with_their_arguments_and_the_global_config() {
    let ok = run_from(Minimal, args(&["anchor", "--config", "anchor.toml", "greet", "--name", "world"]));
    assert_eq!(ok, ExitCode::SUCCESS);
    let failed = run_from(Minimal, args(&["anchor", "--config", "anchor.toml", "greet", "--name", "moon"]));
    assert_eq!(failed, ExitCode::from(1));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    let usage = run_from(Minimal, args(&["anchor", "greet"]));
    assert_eq!(usage, ExitCode::from(2), "a missing required argument is a usage error");
    let unknown = run_from(Minimal, args(&["anchor", "nonsense"]));
    assert_eq!(unknown, ExitCode::from(2));
}

static PREPARED: AtomicUsize = AtomicUsize::new(0);
static ECHOED: AtomicUsize = AtomicUsize::new(0);

struct Echo;

impl CliExtension for Echo {
    fn command(&self) -> clap::Command {
        clap::Command::new("echo").subcommand(clap::Command::new("twice"))
    }

    fn run(&self, _: &clap::ArgMatches, _: Option<&std::path::Path>) -> Result<(), String> {
        ECHOED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Counts `before_configuration` and refuses it, so no command that loads the configuration
/// goes on to run.
struct Preparing;

impl Anchor for Preparing {
    fn modules(&self) -> Vec<Arc<dyn SepModule>> {
        Vec::new()
    }

    fn integrations(&self, _: &Settings, _: &Database) -> Result<Integrations, ConfigError> {
        Ok(Integrations::new())
    }

    fn commands(&self) -> Vec<Box<dyn CliExtension>> {
        vec![Box::new(Echo)]
    }

    fn before_configuration(&self, _: Option<&std::path::Path>) -> Result<(), String> {
        PREPARED.fetch_add(1, Ordering::SeqCst);
        Err("refused by the test".into())
    }
}

#[test]
fn before_configuration_runs_before_commands_that_load_it_and_never_for_help_or_version() {
    for (line, code) in [
        (&["anchor", "help"][..], 0),
        (&["anchor", "--help"], 0),
        (&["anchor", "-h"], 0),
        (&["anchor", "--version"], 0),
        (&["anchor", "-V"], 0),
        (&["anchor", "serve", "--help"], 0),
        (&["anchor", "help", "serve"], 0),
        (&["anchor", "config", "check", "-h"], 0),
        (&["anchor", "echo", "--help"], 0),
        (&["anchor", "echo", "twice", "--help"], 0),
        (&["anchor", "help", "echo", "twice"], 0),
        (&["anchor", "keys", "generate"], 0),
        (&["anchor", "serve", "--no-such-flag"], 2),
        (&["anchor", "nonsense"], 2),
    ] {
        assert_eq!(run_from(Preparing, args(line)), ExitCode::from(code), "{line:?}");
        assert_eq!(PREPARED.load(Ordering::SeqCst), 0, "{line:?} prepared the configuration");
    }
    // Commands that load the configuration: prepared first, and its refusal stops them (exit 1).
    for (calls, line) in [
        (1, &["anchor"][..]),
        (2, &["anchor", "serve"]),
        (3, &["anchor", "migrate"]),
        (4, &["anchor", "config", "check"]),
        (5, &["anchor", "echo"]),
    ] {
        assert_eq!(run_from(Preparing, args(line)), ExitCode::from(1), "{line:?}");
        assert_eq!(PREPARED.load(Ordering::SeqCst), calls, "{line:?}");
    }
    assert_eq!(ECHOED.load(Ordering::SeqCst), 0, "the extension ran although preparing failed");
}

#[test]
fn each_worker_has_a_blocking_thread_per_database_connection_and_at_least_the_minimum() {
    use super::{blocking_threads_per_worker, MIN_BLOCKING_THREADS_PER_WORKER};
    assert_eq!(blocking_threads_per_worker(1), MIN_BLOCKING_THREADS_PER_WORKER);
    assert_eq!(blocking_threads_per_worker(8), MIN_BLOCKING_THREADS_PER_WORKER);
    assert_eq!(blocking_threads_per_worker(40), 40);
}
