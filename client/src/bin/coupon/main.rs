//! `coupon`: the command-line client of the replicated coupon service.
//!
//! Parse the command line, run one command on a tokio runtime, and turn its outcome into an
//! exit code (see `exit.rs`): 0 done, 1 failed, 2 rejected by the service, 64 usage error.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod audit;
mod bench;
mod campaign;
mod cli;
mod cluster;
mod coupon_ref;
mod duration_arg;
mod edit;
mod exit;
mod generate;
mod generate_bulk;
mod holds;
mod keys;
mod list;
mod lookup;
mod output;
mod redeem;
mod render;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return exit::usage(&error),
    };
    // One thread: a command is one request, or `bench`/`generate --count` driving many requests
    // that spend their time waiting on the cluster. Under `bench spread` the load generator took
    // 37-40 µs of CPU per request on one thread against 45-49 µs on a worker per core (the
    // workers woke each other), CPU taken from the nodes it measures on the same machine.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return exit::startup_failure(&error),
    };
    let output = cli.output();
    let result = runtime.block_on(cli.run());
    exit::finish(result, output)
}
