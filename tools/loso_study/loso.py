"""Leave-one-source-out evaluation of the default pipeline in numpy, for quick studies.

Reads what `cargo xtask evaluate --export DIR` writes and scores the default set's recipe the
way `cargo xtask evaluate` does (same folds, cap per source and class, standardisation, LDA with
shrinkage, distance-weighted class-balanced KNN): its means match the report's to the third
decimal, in about ten seconds a run instead of minutes, so settings and feature subsets can be
tried here before they are built into `xtask/src/train.rs` and `cli/src/fit.rs`.

    python3 tools/loso_study/loso.py DIR [key=value ...]   # keys: k, dims, shrinkage, cap,
                                                           # sequences, generated, rendered,
                                                           # drop (feature names), exclude
                                                           # (sources); lists '+'-separated
Needs numpy and scikit-learn (requirements.txt).
"""
import sys
from collections import defaultdict

import numpy as np
from sklearn.neighbors import NearestNeighbors

SETTINGS = dict(k=150, dims=15, shrinkage=0.8, cap=1500, sequences=0.1, generated=1.0, rendered=0.5,
                drop="", exclude="")

# The SoundFont renderings (`render::SOUNDFONTS`), thinned to their own share of the cap.
RENDERED = {"fluidr3", "generaluser"}


def load(folder):
    names = open(f"{folder}/names.txt").read().split()
    x = np.fromfile(f"{folder}/summaries.f32", dtype="<f4").reshape(-1, len(names))
    rows = [line.rstrip("\n").split("\t") for line in open(f"{folder}/summaries.tsv")]
    table = {
        "variant": np.array([int(r[2]) for r in rows]),
        "label": np.array([r[3] for r in rows]),
        "source": np.array([r[4] for r in rows]),
        "training_only": np.array([r[6] == "true" for r in rows]),
        "clip": np.array([int(r[0]) for r in rows]),
        "tail": np.array([r[8] == "true" for r in rows]),
    }
    return names, x, table


def capped(rows, table, s):
    """Evenly thins each (source, class, training-only) cell, as `capped` in train.rs."""
    cells = defaultdict(list)
    for i in rows:
        cells[(table["source"][i], table["label"][i], table["training_only"][i])].append(i)
    kept = []
    for (source, _, training_only), cell in sorted(cells.items()):
        share = s["generated"] if source == "generated" else (s["sequences"] if training_only else 1.0)
        if source in RENDERED:
            share *= s["rendered"]
        cap = int(round(s["cap"] * share))
        if cap:
            kept.extend(cell[:: max(1, -(-len(cell) // cap))])
    return np.array(kept)


def lda(z, labels, dims, shrinkage):
    """Leading eigenvectors of Sw^-1 Sb, every class weighing the same (as `lda` in fit.rs)."""
    classes = np.unique(labels)
    means = np.array([z[labels == c].mean(0) for c in classes])
    within = sum(np.cov(z[labels == c].T, bias=True) for c in classes) / len(classes)
    centred = means - means.mean(0)
    between = centred.T @ centred / len(classes)
    shrunk = within * (1 - shrinkage) + np.eye(len(z[0])) * shrinkage * np.trace(within) / len(z[0])
    l_inv = np.linalg.inv(np.linalg.cholesky(shrunk))
    values, vectors = np.linalg.eigh(l_inv @ between @ l_inv.T)
    return l_inv.T @ vectors[:, np.argsort(-values)[: min(dims, len(classes) - 1)]]


def votes(points, labels, queries, k):
    """Distance-weighted votes, each class weighted against its frequency (balance 1)."""
    classes, index = np.unique(labels, return_inverse=True)
    weight = len(labels) / len(classes) / np.bincount(index)
    distances, nearest = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(queries)
    tally = np.zeros((len(queries), len(classes)))
    rows = np.arange(len(queries))
    for j in range(k):
        neighbour = index[nearest[:, j]]
        np.add.at(tally, (rows, neighbour), weight[neighbour] / (distances[:, j] + 1e-3))
    return classes[tally.argmax(1)]


def evaluate(names, x, table, s):
    dropped = [d for d in s["drop"].split("+") if d]
    ignored = np.array([n.startswith("mel_rel_") or any(d in n for d in dropped) for n in names])
    excluded = [e for e in s["exclude"].split("+") if e]
    recalls = {}
    for held_out in sorted(set(table["source"]) - {"generated"} - set(excluded)):
        train = np.where((table["source"] != held_out) & ~np.isin(table["source"], excluded))[0]
        covered = set(table["label"][train])
        test = np.where((table["source"] == held_out) & (table["variant"] == 0) & ~table["training_only"]
                        & np.isin(table["label"], list(covered)))[0]
        if not len(test):
            continue
        train = capped(train, table, s)
        mean, scale = x[train].mean(0), x[train].std(0)
        scale[scale < 1e-6] = 1.0
        standardise = lambda rows: np.where(ignored, 0.0, np.clip((x[rows] - mean) / scale, -5, 5))
        z, zt = standardise(train), standardise(test)
        w = lda(z.astype(np.float64), table["label"][train], s["dims"], s["shrinkage"])
        predicted = votes(z @ w, table["label"][train], zt @ w, s["k"])
        # A tail keeps the decision on its clip's window before it (tests are in window order).
        for i in range(1, len(test)):
            if table["tail"][test[i]] and table["clip"][test[i]] == table["clip"][test[i - 1]]:
                predicted[i] = predicted[i - 1]
        truth = table["label"][test]
        recalls[held_out] = np.mean([np.mean(predicted[truth == c] == c) for c in np.unique(truth)])
    return recalls


if __name__ == "__main__":
    settings = dict(SETTINGS)
    for arg in sys.argv[2:]:
        key, value = arg.split("=")
        settings[key] = type(SETTINGS[key])(value)
    recalls = evaluate(*load(sys.argv[1]), settings)
    print(f"{np.mean(list(recalls.values())):.3f} mean macro recall over held-out sources")
    for source, recall in recalls.items():
        print(f"  {source:<22} {recall:.3f}")
