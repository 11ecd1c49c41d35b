//! Which parameters a penalty or a constraint applies to.

use std::fmt;
use std::sync::Arc;

/// A predicate on a parameter's name and shape.
pub type ParamPredicate = Arc<dyn Fn(&str, &[usize]) -> bool + Send + Sync>;

/// Selects parameters by name and shape.
///
/// The default, [`ParamFilter::WeightsOnly`], selects names ending in `"weight"` of rank ≥ 2:
/// the weight matrices of linear layers and the kernels of convolutions, but neither biases nor
/// the rank-1 scale (`weight`) and shift (`bias`) of batch or layer norm. Penalizing biases and
/// norm parameters is rarely wanted (it fights the normalization; see the lecture and
/// PyTorch's usual "no weight decay on bias and norm" parameter groups).
///
/// ```
/// use downhill_reg::ParamFilter;
/// let f = ParamFilter::default();
/// assert!(f.selects("0.weight", &[4, 3]));
/// assert!(!f.selects("0.bias", &[4]));
/// assert!(!f.selects("1.weight", &[4])); // a batch-norm scale
/// assert!(ParamFilter::names(["0.bias"]).selects("0.bias", &[4]));
/// assert!(ParamFilter::predicate(|name, _| name.starts_with("2.")).selects("2.bias", &[1]));
/// ```
#[derive(Clone, Default)]
pub enum ParamFilter {
    /// Names ending in `"weight"` with rank ≥ 2 (the default).
    #[default]
    WeightsOnly,
    /// Every parameter.
    All,
    /// Exactly the parameters with these names.
    Names(Vec<String>),
    /// The parameters for which the predicate on `(name, shape)` holds.
    Predicate(ParamPredicate),
}

impl ParamFilter {
    /// Selects exactly the named parameters.
    pub fn names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        ParamFilter::Names(names.into_iter().map(Into::into).collect())
    }

    /// Selects the parameters for which `f(name, shape)` holds.
    pub fn predicate(f: impl Fn(&str, &[usize]) -> bool + Send + Sync + 'static) -> Self {
        ParamFilter::Predicate(Arc::new(f))
    }

    /// Whether the parameter `name` of shape `shape` is selected.
    pub fn selects(&self, name: &str, shape: &[usize]) -> bool {
        match self {
            ParamFilter::WeightsOnly => name.ends_with("weight") && shape.len() >= 2,
            ParamFilter::All => true,
            ParamFilter::Names(names) => names.iter().any(|n| n == name),
            ParamFilter::Predicate(f) => f(name, shape),
        }
    }
}

impl fmt::Debug for ParamFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamFilter::WeightsOnly => f.write_str("WeightsOnly"),
            ParamFilter::All => f.write_str("All"),
            ParamFilter::Names(n) => f.debug_tuple("Names").field(n).finish(),
            ParamFilter::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}
