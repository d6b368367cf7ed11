//! The full U²-Net (the `full-u2net` feature, for GPU worker nodes; ADR 0012): its weights
//! fill the architecture, and its mask of the shipped photo matches rembg's with the same
//! weights. Run by the test script after `scripts/fetch-weights.sh --full`.
#![cfg(feature = "full-u2net")]

use burn::tensor::Device;
use ml::{CutoutNet, Pipeline, SegmentMethod};

#[test]
fn every_tensor_of_the_full_nets_weights_lands_in_the_architecture() {
    let report =
        Pipeline::check_net_weights(&Device::flex(), CutoutNet::U2Net).expect("weights load");
    // The same 119 convolutions as U²-Net-p, with more channels, each a weight and a bias.
    assert_eq!(report.applied, 238, "{report:?}");
    assert!(report.missing.is_empty(), "{report:?}");
    assert!(report.unused.is_empty(), "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
}

#[test]
fn chelseas_full_net_mask_matches_rembgs_with_the_same_weights() {
    let pipeline = Pipeline::with_net(Device::flex(), CutoutNet::U2Net).expect("the net loads");
    assert_eq!(pipeline.cutout_net(), CutoutNet::U2Net);
    let photo =
        image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/chelsea.png")).expect("photo");
    let reference = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/chelsea.rembg-u2net-mask.png"
    ))
    .expect("reference mask")
    .to_luma8();
    let cutout = pipeline.remove_background(&photo).expect("a cut-out");
    assert_eq!(cutout.method, SegmentMethod::Neural);
    let score = ml::mask_iou(&cutout.mask, &reference);
    assert!(score >= 0.97, "IoU against rembg's full net {score:.4}");
    // And it is a different net from the small one: their masks differ somewhere.
    let small = Pipeline::cpu()
        .expect("the small net loads")
        .remove_background(&photo)
        .expect("a cut-out");
    assert!(small.mask != cutout.mask, "the two nets gave the same mask");
}
