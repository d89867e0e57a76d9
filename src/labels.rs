//! The instrument classes: ids (used by the CLI, the plugin state and the reference set),
//! display names, groups and colours.

/// A label group: tracks are coloured by group, one hue family each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Drums,
    Bass,
    Guitars,
    Keys,
    Orchestra,
    Synths,
    Vocals,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Drums,
        Group::Bass,
        Group::Guitars,
        Group::Keys,
        Group::Orchestra,
        Group::Synths,
        Group::Vocals,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Drums => "Drums",
            Group::Bass => "Bass",
            Group::Guitars => "Guitars",
            Group::Keys => "Keys",
            Group::Orchestra => "Orchestra",
            Group::Synths => "Synths",
            Group::Vocals => "Vocals",
        }
    }
}

/// One of the sixteen instrument classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Kick,
    Snare,
    Toms,
    Cymbals,
    Percussion,
    DrumKit,
    Bass,
    ElectricGuitar,
    AcousticGuitar,
    Piano,
    Organ,
    Strings,
    Brass,
    Woodwinds,
    Synth,
    Vocals,
}

/// id, display name, group, colour (sRGB). Colours: one hue family per group, mid lightness
/// so they read on dark and light backgrounds, shades within a group far enough apart to tell.
const TABLE: [(Class, &str, &str, Group, [u8; 3]); 16] = [
    (
        Class::Kick,
        "kick",
        "Kick",
        Group::Drums,
        [0x8f, 0x1d, 0x1d],
    ),
    (
        Class::Snare,
        "snare",
        "Snare",
        Group::Drums,
        [0xc0, 0x26, 0x26],
    ),
    (
        Class::Toms,
        "toms",
        "Toms",
        Group::Drums,
        [0xe0, 0x4a, 0x3a],
    ),
    (
        Class::Cymbals,
        "cymbals",
        "Cymbals",
        Group::Drums,
        [0xe8, 0x70, 0x5a],
    ),
    (
        Class::Percussion,
        "percussion",
        "Percussion",
        Group::Drums,
        [0xb8, 0x4a, 0x12],
    ),
    (
        Class::DrumKit,
        "drum_kit",
        "Drum kit",
        Group::Drums,
        [0xa3, 0x15, 0x4a],
    ),
    (Class::Bass, "bass", "Bass", Group::Bass, [0xe6, 0x7e, 0x22]),
    (
        Class::ElectricGuitar,
        "electric_guitar",
        "Electric guitar",
        Group::Guitars,
        [0xd4, 0xa0, 0x17],
    ),
    (
        Class::AcousticGuitar,
        "acoustic_guitar",
        "Acoustic guitar",
        Group::Guitars,
        [0xa8, 0x7b, 0x0c],
    ),
    (
        Class::Piano,
        "piano",
        "Piano",
        Group::Keys,
        [0x2e, 0xa0, 0x4f],
    ),
    (
        Class::Organ,
        "organ",
        "Organ",
        Group::Keys,
        [0x1c, 0x6e, 0x36],
    ),
    (
        Class::Strings,
        "strings",
        "Strings",
        Group::Orchestra,
        [0x3b, 0x73, 0xd9],
    ),
    (
        Class::Brass,
        "brass",
        "Brass",
        Group::Orchestra,
        [0x5c, 0x9c, 0xe6],
    ),
    (
        Class::Woodwinds,
        "woodwinds",
        "Woodwinds",
        Group::Orchestra,
        [0x1c, 0x4a, 0x96],
    ),
    (
        Class::Synth,
        "synth",
        "Synth",
        Group::Synths,
        [0x8e, 0x44, 0xad],
    ),
    (
        Class::Vocals,
        "vocals",
        "Vocals",
        Group::Vocals,
        [0x17, 0xa2, 0xa2],
    ),
];

impl Class {
    pub const ALL: [Class; 16] = {
        let mut all = [Class::Kick; 16];
        let mut i = 0;
        while i < 16 {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (Class, &'static str, &'static str, Group, [u8; 3]) {
        &TABLE[self as usize]
    }

    /// The stable id: `kick`, `drum_kit`, `electric_guitar`, ...
    pub fn id(self) -> &'static str {
        self.row().1
    }

    pub fn from_id(id: &str) -> Option<Class> {
        TABLE.iter().find(|row| row.1 == id).map(|row| row.0)
    }

    pub fn display_name(self) -> &'static str {
        self.row().2
    }

    pub fn group(self) -> Group {
        self.row().3
    }

    pub fn colour(self) -> [u8; 3] {
        self.row().4
    }

    /// `#rrggbb`.
    pub fn colour_hex(self) -> String {
        let [r, g, b] = self.colour();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_the_table_is_in_enum_order() {
        for (i, class) in Class::ALL.into_iter().enumerate() {
            assert_eq!(class as usize, i);
            assert_eq!(Class::from_id(class.id()), Some(class));
        }
        assert_eq!(Class::from_id("silence"), None);
        assert_eq!(Class::DrumKit.colour_hex(), "#a3154a");
    }

    /// WCAG relative luminance; the label is drawn in its colour on dark and light themes.
    fn luminance([r, g, b]: [u8; 3]) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    #[test]
    fn colours_are_distinct_and_readable_on_dark_and_light() {
        let contrast = |a: f64, b: f64| (a.max(b) + 0.05) / (a.min(b) + 0.05);
        let (dark, light) = (luminance([0x1e, 0x1e, 0x1e]), luminance([0xf5, 0xf5, 0xf5]));
        for class in Class::ALL {
            let l = luminance(class.colour());
            // Large-text contrast (WCAG 3:1) against at least one theme, 1.5:1 against both.
            assert!(
                contrast(l, dark).max(contrast(l, light)) >= 3.0,
                "{class:?}"
            );
            assert!(
                contrast(l, dark).min(contrast(l, light)) >= 1.5,
                "{class:?}"
            );
        }
        for a in Class::ALL {
            for b in Class::ALL.into_iter().filter(|&b| b != a) {
                let [r1, g1, b1] = a.colour().map(i32::from);
                let [r2, g2, b2] = b.colour().map(i32::from);
                let distance = (r1 - r2).abs() + (g1 - g2).abs() + (b1 - b2).abs();
                assert!(distance >= 40, "{a:?} and {b:?} look alike");
            }
        }
    }
}
