//! The example REAPER script reads the session view's JSON export and colours and groups the
//! matching tracks; run under Lua with a stand-in for REAPER's API.

use std::process::Command;

use track_labeler::labels::Class;
use track_labeler::session::{SessionTrack, as_json};

/// A stand-in `reaper` table recording what the script does, then the script, then the record.
const DRIVER: &str = r#"
local export_path, script = ...
local names = { "Kick In", "Vox \"lead\"", "Bus", "Snare" }
local colours, groups, group_names = {}, {}, {}
reaper = {
  GetUserInputs = function() return true, export_path end,
  CountTracks = function() return #names end,
  GetTrack = function(_, i) return i + 1 end,
  GetTrackName = function(t) return true, names[t] end,
  ColorToNative = function(r, g, b) return string.format("%02x%02x%02x", r, g, b) end,
  SetTrackColor = function(t, c) colours[t] = c end,
  GetSetProjectInfo_String = function(_, key, value) group_names[key] = value return true, value end,
  GetSetTrackGroupMembership = function(t, role, mask, value) groups[t .. role] = value end,
  Undo_BeginBlock = function() end,
  Undo_EndBlock = function() end,
  TrackList_AdjustWindows = function() end,
  ShowConsoleMsg = function() end,
  ShowMessageBox = function(msg) print("error " .. msg) end,
}
dofile(script)
for t, name in ipairs(names) do
  print(string.format("%s|%s|%s", name, colours[t] or "-", groups[t .. "VOLUME_FOLLOW"] or "-"))
end
for i = 1, 3 do print("group " .. i .. "|" .. (group_names["TRACK_GROUP_NAME:" .. i] or "-")) end
"#;

#[test]
fn the_reaper_script_colours_and_groups_tracks_from_the_export() {
    let export = as_json(&[
        SessionTrack::new("Kick In".into(), Some("kick".into()), 0.9),
        SessionTrack::new("Vox \"lead\"".into(), Some("vocals".into()), 0.8),
        SessionTrack::new("Snare".into(), Some("snare".into()), 0.7),
        SessionTrack::new("Not in REAPER".into(), Some("piano".into()), 0.7),
    ]);
    let dir = std::env::temp_dir().join(format!("tl-reaper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let export_path = dir.join("session.json");
    std::fs::write(&export_path, export).unwrap();
    let driver = dir.join("driver.lua");
    std::fs::write(&driver, DRIVER).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/reaper/colour_tracks.lua"
    );

    let output = Command::new("lua5.4")
        .arg(&driver)
        .arg(&export_path)
        .arg(script)
        .output()
        .expect("lua5.4 runs (setup.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let hex = |class: Class| class.colour_hex().trim_start_matches('#').to_owned();
    assert_eq!(lines[0], format!("Kick In|{}|1", hex(Class::Kick)));
    assert_eq!(lines[1], format!("Vox \"lead\"|{}|2", hex(Class::Vocals)));
    assert_eq!(
        lines[2], "Bus|-|-",
        "a track the export does not name is left alone"
    );
    assert_eq!(lines[3], format!("Snare|{}|1", hex(Class::Snare)));
    assert_eq!(
        &lines[4..],
        ["group 1|Drums", "group 2|Vocals", "group 3|-"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
