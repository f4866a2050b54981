//! Typed errors of the pipeline stages. They are rendered for humans only at the edge (`lib::run`).

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

    #[error("invalid configuration `{path}`: {message}")]
    Config { path: PathBuf, message: String },

    #[error("{0}")]
    Usage(String),

    /// The data has errors; they were already printed as diagnostics.
    #[error("the data has {errors} error(s); nothing was written")]
    Data { errors: usize },

    #[error("template error: {0}")]
    Template(String),

    #[error("typesetting failed:\n{0}")]
    Typeset(String),

    #[error("could not write the workbook: {0}")]
    Xlsx(String),
}

impl AppError {
    /// Exit status: 1 for problems in the data, 2 for usage, I/O and internal errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Data { .. } => 1,
            _ => 2,
        }
    }
}
