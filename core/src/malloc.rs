//! The process's allocator, tuned once by each binary (`caliber`, `caliber-app`) at start.
//!
//! glibc gives every thread that meets contention an arena of its own, up to eight per core,
//! and keeps what each freed for reuse by that arena alone. A sync parses and sanitises on a
//! pool of threads and the app decodes pictures on Tokio's blocking pool, so freed memory
//! piled up in arenas no other thread could use: measured, the app held 26 MiB more after
//! scrolling 1,000 cards with `MALLOC_ARENA_MAX` unset than with 2 (BENCHMARKS.md).
//!
//! Large blocks (feed documents, bodies, decoded pictures) are mapped on their own from
//! 1 MiB up, so freeing one gives it back to the system at once; glibc's default raises
//! that threshold as big blocks are freed, until they too stay in the heap.
#![allow(unsafe_code)]

/// Blocks from this size up are mapped on their own (glibc's `M_MMAP_THRESHOLD`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;

/// Which program is tuning its allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// The app: two arenas, its memory stays low after a long scroll.
    App,
    /// The CLI: eight arenas. A sync's fetch tasks, parse worker and writer (then the
    /// sanitise worker and the writer, which sanitises too) allocate at the same time; two
    /// busy threads on one arena queue on its lock. On two arenas the list came 8–11 % later;
    /// on four, about one cold sync in five shared one between the sanitising threads and
    /// took up to twice as long (BENCHMARKS.md, "eight malloc arenas"). Peak RSS stays far
    /// under its 100 MiB target.
    Cli,
}

impl Host {
    /// glibc's `M_ARENA_MAX` for this program (used only where glibc is the allocator).
    #[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
    fn malloc_arenas(self) -> i32 {
        match self {
            Host::App => 2,
            Host::Cli => 8,
        }
    }
}

/// A bounded number of malloc arenas (glibc's `M_ARENA_MAX`, by `host`) and a fixed mmap
/// threshold; a no-op elsewhere (musl, bionic, macOS and Windows allocators do not pile up
/// per-thread arenas this way). Call it first thing in `main`, before other threads start.
pub fn tune_allocator(host: Host) {
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = host;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets a tunable of glibc's allocator; it is called before
        // the program starts other threads, and it fails (returns 0) without other effect.
        unsafe {
            let _ = libc::mallopt(libc::M_ARENA_MAX, host.malloc_arenas());
            let _ = libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}

/// Hand the pages of freed memory in every arena back to the system (glibc's `malloc_trim`);
/// a no-op elsewhere. glibc returns only the top of a heap by itself, so the holes a burst of
/// work leaves among longer-lived blocks stay counted in the process. The app calls it when
/// the last of a burst of picture requests is answered: after a scroll through 1,000 cards
/// its process held about 3 MiB less (BENCHMARKS.md, "the thumbnail cache").
pub fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists, under each arena's lock.
    unsafe {
        let _ = libc::malloc_trim(0);
    }
}

/// Where a buffer's spare capacity spans whole 2 MiB blocks, ask Linux to back them with
/// transparent huge pages (`MADV_HUGEPAGE`): one page fault and one zeroing for each 2 MiB
/// the buffer then fills, instead of 512. For the few buffers of many megabytes a sync
/// writes once (a huge feed document, inflated; its compressed body as it arrives): a 7 MB
/// document was 1,800 page faults, 1–2 % of a one-CPU `few-huge` sync (BENCHMARKS.md,
/// "8 KiB pages"). A no-op where THP is off (`never`) or elsewhere than Linux; smaller
/// buffers have no whole block to give.
pub(crate) fn prefer_huge_pages(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE_PAGE: usize = 2 << 20;
        let spare = buf.spare_capacity_mut();
        let from = spare.as_mut_ptr() as usize;
        let (start, end) = (from.next_multiple_of(HUGE_PAGE), (from + spare.len()) / HUGE_PAGE * HUGE_PAGE);
        if start < end {
            // SAFETY: the range lies inside `buf`'s own allocation, which is not yet written;
            // MADV_HUGEPAGE only advises how to back pages on their first touch, it changes
            // no contents (a refusal, say THP is not built in, is an error ignored).
            unsafe {
                let _ = libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::prefer_huge_pages;

    /// The kernel's flags of the mapping holding `addr` (`/proc/self/smaps`'s `VmFlags`).
    fn vm_flags_at(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((from, to)) = range.split_once('-')
                && let (Ok(from), Ok(to)) = (usize::from_str_radix(from, 16), usize::from_str_radix(to, 16))
            {
                inside = (from..to).contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.trim().to_owned();
            }
        }
        panic!("no mapping holds {addr:#x}")
    }

    #[test]
    fn a_buffer_of_many_megabytes_asks_for_huge_pages_and_keeps_what_is_written() {
        // A kernel built without transparent huge pages has nothing to ask.
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            return;
        }
        let mut big: Vec<u8> = Vec::with_capacity(8 << 20);
        prefer_huge_pages(&mut big);
        let middle = big.as_ptr() as usize + (4 << 20);
        assert!(vm_flags_at(middle).split(' ').any(|f| f == "hg"), "{}", vm_flags_at(middle));
        big.extend((0..8 << 20).map(|i: usize| (i % 251) as u8));
        assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        // Under 2 MiB there is no whole block: nothing is asked.
        let mut small: Vec<u8> = Vec::with_capacity(1 << 20);
        prefer_huge_pages(&mut small);
        assert!(!vm_flags_at(small.as_ptr() as usize).split(' ').any(|f| f == "hg"));
    }
}
