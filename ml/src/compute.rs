//! Which Burn device the pipeline runs on, chosen by configuration rather than by Burn's
//! default (which prefers any GPU backend compiled in).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::MlError;

/// A compute device for the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compute {
    /// Burn's pure-Rust CPU backend (Flex, SIMD, all cores): no drivers needed.
    #[default]
    Cpu,
    /// The first adapter wgpu finds (Vulkan, Metal, DX12; Mesa's lavapipe on a machine
    /// without a GPU). Needs the `wgpu` feature.
    Wgpu,
    /// The first CUDA device. Needs the `cuda` feature.
    Cuda,
}

impl Compute {
    /// Every choice, for help texts.
    pub const ALL: [Compute; 3] = [Compute::Cpu, Compute::Wgpu, Compute::Cuda];

    /// The configuration name: `cpu`, `wgpu` or `cuda`.
    pub fn name(self) -> &'static str {
        match self {
            Compute::Cpu => "cpu",
            Compute::Wgpu => "wgpu",
            Compute::Cuda => "cuda",
        }
    }

    /// The Burn device, or a plain error when this build lacks the backend.
    pub fn device(self) -> Result<Device, MlError> {
        match self {
            Compute::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            Compute::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            Compute::Cuda => Ok(Device::cuda(0)),
            #[allow(unreachable_patterns)]
            other => Err(MlError::InvalidOptions(format!(
                "this build has no {0} backend; rebuild with `--features ml/{0}`",
                other.name()
            ))),
        }
    }
}

impl fmt::Display for Compute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A compute name that is not `cpu`, `wgpu` or `cuda`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compute device {0:?}: choose cpu, wgpu or cuda")]
pub struct UnknownCompute(pub String);

impl FromStr for Compute {
    type Err = UnknownCompute;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Compute::ALL
            .into_iter()
            .find(|c| c.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownCompute(s.to_string()))
    }
}
