//! `RelayProcess`: `coupon-wan-relay` as a child process, killed by pid when dropped.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};

pub struct RelayProcess {
    pub child: Child,
    /// The front of each `--route`, in order, with the port the system chose for a `:0` one.
    pub fronts: Vec<SocketAddr>,
    _stdout: BufReader<ChildStdout>,
}

impl RelayProcess {
    /// Starts the relay with `args` (`routes` of them are `--route`s) and reads the fronts it
    /// bound from its first lines (`FRONT -> TARGET (REGION)`, one per route).
    pub fn start(routes: usize, args: &[String]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_coupon-wan-relay"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("coupon-wan-relay starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let fronts = (0..routes)
            .map(|_| {
                let mut line = String::new();
                stdout.read_line(&mut line).expect("the relay names its fronts");
                line.split(' ').next().unwrap().parse().expect("FRONT -> TARGET (REGION)")
            })
            .collect();
        Self { child, fronts, _stdout: stdout }
    }

    /// SIGTERM, as an operator stops it.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
