#!/usr/bin/env python3
"""Trains Track Labeler's learned embedding: a small 1-D CNN over ~1 s patches of the
analyzer's log-mel frames, L2-normalised, trained as a cosine-margin classifier.

Input: `cargo xtask embedding-data` (corpus/embedding/). Two modes:

  train.py loso   one model per held-out source (trained without it); each writes the
                  embeddings of every exported window to corpus/embedding/folds/SOURCE.f32,
                  which `cargo xtask evaluate` scores against the hand-made pipeline.
  train.py final  one model on every source; writes assets/embedding/ (weights as
                  safetensors, a manifest of what it was trained on, and a parity fixture
                  for the Rust forward pass).

Seeded: the same data and seed give the same weights (up to XLA's float reductions).
"""

import argparse
import json
import os
import time
from collections import defaultdict

import numpy as np
import jax
import jax.numpy as jnp
import optax
from safetensors.numpy import save_file

# ~1 s of frames at the analyzer's 512/44100 s hop.
PATCH_FRAMES = 86
# Patches of a window start every PATCH_HOP frames (~0.5 s).
PATCH_HOP = 43
# Input scaling: levels in dB relative to the patch's loudest band, floor -90.
INPUT_SCALE = 1.0 / 30.0
# Patches quieter than this, relative to their window's loudest, are left out of its embedding.
QUIET_PATCH_DB = -50.0
CHANNELS = [64, 96, 128, 160]
KERNELS = [5, 5, 3, 3]
EMBEDDING_DIMS = 128
COSINE_SCALE = 16.0
COSINE_MARGIN = 0.2


def load(data_dir):
    meta = json.load(open(os.path.join(data_dir, "meta.json")))
    bands = meta["mel_bands"]
    raw = np.fromfile(os.path.join(data_dir, "frames.bin"), dtype=np.uint8).reshape(-1, bands)
    # Stored as steps below the window's loudest band; as negative dB.
    levels = -(raw.astype(np.float32) * meta["db_step"])
    rows = []
    with open(os.path.join(data_dir, "windows.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    classes = meta["classes"]
    class_index = {c: i for i, c in enumerate(classes)}
    windows = {
        "source": np.array([r["source"] for r in rows]),
        "class": np.array([class_index[r["class"]] for r in rows], dtype=np.int32),
        "training_only": np.array([r["training_only"] == "1" for r in rows]),
        "variant": np.array([int(r["variant"]) for r in rows], dtype=np.int32),
        "offset": np.array([int(r["offset"]) for r in rows], dtype=np.int64),
        "frames": np.array([int(r["frames"]) for r in rows], dtype=np.int64),
    }
    return meta, levels, windows


def patch_at(levels, offset, frames, start, floor_db):
    """PATCH_FRAMES frames from `start` (padded with silence), relative to the patch's loudest."""
    take = max(0, min(PATCH_FRAMES, frames - start))
    patch = np.full((PATCH_FRAMES, levels.shape[1]), floor_db, dtype=np.float32)
    patch[:take] = levels[offset + start : offset + start + take]
    return patch


def normalised(patch, floor_db):
    return np.maximum(patch - patch.max(), floor_db)


def window_patch_starts(frames):
    if frames <= PATCH_FRAMES:
        return [0]
    starts = list(range(0, frames - PATCH_FRAMES + 1, PATCH_HOP))
    if starts[-1] != frames - PATCH_FRAMES:
        starts.append(frames - PATCH_FRAMES)
    return starts


# ---------------------------------------------------------------- model


def init_params(key, bands, n_classes):
    params = {}
    fan_in = bands
    keys = jax.random.split(key, len(CHANNELS) + 2)
    for i, (ch, k) in enumerate(zip(CHANNELS, KERNELS)):
        scale = np.sqrt(2.0 / (fan_in * k))
        params[f"conv{i}.weight"] = jax.random.normal(keys[i], (k, fan_in, ch)) * scale
        params[f"conv{i}.bias"] = jnp.zeros(ch)
        params[f"norm{i}.gain"] = jnp.ones(ch)
        params[f"norm{i}.bias"] = jnp.zeros(ch)
        fan_in = ch
    pooled = 2 * CHANNELS[-1]
    params["dense.weight"] = jax.random.normal(keys[-2], (pooled, EMBEDDING_DIMS)) * np.sqrt(
        1.0 / pooled
    )
    params["dense.bias"] = jnp.zeros(EMBEDDING_DIMS)
    # The classifier is training-only: its class directions are not exported.
    params["classes"] = jax.random.normal(keys[-1], (EMBEDDING_DIMS, n_classes))
    return params


def embed(params, x):
    """x: (batch, PATCH_FRAMES, bands) in dB relative to the patch's loudest -> (batch, dims)."""
    h = x * INPUT_SCALE
    for i in range(len(CHANNELS)):
        h = jax.lax.conv_general_dilated(
            h, params[f"conv{i}.weight"], (1,), "SAME", dimension_numbers=("NWC", "WIO", "NWC")
        )
        h = h + params[f"conv{i}.bias"]
        # Layer norm over channels at each time step: no running statistics to carry.
        mean = h.mean(-1, keepdims=True)
        var = ((h - mean) ** 2).mean(-1, keepdims=True)
        h = (h - mean) / jnp.sqrt(var + 1e-5) * params[f"norm{i}.gain"] + params[f"norm{i}.bias"]
        h = jax.nn.relu(h)
        if i < len(CHANNELS) - 1:
            # Max pool by 2 over time (an odd last frame is dropped, as in the Rust pass).
            t = h.shape[1] // 2 * 2
            h = h[:, :t].reshape(h.shape[0], t // 2, 2, h.shape[2]).max(axis=2)
    pooled = jnp.concatenate([h.mean(axis=1), h.max(axis=1)], axis=-1)
    e = pooled @ params["dense.weight"] + params["dense.bias"]
    return e / jnp.sqrt((e**2).sum(-1, keepdims=True) + 1e-12)


def loss_fn(params, x, y, n_classes):
    e = embed(params, x)
    w = params["classes"]
    w = w / jnp.sqrt((w**2).sum(0, keepdims=True) + 1e-12)
    cos = e @ w
    onehot = jax.nn.one_hot(y, n_classes)
    logits = COSINE_SCALE * (cos - COSINE_MARGIN * onehot)
    smoothed = onehot * 0.9 + 0.1 / n_classes
    return -(smoothed * jax.nn.log_softmax(logits)).sum(-1).mean()


# ---------------------------------------------------------------- data


class Sampler:
    """Balanced batches: a class uniformly, then one of its sources, then a window, a random
    crop, and augmentation on the mel levels (tilt and bumps of EQ, a shift of a band or two
    as a small pitch shift, a noise floor, another window mixed in 10-25 dB down)."""

    def __init__(self, levels, windows, train_mask, floor_db, seed):
        self.levels = levels
        self.windows = windows
        self.floor_db = floor_db
        self.rng = np.random.default_rng(seed)
        self.by_class = defaultdict(lambda: defaultdict(list))
        for i in np.flatnonzero(train_mask):
            self.by_class[windows["class"][i]][windows["source"][i]].append(i)
        self.classes = sorted(self.by_class)
        self.all = np.flatnonzero(train_mask)

    def crop(self, i):
        frames = self.windows["frames"][i]
        start = self.rng.integers(0, max(1, frames - PATCH_FRAMES + 1))
        return patch_at(self.levels, self.windows["offset"][i], frames, start, self.floor_db)

    def batch(self, size):
        bands = self.levels.shape[1]
        x = np.empty((size, PATCH_FRAMES, bands), dtype=np.float32)
        y = np.empty(size, dtype=np.int32)
        for b in range(size):
            c = self.classes[self.rng.integers(len(self.classes))]
            sources = self.by_class[c]
            names = sorted(sources)
            members = sources[names[self.rng.integers(len(names))]]
            i = members[self.rng.integers(len(members))]
            patch = normalised(self.crop(i), self.floor_db)
            patch = self.augment(patch, bands)
            x[b] = normalised(patch, self.floor_db)
            y[b] = c
        return x, y

    def augment(self, patch, bands):
        rng = self.rng
        pos = np.linspace(-1.0, 1.0, bands, dtype=np.float32)
        eq = rng.uniform(-8, 8) * pos
        centre, width = rng.uniform(-1, 1), rng.uniform(0.1, 0.5)
        eq += rng.uniform(-6, 6) * np.exp(-0.5 * ((pos - centre) / width) ** 2)
        patch = patch + eq
        shift = rng.integers(-2, 3)
        if shift:
            patch = np.roll(patch, shift, axis=1)
            if shift > 0:
                patch[:, :shift] = patch[:, shift : shift + 1]
            else:
                patch[:, shift:] = patch[:, shift - 1 : shift]
        if rng.random() < 0.5:
            floor = rng.uniform(-75, -40) + rng.uniform(-6, 6) * pos
            patch = np.maximum(patch, floor + rng.normal(0, 2, patch.shape).astype(np.float32))
        if rng.random() < 0.3:
            other = normalised(self.crop(self.all[rng.integers(len(self.all))]), self.floor_db)
            other = other - rng.uniform(10, 25)
            patch = 10 * np.log10(10 ** (patch / 10) + 10 ** (other / 10))
        return patch


def window_embeddings(params, levels, windows, floor_db, batch=512):
    """Each window's embedding: the normalised mean of its patches' (quiet ones left out)."""
    embed_jit = jax.jit(embed)
    patches, owner, loud = [], [], []
    for i in range(len(windows["frames"])):
        offset, frames = windows["offset"][i], windows["frames"][i]
        for start in window_patch_starts(frames):
            p = patch_at(levels, offset, frames, start, floor_db)
            loud.append(p.max() >= QUIET_PATCH_DB)
            patches.append(normalised(p, floor_db))
            owner.append(i)
    owner = np.array(owner)
    loud = np.array(loud)
    out = np.zeros((len(windows["frames"]), EMBEDDING_DIMS), dtype=np.float32)
    counts = np.zeros(len(windows["frames"]))
    # A window whose every patch is quiet still gets its patches.
    has_loud = np.zeros(len(windows["frames"]), dtype=bool)
    has_loud[owner[loud]] = True
    use = loud | ~has_loud[owner]
    for s in range(0, len(patches), batch):
        chunk = np.stack(patches[s : s + batch])
        n = len(chunk)
        if n < batch:  # one compiled shape
            chunk = np.concatenate([chunk, np.zeros((batch - n,) + chunk.shape[1:], np.float32)])
        e = np.asarray(embed_jit(params, jnp.asarray(chunk)))[:n]
        for j in range(n):
            if use[s + j]:
                out[owner[s + j]] += e[j]
                counts[owner[s + j]] += 1
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def train(levels, windows, train_mask, n_classes, floor_db, steps, batch, seed, log_prefix=""):
    key = jax.random.PRNGKey(seed)
    params = init_params(key, levels.shape[1], n_classes)
    schedule = optax.warmup_cosine_decay_schedule(0.0, 3e-3, min(200, steps // 10), steps, 3e-5)
    opt = optax.adamw(schedule, weight_decay=1e-4)
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y, n_classes)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    sampler = Sampler(levels, windows, train_mask, floor_db, seed)
    started = time.time()
    running = None
    for s in range(steps):
        x, y = sampler.batch(batch)
        params, state, loss = step(params, state, jnp.asarray(x), jnp.asarray(y))
        running = float(loss) if running is None else 0.98 * running + 0.02 * float(loss)
        if (s + 1) % 100 == 0 or s + 1 == steps:
            print(f"{log_prefix}step {s + 1}/{steps} loss {running:.3f} ({time.time() - started:.0f} s)", flush=True)
    return params


def exported(params):
    return {k: np.asarray(v, dtype=np.float32) for k, v in params.items() if k != "classes"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["loso", "final"])
    parser.add_argument("--data", default=os.path.join(root, "corpus/embedding"))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="loso: just this held-out source")
    args = parser.parse_args()

    meta, levels, windows = load(args.data)
    n_classes = len(meta["classes"])
    floor_db = meta["floor_db"]
    sources = windows["source"]
    print(f"{len(sources)} windows, {levels.shape[0]} frames", flush=True)

    if args.mode == "loso":
        folds = os.path.join(args.data, "folds")
        os.makedirs(folds, exist_ok=True)
        tested = sorted(set(sources[~windows["training_only"]]))
        for held_out in [args.only] if args.only else tested:
            mask = sources != held_out
            params = train(levels, windows, mask, n_classes, floor_db, args.steps, args.batch, args.seed, f"[{held_out}] ")
            window_embeddings(params, levels, windows, floor_db).tofile(os.path.join(folds, f"{held_out}.f32"))
            json.dump(
                {"held_out": held_out, "steps": args.steps, "batch": args.batch, "seed": args.seed, "dims": EMBEDDING_DIMS},
                open(os.path.join(folds, f"{held_out}.json"), "w"),
            )
    else:
        out = os.path.join(root, "assets/embedding")
        os.makedirs(out, exist_ok=True)
        mask = np.ones(len(sources), dtype=bool)
        params = train(levels, windows, mask, n_classes, floor_db, args.steps, args.batch, args.seed)
        weights = exported(params)
        save_file(weights, os.path.join(out, "embedding.safetensors"))
        # Parity fixture: a few real patches and what this model makes of them.
        rng = np.random.default_rng(args.seed)
        picks = rng.choice(len(sources), 8, replace=False)
        patches = np.stack(
            [normalised(patch_at(levels, windows["offset"][i], windows["frames"][i], 0, floor_db), floor_db) for i in picks]
        )
        save_file(
            {"patches": patches, "embeddings": np.asarray(jax.jit(embed)(params, jnp.asarray(patches)))},
            os.path.join(out, "parity.safetensors"),
        )
        counts = defaultdict(lambda: defaultdict(int))
        for s, c in zip(sources, windows["class"]):
            counts[str(s)][meta["classes"][c]] += 1
        manifest = {
            "weights": "assets/embedding/embedding.safetensors",
            "built_by": "tools/embedding/run.sh (cargo xtask embedding-data, then train.py final)",
            "architecture": {
                "input": f"{PATCH_FRAMES} frames x {meta['mel_bands']} mel bands, dB relative to the patch's loudest, floor {floor_db}, times {INPUT_SCALE}",
                "channels": CHANNELS,
                "kernels": KERNELS,
                "embedding_dims": EMBEDDING_DIMS,
                "parameters": int(sum(v.size for v in weights.values())),
            },
            "training": {"steps": args.steps, "batch": args.batch, "seed": args.seed, "objective": f"cosine-margin softmax (scale {COSINE_SCALE}, margin {COSINE_MARGIN}), label smoothing 0.1"},
            "windows_per_source_and_class": counts,
            "corpus_packages": "see assets/default-manifest.json (the same corpus)",
        }
        json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=2)
        print(f"Wrote {out}")


if __name__ == "__main__":
    main()
