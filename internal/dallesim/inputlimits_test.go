package dallesim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestEditRefusesOversizedDimensions: like the upstream, the simulator
// refuses an image or mask over 4096x4096 from its header, decompression
// bombs included, without billing; 4096x4096 itself passes that rule.
// (pngtest.Bomb is a 1-bit all-black greyscale PNG, tiny at any size.)
func TestEditRefusesOversizedDimensions(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	opaque := pngtest.PNG(64, 64, true, false)
	cases := map[string]struct {
		params openai.ImageEditParams
		code   string
		param  string
	}{
		"grey bomb":             {editParams("x", pngtest.Bomb(pngtest.BombSide), nil), "invalid_image_dimensions", "image"},
		"palette+tRNS bomb":     {editParams("x", pngtest.PaletteBomb(pngtest.BombSide), nil), "invalid_image_dimensions", "image"},
		"mask bomb":             {editParams("x", opaque, pngtest.PaletteBomb(pngtest.BombSide)), "invalid_image_dimensions", "mask"},
		"one over the limit":    {editParams("x", pngtest.Bomb(dallesim.MaxUploadDimension+1), nil), "invalid_image_dimensions", "image"},
		"at the limit (opaque)": {editParams("x", pngtest.Bomb(dallesim.MaxUploadDimension), nil), "image_missing_transparency", "image"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Images.Edit(context.Background(), tc.params)
			wantAPIError(t, err, 400, "invalid_request_error", tc.code, tc.param)
		})
	}
	if st := srv.Stats(); st.BillableRequests != 0 {
		t.Errorf("billable requests = %d, want 0", st.BillableRequests)
	}
}

// TestMaskAlphaAgreesWithImagecheck: the operator's mask rule and the
// simulator's agree on every kind of mask, so the operator neither pays for
// a call the upstream refuses (an RGB mask) nor refuses one it accepts.
func TestMaskAlphaAgreesWithImagecheck(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	const s = 32
	image := pngtest.PNG(s, s, true, false)
	spec := func(ct, depth int, trns []byte, palette [][3]byte) []byte {
		return pngtest.Encode(pngtest.Spec{Width: s, Height: s, Depth: depth, ColorType: ct, TRNS: trns, Palette: palette})
	}
	two := [][3]byte{{0, 0, 0}, {255, 255, 255}}
	masks := map[string][]byte{
		"RGB":                  pngtest.PNG(s, s, false, false),
		"RGB 16":               spec(pngtest.RGB, 16, nil, nil),
		"RGB + tRNS":           spec(pngtest.RGB, 8, []byte{0, 0, 0, 0, 0, 0}, nil),
		"RGBA":                 pngtest.PNG(s, s, true, true),
		"RGBA 16":              spec(pngtest.RGBA, 16, nil, nil),
		"grey":                 spec(pngtest.Grey, 8, nil, nil),
		"grey + tRNS":          spec(pngtest.Grey, 8, []byte{0, 0}, nil),
		"grey+alpha":           spec(pngtest.GreyAlpha, 8, nil, nil),
		"palette":              spec(pngtest.Palette, 1, nil, two),
		"palette + tRNS":       spec(pngtest.Palette, 1, []byte{0}, two),
		"palette, opaque tRNS": spec(pngtest.Palette, 1, []byte{255, 255}, two),
	}
	m, _ := models.Lookup(models.DALLE2)
	rules := imagecheck.Rules{MaxBytes: m.MaxInputBytes, Square: m.SquareInput, MaxSide: m.MaxInputSide}
	for name, mask := range masks {
		t.Run(name, func(t *testing.T) {
			checkErr := imagecheck.CheckEdit(image, mask, rules)
			_, simErr := client.Images.Edit(context.Background(), editParams("x", image, mask))
			if v, ok := errors.AsType[*imagecheck.Violation](checkErr); checkErr != nil && (!ok || v.Rule != "alpha") {
				t.Fatalf("imagecheck: %v, want nil or an alpha violation", checkErr)
			}
			if simErr != nil {
				wantAPIError(t, simErr, 400, "invalid_request_error", "invalid_mask_image_format", "mask")
			}
			if (checkErr == nil) != (simErr == nil) {
				t.Fatalf("imagecheck says %v, the simulator %v", checkErr, simErr)
			}
		})
	}
}
