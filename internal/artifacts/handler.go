package artifacts

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HandlerPrefix is the path under which Handler serves artifacts.
const HandlerPrefix = "/artifacts/"

// Handler serves GET and HEAD /artifacts/<key>?exp=…&kid=…&sig=… from the
// store: the exact bytes, Content-Type, the SHA-256 as ETag (the backend's
// ETag for objects without one), Range and conditional requests
// (http.ServeContent), and Cache-Control private, immutable until the URL
// expires. An expired, tampered or malformed URL gets 403 with the reason in
// the body; a key that is not an artifact's, 404.
type Handler struct {
	store  *Store
	signer *Signer
}

// NewHandler serves store's objects to holders of URLs signer signed.
func NewHandler(store *Store, signer *Signer) *Handler {
	return &Handler{store: store, signer: signer}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, HandlerPrefix)
	if !ok || !servableKey(key) {
		http.Error(w, "no such artifact", http.StatusNotFound)
		return
	}
	expires, err := h.signer.Verify(key, r.URL.RawQuery)
	if err != nil {
		forbidden(w, err)
		return
	}
	obj, err := h.store.Open(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "no such artifact", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "artifact store unavailable", http.StatusBadGateway)
		return
	}
	defer obj.Close()

	hdr := w.Header()
	hdr.Set("Content-Type", obj.Info.ContentType)
	switch {
	case obj.Info.SHA256 != "":
		hdr.Set("ETag", strconv.Quote(obj.Info.SHA256))
	case obj.Info.ETag != "":
		hdr.Set("ETag", obj.Info.ETag)
	}
	maxAge := int64(time.Until(expires) / time.Second)
	hdr.Set("Cache-Control", fmt.Sprintf("private, immutable, max-age=%d", max(maxAge, 0)))
	hdr.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", obj.Info.ModTime, obj)
}

// forbidden answers 403 with the reason: expired, bad-signature or
// malformed, and the error's text.
func forbidden(w http.ResponseWriter, err error) {
	reason := "malformed"
	switch {
	case errors.Is(err, ErrExpired):
		reason = "expired"
	case errors.Is(err, ErrBadSignature):
		reason = "bad-signature"
	}
	w.Header().Set("X-Artifact-Error", reason)
	http.Error(w, reason+": "+err.Error(), http.StatusForbidden)
}
