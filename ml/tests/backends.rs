//! The same pipeline on a GPU backend gives the CPU's answer. Built with `--features wgpu`;
//! `scripts/test.sh` runs it on Mesa's lavapipe (software Vulkan), and on a machine with a
//! GPU it runs there.
#![cfg(feature = "wgpu")]

use ml::{Compute, Pipeline, SpriteOptions, Style};

#[test]
fn wgpu_and_cpu_cut_out_and_draw_chelsea_alike() {
    let photo =
        image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/chelsea.png")).expect("photo");
    let opts = SpriteOptions {
        sprite_size: 32,
        style: Style::Pico8,
        dither: false,
        gait: None,
    };
    let cpu = Pipeline::on(Compute::Cpu)
        .expect("cpu")
        .run(&photo, &opts)
        .expect("cpu sprite");
    let gpu = Pipeline::on(Compute::Wgpu)
        .expect("wgpu")
        .run(&photo, &opts)
        .expect("wgpu sprite");

    let (mut both, mut either, mut off) = (0u64, 0u64, 0u64);
    for (a, b) in cpu.mask.pixels().zip(gpu.mask.pixels()) {
        let (a8, b8) = (a.0[0], b.0[0]);
        off += u64::from(a8.abs_diff(b8) > 8);
        let (a, b) = (a8 >= 128, b8 >= 128);
        both += u64::from(a && b);
        either += u64::from(a || b);
    }
    let iou = both as f64 / either.max(1) as f64;
    // The margin, for the log (`--nocapture`): how close the backends are to the limits.
    println!(
        "wgpu vs CPU mask: IoU {iou:.5}, {off} of {} pixels differ by more than 8 levels",
        cpu.mask.width() * cpu.mask.height()
    );
    assert!(iou > 0.995, "masks agree: IoU {iou}");
    // Under 1 %: thin parts far from the body (whiskers, fur tips) take the guided filter's
    // alpha, whose levelling magnifies last-bit differences in the backends' box sums (0.47 %
    // of chelsea's pixels before thin parts were kept, 0.58 % since).
    assert!(
        off * 100 < u64::from(cpu.mask.width() * cpu.mask.height()),
        "{off} pixels differ"
    );
    // A fixed palette leaves no room for rounding to pick other colours.
    assert_eq!(gpu.sheet.frame_count(), cpu.sheet.frame_count());
    for p in gpu.sheet.image.pixels().filter(|p| p.0[3] > 0) {
        let rgb = [p.0[0], p.0[1], p.0[2]];
        assert!(
            ml::palette(Style::Pico8)
                .expect("fixed")
                .iter()
                .any(|c| [c.0[0], c.0[1], c.0[2]] == rgb),
            "{rgb:?} is not a PICO-8 colour"
        );
    }
}
