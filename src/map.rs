//! A 2-D map of a feature space: PCA of the reference set's projected points, so the editor
//! (and the CLI) can draw the set coloured by label with the current sound moving over it.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::knn::Knn;

/// The two principal axes of a point cloud.
#[derive(Debug, Clone)]
pub struct MapAxes {
    mean: Vec<f32>,
    axes: [Vec<f32>; 2],
    /// Share of the total variance along each axis, 0 to 1.
    pub explained: [f32; 2],
}

impl MapAxes {
    /// PCA of `points` (each `dims` long); `None` for fewer than two dimensions or points. Each
    /// axis is signed so that its largest loading is positive, so the picture is reproducible.
    pub fn fit<'a>(points: impl Iterator<Item = &'a [f32]> + Clone, dims: usize) -> Option<Self> {
        let count = points.clone().count();
        if dims < 2 || count < 2 {
            return None;
        }
        let mut mean = vec![0.0f64; dims];
        for point in points.clone() {
            for (m, &x) in mean.iter_mut().zip(point) {
                *m += f64::from(x) / count as f64;
            }
        }
        let mut covariance = DMatrix::<f64>::zeros(dims, dims);
        for point in points {
            let centred: Vec<f64> = point
                .iter()
                .zip(&mean)
                .map(|(&x, m)| f64::from(x) - m)
                .collect();
            for i in 0..dims {
                for j in 0..dims {
                    covariance[(i, j)] += centred[i] * centred[j];
                }
            }
        }
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..dims).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let total: f64 = eigen.eigenvalues.iter().map(|v| v.max(0.0)).sum();
        let axis = |i: usize| -> Vec<f32> {
            let column = eigen.eigenvectors.column(order[i]);
            let largest = column
                .iter()
                .copied()
                .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
            let sign = if largest < 0.0 { -1.0 } else { 1.0 };
            column.iter().map(|&v| (sign * v) as f32).collect()
        };
        let share = |i: usize| {
            if total > 0.0 {
                (eigen.eigenvalues[order[i]].max(0.0) / total) as f32
            } else {
                0.0
            }
        };
        Some(Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            axes: [axis(0), axis(1)],
            explained: [share(0), share(1)],
        })
    }

    /// Where `point` lands on the map.
    pub fn place(&self, point: &[f32]) -> [f32; 2] {
        self.axes.each_ref().map(|axis| {
            point
                .iter()
                .zip(&self.mean)
                .zip(axis)
                .map(|((x, m), a)| (x - m) * a)
                .sum()
        })
    }
}

/// Share of points left outside the map's bounds on each side.
pub const OUTLIER_SHARE: f32 = 0.02;

/// A reference set drawn as a map: a thinned sample of its examples, placed and labelled.
#[derive(Debug, Clone)]
pub struct ReferenceMap {
    pub axes: MapAxes,
    /// (position, label index); at most a fixed number per label so the map stays light.
    pub points: Vec<([f32; 2], usize)>,
    /// Lower and upper corner of the extent that holds all but the outermost
    /// [`OUTLIER_SHARE`] of the points on each side, so a few outliers do not shrink the map.
    pub bounds: ([f32; 2], [f32; 2]),
}

impl ReferenceMap {
    pub fn of(knn: &Knn, per_label: usize) -> Option<Self> {
        let dims = knn.examples().next()?.0.len();
        let axes = MapAxes::fit(knn.examples().map(|(p, _)| p), dims)?;
        let mut counts = vec![0usize; knn.labels().len()];
        let mut totals = vec![0usize; knn.labels().len()];
        for (_, label) in knn.examples() {
            totals[label] += 1;
        }
        let mut points = Vec::new();
        for (index, (point, label)) in knn.examples().enumerate() {
            // An even stride through each label's examples.
            let stride = totals[label].div_ceil(per_label).max(1);
            if index % stride == 0 && counts[label] < per_label {
                counts[label] += 1;
                points.push((axes.place(point), label));
            }
        }
        let extent = |d: usize| {
            let mut values: Vec<f32> = points.iter().map(|(p, _)| p[d]).collect();
            values.sort_by(f32::total_cmp);
            let outer = (values.len() as f32 * OUTLIER_SHARE) as usize;
            (values[outer], values[values.len() - 1 - outer])
        };
        let (x, y) = (extent(0), extent(1));
        Some(Self {
            axes,
            points,
            bounds: ([x.0, y.0], [x.1, y.1]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_axis_follows_the_widest_spread() {
        // Points along (1, 1, 0) with a little spread along (0, 0, 1).
        let points: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let t = i as f32 - 25.0;
                vec![t, t, 0.1 * (i % 3) as f32]
            })
            .collect();
        let axes = MapAxes::fit(points.iter().map(Vec::as_slice), 3).unwrap();
        let a = axes.place(&[10.0, 10.0, 0.1]);
        let b = axes.place(&[-10.0, -10.0, 0.1]);
        assert!((a[0] - b[0]).abs() > 28.0, "{a:?} {b:?}");
        assert!((a[1] - b[1]).abs() < 0.5, "{a:?} {b:?}");
        assert!(
            axes.explained[0] > 0.99 && axes.explained[1] < 0.01,
            "{:?}",
            axes.explained
        );
        // Signed by the largest loading: growing along (1, 1, 0) moves right.
        assert!(a[0] > b[0]);
    }

    #[test]
    fn the_default_set_maps_with_every_label_present() {
        let knn = Knn::new(crate::reference::ReferenceSet::default_set());
        let map = ReferenceMap::of(&knn, 100).unwrap();
        for label in 0..knn.labels().len() {
            let n = map.points.iter().filter(|(_, l)| *l == label).count();
            assert!((1..=100).contains(&n), "label {label}: {n}");
        }
        assert!(map.bounds.0[0] < map.bounds.1[0] && map.bounds.0[1] < map.bounds.1[1]);
    }
}
