package imagecheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// PNG colour types.
const (
	ctGrey      = 0
	ctRGB       = 2
	ctPalette   = 3
	ctGreyAlpha = 4
	ctRGBA      = 6
)

// pngInfo is what a PNG's chunks declare. It is read without inflating any
// pixel data, so the dimension rules can run before a byte is decompressed.
type pngInfo struct {
	width, height int
	depth         int // bits per sample (per index for palette images)
	colorType     int
	interlaced    bool
	paletteLen    int    // PLTE entries of a palette image
	trns          []byte // tRNS chunk data; nil when there is none
	idat          [][]byte
}

// Chunk-order stages, as the PNG specification (and Go's decoder) order
// the critical chunks: IHDR, PLTE, tRNS, IDAT..., IEND.
const (
	stageStart = iota
	stageIHDR
	stagePLTE
	stageTRNS
	stageIDAT
	stageIEND
)

// parsePNG walks the chunks of data, checking every CRC and the order and
// contents of the critical chunks. It is at least as strict as
// image/png.Decode on everything but the pixel data (which scanPixels
// checks), so an input accepted here and there decodes with the standard
// library too. Bytes after IEND are ignored, as decoders do.
func parsePNG(data []byte) (*pngInfo, error) {
	if len(data) < len(pngMagic) || string(data[:len(pngMagic)]) != string(pngMagic) {
		return nil, errors.New("it lacks the PNG signature")
	}
	p := &pngInfo{}
	rest := data[len(pngMagic):]
	stage := stageStart
	idatRunOver := false // a chunk other than IDAT followed the IDAT run
	for stage != stageIEND {
		if len(rest) < 8 {
			return nil, errors.New("it ends before its IEND chunk")
		}
		length := binary.BigEndian.Uint32(rest[:4])
		typ := string(rest[4:8])
		if !validChunkType(typ) {
			return nil, fmt.Errorf("chunk type %q is not four ASCII letters", typ)
		}
		if length > 1<<31-1 {
			return nil, fmt.Errorf("%s chunk declares %d bytes, over the 2^31-1 a chunk may hold", typ, length)
		}
		if uint64(len(rest)) < 12+uint64(length) {
			return nil, fmt.Errorf("%s chunk declares %d bytes but only %d remain", typ, length, max(len(rest)-12, 0))
		}
		body := rest[8 : 8+length]
		if crc32.ChecksumIEEE(rest[4:8+length]) != binary.BigEndian.Uint32(rest[8+length:]) {
			return nil, fmt.Errorf("%s chunk has a bad CRC", typ)
		}
		rest = rest[12+length:]
		if stage == stageStart && typ != "IHDR" {
			return nil, fmt.Errorf("first chunk is %s, not IHDR", typ)
		}
		if typ != "IDAT" && stage == stageIDAT {
			idatRunOver = true
		}
		var err error
		switch typ {
		case "IHDR":
			if stage != stageStart {
				return nil, errors.New("second IHDR chunk")
			}
			stage, err = stageIHDR, p.parseIHDR(body)
		case "PLTE":
			if stage != stageIHDR {
				return nil, errors.New("PLTE chunk out of order")
			}
			stage, err = stagePLTE, p.parsePLTE(body)
		case "tRNS":
			if err := p.tRNSOrder(stage); err != nil {
				return nil, err
			}
			stage, err = stageTRNS, p.parseTRNS(body)
		case "IDAT":
			switch {
			case stage < stageIHDR || (p.colorType == ctPalette && stage < stagePLTE):
				return nil, errors.New("IDAT chunk before the header chunks it needs (IHDR, and PLTE for a palette image)")
			case idatRunOver && len(body) > 0:
				// Go's decoder would ignore it; a second stream of pixel
				// data has no legitimate use.
				return nil, errors.New("IDAT chunks are not consecutive")
			case !idatRunOver:
				p.idat = append(p.idat, body)
			}
			stage = stageIDAT
		case "IEND":
			if stage != stageIDAT {
				return nil, errors.New("IEND chunk before any IDAT chunk")
			}
			if length != 0 {
				return nil, errors.New("IEND chunk is not empty")
			}
			stage = stageIEND
		default:
			if typ[0]&0x20 == 0 { // upper case: critical, so it cannot be skipped
				return nil, fmt.Errorf("unknown critical chunk %s", typ)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// validChunkType: chunk types are four ASCII letters.
func validChunkType(typ string) bool {
	for _, c := range []byte(typ) {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// validDepths lists the bit depths each colour type allows.
var validDepths = map[int][]int{
	ctGrey:      {1, 2, 4, 8, 16},
	ctRGB:       {8, 16},
	ctPalette:   {1, 2, 4, 8},
	ctGreyAlpha: {8, 16},
	ctRGBA:      {8, 16},
}

func (p *pngInfo) parseIHDR(b []byte) error {
	if len(b) != 13 {
		return fmt.Errorf("IHDR chunk is %d bytes, not 13", len(b))
	}
	w, h := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
		return fmt.Errorf("IHDR declares %dx%d; each side must be 1 to 2^31-1", w, h)
	}
	p.width, p.height = int(w), int(h)
	p.depth, p.colorType = int(b[8]), int(b[9])
	depths, ok := validDepths[p.colorType]
	if !ok {
		return fmt.Errorf("unknown colour type %d", p.colorType)
	}
	if !slices.Contains(depths, p.depth) {
		return fmt.Errorf("bit depth %d is not allowed for colour type %d", p.depth, p.colorType)
	}
	if b[10] != 0 || b[11] != 0 {
		return fmt.Errorf("unknown compression method %d or filter method %d", b[10], b[11])
	}
	if b[12] > 1 {
		return fmt.Errorf("unknown interlace method %d", b[12])
	}
	p.interlaced = b[12] == 1
	return nil
}

func (p *pngInfo) parsePLTE(b []byte) error {
	n := len(b) / 3
	if len(b)%3 != 0 || n == 0 || n > 256 || n > 1<<p.depth {
		return fmt.Errorf("PLTE chunk of %d bytes is not 1 to min(256, 2^depth) RGB entries", len(b))
	}
	switch p.colorType {
	case ctPalette:
		p.paletteLen = n
	case ctGrey, ctGreyAlpha:
		return errors.New("PLTE chunk in a greyscale image")
	}
	// RGB and RGBA may carry a suggested palette; it does not change the pixels.
	return nil
}

// tRNSOrder applies Go's order rules: tRNS follows PLTE in a palette
// image, may follow it in an RGB one, and comes right after IHDR otherwise.
func (p *pngInfo) tRNSOrder(stage int) error {
	ok := stage == stageIHDR
	switch p.colorType {
	case ctPalette:
		ok = stage == stagePLTE
	case ctRGB:
		ok = stage == stageIHDR || stage == stagePLTE
	}
	if !ok {
		return errors.New("tRNS chunk out of order")
	}
	return nil
}

func (p *pngInfo) parseTRNS(b []byte) error {
	limit := 1 << p.depth
	switch p.colorType {
	case ctGrey, ctRGB:
		samples := 1
		if p.colorType == ctRGB {
			samples = 3
		}
		if len(b) != 2*samples {
			return fmt.Errorf("tRNS chunk is %d bytes, not %d", len(b), 2*samples)
		}
		// An out-of-range value can match no pixel, but Go's decoder
		// compares only its low byte at depth 8: refuse the ambiguity.
		for i := 0; i < len(b); i += 2 {
			if v := int(binary.BigEndian.Uint16(b[i:])); v >= limit {
				return fmt.Errorf("tRNS value %d is out of range for bit depth %d", v, p.depth)
			}
		}
	case ctPalette:
		if len(b) > p.paletteLen {
			return fmt.Errorf("tRNS chunk has %d entries but the palette only %d", len(b), p.paletteLen)
		}
	default:
		return errors.New("tRNS chunk in an image that has an alpha channel")
	}
	p.trns = b
	return nil
}

// hasAlphaChannel reports whether the file stores alpha: the grey+alpha and
// RGBA colour types always do; grey, RGB and palette images only through a
// tRNS chunk (a palette's only when some entry is less than opaque, which is
// what the upstream and the simulator count). It is decided from the
// header, never from the Go type a decoder would return: image/png decodes
// plain RGB to *image.RGBA.
func (p *pngInfo) hasAlphaChannel() bool {
	switch p.colorType {
	case ctGreyAlpha, ctRGBA:
		return true
	case ctGrey, ctRGB:
		return p.trns != nil
	}
	for _, a := range p.trns {
		if a != 0xff {
			return true
		}
	}
	return false
}
