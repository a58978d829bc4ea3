//! Which `coupon-node` binary the tests run.
//!
//! `CARGO_BIN_EXE_*` only names binaries of the crate under test, and this crate must not
//! depend on the node (STYLE.md), so the binary is built here, once per test run, with the same
//! cargo, target directory and profile as the tests themselves:
//! `cargo build -p coupon-node --profile <the tests' profile>`. When `cargo test` at the
//! workspace root already built it, that is a no-op taking well under a second; on a clean
//! checkout (`cargo test -p coupon-client`) it builds the node first. Set `COUPON_NODE_BIN` to
//! run a binary of your own instead (e.g. a release build, or when cross-compiling, where the
//! target directory cannot be derived from the test's path).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn node_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| match std::env::var_os("COUPON_NODE_BIN") {
        Some(path) => PathBuf::from(path),
        None => build(),
    })
}

fn build() -> PathBuf {
    // The test runs as <target>/<profile>/deps/it-<hash>.
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("<target>/<profile>/deps/");
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(other) => other.to_owned(),
        None => panic!("cannot tell the profile from {}", exe.display()),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "coupon-node", "--bin", "coupon-node", "--profile"])
        .arg(&profile)
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(workspace)
        .status()
        .expect("cargo starts");
    assert!(status.success(), "cargo build -p coupon-node --profile {profile} failed");
    let binary = profile_dir.join("coupon-node");
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}
