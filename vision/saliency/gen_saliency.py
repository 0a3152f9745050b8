#!/usr/bin/python3
"""Writes spectral_residual.onnx: spectral residual saliency (Hou & Zhang,
"Saliency Detection: A Spectral Residual Approach", CVPR 2007) as an ONNX
graph, opset 17 (DFT), batch dimension N.

Run with Debian's own python3 and its python3-onnx 1.12 (apt-get install
python3-onnx), not a pyenv python3 that may come first on PATH:

    /usr/bin/python3 vision/saliency/gen_saliency.py vision/saliency/spectral_residual.onnx

The output is committed and embedded in bin/pixmill-vision; a Go test
regenerates it and compares the bytes, and compares the model's outputs with a
Go reference implementation (reference.go) on corpus photos.

The graph, for an image I stretched to 64x64 RGB in [0, 1]:

    g = 0.299 R + 0.587 G + 0.114 B
    F = DFT2(g)                                   (complex, 64x64)
    L = log(|F| + 1e-8)                           (log amplitude)
    A = box3(L)                                   (3x3 mean over the cells inside the plane)
    S = |IDFT2(F * exp(-A))|^2                    (= |IDFT2(exp(L - A + i phase(F)))|^2)
    S = gauss(S)                                  (separable Gaussian, sigma 3, reflect borders)
    S = S / (max(S) + 1e-12)                      (1 = the most salient cell)

F * exp(-A) is exp(R + iP) of the paper (R = L - A, the spectral residual;
P the phase) without computing the phase; it differs from it only by the
1e-8 in L, which keeps log finite on an all-zero image.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 64
SIGMA = 3.0
RADIUS = 9  # 3 sigma


def gaussian():
    x = np.arange(-RADIUS, RADIUS + 1, dtype=np.float64)
    k = np.exp(-(x * x) / (2 * SIGMA * SIGMA))
    return (k / k.sum()).astype(np.float32)


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def build():
    k = gaussian()
    inits = [
        const("gray_weights", [[0.299], [0.587], [0.114]]),
        const("eps_log", 1e-8),
        const("eps_max", 1e-12),
        const("re_start", [0], np.int64),
        const("re_end", [1], np.int64),
        const("im_end", [2], np.int64),
        const("last_axis", [3], np.int64),
        const("gauss_h", k.reshape(1, 1, 1, 2 * RADIUS + 1)),
        const("gauss_v", k.reshape(1, 1, 2 * RADIUS + 1, 1)),
        const("pad_h", [0, 0, 0, RADIUS, 0, 0, 0, RADIUS], np.int64),
        const("pad_v", [0, 0, RADIUS, 0, 0, 0, RADIUS, 0], np.int64),
        const("squeeze_axes", [1], np.int64),
    ]
    n = helper.make_node
    nodes = [
        n("MatMul", ["image", "gray_weights"], ["gray"]),  # [N,64,64,1]
        n("DFT", ["gray"], ["f_rows"], axis=1, onesided=0),
        n("DFT", ["f_rows"], ["f"], axis=2, onesided=0),  # [N,64,64,2]
        n("Slice", ["f", "re_start", "re_end", "last_axis"], ["f_re"]),
        n("Slice", ["f", "re_end", "im_end", "last_axis"], ["f_im"]),
        n("Mul", ["f_re", "f_re"], ["f_re2"]),
        n("Mul", ["f_im", "f_im"], ["f_im2"]),
        n("Add", ["f_re2", "f_im2"], ["power"]),
        n("Sqrt", ["power"], ["amplitude"]),
        n("Add", ["amplitude", "eps_log"], ["amplitude_eps"]),
        n("Log", ["amplitude_eps"], ["log_amplitude"]),  # [N,64,64,1]
        n("Transpose", ["log_amplitude"], ["log_amplitude_nchw"], perm=[0, 3, 1, 2]),
        n("AveragePool", ["log_amplitude_nchw"], ["avg_nchw"],
          kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], count_include_pad=0),
        n("Transpose", ["avg_nchw"], ["avg"], perm=[0, 2, 3, 1]),
        n("Neg", ["avg"], ["neg_avg"]),
        n("Exp", ["neg_avg"], ["scale"]),
        n("Mul", ["f", "scale"], ["residual"]),  # exp(R + iP), [N,64,64,2]
        n("DFT", ["residual"], ["r_rows"], axis=1, onesided=0, inverse=1),
        n("DFT", ["r_rows"], ["r"], axis=2, onesided=0, inverse=1),
        n("Slice", ["r", "re_start", "re_end", "last_axis"], ["r_re"]),
        n("Slice", ["r", "re_end", "im_end", "last_axis"], ["r_im"]),
        n("Mul", ["r_re", "r_re"], ["r_re2"]),
        n("Mul", ["r_im", "r_im"], ["r_im2"]),
        n("Add", ["r_re2", "r_im2"], ["raw"]),  # [N,64,64,1]
        n("Transpose", ["raw"], ["raw_nchw"], perm=[0, 3, 1, 2]),
        n("Pad", ["raw_nchw", "pad_h"], ["raw_pad_h"], mode="reflect"),
        n("Conv", ["raw_pad_h", "gauss_h"], ["blur_h"]),
        n("Pad", ["blur_h", "pad_v"], ["blur_pad_v"], mode="reflect"),
        n("Conv", ["blur_pad_v", "gauss_v"], ["blur"]),  # [N,1,64,64]
        n("ReduceMax", ["blur"], ["peak"], axes=[1, 2, 3], keepdims=1),
        n("Add", ["peak", "eps_max"], ["peak_eps"]),
        n("Div", ["blur", "peak_eps"], ["norm"]),
        n("Squeeze", ["norm", "squeeze_axes"], ["saliency"]),  # [N,64,64]
    ]
    graph = helper.make_graph(
        nodes,
        "spectral_residual",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", SIZE, SIZE, 3])],
        [helper.make_tensor_value_info("saliency", TensorProto.FLOAT, ["N", SIZE, SIZE])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="pixmill vision/saliency/gen_saliency.py",
        producer_version="1",
        doc_string="Spectral residual saliency (Hou & Zhang 2007), 64x64, sigma 3.",
    )
    # Pinned rather than the installed onnx's default, so that the bytes
    # depend only on this script.
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_saliency.py OUT.onnx")
    with open(sys.argv[1], "wb") as f:
        f.write(build().SerializeToString())


if __name__ == "__main__":
    main()
