-- Track Labeler -> REAPER: colours and groups the project's tracks from a session export.
--
-- In any Track Labeler editor, open the Session tab and press "Export JSON" (by default it
-- writes ~/track-labeler-session.json). Then run this script from REAPER's Actions list
-- (Actions > Show action list > New action > Load ReaScript...). Each track whose name matches
-- an exported track gets the label's colour and joins a REAPER track group named after the
-- label group (Drums, Bass, Guitars, ...), following volume, mute and solo.

local function read_file(path)
  local file = io.open(path, "r")
  if not file then return nil end
  local text = file:read("*a")
  file:close()
  return text
end

local function unescape(s)
  return (s:gsub('\\"', '"'):gsub("\\\\", "\\"))
end

-- The export is flat: {"tracks": [{"name": ..., "label": ..., "group": ..., "colour": "#rrggbb", ...}]}
local function parse_export(text)
  local tracks = {}
  local body = text:match('"tracks"%s*:%s*(%b[])') or ""
  for object in body:gmatch("%b{}") do
    local name = object:match('"name"%s*:%s*"(.-[^\\])"') or object:match('"name"%s*:%s*""')
    local colour = object:match('"colour"%s*:%s*"#(%x%x%x%x%x%x)"')
    local group = object:match('"group"%s*:%s*"(.-)"')
    if name and colour and group then
      tracks[#tracks + 1] = { name = unescape(name), colour = colour, group = group }
    end
  end
  return tracks
end

local home = os.getenv("HOME") or os.getenv("USERPROFILE") or "."
local default_path = home .. "/track-labeler-session.json"
local ok, path = reaper.GetUserInputs("Track Labeler", 1, "Session export (JSON):,extrawidth=300", default_path)
if not ok then return end

local text = read_file(path)
if not text then
  reaper.ShowMessageBox("Cannot read " .. path, "Track Labeler", 0)
  return
end
local exported = parse_export(text)

local by_name = {}
for _, t in ipairs(exported) do by_name[t.name] = t end

-- REAPER has 64 track groups; the label groups take the first free ones, in export order.
local group_numbers, next_group = {}, 1
local coloured = 0

reaper.Undo_BeginBlock()
for i = 0, reaper.CountTracks(0) - 1 do
  local track = reaper.GetTrack(0, i)
  local _, name = reaper.GetTrackName(track)
  local entry = by_name[name]
  if entry then
    local r = tonumber(entry.colour:sub(1, 2), 16)
    local g = tonumber(entry.colour:sub(3, 4), 16)
    local b = tonumber(entry.colour:sub(5, 6), 16)
    reaper.SetTrackColor(track, reaper.ColorToNative(r, g, b))
    local number = group_numbers[entry.group]
    if not number and next_group <= 32 then
      number = next_group
      group_numbers[entry.group] = number
      next_group = next_group + 1
      reaper.GetSetProjectInfo_String(0, "TRACK_GROUP_NAME:" .. number, entry.group, true)
    end
    if number then
      local bit = 1 << (number - 1)
      for _, role in ipairs({ "VOLUME_FOLLOW", "MUTE_FOLLOW", "SOLO_FOLLOW" }) do
        reaper.GetSetTrackGroupMembership(track, role, bit, bit)
      end
    end
    coloured = coloured + 1
  end
end
reaper.Undo_EndBlock("Track Labeler: colour and group tracks", -1)
reaper.TrackList_AdjustWindows(false)
reaper.ShowConsoleMsg(string.format("Track Labeler: coloured and grouped %d of %d exported tracks\n", coloured, #exported))
