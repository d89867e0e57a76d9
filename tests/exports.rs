//! The plugin library exports the entry points hosts look for.

mod common;

#[test]
fn library_exports_clap_and_vst3_entry_points() {
    // SAFETY: our own plugin library; loading it runs no initialiser that needs a host.
    let library =
        unsafe { libloading::Library::new(common::plugin_library()) }.expect("library loads");
    for symbol in [&b"clap_entry\0"[..], b"GetPluginFactory\0"] {
        // SAFETY: only the symbol's address is looked up, nothing is called.
        let found = unsafe { library.get::<*const ()>(symbol) };
        assert!(
            found.is_ok(),
            "{} is not exported",
            String::from_utf8_lossy(&symbol[..symbol.len() - 1])
        );
    }
    // Kept loaded: see `common::load_entry` on unloading plugin code.
    std::mem::forget(library);
}
