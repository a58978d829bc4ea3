//! Exit codes, and how a failure is told apart from a rejection.
//!
//! A script needs to know whether to give up (the service said no, asking again will not help)
//! or to try later (the service could not be reached or failed). Usage errors get their own
//! code, because clap's default (2) would collide with "rejected".

use std::process::ExitCode;

use coupon_client::ClientError;

use crate::output::Output;

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// The service could not be reached, answered 5xx or something undecodable, or gave up after
/// its retries (429, 503, 504 included): trying again later may succeed.
pub const FAILED: u8 = 1;
/// The service answered and refused: a 409 rejection (`usage_limit_reached`, ...), a 404, a
/// 422; or `validate` found the coupon not valid. Trying again will not help.
pub const REJECTED: u8 = 2;
/// The command line itself is wrong (BSD `EX_USAGE`).
pub const USAGE: u8 = 64;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0   done
  1   failed: no node reachable, a 5xx, or still 429/503/504 after every retry
  2   rejected: the service refused (409 such as usage_limit_reached, 404, 422),
      or validate found the coupon not valid
  64  usage error on the command line";

/// What a command ended as, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Exit 0.
    Success,
    /// Exit 2: the command ran, and the answer is "no" (e.g. `validate` of an expired coupon).
    Rejected,
}

/// A command-line mistake clap could not see (e.g. an idempotency key that is not printable).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Whether a client error is the service refusing, rather than failing.
pub fn is_rejection(error: &ClientError) -> bool {
    let refused = matches!(error.status(), Some(400..=499));
    refused && !error.is_retryable()
}

/// The exit code of a failed command.
pub fn code_of(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        return USAGE;
    }
    match client_error(error) {
        Some(error) if is_rejection(error) => REJECTED,
        _ => FAILED,
    }
}

fn client_error(error: &anyhow::Error) -> Option<&ClientError> {
    error.chain().find_map(|cause| cause.downcast_ref::<ClientError>())
}

pub fn finish(result: anyhow::Result<Done>, output: Output) -> ExitCode {
    match result {
        Ok(Done::Success) => ExitCode::from(SUCCESS),
        Ok(Done::Rejected) => ExitCode::from(REJECTED),
        Err(error) => {
            report(&error, output);
            ExitCode::from(code_of(&error))
        }
    }
}

/// Prints a failure: a line on stderr, and with `--json` the service's problem body on stdout.
fn report(error: &anyhow::Error, output: Output) {
    let label = match code_of(error) {
        REJECTED => "rejected",
        USAGE => "usage",
        _ => "failed",
    };
    eprintln!("coupon: {label}: {error:#}");
    if let Some(ClientError::Api { problem, .. }) = client_error(error) {
        let detail = problem.detail.as_deref().unwrap_or_default();
        for field in problem.errors.iter().flatten() {
            let line = format!("{}: {}", field.field, field.message);
            // The node often spells a single invalid field out in `detail` already.
            if !detail.contains(&line) {
                eprintln!("  {line}");
            }
        }
        if output.json {
            output.print_json(problem);
        }
    }
}

/// clap's errors: help and version are successes; everything else is a usage error.
pub fn usage(error: &clap::Error) -> ExitCode {
    // Printing can only fail if stderr is gone, and then there is no one to tell.
    let _ = error.print();
    if error.use_stderr() {
        ExitCode::from(USAGE)
    } else {
        ExitCode::from(SUCCESS)
    }
}

pub fn startup_failure(error: &std::io::Error) -> ExitCode {
    eprintln!("coupon: failed: cannot start the async runtime: {error}");
    ExitCode::from(FAILED)
}

#[cfg(test)]
mod tests {
    use coupon_client::api::{ErrorCode, Problem};
    use coupon_client::{ClientError, TransportError};

    use super::{code_of, UsageError, FAILED, REJECTED, USAGE};

    fn api(code: ErrorCode) -> anyhow::Error {
        let problem = Problem::from_code(code);
        ClientError::Api { status: code.status(), problem, retry_after: None }.into()
    }

    #[test]
    fn rejections_failures_and_usage_errors_have_their_own_codes() {
        assert_eq!(code_of(&api(ErrorCode::UsageLimitReached)), REJECTED);
        assert_eq!(code_of(&api(ErrorCode::CouponNotFound)), REJECTED);
        assert_eq!(code_of(&api(ErrorCode::InvalidRequest)), REJECTED);
        assert_eq!(code_of(&api(ErrorCode::RateLimited)), FAILED);
        assert_eq!(code_of(&api(ErrorCode::Unavailable)), FAILED);
        assert_eq!(code_of(&api(ErrorCode::Internal)), FAILED);
        assert_eq!(code_of(&api(ErrorCode::Timeout)), FAILED);
        let transport: anyhow::Error = ClientError::from(TransportError::connect("refused")).into();
        assert_eq!(code_of(&transport), FAILED);
        assert_eq!(code_of(&anyhow::Error::new(UsageError("bad key".into()))), USAGE);
    }

    #[test]
    fn context_does_not_hide_the_client_error() {
        let error = api(ErrorCode::Expired).context("redeem of coupon 4");
        assert_eq!(code_of(&error), REJECTED);
    }
}
