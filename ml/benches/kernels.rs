//! U²-Net-p's heaviest convolution shapes through the direct kernel and through Winograd
//! F(4×4, 3×3), interleaved in one run so both see the same machine, with their ratio.
//!
//! `cargo bench -p ml --bench kernels [-- RUNS]`

use std::time::{Duration, Instant};

use ml::kernel_bench::{Path, conv3x3};

/// (input channels, output channels, side, how many such layers the net has), by GFLOP.
const SHAPES: [(usize, usize, usize, usize); 13] = [
    (128, 64, 320, 1),
    (32, 64, 320, 2),
    (128, 64, 160, 1),
    (64, 16, 320, 2),
    (64, 64, 160, 1),
    (32, 64, 160, 2),
    (64, 16, 160, 2),
    (128, 64, 80, 1),
    (32, 16, 160, 2),
    (32, 64, 80, 2),
    (32, 16, 80, 4),
    (64, 64, 40, 1),
    (32, 64, 20, 2),
];

fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0) - 1.0)
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(7);
    println!(
        "3×3 convolutions, median of {runs} interleaved runs (ms; GFLOP/s counts direct multiply-adds)"
    );
    println!(
        "{:>16} {:>6} {:>10} {:>10} {:>8} {:>9}",
        "cin→cout @ side", "layers", "direct", "winograd", "ratio", "max diff"
    );
    let (mut direct_total, mut winograd_total) = (Duration::ZERO, Duration::ZERO);
    for (cin, cout, side, layers) in SHAPES {
        let input = values(cin * side * side, 1);
        let weights: Vec<f32> = values(cout * cin * 9, 2).iter().map(|w| w * 0.1).collect();
        let bias = values(cout, 3);
        let (mut direct, mut winograd) = (Vec::new(), Vec::new());
        let mut worst = 0.0f32;
        for _ in 0..runs {
            let started = Instant::now();
            let a = conv3x3(Path::Direct, cin, side, &input, &weights, &bias);
            direct.push(started.elapsed());
            let started = Instant::now();
            let b = conv3x3(Path::Winograd, cin, side, &input, &weights, &bias);
            winograd.push(started.elapsed());
            worst = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(worst, f32::max);
        }
        let (d, w) = (median(direct), median(winograd));
        direct_total += d * layers as u32;
        winograd_total += w * layers as u32;
        let gflop = 2.0 * 9.0 * (cin * cout * side * side) as f64 / 1e9;
        println!(
            "{:>16} {layers:>6} {:>6.2} ({:>3.0}) {:>6.2} ({:>3.0}) {:>7.2}× {worst:>9.1e}",
            format!("{cin}→{cout} @ {side}"),
            d.as_secs_f64() * 1e3,
            gflop / d.as_secs_f64(),
            w.as_secs_f64() * 1e3,
            gflop / w.as_secs_f64(),
            d.as_secs_f64() / w.as_secs_f64(),
        );
    }
    println!(
        "all listed layers: direct {:.1} ms, winograd {:.1} ms, {:.2}×",
        direct_total.as_secs_f64() * 1e3,
        winograd_total.as_secs_f64() * 1e3,
        direct_total.as_secs_f64() / winograd_total.as_secs_f64()
    );
}
