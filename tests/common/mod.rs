//! A minimal CLAP host over `clack-host` that loads the plugin library the way a DAW does.
//!
//! The library under test is the one cargo built for this test run; the dev-dependency on
//! nice-plug with `assert_process_allocs` makes any allocation inside `process()` abort it.

#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod fixtures;
pub mod plugin_state;
pub mod process_stats;
pub mod signals;

use std::ffi::CString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_host::events::event_types::TransportEvent;
use clack_host::prelude::*;
use clack_host::process::StartedPluginAudioProcessor;
use clap_sys::audio_buffer::clap_audio_buffer;

pub const PLUGIN_ID: &str = "app.track-labeler.track-labeler";

pub struct TestHost;
pub struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// Window requests from the editor are accepted and otherwise ignored: the tests' host window
/// has no frame to resize.
impl HostGuiImpl for TestHostShared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _: bool) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _: &Self::Shared<'_>) {
        // nice-plug's editor needs the host's gui extension (it unwraps it when embedding).
        builder.register::<HostGui>();
    }
}

/// The plugin library cargo built alongside this test binary (in `target/<profile>/deps`).
pub fn plugin_library() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps folder");
    let name = format!(
        "{}track_labeler{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = deps.join(&name);
    assert!(
        path.exists(),
        "{} not built; run the tests through cargo",
        path.display()
    );
    path
}

/// Polls `what` every 20 ms for up to ten seconds; whether it came true.
pub fn wait_until(what: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    what()
}

/// The plugin's entry, loaded once and kept for the whole test process.
///
/// Unloading the library while threads that ran plugin code are still alive crashes when those
/// threads exit (their thread-local destructors point into the unloaded code), so the tests,
/// like most hosts, keep it loaded.
pub fn load_entry() -> &'static PluginEntry {
    static ENTRY: OnceLock<PluginEntry> = OnceLock::new();
    // SAFETY: the library is our own plugin, built by cargo for this test run.
    ENTRY.get_or_init(|| {
        unsafe { PluginEntry::load(plugin_library()) }.expect("plugin library loads")
    })
}

/// One plugin instance, created on the calling (main) thread.
pub struct Instance {
    pub instance: PluginInstance<TestHost>,
}

impl Instance {
    pub fn new(entry: &PluginEntry) -> Self {
        let host_info =
            HostInfo::new("Track Labeler tests", "Track Labeler", "", "0.1").expect("host info");
        let id = CString::new(PLUGIN_ID).unwrap();
        let instance =
            PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), entry, &id, &host_info)
                .expect("plugin instantiates");
        Self { instance }
    }

    /// Selects the plugin's audio port configuration whose main input has `channels` channels
    /// (the plugin must be inactive), as a host does for a mono or stereo track.
    pub fn select_channels(&mut self, channels: u32) {
        let handle = self.instance.plugin_handle();
        let configs: PluginAudioPortsConfig = handle.get_extension().expect("audio-ports-config");
        let mut buffer = AudioPortsConfigBuffer::default();
        let id = (0..configs.count(&handle))
            .find_map(|i| {
                let config = configs.get(&handle, i, &mut buffer)?;
                let main = config.main_input.as_ref()?;
                (main.channel_count == channels).then_some(config.id)
            })
            .unwrap_or_else(|| panic!("no {channels}-channel configuration"));
        configs.select(&handle, id).expect("configuration accepted");
    }

    /// Activates at `sample_rate` and starts processing.
    pub fn start(&mut self, sample_rate: f64, max_block: u32) -> Processor {
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .expect("plugin activates");
        Processor {
            started: stopped.start_processing().expect("processing starts"),
            max_block: max_block as usize,
            sample_rate,
        }
    }

    pub fn stop(&mut self, processor: Processor) {
        self.instance
            .deactivate(processor.started.stop_processing());
    }
}

/// Buffers passed to the plugin, in place (input and output share memory) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    InPlace,
    OutOfPlace,
}

pub struct Processor {
    pub started: StartedPluginAudioProcessor<TestHost>,
    /// The largest block the plugin was activated for.
    pub max_block: usize,
    pub sample_rate: f64,
}

/// [`Processor::run`] pauses this long after every half second of audio: at most about 100
/// times real time, the pace of a fast offline render, which the labeling service (one thread
/// for every instance) is built to keep up with.
const RENDER_PAUSE: Duration = Duration::from_millis(5);

impl Processor {
    /// Runs planar `input` through the plugin in blocks of the given sizes (cycled), and returns
    /// what the plugin wrote to its output.
    pub fn run(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        placement: Placement,
    ) -> Vec<Vec<f32>> {
        self.run_with(input, block_sizes, placement, |_, _| {
            BlockContext::default()
        })
    }

    /// Like [`Processor::run`], with the events and transport `context(start, frames)` gives
    /// for the block of `frames` samples starting at sample `start`.
    pub fn run_with(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        placement: Placement,
        mut context: impl FnMut(usize, usize) -> BlockContext,
    ) -> Vec<Vec<f32>> {
        let len = input[0].len();
        let mut output: Vec<Vec<f32>> = match placement {
            Placement::InPlace => input.to_vec(),
            // Garbage in the output buffers shows whether the plugin really writes them.
            Placement::OutOfPlace => vec![vec![f32::from_bits(0x7fc0_dead); len]; input.len()],
        };
        let mut input = input.to_vec();
        let half_second = (self.sample_rate / 2.0) as usize;
        let mut next_pause = half_second;
        let mut start = 0;
        for &block in block_sizes.iter().cycle() {
            if start >= len {
                break;
            }
            if start >= next_pause {
                std::thread::sleep(RENDER_PAUSE);
                next_pause += half_second;
            }
            let block = block.clamp(1, self.max_block).min(len - start);
            let end = start + block;
            let mut in_ptrs: Vec<*mut f32> = input
                .iter_mut()
                .map(|c| c[start..end].as_mut_ptr())
                .collect();
            let mut out_ptrs: Vec<*mut f32> = output
                .iter_mut()
                .map(|c| c[start..end].as_mut_ptr())
                .collect();
            if placement == Placement::InPlace {
                out_ptrs.clone_from(&in_ptrs);
            }
            let block_context = context(start, block);
            self.process_block(
                &mut in_ptrs,
                &mut out_ptrs,
                block as u32,
                &block_context.events.as_input(),
                block_context.transport.as_ref(),
            );
            start = end;
        }
        output
    }

    /// One `process()` call on raw channel pointers; allocates nothing itself, so it can run on
    /// a thread that must not make system calls.
    pub fn process_block(
        &mut self,
        inputs: &mut [*mut f32],
        outputs: &mut [*mut f32],
        frames: u32,
        events: &InputEvents,
        transport: Option<&TransportEvent>,
    ) {
        let raw_input = [clap_audio_buffer {
            data32: inputs.as_mut_ptr(),
            data64: std::ptr::null_mut(),
            channel_count: inputs.len() as u32,
            latency: 0,
            constant_mask: 0,
        }];
        let mut raw_output = [clap_audio_buffer {
            data32: outputs.as_mut_ptr(),
            data64: std::ptr::null_mut(),
            channel_count: outputs.len() as u32,
            latency: 0,
            constant_mask: 0,
        }];
        // SAFETY: every channel pointer covers `frames` valid samples for this call; input and
        // output may alias, which CLAP allows (in-place processing).
        let (audio_in, mut audio_out) = unsafe {
            (
                InputAudioBuffers::from_raw_buffers(&raw_input, frames),
                OutputAudioBuffers::from_raw_buffers(&mut raw_output, frames),
            )
        };
        self.started
            .process(
                &audio_in,
                &mut audio_out,
                events,
                &mut OutputEvents::void(),
                None,
                transport,
            )
            .expect("process succeeds");
    }
}

/// What the host passes with one block besides audio.
#[derive(Default)]
pub struct BlockContext {
    pub events: EventBuffer,
    pub transport: Option<TransportEvent>,
}
