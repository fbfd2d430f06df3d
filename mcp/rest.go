package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
)

// REST paths.
const (
	PathGenerate      = "/generate_image"
	PathEdit          = "/edit_image"
	PathImageRequests = "/image_requests/"
)

// Limits of the REST bodies.
const (
	maxJSONBody      = 64 << 10
	maxFormFieldSize = 8 << 10
	// defaultRetryAfter is sent with a 429 when the upstream's wait is not known.
	defaultRetryAfter = 60 * time.Second
)

// GenerateRequest is POST /generate_image's body.
type GenerateRequest struct {
	Prompt string `json:"prompt"`
	Params struct {
		// N is a pointer so that an explicit 0 is refused, not taken as
		// "left out" (1 image) and charged.
		N     *int   `json:"n,omitempty"`
		Size  string `json:"size,omitempty"`
		Model string `json:"model,omitempty"`
	} `json:"params"`
	Namespace   string `json:"namespace,omitempty"`
	WaitSeconds *int   `json:"wait_seconds,omitempty"`
}

// ImagesResponse is the 200 answer of the REST endpoints.
type ImagesResponse struct {
	ImageURLs        []string       `json:"image_urls"`
	Name             string         `json:"name"`
	Namespace        string         `json:"namespace"`
	EstimatedCostUSD string         `json:"estimated_cost_usd"`
	Phase            string         `json:"phase"`
	Images           []RESTImageURL `json:"images"`
}

// RESTImageURL is one image with its expiry.
type RESTImageURL struct {
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// PendingResponse is the 202 answer when the wait elapsed: the request
// goes on, and PollURL answers like the POST once it has finished.
type PendingResponse struct {
	Error     apiError `json:"error"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Phase     string   `json:"phase"`
	PollURL   string   `json:"poll_url"`
}

// fieldNames maps our input names to a REST endpoint's.
type fieldNames map[string]string

func (f fieldNames) of(name string) string {
	if n, ok := f[name]; ok {
		return n
	}
	return name
}

var (
	generateFields = fieldNames{"n": "params.n", "size": "params.size", "model": "params.model"}
	editFields     = fieldNames{imagecheck.FieldImage: "image_file", imagecheck.FieldMask: "mask_file"}
)

func (s *Server) restGenerate(w http.ResponseWriter, r *http.Request) {
	caller := callerFrom(r.Context(), nil)
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeBodyError(w, "generate_image", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var body GenerateRequest
	if err := dec.Decode(&body); err != nil {
		s.writeBodyError(w, "generate_image", err)
		return
	}
	if dec.More() {
		s.writeBodyError(w, "generate_image", errors.New("more than one JSON value in the body"))
		return
	}
	if key, err := duplicateKey(raw); err != nil || key != "" {
		if err == nil {
			err = &InputError{Field: key, Rule: "unique", Message: "is given more than once; JSON keys must be unique"}
		}
		s.writeCallError(w, "generate_image", err, nil)
		return
	}
	wait, err := waitFrom(body.WaitSeconds)
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	p := imageParams{Prompt: body.Prompt, Size: body.Params.Size, Model: body.Params.Model}
	if body.Params.N != nil {
		p.N, p.NSet = *body.Params.N, true
	}
	ns, err := namespaceOf(r, body.Namespace)
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	cr, err := s.prepareCreate(r.Context(), caller, "rest/generate_image", ns, p, false, noInputs)
	if err != nil {
		s.writeCallError(w, "generate_image", err, generateFields)
		return
	}
	s.restCreateAndWait(w, r, "generate_image", cr, wait)
}

func noInputs() ([]byte, []byte, error) { return nil, nil, nil }

// namespaceOf is the namespace a REST call names: in the query
// (?namespace=, which is known before the body is read, so a large upload
// can be authorised before it is; see admitLargeBody) or in the body. Both
// may be given only if they agree.
func namespaceOf(r *http.Request, inBody string) (string, error) {
	q := r.URL.Query().Get("namespace")
	switch {
	case q == "":
		return inBody, nil
	case inBody == "" || inBody == q:
		return q, nil
	}
	return "", &InputError{Field: "namespace", Rule: "conflict", Message: fmt.Sprintf("the query names namespace %q and the body %q; give one, or the same in both", q, inBody)}
}

func waitFrom(seconds *int) (time.Duration, error) {
	if seconds == nil {
		return defaultWaitSeconds * time.Second, nil
	}
	// minimum and maximum: the words of the tools' input schema.
	if *seconds < 0 {
		return 0, &InputError{Field: "wait_seconds", Rule: "minimum", Message: fmt.Sprintf("must be between 0 and %d, got %d", maxWaitSeconds, *seconds)}
	}
	if *seconds > maxWaitSeconds {
		return 0, &InputError{Field: "wait_seconds", Rule: "maximum", Message: fmt.Sprintf("must be between 0 and %d, got %d", maxWaitSeconds, *seconds)}
	}
	return time.Duration(*seconds) * time.Second, nil
}

// restEdit reads the multipart upload part by part, each file through a
// hard limit, so nothing unbounded is ever held in memory.
func (s *Server) restEdit(w http.ResponseWriter, r *http.Request) {
	caller := callerFrom(r.Context(), nil)
	maxFile := registryLimits().maxInputBytes
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxFile+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument,
			Message: "the body must be multipart/form-data with fields prompt, image_file, optional mask_file, n, size, model, namespace and wait_seconds: " + err.Error()})
		return
	}
	fields := map[string]string{}
	var image, mask []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			// Read what follows the last part too: the body's end lifts
			// its read deadline (bodyrate.go) and lets net/http notice a
			// caller that goes away while the call waits.
			_, _ = io.Copy(io.Discard, r.Body)
			break
		}
		if err != nil {
			s.writeBodyError(w, "edit_image", err)
			return
		}
		name := part.FormName()
		switch name {
		case "image_file", "mask_file":
			if (name == "image_file" && image != nil) || (name == "mask_file" && mask != nil) {
				writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: name, Rule: "unique", Message: "is given more than once"})
				return
			}
			data, err := readPart(part, maxFile)
			if err != nil {
				s.writePartError(w, name, maxFile, err)
				return
			}
			if name == "image_file" {
				image = data
			} else {
				mask = data
			}
		case "prompt", "n", "size", "model", "namespace", "wait_seconds":
			if _, dup := fields[name]; dup {
				writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: name, Rule: "unique", Message: "is given more than once"})
				return
			}
			data, err := readPart(part, maxFormFieldSize)
			if err != nil {
				s.writePartError(w, name, maxFormFieldSize, err)
				return
			}
			fields[name] = string(data)
		default:
			writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: name, Rule: "unknown",
				Message: "is not a field of edit_image; the fields are prompt, image_file, mask_file, n, size, model, namespace and wait_seconds"})
			return
		}
	}
	var errs InputErrors
	n, nSet := 0, false
	if v, ok := fields["n"]; ok {
		nSet = true
		if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
			errs = append(errs, &InputError{Field: "n", Rule: "integer", Message: fmt.Sprintf("%q is not an integer", v)})
		}
	}
	var waitSeconds *int
	if v, ok := fields["wait_seconds"]; ok {
		ws, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, &InputError{Field: "wait_seconds", Rule: "integer", Message: fmt.Sprintf("%q is not an integer", v)})
		}
		waitSeconds = &ws
	}
	if image == nil {
		errs = append(errs, &InputError{Field: imagecheck.FieldImage, Rule: "required", Message: "is required: upload the PNG to edit"})
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
	p := imageParams{Prompt: fields["prompt"], N: n, NSet: nSet, Size: fields["size"], Model: fields["model"]}
	ns, err := namespaceOf(r, fields["namespace"])
	if err != nil {
		s.writeCallError(w, "edit_image", err, editFields)
		return
	}
	cr, err := s.prepareCreate(r.Context(), caller, "rest/edit_image", ns, p, true,
		func() ([]byte, []byte, error) { return image, mask, nil })
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

func (s *Server) writePartError(w http.ResponseWriter, field string, limit int64, err error) {
	if errors.Is(err, errPartTooLarge) {
		rule := "maxLength"
		msg := fmt.Sprintf("is longer than %d bytes", limit)
		if strings.HasSuffix(field, "_file") {
			rule = "size-bytes"
			msg = fmt.Sprintf("is larger than %d bytes; it must be smaller than %d bytes (%d MB)", limit, limit, limit>>20)
		}
		writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: field, Rule: rule, Message: msg})
		return
	}
	s.writeBodyError(w, "edit_image", err)
}

// writeBodyError answers a body that could not be read or parsed.
func (s *Server) writeBodyError(w http.ResponseWriter, op string, err error) {
	calls.WithLabelValues("rest", op, outcomeInvalid).Inc()
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, apiError{Code: codeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)})
		return
	}
	var slow *BodyTooSlowError
	if errors.As(err, &slow) {
		writeError(w, http.StatusRequestTimeout, apiError{Code: codeRequestTimeout, Message: slow.Error()})
		return
	}
	e := apiError{Code: codeInvalidArgument, Message: "the body could not be read: " + err.Error()}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		e.Field, e.Rule = typeErr.Field, "type"
		e.Message = fmt.Sprintf("must be a %s, got a JSON %s", typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		e.Field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Rule, e.Message = "unknown", "is not a field of this endpoint"
	}
	writeError(w, http.StatusBadRequest, e)
}

// writeCallError answers an error from prepareCreate or validation.
func (s *Server) writeCallError(w http.ResponseWriter, op string, err error, names fieldNames) {
	var fe *ForbiddenError
	switch ies := asInputErrors(err); {
	case ies != nil:
		calls.WithLabelValues("rest", op, outcomeInvalid).Inc()
		msgs := make([]string, len(ies))
		for i, ie := range ies {
			msgs[i] = (&InputError{Field: names.of(ie.Field), Rule: ie.Rule, Message: ie.Message}).Error()
		}
		writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: names.of(ies[0].Field), Rule: ies[0].Rule, Message: strings.Join(msgs, "; ")})
	case errors.As(err, &fe):
		calls.WithLabelValues("rest", op, outcomeForbidden).Inc()
		writeError(w, http.StatusForbidden, apiError{Code: codeForbidden, Message: fe.Error()})
	default:
		calls.WithLabelValues("rest", op, outcomeError).Inc()
		s.log.Error(err, "REST call failed", "operation", op)
		writeError(w, http.StatusInternalServerError, apiError{Code: codeInternal, Message: err.Error()})
	}
}

func (s *Server) restCreateAndWait(w http.ResponseWriter, r *http.Request, op string, cr createRequest, wait time.Duration) {
	log := s.log.WithValues("rest", op, "user", callerName(cr.caller))
	ir, err := s.create(r.Context(), cr)
	if err != nil {
		s.writeCallError(w, op, err, nil)
		return
	}
	log = log.WithValues("imagerequest", klog.KObj(ir))
	log.Info("created ImageRequest", "operation", ir.Spec.Operation, "n", ir.Spec.N, "size", ir.Spec.Size, "promptChars", len(ir.Spec.Prompt))
	outcome, err := s.await(r.Context(), ir, wait, nil)
	if err != nil {
		// A shutdown also cancels r's context: tell it from a caller that
		// went away, which is the only one left without an answer.
		if s.shuttingDown() {
			if outcome.ir.Status.Phase.IsTerminal() {
				calls.WithLabelValues("rest", op, s.writeOutcome(w, outcome, editOrGenerateFields(op))).Inc()
				return
			}
			log.Info("shutting down while the caller waits; the ImageRequest carries on")
			calls.WithLabelValues("rest", op, outcomePending).Inc()
			s.writeShuttingDown(w, outcome.ir)
			return
		}
		if r.Context().Err() != nil || errors.Is(err, errCallerGone) {
			log.Info("caller went away; the ImageRequest carries on")
			calls.WithLabelValues("rest", op, outcomePending).Inc()
			return
		}
		s.writeCallError(w, op, err, nil)
		return
	}
	calls.WithLabelValues("rest", op, s.writeOutcome(w, outcome, editOrGenerateFields(op))).Inc()
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
func (s *Server) writeOutcome(w http.ResponseWriter, o waitOutcome, names fieldNames) string {
	ir := o.ir
	st := ir.Status
	switch st.Phase {
	case imagesv1alpha1.PhaseSucceeded:
		resp := ImagesResponse{ImageURLs: []string{}, Images: []RESTImageURL{}, Name: ir.Name, Namespace: ir.Namespace,
			EstimatedCostUSD: st.EstimatedCostUSD, Phase: string(st.Phase)}
		for _, img := range st.Images {
			resp.ImageURLs = append(resp.ImageURLs, img.URL)
			u := RESTImageURL{URL: img.URL}
			if img.ExpiresAt != nil {
				u.ExpiresAt = img.ExpiresAt.UTC().Format(time.RFC3339)
			}
			resp.Images = append(resp.Images, u)
		}
		writeJSON(w, http.StatusOK, resp)
		return outcomeOK
	case imagesv1alpha1.PhaseFailed:
		status, e := failureResponse(o, names)
		if status == http.StatusTooManyRequests {
			retry := o.retryAfter
			if retry <= 0 {
				retry = defaultRetryAfter
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		}
		writeError(w, status, e)
		return outcomeFailed
	}
	phase := st.Phase
	if phase == "" {
		phase = imagesv1alpha1.PhasePending
	}
	poll := PathImageRequests + ir.Namespace + "/" + ir.Name
	w.Header().Set("Location", poll)
	writeJSON(w, http.StatusAccepted, PendingResponse{
		Error: apiError{Code: codeWaitElapsed, Message: describeState(ir) + "; it goes on: GET " + poll + " until it answers 200 (or an error)"},
		Name:  ir.Name, Namespace: ir.Namespace, Phase: string(phase), PollURL: poll,
	})
	return outcomePending
}

// failureResponse maps a Failed request to an HTTP status and error.
func failureResponse(o waitOutcome, names fieldNames) (int, apiError) {
	st := o.ir.Status
	msg := fmt.Sprintf("ImageRequest %s/%s failed: %s: %s", o.ir.Namespace, o.ir.Name, st.Reason, st.Message)
	switch st.Reason {
	case imagesv1alpha1.ReasonContentPolicy:
		return http.StatusUnprocessableEntity, apiError{Code: codeContentPolicy, Field: "prompt", Message: msg}
	case imagesv1alpha1.ReasonRateLimited:
		return http.StatusTooManyRequests, apiError{Code: codeRateLimited, Message: msg}
	case imagesv1alpha1.ReasonAttemptsExhausted:
		if o.rateLimited || strings.Contains(st.Message, imagesv1alpha1.ReasonRateLimited) || strings.Contains(st.Message, " 429 ") {
			return http.StatusTooManyRequests, apiError{Code: codeRateLimited, Message: msg}
		}
	case imagesv1alpha1.ReasonInvalidImage:
		return http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: names.of(imagecheck.FieldImage), Message: msg}
	case imagesv1alpha1.ReasonInvalidMask:
		return http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: names.of(imagecheck.FieldMask), Message: msg}
	case imagesv1alpha1.ReasonInvalidRequest, imagesv1alpha1.ReasonUnsupportedModel:
		return http.StatusBadRequest, apiError{Code: codeInvalidArgument, Message: msg}
	}
	return http.StatusBadGateway, apiError{Code: codeUpstream, Message: msg}
}

// restGetImageRequest is GET /image_requests/{namespace}/{name}: the same
// answer as the POST that created it, now.
func (s *Server) restGetImageRequest(w http.ResponseWriter, r *http.Request) {
	caller := callerFrom(r.Context(), nil)
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if ierr := checkRequestKey(ns, name); ierr != nil {
		calls.WithLabelValues("rest", "get_image_request", outcomeInvalid).Inc()
		writeError(w, http.StatusBadRequest, apiError{Code: codeInvalidArgument, Field: ierr.Field, Rule: ierr.Rule, Message: ierr.Error()})
		return
	}
	if err := s.authz.authorize(r.Context(), caller, "get", ns, name); err != nil {
		s.writeCallError(w, "get_image_request", err, nil)
		return
	}
	ir, err := s.getRequest(r.Context(), ns, name)
	if apierrors.IsNotFound(err) {
		writeError(w, http.StatusNotFound, apiError{Code: codeNotFound, Message: fmt.Sprintf("ImageRequest %s/%s not found", ns, name)})
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
	calls.WithLabelValues("rest", "get_image_request", s.writeOutcome(w, waitOutcome{ir: ir}, names)).Inc()
}
