package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides every leaf key from PIXMILL_<PATH> where PATH is the yaml
// path upper-cased and joined by "_": signing.keys is PIXMILL_SIGNING_KEYS
// (comma-separated), limits.max_source_bytes is PIXMILL_LIMITS_MAX_SOURCE_BYTES.
// Maps (presets) are not overridable from the environment.
func applyEnv(c *Config, lookup func(string) (string, bool)) error {
	return walkEnv(reflect.ValueOf(c).Elem(), "PIXMILL", "", lookup)
}

func walkEnv(v reflect.Value, env, key string, lookup func(string) (string, bool)) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fenv := env + "_" + strings.ToUpper(name)
		fkey := strings.TrimPrefix(key+"."+name, ".")
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			if err := walkEnv(fv, fenv, fkey, lookup); err != nil {
				return err
			}
			continue
		}
		s, ok := lookup(fenv)
		if !ok {
			continue
		}
		if err := setFromString(fv, s); err != nil {
			return fmt.Errorf("%s (%s): %w", fenv, fkey, err)
		}
	}
	return nil
}

var durationType = reflect.TypeOf(Duration(0))

func setFromString(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 10s", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot be set from the environment")
		}
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
