//! `track-labeler train`: user classes from folder names, a normal reference set file,
//! cross-validated accuracy, and the set in use by `label --model` and `organize --model`.

mod common;

use std::f32::consts::TAU;
use std::path::Path;

use common::signals::noise;
use common::*;
use track_labeler::reference::ReferenceSet;

const RATE: u32 = 22_050;

/// Three made-up classes, none of them a built-in class; `variant` varies pitch and decay.
fn sound(class: &str, variant: u32) -> Vec<f32> {
    let len = RATE as usize;
    let v = variant as f32;
    let t = |i: usize| i as f32 / RATE as f32;
    match class {
        // Decaying sine beeps, 400 Hz to 1.6 kHz.
        "beep" => (0..len)
            .map(|i| 0.5 * (TAU * (400.0 + 150.0 * v) * t(i)).sin() * (-t(i) * (3.0 + v)).exp())
            .collect(),
        // Noise bursts that die away.
        "hiss" => noise(u64::from(variant), len)
            .into_iter()
            .enumerate()
            .map(|(i, x)| 0.6 * x * (-t(i) * (2.0 + v)).exp())
            .collect(),
        // Steady low sawtooth drones, 60 to 150 Hz.
        "drone" => (0..len)
            .map(|i| 0.4 * (((60.0 + 12.0 * v) * t(i)).fract() * 2.0 - 1.0))
            .collect(),
        _ => unreachable!(),
    }
}

const CLASSES: [&str; 3] = ["beep", "drone", "hiss"];

fn training_folder(root: &Path) {
    for class in CLASSES {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for variant in 0..6 {
            let path = root.join(class).join(format!("{class}{variant}.wav"));
            write_mono16(&path, RATE, &sound(class, variant * 3 % 7));
        }
    }
}

#[test]
fn trains_user_classes_that_label_and_organize_then_use() {
    let dir = TempDir::new("train");
    let samples = dir.join("my sounds");
    training_folder(&samples);
    // Not a label folder's content: a loose file at the top is ignored, a broken one reported.
    std::fs::write(samples.join("loose.wav"), b"").unwrap();
    std::fs::write(samples.join("hiss/broken.wav"), b"RIFF????WAVE").unwrap();
    let set_path = dir.join("my.set");

    let output = run(&[
        "train",
        samples.to_str().unwrap(),
        "--out",
        set_path.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the broken file: {}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("broken.wav"));
    let report = stdout(&output);
    let accuracy_line = report
        .lines()
        .find(|l| l.starts_with("Accuracy (leave-one-out over files)"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(accuracy_line.contains("of 18)"), "{accuracy_line}");
    let percent: f64 = accuracy_line
        .split(": ")
        .nth(1)
        .unwrap()
        .split('%')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(percent >= 90.0, "{report}");

    let set = ReferenceSet::from_bytes(&std::fs::read(&set_path).unwrap()).expect("a normal set");
    assert_eq!(set.labels, CLASSES);
    assert_eq!(
        set.examples(),
        18 * 5,
        "each file as recorded and in four variations"
    );

    // Sounds it has not heard, in the user's classes.
    let fresh = dir.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    for class in CLASSES {
        write_mono16(
            &fresh.join(format!("new_{class}.wav")),
            RATE,
            &sound(class, 5),
        );
    }
    let labelled = run(&[
        "label",
        "--json",
        "--model",
        set_path.to_str().unwrap(),
        fresh.to_str().unwrap(),
    ]);
    assert!(labelled.status.success(), "{}", stderr(&labelled));
    for record in json_lines(&labelled) {
        let path = record["path"].as_str().unwrap();
        let class = path.rsplit("new_").next().unwrap().trim_end_matches(".wav");
        assert_eq!(record["label"], class, "{record}");
    }

    let sorted = dir.join("sorted");
    let organized = run(&[
        "organize",
        "--model",
        set_path.to_str().unwrap(),
        fresh.to_str().unwrap(),
        sorted.to_str().unwrap(),
    ]);
    assert!(organized.status.success(), "{}", stderr(&organized));
    assert!(
        sorted.join("Other/drone/new_drone.wav").is_file(),
        "user labels go under Other"
    );
}

#[test]
fn refuses_a_folder_without_two_labels() {
    let dir = TempDir::new("train-one");
    std::fs::create_dir_all(dir.join("only")).unwrap();
    write_mono16(&dir.join("only/a.wav"), RATE, &sound("beep", 1));
    let output = run(&[
        "train",
        dir.path().to_str().unwrap(),
        "--out",
        dir.join("x.set").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("at least two sub-folders"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("x.set").exists());
}
