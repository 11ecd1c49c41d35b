//! The tensor type: a thin owner of an ndarray dynamic-dimension array.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, IxDyn};

use crate::{Element, Result, TensorError};

/// An n-dimensional array of [`Element`]s, always in standard (row-major, contiguous) layout.
///
/// `Tensor` owns an [`ndarray::ArrayD`] and adds the kernels downhill needs, each returning a
/// [`TensorError`] that names the operation and the shapes when the operands do not fit.
/// The contiguous layout is an invariant: every constructor and kernel keeps it, so
/// [`Tensor::as_slice`] never fails and hot loops run over plain slices.
///
/// ```
/// use downhill_tensor::Tensor;
/// let a = Tensor::<f32>::from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let b = Tensor::<f32>::from_vec(&[2], vec![10.0, 20.0]).unwrap();
/// let c = a.add(&b).unwrap(); // NumPy broadcasting: b is added to every row
/// assert_eq!(c.as_slice(), &[11.0, 22.0, 13.0, 24.0]);
/// ```
#[derive(Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct Tensor<E: Element = f32> {
    data: ArrayD<E>,
}

impl<E: Element> std::fmt::Debug for Tensor<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?} {:?}", self.shape(), self.data)
    }
}

impl<E: Element> Tensor<E> {
    /// A tensor of the given shape filled with zeros.
    ///
    /// Buffers of at least [`HUGE_PAGE_MIN_BYTES`](crate::HUGE_PAGE_MIN_BYTES) are advised onto
    /// transparent huge pages on Linux before their first touch (see the crate docs).
    pub fn zeros(shape: &[usize]) -> Self {
        // `vec![0; n]` behind `ArrayD::zeros` is a zeroed allocation: large ones are fresh
        // untouched pages, so the advice takes effect when they first fault in.
        let data = ArrayD::zeros(IxDyn(shape));
        if let Some(s) = data.as_slice_memory_order() {
            crate::alloc::advise_huge_pages(s);
        }
        Self { data }
    }

    /// A tensor of the given shape filled with ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, E::one())
    }

    /// A tensor of the given shape filled with `value`.
    ///
    /// Large buffers get the same huge-page advice as [`Tensor::zeros`].
    pub fn full(shape: &[usize], value: E) -> Self {
        let n: usize = shape.iter().product();
        if n.saturating_mul(std::mem::size_of::<E>()) < crate::HUGE_PAGE_MIN_BYTES {
            return Self {
                data: ArrayD::from_elem(IxDyn(shape), value),
            };
        }
        let mut t = Self::zeros(shape);
        if value != E::zero() || value.is_sign_negative() {
            t.fill(value);
        }
        t
    }

    /// A 0-dimensional tensor holding one value.
    pub fn scalar(value: E) -> Self {
        Self::full(&[], value)
    }

    /// A tensor of `shape` over `data` in row-major order.
    ///
    /// # Errors
    /// [`TensorError::LengthMismatch`] when `data.len()` is not the product of `shape`.
    pub fn from_vec(shape: &[usize], data: Vec<E>) -> Result<Self> {
        let expected = checked_len("from_vec", shape)?;
        if data.len() != expected {
            return Err(TensorError::LengthMismatch {
                op: "from_vec",
                shape: shape.to_vec(),
                len: data.len(),
                expected,
            });
        }
        // SAFETY: a row-major (default-strided) shape whose element count fits in isize
        // (`checked_len`) and equals the vector's length (checked above): ndarray's own check
        // would repeat exactly these tests, and it is measurable on small tensors.
        let data = unsafe { ArrayD::from_shape_vec_unchecked(IxDyn(shape), data) };
        Ok(Self { data })
    }

    /// A tensor whose element at multi-index `i` is `f(i)`.
    pub fn from_fn(shape: &[usize], mut f: impl FnMut(&[usize]) -> E) -> Self {
        Self {
            data: ArrayD::from_shape_fn(IxDyn(shape), |ix| f(ndarray::Dimension::slice(&ix))),
        }
    }

    /// Wraps an ndarray array (any dimensionality), copying only if it is not in standard layout.
    pub fn from_array<D: ndarray::Dimension>(array: ndarray::Array<E, D>) -> Self {
        let data = array.into_dyn();
        let data = if data.is_standard_layout() {
            data
        } else {
            data.as_standard_layout().into_owned()
        };
        Self { data }
    }

    /// Copies an ndarray view into a new tensor.
    pub fn from_view<D: ndarray::Dimension>(view: ndarray::ArrayView<'_, E, D>) -> Self {
        Self {
            data: view.into_dyn().as_standard_layout().into_owned(),
        }
    }

    /// The shape, one length per axis.
    #[inline]
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The number of axes.
    #[inline]
    pub fn ndim(&self) -> usize {
        self.data.ndim()
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor holds no element.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    #[inline]
    pub fn as_slice(&self) -> &[E] {
        self.data.as_slice().expect("Tensor is always contiguous")
    }

    /// The elements in row-major order, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        self.data
            .as_slice_mut()
            .expect("Tensor is always contiguous")
    }

    /// The underlying ndarray array.
    #[inline]
    pub fn array(&self) -> &ArrayD<E> {
        &self.data
    }

    /// A view of the underlying array.
    #[inline]
    pub fn view(&self) -> ArrayViewD<'_, E> {
        self.data.view()
    }

    /// A mutable view of the underlying array (its shape cannot change, so layout is kept).
    #[inline]
    pub fn view_mut(&mut self) -> ArrayViewMutD<'_, E> {
        self.data.view_mut()
    }

    /// Unwraps into the ndarray array.
    pub fn into_array(self) -> ArrayD<E> {
        self.data
    }

    /// Unwraps into the row-major element buffer.
    pub fn into_vec(self) -> Vec<E> {
        let len = self.len();
        // An array wrapped by `from_array` may be a contiguous window of a larger buffer (e.g.
        // after `slice_collapse`): keep only the window.
        let (mut v, offset) = self.data.into_raw_vec_and_offset();
        let offset = if len == 0 { 0 } else { offset.unwrap_or(0) };
        v.truncate(offset + len);
        v.drain(..offset);
        v
    }

    /// The single element of a tensor with exactly one element.
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] when the tensor holds other than one element.
    pub fn item(&self) -> Result<E> {
        if self.len() != 1 {
            return Err(TensorError::invalid_shape(
                "item",
                self.shape(),
                "expected exactly one element",
            ));
        }
        Ok(self.as_slice()[0])
    }

    /// The element at a multi-index, or `None` when it is out of bounds.
    pub fn get(&self, index: &[usize]) -> Option<E> {
        self.data.get(IxDyn(index)).copied()
    }

    /// The same elements with a new shape of equal element count (no copy).
    ///
    /// # Errors
    /// [`TensorError::LengthMismatch`] when the element counts differ.
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        let expected = checked_len("reshape", shape)?;
        if expected != self.len() {
            return Err(TensorError::LengthMismatch {
                op: "reshape",
                shape: shape.to_vec(),
                len: self.len(),
                expected,
            });
        }
        let v = self.into_vec();
        Self::from_vec(shape, v)
    }

    /// Like [`Tensor::reshape`] but borrowing: copies the elements.
    ///
    /// # Errors
    /// As [`Tensor::reshape`].
    pub fn reshaped(&self, shape: &[usize]) -> Result<Self> {
        self.clone().reshape(shape)
    }

    /// Converts every element to another element type.
    pub fn cast<F: Element>(&self) -> Tensor<F> {
        Tensor {
            data: self.data.mapv(|x| F::of(x.as_f64())),
        }
    }

    /// Applies `f` to every element, returning a new tensor.
    pub fn map(&self, f: impl Fn(E) -> E) -> Self {
        Self {
            data: self.data.mapv(f),
        }
    }

    /// Applies `f` to every element in place.
    pub fn map_inplace(&mut self, f: impl Fn(E) -> E) {
        self.as_mut_slice().iter_mut().for_each(|x| *x = f(*x));
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: E) {
        self.as_mut_slice().fill(value);
    }

    /// Whether every element is finite (no NaN or infinity).
    pub fn all_finite(&self) -> bool {
        self.as_slice().iter().all(|x| x.is_finite())
    }

    /// Copies `other`'s elements into `self`.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes differ.
    pub fn assign(&mut self, other: &Self) -> Result<()> {
        if !crate::shapes_equal(self.shape(), other.shape()) {
            return Err(TensorError::mismatch(
                "assign",
                self.shape(),
                other.shape(),
                "",
            ));
        }
        self.as_mut_slice().copy_from_slice(other.as_slice());
        Ok(())
    }

    /// The maximum absolute elementwise difference to `other` (for tests and checks).
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes differ.
    pub fn max_abs_diff(&self, other: &Self) -> Result<E> {
        if self.shape() != other.shape() {
            return Err(TensorError::mismatch(
                "max_abs_diff",
                self.shape(),
                other.shape(),
                "",
            ));
        }
        Ok(self
            .as_slice()
            .iter()
            .zip(other.as_slice())
            .fold(E::zero(), |m, (&a, &b)| m.max((a - b).abs())))
    }
}

/// The element count of `shape`, or an error when it overflows `isize` (which ndarray requires).
fn checked_len(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| TensorError::invalid_shape(op, shape, "the element count overflows"))
}

impl<E: Element, D: ndarray::Dimension> From<ndarray::Array<E, D>> for Tensor<E> {
    fn from(array: ndarray::Array<E, D>) -> Self {
        Self::from_array(array)
    }
}
