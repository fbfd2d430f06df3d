package dallesim

import (
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// Defaults and limits of the DALL-E 2 Images API that the simulator enforces.
const (
	// DefaultURLTTL is how long an image URL stays valid (OpenAI: 60 minutes).
	DefaultURLTTL = 60 * time.Minute
	// DefaultContentPolicyWord is the prompt word that trips the simulated safety system.
	DefaultContentPolicyWord = "forbidden"
	// DefaultModel is the only model the simulator serves.
	DefaultModel = "dall-e-2"
	// DefaultSize is used when a request names no size.
	DefaultSize = Size1024
	// DefaultMaxCallLog bounds the in-memory call log; the counters in Stats are never truncated.
	DefaultMaxCallLog = 100_000
	// DefaultMaxStoredEditBytes bounds the memory held by edit results awaiting download.
	DefaultMaxStoredEditBytes = 1 << 30

	// MaxPromptLength is DALL-E 2's prompt limit, in characters (runes).
	MaxPromptLength = 1000
	// MaxImages is the largest n DALL-E 2 accepts.
	MaxImages = 10
	// MaxUploadBytes is the exclusive upper bound of an uploaded image or mask ("less than 4MB").
	MaxUploadBytes = 4 << 20
	// MaxUploadDimension caps the side of an uploaded image so a small but highly
	// compressed PNG cannot make the simulator allocate gigabytes when decoding it.
	MaxUploadDimension = 4096
)

// The output sizes DALL-E 2 supports.
const (
	Size256  = "256x256"
	Size512  = "512x512"
	Size1024 = "1024x1024"
)

// sizePixels maps a supported size name to its side length in pixels.
func sizePixels(size string) (int, bool) {
	switch size {
	case Size256:
		return 256, true
	case Size512:
		return 512, true
	case Size1024:
		return 1024, true
	}
	return 0, false
}

// Config configures a Server. The zero value is usable: any bearer token is
// accepted, URLs are derived from the request's Host, and there is no latency.
type Config struct {
	// APIKey, when set, is the only bearer token accepted; otherwise any
	// non-empty bearer token is.
	APIKey string
	// PublicURL is the scheme://host[:port] prefix of image URLs. Empty means
	// derive it from each request's Host header.
	PublicURL string
	// URLTTL is how long image URLs stay valid. Zero means DefaultURLTTL.
	URLTTL time.Duration
	// Latency is added to every accepted request before it is answered.
	Latency time.Duration
	// LatencyJitter adds a uniformly random extra delay in [0, LatencyJitter).
	LatencyJitter time.Duration
	// LatencyBySize overrides Latency for the given sizes ("256x256", ...).
	LatencyBySize map[string]time.Duration
	// ContentPolicyWord is the (case-insensitive) prompt substring rejected as
	// a content policy violation. Empty means DefaultContentPolicyWord.
	ContentPolicyWord string
	// NoContentPolicy disables the content policy check altogether.
	NoContentPolicy bool
	// ImagesPerMinute limits images generated per sliding minute; 0 is unlimited.
	ImagesPerMinute int
	// Seed varies every rendered image; the same seed reproduces the same images.
	Seed int64
	// Now is the clock used for URL expiry, rate limiting, "created" and the
	// call log. Nil means time.Now. Latency always uses real time.
	Now func() time.Time
	// Logger receives request logs. Nil discards them.
	Logger *slog.Logger
	// MaxCallLog bounds the call log (oldest entries are dropped). Zero means DefaultMaxCallLog.
	MaxCallLog int
	// MaxStoredEditBytes bounds memory held by edit results (oldest are evicted
	// early). Zero means DefaultMaxStoredEditBytes.
	MaxStoredEditBytes int64
	// RetiredModels are answered 404 model_not_found, as OpenAI answers
	// models past their shutdown. Nil means DefaultRetiredModels (the API
	// as of RetiredToday, but still serving dall-e-2); an empty non-nil
	// slice serves every simulated model. See ParseRetiredModels.
	RetiredModels []string
	// ModelLatency sets the latency of requests for a model, replacing
	// Latency, LatencyJitter and LatencyBySize for it. Nil means none: the
	// zero Config answers at once. RealisticModelLatency is a documented
	// table of what the real models take.
	ModelLatency map[string]LatencyRange
}

// Settings is the part of the configuration that can change while the
// server runs, through the Set* methods, UpdateSettings or PUT /sim/config.
type Settings struct {
	Latency       time.Duration
	LatencyJitter time.Duration
	// LatencyBySize overrides Latency for a size; absent sizes use Latency.
	LatencyBySize map[string]time.Duration
	// ContentPolicyWord is matched case-insensitively; empty disables the check.
	ContentPolicyWord string
	// ImagesPerMinute is the sliding-minute image limit; 0 is unlimited.
	ImagesPerMinute int
	// URLTTL applies to URLs issued after the change; issued URLs keep their expiry.
	URLTTL time.Duration
}

// clone deep-copies s so a published snapshot is never mutated.
func (s Settings) clone() Settings {
	s.LatencyBySize = maps.Clone(s.LatencyBySize)
	return s
}

// validate rejects settings the simulator cannot honour.
func (s Settings) validate() error {
	if s.Latency < 0 || s.LatencyJitter < 0 {
		return fmt.Errorf("latency and jitter must not be negative (got %s, %s)", s.Latency, s.LatencyJitter)
	}
	for size, d := range s.LatencyBySize {
		if _, ok := sizePixels(size); !ok {
			return fmt.Errorf("latency override for unsupported size %q", size)
		}
		if d < 0 {
			return fmt.Errorf("latency for %s must not be negative (got %s)", size, d)
		}
	}
	if s.ImagesPerMinute < 0 {
		return fmt.Errorf("images per minute must not be negative (got %d)", s.ImagesPerMinute)
	}
	if s.URLTTL <= 0 {
		return fmt.Errorf("url ttl must be positive (got %s)", s.URLTTL)
	}
	return nil
}

// initialSettings derives the runtime settings from cfg, applying defaults.
func initialSettings(cfg Config) Settings {
	s := Settings{
		Latency:           cfg.Latency,
		LatencyJitter:     cfg.LatencyJitter,
		LatencyBySize:     maps.Clone(cfg.LatencyBySize),
		ContentPolicyWord: cfg.ContentPolicyWord,
		ImagesPerMinute:   cfg.ImagesPerMinute,
		URLTTL:            cfg.URLTTL,
	}
	if s.URLTTL == 0 {
		s.URLTTL = DefaultURLTTL
	}
	if s.ContentPolicyWord == "" {
		s.ContentPolicyWord = DefaultContentPolicyWord
	}
	if cfg.NoContentPolicy {
		s.ContentPolicyWord = ""
	}
	return s
}

// Settings returns a copy of the current runtime settings.
func (s *Server) Settings() Settings {
	return s.settings.Load().clone()
}

// UpdateSettings applies fn to a copy of the current settings and publishes
// the result if it is valid; requests already past their checks are unaffected.
func (s *Server) UpdateSettings(fn func(*Settings)) error {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	next := s.settings.Load().clone()
	fn(&next)
	if err := next.validate(); err != nil {
		return fmt.Errorf("invalid settings: %w", err)
	}
	s.settings.Store(&next)
	return nil
}

// SetLatency sets the fixed latency and jitter of accepted requests.
func (s *Server) SetLatency(fixed, jitter time.Duration) error {
	return s.UpdateSettings(func(st *Settings) { st.Latency, st.LatencyJitter = fixed, jitter })
}

// SetLatencyForSize overrides the fixed latency for one size; a negative d
// removes the override.
func (s *Server) SetLatencyForSize(size string, d time.Duration) error {
	return s.UpdateSettings(func(st *Settings) {
		if d < 0 {
			delete(st.LatencyBySize, size)
			return
		}
		if st.LatencyBySize == nil {
			st.LatencyBySize = map[string]time.Duration{}
		}
		st.LatencyBySize[size] = d
	})
}

// SetContentPolicyWord sets the rejected prompt word; "" disables the check.
func (s *Server) SetContentPolicyWord(word string) {
	_ = s.UpdateSettings(func(st *Settings) { st.ContentPolicyWord = word })
}

// SetImagesPerMinute sets the sliding-minute image limit; 0 is unlimited.
func (s *Server) SetImagesPerMinute(n int) error {
	return s.UpdateSettings(func(st *Settings) { st.ImagesPerMinute = n })
}

// SetURLTTL sets the validity of URLs issued from now on.
func (s *Server) SetURLTTL(d time.Duration) error {
	return s.UpdateSettings(func(st *Settings) { st.URLTTL = d })
}
