"""Continue training an RNN Lab model in PyTorch: one process, or many with torchrun (DDP).

    python3 train.py --text corpus.txt --steps 2000 --out run1
    torchrun --standalone --nproc_per_node=4 train.py --text corpus.txt --steps 2000 --out run1

It starts from the weights in --weights (this folder by default, or an earlier --out) and trains
as RNN Lab does with the settings in config.json: the same data mode (stream, lines framed by
start/end symbols with padding masked out, or windows that predict the next symbol), optimizer,
learning rate schedule (lrDecay per epoch, halveOnRise), L2, value and norm clipping, and a
validation loss on the end of the text (or config's valFile) every evalInterval steps. Whenever
the validation loss is the best so far, --out gets weights.safetensors, config.json and
vocab.json: a folder that predict.py and `rnn-lab ... --pytorch-weights DIR` read.

With torchrun every process trains on its own batches and DistributedDataParallel averages the
gradients, so one step sees nproc_per_node x batchSize sequences. GPUs use the nccl backend, CPUs gloo.
The optimizer starts afresh (RNN Lab's optimizer state is not carried over).
"""
import argparse
import math
import os
import re
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from model import CharRNN, Vocabulary, detach_state, load_weights, read_json, save_folder, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATION_TOKEN_CAP = 64 * 1024
VALIDATION_LINE_CAP = 2000


# ---- data: the text as ids, split into training and validation ----

def text_units(text):
    """Lines mode's units: the lines, or sentences when the text has no line structure (as RNN Lab)."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    ending = sum(1 for l in lines if re.search(r"[.!?][\"'”’)\]]*$", l))
    mid = sum(len(re.findall(r"[.!?][\"'”’)\]]*\s+\S", l)) for l in lines)
    if len(lines) >= 2 and (ending >= len(lines) / 2 or mid < len(lines) / 10):
        return lines
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text)) if s.strip()]


class Data:
    def __init__(self, cfg, vocab, text, val_text, rank, world, seed):
        self.cfg, self.vocab, self.rank, self.world = cfg, vocab, rank, world
        self.B = cfg["batchSize"]
        self.mode = cfg["mode"]
        self.gen = torch.Generator().manual_seed(seed * 1000 + rank)
        if self.mode == "lines":
            units = [vocab.encode(u) for u in text_units(text)]
            cap = cfg.get("maxLineLength", 0)
            if cap > 0:
                units = [u for u in units if len(u) <= cap]
            if cfg.get("maxLines", 0) > 0:
                units = units[:cfg["maxLines"]]
            if val_text is not None:
                self.train, self.val = units, [vocab.encode(u) for u in text_units(val_text)]
            else:
                n_val = max(1, int(len(units) * cfg["valFraction"]))
                self.train, self.val = units[:-n_val], units[-n_val:]
            if not self.train:
                raise SystemExit("the text has too few lines to train on")
            self.val = self.val[:VALIDATION_LINE_CAP]
            pieces = sum(self.pieces_of(g) for g in self.groups(list(range(len(self.train)))))
            self.steps_per_epoch = max(1, pieces // world)
            return
        ids = torch.tensor(vocab.encode(text), dtype=torch.long)
        row = (cfg["seqLength"] if self.mode == "stream" else cfg["window"]) + 1
        if val_text is not None:
            self.train, self.val = ids, torch.tensor(vocab.encode(val_text), dtype=torch.long)
        else:
            n_val = min(len(ids) - row, max(row, int(len(ids) * cfg["valFraction"])))
            if n_val < row:
                raise SystemExit(f"the text has {len(ids)} symbols: too few for training rows of {row}")
            self.train, self.val = ids[:-n_val], ids[-n_val:]
        self.val = self.val[:VALIDATION_TOKEN_CAP]
        if self.mode == "stream":
            self.steps_per_epoch = max(1, math.ceil(len(self.train) / (self.B * cfg["seqLength"] * world)))
        else:
            starts = range(0, len(self.train) - cfg["window"], cfg["windowStep"])
            self.steps_per_epoch = max(1, math.ceil(len(starts) / (self.B * world)))

    def batches(self):
        """Endless (inputs, targets, mask, carry) training batches of this process; `carry` says
        whether the state of the previous batch continues into this one."""
        cfg, B = self.cfg, self.B
        while True:
            if self.mode == "stream" and cfg.get("batching", "random") == "random":
                # Windows of seqLength+1 at random places, from a zero state.
                T = cfg["seqLength"]
                for _ in range(self.steps_per_epoch):
                    s = torch.randint(0, len(self.train) - T, (B,), generator=self.gen)
                    rows = torch.stack([self.train[i:i + T + 1] for i in s.tolist()])
                    yield rows[:, :-1], rows[:, 1:], None, False
            elif self.mode == "stream":
                # Contiguous streams: this process's B of the world*B segments, state carried along.
                T = cfg["seqLength"]
                rows_all = B * self.world
                seg = (len(self.train) - 1) // rows_all
                if seg < 1:
                    raise SystemExit("the text is too short for this many streams: lower batchSize")
                first = self.rank * B
                streams = torch.stack([self.train[(first + b) * seg:(first + b) * seg + seg + 1] for b in range(B)])
                for k, t in enumerate(range(0, seg, T)):
                    piece = streams[:, t:min(seg, t + T) + 1]
                    yield piece[:, :-1], piece[:, 1:], None, k > 0
            elif self.mode == "windows":
                W = cfg["window"]
                starts = torch.arange(0, len(self.train) - W, cfg["windowStep"])
                mine = starts[torch.randperm(len(starts), generator=self.gen)][self.rank::self.world]
                for i in range(0, len(mine), B):
                    rows = torch.stack([self.train[s:s + W + 1] for s in mine[i:i + B].tolist()])
                    yield self.window_batch(rows)
            else:
                order = torch.randperm(len(self.train), generator=self.gen).tolist()[self.rank::self.world]
                for group in self.groups(order):
                    yield from self.line_batches([self.train[k] for k in group], cfg.get("bpttTruncate", 0))

    @staticmethod
    def window_batch(rows):
        """Many-to-one: each window predicts only the symbol after it (the mask keeps the last step)."""
        mask = torch.zeros(rows.shape[0], rows.shape[1] - 1)
        mask[:, -1] = 1
        return rows[:, :-1], rows[:, 1:], mask, False

    def groups(self, order):
        return [order[i:i + self.B] for i in range(0, len(order), self.B)]

    def pieces_of(self, group):
        n = max(len(self.train[k]) for k in group) + 1
        trunc = self.cfg.get("bpttTruncate", 0)
        return math.ceil(n / trunc) if trunc > 0 else 1

    def line_batches(self, lines, truncate):
        """Lines framed as <s> t1..tn -> t1..tn </s>, padded to the longest and masked; cut into
        pieces of `truncate` steps with the state carried between them (0: the whole line)."""
        v = self.vocab
        T = max(len(l) for l in lines) + 1
        inputs = torch.full((len(lines), T), v.end, dtype=torch.long)
        targets = torch.full((len(lines), T), v.end, dtype=torch.long)
        mask = torch.zeros(len(lines), T)
        for b, l in enumerate(lines):
            n = len(l)
            inputs[b, :n + 1] = torch.tensor([v.start] + l, dtype=torch.long)
            targets[b, :n + 1] = torch.tensor(l + [v.end], dtype=torch.long)
            mask[b, :n + 1] = 1
        step = truncate if truncate > 0 else T
        for k, t in enumerate(range(0, T, step)):
            yield inputs[:, t:t + step], targets[:, t:t + step], mask[:, t:t + step], k > 0

    def validation_batches(self):
        """The validation set in order: (inputs, targets, mask, carry), the same on every process."""
        cfg = self.cfg
        if self.mode == "lines":
            for i in range(0, len(self.val), self.B):
                yield from self.line_batches(self.val[i:i + self.B], 0)
        elif self.mode == "windows":
            W = cfg["window"]
            for i in range(0, len(self.val) - W, cfg["windowStep"] * self.B):
                starts = range(i, min(len(self.val) - W, i + cfg["windowStep"] * self.B), cfg["windowStep"])
                yield self.window_batch(torch.stack([self.val[s:s + W + 1] for s in starts]))
        else:
            # Contiguous streams over the validation slice, the state carried from piece to piece.
            T = cfg["seqLength"]
            rows = max(1, min(self.B, (len(self.val) - 1) // T))
            seg = (len(self.val) - 1) // rows
            streams = torch.stack([self.val[r * seg:r * seg + seg + 1] for r in range(rows)])
            for k, t in enumerate(range(0, seg, T)):
                piece = streams[:, t:min(seg, t + T) + 1]
                yield piece[:, :-1], piece[:, 1:], None, k > 0


def masked_loss(logits, targets, mask, reduction="mean"):
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    if mask is None:
        return losses.mean() if reduction == "mean" else (losses.sum(), losses.numel())
    m = mask.reshape(-1).to(losses.dtype)
    total, count = (losses * m).sum(), m.sum()
    return total / count.clamp(min=1) if reduction == "mean" else (total, int(count.item()))


def validation_loss(model, data, device):
    """Mean cross-entropy per predicted symbol (nats) over the validation set."""
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y, m, carry in data.validation_batches():
            logits, state = model(x.to(device), state if carry else None)
            s, n = masked_loss(logits, y.to(device), None if m is None else m.to(device), reduction="sum")
            total, count = total + float(s), count + n
    model.train()
    return total / max(1, count)


# ---- optimizer, as RNN Lab defines each (same defaults) ----

def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=1e-10)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, rho=0.95, eps=1e-6)
    raise SystemExit(f"unknown optimizer {name!r} in config.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=HERE, help="folder to start from (default: this one)")
    ap.add_argument("--text", help="the training text (default: config.json's \"text\")")
    ap.add_argument("--steps", type=int, help="optimizer steps to train now (default: config's steps)")
    ap.add_argument("--out", default=os.path.join(HERE, "trained"), help="where the best weights are written (default: trained/)")
    ap.add_argument("--lr", type=float, help="learning rate (default: config's learningRate)")
    ap.add_argument("--batch", type=int, help="sequences per step and process (default: config's batchSize)")
    ap.add_argument("--eval-interval", type=int, help="steps between validations (default: config's evalInterval)")
    ap.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: this process's GPU when there is one)")
    args = ap.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device:
        device = torch.device(args.device)
    else:
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    say = print if rank == 0 else (lambda *a, **k: None)

    config = read_json(os.path.join(args.weights, "config.json"))
    vocab_json = read_json(os.path.join(args.weights, "vocab.json"))
    vocab = Vocabulary(vocab_json)
    cfg = dict(config["config"])
    if args.batch:
        cfg["batchSize"] = args.batch
    text_path = args.text or config.get("text")
    if not text_path or not os.path.isfile(text_path):
        raise SystemExit(f"give the training text with --text FILE (config.json names {text_path!r}, which is not a file)")
    with open(text_path, encoding="utf-8") as f:
        text = f.read().replace("\r\n", "\n")
    val_text = None
    if cfg.get("valFile"):
        # A relative validation file lies beside the training text, as in RNN Lab.
        with open(os.path.join(os.path.dirname(os.path.abspath(text_path)), cfg["valFile"]), encoding="utf-8") as f:
            val_text = f.read().replace("\r\n", "\n")
    seed = cfg.get("seed", 1) + config.get("step", 0)
    torch.manual_seed(seed * 1000 + rank)
    data = Data(cfg, vocab, text, val_text, rank, world, seed)

    model = CharRNN(config["spec"])
    load_weights(model, os.path.join(args.weights, "weights.safetensors"))
    model.to(device).train()
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    lr = args.lr or cfg["learningRate"]
    opt = make_optimizer(cfg["optimizer"], model.parameters(), lr)
    decayed = [p for n, p in model.named_parameters() if n.endswith("weight") or ".weight_" in n]
    steps = args.steps if args.steps is not None else cfg["steps"]
    every = args.eval_interval or cfg["evalInterval"]
    first_step = config.get("step", 0)

    best = validation_loss(model, data, device)
    history = list(config.get("valHistory", [])) + [[first_step, best]]
    say(f"step {first_step}: validation loss {best:.4f} nats ({best / math.log(2):.3f} bits) per symbol; "
        f"{world} process(es) on {device.type}, {cfg['mode']} mode, {steps} steps to go")
    saved = {**config, "step": first_step, "bestValLoss": best, "valHistory": history}
    if rank == 0:
        save_folder(args.out, model, saved, vocab_json)
    previous, bad_evals, state, started = best, 0, None, time.time()
    batches = data.batches()
    for k in range(1, steps + 1):
        x, y, m, carry = next(batches)
        logits, new_state = net(x.to(device), state if carry else None)
        state = detach_state(new_state)
        loss = masked_loss(logits, y.to(device), None if m is None else m.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            if cfg.get("l2", 0) > 0:
                # Weight decay on the kernels and the embedding, not the biases (as RNN Lab).
                for p in decayed:
                    p.grad.add_(p, alpha=cfg["l2"])
            if cfg.get("clipValue", 0) > 0:
                torch.nn.utils.clip_grad_value_(model.parameters(), cfg["clipValue"])
            if cfg.get("clipNorm", 0) > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clipNorm"])
        opt.step()
        if k % data.steps_per_epoch == 0 and cfg.get("lrDecay", 1) != 1:
            for g in opt.param_groups:
                g["lr"] *= cfg["lrDecay"]
        if k % every == 0 or k == steps:
            val = validation_loss(model, data, device)
            step = first_step + k
            history.append([step, val])
            say(f"step {step}: training loss {loss.item():.4f}, validation loss {val:.4f} nats ({val / math.log(2):.3f} bits), "
                f"lr {opt.param_groups[0]['lr']:.3g}, {time.time() - started:.0f} s")
            if cfg.get("halveOnRise") and val > previous:
                for g in opt.param_groups:
                    g["lr"] /= 2
            previous = val
            if val < best:
                best, bad_evals = val, 0
                saved = {**config, "step": step, "bestValLoss": best, "valHistory": history}
                if rank == 0:
                    save_folder(args.out, model, saved, vocab_json)
            else:
                bad_evals += 1
                if rank == 0:
                    # The weights stay the best ones; the history records every validation.
                    write_json(os.path.join(args.out, "config.json"), {**saved, "valHistory": history})
                if cfg.get("earlyStop", 0) > 0 and bad_evals >= cfg["earlyStop"]:
                    say(f"stopping early: {bad_evals} validations without a better loss")
                    break
    say(f"best validation loss {best:.4f} nats; weights in {args.out}")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
