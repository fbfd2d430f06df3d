// Package docs holds the documentation's tests: the tables of models in
// README.md and docs/models.md are rendered from the registry
// (internal/models) and must match it, so they cannot drift from the rules
// the operator enforces.
package docs

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
)

var update = flag.Bool("update", false, "rewrite the generated tables in README.md and docs/models.md")

// TestGeneratedTables: each generated table in the docs is what the
// registry renders today. On a difference it prints the expected table;
// `go test ./docs -update` writes it in.
func TestGeneratedTables(t *testing.T) {
	for _, tc := range []struct {
		file, marker string
		render       func() (string, error)
	}{
		{"../README.md", "models-table", func() (string, error) { return modelTable(), nil }},
		{"models.md", "estimate-table", estimateTable},
	} {
		t.Run(tc.file+"/"+tc.marker, func(t *testing.T) {
			want, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, replaced, err := between(string(raw), tc.marker, want)
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if got == want {
				return
			}
			if *update {
				if err := os.WriteFile(tc.file, []byte(replaced), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Errorf("%s: the %s table differs from the registry's (go test ./docs -update rewrites it); want:\n%s", filepath.Base(tc.file), tc.marker, want)
		})
	}
}

// between returns the text between the marker comments <!-- name:begin ... -->
// and <!-- name:end --> in doc, and doc with that text replaced by repl.
func between(doc, name, repl string) (got, replaced string, err error) {
	beginTag, endTag := "<!-- "+name+":begin", "<!-- "+name+":end -->"
	b := strings.Index(doc, beginTag)
	if b < 0 {
		return "", "", fmt.Errorf("no %q marker", beginTag)
	}
	nl := strings.Index(doc[b:], "-->\n")
	if nl < 0 {
		return "", "", fmt.Errorf("marker %q is not closed by -->", beginTag)
	}
	start := b + nl + len("-->\n")
	end := strings.Index(doc[start:], endTag)
	if end < 0 {
		return "", "", fmt.Errorf("no %q after %q", endTag, beginTag)
	}
	end += start
	return doc[start:end], doc[:start] + repl + doc[end:], nil
}

// modelTable renders one row per registry model, the current ones first
// (by name), then the retired ones (by shutdown date, then name). A dated
// snapshot is folded into its model's row when it has the same contract
// (as the registry makes it); one that differs gets a row of its own.
func modelTable() string {
	var b strings.Builder
	b.WriteString("| model | sizes | n, prompt | qualities | output formats | edit inputs | output | price (USD) | shutdown → replacement |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	all := models.All()
	slices.SortStableFunc(all, func(a, b models.Model) int {
		switch {
		case a.Retirement == nil || b.Retirement == nil:
			return cmp.Compare(retiredRank(a), retiredRank(b))
		default:
			return a.Retirement.Shutdown.Compare(b.Retirement.Shutdown)
		}
	})
	snapshots := map[string][]string{}
	for _, m := range all {
		if m.SnapshotOf != "" {
			if base, ok := models.Lookup(m.SnapshotOf); ok && sameContract(base, m) {
				snapshots[m.SnapshotOf] = append(snapshots[m.SnapshotOf], m.Name)
			}
		}
	}
	for _, m := range all {
		if slices.Contains(snapshots[m.SnapshotOf], m.Name) {
			continue
		}
		name := "`" + m.Name + "`"
		for _, s := range snapshots[m.Name] {
			name += " (snapshot `" + s + "`)"
		}
		if m.SnapshotOf != "" {
			name += " (snapshot of `" + m.SnapshotOf + "`)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s, ≤ %d chars | %s | %s | %s | %s | %s | %s |\n",
			name, sizes(m), nRange(m.MaxN), m.MaxPromptChars, list(m.Qualities), formats(m), inputs(m), output(m), price(m), retirement(m))
	}
	return b.String()
}

// retiredRank sorts current models before retired ones.
func retiredRank(m models.Model) int {
	if m.Retirement == nil {
		return 0
	}
	return 1
}

func nRange(maxN int) string {
	if maxN == 1 {
		return "n 1"
	}
	return fmt.Sprintf("n 1–%d", maxN)
}

// sameContract reports whether a snapshot has its base model's rules and prices.
func sameContract(base, snap models.Model) bool {
	snap.Name, snap.SnapshotOf = base.Name, base.SnapshotOf
	return reflect.DeepEqual(base, snap)
}

func list(values []string) string {
	if len(values) == 0 {
		return "—"
	}
	return strings.Join(values, ", ")
}

// withDefault lists values, marking def.
func withDefault(values []string, def string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v
		if v == def {
			out[i] += " (default)"
		}
	}
	return strings.Join(out, ", ")
}

func sizes(m models.Model) string {
	s := withDefault(m.Sizes, m.DefaultSize)
	if r := m.CustomSizes; r != nil {
		s += fmt.Sprintf("; custom WxH: sides multiples of %d, aspect ≤ %d:1, edge ≤ %d, ≤ %s pixels", r.Multiple, r.MaxAspect, r.MaxEdge, thousands(r.MaxPixels))
	}
	return s
}

func formats(m models.Model) string {
	if len(m.OutputFormats) == 0 {
		return "png (no parameter)"
	}
	return withDefault(m.OutputFormats, m.DefaultOutputFormat)
}

func inputs(m models.Model) string {
	if !m.SupportsEdit {
		return "no edits"
	}
	s := fmt.Sprintf("%d %s < %s", m.MaxInputImages, strings.Join(m.InputFormats, "/"), mb(m.MaxInputBytes))
	if m.MaxInputImages > 1 {
		s = "≤ " + s + " each"
	}
	if m.SquareInput {
		s += ", square"
	}
	return s + fmt.Sprintf("; mask png < %s", mb(m.MaxMaskBytes))
}

func mb(n int64) string { return fmt.Sprintf("%d MB", n>>20) }

// thousands renders n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func output(m models.Model) string {
	if m.Output == models.OutputBase64 {
		return "base64 (needs `--artifact-bucket`)"
	}
	return fmt.Sprintf("URL, valid %.0f min", m.URLValidity.Minutes())
}

func price(m models.Model) string {
	switch {
	case m.PriceModel == models.PricePerImage && len(m.PriceUSDPerImage) > 0:
		var parts []string
		for _, size := range m.Sizes {
			if p, ok := m.PriceUSDPerImage[size]; ok {
				parts = append(parts, fmt.Sprintf("%s %s", size, usd(p)))
			}
		}
		return "per image: " + strings.Join(parts, ", ")
	case m.PriceModel == models.PricePerToken && m.TokenPrices != nil:
		p := m.TokenPrices
		s := fmt.Sprintf("per 1M tokens: text in %s (cached %s), image in %s (cached %s), image out %s",
			usd(p.TextInput), usd(p.CachedTextInput), usd(p.ImageInput), usd(p.CachedImageInput), usd(p.ImageOutput))
		if p.TextOutput > 0 {
			s += ", text out " + usd(p.TextOutput)
		}
		return s
	}
	return "no verified price"
}

func usd(v float64) string {
	return "$" + strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func retirement(m models.Model) string {
	if m.Retirement == nil {
		return "—"
	}
	return fmt.Sprintf("%s → `%s`", m.Retirement.Shutdown.Format(time.DateOnly), m.Retirement.Replacement)
}

// estimateQualities are the estimate table's columns, in order.
var estimateQualities = []string{"low", "medium", "high", "xhigh", "max", "auto"}

// estimateTable renders the pre-call estimate (Model.Estimate) of one
// image per quality at 1024x1024 and at auto size, for every per-token
// model that is not retired and not a snapshot (snapshots price as their
// model), with an empty prompt, so it shows the output tokens' share.
func estimateTable() (string, error) {
	var b strings.Builder
	b.WriteString("| model | size | " + strings.Join(estimateQualities, " | ") + " |\n")
	b.WriteString("| --- | --- |" + strings.Repeat(" ---: |", len(estimateQualities)) + "\n")
	for _, m := range models.All() {
		if m.PriceModel != models.PricePerToken || m.Retirement != nil || m.SnapshotOf != "" {
			continue
		}
		for _, size := range []string{"1024x1024", "auto"} {
			row := []string{"`" + m.Name + "`", size}
			for _, q := range estimateQualities {
				if !slices.Contains(m.Qualities, q) {
					row = append(row, "—")
					continue
				}
				e, err := m.Estimate(models.Request{Model: m.Name, N: 1, Size: size, Quality: q})
				if err != nil {
					return "", fmt.Errorf("estimating %s %s %s: %w", m.Name, size, q, err)
				}
				row = append(row, fmt.Sprintf("$%.4f (%d tokens)", e.USD, e.Usage.ImageOutputTokens))
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	return b.String(), nil
}
