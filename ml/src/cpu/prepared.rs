//! Each convolution's weights in its kernel's layout, made on a layer's first call and kept
//! by the net that owns the layers.
//!
//! Reading a layer's weights out of its Burn tensor copies them, and Winograd's kernel
//! transform (`G g Gᵀ` in `f64`) runs on one core: together about as long as a few layers'
//! arithmetic, on every forward pass. Inside [`scope`] they are made once per layer; outside
//! it (the kernels' own tests) every call makes its own.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use burn::module::ParamId;

/// Which kernel a layout is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Layout {
    /// `conv`'s panels.
    Direct,
    /// `winograd`'s transformed panels.
    Winograd,
}

/// One layer's weights ready for a kernel, and its biases (zero where it has none).
#[derive(Debug)]
pub(super) struct Weights {
    pub(super) panels: Vec<f32>,
    pub(super) bias: Vec<f32>,
}

/// The prepared weights of one net's layers, by the weight parameter's id.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    layers: Mutex<HashMap<(ParamId, Layout), Arc<Weights>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Prepared>>> = const { RefCell::new(None) };
}

/// Runs `f` (a forward pass on this thread) keeping the weights its layers prepare in
/// `prepared`.
pub(crate) fn scope<T>(prepared: &Arc<Prepared>, f: impl FnOnce() -> T) -> T {
    let outer = CURRENT.with(|current| current.borrow_mut().replace(Arc::clone(prepared)));
    let result = f();
    CURRENT.with(|current| *current.borrow_mut() = outer);
    result
}

/// The layer's weights in `layout`: kept ones inside [`scope`], else `make`'s. `make` fails
/// when the layer's values cannot be read as `f32`.
pub(super) fn weights(
    id: ParamId,
    layout: Layout,
    make: impl FnOnce() -> Option<Weights>,
) -> Option<Arc<Weights>> {
    let Some(prepared) = CURRENT.with(|current| current.borrow().clone()) else {
        return make().map(Arc::new);
    };
    let key = (id, layout);
    // A poisoned lock only means another pass panicked while holding it; the map itself is
    // whole (an insert does not panic halfway), so it stays usable.
    let kept = prepared
        .layers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    if let Some(weights) = kept {
        return Some(weights);
    }
    // Made without the lock: two passes racing on a new net both make it, and one is kept.
    let made = Arc::new(make()?);
    let mut layers = prepared
        .layers
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Some(Arc::clone(layers.entry(key).or_insert(made)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(calls: &mut usize) -> Option<Weights> {
        *calls += 1;
        Some(Weights {
            panels: vec![*calls as f32],
            bias: Vec::new(),
        })
    }

    #[test]
    fn weights_are_made_once_per_layer_and_layout_inside_a_scope() {
        let (a, b) = (ParamId::new(), ParamId::new());
        let mut calls = 0;
        let prepared = Arc::new(Prepared::default());
        scope(&prepared, || {
            let first = weights(a, Layout::Direct, || made(&mut calls)).expect("made");
            let again = weights(a, Layout::Direct, || made(&mut calls)).expect("kept");
            assert!(Arc::ptr_eq(&first, &again));
            weights(a, Layout::Winograd, || made(&mut calls)).expect("made");
            weights(b, Layout::Direct, || made(&mut calls)).expect("made");
        });
        assert_eq!(calls, 3);
        scope(&prepared, || {
            weights(a, Layout::Winograd, || made(&mut calls)).expect("kept");
        });
        assert_eq!(calls, 3, "kept across passes");
        // Outside a scope nothing is kept.
        weights(a, Layout::Direct, || made(&mut calls)).expect("made");
        weights(a, Layout::Direct, || made(&mut calls)).expect("made");
        assert_eq!(calls, 5);
        assert!(weights(b, Layout::Direct, || None).is_none());
    }
}
