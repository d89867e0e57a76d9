"""Batch-labelling throughput: `track-labeler label` against the equivalent librosa +
scikit-learn pipeline, on the same files, on 1 and 2 cores, in one run.

The librosa pipeline per file: load (mixed to mono), spectral centroid, zero crossing rate and
20 MFCCs, each summarised by mean and standard deviation (44 numbers), standardised and
classified by a KNeighborsClassifier (k = 5). It runs twice:
- as usually written, `librosa.load(path)`, which resamples to 22.05 kHz: MFCCs of files at
  different rates are only comparable at one rate (ours are rate-independent by design);
- at each file's own rate (`sr=None`): no resampling, but more samples to analyse.
Its KNN is fitted (untimed) on the short clips themselves: 300 examples against our default
set's ~30,000, which only makes its queries cheaper. Each side is timed end to end over a
folder (ours: the whole process, including loading the reference set; librosa: after imports
and a warm-up file per worker). Figures are medians of --repeats runs, taken in turn.

Usage: bench.py --binary target/release/track-labeler --clips DIR [--repeats 3]
"""

import argparse
import functools
import multiprocessing
import os
import statistics
import subprocess
import time
from pathlib import Path

# One core per worker: no hidden BLAS or numba threads on either side.
for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"]:
    os.environ[var] = "1"

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def features(path, sr=22_050):
    y, sr = librosa.load(path, sr=sr, mono=True)
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)[0]
    zcr = librosa.feature.zero_crossing_rate(y)[0]
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    return np.concatenate(
        [[centroid.mean(), centroid.std(), zcr.mean(), zcr.std()], mfcc.mean(1), mfcc.std(1)]
    )


# librosa.load's default rate, and None: each file's own rate.
LIBROSA_RATES = [22_050, None]


def warm_up(path):
    for sr in LIBROSA_RATES:
        features(path, sr)


def librosa_label(files, model, workers, pool, sr):
    extract = functools.partial(features, sr=sr)
    start = time.perf_counter()
    if workers == 1:
        rows = [extract(f) for f in files]
    else:
        rows = pool.map(extract, files, chunksize=4)
    labels = model.predict(np.array(rows))
    elapsed = time.perf_counter() - start
    assert len(labels) == len(files)
    return elapsed


def ours_label(binary, folder, jobs, files):
    start = time.perf_counter()
    result = subprocess.run(
        [binary, "label", "--json", "--jobs", str(jobs), str(folder)],
        stdout=subprocess.PIPE,
        check=True,
    )
    elapsed = time.perf_counter() - start
    assert result.stdout.count(b"\n") == len(files), "one record per file"
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--clips", required=True, type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    sets = {}
    for name in ["short", "long"]:
        files = sorted(str(p) for p in (args.clips / name).glob("*.wav"))
        seconds = sum(sf.info(f).duration for f in files)
        sets[name] = (args.clips / name, files, seconds)
    short_files = sets["short"][1]
    models = {}
    for sr in LIBROSA_RATES:
        models[sr] = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
        models[sr].fit(
            np.array([features(f, sr) for f in short_files]),
            [Path(f).name.split("__")[0] for f in short_files],
        )

    pool = multiprocessing.Pool(2, initializer=warm_up, initargs=(short_files[0],))
    pool.map(time.sleep, [0.2, 0.2])
    times = {}
    for _ in range(args.repeats):
        for name, (folder, files, _) in sets.items():
            for cores in [1, 2]:
                times.setdefault(("ours", name, cores), []).append(
                    ours_label(args.binary, folder, cores, files)
                )
                for sr in LIBROSA_RATES:
                    times.setdefault((sr, name, cores), []).append(
                        librosa_label(files, models[sr], cores, pool, sr)
                    )
    pool.close()

    def describe(files, seconds, t):
        return f"{len(files) / t:,.0f} files/s, {seconds / t:,.0f} s/s"

    print(
        "| files | cores | track-labeler | librosa, loaded at 22.05 kHz | ratio "
        "| librosa, native rate | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (_, files, seconds) in sets.items():
        for cores in [1, 2]:
            ours = statistics.median(times[("ours", name, cores)])
            row = f"| {name}: {len(files)} files, {seconds:,.0f} s | {cores} "
            row += f"| {describe(files, seconds, ours)} "
            for sr in LIBROSA_RATES:
                theirs = statistics.median(times[(sr, name, cores)])
                row += f"| {describe(files, seconds, theirs)} | **{theirs / ours:.1f}x** "
            print(row + "|")


if __name__ == "__main__":
    main()
