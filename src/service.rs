//! The process-wide labeling service: one background thread, shared by every instance in the
//! process, started with the first instance and stopped (and joined) with the last.
//!
//! Every [`TICK`] it drains each instance's audio channel, analyses the audio into frames (the
//! same [`Analyzer`] the offline path uses), keeps a sliding window of recent frames per
//! instance, runs KNN every [`DECISION_SECONDS`] of audio, smooths the decisions
//! and publishes the shown label into the instance's [`TrackShared`], where the editor, the
//! session view and the saved state read it. The audio thread touches none of this. Decisions
//! are paced by audio time, not wall time, so an offline bounce is labelled like playback.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use nice_plug_egui::RepaintNotifier;

use crate::analysis::{Analyzer, FrameSummary, HOP_SECONDS};
use crate::decision::{LabelSmoother, UNCERTAIN_BELOW};
use crate::handoff::{AUDIO_CHANNEL_CAPACITY, AudioChunk, AudioReceiver, CHUNK_LEN};
use crate::knn::{Knn, Prediction, TaughtPoint};
use crate::library;
use crate::params::TrackLabelerParams;
use crate::reference::{ReferenceSet, SUMMARY_VERSION};
use crate::summary::{Descriptors, GATE_MEMORY_SECONDS, summarize_after};
use crate::track_state::{LabelDecision, LabelScore, PersistedTrack, TaughtExample};

/// How often the service drains the channels.
pub const TICK: Duration = Duration::from_millis(25);
/// How soon it drains again when a channel was filling up (an offline bounce).
const BACKLOG_TICK: Duration = Duration::from_millis(1);
/// Audio between two decisions.
pub const DECISION_SECONDS: f32 = 0.25;
/// Audible audio needed before the first label.
pub const FIRST_LABEL_SECONDS: f32 = 0.5;
/// Silence this long turns a listening track idle.
pub const IDLE_AFTER_SECONDS: f32 = 0.5;
/// Decisions kept for the editor's history strip.
pub const HISTORY_LEN: usize = 120;

/// What an instance is doing, as the editor shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activity {
    /// No audible audio since the instance started.
    #[default]
    Waiting,
    Listening,
    /// Silence after audio; the last label stays.
    Idle,
}

/// Everything the editor shows beyond the saved state; rebuilt from audio after a reload.
#[derive(Clone, Default)]
pub struct LiveStatus {
    /// The classifier in use (the map draws its examples).
    pub knn: Option<Arc<Knn>>,
    pub activity: Activity,
    /// The shown label's smoothed score is low.
    pub uncertain: bool,
    /// What the classifier hears now (smoothed), pinned or not.
    pub heard: Option<LabelDecision>,
    /// Raw decisions, oldest first.
    pub history: VecDeque<(String, f32)>,
    /// The current window in the classifier's projected space (the map's moving point).
    pub point: Option<Vec<f32>>,
    /// The current window's summary: what "this track is ..." teaches.
    pub summary: Option<Vec<f32>>,
    /// Audible audio it took to show the first label.
    pub first_label_after_seconds: Option<f32>,
    /// Analysis frames taken since the instance started.
    pub frames: u64,
    /// Audio the audio thread could not hand over because the channel was full.
    pub dropped_seconds: f64,
    /// Labels the classifier in use knows (what a user can pin or teach).
    pub labels: Vec<String>,
    /// Why the chosen reference set file is not in use.
    pub reference_error: Option<String>,
}

/// Track name and colour as the host reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTrack {
    pub name: String,
    pub colour: Option<[u8; 3]>,
}

/// One instance's shared view: written by the service, read by the editor and the session view.
pub struct TrackShared {
    pub track: PersistedTrack,
    pub live: Mutex<LiveStatus>,
    pub host_track: Mutex<Option<HostTrack>>,
    pub repaint: RepaintNotifier,
    /// The lowest number free when the track registered, for naming unnamed tracks.
    pub number: u64,
}

impl TrackShared {
    pub fn live(&self) -> MutexGuard<'_, LiveStatus> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The host's track name, else the user's, else a numbered default.
    pub fn display_name(&self) -> String {
        let host = self
            .host_track
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match host {
            Some(host) if !host.name.is_empty() => host.name,
            _ => {
                let typed = self.track.read(|s| s.name.clone());
                if typed.is_empty() {
                    format!("Track {}", self.number)
                } else {
                    typed
                }
            }
        }
    }

    /// Shows `label` whatever the classifier hears, until unpinned.
    pub fn pin(&self, label: Option<String>) {
        let heard = self.live().heard.clone();
        self.track.update(|state| {
            state.pinned = label.clone();
            state.label = match label {
                Some(label) => Some(LabelDecision {
                    label,
                    confidence: 1.0,
                    top: heard.map(|h| h.top).unwrap_or_default(),
                }),
                None => heard,
            };
        });
        self.repaint.request_repaint();
    }

    /// Adds the current window as an example of `label`; returns false when there is no
    /// window to teach (nothing heard yet).
    pub fn teach(&self, label: &str, also_to_library: bool) -> bool {
        let Some(summary) = self.live().summary.clone() else {
            return false;
        };
        let example = TaughtExample {
            label: label.to_owned(),
            summary_version: SUMMARY_VERSION,
            summary,
        };
        if also_to_library {
            if let Err(error) = library::append(&example) {
                nice_plug::nice_warn!("could not add the example to the user library: {error}");
            }
        }
        self.track.update(|state| state.taught.push(example));
        true
    }
}

/// A registered instance: what the service reads.
struct Instance {
    id: u64,
    audio: AudioReceiver,
    shared: Arc<TrackShared>,
    params: Arc<TrackLabelerParams>,
}

struct Registry {
    instances: Vec<Arc<Instance>>,
    worker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    instances: Vec::new(),
    worker: None,
});
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps an instance registered with the service; dropping it unregisters, and the last one
/// stops the thread and waits for it, so no service thread outlives the plugin library.
pub struct Registration {
    id: u64,
}

/// Registers an instance; starts the service thread if it is the first.
pub fn register(
    audio: AudioReceiver,
    track: PersistedTrack,
    params: Arc<TrackLabelerParams>,
) -> (Registration, Arc<TrackShared>) {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut registry = registry();
    // The lowest number no live track has: unnamed tracks keep distinct names as tracks come
    // and go.
    let number = (1..)
        .find(|n| registry.instances.iter().all(|i| i.shared.number != *n))
        .expect("a free track number");
    let shared = Arc::new(TrackShared {
        track,
        live: Mutex::new(LiveStatus::default()),
        host_track: Mutex::new(None),
        repaint: RepaintNotifier::new(),
        number,
    });
    registry.instances.push(Arc::new(Instance {
        id,
        audio,
        shared: shared.clone(),
        params,
    }));
    if registry.worker.is_none() {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("track-labeler-service".into())
            .spawn(move || run(stopped))
            .expect("the labeling service thread starts");
        registry.worker = Some((stop, thread));
    }
    (Registration { id }, shared)
}

impl Drop for Registration {
    fn drop(&mut self) {
        let worker = {
            let mut registry = registry();
            registry.instances.retain(|i| i.id != self.id);
            if registry.instances.is_empty() {
                registry.worker.take()
            } else {
                None
            }
        };
        if let Some((stop, thread)) = worker {
            drop(stop);
            let _ = thread.join();
        }
    }
}

/// Every registered instance's shared view, in registration order.
pub fn session() -> Vec<Arc<TrackShared>> {
    registry()
        .instances
        .iter()
        .map(|i| i.shared.clone())
        .collect()
}

/// Whether the service thread is running (it runs exactly while instances exist).
pub fn is_running() -> bool {
    registry().worker.is_some()
}

/// The built-in reference set's classifier, parsed once per process.
pub fn default_knn() -> Arc<Knn> {
    static DEFAULT: OnceLock<Arc<Knn>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Arc::new(Knn::new(ReferenceSet::default_set())))
        .clone()
}

fn run(stopped: mpsc::Receiver<()>) {
    let mut workers: HashMap<u64, Worker> = HashMap::new();
    let mut wait = TICK;
    loop {
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let instances = registry().instances.clone();
        workers.retain(|id, _| instances.iter().any(|i| i.id == *id));
        let mut most_drained = 0;
        for instance in &instances {
            let drained = workers
                .entry(instance.id)
                .or_insert_with(Worker::new)
                .poll(instance);
            most_drained = most_drained.max(drained);
        }
        wait = if most_drained >= AUDIO_CHANNEL_CAPACITY / 8 {
            BACKLOG_TICK
        } else {
            TICK
        };
    }
}

/// The classifier an instance uses: the built-in or a chosen set, plus taught examples.
struct Classifier {
    knn: Arc<Knn>,
    /// The reference set file the state asked for when `knn` was chosen.
    source: Option<String>,
    taught: Vec<TaughtPoint>,
    /// Taught examples (project, library) that `taught` was projected from.
    taught_from: (usize, u64),
}

impl Classifier {
    fn refresh(&mut self, shared: &TrackShared) {
        let (source, project_taught) = shared
            .track
            .read(|s| (s.reference_set.clone(), s.taught.len()));
        let library_generation = library::generation();
        if source != self.source {
            let loaded = match &source {
                None => Ok(default_knn()),
                Some(path) => std::fs::read(path)
                    .map_err(|e| format!("cannot read {path}: {e}"))
                    .and_then(|bytes| {
                        ReferenceSet::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))
                    })
                    .map(|set| Arc::new(Knn::new(set))),
            };
            let error = loaded.as_ref().err().cloned();
            if let Some(error) = &error {
                nice_plug::nice_warn!("using the built-in reference set: {error}");
            }
            self.knn = loaded.unwrap_or_else(|_| default_knn());
            self.source = source;
            self.taught_from = (usize::MAX, 0);
            let mut live = shared.live();
            live.reference_error = error;
            live.labels = self.knn.labels().to_vec();
            live.knn = Some(self.knn.clone());
        }
        if self.taught_from != (project_taught, library_generation) {
            let examples: Vec<TaughtExample> = shared
                .track
                .read(|s| s.taught.clone())
                .into_iter()
                .chain(library::examples())
                .collect();
            self.taught = examples
                .iter()
                .filter(|e| e.summary_version == SUMMARY_VERSION)
                .filter_map(|e| {
                    Some(TaughtPoint {
                        label: self.knn.label_index(&e.label)?,
                        point: self.knn.project(&e.summary),
                    })
                })
                .collect();
            self.taught_from = (project_taught, library_generation);
        }
    }
}

/// The service's per-instance state.
struct Worker {
    stream: Option<Stream>,
    labeling: Labeling,
}

impl Worker {
    fn new() -> Self {
        Self {
            stream: None,
            labeling: Labeling::new(),
        }
    }

    /// Drains, analyses and labels what arrived; returns how many chunks it drained.
    fn poll(&mut self, instance: &Instance) -> usize {
        let shared = &instance.shared;
        let labeling = &mut self.labeling;
        labeling.classifier.refresh(shared);
        let gate = instance.params.gate_dbfs.value();
        let window_seconds = instance.params.window_seconds.value();
        let hold = instance.params.hold.value();
        let mut chunks = 0;
        let mut frames = 0u64;
        let mut changed = false;
        for chunk in instance.audio.drain() {
            chunks += 1;
            Stream::analyzer_for(&mut self.stream, &chunk).process(chunk.audio(), |frame| {
                frames += 1;
                changed |= labeling.take(frame, gate, window_seconds);
                if !hold && labeling.due() {
                    labeling.decide(shared);
                    changed = true;
                }
            });
        }
        let dropped_seconds = self.stream.as_ref().map_or(0.0, |stream| {
            (instance.audio.dropped() * CHUNK_LEN as u64) as f64 / f64::from(stream.sample_rate)
        });
        let mut live = shared.live();
        changed |= live.activity != labeling.activity || live.dropped_seconds != dropped_seconds;
        live.activity = labeling.activity;
        live.frames += frames;
        live.dropped_seconds = dropped_seconds;
        drop(live);
        if changed {
            shared.repaint.request_repaint();
        }
        chunks
    }
}

/// The analyzer of an instance's current stream of audio.
struct Stream {
    analyzer: Analyzer,
    sample_rate: f32,
    /// Where the next chunk starts if it continues the stream.
    next_sample: u64,
}

impl Stream {
    /// The analyzer `chunk` goes to: the current one if the chunk continues its stream, else
    /// one started afresh (a new rate, a reset, or chunks dropped in between), whose frame
    /// times start again at zero.
    fn analyzer_for<'a>(stream: &'a mut Option<Stream>, chunk: &AudioChunk) -> &'a mut Analyzer {
        if stream
            .as_ref()
            .is_none_or(|current| current.sample_rate != chunk.sample_rate)
        {
            *stream = Some(Stream {
                analyzer: Analyzer::new(chunk.sample_rate),
                sample_rate: chunk.sample_rate,
                next_sample: chunk.first_sample,
            });
        }
        let stream = stream.as_mut().expect("set above");
        if stream.next_sample != chunk.first_sample {
            stream.analyzer.reset();
        }
        stream.next_sample = chunk.first_sample + chunk.audio().len() as u64;
        &mut stream.analyzer
    }
}

/// An instance's labeling: the window of recent frames, the decisions and what they show.
struct Labeling {
    window: VecDeque<FrameSummary>,
    /// (time, level) of the frames that left the window in the last [`GATE_MEMORY_SECONDS`]:
    /// a tail of what they held is not judged.
    earlier_levels: VecDeque<(f64, f32)>,
    last_time: f64,
    activity: Activity,
    first_audible: Option<f64>,
    last_audible: f64,
    since_decision: f32,
    smoother: Option<LabelSmoother>,
    classifier: Classifier,
}

impl Labeling {
    fn new() -> Self {
        Self {
            window: VecDeque::new(),
            // Full size at once: grown later, while other instances come and go, it would pin
            // the top of the heap and keep freed memory resident.
            earlier_levels: VecDeque::with_capacity(
                (GATE_MEMORY_SECONDS / HOP_SECONDS).ceil() as usize + 2,
            ),
            last_time: f64::NEG_INFINITY,
            activity: Activity::Waiting,
            first_audible: None,
            last_audible: 0.0,
            since_decision: 0.0,
            smoother: None,
            classifier: Classifier {
                knn: default_knn(),
                source: None,
                taught: Vec::new(),
                taught_from: (usize::MAX, 0),
            },
        }
    }

    /// Adds one frame; returns whether the activity changed.
    fn take(&mut self, frame: FrameSummary, gate_dbfs: f32, window_seconds: f32) -> bool {
        let hop = (frame.time_seconds - self.last_time) as f32;
        if !(hop > 0.0) {
            // A reactivated analyzer starts its clock again.
            self.window.clear();
            self.earlier_levels.clear();
            self.first_audible = None;
        }
        let hop = if hop > 0.0 && hop < 1.0 { hop } else { 0.0 };
        self.last_time = frame.time_seconds;
        let before = self.activity;
        let audible = frame.rms_dbfs >= gate_dbfs;
        if audible {
            self.activity = Activity::Listening;
            self.first_audible.get_or_insert(frame.time_seconds);
            self.last_audible = frame.time_seconds;
        } else if self.activity == Activity::Listening
            && frame.time_seconds - self.last_audible > f64::from(IDLE_AFTER_SECONDS)
        {
            self.activity = Activity::Idle;
        }
        self.window.push_back(frame);
        let window_start = frame.time_seconds - f64::from(window_seconds);
        while let Some(old) = self
            .window
            .front()
            .filter(|f| f.time_seconds < window_start)
        {
            self.earlier_levels
                .push_back((old.time_seconds, old.rms_dbfs));
            self.window.pop_front();
        }
        while self
            .earlier_levels
            .front()
            .is_some_and(|&(time, _)| time < window_start - GATE_MEMORY_SECONDS)
        {
            self.earlier_levels.pop_front();
        }
        self.since_decision += hop;
        self.activity != before
    }

    fn due(&self) -> bool {
        // Sparse hits stay `Listening` between them, so a kick every second is labelled too.
        self.activity == Activity::Listening
            && self.since_decision >= DECISION_SECONDS
            && self
                .first_audible
                .is_some_and(|first| self.last_time - first >= f64::from(FIRST_LABEL_SECONDS))
    }

    fn decide(&mut self, shared: &TrackShared) {
        self.since_decision = 0.0;
        let frames: Vec<FrameSummary> = self.window.iter().copied().collect();
        let earlier_loudest = self
            .earlier_levels
            .iter()
            .map(|&(_, level)| level)
            .fold(f32::NEG_INFINITY, f32::max);
        // Silence, or the tail of a louder sound: the shown label stays.
        let Some(summary) = summarize_after(&frames, earlier_loudest, &Descriptors::ALL) else {
            return;
        };
        let knn = &self.classifier.knn;
        let point = knn.project(&summary);
        let prediction = knn.classify_point_taught(&point, &self.classifier.taught);
        let smoother = self
            .smoother
            .get_or_insert_with(|| LabelSmoother::new(knn.labels().len()));
        let shown = smoother.update(&prediction);
        let heard = LabelDecision {
            label: knn.label_name(shown).to_owned(),
            confidence: smoother.score(shown),
            top: scores(knn, &smoother.top()),
        };

        let mut live = shared.live();
        if live.first_label_after_seconds.is_none() {
            live.first_label_after_seconds = self
                .first_audible
                .map(|first| (self.last_time - first) as f32);
        }
        live.uncertain = heard.confidence < UNCERTAIN_BELOW;
        push_history(&mut live.history, knn, &prediction);
        live.point = Some(point);
        live.summary = Some(summary);
        live.heard = Some(heard.clone());
        drop(live);
        shared.track.update(|state| {
            state.label = Some(match &state.pinned {
                Some(pinned) => LabelDecision {
                    label: pinned.clone(),
                    confidence: 1.0,
                    top: heard.top,
                },
                None => heard,
            });
        });
    }
}

fn scores(knn: &Knn, ranked: &[(usize, f32)]) -> Vec<LabelScore> {
    ranked
        .iter()
        .map(|&(label, score)| LabelScore {
            label: knn.label_name(label).to_owned(),
            score,
        })
        .collect()
}

fn push_history(history: &mut VecDeque<(String, f32)>, knn: &Knn, prediction: &Prediction) {
    if history.len() == HISTORY_LEN {
        history.pop_front();
    }
    history.push_back((
        knn.label_name(prediction.label).to_owned(),
        prediction.confidence,
    ));
}
