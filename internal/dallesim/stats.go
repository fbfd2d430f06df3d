package dallesim

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Endpoint identifies an API endpoint in Stats and Call.
type Endpoint string

// The API endpoints the simulator serves.
const (
	EndpointGenerations Endpoint = "/v1/images/generations"
	EndpointEdits       Endpoint = "/v1/images/edits"
)

// StatusClientClosedRequest is the Call.Status of a request whose client went
// away before it was answered (nginx's convention; nothing was sent).
const StatusClientClosedRequest = 499

// Call is the call log's record of one API request.
type Call struct {
	Time            time.Time `json:"time"` // when the request arrived (Config.Now)
	Endpoint        Endpoint  `json:"endpoint"`
	RequestID       string    `json:"requestId"`                 // the x-request-id answered
	ClientRequestID string    `json:"clientRequestId,omitempty"` // the X-Client-Request-Id header sent
	Prompt          string    `json:"prompt"`
	N               int       `json:"n"`
	Size            string    `json:"size"`
	ResponseFormat  string    `json:"responseFormat"`
	Model           string    `json:"model"`
	User            string    `json:"user,omitempty"`
	// Params are the names of the parameters the request sent (JSON keys,
	// or an edit's text form fields; not its files), sorted: what went on
	// the wire, e.g. whether response_format or safety_identifier did.
	Params []string `json:"params,omitempty"`
	// Status is the HTTP status answered; 0 when the connection was reset,
	// StatusClientClosedRequest when the client gave up first.
	Status    int    `json:"status"`
	ErrorCode string `json:"errorCode,omitempty"` // error.code answered, if any
	// Fault is the scripted fault this request consumed, if any.
	Fault           FaultKind `json:"fault,omitempty"`
	ConnectionReset bool      `json:"connectionReset,omitempty"`
	// Billable is true when the request returned images, which OpenAI charges for.
	Billable bool          `json:"billable"`
	Images   int           `json:"images"` // images returned (and billed)
	Duration time.Duration `json:"durationNs"`

	// GPT image requests only: the resolved output parameters, the number
	// of input images of an edit, and the usage billed (nil unless billable).
	OutputFormat string `json:"outputFormat,omitempty"`
	Quality      string `json:"quality,omitempty"`
	Background   string `json:"background,omitempty"`
	InputImages  int    `json:"inputImages,omitempty"`
	Usage        *Usage `json:"usage,omitempty"`
	// Moderation and OutputCompression as resolved (defaults filled in);
	// SafetyIdentifier as sent ("" when not), while User is the label the
	// call is known by (safety_identifier, else user).
	Moderation        string `json:"moderation,omitempty"`
	OutputCompression int    `json:"outputCompression,omitempty"`
	SafetyIdentifier  string `json:"safetyIdentifier,omitempty"`
}

// noteParams records the names of the parameters sent.
func (c *Call) noteParams(params map[string]rawParam) {
	c.Params = slices.Sorted(maps.Keys(params))
}

// noteRequest copies the parsed request parameters into the record.
func (c *Call) noteRequest(req imageRequest) {
	if req.Prompt != "" {
		c.Prompt = req.Prompt
	}
	c.N, c.Size, c.ResponseFormat, c.Model, c.User = req.N, req.Size, req.ResponseFormat, req.Model, req.User
}

// noteGPTRequest copies a GPT image request's parameters into the record.
func (c *Call) noteGPTRequest(req gptRequest) {
	c.noteRequest(req.imageRequest)
	c.OutputFormat, c.Quality, c.Background = req.OutputFormat, req.Quality, req.Background
	c.Moderation, c.OutputCompression, c.SafetyIdentifier = req.Moderation, req.Compression, req.SafetyIdentifier
}

// markAbandoned records that the client gave up before an answer.
func (c *Call) markAbandoned() {
	c.Status = StatusClientClosedRequest
	c.ErrorCode = "client_closed_request"
}

// Stats are the simulator's counters since start or the last Reset.
type Stats struct {
	// Requests counts every request received per API endpoint, whatever its outcome.
	Requests map[Endpoint]int64 `json:"requests"`
	// BillableRequests counts requests that returned images.
	BillableRequests int64 `json:"billableRequests"`
	// BillableImages counts the images those requests returned.
	BillableImages int64 `json:"billableImages"`
	// ImageDownloads counts images served from image URLs.
	ImageDownloads int64 `json:"imageDownloads"`
	// FaultsInjected counts scripted faults consumed.
	FaultsInjected int64 `json:"faultsInjected"`
	// BillableRequestsByModel and BillableImagesByModel split the billable
	// counters by the model that served them.
	BillableRequestsByModel map[string]int64 `json:"billableRequestsByModel"`
	BillableImagesByModel   map[string]int64 `json:"billableImagesByModel"`
	// UsageByModel sums the token usage billed by GPT image models.
	UsageByModel map[string]Usage `json:"usageByModel"`
}

// newStats returns zeroed counters with their maps allocated.
func newStats() Stats {
	return Stats{
		Requests:                map[Endpoint]int64{},
		BillableRequestsByModel: map[string]int64{},
		BillableImagesByModel:   map[string]int64{},
		UsageByModel:            map[string]Usage{},
	}
}

// recorder holds the counters and the bounded call log.
type recorder struct {
	mu    sync.Mutex
	stats Stats
	calls []Call // ring buffer once full
	next  int    // index of the oldest entry once the ring is full
	max   int
}

func newRecorder(max int) *recorder {
	if max <= 0 {
		max = DefaultMaxCallLog
	}
	return &recorder{max: max, stats: newStats()}
}

func (r *recorder) received(e Endpoint) {
	r.mu.Lock()
	r.stats.Requests[e]++
	r.mu.Unlock()
}

// bill counts a billable request of model; usage is nil for per-image models.
func (r *recorder) bill(model string, images int, usage *Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.BillableRequests++
	r.stats.BillableImages += int64(images)
	r.stats.BillableRequestsByModel[model]++
	r.stats.BillableImagesByModel[model] += int64(images)
	if usage != nil {
		total := r.stats.UsageByModel[model]
		total.add(*usage)
		r.stats.UsageByModel[model] = total
	}
}

func (r *recorder) downloaded() {
	r.mu.Lock()
	r.stats.ImageDownloads++
	r.mu.Unlock()
}

func (r *recorder) faultInjected() {
	r.mu.Lock()
	r.stats.FaultsInjected++
	r.mu.Unlock()
}

func (r *recorder) record(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) < r.max {
		r.calls = append(r.calls, c)
		return
	}
	r.calls[r.next] = c
	r.next = (r.next + 1) % r.max
}

func (r *recorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Requests = maps.Clone(r.stats.Requests)
	s.BillableRequestsByModel = maps.Clone(r.stats.BillableRequestsByModel)
	s.BillableImagesByModel = maps.Clone(r.stats.BillableImagesByModel)
	s.UsageByModel = maps.Clone(r.stats.UsageByModel)
	return s
}

// log returns the recorded calls, oldest first, that keep says to keep.
func (r *recorder) log(keep func(*Call) bool) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Call{}
	for i := range r.calls {
		c := &r.calls[(r.next+i)%len(r.calls)]
		if keep(c) {
			out = append(out, *c)
		}
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats = newStats()
	r.calls, r.next = nil, 0
}

// Stats returns the counters since start or the last Reset.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Calls returns the call log, in the order requests finished. The log keeps
// the last Config.MaxCallLog calls; the counters in Stats are not bounded.
func (s *Server) Calls() []Call {
	return s.stats.log(func(*Call) bool { return true })
}

// CallsForPrompt returns the logged calls whose prompt is exactly prompt.
func (s *Server) CallsForPrompt(prompt string) []Call {
	return s.stats.log(func(c *Call) bool { return c.Prompt == prompt })
}

// BillableImagesForPrompt sums the images billed to calls with exactly prompt.
func (s *Server) BillableImagesForPrompt(prompt string) int {
	total := 0
	for _, c := range s.CallsForPrompt(prompt) {
		if c.Billable {
			total += c.Images
		}
	}
	return total
}

// CallsForModel returns the logged calls that named (or defaulted to) model.
func (s *Server) CallsForModel(model string) []Call {
	return s.stats.log(func(c *Call) bool { return c.Model == model })
}

// Reset clears the counters, the call log, pending faults and the
// images-per-minute window. Settings and issued image URLs are kept.
func (s *Server) Reset() {
	s.stats.reset()
	s.faults.clear()
	s.limiter.reset()
}
