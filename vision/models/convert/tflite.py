"""A minimal reader for the TFLite flatbuffer (tensorflow/lite/schema/schema.fbs),
written by hand for the tables and fields the MediaPipe face detectors use.
Field ids are the schema's; a vtable slot is 4 + 2 * id."""

import flatbuffers
from flatbuffers import number_types as N
from flatbuffers.table import Table

# TensorType
FLOAT32, FLOAT16, INT32 = 0, 1, 2
# BuiltinOperator
ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D = 0, 1, 2, 3, 4
DEQUANTIZE, LOGISTIC, MAX_POOL_2D, MUL, RELU, RELU6, RESHAPE = 6, 14, 17, 18, 19, 21, 22
RESIZE_BILINEAR, PAD, RESIZE_NEAREST_NEIGHBOR, PRELU = 23, 34, 97, 54
OP_NAMES = {v: k for k, v in dict(
    ADD=ADD, AVERAGE_POOL_2D=AVERAGE_POOL_2D, CONCATENATION=CONCATENATION, CONV_2D=CONV_2D,
    DEPTHWISE_CONV_2D=DEPTHWISE_CONV_2D, DEQUANTIZE=DEQUANTIZE, LOGISTIC=LOGISTIC,
    MAX_POOL_2D=MAX_POOL_2D, MUL=MUL, RELU=RELU, RELU6=RELU6, RESHAPE=RESHAPE,
    RESIZE_BILINEAR=RESIZE_BILINEAR, PAD=PAD, RESIZE_NEAREST_NEIGHBOR=RESIZE_NEAREST_NEIGHBOR,
    PRELU=PRELU).items()}
# Padding
SAME, VALID = 0, 1
# ActivationFunctionType
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3


class T:
    """A flatbuffer table with typed field access by schema field id."""

    def __init__(self, buf, pos):
        self.tab = Table(buf, pos)

    def _o(self, fid):
        return self.tab.Offset(4 + 2 * fid)

    def scalar(self, fid, flags, default=0):
        o = self._o(fid)
        return self.tab.Get(flags, o + self.tab.Pos) if o else default

    def string(self, fid):
        o = self._o(fid)
        return self.tab.String(o + self.tab.Pos).decode() if o else ""

    def table(self, fid):
        o = self._o(fid)
        return T(self.tab.Bytes, self.tab.Indirect(o + self.tab.Pos)) if o else None

    def tables(self, fid):
        o = self._o(fid)
        if not o:
            return []
        v, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return [T(self.tab.Bytes, self.tab.Indirect(v + 4 * i)) for i in range(n)]

    def ints(self, fid):
        o = self._o(fid)
        if not o:
            return []
        v, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return [self.tab.Get(N.Int32Flags, v + 4 * i) for i in range(n)]

    def bytes(self, fid):
        o = self._o(fid)
        if not o:
            return b""
        v, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return bytes(self.tab.Bytes[v:v + n])


class Tensor:
    def __init__(self, t):
        self.shape = t.ints(0)
        self.type = t.scalar(1, N.Int8Flags)
        self.buffer = t.scalar(2, N.Uint32Flags)
        self.name = t.string(3)


class Operator:
    def __init__(self, t, codes):
        self.code = codes[t.scalar(0, N.Uint32Flags)]
        self.inputs = t.ints(1)
        self.outputs = t.ints(2)
        self.options = t.table(4)

    def opt(self, fid, flags=N.Int32Flags, default=0):
        if self.options is None:
            return default
        return self.options.scalar(fid, flags, default)


class Model:
    """Model: operator_codes (1), subgraphs (2), buffers (4); the first subgraph."""

    def __init__(self, data):
        root = T(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))
        codes = []
        for c in root.tables(1):
            # builtin_code (3) superseded deprecated_builtin_code (0) past 127.
            codes.append(max(c.scalar(0, N.Int8Flags), c.scalar(3, N.Int32Flags)))
        self.buffers = [b.bytes(0) for b in root.tables(4)]
        g = root.tables(2)[0]
        self.tensors = [Tensor(t) for t in g.tables(0)]
        self.inputs = g.ints(1)
        self.outputs = g.ints(2)
        self.operators = [Operator(o, codes) for o in g.tables(3)]
