//! Small f32 matrix products with AVX2 and FMA, chosen at run time.
//!
//! matrixmultiply packs both operands into panels before its microkernel runs; for the 32×32
//! products of a small network that packing (and its aligned allocation) costs more than the
//! arithmetic. Below [`MAX_MACS`] multiply-adds, an f32 product on a CPU with AVX2 and FMA is
//! computed here instead, without packing:
//!
//! ```text
//! row kernel:  D[r, c..c+8] += L[r, p] · R[p, c..c+8]      for p in 0..k
//!              (L read element by element at any strides, R row-major and contiguous,
//!               blocks of 4 rows × 16 columns accumulated in registers)
//! dot kernel:  C[i, j] = Σ_p A[i, p] · B[j, p]               (both rows contiguous: A·Bᵀ)
//! ```
//!
//! `C = α·op(A)·op(B) + β·C` is mapped onto the row kernel with `D = C` (when `n ≥ 8`) or
//! `D = Cᵀ = op(B)ᵀ·op(A)ᵀ` (when `n < 8`, so that the 8-wide vectors run along the longer
//! side); an operand that is not row-major in the needed orientation is transposed into a
//! per-thread scratch buffer (at most `k·max(m, n)` floats, small by construction). `A·Bᵀ` with
//! both `m` and `n` below 8 uses the dot kernel instead (with `m ≥ 8`, e.g. a linear layer with
//! few outputs over a batch, transposing `A` and running the row kernel on `Cᵀ` keeps several
//! independent FMA chains where each dot product is one latency-bound chain). Blocks are 4 rows
//! tall, then 2 and 1 at the row edge. As in BLAS, `β = 0` means `C` is not read.
//!
//! The sums use FMA in a fixed order, so results are deterministic for given shapes, but they
//! are not bitwise those of matrixmultiply (which also uses FMA, in a different order).

use crate::Transpose;

/// The largest product (`m·n·k` multiply-adds) computed by the small kernels.
///
/// Measured on the bench machine (AMD EPYC Zen 3, 2 cores, loaded): isolated products from
/// 16³ to 64³ are within ±30% of matrixmultiply either way (faster without transposes, slower
/// with a transposed right operand at 32³–64³, and matrixmultiply wins above 64³), but inside
/// the tiny MLP's training step, where matrixmultiply also allocates its packing buffers and
/// consults its thread pool on every call, the small kernels give +18% steps per second
/// (six interleaved runs each).
pub(crate) const MAX_MACS: usize = 64 * 64 * 64;

/// Computes `c ← α·op(a)·op(b) + β·c` for row-major `a` (`[m, k]`, or `[k, m]` when `ta` is
/// `Yes`), `b` (`[k, n]`, or `[n, k]`) and `c` (`[m, n]`) when the product is small and the CPU
/// has AVX2 and FMA; returns `false` (having done nothing) otherwise.
///
/// With `bias` (`n` values, only with `α = 1` and `β = 0`) it computes the linear layer
/// `c[i, j] ← bias[j] + Σ_p op(a)[i, p]·op(b)[p, j]`: the accumulators start from the bias
/// instead of zero, so the bias costs no extra pass over `c`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn try_sgemm(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: &[f32],
    ta: Transpose,
    b: &[f32],
    tb: Transpose,
    beta: f32,
    c: &mut [f32],
    bias: Option<&[f32]>,
) -> bool {
    if m == 0 || n == 0 || k == 0 || m.saturating_mul(n).saturating_mul(k) > MAX_MACS {
        return false;
    }
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n);
    assert!(bias.is_none_or(|b| b.len() == n && alpha == 1.0 && beta == 0.0));
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked above); lengths asserted above.
            unsafe { x86::sgemm((m, n, k), alpha, a, ta, b, tb, beta, c, bias) };
            return true;
        }
    }
    let _ = (alpha, ta, tb, beta, c, bias);
    false
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::cell::RefCell;

    use crate::Transpose::{self, No, Yes};

    thread_local! {
        /// The per-thread buffer an operand is transposed into; it only grows.
        static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }

    /// `dst ← srcᵀ` for row-major `src` `[rows, cols]` and `dst` `[cols, rows]`: 8×8 blocks
    /// through registers (unpack, shuffle, lane permute), the edges element by element.
    #[target_feature(enable = "avx2,fma")]
    fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
        assert!(src.len() == rows * cols && dst.len() == rows * cols);
        let (r8, c8) = (rows / 8 * 8, cols / 8 * 8);
        for r0 in (0..r8).step_by(8) {
            for c0 in (0..c8).step_by(8) {
                // SAFETY: rows r0..r0+8 and columns c0..c0+8 are inside both matrices.
                unsafe {
                    let ld = |i: usize| _mm256_loadu_ps(src.as_ptr().add((r0 + i) * cols + c0));
                    let (a0, a1, a2, a3) = (ld(0), ld(1), ld(2), ld(3));
                    let (a4, a5, a6, a7) = (ld(4), ld(5), ld(6), ld(7));
                    let (t0, t1) = (_mm256_unpacklo_ps(a0, a1), _mm256_unpackhi_ps(a0, a1));
                    let (t2, t3) = (_mm256_unpacklo_ps(a2, a3), _mm256_unpackhi_ps(a2, a3));
                    let (t4, t5) = (_mm256_unpacklo_ps(a4, a5), _mm256_unpackhi_ps(a4, a5));
                    let (t6, t7) = (_mm256_unpacklo_ps(a6, a7), _mm256_unpackhi_ps(a6, a7));
                    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                    let out = [
                        _mm256_permute2f128_ps::<0x20>(u0, u4),
                        _mm256_permute2f128_ps::<0x20>(u1, u5),
                        _mm256_permute2f128_ps::<0x20>(u2, u6),
                        _mm256_permute2f128_ps::<0x20>(u3, u7),
                        _mm256_permute2f128_ps::<0x31>(u0, u4),
                        _mm256_permute2f128_ps::<0x31>(u1, u5),
                        _mm256_permute2f128_ps::<0x31>(u2, u6),
                        _mm256_permute2f128_ps::<0x31>(u3, u7),
                    ];
                    for (j, v) in out.into_iter().enumerate() {
                        _mm256_storeu_ps(dst.as_mut_ptr().add((c0 + j) * rows + r0), v);
                    }
                }
            }
        }
        for r in 0..rows {
            let from = if r < r8 { c8 } else { 0 };
            for c in from..cols {
                dst[c * rows + r] = src[r * cols + c];
            }
        }
    }

    /// The left operand of the row kernel: `L[r, p] = ptr[r·rs + p·ps]`.
    #[derive(Clone, Copy)]
    struct Strided<'a> {
        data: &'a [f32],
        rs: usize,
        ps: usize,
    }

    /// Where a linear layer's bias enters the output `D` (the accumulators start from it).
    #[derive(Clone, Copy)]
    enum Bias<'a> {
        /// No bias: accumulators start at zero.
        Zero,
        /// `D[r, c]` starts from `b[c]` (`D = C`).
        Cols(&'a [f32]),
        /// `D[r, c]` starts from `b[r]` (`D = Cᵀ`).
        Rows(&'a [f32]),
    }

    /// The output of the row kernel: `D[r, c] = data[r·rs + c·cs]`.
    struct Out<'a> {
        data: &'a mut [f32],
        rs: usize,
        cs: usize,
        alpha: f32,
        beta: f32,
        bias: Bias<'a>,
    }

    impl Out<'_> {
        /// The sum `v` for `D[r, c]` plus its bias (`v` itself without one).
        #[inline(always)]
        fn biased(&self, r: usize, c: usize, v: f32) -> f32 {
            match self.bias {
                Bias::Zero => v,
                Bias::Cols(b) => v + b[c],
                Bias::Rows(b) => v + b[r],
            }
        }

        /// Writes `α·acc + β·D` to `D[r, c..c+8]`.
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn store8(&mut self, r: usize, c: usize, acc: __m256) {
            let base = r * self.rs + c * self.cs;
            if self.cs == 1 {
                let p = self.data[base..base + 8].as_mut_ptr();
                // SAFETY: `p` points at 8 floats in bounds (slice indexed above).
                unsafe {
                    let mut v = if self.alpha == 1.0 {
                        acc
                    } else {
                        _mm256_mul_ps(_mm256_set1_ps(self.alpha), acc)
                    };
                    match self.bias {
                        Bias::Zero => {}
                        Bias::Cols(b) => {
                            v = _mm256_add_ps(v, _mm256_loadu_ps(b[c..c + 8].as_ptr()))
                        }
                        Bias::Rows(b) => v = _mm256_add_ps(v, _mm256_set1_ps(b[r])),
                    }
                    if self.beta != 0.0 {
                        v = _mm256_fmadd_ps(_mm256_set1_ps(self.beta), _mm256_loadu_ps(p), v);
                    }
                    _mm256_storeu_ps(p, v);
                }
            } else {
                let mut lanes = [0f32; 8];
                // SAFETY: `lanes` holds 8 floats.
                unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
                for (q, &v) in lanes.iter().enumerate() {
                    let v = self.biased(r, c + q, v);
                    self.put(base + q * self.cs, v);
                }
            }
        }

        /// Writes `α·v + β·D` to the output element at `at`.
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn put(&mut self, at: usize, v: f32) {
            let d = &mut self.data[at];
            *d = if self.beta == 0.0 {
                self.alpha * v
            } else {
                self.alpha.mul_add(v, self.beta * *d)
            };
        }
    }

    /// `D[rows, cols] ← α·L·R + β·D` with `R` row-major `[k, cols]`: blocks of 4 rows × 16
    /// columns (8 independent accumulator chains, enough to hide the FMA latency), then the
    /// row and column edges with narrower blocks and a scalar tail.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_kernel(
        rows: usize,
        cols: usize,
        k: usize,
        l: Strided<'_>,
        rm: &[f32],
        out: &mut Out<'_>,
    ) {
        assert!(rm.len() == k * cols);
        assert!((rows - 1) * l.rs + (k - 1) * l.ps < l.data.len());
        assert!((rows - 1) * out.rs + (cols - 1) * out.cs < out.data.len());
        let mut r = 0;
        // SAFETY (all three): rows r..r+MR exist by the loop conditions; the assertions above
        // cover every element of L, R and D that the blocks touch.
        unsafe {
            while r + 4 <= rows {
                row_strip::<4>(r, cols, k, l, rm, out);
                r += 4;
            }
            // Fewer than 4 rows left: a 2-row strip still gives 4 independent chains.
            if r + 2 <= rows {
                row_strip::<2>(r, cols, k, l, rm, out);
                r += 2;
            }
            if r < rows {
                row_strip::<1>(r, cols, k, l, rm, out);
            }
        }
    }

    /// Rows `r..r+MR` of the row kernel: 16-column blocks, at most one 8-column block, then the
    /// remaining columns one dot product at a time.
    ///
    /// # Safety
    /// AVX2 and FMA; rows `r..r+MR` exist and the assertions of [`row_kernel`] hold.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_strip<const MR: usize>(
        r: usize,
        cols: usize,
        k: usize,
        l: Strided<'_>,
        rm: &[f32],
        out: &mut Out<'_>,
    ) {
        let mut c = 0;
        // SAFETY: columns c..c+8·NV exist by the loop conditions; the rest is the caller's.
        unsafe {
            while c + 16 <= cols {
                block::<MR, 2>(r, c, k, cols, l, rm, out);
                c += 16;
            }
            if c + 8 <= cols {
                block::<MR, 1>(r, c, k, cols, l, rm, out);
                c += 8;
            }
        }
        for rr in r..r + MR {
            for cc in c..cols {
                let mut s = 0f32;
                for p in 0..k {
                    s = l.data[rr * l.rs + p * l.ps].mul_add(rm[p * cols + cc], s);
                }
                let v = out.biased(rr, cc, s);
                out.put(rr * out.rs + cc * out.cs, v);
            }
        }
    }

    /// One `MR × 8·NV` block of the row kernel, accumulated in registers over all of `k` (two
    /// values of `p` per iteration, each accumulator still summing in the order of `p`).
    ///
    /// # Safety
    /// AVX2 and FMA; rows `r..r+MR` of `l` and `D`, and columns `c..c+8·NV` of `rm`
    /// (`[k, cols]`) and `D`, exist.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const MR: usize, const NV: usize>(
        r: usize,
        c: usize,
        k: usize,
        cols: usize,
        l: Strided<'_>,
        rm: &[f32],
        out: &mut Out<'_>,
    ) {
        let (lp, rp) = (l.data.as_ptr(), rm.as_ptr());
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        let step = |acc: &mut [[__m256; NV]; MR], p: usize| {
            // SAFETY: in bounds by the function's contract (p < k).
            unsafe {
                let row = rp.add(p * cols + c);
                let mut b = [_mm256_setzero_ps(); NV];
                for (v, b) in b.iter_mut().enumerate() {
                    *b = _mm256_loadu_ps(row.add(8 * v));
                }
                for (i, acc) in acc.iter_mut().enumerate() {
                    let a = _mm256_set1_ps(*lp.add((r + i) * l.rs + p * l.ps));
                    for (acc, &b) in acc.iter_mut().zip(&b) {
                        *acc = _mm256_fmadd_ps(a, b, *acc);
                    }
                }
            }
        };
        let mut p = 0;
        while p + 2 <= k {
            step(&mut acc, p);
            step(&mut acc, p + 1);
            p += 2;
        }
        if p < k {
            step(&mut acc, p);
        }
        if out.cs == 1 && out.alpha == 1.0 && (out.beta == 0.0 || out.beta == 1.0) {
            // The common cases (a product, or a product accumulated into D) with contiguous
            // rows, decided once per block: `D + acc` is what `fma(1, D, acc)` rounds to.
            // A bias (only with β = 0) is added the same way: `acc + b`, what the old
            // prefill-then-accumulate computed, bitwise.
            let (d, rs, accumulate) = (out.data.as_mut_ptr(), out.rs, out.beta == 1.0);
            for (i, acc) in acc.iter().enumerate() {
                for (v, &acc) in acc.iter().enumerate() {
                    // SAFETY: row r + i, columns c + 8v.. c + 8v + 8 of D (and of a column
                    // bias, which has D's columns) are in bounds.
                    unsafe {
                        let q = d.add((r + i) * rs + c + 8 * v);
                        let x = match out.bias {
                            _ if accumulate => _mm256_add_ps(_mm256_loadu_ps(q), acc),
                            Bias::Zero => acc,
                            Bias::Cols(b) => {
                                _mm256_add_ps(acc, _mm256_loadu_ps(b[c + 8 * v..].as_ptr()))
                            }
                            Bias::Rows(b) => _mm256_add_ps(acc, _mm256_set1_ps(b[r + i])),
                        };
                        _mm256_storeu_ps(q, x);
                    }
                }
            }
        } else {
            for (i, acc) in acc.iter().enumerate() {
                for (v, &acc) in acc.iter().enumerate() {
                    out.store8(r + i, c + 8 * v, acc);
                }
            }
        }
    }

    /// `C[m, n] ← α·A·Bᵀ + β·C` with `A` `[m, k]` and `B` `[n, k]`, one dot product per output.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_kernel(
        (m, n, k): (usize, usize, usize),
        a: &[f32],
        b: &[f32],
        out: &mut Out<'_>,
    ) {
        for i in 0..m {
            let ar = &a[i * k..(i + 1) * k];
            for j in 0..n {
                let br = &b[j * k..(j + 1) * k];
                let mut acc = _mm256_setzero_ps();
                let mut p = 0;
                while p + 8 <= k {
                    // SAFETY: `p + 8 ≤ k`, the length of both rows.
                    unsafe {
                        let x = _mm256_loadu_ps(ar.as_ptr().add(p));
                        let y = _mm256_loadu_ps(br.as_ptr().add(p));
                        acc = _mm256_fmadd_ps(x, y, acc);
                    }
                    p += 8;
                }
                let mut lanes = [0f32; 8];
                // SAFETY: `lanes` holds 8 floats.
                unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
                let mut s = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
                    + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
                for q in p..k {
                    s = ar[q].mul_add(br[q], s);
                }
                let v = out.biased(i, j, s);
                out.put(i * n + j, v);
            }
        }
    }

    /// See [`super::try_sgemm`]; the caller guarantees AVX2, FMA, non-zero sizes and lengths.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sgemm(
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        a: &[f32],
        ta: Transpose,
        b: &[f32],
        tb: Transpose,
        beta: f32,
        c: &mut [f32],
        bias: Option<&[f32]>,
    ) {
        if n >= 8 || n >= m {
            // D = C: rows m, columns n; L = op(A), R = op(B) as [k, n] (B stored [n, k] when
            // transposed).
            let l = match ta {
                No => Strided {
                    data: a,
                    rs: k,
                    ps: 1,
                },
                Yes => Strided {
                    data: a,
                    rs: 1,
                    ps: m,
                },
            };
            let mut out = Out {
                data: c,
                rs: n,
                cs: 1,
                alpha,
                beta,
                bias: bias.map_or(Bias::Zero, Bias::Cols),
            };
            // SAFETY: the caller guarantees AVX2 and FMA.
            unsafe { row_kernel_on((m, n, k), l, b, tb == Yes, &mut out) }
        } else if ta == No && tb == Yes && k >= 8 && m < 8 {
            let mut out = Out {
                data: c,
                rs: n,
                cs: 1,
                alpha,
                beta,
                bias: bias.map_or(Bias::Zero, Bias::Cols),
            };
            // SAFETY: the caller guarantees AVX2 and FMA.
            unsafe { dot_kernel((m, n, k), a, b, &mut out) }
        } else {
            // D = Cᵀ = op(B)ᵀ·op(A)ᵀ: rows n, columns m; L = op(B)ᵀ, R = op(A)ᵀ as [k, m]
            // (A stored [m, k] when not transposed).
            let l = match tb {
                No => Strided {
                    data: b,
                    rs: 1,
                    ps: n,
                },
                Yes => Strided {
                    data: b,
                    rs: k,
                    ps: 1,
                },
            };
            let mut out = Out {
                data: c,
                rs: 1,
                cs: n,
                alpha,
                beta,
                bias: bias.map_or(Bias::Zero, Bias::Rows),
            };
            // SAFETY: the caller guarantees AVX2 and FMA.
            unsafe { row_kernel_on((n, m, k), l, a, ta == No, &mut out) }
        }
    }

    /// The row kernel with `R` row-major `[k, cols]` as given, or stored `[cols, k]` and first
    /// transposed into the thread's scratch buffer when `r_stored_transposed`.
    ///
    /// # Safety
    /// AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_kernel_on(
        (rows, cols, k): (usize, usize, usize),
        l: Strided<'_>,
        r: &[f32],
        r_stored_transposed: bool,
        out: &mut Out<'_>,
    ) {
        if !r_stored_transposed {
            // SAFETY: the caller guarantees AVX2 and FMA.
            return unsafe { row_kernel(rows, cols, k, l, r, out) };
        }
        SCRATCH.with_borrow_mut(|buf| {
            let len = k * cols;
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            let rt = &mut buf[..len];
            transpose(&r[..len], cols, k, rt);
            // SAFETY: the caller guarantees AVX2 and FMA.
            unsafe { row_kernel(rows, cols, k, l, rt, out) }
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Transpose::{No, Yes};

    /// `α·op(A)·op(B) + β·C` in f64, the plain triple loop.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        a: &[f32],
        ta: Transpose,
        b: &[f32],
        tb: Transpose,
        beta: f32,
        c: &[f32],
    ) -> Vec<f64> {
        let at = |i: usize, p: usize| f64::from(if ta == No { a[i * k + p] } else { a[p * m + i] });
        let bt = |p: usize, j: usize| f64::from(if tb == No { b[p * n + j] } else { b[j * k + p] });
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                let prev = if beta == 0.0 {
                    0.0
                } else {
                    f64::from(beta) * f64::from(c[i * n + j])
                };
                out[i * n + j] = f64::from(alpha) * s + prev;
            }
        }
        out
    }

    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn has_simd() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every layout branch (row kernel on C or Cᵀ, dot kernel, transposed scratch copies,
        /// vector and scalar tails, β = 0 with a NaN-filled C) against the f64 triple loop.
        #[test]
        fn matches_the_triple_loop(
            m in 1usize..70, n in 1usize..70, k in 1usize..70,
            ta in prop::bool::ANY, tb in prop::bool::ANY,
            coeffs in prop::sample::select(vec![(1.0f32, 0.0f32), (1.0, 1.0), (-0.5, 2.0)]),
            seed in any::<u64>(),
        ) {
            let tr = |t: bool| if t { Yes } else { No };
            let (ta, tb) = (tr(ta), tr(tb));
            let (alpha, beta) = coeffs;
            let a = values(m * k, seed);
            let b = values(k * n, seed ^ 1);
            let mut c = if beta == 0.0 { vec![f32::NAN; m * n] } else { values(m * n, seed ^ 2) };
            let want = reference((m, n, k), alpha, &a, ta, &b, tb, beta, &c);
            let done = try_sgemm((m, n, k), alpha, &a, ta, &b, tb, beta, &mut c, None);
            prop_assert_eq!(done, has_simd() && m * n * k <= MAX_MACS);
            if done {
                for (got, want) in c.iter().zip(&want) {
                    // |entries| ≤ 1: the error of a k-term f32 sum is ≤ k·ε in absolute terms.
                    let tol = 4.0 * (k as f64 + 2.0) * f64::from(f32::EPSILON);
                    prop_assert!((f64::from(*got) - want).abs() <= tol, "{} vs {}", got, want);
                }
            }
        }

        /// The bias epilogue on every layout branch (row kernel on C with a column bias, on Cᵀ
        /// with a row bias, dot kernel; vector and scalar tails), into a NaN-filled C.
        #[test]
        fn with_bias_matches_the_triple_loop(
            m in 1usize..70, n in 1usize..70, k in 1usize..70,
            ta in prop::bool::ANY, tb in prop::bool::ANY,
            seed in any::<u64>(),
        ) {
            let tr = |t: bool| if t { Yes } else { No };
            let (ta, tb) = (tr(ta), tr(tb));
            let a = values(m * k, seed);
            let b = values(k * n, seed ^ 1);
            let bias = values(n, seed ^ 3);
            let mut c = vec![f32::NAN; m * n];
            let mut want = reference((m, n, k), 1.0, &a, ta, &b, tb, 0.0, &c);
            for (i, w) in want.iter_mut().enumerate() {
                *w += f64::from(bias[i % n]);
            }
            let done = try_sgemm((m, n, k), 1.0, &a, ta, &b, tb, 0.0, &mut c, Some(&bias));
            prop_assert_eq!(done, has_simd() && m * n * k <= MAX_MACS);
            if done {
                for (got, want) in c.iter().zip(&want) {
                    let tol = 4.0 * (k as f64 + 3.0) * f64::from(f32::EPSILON);
                    prop_assert!((f64::from(*got) - want).abs() <= tol, "{} vs {}", got, want);
                }
            }
        }
    }
}
