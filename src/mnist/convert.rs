//! Large buffers for the loader: the pixel conversion to `f32`, and huge-page advice.
//!
//! Owns the speed of turning decoded bytes into the training arrays. Most of the cost of
//! converting MNIST's 47 million pixels is not arithmetic but the kernel handing out fresh
//! memory one 4 KiB page at a time (about 46,000 page faults for the 172 MB training
//! images). On Linux the buffers are therefore marked with `MADV_HUGEPAGE` before they are
//! first written, so that transparent huge pages (2 MiB, where the system allows them, which
//! is the default "madvise" mode of common distributions) cut the number of faults by 512.
//! Elsewhere, or when the kernel declines, the advice is a no-op and only speed differs.

use super::dataset::PIXEL_SCALE;

/// Buffers smaller than this are not worth an `madvise` call.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const ADVICE_MIN_BYTES: usize = 4 << 20;

/// The system's transparent-huge-page mode (`always`, `madvise` or `never`), when known.
/// With `never` the advice of [`with_capacity_advised`] has no effect and loading is slower.
pub fn transparent_huge_pages_mode() -> Option<String> {
    let text = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(text[start..end].to_string())
}

/// An empty vector with room for `len` values, which the kernel is asked to back with
/// transparent huge pages when it is large (harmless and ignored when it declines).
pub fn with_capacity_advised<T>(len: usize) -> Vec<T> {
    let mut buffer = Vec::<T>::with_capacity(len);
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let bytes = std::mem::size_of_val(buffer.spare_capacity_mut());
        let start = buffer.as_mut_ptr() as usize;
        // Only whole pages inside the buffer: madvise wants a page-aligned start.
        let first = start.next_multiple_of(PAGE);
        let last = (start + bytes) / PAGE * PAGE;
        if bytes >= ADVICE_MIN_BYTES && last > first {
            // SAFETY: the range [first, last) lies inside the buffer's allocation, which we
            // own. MADV_HUGEPAGE only changes how the kernel backs those pages (it never
            // changes their contents or validity), so no Rust invariant can be affected.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    buffer
}

/// Pixel bytes to `f32` as TF 1.x did: `f32(byte) * f32(1/255)`, one rounding in float32.
pub fn pixels_to_f32(pixels: &[u8]) -> Vec<f32> {
    let mut out = with_capacity_advised(pixels.len());
    // A plain map over a slice: the compiler vectorises it, and `extend` writes each value
    // once into the advised buffer.
    out.extend(pixels.iter().map(|&byte| f32::from(byte) * PIXEL_SCALE));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::dataset::pixel_to_f32;

    #[test]
    fn conversion_matches_the_reference_for_every_byte() {
        let bytes: Vec<u8> = (0..=255).cycle().take(3 * 256 + 7).collect();
        let converted = pixels_to_f32(&bytes);
        assert_eq!(converted.len(), bytes.len());
        for (&value, &byte) in converted.iter().zip(&bytes) {
            assert_eq!(value.to_bits(), pixel_to_f32(byte).to_bits(), "byte {byte}");
        }
    }

    #[test]
    fn huge_page_mode_is_one_of_the_known_ones() {
        if let Some(mode) = transparent_huge_pages_mode() {
            assert!(
                ["always", "madvise", "never"].contains(&mode.as_str()),
                "{mode}"
            );
        }
    }

    #[test]
    fn large_buffers_are_advised_and_usable() {
        // Larger than the advice threshold: the call must not disturb the contents.
        let bytes = vec![255u8; 2 * ADVICE_MIN_BYTES];
        let converted = pixels_to_f32(&bytes);
        assert!(converted.iter().all(|&value| value == 1.0));
        let mut empty: Vec<u64> = with_capacity_advised(0);
        empty.push(1);
        assert_eq!(empty, [1]);
    }
}
