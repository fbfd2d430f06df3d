package dallesim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Image URL layout. Generated images are re-rendered from the URL itself,
// so nothing is stored for them:
//
//	/images/generations/img-<id>.png?p=<prompt, base64url>&i=<index>&size=<size>&seed=<seed>&se=<expiry unix>&sig=<hmac>
//
// Edit results are kept in memory until they expire:
//
//	/images/edits/img-<id>.png?se=<expiry unix>&sig=<hmac>
//
// sig is an HMAC-SHA256, under a key drawn when the Server starts, of every
// other part, so URLs cannot be forged or extended; past se they answer 403.
const (
	generationsImagePath = imagesPrefix + "generations/"
	editsImagePath       = imagesPrefix + "edits/"
)

// urlSigner signs and checks image URLs.
type urlSigner struct{ key []byte }

func newURLSigner() urlSigner {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
	return urlSigner{key: key}
}

// sign returns the hex HMAC of parts, separated so they cannot run together.
func (u urlSigner) sign(parts ...string) string {
	m := hmac.New(sha256.New, u.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

func (u urlSigner) valid(sig string, parts ...string) bool {
	return hmac.Equal([]byte(sig), []byte(u.sign(parts...)))
}

// generationURL is the URL of generated image index of req.
func (s *Server) generationURL(base string, req imageRequest, index int, expires time.Time) string {
	prompt := base64.RawURLEncoding.EncodeToString([]byte(req.Prompt))
	idx, seed, se := strconv.Itoa(index), strconv.FormatInt(s.seed, 10), strconv.FormatInt(expires.Unix(), 10)
	sig := s.signer.sign("g", prompt, idx, req.Size, seed, se)
	q := url.Values{"p": {prompt}, "i": {idx}, "size": {req.Size}, "seed": {seed}, "se": {se}, "sig": {sig}}
	return base + generationsImagePath + "img-" + sig[:24] + ".png?" + q.Encode()
}

// urlExpiry is when URLs issued now expire, in whole seconds as URLs carry it.
func (s *Server) urlExpiry() time.Time {
	return s.now().Add(s.settings.Load().URLTTL).Truncate(time.Second)
}

// editURL is the URL of a stored edit result.
func (s *Server) editURL(base, id string, expires time.Time) string {
	se := strconv.FormatInt(expires.Unix(), 10)
	sig := s.signer.sign("e", id, se)
	return base + editsImagePath + "img-" + id + ".png?" + url.Values{"se": {se}, "sig": {sig}}.Encode()
}

// handleImage serves GET /images/...: the signature is checked first, then
// the expiry (403 once past), then the image is rendered or looked up.
func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	se, sig := q.Get("se"), q.Get("sig")
	var signed bool
	switch {
	case strings.HasPrefix(r.URL.Path, generationsImagePath):
		signed = s.signer.valid(sig, "g", q.Get("p"), q.Get("i"), q.Get("size"), q.Get("seed"), se) &&
			r.URL.Path == generationsImagePath+"img-"+sig[:24]+".png"
	case strings.HasPrefix(r.URL.Path, editsImagePath):
		signed = s.signer.valid(sig, "e", editID(r.URL.Path), se)
	default:
		writeAPIError(w, errNotFound(r.Method, r.URL.Path))
		return
	}
	expiry, err := strconv.ParseInt(se, 10, 64)
	if !signed || err != nil {
		writeAPIError(w, errBadSignature())
		return
	}
	if s.now().After(time.Unix(expiry, 0)) {
		writeAPIError(w, errURLExpired())
		return
	}
	if strings.HasPrefix(r.URL.Path, generationsImagePath) {
		s.serveGeneratedImage(w, q.Get("p"), q.Get("i"), q.Get("size"), q.Get("seed"))
		return
	}
	img, ok := s.edits.get(editID(r.URL.Path), s.now())
	if !ok {
		writeAPIError(w, errImageGone())
		return
	}
	s.stats.downloaded()
	writePNG(w, img)
}

// editID extracts the stored result's id from an edit image path.
func editID(path string) string {
	return strings.TrimSuffix(strings.TrimPrefix(path, editsImagePath+"img-"), ".png")
}

// serveGeneratedImage re-renders a generated image from its (signed) URL parameters.
func (s *Server) serveGeneratedImage(w http.ResponseWriter, prompt, idx, size, seedText string) {
	promptBytes, err1 := base64.RawURLEncoding.DecodeString(prompt)
	index, err2 := strconv.Atoi(idx)
	seed, err3 := strconv.ParseInt(seedText, 10, 64)
	side, ok := sizePixels(size)
	if err1 != nil || err2 != nil || err3 != nil || !ok {
		// Only a URL we signed gets here, so this is a bug, not a client error.
		writeAPIError(w, errServer())
		return
	}
	buf := s.render.buffer()
	defer s.render.releaseBuffer(buf)
	if err := s.render.encodeGenerated(buf, seed, string(promptBytes), index, side); err != nil {
		s.log.Error("rendering image", "error", err)
		writeAPIError(w, errServer())
		return
	}
	s.stats.downloaded()
	writePNG(w, buf.Bytes())
}

func writePNG(w http.ResponseWriter, png []byte) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}

// editStore keeps edit results until their URLs expire, within a memory
// budget past which the oldest results are evicted early.
type editStore struct {
	mu        sync.Mutex
	items     map[string]storedImage
	order     []string // ids, oldest first
	bytes     int64
	maxBytes  int64
	lastSweep time.Time
}

type storedImage struct {
	png     []byte
	expires time.Time
}

// sweepEvery spaces out full sweeps for expired results.
const sweepEvery = time.Minute

func newEditStore(maxBytes int64) *editStore {
	return &editStore{items: map[string]storedImage{}, maxBytes: maxBytes}
}

// put stores a copy of png and returns its id.
func (e *editStore) put(png []byte, expires, now time.Time) string {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on supported platforms.
	id := hex.EncodeToString(raw[:])
	e.mu.Lock()
	defer e.mu.Unlock()
	e.items[id] = storedImage{png: append([]byte(nil), png...), expires: expires}
	e.order = append(e.order, id)
	e.bytes += int64(len(png))
	e.evict(now)
	return id
}

// get returns the stored image, dropping it if it has expired.
func (e *editStore) get(id string, now time.Time) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	item, ok := e.items[id]
	if !ok {
		return nil, false
	}
	if now.After(item.expires) {
		e.remove(id)
		return nil, false
	}
	return item.png, true
}

// evict drops the oldest results while over budget (never the newest, whose
// URL is about to be answered), and every expired one at most once per sweepEvery.
func (e *editStore) evict(now time.Time) {
	for e.bytes > e.maxBytes && len(e.order) > 1 {
		e.remove(e.order[0])
		e.order = e.order[1:]
	}
	if now.Sub(e.lastSweep) < sweepEvery {
		return
	}
	e.lastSweep = now
	kept := e.order[:0]
	for _, id := range e.order {
		if item, ok := e.items[id]; ok && now.After(item.expires) {
			e.remove(id)
			continue
		}
		if _, ok := e.items[id]; ok {
			kept = append(kept, id)
		}
	}
	e.order = kept
}

// remove forgets id; order is compacted by the next sweep.
func (e *editStore) remove(id string) {
	if item, ok := e.items[id]; ok {
		e.bytes -= int64(len(item.png))
		delete(e.items, id)
	}
}
