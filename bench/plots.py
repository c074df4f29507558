"""Log-log plots of the run, written as deterministic SVG (fixed hash salt, no date)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams["svg.hashsalt"] = "symdl-bench"


def scaling(derivation: dict, path: str) -> None:
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    for index, family in enumerate(dict.fromkeys(r["family"] for r in derivation["rows"])):
        rows = [r for r in derivation["rows"] if r["family"] == family]
        colour = f"C{index}"
        slope = derivation["slopes"].get(family)
        ax.plot([r["nodes"] for r in rows], [r["symdl_s"] for r in rows], "o-", color=colour,
                label=f"symdl {family} (slope {slope:.2f})")
        naive = [r for r in rows if not isinstance(r["naive_s"], str)]
        if naive:
            ax.plot([r["nodes"] for r in naive], [r["naive_s"] for r in naive], "x--", color=colour,
                    label=f"naive diff {family}")
    longer = "".join(f"; {c:.0f} s at {k}" for k, c in derivation.get("cap_at", {}).items())
    ax.axhline(derivation["cap_s"], color="grey", lw=0.8, ls=":",
               label=f"naive cap ({derivation['cap_s']:.0f} s{longer})")
    nodes = [r["nodes"] for r in derivation["rows"]]
    low, high = min(nodes), max(nodes)
    anchor = min(r["symdl_s"] for r in derivation["rows"] if r["nodes"] == low)
    ax.plot([low, high], [anchor, anchor * high / low], color="black", lw=0.6, ls="--", label="slope 1 (linear)")
    ax.set(xscale="log", yscale="log", xlabel="graph nodes (fused)", ylabel="seconds",
           title="Derivation: graph + all parameter gradients")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: inside, it hides curves
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def kernels(result: dict, path: str) -> None:
    rows = result["rows"]
    peers = [p for p in rows[0] if p != "case"]
    threads = result.get("threads", {})
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(peers)
    for j, peer in enumerate(peers):
        xs = [i + j * width for i, r in enumerate(rows) if isinstance(r[peer], float)]
        ys = [r[peer] for r in rows if isinstance(r[peer], float)]
        count = threads.get(peer)
        label = peer if count is None or peer.endswith("1 thread") else f"{peer} ({count} thread{'s' * (count != 1)})"
        ax.bar(xs, ys, width, label=label, color=f"C{j}")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))], [r["case"] for r in rows], fontsize=7)
    ax.set(yscale="log", ylabel=f"seconds for N = {result['n']:,} (best of {result['repeats']})",
           title="Value + all gradients")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
