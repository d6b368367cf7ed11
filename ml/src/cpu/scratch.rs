//! A scratch buffer for the convolution's padded input, kept for the length of one forward
//! pass.
//!
//! The largest padded input is 53 MB (128 channels at 320×320). Allocating it afresh for each
//! of the net's 119 convolutions costs more in page faults than the copy into it; reusing one
//! buffer makes that a one-off. It is held only inside [`reuse`], so a worker thread does not
//! keep 50 MB after its forward pass.

use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Option<Vec<f32>>> = const { RefCell::new(None) };
}

/// Runs `f` with a scratch buffer that convolutions on this thread reuse.
pub(crate) fn reuse<T>(f: impl FnOnce() -> T) -> T {
    let outer = SCRATCH.with(|s| s.borrow_mut().replace(Vec::new()));
    let result = f();
    SCRATCH.with(|s| *s.borrow_mut() = outer);
    result
}

/// A buffer of at least `len` floats (any contents): the scratch buffer inside [`reuse`], a
/// fresh one outside.
pub(super) fn take(len: usize) -> Vec<f32> {
    let mut buffer = SCRATCH
        .with(|s| s.borrow_mut().as_mut().map(std::mem::take))
        .unwrap_or_default();
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    buffer
}

/// Hands a buffer from [`take`] back for the next convolution (dropped outside [`reuse`]).
pub(super) fn give_back(buffer: Vec<f32>) {
    SCRATCH.with(|s| {
        if let Some(slot) = s.borrow_mut().as_mut() {
            *slot = buffer;
        }
    });
}
