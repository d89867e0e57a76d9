//! Proof that `process()` makes no system call: the audio thread installs a seccomp filter that
//! traps every system call it makes, then runs ten minutes of audio (48 kHz, 64-sample blocks,
//! labelled music and noise, while the labeling service drains and labels on its own thread).
//!
//! What it proves: over the whole run, nothing on the audio thread entered the kernel: no
//! futex (so no lock was ever waited on and no thread woken), no allocation that needed memory
//! from the system, no I/O, no sleep. `assert_process_allocs` (on in this debug build) adds that
//! nothing allocated at all. What it does not prove: that an uncontended lock was never taken
//! (taking a free lock needs no system call); the code review of `realtime` and `handoff` covers
//! that, and the seccomp check would catch the first time such a lock was contended.
//!
//! The filter cannot be removed once installed, so the check runs in a child process (this test
//! binary run again), which exits when the audio thread reports back.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clack_host::prelude::InputEvents;
use common::fixtures::{PHRASES, phrase};
use common::signals::noise;
use common::{Instance, load_entry};

const CHILD: &str = "TRACK_LABELER_NO_SYSCALL_CHILD";
const TEST_NAME: &str = "process_makes_no_system_call_in_ten_minutes_of_audio";
const RATE: f64 = 48_000.0;
const BLOCK: usize = 64;
const SECONDS: usize = 600;

/// The number of the first system call the audio thread attempted, or -1.
static TRAPPED_SYSCALL: AtomicI64 = AtomicI64::new(-1);
static BLOCKS_DONE: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicBool = AtomicBool::new(false);

/// SIGSYS handler: records the system call and parks the thread without another system call
/// (returning would let the plugin go on with a failed call).
extern "C" fn on_sigsys(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: for SIGSYS the kernel fills `_sigsys { void *call_addr; int syscall; ... }`,
    // which starts 16 bytes into siginfo_t on 64-bit Linux.
    let syscall = unsafe { *(info as *const u8).add(24).cast::<libc::c_int>() };
    TRAPPED_SYSCALL.store(i64::from(syscall), Ordering::SeqCst);
    loop {
        std::hint::spin_loop();
    }
}

/// From here on, every system call of the calling thread (and only this thread) raises SIGSYS.
fn trap_all_syscalls_on_this_thread() {
    let mut program = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_TRAP,
    }];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls with a valid filter program.
    unsafe {
        assert_eq!(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            0,
            "no_new_privs"
        );
        assert_eq!(
            libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog),
            0,
            "seccomp filter: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Music (so frames flow and the service labels), then noise, repeated to `SECONDS`.
fn program_material() -> Vec<Vec<f32>> {
    let (music, rate) = phrase(PHRASES[0].1, 10.0);
    assert!(rate <= RATE);
    let len = RATE as usize * SECONDS;
    let noise = [noise(1, RATE as usize * 5), noise(2, RATE as usize * 5)];
    (0..2)
        .map(|c| {
            music[c]
                .iter()
                .chain(&noise[c])
                .copied()
                .cycle()
                .take(len)
                .collect()
        })
        .collect()
}

fn run_child() {
    // SAFETY: installing a signal handler with a valid function pointer.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        assert_eq!(
            libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()),
            0
        );
    }
    let mut audio = program_material();
    let mut instance = Instance::new(load_entry());
    let mut processor = instance.start(RATE, BLOCK as u32);
    let audio_thread = std::thread::spawn(move || {
        let events = InputEvents::empty();
        let blocks = audio[0].len() / BLOCK;
        let [left, right] = &mut audio[..] else {
            unreachable!()
        };
        let mut process = |i: usize| {
            let range = i * BLOCK..(i + 1) * BLOCK;
            let mut channels = [left[range.clone()].as_mut_ptr(), right[range].as_mut_ptr()];
            let outputs = &mut channels.clone();
            processor.process_block(&mut channels, outputs, BLOCK as u32, &events, None);
        };
        // A host runs a few blocks before the audio thread is real-time (thread-locals, lazy
        // statics); the first second is that warm-up.
        let warm_up = RATE as usize / BLOCK;
        (0..warm_up).for_each(&mut process);
        trap_all_syscalls_on_this_thread();
        for i in warm_up..blocks {
            process(i);
            BLOCKS_DONE.store((i - warm_up + 1) as u64, Ordering::Relaxed);
        }
        FINISHED.store(true, Ordering::SeqCst);
        // Exiting a thread makes system calls: wait here for the process to exit.
        loop {
            std::hint::spin_loop();
        }
    });
    let started = Instant::now();
    while !FINISHED.load(Ordering::SeqCst) && TRAPPED_SYSCALL.load(Ordering::SeqCst) < 0 {
        assert!(!audio_thread.is_finished(), "the audio thread died");
        assert!(started.elapsed() < Duration::from_secs(600), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
    let trapped = TRAPPED_SYSCALL.load(Ordering::SeqCst);
    let blocks = BLOCKS_DONE.load(Ordering::SeqCst);
    if trapped >= 0 {
        println!("SYSCALL {trapped} after {blocks} blocks");
        std::process::exit(3);
    }
    // The service labelled what the audio thread handed off meanwhile.
    let label = common::plugin_state::settled_label(&mut instance);
    assert!(label.is_some(), "no label after the run");
    println!("CLEAN {blocks} blocks");
    std::process::exit(0);
}

#[test]
fn process_makes_no_system_call_in_ten_minutes_of_audio() {
    if std::env::var_os(CHILD).is_some() {
        run_child();
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .expect("child test process runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected_blocks = (RATE as usize * SECONDS / BLOCK - RATE as usize / BLOCK) as u64;
    assert!(
        output.status.success() && stdout.contains(&format!("CLEAN {expected_blocks} blocks")),
        "the audio thread made a system call (see /usr/include/asm/unistd_64.h): {}\n{stdout}\n{stderr}",
        output.status
    );
}
