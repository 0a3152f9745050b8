package models

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one protobuf field: raw is its whole encoding (tag and value), so
// that fields nobody touches are written back byte for byte.
type field struct {
	num     protowire.Number
	typ     protowire.Type
	raw     []byte
	payload []byte // BytesType: the bytes
	varint  uint64 // VarintType: the value
}

func parse(b []byte) ([]field, error) {
	var fs []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		f := field{num: num, typ: typ, raw: b[:n+m]}
		switch typ {
		case protowire.BytesType:
			f.payload, _ = protowire.ConsumeBytes(b[n:])
		case protowire.VarintType:
			f.varint, _ = protowire.ConsumeVarint(b[n:])
		case protowire.StartGroupType:
			return nil, fmt.Errorf("field %d: groups are not ONNX", num)
		}
		fs = append(fs, f)
		b = b[n+m:]
	}
	return fs, nil
}

func encode(fs []field) []byte {
	size := 0
	for _, f := range fs {
		size += len(f.raw)
	}
	out := make([]byte, 0, size)
	for _, f := range fs {
		out = append(out, f.raw...)
	}
	return out
}

func bytesField(num protowire.Number, payload []byte) field {
	raw := protowire.AppendTag(nil, num, protowire.BytesType)
	raw = protowire.AppendBytes(raw, payload)
	return field{num: num, typ: protowire.BytesType, raw: raw, payload: payload}
}

func varintField(num protowire.Number, v uint64) field {
	raw := protowire.AppendTag(nil, num, protowire.VarintType)
	raw = protowire.AppendVarint(raw, v)
	return field{num: num, typ: protowire.VarintType, raw: raw, varint: v}
}
