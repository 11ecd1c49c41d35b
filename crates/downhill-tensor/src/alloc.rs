//! Large buffers on transparent huge pages.
//!
//! Streaming kernels over tens of megabytes (an optimizer step over millions of parameters)
//! spend a measurable part of their time on TLB misses with the kernel's default 4 KiB pages:
//! every 4 KiB of each stream is a new page-table walk, and hardware prefetchers stop at page
//! boundaries. Linux can back anonymous memory with 2 MiB pages instead ("transparent huge
//! pages"); on most distributions it does so only for ranges advised with
//! `madvise(MADV_HUGEPAGE)` (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`).
//!
//! [`Tensor::zeros`](crate::Tensor::zeros) and [`Tensor::full`](crate::Tensor::full) advise the
//! 2 MiB-aligned interior of every buffer of at least [`HUGE_PAGE_MIN_BYTES`] before its pages
//! are first touched, so those pages fault in as huge pages. The advice changes no value and
//! no address; the kernel may ignore it (THP `never`, no free huge page), and a failed call is
//! ignored. Setting the environment variable `DOWNHILL_NO_HUGEPAGES` (to anything) turns the
//! advice off for the process. PyTorch has the same mechanism behind the opt-in
//! `THP_MEM_ALLOC_ENABLE=1` (c10's CPU allocator), off by default.

/// Buffers of at least this many bytes made by [`Tensor::zeros`](crate::Tensor::zeros) or
/// [`Tensor::full`](crate::Tensor::full) are advised onto transparent huge pages (Linux only;
/// see the crate documentation's "Memory" section); smaller ones keep the default page size.
///
/// Set the environment variable `DOWNHILL_NO_HUGEPAGES` to turn the advice off.
pub const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Whether the advice is on: the environment variable `DOWNHILL_NO_HUGEPAGES` is unset.
#[cfg(target_os = "linux")]
fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DOWNHILL_NO_HUGEPAGES").is_none())
}

/// Advises the kernel to back the 2 MiB-aligned interior of `buf` with huge pages, if `buf`
/// holds at least [`HUGE_PAGE_MIN_BYTES`]. Only pages not yet touched are affected at fault
/// time, so call it on a fresh zeroed allocation before writing to it.
pub(crate) fn advise_huge_pages<E>(buf: &[E]) {
    #[cfg(target_os = "linux")]
    {
        let bytes = std::mem::size_of_val(buf);
        if bytes < HUGE_PAGE_MIN_BYTES || !enabled() {
            return;
        }
        let start = buf.as_ptr() as usize;
        let first = start.next_multiple_of(HUGE_PAGE);
        let end = (start + bytes) & !(HUGE_PAGE - 1);
        if end > first {
            // SAFETY: [first, end) lies inside `buf`'s allocation and is page aligned;
            // MADV_HUGEPAGE is advice only: it changes neither the contents nor the mapping's
            // addresses or permissions. Its result is ignored on purpose (THP may be off).
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(test)]
mod tests {
    use crate::{HUGE_PAGE_MIN_BYTES, Tensor};

    /// Buffers above the threshold, on both sides of it, hold exactly what was asked for:
    /// the advice changes no value (zeros, a fill, negative zero, NaN) and keeps the shape.
    #[test]
    fn large_buffers_hold_their_values() {
        let big = HUGE_PAGE_MIN_BYTES / 4 + 3 * 1024 + 5;
        let z = Tensor::<f32>::zeros(&[big]);
        assert_eq!(z.shape(), &[big]);
        assert!(z.as_slice().iter().all(|v| v.to_bits() == 0));
        for value in [1.5f32, -0.0, f32::NAN, 0.0] {
            let t = Tensor::<f32>::full(&[3, big / 3], value);
            assert_eq!(t.shape(), &[3, big / 3]);
            assert!(t.as_slice().iter().all(|v| v.to_bits() == value.to_bits()));
            let small = Tensor::<f32>::full(&[7], value);
            assert!(
                small
                    .as_slice()
                    .iter()
                    .all(|v| v.to_bits() == value.to_bits())
            );
        }
        let d = Tensor::<f64>::full(&[HUGE_PAGE_MIN_BYTES / 8], -2.0);
        assert!(d.as_slice().iter().all(|&v| v == -2.0));
        let empty = Tensor::<f32>::full(&[0, 4], 1.0);
        assert_eq!(empty.len(), 0);
    }

    /// On Linux with THP in `madvise` or `always` mode (and compaction allowed at fault time),
    /// a large zeroed tensor, once written, lies on huge pages: the mapping that holds it
    /// reports `AnonHugePages` in `/proc/self/smaps`. Skipped where THP is off.
    #[cfg(target_os = "linux")]
    #[test]
    fn large_zeroed_buffers_are_advised() {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let mode = read("/sys/kernel/mm/transparent_hugepage/enabled");
        let defrag = read("/sys/kernel/mm/transparent_hugepage/defrag");
        if !(mode.contains("[madvise]") || mode.contains("[always]"))
            || defrag.contains("[never]")
            || std::env::var_os("DOWNHILL_NO_HUGEPAGES").is_some()
        {
            return;
        }
        let mut t = Tensor::<f32>::zeros(&[16 << 20]); // 64 MiB
        t.fill(1.0);
        let addr = t.as_slice().as_ptr() as usize + (32 << 20);
        // The AnonHugePages line of the mapping containing `addr`.
        let smaps = read("/proc/self/smaps");
        let mut inside = false;
        let mut huge_kb = None;
        for line in smaps.lines() {
            let head = line.split_whitespace().next().unwrap_or("");
            if let Some((lo, hi)) = head.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = lo <= addr && addr < hi;
                continue;
            }
            if inside && let Some(rest) = line.strip_prefix("AnonHugePages:") {
                huge_kb = rest
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok());
                break;
            }
        }
        assert_eq!(t.as_slice()[12345], 1.0);
        let huge_kb = huge_kb.expect("the tensor's mapping is listed in /proc/self/smaps");
        assert!(
            huge_kb >= 2048,
            "no huge page in the tensor's mapping ({huge_kb} kB)"
        );
    }
}
