//! The editor as a host opens it (pluginval's editor checks, and more): through the CLAP gui
//! extension, embedded in a host window on an X server of the test's own (Xvfb), opened,
//! resized and closed three times while the track keeps processing audio on an engine thread.
//! The editor's window must appear inside the host window at the size the plugin asked for,
//! follow a resize, and be gone after `destroy`; audio passes through untouched throughout and
//! the track is labelled.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGui, Window};
use common::fixtures::{PHRASES, phrase};
use common::plugin_state::settled_label;
use common::{Instance, Placement, load_entry, wait_until};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
use x11rb::rust_connection::RustConnection;

/// An X server for this test alone, stopped when dropped.
struct Xvfb {
    server: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Self {
        for number in (100 + std::process::id() % 500)..700 {
            if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                continue;
            }
            let display = format!(":{number}");
            let server = Command::new("Xvfb")
                .args([&display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb runs (setup.sh installs the xvfb package)");
            let socket = format!("/tmp/.X11-unix/X{number}");
            assert!(
                wait_until(|| Path::new(&socket).exists()),
                "Xvfb {display} did not start"
            );
            return Self { server, display };
        }
        panic!("no free X display number");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The sizes of the windows the editor put inside `parent`.
fn child_sizes(x: &RustConnection, parent: u32) -> Vec<(u16, u16)> {
    let children = x
        .query_tree(parent)
        .expect("query_tree")
        .reply()
        .expect("tree")
        .children;
    children
        .into_iter()
        .filter_map(|child| {
            let geometry = x.get_geometry(child).ok()?.reply().ok()?;
            Some((geometry.width, geometry.height))
        })
        .collect()
}

#[test]
fn the_editor_opens_resizes_and_closes_in_a_host_window_while_audio_runs() {
    let xvfb = Xvfb::start();
    // SAFETY: set before any thread of this test process reads the environment; the plugin's
    // editor connects to this display.
    unsafe { std::env::set_var("DISPLAY", &xvfb.display) };
    let (x, screen) = x11rb::connect(Some(&xvfb.display)).expect("connect to Xvfb");
    let root = x.setup().roots[screen].root;
    let host_window = x.generate_id().expect("window id");
    x.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        host_window,
        root,
        0,
        0,
        1200,
        900,
        0,
        WindowClass::INPUT_OUTPUT,
        x11rb::COPY_FROM_PARENT,
        &CreateWindowAux::new(),
    )
    .expect("create host window");
    x.map_window(host_window).expect("map");
    x.flush().expect("flush");

    let (expected, file) = PHRASES[0];
    let (audio, rate) = phrase(file, 4.0);
    let mut instance = Instance::new(load_entry());
    let mut processor = instance.start(rate, 512);
    let editor_done = AtomicBool::new(false);
    let processor = std::thread::scope(|scope| {
        // The engine plays the phrase over and over, about ten times faster than real time,
        // until the editor rounds are over.
        let engine = scope.spawn(|| {
            let piece = rate as usize / 4;
            let mut plays = 0;
            while !editor_done.load(Ordering::Acquire) || plays == 0 {
                for start in (0..audio[0].len()).step_by(piece) {
                    let input: Vec<Vec<f32>> = audio
                        .iter()
                        .map(|c| c[start..(start + piece).min(c.len())].to_vec())
                        .collect();
                    let output = processor.run(&input, &[512], Placement::InPlace);
                    assert_eq!(output, input, "audio changed while the editor was open");
                    std::thread::sleep(Duration::from_millis(25));
                }
                plays += 1;
            }
            processor
        });

        let handle = instance.instance.plugin_handle();
        let gui: PluginGui = handle.get_extension().expect("gui extension");
        let embedded = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        assert!(gui.is_api_supported(&handle, embedded));
        for round in 0..3 {
            gui.create(&handle, embedded).expect("gui created");
            let GuiSize { width, height } = gui.get_size(&handle).expect("a size");
            assert!(width >= 300 && height >= 200, "{width}x{height}");
            // SAFETY: the host window outlives the editor (destroyed below, before the
            // connection is dropped).
            unsafe { gui.set_parent(&handle, Window::from_x11_handle(host_window.into())) }
                .expect("embedded");
            gui.show(&handle).expect("shown");
            assert!(
                wait_until(|| child_sizes(&x, host_window) == [(width as u16, height as u16)]),
                "round {round}: editor window {:?}, asked for {width}x{height}",
                child_sizes(&x, host_window)
            );
            assert!(gui.can_resize(&handle));
            let bigger = GuiSize {
                width: width + 100,
                height: height + 60,
            };
            gui.set_size(&handle, bigger).expect("resized");
            assert!(
                wait_until(|| child_sizes(&x, host_window)
                    == [(bigger.width as u16, bigger.height as u16)]),
                "round {round}: after resizing, {:?}",
                child_sizes(&x, host_window)
            );
            std::thread::sleep(Duration::from_millis(300));
            gui.hide(&handle).expect("hidden");
            gui.destroy(&handle);
            assert!(
                wait_until(|| child_sizes(&x, host_window).is_empty()),
                "round {round}: the editor window outlived destroy"
            );
        }
        editor_done.store(true, Ordering::Release);
        engine.join().expect("the engine thread")
    });
    instance.stop(processor);
    assert_eq!(settled_label(&mut instance).as_deref(), Some(expected));
}
