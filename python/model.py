"""The RNN Lab model as a plain PyTorch module, and the files of this folder.

The network, bottom to top:
  symbols -> one-hot vectors (embeddingSize 0) or an nn.Embedding
          -> a stack of recurrent layers (nn.LSTM, nn.GRU or nn.RNN with tanh), one module per layer
             so that every layer may have its own width; dropout between layers
          -> dropout -> an optional Dense layer (nn.Linear + relu / tanh / nothing)
          -> nn.Linear to one score (logit) per symbol; softmax gives the next-symbol probabilities.

RNN Lab stores its weights as Keras does (kernels [in, gates*H], gates LSTM i f c o, GRU z r h);
`rnn-lab export --pytorch` has already turned them into PyTorch's names, shapes and gate order
(weight_ih [gates*H, in], GRU gates r z n), so `load_weights` below is a plain load_state_dict.

Only `torch` is needed: the safetensors files are read and written by the 30 lines at the end.
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def layer_sizes(spec):
    """Hidden units of each recurrent layer (one number for all, or one per layer)."""
    h = spec["hiddenSize"]
    return list(h) if isinstance(h, list) else [h] * spec["layers"]


class CharRNN(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        if spec["cell"] not in CELLS:
            raise ValueError(f"unknown cell type {spec['cell']!r}")
        if spec.get("recurrentActivation") == "hard_sigmoid" or spec.get("gruResetAfter") is False:
            raise ValueError("PyTorch's cells have logistic gates and reset_after GRUs only")
        self.vocab_size = spec["vocabSize"]
        emb = spec["embeddingSize"]
        self.embedding = nn.Embedding(self.vocab_size, emb) if emb > 0 else None
        width = emb if emb > 0 else self.vocab_size
        self.layers = nn.ModuleList()
        for h in layer_sizes(spec):
            self.layers.append(CELLS[spec["cell"]](width, h, batch_first=True))
            width = h
        self.dropout = nn.Dropout(spec["dropout"])
        dense = spec.get("hiddenDense", 0)
        self.dense = nn.Linear(width, dense) if dense > 0 else None
        self.activation = spec.get("hiddenActivation", "relu")
        self.output = nn.Linear(dense if dense > 0 else width, self.vocab_size)

    def forward(self, ids, state=None):
        """ids: [batch, time] symbol ids. Returns logits [batch, time, vocab] and the new state
        (one entry per layer: h, or (h, c) for an LSTM), to carry into the next call."""
        if self.embedding is not None:
            x = self.embedding(ids)
        else:
            x = F.one_hot(ids, self.vocab_size).to(self.output.weight.dtype)
        new_state = []
        for l, layer in enumerate(self.layers):
            if l > 0:
                x = self.dropout(x)
            x, s = layer(x, None if state is None else state[l])
            new_state.append(s)
        x = self.dropout(x)
        if self.dense is not None:
            x = self.dense(x)
            if self.activation == "relu":
                x = torch.relu(x)
            elif self.activation == "tanh":
                x = torch.tanh(x)
        return self.output(x), new_state


def detach_state(state):
    """The state without its history, so backpropagation stops at the batch boundary."""
    return [tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in state]


# ---- the folder: config.json, vocab.json, weights.safetensors ----

def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def load_model(folder, dtype=torch.float32):
    """The model of a folder (this one, or one train.py wrote): config, vocabulary and weights."""
    config = read_json(os.path.join(folder, "config.json"))
    vocab = Vocabulary(read_json(os.path.join(folder, "vocab.json")))
    if len(vocab.symbols) != config["spec"]["vocabSize"]:
        raise ValueError(f"{folder}/vocab.json has {len(vocab.symbols)} symbols but the model has {config['spec']['vocabSize']}")
    model = CharRNN(config["spec"]).to(dtype)
    load_weights(model, os.path.join(folder, "weights.safetensors"))
    return model, config, vocab


def load_weights(model, path):
    tensors = read_safetensors(path)
    own = model.state_dict()
    for name, t in tensors.items():
        if name in own and tuple(own[name].shape) != tuple(t.shape):
            raise ValueError(f"{path}: tensor {name} has shape {list(t.shape)}, the model needs {list(own[name].shape)}")
    model.load_state_dict({k: v.to(own[k].dtype) if k in own else v for k, v in tensors.items()})


def save_folder(folder, model, config, vocab_json):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "weights.safetensors"), model.state_dict())
    write_json(os.path.join(folder, "config.json"), config)
    write_json(os.path.join(folder, "vocab.json"), vocab_json)


class Vocabulary:
    """RNN Lab's tokenizer: characters (code points) or words; unknown symbols read as id 0."""

    def __init__(self, j):
        self.json = j
        self.kind = j.get("kind", "char")
        self.symbols = j["symbols"]
        self.lowercase = j.get("lowercase", False)
        if self.kind == "word":
            framed = j.get("framed", False)
            self.unknown, self.start, self.end = 0, (1 if framed else -1), (2 if framed else -1)
        else:
            sp = j.get("specials", {})
            self.unknown, self.start, self.end = sp.get("unknown", 0), sp.get("start", -1), sp.get("end", -1)
        special = {self.unknown, self.start, self.end}
        self.ids = {s: i for i, s in enumerate(self.symbols) if i not in special}

    def pieces(self, text):
        if self.lowercase:
            text = text.lower()
        if self.kind == "word":
            import re
            # A contraction's tail ('m, 're), a run of letters and digits, or one other non-space character.
            return re.findall(r"'[^\W_]+|\w+|[^\s\w]", text)
        return list(text)

    def encode(self, text):
        return [self.ids.get(p, self.unknown) for p in self.pieces(text)]


# ---- safetensors: an 8-byte little-endian header length, a JSON header, then raw tensors ----

DTYPES = {"F32": (torch.float32, "<f4"), "F64": (torch.float64, "<f8")}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}; F32 and F64 are read")
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]][0]) if raw else torch.zeros(0, dtype=DTYPES[info["dtype"]][0])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous().float()
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)  # tensors start 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for raw in chunks:
            f.write(raw)
    os.replace(tmp, path)  # a reader never sees half a file
