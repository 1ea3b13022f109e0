#!/usr/bin/env python3
"""PyTorch peer of `moge benchmark-step --model invariance` (not part of the test suite).

One training step of the same model in plain eager PyTorch: a router d -> E (Gaussian noise of std 1/E in
training, softmax, top-1), E experts d -> h -> d with GELU, each its own parameters, run on the tokens
routed to them only (tokens sorted by expert, one matrix product pair per occupied expert), outputs scaled
by the routing weight, then a linear classifier and cross-entropy; AdamW (lr 1e-3, weight decay 0.05,
foreach) over every parameter, gradients zeroed in place as in the Java loop.
Prints per-step lines and, last, "ms <forward> <backward> <optimizer> <step>" as medians in milliseconds.
"""
import argparse
import gzip
import math
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path, count, header, item):
    with gzip.open(path, "rb") as f:
        f.read(header)
        data = np.frombuffer(f.read(count * item), dtype=np.uint8)
    return data.reshape(count, item) if item > 1 else data


class Peer(torch.nn.Module):
    def __init__(self, experts, width, hidden, classes):
        super().__init__()
        self.experts = experts
        self.gate = torch.nn.Parameter(torch.randn(width, experts) * math.sqrt(2.0 / width))
        self.w1 = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(width, hidden) * math.sqrt(2.0 / width)) for _ in range(experts)])
        self.b1 = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(hidden)) for _ in range(experts)])
        self.w2 = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(hidden, width) * math.sqrt(2.0 / hidden)) for _ in range(experts)])
        self.b2 = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(width)) for _ in range(experts)])
        self.head = torch.nn.Linear(width, classes)

    def forward(self, x):
        logits = x @ self.gate
        noisy = logits + torch.randn_like(logits) / self.experts
        weight, expert = noisy.softmax(-1).max(-1)
        order = torch.argsort(expert)
        counts = torch.bincount(expert, minlength=self.experts).tolist()  # the host read of dropless routing
        sorted_x = x[order]
        outputs = []
        start = 0
        for e, count in enumerate(counts):
            if count:
                segment = sorted_x[start:start + count]
                hidden = F.gelu(segment @ self.w1[e] + self.b1[e])
                outputs.append(hidden @ self.w2[e] + self.b2[e])
                start += count
        y = torch.empty_like(x).index_copy(0, order, torch.cat(outputs)) * weight.unsqueeze(1)
        return self.head(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", required=True)
    parser.add_argument("--input", choices=["raw", "centred"], default="raw")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--experts", type=int, default=400)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images = read_idx(args.images, args.batch, 16, 784)
    labels = read_idx(args.images.replace("images-idx3", "labels-idx1"), args.batch, 8, 1)
    x = torch.from_numpy(images.astype(np.float32)) / 255.0
    if args.input == "centred":
        x = x - x.mean(0, keepdim=True)
    target = torch.from_numpy(labels.astype(np.int64))

    model = Peer(args.experts, 784, args.hidden, 10)
    # Every parameter holds a gradient (zeros for experts that got no token), so AdamW updates all of
    # them each step, as the Java optimizer does; set_to_none would skip the unused experts.
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, foreach=True)
    phases = [[], [], [], []]
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x), target)
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
        t3 = time.perf_counter()
        ms = [(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3]
        print("step %d forward %.1f backward %.1f optimizer %.1f step %.1f ms" % (i, *ms), flush=True)
        if i >= args.warmup:
            for phase, value in zip(phases, ms):
                phase.append(value)
    print("ms " + " ".join("%.3f" % statistics.median(p) for p in phases))


if __name__ == "__main__":
    main()
