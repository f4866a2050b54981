//! Progress of long runs: a spinner naming the stage on a terminal, one plain line per stage
//! otherwise (CI logs, pipes), nothing with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::pipeline::Engine;

/// Shows progress while alive; the spinner is cleared when it is dropped.
pub struct Shown(Option<ProgressBar>);

impl Drop for Shown {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Sends the engine's stage reports to stderr as the situation calls for.
pub fn show(engine: &mut Engine, quiet: bool) -> Shown {
    if quiet {
        engine.progress = None;
        return Shown(None);
    }
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let handle = bar.clone();
        engine.progress = Some(Box::new(move |stage| handle.set_message(stage)));
        Shown(Some(bar))
    } else {
        engine.progress = Some(Box::new(|stage| eprintln!("  {stage}")));
        Shown(None)
    }
}
