#!/usr/bin/python3
"""A plain numpy interpreter for the TFLite ops of MediaPipe's face
detectors, with TensorFlow's own semantics written out (SAME padding split
as TF splits it, half-pixel bilinear resizing as TF computes it), to check
convert.py's ONNX graph against something that is not ONNX:

    /usr/bin/python3 vision/models/convert/reference.py MODEL.tflite IN.f32 SIZE OUT_PREFIX

IN.f32 is one NHWC SIZE x SIZE x 3 float32 image; every graph output is
written to OUT_PREFIX.N.f32 (N = its position in the graph's outputs).
Slow (seconds) and only for tests."""

import sys

import numpy as np
from flatbuffers import number_types as N

import tflite as tf


def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv(x, w, b, stride, pad, depthwise):
    # x: HWC, w: OHWI (conv) or 1HWC (depthwise), TF semantics.
    kh, kw = w.shape[1], w.shape[2]
    if pad == tf.SAME:
        (pt, pb), (pl, pr) = same_pads(x.shape[0], kh, stride[0]), same_pads(x.shape[1], kw, stride[1])
        x = np.pad(x, ((pt, pb), (pl, pr), (0, 0)))
    oh = (x.shape[0] - kh) // stride[0] + 1
    ow = (x.shape[1] - kw) // stride[1] + 1
    out = np.zeros((oh, ow, w.shape[0] if not depthwise else w.shape[3]), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[i:i + stride[0] * (oh - 1) + 1:stride[0], j:j + stride[1] * (ow - 1) + 1:stride[1], :]
            if depthwise:
                out += patch * w[0, i, j, :]
            else:
                out += patch @ w[:, i, j, :].T
    return out + b


def maxpool(x, k, stride, pad):
    if pad == tf.SAME:
        (pt, pb), (pl, pr) = same_pads(x.shape[0], k[0], stride[0]), same_pads(x.shape[1], k[1], stride[1])
        x = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    oh = (x.shape[0] - k[0]) // stride[0] + 1
    ow = (x.shape[1] - k[1]) // stride[1] + 1
    out = np.full((oh, ow, x.shape[2]), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            out = np.maximum(out, x[i:i + stride[0] * (oh - 1) + 1:stride[0], j:j + stride[1] * (ow - 1) + 1:stride[1], :])
    return out


def resize_bilinear_half_pixel(x, oh, ow):
    def axis(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        lo = np.floor(src)
        frac = src - lo
        lo_i = np.clip(lo, 0, n_in - 1).astype(int)
        hi_i = np.clip(lo + 1, 0, n_in - 1).astype(int)
        return lo_i, hi_i, frac
    y0, y1, fy = axis(x.shape[0], oh)
    x0, x1, fx = axis(x.shape[1], ow)
    top = x[y0][:, x0] * (1 - fx)[None, :, None] + x[y0][:, x1] * fx[None, :, None]
    bot = x[y1][:, x0] * (1 - fx)[None, :, None] + x[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bot * fy[:, None, None]


def act(x, fn):
    if fn == tf.ACT_RELU:
        return np.maximum(x, 0)
    if fn == tf.ACT_RELU6:
        return np.clip(x, 0, 6)
    if fn != tf.ACT_NONE:
        raise ValueError(f"activation {fn}")
    return x


def run(m, image):
    vals = {}
    for i, t in enumerate(m.tensors):
        if m.buffers[t.buffer]:
            dtype = {tf.FLOAT32: np.float32, tf.FLOAT16: np.float16, tf.INT32: np.int32}[t.type]
            vals[i] = np.frombuffer(m.buffers[t.buffer], dtype=dtype).reshape(t.shape)
    vals[m.inputs[0]] = image.astype(np.float64)
    for op in m.operators:
        ins = op.inputs
        c = op.code
        if c == tf.DEQUANTIZE:
            out = vals[ins[0]].astype(np.float64)
        elif c == tf.CONV_2D:
            out = act(conv(vals[ins[0]], vals[ins[1]].astype(np.float64), vals[ins[2]], (op.opt(2), op.opt(1)), op.opt(0, N.Int8Flags), False), op.opt(3, N.Int8Flags))
        elif c == tf.DEPTHWISE_CONV_2D:
            out = act(conv(vals[ins[0]], vals[ins[1]].astype(np.float64), vals[ins[2]], (op.opt(2), op.opt(1)), op.opt(0, N.Int8Flags), True), op.opt(4, N.Int8Flags))
        elif c == tf.MAX_POOL_2D:
            out = act(maxpool(vals[ins[0]], (op.opt(4), op.opt(3)), (op.opt(2), op.opt(1)), op.opt(0, N.Int8Flags)), op.opt(5, N.Int8Flags))
        elif c == tf.ADD:
            out = act(vals[ins[0]] + vals[ins[1]], op.opt(0, N.Int8Flags))
        elif c == tf.RELU:
            out = np.maximum(vals[ins[0]], 0)
        elif c == tf.PAD:
            p = vals[ins[1]].astype(int)[1:]  # HWC rows of the NHWC pads
            out = np.pad(vals[ins[0]], [tuple(r) for r in p])
        elif c == tf.RESIZE_BILINEAR:
            if not op.opt(3, N.BoolFlags, False) or op.opt(2, N.BoolFlags, False):
                raise ValueError("only half_pixel_centers bilinear resizing")
            x = vals[ins[0]]
            out = resize_bilinear_half_pixel(x, 2 * x.shape[0], 2 * x.shape[1])
        elif c == tf.RESHAPE:
            out = vals[ins[0]].reshape(-1, m.tensors[op.outputs[0]].shape[-1])
        elif c == tf.CONCATENATION:
            axis = op.opt(0)
            rank = len(m.tensors[op.outputs[0]].shape)
            out = np.concatenate([vals[i] for i in ins], axis=(axis % rank) - 1)
        else:
            raise ValueError(f"op {c}")
        vals[op.outputs[0]] = out
    return [vals[o] for o in m.outputs]


def main():
    model, inp, size, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(model, "rb") as f:
        m = tf.Model(bytearray(f.read()))
    image = np.fromfile(inp, dtype=np.float32).reshape(size, size, 3)
    for i, o in enumerate(run(m, image)):
        o.astype(np.float32).tofile(f"{prefix}.{i}.f32")


if __name__ == "__main__":
    main()
