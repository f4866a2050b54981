//! Progress of long runs (build, export, archive, mail): on a terminal, a spinner naming the
//! stage that becomes a bar while a stage counts its pieces (the parts of a large book, the
//! departments' workbooks, the messages); otherwise (CI logs, pipes) one plain line per stage
//! and a line at each tenth of the pieces; nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::progress::{Progress, Step};

/// Shows progress while alive; the bar is cleared when it is dropped.
pub(super) struct Shown(Option<ProgressBar>);

impl Drop for Shown {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Where the stages' reports go, as the situation calls for, and what to keep alive while they
/// are shown. `None` with `quiet`.
pub(super) fn show(quiet: bool) -> (Shown, Option<Box<Progress>>) {
    if quiet {
        return (Shown(None), None);
    }
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        let spinner = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let counting = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {prefix} ({elapsed}, {eta} to go)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(spinner.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        let handle = bar.clone();
        let progress = move |step: Step| match step {
            Step::Stage(stage) => {
                handle.set_style(spinner.clone());
                handle.set_message(stage);
            }
            Step::Count { done, of, unit } => {
                if done == 0 {
                    handle.set_style(counting.clone());
                    handle.set_length(of as u64);
                    handle.set_prefix(unit);
                    handle.reset_eta();
                }
                handle.set_position(done as u64);
            }
        };
        (Shown(Some(bar)), Some(Box::new(progress)))
    } else {
        let stage = Mutex::new("");
        let progress = move |step: Step| match step {
            Step::Stage(name) => {
                if let Ok(mut stage) = stage.lock() {
                    *stage = name;
                }
                eprintln!("  {name}");
            }
            Step::Count { done, of, unit } => {
                if logged(done, of) {
                    let name = stage.lock().map(|s| *s).unwrap_or_default();
                    eprintln!("  {name}: {done} of {of} {unit}");
                }
            }
        };
        (Shown(None), Some(Box::new(progress)))
    }
}

/// Whether a log gets a line for `done` of `of`: at each tenth, and at the end.
fn logged(done: usize, of: usize) -> bool {
    let tenth = |n: usize| n * 10 / of;
    of > 0 && done > 0 && (done == of || tenth(done) != tenth(done - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gets_a_line_at_each_tenth_and_at_the_end() {
        let lines = |of: usize| (0..=of).filter(|&d| logged(d, of)).collect::<Vec<_>>();
        assert_eq!(lines(92), vec![10, 19, 28, 37, 46, 56, 65, 74, 83, 92]);
        assert_eq!(lines(3), vec![1, 2, 3]);
        assert_eq!(lines(0), Vec::<usize>::new());
    }
}
