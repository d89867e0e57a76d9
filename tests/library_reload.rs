//! Hosts scan plugins and reopen projects in one process: here the library is loaded, used and
//! unloaded three times. Each round labels a phrase on an engine thread that ends before the
//! unload (as a host's does when a project closes), and no thread of ours outlives the last
//! instance. A library that left a thread or thread-local destructor behind would crash this
//! process at the next round or at exit.

mod common;

use clack_host::prelude::PluginEntry;
use common::fixtures::{PHRASES, phrase};
use common::plugin_state::settled_label;
use common::process_stats::thread_count;
use common::{Instance, Placement, plugin_library};

#[test]
fn the_library_loads_labels_and_unloads_three_times_in_one_process() {
    let (expected, file) = PHRASES[0];
    let (audio, rate) = phrase(file, 4.0);
    for round in 0..3 {
        // SAFETY: the library is our own plugin, built by cargo for this test run.
        let entry = unsafe { PluginEntry::load(plugin_library()) }.expect("plugin library loads");
        let mut instance = Instance::new(&entry);
        let mut processor = instance.start(rate, 512);
        let processor = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let output = processor.run(&audio, &[512], Placement::InPlace);
                    assert_eq!(output, audio, "round {round}: audio changed");
                    processor
                })
                .join()
                .expect("the engine thread")
        });
        instance.stop(processor);
        assert_eq!(
            settled_label(&mut instance).as_deref(),
            Some(expected),
            "round {round}"
        );
        drop(instance);
        assert_eq!(
            thread_count("track-labeler-service"),
            0,
            "round {round}: the service outlived the last instance"
        );
        drop(entry);
    }
}
