//! Progress of long work, as the stages report it: which stage runs, and how far a stage made of
//! many like pieces (the parts of a book, the departments' workbooks, the messages) has got. The
//! commands decide how to show it; nothing here prints.

/// One report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A stage starts.
    Stage(&'static str),
    /// `done` of the current stage's `of` pieces are finished.
    Count { done: usize, of: usize, unit: &'static str },
}

/// Where the reports go; called from any thread.
pub(crate) type Progress = dyn Fn(Step) + Send + Sync;

/// Reports to `progress`, if there is one.
pub(crate) fn report(progress: Option<&Progress>, step: Step) {
    if let Some(progress) = progress {
        progress(step);
    }
}
