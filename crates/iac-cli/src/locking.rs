//! The CLI's side of state locks: who takes them and from where (the engine
//! never reads the environment, so the identity is found here: the user, the
//! machine's name, the process id, and whether a process of this machine has
//! ended, for locks left by a `kill -9`) and what a run waiting for one
//! prints.

use std::time::Duration;

use iac_engine::run::Event;
use iac_engine::statemgr::LockWait;

/// How often a run waiting for the lock says so (the first time at once).
pub const NOTICE_EVERY: Duration = Duration::from_secs(5);

/// Who takes locks: `$USER`, `$LOGNAME`, else the name of the process's uid
/// (from `/etc/passwd`), else `uid N`.
pub fn who() -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    var("USER").or_else(|| var("LOGNAME")).unwrap_or_else(uid_name)
}

fn uid_name() -> String {
    // The owner of /proc/self is the process's uid (no libc call needed).
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)) else {
        return "unknown".into();
    };
    passwd_name(&std::fs::read_to_string("/etc/passwd").unwrap_or_default(), uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The user name of `uid` in `/etc/passwd` text (`name:x:uid:gid:...`).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// The machine's name, else `unknown`.
pub fn host() -> String {
    hostname::get().map(|h| h.to_string_lossy().into_owned()).unwrap_or_else(|_| "unknown".into())
}

/// Whether the process `pid` of this machine has ended: where `/proc`
/// lists processes, its entry is gone (elsewhere nothing is assumed).
fn process_gone(pid: u32) -> bool {
    let proc_root = std::path::Path::new("/proc");
    proc_root.join("self").exists() && !proc_root.join(pid.to_string()).exists()
}

pub fn lock_wait() -> LockWait {
    LockWait { who: who(), host: host(), pid: std::process::id(), process_gone: Some(process_gone), notice_every: NOTICE_EVERY }
}

/// Prints a lock-wait event on stderr (stdout may be JSON or a plan);
/// returns false for other events.
pub fn notice(e: &Event) -> bool {
    let Event::LockWait { holder, waited, timeout } = e else { return false };
    errln!(
        "Waiting for the state lock: held by {}@{} (pid {}) for {} since {} (lock ID {}); waited {}s of -lock-timeout={}s",
        holder.who,
        holder.host,
        holder.pid,
        holder.operation,
        holder.created,
        holder.id,
        waited.as_secs(),
        timeout.as_secs()
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_names_come_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nbad line\nci:x:1001:1001::/home/ci:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 1001).as_deref(), Some("ci"));
        assert_eq!(passwd_name(passwd, 42), None);
        assert_eq!(passwd_name("", 0), None);
    }
}
