//! Four-way interleaving of SIMD vectors, for Winograd's 4×4 tiles: four vectors `a, b, c,
//! d` (one lane per tile) to or from the run `a0 b0 c0 d0 a1 b1 c1 d1 …` (tile after tile).
//!
//! AVX-512 and AVX2 do it in registers. pulp's portable `interleave_shfl_f32s` will not do:
//! on AVX-512 it leaves the lanes in another order (it only guarantees a round trip). Other
//! instruction sets get `None` and go through memory.

use pulp::Simd;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{__m256, __m256d, __m512, __m512d};

/// `[a, b, c, d]` as the four vectors of `a0 b0 c0 d0 a1 b1 c1 d1 …`.
#[inline(always)]
pub(super) fn interleave4<S: Simd>(simd: S, values: [S::f32s; 4]) -> Option<[S::f32s; 4]> {
    #[cfg(target_arch = "x86_64")]
    {
        let any: &dyn std::any::Any = &simd;
        if let Some(&v4) = any.downcast_ref::<pulp::x86::V4>() {
            let v = transpose_v4_lanes(v4, transpose_v4_within_lanes(v4, values.map(cast)));
            return Some(v.map(cast));
        }
        if let Some(&v3) = any.downcast_ref::<pulp::x86::V3>() {
            let [r0, r1, r2, r3] = transpose_v3_within_lanes(v3, values.map(cast));
            let f = v3.avx;
            let v = [
                f._mm256_permute2f128_ps::<0x20>(r0, r1),
                f._mm256_permute2f128_ps::<0x20>(r2, r3),
                f._mm256_permute2f128_ps::<0x31>(r0, r1),
                f._mm256_permute2f128_ps::<0x31>(r2, r3),
            ];
            return Some(v.map(cast));
        }
    }
    let _ = (simd, values);
    None
}

/// The inverse of [`interleave4`]: the four vectors of `a0 b0 c0 d0 a1 …` as `[a, b, c, d]`.
#[inline(always)]
pub(super) fn deinterleave4<S: Simd>(simd: S, values: [S::f32s; 4]) -> Option<[S::f32s; 4]> {
    #[cfg(target_arch = "x86_64")]
    {
        let any: &dyn std::any::Any = &simd;
        if let Some(&v4) = any.downcast_ref::<pulp::x86::V4>() {
            // Both steps are their own inverses; they run in the other order.
            let v = transpose_v4_within_lanes(v4, transpose_v4_lanes(v4, values.map(cast)));
            return Some(v.map(cast));
        }
        if let Some(&v3) = any.downcast_ref::<pulp::x86::V3>() {
            let [x0, x1, x2, x3] = values.map(cast);
            let f = v3.avx;
            let r = [
                f._mm256_permute2f128_ps::<0x20>(x0, x2),
                f._mm256_permute2f128_ps::<0x31>(x0, x2),
                f._mm256_permute2f128_ps::<0x20>(x1, x3),
                f._mm256_permute2f128_ps::<0x31>(x1, x3),
            ];
            return Some(transpose_v3_within_lanes(v3, r).map(cast));
        }
    }
    let _ = (simd, values);
    None
}

/// A vector as another type of the same size (the caller's `S` is the one checked for).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn cast<A: bytemuck::Pod, B: bytemuck::Pod>(a: A) -> B {
    bytemuck::cast(a)
}

/// Within each 128-bit lane, the 4×4 transpose of the four vectors' lanes: lane `k` of
/// output `i` holds element `i` of lane `k` of each input, in input order.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn transpose_v4_within_lanes(v4: pulp::x86::V4, [a, b, c, d]: [__m512; 4]) -> [__m512; 4] {
    let f = v4.avx512f;
    let (ab_lo, ab_hi) = (f._mm512_unpacklo_ps(a, b), f._mm512_unpackhi_ps(a, b));
    let (cd_lo, cd_hi) = (f._mm512_unpacklo_ps(c, d), f._mm512_unpackhi_ps(c, d));
    let (ab_lo, ab_hi): (__m512d, __m512d) = (cast(ab_lo), cast(ab_hi));
    let (cd_lo, cd_hi): (__m512d, __m512d) = (cast(cd_lo), cast(cd_hi));
    [
        cast(f._mm512_unpacklo_pd(ab_lo, cd_lo)),
        cast(f._mm512_unpackhi_pd(ab_lo, cd_lo)),
        cast(f._mm512_unpacklo_pd(ab_hi, cd_hi)),
        cast(f._mm512_unpackhi_pd(ab_hi, cd_hi)),
    ]
}

/// The 4×4 transpose of the four vectors' 128-bit lanes: lane `k` of output `i` is lane `i`
/// of input `k`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn transpose_v4_lanes(v4: pulp::x86::V4, [r0, r1, r2, r3]: [__m512; 4]) -> [__m512; 4] {
    let f = v4.avx512f;
    // [r0.0 r0.1 r1.0 r1.1], [r2.0 r2.1 r3.0 r3.1], then the same of lanes 2 and 3.
    let s0 = f._mm512_shuffle_f32x4::<0b01_00_01_00>(r0, r1);
    let s1 = f._mm512_shuffle_f32x4::<0b01_00_01_00>(r2, r3);
    let s2 = f._mm512_shuffle_f32x4::<0b11_10_11_10>(r0, r1);
    let s3 = f._mm512_shuffle_f32x4::<0b11_10_11_10>(r2, r3);
    [
        f._mm512_shuffle_f32x4::<0b10_00_10_00>(s0, s1),
        f._mm512_shuffle_f32x4::<0b11_01_11_01>(s0, s1),
        f._mm512_shuffle_f32x4::<0b10_00_10_00>(s2, s3),
        f._mm512_shuffle_f32x4::<0b11_01_11_01>(s2, s3),
    ]
}

/// [`transpose_v4_within_lanes`] for AVX2's two 128-bit lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn transpose_v3_within_lanes(v3: pulp::x86::V3, [a, b, c, d]: [__m256; 4]) -> [__m256; 4] {
    let f = v3.avx;
    let (ab_lo, ab_hi) = (f._mm256_unpacklo_ps(a, b), f._mm256_unpackhi_ps(a, b));
    let (cd_lo, cd_hi) = (f._mm256_unpacklo_ps(c, d), f._mm256_unpackhi_ps(c, d));
    let (ab_lo, ab_hi): (__m256d, __m256d) = (cast(ab_lo), cast(ab_hi));
    let (cd_lo, cd_hi): (__m256d, __m256d) = (cast(cd_lo), cast(cd_hi));
    [
        cast(f._mm256_unpacklo_pd(ab_lo, cd_lo)),
        cast(f._mm256_unpackhi_pd(ab_lo, cd_lo)),
        cast(f._mm256_unpacklo_pd(ab_hi, cd_hi)),
        cast(f._mm256_unpackhi_pd(ab_hi, cd_hi)),
    ]
}

#[cfg(test)]
mod tests {
    use pulp::{Arch, WithSimd};

    use super::*;
    use crate::cpu::conv::{load, store};

    /// Both directions against the definition, on every instruction set this machine has;
    /// the count of those that took the register path.
    struct Check;

    impl WithSimd for Check {
        type Output = (usize, bool);

        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
            let lanes = size_of::<S::f32s>() / size_of::<f32>();
            let planar: Vec<f32> = (0..4 * lanes).map(|i| i as f32).collect();
            let vectors: [S::f32s; 4] =
                std::array::from_fn(|v| load::<S>(&planar[v * lanes..][..lanes]));
            let Some(interleaved) = interleave4(simd, vectors) else {
                assert!(deinterleave4(simd, vectors).is_none());
                return (lanes, false);
            };
            let mut run = vec![0.0f32; 4 * lanes];
            for (chunk, v) in run.chunks_exact_mut(lanes).zip(interleaved) {
                store::<S>(chunk, v);
            }
            for (at, &value) in run.iter().enumerate() {
                let (lane, vector) = (at / 4, at % 4);
                assert_eq!(
                    value,
                    planar[vector * lanes + lane],
                    "{lanes} lanes, at {at}"
                );
            }
            let back = deinterleave4(simd, interleaved).expect("both or neither");
            let mut round = vec![0.0f32; 4 * lanes];
            for (chunk, v) in round.chunks_exact_mut(lanes).zip(back) {
                store::<S>(chunk, v);
            }
            assert_eq!(
                round, planar,
                "{lanes} lanes: deinterleave undoes interleave"
            );
            (lanes, true)
        }
    }

    #[test]
    fn interleaving_matches_the_definition_both_ways() {
        assert_eq!(Simd::vectorize(pulp::Scalar::new(), Check), (1, false));
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(v3) = pulp::x86::V3::try_new() {
                assert_eq!(Simd::vectorize(v3, Check), (8, true));
            }
            if let Some(v4) = pulp::x86::V4::try_new() {
                assert_eq!(Simd::vectorize(v4, Check), (16, true));
            }
        }
        Arch::new().dispatch(Check);
    }
}
