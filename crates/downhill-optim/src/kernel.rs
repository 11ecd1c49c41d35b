//! Elementwise loops over zipped slices, chunked across threads with rayon for large tensors.
//!
//! The named optimizers run one fused pass per parameter through these helpers: the closure
//! sees one element of the parameter, the gradient and each state buffer, so no temporary
//! tensor is ever allocated.

use rayon::prelude::*;

/// Tensors with at least this many elements are split across threads.
pub(crate) const PAR_THRESHOLD: usize = 1 << 16;
pub(crate) const CHUNK: usize = 1 << 15;

/// `f(x, g)` for each element.
pub(crate) fn zip1<E: Copy + Send + Sync>(x: &mut [E], g: &[E], f: impl Fn(&mut E, E) + Sync) {
    let run = |x: &mut [E], g: &[E]| x.iter_mut().zip(g).for_each(|(x, &g)| f(x, g));
    if x.len() < PAR_THRESHOLD {
        run(x, g);
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .for_each(|(x, g)| run(x, g));
    }
}

/// `f(x, g, a)` for each element.
pub(crate) fn zip2<E: Copy + Send + Sync>(
    x: &mut [E],
    g: &[E],
    a: &mut [E],
    f: impl Fn(&mut E, E, &mut E) + Sync,
) {
    let run = |x: &mut [E], g: &[E], a: &mut [E]| {
        for ((x, &g), a) in x.iter_mut().zip(g).zip(a.iter_mut()) {
            f(x, g, a);
        }
    };
    if x.len() < PAR_THRESHOLD {
        run(x, g, a);
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(a.par_chunks_mut(CHUNK))
            .for_each(|((x, g), a)| run(x, g, a));
    }
}

/// `f(x, g, a, b)` for each element.
pub(crate) fn zip3<E: Copy + Send + Sync>(
    x: &mut [E],
    g: &[E],
    a: &mut [E],
    b: &mut [E],
    f: impl Fn(&mut E, E, &mut E, &mut E) + Sync,
) {
    let run = |x: &mut [E], g: &[E], a: &mut [E], b: &mut [E]| {
        for (((x, &g), a), b) in x.iter_mut().zip(g).zip(a.iter_mut()).zip(b.iter_mut()) {
            f(x, g, a, b);
        }
    };
    if x.len() < PAR_THRESHOLD {
        run(x, g, a, b);
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(a.par_chunks_mut(CHUNK))
            .zip(b.par_chunks_mut(CHUNK))
            .for_each(|(((x, g), a), b)| run(x, g, a, b));
    }
}

/// `f(x, g, a, b, c)` for each element.
pub(crate) fn zip4<E: Copy + Send + Sync>(
    x: &mut [E],
    g: &[E],
    a: &mut [E],
    b: &mut [E],
    c: &mut [E],
    f: impl Fn(&mut E, E, &mut E, &mut E, &mut E) + Sync,
) {
    let run = |x: &mut [E], g: &[E], a: &mut [E], b: &mut [E], c: &mut [E]| {
        let it = x
            .iter_mut()
            .zip(g)
            .zip(a.iter_mut())
            .zip(b.iter_mut())
            .zip(c.iter_mut());
        for ((((x, &g), a), b), c) in it {
            f(x, g, a, b, c);
        }
    };
    if x.len() < PAR_THRESHOLD {
        run(x, g, a, b, c);
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(a.par_chunks_mut(CHUNK))
            .zip(b.par_chunks_mut(CHUNK))
            .zip(c.par_chunks_mut(CHUNK))
            .for_each(|((((x, g), a), b), c)| run(x, g, a, b, c));
    }
}

/// PyTorch's `lerp`: `a + w·(b − a)` for `w < ½`, else `b − (b − a)·(1 − w)`.
#[inline(always)]
pub(crate) fn lerp<E: downhill_tensor::Element>(a: E, b: E, w: E) -> E {
    if w < E::half() {
        a + w * (b - a)
    } else {
        b - (b - a) * (E::one() - w)
    }
}
