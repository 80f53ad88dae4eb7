//! File descriptors: the host raises its soft limit to the hard one at start, and sizes what
//! one instance may hold open (its resource table: files, streams, pollables) from the limit,
//! so that one instance opening files until it is refused cannot take every descriptor the
//! host needs for its own files and connections.

use std::sync::OnceLock;

/// The most host resources one instance may hold, whatever the limit.
const MOST_PER_INSTANCE: usize = 16 * 1024;

/// The least, however low the limit (WASI's own streams and pollables need a few).
const LEAST_PER_INSTANCE: usize = 256;

/// How many instances' worth of resources the descriptor limit is divided among.
const SHARES: u64 = 8;

static PER_INSTANCE: OnceLock<usize> = OnceLock::new();

/// Raises the process's soft limit on open descriptors to its hard limit; returns the limit
/// now in force (or the error that kept it).
pub fn raise_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the one struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            limit = raised;
        }
    }
    Ok(limit.rlim_cur)
}

/// The most host resources (files, streams, pollables...) one instance may hold at once: an
/// eighth of the descriptor limit in force when first asked, between 256 and 16384.
pub fn resources_per_instance() -> usize {
    *PER_INSTANCE.get_or_init(|| {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `getrlimit` writes the one struct passed.
        let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        let share = if known { limit.rlim_cur / SHARES } else { LEAST_PER_INSTANCE as u64 };
        usize::try_from(share).unwrap_or(MOST_PER_INSTANCE).clamp(LEAST_PER_INSTANCE, MOST_PER_INSTANCE)
    })
}
