//! Our frame features against librosa's, on the committed fixtures: same frames, centroid within
//! 0.5% (or 1 Hz), zero-crossing rate within one crossing per frame, RMS within 0.01 dB.

mod common;

use common::fixtures::librosa_fixtures;
use track_labeler::analysis::{FrameConfig, analyze, mfcc};

#[test]
fn fixtures_use_our_default_frame_for_their_sample_rate() {
    for fixture in librosa_fixtures() {
        assert_eq!(
            FrameConfig::for_sample_rate(fixture.sample_rate),
            FrameConfig::new(fixture.frame_len, fixture.hop_len),
            "{}",
            fixture.name
        );
    }
}

#[test]
fn frame_features_agree_with_librosa() {
    for fixture in librosa_fixtures() {
        let name = &fixture.name;
        let frames = analyze(&fixture.samples, fixture.sample_rate);
        let centroid = fixture.series("centroid_hz");
        let zcr = fixture.series("zcr_per_second");
        let rms = fixture.series("rms");
        assert_eq!(frames.len(), centroid.len(), "{name}: frame count");

        let one_crossing_hz = f64::from(fixture.sample_rate) / fixture.frame_len as f64;
        for (i, frame) in frames.iter().enumerate() {
            let ours = f64::from(frame.centroid_hz);
            let tolerance = (centroid[i] * 0.005).max(1.0);
            assert!(
                (ours - centroid[i]).abs() <= tolerance,
                "{name} frame {i}: centroid {ours} vs {}",
                centroid[i]
            );

            let ours = f64::from(frame.zcr_hz);
            assert!(
                (ours - zcr[i]).abs() <= one_crossing_hz,
                "{name} frame {i}: zcr {ours} vs {}",
                zcr[i]
            );

            if rms[i] > 0.0 {
                let theirs = 20.0 * rms[i].log10();
                let ours = f64::from(frame.rms_dbfs);
                assert!(
                    (ours - theirs).abs() < 0.01,
                    "{name} frame {i}: rms {ours} dB vs {theirs} dB"
                );
            } else {
                assert!(
                    frame.rms_dbfs <= -150.0,
                    "{name} frame {i}: silent frame at {} dB",
                    frame.rms_dbfs
                );
            }
        }
    }
}

/// Mel bands within 0.02 dB (0.2 dB for bands more than 60 dB below the frame's loudest or
/// near librosa's -100 dB floor, where our f32 FFT's rounding shows), MFCCs within 0.1.
#[test]
fn mel_bands_and_mfccs_agree_with_librosa() {
    for fixture in librosa_fixtures() {
        let name = &fixture.name;
        let frames = analyze(&fixture.samples, fixture.sample_rate);
        let mel = fixture.json["mel_power"].as_array().expect("mel_power");
        let expected_mfcc = fixture.json["mfcc"].as_array().expect("mfcc");
        assert_eq!(
            (mel.len(), expected_mfcc.len()),
            (frames.len(), frames.len()),
            "{name}"
        );
        for (i, frame) in frames.iter().enumerate() {
            let expected_db: Vec<f64> = mel[i]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| 10.0 * p.as_f64().unwrap().max(1e-10).log10())
                .collect();
            let loudest = expected_db.iter().cloned().fold(f64::MIN, f64::max);
            for (band, &theirs) in expected_db.iter().enumerate() {
                let ours = f64::from(frame.mel_db[band]);
                let tolerance = if theirs > loudest - 60.0 && theirs > -80.0 {
                    0.02
                } else {
                    0.2
                };
                assert!(
                    (ours - theirs).abs() <= tolerance,
                    "{name} frame {i} band {band}: {ours} vs {theirs} dB"
                );
            }
            let ours_mfcc = mfcc(&frame.mel_db);
            for (q, theirs) in expected_mfcc[i].as_array().unwrap().iter().enumerate() {
                let (ours, theirs) = (f64::from(ours_mfcc[q]), theirs.as_f64().unwrap());
                assert!(
                    (ours - theirs).abs() <= 0.1,
                    "{name} frame {i} mfcc {q}: {ours} vs {theirs}"
                );
            }
        }
    }
}
