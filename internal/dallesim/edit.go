package dallesim

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

const (
	// maxEditBodyBytes bounds a whole edits request. It is well above two
	// 4 MB files so an oversized image is still read to its end and answered
	// with image_too_large; beyond it the request is refused outright.
	maxEditBodyBytes = 32 << 20
	// maxTextFieldBytes bounds one non-file form field; longer values are
	// truncated, which still fails the prompt length check.
	maxTextFieldBytes = 64 << 10
)

// allowEditParam lists the non-file form fields the edits endpoint accepts for dall-e-2.
func allowEditParam(name string) bool {
	switch name {
	case "prompt", "n", "size", "response_format", "model", "user", "safety_identifier", "quality":
		return true
	}
	return false
}

// editForm is what the multipart body of an edits request held.
type editForm struct {
	params   map[string]rawParam
	image    *upload
	imageErr *apiError
	images   int // image parts seen ("image" or "image[]")
	mask     *upload
	maskErr  *apiError
}

// handleEdit serves POST /v1/images/edits.
func (s *Server) handleEdit(w http.ResponseWriter, r *http.Request, call *Call) {
	form, apiErr := readEditForm(w, r)
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	p, present := form.params["prompt"]
	call.Prompt, _, _ = stringValue("prompt", p, present)
	req, apiErr := parseImageParams(form.params, allowEditParam)
	call.noteRequest(req)
	var in *editInput
	if apiErr == nil { // parameters are checked before the uploaded files
		in, apiErr = form.editInput()
	}
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	s.serveEdit(w, r, call, req, in)
}

// serveEdit admits a validated edit and answers with its images.
func (s *Server) serveEdit(w http.ResponseWriter, r *http.Request, call *Call, req imageRequest, in *editInput) {
	if !s.admit(w, r, call, req) {
		return
	}
	if req.ResponseFormat == formatB64JSON {
		s.respondImages(w, call, req, func(i int, out io.Writer) error {
			return writeB64Item(out, func(dst io.Writer) error {
				return s.render.encodeEdit(dst, s.seed, req.Prompt, i, req.Pixels, in)
			})
		})
		return
	}
	// Edit results depend on the upload, so unlike generations they cannot
	// be re-rendered from the URL: keep them until the URL expires.
	expires := s.urlExpiry()
	urls := make([]string, req.N)
	for i := range req.N {
		buf := s.render.buffer()
		if err := s.render.encodeEdit(buf, s.seed, req.Prompt, i, req.Pixels, in); err != nil {
			s.render.releaseBuffer(buf)
			s.log.Error("rendering edit", "request_id", call.RequestID, "error", err)
			s.fail(w, call, errServer())
			return
		}
		id := s.edits.put(buf.Bytes(), expires, s.now())
		s.render.releaseBuffer(buf)
		urls[i] = s.editURL(s.baseURL(r), id, expires)
	}
	s.respondImages(w, call, req, func(i int, out io.Writer) error { return writeURLItem(out, urls[i]) })
}

// readEditForm streams the multipart body: text fields are kept, files are
// decoded part by part without buffering them, and the whole body is read
// so that errors are reported in a fixed order afterwards.
func readEditForm(w http.ResponseWriter, r *http.Request) (*editForm, *apiError) {
	contentType := r.Header.Get("Content-Type")
	if mediaType, _, err := mime.ParseMediaType(contentType); err != nil || mediaType != "multipart/form-data" {
		return nil, errContentType(contentType, "multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEditBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errMalformedMultipart(err)
	}
	form := &editForm{params: map[string]rawParam{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return nil, multipartError(err)
		}
		if err := form.readPart(part); err != nil {
			return nil, err
		}
	}
}

// readPart consumes one form part.
func (f *editForm) readPart(part *multipart.Part) *apiError {
	defer part.Close()
	switch name := part.FormName(); name {
	case "image", "image[]":
		f.images++
		img, err := readPNGUpload("image", part)
		if f.images == 1 {
			f.image, f.imageErr = img, err
		}
	case "mask":
		f.mask, f.maskErr = readPNGUpload("mask", part)
	default:
		text, err := io.ReadAll(io.LimitReader(part, maxTextFieldBytes))
		if err == nil {
			_, err = io.Copy(io.Discard, part)
		}
		if err != nil {
			return multipartError(err)
		}
		f.params[name] = textParam(strings.ToValidUTF8(string(text), "\uFFFD"))
	}
	return nil
}

// multipartError maps a body read failure to OpenAI's answer.
func multipartError(err error) *apiError {
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return errBodyTooLarge(maxEditBodyBytes)
	}
	return errMalformedMultipart(fmt.Errorf("reading form: %w", err))
}

// editInput validates the uploaded files, in order: the image is present,
// single, a PNG under 4 MB and square; the mask, if any, is a PNG under 4 MB
// with an alpha channel and the image's dimensions; without a mask the image
// itself has fully transparent pixels.
func (f *editForm) editInput() (*editInput, *apiError) {
	switch {
	case f.images == 0:
		return nil, errMissingParam("image")
	case f.imageErr != nil:
		return nil, f.imageErr
	case f.images > 1:
		return nil, errTooManyImages()
	case f.image.w != f.image.h:
		return nil, errImageNotSquare(f.image.w, f.image.h)
	case f.maskErr != nil:
		return nil, f.maskErr
	}
	if f.mask != nil {
		if !hasAlphaChannel(f.mask.img) {
			return nil, errMaskNoAlpha()
		}
		if f.mask.w != f.image.w || f.mask.h != f.image.h {
			return nil, errMaskSize(f.mask.w, f.mask.h, f.image.w, f.image.h)
		}
		editable, _ := transparentPlane(f.mask.img)
		return &editInput{src: toNRGBA(f.image.img), editable: editable}, nil
	}
	editable, any := transparentPlane(f.image.img)
	if !any {
		return nil, errImageNoTransparency()
	}
	return &editInput{src: toNRGBA(f.image.img), editable: editable}, nil
}
