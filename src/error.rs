//! Typed errors of the pipeline stages. They are rendered for humans only at the edge (`cmd`).

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("could not {action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "no `yearbook.toml` in `{}` or any folder above it\n  hint: run yearbook inside an edition folder \
         (one that holds yearbook.toml, data/, templates/ and fonts/), or name the file with --config FILE",
        searched.display()
    )]
    NoConfig { searched: PathBuf },

    #[error("invalid configuration `{path}`: {message}")]
    Config { path: PathBuf, message: String },

    /// The fonts folder lacks families the templates use: every character would be reported
    /// as missing, so the folder is named instead.
    #[error(
        "the fonts folder `{}` has no {}\n  hint: restore fonts/ from the project: it holds the Noto Serif SC and \
         Noto Sans SC files (regular and bold) the book is set in",
        dir.display(),
        missing.join(", ")
    )]
    Fonts { dir: PathBuf, missing: Vec<String> },

    #[error("{0}")]
    Usage(String),

    /// The data has errors; they were already printed as diagnostics.
    #[error("the data has {errors} error(s); nothing was written")]
    Data { errors: usize },

    #[error("template error: {0}")]
    Template(String),

    #[error("typesetting failed:\n{}", .0.message)]
    Typeset(Box<TypesetFailure>),

    /// A broken invariant between stages: a bug, never a problem of the user's.
    #[error("internal error: {0}; please report this with the data that caused it")]
    Internal(String),

    /// The mail server refused the login; nothing was sent.
    #[error(
        "the mail server {server} refused the login{}: {reply}\n  nothing was sent; check --user and the password \
         (YEARBOOK_SMTP_PASSWORD or --password-file)",
        user.as_ref().map(|u| format!(" of `{u}`")).unwrap_or_default()
    )]
    SmtpAuth { server: String, user: Option<String>, reply: String },

    /// The mail server could not be reached or refused the session; nothing was sent.
    #[error("could not talk to the mail server {server}: {reason}\n  nothing was sent")]
    Smtp { server: String, reason: String },

    #[error("could not write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Why Typst failed, with the rendered source the locations point into (kept with `--keep-typ`).
#[derive(Debug)]
pub struct TypesetFailure {
    pub message: String,
    pub rendered: Option<String>,
}

impl AppError {
    pub fn typeset(message: impl Into<String>) -> AppError {
        AppError::Typeset(Box::new(TypesetFailure { message: message.into(), rendered: None }))
    }

    /// Standard output was closed by its reader: the run has nothing more to say.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, AppError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// Exit status: 1 for problems in the data, 2 for usage, I/O and internal errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Data { .. } => 1,
            _ => 2,
        }
    }
}
