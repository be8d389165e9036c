//! The progress display of `run` and `split` on a terminal: a bar (percentage, records/s,
//! ETA) when the input is a file of known size, a spinner with the rate when it is a
//! stream; the running failed count in both.
//!
//! One line, never wider than the terminal: the counts are indicatif's `wide_msg`, which it
//! cuts to the columns left, so a narrow terminal does not wrap the line and leave a row
//! behind at each redraw. The failed count comes first in the message so that it is the
//! last thing cut.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use user_import::Progress;

/// The display of one job; hidden when standard error is not a terminal or `--quiet`.
#[derive(Debug)]
pub struct Display {
    bar: ProgressBar,
    started: OnceLock<Instant>,
}

impl Display {
    /// A bar over `file`'s bytes when its size is known, else a spinner; drawn from
    /// [`start`](Self::start) on, so that the lines written while existing users load are
    /// not mixed with it.
    pub fn new(file: Option<&Path>) -> Display {
        let size = file
            .filter(|p| p.as_os_str() != "-")
            .and_then(|p| std::fs::metadata(p).ok())
            .filter(|m| m.is_file() && m.len() > 0)
            .map(|m| m.len());
        let target = ProgressDrawTarget::hidden();
        let bar = match size {
            Some(len) => {
                let bar = ProgressBar::with_draw_target(Some(len), target);
                // Fixed part at most 26 columns; the rest of the line is the message.
                style(&bar, "{percent:>3}% {bar:10} ETA {eta:<3} {wide_msg}");
                bar
            }
            None => {
                let bar = ProgressBar::with_draw_target(None, target);
                style(&bar, "{spinner} {elapsed:>4} {wide_msg}");
                bar
            }
        };
        Display {
            bar,
            started: OnceLock::new(),
        }
    }

    /// Shows the display on standard error.
    pub fn start(&self) {
        self.started.get_or_init(Instant::now);
        self.bar
            .set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        self.bar.reset_elapsed();
        self.bar.reset_eta();
        // The spinner turns between the engine's reports too, so a slow input still looks
        // alive.
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    /// The engine's callback: called from its writer thread about every 100 ms.
    pub fn callback(self: &Arc<Self>) -> user_import::ProgressFn {
        let me = Arc::clone(self);
        Arc::new(move |p: &Progress| me.update(p))
    }

    fn update(&self, p: &Progress) {
        let started = self.started.get_or_init(Instant::now);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        if self.bar.length().is_some() {
            self.bar.set_position(p.bytes);
        }
        self.bar.set_message(format!(
            "{} failed · {}/s · {} records",
            p.failed,
            human(p.records as f64 / secs),
            p.records
        ));
    }

    /// Removes the line, before the end-of-run report is written.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

fn style(bar: &ProgressBar, template: &str) {
    if let Ok(s) = ProgressStyle::with_template(template) {
        bar.set_style(s.progress_chars("=> ").tick_chars("|/-\\ "));
    }
}

/// `950`, `12.3k`, `1.2M`: a rate in few columns.
fn human(n: f64) -> String {
    if n < 1e3 {
        format!("{n:.0}")
    } else if n < 1e6 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{:.1}M", n / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn rates_are_short() {
        assert_eq!(human(950.4), "950");
        assert_eq!(human(12_345.0), "12.3k");
        assert_eq!(human(1_234_567.0), "1.2M");
    }
}
