//! The memory allocator: the system's, with a clear message instead of an abort when the
//! machine runs out, a way to give freed memory back once a large book is laid out, and the
//! memory the process holds (for `--timings`), on Linux and on Windows.
//!
//! mimalloc was measured against it (300 cities, three runs each, side by side): tuned to purge
//! freed memory at once it took the same time (ratio 0.99) and 4 % less peak memory, untuned
//! 5 % less time and 15 % more memory; not worth a C dependency.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator with an out-of-memory message.
pub struct Allocator;

/// Returns the memory the allocator holds unused to the system (once a large book is laid out).
///
/// - Linux (glibc, x86_64 and ARM64): `malloc_trim`, since glibc keeps freed pages of its main
///   heap mapped.
/// - Windows: Rust's allocator is the process heap there; `HeapCompact` merges its free blocks
///   and decommits the large ones (the heap decommits on its own too, past a threshold).
/// - Elsewhere (musl, other systems): nothing to do; their allocators return large frees at once.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; callable at any time.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(windows)]
    // SAFETY: the process heap's handle is valid for the life of the process; HeapCompact only
    // rearranges its free blocks and is safe to call while other threads allocate.
    unsafe {
        use windows_sys::Win32::System::Memory::{GetProcessHeap, HeapCompact};
        HeapCompact(GetProcessHeap(), 0);
    }
}

/// The process's resident memory now, in MiB: the resident set on Linux (`/proc/self/statm`),
/// the working set on Windows (`GetProcessMemoryInfo`); `None` where the system does not say.
/// The peak of a stage is not this: `/usr/bin/time -v` gives the peak of the whole run.
pub fn resident_mib() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf only reads a system constant (4 KiB on x86_64, 4, 16 or 64 KiB on
        // ARM64 kernels: hence asked, not assumed).
        let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        Some((pages * page) >> 20)
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::ProcessStatus::{GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
        use windows_sys::Win32::System::Threading::GetCurrentProcess;
        let cb = u32::try_from(std::mem::size_of::<PROCESS_MEMORY_COUNTERS>()).ok()?;
        let mut counters = PROCESS_MEMORY_COUNTERS { cb, ..Default::default() };
        // SAFETY: the pseudo-handle of this process needs no closing; `counters` is as large as
        // its `cb` says.
        let ok = unsafe { GetProcessMemoryInfo(GetCurrentProcess(), &mut counters, counters.cb) };
        (ok != 0).then_some((counters.WorkingSetSize as u64) >> 20)
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        None
    }
}

const OUT_OF_MEMORY: &[u8] =
    b"\nerror: out of memory: this machine (or the limit set for this process) gave the build \
no more memory. The edition folder was left as it was. A smaller [typeset] part_rows / part_cities in yearbook.toml \
lowers the memory a large book needs; docs/benchmarks.md says how much each edition size takes.\n";

/// Makes a thread the system refused to start end the run as running out of memory does.
///
/// The standard library and the crates we build on (the workbook writer makes a thread per
/// sheet, the layout engine a pool) panic when a thread cannot be made, and the cause is the
/// one the allocator reports: no room left for the thread's stack under the process's memory
/// limit (or a cap on its processes). A panic there would print an internal error and a
/// backtrace; the run ends instead with the out-of-memory message and status, the last edition
/// kept. Our own parallel steps go on with the threads they get (see `workers`); other panics
/// are left to the hook that was there.
pub fn report_refused_threads() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload_as_str().unwrap_or_default();
        if message.starts_with("failed to spawn thread")
            || message.contains("global thread pool has not been initialized")
        {
            out_of_memory();
        }
        previous(info);
    }));
}

fn out_of_memory() -> ! {
    // Nothing here may allocate: the message is written with a raw call to the C library (the
    // same `write` on Windows, where the C runtime passes it to the console or file behind
    // descriptor 2) and the process ends at once, with the exit status of I/O and internal
    // errors (2). The edition is only put in place once complete, so a build ended here leaves
    // the last one as it was.
    // SAFETY: write on stderr with a static buffer, then _exit(2); no Rust state is touched.
    unsafe {
        #[cfg(unix)]
        libc::write(2, OUT_OF_MEMORY.as_ptr().cast(), OUT_OF_MEMORY.len());
        // The message is a few hundred bytes: it fits the C runtime's `unsigned int` length.
        #[cfg(windows)]
        libc::write(2, OUT_OF_MEMORY.as_ptr().cast(), OUT_OF_MEMORY.len() as u32);
        libc::_exit(2);
    }
}

// SAFETY: every call is forwarded to the system allocator; a null result (out
// of memory) never returns.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory();
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by System with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded; `ptr` came from System with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory();
        }
        p
    }
}
