//! Why a configuration could not be used: one error enum for the config boundary, each message
//! naming the file and line, with the fix where one is known (STYLE 7).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::seal::RecipientsError;

/// Why a configuration could not be used. Every variant renders as one line naming the file (and
/// line, where known); [`ConfigError::hint`] gives the fix where one is known.
#[derive(Debug)]
pub enum ConfigError {
    /// A file could not be read.
    Read { path: PathBuf, source: std::io::Error },
    /// The TOML is malformed or a value has the wrong type or shape.
    Syntax { path: PathBuf, line: Option<usize>, message: String },
    /// The TOML parsed, but a value is unusable.
    Invalid { path: PathBuf, line: Option<usize>, message: String, hint: Option<String> },
    /// The config file itself contains a secret key (invariant 1).
    SecretInConfig { path: PathBuf, line: usize },
    /// A recipients file is unusable.
    Recipients { form: String, path: PathBuf, source: RecipientsError },
}

impl ConfigError {
    /// The fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => {
                Some("check the path; relative paths are read from the config file's folder".into())
            }
            ConfigError::Syntax { .. } => {
                Some("compare with config/sealpost.example.toml, where every key is documented".into())
            }
            ConfigError::Invalid { hint, .. } => hint.clone(),
            ConfigError::SecretInConfig { .. } => Some(
                "the server must never hold a secret key; keep identities on staff machines and put only public keys (age1…) in recipients files".into(),
            ),
            ConfigError::Recipients { source, .. } => source.hint(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn at(path: &Path, line: &Option<usize>) -> String {
            match line {
                Some(line) => format!("{}:{line}", path.display()),
                None => path.display().to_string(),
            }
        }
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "{}: cannot read: {}", path.display(), sealpost_format::files::io_reason(source))
            }
            ConfigError::Syntax { path, line, message } => write!(f, "{}: {message}", at(path, line)),
            ConfigError::Invalid { path, line, message, .. } => {
                write!(f, "{}: {message}", at(path, line))
            }
            ConfigError::SecretInConfig { path, line } => {
                write!(f, "{}:{line}: holds a secret key (AGE-SECRET-KEY-…)", path.display())
            }
            ConfigError::Recipients { form, path, source } => {
                write!(f, "form \"{form}\": recipients file \"{}\" {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line number of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// The file being read: its text, for line numbers, and its path, for messages.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    /// The whole file.
    pub(super) text: &'a str,
    /// Where it is.
    pub(super) path: &'a Path,
}

impl Source<'_> {
    /// An unusable value at byte `span` of the file, with its fix where one is known.
    pub(super) fn invalid(&self, span: std::ops::Range<usize>, message: String, hint: Option<&str>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line: Some(line_of(self.text, span.start)),
            message,
            hint: hint.map(str::to_string),
        }
    }

    /// An unusable combination of values, with no one line to blame.
    pub(super) fn inconsistent(&self, message: String, hint: Option<&str>) -> ConfigError {
        ConfigError::Invalid { path: self.path.to_owned(), line: None, message, hint: hint.map(str::to_string) }
    }
}
