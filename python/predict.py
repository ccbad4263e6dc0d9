"""The next-symbol distribution after a prefix, as `rnn-lab probs` prints it.

    python3 predict.py --prefix "The qu" --top 5 --json              # this folder's model
    python3 predict.py --weights run1 --prefix "The qu" --json       # what train.py wrote to run1/

The model reads the prefix from a zero state (after the start symbol with --start). A model
trained in windows mode reads only the last `window` symbols, as it was trained to.
With --json it prints {"prefix", "top": [{"symbol", "p"}], "entropyBits"}: the fields of
`rnn-lab probs --json`, so the two can be compared by a script.
"""
import argparse
import json
import math
import os

import torch

from model import load_model

HERE = os.path.dirname(os.path.abspath(__file__))


def next_symbols(model, config, vocab, prefix, top, start=False):
    ids = ([vocab.start] if start else []) + vocab.encode(prefix)
    if start and vocab.start < 0:
        raise SystemExit("this model's vocabulary has no start symbol: leave out --start")
    if not ids:
        raise SystemExit("the prefix is empty and --start was not given: the model has nothing to read")
    if config["config"].get("mode") == "windows":
        ids = ids[-config["config"]["window"]:]
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    p = torch.softmax(logits[0, -1].double(), dim=0).tolist()
    entropy = -sum(q * math.log2(q) for q in p if q > 0)
    # Most probable first; ties: the lower id first.
    order = sorted(range(len(p)), key=lambda k: (-p[k], k))[:top]
    return {"prefix": prefix, "top": [{"symbol": vocab.symbols[k], "p": p[k]} for k in order], "entropyBits": entropy}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=HERE, help="a folder with config.json, vocab.json and weights.safetensors (default: this one)")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--start", action="store_true", help="read the start symbol first (lines-mode models)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    # float64, as RNN Lab computes its probabilities: the two then agree to rounding.
    model, config, vocab = load_model(args.weights, torch.float64)
    result = next_symbols(model, config, vocab, args.prefix, args.top, args.start)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for e in result["top"]:
            print(f"{json.dumps(e['symbol'], ensure_ascii=False):8} {100 * e['p']:.2f}%")
        print(f"entropy {result['entropyBits']:.3f} bits")


if __name__ == "__main__":
    main()
