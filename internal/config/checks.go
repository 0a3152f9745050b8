package config

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// negativeDuration names the first duration key set below zero. Every
// duration is a time span or a TTL, where a negative value means nothing
// (headers.max_age: -1h went out as max-age=-3600); walking the struct
// covers keys added later without a line each.
func negativeDuration(v reflect.Value, key string) error {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fkey := strings.TrimPrefix(key+"."+name, ".")
		switch f := v.Field(i); {
		case f.Type() == durationType:
			if f.Int() < 0 {
				return fmt.Errorf("%s must not be negative", fkey)
			}
		case f.Kind() == reflect.Struct:
			if err := negativeDuration(f, fkey); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkHeaderName refuses a configured response-header name that is not an
// RFC 9110 token (CR, LF, spaces, colons...): net/http drops such a header
// without a word, so the purge tags would silently never reach the CDN.
// "" is allowed where it turns the header off.
func checkHeaderName(key, name string) error {
	if name != "" && !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("%s: %q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", key, name)
	}
	return nil
}

// checkVisionURL accepts "" (no sidecar), http(s)://host[:port] and
// unix:/path, the forms vision.NewClient dials.
func checkVisionURL(s string) error {
	if s == "" {
		return nil
	}
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if path == "" {
			return fmt.Errorf("vision.url: %q names no socket path (unix:/run/pixmill-vision.sock)", s)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("vision.url: %q must be http://host:port, https://host:port or unix:/path", s)
	}
	return nil
}
