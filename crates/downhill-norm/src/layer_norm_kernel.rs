//! The raw layer-norm kernels on slices: forward with row statistics, fused backward.

use downhill_tensor::Element;

/// Per-row statistics of a layer-norm forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStats<E> {
    /// The mean of each row of `D` values.
    pub mean: Vec<E>,
    /// `1 / √(σ² + ε)` of each row, with the biased variance `σ²`.
    pub inv_std: Vec<E>,
}

/// Layer normalization of each contiguous row of `d` values, into `y`:
///
/// ```text
/// μ = (1/D) Σ x      σ² = (1/D) Σ (x − μ)²      y = γ ⊙ (x − μ)/√(σ² + ε) + β
/// ```
/// (`γ = 1`, `β = 0` when absent). Returns the row statistics the backward needs.
///
/// # Panics
/// If `x.len()` is not a multiple of `d`, or `y`, `gamma`, `beta` do not fit (internal
/// invariants).
pub fn layer_norm_forward<E: Element>(
    x: &[E],
    d: usize,
    eps: E,
    gamma: Option<&[E]>,
    beta: Option<&[E]>,
    y: &mut [E],
) -> RowStats<E> {
    assert!(
        d > 0 && x.len() % d == 0 && y.len() == x.len(),
        "layer_norm_forward: bad sizes"
    );
    let rows = x.len() / d;
    let mut stats = RowStats {
        mean: Vec::with_capacity(rows),
        inv_std: Vec::with_capacity(rows),
    };
    let dn = E::of_usize(d);
    for (xr, yr) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)) {
        let mean = xr.iter().copied().sum::<E>() / dn;
        let var = xr.iter().map(|&v| (v - mean) * (v - mean)).sum::<E>() / dn;
        let inv_std = E::one() / (var + eps).sqrt();
        for (k, (o, &v)) in yr.iter_mut().zip(xr).enumerate() {
            let g = gamma.map_or(E::one(), |g| g[k]);
            let b = beta.map_or(E::zero(), |b| b[k]);
            *o = (v - mean) * inv_std * g + b;
        }
        stats.mean.push(mean);
        stats.inv_std.push(inv_std);
    }
    stats
}

/// Where [`layer_norm_backward`] writes its gradients (`dx` overwritten, `dgamma` and `dbeta`
/// overwritten with the sums over rows).
#[derive(Debug)]
pub struct LayerNormGrads<'a, E> {
    /// `∂L/∂x`, shaped as `x`.
    pub dx: &'a mut [E],
    /// `∂L/∂γ = Σ_rows g ⊙ x̂`, of length `D`.
    pub dgamma: &'a mut [E],
    /// `∂L/∂β = Σ_rows g`, of length `D`.
    pub dbeta: &'a mut [E],
}

/// The fused closed-form backward of layer normalization, per row of `D` values:
///
/// ```text
/// ĝ  = g ⊙ γ
/// dx = (inv_std / D) · (D·ĝ − Σ ĝ − x̂ · Σ(ĝ ⊙ x̂))
/// dγ = Σ_rows g ⊙ x̂        dβ = Σ_rows g
/// ```
/// (Ba, Kiros & Hinton 2016).
///
/// # Panics
/// If the slices do not fit `d` and `stats` (internal invariants).
pub fn layer_norm_backward<E: Element>(
    x: &[E],
    g: &[E],
    d: usize,
    stats: &RowStats<E>,
    gamma: Option<&[E]>,
    out: LayerNormGrads<'_, E>,
) {
    assert!(
        x.len() == g.len() && x.len() == stats.mean.len() * d,
        "layer_norm_backward: bad sizes"
    );
    out.dgamma.fill(E::zero());
    out.dbeta.fill(E::zero());
    let dn = E::of_usize(d);
    let rows = x
        .chunks_exact(d)
        .zip(g.chunks_exact(d))
        .zip(out.dx.chunks_exact_mut(d));
    for (r, ((xr, gr), dxr)) in rows.enumerate() {
        let (mean, inv_std) = (stats.mean[r], stats.inv_std[r]);
        let (mut s1, mut s2) = (E::zero(), E::zero());
        for (k, (&xv, &gv)) in xr.iter().zip(gr).enumerate() {
            let xhat = (xv - mean) * inv_std;
            let gh = gv * gamma.map_or(E::one(), |gm| gm[k]);
            s1 = s1 + gh;
            s2 = s2 + gh * xhat;
            out.dgamma[k] = out.dgamma[k] + gv * xhat;
            out.dbeta[k] = out.dbeta[k] + gv;
        }
        let (s1, s2) = (s1 / dn, s2 / dn);
        for (k, (o, (&xv, &gv))) in dxr.iter_mut().zip(xr.iter().zip(gr)).enumerate() {
            let xhat = (xv - mean) * inv_std;
            let gh = gv * gamma.map_or(E::one(), |gm| gm[k]);
            *o = inv_std * (gh - s1 - xhat * s2);
        }
    }
}
