//! What a bad configuration reports: every problem at once, each naming its setting.

use std::fmt;

/// One configuration mistake: the setting and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The setting's name, as written in the environment (`SIGNING_SEED`).
    pub setting: String,
    /// What is wrong and how to fix it. Never contains a secret's value.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with `setting`.
    pub fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem { setting: setting.into(), message: message.into() }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

/// Every problem found in a configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order settings are documented.
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    /// An error with a single problem.
    pub fn single(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { problems: vec![ConfigProblem::new(setting, message)] }
    }

    /// Whether one of the problems concerns `setting`.
    pub fn mentions(&self, setting: &str) -> bool {
        self.problems.iter().any(|problem| problem.setting == setting)
    }

    /// Adds the problems of `other`.
    pub fn extend(&mut self, other: ConfigError) {
        self.problems.extend(other.problems);
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(f, "invalid configuration ({count} problem{}):", if count == 1 { "" } else { "s" })?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}
