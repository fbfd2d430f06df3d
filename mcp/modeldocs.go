package mcp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
)

// modelDocs are the registry's rules as the tools' schema states them:
// bounds and enums over every model (the per-model rules are checked by the
// imagerequests service) and descriptions that say which model takes what.
// Everything comes from internal/models and the operator's policy; no
// value is copied by hand.
//
// The descriptions do not depend on the clock, so tools/list is the same
// every day: they describe the models the policy would serve after every
// announced shutdown (current models and retired ones the operator
// declares served) and name every shutdown date. Snapshots are left out of
// the per-model lists: they keep the rules of the model they pin.
type modelDocs struct {
	policy models.Policy
	// described are the models the descriptions list, sorted by name.
	described []models.Model
}

// afterEveryShutdown is a time past any announced shutdown: a model
// available then is one the policy serves for good.
var afterEveryShutdown = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func newModelDocs(policy models.Policy) modelDocs {
	d := modelDocs{policy: policy}
	for _, m := range models.All() {
		if m.SnapshotOf == "" && policy.Available(m.Name, afterEveryShutdown) == nil {
			d.described = append(d.described, m)
		}
	}
	return d
}

// defaultModel is the model a request that names none gets.
func (d modelDocs) defaultModel() models.Model {
	m, _ := models.Lookup(d.policy.Resolve(""))
	return m
}

// maxOver is the largest value of a rule over all models.
func maxOver[T int | int64](value func(models.Model) T) T {
	var n T
	for _, m := range models.All() {
		n = max(n, value(m))
	}
	return n
}

// byModel renders what each described model takes, models with the same
// answer grouped: "dall-e-2: standard; gpt-image-2, gpt-image-2.6-*: low,
// medium, high, auto". only, when set, leaves out the models it refuses.
func (d modelDocs) byModel(only func(models.Model) bool, what func(models.Model) string) string {
	var order []string
	groups := map[string][]string{}
	for _, m := range d.described {
		if only != nil && !only(m) {
			continue
		}
		w := what(m)
		if _, seen := groups[w]; !seen {
			order = append(order, w)
		}
		groups[w] = append(groups[w], m.Name)
	}
	parts := make([]string, len(order))
	for i, w := range order {
		parts[i] = strings.Join(d.families(groups[w]), ", ") + ": " + w
	}
	return strings.Join(parts, "; ")
}

// families shortens names: when every described model named
// <family>-<variant> is in names, and there are several, they become
// "<family>-*" (gpt-image-2.5-sunburst and -flare: gpt-image-2.5-*).
func (d modelDocs) families(names []string) []string {
	family := func(name string) string {
		if i := strings.LastIndex(name, "-"); i > 0 {
			return name[:i]
		}
		return name
	}
	members := map[string]int{}
	for _, m := range d.described {
		members[family(m.Name)]++
	}
	inGroup := map[string]int{}
	for _, n := range names {
		inGroup[family(n)]++
	}
	var out []string
	for _, n := range names {
		f := family(n)
		switch {
		case inGroup[f] < 2 || inGroup[f] != members[f]:
			out = append(out, n)
		case !slices.Contains(out, f+"-*"):
			out = append(out, f+"-*")
		}
	}
	return out
}

// list renders values, or none.
func list(values []string) string {
	if len(values) == 0 {
		return "not taken"
	}
	return strings.Join(values, ", ")
}

func (d modelDocs) modelDescription(storesResults bool) string {
	var b strings.Builder
	def := d.defaultModel()
	fmt.Fprintf(&b, "upstream image model; left out, this operator's default, %s. ", def.Name)
	var served, retired []string
	for _, m := range models.All() {
		r := m.Retirement
		if r == nil || m.SnapshotOf != "" {
			continue
		}
		if d.policy.Available(m.Name, afterEveryShutdown) == nil {
			served = append(served, m.Name)
			continue
		}
		retired = append(retired, fmt.Sprintf("%s on %s (use %s)", m.Name, r.Shutdown.Format(time.DateOnly), r.Replacement))
	}
	if len(retired) > 0 {
		fmt.Fprintf(&b, "Shut down upstream, and refused from that day (rule retired): %s. ", strings.Join(retired, ", "))
	}
	if len(served) > 0 {
		fmt.Fprintf(&b, "Retired upstream but served by this operator's upstream: %s. ", strings.Join(served, ", "))
	}
	var inline []string
	for _, m := range d.described {
		if m.Output == models.OutputBase64 {
			inline = append(inline, m.Name)
		}
	}
	if len(inline) > 0 && !storesResults {
		fmt.Fprintf(&b, "%s return images only inline and need an artifact store, which this operator lacks: they are refused (rule artifactStore). ",
			strings.Join(d.families(inline), ", "))
	}
	b.WriteString("Dated snapshots (<model>-YYYY-MM-DD) keep the rules of the model they pin. list_models gives every model's rules and prices.")
	return b.String()
}

func (d modelDocs) promptDescription(what string) string {
	return what + ". Length by model: " + d.byModel(nil, func(m models.Model) string { return fmt.Sprintf("at most %d characters", m.MaxPromptChars) })
}

func (d modelDocs) sizeDescription() string {
	return "WIDTHxHEIGHT of each image in pixels, or auto; left out, the model's default. " + d.byModel(nil, func(m models.Model) string {
		s := fmt.Sprintf("%s (default %s)", strings.Join(m.Sizes, ", "), m.DefaultSize)
		if r := m.CustomSizes; r != nil {
			s += fmt.Sprintf(" or any WxH with both sides multiples of %d (rule multipleOf), an aspect ratio between 1:%d and %d:1 (rule aspectRatio) and at most %d px a side and %d px in all (rule maxPixels)",
				r.Multiple, r.MaxAspect, r.MaxAspect, r.MaxEdge, r.MaxPixels)
		}
		return s
	})
}

func (d modelDocs) qualityDescription() string {
	return "rendering quality; left out, the model's default. " + d.byModel(nil, func(m models.Model) string { return list(m.Qualities) })
}

func (d modelDocs) backgroundDescription() string {
	return "background of the images; transparent needs an output_format that keeps transparency. " + d.byModel(nil, func(m models.Model) string {
		if len(m.Backgrounds) == 0 {
			return "not taken"
		}
		s := list(m.Backgrounds)
		if len(m.TransparentFormats) > 0 {
			s += " (transparent with " + strings.Join(m.TransparentFormats, " or ") + ")"
		}
		return s
	})
}

func (d modelDocs) outputFormatDescription() string {
	return "file format of the images. " + d.byModel(nil, func(m models.Model) string {
		if len(m.OutputFormats) == 0 {
			return "not taken (PNG)"
		}
		return fmt.Sprintf("%s (default %s)", list(m.OutputFormats), m.DefaultOutputFormat)
	})
}

func (d modelDocs) compressionDescription() string {
	return "compression level of the images, 0-100, for some output formats only (rule requires). " + d.byModel(nil, func(m models.Model) string {
		if len(m.CompressionFormats) == 0 {
			return "not taken"
		}
		return "with output_format " + strings.Join(m.CompressionFormats, " or ")
	})
}

func (d modelDocs) moderationDescription(edit bool) string {
	if edit {
		return "not taken by edits: the edits endpoint has no moderation parameter (rule unsupported); it applies to generate_image only"
	}
	return "content moderation of the generation; left out, the model's default. " + d.byModel(nil, func(m models.Model) string { return list(m.Moderations) })
}

// inputsDescription says what each editing model takes as input images.
func (d modelDocs) inputsDescription() string {
	return d.byModel(func(m models.Model) bool { return m.SupportsEdit }, func(m models.Model) string {
		names := make([]string, len(m.InputFormats))
		for i, f := range m.InputFormats {
			names[i] = strings.Replace(strings.ToUpper(f), "WEBP", "WebP", 1)
		}
		formats := strings.Join(names, "/")
		if m.SquareInput {
			formats = "square " + formats
		}
		s := fmt.Sprintf("one %s image under %d MB", formats, m.MaxInputBytes>>20)
		if m.MaxInputImages > 1 {
			s = fmt.Sprintf("up to %d %s images (image and %d additional_images) under %d MB each", m.MaxInputImages, formats, m.MaxInputImages-1, m.MaxInputBytes>>20)
		}
		if m.TransparentInput {
			s += ", with transparent pixels marking what to repaint unless a mask is given"
		}
		return s + fmt.Sprintf(", a mask under %d MB", m.MaxMaskBytes>>20)
	})
}

// maxAdditionalImages is the most images an edit takes after the first.
func maxAdditionalImages() int {
	return maxOver(func(m models.Model) int { return m.MaxInputImages }) - 1
}
