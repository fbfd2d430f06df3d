package dallesim

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// admit runs what a valid request meets before the model "runs", in order:
// a scripted fault, the content policy, the images-per-minute limit, then
// the configured latency. It reports whether the caller should answer with
// images; when it returns false it has answered or dropped the request.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, call *Call, req imageRequest) bool {
	if f, ok := s.faults.take(req.Prompt); ok && !s.injectFault(w, r, call, f) {
		return false
	}
	st := s.settings.Load()
	if st.ContentPolicyWord != "" && strings.Contains(strings.ToLower(req.Prompt), strings.ToLower(st.ContentPolicyWord)) {
		if req.gpt {
			s.fail(w, call, errModerationBlocked(call.RequestID))
		} else {
			s.fail(w, call, errContentPolicy())
		}
		return false
	}
	if ok, used, retry := s.limiter.admit(s.now(), req.N, st.ImagesPerMinute); !ok {
		s.fail(w, call, errRateLimited(st.ImagesPerMinute, used, req.N, ceilSeconds(retry)))
		return false
	}
	return s.held(w, call, s.sleep(r.Context(), s.requestLatency(st, req)))
}

// requestLatency is the delay of one accepted request: the model's range
// (Config.ModelLatency) when it has one, else latencyFor.
func (s *Server) requestLatency(st *Settings, req imageRequest) time.Duration {
	if lr, ok := s.modelLatency[req.Model]; ok {
		return lr.pick()
	}
	return latencyFor(st, req.Size)
}

// latencyFor is the delay of one accepted request: the size's override or
// the fixed latency, plus a uniformly random jitter.
func latencyFor(st *Settings, size string) time.Duration {
	d := st.Latency
	if override, ok := st.LatencyBySize[size]; ok {
		d = override
	}
	if st.LatencyJitter > 0 {
		d += rand.N(st.LatencyJitter)
	}
	return d
}

// sleep is hold for latency: a non-positive d does not wait.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	return s.hold(ctx, d)
}

// ceilSeconds rounds d up to whole seconds, at least 1, for Retry-After.
func ceilSeconds(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}
