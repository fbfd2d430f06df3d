package models

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// SizeRule is the rule a custom "WxH" size must satisfy.
type SizeRule struct {
	// Multiple: both sides must be divisible by it.
	Multiple int
	// MaxAspect bounds long side / short side (3 means 1:3 to 3:1).
	MaxAspect int
	// MaxEdge bounds each side, MaxPixels the product of the two.
	MaxEdge   int
	MaxPixels int
}

// sizeViolation is a broken size rule: the rule word and what is wrong.
type sizeViolation struct {
	rule, message string
}

func (v *sizeViolation) Error() string { return v.message }

// ParseSize reads "WxH" with positive decimal sides and no sign, space or
// leading zero, the form the upstream takes.
func ParseSize(s string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	w, okW := side(ws)
	h, okH := side(hs)
	return w, h, okW && okH
}

func side(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Check returns nil if size satisfies r, else the first rule it breaks.
func (r SizeRule) Check(size string) *sizeViolation {
	w, h, ok := ParseSize(size)
	if !ok {
		return &sizeViolation{rules.Pattern, fmt.Sprintf("%q is not of the form WIDTHxHEIGHT", size)}
	}
	if w%r.Multiple != 0 || h%r.Multiple != 0 {
		return &sizeViolation{rules.MultipleOf, fmt.Sprintf("%s: width and height must both be multiples of %d", size, r.Multiple)}
	}
	long, short := max(w, h), min(w, h)
	if long > r.MaxAspect*short {
		return &sizeViolation{rules.AspectRatio, fmt.Sprintf("%s: the aspect ratio must be between 1:%d and %d:1", size, r.MaxAspect, r.MaxAspect)}
	}
	if long > r.MaxEdge || w*h > r.MaxPixels {
		return &sizeViolation{rules.MaxPixels, fmt.Sprintf("%s: at most %d pixels on a side and %d pixels in all", size, r.MaxEdge, r.MaxPixels)}
	}
	return nil
}
