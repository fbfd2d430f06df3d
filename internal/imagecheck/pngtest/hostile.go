package pngtest

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// BombSide is the side of the reported decompression bomb: a 1-bit
// 30000x30000 PNG is about 109 KB and decodes to 900 MB of pixels.
const BombSide = 30000

// Bomb is a 1-bit greyscale side×side PNG of all-black rows. Zero rows
// compress at deflate's best ratio (about 1000:1), so the file is tiny
// while a full decode allocates side² bytes (image.Gray keeps a byte per
// pixel).
func Bomb(side int) []byte {
	return File(
		Chunk("IHDR", IHDR(uint32(side), uint32(side), 1, Grey, 0)),
		Chunk("IDAT", ZeroRows(side, (side+7)/8)),
		Chunk("IEND", nil),
	)
}

// PaletteBomb is Bomb as a 1-bit palette image whose entry 0, the one
// every pixel uses, is fully transparent (tRNS): it passes the "image has
// transparent pixels" rule that stops Bomb, so without a dimension limit
// it would be stored and decoded again on every reconcile.
func PaletteBomb(side int) []byte {
	return File(
		Chunk("IHDR", IHDR(uint32(side), uint32(side), 1, Palette, 0)),
		Chunk("PLTE", []byte{0, 0, 0, 255, 255, 255}),
		Chunk("tRNS", []byte{0}),
		Chunk("IDAT", ZeroRows(side, (side+7)/8)),
		Chunk("IEND", nil),
	)
}

var (
	rowsMu    sync.Mutex
	rowsCache = map[string][]byte{}
)

// ZeroRows is the zlib stream of rows rows of rowBytes zero bytes, each
// behind a filter-type byte 0 (None): the IDAT data of an all-zero image.
func ZeroRows(rows, rowBytes int) []byte {
	return RepeatRows(rows, make([]byte, rowBytes))
}

// RepeatRows is the zlib stream of rows copies of row, each behind a
// filter-type byte 0 (None). It is built without holding the uncompressed
// data (a bomb's is 100 MB) and cached, since building it takes a while.
func RepeatRows(rows int, row []byte) []byte {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	key := fmt.Sprintf("%d/%x", rows, sha256.Sum256(row))
	if z, ok := rowsCache[key]; ok {
		return z
	}
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	line := append([]byte{FilterNone}, row...)
	for range rows {
		if _, err := w.Write(line); err != nil {
			panic(err) // writes to a bytes.Buffer do not fail
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	rowsCache[key] = buf.Bytes()
	return buf.Bytes()
}

// Header is what a PNG's IHDR chunk declares.
type Header struct {
	Width, Height uint32
	Depth         int
	ColorType     int
	Interlace     int
}

// ReadHeader reads the IHDR chunk that must follow the signature, so tests
// can assert what a fixture really is.
func ReadHeader(png []byte) (Header, error) {
	if len(png) < 8+8+13 || string(png[:8]) != Signature {
		return Header{}, errors.New("not a PNG: no signature and IHDR")
	}
	if typ := string(png[12:16]); typ != "IHDR" || binary.BigEndian.Uint32(png[8:12]) != 13 {
		return Header{}, fmt.Errorf("first chunk is %q, not a 13-byte IHDR", typ)
	}
	d := png[16:29]
	return Header{
		Width:     binary.BigEndian.Uint32(d[0:4]),
		Height:    binary.BigEndian.Uint32(d[4:8]),
		Depth:     int(d[8]),
		ColorType: int(d[9]),
		Interlace: int(d[12]),
	}, nil
}
