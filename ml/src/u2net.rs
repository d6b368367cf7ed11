//! Salient-object detection with U²-Net-p (Qin et al. 2020), the net rembg uses for its
//! "u2netp" model, or with the full U²-Net ("u2net") in builds with the `full-u2net` feature.
//! `build.rs` imports the published ONNX files with burn-onnx, so the layers below are Burn
//! modules and the weights are embedded in the binary.
//!
//! Pre- and post-processing follow rembg's so that the same weights give the same mask:
//! Lanczos resize to 320×320 (aspect ratio not kept), scale by the brightest value, ImageNet
//! normalisation, then min-max normalisation of the fused output.

use std::sync::Arc;

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};
use image::RgbaImage;
use image::imageops::FilterType;

use crate::MlError;
use crate::cpu;
use crate::tensors::{from_f32, read_f32};

/// A module holding one net's generated code (`model/{file}` in `OUT_DIR`) and its loader.
macro_rules! generated {
    ($module:ident, $file:literal) => {
        #[allow(
            clippy::all,
            clippy::pedantic,
            clippy::unwrap_used,
            unused_imports,
            unused_variables,
            unreachable_pub,
            dead_code,
            missing_docs
        )]
        mod $module {
            include!(concat!(env!("OUT_DIR"), "/model/", $file));

            /// The net with its embedded weights, or the store's complaint when they do not
            /// fit.
            pub(super) fn load(
                device: &Device,
            ) -> Result<(Model, burn_store::ApplyResult), String> {
                let mut model = Model::new(device);
                let mut store = BurnpackStore::from_static(EMBEDDED_STATES);
                let applied = model.load_from(&mut store).map_err(|e| e.to_string())?;
                Ok((model, applied))
            }
        }
    };
}

generated!(small, "u2netp.rs");
#[cfg(feature = "full-u2net")]
generated!(full, "u2net.rs");

/// Which background-removal net a pipeline runs (ADR 0012).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CutoutNet {
    /// U²-Net-p (4.6 MB), in every build: the embedded default and CPU nodes.
    #[default]
    U2NetP,
    /// The full U²-Net (176 MB, about 3× U²-Net-p's time): better masks (it drops the surface a
    /// pet lies on, keeps thin legs whole), for GPU worker nodes. Needs the `full-u2net`
    /// feature.
    U2Net,
}

impl CutoutNet {
    /// Every choice, for help texts.
    pub const ALL: [CutoutNet; 2] = [CutoutNet::U2NetP, CutoutNet::U2Net];

    /// The configuration name: `u2netp` or `u2net`, as rembg names them.
    pub fn name(self) -> &'static str {
        match self {
            CutoutNet::U2NetP => "u2netp",
            CutoutNet::U2Net => "u2net",
        }
    }

    fn title(self) -> &'static str {
        match self {
            CutoutNet::U2NetP => "U²-Net-p",
            CutoutNet::U2Net => "U²-Net",
        }
    }
}

impl std::fmt::Display for CutoutNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A net name that is not `u2netp` or `u2net`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cut-out net {0:?}: choose u2netp or u2net")]
pub struct UnknownCutoutNet(pub String);

impl std::str::FromStr for CutoutNet {
    type Err = UnknownCutoutNet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CutoutNet::ALL
            .into_iter()
            .find(|n| n.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownCutoutNet(s.to_string()))
    }
}

/// The generated architecture of the net chosen, with its weights.
#[derive(Debug)]
enum Model {
    Small(small::Model),
    #[cfg(feature = "full-u2net")]
    Full(full::Model),
}

impl Model {
    /// The forward pass, on tensors or through the CPU kernels' buffers.
    fn forward<L: cpu::Layers>(&self, input: L) -> L {
        match self {
            Model::Small(model) => model.forward(input),
            #[cfg(feature = "full-u2net")]
            Model::Full(model) => model.forward(input),
        }
    }

    fn load(net: CutoutNet, device: &Device) -> Result<(Self, burn_store::ApplyResult), MlError> {
        let loaded = match net {
            CutoutNet::U2NetP => small::load(device).map(|(m, a)| (Model::Small(m), a)),
            #[cfg(feature = "full-u2net")]
            CutoutNet::U2Net => full::load(device).map(|(m, a)| (Model::Full(m), a)),
            #[allow(unreachable_patterns)]
            other => {
                return Err(MlError::InvalidOptions(format!(
                    "this build has no {} net; rebuild with `--features ml/full-u2net`",
                    other.title()
                )));
            }
        };
        loaded.map_err(MlError::Backend)
    }
}

/// The net's fixed input side: burn-onnx folds the ONNX file's static shapes into the code.
pub(crate) const INPUT_SIDE: usize = 320;
/// ImageNet statistics the net was trained with.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The loaded net. Loading is cheap (the weights are in the binary) but not free, so a
/// [`crate::Pipeline`] loads it once and shares it.
#[derive(Debug)]
pub(crate) struct U2Net {
    model: Model,
    /// Which net it is.
    net: CutoutNet,
    device: Device,
    /// The layers' weights in the CPU kernels' layouts, made on the first pass.
    prepared: Arc<cpu::Prepared>,
    /// Activation buffers kept from one CPU pass to the next.
    buffers: cpu::BufferPool,
}

/// How the embedded weights landed in the architecture, for the load test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightReport {
    /// Tensors the weights file filled.
    pub applied: usize,
    /// Parameters of the architecture the file had nothing for.
    pub missing: Vec<String>,
    /// Tensors in the file the architecture has no place for.
    pub unused: Vec<String>,
    /// Shape or type mismatches.
    pub errors: Vec<String>,
}

impl U2Net {
    /// Builds the net on `device` and fills it with the embedded weights. Any missing,
    /// unused or mismatched tensor is an error: a half-loaded net gives plausible garbage.
    pub fn load(net: CutoutNet, device: &Device) -> Result<(Self, WeightReport), MlError> {
        let (model, applied) = Model::load(net, device)?;
        let report = WeightReport {
            applied: applied.applied.len(),
            missing: applied.missing.into_iter().map(|(path, _)| path).collect(),
            unused: applied.unused,
            errors: applied.errors.iter().map(|e| format!("{e:?}")).collect(),
        };
        if !(report.missing.is_empty() && report.unused.is_empty() && report.errors.is_empty()) {
            return Err(MlError::Backend(format!(
                "the embedded {} weights do not fit the architecture: {report:?}",
                net.title()
            )));
        }
        let net = Self {
            model,
            net,
            device: device.clone(),
            prepared: Arc::default(),
            buffers: cpu::BufferPool::default(),
        };
        Ok((net, report))
    }

    /// Which net this is.
    pub fn net(&self) -> CutoutNet {
        self.net
    }

    /// [`Self::saliency`]'s second half on the CPU: the net through the CPU kernels' buffers
    /// (see `cpu`), then the same min-max normalisation and bilinear resize.
    ///
    /// # Shapes
    /// - `input`: `[1, 3, 320, 320]`, output: `[H, W]` for `[h, w]`
    fn saliency_on_cpu(
        &self,
        input: Tensor<4>,
        [h, w]: [usize; 2],
    ) -> Result<(Tensor<2>, f32), MlError> {
        let dims = input.dims();
        let input = cpu::Buf::new(read_f32(input)?, dims);
        let fused = cpu::with_prepared(&self.prepared, || {
            cpu::reuse(&self.buffers, || self.model.forward(input)).into_values() // [320 × 320]
        });
        let lo = fused.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = fused.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let range = (hi - lo).max(1.0e-6);
        let normalised: Vec<f32> = fused.iter().map(|&v| (v - lo) / range).collect();
        let side = [1, INPUT_SIDE, INPUT_SIDE];
        let resized = cpu::bilinear(&normalised, side, [h, w])
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect();
        Ok((from_f32(resized, [h, w], &self.device), hi))
    }

    /// The probability that each pixel belongs to the salient object, at the image's size,
    /// min-max normalised like rembg's; and the net's raw peak before that normalisation,
    /// which is low when nothing in the photo stands out.
    ///
    /// # Shapes
    /// - output: `[H, W]` in [0, 1]
    pub fn saliency(&self, image: &RgbaImage) -> Result<(Tensor<2>, f32), MlError> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let side = INPUT_SIDE as u32;
        // `image`'s Lanczos, not `resample`'s (6 ms faster): with the latter's input the
        // CPU and wgpu/lavapipe masks differed in 703 of 135,300 pixels of the test photo,
        // over `tests/backends.rs`'s 0.5% (631 with this one). The two resizers round edges
        // differently, and any change of input moves which pixels the net's CPU/GPU rounding
        // tips over the mask's thresholds; the matte's box filters are not the cause (exact
        // window sums on the GPU left the count at 631).
        let small = image::imageops::resize(image, side, side, FilterType::Lanczos3);
        let values: Vec<f32> = small.as_raw().iter().map(|&v| f32::from(v)).collect();
        let rgba = from_f32(values, [INPUT_SIDE, INPUT_SIDE, 4], &self.device);
        let rgb = rgba.narrow(2, 0, 3).permute([2, 0, 1]); // [3, 320, 320]
        // rembg divides by the brightest channel value, not by 255.
        let brightest = rgb.clone().max().clamp_min(1.0e-6).reshape([1, 1, 1]);
        let mean = from_f32(MEAN.to_vec(), [3, 1, 1], &self.device);
        let std = from_f32(STD.to_vec(), [3, 1, 1], &self.device);
        let input = ((rgb / brightest - mean) / std).unsqueeze_dim::<4>(0); // [1, 3, 320, 320]

        if self.device == Device::flex() {
            return self.saliency_on_cpu(input, [h, w]);
        }
        let fused = self.model.forward(input); // [1, 1, 320, 320]
        let lo = fused.clone().min().reshape([1, 1, 1, 1]);
        let hi = fused.clone().max().reshape([1, 1, 1, 1]);
        let peak = read_f32(hi.clone())?.first().copied().unwrap_or(0.0);
        let normalised = (fused - lo.clone()) / (hi - lo).clamp_min(1.0e-6);
        let resized = interpolate(
            normalised,
            InterpolateOptions::new(InterpolateMode::Bilinear).with_output_size([h, w]),
        );
        Ok((resized.clamp(0.0, 1.0).reshape([h, w]), peak))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole net through the CPU kernels against the same net through Burn's own ops,
    /// on the shipped photo: 119 convolutions deep, the two agree to float rounding.
    #[test]
    fn the_cpu_kernels_give_burns_forward_pass() {
        let device = Device::flex();
        let (net, _) = U2Net::load(CutoutNet::U2NetP, &device).expect("the embedded weights load");
        let photo = image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/chelsea.png"))
            .expect("the test photo decodes")
            .resize_exact(320, 320, FilterType::Triangle)
            .to_rgb8();
        let dims = [1, 3, INPUT_SIDE, INPUT_SIDE];
        let plane = INPUT_SIDE * INPUT_SIDE;
        let mut input = vec![0.0f32; 3 * plane];
        for (i, px) in photo.pixels().enumerate() {
            for c in 0..3 {
                input[c * plane + i] = (f32::from(px.0[c]) / 255.0 - MEAN[c]) / STD[c];
            }
        }
        let burn = net
            .model
            .forward(from_f32(input.clone(), dims, &device))
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        // Twice: the first pass prepares the layers' weights, the second uses the kept ones.
        let pass = || {
            cpu::with_prepared(&net.prepared, || {
                cpu::reuse(&net.buffers, || {
                    net.model.forward(cpu::Buf::new(input.clone(), dims))
                })
                .into_values()
            })
        };
        let first = pass();
        let ours = pass();
        assert!(
            first == ours,
            "the kept weights give the first pass's output"
        );
        assert_eq!(burn.len(), ours.len());
        let worst = burn
            .iter()
            .zip(&ours)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            worst < 1e-3,
            "the CPU kernels' output differs from Burn's by {worst}"
        );
    }
}
