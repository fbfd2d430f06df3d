package dallesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The admin API, for local use only (it has no authentication):
//
//	GET    /sim/stats            counters (Stats)
//	GET    /sim/calls            call log; ?prompt= exact prompt, ?contains= prompt substring
//	POST   /sim/reset            Reset: counters, call log, faults, rate window
//	GET    /sim/config           current runtime settings
//	PUT    /sim/config           change settings; absent fields are kept
//	GET    /sim/faults           pending faults
//	POST   /sim/faults           append a fault object, or an array of them
//	DELETE /sim/faults           drop all pending faults
//
// Durations are Go duration strings ("250ms", "2s", "60m").

// maxAdminBodyBytes bounds admin request bodies.
const maxAdminBodyBytes = 1 << 20

// settingsJSON is the admin API's view of Settings.
type settingsJSON struct {
	Latency           string            `json:"latency"`
	LatencyJitter     string            `json:"latencyJitter"`
	LatencyBySize     map[string]string `json:"latencyBySize"`
	ContentPolicyWord string            `json:"contentPolicyWord"`
	ImagesPerMinute   int               `json:"imagesPerMinute"`
	URLTTL            string            `json:"urlTTL"`
}

// settingsPatch is the body of PUT /sim/config; nil fields are left alone
// and latencyBySize, when present, replaces all per-size overrides.
type settingsPatch struct {
	Latency           *string           `json:"latency"`
	LatencyJitter     *string           `json:"latencyJitter"`
	LatencyBySize     map[string]string `json:"latencyBySize"`
	ContentPolicyWord *string           `json:"contentPolicyWord"`
	ImagesPerMinute   *int              `json:"imagesPerMinute"`
	URLTTL            *string           `json:"urlTTL"`
}

// faultJSON is the admin API's view of a Fault.
type faultJSON struct {
	Kind              FaultKind `json:"kind"`
	Match             string    `json:"match,omitempty"`
	RetryAfterSeconds int       `json:"retryAfterSeconds,omitempty"`
	Duration          string    `json:"duration,omitempty"`
	AfterHang         string    `json:"afterHang,omitempty"`
}

// handleAdmin serves /sim/ routes and reports whether it knew the route.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, adminPrefix) {
	case "GET stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "GET calls":
		s.adminCalls(w, r)
	case "POST reset":
		s.Reset()
		writeJSON(w, http.StatusOK, s.Stats())
	case "GET config":
		writeJSON(w, http.StatusOK, toSettingsJSON(s.Settings()))
	case "PUT config":
		s.adminPutConfig(w, r)
	case "GET faults":
		writeJSON(w, http.StatusOK, toFaultsJSON(s.PendingFaults()))
	case "POST faults":
		s.adminAddFaults(w, r)
	case "DELETE faults":
		s.ClearFaults()
		writeJSON(w, http.StatusOK, toFaultsJSON(nil))
	default:
		return false
	}
	return true
}

func (s *Server) adminCalls(w http.ResponseWriter, r *http.Request) {
	prompt, contains := r.URL.Query().Get("prompt"), r.URL.Query().Get("contains")
	hasPrompt := r.URL.Query().Has("prompt")
	writeJSON(w, http.StatusOK, s.stats.log(func(c *Call) bool {
		return (!hasPrompt || c.Prompt == prompt) && strings.Contains(c.Prompt, contains)
	}))
}

func (s *Server) adminPutConfig(w http.ResponseWriter, r *http.Request) {
	var patch settingsPatch
	if err := decodeAdminBody(w, r, &patch); err != nil {
		writeAPIError(w, invalidRequest("", "", "%v", err))
		return
	}
	apply, err := patch.update()
	if err == nil {
		err = s.UpdateSettings(apply)
	}
	if err != nil {
		writeAPIError(w, invalidRequest("", "", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, toSettingsJSON(s.Settings()))
}

// update parses the patch's durations and returns the change to apply.
func (p settingsPatch) update() (func(*Settings), error) {
	parse := func(name string, v *string) (*time.Duration, error) {
		if v == nil {
			return nil, nil
		}
		d, err := time.ParseDuration(*v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &d, nil
	}
	latency, err := parse("latency", p.Latency)
	if err != nil {
		return nil, err
	}
	jitter, err := parse("latencyJitter", p.LatencyJitter)
	if err != nil {
		return nil, err
	}
	ttl, err := parse("urlTTL", p.URLTTL)
	if err != nil {
		return nil, err
	}
	var bySize map[string]time.Duration
	if p.LatencyBySize != nil {
		bySize = make(map[string]time.Duration, len(p.LatencyBySize))
		for size, v := range p.LatencyBySize {
			d, err := parse("latencyBySize."+size, &v)
			if err != nil {
				return nil, err
			}
			bySize[size] = *d
		}
	}
	return func(st *Settings) {
		if latency != nil {
			st.Latency = *latency
		}
		if jitter != nil {
			st.LatencyJitter = *jitter
		}
		if ttl != nil {
			st.URLTTL = *ttl
		}
		if bySize != nil {
			st.LatencyBySize = bySize
		}
		if p.ContentPolicyWord != nil {
			st.ContentPolicyWord = *p.ContentPolicyWord
		}
		if p.ImagesPerMinute != nil {
			st.ImagesPerMinute = *p.ImagesPerMinute
		}
	}, nil
}

func (s *Server) adminAddFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBodyBytes))
	if err != nil {
		writeAPIError(w, invalidRequest("", "", "reading body: %v", err))
		return
	}
	var in []faultJSON
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		err = strictUnmarshal(trimmed, &in)
	} else {
		var one faultJSON
		err = strictUnmarshal(trimmed, &one)
		in = []faultJSON{one}
	}
	if err != nil {
		writeAPIError(w, invalidRequest("", "", "decoding fault: %v", err))
		return
	}
	faults := make([]Fault, 0, len(in))
	for _, fj := range in {
		f := Fault{Kind: fj.Kind, Match: fj.Match, RetryAfterSeconds: fj.RetryAfterSeconds, AfterHang: fj.AfterHang}
		if fj.Duration != "" {
			if f.Duration, err = time.ParseDuration(fj.Duration); err != nil {
				writeAPIError(w, invalidRequest("", "", "fault duration: %v", err))
				return
			}
		}
		faults = append(faults, f)
	}
	if err := s.AddFault(faults...); err != nil {
		writeAPIError(w, invalidRequest("", "", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, toFaultsJSON(s.PendingFaults()))
}

// decodeAdminBody decodes a bounded JSON body, rejecting unknown fields so
// typos in test scripts surface.
func decodeAdminBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBodyBytes))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	return strictUnmarshal(body, v)
}

func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding JSON: %w", err)
	}
	return nil
}

func toSettingsJSON(st Settings) settingsJSON {
	out := settingsJSON{
		Latency:           st.Latency.String(),
		LatencyJitter:     st.LatencyJitter.String(),
		LatencyBySize:     map[string]string{},
		ContentPolicyWord: st.ContentPolicyWord,
		ImagesPerMinute:   st.ImagesPerMinute,
		URLTTL:            st.URLTTL.String(),
	}
	for size, d := range st.LatencyBySize {
		out.LatencyBySize[size] = d.String()
	}
	return out
}

func toFaultsJSON(faults []Fault) []faultJSON {
	out := make([]faultJSON, 0, len(faults))
	for _, f := range faults {
		fj := faultJSON{Kind: f.Kind, Match: f.Match, RetryAfterSeconds: f.RetryAfterSeconds, AfterHang: f.AfterHang}
		if f.Duration > 0 {
			fj.Duration = f.Duration.String()
		}
		out = append(out, fj)
	}
	return out
}
