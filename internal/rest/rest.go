package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/httpapi"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// REST paths.
const (
	PathGenerate      = "/generate_image"
	PathEdit          = "/edit_image"
	PathImageRequests = "/image_requests/"
)

// Limits of the REST bodies. The prompt is the one large text field: the
// longest any model takes (32000 characters for the GPT image models) must
// reach the service, which refuses it by name (maxLength,
// controlCharacters) rather than have the transport cut it off.
const (
	// maxFormFieldSize bounds a multipart text field other than the prompt.
	maxFormFieldSize = 8 << 10
	// bodyOverhead is what a body holds besides the prompt.
	bodyOverhead = 64 << 10
	// defaultRetryAfter is sent with a 429 when the upstream's wait is not known.
	defaultRetryAfter = 60 * time.Second
)

// maxPromptBytes bounds the prompt as sent: in a multipart field, UTF-8 (at
// most 4 bytes a character); in JSON, escaped (at most 12 bytes a
// character: a surrogate pair as \uXXXX\uXXXX).
func maxPromptBytes(escaped bool) int64 {
	perChar := int64(utf8.UTFMax)
	if escaped {
		perChar = 12
	}
	var chars int
	for _, m := range models.All() {
		chars = max(chars, m.MaxPromptChars)
	}
	return perChar * int64(chars)
}

// maxJSONBody bounds a POST /generate_image body: the longest prompt
// escaped, and the rest.
func maxJSONBody() int64 { return maxPromptBytes(true) + bodyOverhead }

// Handler serves the REST endpoints over the imagerequests service. The
// listener (internal/httpserver) authenticates the caller, paces bodies
// and mounts each endpoint with its own limits.
type Handler struct {
	svc *imagerequests.Service
	log logr.Logger
}

// New returns the REST endpoints of svc.
func New(svc *imagerequests.Service, log logr.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// record counts one REST call.
func record(op, outcome string) { imagerequests.RecordCall("rest", op, outcome) }

// generateKeys are the keys of POST /generate_image's body, per object.
var generateKeys = map[string][]string{
	"":       {"prompt", "params", "namespace", "wait_seconds"},
	"params": {"n", "size", "model", "quality", "background", "output_format", "output_compression", "moderation"},
}

// generateRequest is POST /generate_image's body.
type generateRequest struct {
	Prompt string `json:"prompt"`
	Params struct {
		// N is a pointer so that an explicit 0 is refused, not taken as
		// "left out" (1 image) and charged.
		N            *int   `json:"n,omitempty"`
		Size         string `json:"size,omitempty"`
		Model        string `json:"model,omitempty"`
		Quality      string `json:"quality,omitempty"`
		Background   string `json:"background,omitempty"`
		OutputFormat string `json:"output_format,omitempty"`
		// OutputCompression is a pointer: 0 is a valid compression.
		OutputCompression *int   `json:"output_compression,omitempty"`
		Moderation        string `json:"moderation,omitempty"`
	} `json:"params"`
	Namespace   string `json:"namespace,omitempty"`
	WaitSeconds *int   `json:"wait_seconds,omitempty"`
}

// imagesResponse is the 200 answer of the REST endpoints.
type imagesResponse struct {
	ImageURLs        []string   `json:"image_urls"`
	Name             string     `json:"name"`
	Namespace        string     `json:"namespace"`
	EstimatedCostUSD string     `json:"estimated_cost_usd"`
	Phase            string     `json:"phase"`
	Images           []imageURL `json:"images"`
}

// imageURL is one image with its expiry and, when the operator keeps
// results in an artifact store, what it knows of the stored copy (the URL
// is then signed afresh for every answer).
type imageURL struct {
	URL         string `json:"url"`
	ExpiresAt   string `json:"expires_at,omitempty"`
	URI         string `json:"uri,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Bytes       int64  `json:"bytes,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	Width       int32  `json:"width,omitempty"`
	Height      int32  `json:"height,omitempty"`
}

// pendingResponse is the 202 answer when the wait elapsed: the request
// goes on, and PollURL answers like the POST once it has finished.
type pendingResponse struct {
	Error     httpapi.Error `json:"error"`
	Name      string        `json:"name"`
	Namespace string        `json:"namespace"`
	Phase     string        `json:"phase"`
	PollURL   string        `json:"poll_url"`
}

// fieldNames maps our input names (the tools', see imagerequests) to a
// REST endpoint's. An indexed name, additional_images[2], keeps its index.
type fieldNames map[string]string

func (f fieldNames) of(name string) string {
	base, index, indexed := strings.Cut(name, "[")
	if n, ok := f[base]; ok {
		if indexed {
			return n + "[" + index
		}
		return n
	}
	return name
}

// additionalImageFile is the multipart field of an edit's additional
// images, given once per image, in order.
const additionalImageFile = "additional_image_file"

var (
	generateFields = fieldNames{
		"n": "params.n", "size": "params.size", "model": "params.model", "quality": "params.quality", "background": "params.background",
		imagerequests.FieldOutputFormat: "params.output_format", imagerequests.FieldOutputCompression: "params.output_compression", "moderation": "params.moderation",
	}
	editFields = fieldNames{imagecheck.FieldImage: "image_file", imagecheck.FieldMask: "mask_file", imagerequests.FieldAdditionalImages: additionalImageFile}
)

// Generate is POST /generate_image.
func (s *Handler) Generate(w http.ResponseWriter, r *http.Request) {
	caller := imagerequests.CallerFrom(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody())
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeBodyError(w, "generate_image", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var body generateRequest
	if err := dec.Decode(&body); err != nil {
		s.writeBodyError(w, "generate_image", decodeError(raw, err))
		return
	}
	if dec.More() {
		s.writeBodyError(w, "generate_image", errors.New("more than one JSON value in the body"))
		return
	}
	if key, err := duplicateKey(raw); err != nil || key != "" {
		if err == nil {
			err = &imagerequests.InputError{Field: key, Rule: rules.Unique, Message: "is given more than once; JSON keys must be unique"}
		}
		s.writeCallError(w, "generate_image", err, nil)
		return
	}
	wait, err := waitFrom(body.WaitSeconds)
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	bp := body.Params
	p := imagerequests.Params{Prompt: body.Prompt, Size: bp.Size, Model: bp.Model, Quality: bp.Quality, Background: bp.Background,
		OutputFormat: bp.OutputFormat, OutputCompression: bp.OutputCompression, Moderation: bp.Moderation}
	if body.Params.N != nil {
		p.N, p.NSet = *body.Params.N, true
	}
	ns, err := namespaceOf(r, body.Namespace)
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	cr, err := s.svc.Prepare(r.Context(), caller, imagerequests.Request{Via: "rest/generate_image", Namespace: ns, Params: p})
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	s.restCreateAndWait(w, r, "generate_image", cr, wait)
}

// namespaceOf is the namespace a REST call names: in the query
// (?namespace=, which is known before the body is read, so a large upload
// can be authorised before it is; see internal/httpserver) or in the body. Both
// may be given only if they agree.
func namespaceOf(r *http.Request, inBody string) (string, error) {
	q := r.URL.Query().Get("namespace")
	switch {
	case q == "":
		return inBody, nil
	case inBody == "" || inBody == q:
		return q, nil
	}
	return "", &imagerequests.InputError{Field: "namespace", Rule: rules.Conflict, Message: fmt.Sprintf("the query names namespace %q and the body %q; give one, or the same in both", q, inBody)}
}

func waitFrom(seconds *int) (time.Duration, error) {
	if seconds == nil {
		return imagerequests.DefaultWaitSeconds * time.Second, nil
	}
	// minimum and maximum: the words of the tools' input schema.
	if *seconds < 0 {
		return 0, &imagerequests.InputError{Field: "wait_seconds", Rule: rules.Minimum, Message: fmt.Sprintf("must be between 0 and %d, got %d", imagerequests.MaxWaitSeconds, *seconds)}
	}
	if *seconds > imagerequests.MaxWaitSeconds {
		return 0, &imagerequests.InputError{Field: "wait_seconds", Rule: rules.Maximum, Message: fmt.Sprintf("must be between 0 and %d, got %d", imagerequests.MaxWaitSeconds, *seconds)}
	}
	return time.Duration(*seconds) * time.Second, nil
}

// editTextFields are POST /edit_image's form fields besides the files.
var editTextFields = []string{"prompt", "n", "size", "model", "quality", "background", "output_format", "output_compression", "moderation", "namespace", "wait_seconds"}

// editFieldList names every field of POST /edit_image, for messages.
const editFieldList = "prompt, image_file, additional_image_file (repeated, one per extra image), mask_file, n, size, model, quality, background, output_format, output_compression, moderation, namespace and wait_seconds"

// Edit is POST /edit_image. It reads the multipart upload part by part,
// each through a hard limit, so nothing unbounded is ever held in memory:
// image_file (the image a mask applies to), additional_image_file once per
// further image (the GPT image models take up to 15 more, in PNG, WebP or
// JPEG), mask_file and the text fields.
//
// Each file is buffered whole, up to the largest model's input limit (50 MB
// for the GPT image models): the checks every edit passes before anything
// is created (format and dimensions from the header, then a PNG's pixels
// for transparency and the mask's alpha) read the bytes more than once,
// and an input refused by them must never reach the artifact store.
// Prepare then checks them and Create streams them into the store (or,
// without one, a Secret). The whole body, and so what the files hold
// together, is bounded by the listener (internal/httpserver: the
// --mcp-max-body-bytes limit /mcp has, 12 MiB by default), which answers
// 413 past it; the listener's large-body slots bound how many such calls
// read at once.
func (s *Handler) Edit(w http.ResponseWriter, r *http.Request) {
	caller := imagerequests.CallerFrom(r.Context())
	maxFile := maxInputBytes()
	mr, err := r.MultipartReader()
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument,
			Message: "the body must be multipart/form-data with fields " + editFieldList + ": " + err.Error()})
		return
	}
	fields := map[string]string{}
	var image, mask []byte
	var additional [][]byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			// Read what follows the last part too: the body's end lifts
			// its read deadline (see internal/httpserver) and lets net/http notice a
			// caller that goes away while the call waits.
			_, _ = io.Copy(io.Discard, r.Body)
			break
		}
		if err != nil {
			s.writeBodyError(w, "edit_image", err)
			return
		}
		name := part.FormName()
		switch {
		case name == "image_file" || name == "mask_file" || name == additionalImageFile:
			if (name == "image_file" && image != nil) || (name == "mask_file" && mask != nil) {
				httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: name, Rule: rules.Unique,
					Message: "is given more than once; send further images as " + additionalImageFile})
				return
			}
			field := name
			if name == additionalImageFile {
				field = editFields.of(imagerequests.AdditionalImageField(len(additional)))
			}
			data, err := readPart(part, maxFile)
			if err != nil {
				s.writePartError(w, field, maxFile, err)
				return
			}
			switch name {
			case "image_file":
				image = data
			case "mask_file":
				mask = data
			default:
				additional = append(additional, data)
			}
		case slices.Contains(editTextFields, name):
			if _, dup := fields[name]; dup {
				httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: name, Rule: rules.Unique, Message: "is given more than once"})
				return
			}
			limit := int64(maxFormFieldSize)
			if name == "prompt" {
				limit = maxPromptBytes(false)
			}
			data, err := readPart(part, limit)
			if err != nil {
				s.writePartError(w, name, limit, err)
				return
			}
			fields[name] = string(data)
		default:
			httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: name, Rule: rules.AdditionalProperties,
				Message: "is not a field of edit_image; the fields are " + editFieldList})
			return
		}
	}
	var errs imagerequests.InputErrors
	intField := func(name string) *int {
		v, ok := fields[name]
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, &imagerequests.InputError{Field: name, Rule: rules.Type, Message: fmt.Sprintf("%q is not an integer", v)})
		}
		return &n
	}
	n, waitSeconds, compression := intField("n"), intField("wait_seconds"), intField("output_compression")
	if image == nil {
		errs = append(errs, &imagerequests.InputError{Field: imagecheck.FieldImage, Rule: rules.Required, Message: "is required: upload the image to edit"})
	}
	if len(errs) > 0 {
		s.writeCallError(w, "edit_image", errs, editFields)
		return
	}
	wait, err := waitFrom(waitSeconds)
	if err != nil {
		s.writeCallError(w, "edit_image", err, editFields)
		return
	}
	p := imagerequests.Params{Prompt: fields["prompt"], Size: fields["size"], Model: fields["model"], Quality: fields["quality"],
		Background: fields["background"], OutputFormat: fields["output_format"], OutputCompression: compression, Moderation: fields["moderation"]}
	if n != nil {
		p.N, p.NSet = *n, true
	}
	ns, err := namespaceOf(r, fields["namespace"])
	if err != nil {
		s.writeCallError(w, "edit_image", err, editFields)
		return
	}
	cr, err := s.svc.Prepare(r.Context(), caller, imagerequests.Request{Via: "rest/edit_image", Namespace: ns, Params: p,
		Edit: true, Image: image, Mask: mask, AdditionalImages: additional})
	if err != nil {
		s.writeCallError(w, "edit_image", err, editFields)
		return
	}
	s.restCreateAndWait(w, r, "edit_image", cr, wait)
}

// errPartTooLarge says a part went past its limit.
var errPartTooLarge = errors.New("part too large")

// readPart reads at most limit bytes of a part; more is errPartTooLarge.
func readPart(part *multipart.Part, limit int64) ([]byte, error) {
	defer part.Close()
	data, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errPartTooLarge
	}
	return data, nil
}

func (s *Handler) writePartError(w http.ResponseWriter, field string, limit int64, err error) {
	if errors.Is(err, errPartTooLarge) {
		rule := rules.MaxLength
		msg := fmt.Sprintf("is longer than %d bytes", limit)
		if strings.Contains(field, "_file") {
			rule = rules.SizeBytes
			msg = fmt.Sprintf("is larger than %d bytes; it must be smaller than %d bytes (%d MB)", limit, limit, limit>>20)
		}
		httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: field, Rule: rule, Message: msg})
		return
	}
	s.writeBodyError(w, "edit_image", err)
}

// writeBodyError answers a body that could not be read or parsed.
func (s *Handler) writeBodyError(w http.ResponseWriter, op string, err error) {
	record(op, imagerequests.OutcomeInvalid)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, httpapi.Error{Code: httpapi.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)})
		return
	}
	var slow *httpapi.BodyTooSlowError
	if errors.As(err, &slow) {
		httpapi.WriteError(w, http.StatusRequestTimeout, httpapi.Error{Code: httpapi.CodeRequestTimeout, Message: slow.Error()})
		return
	}
	e := httpapi.Error{Code: httpapi.CodeInvalidArgument, Message: "the body could not be read: " + err.Error()}
	var typeErr *json.UnmarshalTypeError
	var unknown *unknownFieldError
	switch {
	case errors.As(err, &typeErr):
		e.Field, e.Rule = typeErr.Field, rules.Type
		e.Message = fmt.Sprintf("must be a %s, got a JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &unknown):
		e.Field, e.Rule, e.Message = unknown.key, rules.AdditionalProperties, "is not a field of this endpoint"
		if slices.Contains(generateKeys["params"], unknown.key) {
			// The commonest slip: n, size or model next to prompt.
			e.Message += fmt.Sprintf(`; %s goes under params, e.g. {"prompt": "…", "params": {"%s": …}}`, unknown.key, unknown.key)
		}
	}
	httpapi.WriteError(w, http.StatusBadRequest, e)
}

// writeCallError answers an error from prepareCreate or validation.
func (s *Handler) writeCallError(w http.ResponseWriter, op string, err error, names fieldNames) {
	var fe *imagerequests.ForbiddenError
	switch ies := imagerequests.AsInputErrors(err); {
	case ies != nil:
		record(op, imagerequests.OutcomeInvalid)
		msgs := make([]string, len(ies))
		for i, ie := range ies {
			msgs[i] = (&imagerequests.InputError{Field: names.of(ie.Field), Rule: ie.Rule, Message: ie.Message}).Error()
		}
		httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: names.of(ies[0].Field), Rule: ies[0].Rule, Message: strings.Join(msgs, "; ")})
	case errors.As(err, &fe):
		record(op, imagerequests.OutcomeForbidden)
		httpapi.WriteError(w, http.StatusForbidden, httpapi.Error{Code: httpapi.CodeForbidden, Message: fe.Error()})
	default:
		record(op, imagerequests.OutcomeError)
		s.log.Error(err, "REST call failed", "operation", op)
		httpapi.WriteError(w, http.StatusInternalServerError, httpapi.Error{Code: httpapi.CodeInternal, Message: err.Error()})
	}
}

func (s *Handler) restCreateAndWait(w http.ResponseWriter, r *http.Request, op string, cr *imagerequests.Prepared, wait time.Duration) {
	log := s.log.WithValues("rest", op, "user", imagerequests.CallerFrom(r.Context()).Name())
	ir, err := s.svc.Create(r.Context(), cr)
	if err != nil {
		s.writeCallError(w, op, err, nil)
		return
	}
	log = log.WithValues("imagerequest", klog.KObj(ir))
	log.Info("created ImageRequest", "operation", ir.Spec.Operation, "n", ir.Spec.N, "size", ir.Spec.Size, "promptChars", len(ir.Spec.Prompt))
	outcome, err := s.svc.Await(r.Context(), ir, wait, nil)
	if err != nil {
		// A shutdown also cancels r's context: tell it from a caller that
		// went away, which is the only one left without an answer.
		if s.svc.ShuttingDown() {
			if outcome.Request.Status.Phase.IsTerminal() {
				record(op, s.writeOutcome(w, outcome, editOrGenerateFields(op)))
				return
			}
			log.Info("shutting down while the caller waits; the ImageRequest carries on")
			record(op, imagerequests.OutcomePending)
			s.writeShuttingDown(w, outcome.Request)
			return
		}
		if r.Context().Err() != nil || errors.Is(err, imagerequests.ErrCallerGone) {
			log.Info("caller went away; the ImageRequest carries on")
			record(op, imagerequests.OutcomePending)
			return
		}
		s.writeCallError(w, op, err, nil)
		return
	}
	record(op, s.writeOutcome(w, outcome, editOrGenerateFields(op)))
}

func editOrGenerateFields(op string) fieldNames {
	if op == "edit_image" {
		return editFields
	}
	return generateFields
}

// writeOutcome answers with where the request is: 200 with the images,
// 202 while it is still working, or the HTTP status its failure maps to.
// It returns the outcome label for the metrics.
func (s *Handler) writeOutcome(w http.ResponseWriter, o imagerequests.Outcome, names fieldNames) string {
	ir := o.Request
	st := ir.Status
	switch st.Phase {
	case imagesv1alpha1.PhaseSucceeded:
		resp := imagesResponse{ImageURLs: []string{}, Images: []imageURL{}, Name: ir.Name, Namespace: ir.Namespace,
			EstimatedCostUSD: st.EstimatedCostUSD, Phase: string(st.Phase)}
		for _, img := range st.Images {
			resp.ImageURLs = append(resp.ImageURLs, img.URL)
			u := imageURL{URL: img.URL, URI: img.URI, ContentType: img.ContentType, Bytes: img.Bytes, SHA256: img.SHA256,
				Width: img.Width, Height: img.Height}
			if img.ExpiresAt != nil {
				u.ExpiresAt = img.ExpiresAt.UTC().Format(time.RFC3339)
			}
			resp.Images = append(resp.Images, u)
		}
		httpapi.WriteJSON(w, http.StatusOK, resp)
		return imagerequests.OutcomeOK
	case imagesv1alpha1.PhaseFailed:
		status, e := failureResponse(o, names)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(ir)))
		}
		httpapi.WriteError(w, status, e)
		return imagerequests.OutcomeFailed
	}
	phase := imagerequests.PhaseOf(ir)
	poll := PathImageRequests + ir.Namespace + "/" + ir.Name
	w.Header().Set("Location", poll)
	httpapi.WriteJSON(w, http.StatusAccepted, pendingResponse{
		Error: httpapi.Error{Code: httpapi.CodeWaitElapsed, Message: imagerequests.Describe(ir) + "; it goes on: GET " + poll + " until it answers 200 (or an error)"},
		Name:  ir.Name, Namespace: ir.Namespace, Phase: string(phase), PollURL: poll,
	})
	return imagerequests.OutcomePending
}

// failureResponse maps a Failed request to an HTTP status and error.
func failureResponse(o imagerequests.Outcome, names fieldNames) (int, httpapi.Error) {
	st := o.Request.Status
	msg := fmt.Sprintf("ImageRequest %s/%s failed: %s: %s", o.Request.Namespace, o.Request.Name, st.Reason, st.Message)
	switch st.Reason {
	case imagesv1alpha1.ReasonContentPolicy:
		return http.StatusUnprocessableEntity, httpapi.Error{Code: httpapi.CodeContentPolicy, Field: "prompt", Message: msg}
	case imagesv1alpha1.ReasonRateLimited:
		return http.StatusTooManyRequests, httpapi.Error{Code: httpapi.CodeRateLimited, Message: msg}
	case imagesv1alpha1.ReasonAttemptsExhausted:
		// The attempts ran out: a rate limit if the last one was refused
		// for one (status.lastFailure, recorded by the controller).
		if lf := st.LastFailure; lf != nil && lf.Reason == imagesv1alpha1.ReasonRateLimited {
			return http.StatusTooManyRequests, httpapi.Error{Code: httpapi.CodeRateLimited, Message: msg}
		}
	case imagesv1alpha1.ReasonInvalidImage:
		return http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: names.of(imagecheck.FieldImage), Message: msg}
	case imagesv1alpha1.ReasonInvalidMask:
		return http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: names.of(imagecheck.FieldMask), Message: msg}
	case imagesv1alpha1.ReasonInvalidRequest, imagesv1alpha1.ReasonUnsupportedModel:
		return http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Message: msg}
	}
	return http.StatusBadGateway, httpapi.Error{Code: httpapi.CodeUpstream, Message: msg}
}

// Get is GET /image_requests/{namespace}/{name}: the same
// answer as the POST that created it, now, with URLs the service signed
// for this answer when the operator keeps results in an artifact store.
func (s *Handler) Get(w http.ResponseWriter, r *http.Request) {
	caller := imagerequests.CallerFrom(r.Context())
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	ir, err := s.svc.Get(r.Context(), caller, ns, name)
	if ies := imagerequests.AsInputErrors(err); ies != nil {
		record("get_image_request", imagerequests.OutcomeInvalid)
		httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: ies[0].Field, Rule: ies[0].Rule, Message: ies.Error()})
		return
	}
	if apierrors.IsNotFound(err) {
		httpapi.WriteError(w, http.StatusNotFound, httpapi.Error{Code: httpapi.CodeNotFound, Message: fmt.Sprintf("ImageRequest %s/%s not found", ns, name)})
		return
	}
	if err != nil {
		s.writeCallError(w, "get_image_request", err, nil)
		return
	}
	names := generateFields
	if ir.Spec.Operation == imagesv1alpha1.OperationEdit {
		names = editFields
	}
	record("get_image_request", s.writeOutcome(w, imagerequests.Outcome{Request: ir}, names))
}

// retryAfterSeconds is the Retry-After of a 429: the wait the upstream
// asked for on the last failed attempt, else defaultRetryAfter.
func retryAfterSeconds(ir *imagesv1alpha1.ImageRequest) int {
	if lf := ir.Status.LastFailure; lf != nil && lf.RetryAfterSeconds != nil && *lf.RetryAfterSeconds > 0 {
		return int(*lf.RetryAfterSeconds)
	}
	return int(math.Ceil(defaultRetryAfter.Seconds()))
}

// maxInputBytes is the largest edit input any registered model takes.
func maxInputBytes() int64 {
	var n int64
	for _, name := range models.Names() {
		if m, ok := models.Lookup(name); ok {
			n = max(n, m.MaxInputBytes)
		}
	}
	return n
}

// unknownFieldError names a body key the endpoint does not have.
type unknownFieldError struct {
	key string
	err error
}

func (e *unknownFieldError) Error() string { return e.err.Error() }
func (e *unknownFieldError) Unwrap() error { return e.err }

// decodeError types what the JSON decoder said of the generate body: an
// unknown key becomes an *unknownFieldError naming it (the decoder says so
// only in words). Its key is the last part of the path, as the decoder
// names it.
func decodeError(raw []byte, err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	if errors.As(err, &typeErr) || errors.As(err, &syntaxErr) {
		return err
	}
	path, kerr := unknownKey(raw, generateKeys)
	if kerr != nil || path == "" {
		return err
	}
	return &unknownFieldError{key: path[strings.LastIndex(path, ".")+1:], err: err}
}
