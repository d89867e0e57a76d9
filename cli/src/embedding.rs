//! Two-dimensional layouts of points in a reference set's projected space, for `map`: PCA
//! (the plugin's map axes) or t-SNE (the `bhtsne` crate, Barnes-Hut).

use bhtsne::tSNE;
use track_labeler::map::MapAxes;

/// t-SNE needs a few neighbours per point; with fewer points `map` falls back to PCA.
pub const MIN_TSNE_POINTS: usize = 5;
/// The usual perplexity, lowered for small libraries (t-SNE requires 3 x perplexity < points).
const TSNE_PERPLEXITY: f32 = 30.0;
/// Barnes-Hut accuracy: the customary 0.5.
const TSNE_THETA: f32 = 0.5;
/// Spread of the starting layout: t-SNE's customary 1e-4.
const TSNE_INITIAL_SPREAD: f64 = 1e-4;

/// Points on the two principal axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    pub coordinates: Vec<[f64; 2]>,
    /// Share of the total variance along each axis, 0 to 1.
    pub explained: [f64; 2],
}

/// The projection of `points` (all of one length) on their two principal axes, as the
/// plugin's map draws them ([`MapAxes`]).
pub fn pca(points: &[Vec<f32>]) -> Pca {
    let dims = points.first().map_or(0, Vec::len);
    match MapAxes::fit(points.iter().map(Vec::as_slice), dims) {
        Some(axes) => Pca {
            coordinates: points
                .iter()
                .map(|p| axes.place(p).map(f64::from))
                .collect(),
            explained: axes.explained.map(f64::from),
        },
        None => Pca {
            coordinates: vec![[0.0; 2]; points.len()],
            explained: [0.0; 2],
        },
    }
}

/// A t-SNE layout of `points` (at least [`MIN_TSNE_POINTS`]), started from `start` (e.g. the
/// PCA layout) scaled down to t-SNE's customary spread, so that the result does not depend on a
/// random start.
pub fn tsne(points: &[Vec<f32>], start: &[[f64; 2]]) -> Vec<[f64; 2]> {
    assert!(points.len() >= MIN_TSNE_POINTS && start.len() == points.len());
    let spread = (start.iter().map(|p| p[0] * p[0]).sum::<f64>() / start.len() as f64).sqrt();
    let scale = if spread > 0.0 {
        TSNE_INITIAL_SPREAD / spread
    } else {
        0.0
    };
    let initial: Vec<f32> = start
        .iter()
        .flat_map(|p| p.map(|x| (x * scale) as f32))
        .collect();
    let samples: Vec<&[f32]> = points.iter().map(Vec::as_slice).collect();
    let perplexity = TSNE_PERPLEXITY.min(((points.len() - 1) / 3) as f32);
    let embedding = tSNE::<f32, &[f32], 2>::new(&samples)
        .perplexity(perplexity)
        .initial_embedding(initial)
        .barnes_hut(TSNE_THETA, |a, b| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt()
        })
        .embedding();
    embedding
        .chunks_exact(2)
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread mostly along (1, 1, 0), a little along (0, 0, 1), uncorrelated.
    fn elongated() -> Vec<Vec<f32>> {
        (0..20)
            .map(|i| {
                let t = i as f32 - 9.5;
                let wobble = if matches!(i % 4, 0 | 3) { 0.5 } else { -0.5 };
                vec![t, t, wobble]
            })
            .collect()
    }

    #[test]
    fn pca_finds_the_long_axis_first_and_keeps_distances_along_it() {
        let layout = pca(&elongated());
        assert!(layout.explained[0] > 0.99, "{:?}", layout.explained);
        assert!(layout.explained[0] + layout.explained[1] > 0.999);
        // Points one step apart along (1, 1, 0) are sqrt(2) apart on the first axis, in order.
        let first: Vec<f64> = layout.coordinates.iter().map(|p| p[0]).collect();
        for pair in first.windows(2) {
            assert!((pair[1] - pair[0] - 2f64.sqrt()).abs() < 1e-4, "{first:?}");
        }
        assert!(
            layout
                .coordinates
                .iter()
                .all(|p| (p[1].abs() - 0.5).abs() < 1e-4)
        );
    }

    #[test]
    fn pca_of_one_point_or_identical_points_is_the_origin() {
        assert_eq!(pca(&[vec![1.0, 2.0]]).coordinates, vec![[0.0, 0.0]]);
        let same = pca(&[vec![1.0, 2.0], vec![1.0, 2.0], vec![1.0, 2.0]]);
        assert!(
            same.coordinates
                .iter()
                .all(|p| p[0].abs() < 1e-6 && p[1].abs() < 1e-6)
        );
        assert_eq!(same.explained, [0.0, 0.0]);
    }

    #[test]
    fn tsne_keeps_separate_clusters_apart() {
        // Two tight clusters of six points, far apart in 4-D.
        let points: Vec<Vec<f32>> = (0..12)
            .map(|i| {
                let centre = if i < 6 { 0.0 } else { 10.0 };
                let jitter = (i % 6) as f32 * 0.05;
                vec![centre + jitter, centre - jitter, centre, jitter]
            })
            .collect();
        let layout = tsne(&points, &pca(&points).coordinates);
        let distance =
            |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let within = (1..6)
            .map(|i| distance(layout[0], layout[i]))
            .fold(0.0, f64::max);
        let across = (6..12)
            .map(|i| distance(layout[0], layout[i]))
            .fold(f64::MAX, f64::min);
        assert!(
            across > 2.0 * within,
            "within {within}, across {across}: {layout:?}"
        );
    }
}
