//! k-nearest-neighbour labelling against a [`ReferenceSet`].

use crate::reference::ReferenceSet;
use crate::summary::{Descriptors, total_order_key};

/// A label decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Index into the reference set's labels.
    pub label: usize,
    /// The winner's share of the weighted vote, 0 to 1.
    pub confidence: f32,
    /// Up to three labels with their vote shares, best first.
    pub top: Vec<(usize, f32)>,
}

pub struct Knn {
    set: ReferenceSet,
    /// Vote multiplier per label, from its frequency in the set.
    label_weights: Vec<f32>,
    leaves: Leaves,
    /// The summary dimensions with a non-zero projection weight: the others add exactly
    /// nothing to a projected point (see [`Knn::project`]).
    read_dims: Vec<usize>,
    descriptors: Descriptors,
}

/// Most examples in a leaf of the index: their distances are summed together.
const LEAF_SIZE: usize = 256;
/// Building the index, the widest dimension of a part is judged from every this many examples.
const WIDTH_SAMPLE_STEP: usize = 8;
/// Dimensions summed between checks whether a leaf's examples are already out of reach.
const PRUNE_EVERY_DIMS: usize = 3;

/// The examples split into the leaves of a k-d tree: a leaf's examples lie in a box, and the
/// query's distance to the box bounds theirs from below, so leaves are visited nearest first
/// and those out of reach skipped.
struct Leaves {
    /// Set index of each example, leaf after leaf.
    order: Vec<usize>,
    /// The points transposed in that order, one row of every example's coordinate per
    /// projected dimension: the distance loop then runs across a leaf's examples, which
    /// vectorises.
    dimension_rows: Vec<f32>,
    /// Each leaf's stretch of `order`.
    ranges: Vec<std::ops::Range<usize>>,
    /// Per leaf and projected dimension, the lowest and highest coordinate.
    boxes: Vec<[f32; 2]>,
}

impl Leaves {
    /// Splits `points` (of `p` coordinates each) at the median of their widest dimension until
    /// every part has at most [`LEAF_SIZE`] examples.
    fn new(points: &[f32], p: usize) -> Self {
        let n = points.len() / p;
        let coordinate = |example: usize, d: usize| points[example * p + d];
        // Per dimension, the lowest and highest coordinate of `examples`, in one pass.
        let box_of = |examples: &mut dyn Iterator<Item = &usize>| {
            let mut bounds = vec![[f32::INFINITY, f32::NEG_INFINITY]; p];
            for &e in examples {
                for ([lo, hi], &x) in bounds.iter_mut().zip(&points[e * p..(e + 1) * p]) {
                    *lo = lo.min(x);
                    *hi = hi.max(x);
                }
            }
            bounds
        };
        let mut order: Vec<usize> = (0..n).collect();
        let mut keys: Vec<u64> = Vec::with_capacity(n);
        let mut ranges = Vec::new();
        let mut pending = vec![0..n];
        while let Some(range) = pending.pop() {
            if range.len() <= LEAF_SIZE {
                ranges.push(range);
                continue;
            }
            let examples = &mut order[range.clone()];
            let widest = box_of(&mut examples.iter().step_by(WIDTH_SAMPLE_STEP))
                .iter()
                .enumerate()
                .max_by(|(_, [lo, hi]), (_, [lo2, hi2])| (hi - lo).total_cmp(&(hi2 - lo2)))
                .expect("at least one dimension")
                .0;
            // Selection over plain integers, coordinate above example, is several times faster
            // than over the coordinates themselves.
            keys.clear();
            keys.extend(examples.iter().map(|&e| {
                let key = total_order_key(coordinate(e, widest)) as u32 ^ 0x8000_0000;
                u64::from(key) << 32 | e as u64
            }));
            let middle = examples.len() / 2;
            keys.select_nth_unstable(middle);
            for (example, key) in examples.iter_mut().zip(&keys) {
                *example = (key & u64::from(u32::MAX)) as usize;
            }
            pending.push(range.start + middle..range.end);
            pending.push(range.start..range.start + middle);
        }
        let dimension_rows = (0..p)
            .flat_map(|d| order.iter().map(move |&e| coordinate(e, d)))
            .collect();
        let boxes = ranges
            .iter()
            .flat_map(|range| box_of(&mut order[range.clone()].iter()))
            .collect();
        Self {
            order,
            dimension_rows,
            ranges,
            boxes,
        }
    }

    /// Per leaf, the squared distance from `point` to its box, summed in dimension order as
    /// distances are: each example's terms are at least the box's, and rounding keeps the
    /// order, so no example in the leaf is nearer, bit for bit.
    fn lower_bounds(&self, point: &[f32]) -> Vec<(f32, usize)> {
        self.boxes
            .chunks_exact(self.boxes.len() / self.ranges.len())
            .enumerate()
            .map(|(leaf, bounds)| {
                let d2 = bounds.iter().zip(point).fold(0.0, |sum, (&[lo, hi], &q)| {
                    let gap = if q < lo {
                        lo - q
                    } else if q > hi {
                        q - hi
                    } else {
                        0.0
                    };
                    sum + gap * gap
                });
                (d2, leaf)
            })
            .collect()
    }
}

impl Knn {
    pub fn new(set: ReferenceSet) -> Self {
        let mut counts = vec![0usize; set.labels.len()];
        for &label in &set.example_labels {
            counts[usize::from(label)] += 1;
        }
        let present = counts.iter().filter(|&&c| c > 0).count().max(1) as f32;
        let total = set.example_labels.len() as f32;
        let label_weights = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (total / present / c as f32).powf(set.balance)
                }
            })
            .collect();
        let p = set.projected_dims;
        let leaves = Leaves::new(&set.points, p);
        let read_dims: Vec<usize> = set
            .projection
            .chunks_exact(p)
            .enumerate()
            .filter(|(_, weights)| weights.iter().any(|&w| w != 0.0))
            .map(|(d, _)| d)
            .collect();
        let descriptors = Descriptors::read_by(|d| read_dims.binary_search(&d).is_ok());
        Self {
            set,
            label_weights,
            leaves,
            read_dims,
            descriptors,
        }
    }

    /// The frame descriptors whose summary statistics [`Knn::project`] reads.
    pub fn descriptors(&self) -> &Descriptors {
        &self.descriptors
    }

    /// The `k` examples nearest to `point`, as squared distance and label, nearest first (equal
    /// distances in the set's order). Each example's terms are added in dimension order, as
    /// [`squared_distance`] adds them, so the distances are bit for bit the same.
    fn nearest(&self, point: &[f32], k: usize) -> Vec<(f32, u16)> {
        let Leaves {
            order,
            dimension_rows,
            ranges,
            ..
        } = &self.leaves;
        let n = order.len();
        // The best so far as (distance, set index), sorted.
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        let before = |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        let mut leaves = self.leaves.lower_bounds(point);
        leaves.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut sums = [0.0f32; LEAF_SIZE];
        'leaves: for (bound, leaf) in leaves {
            // Leaves come nearest first: this one and all after it are out of reach.
            if best.len() == k && bound > best[k - 1].0 {
                break;
            }
            let range = ranges[leaf].clone();
            let sums = &mut sums[..range.len()];
            sums.fill(0.0);
            let rows = dimension_rows.chunks_exact(n).zip(point);
            for (d, (row, &q)) in rows.enumerate() {
                for (sum, &x) in sums.iter_mut().zip(&row[range.clone()]) {
                    *sum += (x - q) * (x - q);
                }
                // Sums only grow: once every partial sum of the leaf is beyond the farthest
                // kept, no example in it can get in.
                if d % PRUNE_EVERY_DIMS == PRUNE_EVERY_DIMS - 1
                    && best.len() == k
                    && sums.iter().all(|&sum| sum > best[k - 1].0)
                {
                    continue 'leaves;
                }
            }
            for (&index, &d2) in order[range].iter().zip(sums.iter()) {
                let candidate = (d2, index);
                if best.len() == k && before(&candidate, &best[k - 1]).is_ge() {
                    continue;
                }
                let at = best.partition_point(|b| before(b, &candidate).is_lt());
                best.insert(at, candidate);
                best.truncate(k);
            }
        }
        best.into_iter()
            .map(|(d2, i)| (d2, self.set.example_labels[i]))
            .collect()
    }

    pub fn label_name(&self, label: usize) -> &str {
        &self.set.labels[label]
    }

    /// A summary vector in the set's projected space: standardised, clipped, projected.
    /// Dimensions whose weights are all zero are skipped: `z` is always finite, so their terms
    /// are ±0, and adding ±0 changes no sum that starts at +0. Their values do not matter. A
    /// summary cut short (a damaged saved state) projects from the dimensions it has.
    pub fn project(&self, summary: &[f32]) -> Vec<f32> {
        let set = &self.set;
        let p = set.projected_dims;
        let mut point = vec![0.0; p];
        for &d in self.read_dims.iter().take_while(|&&d| d < summary.len()) {
            let x = summary[d];
            let z = ((x - set.mean[d]) / set.scale[d]).clamp(-set.clip, set.clip);
            let z = if z.is_finite() { z } else { 0.0 };
            for (o, w) in point.iter_mut().zip(&set.projection[d * p..(d + 1) * p]) {
                *o += z * w;
            }
        }
        point
    }

    pub fn classify(&self, summary: &[f32]) -> Prediction {
        self.classify_point(&self.project(summary))
    }

    /// Weighted vote of the `k` nearest examples: each counts by inverse distance and by its
    /// label's balance weight.
    pub fn classify_point(&self, point: &[f32]) -> Prediction {
        self.classify_point_taught(point, &[])
    }

    /// As [`Knn::classify_point`], with examples a user taught (projected points): each one
    /// inside the neighbourhood the `k` nearest span votes like [`TAUGHT_EXAMPLE_WEIGHT`]
    /// neighbours at its distance, so a handful of them outweighs thousands of stock examples.
    pub fn classify_point_taught(&self, point: &[f32], taught: &[TaughtPoint]) -> Prediction {
        let set = &self.set;
        let nearest = self.nearest(point, set.k.min(set.example_labels.len()));
        let radius2 = nearest.last().expect("a set has examples and k > 0").0;

        // Added nearest first: a fixed order, so the sums do not depend on how the neighbours
        // were found.
        let mut votes = vec![0.0f32; set.labels.len()];
        for &(d2, label) in &nearest {
            votes[usize::from(label)] +=
                self.label_weights[usize::from(label)] / (d2.sqrt() + 1e-3);
        }
        for example in taught {
            let d2 = squared_distance(&example.point, point);
            if d2 <= radius2 && example.label < votes.len() {
                votes[example.label] += TAUGHT_EXAMPLE_WEIGHT / (d2.sqrt() + 1e-3);
            }
        }
        // A damaged set can make every vote NaN or zero: that is no decision, not a panic.
        for vote in &mut votes {
            if !vote.is_finite() {
                *vote = 0.0;
            }
        }
        let total: f32 = votes.iter().sum();
        let mut ranked: Vec<(usize, f32)> = votes
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v > 0.0)
            .map(|(l, &v)| (l, v / total))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(3);
        let (label, confidence) = ranked.first().copied().unwrap_or((0, 0.0));
        Prediction {
            label,
            confidence,
            top: ranked,
        }
    }

    /// The label index of `name`, if the set has it.
    pub fn label_index(&self, name: &str) -> Option<usize> {
        self.set.labels.iter().position(|l| l == name)
    }

    pub fn labels(&self) -> &[String] {
        &self.set.labels
    }

    /// Every example's projected point with its label index, for drawing the set as a map.
    pub fn examples(&self) -> impl Iterator<Item = (&[f32], usize)> + Clone {
        self.set
            .points
            .chunks_exact(self.set.projected_dims)
            .zip(self.set.example_labels.iter().map(|&l| usize::from(l)))
    }
}

/// How many stock neighbours one taught example is worth.
pub const TAUGHT_EXAMPLE_WEIGHT: f32 = 10.0;

/// An example a user taught, in a set's projected space.
#[derive(Debug, Clone, PartialEq)]
pub struct TaughtPoint {
    pub label: usize,
    pub point: Vec<f32>,
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::FeatureSchema;
    use crate::summary::SUMMARY_DIMS;

    /// Two labels in a 2-D projected space that reads summary dimensions 0 and 1 directly.
    fn toy_set(points: &[(f32, f32, u16)], k: usize, balance: f32) -> ReferenceSet {
        let mut projection = vec![0.0; SUMMARY_DIMS * 2];
        projection[0] = 1.0;
        projection[3] = 1.0;
        ReferenceSet {
            schema: FeatureSchema::current(),
            labels: vec!["low".into(), "high".into()],
            mean: vec![0.0; SUMMARY_DIMS],
            scale: vec![1.0; SUMMARY_DIMS],
            clip: 5.0,
            projection,
            projected_dims: 2,
            k,
            balance,
            points: points.iter().flat_map(|&(x, y, _)| [x, y]).collect(),
            example_labels: points.iter().map(|&(_, _, l)| l).collect(),
            provenance: "test".into(),
        }
    }

    fn summary_at(x: f32, y: f32) -> Vec<f32> {
        let mut s = vec![0.0; SUMMARY_DIMS];
        s[0] = x;
        s[1] = y;
        s
    }

    #[test]
    fn nearest_examples_decide_and_confidence_is_the_vote_share() {
        let knn = Knn::new(toy_set(
            &[(0.0, 0.0, 0), (0.1, 0.0, 0), (3.0, 3.0, 1), (3.1, 3.0, 1)],
            3,
            0.0,
        ));
        let near_low = knn.classify(&summary_at(0.05, 0.0));
        assert_eq!(near_low.label, 0);
        assert!(near_low.confidence > 0.9 && near_low.confidence < 1.0);
        assert_eq!(near_low.top.len(), 2);
        assert_eq!(knn.classify(&summary_at(2.9, 3.1)).label, 1);
        let sum: f32 = near_low.top.iter().map(|t| t.1).sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn balancing_stops_a_crowded_label_from_outvoting_a_rare_one() {
        // Nine "low" examples far-ish, one "high" example equally far: k covers all ten.
        let mut points: Vec<(f32, f32, u16)> = (0..9).map(|i| (-1.0, i as f32 * 0.01, 0)).collect();
        points.push((1.0, 0.0, 1));
        let unbalanced = Knn::new(toy_set(&points, 10, 0.0)).classify(&summary_at(0.0, 0.0));
        let balanced = Knn::new(toy_set(&points, 10, 1.0)).classify(&summary_at(0.0, 0.0));
        assert_eq!(unbalanced.label, 0);
        assert!((balanced.confidence - 0.5).abs() < 0.02, "{balanced:?}");
    }

    #[test]
    fn a_taught_example_near_the_query_outvotes_stock_examples() {
        // Twenty "low" examples around the query; one taught "high" example right on it.
        let points: Vec<(f32, f32, u16)> = (0..20)
            .map(|i| (0.1 * (i % 5) as f32, 0.1 * (i / 5) as f32, 0))
            .chain([(5.0, 5.0, 1)])
            .collect();
        let knn = Knn::new(toy_set(&points, 10, 0.0));
        let query = summary_at(0.2, 0.15);
        assert_eq!(knn.classify(&query).label, 0);
        let point = knn.project(&query);
        let taught = [TaughtPoint {
            label: 1,
            point: vec![0.2, 0.16],
        }];
        assert_eq!(knn.classify_point_taught(&point, &taught).label, 1);
        // Taught far outside the neighbourhood, it changes nothing.
        let far = [TaughtPoint {
            label: 1,
            point: vec![-9.0, -9.0],
        }];
        assert_eq!(
            knn.classify_point_taught(&point, &far),
            knn.classify(&query)
        );
    }

    #[test]
    fn the_nearest_are_the_plain_sums_smallest_bit_for_bit() {
        // More examples than one block, odd dimensions, awkward values, duplicated examples.
        let p = 7;
        let n = 9 * LEAF_SIZE + 13;
        let mut state = 99u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1 << 20) as f32 - 8.0
        };
        let mut set = toy_set(&[], 5, 0.5);
        set.projected_dims = p;
        set.points = (0..n * p).map(|_| next()).collect();
        set.points.copy_within(0..10 * p, (n - 10) * p);
        set.example_labels = (0..n).map(|i| (i % 2) as u16).collect();
        let points = set.points.clone();
        let knn = Knn::new(set);
        for query in [
            (0..p).map(|_| next()).collect::<Vec<f32>>(),
            points[3 * p..4 * p].to_vec(),
        ] {
            let mut expected: Vec<(u32, usize)> = points
                .chunks_exact(p)
                .enumerate()
                .map(|(i, e)| (squared_distance(e, &query).to_bits(), i))
                .collect();
            expected.sort_unstable();
            for k in [1, 2, 17, n] {
                let got: Vec<(u32, u16)> = knn
                    .nearest(&query, k)
                    .into_iter()
                    .map(|(d, l)| (d.to_bits(), l))
                    .collect();
                let want: Vec<(u32, u16)> = expected[..k]
                    .iter()
                    .map(|&(d, i)| (d, (i % 2) as u16))
                    .collect();
                assert_eq!(got, want, "k = {k}");
            }
        }
    }

    #[test]
    fn dimensions_without_weight_are_skipped_with_the_same_point_bit_for_bit() {
        let mut set = toy_set(&[(0.0, 0.0, 0), (3.0, 3.0, 1)], 1, 0.5);
        set.projection[2 * 2] = -0.5;
        set.projection[7 * 2 + 1] = 0.25;
        // A negative zero is no weight either.
        set.projection[9 * 2] = -0.0;
        let knn = Knn::new(set.clone());
        assert_eq!(
            knn.descriptors(),
            &Descriptors::read_by(|d| [0, 1, 2, 7].contains(&d))
        );
        // Every dimension, as projecting did before skipping any.
        let dense = |summary: &[f32]| -> Vec<u32> {
            let mut point = [0.0f32; 2];
            for (d, &x) in summary.iter().enumerate() {
                let z = ((x - set.mean[d]) / set.scale[d]).clamp(-set.clip, set.clip);
                let z = if z.is_finite() { z } else { 0.0 };
                for (o, w) in point.iter_mut().zip(&set.projection[d * 2..d * 2 + 2]) {
                    *o += z * w;
                }
            }
            point.map(f32::to_bits).to_vec()
        };
        let awkward = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            0.0,
            1e30,
            -2.5,
        ];
        for (i, &a) in awkward.iter().enumerate() {
            let mut summary: Vec<f32> = (0..SUMMARY_DIMS)
                .map(|d| awkward[(i + d) % awkward.len()])
                .collect();
            summary[0] = a;
            let projected: Vec<u32> = knn
                .project(&summary)
                .into_iter()
                .map(f32::to_bits)
                .collect();
            assert_eq!(projected, dense(&summary), "{a}");
        }
    }

    #[test]
    fn non_finite_summaries_still_classify() {
        let knn = Knn::new(toy_set(&[(0.0, 0.0, 0), (3.0, 3.0, 1)], 1, 0.5));
        let prediction = knn.classify(&summary_at(f32::NAN, f32::INFINITY));
        assert!(prediction.confidence.is_finite());
    }
}
