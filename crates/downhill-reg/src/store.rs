//! Penalties over a whole model: the parameters of a `ParamStore` that a filter selects.

use downhill_autograd::{ParamStore, Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::error::finite;
use crate::{ParamFilter, Penalty, RegError, Result};

impl Penalty {
    /// Records `Σ R(Wᵢ)` over the tape's parameters that `filter` selects, as one scalar to add
    /// to the loss. With no parameter selected it is a constant 0.
    ///
    /// ```
    /// use downhill_autograd::Tape;
    /// use downhill_reg::{ParamFilter, Penalty};
    /// use downhill_tensor::Tensor;
    ///
    /// let mut tape = Tape::<f64>::new();
    /// tape.params_mut().add("0.weight", Tensor::full(&[2, 2], 1.0)).unwrap();
    /// tape.params_mut().add("0.bias", Tensor::full(&[2], 5.0)).unwrap();
    /// let r = Penalty::l2(0.5).unwrap().loss_over_params(&mut tape, &ParamFilter::default()).unwrap();
    /// assert_eq!(tape.value(r).unwrap().item().unwrap(), 2.0); // the bias is not penalized
    /// tape.backward(r).unwrap();
    /// assert_eq!(tape.params().iter().next().unwrap().grad.as_slice(), &[1.0; 4]);
    /// ```
    ///
    /// # Errors
    /// An invalid strength; [`RegError::NonFinite`] naming a selected parameter that holds NaN.
    pub fn loss_over_params<E: Element>(
        &self,
        tape: &mut Tape<E>,
        filter: &ParamFilter,
    ) -> Result<Var> {
        let ids: Vec<_> = tape
            .params()
            .ids()
            .filter(|&id| {
                let p = tape.params().get(id).expect("id from this store");
                filter.selects(&p.name, p.value.shape())
            })
            .collect();
        self.validate()?;
        for &id in &ids {
            let p = tape.params().get(id)?;
            finite("penalty", &p.name, &p.value)?; // before recording anything
        }
        let mut total = tape.constant(Tensor::scalar(E::zero()));
        for id in ids {
            let w = tape.param(id)?;
            let term = self.loss_term(tape, w)?;
            total = tape.add(total, term)?;
        }
        Ok(total)
    }

    /// `Σ R(Wᵢ)` over the selected parameters of a store, without a tape.
    ///
    /// # Errors
    /// As [`Penalty::loss_over_params`].
    pub fn value_over_params<E: Element>(
        &self,
        store: &ParamStore<E>,
        filter: &ParamFilter,
    ) -> Result<f64> {
        let mut total = 0.0;
        for p in store.iter() {
            if filter.selects(&p.name, p.value.shape()) {
                total += self
                    .value(&p.value)
                    .map_err(|e| rename(e, &p.name))?
                    .as_f64();
            }
        }
        Ok(total)
    }

    /// Adds `∇R(Wᵢ)` into the gradient buffer of every selected parameter of a store (marking
    /// it present): the tape-free way to regularize, after backward and before the optimizer.
    ///
    /// # Errors
    /// As [`Penalty::loss_over_params`]; nothing is modified when a parameter holds NaN.
    pub fn add_gradients_to_params<E: Element>(
        &self,
        store: &mut ParamStore<E>,
        filter: &ParamFilter,
    ) -> Result<()> {
        self.validate()?;
        for p in store.iter() {
            if filter.selects(&p.name, p.value.shape()) {
                finite("penalty", &p.name, &p.value)?;
            }
        }
        for p in store.iter_mut() {
            if filter.selects(&p.name, p.value.shape()) {
                if !p.has_grad {
                    p.grad.fill(E::zero());
                    p.has_grad = true;
                }
                self.add_gradient(&p.value, &mut p.grad)?;
            }
        }
        Ok(())
    }

    /// Adds `∇R(Wᵢ)` to `grads[i]` for every pair `(params[i], grads[i])`: the penalty as a
    /// gradient transformation on plain tensors, for optimizer users without a tape.
    ///
    /// ```text
    /// gᵢ ← gᵢ + λ₁ sign(Wᵢ) + 2λ₂ Wᵢ
    /// ```
    ///
    /// # Errors
    /// Different list lengths or shapes; an invalid strength; NaN in a parameter (then no
    /// gradient is modified).
    pub fn apply_to_grads<E: Element>(
        &self,
        params: &[&Tensor<E>],
        grads: &mut [&mut Tensor<E>],
    ) -> Result<()> {
        self.validate()?;
        if params.len() != grads.len() {
            return Err(RegError::InvalidShape {
                op: "penalty",
                shape: vec![params.len(), grads.len()],
                reason: "expected as many gradients as parameters".to_string(),
            });
        }
        for (i, (p, g)) in params.iter().zip(grads.iter()).enumerate() {
            finite("penalty", &format!("parameter {i}"), p)?;
            if p.shape() != g.shape() {
                return Err(RegError::InvalidShape {
                    op: "penalty",
                    shape: g.shape().to_vec(),
                    reason: format!("gradient {i} differs from its parameter's {:?}", p.shape()),
                });
            }
        }
        for (p, g) in params.iter().zip(grads.iter_mut()) {
            self.add_gradient(p, g)?;
        }
        Ok(())
    }
}

fn rename(e: RegError, name: &str) -> RegError {
    match e {
        RegError::NonFinite { op, .. } => RegError::NonFinite {
            op,
            what: name.to_string(),
        },
        other => other,
    }
}
