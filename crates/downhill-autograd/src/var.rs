//! Handles to recorded values.

/// A handle to a value recorded on a [`Tape`](crate::Tape): small and `Copy`.
///
/// A handle knows which tape recorded it and in which generation (the tape's count of
/// [`clear`](crate::Tape::clear) calls), so using it with another tape or after a clear is an
/// error rather than a silent read of the wrong value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Var {
    pub(crate) index: u32,
    pub(crate) tape: u32,
    pub(crate) generation: u32,
}

impl Var {
    /// The position of this value on its tape (recording order).
    pub fn index(self) -> usize {
        self.index as usize
    }
}
