//! Where results go: text for people, or one JSON object per line for scripts.

use serde::Serialize;

/// How results are printed on stdout. Progress and errors always go to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json`.
    pub json: bool,
}

impl Output {
    /// Prints `value` as one line of JSON, or the text `human` builds.
    pub fn emit<T: Serialize>(self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            self.print_json(value);
        } else {
            println!("{}", human());
        }
    }

    /// Prints `value` as one line of JSON.
    pub fn print_json<T: Serialize>(self, value: &T) {
        match serde_json::to_string(value) {
            Ok(line) => println!("{line}"),
            // Only a map with non-string keys fails to serialize, and no answer type has one.
            Err(error) => eprintln!("coupon: cannot print JSON: {error}"),
        }
    }
}
