//! Drum transcriptions as Standard MIDI Files: one track on MIDI channel 10 with General MIDI
//! drum-map notes, at 120 bpm and 480 ticks per quarter note, so a hit's time in seconds is
//! exact to the tick (1/960 s).

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use track_labeler::labels::Class;

pub const TICKS_PER_QUARTER: u16 = 480;
pub const TEMPO_BPM: u32 = 120;
const MICROSECONDS_PER_QUARTER: u32 = 60_000_000 / TEMPO_BPM;
/// Ticks per second at [`TEMPO_BPM`].
pub const TICKS_PER_SECOND: f64 = TICKS_PER_QUARTER as f64 * 1e6 / MICROSECONDS_PER_QUARTER as f64;
/// Channel 10 (9 counting from 0): General MIDI percussion.
pub const DRUM_CHANNEL: u8 = 9;
/// Notes last a 32nd note, or until the same note sounds again. Drum sounds play out whatever
/// the length; it only shows in editors.
const NOTE_TICKS: u32 = TICKS_PER_QUARTER as u32 / 8;

/// One drum hit to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrumHit {
    pub time_seconds: f64,
    pub note: u8,
    /// 1 to 127.
    pub velocity: u8,
}

/// The General MIDI drum-map note for a drum-hit class: kick 36 (Bass Drum 1), snare 38
/// (Acoustic Snare), toms 45 (Low Tom), cymbals 42 (Closed Hi-Hat, the commonest cymbal hit in
/// a beat), percussion 39 (Hand Clap). `None` for classes that are not single drum hits.
pub fn gm_drum_note(class: Class) -> Option<u8> {
    match class {
        Class::Kick => Some(36),
        Class::Snare => Some(38),
        Class::Toms => Some(45),
        Class::Cymbals => Some(42),
        Class::Percussion => Some(39),
        _ => None,
    }
}

/// MIDI velocity for a hit peaking at `peak_dbfs`, on General MIDI 2's recommended velocity
/// curve (gain = 40 log10(velocity / 127) dB): a full-scale hit is 127, -20 dBFS is 40, and
/// anything quieter than about -84 dBFS is 1.
pub fn velocity_from_dbfs(peak_dbfs: f32) -> u8 {
    let velocity = 127.0 * 10f32.powf(peak_dbfs / 40.0);
    if velocity.is_nan() {
        1
    } else {
        velocity.round().clamp(1.0, 127.0) as u8
    }
}

/// The tick a time in seconds falls on, to the nearest tick.
pub fn seconds_to_ticks(seconds: f64) -> u32 {
    (seconds.max(0.0) * TICKS_PER_SECOND).round() as u32
}

/// A format-0 Standard MIDI File with `hits` on the drum channel.
pub fn drum_midi_bytes(hits: &[DrumHit]) -> Vec<u8> {
    let mut ordered = hits.to_vec();
    ordered.sort_by(|a, b| a.time_seconds.total_cmp(&b.time_seconds));
    // (tick, is_note_on, note, velocity), built from the last hit backwards so each note knows
    // when the same note sounds next.
    let mut messages: Vec<(u32, bool, u8, u8)> = Vec::with_capacity(2 * hits.len());
    let mut next_on = [u32::MAX; 128];
    for hit in ordered.iter().rev() {
        let note = hit.note.min(127);
        let on = seconds_to_ticks(hit.time_seconds);
        let off = (on + NOTE_TICKS)
            .min(next_on[usize::from(note)])
            .max(on + 1);
        next_on[usize::from(note)] = on;
        messages.push((on, true, note, hit.velocity.clamp(1, 127)));
        messages.push((off, false, note, 0));
    }
    // At equal ticks a note ends before the next one starts.
    messages.sort_by_key(|&(tick, is_on, note, _)| (tick, is_on, note));

    let event = |delta: u32, kind| TrackEvent {
        delta: u28::new(delta),
        kind,
    };
    let meta = |message| event(0, TrackEventKind::Meta(message));
    let mut track = vec![
        meta(MetaMessage::TrackName(b"Drums")),
        meta(MetaMessage::Tempo(u24::new(MICROSECONDS_PER_QUARTER))),
        meta(MetaMessage::TimeSignature(4, 2, 24, 8)),
    ];
    let mut now = 0;
    for (tick, is_on, note, velocity) in messages {
        let (key, vel) = (u7::new(note), u7::new(velocity));
        let message = if is_on {
            MidiMessage::NoteOn { key, vel }
        } else {
            MidiMessage::NoteOff { key, vel }
        };
        let channel = u4::new(DRUM_CHANNEL);
        track.push(event(tick - now, TrackEventKind::Midi { channel, message }));
        now = tick;
    }
    track.push(meta(MetaMessage::EndOfTrack));

    let mut smf = Smf::new(Header::new(
        Format::SingleTrack,
        Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
    ));
    smf.tracks.push(track);
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (absolute tick, channel, key, velocity, is_note_on) of every note message.
    fn notes(bytes: &[u8]) -> Vec<(u32, u8, u8, u8, bool)> {
        let smf = Smf::parse(bytes).expect("valid SMF");
        assert_eq!(smf.tracks.len(), 1);
        let mut tick = 0;
        let mut out = Vec::new();
        for event in &smf.tracks[0] {
            tick += event.delta.as_int();
            if let TrackEventKind::Midi { channel, message } = event.kind {
                let (key, vel, on) = match message {
                    MidiMessage::NoteOn { key, vel } => (key, vel, true),
                    MidiMessage::NoteOff { key, vel } => (key, vel, false),
                    other => panic!("unexpected {other:?}"),
                };
                out.push((tick, channel.as_int(), key.as_int(), vel.as_int(), on));
            }
        }
        out
    }

    #[test]
    fn hits_land_on_exact_ticks_with_their_notes_and_velocities() {
        let hits = [
            DrumHit {
                time_seconds: 0.0,
                note: 36,
                velocity: 100,
            },
            DrumHit {
                time_seconds: 0.5,
                note: 38,
                velocity: 64,
            },
            DrumHit {
                time_seconds: 0.75,
                note: 42,
                velocity: 127,
            },
        ];
        let bytes = drum_midi_bytes(&hits);
        let smf = Smf::parse(&bytes).unwrap();
        assert_eq!(
            smf.header.timing,
            Timing::Metrical(u15::new(TICKS_PER_QUARTER))
        );
        assert!(smf.tracks[0].iter().any(|e| matches!(
            e.kind,
            TrackEventKind::Meta(MetaMessage::Tempo(t)) if t.as_int() == 500_000
        )));
        let ons: Vec<_> = notes(&bytes).into_iter().filter(|n| n.4).collect();
        assert_eq!(
            ons,
            vec![
                (0, 9, 36, 100, true),
                (480, 9, 38, 64, true),
                (720, 9, 42, 127, true)
            ]
        );
    }

    #[test]
    fn a_repeated_note_ends_before_it_sounds_again() {
        let hits = [0.0, 0.03].map(|t| DrumHit {
            time_seconds: t,
            note: 42,
            velocity: 90,
        });
        let events = notes(&drum_midi_bytes(&hits));
        // 0.03 s is tick 28.8 -> 29, before the 60-tick note length would end the first note.
        assert_eq!(
            events.iter().map(|e| (e.0, e.4)).collect::<Vec<_>>(),
            vec![(0, true), (29, false), (29, true), (89, false)]
        );
    }

    #[test]
    fn velocity_follows_the_gm2_curve() {
        assert_eq!(velocity_from_dbfs(0.0), 127);
        assert_eq!(velocity_from_dbfs(3.0), 127);
        assert_eq!(velocity_from_dbfs(-20.0), 40);
        assert_eq!(velocity_from_dbfs(-6.0), 90);
        assert_eq!(velocity_from_dbfs(-200.0), 1);
        assert_eq!(velocity_from_dbfs(f32::NEG_INFINITY), 1);
    }

    #[test]
    fn only_drum_hit_classes_have_notes() {
        let mapped: Vec<Class> = Class::ALL
            .into_iter()
            .filter(|&c| gm_drum_note(c).is_some())
            .collect();
        assert_eq!(
            mapped,
            vec![
                Class::Kick,
                Class::Snare,
                Class::Toms,
                Class::Cymbals,
                Class::Percussion
            ]
        );
    }
}
