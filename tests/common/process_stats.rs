//! This process's resident memory and its threads' CPU time, from /proc (Linux).

#![allow(dead_code)] // shared with the benchmarks, which use their own part

use std::path::PathBuf;

/// Resident set size in bytes, after returning the allocator's free memory to the system, so
/// that what is measured is what the process holds, not what malloc keeps cached.
pub fn resident_bytes() -> u64 {
    // SAFETY: malloc_trim only releases free heap pages.
    unsafe { libc::malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// Bytes in live allocations over every malloc arena, plus the blocks malloc maps on its own:
/// unlike the resident set, not moved by what the allocator keeps cached or by thread stacks.
pub fn live_heap_bytes() -> u64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}

/// This process's threads whose name starts with `name` (Linux keeps 15 characters of it).
fn threads_named(name: &str) -> Vec<PathBuf> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| {
            let task = task.ok()?.path();
            let comm = std::fs::read_to_string(task.join("comm")).ok()?;
            name.starts_with(comm.trim()).then_some(task)
        })
        .collect()
}

pub fn thread_count(name: &str) -> usize {
    threads_named(name).len()
}

/// Every thread of this process.
pub fn all_thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .count()
}

/// CPU seconds (user + system) the named threads of this process have used so far.
pub fn thread_cpu_seconds(name: &str) -> f64 {
    threads_named(name)
        .iter()
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.join("stat")).ok()?;
            // Fields after the parenthesised name: utime and stime are the 12th and 13th.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks = fields[11].parse::<f64>().ok()? + fields[12].parse::<f64>().ok()?;
            Some(ticks / clock_ticks_per_second())
        })
        .sum()
}

/// CPU seconds the calling thread has used, at nanosecond resolution.
pub fn current_thread_cpu_seconds() -> f64 {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    time.tv_sec as f64 + time.tv_nsec as f64 * 1e-9
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}
