package artifacts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Top-level prefixes of the two kinds of object the store holds.
const (
	ResultsPrefix = "results/"
	InputsPrefix  = "inputs/"
)

// ManifestName is the name of the object, inside an attempt's prefix, that
// is written last and marks the attempt complete.
const ManifestName = "manifest.json"

// Ref names the ImageRequest whose objects a key belongs to. The UID keeps a
// request apart from an earlier one of the same name.
type Ref struct {
	Namespace string
	Name      string
	UID       string
}

// String is namespace/name (uid), for messages.
func (r Ref) String() string {
	return fmt.Sprintf("%s/%s (uid %s)", r.Namespace, r.Name, r.UID)
}

// Validate refuses a ref whose parts are empty or could escape their key
// segment.
func (r Ref) Validate() error {
	for _, p := range []struct{ what, v string }{
		{"namespace", r.Namespace}, {"name", r.Name}, {"uid", r.UID},
	} {
		if err := checkSegment(p.v); err != nil {
			return fmt.Errorf("artifact ref %s: %w", p.what, err)
		}
	}
	return nil
}

func checkSegment(s string) error {
	switch {
	case s == "":
		return errors.New("is empty")
	case s == "." || s == "..":
		return fmt.Errorf("%q is not a valid key segment", s)
	case strings.ContainsAny(s, "/\\\x00"):
		return fmt.Errorf("%q contains a path separator or NUL", s)
	}
	return nil
}

// InputField is which edit input an object holds: the image, the mask,
// or one of the additional images (AdditionalImage).
type InputField string

// The edit inputs.
const (
	FieldImage InputField = "image"
	FieldMask  InputField = "mask"
)

// additionalImagePrefix starts the field of an additional image.
const additionalImagePrefix = "image-"

// AdditionalImage is the field of an edit's additional input image i,
// counted from 1 (spec.additionalImages[i-1]): "image-1", "image-2", …, so
// the image is input 0 and every input has its own key.
func AdditionalImage(i int) InputField {
	return InputField(additionalImagePrefix + strconv.Itoa(i))
}

func (f InputField) validate() error {
	if f == FieldImage || f == FieldMask {
		return nil
	}
	if n, ok := strings.CutPrefix(string(f), additionalImagePrefix); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 && strconv.Itoa(i) == n {
			return nil
		}
	}
	return fmt.Errorf("input field %q is not %q, %q or %q followed by a number from 1", string(f), FieldImage, FieldMask, additionalImagePrefix)
}

// RequestPrefix is the prefix of a request's objects of one kind
// (ResultsPrefix or InputsPrefix), ending in "/".
func RequestPrefix(kind string, ref Ref) string {
	return kind + ref.Namespace + "/" + ref.Name + "/" + ref.UID + "/"
}

// AttemptPrefix is the prefix of one attempt's result objects, ending in "/".
func AttemptPrefix(ref Ref, attempt int32) string {
	return RequestPrefix(ResultsPrefix, ref) + "attempt-" + strconv.Itoa(int(attempt)) + "/"
}

// ResultKey is the key of result image index of an attempt, with the file
// extension of its content type.
func ResultKey(ref Ref, attempt int32, index int, contentType string) string {
	return AttemptPrefix(ref, attempt) + strconv.Itoa(index) + "." + extension(contentType)
}

// ManifestKey is the key of an attempt's manifest.
func ManifestKey(ref Ref, attempt int32) string {
	return AttemptPrefix(ref, attempt) + ManifestName
}

// InputKey is the key of an edit input in PNG, the format DALL-E 2 takes
// and every mask has: <field>.png. InputKeyFor names inputs of any format.
func InputKey(ref Ref, field InputField) string {
	return InputKeyFor(ref, field, "image/png")
}

// InputKeyFor is the key of an edit input of contentType (as sniffed from
// its bytes), with the file extension of that type: image.png,
// image.webp, image-2.jpg, mask.png. The GPT image models take PNG, WebP
// and JPEG inputs; the extension keeps a stored input's format visible in
// listings and in the names the upstream gets.
func InputKeyFor(ref Ref, field InputField, contentType string) string {
	return RequestPrefix(InputsPrefix, ref) + string(field) + "." + extension(contentType)
}

func validateResultArgs(ref Ref, attempt int32) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	if attempt < 1 {
		return fmt.Errorf("attempt %d: attempts count from 1", attempt)
	}
	return nil
}

// extension maps an image content type to a file extension; anything else
// is stored as .bin rather than refused, because the bytes were paid for.
func extension(contentType string) string {
	switch strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])) {
	case "image/png":
		return "png"
	case "image/jpeg", "image/jpg":
		return "jpg"
	case "image/webp":
		return "webp"
	case "image/gif":
		return "gif"
	}
	return "bin"
}

// KeyInfo is what ParseKey reads from a key.
type KeyInfo struct {
	// Kind is ResultsPrefix or InputsPrefix.
	Kind string
	Ref  Ref
	// Attempt is the attempt of a result object; 0 for inputs.
	Attempt int32
	// Name is the last segment: "0.png", "manifest.json", "image.png",
	// or KeepMarkerName.
	Name string
	// Marker is set for a keep marker (see markers.go): the key is
	// <kind>/<namespace>/<name>/<uid>/keep.json, and Attempt is 0.
	Marker bool
}

// Prefix is the request prefix the key lies under (RequestPrefix of its
// kind and ref): the prefix a keep marker protects.
func (k KeyInfo) Prefix() string { return RequestPrefix(k.Kind, k.Ref) }

// ParseKey reads the request, kind and attempt from a key this package
// built, so an orphan sweep can find the UID of every object it lists.
func ParseKey(key string) (KeyInfo, error) {
	parts := strings.Split(key, "/")
	bad := func(why string) (KeyInfo, error) {
		return KeyInfo{}, fmt.Errorf("artifact key %q: %s", key, why)
	}
	if len(parts) < 5 {
		return bad("too few segments")
	}
	info := KeyInfo{Kind: parts[0] + "/", Ref: Ref{Namespace: parts[1], Name: parts[2], UID: parts[3]}}
	if err := info.Ref.Validate(); err != nil {
		return bad(err.Error())
	}
	if len(parts) == 5 && parts[4] == KeepMarkerName && (info.Kind == InputsPrefix || info.Kind == ResultsPrefix) {
		info.Name, info.Marker = KeepMarkerName, true
		return info, nil
	}
	switch info.Kind {
	case InputsPrefix:
		if len(parts) != 5 {
			return bad("an input key has 5 segments")
		}
		info.Name = parts[4]
		if !validInputName(info.Name) {
			return bad("unknown input " + info.Name)
		}
	case ResultsPrefix:
		if len(parts) != 6 {
			return bad("a result key has 6 segments")
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(parts[4], "attempt-"), 10, 32)
		if !strings.HasPrefix(parts[4], "attempt-") || err != nil || n < 1 {
			return bad("segment " + parts[4] + " is not attempt-<n>")
		}
		info.Attempt = int32(n)
		info.Name = parts[5]
		if err := checkSegment(info.Name); err != nil {
			return bad("object name " + err.Error())
		}
	default:
		return bad("unknown kind " + parts[0])
	}
	return info, nil
}

// validInputName reports whether name is one InputKeyFor builds: a valid
// field and an extension extension() gives.
func validInputName(name string) bool {
	field, ext, ok := strings.Cut(name, ".")
	if !ok || InputField(field).validate() != nil {
		return false
	}
	switch ext {
	case "png", "jpg", "webp", "gif", "bin":
		return true
	}
	return false
}

// validKey reports whether key is one this package builds.
func validKey(key string) bool {
	_, err := ParseKey(key)
	return err == nil
}

// servableKey reports whether the HTTP handler may serve key: an image or
// manifest this package builds, never a keep marker (bookkeeping, not an
// artifact).
func servableKey(key string) bool {
	info, err := ParseKey(key)
	return err == nil && !info.Marker
}
