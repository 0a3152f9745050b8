// Package presets is pixmill's URL language: it turns a request path
// "/{signature}/{transform}/{source-key}" into a verified, validated and
// normalized spec.Options, gives every meaning one canonical transform string
// (the cache key), signs paths, expands named presets and builds srcset
// ladders. docs/url.md is the user-facing reference.
//
// It imports no cgo so that the fuzzer and the CLI need no libvips.
package presets

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/pixmill/pixmill/transform/spec"
)

// Preset is a named transform from config, with an optional srcset ladder.
type Preset struct {
	Transform string `yaml:"transform"`
	Widths    []int  `yaml:"widths"`
	Public    bool   `yaml:"public"`
}

// Config is what a Parser needs. Zero values take the documented defaults.
type Config struct {
	Keys          [][]byte // HMAC keys; any one verifying is enough (rotation). Sign uses Keys[0].
	SignatureSize int      // bytes of HMAC kept before base64url (default 16, allowed 8..32)
	AllowUnsigned bool
	Presets       map[string]Preset
	MaxDimension  int     // max target size in device px (width*dpr, height*dpr); default 8192
	MaxDPR        float64 // default 4
}

// The parser's defaults; DefaultConfig gathers them.
const (
	DefaultSignatureSize = 16
	DefaultMaxDPR        = 4
)

// DefaultConfig is the parser's built-in configuration: no keys, no
// presets, 16-byte signatures, boxes up to spec.DefaultMaxDimension device
// px, dpr up to 4.
func DefaultConfig() Config {
	return Config{SignatureSize: DefaultSignatureSize, MaxDimension: spec.DefaultMaxDimension, MaxDPR: DefaultMaxDPR}
}

// withDefaults fills the zero values that DefaultConfig sets.
func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	if cfg.SignatureSize == 0 {
		cfg.SignatureSize = d.SignatureSize
	}
	if cfg.MaxDimension == 0 {
		cfg.MaxDimension = d.MaxDimension
	}
	if cfg.MaxDPR == 0 {
		cfg.MaxDPR = d.MaxDPR
	}
	return cfg
}

// check names the configuration key of the first bad value.
func (cfg Config) check() error {
	switch {
	case cfg.SignatureSize < 8 || cfg.SignatureSize > 32:
		return fmt.Errorf("signing.size: %d is out of range 8..32", cfg.SignatureSize)
	case cfg.MaxDimension < 1:
		return fmt.Errorf("limits.max_output_dimension: %d must be positive", cfg.MaxDimension)
	case !(cfg.MaxDPR >= 1) || math.IsInf(cfg.MaxDPR, 0):
		return fmt.Errorf("limits.max_dpr: %v must be at least 1", cfg.MaxDPR)
	}
	return nil
}

// CheckConfig reports what New would refuse in cfg (keys aside), naming
// the configuration key, so that a bad file fails when it is loaded.
func CheckConfig(cfg Config) error { return cfg.withDefaults().check() }

// Parser parses and signs URLs for one Config. It is immutable after New and
// safe for concurrent use.
type Parser struct {
	cfg     Config
	presets map[string]*presetDef
	macs    []*macPool // one per key, in Config.Keys order
}

// presetDef is a Preset with its transform parsed once, at New: opts holds
// the values it sets and mask says which fields those are.
type presetDef struct {
	Preset
	opts spec.Options
	mask field
}

// New validates cfg, applies its defaults and parses every preset. A Config
// with no keys is valid: only public presets (or everything, with
// AllowUnsigned) can be served then.
func New(cfg Config) (*Parser, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}

	p := &Parser{presets: make(map[string]*presetDef, len(cfg.Presets))}
	keys := make([][]byte, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if len(k) == 0 {
			return nil, fmt.Errorf("presets: Keys[%d] (signing.keys) is empty", i)
		}
		keys[i] = slices.Clone(k)
		p.macs = append(p.macs, newMACPool(keys[i]))
	}
	named := cfg.Presets
	cfg.Keys = keys
	cfg.Presets = nil // p.presets is the truth from here on
	p.cfg = cfg

	// Sorted so that, of several bad presets, the same one is reported.
	for _, name := range slices.Sorted(maps.Keys(named)) {
		d, err := p.loadPreset(name, named[name])
		if err != nil {
			return nil, err
		}
		p.presets[name] = d
	}
	return p, nil
}

// loadPreset validates one preset and parses its transform. Presets may not
// name other presets: that keeps expansion linear and free of cycles.
func (p *Parser) loadPreset(name string, pr Preset) (*presetDef, error) {
	if !validPresetName(name) {
		return nil, fmt.Errorf("presets: preset %q: name must match [a-z0-9_-]+ and not be \"_\"", name)
	}
	if _, ok := optionByName[name]; ok {
		return nil, fmt.Errorf("presets: preset %q: name collides with an option name or alias", name)
	}
	widths := slices.Clone(pr.Widths)
	slices.Sort(widths)
	widths = slices.Compact(widths)
	for _, w := range widths {
		if w < 1 || w > p.cfg.MaxDimension {
			return nil, fmt.Errorf("presets: preset %q: width %d is out of range 1..%d", name, w, p.cfg.MaxDimension)
		}
	}
	pr.Widths = widths
	st, err := p.applyTransform(pr.Transform, false)
	if err == nil {
		_, err = p.finish(&st)
	}
	if err == nil && st.mask&fExpires != 0 {
		err = errors.New("exp= belongs in a URL: a preset would expire every URL that names it")
	}
	if err != nil {
		return nil, fmt.Errorf("presets: preset %q: %w", name, err)
	}
	return &presetDef{Preset: pr, opts: st.opts, mask: st.mask}, nil
}

func validPresetName(name string) bool {
	if name == "" || name == "_" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Presets returns a copy of the configured presets, widths sorted.
func (p *Parser) Presets() map[string]Preset {
	out := make(map[string]Preset, len(p.presets))
	for name, d := range p.presets {
		pr := d.Preset
		pr.Widths = slices.Clone(pr.Widths)
		out[name] = pr
	}
	return out
}

var errNoKeys = errors.New("presets: no signing keys configured")

// macPool keeps HMAC states for one key so that verifying does not rebuild
// the keyed hash (two SHA-256 blocks) on every request.
type macPool struct {
	key  []byte
	pool sync.Pool
}
