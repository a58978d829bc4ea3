//! `CpuThrottle`: a process held to a share of one core by a cgroup of its own (cgroup v1's
//! `cpu` controller, which needs root), so a test can make one node slow without stopping it.
//! The process goes back to the root group, and the group is removed, when the throttle drops.

use std::fs;
use std::path::PathBuf;

const CPU_CGROUPS: &str = "/sys/fs/cgroup/cpu";
const PERIOD_US: u32 = 100_000;

pub struct CpuThrottle {
    group: PathBuf,
    pid: u32,
}

impl CpuThrottle {
    /// Holds `pid` to `percent` % of one core. Where cgroups cannot be written (no root, no v1
    /// `cpu` controller) it says so and answers `None`, and under `CI=true` it fails instead.
    pub fn hold(pid: u32, percent: u32) -> Option<Self> {
        let group =
            PathBuf::from(format!("{CPU_CGROUPS}/coupon-test-{}-{pid}", std::process::id()));
        let made = fs::create_dir(&group).and_then(|()| {
            let throttle = Self { group: group.clone(), pid };
            fs::write(group.join("cpu.cfs_period_us"), PERIOD_US.to_string())?;
            fs::write(group.join("cpu.cfs_quota_us"), (PERIOD_US / 100 * percent).to_string())?;
            fs::write(group.join("cgroup.procs"), pid.to_string())?;
            Ok(throttle)
        });
        match made {
            Ok(throttle) => Some(throttle),
            Err(error) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("cannot throttle a node through {CPU_CGROUPS}: {error}")
            }
            Err(error) => {
                eprintln!("skipped: cannot throttle a node through {CPU_CGROUPS}: {error}");
                None
            }
        }
    }
}

impl Drop for CpuThrottle {
    fn drop(&mut self) {
        // A process that has exited is in no group; either way the group is empty afterwards.
        let _ = fs::write(format!("{CPU_CGROUPS}/cgroup.procs"), self.pid.to_string());
        let _ = fs::remove_dir(&self.group);
    }
}
