//! Buffers recycled within one forward pass.
//!
//! U²-Net-p's activations at 320×320 are 6.5 to 53 MB each, and the forward pass makes and
//! drops about 250 of them. A fresh allocation that size comes from the kernel as untouched
//! pages, and faulting them in costs more than the work on them: on this project's machines,
//! copying a 26 MB activation into fresh memory took 26 ms. Inside [`reuse`], buffers that [`super::Buf`]s drop are kept and
//! handed out again, so after the first few layers nothing is allocated. Outside it, [`take`]
//! allocates and [`recycle`] drops, and a worker thread keeps nothing after its forward pass.

use std::cell::RefCell;

/// Buffers kept at most: enough for the activations one layer reads and writes.
const KEEP: usize = 8;

thread_local! {
    static FREE: RefCell<Option<Vec<Vec<f32>>>> = const { RefCell::new(None) };
}

/// Runs `f` with buffer recycling on this thread.
pub(crate) fn reuse<T>(f: impl FnOnce() -> T) -> T {
    let outer = FREE.with(|free| free.borrow_mut().replace(Vec::new()));
    let result = f();
    FREE.with(|free| *free.borrow_mut() = outer);
    result
}

/// A buffer of **at least** `len` floats with **any** contents: for callers that write the
/// first `len` before reading them and ignore the rest. A kept buffer keeps its length, so
/// handing it out again writes nothing: shortening and regrowing it would zero-fill.
pub(super) fn take(len: usize) -> Vec<f32> {
    let kept = FREE.with(|free| {
        let mut free = free.borrow_mut();
        let free = free.as_mut()?;
        let pick = (0..free.len())
            .filter(|&i| free[i].len() >= len)
            .min_by_key(|&i| free[i].len())?;
        Some(free.swap_remove(pick))
    });
    // A fresh buffer's zeroed pages come from the kernel on first touch.
    kept.unwrap_or_else(|| vec![0.0; len])
}

/// Gives `buffer` back for a later [`take`] inside [`reuse`]; drops it outside.
pub(super) fn recycle(buffer: Vec<f32>) {
    FREE.with(|free| {
        if let Some(free) = free.borrow_mut().as_mut() {
            free.push(buffer);
            if free.len() > KEEP {
                // Drop the smallest: the big ones are the expensive ones to fault in again.
                if let Some(i) = (0..free.len()).min_by_key(|&i| free[i].len()) {
                    free.swap_remove(i);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_inside_reuse() {
        reuse(|| {
            let first = take(1000);
            let at = first.as_ptr();
            recycle(first);
            let again = take(500);
            assert_eq!(again.as_ptr(), at, "the kept buffer is handed out again");
            assert_eq!(again.len(), 1000, "and keeps its length");
            assert_eq!(take(2000).len(), 2000, "a bigger one is made");
        });
        // After the pass nothing is kept.
        assert!(FREE.with(|free| free.borrow().is_none()));
    }
}
