package imagecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// dalle2 are DALL-E 2's rules as the model registry sets them.
var dalle2 = Rules{MaxBytes: 4 << 20, Square: true, MaxSide: 4096}

// allocBound is what one check may allocate, whatever the input: two rows
// of at most 4096 16-bit RGBA pixels, the inflater and small change.
const allocBound = 2 << 20

// allocated returns the bytes f allocates (all goroutines; keep tests in
// this package serial).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBombFixtures: the fixtures are what the report describes.
func TestBombFixtures(t *testing.T) {
	cases := map[string]struct {
		data      []byte
		colorType int
	}{
		"1-bit grey":           {pngtest.Bomb(pngtest.BombSide), pngtest.Grey},
		"1-bit palette + tRNS": {pngtest.PaletteBomb(pngtest.BombSide), pngtest.Palette},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if n := len(tc.data); n < 105_000 || n > 115_000 {
				t.Errorf("bomb is %d bytes, want about 109 KB", n)
			}
			h, err := pngtest.ReadHeader(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			want := pngtest.Header{Width: 30000, Height: 30000, Depth: 1, ColorType: tc.colorType}
			if h != want {
				t.Errorf("IHDR = %+v, want %+v", h, want)
			}
		})
	}
}

// TestBombsRefusedWithoutDecoding: the decompression bombs are refused by
// the dimension rule, naming field, rule, what was found and what is
// allowed, having allocated almost nothing (png.Decode takes 900 MB).
func TestBombsRefusedWithoutDecoding(t *testing.T) {
	bomb, paletteBomb := pngtest.Bomb(pngtest.BombSide), pngtest.PaletteBomb(pngtest.BombSide)
	opaque := pngtest.PNG(64, 64, true, false)
	cases := map[string]struct {
		image, mask []byte
		rules       Rules
		field       string
	}{
		"grey bomb as image":                 {image: bomb, rules: dalle2, field: FieldImage},
		"palette+tRNS bomb as image":         {image: paletteBomb, rules: dalle2, field: FieldImage},
		"palette+tRNS bomb as mask":          {image: opaque, mask: paletteBomb, rules: dalle2, field: FieldMask},
		"bomb, caller set no side (default)": {image: paletteBomb, rules: Rules{MaxBytes: 4 << 20, Square: true}, field: FieldImage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			if n := allocated(func() { err = CheckEdit(tc.image, tc.mask, tc.rules) }); n > allocBound {
				t.Errorf("CheckEdit allocated %d bytes, want at most %d", n, allocBound)
			}
			var v *Violation
			if !errors.As(err, &v) || v.Field != tc.field || v.Rule != "dimensions-max" {
				t.Fatalf("CheckEdit() = %v, want a %s/dimensions-max violation", err, tc.field)
			}
			for _, want := range []string{tc.field + ": ", "dimensions-max", "30000x30000", "4096x4096"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestMemoryBoundAtMaxSide: the largest input the rules let through, a
// 4096x4096 16-bit RGBA image (128 MiB decoded), is checked to its last
// byte in two rows' worth of memory.
func TestMemoryBoundAtMaxSide(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 2x128 MiB")
	}
	const side = 4096
	ihdr := pngtest.Chunk("IHDR", pngtest.IHDR(side, side, 16, pngtest.RGBA, 0))
	opaqueRow := bytes.Repeat([]byte{0, 0, 0, 0, 0, 0, 0xff, 0xff}, side)
	opaque := pngtest.File(ihdr, pngtest.Chunk("IDAT", pngtest.RepeatRows(side, opaqueRow)), pngtest.Chunk("IEND", nil))
	cases := map[string]struct {
		image, mask []byte
		rule        string
	}{
		// No transparent pixel, so every row is unfiltered and scanned.
		"opaque image, every row scanned": {image: opaque, rule: "transparency"},
		"image and mask, both read to the end": {image: opaque, mask: pngtest.File(ihdr,
			pngtest.Chunk("IDAT", pngtest.ZeroRows(side, 8*side)), pngtest.Chunk("IEND", nil))},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			if n := allocated(func() { err = CheckEdit(tc.image, tc.mask, dalle2) }); n > allocBound {
				t.Errorf("CheckEdit allocated %d bytes, want at most %d", n, allocBound)
			}
			assertRule(t, name, err, FieldImage, tc.rule)
		})
	}
}

// hostileInput is an input the checks must refuse, and how.
type hostileInput struct {
	image, mask []byte
	field, rule string
	// inMessage must appear in the violation's message.
	inMessage string
}

// rgbaIHDR is the IHDR chunk of a w×h 8-bit RGBA image.
func rgbaIHDR(w, h uint32) []byte {
	return pngtest.Chunk("IHDR", pngtest.IHDR(w, h, 8, pngtest.RGBA, 0))
}

// hostileInputs are malformed and hostile PNGs, each refused by name.
// They double as the fuzz target's seed corpus.
func hostileInputs() map[string]hostileInput {
	good := pngtest.PNG(16, 16, true, true)
	goodIDAT := pngtest.Zlib(pngtest.Scanlines(pngtest.Spec{Width: 16, Height: 16, Depth: 8, ColorType: pngtest.RGBA}))
	iend := pngtest.Chunk("IEND", nil)
	withIDAT := func(ihdr []byte, idat ...[]byte) []byte {
		chunks := [][]byte{ihdr}
		for _, d := range idat {
			chunks = append(chunks, pngtest.Chunk("IDAT", d))
		}
		return pngtest.File(append(chunks, iend)...)
	}
	rgba16 := rgbaIHDR(16, 16)
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-12-1]++                                                                   // the last byte of IDAT's CRC
	corruptData := withIDAT(rgba16, append(bytes.Clone(goodIDAT[:len(goodIDAT)-4]), 0, 0, 0, 0)) // zlib checksum zeroed
	badFilter := pngtest.Scanlines(pngtest.Spec{Width: 16, Height: 16, Depth: 8, ColorType: pngtest.RGBA, Filters: []byte{5}})
	palette := func(extra ...[]byte) []byte {
		chunks := [][]byte{pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 8, pngtest.Palette, 0))}
		chunks = append(chunks, extra...)
		return pngtest.File(append(chunks, pngtest.Chunk("IDAT", pngtest.ZeroRows(16, 16)), iend)...)
	}
	plte2 := pngtest.Chunk("PLTE", []byte{0, 0, 0, 255, 255, 255})
	grey8 := pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 8, pngtest.Grey, 0))
	greyIDAT := pngtest.Chunk("IDAT", pngtest.ZeroRows(16, 16))
	dictionary := []byte{0x78, 0xbb}                          // FDICT set; 0x78bb is a multiple of 31
	dictionary = binary.BigEndian.AppendUint32(dictionary, 2) // not the empty dictionary's Adler-32, 1

	return map[string]hostileInput{
		"empty":                         {image: []byte{}, field: FieldImage, rule: "png", inMessage: "signature"},
		"signature only":                {image: []byte(pngtest.Signature), field: FieldImage, rule: "png", inMessage: "before its IEND"},
		"truncated in IDAT":             {image: good[:len(good)-20], field: FieldImage, rule: "png", inMessage: "IDAT chunk declares"},
		"truncated chunk header":        {image: good[:8+6], field: FieldImage, rule: "png", inMessage: "before its IEND"},
		"missing IEND":                  {image: good[:len(good)-12], field: FieldImage, rule: "png", inMessage: "before its IEND"},
		"bad CRC":                       {image: badCRC, field: FieldImage, rule: "png", inMessage: "bad CRC"},
		"bad zlib checksum":             {image: corruptData, field: FieldImage, rule: "png", inMessage: "checksum"},
		"zlib preset dictionary":        {image: withIDAT(rgba16, dictionary), field: FieldImage, rule: "png", inMessage: "dictionary"},
		"unknown filter type":           {image: withIDAT(rgba16, pngtest.Zlib(badFilter)), field: FieldImage, rule: "png", inMessage: "filter type 5"},
		"huge IHDR":                     {image: withIDAT(rgbaIHDR(1<<31-1, 1<<31-1), goodIDAT), field: FieldImage, rule: "dimensions-max", inMessage: "2147483647x2147483647"},
		"IHDR one over the limit":       {image: withIDAT(rgbaIHDR(4097, 4097), goodIDAT), field: FieldImage, rule: "dimensions-max", inMessage: "4097x4097"},
		"IHDR over 2^31":                {image: withIDAT(rgbaIHDR(1<<31, 16), goodIDAT), field: FieldImage, rule: "png", inMessage: "2^31-1"},
		"zero width":                    {image: withIDAT(rgbaIHDR(0, 16), goodIDAT), field: FieldImage, rule: "png", inMessage: "0x16"},
		"IHDR wrong length":             {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 8, 6, 0)[:12]), greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "not 13"},
		"bit depth 16 palette":          {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 16, pngtest.Palette, 0)), plte2, greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "bit depth 16"},
		"interlace method 2":            {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 8, pngtest.Grey, 2)), greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "interlace"},
		"interlaced bomb":               {image: withIDAT(pngtest.Chunk("IHDR", pngtest.IHDR(pngtest.BombSide, pngtest.BombSide, 1, pngtest.Grey, 1)), pngtest.ZeroRows(1, 1)), field: FieldImage, rule: "dimensions-max", inMessage: "30000x30000"},
		"inflates past the header":      {image: withIDAT(pngtest.Chunk("IHDR", pngtest.IHDR(64, 64, 1, pngtest.Grey, 0)), pngtest.ZeroRows(pngtest.BombSide, (pngtest.BombSide+7)/8)), field: FieldImage, rule: "png", inMessage: "inflates to more"},
		"fewer rows than the header":    {image: withIDAT(rgba16, pngtest.ZeroRows(15, 64)), field: FieldImage, rule: "png", inMessage: "ends after"},
		"IDAT with trailing data":       {image: withIDAT(rgba16, append(bytes.Clone(goodIDAT), 1, 2, 3)), field: FieldImage, rule: "png", inMessage: "after the end"},
		"trailing IDAT chunk":           {image: withIDAT(rgba16, goodIDAT, []byte{1}), field: FieldImage, rule: "png", inMessage: "after the end"},
		"no IDAT":                       {image: pngtest.File(rgba16, iend), field: FieldImage, rule: "png", inMessage: "IEND chunk before"},
		"IDATs not consecutive":         {image: pngtest.File(rgba16, pngtest.Chunk("IDAT", goodIDAT[:10]), pngtest.Chunk("tEXt", []byte("a\x00b")), pngtest.Chunk("IDAT", goodIDAT[10:]), iend), field: FieldImage, rule: "png", inMessage: "not consecutive"},
		"chunk before IHDR":             {image: pngtest.File(pngtest.Chunk("tEXt", []byte("a\x00b")), rgba16, pngtest.Chunk("IDAT", goodIDAT), iend), field: FieldImage, rule: "png", inMessage: "not IHDR"},
		"unknown critical chunk":        {image: pngtest.File(rgba16, pngtest.Chunk("ABCD", nil), pngtest.Chunk("IDAT", goodIDAT), iend), field: FieldImage, rule: "png", inMessage: "critical"},
		"chunk length over 2^31":        {image: append(append([]byte(pngtest.Signature), rgba16...), 0x80, 0, 0, 0, 'I', 'D', 'A', 'T'), field: FieldImage, rule: "png", inMessage: "declares 2147483648 bytes"},
		"palette without PLTE":          {image: palette(), field: FieldImage, rule: "png", inMessage: "before the header chunks"},
		"palette PLTE too long":         {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 1, pngtest.Palette, 0)), pngtest.Chunk("PLTE", make([]byte, 9)), greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "PLTE"},
		"palette tRNS before PLTE":      {image: palette(pngtest.Chunk("tRNS", []byte{0}), plte2), field: FieldImage, rule: "png", inMessage: "tRNS chunk out of order"},
		"palette tRNS past palette":     {image: palette(plte2, pngtest.Chunk("tRNS", []byte{0, 0, 0})), field: FieldImage, rule: "png", inMessage: "palette only 2"},
		"palette two tRNS":              {image: palette(plte2, pngtest.Chunk("tRNS", []byte{0}), pngtest.Chunk("tRNS", []byte{0})), field: FieldImage, rule: "png", inMessage: "out of order"},
		"palette + tRNS after IDAT":     {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 8, pngtest.Palette, 0)), plte2, pngtest.Chunk("IDAT", pngtest.ZeroRows(16, 16)), pngtest.Chunk("tRNS", []byte{0}), iend), field: FieldImage, rule: "png", inMessage: "out of order"},
		"PLTE in greyscale":             {image: pngtest.File(grey8, plte2, greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "greyscale"},
		"tRNS in RGBA":                  {image: pngtest.File(rgba16, pngtest.Chunk("tRNS", make([]byte, 6)), pngtest.Chunk("IDAT", goodIDAT), iend), field: FieldImage, rule: "png", inMessage: "alpha channel"},
		"grey tRNS out of range":        {image: pngtest.File(grey8, pngtest.Chunk("tRNS", []byte{1, 0}), greyIDAT, iend), field: FieldImage, rule: "png", inMessage: "out of range"},
		"16-bit grey, short tRNS":       {image: pngtest.File(pngtest.Chunk("IHDR", pngtest.IHDR(16, 16, 16, pngtest.Grey, 0)), pngtest.Chunk("tRNS", []byte{1}), pngtest.Chunk("IDAT", pngtest.ZeroRows(16, 32)), iend), field: FieldImage, rule: "png", inMessage: "tRNS chunk is 1 bytes"},
		"palette mask, opaque tRNS":     {image: good, mask: palette(plte2, pngtest.Chunk("tRNS", []byte{255, 255})), field: FieldMask, rule: "alpha", inMessage: "palette whose tRNS entries are all opaque"},
		"RGB mask":                      {image: good, mask: pngtest.PNG(16, 16, false, false), field: FieldMask, rule: "alpha", inMessage: "colour type 2, RGB"},
		"mask bomb":                     {image: good, mask: pngtest.Bomb(pngtest.BombSide), field: FieldMask, rule: "dimensions-max", inMessage: "30000x30000"},
		"mask with corrupt data":        {image: good, mask: withIDAT(rgba16, goodIDAT[:len(goodIDAT)-8]), field: FieldMask, rule: "png", inMessage: "pixel data"},
		"image with corrupt data, mask": {image: corruptData, mask: good, field: FieldImage, rule: "png", inMessage: "checksum"},
	}
}

// TestHostileInputs: every malformed or hostile file is refused, by name.
func TestHostileInputs(t *testing.T) {
	for name, tc := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			var err error
			if n := allocated(func() { err = CheckEdit(tc.image, tc.mask, dalle2) }); n > allocBound {
				t.Errorf("CheckEdit allocated %d bytes, want at most %d", n, allocBound)
			}
			var v *Violation
			if !errors.As(err, &v) || v.Field != tc.field || v.Rule != tc.rule {
				t.Fatalf("CheckEdit() = %v, want a %s/%s violation", err, tc.field, tc.rule)
			}
			if !strings.Contains(v.Message, tc.inMessage) {
				t.Errorf("message %q does not contain %q", v.Message, tc.inMessage)
			}
		})
	}
}
