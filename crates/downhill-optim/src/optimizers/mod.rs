//! The named optimizers, one per file, with PyTorch's hyperparameter names and defaults.

pub(crate) mod adadelta;
pub(crate) mod adagrad;
pub(crate) mod adam;
pub(crate) mod adamax;
pub(crate) mod adamw;
pub(crate) mod lamb;
pub(crate) mod lion;
pub(crate) mod nadam;
pub(crate) mod radam;
pub(crate) mod rmsprop;
pub(crate) mod sgd;

/// `with_groups` and `build` for a rule type, and the alias of its built optimizer.
macro_rules! named_optimizer {
    ($rule:ident, $alias:ident) => {
        impl $rule {
            /// Appends parameter groups 1, 2, … with their own lr and weight decay; group 0
            /// always carries this config's values.
            pub fn with_groups(mut self, groups: Vec<$crate::GroupOverrides>) -> Self {
                self.groups.extend(groups);
                self
            }

            /// Validates the hyperparameters and builds the optimizer.
            ///
            /// # Errors
            /// [`OptimError::InvalidHyperparameter`](crate::OptimError::InvalidHyperparameter)
            /// naming the first invalid hyperparameter.
            pub fn build<E: downhill_tensor::Element>(
                &self,
            ) -> Result<$crate::FusedOptimizer<E, Self>, $crate::OptimError> {
                $crate::FusedOptimizer::new(self.clone(), &self.groups)
            }
        }

        #[doc = concat!("The built [`", stringify!($rule), "`] optimizer.")]
        pub type $alias<E = f32> = $crate::FusedOptimizer<E, $rule>;
    };
}
pub(crate) use named_optimizer;
