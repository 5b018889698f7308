#!/usr/bin/env python3
"""Independent PyTorch reference for Stylize's objective at iteration 0.

An oracle that is not written in this codebase (in the manner of karpathy/llm.c's
reference tests): the losses of README.md ("Losses (exact formulas)") written
again in PyTorch, from the README, on the same VGG16 weights and the same 64 px
fixtures. Tests/StyleTransferTests/ReferenceTests.swift compares the engine's
TransferObjective against the numbers this script writes.

Run by hand, once (the output is committed; rerun only when the formulas, the
fixtures, the model or the options below change):

    BENCH_DIR=/tmp/stylize-bench \
    TORCH_WHEEL=/path/to/torch-cpu.whl \
        bash ../shared/bench/setup.sh          # a venv with torch (CPU) and numpy
    /tmp/stylize-bench/venv/bin/python Tests/reference/gatys_reference.py \
        [--model /usr/local/share/stylize/vgg16.safetensors] [--out Tests/fixtures/reference_losses.json]

Only torch and numpy are needed (any venv with both will do).

What is computed (README.md, with F_l the features of the image x at layer l,
C_l x H_l x W_l, P_l those of the content image, A_l the style's Gram matrix):
    L_c  = sum_l w_l / (C_l H_l W_l) * sum (F_l - P_l)^2          content: relu4_2
    G_l  = F_l F_l^T / (H_l W_l)
    L_s  = sum_l w_l / C_l^2 * sum (G_l - A_l)^2                   style: relu1_1 .. relu5_1
    L_tv = 1 / (3 H W) * sum [(x[i,j+1] - x[i,j])^2 + (x[i+1,j] - x[i,j])^2]
    L    = alpha L_c + beta L_s + gamma L_tv,  alpha, beta, gamma = 1, 1e-4, 1e-2
x is in sRGB pixel units (0-255, planar RGB); the model file's convention (its
safetensors metadata) maps pixels to network input: 'caffe' = BGR, 0-255, minus
the ImageNet mean; 'torch' = RGB, 0-1, minus mean, divided by std. VGG16: 3x3
convolutions with zero padding 1 (cross-correlation, OIHW weights), ReLU, 2x2
max pooling with stride 2. Losses on relu layers read the features after ReLU.

Everything is computed in float64 (the reference), and again in float32 to show
how far float32 arithmetic alone moves each number (the scale for the Swift
test's tolerances). The gradient is dL/dx in pixel units, by autograd.

Two starting images (iteration 0, single scale, size 0 = the fixture's 64x64):
  content   x = content image (content loss exactly 0)
  pattern   x = clamp(content + ((7 x + 13 y + 29 c) mod 41) - 20, 0, 255), integers,
            so the Swift test rebuilds it exactly (content loss > 0)
"""
import argparse
import hashlib
import json
import os
import platform
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "Tests", "fixtures")

VGG16_BLOCKS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]  # (convs, channels) per block
CONTENT_LAYERS = {"relu4_2": 1.0}
STYLE_LAYERS = {"relu1_1": 1.0, "relu2_1": 1.0, "relu3_1": 1.0, "relu4_1": 1.0, "relu5_1": 1.0}
ALPHA, BETA, GAMMA = 1.0, 1e-4, 1e-2
# Gradient samples (channel, row, column): corners, edges, centre, all channels.
SAMPLES = [(0, 0, 0), (1, 0, 63), (2, 63, 0), (0, 63, 63), (1, 31, 32), (2, 32, 31),
           (0, 10, 50), (1, 45, 7), (2, 20, 20), (0, 1, 62)]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_ppm(path):
    """Binary PPM (P6, maxval 255) -> float64 array 3 x H x W (planar RGB, 0-255)."""
    data = open(path, "rb").read()
    fields, at = [], 2
    assert data[:2] == b"P6", f"{path}: not a P6 PPM"
    while len(fields) < 3:
        while data[at:at + 1].isspace() or data[at:at + 1] == b"#":
            if data[at:at + 1] == b"#":
                at = data.index(b"\n", at)
            at += 1
        start = at
        while data[at:at + 1].isdigit():
            at += 1
        fields.append(int(data[start:at]))
    w, h, maxval = fields
    assert maxval == 255
    raster = np.frombuffer(data[at + 1:], np.uint8)
    assert raster.size == 3 * w * h, f"{path}: raster size"
    return raster.reshape(h, w, 3).transpose(2, 0, 1).astype(np.float64)


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, raw little-endian tensors."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}"
        a, b = info["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + a:8 + n + b], "<f4").reshape(info["shape"])
    return tensors, meta


class VGG16:
    """The conv stack as a list of named layers, run up to the deepest one asked for."""

    def __init__(self, tensors, convention, dtype):
        self.layers = []  # (name, kind, weight, bias)
        for b, (n, _) in enumerate(VGG16_BLOCKS, 1):
            for i in range(1, n + 1):
                w = torch.tensor(np.array(tensors[f"conv{b}_{i}.weight"]), dtype=dtype)
                bias = torch.tensor(np.array(tensors[f"conv{b}_{i}.bias"]), dtype=dtype)
                self.layers.append((f"conv{b}_{i}", "conv", w, bias))
                self.layers.append((f"relu{b}_{i}", "relu", None, None))
            self.layers.append((f"pool{b}", "pool", None, None))
        self.convention = convention
        self.dtype = dtype

    def preprocess(self, x):
        """Pixels (3 x H x W, RGB 0-255) -> network input (1 x 3 x H x W)."""
        if self.convention == "caffe":
            mean_bgr = torch.tensor([103.939, 116.779, 123.68], dtype=self.dtype).view(3, 1, 1)
            return (x.flip(0) - mean_bgr).unsqueeze(0)
        if self.convention == "torch":
            mean = torch.tensor([0.485, 0.456, 0.406], dtype=self.dtype).view(3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225], dtype=self.dtype).view(3, 1, 1)
            return ((x / 255 - mean) / std).unsqueeze(0)
        raise SystemExit(f"unknown convention {self.convention!r}")

    def features(self, x, names):
        """{name: C x H x W} for the requested layer names."""
        wanted, out = set(names), {}
        h = self.preprocess(x)
        for name, kind, w, b in self.layers:
            if not wanted - out.keys():
                break
            if kind == "conv":
                h = F.conv2d(h, w, b, padding=1)
            elif kind == "relu":
                h = F.relu(h)
            else:
                h = F.max_pool2d(h, 2, 2)
            if name in wanted:
                out[name] = h[0]
        return out


def gram(f):
    c, h, w = f.shape
    m = f.reshape(c, h * w)
    return m @ m.T / (h * w)


def objective(net, x, content, style):
    """Weighted terms (alpha L_c, beta L_s, gamma L_tv) and the total, as tensors."""
    p = net.features(content, CONTENT_LAYERS)
    a = {k: gram(v) for k, v in net.features(style, STYLE_LAYERS).items()}
    fx = net.features(x, list(CONTENT_LAYERS) + list(STYLE_LAYERS))
    l_c = sum(wl / fx[k].numel() * ((fx[k] - p[k]) ** 2).sum() for k, wl in CONTENT_LAYERS.items())
    per_style = {k: wl / fx[k].shape[0] ** 2 * ((gram(fx[k]) - a[k]) ** 2).sum() for k, wl in STYLE_LAYERS.items()}
    l_s = sum(per_style.values())
    _, hh, ww = x.shape
    l_tv = (((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum() + ((x[:, 1:, :] - x[:, :-1, :]) ** 2).sum()) / (3 * hh * ww)
    terms = {"content": ALPHA * l_c, "style": BETA * l_s, "tv": GAMMA * l_tv}
    return terms, sum(terms.values()), {k: BETA * v for k, v in per_style.items()}


def pattern_init(content):
    c, y, x = np.meshgrid(np.arange(3), np.arange(content.shape[1]), np.arange(content.shape[2]), indexing="ij")
    return np.clip(content + (7 * x + 13 * y + 29 * c) % 41 - 20, 0, 255)


def evaluate(tensors, meta, content, style, init, dtype):
    net = VGG16(tensors, meta["convention"], dtype)
    x = torch.tensor(init, dtype=dtype, requires_grad=True)
    terms, total, per_style = objective(net, x, torch.tensor(content, dtype=dtype), torch.tensor(style, dtype=dtype))
    total.backward()
    g = x.grad.to(torch.float64)
    grads = {}
    for name in ("content", "style", "tv"):  # each term's gradient alone, for diagnosis
        xi = torch.tensor(init, dtype=dtype, requires_grad=True)
        t, _, _ = objective(net, xi, torch.tensor(content, dtype=dtype), torch.tensor(style, dtype=dtype))
        if t[name].requires_grad:
            t[name].backward()
            grads[name] = float(xi.grad.to(torch.float64).norm())
        else:
            grads[name] = 0.0
    return {
        "losses": {k: float(v.detach()) for k, v in terms.items()} | {"total": float(total.detach())},
        "style_per_layer": {k: float(v.detach()) for k, v in per_style.items()},
        "gradient": {
            "norm": float(g.norm()),
            "max_abs": float(g.abs().max()),
            "term_norms": grads,
            "samples": [{"c": c, "y": y, "x": xx, "value": float(g[c, y, xx])} for c, y, xx in SAMPLES],
        },
    }


def relative(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.environ.get("STYLIZE_MODEL", "/usr/local/share/stylize/vgg16.safetensors"))
    ap.add_argument("--out", default=os.path.join(FIXTURES, "reference_losses.json"))
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    content_path = os.path.join(FIXTURES, "tiny_content_64.ppm")
    style_path = os.path.join(FIXTURES, "tiny_style_64.ppm")
    content, style = read_ppm(content_path), read_ppm(style_path)
    tensors, meta = read_safetensors(args.model)
    assert meta.get("topology") == "vgg16", f"model topology {meta.get('topology')}"

    cases = []
    for name, init in [("content", content), ("pattern", pattern_init(content))]:
        ref = evaluate(tensors, meta, content, style, init, torch.float64)
        f32 = evaluate(tensors, meta, content, style, init, torch.float32)
        ref["float32_relative_deviation"] = {
            **{k: relative(f32["losses"][k], v) for k, v in ref["losses"].items()},
            "gradient_norm": relative(f32["gradient"]["norm"], ref["gradient"]["norm"]),
            "gradient_samples_max": max(abs(a["value"] - b["value"]) for a, b in
                                        zip(f32["gradient"]["samples"], ref["gradient"]["samples"])) / ref["gradient"]["max_abs"],
        }
        cases.append({"init": name, "init_sum": float(init.sum()), **ref})
        print(name, json.dumps(ref["losses"]), "grad norm", ref["gradient"]["norm"], file=sys.stderr)

    result = {
        "what": "Stylize objective at iteration 0 on the 64 px fixtures, by Tests/reference/gatys_reference.py "
                "(PyTorch, float64). Losses are the weighted terms alpha L_c, beta L_s, gamma L_tv; the gradient "
                "is dL/dpixels (planar RGB, 0-255 units), samples at (channel, row, column).",
        "generator": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                      "dtype": "float64"},
        "inputs": {
            # pixel sums: the Swift test checks it reads the same images without hashing them
            "content": {"file": "tiny_content_64.ppm", "sha256": sha256(content_path), "pixel_sum": float(content.sum())},
            "style": {"file": "tiny_style_64.ppm", "sha256": sha256(style_path), "pixel_sum": float(style.sum())},
            "model": {"file": os.path.basename(args.model), "sha256": sha256(args.model), "metadata": meta,
                      # sum of every conv weight in float64: lets the Swift test see it has the same model file
                      "conv_weight_sum": float(sum(np.asarray(v, np.float64).sum()
                                                   for k, v in sorted(tensors.items()) if k.endswith(".weight")))},
        },
        "options": {"size": 64, "scales": 1, "content_layers": CONTENT_LAYERS, "style_layers": STYLE_LAYERS,
                    "content_weight": ALPHA, "style_weight": BETA, "tv_weight": GAMMA, "pooling": "max"},
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("wrote", args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
