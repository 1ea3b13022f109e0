#!/usr/bin/env python3
"""PyTorch peer of `moge benchmark-layer` (not part of the test suite).

One MoE layer in plain eager PyTorch, forward + backward of mean(output) + auxiliary loss per step:
a router d -> E (Gaussian noise of std 1/E on the logits in training, softmax, top-k), importance and
load balancing losses, E experts d -> h -> d with GELU as stacked weights [E, d, h] and [E, h, d] run by
batched matrix products over slots [E, slots, d], outputs scaled by the combine weight.

- capacity: k * ceil(C * N / E) slots per expert, batch prioritized routing (tokens ranked by their
  top weight, choice-major fill), assignments beyond an expert's slots dropped; tokens enter their slots
  with index_copy and leave them with a gather.
- dropless: every expert padded to the largest per-expert count (one host read of that count), each
  assignment's slot is its rank among the assignments of its expert.

Gradients are set to None before each step (PyTorch 2's default), so the backward hands its gradient
tensors to the parameters without accumulating.
Prints one line per step and, last, "ms <median step ms> <dense GFLOP/s>", the dense rate being that
of one [N, d] x [d, h] product on the same threads.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F


def cv_squared(v):
    return v.var(unbiased=False) / (v.mean() ** 2 + 1e-10)


class Layer(torch.nn.Module):
    def __init__(self, experts, width, hidden, top_k, capacity_factor):
        super().__init__()
        self.experts = experts
        self.top_k = top_k
        self.capacity_factor = capacity_factor
        self.gate = torch.nn.Parameter(torch.randn(width, experts) / math.sqrt(width))
        self.w1 = torch.nn.Parameter(torch.randn(experts, width, hidden) / math.sqrt(width))
        self.b1 = torch.nn.Parameter(torch.zeros(experts, 1, hidden))
        self.w2 = torch.nn.Parameter(torch.randn(experts, hidden, width) / math.sqrt(hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(experts, 1, width))

    def route(self, x):
        logits = x @ self.gate
        noise_std = 1.0 / self.experts
        noisy = logits + torch.randn_like(logits) * noise_std
        probs = noisy.softmax(-1)
        weights, chosen = probs.topk(self.top_k, dim=-1)
        # Load: probability that each expert stays among the top k under a new draw of its noise.
        top = noisy.topk(min(self.top_k + 1, self.experts), dim=-1).values
        kth = top[:, self.top_k - 1:self.top_k]
        next_ = top[:, -1:]
        threshold = torch.where(noisy >= kth, next_, kth)
        load = torch.distributions.Normal(0.0, noise_std).cdf(logits - threshold).sum(0)
        aux = cv_squared(probs.sum(0)) + cv_squared(load)
        return weights, chosen, aux

    def slots(self, chosen, weights, n):
        """Slot of every (token, choice) pair, -1 if dropped, and slots per expert."""
        k, e = self.top_k, self.experts
        if self.capacity_factor > 0:
            capacity = k * math.ceil(self.capacity_factor * n / e)
            order = torch.argsort(weights[:, 0], descending=True)
            fill = chosen[order].t().reshape(-1)  # choice-major, tokens by priority
            one_hot = F.one_hot(fill, e)
            position = (one_hot.cumsum(0) * one_hot).sum(1) - 1
            position = position.view(k, n).t()
            position = torch.empty_like(position).index_copy_(0, order, position)
        else:
            flat = chosen.reshape(-1)
            counts = torch.bincount(flat, minlength=e)
            capacity = int(counts.max())  # the host read of dropless dispatch
            by_expert = torch.argsort(flat, stable=True)
            starts = torch.cumsum(counts, 0) - counts
            rank = torch.arange(flat.numel()) - starts[flat[by_expert]]
            position = torch.empty_like(flat).index_copy_(0, by_expert, rank).view(n, k)
        slot = chosen * capacity + position
        slot = torch.where(position < capacity, slot, torch.full_like(slot, -1))
        return slot, capacity

    def forward(self, x):
        n, d = x.shape
        weights, chosen, aux = self.route(x)
        slot, capacity = self.slots(chosen, weights, n)
        num_slots = self.experts * capacity
        kept = slot >= 0
        flat_slot = torch.where(kept, slot, torch.full_like(slot, num_slots)).reshape(-1)
        tokens = x.unsqueeze(1).expand(n, self.top_k, d).reshape(-1, d)
        buffer = x.new_zeros(num_slots + 1, d).index_copy(0, flat_slot, tokens)
        inputs = buffer[:num_slots].view(self.experts, capacity, d)
        hidden = F.gelu(torch.baddbmm(self.b1, inputs, self.w1))
        outputs = torch.baddbmm(self.b2, hidden, self.w2).reshape(num_slots, d)
        outputs = torch.cat([outputs, outputs.new_zeros(1, d)])
        gathered = outputs[flat_slot].view(n, self.top_k, d)
        combine = (weights * kept).unsqueeze(2)
        return (gathered * combine).sum(1), aux


def dense_rate(n, d, h, repeats=5):
    a, b = torch.randn(n, d), torch.randn(d, h)
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        (a @ b).sum().item()
        times.append(time.perf_counter() - t0)
    return 2.0 * n * d * h / statistics.median(times[1:]) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=4096)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--mode", choices=["capacity", "dropless"], default="dropless")
    parser.add_argument("--capacity-factor", type=float, default=4.0)
    parser.add_argument("--top-k", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    factor = args.capacity_factor if args.mode == "capacity" else 0.0
    layer = Layer(args.experts, args.width, args.hidden, args.top_k, factor)
    times = []
    for i in range(args.warmup + args.steps):
        x = torch.randn(args.tokens, args.width)
        for p in layer.parameters():
            p.grad = None
        t0 = time.perf_counter()
        y, aux = layer(x)
        (y.mean() + aux).backward()
        layer.w1.grad.sum().item()
        ms = (time.perf_counter() - t0) * 1e3
        print("step %d %.1f ms" % (i, ms), flush=True)
        if i >= args.warmup:
            times.append(ms)
    rate = dense_rate(args.tokens, args.width, args.hidden)
    print("ms %.3f %.2f" % (statistics.median(times), rate))


if __name__ == "__main__":
    main()
