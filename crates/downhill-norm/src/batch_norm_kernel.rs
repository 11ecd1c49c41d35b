//! The raw batch-norm kernels on slices: statistics, normalization, fused backward.
//!
//! Each kernel walks memory in order. For `[N, C]` (`inner == 1`) the per-channel sums are
//! accumulated a whole contiguous row at a time into `C` accumulators, which the compiler
//! vectorizes; for `[N, C, *]` each `(n, c)` block of `inner` values is reduced at once.

use downhill_tensor::Element;

use crate::ChannelLayout;

/// Per-channel statistics of a batch (or the running estimates, in evaluation).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats<E> {
    /// The mean `μ_c` of each channel.
    pub mean: Vec<E>,
    /// The biased (divide by `M`) variance `σ²_c` of each channel.
    pub var: Vec<E>,
    /// `1 / √(σ²_c + ε)`.
    pub inv_std: Vec<E>,
}

impl<E: Element> ChannelStats<E> {
    /// Statistics from a given mean and variance (the running estimates).
    pub fn from_mean_var(mean: &[E], var: &[E], eps: E) -> Self {
        let inv_std = var.iter().map(|&v| E::one() / (v + eps).sqrt()).collect();
        Self {
            mean: mean.to_vec(),
            var: var.to_vec(),
            inv_std,
        }
    }
}

/// Adds `x − shift_c` (`squared == false`) or `(x − shift_c)²` into channel `c`'s accumulator.
/// Zipped iterators without indexing, so the `[N, C]` loop vectorizes across channels.
fn accumulate<E: Element>(
    x: &[E],
    layout: ChannelLayout,
    shift: &[E],
    squared: bool,
    acc: &mut [E],
) {
    let (c, inner) = (layout.channels, layout.inner);
    if inner == 1 {
        for row in x.chunks_exact(c) {
            let it = acc.iter_mut().zip(row).zip(shift);
            if squared {
                it.for_each(|((a, &v), &m)| *a = *a + (v - m) * (v - m));
            } else {
                it.for_each(|((a, &v), &m)| *a = *a + (v - m));
            }
        }
    } else {
        for (k, block) in x.chunks_exact(inner).enumerate() {
            let (ch, m) = (k % c, shift[k % c]);
            let s = if squared {
                block_sum(block.iter().map(|&v| (v - m) * (v - m)))
            } else {
                block_sum(block.iter().map(|&v| v - m))
            };
            acc[ch] = acc[ch] + s;
        }
    }
}

/// A sum with four independent accumulators (shorter dependency chains, vectorizable).
fn block_sum<E: Element>(values: impl Iterator<Item = E>) -> E {
    let mut acc = [E::zero(); 4];
    for (k, v) in values.enumerate() {
        acc[k & 3] = acc[k & 3] + v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Batch statistics of `x` (training mode), in two passes (mean, then centred squares) for
/// accuracy:
///
/// ```text
/// μ_c  = (1/M) Σ x        σ²_c = (1/M) Σ (x − μ_c)²        inv_std_c = 1/√(σ²_c + ε)
/// ```
///
/// # Panics
/// If `x.len()` differs from `layout.len()` (an internal invariant).
pub fn channel_stats<E: Element>(x: &[E], layout: ChannelLayout, eps: E) -> ChannelStats<E> {
    assert_eq!(x.len(), layout.len(), "channel_stats: layout does not fit");
    let m = E::of_usize(layout.per_channel());
    let zero = vec![E::zero(); layout.channels];
    let mut mean = zero.clone();
    accumulate(x, layout, &zero, false, &mut mean);
    mean.iter_mut().for_each(|v| *v = *v / m);
    let mut var = zero;
    accumulate(x, layout, &mean, true, &mut var);
    var.iter_mut().for_each(|v| *v = *v / m);
    let inv_std = var.iter().map(|&v| E::one() / (v + eps).sqrt()).collect();
    ChannelStats { mean, var, inv_std }
}

/// `y = (x − μ_c)·scale_c + shift_c` elementwise.
fn affine_map<E: Element>(x: &[E], layout: ChannelLayout, k: [&[E]; 3], out: &mut [E]) {
    let (c, inner) = (layout.channels, layout.inner);
    let [mean, scale, shift] = k;
    if inner == 1 {
        for (orow, xrow) in out.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
            let coefs = mean.iter().zip(scale.iter().zip(shift));
            for ((o, &v), (&m, (&a, &b))) in orow.iter_mut().zip(xrow).zip(coefs) {
                *o = (v - m) * a + b;
            }
        }
    } else {
        let blocks = out.chunks_exact_mut(inner).zip(x.chunks_exact(inner));
        for (k, (oblock, xblock)) in blocks.enumerate() {
            let ch = k % c;
            let (m, a, b) = (mean[ch], scale[ch], shift[ch]);
            for (o, &v) in oblock.iter_mut().zip(xblock) {
                *o = (v - m) * a + b;
            }
        }
    }
}

/// The normalization itself, into `y`:
///
/// ```text
/// y = γ_c · (x − μ_c) · inv_std_c + β_c       (γ = 1, β = 0 when absent)
/// ```
///
/// # Panics
/// If the slices' lengths do not fit `layout` (an internal invariant).
pub fn batch_norm_normalize<E: Element>(
    x: &[E],
    layout: ChannelLayout,
    stats: &ChannelStats<E>,
    gamma: Option<&[E]>,
    beta: Option<&[E]>,
    y: &mut [E],
) {
    assert_eq!(x.len(), y.len(), "batch_norm_normalize: x and y differ");
    let scale: Vec<E> = match gamma {
        Some(g) => g.iter().zip(&stats.inv_std).map(|(&g, &s)| g * s).collect(),
        None => stats.inv_std.clone(),
    };
    let zero = vec![E::zero(); layout.channels];
    let shift = beta.unwrap_or(&zero);
    affine_map(x, layout, [&stats.mean, &scale, shift], y);
}

/// Where [`batch_norm_backward`] writes its gradients (each overwritten, not accumulated).
#[derive(Debug)]
pub struct BatchNormGrads<'a, E> {
    /// `∂L/∂x`, shaped as `x`.
    pub dx: &'a mut [E],
    /// `∂L/∂γ = Σ g·x̂`, one per channel.
    pub dgamma: &'a mut [E],
    /// `∂L/∂β = Σ g`, one per channel.
    pub dbeta: &'a mut [E],
}

/// The fused closed-form backward of batch normalization, in two passes over `x` and `g`.
///
/// ```text
/// x̂  = (x − μ)·inv_std
/// dβ = Σ g          dγ = Σ g·x̂
/// training (batch statistics):  dx = (γ·inv_std / M) · (M·g − Σg − x̂·Σ(g·x̂))
/// evaluation (fixed statistics): dx = γ·inv_std · g
/// ```
/// with sums over the `M` values of each channel (Ioffe & Szegedy 2015, section 3).
///
/// # Panics
/// If the slices' lengths do not fit `layout` (an internal invariant).
pub fn batch_norm_backward<E: Element>(
    x: &[E],
    g: &[E],
    layout: ChannelLayout,
    stats: &ChannelStats<E>,
    gamma: Option<&[E]>,
    batch_stats: bool,
    out: BatchNormGrads<'_, E>,
) {
    assert_eq!(x.len(), g.len(), "batch_norm_backward: x and g differ");
    let c = layout.channels;
    let mean = &stats.mean;
    let (sg, sgx) = (&mut *out.dbeta, &mut *out.dgamma);
    sg.fill(E::zero());
    sgx.fill(E::zero());
    sums_g_gxc(x, g, layout, mean, sg, sgx);
    for (s, &is) in sgx.iter_mut().zip(&stats.inv_std) {
        *s = *s * is;
    }
    let m = E::of_usize(layout.per_channel());
    let mut coef = DxCoefs {
        a: vec![E::zero(); c],
        b: vec![E::zero(); c],
        d: vec![E::zero(); c],
    };
    for ch in 0..c {
        let a = gamma.map_or(E::one(), |gm| gm[ch]) * stats.inv_std[ch];
        coef.a[ch] = a;
        if batch_stats {
            coef.b[ch] = -a * stats.inv_std[ch] * sgx[ch] / m;
            coef.d[ch] = -a * sg[ch] / m;
        }
    }
    dx_pass(x, g, layout, mean, &coef, out.dx);
}

/// Per-channel coefficients of `dx = a·g + b·(x − μ) + d`.
struct DxCoefs<E> {
    a: Vec<E>,
    b: Vec<E>,
    d: Vec<E>,
}

/// One pass: `Σ g` and `Σ g·(x − μ)` per channel.
fn sums_g_gxc<E: Element>(
    x: &[E],
    g: &[E],
    layout: ChannelLayout,
    mean: &[E],
    sg: &mut [E],
    sgx: &mut [E],
) {
    let (c, inner) = (layout.channels, layout.inner);
    if inner == 1 {
        for (xrow, grow) in x.chunks_exact(c).zip(g.chunks_exact(c)) {
            let acc = sg.iter_mut().zip(sgx.iter_mut());
            for ((a, b), ((&xv, &gv), &m)) in acc.zip(xrow.iter().zip(grow).zip(mean)) {
                *a = *a + gv;
                *b = *b + gv * (xv - m);
            }
        }
    } else {
        let blocks = x.chunks_exact(inner).zip(g.chunks_exact(inner));
        for (k, (xb, gb)) in blocks.enumerate() {
            let (ch, m) = (k % c, mean[k % c]);
            sg[ch] = sg[ch] + block_sum(gb.iter().copied());
            sgx[ch] = sgx[ch] + block_sum(xb.iter().zip(gb).map(|(&xv, &gv)| gv * (xv - m)));
        }
    }
}

/// `dx = a·g + b·(x − μ) + d` with per-channel coefficients.
fn dx_pass<E: Element>(
    x: &[E],
    g: &[E],
    layout: ChannelLayout,
    mean: &[E],
    k: &DxCoefs<E>,
    dx: &mut [E],
) {
    let (c, inner) = (layout.channels, layout.inner);
    if inner == 1 {
        let rows = dx
            .chunks_exact_mut(c)
            .zip(x.chunks_exact(c).zip(g.chunks_exact(c)));
        for (drow, (xrow, grow)) in rows {
            let coefs = k.a.iter().zip(&k.b).zip(k.d.iter().zip(mean));
            let it = drow.iter_mut().zip(xrow.iter().zip(grow)).zip(coefs);
            for ((d, (&xv, &gv)), ((&a, &b), (&d0, &mu))) in it {
                *d = a * gv + b * (xv - mu) + d0;
            }
        }
    } else {
        let xg = x.chunks_exact(inner).zip(g.chunks_exact(inner));
        for (kb, (db, (xb, gb))) in dx.chunks_exact_mut(inner).zip(xg).enumerate() {
            let ch = kb % c;
            let (a, b, d0, mu) = (k.a[ch], k.b[ch], k.d[ch], mean[ch]);
            for (d, (&xv, &gv)) in db.iter_mut().zip(xb.iter().zip(gb)) {
                *d = a * gv + b * (xv - mu) + d0;
            }
        }
    }
}
