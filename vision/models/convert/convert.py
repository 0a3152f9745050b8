#!/usr/bin/python3
"""Converts a MediaPipe face detector (TFLite flatbuffer) to ONNX.

    /usr/bin/python3 vision/models/convert/convert.py IN.tflite OUT.onnx

Runs on Debian's python3-onnx, python3-flatbuffers and python3-numpy. The
graph is rebuilt op by op in NCHW, between a Transpose of the NHWC input
(input "input", [batch, height, width, 3], RGB in [-1, 1]) and the model's
own NHWC reshapes at the outputs, with batch, height and width left dynamic
(height and width must be multiples of 32 for the heads to line up). fp16
weights behind DEQUANTIZE ops are dequantised to fp32 constants, as the TFLite
graph does at load. TF's SAME padding is ONNX's SAME_UPPER (the odd pixel of
padding goes after), never symmetric pads. The output is deterministic: the
same input file gives the same bytes.
"""

import sys

import numpy as np
import onnx
from flatbuffers import number_types as N
from onnx import TensorProto, helper, numpy_helper

import tflite as tf

OPSET = 13


def const_array(m, t):
    data = m.buffers[t.buffer]
    dtype = {tf.FLOAT32: np.float32, tf.FLOAT16: np.float16, tf.INT32: np.int32}[t.type]
    return np.frombuffer(data, dtype=dtype).reshape(t.shape)


def convert(data):
    m = tf.Model(bytearray(data))
    nodes, inits = [], []
    consts = {}   # tensor index -> numpy array (weights, dequantised)
    names = {}    # tensor index -> ONNX value name
    counter = [0]

    def fresh(base):
        counter[0] += 1
        return f"{base}__{counter[0]}"

    def init(name, arr):
        inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=fresh(op), **attrs))

    def act(fn, x, out):
        if fn == tf.ACT_NONE:
            return x
        if fn == tf.ACT_RELU:
            node("Relu", [x], [out])
        elif fn == tf.ACT_RELU6:
            node("Clip", [x, init(fresh("zero"), np.array(0, np.float32)), init(fresh("six"), np.array(6, np.float32))], [out])
        else:
            raise ValueError(f"activation {fn} not supported")
        return out

    for i, t in enumerate(m.tensors):
        if m.buffers[t.buffer]:
            consts[i] = const_array(m, t)

    (inp,) = m.inputs
    in_name = m.tensors[inp].name
    names[inp] = "nchw_input"
    node("Transpose", [in_name], ["nchw_input"], perm=[0, 3, 1, 2])

    def val(i):
        if i in names:
            return names[i]
        # A constant used as an activation input (not seen in these models).
        raise ValueError(f"tensor {m.tensors[i].name} has no producer")

    for op in m.operators:
        out = op.outputs[0]
        out_name = m.tensors[out].name
        code = op.code
        if code == tf.DEQUANTIZE:
            consts[out] = consts[op.inputs[0]].astype(np.float32)
            continue
        if code in (tf.CONV_2D, tf.DEPTHWISE_CONV_2D):
            x, w, b = op.inputs
            wt = consts[w].astype(np.float32)
            pad = op.opt(0, N.Int8Flags)
            sw, sh = op.opt(1), op.opt(2)
            if code == tf.CONV_2D:
                fn = op.opt(3, N.Int8Flags)
                dw, dh = op.opt(4, default=1), op.opt(5, default=1)
                kernel = wt.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                if op.opt(3, default=1) != 1:
                    raise ValueError("depth_multiplier != 1 not supported")
                fn = op.opt(4, N.Int8Flags)
                dw, dh = op.opt(5, default=1), op.opt(6, default=1)
                kernel = wt.transpose(3, 0, 1, 2)  # 1HWC -> C1HW
                group = kernel.shape[0]
            wn = init(m.tensors[w].name + "/oihw", np.ascontiguousarray(kernel))
            bn = init(m.tensors[b].name, consts[b].astype(np.float32))
            conv_out = out_name if fn == tf.ACT_NONE else fresh(out_name + "/preact")
            node("Conv", [val(x), wn, bn], [conv_out], kernel_shape=list(kernel.shape[2:]),
                 strides=[sh, sw], dilations=[dh, dw], group=group,
                 auto_pad="SAME_UPPER" if pad == tf.SAME else "VALID")
            names[out] = act(fn, conv_out, out_name)
        elif code == tf.MAX_POOL_2D:
            pad, sw, sh, fw, fh, fn = (op.opt(k, N.Int8Flags if k in (0, 5) else N.Int32Flags) for k in range(6))
            pool_out = out_name if fn == tf.ACT_NONE else fresh(out_name + "/preact")
            node("MaxPool", [val(op.inputs[0])], [pool_out], kernel_shape=[fh, fw], strides=[sh, sw],
                 auto_pad="SAME_UPPER" if pad == tf.SAME else "VALID")
            names[out] = act(fn, pool_out, out_name)
        elif code == tf.ADD:
            fn = op.opt(0, N.Int8Flags)
            add_out = out_name if fn == tf.ACT_NONE else fresh(out_name + "/preact")
            node("Add", [val(op.inputs[0]), val(op.inputs[1])], [add_out])
            names[out] = act(fn, add_out, out_name)
        elif code == tf.RELU:
            node("Relu", [val(op.inputs[0])], [out_name])
            names[out] = out_name
        elif code == tf.PAD:
            p = consts[op.inputs[1]].astype(np.int64)  # NHWC rows of (before, after)
            nchw = p[[0, 3, 1, 2]]
            pads = np.concatenate([nchw[:, 0], nchw[:, 1]])
            node("Pad", [val(op.inputs[0]), init(fresh(out_name + "/pads"), pads)], [out_name], mode="constant")
            names[out] = out_name
        elif code == tf.RESIZE_BILINEAR:
            src, dst = m.tensors[op.inputs[0]].shape, m.tensors[out].shape
            if dst[1] != 2 * src[1] or dst[2] != 2 * src[2]:
                raise ValueError("only 2x bilinear upsampling is supported")
            align, half = op.opt(2, N.BoolFlags, False), op.opt(3, N.BoolFlags, False)
            mode = "align_corners" if align else "half_pixel" if half else "asymmetric"
            node("Resize", [val(op.inputs[0]), "", init(fresh(out_name + "/scales"), np.array([1, 1, 2, 2], np.float32))],
                 [out_name], mode="linear", coordinate_transformation_mode=mode)
            names[out] = out_name
        elif code == tf.CONCATENATION:
            axis = op.opt(0)
            rank = len(m.tensors[out].shape)
            if rank == 4:
                axis = [0, 2, 3, 1][axis % 4]  # NHWC axis -> NCHW axis
            node("Concat", [val(i) for i in op.inputs], [out_name], axis=axis)
            names[out] = out_name
        elif code == tf.RESHAPE:
            x = op.inputs[0]
            shape = m.tensors[out].shape
            src = val(x)
            if len(m.tensors[x].shape) == 4:
                nhwc = fresh(out_name + "/nhwc")
                node("Transpose", [src], [nhwc], perm=[0, 2, 3, 1])
                src = nhwc
            # Batch copied, the middle dimension free: the anchors' count
            # follows the input size.
            target = np.array([0, -1] + list(shape[2:]), np.int64)
            node("Reshape", [src, init(fresh(out_name + "/shape"), target)], [out_name])
            names[out] = out_name
        else:
            raise ValueError(f"op {tf.OP_NAMES.get(code, code)} not supported")

    inputs = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, ["batch", "height", "width", 3])]
    outputs = []
    for o in m.outputs:
        t = m.tensors[o]
        if names[o] != t.name:
            node("Identity", [names[o]], [t.name])
        outputs.append(helper.make_tensor_value_info(t.name, TensorProto.FLOAT, ["batch", "anchors"] + t.shape[2:]))
    graph = helper.make_graph(nodes, "face_detection", inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="pixmill vision/models/convert",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 3:
        print("usage: convert.py IN.tflite OUT.onnx", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], "rb") as f:
        model = convert(f.read())
    with open(sys.argv[2], "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    main()
