//! Elementwise loops over zipped slices, chunked across threads with rayon for large tensors.
//!
//! The named optimizers run one fused pass per parameter through these helpers: the closure
//! sees one element of the parameter, the gradient and each state buffer, so no temporary
//! tensor is ever allocated.
//!
//! The crate is built for the baseline x86-64 target (SSE2, 4 f32 lanes). On a CPU with AVX2
//! the same loop body is compiled a second time with AVX2 enabled and chosen at run time, so
//! the square roots and divisions of Adam-like updates run 8 lanes wide. Both versions perform
//! exactly the same IEEE operations in the same order (Rust never contracts `a·b + c` into a
//! fused multiply-add on its own, and `sqrt` and `/` are correctly rounded), so the results
//! are bitwise identical whichever runs; `tests::avx2_and_baseline_agree_bitwise` checks it.

use rayon::prelude::*;

/// Tensors with at least this many elements are split across threads.
pub(crate) const PAR_THRESHOLD: usize = 1 << 16;
pub(crate) const CHUNK: usize = 1 << 15;

/// Whether the AVX2 copy of the loops runs on this CPU.
#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Defines `$name(x, g, bufs…, f)`: `f(x, g, bufs…)` for each element, the loop compiled
/// twice (baseline and AVX2, chosen at run time) and chunked across threads above
/// [`PAR_THRESHOLD`] elements.
macro_rules! zip_kernel {
    ($(#[$doc:meta])* $name:ident, $baseline:ident, $avx2:ident; $($buf:ident),*) => {
        /// The loop body, inlined into both the baseline and the AVX2 copy.
        #[inline(always)]
        #[allow(clippy::too_many_arguments)]
        fn $baseline<E: Copy, F: Fn(&mut E, E, $(zip_kernel!(@ty $buf E)),*)>(
            x: &mut [E],
            g: &[E],
            $($buf: &mut [E],)*
            f: &F,
        ) {
            let n = x.len();
            let g = &g[..n];
            $(let $buf = &mut $buf[..n];)*
            for i in 0..n {
                f(&mut x[i], g[i], $(&mut $buf[i]),*);
            }
        }

        /// # Safety
        /// The CPU must support AVX2.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $avx2<E: Copy, F: Fn(&mut E, E, $(zip_kernel!(@ty $buf E)),*)>(
            x: &mut [E],
            g: &[E],
            $($buf: &mut [E],)*
            f: &F,
        ) {
            $baseline(x, g, $($buf,)* f)
        }

        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name<E: Copy + Send + Sync>(
            x: &mut [E],
            g: &[E],
            $($buf: &mut [E],)*
            f: impl Fn(&mut E, E, $(zip_kernel!(@ty $buf E)),*) + Sync,
        ) {
            let avx2 = has_avx2();
            let run = |x: &mut [E], g: &[E], $($buf: &mut [E]),*| {
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: `has_avx2` checked that the CPU supports AVX2.
                    return unsafe { $avx2(x, g, $($buf,)* &f) };
                }
                let _ = avx2;
                $baseline(x, g, $($buf,)* &f)
            };
            if x.len() < PAR_THRESHOLD {
                run(x, g, $($buf),*);
            } else {
                zip_kernel!(@par run, x, g; $($buf),*);
            }
        }
    };
    (@ty $buf:ident $E:ident) => { &mut $E };
    (@par $run:ident, $x:ident, $g:ident;) => {
        $x.par_chunks_mut(CHUNK)
            .zip($g.par_chunks(CHUNK))
            .for_each(|(x, g)| $run(x, g))
    };
    (@par $run:ident, $x:ident, $g:ident; $a:ident) => {
        $x.par_chunks_mut(CHUNK)
            .zip($g.par_chunks(CHUNK))
            .zip($a.par_chunks_mut(CHUNK))
            .for_each(|((x, g), a)| $run(x, g, a))
    };
    (@par $run:ident, $x:ident, $g:ident; $a:ident, $b:ident) => {
        $x.par_chunks_mut(CHUNK)
            .zip($g.par_chunks(CHUNK))
            .zip($a.par_chunks_mut(CHUNK))
            .zip($b.par_chunks_mut(CHUNK))
            .for_each(|(((x, g), a), b)| $run(x, g, a, b))
    };
    (@par $run:ident, $x:ident, $g:ident; $a:ident, $b:ident, $c:ident) => {
        $x.par_chunks_mut(CHUNK)
            .zip($g.par_chunks(CHUNK))
            .zip($a.par_chunks_mut(CHUNK))
            .zip($b.par_chunks_mut(CHUNK))
            .zip($c.par_chunks_mut(CHUNK))
            .for_each(|((((x, g), a), b), c)| $run(x, g, a, b, c))
    };
}

zip_kernel!(
    /// `f(x, g)` for each element.
    zip1, loop1, loop1_avx2;
);
zip_kernel!(
    /// `f(x, g, a)` for each element.
    zip2, loop2, loop2_avx2; a
);
zip_kernel!(
    /// `f(x, g, a, b)` for each element.
    zip3, loop3, loop3_avx2; a, b
);
zip_kernel!(
    /// `f(x, g, a, b, c)` for each element.
    zip4, loop4, loop4_avx2; a, b, c
);

/// PyTorch's `lerp`: `a + w·(b − a)` for `w < ½`, else `b − (b − a)·(1 − w)`.
#[inline(always)]
pub(crate) fn lerp<E: downhill_tensor::Element>(a: E, b: E, w: E) -> E {
    if w < E::half() {
        a + w * (b - a)
    } else {
        b - (b - a) * (E::one() - w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Adam-like body: lerp, square root, two divisions, a maximum.
    fn body(x: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
        *m = lerp(*m, g, 0.1);
        *v = *v * 0.999 + 0.001 * g * g;
        *x -= 1e-3 * (*m / (v.sqrt() / 0.3 + 1e-8)).max(-1e3);
    }

    fn data(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        let special = [
            0.0,
            -0.0,
            1e-40,
            -1e-45,
            f32::INFINITY,
            f32::NAN,
            1e30,
            -3.5,
        ];
        (0..n)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if i % 17 == 0 {
                    special[(s >> 29) as usize]
                } else {
                    (s >> 8) as f32 / (1 << 24) as f32 * 4.0 - 2.0
                }
            })
            .collect()
    }

    #[test]
    fn avx2_and_baseline_agree_bitwise() {
        if !has_avx2() {
            return;
        }
        // Lengths around the vector widths and unroll factors, so the remainders run too.
        for n in [0, 1, 7, 8, 9, 31, 33, 1000, 1027] {
            let (x0, g, m0, v0) = (data(n, 1), data(n, 2), data(n, 3), data(n, 4));
            let v0: Vec<f32> = v0.iter().map(|v| v.abs()).collect();
            let (mut xa, mut ma, mut va) = (x0.clone(), m0.clone(), v0.clone());
            let (mut xb, mut mb, mut vb) = (x0, m0, v0);
            loop3(&mut xa, &g, &mut ma, &mut va, &body);
            #[cfg(target_arch = "x86_64")]
            // SAFETY: checked above.
            unsafe {
                loop3_avx2(&mut xb, &g, &mut mb, &mut vb, &body)
            };
            for (a, b) in [(&xa, &xb), (&ma, &mb), (&va, &vb)] {
                let a: Vec<u32> = a.iter().map(|v| v.to_bits()).collect();
                let b: Vec<u32> = b.iter().map(|v| v.to_bits()).collect();
                assert_eq!(a, b, "n = {n}");
            }
        }
    }

    #[test]
    fn threaded_and_serial_paths_agree() {
        let n = PAR_THRESHOLD + CHUNK / 2 + 3;
        let (x0, g, m0) = (data(n, 5), data(n, 6), data(n, 7));
        let (mut xa, mut ma) = (x0.clone(), m0.clone());
        zip2(&mut xa, &g, &mut ma, |x, g, m| {
            *m = lerp(*m, g, 0.9);
            *x -= 0.5 * *m;
        });
        let (mut xb, mut mb) = (x0, m0);
        for i in 0..n {
            mb[i] = lerp(mb[i], g[i], 0.9);
            xb[i] -= 0.5 * mb[i];
        }
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&xa), bits(&xb));
        assert_eq!(bits(&ma), bits(&mb));
    }
}
