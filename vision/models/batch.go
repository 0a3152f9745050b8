package models

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// DynamicBatch rewrites a BlazeFace ONNX model (as tf2onnx wrote it, batch
// fixed at 1) so that it takes any batch size: the sidecar batches
// concurrent requests, and a GPU wants full batches. It changes exactly:
//
//   - the graph's inputs and outputs: a leading dimension of 1 becomes "N";
//   - each channel padding written as Concat(x, ConstantOfShape([1,c,h,w]))
//     becomes Pad(x, [0,0,0,0, 0,c,0,0]), which holds for any batch;
//   - each Reshape target shape [1, ...] becomes [-1, ...];
//   - value_info (intermediate shapes with batch 1) is dropped; ORT infers it.
//
// It works on the protobuf wire format (protowire), so it needs neither the
// ONNX schema nor Python, and keeps every byte it does not change. The
// result is checked by the engine tests: a batch of images gives the same
// outputs as each image alone.
func DynamicBatch(model []byte) ([]byte, error) {
	mfs, err := parse(model)
	if err != nil {
		return nil, fmt.Errorf("models: model: %w", err)
	}
	done := false
	for i, f := range mfs {
		if f.num != 7 { // ModelProto.graph
			continue
		}
		g, err := patchGraph(f.payload)
		if err != nil {
			return nil, fmt.Errorf("models: graph: %w", err)
		}
		mfs[i] = bytesField(7, g)
		done = true
	}
	if !done {
		return nil, fmt.Errorf("models: no graph")
	}
	return encode(mfs), nil
}

// GraphProto, NodeProto, TensorProto and ValueInfoProto field numbers.
const (
	graphNode, graphInit, graphInput, graphOutput, graphValueInfo = 1, 5, 11, 12, 13
	nodeInput, nodeOutput, nodeOpType, nodeAttr                   = 1, 2, 4, 5
	tensorDims, tensorType, tensorInt64, tensorName, tensorRaw    = 1, 2, 7, 8, 9
	attrName, attrInt                                             = 1, 3
	typeInt64                                                     = 7
)

type node struct {
	fields  []field
	op      string
	inputs  []string
	outputs []string
}

func patchGraph(graph []byte) ([]byte, error) {
	gfs, err := parse(graph)
	if err != nil {
		return nil, err
	}
	shapes := map[string][]int64{} // int64 initializers, by name
	var nodes []*node
	for _, f := range gfs {
		switch f.num {
		case graphInit:
			name, vals, err := int64Tensor(f.payload)
			if err != nil {
				return nil, err
			}
			if vals != nil {
				shapes[name] = vals
			}
		case graphNode:
			n, err := parseNode(f.payload)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
	}
	// ConstantOfShape outputs that pad channels, by output name.
	pads := map[string][]int64{}
	drop := map[*node]bool{}
	for _, n := range nodes {
		if n.op == "ConstantOfShape" && len(n.inputs) == 1 {
			if s := shapes[n.inputs[0]]; len(s) == 4 && s[0] == 1 {
				pads[n.outputs[0]] = []int64{0, 0, 0, 0, 0, s[1], 0, 0}
				drop[n] = true
			}
		}
	}
	var newInits []field
	patched := map[string]bool{}
	out := make([]field, 0, len(gfs))
	for _, f := range gfs {
		switch f.num {
		case graphValueInfo:
			continue
		case graphInput, graphOutput:
			p, err := batchDim(f.payload)
			if err != nil {
				return nil, err
			}
			f = bytesField(f.num, p)
		case graphNode:
			n := nodes[0]
			nodes = nodes[1:]
			if drop[n] {
				continue
			}
			if n.op == "Concat" && len(n.inputs) == 2 && pads[n.inputs[1]] != nil && concatAxis(n) == 1 {
				name := n.inputs[1] + "/pads"
				newInits = append(newInits, bytesField(graphInit, int64TensorBytes(name, pads[n.inputs[1]])))
				f = bytesField(graphNode, padNode(n, name))
				patched[n.inputs[1]] = true
			}
			if n.op == "Reshape" && len(n.inputs) == 2 {
				if s := shapes[n.inputs[1]]; len(s) > 0 && s[0] == 1 {
					s[0] = -1 // shared slice: the initializer is rewritten below
				}
			}
		}
		out = append(out, f)
	}
	if len(patched) != len(pads) {
		return nil, fmt.Errorf("%d ConstantOfShape paddings, %d rewritten", len(pads), len(patched))
	}
	for i, f := range out {
		if f.num != graphInit {
			continue
		}
		name, vals, err := int64Tensor(f.payload)
		if err != nil {
			return nil, err
		}
		if len(vals) > 0 && vals[0] == 1 {
			if s := shapes[name]; len(s) > 0 && s[0] == -1 {
				out[i] = bytesField(graphInit, int64TensorBytes(name, s))
			}
		}
	}
	return encode(append(out, newInits...)), nil
}

func parseNode(b []byte) (*node, error) {
	fs, err := parse(b)
	if err != nil {
		return nil, err
	}
	n := &node{fields: fs}
	for _, f := range fs {
		switch f.num {
		case nodeInput:
			n.inputs = append(n.inputs, string(f.payload))
		case nodeOutput:
			n.outputs = append(n.outputs, string(f.payload))
		case nodeOpType:
			n.op = string(f.payload)
		}
	}
	return n, nil
}

// concatAxis returns a Concat node's axis attribute (-1 when absent).
func concatAxis(n *node) int64 {
	for _, f := range n.fields {
		if f.num != nodeAttr {
			continue
		}
		afs, err := parse(f.payload)
		if err != nil {
			return -1
		}
		var name string
		var v int64 = -1
		for _, a := range afs {
			switch a.num {
			case attrName:
				name = string(a.payload)
			case attrInt:
				v = int64(a.varint)
			}
		}
		if name == "axis" {
			return v
		}
	}
	return -1
}

// padNode turns Concat(x, zeros) into Pad(x, pads): same name, same output.
func padNode(n *node, pads string) []byte {
	var fs []field
	for _, f := range n.fields {
		switch f.num {
		case nodeInput, nodeAttr:
			continue
		case nodeOpType:
			f = bytesField(nodeOpType, []byte("Pad"))
		}
		fs = append(fs, f)
	}
	fs = append([]field{bytesField(nodeInput, []byte(n.inputs[0])), bytesField(nodeInput, []byte(pads))}, fs...)
	return encode(fs)
}

// int64Tensor returns an INT64 initializer's name and values (nil values for
// any other type).
func int64Tensor(b []byte) (string, []int64, error) {
	fs, err := parse(b)
	if err != nil {
		return "", nil, err
	}
	var name string
	var isInt64 bool
	var vals []int64
	for _, f := range fs {
		switch f.num {
		case tensorName:
			name = string(f.payload)
		case tensorType:
			isInt64 = f.varint == typeInt64
		case tensorInt64:
			if f.typ == protowire.BytesType {
				for p := f.payload; len(p) > 0; {
					v, n := protowire.ConsumeVarint(p)
					if n < 0 {
						return "", nil, protowire.ParseError(n)
					}
					vals, p = append(vals, int64(v)), p[n:]
				}
			} else {
				vals = append(vals, int64(f.varint))
			}
		case tensorRaw:
			for p := f.payload; len(p) >= 8; p = p[8:] {
				vals = append(vals, int64(binary.LittleEndian.Uint64(p)))
			}
		}
	}
	if !isInt64 {
		return name, nil, nil
	}
	return name, vals, nil
}

func int64TensorBytes(name string, vals []int64) []byte {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	fs := []field{varintField(tensorDims, uint64(len(vals))), varintField(tensorType, typeInt64),
		bytesField(tensorName, []byte(name)), bytesField(tensorRaw, raw)}
	return encode(fs)
}

// batchDim rewrites a ValueInfoProto whose tensor shape starts with 1 so
// that it starts with the symbolic dimension "N".
func batchDim(vi []byte) ([]byte, error) {
	// ValueInfoProto.type(2) > TypeProto.tensor_type(1) > shape(2) > dim(1) > dim_value(1)
	return rewrite(vi, []protowire.Number{2, 1, 2}, func(shape []byte) ([]byte, error) {
		fs, err := parse(shape)
		if err != nil {
			return nil, err
		}
		for i, f := range fs {
			if f.num != 1 {
				continue
			}
			dfs, err := parse(f.payload)
			if err != nil {
				return nil, err
			}
			if len(dfs) == 1 && dfs[0].num == 1 && dfs[0].varint == 1 {
				fs[i] = bytesField(1, encode([]field{bytesField(2, []byte("N"))}))
			}
			break // only the first dimension
		}
		return encode(fs), nil
	})
}

// rewrite applies fn to the message at path inside b (first match at each level).
func rewrite(b []byte, path []protowire.Number, fn func([]byte) ([]byte, error)) ([]byte, error) {
	if len(path) == 0 {
		return fn(b)
	}
	fs, err := parse(b)
	if err != nil {
		return nil, err
	}
	for i, f := range fs {
		if f.num == path[0] && f.typ == protowire.BytesType {
			p, err := rewrite(f.payload, path[1:], fn)
			if err != nil {
				return nil, err
			}
			fs[i] = bytesField(f.num, p)
			return encode(fs), nil
		}
	}
	return b, nil
}
