//! `track-labeler map` on committed clips: PNG and SVG pictures with the labels' colours and a
//! legend, t-SNE on request, and a folder with damaged files still mapped.

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, clip, run, stderr};
use track_labeler::labels::Class;

/// Committed clips, each labelled as its name says by the default set (`tests/labeling.rs`).
const CLIPS: [(&str, Class); 6] = [
    ("kick__bd_haus", Class::Kick),
    ("snare__sn_dolf", Class::Snare),
    ("cymbals__drum_cymbal_closed", Class::Cymbals),
    ("piano__tonejs_piano_C4", Class::Piano),
    ("bass__tonejs_bass_electric_Cs2", Class::Bass),
    ("strings__tonejs_cello_C3", Class::Strings),
];

fn map(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> std::process::Output {
    let utf8 = |path: &Path| path.to_str().expect("UTF-8 paths").to_owned();
    let mut args: Vec<String> = vec!["map".into()];
    args.extend(inputs.iter().map(|p| utf8(p)));
    args.extend(["--out".into(), utf8(out)]);
    args.extend(extra.iter().map(|a| a.to_string()));
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn clip_paths(count: usize) -> Vec<PathBuf> {
    CLIPS[..count]
        .iter()
        .map(|(stem, _)| clip(&format!("{stem}.wav")))
        .collect()
}

/// Maps the first `count` clips to `file` in a fresh scratch folder; the run must succeed.
fn map_clips(count: usize, file: &str, extra: &[&str]) -> (TempDir, PathBuf) {
    let dir = TempDir::new(&format!("map-{count}-{file}-{}", extra.join("")));
    let out = dir.join(file);
    let output = map(&clip_paths(count), &out, extra);
    assert!(output.status.success(), "{}", stderr(&output));
    (dir, out)
}

/// Width, height and RGB pixels of a PNG.
fn read_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("PNG written"));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("PNG pixels");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buffer[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn png_map_has_the_labels_colours_and_no_others() {
    let (_dir, out) = map_clips(4, "map.png", &[]);
    let (width, height, pixels) = read_png(&out);
    assert_eq!((width, height), (1200, 800));
    // The legend is the rightmost 230 pixels; the dots are left of it.
    let legend_left = width as usize - 230;
    let count = |class: Class, in_legend: bool| {
        pixels
            .iter()
            .enumerate()
            .filter(|&(i, &p)| {
                p == class.colour() && (i % width as usize >= legend_left) == in_legend
            })
            .count()
    };
    for (stem, class) in &CLIPS[..4] {
        // A dot of radius 6 and a legend marker of radius 7, less anti-aliased rims.
        let (dot, marker) = (count(*class, false), count(*class, true));
        assert!(
            dot > 60 && marker > 100,
            "{stem}: {dot} + {marker} pixels of {class:?}"
        );
    }
    for absent in [Class::Organ, Class::Vocals, Class::Bass, Class::Strings] {
        assert_eq!(count(absent, false) + count(absent, true), 0, "{absent:?}");
    }
}

#[test]
fn svg_map_has_a_legend_with_counts_and_axis_titles() {
    let (_dir, out) = map_clips(6, "map.svg", &[]);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for (_, class) in CLIPS {
        let entry = format!("{} (1)", class.display_name());
        assert!(svg.contains(&entry), "no legend entry {entry}");
        let fill = format!("fill=\"{}\"", class.colour_hex().to_uppercase());
        assert!(svg.contains(&fill), "no {fill} for {class:?}");
    }
    assert!(!svg.contains("Organ"));
    assert!(svg.contains("PC 1 (") && svg.contains("PC 2 ("));
    assert!(svg.contains("6 files"));
}

#[test]
fn tsne_is_drawn_on_request_and_falls_back_to_pca_for_tiny_libraries() {
    let (dir, out) = map_clips(6, "map.svg", &["--tsne"]);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("t-SNE 1") && svg.contains("t-SNE 2"));

    let out = dir.join("two.svg");
    let output = map(&clip_paths(2), &out, &["--tsne"]);
    assert!(output.status.success());
    assert!(stderr(&output).contains("drawing PCA instead"));
    assert!(std::fs::read_to_string(&out).unwrap().contains("PC 1 ("));
}

#[test]
fn a_folder_with_damaged_files_still_maps_the_others_and_names_the_bad_ones() {
    let dir = TempDir::new("map-folder");
    let library = dir.join("library");
    std::fs::create_dir_all(library.join("drums")).unwrap();
    for (stem, _) in &CLIPS[..3] {
        std::fs::copy(
            clip(&format!("{stem}.wav")),
            library.join("drums").join(format!("{stem}.wav")),
        )
        .unwrap();
    }
    std::fs::write(
        library.join("drums/corrupt.wav"),
        b"RIFF\x10\x00\x00\x00WAVEjunk",
    )
    .unwrap();
    std::fs::write(library.join("empty.flac"), b"").unwrap();
    std::fs::write(
        library.join("notes.txt"),
        b"not audio, and not an audio name",
    )
    .unwrap();

    let out = dir.join("map.svg");
    let output = map(&[library], &out, &[]);
    // The map is drawn, and the run reports failure because two files could not be read.
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("corrupt.wav") && message.contains("empty.flac"),
        "{message}"
    );
    assert!(!message.contains("notes.txt"), "{message}");
    assert!(message.contains("2 could not be read"), "{message}");
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("3 files"));
    for (_, class) in &CLIPS[..3] {
        assert!(svg.contains(&format!("{} (1)", class.display_name())));
    }
}

#[test]
fn an_unknown_picture_format_is_refused_before_any_work() {
    let dir = TempDir::new("map-format");
    let out = dir.join("map.jpg");
    let output = map(&clip_paths(1), &out, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains(".png or .svg"));
    assert!(!out.exists());
}
