//! Operations that move elements without arithmetic: reshape, permute, slice, concat,
//! index-select and per-row pick. Their backward rules move the gradient back.

use downhill_tensor::ndarray::{Axis, Slice, concatenate};
use downhill_tensor::{Element, Tensor, TensorError};

use crate::op::{Ctx, Op};
use crate::{Result, Tape, Var};

fn axis_err<E: Element>(op: &'static str, x: &Tensor<E>, axis: usize) -> TensorError {
    TensorError::AxisOutOfRange {
        op,
        axis,
        shape: x.shape().to_vec(),
    }
}

impl<E: Element> Tape<E> {
    /// The same elements with a new shape of equal size.
    ///
    /// # Errors
    /// A shape of another element count; a wrong-tape or stale handle.
    pub fn reshape(&mut self, a: Var, shape: &[usize]) -> Result<Var> {
        let i = self.check(a, "reshape")?;
        let v = self.val(i).reshaped(shape)?;
        Ok(self.push_op(v, Op::Reshape(i), &[i]))
    }

    /// Reorders the axes: output axis `k` is input axis `perm[k]` (as `torch.permute`).
    ///
    /// # Errors
    /// `perm` not a permutation of `0..ndim`; a wrong-tape or stale handle.
    pub fn permute(&mut self, a: Var, perm: &[usize]) -> Result<Var> {
        let i = self.check(a, "permute")?;
        let x = self.val(i);
        let mut seen = perm.to_vec();
        seen.sort_unstable();
        if seen != (0..x.ndim()).collect::<Vec<_>>() {
            return Err(TensorError::InvalidArgument {
                op: "permute",
                name: "perm",
                value: format!("{perm:?}"),
                reason: format!(
                    "not a permutation of the {} axes of shape {:?}",
                    x.ndim(),
                    x.shape()
                ),
            }
            .into());
        }
        let v = Tensor::from_view(x.view().permuted_axes(perm.to_vec()));
        Ok(self.push_op(
            v,
            Op::Permute {
                x: i,
                perm: perm.to_vec(),
            },
            &[i],
        ))
    }

    /// The transpose of a 2-D value.
    ///
    /// # Errors
    /// A value that is not 2-D; a wrong-tape or stale handle.
    pub fn transpose(&mut self, a: Var) -> Result<Var> {
        let i = self.check(a, "transpose")?;
        if self.val(i).ndim() != 2 {
            return Err(TensorError::InvalidShape {
                op: "transpose",
                shape: self.val(i).shape().to_vec(),
                reason: "expected a 2-D matrix (use permute for more axes)".into(),
            }
            .into());
        }
        self.permute(a, &[1, 0])
    }

    /// The elements `start..end` along `axis`.
    ///
    /// # Errors
    /// An axis or range out of bounds; a wrong-tape or stale handle.
    pub fn slice(&mut self, a: Var, axis: usize, start: usize, end: usize) -> Result<Var> {
        let i = self.check(a, "slice")?;
        let x = self.val(i);
        if axis >= x.ndim() {
            return Err(axis_err("slice", x, axis).into());
        }
        if start > end || end > x.shape()[axis] {
            return Err(TensorError::InvalidArgument {
                op: "slice",
                name: "start..end",
                value: format!("{start}..{end}"),
                reason: format!("out of bounds for axis {axis} of shape {:?}", x.shape()),
            }
            .into());
        }
        let v = Tensor::from_view(x.view().slice_axis(Axis(axis), Slice::from(start..end)));
        Ok(self.push_op(v, Op::Slice { x: i, axis, start }, &[i]))
    }

    /// Joins values along an existing axis; all other axes must agree.
    ///
    /// # Errors
    /// No inputs, mismatched shapes or an axis out of range; a wrong-tape or stale handle.
    pub fn concat(&mut self, parts: &[Var], axis: usize) -> Result<Var> {
        let idx = parts
            .iter()
            .map(|&p| self.check(p, "concat"))
            .collect::<Result<Vec<_>>>()?;
        let Some(&first) = idx.first() else {
            return Err(TensorError::InvalidShape {
                op: "concat",
                shape: vec![],
                reason: "no inputs".into(),
            }
            .into());
        };
        let x0 = self.val(first);
        if axis >= x0.ndim() {
            return Err(axis_err("concat", x0, axis).into());
        }
        for &j in &idx[1..] {
            let xj = self.val(j);
            let same = xj.ndim() == x0.ndim()
                && (0..x0.ndim()).all(|k| k == axis || xj.shape()[k] == x0.shape()[k]);
            if !same {
                return Err(TensorError::ShapeMismatch {
                    op: "concat",
                    lhs: x0.shape().to_vec(),
                    rhs: xj.shape().to_vec(),
                    detail: format!(": shapes must agree except along axis {axis}"),
                }
                .into());
            }
        }
        let views: Vec<_> = idx.iter().map(|&j| self.val(j).view()).collect();
        let v = Tensor::from_array(concatenate(Axis(axis), &views).expect("shapes checked"));
        Ok(self.push_op(
            v,
            Op::Concat {
                xs: idx.clone(),
                axis,
            },
            &idx,
        ))
    }

    /// Gathers the sub-tensors at `indices` along `axis` (as `torch.index_select`); an index may
    /// repeat, and backward then adds its gradients.
    ///
    /// # Errors
    /// An axis or index out of range; a wrong-tape or stale handle.
    pub fn index_select(&mut self, a: Var, axis: usize, indices: &[usize]) -> Result<Var> {
        let i = self.check(a, "index_select")?;
        let x = self.val(i);
        if axis >= x.ndim() {
            return Err(axis_err("index_select", x, axis).into());
        }
        check_indices("index_select", indices, x.shape()[axis])?;
        let v = Tensor::from_array(x.array().select(Axis(axis), indices));
        Ok(self.push_op(
            v,
            Op::IndexSelect {
                x: i,
                axis,
                indices: indices.to_vec(),
            },
            &[i],
        ))
    }

    /// Picks one element per row of a `[N, C]` value: `out[n] = x[n, indices[n]]` (as
    /// `x.gather(1, idx)` in PyTorch). Used for per-class scores such as the hinge loss.
    ///
    /// # Errors
    /// A value that is not 2-D, not one index per row, or an index `>= C`.
    pub fn pick(&mut self, a: Var, indices: &[usize]) -> Result<Var> {
        let i = self.check(a, "pick")?;
        let x = self.val(i);
        if x.ndim() != 2 || indices.len() != x.shape()[0] {
            return Err(TensorError::InvalidShape {
                op: "pick",
                shape: x.shape().to_vec(),
                reason: format!("expected [N, C] with N = {} indices", indices.len()),
            }
            .into());
        }
        let c = x.shape()[1];
        check_indices("pick", indices, c)?;
        let data = indices
            .iter()
            .enumerate()
            .map(|(n, &k)| x.as_slice()[n * c + k])
            .collect();
        let v = Tensor::from_vec(&[indices.len()], data)?;
        Ok(self.push_op(
            v,
            Op::Pick {
                x: i,
                indices: indices.to_vec(),
            },
            &[i],
        ))
    }
}

fn check_indices(op: &'static str, indices: &[usize], bound: usize) -> Result<()> {
    if let Some((position, &index)) = indices.iter().enumerate().find(|&(_, &k)| k >= bound) {
        return Err(TensorError::IndexOutOfRange {
            op,
            index,
            bound,
            position,
        }
        .into());
    }
    Ok(())
}

pub(crate) fn reshape_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    g: Tensor<E>,
) -> Result<()> {
    let shape = ctx.val(a).shape().to_vec();
    ctx.acc(a, g.reshape(&shape)?)
}

pub(crate) fn permute_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    perm: &[usize],
    g: Tensor<E>,
) -> Result<()> {
    let mut inverse = vec![0; perm.len()];
    perm.iter().enumerate().for_each(|(k, &p)| inverse[p] = k);
    let gx = Tensor::from_view(g.view().permuted_axes(inverse));
    ctx.acc(a, gx)
}

pub(crate) fn slice_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    axis: usize,
    start: usize,
    g: Tensor<E>,
) -> Result<()> {
    let mut gx = Tensor::zeros(ctx.val(a).shape());
    let end = start + g.shape()[axis];
    gx.view_mut()
        .slice_axis_mut(Axis(axis), Slice::from(start..end))
        .assign(&g.view());
    ctx.acc(a, gx)
}

pub(crate) fn concat_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    xs: &[usize],
    axis: usize,
    g: Tensor<E>,
) -> Result<()> {
    let mut start = 0;
    for &x in xs {
        let len = ctx.val(x).shape()[axis];
        if ctx.wants(x) {
            let part = Tensor::from_view(
                g.view()
                    .slice_axis(Axis(axis), Slice::from(start..start + len)),
            );
            ctx.acc(x, part)?;
        }
        start += len;
    }
    Ok(())
}

pub(crate) fn index_select_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    axis: usize,
    indices: &[usize],
    g: Tensor<E>,
) -> Result<()> {
    let mut gx = Tensor::zeros(ctx.val(a).shape());
    {
        let mut gv = gx.view_mut();
        for (k, &idx) in indices.iter().enumerate() {
            let src = g.view().index_axis_move(Axis(axis), k);
            let mut dst = gv.index_axis_mut(Axis(axis), idx);
            dst.zip_mut_with(&src, |d, &s| *d = *d + s);
        }
    }
    ctx.acc(a, gx)
}

pub(crate) fn pick_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    indices: &[usize],
    g: Tensor<E>,
) -> Result<()> {
    let x = ctx.val(a);
    let c = x.shape()[1];
    let mut gx = Tensor::zeros(x.shape());
    let gs = gx.as_mut_slice();
    for (n, (&k, &gn)) in indices.iter().zip(g.as_slice()).enumerate() {
        gs[n * c + k] = gs[n * c + k] + gn;
    }
    ctx.acc(a, gx)
}
