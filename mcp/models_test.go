package mcp_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// listModels calls list_models as the agent and decodes its structured
// output.
func listModels(t *testing.T) (imagerequests.ModelCatalog, string) {
	t.Helper()
	res := call(t, agent(t), mcp.ToolListModels, map[string]any{})
	if res.IsError {
		t.Fatalf("list_models failed: %s", text(res))
	}
	raw, err := json.Marshal(structured(t, res))
	if err != nil {
		t.Fatal(err)
	}
	var c imagerequests.ModelCatalog
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("structuredContent %s: %v", raw, err)
	}
	return c, text(res)
}

func TestListModelsListsTheRegistry(t *testing.T) {
	c, table := listModels(t)
	byName := map[string]imagerequests.ModelInfo{}
	for _, m := range c.Models {
		if _, dup := byName[m.Name]; dup {
			t.Errorf("%s listed twice", m.Name)
		}
		byName[m.Name] = m
		if !strings.Contains(table, m.Name) {
			t.Errorf("the text table does not name %s:\n%s", m.Name, table)
		}
	}
	if got, want := slices.Sorted(maps.Keys(byName)), models.AllNames(); !slices.Equal(got, want) {
		t.Fatalf("listed %v, registry has %v", got, want)
	}
	// The suite's operator runs the reference policy: dall-e-2 by default
	// and served, the current GPT models offered, the retired ones not.
	if want := (models.Policy{}).Offered(time.Now()); !slices.Equal(c.Offered, want) {
		t.Errorf("offered = %v, want the policy's %v", c.Offered, want)
	}
	if !slices.Contains(c.Offered, models.DALLE2) || !slices.Contains(c.Offered, models.GPTImage2) || slices.Contains(c.Offered, models.GPTImage1) {
		t.Errorf("offered = %v, want dall-e-2 and gpt-image-2 but not the retired gpt-image-1", c.Offered)
	}
	for _, m := range c.Models {
		if m.Offered != slices.Contains(c.Offered, m.Name) {
			t.Errorf("%s: offered %v, but the offered list says %v", m.Name, m.Offered, !m.Offered)
		}
	}
	if c.Default != models.DALLE2 {
		t.Errorf("default = %q, want the reference policy's %s", c.Default, models.DALLE2)
	}

	// dall-e-2: offered, priced per image exactly as the registry prices it.
	d2, reg := byName[models.DALLE2], mustLookup(t, models.DALLE2)
	if !d2.Offered || d2.Price.Model != string(models.PricePerImage) || d2.Output != "url" {
		t.Errorf("dall-e-2: offered %v, price model %q, output %q", d2.Offered, d2.Price.Model, d2.Output)
	}
	if !maps.Equal(d2.Price.PerImageUSD, reg.PriceUSDPerImage) || len(d2.Price.PerImageUSD) != 3 {
		t.Errorf("dall-e-2 per-image prices %v, registry %v", d2.Price.PerImageUSD, reg.PriceUSDPerImage)
	}
	if d2.Edit == nil || d2.Edit.MaxInputImages != 1 || !d2.Edit.SquareInput || d2.Edit.MaxInputBytes != 4<<20 {
		t.Errorf("dall-e-2 edit limits %+v", d2.Edit)
	}

	// gpt-image-2: offered, listed with token prices and its custom-size
	// rule.
	g2, reg2 := byName[models.GPTImage2], mustLookup(t, models.GPTImage2)
	if !g2.Offered {
		t.Error("gpt-image-2 is not offered")
	}
	tp := g2.Price.PerMillionTokensUSD
	if g2.Price.Model != string(models.PricePerToken) || tp == nil || len(g2.Price.PerImageUSD) != 0 {
		t.Fatalf("gpt-image-2 price %+v", g2.Price)
	}
	p := reg2.TokenPrices
	if tp.TextInput != p.TextInput || tp.CachedTextInput != p.CachedTextInput || tp.ImageInput != p.ImageInput ||
		tp.CachedImageInput != p.CachedImageInput || tp.ImageOutput != p.ImageOutput {
		t.Errorf("gpt-image-2 token prices %+v, registry %+v", *tp, *p)
	}
	if g2.Output != "b64_json" || g2.CustomSizes == "" || g2.Edit == nil || g2.Edit.MaxInputImages != 16 || g2.Retirement != nil {
		t.Errorf("gpt-image-2: %+v", g2)
	}
	if snap := byName[models.GPTImage2Snapshot]; snap.SnapshotOf != models.GPTImage2 {
		t.Errorf("%s snapshotOf = %q", models.GPTImage2Snapshot, snap.SnapshotOf)
	}

	// gpt-image-1: retired, with its date and replacement.
	g1 := byName[models.GPTImage1]
	if r := g1.Retirement; r == nil || r.ShutdownDate != "2026-10-23" || r.Replacement != models.GPTImage25Sunburst || !r.Retired || g1.Offered {
		t.Errorf("gpt-image-1: offered %v, retirement %+v", g1.Offered, g1.Retirement)
	}
	if !strings.Contains(table, "2026-10-23 -> "+models.GPTImage25Sunburst) {
		t.Errorf("the text table does not show gpt-image-1's retirement:\n%s", table)
	}
}

func mustLookup(t *testing.T, name string) models.Model {
	t.Helper()
	m, ok := models.Lookup(name)
	if !ok {
		t.Fatalf("%s not in the registry", name)
	}
	return m
}

// restModels is GET /models' answer, its keys spelled out in snake_case
// here rather than derived, so a wrong key fails the test.
type restModels struct {
	Models []struct {
		Name           string `json:"name"`
		Offered        bool   `json:"offered"`
		SnapshotOf     string `json:"snapshot_of"`
		MaxN           int    `json:"max_n"`
		MaxPromptChars int    `json:"max_prompt_chars"`
		Retirement     *struct {
			ShutdownDate string `json:"shutdown_date"`
			Replacement  string `json:"replacement"`
		} `json:"retirement"`
		Edit *struct {
			MaxInputImages int   `json:"max_input_images"`
			MaxInputBytes  int64 `json:"max_input_bytes"`
		} `json:"edit"`
		Price struct {
			Model               string             `json:"model"`
			PerImageUSD         map[string]float64 `json:"per_image_usd"`
			PerMillionTokensUSD *struct {
				TextInput   float64 `json:"text_input"`
				ImageOutput float64 `json:"image_output"`
			} `json:"per_million_tokens_usd"`
		} `json:"price"`
	} `json:"models"`
	Offered []string `json:"offered"`
	Default string   `json:"default"`
}

func TestRESTModelsAgreesWithListModels(t *testing.T) {
	c, _ := listModels(t)
	req, _ := http.NewRequest(http.MethodGet, baseURL+rest.PathModels, nil)
	resp, err := httpClient(agentToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: HTTP %d %s: %s", rest.PathModels, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if strings.Contains(string(raw), "maxN") || strings.Contains(string(raw), "perImageUsd") {
		t.Errorf("GET /models has camelCase keys: %s", raw)
	}
	var r restModels
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Default != c.Default || r.Default == "" {
		t.Errorf("REST default %q, MCP %q", r.Default, c.Default)
	}
	if len(r.Models) != len(c.Models) || !slices.Equal(r.Offered, c.Offered) {
		t.Fatalf("REST lists %d models (offered %v), MCP %d (offered %v)", len(r.Models), r.Offered, len(c.Models), c.Offered)
	}
	for i, got := range r.Models {
		want := c.Models[i]
		if got.Name != want.Name || got.Offered != want.Offered || got.SnapshotOf != want.SnapshotOf ||
			got.MaxN != want.MaxN || got.MaxPromptChars != want.MaxPromptChars || got.Price.Model != want.Price.Model ||
			!maps.Equal(got.Price.PerImageUSD, want.Price.PerImageUSD) {
			t.Errorf("model %d: REST %+v, MCP %+v", i, got, want)
		}
		if (got.Price.PerMillionTokensUSD == nil) != (want.Price.PerMillionTokensUSD == nil) ||
			got.Price.PerMillionTokensUSD != nil && (got.Price.PerMillionTokensUSD.TextInput != want.Price.PerMillionTokensUSD.TextInput ||
				got.Price.PerMillionTokensUSD.ImageOutput != want.Price.PerMillionTokensUSD.ImageOutput) {
			t.Errorf("%s token prices: REST %+v, MCP %+v", got.Name, got.Price.PerMillionTokensUSD, want.Price.PerMillionTokensUSD)
		}
		if (got.Retirement == nil) != (want.Retirement == nil) ||
			got.Retirement != nil && (got.Retirement.ShutdownDate != want.Retirement.ShutdownDate || got.Retirement.Replacement != want.Retirement.Replacement) {
			t.Errorf("%s retirement: REST %+v, MCP %+v", got.Name, got.Retirement, want.Retirement)
		}
		if (got.Edit == nil) != (want.Edit == nil) || got.Edit != nil && (got.Edit.MaxInputImages != want.Edit.MaxInputImages || got.Edit.MaxInputBytes != want.Edit.MaxInputBytes) {
			t.Errorf("%s edit: REST %+v, MCP %+v", got.Name, got.Edit, want.Edit)
		}
	}
}

func TestRESTModelsNeedsAToken(t *testing.T) {
	for _, token := range []string{"", "not-a-token"} {
		if status, body := getREST(t, token, rest.PathModels); status != http.StatusUnauthorized || body.Error.Code != "unauthenticated" {
			t.Errorf("token %q: HTTP %d %+v, want 401 unauthenticated", token, status, body.Error)
		}
	}
}
