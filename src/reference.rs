//! Reference sets: the labelled examples the KNN compares against, with the standardisation and
//! projection they were built with, in a compact versioned file. The default set is embedded in
//! the binary; users can build their own.

use serde::{Deserialize, Serialize};

use crate::analysis::{HOP_SECONDS, WINDOW_SECONDS};
use crate::summary::{SUMMARY_DIMS, summary_dimension_names};

/// First bytes of every reference-set file.
const MAGIC: &[u8; 8] = b"TLREFSET";
/// Version of the file layout (not of the features: see [`FeatureSchema`]).
const FORMAT_VERSION: u32 = 1;

/// The default reference set, trained by `cargo xtask train`.
pub static DEFAULT_REFERENCE_SET: &[u8] = include_bytes!("../assets/default.tlref");

/// What a summary vector means. A set built with another schema cannot be compared with this
/// build's summaries, so loading one is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSchema {
    /// Bumped whenever the meaning of any summary dimension changes.
    pub summary_version: u32,
    pub window_seconds: f64,
    pub hop_seconds: f64,
    pub dimensions: Vec<String>,
}

/// Bump when a change to the analysis or the summary changes what a dimension means.
pub const SUMMARY_VERSION: u32 = 3;

impl FeatureSchema {
    /// The schema of this build.
    pub fn current() -> Self {
        Self {
            summary_version: SUMMARY_VERSION,
            window_seconds: WINDOW_SECONDS,
            hop_seconds: HOP_SECONDS,
            dimensions: summary_dimension_names(),
        }
    }
}

/// Labelled points in a projected feature space, and how to get a summary there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceSet {
    pub schema: FeatureSchema,
    /// Label names; examples refer to them by index. The default set uses the class ids.
    pub labels: Vec<String>,
    /// Per summary dimension: subtract `mean`, divide by `scale`, clip to ±`clip`.
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub clip: f32,
    /// Row-major `SUMMARY_DIMS x projected_dims` matrix applied after standardising.
    pub projection: Vec<f32>,
    pub projected_dims: usize,
    /// Neighbours consulted per decision.
    pub k: usize,
    /// How strongly votes are rebalanced against label frequency in the set: 0 counts every
    /// neighbour alike, 1 divides by the label's share of the examples.
    pub balance: f32,
    /// `examples * projected_dims` coordinates and one label index per example.
    pub points: Vec<f32>,
    pub example_labels: Vec<u16>,
    /// Free-form note of what the set was built from (shown by tools, not used).
    pub provenance: String,
}

/// Why a reference set could not be used.
#[derive(Debug, PartialEq)]
pub enum ReferenceError {
    NotAReferenceSet,
    UnsupportedFormat(u32),
    Corrupt(String),
    StaleSchema { found: String, expected: String },
    Inconsistent(String),
}

impl std::fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAReferenceSet => write!(f, "not a Track Labeler reference set"),
            Self::UnsupportedFormat(v) => {
                write!(
                    f,
                    "reference set file format {v} is not supported (this build reads {FORMAT_VERSION})"
                )
            }
            Self::Corrupt(why) => write!(f, "reference set is damaged: {why}"),
            Self::StaleSchema { found, expected } => write!(
                f,
                "reference set was built for features {found}, this build computes {expected}: \
                 rebuild it from its audio with `track-labeler train`"
            ),
            Self::Inconsistent(why) => write!(f, "reference set is inconsistent: {why}"),
        }
    }
}

impl std::error::Error for ReferenceError {}

fn describe(schema: &FeatureSchema) -> String {
    format!(
        "v{} ({} dimensions, {:.1} ms window, {:.1} ms hop)",
        schema.summary_version,
        schema.dimensions.len(),
        schema.window_seconds * 1e3,
        schema.hop_seconds * 1e3
    )
}

impl ReferenceSet {
    pub fn examples(&self) -> usize {
        self.example_labels.len()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(FORMAT_VERSION.to_le_bytes());
        bytes.extend(postcard::to_stdvec(self).expect("a reference set always serialises"));
        bytes
    }

    /// Parses and checks a set: right file, right format, this build's feature schema, and
    /// internally consistent sizes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReferenceError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(ReferenceError::NotAReferenceSet)?;
        let (version, body) = rest
            .split_at_checked(4)
            .ok_or(ReferenceError::NotAReferenceSet)?;
        let version = u32::from_le_bytes(version.try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(ReferenceError::UnsupportedFormat(version));
        }
        let set: Self =
            postcard::from_bytes(body).map_err(|e| ReferenceError::Corrupt(e.to_string()))?;
        let expected = FeatureSchema::current();
        if set.schema != expected {
            return Err(ReferenceError::StaleSchema {
                found: describe(&set.schema),
                expected: describe(&expected),
            });
        }
        set.check_sizes()?;
        Ok(set)
    }

    /// The set shipped inside the plugin and the CLI.
    pub fn default_set() -> Self {
        Self::from_bytes(DEFAULT_REFERENCE_SET)
            .expect("the embedded default set matches this build")
    }

    fn check_sizes(&self) -> Result<(), ReferenceError> {
        let fail = |why: String| Err(ReferenceError::Inconsistent(why));
        let p = self.projected_dims;
        if self.mean.len() != SUMMARY_DIMS || self.scale.len() != SUMMARY_DIMS {
            return fail(format!(
                "standardisation has {} dimensions, not {SUMMARY_DIMS}",
                self.mean.len()
            ));
        }
        if p == 0 || self.projection.len() != SUMMARY_DIMS * p {
            return fail(format!(
                "projection has {} entries for {p} dimensions",
                self.projection.len()
            ));
        }
        if self.points.len() != self.example_labels.len() * p {
            return fail(format!(
                "{} coordinates for {} examples",
                self.points.len(),
                self.example_labels.len()
            ));
        }
        if self
            .example_labels
            .iter()
            .any(|&l| usize::from(l) >= self.labels.len())
        {
            return fail("an example refers to a label that does not exist".into());
        }
        if self.k == 0 || self.example_labels.is_empty() {
            return fail("no examples or k = 0".into());
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if !(finite(&self.mean)
            && finite(&self.scale)
            && finite(&self.projection)
            && finite(&self.points))
        {
            return fail("non-finite numbers".into());
        }
        if self.scale.iter().any(|&s| s <= 0.0) || !(self.clip > 0.0) {
            return fail("non-positive scale".into());
        }
        if !(0.0..=1.0).contains(&self.balance) {
            return fail(format!("balance {} outside 0..1", self.balance));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_set_matches_this_builds_features() {
        let set = ReferenceSet::from_bytes(DEFAULT_REFERENCE_SET)
            .unwrap_or_else(|e| panic!("assets/default.tlref: {e}; run `cargo xtask train`"));
        assert!(set.examples() > 0);
        for class in crate::labels::Class::ALL {
            assert!(
                set.labels.iter().any(|l| l == class.id()),
                "{} missing",
                class.id()
            );
        }
    }

    #[test]
    fn round_trips_and_refuses_stale_or_damaged_sets() {
        let set = ReferenceSet::default_set();
        assert_eq!(ReferenceSet::from_bytes(&set.to_bytes()), Ok(set.clone()));

        let mut stale = set.clone();
        stale.schema.summary_version += 1;
        let error = ReferenceSet::from_bytes(&stale.to_bytes()).unwrap_err();
        assert!(matches!(error, ReferenceError::StaleSchema { .. }));
        assert!(error.to_string().contains("rebuild"), "{error}");

        let bytes = set.to_bytes();
        assert_eq!(
            ReferenceSet::from_bytes(b"RIFF....WAVE"),
            Err(ReferenceError::NotAReferenceSet)
        );
        assert!(matches!(
            ReferenceSet::from_bytes(&bytes[..bytes.len() / 2]),
            Err(ReferenceError::Corrupt(_))
        ));
        let mut newer = bytes.clone();
        newer[8] = 99;
        assert_eq!(
            ReferenceSet::from_bytes(&newer),
            Err(ReferenceError::UnsupportedFormat(99))
        );

        let mut broken = set;
        broken.example_labels[0] = 60_000;
        assert!(matches!(
            ReferenceSet::from_bytes(&broken.to_bytes()),
            Err(ReferenceError::Inconsistent(_))
        ));
    }
}
