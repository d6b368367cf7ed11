//! Background removal with U²-Net-p: the embedded weights fill the architecture, the mask of
//! the shipped photo matches rembg's (same weights, third-party code), and photos the net
//! cannot read get the fallback or a plain refusal.

use std::sync::OnceLock;

use burn::tensor::Device;
use image::DynamicImage;
use ml::{MlError, Pipeline, SegmentMethod};

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::cpu().expect("the net loads"))
}

fn chelsea() -> DynamicImage {
    image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/chelsea.png")).expect("photo")
}

#[test]
fn every_tensor_of_the_embedded_weights_lands_in_the_architecture() {
    let report = Pipeline::check_weights(&Device::flex()).expect("weights load");
    // 119 convolutions, each with a weight and a bias.
    assert_eq!(report.applied, 238, "{report:?}");
    assert!(report.missing.is_empty(), "{report:?}");
    assert!(report.unused.is_empty(), "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
}

#[test]
fn chelseas_mask_matches_rembgs_with_the_same_weights() {
    let reference = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/chelsea.rembg-mask.png"
    ))
    .expect("reference mask")
    .to_luma8();
    let cutout = pipeline().remove_background(&chelsea()).expect("a cut-out");
    assert_eq!(cutout.method, SegmentMethod::Neural);
    let score = ml::mask_iou(&cutout.mask, &reference);
    assert!(score >= 0.97, "IoU against rembg {score:.4}");
}

#[cfg(not(feature = "full-u2net"))]
#[test]
fn a_build_without_the_full_net_says_so_when_asked_for_it() {
    let err = Pipeline::with_net(Device::flex(), ml::CutoutNet::U2Net).expect_err("not built");
    assert!(matches!(err, MlError::InvalidOptions(_)), "{err}");
    assert!(err.to_string().contains("full-u2net"), "{err}");
    assert_eq!(pipeline().cutout_net(), ml::CutoutNet::U2NetP);
}

#[test]
fn the_mask_is_the_same_every_time() {
    let first = pipeline().remove_background(&chelsea()).expect("a cut-out");
    let second = pipeline().remove_background(&chelsea()).expect("a cut-out");
    assert_eq!(first.mask, second.mask);
    assert_eq!(first.image, second.image);
}

#[test]
fn a_tight_crop_of_the_eyes_gets_a_plausible_cut_out_or_a_plain_refusal() {
    let eyes = chelsea().crop_imm(110, 70, 250, 110);
    match pipeline().remove_background(&eyes) {
        Ok(cutout) => {
            let on = cutout.mask.pixels().filter(|p| p.0[0] >= 128).count();
            let share = on as f64 / f64::from(cutout.mask.width() * cutout.mask.height());
            assert!((0.03..=0.97).contains(&share), "{share}");
        }
        Err(MlError::NoSubjectFound(reason)) => assert!(!reason.is_empty()),
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// A cream "pet" with a slightly tufted rim on a saturated green lawn, anti-aliased (4×4
/// supersampled) so edge pixels are true mixtures of pet and lawn, as in a photo.
fn cream_pet_on_a_lawn() -> image::RgbImage {
    const PET: [f32; 3] = [230.0, 210.0, 175.0];
    const LAWN: [f32; 3] = [45.0, 155.0, 45.0];
    const SAMPLES: u32 = 4;
    image::RgbImage::from_fn(400, 300, |x, y| {
        let mut share = 0.0;
        for sy in 0..SAMPLES {
            for sx in 0..SAMPLES {
                let fx = x as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                let fy = y as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                let (dx, dy) = (fx - 200.0, fy - 160.0);
                let r = 90.0 + 2.0 * ((fx * 0.7).sin() + (fy * 0.9).cos());
                if (dx * dx / 1.4 + dy * dy).sqrt() < r {
                    share += 1.0 / (SAMPLES * SAMPLES) as f32;
                }
            }
        }
        image::Rgb(std::array::from_fn(|c| {
            (PET[c] * share + LAWN[c] * (1.0 - share)).round() as u8
        }))
    })
}

#[test]
fn edge_pixels_are_soft_and_lose_the_old_backgrounds_colour() {
    let photo = cream_pet_on_a_lawn();
    let cutout = pipeline()
        .remove_background(&DynamicImage::ImageRgb8(photo.clone()))
        .expect("a cut-out");
    assert_eq!(cutout.method, SegmentMethod::Neural);
    let (x0, y0) = {
        let on: Vec<(u32, u32)> = cutout
            .mask
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] >= 8)
            .map(|(x, y, _)| (x, y))
            .collect();
        (
            on.iter().map(|p| p.0).min().expect("some pet"),
            on.iter().map(|p| p.1).min().expect("some pet"),
        )
    };
    // Greenness (G − R) of the partly transparent pixels, in the photo and in the cut-out.
    let (mut before, mut after, mut edge) = (0i64, 0i64, 0i64);
    for (x, y, p) in cutout.image.enumerate_pixels() {
        if (16..240).contains(&p.0[3]) {
            let src = photo.get_pixel(x + x0, y + y0).0;
            before += i64::from(src[1]) - i64::from(src[0]);
            after += i64::from(p.0[1]) - i64::from(p.0[0]);
            edge += 1;
        }
    }
    assert!(
        edge > 100,
        "the anti-aliased rim gives a soft edge ({edge} px)"
    );
    assert!(
        after * 3 < before,
        "edge greenness {} per pixel, {} in the photo",
        after / edge,
        before / edge
    );
    let green_opaque = cutout
        .image
        .pixels()
        .filter(|p| p.0[3] == 255 && i32::from(p.0[1]) > i32::from(p.0[0]) + 20)
        .count();
    assert_eq!(green_opaque, 0, "no lawn inside the cut-out");
}

#[test]
fn chelseas_fur_gets_a_soft_edge() {
    let cutout = pipeline().remove_background(&chelsea()).expect("a cut-out");
    let soft = cutout
        .mask
        .pixels()
        .filter(|p| (16..240).contains(&p.0[0]))
        .count();
    let solid = cutout.mask.pixels().filter(|p| p.0[0] == 255).count();
    assert!(
        soft > 200 && soft < solid / 10,
        "{soft} soft, {solid} solid"
    );
}
