#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into Tests/fuzz/corpus/<target>/.

Seeds are small, valid-looking inputs so the fuzzer starts deep in each
format: safetensors files with F32/F16/BF16 tensors and metadata, ONNX graphs
of Conv/Relu/MaxPool with initializers in both float encodings (one with
VGG16's block pattern [2, 2, 3, 3, 3] and 1-channel kernels, which reaches the
shape check), option strings, and C ABI inputs. Standard library only.
Inputs that once crashed a target are kept beside the seeds as
crash-<what>-<sha1> files; this script leaves them alone.

    python3 Tests/fuzz/make_corpus.py
"""
import hashlib
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- safetensors: 8-byte little-endian header length, JSON header, raw data.

def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


meta = {"format": "stylize-vgg", "topology": "vgg16", "convention": "torch", "source": "seed"}
write("safetensors", "f32", safetensors([("conv1_1.weight", "F32", [1, 1, 3, 3], f32([0.5] * 9)),
                                         ("conv1_1.bias", "F32", [1], f32([0.25]))], meta))
write("safetensors", "f16-bf16", safetensors([("features.0.weight", "F16", [1, 1, 3, 3], struct.pack("<9e", *[1.5] * 9)),
                                              ("features.0.bias", "BF16", [1], b"\x80\x3f")]))
write("safetensors", "empty-header", safetensors([], {}))
write("safetensors", "scalar", safetensors([("x", "F32", [], f32([3.0]))]))
write("safetensors", "vgg16-names", safetensors(
    [("conv%d_%d.%s" % (b, i, k), "F32", [1, 1, 3, 3] if k == "weight" else [1],
      f32([0.1] * (9 if k == "weight" else 1)))
     for b, n in zip(range(1, 6), [2, 2, 3, 3, 3]) for i in range(1, n + 1) for k in ("weight", "bias")], meta))

# --- ONNX: protobuf by hand (ModelProto 2: producer, 7: graph; GraphProto 1: node,
# 5: initializer; NodeProto 1: input, 4: op_type, 5: attribute; AttributeProto 1: name,
# 3: i, 4: s, 8: ints; TensorProto 1: dims, 2: data_type, 4: float_data, 8: name, 9: raw_data).

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def attribute(name, ints=None, s=None, i=None):
    a = field(1, 2, name.encode())
    if ints is not None:
        a += field(8, 2, b"".join(varint(v) for v in ints))
    if s is not None:
        a += field(4, 2, s.encode())
    if i is not None:
        a += field(3, 0, varint(i))
    return a


def node(op, inputs, attributes=()):
    n = b"".join(field(1, 2, x.encode()) for x in inputs) + field(4, 2, op.encode())
    return n + b"".join(field(5, 2, a) for a in attributes)


def tensor(name, dims, values, raw=True):
    t = b"".join(field(1, 0, varint(d)) for d in dims) + field(2, 0, varint(1)) + field(8, 2, name.encode())
    return t + (field(9, 2, f32(values)) if raw else field(4, 2, f32(values)))


def onnx(blocks, producer="pytorch", pads=True):
    nodes, inits, k = b"", b"", 0
    for n in blocks:
        for _ in range(n):
            w, b = "w%d" % k, "b%d" % k
            attrs = [attribute("pads", ints=[1, 1, 1, 1]), attribute("strides", ints=[1, 1]), attribute("group", i=1)] \
                if pads else [attribute("auto_pad", s="SAME_UPPER")]
            nodes += field(1, 2, node("Conv", ["x", w, b], attrs)) + field(1, 2, node("Relu", ["y"]))
            inits += field(5, 2, tensor(w, [1, 1, 3, 3], [0.1 * k] * 9, raw=k % 2 == 0))
            inits += field(5, 2, tensor(b, [1], [0.0], raw=k % 2 == 1))
            k += 1
        nodes += field(1, 2, node("MaxPool", ["z"], [attribute("kernel_shape", ints=[2, 2])]))
    nodes += field(1, 2, node("Flatten", ["z"]))
    return field(1, 0, varint(7)) + field(2, 2, producer.encode()) + field(7, 2, nodes + inits)


write("onnx", "one-block", onnx([2]))
write("onnx", "vgg16-blocks", onnx([2, 2, 3, 3, 3]))
write("onnx", "keras-same", onnx([1, 1], producer="tf2onnx", pads=False))
write("onnx", "no-graph", field(1, 0, varint(7)) + field(2, 2, b"x"))

# --- options: first byte picks the parser (see targets/options.swift).
for i, (kind, text) in enumerate([(0, "relu4_2"), (1, "relu1_1:0.5,relu2_1:1e6, relu3_1,relu4_1:0"),
                                  (2, "100,200,300"), (3, "0.7,0.3"), (4, "2G"), (4, " 1.5GiB"),
                                  (4, "800000000"), (5, "lbfgs"), (5, "Average"), (1, "")]):
    write("options", "seed-%d" % i, bytes([kind]) + text.encode())

# --- cabi: byte strings read front to back by targets/cabi.c; low bytes mean
# small admitted images and default options, so these start at a tiny run.
rng = random.Random(13)
write("cabi", "defaults", bytes(64))
for i in range(6):
    write("cabi", "seed-%d" % i, bytes(rng.randrange(0, 0x80) for _ in range(rng.randrange(32, 200))))
write("cabi", "layers", bytes(24) + b"\xff\x0c\x00\x00" + bytes(16) + b"\x80\x10relu1_1:0.5,pool2" + bytes(40))
