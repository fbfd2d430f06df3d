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
	// maxEditBodyBytes bounds a whole DALL-E 2 edits request. It is well
	// above two 4 MB files so an oversized image is still read to its end
	// and answered with image_too_large; beyond it the request is refused
	// with 413 (after the body was read, since the model is only known then).
	maxEditBodyBytes = 32 << 20
	// maxGPTEditBodyBytes bounds any edits request: 16 inputs under 50 MB,
	// a mask under 4 MB and the text fields. Past it the body is cut off.
	maxGPTEditBodyBytes = MaxInputImages*MaxInputImageBytes + MaxUploadBytes + 1<<20
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
	inputs   []*inputImage // the first MaxInputImages+1 image parts, in order
	image    *upload       // DALL-E 2's view of inputs[0], set by editInput
	imageErr *apiError
	images   int // image parts seen ("image" or "image[]")
	mask     *upload
	maskErr  *apiError
	// bodyBytes is how much of the body was read.
	bodyBytes int64
}

// handleEdit serves POST /v1/images/edits.
func (s *Server) handleEdit(w http.ResponseWriter, r *http.Request, call *Call) {
	form, apiErr := readEditForm(w, r)
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	call.noteParams(form.params)
	switch model, route := s.routeModel(form.params); route {
	case routeRetired:
		call.Model = model
		s.fail(w, call, errModelRetired(model))
		return
	case routeGPTImage:
		s.handleGPTEdit(w, r, call, model, form)
		return
	}
	if form.bodyBytes > maxEditBodyBytes {
		s.fail(w, call, errBodyTooLarge(maxEditBodyBytes))
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
	body := &countingReadCloser{ReadCloser: r.Body}
	r.Body = http.MaxBytesReader(w, body, maxGPTEditBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errMalformedMultipart(err)
	}
	form := &editForm{params: map[string]rawParam{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			form.bodyBytes = body.n
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
		in := readInputImage(part, f.images == 1)
		if len(f.inputs) <= MaxInputImages {
			f.inputs = append(f.inputs, in)
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
		return errBodyTooLarge(maxGPTEditBodyBytes)
	}
	return errMalformedMultipart(fmt.Errorf("reading form: %w", err))
}

// editInput validates the uploaded files, in order: the image is present,
// single, a PNG under 4 MB and square; the mask, if any, is a PNG under 4 MB
// with an alpha channel and the image's dimensions; without a mask the image
// itself has fully transparent pixels.
func (f *editForm) editInput() (*editInput, *apiError) {
	if len(f.inputs) > 0 {
		f.image, f.imageErr = f.inputs[0].dallE2Upload()
	}
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

// countingReadCloser counts the bytes read through it.
type countingReadCloser struct {
	io.ReadCloser
	n int64
}

func (c *countingReadCloser) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}
