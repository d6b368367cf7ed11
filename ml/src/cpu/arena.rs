//! Buffers recycled within a forward pass and kept between passes.
//!
//! U²-Net-p's activations at 320×320 are 6.5 to 53 MB each, and the forward pass makes and
//! drops about 250 of them. A fresh allocation that size comes from the kernel as untouched
//! pages, and faulting them in costs more than the work on them: on this project's machines,
//! copying a 26 MB activation into fresh memory took 26 ms. Inside [`reuse`], buffers that
//! [`super::Buf`]s drop are kept and handed out again, so after the first few layers nothing
//! is allocated. At the end of the pass the biggest are left in a [`BufferPool`] for the next
//! one: glibc's malloc hands blocks that big back to the kernel on free, and every pass
//! faulted its first layers' buffers in again. The matte's planes (`matte`, `guide`,
//! `filter`) are recycled the same way through a pool of their own. Outside [`reuse`],
//! [`take`] allocates and [`recycle`] drops.

use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};

/// Buffers kept at most: enough for the activations one layer reads and writes.
const KEEP: usize = 8;

thread_local! {
    static FREE: RefCell<Option<Vec<Vec<f32>>>> = const { RefCell::new(None) };
}

/// Buffers kept from one pass to the next (the net's, or the matte's): at most [`KEEP`], the
/// biggest. They are held while the rest of a job runs, so a job's peak memory grows by
/// them: +28 MiB on a 12 MP job for both pools.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    kept: Mutex<Vec<Vec<f32>>>,
}

impl BufferPool {
    fn swap(&self, buffers: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *kept, buffers)
    }
}

/// Runs `f` (a pass on this thread) with buffer recycling, starting from the
/// buffers `pool` kept and leaving it the biggest ones at the end. Passes that run at the
/// same time on other threads find the pool empty and allocate their own.
pub(crate) fn reuse<T>(pool: &BufferPool, f: impl FnOnce() -> T) -> T {
    let outer = FREE.with(|free| free.borrow_mut().replace(pool.swap(Vec::new())));
    let result = f();
    let mut left = FREE
        .with(|free| std::mem::replace(&mut *free.borrow_mut(), outer))
        .unwrap_or_default();
    // A pass that ran beside this one may have left its own; keep the biggest of both.
    left.extend(pool.swap(Vec::new()));
    left.sort_by_key(|buffer| std::cmp::Reverse(buffer.capacity()));
    left.truncate(KEEP);
    pool.swap(left);
    result
}

/// A buffer of **at least** `len` floats with **any** contents: for callers that write the
/// first `len` before reading them and ignore the rest. A kept buffer keeps its length, so
/// handing it out again writes nothing: shortening and regrowing it would zero-fill.
pub(super) fn take(len: usize) -> Vec<f32> {
    // A fresh buffer's zeroed pages come from the kernel on first touch.
    kept(len, Vec::len).unwrap_or_else(|| vec![0.0; len])
}

/// Exactly `len` floats with **any** contents, for callers that write all of them and hand
/// the vector on by its length (the matte's planes). A kept buffer is cut to `len`, or
/// regrown within its capacity: memory the pass already touched, so no page faults.
pub(super) fn take_exact(len: usize) -> Vec<f32> {
    match kept(len, Vec::capacity) {
        Some(mut buffer) => {
            buffer.resize(len, 0.0);
            buffer
        }
        None => vec![0.0; len],
    }
}

/// The kept buffer whose `size` is the smallest at or above `len`, taken out of the free
/// list; `None` outside [`reuse`] or when none is big enough.
fn kept(len: usize, size: fn(&Vec<f32>) -> usize) -> Option<Vec<f32>> {
    FREE.with(|free| {
        let mut free = free.borrow_mut();
        let free = free.as_mut()?;
        let pick = (0..free.len())
            .filter(|&i| size(&free[i]) >= len)
            .min_by_key(|&i| size(&free[i]))?;
        Some(free.swap_remove(pick))
    })
}

/// Gives `buffer` back for a later [`take`] inside [`reuse`]; drops it outside.
pub(super) fn recycle(buffer: Vec<f32>) {
    FREE.with(|free| {
        if let Some(free) = free.borrow_mut().as_mut() {
            free.push(buffer);
            if free.len() > KEEP {
                // Drop the smallest: the big ones are the expensive ones to fault in again.
                if let Some(i) = (0..free.len()).min_by_key(|&i| free[i].capacity()) {
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
    fn buffers_come_back_inside_reuse_and_the_pool_keeps_them() {
        let pool = BufferPool::default();
        let mut at = std::ptr::null();
        reuse(&pool, || {
            let first = take(1000);
            at = first.as_ptr();
            recycle(first);
            let again = take(500);
            assert_eq!(again.as_ptr(), at, "the kept buffer is handed out again");
            assert_eq!(again.len(), 1000, "and keeps its length");
            assert_eq!(take(2000).len(), 2000, "a bigger one is made");
            recycle(again);
        });
        // After the pass this thread keeps nothing; the pool has the buffer.
        assert!(FREE.with(|free| free.borrow().is_none()));
        let next = reuse(&pool, || take(800));
        assert_eq!(
            next.as_ptr(),
            at,
            "the next pass starts from the kept buffer"
        );
        // The pool keeps the biggest KEEP buffers.
        reuse(&pool, || {
            for len in 1..=2 * KEEP {
                recycle(vec![0.0; len]);
            }
        });
        let lens: Vec<usize> = pool.swap(Vec::new()).iter().map(Vec::len).collect();
        assert_eq!(lens, ((KEEP + 1)..=2 * KEEP).rev().collect::<Vec<_>>());
    }

    #[test]
    fn exact_buffers_are_cut_and_regrown_in_place() {
        reuse(&BufferPool::default(), || {
            let first = take_exact(1000);
            let at = first.as_ptr();
            recycle(first);
            let short = take_exact(10);
            assert_eq!((short.as_ptr(), short.len()), (at, 10), "cut to length");
            recycle(short);
            let long = take_exact(1000);
            assert_eq!((long.as_ptr(), long.len()), (at, 1000), "regrown in place");
            let longer = take_exact(1001);
            assert_ne!(longer.as_ptr(), at, "a longer one is made");
            assert_eq!(long.len(), 1000, "while the kept one is still in use");
        });
    }
}
